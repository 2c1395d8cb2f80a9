"""Licensing domain: LicenceRegistry licences (work, list, repertoire and open licences,
with suspension and revocation), mandates, statutory tariffs, signed offers and the
settlement token, mirrored from the contract's rules.

State section ``licences``: one entry per LicenceRegistry address (retired versions
included), ``{"count", "settlementToken", "licences": {id: {...}}, "mandates":
{"workId:cmo": {uses, from, until, holder}}, "tariffs": {use: {...}}, "offers":
{"licensor:nonce": 1 used | 2 cancelled}}``. A licence keeps its terms (fees as decimal
strings, territories as 0x hex), its ``works`` in order, ``state`` (1 active, 2 suspended,
3 revoked) with ``suspendedAt``/``revokedAt`` and the reasons, ``termsCid``, an open
licence's ``code`` and an accepted offer's ``offer`` nonce. Every terms document CID is
registered for the blob check. Offer nonces and fees can exceed 2**53, so they are strings.

The reducers flag what the order of events rules out (a licence id out of sequence, a
licence of a work that is not CONFIRMED, a licensor that holds no share, a mandate for uses
the CMO was never given, a suspension of a licence that is not active, a nonce used twice
...) and, with the time of the block that holds a grant or a mandate (the replay fetches
those block times: ``timed``), the time-based rules: a CMO licenses only under a mandate
in force at the grant (R65), a licence's term has not ended when it is granted (R69), no
licence, open licence or mandate overlaps a live exclusive licence of another licensee in
use, territory and time (R70a, R72), and no exclusive licence is granted over a mandate in
force at or after its start or a live open licence (R70b). ``reg["exclusives"]`` indexes the
exclusive licences by work. Usage lines are checked against the licence, mandate and tariff
in force at their time of use in :mod:`ledger.audit.royalties`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.audit.core import Call, Mismatch, State, call_many, check, reducer, timed
from ledger.core.abicodec import checksum as to_checksum_address
from ledger.core.events import Event
from ledger.core.parsing import ROLE_IDS
from ledger.core.types import hex0x as _hex

if TYPE_CHECKING:
    from ledger.domain.works import Ledger

ZERO = "0x0000000000000000000000000000000000000000"
FOREVER = (1 << 40) - 1
ACTIVE, SUSPENDED, REVOKED = 1, 2, 3
STATE_NAMES = {0: "none", 1: "active", 2: "suspended", 3: "revoked"}
CONFIRMED = 2  # WorkRegistry status
CMO_ROLE = "0x" + ROLE_IDS["CMO"].hex()

timed("LicenceGranted", "OpenLicencePublished", "MandateGranted")


def territories(hex_codes: str) -> set[str] | None:
    """The ISO codes of a licence's territories, None for worldwide (no codes)."""
    raw = bytes.fromhex(hex_codes[2:]) if hex_codes and len(hex_codes) > 2 else b""
    return {raw[i:i + 2].decode("latin-1") for i in range(0, len(raw), 2)} or None


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two licences share a use, a territory (worldwide meets every one) and a moment."""
    if not int(a["uses"]) & int(b["uses"]):
        return False
    ta, tb = territories(a["territories"]), territories(b["territories"])
    if ta is not None and tb is not None and not ta & tb:
        return False
    return int(a["start"]) < int(b["end"]) and int(b["start"]) < int(a["end"])


def live_exclusives(reg: dict[str, Any], wid: str, t: int) -> list[tuple[str, dict[str, Any]]]:
    """The exclusive licences of a work live at ``t``: not revoked, not ended (R72)."""
    out = []
    for lid in reg.setdefault("exclusives", {}).get(wid, []):
        x = reg["licences"][lid]
        if x["state"] != REVOKED and int(x["end"]) > t:
            out.append((lid, x))
    return out


def _time_rules(state: State, ev: Event, reg: dict[str, Any], lid: str, new: dict[str, Any]) -> None:
    """The rules of a new licence that need the time of its grant."""
    t = state.time_of(ev)
    if int(new["start"]) >= int(new["end"]):
        state.flag(ev, f"licence {lid} starts at or after its end (R69)", new["start"], new["end"])
    if t is None:
        return
    if int(new["end"]) <= t:
        state.flag(ev, f"licence {lid} was granted after its term ended (R69)", t, new["end"])
    for wid in new["works"]:
        if new["collective"]:
            m = reg["mandates"].get(f"{wid}:{new['licensor']}")
            if m is not None and not int(m["from"]) <= t < int(m["until"]):
                state.flag(ev, f"CMO {new['licensor']} licensed work {wid} when its mandate was not in force (R65)",
                           [m["from"], m["until"]], t)
        for xid, x in live_exclusives(reg, wid, t):
            if x["licensee"] != new["licensee"] and overlaps(new, x):
                state.flag(ev, f"licence {lid} of work {wid} overlaps the live exclusive licence {xid} in use, "
                               "territory and time (R70a, R72)", xid, lid)
        if new["exclusive"]:
            by_work = _by_work(state, ev.address, reg)
            for key in by_work["mandates"].get(wid, ()):
                m = reg["mandates"][key]
                if int(m["until"]) > int(new["start"]) and int(m["uses"]) & new["uses"]:
                    state.flag(ev, f"exclusive licence {lid} of work {wid} over a mandate to {key.split(':')[1]} in "
                                   "force at or after its start (R70b)", m["uses"], new["uses"])
            for oid in by_work["open"].get(wid, ()):
                o = reg["licences"][oid]
                if o["state"] != REVOKED and int(o["uses"]) & new["uses"]:
                    state.flag(ev, f"exclusive licence {lid} of work {wid} over the live open licence {oid} (R70b)")


def _by_work(state: State, address: str, reg: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """A registry's mandate keys and open licence ids by work: an exclusive grant checks its own
    work's, not every mandate and licence of the ledger (a replay with many exclusive licences
    was quadratic). Not part of the state (its digest and checkpoints are unchanged): built from
    the state on first use, e.g. after a checkpoint is loaded, then kept up to date by the
    reducers that add a mandate or an open licence (neither is ever removed)."""
    cache = state.__dict__.setdefault("_by_work", {})
    idx = cache.get(address)
    if idx is None:
        idx = cache[address] = {"mandates": {}, "open": {}}
        for key in reg["mandates"]:
            idx["mandates"].setdefault(key.split(":")[0], []).append(key)
        for oid, o in reg["licences"].items():
            if o["licensee"] == ZERO and len(o["works"]) == 1:
                idx["open"].setdefault(o["works"][0], []).append(oid)
    return idx


def _index_new(state: State, address: str, kind: str, wid: str, key: str) -> None:
    idx = state.__dict__.get("_by_work", {}).get(address)
    if idx is not None and key not in idx[kind].setdefault(wid, []):
        idx[kind][wid].append(key)



def _reg(state: State, address: str) -> dict[str, Any]:
    regs = state.section("licences")
    r = regs.get(address)
    if r is None:
        r = regs[address] = {"count": 0, "settlementToken": ZERO, "licences": {}, "mandates": {}, "tariffs": {},
                             "offers": {}}
    return r


def _licence(state: State, ev: Event, expected: tuple[int, ...] | None = None) -> dict[str, Any] | None:
    lid = str(int(ev.args["licenceId"]))
    lic = _reg(state, ev.address)["licences"].get(lid)
    if lic is None:
        state.flag(ev, f"licence {lid} was never granted")
        return None
    if ev.args.get("by") is not None and ev.args["by"] != lic["licensor"]:
        state.flag(ev, f"licence {lid} changed by {ev.args['by']}, not its licensor", lic["licensor"], ev.args["by"])
    if expected is not None and lic["state"] not in expected:
        state.flag(ev, f"licence {lid} is {STATE_NAMES[lic['state']]}",
                   "/".join(STATE_NAMES[s] for s in expected), STATE_NAMES[lic["state"]])
    return lic


def _work_ok(state: State, ev: Event, wid: str, licensor: str, collective: bool, uses: int, reg: dict) -> None:
    """What the order of events rules out for one listed work of a new licence."""
    w = state.section("works").get(wid)
    if w is None:
        state.flag(ev, f"work {wid} was never registered")
        return
    if w["status"] != CONFIRMED:
        state.flag(ev, f"work {wid} was not CONFIRMED when licensed", CONFIRMED, w["status"])
    if collective:
        m = reg["mandates"].get(f"{wid}:{licensor}")
        if m is None or int(m["uses"]) & uses != uses:
            state.flag(ev, f"CMO {licensor} licensed work {wid} for uses it has no mandate for",
                       uses, None if m is None else m["uses"])
    elif not any(h[0] == licensor for h in w["holders"]):
        state.flag(ev, f"{licensor} licensed work {wid} without holding a share")


def _next_id(state: State, ev: Event, reg: dict) -> str:
    lid = int(ev.args["licenceId"])
    if lid != reg["count"] + 1:
        state.flag(ev, "licence id out of sequence", reg["count"] + 1, lid)
    reg["count"] = max(reg["count"], lid)
    return str(lid)


@reducer("LicenceGranted")
def licence_granted(state: State, ev: Event) -> None:
    a = ev.args
    reg = _reg(state, ev.address)
    lid = _next_id(state, ev, reg)
    scope, uses, start, end, exclusive, flat_fee, rate, territories, terms_cid = a["terms"]
    works = [_hex(w) for w in a["workIds"]]
    licensor, collective = a["licensor"], bool(a["collective"])
    expected_count = {1: len(works) == 1, 2: len(works) >= 1, 3: not works}.get(int(scope), False)
    if not expected_count:
        state.flag(ev, f"licence {lid} of scope {scope} lists {len(works)} works")
    if len(set(works)) != len(works):
        state.flag(ev, f"licence {lid} lists a work twice")
    for wid in works:
        _work_ok(state, ev, wid, licensor, collective, int(uses), reg)
    cid = state.ref_cid(terms_cid, f"terms of licence {lid} ({ev.address})")
    if cid is None:
        state.flag(ev, f"licence {lid} has no terms document")
    new = reg["licences"][lid] = {
        "licensor": licensor, "licensee": a["licensee"], "collective": collective, "scope": int(scope),
        "uses": int(uses), "start": int(start), "end": int(end), "exclusive": bool(exclusive),
        "flatFee": str(int(flat_fee)), "ratePerUse": str(int(rate)), "territories": _hex(territories),
        "termsCid": cid, "works": works, "state": ACTIVE, "suspendedAt": 0, "revokedAt": 0, "block": ev.block,
    }
    if new["licensee"] == ZERO and len(works) == 1:  # as the open licences (a zero licensee covers anyone)
        _index_new(state, ev.address, "open", works[0], lid)
    _time_rules(state, ev, reg, lid, new)
    if new["exclusive"]:
        for wid in works:
            reg.setdefault("exclusives", {}).setdefault(wid, []).append(lid)


@reducer("OpenLicencePublished")
def open_licence_published(state: State, ev: Event) -> None:
    a = ev.args
    reg = _reg(state, ev.address)
    lid = _next_id(state, ev, reg)
    wid = _hex(a["workId"])
    _work_ok(state, ev, wid, a["licensor"], False, int(a["uses"]), reg)
    code = bytes(a["code"]).rstrip(b"\0").decode("utf-8", "replace")
    new = reg["licences"][lid] = {
        "licensor": a["licensor"], "licensee": ZERO, "collective": False, "scope": 1, "uses": int(a["uses"]),
        "start": int(a["start"]), "end": FOREVER, "exclusive": False, "flatFee": "0", "ratePerUse": "0",
        "territories": "0x", "termsCid": state.ref_cid(a["termsCid"], f"terms of open licence {lid} ({code})"),
        "works": [wid], "state": ACTIVE, "suspendedAt": 0, "revokedAt": 0, "block": ev.block, "code": code,
    }
    _index_new(state, ev.address, "open", wid, lid)
    _time_rules(state, ev, reg, lid, new)


@reducer("LicenceSuspended")
def licence_suspended(state: State, ev: Event) -> None:
    lic = _licence(state, ev, (ACTIVE,))
    if lic is not None:
        lic.update(state=SUSPENDED, suspendedAt=int(ev.args["at"]), suspendReason=ev.args["reason"])


@reducer("LicenceResumed")
def licence_resumed(state: State, ev: Event) -> None:
    lic = _licence(state, ev, (SUSPENDED,))
    if lic is not None:
        lic.update(state=ACTIVE, suspendedAt=0)
        lic.pop("suspendReason", None)


@reducer("LicenceRevoked")
def licence_revoked(state: State, ev: Event) -> None:
    lic = _licence(state, ev, (ACTIVE, SUSPENDED))
    if lic is not None:
        lic.update(state=REVOKED, revokedAt=int(ev.args["at"]), revokeReason=ev.args["reason"])


@reducer("OfferAccepted")
def offer_accepted(state: State, ev: Event) -> None:
    a = ev.args
    reg = _reg(state, ev.address)
    key = f"{a['licensor']}:{int(a['nonce'])}"
    if key in reg["offers"]:
        state.flag(ev, f"offer nonce {a['nonce']} of {a['licensor']} accepted after being "
                       f"{'used' if reg['offers'][key] == 1 else 'cancelled'}")
    reg["offers"][key] = 1
    lic = _licence(state, ev)
    if lic is None:
        return
    if lic["licensor"] != a["licensor"]:
        state.flag(ev, "the accepted offer's licensor is not the licence's", lic["licensor"], a["licensor"])
    if str(int(a["paid"])) != lic["flatFee"]:
        state.flag(ev, "the fee paid is not the licence's flat fee", lic["flatFee"], str(int(a["paid"])))
    lic["offer"] = str(int(a["nonce"]))


@reducer("OfferCancelled")
def offer_cancelled(state: State, ev: Event) -> None:
    reg = _reg(state, ev.address)
    key = f"{ev.args['licensor']}:{int(ev.args['nonce'])}"
    if key in reg["offers"]:
        state.flag(ev, f"offer nonce {ev.args['nonce']} cancelled after being "
                       f"{'used' if reg['offers'][key] == 1 else 'cancelled'}")
        return
    reg["offers"][key] = 2


@reducer("MandateGranted")
def mandate_granted(state: State, ev: Event) -> None:
    a = ev.args
    wid, cmo, holder = _hex(a["workId"]), a["cmo"], a["holder"]
    w = state.section("works").get(wid)
    if w is None:
        state.flag(ev, f"work {wid} was never registered")
    else:
        if w["status"] != CONFIRMED:
            state.flag(ev, f"work {wid} was not CONFIRMED when mandated", CONFIRMED, w["status"])
        if not any(h[0] == holder for h in w["holders"]):
            state.flag(ev, f"{holder} mandated work {wid} without holding a share")
    roles = state.section("roles").get("members", {})
    if roles and cmo not in roles.get(CMO_ROLE, {}):
        state.flag(ev, f"{cmo} was mandated work {wid} without CMO_ROLE")
    reg = _reg(state, ev.address)
    t = state.time_of(ev)
    if t is not None:  # a mandate counts as worldwide and from now on (R70a)
        since = max(t, int(a["from"]))
        for xid, x in live_exclusives(reg, wid, t):
            if int(x["uses"]) & int(a["uses"]) and int(x["end"]) > since:
                state.flag(ev, f"mandate of work {wid} to {cmo} overlaps the live exclusive licence {xid} (R70a)",
                           x["uses"], int(a["uses"]))
    reg["mandates"][f"{wid}:{cmo}"] = {
        "uses": int(a["uses"]), "from": int(a["from"]), "until": FOREVER, "holder": holder, "block": ev.block}
    _index_new(state, ev.address, "mandates", wid, f"{wid}:{cmo}")


@reducer("MandateWithdrawn")
def mandate_withdrawn(state: State, ev: Event) -> None:
    a = ev.args
    wid, cmo = _hex(a["workId"]), a["cmo"]
    m = _reg(state, ev.address)["mandates"].get(f"{wid}:{cmo}")
    if m is None or m["until"] != FOREVER:
        state.flag(ev, f"the mandate of work {wid} to {cmo} was withdrawn while not in force")
    if m is None:
        return
    w = state.section("works").get(wid)
    if w is not None and not any(h[0] == a["holder"] for h in w["holders"]):
        state.flag(ev, f"{a['holder']} withdrew the mandate of work {wid} without holding a share")
    m.update(until=int(a["effectiveAt"]), withdrawnBy=a["holder"])


@reducer("TariffSet")
def tariff_set(state: State, ev: Event) -> None:
    a = ev.args
    use = int(a["use"])
    if use == 0 or use & (use - 1):
        state.flag(ev, f"tariff for {use}, which is not a single use")
    if int(a["period"]) == 0 or int(a["validFrom"]) >= int(a["validUntil"]):
        state.flag(ev, "tariff with an empty period or validity")
    _reg(state, ev.address)["tariffs"][str(use)] = {
        "amountPerWork": str(int(a["amountPerWork"])), "period": int(a["period"]),
        "validFrom": int(a["validFrom"]), "validUntil": int(a["validUntil"]), "block": ev.block}


@reducer("SettlementTokenSet")
def settlement_token_set(state: State, ev: Event) -> None:
    _reg(state, ev.address)["settlementToken"] = ev.args["token"]


@reducer("EIP712DomainChanged")
def eip712_domain_changed(state: State, ev: Event) -> None:
    state.flag(ev, "the EIP-712 domain of a LicenceRegistry changed (it never should)")


# --- the check ----------------------------------------------------------------------------

_LICENCE = Call("licence(uint64)",
                ["(address,uint32,uint40,uint8,uint8,bool,address,uint40,uint40,bool,uint40,uint96,uint96,bytes)"])
_COUNT = Call("licenceCount()", ["uint64"])
_LISTS = Call("listsWork(uint64,bytes32)", ["bool"])
_WORK_LICENCES = Call("workLicencesOf(bytes32,address)", ["uint64[]"])
_BLANKETS = Call("blanketLicencesOf(address,address)", ["uint64[]"])
_OPEN_OF = Call("openLicencesOf(bytes32)", ["uint64[]"])
_MANDATE = Call("mandateOf(bytes32,address)", ["(uint32,uint40,uint40)"])
_TARIFF = Call("tariffOf(uint32)", ["(uint96,uint32,uint40,uint40)"])
_TOKEN = Call("settlementToken()", ["address"])
_NONCE = Call("offerNonceState(address,uint256)", ["uint8"])


def _b32(h: str) -> bytes:
    return bytes.fromhex(h[2:])


def _cmp(out: list[Mismatch], where: str, pairs: Any) -> None:
    for what, mine, theirs in pairs:
        if mine != theirs:
            out.append(Mismatch("state", where, f"{what} differs", mine, theirs))


@check("licences")
def check_licences(state: State, ledger: Ledger) -> list[Mismatch]:
    out: list[Mismatch] = []
    regs = state.section("licences")
    addrs = sorted(regs)
    if not addrs:
        return out
    # one batch per kind of view across every registry version
    counts = call_many(ledger, _COUNT, [(a, ()) for a in addrs])
    tokens = call_many(ledger, _TOKEN, [(a, ()) for a in addrs])
    for a, n, tok in zip(addrs, counts, tokens, strict=True):
        _cmp(out, f"LicenceRegistry {a}", (("licenceCount", regs[a]["count"], n),
                                           ("settlementToken", regs[a]["settlementToken"],
                                            to_checksum_address(tok) if tok is not None else None)))

    every = [(a, lid) for a in addrs for lid in sorted(regs[a]["licences"], key=int)]
    items = [(a, lid) for a, lid in every if state.wants(lid)]
    views = call_many(ledger, _LICENCE, [(a, (int(lid),)) for a, lid in items])
    listed = [(a, lid, w) for a, lid in items for w in regs[a]["licences"][lid]["works"]]
    lists = call_many(ledger, _LISTS, [(a, (int(lid), _b32(w))) for a, lid, w in listed])
    by_licensee: dict[tuple[str, str, str], list[int]] = {}
    blankets: dict[tuple[str, str, str], list[int]] = {}
    open_of: dict[tuple[str, str], list[int]] = {}
    for a, lid in every:  # the indexes are built from every licence, read back where touched
        lic = regs[a]["licences"][lid]
        if lic["licensee"] == ZERO:
            open_of.setdefault((a, lic["works"][0]), []).append(int(lid))
        elif lic["scope"] == 3:
            blankets.setdefault((a, lic["licensee"], lic["licensor"]), []).append(int(lid))
        else:
            for w in lic["works"]:
                by_licensee.setdefault((a, w, lic["licensee"]), []).append(int(lid))
    for (a, lid), v in zip(items, views, strict=True):
        lic = regs[a]["licences"][lid]
        where = f"licence {lid}" + (f" ({a})" if len(addrs) > 1 else "")
        if v is None:
            out.append(Mismatch("state", where, "licence() reverted"))
            continue
        (licensor, uses, start, scope, st, exclusive, licensee, end, revoked_at, collective, suspended_at, fee,
         rate, terr) = v
        _cmp(out, where, (
            ("licensor", lic["licensor"], to_checksum_address(licensor)), ("uses", lic["uses"], uses),
            ("start", lic["start"], start), ("scope", lic["scope"], scope),
            ("state", STATE_NAMES[lic["state"]], STATE_NAMES.get(st, st)), ("exclusive", lic["exclusive"], exclusive),
            ("licensee", lic["licensee"], to_checksum_address(licensee)), ("end", lic["end"], end),
            ("revokedAt", lic["revokedAt"], revoked_at), ("collective", lic["collective"], collective),
            ("suspendedAt", lic["suspendedAt"], suspended_at), ("flatFee", lic["flatFee"], str(fee)),
            ("ratePerUse", lic["ratePerUse"], str(rate)), ("territories", lic["territories"], _hex(terr)),
        ))
    for (_a, lid, w), ok in zip(listed, lists, strict=True):
        if ok is not True:
            out.append(Mismatch("state", f"licence {lid}", f"listsWork({w}) is not true on chain", True, ok))

    keys = sorted(k for k in by_licensee if state.wants(k[1], k[2]))
    got = call_many(ledger, _WORK_LICENCES, [(a, (_b32(w), who)) for a, w, who in keys])
    for k, ids in zip(keys, got, strict=True):
        if ids is None or list(ids) != by_licensee[k]:
            out.append(Mismatch("state", f"licences of work {k[1]} to {k[2]}", "workLicencesOf differs",
                                by_licensee[k], None if ids is None else list(ids)))
    keys = sorted(k for k in blankets if state.wants(k[1], k[2]))
    got = call_many(ledger, _BLANKETS, [(a, (who, cmo)) for a, who, cmo in keys])
    for k, ids in zip(keys, got, strict=True):
        if ids is None or list(ids) != blankets[k]:
            out.append(Mismatch("state", f"blanket licences of {k[1]} from {k[2]}", "blanketLicencesOf differs",
                                blankets[k], None if ids is None else list(ids)))
    keys = sorted(k for k in open_of if state.wants(k[1]))
    got = call_many(ledger, _OPEN_OF, [(a, (_b32(w),)) for a, w in keys])
    for k, ids in zip(keys, got, strict=True):
        if ids is None or list(ids) != open_of[k]:
            out.append(Mismatch("state", f"open licences of work {k[1]}", "openLicencesOf differs", open_of[k],
                                None if ids is None else list(ids)))

    mandates = [(a, k) for a in addrs for k in sorted(regs[a]["mandates"]) if state.wants(*k.split(":"))]
    got = call_many(ledger, _MANDATE, [(a, (_b32(k.split(":")[0]), k.split(":")[1])) for a, k in mandates])
    for (a, k), v in zip(mandates, got, strict=True):
        m = regs[a]["mandates"][k]
        wid, cmo = k.split(":")
        mine = (m["uses"], m["from"], m["until"])
        if v is None or tuple(v) != mine:
            out.append(Mismatch("state", f"mandate of work {wid} to {cmo}", "mandate (uses, from, until) differs",
                                list(mine), None if v is None else list(v)))

    tariffs = [(a, u) for a in addrs for u in sorted(regs[a]["tariffs"], key=int)]
    got = call_many(ledger, _TARIFF, [(a, (int(u),)) for a, u in tariffs])
    for (a, u), v in zip(tariffs, got, strict=True):
        t = regs[a]["tariffs"][u]
        tariff = [t["amountPerWork"], t["period"], t["validFrom"], t["validUntil"]]
        theirs = None if v is None else [str(v[0]), v[1], v[2], v[3]]
        if tariff != theirs:
            out.append(Mismatch("state", f"tariff of use {u}", "tariff differs", tariff, theirs))

    offers = [(a, k) for a in addrs for k in sorted(regs[a]["offers"]) if state.wants(k.split(":")[0])]
    got = call_many(ledger, _NONCE, [(a, (k.split(":")[0], int(k.split(":")[1]))) for a, k in offers])
    for (a, k), v in zip(offers, got, strict=True):
        if v != regs[a]["offers"][k]:
            lic, nonce = k.split(":")
            out.append(Mismatch("state", f"offer nonce {nonce} of {lic}", "offerNonceState differs",
                                regs[a]["offers"][k], v))
    return out
