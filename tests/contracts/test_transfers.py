"""WorkRegistry holders, share transfers and co-owner consent (SPECIFICATION.md R30-R35)."""

import pytest
from eth_abi import encode
from eth_utils import keccak

WRONG_STATUS = "WorkRegistry__WrongStatus(bytes32,uint8,uint8)"
NOT_FOUND = "WorkRegistry__NotFound(bytes32)"
NOT_A_HOLDER = "WorkRegistry__NotAHolder(bytes32,address)"
INVALID_TRANSFER = "WorkRegistry__InvalidTransfer(address,uint16)"
INSUFFICIENT = "WorkRegistry__InsufficientShare(bytes32,address,uint16,uint16)"
CONSENT_MISSING = "WorkRegistry__ConsentMissing(bytes32,address,bytes32)"
HOLDER_COUNT = "WorkRegistry__InvalidHolderCount(uint256,uint256)"


def _holders(registry, work_id):
    return [(str(h[0]), int(h[1])) for h in registry.holdersOf(work_id)]


def _consent_all(registry, work_id, action, accounts):
    for acct in accounts:
        registry.consent(work_id, action, {"from": acct})


@pytest.fixture
def trio(confirmed_work, author, coauthor, spare):
    """A CONFIRMED work held 5000 author / 3000 coauthor / 2000 spare[0] (no role)."""
    return confirmed_work("trio", [(author, 5000), (coauthor, 3000), (spare[0], 2000)])


# --- R30: a holder of a CONFIRMED work transfers ----------------------------------------


def test_transfer_share_succeeds_for_sole_holder(registry, confirmed_work, author, spare, kit):
    work_id = confirmed_work()

    registry.transferShare(work_id, spare[0], kit.WHOLE, {"from": author})

    assert _holders(registry, work_id) == [(str(spare[0]), kit.WHOLE)]
    assert registry.shareOf(work_id, author) == 0
    assert registry.getWork(work_id)["holderCount"] == 1


def test_transfer_share_succeeds_for_holder_without_role(registry, roles, confirmed_work, author, spare, role, kit):
    work_id = confirmed_work()
    registry.transferShare(work_id, spare[0], kit.WHOLE, {"from": author})
    assert not roles.hasRole(role.HOLDER, spare[0])

    registry.transferShare(work_id, spare[1], kit.WHOLE, {"from": spare[0]})

    assert _holders(registry, work_id) == [(str(spare[1]), kit.WHOLE)]


@pytest.mark.parametrize("caller", ["rando", "coauthor", "cmo", "registrar"])
def test_transfer_share_reverts_when_caller_not_holder(registry, confirmed_work, spare, err, kit, request, caller):
    work_id = confirmed_work()
    sender = request.getfixturevalue(caller)
    with err.reverts_with(NOT_A_HOLDER, work_id, sender):
        registry.transferShare(work_id, spare[0], 100, {"from": sender})


def test_transfer_share_reverts_when_work_unknown(registry, author, spare, err, kit):
    work_id = kit.content_hash("unknown")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.transferShare(work_id, spare[0], 100, {"from": author})


@pytest.mark.parametrize("name", ["PENDING", "REJECTED", "DISPUTED", "REVOKED"])
def test_transfer_share_reverts_when_not_confirmed(registry, author, spare, err, status, kit, work_in_status, name):
    work_id = work_in_status(name)
    with err.reverts_with(WRONG_STATUS, work_id, getattr(status, name), status.CONFIRMED):
        registry.transferShare(work_id, spare[0], 100, {"from": author})
    assert _holders(registry, work_id) == [(str(author), kit.WHOLE)]


# --- R31: a transfer names another account and at most the caller's share -----------------


def test_transfer_share_succeeds_for_part_of_share(registry, confirmed_work, author, spare):
    work_id = confirmed_work()

    registry.transferShare(work_id, spare[0], 3000, {"from": author})

    assert _holders(registry, work_id) == [(str(author), 7000), (str(spare[0]), 3000)]
    assert registry.getWork(work_id)["holderCount"] == 2


