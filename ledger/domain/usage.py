"""Usage: licensees report what they used, one line at a time or as a usage report file.

A usage report (CSV or JSON lines, DDEX-DSR-like) is read, validated and checked for
coverage line by line *before* anything is stored or sent: one refused line refuses the
whole report, with every refused line and its reason (:class:`UsageRefused`). An accepted
report is normalised (each line gets its index, the grant that covers it and the money it
owes), stored in the metadata store as JSON lines, and its Merkle root, totals and CID go
on-chain in one transaction (``RoyaltyPool.recordReport``). Any line can later be proven
to belong to it (:meth:`Usage.prove`, checked by the contract's ``verifyUsageLine``).

Coverage is asked of a pluggable callable (:data:`CoverageFn`), one answer per line. The
default, :func:`chain_coverage`, asks the LicenceRegistry's ``coverage`` view in batched
JSON-RPC calls and prices each line from the covering licence's ``ratePerUse`` or the
use's statutory tariff (``amountPerWork``): owed = rate x quantity, unless the line states
its ``amount``.

Input columns (CSV header or JSON keys): ``work`` (work id), ``use`` (e.g. ``perform``),
``quantity`` (positive integer), ``usedAt`` (YYYY-MM-DD, ISO timestamp or unix seconds),
optional ``basis`` (``statutory`` or a licence id, informative: the recorded basis is the
grant the ledger finds), ``territory`` (ISO alpha-2) and ``amount`` (owed, token units).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from ledger.content.cid import chain_cid, cid_to_bytes, names_no_cid
from ledger.content.merkle import MerkleTree, abi_encode_static, leaf_hash
from ledger.core import errors as E
from ledger.core import parsing
from ledger.core.chain import TxResult
from ledger.core.events import Event
from ledger.core.inputs import read_table
from ledger.core.types import USES

LEAF_TYPES = ("uint32", "bytes32", "uint32", "uint64", "uint40", "uint64", "uint8", "uint128")
KIND_WORK, KIND_BLANKET, KIND_OPEN, KIND_STATUTORY = 1, 2, 3, 4
KIND_NAMES = {0: "none", 1: "work licence", 2: "blanket licence", 3: "open licence", 4: "statutory tariff"}
REASON_NAMES = {
    0: "covered", 1: "no licence or tariff covers it", 2: "licence revoked", 3: "licence suspended",
    4: "licence not yet valid", 5: "licence expired", 6: "wrong territory", 7: "mandate withdrawn",
    8: "use reserved by the holders", 9: "work not confirmed",
}
USE_NAMES = {bit: name for name, bit in USES.items()}
REPORT_TYPE = "rights-ledger/usage-report"
MAX_UINT64 = (1 << 64) - 1
MAX_UINT128 = (1 << 128) - 1
MAX_UINT96 = (1 << 96) - 1
# RoyaltyPool's bounds of one report (MAX_REPORT_LINES, MAX_REPORT_QUANTITY, MAX_REPORT_OWED).
MAX_REPORT_LINES = 1 << 24
MAX_REPORT_QUANTITY = (1 << 64) - 1
MAX_REPORT_OWED = MAX_UINT96
RPC_BATCH = 500

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): called as long work advances."""


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    pass


# --- records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputLine:
    """A line as the licensee reported it (validated, not yet checked for coverage)."""

    line_no: int  # 1-based position in the input (data lines)
    work_id: str
    use: int  # one bit
    quantity: int
    used_at: int
    basis: int | None  # declared licence id; None for statutory / unspecified
    territory: bytes  # b"" or 2 ASCII bytes
    amount: int | None
    where: str | None = field(default=None, compare=False)  # "<file>:<physical line>" when read from a file


@dataclass(frozen=True)
class CoverageQuery:
    work_id: str
    licensee: str
    use: int
    territory: bytes
    at: int


@dataclass(frozen=True)
class CoverageAnswer:
    covered: bool
    kind: int  # 1 work, 2 blanket, 3 open licence, 4 statutory tariff, 0 none
    reason: int  # 0 when covered, else ILicenceRegistry's reason code
    licence_id: int
    rate: int  # owed per unit of quantity


