"""R8: the work registry mirrors REGISTRAR, CMO and HOLDER from LedgerRoles (IRoleListener)."""

import pytest
from brownie import WorkRegistry

ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def mirrored(roles, governor):
    """A registry that LedgerRoles notifies, synced with the members that exist already."""
    reg = WorkRegistry.deploy(roles, ZERO, {"from": governor})
    roles.addRoleListener(reg, {"from": governor})
    for r in (roles.REGISTRAR_ROLE(), roles.CMO_ROLE(), roles.HOLDER_ROLE()):
        roles.syncRoleListener(reg, r, 0, 50, {"from": governor})
    return reg


def test_add_role_listener_succeeds_for_governor(roles, governor, registry):
    tx = roles.addRoleListener(registry, {"from": governor})
    assert list(roles.roleListeners()) == [registry.address]
    assert tx.events["RoleListenerAdded"]["listener"] == registry.address


def test_add_role_listener_reverts_when_caller_not_governor(roles, rando, registry, err, role):
    with err.unauthorized(rando, role.GOVERNOR):
        roles.addRoleListener(registry, {"from": rando})


def test_add_role_listener_reverts_when_listed_twice(roles, governor, registry, err):
    roles.addRoleListener(registry, {"from": governor})
    with err.reverts_with("LedgerRoles__InvalidListener(address)", registry.address):
        roles.addRoleListener(registry, {"from": governor})


def test_sync_role_listener_replays_existing_members(mirrored, author, coauthor, registrar, cmo, rando, role):
    assert mirrored.mirroredRole(role.HOLDER, author)
    assert mirrored.mirroredRole(role.HOLDER, coauthor)
    assert mirrored.mirroredRole(role.REGISTRAR, registrar)
    assert mirrored.mirroredRole(role.CMO, cmo)
    assert not mirrored.mirroredRole(role.HOLDER, rando)
    assert not mirrored.mirroredRole(role.LICENSEE, author)  # not a mirrored role


def test_sync_role_listener_reverts_when_caller_not_governor(roles, mirrored, rando, err, role):
    with err.unauthorized(rando, role.GOVERNOR):
        roles.syncRoleListener(mirrored, role.HOLDER, 0, 10, {"from": rando})


def test_sync_role_listener_reverts_for_unknown_listener(roles, registry, governor, err, role):
    with err.reverts_with("LedgerRoles__InvalidListener(address)", registry.address):
        roles.syncRoleListener(registry, role.HOLDER, 0, 10, {"from": governor})


def test_role_changed_reverts_when_caller_not_roles_contract(mirrored, rando, err, role):
    with err.reverts_with("WorkRegistry__NotRolesContract(address)", rando):
        mirrored.roleChanged(role.HOLDER, rando, True, {"from": rando})


def test_mirror_follows_grant_and_revoke(roles, mirrored, governor, registrar, spare, role, err, kit):
    newcomer = spare[0]
    tx = roles.verifyHolder(newcomer, kit.commitment_for("newcomer"), {"from": registrar})
    assert tx.events["RoleMirrored"]["account"] == newcomer
    assert mirrored.mirroredRole(role.HOLDER, newcomer)
    mirrored.registerSole(kit.content_hash("n1"), kit.content_hash("meta-n1"), 2, 1, {"from": newcomer})

    roles.revokeRole(role.HOLDER, newcomer, {"from": registrar})
    assert not mirrored.mirroredRole(role.HOLDER, newcomer)
    with err.unauthorized(newcomer, role.HOLDER):
        mirrored.registerSole(kit.content_hash("n2"), kit.content_hash("meta-n2"), 2, 1, {"from": newcomer})


def test_mirror_revocation_of_one_role_keeps_the_other(roles, mirrored, governor, registrar, cmo, author, role, err,
                                                       kit):
    roles.verifyHolder(cmo, kit.commitment_for("cmo"), {"from": registrar})  # cmo is CMO and HOLDER
    roles.revokeRole(role.CMO, cmo, {"from": governor})
    assert mirrored.mirroredRole(role.HOLDER, cmo) and not mirrored.mirroredRole(role.CMO, cmo)
    # as a plain holder it may no longer register for others
    reg = (kit.content_hash("other"), kit.cid_for("m"), 2, 1, [(author.address, kit.WHOLE)])
    with err.reverts_with("WorkRegistry__NotAHolder(bytes32,address)", reg[0], cmo):
        mirrored.register(reg, {"from": cmo})


def test_mirrored_registry_confirms_for_registrar_and_refuses_others(mirrored, registrar, author, rando, role, err,
                                                                     kit, status):
    wid = kit.content_hash("c1")
    mirrored.registerSole(wid, kit.content_hash("meta-c1"), 2, 1, {"from": author})
    with err.unauthorized(rando, role.REGISTRAR):
        mirrored.confirm(wid, {"from": rando})
    mirrored.confirm(wid, {"from": registrar})
    assert mirrored.statusOf(wid) == status.CONFIRMED


def test_add_role_listener_reverts_for_an_account_without_code(roles, governor, rando, err):
    with err.reverts_with("LedgerRoles__InvalidListener(address)", rando):
        roles.addRoleListener(rando, {"from": governor})


def test_add_role_listener_reverts_for_a_registry_of_other_roles(roles, governor, err):
    from brownie import LedgerRoles

    other_roles = LedgerRoles.deploy(governor, {"from": governor})
    foreign = WorkRegistry.deploy(other_roles, ZERO, {"from": governor})
    with err.reverts_with("LedgerRoles__InvalidListener(address)", foreign.address):
        roles.addRoleListener(foreign, {"from": governor})