def test_transfer_share_reverts_when_recipient_zero(registry, confirmed_work, author, err, kit):
    work_id = confirmed_work()
    with err.reverts_with(INVALID_TRANSFER, kit.ZERO, 100):
        registry.transferShare(work_id, kit.ZERO, 100, {"from": author})


def test_transfer_share_reverts_when_recipient_is_caller(registry, confirmed_work, author, err):
    work_id = confirmed_work()
    with err.reverts_with(INVALID_TRANSFER, author, 100):
        registry.transferShare(work_id, author, 100, {"from": author})


def test_transfer_share_reverts_when_bps_zero(registry, confirmed_work, author, spare, err):
    work_id = confirmed_work()
    with err.reverts_with(INVALID_TRANSFER, spare[0], 0):
        registry.transferShare(work_id, spare[0], 0, {"from": author})


def test_transfer_share_reverts_when_bps_exceeds_sole_share(registry, confirmed_work, author, spare, err, kit):
    work_id = confirmed_work()
    with err.reverts_with(INSUFFICIENT, work_id, author, kit.WHOLE, kit.WHOLE + 1):
        registry.transferShare(work_id, spare[0], kit.WHOLE + 1, {"from": author})


def test_transfer_share_reverts_when_bps_exceeds_co_share(registry, co_owned_work, coauthor, spare, err):
    work_id = co_owned_work()
    with err.reverts_with(INSUFFICIENT, work_id, coauthor, 4000, 4001):
        registry.transferShare(work_id, spare[0], 4001, {"from": coauthor})


# --- R32: what a transfer does to the holder list -----------------------------------------


def test_transfer_share_merges_when_recipient_already_holds(registry, trio, author, coauthor, spare):
    action = registry.transferActionHash(trio, author, coauthor, 1500)
    _consent_all(registry, trio, action, [coauthor, spare[0]])

    registry.transferShare(trio, coauthor, 1500, {"from": author})

    assert _holders(registry, trio) == [(str(author), 3500), (str(coauthor), 4500), (str(spare[0]), 2000)]


def test_transfer_share_removes_holder_when_share_reaches_zero(registry, co_owned_work, author, coauthor, kit):
    work_id = co_owned_work()
    action = registry.transferActionHash(work_id, coauthor, author, 4000)
    registry.consent(work_id, action, {"from": author})

    registry.transferShare(work_id, author, 4000, {"from": coauthor})

    assert _holders(registry, work_id) == [(str(author), kit.WHOLE)]
    assert registry.getWork(work_id)["holderCount"] == 1
    assert registry.shareOf(work_id, coauthor) == 0


def test_transfer_share_appends_new_holder_last(registry, trio, author, coauthor, spare):
    action = registry.transferActionHash(trio, coauthor, spare[1], 1000)
    _consent_all(registry, trio, action, [author, spare[0]])

    registry.transferShare(trio, spare[1], 1000, {"from": coauthor})

    assert _holders(registry, trio) == [
        (str(author), 5000), (str(coauthor), 2000), (str(spare[0]), 2000), (str(spare[1]), 1000)
    ]


@pytest.fixture
def sixteen(registry, registrar, cmo, author, extra_accounts, confirmed_work):
    """A CONFIRMED work with the maximum 16 holders, 625 bps each; returns (id, others)."""
    others = extra_accounts(15)
    work_id = confirmed_work("sixteen", [(author, 625)] + [(a, 625) for a in others], sender=cmo)
    return work_id, others


def test_transfer_share_succeeds_at_max_holders_when_count_unchanged(registry, sixteen, author, spare):
    work_id, others = sixteen
    action = registry.transferActionHash(work_id, author, spare[0], 625)
    _consent_all(registry, work_id, action, others)

    registry.transferShare(work_id, spare[0], 625, {"from": author})

    assert registry.getWork(work_id)["holderCount"] == 16
    assert registry.shareOf(work_id, spare[0]) == 625


