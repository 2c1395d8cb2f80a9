"""WorkRegistry reservations (opt-outs) of uses (SPECIFICATION.md R40-R42)."""

import pytest

NOT_FOUND = "WorkRegistry__NotFound(bytes32)"
NOT_A_HOLDER = "WorkRegistry__NotAHolder(bytes32,address)"

AI_TRAINING = 1 << 5
BROADCAST = 1 << 4
ALL_USES = 2**32 - 1


def _reserved(registry, work_id):
    return registry.getWork(work_id)["reservedUses"]


# --- R40: a holder sets the reserved-uses mask; it replaces the old one -------------------


def test_reserve_uses_succeeds_for_holder(registry, confirmed_work, author):
    work_id = confirmed_work()
    assert _reserved(registry, work_id) == 0

    registry.reserveUses(work_id, AI_TRAINING, {"from": author})

    assert _reserved(registry, work_id) == AI_TRAINING


def test_reserve_uses_succeeds_for_any_co_owner_alone(registry, co_owned_work, coauthor):
    work_id = co_owned_work()

    registry.reserveUses(work_id, AI_TRAINING | BROADCAST, {"from": coauthor})

    assert _reserved(registry, work_id) == AI_TRAINING | BROADCAST


def test_reserve_uses_replaces_previous_mask(registry, co_owned_work, author, coauthor):
    work_id = co_owned_work()
    registry.reserveUses(work_id, AI_TRAINING | BROADCAST, {"from": author})

    registry.reserveUses(work_id, BROADCAST, {"from": coauthor})
    assert _reserved(registry, work_id) == BROADCAST

    registry.reserveUses(work_id, ALL_USES, {"from": author})
    assert _reserved(registry, work_id) == ALL_USES

    registry.reserveUses(work_id, 0, {"from": author})
    assert _reserved(registry, work_id) == 0


@pytest.mark.parametrize("name", ["PENDING", "CONFIRMED", "DISPUTED"])
def test_reserve_uses_succeeds_in_live_status(registry, author, work_in_status, name):
    work_id = work_in_status(name)
    registry.reserveUses(work_id, AI_TRAINING, {"from": author})
    assert _reserved(registry, work_id) == AI_TRAINING


@pytest.mark.parametrize("caller", ["rando", "coauthor", "cmo", "registrar", "governor"])
def test_reserve_uses_reverts_when_caller_not_holder(registry, confirmed_work, err, request, caller):
    work_id = confirmed_work()
    sender = request.getfixturevalue(caller)

    with err.reverts_with(NOT_A_HOLDER, work_id, sender):
        registry.reserveUses(work_id, AI_TRAINING, {"from": sender})
    assert _reserved(registry, work_id) == 0


def test_reserve_uses_reverts_when_work_unknown(registry, author, err, kit):
    work_id = kit.content_hash("unknown")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.reserveUses(work_id, AI_TRAINING, {"from": author})


# --- R41: reservations stay with the work when shares move --------------------------------


def test_reserve_uses_persists_when_share_transferred(registry, confirmed_work, author, spare, kit):
    work_id = confirmed_work()
    registry.reserveUses(work_id, AI_TRAINING, {"from": author})

    registry.transferShare(work_id, spare[0], kit.WHOLE, {"from": author})

    assert _reserved(registry, work_id) == AI_TRAINING
    registry.reserveUses(work_id, BROADCAST, {"from": spare[0]})
    assert _reserved(registry, work_id) == BROADCAST


def test_reserve_uses_persists_when_dispute_dismissed(registry, registrar, confirmed_work, author, coauthor, kit):
    work_id = confirmed_work()
    registry.reserveUses(work_id, AI_TRAINING, {"from": author})
    registry.openDispute(work_id, kit.cid_for("ev"), {"from": coauthor})

    registry.resolveDispute(work_id, 1, [], 0, kit.cid_for("r"), {"from": registrar})

    assert _reserved(registry, work_id) == AI_TRAINING


def test_reserve_uses_reverts_when_caller_transferred_whole_share(registry, confirmed_work, author, spare, err, kit):
    work_id = confirmed_work()
    registry.transferShare(work_id, spare[0], kit.WHOLE, {"from": author})

    with err.reverts_with(NOT_A_HOLDER, work_id, author):
        registry.reserveUses(work_id, AI_TRAINING, {"from": author})


def test_reserve_uses_reverts_when_holder_removed_by_dispute(registry, registrar, confirmed_work, author, coauthor,
                                                            err, kit):
    work_id = confirmed_work()
    registry.openDispute(work_id, kit.cid_for("ev"), {"from": coauthor})
    registry.resolveDispute(work_id, 2, [(coauthor, kit.WHOLE)], 5, kit.cid_for("r"), {"from": registrar})

    with err.reverts_with(NOT_A_HOLDER, work_id, author):
        registry.reserveUses(work_id, AI_TRAINING, {"from": author})
    registry.reserveUses(work_id, AI_TRAINING, {"from": coauthor})
    assert _reserved(registry, work_id) == AI_TRAINING


# --- R42: a re-registration after rejection starts clean ----------------------------------


def test_reserve_uses_reverts_for_rejected_claimant_after_reregistration(registry, registrar, cmo, author, rando,
                                                                         spare, err, kit, make_registration):
    claim = make_registration("w", [(spare[0], kit.WHOLE)])
    registry.register(claim, {"from": cmo})
    registry.reject(claim[0], 3, kit.cid_for("false claim"), {"from": registrar})

    registry.register(make_registration("w", [(author, kit.WHOLE)]), {"from": author})

    with err.reverts_with(NOT_A_HOLDER, claim[0], spare[0]):
        registry.reserveUses(claim[0], AI_TRAINING, {"from": spare[0]})
    registry.reserveUses(claim[0], BROADCAST, {"from": author})
    assert _reserved(registry, claim[0]) == BROADCAST


def test_register_resets_reserved_uses_when_previously_rejected(registry, registrar, cmo, author, spare, kit,
                                                                 make_registration):
    claim = make_registration("w", [(spare[0], kit.WHOLE)])
    registry.register(claim, {"from": cmo})
    registry.reserveUses(claim[0], ALL_USES, {"from": spare[0]})
    registry.reject(claim[0], 3, kit.cid_for("false claim"), {"from": registrar})

    registry.register(make_registration("w", [(author, kit.WHOLE)]), {"from": author})

    assert _reserved(registry, claim[0]) == 0
