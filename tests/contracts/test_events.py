"""Every state change emits an event that carries enough to replay it (SPECIFICATION.md I3).

The first part checks each event's fields; the last part rebuilds the ledger from the
chain's logs alone (plain web3.py, as an auditor would) and compares it with storage.
"""

import pytest
from brownie import chain, web3
from brownie.exceptions import VirtualMachineError


def _one(tx, name):
    """The single `name` event of `tx` (fails when there is not exactly one)."""
    assert name in tx.events, f"{name} not emitted; got {list(tx.events.keys())}"
    assert len(tx.events[name]) == 1
    return tx.events[name][0]


def _hex(value):
    return "0x" + bytes(value).hex() if isinstance(value, bytes) else str(value).lower()


def _holders(value):
    return [(str(h[0]), int(h[1])) for h in value]


# --- LedgerRoles -------------------------------------------------------------------------


def test_grant_role_emits_role_granted(roles, governor, rando, role):
    tx = roles.grantRole(role.CMO, rando, {"from": governor})

    ev = _one(tx, "RoleGranted")
    assert (_hex(ev["role"]), ev["account"], ev["sender"]) == (role.CMO, rando, governor)


def test_grant_role_emits_nothing_when_already_granted(roles, governor, cmo, role):
    tx = roles.grantRole(role.CMO, cmo, {"from": governor})
    assert "RoleGranted" not in tx.events
    assert roles.getRoleMemberCount(role.CMO) == 1


def test_revoke_role_emits_role_revoked(roles, governor, cmo, role):
    tx = roles.revokeRole(role.CMO, cmo, {"from": governor})

    ev = _one(tx, "RoleRevoked")
    assert (_hex(ev["role"]), ev["account"], ev["sender"]) == (role.CMO, cmo, governor)


def test_verify_holder_emits_identity_verified_and_role_granted(roles, registrar, rando, role, kit):
    commitment = kit.commitment_for("rando")

    tx = roles.verifyHolder(rando, commitment, {"from": registrar})

    ev = _one(tx, "IdentityVerified")
    assert (ev["account"], _hex(ev["commitment"]), ev["registrar"]) == (rando, commitment, registrar)
    granted = _one(tx, "RoleGranted")
    assert (_hex(granted["role"]), granted["account"], granted["sender"]) == (role.HOLDER, rando, registrar)


def test_verify_holder_emits_identity_verified_when_reverified(roles, registrar, author, kit):
    tx = roles.verifyHolder(author, kit.commitment_for("new"), {"from": registrar})

    assert _hex(_one(tx, "IdentityVerified")["commitment"]) == kit.commitment_for("new")
    assert "RoleGranted" not in tx.events


# --- WorkRegistry ---------------------------------------------------------------------------


def test_register_emits_work_registered(registry, cmo, author, coauthor, make_registration, kit):
    r = make_registration("w", [(coauthor, 2500), (author, 7500)], work_type=4, creation_mode=3)

    tx = registry.register(r, {"from": cmo})

    ev = _one(tx, "WorkRegistered")
    assert _hex(ev["workId"]) == r[0]
    assert ev["registrant"] == cmo
    assert (ev["workType"], ev["creationMode"]) == (4, 3)
    assert _hex(ev["metadataCid"]) == "0x" + r[1].hex()
    assert _holders(ev["holders"]) == [(str(coauthor), 2500), (str(author), 7500)]


def test_register_batch_emits_one_event_per_work(registry, cmo, author, make_registration, kit):
    rs = [make_registration(f"b{i}", [(author, kit.WHOLE)], work_type=1 + i) for i in range(3)]

    tx = registry.registerBatch(rs, {"from": cmo})

    events = tx.events["WorkRegistered"]
    assert [_hex(e["workId"]) for e in events] == [r[0] for r in rs]
    assert [e["workType"] for e in events] == [1, 2, 3]
    assert [_hex(e["metadataCid"]) for e in events] == ["0x" + r[1].hex() for r in rs]


def test_confirm_emits_work_confirmed(registry, registrar, register_work):
    work_id = register_work()

    ev = _one(registry.confirm(work_id, {"from": registrar}), "WorkConfirmed")

    assert (_hex(ev["workId"]), ev["registrar"]) == (work_id, registrar)


def test_confirm_batch_emits_one_event_per_work(registry, registrar, register_work):
    ids = [register_work(f"w{i}") for i in range(3)]

    tx = registry.confirmBatch(ids, {"from": registrar})

    assert [(_hex(e["workId"]), e["registrar"]) for e in tx.events["WorkConfirmed"]] == [(i, registrar) for i in ids]


def test_reject_emits_work_rejected(registry, registrar, register_work, kit):
    work_id = register_work()
    reason = kit.cid_for("the reason")

    ev = _one(registry.reject(work_id, 513, reason, {"from": registrar}), "WorkRejected")

    assert (_hex(ev["workId"]), ev["registrar"], ev["reasonCode"]) == (work_id, registrar, 513)
    assert _hex(ev["reasonCid"]) == "0x" + reason.hex()


