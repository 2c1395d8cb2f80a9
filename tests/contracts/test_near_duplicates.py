"""WorkRegistry near-duplicate flag and override (SPECIFICATION.md R27, issue 18).

A PENDING work flagged as a near-duplicate of a CONFIRMED work held by others is confirmed
only by `confirmOverriding(workId, reason)`, which records the reason in an event.
"""

import pytest

FLAGGED = "WorkRegistry__NearDuplicateFlagged(bytes32,bytes32,uint8)"
NOT_FLAGGED = "WorkRegistry__NotFlagged(bytes32)"
NOT_ENTITLED = "WorkRegistry__NotEntitledToFlag(bytes32,address)"
SAME_HOLDER = "WorkRegistry__SameHolder(bytes32,bytes32,address)"
BAD_DISTANCE = "WorkRegistry__InvalidDistance(uint8)"
BAD_REASON = "WorkRegistry__InvalidOverrideReason(uint256,uint256)"
WRONG_STATUS = "WorkRegistry__WrongStatus(bytes32,uint8,uint8)"
NOT_FOUND = "WorkRegistry__NotFound(bytes32)"
WHOLE = 10_000
REASON = "the photographer's own earlier print, licensed to the registrant"


@pytest.fixture
def pair(confirmed_work, register_work, author, coauthor):
    """(original, copy): the original CONFIRMED and held by `author`, the copy PENDING and held by `coauthor`."""
    original = confirmed_work("original")
    copy = register_work("copy", [(coauthor, WHOLE)], sender=coauthor)
    return original, copy


# --- who may flag ---------------------------------------------------------------------------


@pytest.mark.parametrize("flagger", ["registrar", "cmo", "author"])
def test_flag_near_duplicate_succeeds_for_registrar_cmo_or_holder_of_original(registry, pair, request, flagger):
    original, copy = pair
    sender = request.getfixturevalue(flagger)

    tx = registry.flagNearDuplicate(copy, original, 7, {"from": sender})

    ev = tx.events["NearDuplicateFlagged"]
    assert (ev["workId"], ev["ofWorkId"], ev["flaggedBy"], ev["distance"]) == (copy, original, sender, 7)
    of, by, distance = registry.nearDuplicateOf(copy)
    assert (str(of), str(by), int(distance)) == (original, str(sender), 7)


@pytest.mark.parametrize("flagger", ["rando", "licensee", "auditor", "governor", "coauthor"])
def test_flag_near_duplicate_reverts_for_anyone_else(registry, err, pair, request, flagger):
    original, copy = pair
    sender = request.getfixturevalue(flagger)

    with err.reverts_with(NOT_ENTITLED, copy, sender):
        registry.flagNearDuplicate(copy, original, 7, {"from": sender})
    assert str(registry.nearDuplicateOf(copy)[0]) == "0x" + "00" * 32


def test_flag_near_duplicate_reverts_when_work_not_pending(registry, err, registrar, pair, confirmed_work, coauthor):
    original, _ = pair
    other = confirmed_work("other confirmed", [(coauthor, WHOLE)], sender=coauthor)

    with err.reverts_with(WRONG_STATUS, other, 2, 1):
        registry.flagNearDuplicate(other, original, 3, {"from": registrar})


def test_flag_near_duplicate_reverts_when_original_not_confirmed(registry, err, registrar, pair, register_work):
    _, copy = pair
    pending = register_work("pending original")

    with err.reverts_with(WRONG_STATUS, pending, 1, 2):
        registry.flagNearDuplicate(copy, pending, 3, {"from": registrar})
    unknown = "0x" + "ab" * 32
    with err.reverts_with(NOT_FOUND, unknown):
        registry.flagNearDuplicate(copy, unknown, 3, {"from": registrar})


def test_flag_near_duplicate_reverts_when_distance_above_64(registry, err, registrar, pair):
    original, copy = pair

    with err.reverts_with(BAD_DISTANCE, 65):
        registry.flagNearDuplicate(copy, original, 65, {"from": registrar})


