"""Royalties domain: RoyaltyPool usage records and reports, payments, period closes,
distributions and claims, and the settlement token's balances, mirrored from the rules.

State sections (money as decimal strings: token amounts may exceed 2**53):

* ``royalties`` ``{poolContract: {"commissionBps": int | None (the constructor's rate has
  no event; known after CommissionSet or a close), "reportCount", "reports": {id: {licensee,
  cmo, period, root, lineCount, quantity, owed, cid | None, line | None, block}},
  "pools": {"cmo:period": {state, commissionBps, closedBlock, reportCount, lineCount,
  quantity, owed, paidIn, commission, distributed, residue, claimed, root, cid, reports
  [ids], accounts {licensee: [owed, paid]}, claims {account: amount}}}}}``;
* ``tokens`` ``{token: {"supply", "balances": {account: amount}, "approvals":
  {"owner:spender": amount}}}`` from ERC-20 Transfer and Approval.

The check compares all of it with the views (``report``, ``pool``, ``accountOf``,
``isClaimed``, ``balanceOf`` ...), checks that money is conserved (per pool: paid in =
commission + distributed + residue, claimed never above the total; residues and sweeps go
to the CMO's carry, which its next close takes in; the pool contract holds at least what
its open and closed pools, unclaimed distributions and carries hold), and recomputes each
published distribution with :func:`ledger.royalties.compute` from the report files in
the store (each checked against its on-chain root) and the holders at the block the period
closed: a root, total or file that differs is a Mismatch naming the period and the CMO.
Holders and line weights at that block are replayed from events (ledger.domain.asof), so no
archive node is needed (issue 14).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.audit.core import Call, Mismatch, State, call_many, check, reducer
from ledger.core import errors as E
from ledger.core.abicodec import checksum as to_checksum_address
from ledger.core.events import Event
from ledger.core.parsing import ROLE_IDS
from ledger.core.types import hex0x as _hex

if TYPE_CHECKING:
    from ledger.domain.works import Ledger

ZERO = "0x0000000000000000000000000000000000000000"
ZERO32 = "0x" + "00" * 32
OPEN, CLOSED, DISTRIBUTED, SWEPT = 0, 1, 2, 3
STATE_NAMES = {0: "OPEN", 1: "CLOSED", 2: "DISTRIBUTED", 3: "SWEPT"}
WHOLE = 10_000
CMO_ROLE = "0x" + ROLE_IDS["CMO"].hex()



def _contract(state: State, address: str) -> dict[str, Any]:
    s = state.section("royalties")
    c = s.get(address)
    if c is None:
        c = s[address] = {"commissionBps": None, "reportCount": 0, "reports": {}, "pools": {}, "carry": {}}
    return c


def _pool(state: State, ev: Event, cmo: str, period: int, expected: int | None = None) -> dict[str, Any]:
    pools = _contract(state, ev.address)["pools"]
    key = f"{cmo}:{period}"
    p = pools.get(key)
    if p is None:
        p = pools[key] = {"state": OPEN, "commissionBps": 0, "closedBlock": 0, "reportCount": 0, "lineCount": 0,
                          "quantity": "0", "owed": "0", "paidIn": "0", "commission": "0", "distributed": "0",
                          "residue": "0", "claimed": "0", "root": ZERO32, "cid": None, "reports": [],
                          "accounts": {}, "claims": {}, "carriedIn": "0", "swept": "0"}
    if expected is not None and p["state"] != expected:
        state.flag(ev, f"period {period} of CMO {cmo} is {STATE_NAMES[p['state']]}, the event needs it "
                       f"{STATE_NAMES[expected]}", STATE_NAMES[expected], STATE_NAMES[p["state"]])
    return p


def _add(d: dict[str, Any], key: str, amount: int) -> None:
    d[key] = str(int(d[key]) + amount)


def _add_report(state: State, ev: Event, cmo: str, period: int, root: str, lines: int, qty: int, owed: int,
                cid: str | None, line: list[Any] | None) -> None:
    c = _contract(state, ev.address)
    rid = int(ev.args["reportId"])
    if rid != c["reportCount"] + 1:
        state.flag(ev, "report id out of sequence", c["reportCount"] + 1, rid)
    c["reportCount"] = max(c["reportCount"], rid)
    roles = state.section("roles").get("members", {})
    if roles and cmo not in roles.get(CMO_ROLE, {}):
        state.flag(ev, f"usage reported to {cmo}, which has no CMO_ROLE")
    p = _pool(state, ev, cmo, period, OPEN)
    licensee = ev.args["licensee"]
    c["reports"][str(rid)] = {"licensee": licensee, "cmo": cmo, "period": period, "root": root, "lineCount": lines,
                              "quantity": str(qty), "owed": str(owed), "cid": cid, "line": line, "block": ev.block}
    p["reportCount"] += 1
    p["lineCount"] += lines
    _add(p, "quantity", qty)
    _add(p, "owed", owed)
    p["reports"].append(rid)
    acct = p["accounts"].setdefault(licensee, ["0", "0"])
    acct[0] = str(int(acct[0]) + owed)


@reducer("UsageRecorded")
def usage_recorded(state: State, ev: Event) -> None:
    a = ev.args
    index, wid, use, qty, used_at, lid, kind, owed = a["line"]
    wid = _hex(wid)
    if wid not in state.section("works") and state.section("works"):
        state.flag(ev, f"usage of work {wid}, which was never registered")
    if (int(kind) == 4) != (int(lid) == 0) or not 1 <= int(kind) <= 4:
        state.flag(ev, f"usage line of kind {kind} under licence {lid}")
    line = [int(index), wid, int(use), int(qty), int(used_at), int(lid), int(kind), str(int(owed))]
    _line_in_force(state, ev, wid, int(use), int(used_at), int(lid), int(kind), a["licensee"], a["cmo"])
    _add_report(state, ev, a["cmo"], int(a["period"]), "", 1, int(qty), int(owed), None, line)


def _line_in_force(state: State, ev: Event, wid: str, use: int, at: int, lid: int, kind: int, licensee: str,
                   cmo: str) -> None:
    """The time-based rules of one recorded usage line (SPECIFICATION "Who checks what"): at its time
    of use the work was mandated to the CMO for the use, and the line's licence (held by the
    reporting licensee, granted by the CMO, naming the work or blanket) was in force, or, kind 4,
    the use's statutory tariff was."""
    regs = state.section("licences")
    where = f"usage line of work {wid} at {at}"
    mandates = [r["mandates"][f"{wid}:{cmo}"] for r in regs.values() if f"{wid}:{cmo}" in r["mandates"]]
    if regs and not any(int(m["from"]) <= at < int(m["until"]) and int(m["uses"]) & use for m in mandates):
        state.flag(ev, f"{where}: no mandate of the work to {cmo} for the use was in force then")
    if kind == 4:
        tariffs = [r["tariffs"][str(use)] for r in regs.values() if str(use) in r["tariffs"]]
        if regs and not any(int(t["validFrom"]) <= at < int(t["validUntil"]) for t in tariffs):
            state.flag(ev, f"{where}: no statutory tariff of the use was in force then")
        return
    lic = next((r["licences"][str(lid)] for r in reversed(list(regs.values())) if str(lid) in r["licences"]), None)
    if lic is None:
        if regs:
            state.flag(ev, f"{where}: licence {lid} was never granted")
        return
    problems = []
    if lic["licensee"] != licensee:
        problems.append(f"held by {lic['licensee']}, not the reporting licensee")
    if lic["licensor"] != cmo:
        problems.append(f"granted by {lic['licensor']}, not the CMO")
    if not int(lic["uses"]) & use:
        problems.append("does not cover the use")
    if lic["scope"] != 3 and wid not in lic["works"]:
        problems.append("does not name the work")
    if not int(lic["start"]) <= at < int(lic["end"]):
        problems.append(f"its term [{lic['start']}, {lic['end']}) does not hold the time of use")
    if int(lic["revokedAt"]) and at >= int(lic["revokedAt"]):
        problems.append(f"it was revoked at {lic['revokedAt']}")
    if lic["state"] == 2 and at >= int(lic["suspendedAt"]):
        problems.append(f"it is suspended since {lic['suspendedAt']}")
    for p in problems:
        state.flag(ev, f"{where}: licence {lid} {p}")


