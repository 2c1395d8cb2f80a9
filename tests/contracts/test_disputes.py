"""WorkRegistry disputes: opening, resolving, revocation (SPECIFICATION.md R50-R55)."""

import pytest

WRONG_STATUS = "WorkRegistry__WrongStatus(bytes32,uint8,uint8)"
NOT_FOUND = "WorkRegistry__NotFound(bytes32)"
INVALID_CID = "WorkRegistry__InvalidCid(uint256)"
INVALID_OUTCOME = "WorkRegistry__InvalidOutcome(uint8)"
HOLDER_COUNT = "WorkRegistry__InvalidHolderCount(uint256,uint256)"
INVALID_HOLDER = "WorkRegistry__InvalidHolder(uint256,address,uint16)"
NOT_WHOLE = "WorkRegistry__SharesNotWhole(uint256)"
ALREADY = "WorkRegistry__AlreadyRegistered(bytes32,uint8)"
NOT_ENTITLED = "WorkRegistry__NotEntitledToDispute(bytes32,address)"
EVIDENCE_USED = "WorkRegistry__EvidenceUsed(bytes32,bytes32)"


def _holders(registry, work_id):
    return [(str(h[0]), int(h[1])) for h in registry.holdersOf(work_id)]


# --- R50: a HOLDER or a CMO opens a dispute -----------------------------------------------


@pytest.mark.parametrize("caller", ["author", "coauthor", "cmo", "registrar"])
def test_open_dispute_succeeds_for_holder_or_cmo(registry, confirmed_work, kit, status, request, caller):
    work_id = confirmed_work()  # held by author alone; coauthor is a verified holder of nothing here
    sender = request.getfixturevalue(caller)

    tx = registry.openDispute(work_id, kit.cid_for("evidence"), {"from": sender})

    assert registry.statusOf(work_id) == status.DISPUTED
    assert tx.return_value == 1


@pytest.mark.parametrize("caller", ["rando", "licensee", "auditor", "governor"])
def test_open_dispute_reverts_when_caller_has_no_role(registry, confirmed_work, role, err, kit, status, request,
                                                      caller):
    work_id = confirmed_work()
    sender = request.getfixturevalue(caller)

    with err.reverts_with(NOT_ENTITLED, work_id, sender):
        registry.openDispute(work_id, kit.cid_for("evidence"), {"from": sender})
    assert registry.statusOf(work_id) == status.CONFIRMED


def test_open_dispute_reverts_for_unverified_holder_of_work(registry, confirmed_work, author, spare, role, err, kit):
    work_id = confirmed_work("w", [(author, 5000), (spare[0], 5000)])
    with err.reverts_with(NOT_ENTITLED, work_id, spare[0]):
        registry.openDispute(work_id, kit.cid_for("evidence"), {"from": spare[0]})


# --- R51: only a CONFIRMED work, with an evidence CID of 1..128 bytes --------------------


def test_open_dispute_reverts_when_work_unknown(registry, coauthor, err, kit):
    work_id = kit.content_hash("unknown")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.openDispute(work_id, kit.cid_for("evidence"), {"from": coauthor})


@pytest.mark.parametrize("name", ["PENDING", "REJECTED", "DISPUTED", "REVOKED"])
def test_open_dispute_reverts_when_not_confirmed(registry, cmo, err, kit, status, work_in_status, name):
    work_id = work_in_status(name)
    with err.reverts_with(WRONG_STATUS, work_id, getattr(status, name), status.CONFIRMED):
        registry.openDispute(work_id, kit.cid_for("more evidence"), {"from": cmo})
    assert registry.statusOf(work_id) == getattr(status, name)


@pytest.mark.parametrize("length", [1, 128])
def test_open_dispute_succeeds_when_evidence_cid_in_bounds(registry, confirmed_work, coauthor, status, length):
    work_id = confirmed_work()
    registry.openDispute(work_id, b"\x07" * length, {"from": coauthor})
    assert registry.statusOf(work_id) == status.DISPUTED


@pytest.mark.parametrize("length", [0, 129])
def test_open_dispute_reverts_when_evidence_cid_out_of_bounds(registry, confirmed_work, coauthor, err, status, length):
    work_id = confirmed_work()
    with err.reverts_with(INVALID_CID, length):
        registry.openDispute(work_id, b"\x07" * length, {"from": coauthor})
    assert registry.statusOf(work_id) == status.CONFIRMED