def test_transfer_share_reverts_when_holders_would_exceed_max(registry, sixteen, author, spare, err):
    work_id, others = sixteen
    action = registry.transferActionHash(work_id, author, spare[0], 1)
    _consent_all(registry, work_id, action, others)

    with err.reverts_with(HOLDER_COUNT, 17, 16):
        registry.transferShare(work_id, spare[0], 1, {"from": author})
    assert registry.getWork(work_id)["holderCount"] == 16


# --- R33: on a co-owned work every other co-owner consents first --------------------------


def test_transfer_share_succeeds_for_co_owner_with_all_consents(registry, trio, author, coauthor, spare):
    action = registry.transferActionHash(trio, author, spare[1], 1000)
    _consent_all(registry, trio, action, [coauthor, spare[0]])

    registry.transferShare(trio, spare[1], 1000, {"from": author})

    assert registry.shareOf(trio, spare[1]) == 1000
    assert registry.shareOf(trio, author) == 4000


def test_transfer_share_reverts_when_no_consent(registry, trio, author, coauthor, spare, err):
    action = registry.transferActionHash(trio, author, spare[1], 1000)
    with err.reverts_with(CONSENT_MISSING, trio, coauthor, action):
        registry.transferShare(trio, spare[1], 1000, {"from": author})


def test_transfer_share_reverts_when_one_consent_missing(registry, trio, author, coauthor, spare, err):
    action = registry.transferActionHash(trio, author, spare[1], 1000)
    registry.consent(trio, action, {"from": coauthor})

    with err.reverts_with(CONSENT_MISSING, trio, spare[0], action):
        registry.transferShare(trio, spare[1], 1000, {"from": author})
    assert registry.shareOf(trio, spare[1]) == 0


def test_transfer_share_reverts_when_consent_was_for_other_terms(registry, co_owned_work, author, coauthor, spare, err):
    work_id = co_owned_work()
    registry.consent(work_id, registry.transferActionHash(work_id, author, spare[0], 1000), {"from": coauthor})

    wanted = registry.transferActionHash(work_id, author, spare[0], 2000)
    with err.reverts_with(CONSENT_MISSING, work_id, coauthor, wanted):
        registry.transferShare(work_id, spare[0], 2000, {"from": author})


def test_transfer_share_reverts_when_consent_given_by_sender_only(registry, co_owned_work, author, coauthor, spare,
                                                                  err):
    work_id = co_owned_work()
    action = registry.transferActionHash(work_id, author, spare[0], 1000)
    registry.consent(work_id, action, {"from": author})

    with err.reverts_with(CONSENT_MISSING, work_id, coauthor, action):
        registry.transferShare(work_id, spare[0], 1000, {"from": author})


# --- R34: only a holder consents ----------------------------------------------------------


def test_consent_succeeds_for_holder(registry, trio, author, coauthor, spare):
    action = registry.transferActionHash(trio, author, spare[1], 1000)
    assert not registry.allCoOwnersConsented(trio, action, author)

    registry.consent(trio, action, {"from": coauthor})
    assert registry.hasConsent(trio, action, coauthor)
    assert not registry.hasConsent(trio, action, spare[0])
    assert not registry.allCoOwnersConsented(trio, action, author)

    registry.consent(trio, action, {"from": spare[0]})
    assert registry.allCoOwnersConsented(trio, action, author)
    assert not registry.allCoOwnersConsented(trio, action, coauthor)


def test_consent_succeeds_for_holder_of_pending_work(registry, register_work, author, coauthor):
    work_id = register_work("w", [(author, 5000), (coauthor, 5000)])
    action = "0x" + "ab" * 32
    registry.consent(work_id, action, {"from": coauthor})
    assert registry.hasConsent(work_id, action, coauthor)


@pytest.mark.parametrize("caller", ["rando", "cmo", "registrar"])
def test_consent_reverts_when_caller_not_holder(registry, trio, err, request, caller):
    sender = request.getfixturevalue(caller)
    action = "0x" + "ab" * 32
    with err.reverts_with(NOT_A_HOLDER, trio, sender):
        registry.consent(trio, action, {"from": sender})
    assert not registry.hasConsent(trio, action, sender)


def test_consent_reverts_when_work_unknown(registry, author, err, kit):
    work_id = kit.content_hash("unknown")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.consent(work_id, "0x" + "ab" * 32, {"from": author})