@reducer("UsageReportRecorded")
def usage_report_recorded(state: State, ev: Event) -> None:
    a = ev.args
    n, qty, owed = (int(x) for x in a["totals"])
    rid = int(a["reportId"])
    if n != int(a["lineCount"]):
        state.flag(ev, f"report {rid}: lineCount and totals disagree", int(a["lineCount"]), n)
    cid = state.ref_cid(a["cid"], f"usage report {rid} (period {int(a['period'])} of CMO {a['cmo']})")
    _add_report(state, ev, a["cmo"], int(a["period"]), _hex(a["root"]), n, qty, owed, cid, None)


@reducer("ReportRefused")
def report_refused(state: State, ev: Event) -> None:
    a = ev.args
    c = _contract(state, ev.address)
    rid = int(a["reportId"])
    r = c["reports"].get(str(rid))
    if r is None or r.get("refused"):
        state.flag(ev, f"report {rid} refused, but it was never recorded or was refused already")
        return
    if r["cmo"] != a["cmo"] or r["period"] != int(a["period"]):
        state.flag(ev, f"report {rid} refused by {a['cmo']}, which is not its CMO", r["cmo"], a["cmo"])
    p = _pool(state, ev, r["cmo"], r["period"], OPEN)
    r["refused"] = True
    p["reportCount"] -= 1
    p["lineCount"] -= r["lineCount"]
    _add(p, "quantity", -int(r["quantity"]))
    _add(p, "owed", -int(r["owed"]))
    if rid in p["reports"]:
        p["reports"].remove(rid)
    acct = p["accounts"].setdefault(r["licensee"], ["0", "0"])
    acct[0] = str(int(acct[0]) - int(r["owed"]))