def test_consent_emits_action_consented(registry, co_owned_work, author, coauthor, spare):
    work_id = co_owned_work()
    action = registry.transferActionHash(work_id, author, spare[0], 100)

    ev = _one(registry.consent(work_id, action, {"from": coauthor}), "ActionConsented")

    assert (_hex(ev["workId"]), ev["holder"], _hex(ev["actionHash"])) == (work_id, coauthor, str(action).lower())


def test_transfer_share_emits_share_transferred(registry, confirmed_work, author, spare):
    work_id = confirmed_work()

    ev = _one(registry.transferShare(work_id, spare[0], 2500, {"from": author}), "ShareTransferred")

    assert (_hex(ev["workId"]), ev["from"], ev["to"], ev["bps"]) == (work_id, author, spare[0], 2500)


def test_reserve_uses_emits_uses_reserved(registry, co_owned_work, coauthor):
    work_id = co_owned_work()

    ev = _one(registry.reserveUses(work_id, 0b100101, {"from": coauthor}), "UsesReserved")

    assert (_hex(ev["workId"]), ev["holder"], ev["reservedUses"]) == (work_id, coauthor, 0b100101)


def test_open_dispute_emits_dispute_opened(registry, confirmed_work, cmo, kit):
    work_id = confirmed_work()
    evidence = kit.cid_for("evidence")

    ev = _one(registry.openDispute(work_id, evidence, {"from": cmo}), "DisputeOpened")

    assert (ev["disputeId"], _hex(ev["workId"]), ev["claimant"]) == (1, work_id, cmo)
    assert _hex(ev["evidenceCid"]) == "0x" + evidence.hex()


@pytest.mark.parametrize("outcome_code", [1, 2, 3])
def test_resolve_dispute_emits_dispute_resolved(registry, registrar, disputed_work, coauthor, spare, kit,
                                                outcome_code):
    work_id, dispute_id = disputed_work()
    new_holders = [(coauthor, 8000), (spare[0], 2000)]
    reason = kit.cid_for("ruling")

    tx = registry.resolveDispute(work_id, outcome_code, new_holders, 77, reason, {"from": registrar})

    ev = _one(tx, "DisputeResolved")
    assert (ev["disputeId"], _hex(ev["workId"]), ev["registrar"]) == (dispute_id, work_id, registrar)
    assert (ev["outcome"], ev["reasonCode"], _hex(ev["reasonCid"])) == (outcome_code, 77, "0x" + reason.hex())
    expected = [(str(a), b) for a, b in new_holders] if outcome_code == 2 else []
    assert _holders(ev["holders"]) == expected


def test_reverted_call_emits_nothing(registry, rando, register_work, kit):
    work_id = register_work()
    start = chain.height
    with pytest.raises(VirtualMachineError):
        registry.confirm(work_id, {"from": rando})
    logs = web3.eth.get_logs({"address": registry.address, "fromBlock": start + 1, "toBlock": "latest"})
    assert logs == []


# --- replay: rebuild the ledger from logs alone and compare with storage -------------------

REGISTRY_EVENTS = [
    "WorkRegistered", "WorkConfirmed", "WorkRejected", "ActionConsented", "ShareTransferred",
    "UsesReserved", "DisputeOpened", "DisputeResolved",
]
ROLE_EVENTS = ["RoleGranted", "RoleRevoked", "IdentityVerified"]


def _logs(contract, names, from_block):
    """Decoded logs of `contract` from `from_block`, in chain order (plain web3.py)."""
    c = web3.eth.contract(address=contract.address, abi=contract.abi)
    found = []
    for name in names:
        found.extend(getattr(c.events, name).get_logs(from_block=from_block))
    return sorted(found, key=lambda e: (e["blockNumber"], e["logIndex"]))


def _replay_registry(logs):
    works, consents = {}, set()
    for log in logs:
        a, name = log["args"], log["event"]
        wid = "0x" + bytes(a["workId"]).hex()
        if name == "WorkRegistered":
            works[wid] = {
                "status": 1, "workType": a["workType"], "creationMode": a["creationMode"],
                "registeredAt": web3.eth.get_block(log["blockNumber"])["timestamp"],
                "holders": [(h["account"], h["bps"]) for h in a["holders"]],
                "reservedUses": 0, "openDispute": 0,  # a registration starts clean (R42)
            }
        elif name == "WorkConfirmed":
            works[wid]["status"] = 2
        elif name == "WorkRejected":
            works[wid]["status"] = 3
        elif name == "ActionConsented":
            consents.add((wid, "0x" + bytes(a["actionHash"]).hex(), a["holder"]))
        elif name == "ShareTransferred":
            hs, moved, found = [], a["bps"], False
            for acct, bps in works[wid]["holders"]:
                if acct == a["from"]:
                    bps -= moved
                if acct == a["to"]:
                    bps += moved
                    found = True
                if bps:
                    hs.append((acct, bps))
            if not found:
                hs.append((a["to"], moved))
            works[wid]["holders"] = hs
        elif name == "UsesReserved":
            works[wid]["reservedUses"] = a["reservedUses"]
        elif name == "DisputeOpened":
            works[wid]["status"], works[wid]["openDispute"] = 4, a["disputeId"]
        elif name == "DisputeResolved":
            works[wid]["openDispute"] = 0
            works[wid]["status"] = 5 if a["outcome"] == 3 else 2
            if a["outcome"] == 2:
                works[wid]["holders"] = [(h["account"], h["bps"]) for h in a["holders"]]
    return works, consents