# --- R52: an open dispute freezes the work ------------------------------------------------


def test_open_dispute_numbers_disputes_across_works(registry, confirmed_work, coauthor, cmo, kit):
    a = confirmed_work("a")
    b = confirmed_work("b")

    first = registry.openDispute(b, kit.cid_for("e1"), {"from": coauthor}).return_value
    second = registry.openDispute(a, kit.cid_for("e2"), {"from": cmo}).return_value

    assert (first, second) == (1, 2)
    assert registry.getWork(b)["openDispute"] == 1
    assert registry.getWork(a)["openDispute"] == 2


def test_open_dispute_keeps_holders(registry, co_owned_work, cmo, author, coauthor, kit):
    work_id = co_owned_work()
    registry.openDispute(work_id, kit.cid_for("e"), {"from": cmo})
    assert _holders(registry, work_id) == [(str(author), 6000), (str(coauthor), 4000)]


def test_open_dispute_succeeds_again_after_dismissal(registry, registrar, confirmed_work, coauthor, status, kit):
    work_id = confirmed_work()
    registry.openDispute(work_id, kit.cid_for("e1"), {"from": coauthor})
    registry.resolveDispute(work_id, 1, [], 0, kit.cid_for("r"), {"from": registrar})

    tx = registry.openDispute(work_id, kit.cid_for("e2"), {"from": coauthor})

    assert tx.return_value == 2
    assert registry.getWork(work_id)["openDispute"] == 2
    assert registry.statusOf(work_id) == status.DISPUTED


# --- R53: only a REGISTRAR resolves, only a DISPUTED work --------------------------------


def test_resolve_dispute_succeeds_for_registrar(registry, registrar, disputed_work, status, kit):
    work_id, _ = disputed_work()
    registry.resolveDispute(work_id, 1, [], 0, kit.cid_for("r"), {"from": registrar})
    assert registry.statusOf(work_id) == status.CONFIRMED


@pytest.mark.parametrize("caller", ["governor", "cmo", "author", "coauthor", "auditor", "rando"])
def test_resolve_dispute_reverts_when_caller_not_registrar(registry, disputed_work, role, err, kit, status, request,
                                                           caller):
    work_id, dispute_id = disputed_work()
    sender = request.getfixturevalue(caller)

    with err.unauthorized(sender, role.REGISTRAR):
        registry.resolveDispute(work_id, 3, [], 0, kit.cid_for("r"), {"from": sender})
    assert registry.statusOf(work_id) == status.DISPUTED
    assert registry.getWork(work_id)["openDispute"] == dispute_id


@pytest.mark.parametrize("name", ["PENDING", "CONFIRMED", "REJECTED", "REVOKED"])
def test_resolve_dispute_reverts_when_not_disputed(registry, registrar, err, kit, status, work_in_status, name):
    work_id = work_in_status(name)
    with err.reverts_with(WRONG_STATUS, work_id, getattr(status, name), status.DISPUTED):
        registry.resolveDispute(work_id, 1, [], 0, kit.cid_for("r"), {"from": registrar})
    assert registry.statusOf(work_id) == getattr(status, name)


def test_resolve_dispute_reverts_when_work_unknown(registry, registrar, err, kit):
    work_id = kit.content_hash("unknown")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.resolveDispute(work_id, 1, [], 0, kit.cid_for("r"), {"from": registrar})


# --- R54: the three outcomes --------------------------------------------------------------


def test_resolve_dispute_dismissed_restores_confirmed(registry, registrar, disputed_work, author, coauthor, status,
                                                      kit):
    work_id, _ = disputed_work()

    # holders passed with a dismissal are ignored
    registry.resolveDispute(work_id, 1, [(coauthor, kit.WHOLE)], 0, kit.cid_for("r"), {"from": registrar})

    assert registry.statusOf(work_id) == status.CONFIRMED
    assert registry.getWork(work_id)["openDispute"] == 0
    assert _holders(registry, work_id) == [(str(author), kit.WHOLE)]


