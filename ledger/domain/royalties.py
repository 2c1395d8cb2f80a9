"""Royalties: payments into a CMO's pool, blanket distribution by Merkle root, claims.

Licensees pay licence fees and statutory compensation (ERC-20 settlement token) into a
CMO's pool for a period (:meth:`Royalties.pay`). When the CMO closes the period, the
distribution is computed from that period's recorded usage alone (:func:`compute`):

0. only eligible lines count: reports the CMO refused are left out, and each line is weighed
   as the CoverageLens's ``lineWeight`` would have at the block the period closed (work confirmed and
   mandated to the CMO for the use at the time of use, licence held by the reporting
   licensee from that CMO, or the statutory tariff); its weight is what lineWeight says it
   owes (quantity x the licence's or tariff's rate), never the ``owed`` the licensee typed;
1. each work's weight is the money its eligible lines owe; if they owe nothing (flat-fee
   blanket licences only), each work's weight is its quantity of eligible uses;
2. commission = floor(paidIn x commissionBps / 10000); net = paidIn - commission + carriedIn
   (the CMO's carry: earlier residues and swept claims, no commission on it);
3. each holder of a work (holders as of the block the period closed) gets
   floor(net x weight x bps / (totalWeight x 10000)) for that work, summed over works;
4. residue = net - sum of holder amounts (rounding, or everything when no line is
   eligible): the contract carries it into the CMO's next closed period.

Work-level licence fees therefore go to that work's holders by share.

The state "at the block the period closed" (holders, work status, reservations, mandates,
licences, tariffs) is replayed from events (:mod:`ledger.domain.asof`), never read with an
``eth_call`` at an old block: a node without history (the embedded node after a restart, a
Besu node in default mode) gives the same distribution. Works are looked up in every version
of the WorkRegistry (ADR 002), and a period is read from the RoyaltyPool version that holds it. The distribution
file (canonical JSON: inputs, per-work weights and holders, per-account amounts) goes to
the metadata store and its Merkle root on-chain; holders claim with a proof (pull
payments). Anyone recomputes it from the report files in the store, checked against
their on-chain roots, and compares with the published file and root (:meth:`verify`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from ledger.content.canonical import canonical_json
from ledger.content.cid import chain_cid, cid_for_bytes, cid_to_bytes, names_no_cid
from ledger.content.merkle import MerkleTree, leaf_hash
from ledger.core import errors as E
from ledger.core.types import WriteResult
from ledger.domain.asof import PastState, past_state, pool_licences, weigh_lines
from ledger.domain.usage import Progress, ReportView, Usage, UsageLine, _no_progress, check_period

CLAIM_TYPES = ("address", "uint32", "address", "uint256")
DISTRIBUTION_TYPE = "rights-ledger/royalty-distribution"
STATES = {0: "OPEN", 1: "CLOSED", 2: "DISTRIBUTED", 3: "SWEPT"}
WHOLE = 10_000
# (licensee, line) -> (reason, owed): reason 0 = the line counts, owing `owed`.
WeighFn = Callable[[Sequence[tuple[str, UsageLine]]], list[tuple[int, int]]]


@dataclass(frozen=True)
class PoolView:
    cmo: str
    period: int
    state: str
    commission_bps: int
    closed_at: int
    closed_block: int
    report_count: int
    line_count: int
    quantity: int
    owed: int
    paid_in: int
    commission: int
    distributed: int
    residue: int
    claimed: int
    root: str
    carried_in: int = 0
    published_at: int = 0

    @property
    def held(self) -> int:
        """Tokens of this pool still in the contract for its holders: distributed - claimed."""
        return self.distributed - self.claimed


@dataclass(frozen=True)
class Balance:
    cmo: str
    period: int
    licensee: str
    owed: int
    paid: int

    @property
    def outstanding(self) -> int:
        return max(0, self.owed - self.paid)


@dataclass(frozen=True)
class ClaimEntry:
    account: str
    amount: int


@dataclass(frozen=True)
class Distribution:
    cmo: str
    period: int
    paid_in: int
    commission_bps: int
    commission: int
    total: int
    residue: int
    weight_basis: str
    claims: tuple[ClaimEntry, ...]
    document: bytes
    tree: MerkleTree | None

    @property
    def root(self) -> str:
        return self.tree.root_hex if self.tree else "0x" + "00" * 32

    @property
    def cid(self) -> str:
        return cid_for_bytes(self.document)

    def proof(self, account: str) -> tuple[int, list[bytes]]:
        for i, c in enumerate(self.claims):
            if c.account == account:
                assert self.tree is not None
                return c.amount, self.tree.proof(i)
        return 0, []


@dataclass(frozen=True)
class ClaimInfo:
    cmo: str
    period: int
    account: str
    amount: int
    proof: tuple[str, ...]
    claimed: bool


@dataclass(frozen=True)
class Verification:
    cmo: str
    period: int
    ok: bool
    problems: tuple[str, ...]
    recomputed_root: str | None
    published_root: str | None
    published_cid: str | None
    recomputed_cid: str | None
    total: int
    commission: int
    residue: int
    reports: int
    lines: int


def claim_leaf(cmo: str, period: int, account: str, amount: int) -> bytes:
    return leaf_hash(CLAIM_TYPES, (cmo, period, account, amount))


def compute(
    cmo: str,
    period: int,
    paid_in: int,
    commission_bps: int,
    closed_block: int,
    reports: Sequence[tuple[ReportView, Sequence[UsageLine]]],
    holders_of: Callable[[Sequence[str]], dict[str, list[tuple[str, int]]]],
    progress: Progress = _no_progress,
    *,
    weigh: WeighFn | None = None,
    carried_in: int = 0,
) -> Distribution:
    """The distribution of one closed period from its usage (pure apart from ``holders_of``/``weigh``).

    ``weigh`` answers each (licensee, line) with (reason, owed); without it every line counts
    with its own ``owed`` (only for tests of the arithmetic)."""
    owed_by_work: dict[str, int] = defaultdict(int)
    qty_by_work: dict[str, int] = defaultdict(int)
    n = 0
    ineligible = 0
    for view, lines in reports:
        answers = weigh([(view.licensee, ln) for ln in lines]) if weigh else [(0, ln.owed) for ln in lines]
        for ln, (reason, owed) in zip(lines, answers, strict=True):
            if reason != 0:
                ineligible += 1
                continue
            owed_by_work[ln.work_id] += owed
            qty_by_work[ln.work_id] += ln.quantity
        n += len(lines)
    basis = "owed" if sum(owed_by_work.values()) > 0 else "quantity"
    weights = owed_by_work if basis == "owed" else qty_by_work
    weights = {w: v for w, v in weights.items() if v > 0}
    total_weight = sum(weights.values())
    commission = paid_in * commission_bps // WHOLE
    net = paid_in - commission + carried_in
    works = sorted(weights)
    holders = holders_of(works) if works else {}
    amounts: dict[str, int] = defaultdict(int)
    for i, w in enumerate(works):
        for account, bps in holders.get(w, []):
            amounts[account] += net * weights[w] * bps // (total_weight * WHOLE)
        if i % 1000 == 0:
            progress("distribute", i, len(works))
    progress("distribute", len(works), len(works))
    claims = tuple(ClaimEntry(a, amounts[a]) for a in sorted(amounts) if amounts[a] > 0)
    total = sum(c.amount for c in claims)
    residue = net - total
    tree = MerkleTree.build([claim_leaf(cmo, period, c.account, c.amount) for c in claims]) if claims else None
    doc = {
        "type": DISTRIBUTION_TYPE,
        "version": 2,
        "cmo": cmo,
        "period": period,
        "rule": "only eligible lines (CoverageLens.lineWeight at holdersAtBlock) weigh, by what lineWeight says "
        "they owe; holder amount = sum over works of floor(net * weight * bps / (totalWeight * 10000)); "
        "net = paidIn - commission + carriedIn; residue = net - total carries to the CMO's next period",
        "paidIn": str(paid_in),
        "carriedIn": str(carried_in),
        "ineligibleLines": ineligible,
        "commissionBps": commission_bps,
        "commission": str(commission),
        "net": str(net),
        "total": str(total),
        "residue": str(residue),
        "weightBasis": basis,
        "totalWeight": str(total_weight),
        "holdersAtBlock": closed_block,
        "lineCount": n,
        "reports": [{"reportId": v.report_id, "root": v.root, "cid": v.cid, "lineCount": len(lines)}
                    for v, lines in sorted(reports, key=lambda r: r[0].report_id)],
        "works": [{"work": w, "weight": str(weights[w]),
                   "holders": [{"account": a, "bps": b} for a, b in holders.get(w, [])]} for w in works],
        "claims": [{"account": c.account, "amount": str(c.amount)} for c in claims],
        "root": tree.root_hex if tree else "0x" + "00" * 32,
    }
    return Distribution(cmo, period, paid_in, commission_bps, commission, total, residue, basis, claims,
                        canonical_json(doc), tree)


def claims_from_document(data: bytes) -> tuple[dict[str, Any], tuple[ClaimEntry, ...]]:
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("type") != DISTRIBUTION_TYPE:  # (the CMO's own file: any JSON)
            raise ValueError("not a distribution file")
        claims = tuple(ClaimEntry(to_checksum_address(c["account"]), int(c["amount"])) for c in doc["claims"])
        for c in claims:  # the leaf's uint256: else its encoder raised in every holder's claim and the audit
            if not 0 <= c.amount < 1 << 256:
                raise ValueError(f"the amount {str(c.amount)[:40]} of {c.account} is not a uint256")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise E.MetadataMismatch(f"the distribution file is malformed ({exc})") from exc
    return doc, claims


class Royalties:
    """Payments, distributions and claims over one ledger connection."""

    def __init__(self, ledger: Any, usage: Usage | None = None) -> None:
        self.ledger = ledger
        self.usage = usage or Usage(ledger)
        self.pool_contract = self.usage.pool
        self.token = ledger.contract("SettlementToken")
        self._checked_lines: dict[tuple[str, int], list[UsageLine]] = {}  # (pool, report id): see _report_lines

    def _me(self) -> str:
        return str(self.ledger.require_signer().address)

    # --- token and settings -----------------------------------------------------------

    @property
    def token_address(self) -> str:
        return str(self.ledger.call(self.pool_contract.functions.token()))

    def token_balance(self, account: str) -> int:
        return int(self.ledger.call(self.token.functions.balanceOf(to_checksum_address(account))))

    def token_decimals(self) -> int:
        return int(self.ledger.call(self.token.functions.decimals()))

    def mint(self, to: str, amount: int) -> WriteResult:
        """GOVERNOR: mint test settlement tokens."""
        return self.ledger.write(self.token.functions.mint(to_checksum_address(to), int(amount)))

    def commission_bps(self) -> int:
        return int(self.ledger.call(self.pool_contract.functions.commissionBps()))

    def set_commission(self, bps: int) -> WriteResult:
        return self.ledger.write(self.pool_contract.functions.setCommission(int(bps)))

    # --- money in ---------------------------------------------------------------------

    def pay(self, cmo: str, period: int, amount: int) -> WriteResult:
        """Approve (if needed) and pay ``amount`` into ``cmo``'s pool for ``period``."""
        if amount <= 0:
            raise E.InputError("the amount must be positive (in the token's smallest unit)")
        cmo, period, me = to_checksum_address(cmo), check_period(period), self._me()
        balance = self.token_balance(me)
        if balance < amount:
            raise E.InputError(f"{me} holds {balance} settlement token units, cannot pay {amount}",
                               hint="get tokens first (on a development chain: "
                                    "rights-ledger --as governor token mint ACCOUNT AMOUNT)")
        pool = self.pool_contract.address
        if int(self.ledger.call(self.token.functions.allowance(me, pool))) < amount:
            self.ledger.write(self.token.functions.approve(pool, int(amount)))
        return self.ledger.write(self.pool_contract.functions.pay(cmo, period, int(amount)))

    def account(self, cmo: str, period: int, licensee: str) -> Balance:
        owed, paid = self.ledger.call(self.pool_contract.functions.accountOf(
            to_checksum_address(cmo), check_period(period), to_checksum_address(licensee)))
        return Balance(to_checksum_address(cmo), int(period), to_checksum_address(licensee), int(owed), int(paid))

    def _pool_at(self, address: str | None) -> Any:
        return self.pool_contract if address is None else self.ledger.contract("RoyaltyPool", address)

    def pool_address_of(self, cmo: str, period: int) -> str:
        """The RoyaltyPool version that holds ``cmo``'s ``period`` (ADR 002: an upgrade deploys a
        new pool; the old one keeps its periods): the newest version where the period is not
        empty, else the current pool."""
        cmo, period = to_checksum_address(cmo), check_period(period)
        for address in reversed(self.ledger.deployment.versions("RoyaltyPool")):
            p = self.pool(cmo, period, pool=address)
            if p.state != "OPEN" or p.report_count or p.paid_in:
                return address
        return str(self.pool_contract.address)

    def pool(self, cmo: str, period: int, *, pool: str | None = None) -> PoolView:
        p = self.ledger.call(self._pool_at(pool).functions.pool(to_checksum_address(cmo), check_period(period)))
        (state, bps, closed_at, closed_block, reports, totals, paid_in, commission, distributed, residue, claimed,
         root, carried_in, published_at) = p
        return PoolView(to_checksum_address(cmo), int(period), STATES[int(state)], int(bps), int(closed_at),
                        int(closed_block), int(reports), int(totals[0]), int(totals[1]), int(totals[2]),
                        int(paid_in), int(commission), int(distributed), int(residue), int(claimed),
                        "0x" + bytes(root).hex(), int(carried_in), int(published_at))

    def periods(self) -> list[tuple[str, int]]:
        """Every (cmo, period) the pool's events mention, in first-seen order."""
        seen: dict[tuple[str, int], None] = {}
        for ev in self.usage.pool_events(("UsageReportRecorded", "UsageRecorded", "Paid", "PeriodClosed")):
            seen[(ev.args["cmo"], int(ev.args["period"]))] = None
        return list(seen)

    # --- distribution -----------------------------------------------------------------

    def close(self, period: int) -> WriteResult:
        return self.ledger.write(self.pool_contract.functions.closePeriod(check_period(period)))

    def past(self, block: int) -> PastState:
        """The ledger's state at ``block``, replayed from events (no archive node needed)."""
        cache = self.__dict__.setdefault("_past", {})
        if block not in cache:
            cache[block] = past_state(self.ledger, block)
        return cache[block]  # type: ignore[no-any-return]

    def _holders_at(self, block: int) -> Callable[[Sequence[str]], dict[str, list[tuple[str, int]]]]:
        """Each work's holders as of ``block`` (in whichever WorkRegistry version holds it)."""
        state = self.past(block)

        def holders(works: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
            return {w: state.holders_of(w) for w in works}

        return holders

    def _weigh_at(self, cmo: str, block: int, pool: str | None = None) -> WeighFn:
        """Each line's (reason, owed) as the pool's CoverageLens's ``lineWeight`` would have
        answered at ``block``, from the replayed state."""
        state = self.past(block)
        licences, lens_version = pool_licences(self.ledger, pool or self.pool_contract.address, block)

        def weigh(items: Sequence[tuple[str, UsageLine]]) -> list[tuple[int, int]]:
            return weigh_lines(state, licences, cmo, items, lens_version)

        return weigh

    def carry_of(self, cmo: str) -> int:
        """What flows into the CMO's next closed period (residues and swept claims)."""
        return int(self.ledger.call(self.pool_contract.functions.carryOf(to_checksum_address(cmo))))

    def refused_reports(self, cmo: str | None = None, *, pool: str | None = None) -> set[int]:
        """The ids of the reports their CMO refused."""
        return {int(ev.args["reportId"]) for ev in self.usage.pool_events(("ReportRefused",), pool=pool)
                if cmo is None or ev.args["cmo"] == cmo}

    def refuse(self, report_id: int, reason: str) -> WriteResult:
        """As the report's CMO: refuse a report of an open period (its lines no longer count)."""
        return self.ledger.write(self.pool_contract.functions.refuseReport(int(report_id), reason))

    def sweep(self, period: int) -> WriteResult:
        """As the CMO, after the claim window: move what holders left unclaimed into the carry."""
        return self.ledger.write(self.pool_contract.functions.sweepUnclaimed(check_period(period)))

    def _live_reports(self, cmo: str, period: int, pool: str | None) -> list[ReportView]:
        refused = self.refused_reports(cmo, pool=pool)
        return [v for v in self.usage.reports(cmo=cmo, period=period, pool=pool) if v.report_id not in refused]

    def _report_lines(self, v: ReportView, pool: str | None) -> list[UsageLine]:
        """A report's lines, its file checked against its on-chain root and totals (MetadataMismatch);
        kept per (pool, report) for this object: a report's root and file never change."""
        key = (pool or self.pool_contract.address, v.report_id)
        if key in self._checked_lines:
            return self._checked_lines[key]
        lines = self.usage.lines_of(v)
        root = MerkleTree.build([ln.leaf() for ln in lines]).root_hex if lines else None
        if root != v.root or len(lines) != v.totals.line_count:
            raise E.MetadataMismatch(
                f"report {v.report_id}: its file gives root {root} over {len(lines)} lines, "
                f"the chain holds {v.root} over {v.totals.line_count}")
        owed = sum(ln.owed for ln in lines)
        qty = sum(ln.quantity for ln in lines)
        if (qty, owed) != (v.totals.quantity, v.totals.owed):
            raise E.MetadataMismatch(f"report {v.report_id}: its lines total {qty} uses / {owed} owed, "
                                     f"the chain holds {v.totals.quantity} / {v.totals.owed}")
        self._checked_lines[key] = lines
        return lines

    def _usage_of(self, cmo: str, period: int, problems: list[str] | None,
                  progress: Progress, pool: str | None = None) -> list[tuple[ReportView, list[UsageLine]]]:
        """Each report of the period with its lines, each file checked against its on-chain root."""
        out = []
        views = self._live_reports(cmo, period, pool)
        for i, v in enumerate(views):
            try:
                lines = self._report_lines(v, pool)
            except E.LedgerError as exc:
                if problems is None:
                    raise
                problems.append(exc.message)
                lines = []
            out.append((v, lines))
            progress("reports", i + 1, len(views))
        return out

    def compute(self, cmo: str, period: int, *, problems: list[str] | None = None,
                progress: Progress = _no_progress) -> Distribution:
        """Recompute a closed period's distribution from the chain and the store."""
        cmo, period = to_checksum_address(cmo), check_period(period)
        pool = self.pool_address_of(cmo, period)
        p = self.pool(cmo, period, pool=pool)
        if p.state == "OPEN":
            raise E.InvalidState("RoyaltyPool__WrongPeriodState", {}, f"period {period} of {cmo} is still open",
                                 hint="the CMO closes it first (`rights-ledger royalty distribute` does)")
        reports = self._usage_of(cmo, period, problems, progress, pool)
        return compute(cmo, period, p.paid_in, p.commission_bps, p.closed_block, reports,
                       self._holders_at(p.closed_block), progress, weigh=self._weigh_at(cmo, p.closed_block, pool),
                       carried_in=p.carried_in)

    def publish(self, dist: Distribution) -> tuple[WriteResult, str]:
        """Store the distribution file and publish its root (as the CMO)."""
        fn = self.pool_contract.functions.publishDistribution(dist.period, bytes.fromhex(dist.root[2:]), dist.total,
                                                              b"\x01" * 36)
        self.ledger.simulate(fn)  # simulate before storing
        cid = self.ledger.store.add(dist.document)
        r = self.ledger.write(self.pool_contract.functions.publishDistribution(
            dist.period, bytes.fromhex(dist.root[2:]), dist.total, cid_to_bytes(cid)))
        return r, cid

    def distribute(self, period: int, *, progress: Progress = _no_progress) -> tuple[Distribution, WriteResult, str]:
        """As the CMO: close the period if open, compute its distribution, publish it."""
        me, period = self._me(), check_period(period)
        if self.pool(me, period).state == "OPEN":
            # every report file is read before the close: once closed, a report can no longer be refused,
            # and one licensee's unusable file would keep the period from ever being distributed
            pool = self.pool_address_of(me, period)
            views = self._live_reports(me, period, pool)
            for i, v in enumerate(views):
                try:
                    self._report_lines(v, pool)
                    progress("reports", i + 1, len(views))
                except E.StoreUnavailable:
                    raise
                except E.LedgerError as exc:
                    raise E.MetadataMismatch(
                        f"usage report {v.report_id} of period {period} (licensee {v.licensee}) is unusable: "
                        f"{exc.message}",
                        hint=f"refuse it while the period is open: rights-ledger usage refuse {v.report_id} "
                             "--reason \"...\"; nothing was closed") from None
            self.close(period)
        dist = self.compute(me, period, progress=progress)
        r, cid = self.publish(dist)
        return dist, r, cid

    def published(self, cmo: str, period: int, *, pool: str | None = None
                  ) -> tuple[dict[str, Any], tuple[ClaimEntry, ...], str, bytes]:
        """The published distribution file of a period: (document, claims, cid, raw bytes)."""
        cmo = to_checksum_address(cmo)
        if pool is None:
            pool = self.pool_address_of(cmo, period)
        for ev in reversed(self.usage.pool_events(("DistributionPublished",), pool=pool)):
            if ev.args["cmo"] == cmo and int(ev.args["period"]) == int(period):
                cid = chain_cid(ev.args["cid"])
                if names_no_cid(cid):  # (another client's bytes)
                    raise E.MetadataMismatch(f"the chain names no valid CID for the distribution file: {cid[:80]}")
                data = self.ledger.store.cat(cid)
                doc, claims = claims_from_document(data)
                return doc, claims, cid, data
        raise E.InputError(f"no distribution is published for period {period} of {cmo}",
                           hint="the CMO publishes it with `rights-ledger royalty distribute --period P`")

    def verify(self, cmo: str, period: int, *, progress: Progress = _no_progress) -> Verification:
        """Recompute the period's distribution and compare it with the published file and root."""
        cmo, period = to_checksum_address(cmo), check_period(period)
        pool = self.pool_address_of(cmo, period)
        p = self.pool(cmo, period, pool=pool)
        problems: list[str] = []
        dist = None
        if p.state == "OPEN":
            problems.append(f"period {period} is still open: nothing to verify yet")
        else:
            dist = self.compute(cmo, period, problems=problems, progress=progress)
        pub_cid = pub_root = None
        if p.state in ("DISTRIBUTED", "SWEPT"):
            pub_root = p.root
            try:
                doc, claims, pub_cid, _data = self.published(cmo, period, pool=pool)
            except E.StoreUnavailable:
                raise  # cannot check: an error (exit 2), not a finding
            except E.LedgerError as exc:
                problems.append(f"published distribution file unavailable: {exc.message}")
                doc, claims = {}, ()
            if dist is not None:
                if dist.root != p.root:
                    problems.append(f"root mismatch: recomputed {dist.root}, on-chain {p.root}")
                if dist.total != p.distributed:
                    problems.append(f"total mismatch: recomputed {dist.total}, on-chain {p.distributed}")
                if doc:
                    if pub_cid != dist.cid:
                        problems.append(f"the published file {pub_cid} differs from the recomputed one {dist.cid}")
                    if doc.get("root") != p.root:
                        problems.append(f"the published file names root {doc.get('root')}, on-chain {p.root}")
                    file_tree = (MerkleTree.build([claim_leaf(cmo, period, c.account, c.amount) for c in claims])
                                 if claims else None)
                    file_root = file_tree.root_hex if file_tree else "0x" + "00" * 32
                    if file_root != p.root:
                        problems.append(f"the published file's claims give root {file_root}, on-chain {p.root}")
                    mine = {c.account: c.amount for c in dist.claims}
                    theirs = {c.account: c.amount for c in claims}
                    for a in sorted(set(mine) | set(theirs)):
                        if mine.get(a, 0) != theirs.get(a, 0):
                            problems.append(f"{a}: recomputed {mine.get(a, 0)}, published {theirs.get(a, 0)}")
            if p.commission + p.distributed + p.residue != p.paid_in + p.carried_in:
                problems.append("money not conserved: commission + total + residue != paid in + carried in")
        elif p.state == "CLOSED":
            problems.append(f"period {period} is closed but no distribution is published yet")
        return Verification(cmo, period, not problems, tuple(problems), dist.root if dist else None, pub_root,
                            pub_cid, dist.cid if dist else None, dist.total if dist else 0,
                            dist.commission if dist else 0, dist.residue if dist else 0,
                            p.report_count, p.line_count)

    # --- claims -----------------------------------------------------------------------

    def claimable(self, cmo: str, period: int, account: str) -> ClaimInfo:
        cmo, account = to_checksum_address(cmo), to_checksum_address(account)
        _doc, claims, _cid, _data = self.published(cmo, period)
        amount, proof = 0, []
        if claims:
            tree = MerkleTree.build([claim_leaf(cmo, period, c.account, c.amount) for c in claims])
            for i, c in enumerate(claims):
                if c.account == account:
                    amount, proof = c.amount, tree.proof(i)
        pool = self._pool_at(self.pool_address_of(cmo, period))  # an older pool's period too (ADR 002)
        claimed = bool(self.ledger.call(pool.functions.isClaimed(cmo, int(period), account)))
        return ClaimInfo(cmo, int(period), account, amount, tuple("0x" + p.hex() for p in proof), claimed)

    def claim(self, cmo: str, period: int) -> tuple[WriteResult, int]:
        """Claim the signer's amount of a distributed period (with the proof from the published file)."""
        info = self.claimable(cmo, period, self._me())
        if info.amount == 0:
            raise E.InputError(f"{info.account} has nothing to claim in period {period} of {info.cmo}")
        if info.claimed:
            raise E.InvalidState("RoyaltyPool__AlreadyClaimed", {}, f"{info.account} claimed period {period} already")
        pool = self._pool_at(self.pool_address_of(info.cmo, period))
        r = self.ledger.write(pool.functions.claim(info.cmo, int(period), info.amount,
                                                           [bytes.fromhex(p[2:]) for p in info.proof]))
        return r, info.amount