CoverageFn = Callable[[Sequence[CoverageQuery]], list[CoverageAnswer]]


@dataclass(frozen=True)
class UsageLine:
    """A recorded (normalised) line: the Merkle leaf's fields."""

    index: int
    work_id: str
    use: int
    quantity: int
    used_at: int
    licence_id: int
    kind: int
    owed: int

    def values(self) -> tuple[Any, ...]:
        return (self.index, self.work_id, self.use, self.quantity, self.used_at, self.licence_id, self.kind, self.owed)

    def leaf(self) -> bytes:
        return leaf_hash(LEAF_TYPES, self.values())

    def as_tuple(self) -> tuple[Any, ...]:
        """The contract's UsageLine struct."""
        v = self.values()
        return (v[0], bytes.fromhex(self.work_id[2:]), *v[2:])

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "work": self.work_id, "use": USE_NAMES.get(self.use, self.use),
                "quantity": self.quantity, "usedAt": self.used_at, "licenceId": self.licence_id,
                "basis": KIND_NAMES.get(self.kind, self.kind), "owed": str(self.owed)}


@dataclass(frozen=True)
class Refusal:
    line_no: int
    work_id: str | None
    use: str | None
    reason: str
    where: str | None = None  # "<file>:<physical line>" when read from a file

    def as_json(self) -> dict[str, Any]:
        doc = {"line": self.line_no, "work": self.work_id, "use": self.use, "reason": self.reason}
        if self.where:
            doc["where"] = self.where
        return doc


class UsageRefused(E.InputError):
    """Lines of a usage report were refused; nothing was stored or sent. ``refusals`` says which."""

    def __init__(self, refusals: Sequence[Refusal], total: int):
        first = refusals[0]
        more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
        super().__init__(
            f"{len(refusals)} of {total} usage lines refused, nothing recorded; "
            f"line {first.line_no}{f' ({first.where})' if first.where else ''}: {first.reason}{more}",
            hint="fix or remove the refused lines (see them with --json), then report again",
        )
        self.refusals = tuple(refusals)
        self.total = total


@dataclass(frozen=True)
class Totals:
    line_count: int
    quantity: int
    owed: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.line_count, self.quantity, self.owed)


@dataclass(frozen=True)
class PreparedReport:
    """A checked, normalised report, ready to store and record."""

    licensee: str
    cmo: str
    period: int
    lines: tuple[UsageLine, ...]
    tree: MerkleTree
    totals: Totals
    document: bytes

    @property
    def root(self) -> str:
        return self.tree.root_hex


@dataclass(frozen=True)
class ReportRecorded:
    report_id: int
    root: str
    cid: str | None
    totals: Totals
    tx_hash: str
    block: int
    gas_used: int
    lines: tuple[UsageLine, ...] = field(default=(), repr=False)
    already_recorded: bool = False  # the same report (same root) was recorded before: not sent again


@dataclass(frozen=True)
class ReportView:
    report_id: int
    licensee: str
    cmo: str
    period: int
    recorded_at: int
    root: str
    totals: Totals
    cid: str | None  # None for a single record (its line is in the event)
    line: UsageLine | None  # the line of a single record
    block: int
    tx_hash: str


@dataclass(frozen=True)
class LineProof:
    report_id: int
    line: UsageLine
    proof: tuple[str, ...]
    root: str
    verified_on_chain: bool


# --- input ---------------------------------------------------------------------------------