@reducer("CarryApplied")
def carry_applied(state: State, ev: Event) -> None:
    a = ev.args
    c = _contract(state, ev.address)
    cmo, amount = a["cmo"], int(a["amount"])
    if int(c["carry"].get(cmo, "0")) != amount:
        state.flag(ev, f"carry of {cmo} applied unlike its residues and sweeps", c["carry"].get(cmo, "0"), str(amount))
    c["carry"][cmo] = "0"
    _pool(state, ev, cmo, int(a["period"]), OPEN)["carriedIn"] = str(amount)


@reducer("UnclaimedSwept")
def unclaimed_swept(state: State, ev: Event) -> None:
    a = ev.args
    c = _contract(state, ev.address)
    cmo, period, amount = a["cmo"], int(a["period"]), int(a["amount"])
    p = _pool(state, ev, cmo, period, DISTRIBUTED)
    if amount != int(p["distributed"]) - int(p["claimed"]):
        state.flag(ev, f"sweep of period {period} of {cmo} is not distributed - claimed",
                   str(int(p["distributed"]) - int(p["claimed"])), str(amount))
    p.update(state=SWEPT, swept=str(amount))
    c["carry"][cmo] = str(int(c["carry"].get(cmo, "0")) + amount)


@reducer("Paid")
def paid(state: State, ev: Event) -> None:
    a = ev.args
    amount = int(a["amount"])
    if amount == 0:
        state.flag(ev, "a payment of zero")
    p = _pool(state, ev, a["cmo"], int(a["period"]), OPEN)
    _add(p, "paidIn", amount)
    acct = p["accounts"].setdefault(a["payer"], ["0", "0"])
    acct[1] = str(int(acct[1]) + amount)


