"""Roles domain: LedgerRoles grants, revocations, role admins and real-name commitments.

State section ``roles``: ``{"members": {role: {account: true}}, "admins": {role: adminRole},
"identities": {account: commitment}}``; roles and commitments as 0x hex. Role listeners
(contracts LedgerRoles notifies of role changes, e.g. WorkRegistry's mirror) add
``"listeners": {listener: {role: {account: granted}}}`` from RoleListenerAdded and each
listener's RoleMirrored events; the check wants every mirrored role of every account seen
to equal both the replayed LedgerRoles membership and the listener's ``mirroredRole`` view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.audit.core import Call, Mismatch, State, call_many, check, reducer
from ledger.core.chain import role_name
from ledger.core.events import Event
from ledger.core.types import hex0x as _hex

if TYPE_CHECKING:
    from ledger.domain.works import Ledger

GOVERNOR = "0x" + "00" * 32



def _roles(state: State) -> dict:
    s = state.section("roles")
    if not s:
        s.update({"members": {}, "admins": {}, "identities": {}})
    return s


@reducer("RoleGranted")
def role_granted(state: State, ev: Event) -> None:
    members = _roles(state)["members"].setdefault(_hex(ev.args["role"]), {})
    if ev.args["account"] in members:
        state.flag(ev, f"{ev.args['account']} already held {role_name(ev.args['role'])}")
    members[ev.args["account"]] = True


@reducer("RoleRevoked")
def role_revoked(state: State, ev: Event) -> None:
    members = _roles(state)["members"].setdefault(_hex(ev.args["role"]), {})
    if members.pop(ev.args["account"], None) is None:
        state.flag(ev, f"{ev.args['account']} did not hold {role_name(ev.args['role'])}")


@reducer("RoleAdminChanged")
def role_admin_changed(state: State, ev: Event) -> None:
    _roles(state)["admins"][_hex(ev.args["role"])] = _hex(ev.args["newAdminRole"])


@reducer("IdentityVerified")
def identity_verified(state: State, ev: Event) -> None:
    _roles(state)["identities"][ev.args["account"]] = _hex(ev.args["commitment"])


_COUNT = Call("getRoleMemberCount(bytes32)", ["uint256"])
_MEMBER = Call("getRoleMember(bytes32,uint256)", ["address"])
_ADMIN = Call("getRoleAdmin(bytes32)", ["bytes32"])
_IDENTITY = Call("identityCommitment(address)", ["bytes32"])


@check("roles")
def check_roles(state: State, ledger: Ledger) -> list[Mismatch]:
    from ledger.core.abicodec import checksum as to_checksum_address
    from ledger.domain.works import ROLE_IDS

    s = _roles(state)
    out: list[Mismatch] = []
    roles_addr = ledger.deployment.address("LedgerRoles")
    role_ids = sorted(set(s["members"]) | {_hex(r) for r in ROLE_IDS.values()})
    if state.touched is not None:  # incremental: the touched roles' counts, the touched accounts' membership
        return _check_roles_touched(state, ledger, s, [r for r in role_ids if state.wants(r)])
    raw = [bytes.fromhex(r[2:]) for r in role_ids]
    counts = call_many(ledger, _COUNT, [(roles_addr, (r,)) for r in raw])
    pairs = [(r, i) for r, c in zip(raw, counts, strict=True) for i in range(int(c or 0))]
    members = call_many(ledger, _MEMBER, [(roles_addr, p) for p in pairs])
    on_chain: dict[str, set[str]] = {r: set() for r in role_ids}
    for (rb, _i), m in zip(pairs, members, strict=True):
        on_chain[_hex(rb)].add(to_checksum_address(m))
    for rid in role_ids:
        replayed = set(s["members"].get(rid, {}))
        if replayed != on_chain[rid]:
            out.append(Mismatch("state", f"role {role_name(rid)}", "members differ",
                                sorted(replayed - on_chain[rid]) or None, sorted(on_chain[rid] - replayed) or None))
    admins = call_many(ledger, _ADMIN, [(roles_addr, (r,)) for r in raw])
    for rid, adm in zip(role_ids, admins, strict=True):
        expected = s["admins"].get(rid, GOVERNOR)
        if adm is not None and _hex(adm) != expected:
            out.append(Mismatch("state", f"role {role_name(rid)}", "admin role differs", expected, _hex(adm)))
    ids = sorted(s["identities"])
    out.extend(_identity_mismatches(ledger, s, roles_addr, ids))
    return out


_HAS = Call("hasRole(bytes32,address)", ["bool"])


def _check_roles_touched(state: State, ledger: Ledger, s: dict, role_ids: list[str]) -> list[Mismatch]:
    """The roles check after a resumed replay whose last checks were clean: each touched role's
    member count and admin, each touched account's membership in every role and its identity."""
    roles_addr = ledger.deployment.address("LedgerRoles")
    out: list[Mismatch] = []
    raw = [bytes.fromhex(r[2:]) for r in role_ids]
    counts = call_many(ledger, _COUNT, [(roles_addr, (r,)) for r in raw])
    admins = call_many(ledger, _ADMIN, [(roles_addr, (r,)) for r in raw])
    for rid, n, adm in zip(role_ids, counts, admins, strict=True):
        if n != len(s["members"].get(rid, {})):
            out.append(Mismatch("state", f"role {role_name(rid)}", "member count differs",
                                len(s["members"].get(rid, {})), n))
        expected = s["admins"].get(rid, GOVERNOR)
        if adm is not None and _hex(adm) != expected:
            out.append(Mismatch("state", f"role {role_name(rid)}", "admin role differs", expected, _hex(adm)))
    accounts = sorted(a for a in (state.touched or ()) if isinstance(a, str) and len(a) == 42 and a[:2] == "0x")
    all_roles = sorted(set(s["members"]))
    pairs = [(r, a) for r in all_roles for a in accounts]
    got = call_many(ledger, _HAS, [(roles_addr, (bytes.fromhex(r[2:]), a)) for r, a in pairs])
    for (r, a), v in zip(pairs, got, strict=True):
        mine = a in s["members"].get(r, {})
        if v is not None and v != mine:
            out.append(Mismatch("state", f"role {role_name(r)}", f"membership of {a} differs", mine, v))
    ids = [a for a in sorted(s["identities"]) if a in accounts]
    out.extend(_identity_mismatches(ledger, s, roles_addr, ids))
    return out


