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


# --- R8a: listeners are detected by ERC-165, removable, and never block a role change ---------

INVALID_LISTENER = "LedgerRoles__InvalidListener(address)"


@pytest.mark.parametrize("kind", ["LicenceRegistry", "AttestationRegistry"])
def test_add_role_listener_reverts_for_role_gated_contract_that_is_no_listener(roles, registry, governor, err, kind):
    """The attack (a governor mistake): a RoleGated contract answers roles() == LedgerRoles but
    has no roleChanged; once added, every grant, revoke and verifyHolder reverted for ever."""
    import brownie

    other = getattr(brownie, kind).deploy(roles, registry, {"from": governor})
    with err.reverts_with(INVALID_LISTENER, other.address):
        roles.addRoleListener(other, {"from": governor})
    assert list(roles.roleListeners()) == []


def test_registry_declares_role_listener_through_erc165(registry):
    from eth_utils import keccak

    ids = [keccak(text=sig)[:4] for sig in ("roleChanged(bytes32,address,bool)", "roleListenerRemoved()")]
    listener_id = "0x" + bytes(a ^ b for a, b in zip(*ids, strict=True)).hex()
    assert registry.supportsInterface(listener_id)
    assert registry.supportsInterface("0x01ffc9a7")  # IERC165
    assert not registry.supportsInterface("0xffffffff")


@pytest.mark.parametrize("mode", [1, 2], ids=["reverts", "burns-gas"])
def test_revocation_succeeds_when_a_listener_fails(roles, mirrored, governor, registrar, cmo, role, mode):
    """Even a listener that reverts or burns all its gas cannot block a revocation: the
    compromised account loses its role, the failure is an event, other listeners follow."""
    from brownie import HostileRoleListener

    hostile = HostileRoleListener.deploy(roles, mode, {"from": governor})
    roles.addRoleListener(hostile, {"from": governor})

    tx = roles.revokeRole(role.CMO, cmo, {"from": governor})

    assert not roles.hasRole(role.CMO, cmo)
    assert not mirrored.mirroredRole(role.CMO, cmo)
    failed = tx.events["RoleListenerFailed"]
    assert (failed["listener"], failed["account"], failed["granted"]) == (hostile.address, cmo, False)
    roles.verifyHolder(cmo, "0x" + "11" * 32, {"from": registrar})  # grants still work too
    assert roles.hasRole(role.HOLDER, cmo)


def test_revocation_reverts_when_sent_with_too_little_gas_for_listeners(roles, mirrored, governor, cmo, role):
    """Nobody can make a listener miss a change by starving it: the whole change reverts."""
    from brownie.exceptions import VirtualMachineError

    with pytest.raises(VirtualMachineError) as info:
        roles.revokeRole(role.CMO, cmo, {"from": governor, "gas_limit": 75_000, "allow_revert": True})
    assert "LedgerRoles__NotEnoughGasForListener" in str(info.value.revert_msg)
    assert roles.hasRole(role.CMO, cmo)
    assert mirrored.mirroredRole(role.CMO, cmo)


def test_remove_role_listener_succeeds_for_governor_and_the_mirror_stops_answering(roles, mirrored, governor, cmo,
                                                                                  role, err, kit):
    """After removal no change reaches the registry; it asks LedgerRoles for everything, so a
    revocation after the removal still takes effect there."""
    tx = roles.removeRoleListener(mirrored, {"from": governor})
    assert tx.events["RoleListenerRemoved"]["listener"] == mirrored.address
    assert "RoleMirrorDisabled" in tx.events
    assert list(roles.roleListeners()) == []

    roles.revokeRole(role.CMO, cmo, {"from": governor})

    assert not mirrored.mirroredRole(role.CMO, cmo)
    with err.unauthorized(cmo, role.HOLDER):
        mirrored.registerSole(kit.content_hash("w"), kit.content_hash("m"), 2, 1, {"from": cmo})


def test_remove_role_listener_succeeds_for_a_listener_that_fails(roles, governor, role):
    from brownie import HostileRoleListener

    hostile = HostileRoleListener.deploy(roles, 2, {"from": governor})
    roles.addRoleListener(hostile, {"from": governor})
    roles.removeRoleListener(hostile, {"from": governor})
    assert list(roles.roleListeners()) == []


def test_remove_role_listener_reverts_when_caller_not_governor(roles, mirrored, registrar, err, role):
    with err.unauthorized(registrar, role.GOVERNOR):
        roles.removeRoleListener(mirrored, {"from": registrar})
    assert list(roles.roleListeners()) == [mirrored.address]


def test_remove_role_listener_reverts_for_unknown_listener(roles, registry, governor, err):
    with err.reverts_with(INVALID_LISTENER, registry.address):
        roles.removeRoleListener(registry, {"from": governor})


def test_role_listener_removed_reverts_when_caller_not_roles_contract(mirrored, rando, err):
    with err.reverts_with("WorkRegistry__NotRolesContract(address)", rando.address):
        mirrored.roleListenerRemoved({"from": rando})


# --- R8b: the mirror never disagrees with LedgerRoles (finding 10) --------------------------


def test_mirror_sees_a_role_granted_before_the_listener_was_added(roles, governor, registrar, spare, role, kit,
                                                                  status):
    """The attack: an account granted REGISTRAR before the listener existed, then HOLDER after;
    the mirror knew the account (HOLDER bit) and denied REGISTRAR, which LedgerRoles grants."""
    acct = spare[0]
    roles.grantRole(role.REGISTRAR, acct, {"from": governor})
    reg = WorkRegistry.deploy(roles, ZERO, {"from": governor})
    roles.addRoleListener(reg, {"from": governor})  # no sync
    roles.grantRole(role.HOLDER, acct, {"from": registrar})  # now the mirror has heard of acct

    assert reg.mirroredRole(role.REGISTRAR, acct) == roles.hasRole(role.REGISTRAR, acct) is True
    reg.registerSole(kit.content_hash("w"), kit.content_hash("m"), 2, 1, {"from": acct})
    reg.confirm(kit.content_hash("w"), {"from": acct})
    assert reg.statusOf(kit.content_hash("w")) == status.CONFIRMED


def test_mirror_answers_from_ledger_roles_for_what_it_never_heard(roles, governor, cmo, role):
    reg = WorkRegistry.deploy(roles, ZERO, {"from": governor})
    roles.addRoleListener(reg, {"from": governor})
    assert reg.mirroredRole(role.CMO, cmo)  # granted before the listener, never synced
    roles.revokeRole(role.CMO, cmo, {"from": governor})
    assert not reg.mirroredRole(role.CMO, cmo)