@reducer("PeriodClosed")
def period_closed(state: State, ev: Event) -> None:
    a = ev.args
    cmo, period = a["cmo"], int(a["period"])
    c = _contract(state, ev.address)
    p = _pool(state, ev, cmo, period, OPEN)
    bps = int(a["commissionBps"])
    if c["commissionBps"] is not None and c["commissionBps"] != bps:
        state.flag(ev, f"period {period} of {cmo} closed at a commission that is not the setting",
                   c["commissionBps"], bps)
    c["commissionBps"] = bps
    if str(int(a["paidIn"])) != p["paidIn"]:
        state.flag(ev, f"period {period} of {cmo} closed with paidIn unlike its payments", p["paidIn"],
                   str(int(a["paidIn"])))
    totals = [int(x) for x in a["totals"]]
    mine = [p["lineCount"], int(p["quantity"]), int(p["owed"])]
    if totals != mine:
        state.flag(ev, f"period {period} of {cmo} closed with totals unlike its usage", mine, totals)
    p.update(state=CLOSED, commissionBps=bps, closedBlock=ev.block)


@reducer("DistributionPublished")
def distribution_published(state: State, ev: Event) -> None:
    a = ev.args
    cmo, period = a["cmo"], int(a["period"])
    p = _pool(state, ev, cmo, period, CLOSED)
    paid_in = int(p["paidIn"])
    total, commission, residue = int(a["total"]), int(a["commission"]), int(a["residue"])
    if commission != paid_in * p["commissionBps"] // WHOLE:
        state.flag(ev, f"commission of period {period} of {cmo} is not paidIn x rate",
                   str(paid_in * p["commissionBps"] // WHOLE), str(commission))
    if total + commission + residue != paid_in + int(p["carriedIn"]):
        state.flag(ev, f"distribution of period {period} of {cmo} does not add up to paidIn + carriedIn",
                   str(paid_in + int(p["carriedIn"])), str(total + commission + residue))
    cid = state.ref_cid(a["cid"], f"distribution file of period {period} of CMO {cmo}")
    p.update(state=DISTRIBUTED, root=_hex(a["root"]), distributed=str(total), commission=str(commission),
             residue=str(residue), cid=cid)
    c = _contract(state, ev.address)
    c["carry"][cmo] = str(int(c["carry"].get(cmo, "0")) + residue)


@reducer("Claimed")
def claimed(state: State, ev: Event) -> None:
    a = ev.args
    cmo, period, who, amount = a["cmo"], int(a["period"]), a["account"], int(a["amount"])
    p = _pool(state, ev, cmo, period, DISTRIBUTED)
    if who in p["claims"]:
        state.flag(ev, f"{who} claimed period {period} of {cmo} twice")
    if int(p["claimed"]) + amount > int(p["distributed"]):
        state.flag(ev, f"claims of period {period} of {cmo} exceed its total", p["distributed"],
                   str(int(p["claimed"]) + amount))
    p["claims"][who] = str(amount)
    _add(p, "claimed", amount)


@reducer("CommissionSet")
def commission_set(state: State, ev: Event) -> None:
    bps = int(ev.args["commissionBps"])
    if bps > 5_000:
        state.flag(ev, "commission above MAX_COMMISSION_BPS", 5_000, bps)
    _contract(state, ev.address)["commissionBps"] = bps


def _token(state: State, address: str) -> dict[str, Any]:
    s = state.section("tokens")
    t = s.get(address)
    if t is None:
        t = s[address] = {"supply": "0", "balances": {}, "approvals": {}}
    return t


@reducer("Transfer")
def transfer(state: State, ev: Event) -> None:
    a = ev.args
    t = _token(state, ev.address)
    frm, to, value = a["from"], a["to"], int(a["value"])
    bal = t["balances"]
    if frm == ZERO:
        t["supply"] = str(int(t["supply"]) + value)
    else:
        held = int(bal.get(frm, "0"))
        if held < value:
            state.flag(ev, f"{frm} sent {value} holding {held}")
        bal[frm] = str(held - value)
    if to == ZERO:
        t["supply"] = str(int(t["supply"]) - value)
    else:
        bal[to] = str(int(bal.get(to, "0")) + value)


@reducer("Approval")
def approval(state: State, ev: Event) -> None:
    # ERC-20 (OpenZeppelin 5) emits no Approval when transferFrom spends an allowance, so
    # this is the last approved amount, not the allowance left; it is not checked.
    a = ev.args
    _token(state, ev.address)["approvals"][f"{a['owner']}:{a['spender']}"] = str(int(a["value"]))


# --- the check ----------------------------------------------------------------------------

_REPORT = Call("report(uint64)", ["(address,address,uint32,uint40,bytes32,(uint64,uint128,uint128))"])
_REPORT_COUNT = Call("reportCount()", ["uint64"])
_POOL = Call("pool(address,uint32)", ["(uint8,uint16,uint40,uint64,uint64,(uint64,uint128,uint128),uint256,uint256,"
                                      "uint256,uint256,uint256,bytes32,uint256,uint40)"])
_REFUSED = Call("isRefused(uint64)", ["bool"])
_CARRY = Call("carryOf(address)", ["uint256"])
_ACCOUNT = Call("accountOf(address,uint32,address)", ["uint256", "uint256"])
_CLAIMED = Call("isClaimed(address,uint32,address)", ["bool"])
_BPS = Call("commissionBps()", ["uint16"])
_TOKEN = Call("token()", ["address"])
_BALANCE = Call("balanceOf(address)", ["uint256"])
_SUPPLY = Call("totalSupply()", ["uint256"])


def _cmp(out: list[Mismatch], where: str, pairs: Any) -> None:
    for what, mine, theirs in pairs:
        if mine != theirs:
            out.append(Mismatch("state", where, f"{what} differs", mine, theirs))


def _line(values: list[Any]) -> Any:
    from ledger.domain.usage import UsageLine

    i, w, u, q, at, lid, k, owed = values
    return UsageLine(i, w, u, q, at, lid, k, int(owed))


def _pool_held(p: dict[str, Any]) -> int:
    """What the contract holds for one pool: everything until published, then the unclaimed part
    of the distribution until swept (residue and sweeps sit in the CMO's carry)."""
    paid_in, carried_in, claimed_ = int(p["paidIn"]), int(p["carriedIn"]), int(p["claimed"])
    return (paid_in + carried_in if p["state"] in (OPEN, CLOSED)
            else int(p["distributed"]) - claimed_ if p["state"] == DISTRIBUTED else 0)


@check("royalties")
def check_royalties(state: State, ledger: Ledger) -> list[Mismatch]:
    out: list[Mismatch] = []
    contracts = state.section("royalties")
    tokens = state.section("tokens")
    addrs = sorted(contracts)
    counts = call_many(ledger, _REPORT_COUNT, [(a, ()) for a in addrs])
    bps = call_many(ledger, _BPS, [(a, ()) for a in addrs])
    pool_tokens = call_many(ledger, _TOKEN, [(a, ()) for a in addrs])
    for a, n, b in zip(addrs, counts, bps, strict=True):
        c = contracts[a]
        _cmp(out, f"RoyaltyPool {a}", (("reportCount", c["reportCount"], n),))
        if c["commissionBps"] is not None:
            _cmp(out, f"RoyaltyPool {a}", (("commissionBps", c["commissionBps"], b),))

    # reports
    reps = [(a, rid) for a in addrs for rid in sorted(contracts[a]["reports"], key=int) if state.wants(rid)]
    views = call_many(ledger, _REPORT, [(a, (int(rid),)) for a, rid in reps])
    for (a, rid), v in zip(reps, views, strict=True):
        r = contracts[a]["reports"][rid]
        where = f"usage report {rid} (period {r['period']} of CMO {r['cmo']})"
        root = r["root"] or "0x" + _line(r["line"]).leaf().hex()
        if v is None:
            out.append(Mismatch("state", where, "report() reverted"))
            continue
        licensee, cmo, period, _at, vroot, totals = v
        _cmp(out, where, (("licensee", r["licensee"], to_checksum_address(licensee)),
                          ("cmo", r["cmo"], to_checksum_address(cmo)), ("period", r["period"], period),
                          ("root", root, _hex(vroot)),
                          ("totals", [r["lineCount"], r["quantity"], r["owed"]],
                           [totals[0], str(totals[1]), str(totals[2])])))

    # pools, accounts, claims
    pools = [(a, k) for a in addrs for k in sorted(contracts[a]["pools"]) if state.wants(*k.split(":"))]
    views = call_many(ledger, _POOL, [(a, (k.split(":")[0], int(k.split(":")[1]))) for a, k in pools])
    held_by_contract: dict[str, int] = {}  # from every pool and carry (replayed state, no reads)
    for a in addrs:
        for p in contracts[a]["pools"].values():
            held_by_contract[a] = held_by_contract.get(a, 0) + _pool_held(p)
        for amount in contracts[a]["carry"].values():
            held_by_contract[a] = held_by_contract.get(a, 0) + int(amount)
    for (a, k), v in zip(pools, views, strict=True):
        p = contracts[a]["pools"][k]
        cmo, period = k.split(":")
        where = f"period {period} of CMO {cmo}"
        paid_in, commission, claimed_ = int(p["paidIn"]), int(p["commission"]), int(p["claimed"])
        carried_in = int(p["carriedIn"])
        if p["state"] in (DISTRIBUTED, SWEPT) and (
                commission + int(p["distributed"]) + int(p["residue"]) != paid_in + carried_in):
            out.append(Mismatch("money", where, "paid in + carried in is not commission + distributed + residue",
                                str(paid_in + carried_in),
                                str(commission + int(p["distributed"]) + int(p["residue"]))))
        if claimed_ > int(p["distributed"]):
            out.append(Mismatch("money", where, "more claimed than distributed", p["distributed"], p["claimed"]))
        if sum(int(x) for x in p["claims"].values()) != claimed_:
            out.append(Mismatch("money", where, "the claims do not add up to claimed", p["claimed"],
                                str(sum(int(x) for x in p["claims"].values()))))
        if v is None:
            out.append(Mismatch("state", where, "pool() reverted"))
            continue
        (st, vbps, _closed_at, closed_block, nrep, totals, vpaid, vcomm, vdist, vres, vclaimed, vroot, vcarried,
         _published_at) = v
        _cmp(out, where, (
            ("state", STATE_NAMES[p["state"]], STATE_NAMES.get(st, st)), ("commissionBps", p["commissionBps"], vbps),
            ("closedBlock", p["closedBlock"], closed_block), ("reportCount", p["reportCount"], nrep),
            ("totals", [p["lineCount"], p["quantity"], p["owed"]], [totals[0], str(totals[1]), str(totals[2])]),
            ("paidIn", p["paidIn"], str(vpaid)), ("commission", p["commission"], str(vcomm)),
            ("distributed", p["distributed"], str(vdist)), ("residue", p["residue"], str(vres)),
            ("claimed", p["claimed"], str(vclaimed)), ("root", p["root"], _hex(vroot)),
            ("carriedIn", p["carriedIn"], str(vcarried)),
        ))
    carries = [(a, cmo) for a in addrs for cmo in sorted(contracts[a]["carry"]) if state.wants(cmo)]
    got = call_many(ledger, _CARRY, [(a, (cmo,)) for a, cmo in carries])
    for (a, cmo), v in zip(carries, got, strict=True):
        _cmp(out, f"carry of CMO {cmo}", (("carryOf", contracts[a]["carry"][cmo], None if v is None else str(v)),))
    refused = [(a, rid) for a in addrs for rid in sorted(contracts[a]["reports"], key=int)
               if contracts[a]["reports"][rid].get("refused") and state.wants(rid)]
    got = call_many(ledger, _REFUSED, [(a, (int(rid),)) for a, rid in refused])
    for (_a, rid), v in zip(refused, got, strict=True):
        if v is not True:
            out.append(Mismatch("state", f"usage report {rid}", "isRefused is not true on chain", True, v))
    accts = [(a, k, who) for a, k in pools for who in sorted(contracts[a]["pools"][k]["accounts"])]
    got = call_many(ledger, _ACCOUNT, [(a, (k.split(":")[0], int(k.split(":")[1]), who)) for a, k, who in accts])
    for (a, k, who), v in zip(accts, got, strict=True):
        mine = contracts[a]["pools"][k]["accounts"][who]
        theirs = None if v is None else [str(v[0]), str(v[1])]
        if mine != theirs:
            cmo, period = k.split(":")
            out.append(Mismatch("state", f"account of {who} in period {period} of CMO {cmo}",
                                "(owed, paid) differs", mine, theirs))
    claims = [(a, k, who) for a, k in pools for who in sorted(contracts[a]["pools"][k]["claims"])]
    got = call_many(ledger, _CLAIMED, [(a, (k.split(":")[0], int(k.split(":")[1]), who)) for a, k, who in claims])
    for (_a, k, who), ok in zip(claims, got, strict=True):
        if ok is not True:
            cmo, period = k.split(":")
            out.append(Mismatch("state", f"claim of {who} in period {period} of CMO {cmo}",
                                "isClaimed is not true on chain", True, ok))

    # the settlement token(s)
    taddrs = sorted(tokens)
    supplies = call_many(ledger, _SUPPLY, [(t, ()) for t in taddrs])
    for t, s in zip(taddrs, supplies, strict=True):
        _cmp(out, f"token {t}", (("totalSupply", tokens[t]["supply"], None if s is None else str(s)),))
        if sum(int(x) for x in tokens[t]["balances"].values()) != int(tokens[t]["supply"]):
            out.append(Mismatch("money", f"token {t}", "the balances do not add up to the supply"))
    bals = [(t, who) for t in taddrs for who in sorted(tokens[t]["balances"]) if state.wants(who)]
    got = call_many(ledger, _BALANCE, [(t, (who,)) for t, who in bals])
    for (t, who), v in zip(bals, got, strict=True):
        if tokens[t]["balances"][who] != (None if v is None else str(v)):
            out.append(Mismatch("state", f"token balance of {who} ({t})", "balance differs",
                                tokens[t]["balances"][who], None if v is None else str(v)))
    # money conservation across pools: what the pool contract holds covers what its pools hold
    for a, tok in zip(addrs, pool_tokens, strict=True):
        if tok is None:
            continue
        tok = to_checksum_address(tok)
        held = held_by_contract.get(a, 0)
        balance = int(tokens.get(tok, {}).get("balances", {}).get(a, "0"))
        if balance < held:
            out.append(Mismatch("money", f"RoyaltyPool {a}",
                                "the pool holds fewer tokens than its pools and carries hold",
                                str(held), str(balance)))

    for a, k in pools:
        if contracts[a]["pools"][k]["state"] in (DISTRIBUTED, SWEPT):
            out.extend(_check_distribution(state, ledger, a, k))
    return out


def _check_distribution(state: State, ledger: Ledger, contract: str, key: str) -> list[Mismatch]:
    """Recompute one published distribution from the stored report files and compare."""
    from ledger.content.merkle import MerkleTree
    from ledger.domain.royalties import Royalties, claim_leaf, claims_from_document, compute
    from ledger.domain.usage import ReportView, Totals, parse_document

    c = state.section("royalties")[contract]
    p = c["pools"][key]
    cmo, period_s = key.split(":")
    period = int(period_s)
    where = f"distribution of period {period} of CMO {cmo}"
    out: list[Mismatch] = []
    reports = []
    for rid in p["reports"]:
        r = c["reports"][str(rid)]
        rwhere = f"usage report {rid} (period {period} of CMO {cmo})"
        if r["line"] is not None:
            ln = _line(r["line"])
            view = ReportView(rid, r["licensee"], cmo, period, 0, "0x" + ln.leaf().hex(),
                              Totals(1, ln.quantity, ln.owed), None, ln, r["block"], "")
            reports.append((view, [ln]))
            continue
        view = ReportView(rid, r["licensee"], cmo, period, 0, r["root"],
                          Totals(r["lineCount"], int(r["quantity"]), int(r["owed"])), r["cid"], None, r["block"], "")
        try:
            _header, lines = parse_document(ledger.store.cat(r["cid"]))
        except E.LedgerError as exc:
            out.append(Mismatch("distribution", where, f"cannot recompute: the file of report {rid} is unusable "
                                f"({exc.message})"))
            return out
        root = MerkleTree.build([ln.leaf() for ln in lines]).root_hex if lines else None
        if root != r["root"] or len(lines) != r["lineCount"]:
            out.append(Mismatch("report-file", rwhere, "the stored report file does not give the recorded root",
                                [r["root"], r["lineCount"]], [root, len(lines)]))
            return out
        if [sum(ln.quantity for ln in lines), sum(ln.owed for ln in lines)] != [int(r["quantity"]), int(r["owed"])]:
            out.append(Mismatch("report-file", rwhere, "the stored report file's lines do not give its totals",
                                [r["quantity"], r["owed"]],
                                [str(sum(ln.quantity for ln in lines)), str(sum(ln.owed for ln in lines))]))
            return out
        reports.append((view, lines))

    fallback = ""
    try:
        holders_of = Royalties(ledger)._holders_at(p["closedBlock"])
        works = sorted({ln.work_id for _v, lines in reports for ln in lines})
        holders = holders_of(works) if works else {}
    except E.ChainUnavailable:
        works_state = state.section("works")
        holders = {w: sorted((a, b) for a, b in works_state.get(w, {}).get("holders", []))
                   for _v, lines in reports for w in {ln.work_id for ln in lines}}
        fallback = f" (holders from the replayed state: the node keeps no state at block {p['closedBlock']})"
    try:
        weigh = Royalties(ledger)._weigh_at(cmo, p["closedBlock"], contract)  # this pool's lens (ADR 002)
        dist = compute(cmo, period, int(p["paidIn"]), p["commissionBps"], p["closedBlock"], reports,
                       lambda ws: {w: holders.get(w, []) for w in ws}, weigh=weigh, carried_in=int(p["carriedIn"]))
    except E.ChainUnavailable as exc:
        out.append(Mismatch("distribution", where, f"cannot recompute: the lines cannot be weighed ({exc.message})"))
        return out
    if dist.root != p["root"]:
        out.append(Mismatch("distribution", where, "the published root is not the one recomputed from usage"
                            + fallback, dist.root, p["root"]))
    if str(dist.total) != p["distributed"]:
        out.append(Mismatch("distribution", where, "the published total is not the recomputed one" + fallback,
                            str(dist.total), p["distributed"]))
    if str(dist.commission) != p["commission"] or str(dist.residue) != p["residue"]:
        out.append(Mismatch("distribution", where, "commission or residue is not the recomputed one",
                            [str(dist.commission), str(dist.residue)], [p["commission"], p["residue"]]))
    # the published file: present, the recomputed bytes, and its claims give the published root
    if p["cid"] is None:
        out.append(Mismatch("distribution", where, "no distribution file is named"))
        return out
    try:
        data = ledger.store.cat(p["cid"])
        _doc, claims = claims_from_document(data)
    except E.LedgerError as exc:
        out.append(Mismatch("distribution", where, f"the published file is unusable ({exc.message})", None, p["cid"]))
        return out
    if p["cid"] != dist.cid:
        out.append(Mismatch("distribution", where, "the published file is not the recomputed one" + fallback,
                            dist.cid, p["cid"]))
    file_root = (MerkleTree.build([claim_leaf(cmo, period, x.account, x.amount) for x in claims]).root_hex
                 if claims else ZERO32)
    if file_root != p["root"]:
        out.append(Mismatch("distribution", where, "the published file's claims do not give the published root",
                            p["root"], file_root))
    in_file = {x.account: str(x.amount) for x in claims}
    for who, amount in sorted(p["claims"].items()):
        if in_file.get(who) != amount:
            out.append(Mismatch("distribution", where, f"{who} claimed an amount the published file does not give",
                                in_file.get(who), amount))
    return out