def parse_line(raw: dict[str, Any], line_no: int, where: str = "line") -> InputLine:
    """One input record (CSV row or JSON object) into an :class:`InputLine`; raises InputError.

    Every value goes through ledger.core.parsing: ``quantity`` 1..2**64-1 and ``amount``
    0..2**128-1 in decimal digits only, ``usedAt`` a date, ISO timestamp or unix seconds,
    ``territory`` an assigned ISO 3166-1 alpha-2 code, ``basis`` 'statutory' or a licence id.
    """
    at = f"{where} {line_no}"

    def get(*keys: str) -> Any:
        for k in keys:
            if k in raw and raw[k] not in (None, ""):
                return raw[k]
        return None

    def parse(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except E.InputError as exc:
            raise E.InputError(exc.message, where=at, hint=exc.hint) from None

    work = get("work", "workId", "work_id")
    if work is None:
        raise E.InputError("no work id", where=at)
    work_id = parse(lambda: parsing.parse_work_id(work))
    use_name = get("use")
    if not isinstance(use_name, str) or use_name not in USES:
        raise E.InputError(f"unknown use {use_name!r}", where=at, hint="one of: " + ", ".join(USES))
    qty = get("quantity", "qty")
    try:
        quantity = 1 if qty is None else parsing.parse_uint(qty, "quantity", bits=64, minimum=1)
    except E.InputError as exc:
        if "out of range" not in exc.message:
            raise E.InputError(exc.message, where=at) from None
        raise E.InputError(f"quantity {str(qty)[:40]} must be positive and below 2**64", where=at) from None
    at_raw = get("usedAt", "used_at", "date", "at")
    if at_raw is None:
        raise E.InputError("no usedAt date", where=at)
    used_at = parse(lambda: parsing.parse_time(at_raw, what="usedAt"))
    if used_at == 0:
        raise E.InputError(f"usedAt {at_raw!r} is out of range", where=at)
    basis_raw = get("basis", "licence", "licenceId", "license")
    basis: int | None = None
    if basis_raw is not None and not (isinstance(basis_raw, str) and basis_raw.strip().lower() in ("statutory",
                                                                                                    "tariff")):
        b = basis_raw.strip().removeprefix("#") if isinstance(basis_raw, str) else basis_raw
        try:
            basis = parsing.parse_uint(b, "basis", bits=64)
        except E.InputError:
            raise E.InputError(f"basis {basis_raw!r} is neither 'statutory' nor a licence id", where=at) from None
    territory = parse(lambda: parsing.parse_territory(get("territory")))
    amount_raw = get("amount", "owed")
    amount = None
    if amount_raw is not None:
        try:
            amount = parsing.parse_uint(amount_raw, "amount", bits=128)
        except E.InputError as exc:
            raise E.InputError(f"{exc.message.replace('is not', 'is out of range: not')} (token units)",
                               where=at) from None
    return InputLine(line_no, work_id, USES[use_name], quantity, used_at, basis, territory, amount)


KNOWN_COLUMNS = ("work", "workId", "work_id", "use", "quantity", "qty", "usedAt", "used_at", "date", "at", "basis",
                 "licence", "licenceId", "license", "territory", "amount", "owed")


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | str, str]]:
    """The records of a CSV (with header) or JSON-lines file: (line_no, record or error text, where).

    ``line_no`` counts data lines (1 = the first line after a CSV header); ``where`` is
    ``<file>:<physical line>``. Read through ledger.core.inputs: a regular file (or ``-``),
    strict UTF-8 (a BOM is skipped), a CSV header naming only the columns of the module
    docstring (and their aliases in KNOWN_COLUMNS) and none twice, and rows with exactly
    as many values as the header; JSON lines keys that are not known are ignored.
    """
    columns = "columns: work,use,quantity,usedAt[,basis,territory,amount]"
    table = read_table(path, what="usage report", allow_stdin=True,
                       require=(("work", "workId", "work_id"), "a CSV usage report needs a header with a 'work' column",
                                columns))
    if table.kind == "csv":
        unknown = [c for c in table.header if c not in KNOWN_COLUMNS]
        if unknown:
            raise E.InputError(f"unknown column {unknown[0]!r}", where=f"{table.path}:1:{unknown[0]}", hint=columns)
    for row in table.rows:
        where = row.where if row.values is not None or row.column == "-" else f"{row.where}:{row.column}"
        yield row.index, (row.values if row.values is not None else row.error or "malformed line"), where