def _replay_roles(logs):
    members, commitments = {}, {}
    for log in logs:
        a, name = log["args"], log["event"]
        if name == "RoleGranted":
            members.setdefault("0x" + bytes(a["role"]).hex(), set()).add(a["account"])
        elif name == "RoleRevoked":
            members["0x" + bytes(a["role"]).hex()].discard(a["account"])
        else:
            commitments[a["account"]] = "0x" + bytes(a["commitment"]).hex()
    return members, commitments


def test_replay_of_events_matches_chain_state(roles, registry, governor, registrar, cmo, author, coauthor, licensee,
                                              spare, role, kit, make_registration, register_work):
    start = chain.height + 1
    # roles: a new registrar, a revoked licensee, a re-verified author, a new holder
    roles.grantRole(role.REGISTRAR, spare[1], {"from": governor})
    roles.revokeRole(role.LICENSEE, licensee, {"from": governor})
    roles.verifyHolder(author, kit.commitment_for("author v2"), {"from": registrar})
    roles.verifyHolder(spare[0], kit.commitment_for("spare"), {"from": spare[1]})

    # works: a batch by the CMO, a sole work, a rejected and re-registered one
    batch = [make_registration(f"cat{i}", [(author, 6000), (coauthor, 4000)]) for i in range(3)]
    registry.registerBatch(batch, {"from": cmo})
    ids = [r[0] for r in batch]
    solo = register_work("solo")
    retried = register_work("retried", [(coauthor, kit.WHOLE)], sender=coauthor)
    registry.reject(retried, 2, kit.cid_for("no"), {"from": registrar})
    registry.register(make_registration("retried", [(author, 3000), (spare[0], 7000)]), {"from": author})
    registry.confirmBatch(ids + [solo, retried], {"from": registrar})
    pending = register_work("pending")

    # transfers with consents, reservations
    action = registry.transferActionHash(ids[0], author, spare[0], 1000)
    registry.consent(ids[0], action, {"from": coauthor})
    registry.transferShare(ids[0], spare[0], 1000, {"from": author})
    action = registry.transferActionHash(ids[1], coauthor, author, 4000)
    registry.consent(ids[1], action, {"from": author})
    registry.transferShare(ids[1], author, 4000, {"from": coauthor})
    registry.transferShare(solo, coauthor, 2500, {"from": author})
    registry.reserveUses(ids[2], 0b11, {"from": coauthor})
    registry.reserveUses(solo, 0b100, {"from": coauthor})

    # disputes: one per outcome, one left open
    for wid, outcome_code in [(ids[0], 1), (ids[1], 2), (ids[2], 3)]:
        registry.openDispute(wid, kit.cid_for("e" + wid), {"from": cmo})
        registry.resolveDispute(wid, outcome_code, [(coauthor, 5000), (spare[0], 5000)], 1, kit.cid_for("r"),
                                {"from": spare[1]})
    registry.openDispute(retried, kit.cid_for("open"), {"from": coauthor})

    works, consents = _replay_registry(_logs(registry, REGISTRY_EVENTS, start))
    assert set(works) == set(ids + [solo, retried, pending])
    for wid, w in works.items():
        view = registry.getWork(wid)
        assert (view["status"], view["workType"], view["creationMode"], view["holderCount"], view["registeredAt"],
                view["reservedUses"], view["openDispute"]) == (
            w["status"], w["workType"], w["creationMode"], len(w["holders"]), w["registeredAt"],
            w["reservedUses"], w["openDispute"]), wid
        assert _holders(registry.holdersOf(wid)) == w["holders"], wid
    assert consents
    for wid, action, holder in consents:
        assert registry.hasConsent(wid, action, holder)

    members, commitments = _replay_roles(_logs(roles, ROLE_EVENTS, 0))
    for name in ["GOVERNOR", "REGISTRAR", "CMO", "HOLDER", "LICENSEE", "AUDITOR"]:
        role_id = getattr(role, name)
        on_chain = {roles.getRoleMember(role_id, i) for i in range(roles.getRoleMemberCount(role_id))}
        assert on_chain == members.get(role_id, set()), name
    for account, commitment in commitments.items():
        assert roles.identityCommitment(account) == commitment
    assert commitments[str(author)] == kit.commitment_for("author v2")
