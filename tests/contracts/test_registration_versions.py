"""Registry versions (SPECIFICATION.md R18, R18a; issue 12 finding 3): a work id is live at
most once across the whole chain of registry versions, and exactly one version accepts new
works at any time (a retired one refuses them; its works stay readable and managed there)."""

import pytest
from brownie import WorkRegistry

ALREADY = "WorkRegistry__AlreadyRegistered(bytes32,uint8)"
RETIRED = "WorkRegistry__Retired(address)"
NOT_RETIRED = "WorkRegistry__PredecessorNotRetired(address)"
INVALID_SUCCESSOR = "WorkRegistry__InvalidSuccessor(address)"


@pytest.fixture
def v2(roles, registry, governor):
    nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
    registry.retire(nxt, {"from": governor})
    return nxt


@pytest.fixture
def v3(roles, v2, governor):
    nxt = WorkRegistry.deploy(roles, v2, {"from": governor})
    v2.retire(nxt, {"from": governor})
    return nxt


def _sole(author, kit, seed="w"):
    return (kit.content_hash(seed), kit.cid_for("meta:" + seed), 2, 1, [(str(author), kit.WHOLE)])


# --- R18: unique across the whole chain ---------------------------------------------------


def test_register_reverts_in_v3_when_live_in_v1(registry, registrar, author, err, status, kit, roles, governor):
    """The attack: v3 looked back one version only, so a hash live in v1 registered again in v3."""
    registry.register(_sole(author, kit), {"from": author})
    registry.confirm(kit.content_hash("w"), {"from": registrar})
    v2 = WorkRegistry.deploy(roles, registry, {"from": governor})
    registry.retire(v2, {"from": governor})
    v3 = WorkRegistry.deploy(roles, v2, {"from": governor})
    v2.retire(v3, {"from": governor})

    with err.reverts_with(ALREADY, kit.content_hash("w"), status.CONFIRMED):
        v3.register(_sole(author, kit), {"from": author})
    with err.reverts_with(ALREADY, kit.content_hash("w"), status.CONFIRMED):
        v3.registerSole(kit.content_hash("w"), kit.content_hash("meta"), 2, 1, {"from": author})
    assert v3.statusOf(kit.content_hash("w")) == status.NONE
    assert v3.chainStatusOf(kit.content_hash("w")) == status.CONFIRMED


def test_register_succeeds_in_v3_when_rejected_in_an_older_version(roles, governor, registry, registrar, author,
                                                                    coauthor, status, kit):
    registry_id = kit.content_hash("w")
    registry.register(_sole(author, kit), {"from": author})
    registry.reject(registry_id, 1, kit.cid_for("r"), {"from": registrar})
    v2 = WorkRegistry.deploy(roles, registry, {"from": governor})
    registry.retire(v2, {"from": governor})
    v3 = WorkRegistry.deploy(roles, v2, {"from": governor})
    v2.retire(v3, {"from": governor})

    v3.register(_sole(coauthor, kit), {"from": coauthor})

    assert v3.statusOf(registry_id) == status.PENDING
    assert v3.chainStatusOf(registry_id) == status.PENDING


def test_chain_status_of_is_none_for_unknown_hash(v3, status, kit):
    assert v3.chainStatusOf(kit.content_hash("never")) == status.NONE


# --- R18a: one version accepts new works at a time ----------------------------------------


def test_register_reverts_when_registry_retired(registry, v2, author, err, status, kit):
    """The attack: a retired registry still accepted registrations."""
    with err.reverts_with(RETIRED, v2):
        registry.register(_sole(author, kit), {"from": author})
    with err.reverts_with(RETIRED, v2):
        registry.registerSole(kit.content_hash("w"), kit.content_hash("meta"), 2, 1, {"from": author})
    with err.reverts_with(RETIRED, v2):
        registry.registerBatch([_sole(author, kit)], {"from": author})
    with err.reverts_with(RETIRED, v2):
        registry.registerSoleBatch([(kit.content_hash("w"), kit.content_hash("m"), str(author), 2, 1)],
                                   {"from": author})
    assert registry.statusOf(kit.content_hash("w")) == status.NONE


def test_file_claim_reverts_when_registry_retired(registry, roles, governor, author, coauthor, err, kit):
    registry.register(_sole(author, kit), {"from": author})
    nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
    registry.retire(nxt, {"from": governor})
    with err.reverts_with(RETIRED, nxt):
        registry.fileClaim(_sole(coauthor, kit), {"from": coauthor})


def test_retired_registry_still_confirms_transfers_and_reads(registry, roles, governor, registrar, author,
                                                              coauthor, status, kit):
    registry.register(_sole(author, kit), {"from": author})
    nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
    registry.retire(nxt, {"from": governor})

    registry.confirm(kit.content_hash("w"), {"from": registrar})
    registry.transferShare(kit.content_hash("w"), coauthor, 1000, {"from": author})

    assert registry.statusOf(kit.content_hash("w")) == status.CONFIRMED
    assert registry.shareOf(kit.content_hash("w"), coauthor) == 1000
    assert registry.successor() == nxt


def test_successor_refuses_new_works_until_predecessor_retired(registry, roles, governor, author, err, status, kit):
    nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
    with err.reverts_with(NOT_RETIRED, registry):
        nxt.register(_sole(author, kit), {"from": author})

    registry.retire(nxt, {"from": governor})
    nxt.register(_sole(author, kit), {"from": author})

    assert nxt.statusOf(kit.content_hash("w")) == status.PENDING


def test_retire_succeeds_for_governor(registry, roles, governor):
    nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
    tx = registry.retire(nxt, {"from": governor})
    assert tx.events["RegistryRetired"]["successor"] == nxt
    assert tx.events["RegistryRetired"]["governor"] == governor
    assert registry.successor() == nxt


def test_retire_reverts_when_caller_not_governor(registry, roles, governor, registrar, err, role, kit):
    nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
    with err.unauthorized(registrar, role.GOVERNOR):
        registry.retire(nxt, {"from": registrar})
    assert registry.successor() == kit.ZERO


def test_retire_reverts_for_a_registry_that_does_not_succeed_it(registry, roles, governor, err, kit):
    stranger = WorkRegistry.deploy(roles, kit.ZERO, {"from": governor})
    with err.reverts_with(INVALID_SUCCESSOR, stranger):
        registry.retire(stranger, {"from": governor})
    with err.reverts_with(INVALID_SUCCESSOR, kit.ZERO):
        registry.retire(kit.ZERO, {"from": governor})


def test_retire_reverts_when_already_retired(registry, v2, roles, governor, err):
    other = WorkRegistry.deploy(roles, registry, {"from": governor})
    with err.reverts_with(RETIRED, v2):
        registry.retire(other, {"from": governor})