def parse_report(
    records: Iterable[tuple[int, dict[str, Any] | str] | tuple[int, dict[str, Any] | str, str | None]],
) -> tuple[list[InputLine], list[Refusal]]:
    """Validate every record; malformed ones become refusals (the rest are still checked).

    A record is ``(line_no, record or error text)`` or, as read_records gives it, with a
    third item ``where`` (``<file>:<line>``) that the refusals carry.
    """
    lines: list[InputLine] = []
    refusals: list[Refusal] = []
    for item in records:
        n, rec = item[0], item[1]
        where = item[2] if len(item) > 2 else None
        if isinstance(rec, str):
            refusals.append(Refusal(n, None, None, rec, where))
            continue
        try:
            lines.append(replace(parse_line(rec, n), where=where))
        except E.InputError as exc:
            refusals.append(Refusal(n, str(rec.get("work") or rec.get("workId") or "") or None,
                                    str(rec.get("use")) if rec.get("use") else None,
                                    exc.message.split(": ", 1)[-1], where))
    return lines, refusals


# --- coverage ------------------------------------------------------------------------------

_SEL_COVERAGE = function_signature_to_4byte_selector("coverage(bytes32,address,uint32,bytes2,uint40)")
_SEL_TARIFF_AT = function_signature_to_4byte_selector("tariffAt(uint32,uint40)")


def chain_coverage(ledger: Any) -> CoverageFn:
    """Coverage from the CoverageLens's ``coverage`` view, batched; rates from licences/tariffs.

    Distinct queries are asked once. A covering licence prices a line at its ``ratePerUse``,
    the statutory tariff at the ``amountPerWork`` of the version in force at the line's time
    (``tariffAt``, SPECIFICATION TR5). After an upgrade (ADR 002) each query goes to the lens
    and LicenceRegistry of the version holding its work (R81c), and the licence id it answers
    with is read there.
    """

    def ask(queries: Sequence[CoverageQuery]) -> list[CoverageAnswer]:
        from ledger.domain.licensing.base import licensing_of_works

        rpc = ledger.rpc
        distinct = list(dict.fromkeys(queries))
        routes = licensing_of_works(ledger, [q.work_id for q in distinct])  # R81c: each work's version
        pair_of = {q: routes[q.work_id] for q in distinct}
        datas = [(pair_of[q][1], _SEL_COVERAGE + abi_encode_static(
            ("bytes32", "address", "uint32", "bytes2", "uint40"),
            (q.work_id, q.licensee, q.use, q.territory or b"\0\0", q.at))) for q in distinct]
        raw = [r or b"" for r in rpc.eth_call_many(datas, size=RPC_BATCH, strict=True)]
        answers: dict[CoverageQuery, tuple[bool, int, int, int]] = {}
        for q, r in zip(distinct, raw, strict=True):
            answers[q] = (r[31] == 1, r[63], r[95], int.from_bytes(r[96:128], "big"))
        # (LicenceRegistry, licence id): the same number in two versions is two licences
        licence_ids = sorted({(pair_of[q][0], a[3]) for q, a in answers.items() if a[0] and a[3]})
        rates: dict[tuple[str, int], int] = {}
        for registry, lid in licence_ids:
            rec = ledger.call(ledger.contract("LicenceRegistry", registry).functions.licence(lid))
            rates[(registry, lid)] = int(rec[12])  # ratePerUse
        keys = sorted({(pair_of[q][0], q.use, q.at) for q, a in answers.items() if a[0] and a[1] == KIND_STATUTORY})
        tariffs: dict[tuple[str, int, int], int] = {}
        if keys:
            datas = [(k[0], _SEL_TARIFF_AT + abi_encode_static(("uint32", "uint40"), k[1:])) for k in keys]
            for k, r in zip(keys, rpc.eth_call_many(datas, size=RPC_BATCH, strict=True), strict=True):
                tariffs[k] = int.from_bytes((r or b"")[0:32], "big")  # amountPerWork
        out = []
        for q in queries:
            covered, kind, reason, lid = answers[q]
            registry = pair_of[q][0]
            rate = (tariffs.get((registry, q.use, q.at), 0) if kind == KIND_STATUTORY
                    else rates.get((registry, lid), 0)) if covered else 0
            out.append(CoverageAnswer(covered, kind, reason, lid, rate))
        return out

    return ask