def test_flag_near_duplicate_reverts_when_a_holder_holds_the_original(registry, err, registrar, confirmed_work,
                                                                       register_work, author, coauthor):
    original = confirmed_work("mine")
    own_copy = register_work("my re-encode", [(coauthor, 5000), (author, 5000)])

    with err.reverts_with(SAME_HOLDER, own_copy, original, author):
        registry.flagNearDuplicate(own_copy, original, 2, {"from": registrar})


# --- a flagged work is confirmed only with an override --------------------------------------


def test_confirm_reverts_when_flagged(registry, err, registrar, pair, status):
    original, copy = pair
    registry.flagNearDuplicate(copy, original, 4, {"from": registrar})

    with err.reverts_with(FLAGGED, copy, original, 4):
        registry.confirm(copy, {"from": registrar})
    with err.reverts_with(FLAGGED, copy, original, 4):
        registry.confirmBatch([copy], {"from": registrar})
    assert registry.statusOf(copy) == status.PENDING


def test_award_claim_reverts_when_flagged(registry, err, registrar, pair, make_registration, author):
    original, copy = pair
    claim = make_registration("claim", [(author, WHOLE)], content=copy)
    registry.fileClaim(claim, {"from": author})
    registry.flagNearDuplicate(copy, original, 4, {"from": registrar})

    with err.reverts_with(FLAGGED, copy, original, 4):
        registry.awardClaim(author, claim, {"from": registrar})


def test_confirm_overriding_succeeds_for_registrar_and_records_reason(registry, registrar, pair, status):
    original, copy = pair
    registry.flagNearDuplicate(copy, original, 4, {"from": registrar})

    tx = registry.confirmOverriding(copy, REASON, {"from": registrar})

    assert registry.statusOf(copy) == status.CONFIRMED
    assert "WorkConfirmed" in tx.events
    ev = tx.events["NearDuplicateOverridden"]
    assert (ev["workId"], ev["ofWorkId"], ev["registrar"], ev["distance"], ev["reason"]) == (
        copy, original, registrar, 4, REASON)
    assert str(registry.nearDuplicateOf(copy)[0]) == "0x" + "00" * 32


@pytest.mark.parametrize("caller", ["cmo", "author", "coauthor", "rando", "governor"])
def test_confirm_overriding_reverts_when_caller_not_registrar(registry, err, role, registrar, pair, request, caller):
    original, copy = pair
    registry.flagNearDuplicate(copy, original, 4, {"from": registrar})
    sender = request.getfixturevalue(caller)

    with err.unauthorized(sender, role.REGISTRAR):
        registry.confirmOverriding(copy, REASON, {"from": sender})


def test_confirm_overriding_reverts_when_not_flagged(registry, err, registrar, pair):
    _, copy = pair

    with err.reverts_with(NOT_FLAGGED, copy):
        registry.confirmOverriding(copy, REASON, {"from": registrar})


@pytest.mark.parametrize("reason", ["", "x" * 281])
def test_confirm_overriding_reverts_when_reason_empty_or_too_long(registry, err, registrar, pair, reason):
    original, copy = pair
    registry.flagNearDuplicate(copy, original, 4, {"from": registrar})

    with err.reverts_with(BAD_REASON, len(reason), 280):
        registry.confirmOverriding(copy, reason, {"from": registrar})


def test_unflagged_work_confirms_as_before(registry, registrar, register_work, status):
    work = register_work("plain")

    registry.confirm(work, {"from": registrar})

    assert registry.statusOf(work) == status.CONFIRMED


def test_flag_does_not_survive_a_rejection_and_reregistration(registry, registrar, pair, kit, author, status, chain):
    original, copy = pair
    registry.flagNearDuplicate(copy, original, 4, {"from": registrar})
    registry.reject(copy, 1, kit.cid_for("r"), {"from": registrar})
    chain.sleep(1)
    registry.register((copy, kit.cid_for("new"), 2, 1, [(str(author), WHOLE)]), {"from": author})

    registry.confirm(copy, {"from": registrar})  # the new registration starts unflagged

    assert registry.statusOf(copy) == status.CONFIRMED
