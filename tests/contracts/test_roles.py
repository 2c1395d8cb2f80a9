"""LedgerRoles: who grants which role, real-name verification, and the registry's live
role checks (SPECIFICATION.md R1-R7)."""

import pytest

GOVERNED_ROLES = ["REGISTRAR", "CMO", "LICENSEE", "AUDITOR", "GOVERNOR"]
NON_GOVERNORS = ["registrar", "author", "rando"]


def _members(roles, role_id):
    return [roles.getRoleMember(role_id, i) for i in range(roles.getRoleMemberCount(role_id))]


# --- R1: the governor grants and revokes every role but HOLDER ----------------------------


@pytest.mark.parametrize("name", GOVERNED_ROLES)
def test_grant_role_succeeds_for_governor(roles, governor, rando, role, name):
    role_id = getattr(role, name)
    before = roles.getRoleMemberCount(role_id)

    roles.grantRole(role_id, rando, {"from": governor})

    assert roles.hasRole(role_id, rando)
    assert roles.getRoleMemberCount(role_id) == before + 1
    assert rando in _members(roles, role_id)


@pytest.mark.parametrize("name", GOVERNED_ROLES)
def test_revoke_role_succeeds_for_governor(roles, governor, rando, role, name):
    role_id = getattr(role, name)
    roles.grantRole(role_id, rando, {"from": governor})

    roles.revokeRole(role_id, rando, {"from": governor})

    assert not roles.hasRole(role_id, rando)
    assert rando not in _members(roles, role_id)


@pytest.mark.parametrize("caller", NON_GOVERNORS)
@pytest.mark.parametrize("name", GOVERNED_ROLES)
def test_grant_role_reverts_when_caller_not_governor(roles, rando, role, err, request, caller, name):
    sender = request.getfixturevalue(caller)
    with err.unauthorized(sender, role.GOVERNOR):
        roles.grantRole(getattr(role, name), rando, {"from": sender})
    assert not roles.hasRole(getattr(role, name), rando)


@pytest.mark.parametrize("caller", ["registrar", "rando"])
@pytest.mark.parametrize("name", ["REGISTRAR", "CMO", "LICENSEE", "AUDITOR"])
def test_revoke_role_reverts_when_caller_not_governor(roles, role, err, request, caller, name):
    holder_of_role = {
        "REGISTRAR": "registrar", "CMO": "cmo", "LICENSEE": "licensee", "AUDITOR": "auditor"
    }[name]
    target = request.getfixturevalue(holder_of_role)
    sender = request.getfixturevalue(caller)
    with err.unauthorized(sender, role.GOVERNOR):
        roles.revokeRole(getattr(role, name), target, {"from": sender})
    assert roles.hasRole(getattr(role, name), target)


def test_grant_role_succeeds_for_second_governor(roles, governor, rando, author, role):
    roles.grantRole(role.GOVERNOR, author, {"from": governor})

    roles.grantRole(role.CMO, rando, {"from": author})

    assert roles.hasRole(role.CMO, rando)
    assert roles.getRoleMemberCount(role.GOVERNOR) == 2


# --- R2: HOLDER_ROLE's admin is REGISTRAR_ROLE --------------------------------------------


def test_get_role_admin_is_registrar_for_holder_and_governor_otherwise(roles, role):
    assert roles.getRoleAdmin(role.HOLDER) == role.REGISTRAR
    for name in GOVERNED_ROLES:
        assert roles.getRoleAdmin(getattr(role, name)) == role.GOVERNOR


def test_grant_holder_succeeds_for_registrar(roles, registrar, rando, role):
    roles.grantRole(role.HOLDER, rando, {"from": registrar})
    assert roles.hasRole(role.HOLDER, rando)


def test_revoke_holder_succeeds_for_registrar(roles, registrar, author, role):
    roles.revokeRole(role.HOLDER, author, {"from": registrar})
    assert not roles.hasRole(role.HOLDER, author)