def test_resolve_dispute_corrected_replaces_holders(registry, registrar, disputed_work, author, coauthor, spare,
                                                    status, kit):
    work_id, _ = disputed_work()
    new_holders = [(coauthor, 7000), (author, 2000), (spare[0], 1000)]

    registry.resolveDispute(work_id, 2, new_holders, 11, kit.cid_for("r"), {"from": registrar})

    assert registry.statusOf(work_id) == status.CONFIRMED
    assert registry.getWork(work_id)["openDispute"] == 0
    assert registry.getWork(work_id)["holderCount"] == 3
    assert _holders(registry, work_id) == [(str(a), b) for a, b in new_holders]


def test_resolve_dispute_corrected_to_sole_holder(registry, registrar, co_owned_work, cmo, author, coauthor, kit):
    work_id = co_owned_work()
    registry.openDispute(work_id, kit.cid_for("e"), {"from": cmo})

    registry.resolveDispute(work_id, 2, [(coauthor, kit.WHOLE)], 11, kit.cid_for("r"), {"from": registrar})

    assert _holders(registry, work_id) == [(str(coauthor), kit.WHOLE)]
    assert registry.shareOf(work_id, author) == 0


def test_resolve_dispute_revoked_sets_revoked(registry, registrar, disputed_work, author, status, kit):
    work_id, _ = disputed_work()

    registry.resolveDispute(work_id, 3, [(author, kit.WHOLE)], 4, kit.cid_for("r"), {"from": registrar})

    assert registry.statusOf(work_id) == status.REVOKED
    assert registry.getWork(work_id)["openDispute"] == 0
    assert _holders(registry, work_id) == [(str(author), kit.WHOLE)]


@pytest.mark.parametrize("outcome_code", [0, 4, 255])
def test_resolve_dispute_reverts_when_outcome_invalid(registry, registrar, disputed_work, err, kit, status,
                                                      outcome_code):
    work_id, dispute_id = disputed_work()

    with err.reverts_with(INVALID_OUTCOME, outcome_code):
        registry.resolveDispute(work_id, outcome_code, [], 0, kit.cid_for("r"), {"from": registrar})
    assert registry.statusOf(work_id) == status.DISPUTED
    assert registry.getWork(work_id)["openDispute"] == dispute_id


def test_resolve_dispute_reverts_when_corrected_holders_empty(registry, registrar, disputed_work, err, kit, status):
    work_id, _ = disputed_work()
    with err.reverts_with(HOLDER_COUNT, 0, 16):
        registry.resolveDispute(work_id, 2, [], 0, kit.cid_for("r"), {"from": registrar})
    assert registry.statusOf(work_id) == status.DISPUTED


def test_resolve_dispute_reverts_when_corrected_shares_not_whole(registry, registrar, disputed_work, author, coauthor,
                                                                 err, kit):
    work_id, _ = disputed_work()
    with err.reverts_with(NOT_WHOLE, 9999):
        registry.resolveDispute(work_id, 2, [(author, 5000), (coauthor, 4999)], 0, kit.cid_for("r"),
                                {"from": registrar})


def test_resolve_dispute_reverts_when_corrected_holder_repeated(registry, registrar, disputed_work, author, err, kit):
    work_id, _ = disputed_work()
    with err.reverts_with(INVALID_HOLDER, 1, author, 5000):
        registry.resolveDispute(work_id, 2, [(author, 5000), (author, 5000)], 0, kit.cid_for("r"),
                                {"from": registrar})


def test_resolve_dispute_reverts_when_corrected_holder_zero(registry, registrar, disputed_work, author, err, kit):
    work_id, _ = disputed_work()
    with err.reverts_with(INVALID_HOLDER, 0, kit.ZERO, kit.WHOLE):
        registry.resolveDispute(work_id, 2, [(kit.ZERO, kit.WHOLE)], 0, kit.cid_for("r"), {"from": registrar})


# --- R55: a REVOKED work is final -----------------------------------------------------------


def test_revoked_work_keeps_its_record(registry, work_in_status, author, status, kit):
    work_id = work_in_status("REVOKED")
    view = registry.getWork(work_id)
    assert view["status"] == status.REVOKED
    assert view["holderCount"] == 1
    assert registry.shareOf(work_id, author) == kit.WHOLE


