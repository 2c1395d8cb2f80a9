"""Works domain: registration, confirmation, rejection, consents, transfers,
reservations and disputes, mirrored from WorkRegistry's rules.

State sections: ``works`` ``{workId: {registry, status, workType, creationMode, holders
[[account, bps]...], registrant, metadataCid, reservedUses, openDispute, block}}``,
``disputes`` ``{id: {workId, claimant, evidenceCid, openedAt, outcome, registrar, reasonCid}}``,
``consents`` ``{"workId:actionHash:holder": true}``, ``claims`` ``{"workId:claimant": {...}}``
(competing claims on a PENDING work), ``retired`` ``{registry: successor}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.audit.core import Call, Mismatch, State, call_many, check, reducer
from ledger.core.chain import STATUS_NAMES
from ledger.core.events import Event
from ledger.core.types import transfer_shares

if TYPE_CHECKING:
    from ledger.domain.works import Ledger

PENDING, CONFIRMED, REJECTED, DISPUTED, REVOKED = 1, 2, 3, 4, 5
WHOLE = 10_000


def _wid(ev: Event) -> str:
    return "0x" + bytes(ev.args["workId"]).hex()


def _work(state: State, ev: Event, expected: int | None = None) -> dict[str, Any] | None:
    wid = _wid(ev)
    w = state.section("works").get(wid)
    if w is None:
        state.flag(ev, f"work {wid} was never registered")
        return None
    if expected is not None and w["status"] != expected:
        state.flag(ev, f"work {wid} is {STATUS_NAMES[w['status']]}, the event needs it {STATUS_NAMES[expected]}",
                   STATUS_NAMES[expected], STATUS_NAMES[w["status"]])
    return w


@reducer("WorkRegistered")
def work_registered(state: State, ev: Event) -> None:
    a = ev.args
    wid = _wid(ev)
    works = state.section("works")
    old = works.get(wid)
    if old is not None and old["status"] != REJECTED:
        state.flag(ev, f"work {wid} registered twice", None, STATUS_NAMES[old["status"]])
    holders = [[h[0], int(h[1])] for h in a["holders"]]
    if sum(b for _, b in holders) != WHOLE:
        state.flag(ev, f"holder shares of {wid} do not sum to 10000")
    cid = state.ref_cid(a["metadataCid"], f"metadata of work {wid}", {"contentSha256": wid[2:]})
    works[wid] = {
        "registry": ev.address, "status": PENDING, "workType": int(a["workType"]),
        "creationMode": int(a["creationMode"]), "holders": holders, "registrant": a["registrant"],
        "metadataCid": cid, "reservedUses": old["reservedUses"] if old else 0, "openDispute": 0,
        "disputeOpenedAt": 0, "competingClaims": 0, "block": ev.block,
    }
    if ev.address in state.section("retired"):
        state.flag(ev, f"work {wid} registered in the retired registry {ev.address}")


@reducer("ClaimFiled")
def claim_filed(state: State, ev: Event) -> None:
    a = ev.args
    w = _work(state, ev, PENDING)
    holders = [[h[0], int(h[1])] for h in a["holders"]]
    if sum(b for _, b in holders) != WHOLE:
        state.flag(ev, f"holder shares of the claim on {_wid(ev)} do not sum to 10000")
    cid = state.ref_cid(a["metadataCid"], f"metadata of a claim on work {_wid(ev)}", {"contentSha256": _wid(ev)[2:]})
    state.section("claims")[f"{_wid(ev)}:{a['claimant']}"] = {
        "workType": int(a["workType"]), "creationMode": int(a["creationMode"]), "holders": holders,
        "metadataCid": cid, "block": ev.block,
    }
    if w is not None:
        w["competingClaims"] = min(w.get("competingClaims", 0) + 1, 255)


@reducer("ClaimAwarded")
def claim_awarded(state: State, ev: Event) -> None:
    a = ev.args
    w = _work(state, ev, PENDING)
    claim = state.section("claims").pop(f"{_wid(ev)}:{a['claimant']}", None)
    if claim is None:
        state.flag(ev, f"work {_wid(ev)} awarded to {a['claimant']}, who filed no claim on it")
    for k in [k for k in state.section("claims") if k.startswith(_wid(ev) + ":")]:
        del state.section("claims")[k]
    if w is None:
        return
    w.update({
        "status": CONFIRMED, "workType": int(a["workType"]), "creationMode": int(a["creationMode"]),
        "holders": [[h[0], int(h[1])] for h in a["holders"]], "registrant": a["claimant"],
        "metadataCid": claim["metadataCid"] if claim else w["metadataCid"], "reservedUses": 0,
        "competingClaims": 0,
    })


@reducer("ClaimsDismissed")
def claims_dismissed(state: State, ev: Event) -> None:
    w = _work(state, ev, PENDING)
    state.ref_cid(ev.args["reasonCid"], f"reason for dismissing claims on work {_wid(ev)}")
    for k in [k for k in state.section("claims") if k.startswith(_wid(ev) + ":")]:
        del state.section("claims")[k]
    if w is not None:
        w["competingClaims"] = 0


@reducer("RegistryRetired")
def registry_retired(state: State, ev: Event) -> None:
    retired = state.section("retired")
    if ev.address in retired:
        state.flag(ev, f"registry {ev.address} retired twice")
    retired[ev.address] = ev.args["successor"]


@reducer("WorkConfirmed")
def work_confirmed(state: State, ev: Event) -> None:
    w = _work(state, ev, PENDING)
    if w is not None:
        w["status"] = CONFIRMED


@reducer("WorkRejected")
def work_rejected(state: State, ev: Event) -> None:
    w = _work(state, ev, PENDING)
    state.ref_cid(ev.args["reasonCid"], f"rejection reason of work {_wid(ev)}")
    if w is not None:
        w["status"] = REJECTED


@reducer("NearDuplicateFlagged")
def near_duplicate_flagged(state: State, ev: Event) -> None:
    """Issue 18 (R27): a pending work flagged as a near-duplicate of a confirmed one."""
    w = _work(state, ev, PENDING)
    of = "0x" + bytes(ev.args["ofWorkId"]).hex()
    o = state.section("works").get(of)
    if o is None or o["status"] != CONFIRMED:
        state.flag(ev, f"work {_wid(ev)} flagged as a near-duplicate of {of}, which is not a confirmed work")
    if w is not None:
        w["nearDuplicateOf"] = of


@reducer("NearDuplicateOverridden")
def near_duplicate_overridden(state: State, ev: Event) -> None:
    """Issue 18 (R27): a flagged work confirmed anyway (its WorkConfirmed comes first in the same transaction)."""
    w = _work(state, ev, CONFIRMED)
    if w is not None:
        if w.get("nearDuplicateOf") != "0x" + bytes(ev.args["ofWorkId"]).hex():
            state.flag(ev, f"work {_wid(ev)} overridden without the matching near-duplicate flag")
        w["nearDuplicateOverride"] = ev.args["reason"]


@reducer("ActionConsented")
def action_consented(state: State, ev: Event) -> None:
    w = _work(state, ev)
    holder = ev.args["holder"]
    if w is not None and not any(h[0] == holder for h in w["holders"]):
        state.flag(ev, f"{holder} consented without holding work {_wid(ev)}")
    state.section("consents")[f"{_wid(ev)}:0x{bytes(ev.args['actionHash']).hex()}:{holder}"] = True


@reducer("ShareTransferred")
def share_transferred(state: State, ev: Event) -> None:
    w = _work(state, ev, CONFIRMED)
    if w is None:
        return
    frm, to, bps = ev.args["from"], ev.args["to"], int(ev.args["bps"])
    held = next((b for a, b in w["holders"] if a == frm), 0)
    if held < bps:
        state.flag(ev, f"{frm} transferred {bps} bps of {_wid(ev)} holding {held}")
    w["holders"] = [[a, b] for a, b in transfer_shares(w["holders"], frm, to, bps)]


@reducer("UsesReserved")
def uses_reserved(state: State, ev: Event) -> None:
    w = _work(state, ev)
    if w is not None:
        w["reservedUses"] = int(ev.args["reservedUses"])


@reducer("DisputeOpened")
def dispute_opened(state: State, ev: Event) -> None:
    w = _work(state, ev, CONFIRMED)
    did = str(int(ev.args["disputeId"]))
    cid = state.ref_cid(ev.args["evidenceCid"], f"evidence of dispute {did} over work {_wid(ev)}")
    opened = int(ev.args["openedAt"])
    state.section("disputes")[did] = {"workId": _wid(ev), "claimant": ev.args["claimant"], "evidenceCid": cid,
                                      "openedAt": opened, "outcome": None, "registrar": None, "reasonCid": None}
    if w is not None:
        w["status"] = DISPUTED
        w["openDispute"] = int(did)
        w["disputeOpenedAt"] = opened


@reducer("DisputeResolved")
def dispute_resolved(state: State, ev: Event) -> None:
    a = ev.args
    w = _work(state, ev, DISPUTED)
    did = str(int(a["disputeId"]))
    cid = state.ref_cid(a["reasonCid"], f"ruling of dispute {did} over work {_wid(ev)}")
    d = state.section("disputes").get(did)
    if d is None:
        state.flag(ev, f"dispute {did} was never opened")
    else:
        if d.get("openedAt") != int(a["openedAt"]):
            state.flag(ev, f"dispute {did} was opened at {d.get('openedAt')}, its ruling says {a['openedAt']}")
        d.update({"outcome": int(a["outcome"]), "registrar": a["registrar"], "reasonCid": cid,
                  "resolvedAt": int(a["resolvedAt"])})
    if w is None:
        return
    if w["openDispute"] != int(did):
        state.flag(ev, f"dispute {did} is not the open dispute of {_wid(ev)}", w["openDispute"], int(did))
    w["openDispute"] = 0
    w["disputeOpenedAt"] = 0
    outcome = int(a["outcome"])
    w["status"] = REVOKED if outcome == 3 else CONFIRMED
    if outcome == 2:
        w["holders"] = [[h[0], int(h[1])] for h in a["holders"]]


_GET = Call("getWork(bytes32)", ["(uint8,uint8,uint8,uint8,uint40,uint32,uint64,uint40,uint8)"])
_HOLDERS = Call("holdersOf(bytes32)", ["(address,uint16)[]"])
_CONSENT = Call("hasConsent(bytes32,bytes32,address)", ["bool"])


@check("works")
def check_works(state: State, ledger: Ledger) -> list[Mismatch]:
    from ledger.core.abicodec import checksum as to_checksum_address

    works = state.section("works")
    ids = [w for w in works if state.wants(w)]
    items = [(works[w]["registry"], (bytes.fromhex(w[2:]),)) for w in ids]
    views = call_many(ledger, _GET, items)
    holders = call_many(ledger, _HOLDERS, items)
    out: list[Mismatch] = []
    for wid, view, hs in zip(ids, views, holders, strict=True):
        w = works[wid]
        where = f"work {wid}"
        if view is None:
            out.append(Mismatch("state", where, "getWork reverted"))
            continue
        status, wtype, mode, count, _at, reserved, dispute, opened_at, claims = view
        for what, mine, theirs in (
            ("status", STATUS_NAMES[w["status"]], STATUS_NAMES.get(status, status)),
            ("workType", w["workType"], wtype), ("creationMode", w["creationMode"], mode),
            ("holderCount", len(w["holders"]), count), ("reservedUses", w["reservedUses"], reserved),
            ("openDispute", w["openDispute"], dispute),
            ("disputeOpenedAt", w.get("disputeOpenedAt", 0), opened_at),
            ("competingClaims", w.get("competingClaims", 0), claims),
        ):
            if mine != theirs:
                out.append(Mismatch("state", where, f"{what} differs", mine, theirs))
        chain_holders = [[to_checksum_address(a), int(b)] for a, b in (hs or [])]
        if chain_holders != w["holders"]:
            out.append(Mismatch("state", where, "holders differ", w["holders"], chain_holders))
    consents = [k for k in state.section("consents") if state.wants(*k.split(":"))]
    keyed = []
    for k in consents:
        wid, action, holder = k.split(":")
        keyed.append((works[wid]["registry"] if wid in works else ledger.deployment.address("WorkRegistry"),
                      (bytes.fromhex(wid[2:]), bytes.fromhex(action[2:]), holder)))
    for k, ok in zip(consents, call_many(ledger, _CONSENT, keyed), strict=True):
        if ok is not True:
            out.append(Mismatch("state", f"consent {k}", "hasConsent is false on chain", True, ok))
    return out