def test_grant_holder_reverts_when_caller_is_governor(roles, governor, rando, role, err):
    with err.unauthorized(governor, role.REGISTRAR):
        roles.grantRole(role.HOLDER, rando, {"from": governor})
    assert not roles.hasRole(role.HOLDER, rando)


def test_revoke_holder_reverts_when_caller_is_governor(roles, governor, author, role, err):
    with err.unauthorized(governor, role.REGISTRAR):
        roles.revokeRole(role.HOLDER, author, {"from": governor})
    assert roles.hasRole(role.HOLDER, author)


def test_grant_holder_reverts_when_caller_is_holder(roles, author, rando, role, err):
    with err.unauthorized(author, role.REGISTRAR):
        roles.grantRole(role.HOLDER, rando, {"from": author})


# --- R3: a registrar verifies a holder's real name ---------------------------------------


def test_verify_holder_succeeds_for_registrar(roles, registrar, rando, role, kit):
    commitment = kit.commitment_for("rando's real name")

    roles.verifyHolder(rando, commitment, {"from": registrar})

    assert roles.identityCommitment(rando) == commitment
    assert roles.hasRole(role.HOLDER, rando)


def test_verify_holder_replaces_commitment_when_verified_again(roles, registrar, author, role, kit):
    assert roles.identityCommitment(author) == kit.commitment_for("author")
    members_before = roles.getRoleMemberCount(role.HOLDER)

    roles.verifyHolder(author, kit.commitment_for("author, corrected"), {"from": registrar})

    assert roles.identityCommitment(author) == kit.commitment_for("author, corrected")
    assert roles.hasRole(role.HOLDER, author)
    assert roles.getRoleMemberCount(role.HOLDER) == members_before


def test_identity_commitment_is_zero_when_not_verified(roles, rando, cmo):
    assert roles.identityCommitment(rando) == "0x" + "00" * 32
    assert roles.identityCommitment(cmo) == "0x" + "00" * 32


@pytest.mark.parametrize("caller", ["governor", "cmo", "author", "auditor", "rando"])
def test_verify_holder_reverts_when_caller_not_registrar(roles, rando, role, err, kit, request, caller):
    sender = request.getfixturevalue(caller)
    with err.unauthorized(sender, role.REGISTRAR):
        roles.verifyHolder(rando, kit.commitment_for("x"), {"from": sender})
    assert not roles.hasRole(role.HOLDER, rando)
    assert roles.identityCommitment(rando) == "0x" + "00" * 32


def test_verify_holder_reverts_when_account_is_zero(roles, registrar, err, kit):
    with err.reverts_with("LedgerRoles__ZeroAccount()"):
        roles.verifyHolder(kit.ZERO, kit.commitment_for("x"), {"from": registrar})


def test_verify_holder_reverts_when_commitment_is_zero(roles, registrar, rando, role, err):
    with err.reverts_with("LedgerRoles__EmptyCommitment()"):
        roles.verifyHolder(rando, "0x" + "00" * 32, {"from": registrar})
    assert not roles.hasRole(role.HOLDER, rando)


# --- R4: deployment ----------------------------------------------------------------------


def test_deploy_makes_governor_sole_admin(governor, rando, role):
    from brownie import LedgerRoles

    fresh = LedgerRoles.deploy(rando, {"from": governor})

    assert fresh.hasRole(role.GOVERNOR, rando)
    assert not fresh.hasRole(role.GOVERNOR, governor)
    assert fresh.getRoleMemberCount(role.GOVERNOR) == 1
    for name in ["REGISTRAR", "CMO", "HOLDER", "LICENSEE", "AUDITOR"]:
        assert fresh.getRoleMemberCount(getattr(role, name)) == 0
    assert fresh.getRoleAdmin(role.HOLDER) == role.REGISTRAR
    assert fresh.GOVERNOR_ROLE() == role.GOVERNOR
    assert fresh.REGISTRAR_ROLE() == role.REGISTRAR
    assert fresh.HOLDER_ROLE() == role.HOLDER