def test_revoked_work_reverts_every_transition(registry, registrar, cmo, author, coauthor, spare, err, kit, status,
                                               work_in_status, make_registration):
    work_id = work_in_status("REVOKED")
    revoked = status.REVOKED

    with err.reverts_with(WRONG_STATUS, work_id, revoked, status.PENDING):
        registry.confirm(work_id, {"from": registrar})
    with err.reverts_with(WRONG_STATUS, work_id, revoked, status.PENDING):
        registry.reject(work_id, 1, kit.cid_for("r"), {"from": registrar})
    with err.reverts_with(WRONG_STATUS, work_id, revoked, status.CONFIRMED):
        registry.transferShare(work_id, spare[0], 100, {"from": author})
    with err.reverts_with(WRONG_STATUS, work_id, revoked, status.CONFIRMED):
        registry.openDispute(work_id, kit.cid_for("e"), {"from": cmo})
    with err.reverts_with(WRONG_STATUS, work_id, revoked, status.DISPUTED):
        registry.resolveDispute(work_id, 1, [], 0, kit.cid_for("r"), {"from": registrar})
    with err.reverts_with(ALREADY, work_id, revoked):
        registry.register(make_registration("w", [(coauthor, kit.WHOLE)]), {"from": coauthor})
    assert registry.statusOf(work_id) == revoked


# --- R56: who may dispute; new evidence for every dispute; dispute times (finding 9) --------


def test_open_dispute_reverts_for_unverified_holder_without_share(registry, roles, registrar, confirmed_work,
                                                                   spare, err, kit, status):
    """The attack: any HOLDER (here one admitted without a real-name check) disputed any work."""
    roles.grantRole(roles.HOLDER_ROLE(), spare[0], {"from": registrar})
    work_id = confirmed_work()
    with err.reverts_with(NOT_ENTITLED, work_id, spare[0]):
        registry.openDispute(work_id, kit.cid_for("grief"), {"from": spare[0]})
    assert registry.statusOf(work_id) == status.CONFIRMED


def test_open_dispute_succeeds_for_unverified_holder_with_share(registry, roles, registrar, confirmed_work, author,
                                                                 spare, kit, status):
    roles.grantRole(roles.HOLDER_ROLE(), spare[0], {"from": registrar})
    work_id = confirmed_work("w", [(author, 5000), (spare[0], 5000)])
    registry.openDispute(work_id, kit.cid_for("evidence"), {"from": spare[0]})
    assert registry.statusOf(work_id) == status.DISPUTED


def test_reopen_after_dismissal_reverts_with_the_same_evidence(registry, registrar, disputed_work, coauthor, err,
                                                                kit, status):
    """The attack: a dismissed claimant reopened the same dispute right after the ruling."""
    work_id, _ = disputed_work("w")
    registry.resolveDispute(work_id, 1, [], 1, kit.cid_for("ruling"), {"from": registrar})
    evidence = kit.cid_for("evidence:w")
    with err.reverts_with(EVIDENCE_USED, work_id, "0x" + _keccak_hex(evidence)):
        registry.openDispute(work_id, evidence, {"from": coauthor})
    assert registry.statusOf(work_id) == status.CONFIRMED
    assert registry.evidenceUsed(work_id, evidence)


def test_reopen_after_dismissal_succeeds_with_new_evidence(registry, registrar, disputed_work, coauthor, kit, status):
    work_id, first = disputed_work("w")
    registry.resolveDispute(work_id, 1, [], 1, kit.cid_for("ruling"), {"from": registrar})
    tx = registry.openDispute(work_id, kit.cid_for("new evidence"), {"from": coauthor})
    assert tx.return_value == first + 1
    assert registry.statusOf(work_id) == status.DISPUTED


def test_dispute_events_carry_open_and_resolve_times(registry, registrar, confirmed_work, coauthor, kit):
    work_id = confirmed_work()
    opened = registry.openDispute(work_id, kit.cid_for("evidence"), {"from": coauthor})
    assert opened.events["DisputeOpened"]["openedAt"] == opened.timestamp
    assert registry.getWork(work_id)["disputeOpenedAt"] == opened.timestamp

    resolved = registry.resolveDispute(work_id, 1, [], 1, kit.cid_for("ruling"), {"from": registrar})

    ev = resolved.events["DisputeResolved"]
    assert (ev["openedAt"], ev["resolvedAt"]) == (opened.timestamp, resolved.timestamp)
    assert registry.getWork(work_id)["disputeOpenedAt"] == 0


def _keccak_hex(data: bytes) -> str:
    from eth_utils import keccak

    return keccak(data).hex()