def test_consent_reverts_when_holder_left(registry, co_owned_work, author, coauthor, err):
    work_id = co_owned_work()
    registry.consent(work_id, registry.transferActionHash(work_id, coauthor, author, 4000), {"from": author})
    registry.transferShare(work_id, author, 4000, {"from": coauthor})

    with err.reverts_with(NOT_A_HOLDER, work_id, coauthor):
        registry.consent(work_id, "0x" + "cd" * 32, {"from": coauthor})


# --- R35: a consent is used once: the action hash carries a nonce --------------------------


def test_transfer_action_hash_matches_documented_encoding(registry, co_owned_work, author, spare):
    work_id = co_owned_work()
    expected = keccak(
        encode(
            ["string", "address", "bytes32", "address", "address", "uint16", "uint64"],
            ["TRANSFER", registry.address, bytes.fromhex(work_id[2:]), str(author), str(spare[0]), 1234, 0],
        )
    )
    assert registry.transferActionHash(work_id, author, spare[0], 1234) == "0x" + expected.hex()


def test_transfer_action_hash_binds_every_term(registry, co_owned_work, author, coauthor, spare):
    work_id = co_owned_work()
    other = co_owned_work("other")
    base = registry.transferActionHash(work_id, author, spare[0], 1000)
    variants = [
        registry.transferActionHash(other, author, spare[0], 1000),
        registry.transferActionHash(work_id, coauthor, spare[0], 1000),
        registry.transferActionHash(work_id, author, spare[1], 1000),
        registry.transferActionHash(work_id, author, spare[0], 1001),
    ]
    assert len({str(base), *map(str, variants)}) == 5


def test_transfer_share_reverts_when_consent_reused(registry, co_owned_work, author, coauthor, spare, err):
    work_id = co_owned_work()
    first = registry.transferActionHash(work_id, author, spare[0], 1000)
    registry.consent(work_id, first, {"from": coauthor})
    registry.transferShare(work_id, spare[0], 1000, {"from": author})

    again = registry.transferActionHash(work_id, author, spare[0], 1000)
    assert again != first
    with err.reverts_with(CONSENT_MISSING, work_id, coauthor, again):
        registry.transferShare(work_id, spare[0], 1000, {"from": author})


def test_transfer_share_succeeds_again_with_fresh_consents(registry, co_owned_work, author, coauthor, spare):
    work_id = co_owned_work()
    registry.consent(work_id, registry.transferActionHash(work_id, author, spare[0], 1000), {"from": coauthor})
    registry.transferShare(work_id, spare[0], 1000, {"from": author})

    again = registry.transferActionHash(work_id, author, spare[0], 1000)
    _consent_all(registry, work_id, again, [coauthor, spare[0]])
    registry.transferShare(work_id, spare[0], 1000, {"from": author})

    assert registry.shareOf(work_id, spare[0]) == 2000


def test_transfer_action_hash_changes_after_sole_holder_transfer(registry, confirmed_work, author, spare):
    work_id = confirmed_work()
    before = registry.transferActionHash(work_id, spare[0], author, 100)
    registry.transferShare(work_id, spare[0], 5000, {"from": author})
    assert registry.transferActionHash(work_id, spare[0], author, 100) != before


def test_transfer_share_reverts_when_consent_predates_dispute_correction(registry, co_owned_work, registrar, author,
                                                                         coauthor, spare, err, kit):
    work_id = co_owned_work()
    stale = registry.transferActionHash(work_id, author, spare[0], 1000)
    registry.consent(work_id, stale, {"from": coauthor})
    registry.openDispute(work_id, kit.cid_for("ev"), {"from": coauthor})
    registry.resolveDispute(work_id, 2, [(author, 6000), (coauthor, 4000)], 3, kit.cid_for("r"), {"from": registrar})

    fresh = registry.transferActionHash(work_id, author, spare[0], 1000)
    assert fresh != stale
    with err.reverts_with(CONSENT_MISSING, work_id, coauthor, fresh):
        registry.transferShare(work_id, spare[0], 1000, {"from": author})