# --- the SDK -------------------------------------------------------------------------------


def report_document(licensee: str, cmo: str, period: int, lines: Sequence[UsageLine]) -> bytes:
    """The normalised report file: a header line, then one compact JSON array per line."""
    header = {"type": REPORT_TYPE, "version": 1, "licensee": licensee, "cmo": cmo, "period": period,
              "lineCount": len(lines), "leaf": "(" + ",".join(LEAF_TYPES) + ")",
              "fields": ["index", "workId", "use", "quantity", "usedAt", "licenceId", "kind", "owed"]}
    parts = [json.dumps(header, sort_keys=True, separators=(",", ":"))]
    for ln in lines:
        parts.append(json.dumps([ln.index, ln.work_id, ln.use, ln.quantity, ln.used_at, ln.licence_id, ln.kind,
                                 str(ln.owed)], separators=(",", ":")))
    return ("\n".join(parts) + "\n").encode()


def parse_document(data: bytes) -> tuple[dict[str, Any], list[UsageLine]]:
    """A stored report file back into its header and lines; raises MetadataMismatch if malformed."""
    try:
        text = data.decode("utf-8")
        rows = text.splitlines()
        header = json.loads(rows[0])
        if not isinstance(header, dict) or header.get("type") != REPORT_TYPE:  # (another client's file: any JSON)
            raise ValueError("not a usage report")
        lines = []
        for row in rows[1:]:
            if not row:
                continue
            i, w, u, q, at, lid, k, owed = json.loads(row)
            lines.append(_fitting(UsageLine(int(i), str(w).lower(), int(u), int(q), int(at), int(lid), int(k),
                                            int(owed))))
    except (ValueError, IndexError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise E.MetadataMismatch(f"the stored usage report is malformed ({exc})") from exc
    return header, lines


def _fitting(ln: UsageLine) -> UsageLine:
    """The line, when each value fits its Merkle leaf type (else ValueError): a value that does not
    made the leaf's encoder raise in the reader's `usage prove`, the CMO's distribution, the audit."""
    w = ln.work_id
    if len(w) != 66 or not w.startswith("0x") or w[2:].strip("0123456789abcdef"):
        raise ValueError(f"line {ln.index}: {w[:70]!r} is not a work id")
    for name, value, bits in zip(("index", "use", "quantity", "usedAt", "licenceId", "kind", "owed"),
                                 (ln.index, ln.use, ln.quantity, ln.used_at, ln.licence_id, ln.kind, ln.owed),
                                 (32, 32, 64, 40, 64, 8, 128), strict=True):
        if not 0 <= value < 1 << bits:
            raise ValueError(f"line {ln.index}: {name} {str(value)[:40]} does not fit uint{bits}")
    return ln


def check_period(period: int | str) -> int:
    """A royalty period: a month written YYYYMM (see ledger.core.parsing.parse_period)."""
    return parsing.parse_period(period)


class Usage:
    """Usage records and reports of one ledger connection (its signer is the licensee)."""

    def __init__(self, ledger: Any, coverage: CoverageFn | None = None) -> None:
        self.ledger = ledger
        self.pool = ledger.contract("RoyaltyPool")
        self._coverage = coverage

    @property
    def coverage(self) -> CoverageFn:
        if self._coverage is None:
            self._coverage = chain_coverage(self.ledger)
        return self._coverage

    # --- preparing (no writes) ---------------------------------------------------------

    def prepare(
        self,
        lines: Sequence[InputLine],
        cmo: str,
        period: int,
        *,
        licensee: str | None = None,
        refusals: Sequence[Refusal] = (),
        progress: Progress = _no_progress,
    ) -> PreparedReport:
        """Check every line's coverage and price it; raise UsageRefused listing every refused line."""
        from ledger.domain.works import parse_address

        licensee = parse_address(licensee or self.ledger.require_signer().address, "licensee")
        cmo = parse_address(cmo, "CMO")
        period = check_period(period)
        refused = list(refusals)
        total = len(lines) + len(refused)
        if total == 0:
            raise E.InputError("the usage report has no lines")
        answers: list[CoverageAnswer] = []
        step = 5000
        for start in range(0, len(lines), step):
            chunk = lines[start:start + step]
            answers.extend(self.coverage([CoverageQuery(ln.work_id, licensee, ln.use, ln.territory, ln.used_at)
                                          for ln in chunk]))
            progress("coverage", min(start + step, len(lines)), len(lines))
        out: list[UsageLine] = []
        for ln, a in zip(lines, answers, strict=True):
            if not a.covered:
                why = REASON_NAMES.get(a.reason, f"reason {a.reason}")
                if a.licence_id:
                    why += f" (licence {a.licence_id})"
                refused.append(Refusal(ln.line_no, ln.work_id, USE_NAMES.get(ln.use), f"not covered: {why}",
                                       ln.where))
                continue
            owed = a.rate * ln.quantity  # from the licence's or tariff's terms, never a typed amount
            if ln.amount is not None and ln.amount != owed:
                refused.append(Refusal(ln.line_no, ln.work_id, USE_NAMES.get(ln.use),
                                       f"amount {ln.amount} differs from the terms' {owed} "
                                       f"({ln.quantity} x {a.rate})", ln.where))
                continue
            if owed > MAX_UINT96:
                refused.append(Refusal(ln.line_no, ln.work_id, USE_NAMES.get(ln.use),
                                       "amount owed exceeds the bound of a report", ln.where))
                continue
            out.append(UsageLine(len(out), ln.work_id, ln.use, ln.quantity, ln.used_at, a.licence_id, a.kind, owed))
        if refused:
            raise UsageRefused(sorted(refused, key=lambda r: r.line_no), total)
        progress("merkle", 0, len(out))
        tree = MerkleTree.build([ln.leaf() for ln in out])
        progress("merkle", len(out), len(out))
        totals = Totals(len(out), sum(ln.quantity for ln in out), sum(ln.owed for ln in out))
        if (totals.line_count > MAX_REPORT_LINES or totals.quantity > MAX_REPORT_QUANTITY
                or totals.owed > MAX_REPORT_OWED):
            raise E.InputError(f"the report is too large for one transaction ({totals.line_count} lines, "
                               f"{totals.quantity} uses, {totals.owed} owed; at most {MAX_REPORT_LINES}, "
                               f"{MAX_REPORT_QUANTITY}, {MAX_REPORT_OWED})", hint="split it into several reports")
        return PreparedReport(licensee, cmo, period, tuple(out), tree, totals,
                              report_document(licensee, cmo, period, out))

    def prepare_file(self, path: Path, cmo: str, period: int, *, progress: Progress = _no_progress) -> PreparedReport:
        records = []
        for i, rec in enumerate(read_records(Path(path)), 1):
            records.append(rec)
            if i % 10000 == 0:
                progress("read", i, 0)
        lines, refusals = parse_report(records)
        progress("read", len(records), len(records))
        return self.prepare(lines, cmo, period, refusals=refusals, progress=progress)

    # --- writes --------------------------------------------------------------------------

    def record_prepared(self, prepared: PreparedReport) -> ReportRecorded:
        """Simulate, store the report file, then record root + totals + CID in one transaction."""
        signer = self.ledger.require_signer()
        if signer.address != prepared.licensee:
            raise E.InputError(f"the report was prepared for {prepared.licensee}, the signer is {signer.address}")
        root = prepared.tree.root
        # The same lines give the same root: a report already recorded for this licensee, pool
        # and period (a run cut off after sending, then run again) is returned, not sent twice.
        for v in self.reports(cmo=prepared.cmo, period=prepared.period, licensee=signer.address):
            if v.cid is not None and v.root == prepared.root:
                self.ledger.store.add(prepared.document)  # keep the file even if the store lost it
                return ReportRecorded(v.report_id, prepared.root, v.cid, prepared.totals, v.tx_hash, v.block, 0,
                                      prepared.lines, already_recorded=True)
        placeholder = b"\x01" * 36
        fn = self.pool.functions.recordReport(prepared.cmo, prepared.period, root, prepared.totals.as_tuple(),
                                              placeholder)
        self.ledger.simulate(fn, signer)  # a revert (role, period closed) stops here, before storing
        cid = self.ledger.store.add(prepared.document)
        fn = self.pool.functions.recordReport(prepared.cmo, prepared.period, root, prepared.totals.as_tuple(),
                                              cid_to_bytes(cid))
        r = self.ledger.transact(fn, signer=signer)
        report_id = self._report_id(r)
        return ReportRecorded(report_id, prepared.root, cid, prepared.totals, r.tx_hash, r.block_number,
                              r.gas_used, prepared.lines)

    def record_report(self, path: Path, cmo: str, period: int, *, progress: Progress = _no_progress) -> ReportRecorded:
        """Read, check, store and record a usage report file (CSV or JSON lines)."""
        return self.record_prepared(self.prepare_file(path, cmo, period, progress=progress))

    def record(
        self,
        work_id: str,
        use: str,
        quantity: int,
        used_at: Any,
        cmo: str,
        period: int,
        *,
        basis: str | int | None = None,
        territory: str | None = None,
        amount: int | None = None,
    ) -> ReportRecorded:
        """Record one usage line (checked for coverage first) with ``recordUsage``; a line for a
        work of an older contract version (ADR 002) as a one-line usage report (R81c)."""
        rec: dict[str, Any] = {"work": work_id, "use": use, "quantity": quantity, "usedAt": used_at,
                               "basis": basis, "territory": territory, "amount": amount}
        try:
            line = parse_line(rec, 1, where="usage")
        except E.InputError:
            raise
        prepared = self.prepare([line], cmo, period)
        ln = prepared.lines[0]
        from ledger.domain.licensing.base import licensing_of_works

        current = (self.ledger.contract("LicenceRegistry").address, self.ledger.contract("CoverageLens").address)
        if licensing_of_works(self.ledger, [ln.work_id])[ln.work_id] != current:
            # R81c: recordUsage is weighed on chain by the pool's lens, which reads the current
            # registries only; a use of a work of an older version goes in as a one-line report
            return self.record_prepared(prepared)
        r = self.ledger.transact(self.pool.functions.recordUsage(prepared.cmo, prepared.period, ln.as_tuple()))
        return ReportRecorded(self._report_id(r), prepared.root, None, prepared.totals, r.tx_hash,
                              r.block_number, r.gas_used, prepared.lines)

    @staticmethod
    def _report_id(tx: TxResult) -> int:
        return int(tx.event("UsageReportRecorded", "UsageRecorded").args["reportId"])

    # --- reads ---------------------------------------------------------------------------

    def pool_events(self, names: Sequence[str] | None = None, topics: list[Any] | None = None, *,
                    pool: str | None = None) -> list[Event]:
        """Decoded RoyaltyPool events, oldest first (optionally only these names); ``pool``: the
        address of an older RoyaltyPool version (ADR 002) instead of the current one."""
        dep = self.ledger.deployment
        rec = dep.contracts["RoyaltyPool"]
        if pool is not None and pool.lower() != rec.address.lower():
            rec = next((r for r in dep.history if r.address.lower() == pool.lower()), rec)
        evs = self.ledger.read_events([rec.address], topics, from_block=rec.block)
        return [ev for ev in evs if names is None or ev.name in names]

    def report(self, report_id: int) -> ReportView:
        """A recorded report (or single record) with its CID and block, from storage and its event."""
        r = self.ledger.call(self.pool.functions.report(int(report_id)))
        licensee, cmo, period, recorded_at, root, totals = r
        if int(licensee, 16) == 0:
            raise E.InputError(f"no usage report {report_id}", hint="list them with `rights-ledger usage show`")
        topic = "0x" + int(report_id).to_bytes(32, "big").hex()
        evs = self.pool_events(("UsageReportRecorded", "UsageRecorded"), topics=[None, topic])
        ev = next((e for e in evs if int(e.args["reportId"]) == int(report_id)), None)
        cid = line = None
        if ev is not None and ev.name == "UsageReportRecorded":
            cid = chain_cid(ev.args["cid"])
        elif ev is not None:
            line = _line_from_event(ev.args["line"])
        return ReportView(int(report_id), to_checksum_address(licensee), to_checksum_address(cmo), int(period),
                          int(recorded_at), "0x" + bytes(root).hex(), Totals(*map(int, totals)), cid, line,
                          ev.block if ev else 0, ev.tx_hash if ev else "")

    def reports(self, *, cmo: str | None = None, period: int | None = None,
                licensee: str | None = None, pool: str | None = None) -> list[ReportView]:
        """Every recorded report and single record (from events), optionally filtered."""
        out = []
        for ev in self.pool_events(("UsageReportRecorded", "UsageRecorded"), pool=pool):
            a = ev.args
            if cmo and a["cmo"] != cmo or period and int(a["period"]) != int(period):
                continue
            if licensee and a["licensee"] != licensee:
                continue
            if ev.name == "UsageRecorded":
                ln = _line_from_event(a["line"])
                out.append(ReportView(int(a["reportId"]), a["licensee"], a["cmo"], int(a["period"]), 0,
                                      "0x" + ln.leaf().hex(), Totals(1, ln.quantity, ln.owed), None, ln,
                                      ev.block, ev.tx_hash))
            else:
                out.append(ReportView(int(a["reportId"]), a["licensee"], a["cmo"], int(a["period"]), 0,
                                      "0x" + bytes(a["root"]).hex(), Totals(*map(int, a["totals"])),
                                      chain_cid(a["cid"]), None, ev.block, ev.tx_hash))
        return out

    def lines_of(self, view: ReportView) -> list[UsageLine]:
        """The lines of a report, read from the store (checked against the CID) or its event."""
        if view.line is not None:
            return [view.line]
        if view.cid is None:
            raise E.InputError(f"report {view.report_id} has no file")
        if names_no_cid(view.cid):  # (another client's bytes)
            raise E.MetadataMismatch(f"the chain names no valid CID for the file of report {view.report_id}: "
                                     f"{view.cid[:80]}")
        _header, lines = parse_document(self.ledger.store.cat(view.cid))
        return lines

    def prove(self, report_id: int, line: int) -> LineProof:
        """A Merkle proof that line ``line`` (0-based index) belongs to report ``report_id``,
        checked by the contract's ``verifyUsageLine``."""
        view = self.report(report_id)
        lines = self.lines_of(view)
        if not 0 <= line < len(lines):
            raise E.InputError(f"report {report_id} has lines 0..{len(lines) - 1}, not {line}")
        tree = MerkleTree.build([ln.leaf() for ln in lines])
        if tree.root_hex != view.root:
            raise E.MetadataMismatch(
                f"the stored file of report {report_id} gives root {tree.root_hex}, the chain holds {view.root}")
        proof = tree.proof(line)
        ok = self.verify_line(report_id, lines[line], proof)
        return LineProof(report_id, lines[line], tuple("0x" + p.hex() for p in proof), view.root, ok)

    def verify_line(self, report_id: int, line: UsageLine, proof: Sequence[bytes]) -> bool:
        return bool(self.ledger.call(self.pool.functions.verifyUsageLine(int(report_id), line.as_tuple(), list(proof))))


def _line_from_event(t: Sequence[Any]) -> UsageLine:
    i, w, u, q, at, lid, k, owed = t
    return UsageLine(int(i), "0x" + bytes(w).hex(), int(u), int(q), int(at), int(lid), int(k), int(owed))