# --- role listeners (the WorkRegistry mirror) -----------------------------------------------

MIRRORED = ("REGISTRAR", "CMO", "HOLDER")  # the roles WorkRegistry keeps a bit for


def _listeners(state: State) -> dict:
    return _roles(state).setdefault("listeners", {})


@reducer("RoleListenerAdded")
def role_listener_added(state: State, ev: Event) -> None:
    listeners = _listeners(state)
    if ev.args["listener"] in listeners:
        state.flag(ev, f"listener {ev.args['listener']} added twice")
    listeners.setdefault(ev.args["listener"], {})


@reducer("RoleListenerRemoved")
def role_listener_removed(state: State, ev: Event) -> None:
    listener = ev.args["listener"]
    if listener not in _listeners(state):
        state.flag(ev, f"listener {listener} removed without being added")
    _roles(state).setdefault("removedListeners", {})[listener] = ev.block


@reducer("RoleListenerFailed")
def role_listener_failed(state: State, ev: Event) -> None:
    """A listener missed a change: harmless for a foreign listener, a finding for ours (its
    mirror would answer from a stale bit), so it is flagged and the check reads its view."""
    a = ev.args
    state.flag(ev, f"listener {a['listener']} failed on {role_name(a['role'])} for {a['account']}")


@reducer("RoleMirrorDisabled")
def role_mirror_disabled(state: State, ev: Event) -> None:
    _roles(state).setdefault("mirrorsOff", {})[ev.address] = ev.block


@reducer("RoleMirrored")
def role_mirrored(state: State, ev: Event) -> None:
    listeners = _listeners(state)
    if ev.address not in listeners:
        state.flag(ev, f"{ev.address} mirrors roles without being a listener of LedgerRoles")
    mirror = listeners.setdefault(ev.address, {})
    role, account, granted = _hex(ev.args["role"]), ev.args["account"], bool(ev.args["granted"])
    members = _roles(state)["members"].get(role, {})
    if (account in members) != granted:
        state.flag(ev, f"mirror of {role_name(ev.args['role'])} for {account} disagrees with LedgerRoles",
                   account in members, granted)
    mirror.setdefault(role, {})[account] = granted


_MIRRORED = Call("mirroredRole(bytes32,address)", ["bool"])


@check("role-mirror")
def check_role_mirror(state: State, ledger: Ledger) -> list[Mismatch]:
    """Every listener's answer for REGISTRAR, CMO and HOLDER equals LedgerRoles for every
    account the events name: in the replayed mirror (what it never heard, or everything once
    its mirror is off, falls through to LedgerRoles) and in the listener's view."""
    from ledger.audit.core import contract_names
    from ledger.domain.works import ROLE_IDS

    s = _roles(state)
    listeners = s.get("listeners", {})
    known = contract_names(ledger)  # a listener outside the ledger's contracts is not ours to read
    out: list[Mismatch] = []
    items = []
    for r in (_hex(ROLE_IDS[name]) for name in MIRRORED):
        accounts = set(s["members"].get(r, {})) | {a for m in listeners.values() for a in m.get(r, {})}
        items += [(lst, r, a) for lst in sorted(listeners) if lst in known for a in sorted(accounts)
                  if state.wants(a, lst)]
    views = call_many(ledger, _MIRRORED, [(lst, (bytes.fromhex(r[2:]), a)) for lst, r, a in items])
    for (lst, r, a), v in zip(items, views, strict=True):
        member = a in s["members"].get(r, {})
        off = lst in s.get("mirrorsOff", {})
        replayed = member if off else listeners[lst].get(r, {}).get(a, member)
        where = f"mirror of {role_name(bytes.fromhex(r[2:]))} for {a} in {lst}"
        if replayed != member:
            out.append(Mismatch("state", where, "the replayed mirror differs from LedgerRoles", member, replayed))
        if v is not None and v != member:
            out.append(Mismatch("state", where, "mirroredRole differs from LedgerRoles", member, v))
    return out


def _identity_mismatches(ledger: Ledger, s: dict, roles_addr: str, ids: list[str]) -> list[Mismatch]:
    """The real-name commitments of ``ids`` on chain against the replayed ones."""
    got = call_many(ledger, _IDENTITY, [(roles_addr, (a,)) for a in ids])
    return [Mismatch("state", f"identity of {a}", "commitment differs", s["identities"][a],
                     _hex(c) if c is not None else None)
            for a, c in zip(ids, got, strict=True) if c is None or _hex(c) != s["identities"][a]]