def test_deploy_reverts_when_governor_is_zero(governor, err, kit):
    from brownie import LedgerRoles

    with err.reverts_with("LedgerRoles__ZeroAccount()"):
        LedgerRoles.deploy(kit.ZERO, {"from": governor})


# --- R5: renouncing ----------------------------------------------------------------------


def test_renounce_role_succeeds_for_own_role(roles, registrar, role):
    roles.renounceRole(role.REGISTRAR, registrar, {"from": registrar})
    assert not roles.hasRole(role.REGISTRAR, registrar)


def test_renounce_role_reverts_when_account_not_caller(roles, governor, registrar, role, err):
    with err.reverts_with("AccessControlBadConfirmation()"):
        roles.renounceRole(role.REGISTRAR, registrar, {"from": governor})
    assert roles.hasRole(role.REGISTRAR, registrar)


# --- R6: the registry reads roles live from LedgerRoles -----------------------------------


def test_registry_roles_is_ledger_roles(registry, roles):
    assert registry.roles() == roles.address


def test_confirm_succeeds_after_registrar_granted(registry, roles, governor, rando, role, register_work, status):
    work_id = register_work()
    roles.grantRole(role.REGISTRAR, rando, {"from": governor})

    registry.confirm(work_id, {"from": rando})

    assert registry.statusOf(work_id) == status.CONFIRMED


def test_confirm_reverts_after_registrar_revoked(registry, roles, governor, registrar, role, err, register_work,
                                                 status):
    work_id = register_work()
    roles.revokeRole(role.REGISTRAR, registrar, {"from": governor})

    with err.unauthorized(registrar, role.REGISTRAR):
        registry.confirm(work_id, {"from": registrar})
    assert registry.statusOf(work_id) == status.PENDING


def test_register_reverts_after_holder_revoked(registry, roles, registrar, author, role, err, make_registration, kit):
    roles.revokeRole(role.HOLDER, author, {"from": registrar})

    with err.unauthorized(author, role.HOLDER):
        registry.register(make_registration("w", [(author, kit.WHOLE)]), {"from": author})


# --- R7: LICENSEE and AUDITOR read; they do not write to the registry ---------------------


def test_role_members_listed_for_auditor(roles, registry, auditor, registrar, role, confirmed_work, status):
    work_id = confirmed_work()

    assert roles.getRoleMemberCount.call(role.REGISTRAR, {"from": auditor}) == 1
    assert roles.getRoleMember.call(role.REGISTRAR, 0, {"from": auditor}) == registrar
    assert registry.statusOf.call(work_id, {"from": auditor}) == status.CONFIRMED


@pytest.mark.parametrize("caller", ["licensee", "auditor"])
def test_register_reverts_when_caller_is_licensee_or_auditor(registry, role, err, make_registration, request, caller):
    sender = request.getfixturevalue(caller)
    with err.unauthorized(sender, role.HOLDER):
        registry.register(make_registration("w", [(sender, 10_000)]), {"from": sender})


@pytest.mark.parametrize("caller", ["licensee", "auditor"])
def test_confirm_reverts_when_caller_is_licensee_or_auditor(registry, role, err, register_work, request, caller):
    work_id = register_work()
    sender = request.getfixturevalue(caller)
    with err.unauthorized(sender, role.REGISTRAR):
        registry.confirm(work_id, {"from": sender})


@pytest.mark.parametrize("caller", ["licensee", "auditor"])
def test_open_dispute_reverts_when_caller_is_licensee_or_auditor(registry, role, err, kit, confirmed_work, request,
                                                                 caller):
    work_id = confirmed_work()
    sender = request.getfixturevalue(caller)
    with err.reverts_with("WorkRegistry__NotEntitledToDispute(bytes32,address)", work_id, sender):
        registry.openDispute(work_id, kit.cid_for("evidence"), {"from": sender})
