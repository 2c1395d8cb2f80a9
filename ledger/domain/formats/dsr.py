"""DDEX DSR flat files (Digital Sales Reporting, tab-separated): usage records into usage lines.

A DSR flat file is a tab-separated text file. Its first record is ``HEAD``, its last ``FOOT``;
lines starting with ``#`` name the columns of a record type (``#SU02.02<TAB>BlockId<TAB>...``),
and every data line starts with its record type (``SU02.02``; the part after the dot is the
record version). This reader needs those ``#`` column lines (anywhere in the file) for the records
it reads (DDEX's sample files carry them); a record type it reads without one is refused, naming
the line. It does not carry the profiles' built-in column lists.

Records read: ``HEAD`` (usage period, sender), ``SY*`` (summary records: territory, use type,
by ``SummaryRecordId``), ``AS*`` (sound recordings and other resources: ISRC, ISWC, proprietary
ids), ``MW*`` (musical works: ISWC, proprietary work id), ``SU*`` (sales/usage records: the
counted uses) and ``FOOT``. Every other record type (RE*, RU*, LI*, ...) is counted and ignored.

Each SU record becomes one usage line (the shape :mod:`ledger.domain.usage` consumes):

* **work**: the SU's resource (``TransactedResource`` = an AS ``ResourceReference``, or a
  ``DspResourceId``/``DspReleaseId`` equal to an AS ``DspResourceId``, or the block's only AS)
  is matched to a ledger work by, in order, a work id (``0x`` + 64 hex digits) in
  ``ProprietaryWorkId``, the ISRC, the resource's ISWC, the ISWC of the block's MW record;
* **quantity**: the first positive of ``NumberOfStreams``, ``Usages``, ``NumberOfUsages``,
  ``NumberOfConsumerSalesGross``, ``NumberOfDownloads``;
* **use**: from the SU's (else the summary's) ``UseType``: streams -> ``communicate``,
  downloads -> ``reproduce``, broadcasts/webcasts -> ``broadcast`` (or ``--use`` for all);
* **usedAt**: ``ValidityPeriodStart`` of the SU, else the HEAD's ``UsageStartDate``;
* **territory**: the summary record's ``Territory`` (ISO alpha-2; ``Worldwide`` = none).

Lines that match no work are never dropped silently: they are returned with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.core import errors as E
from ledger.core.inputs import decode_as, read_bytes
from ledger.core.types import USES
from ledger.domain.formats import registered_work_ids
from ledger.domain.usage import InputLine, parse_line

QUANTITY_COLUMNS = ("NumberOfStreams", "Usages", "NumberOfUsages", "NumberOfConsumerSalesGross", "NumberOfDownloads")
WORK_ID = re.compile(r"^0x[0-9a-fA-F]{64}$")
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
ISWC = re.compile(r"^T-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]$")
READ = ("HEAD", "SY", "AS", "MW", "SU", "FOOT")


def use_of(use_type: str) -> str | None:
    """The ledger use for a DSR UseType (or a ledger use's own name, as :func:`write_dsr` writes it), or None."""
    if use_type in USES:
        return use_type
    t = use_type.lower()
    if "stream" in t:
        return "communicate"
    if "download" in t:
        return "reproduce"
    if any(k in t for k in ("broadcast", "webcast", "simulcast")):
        return "broadcast"
    return None


@dataclass(frozen=True)
class Row:
    line: int
    kind: str  # e.g. SU02.02
    values: Mapping[str, str]

    @property
    def family(self) -> str:
        return self.kind[:2] if self.kind[:2] in ("SY", "AS", "MW", "SU", "RE", "RU", "LI") else self.kind.split(".")[0]


@dataclass(frozen=True)
class DsrLine:
    """One SU record: where it is, what it matched, and its usage line (None when unmatched)."""

    line: int
    resource: str
    identifiers: Mapping[str, str]
    work_id: str | None
    matched_by: str | None
    reason: str | None
    usage: InputLine | None


@dataclass(frozen=True)
class DsrReport:
    path: Path
    head: Mapping[str, str]
    summaries: int
    lines: tuple[DsrLine, ...]
    ignored: Mapping[str, int] = field(default_factory=dict)

    @property
    def matched(self) -> list[DsrLine]:
        return [ln for ln in self.lines if ln.usage is not None]

    @property
    def unmatched(self) -> list[DsrLine]:
        return [ln for ln in self.lines if ln.usage is None]


def _fail(path: Path, line: int, where: str, message: str) -> E.InputError:
    return E.InputError(message, where=f"{path}:{line}:{where}", hint="fix the file and rerun; nothing was sent")


def read_rows(path: Path) -> list[Row]:
    path = Path(path)
    data = read_bytes(path, what="DSR file")  # a regular file, within the input size limit (ledger.core.inputs)
    text = decode_as(data, path, "utf-8-sig", "not UTF-8 text (DSR flat files are UTF-8)",
                     hint="fix the file and rerun; nothing was sent")
    lines = text.splitlines()
    columns: dict[str, list[str]] = {}  # the '#' lines may follow their record (HEAD, in DDEX's samples)
    for raw in lines:
        if raw.startswith("#"):
            cells = raw.split("\t")
            columns.setdefault(cells[0][1:].strip(), [c.strip() for c in cells[1:]])
    rows: list[Row] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        kind = cells[0].strip()
        if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{0,2}(\.[0-9]{2})?", kind):
            raise _fail(path, n, "RecordType", f"{kind[:20]!r} is not a DSR record type (e.g. SU02.02)")
        names = columns.get(kind) or columns.get(kind.split(".")[0])
        family = kind[:2] if kind[:2] in ("SY", "AS", "MW", "SU") else kind
        if names is None:
            if family in READ:
                raise _fail(path, n, kind, f"no '#{kind}' line in the file names the columns of {kind}")
            rows.append(Row(n, kind, {}))
            continue
        values = cells[1:]
        if len(values) > len(names) and any(v.strip() for v in values[len(names):]):
            raise _fail(path, n, kind, f"{len(values)} cells for the {len(names)} columns of '#{kind}'")
        rows.append(Row(n, kind, {k: v.strip() for k, v in zip(names, values, strict=False) if k}))
    if not rows or rows[0].kind != "HEAD":
        raise _fail(path, rows[0].line if rows else 1, "RecordType", "a DSR flat file starts with a HEAD record")
    if rows[-1].kind != "FOOT":
        raise _fail(path, rows[-1].line, "RecordType", "the file ends without a FOOT record (truncated?)")
    return rows


def _date(path: Path, row: Row, column: str) -> str:
    value = row.values.get(column, "")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise _fail(path, row.line, f"{row.kind}.{column}", f"{value!r} is not a date (YYYY-MM-DD)")


def read_dsr(path: Path, find_work: Callable[[str, str], str | None], *, use: str | None = None) -> DsrReport:
    """Parse a DSR flat file and match every SU record; raises InputError (file:line:field) on a malformed file.

    ``find_work(kind, value)`` answers a work id for ``("isrc", X)`` / ``("iswc", T...)`` or None.
    """
    path = Path(path)
    rows = read_rows(path)
    head = rows[0]
    start = _date(path, head, "UsageStartDate")
    summaries: dict[str, Row] = {}
    resources: dict[str, list[Row]] = {}
    works: dict[str, list[Row]] = {}
    ignored: Counter[str] = Counter()
    out: list[DsrLine] = []
    for row in rows[1:-1]:
        fam = row.kind[:2]
        if fam == "SY":
            sid = row.values.get("SummaryRecordId", "")
            summaries.setdefault(sid, row)  # several SY rows per id (one per rights controller): same territory
        elif fam == "AS":
            resources.setdefault(row.values.get("BlockId", ""), []).append(row)
        elif fam == "MW":
            works.setdefault(row.values.get("BlockId", ""), []).append(row)
        elif fam == "SU":
            out.append(_line(path, row, start, summaries, resources, works, find_work, use))
        else:
            ignored[row.kind] += 1
    if not out:
        raise E.InputError(f"{path}: no SU (sales/usage) records")
    return DsrReport(path, dict(head.values), len(summaries), tuple(out), dict(ignored))


def _quantity(path: Path, row: Row) -> int:
    for col in QUANTITY_COLUMNS:
        raw = row.values.get(col, "")
        if raw:
            if not raw.isdigit():
                raise _fail(path, row.line, f"{row.kind}.{col}", f"{raw!r} is not a whole number of uses")
            if int(raw) > 0:
                return int(raw)
    raise _fail(path, row.line, f"{row.kind}.{'/'.join(QUANTITY_COLUMNS[:2])}", "no positive number of uses")


def _line(path: Path, row: Row, start: str, summaries: Mapping[str, Row], resources: Mapping[str, Sequence[Row]],
          works: Mapping[str, Sequence[Row]], find_work: Callable[[str, str], str | None], use: str | None) -> DsrLine:
    v = row.values
    block = v.get("BlockId", "")
    sid = v.get("SummaryRecordId", "")
    summary = summaries.get(sid)
    if summary is None:
        raise _fail(path, row.line, f"{row.kind}.SummaryRecordId", f"no SY summary record {sid!r} before it")
    quantity = _quantity(path, row)
    ref = v.get("TransactedResource") or v.get("DspResourceId") or v.get("DspReleaseId") or ""
    candidates = resources.get(block, [])
    res = next((r for r in candidates if ref and ref in (r.values.get("ResourceReference"),
                                                           r.values.get("DspResourceId"))), None)
    if res is None and len(candidates) == 1:
        res = candidates[0]
    ids: dict[str, str] = {}
    if res is not None:
        for key, col in (("proprietary", "ProprietaryWorkId"), ("isrc", "ISRC"), ("iswc", "ISWC")):
            if res.values.get(col):
                ids[key] = res.values[col]
    for mw in works.get(block, []):
        if mw.values.get("ISWC") and "iswc" not in ids:
            ids["iswc"] = mw.values["ISWC"]
        if mw.values.get("ProprietaryWorkId") and "proprietary" not in ids:
            ids["proprietary"] = mw.values["ProprietaryWorkId"]
    resource = ref or (res.values.get("ResourceReference", "") if res else "")
    if res is None:
        return DsrLine(row.line, resource, ids, None, None, f"resource {ref!r} is not in block {block}", None)
    work_id = matched_by = None
    if WORK_ID.match(ids.get("proprietary", "")):
        work_id, matched_by = find_work("id", ids["proprietary"].lower()), "work id"
    for key in ("isrc", "iswc"):
        if work_id is None and ids.get(key):
            value = ids[key].replace("-", "").replace(".", "").upper()
            if (ISRC if key == "isrc" else ISWC).match(value):
                work_id, matched_by = find_work(key, value), key.upper()
    if work_id is None:
        shown = ", ".join(f"{k.upper()} {x}" for k, x in ids.items()) or "no ISRC, ISWC or work id"
        return DsrLine(row.line, resource, ids, None, None, f"no ledger work has {shown}", None)
    use_type = v.get("UseType") or summary.values.get("UseType", "")
    use_name = use or use_of(use_type)
    if use_name is None:
        return DsrLine(row.line, resource, ids, work_id, matched_by,
                       f"use type {use_type!r} has no ledger use (give --use)", None)
    used_at = start
    if v.get("ValidityPeriodStart"):
        used_at = _date(path, row, "ValidityPeriodStart")
    territory = summary.values.get("Territory", "")
    if territory.lower() == "worldwide":
        territory = ""
    raw = {"work": work_id, "use": use_name, "quantity": str(quantity), "usedAt": used_at, "territory": territory}
    where = f"{path}:{row.line}"
    try:
        line = parse_line(raw, row.line, where=where)
    except E.InputError as exc:
        raise _fail(path, row.line, row.kind, exc.message.split(": ", 1)[-1]) from None
    from dataclasses import replace

    return DsrLine(row.line, resource, ids, work_id, matched_by, None, replace(line, where=where))


def work_finder(ledger: Any) -> Callable[[str, str], str | None]:
    """``find_work(kind, value)`` over every work's metadata on the ledger (ISRC, ISWC, id)."""
    index: dict[tuple[str, str], str] = {}
    for wid in registered_work_ids(ledger):
        index[("id", wid.lower())] = wid
        try:
            rec = ledger.work(wid)
            doc = ledger.verified_metadata(rec) or {}
        except E.LedgerError:  # a document the store does not have, or another work's: matched by its id only
            continue
        for key in ("isrc", "iswc"):
            value = (doc.get("identifiers") or {}).get(key)
            if value:
                index.setdefault((key, value.replace("-", "").replace(".", "").upper()), wid)
    return lambda kind, value: index.get((kind, value))


def check_threshold(report: DsrReport, min_match: float) -> None:
    """Refuse the report (InputError) when fewer than ``min_match`` percent of its SU lines matched."""
    total = len(report.lines)
    share = 100.0 * len(report.matched) / total
    if share + 1e-9 < min_match:
        raise E.InputError(
            f"{report.path}: only {len(report.matched)} of {total} usage lines ({share:.1f} %) matched a ledger work; "
            f"--min-match is {min_match:g} %",
            hint="register the missing works (or give their ISRC/ISWC), or lower --min-match; nothing was sent",
        )


USE_TYPES = {"communicate": "OnDemandStream", "reproduce": "PermanentDownload", "broadcast": "Broadcast"}


def write_dsr(lines: Sequence[Any], *, sender: str, recipient: str, start: str, end: str, message_id: str,
              territory_of: Callable[[Any], str] = lambda _line: "") -> str:
    """A DSR flat file (tab-separated, with its '#' column lines) of recorded usage lines.

    One AS record per line's work (``ProprietaryWorkId`` = the work id, so :func:`read_dsr`
    matches it back), one SY per territory, one SU per line in the lines' order, with the use
    as ``UseType`` (the DSR name where there is one) and the day of use as
    ``ValidityPeriodStart``; reading it back gives the same usage lines for days at 00:00 UTC.
    """
    names = {bit: name for name, bit in USES.items()}
    out = [
        "\t".join(["HEAD", "dsrf/rights-ledger", "RightsLedgerUsage", "1.0", message_id,
                   dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "1", "1", start, end, sender, recipient]),
        "#HEAD\tMessageVersion\tProfile\tProfileVersion\tMessageId\tMessageCreatedDateTime\tFileNumber\t"
        "NumberOfFiles\tUsageStartDate\tUsageEndDate\tSenderPartyId\tRecipientPartyId",
        "#SY02.01\tSummaryRecordId\tTerritory\tUsages",
        "#AS01.01\tBlockId\tResourceReference\tDspResourceId\tISRC\tProprietaryWorkId",
        "#SU03.01\tBlockId\tSummaryRecordId\tSalesTransactionId\tDspResourceId\tUseType\tUsages\t"
        "ValidityPeriodStart\tValidityPeriodEnd",
    ]
    summaries: dict[str, str] = {}
    for ln in lines:
        terr = territory_of(ln) or "Worldwide"
        summaries.setdefault(terr, f"S{len(summaries) + 1}")
    for terr, sid in summaries.items():
        total = sum(ln.quantity for ln in lines if (territory_of(ln) or "Worldwide") == terr)
        out.append(f"SY02.01\t{sid}\t{terr}\t{total}")
    blocks: dict[str, int] = {}
    for ln in lines:
        if ln.work_id not in blocks:
            blocks[ln.work_id] = len(blocks) + 1
            b = blocks[ln.work_id]
            out.append(f"AS01.01\t{b}\tR{b}\t{ln.work_id}\t\t{ln.work_id}")
    for n, ln in enumerate(lines, start=1):
        b = blocks[ln.work_id]
        use = names.get(ln.use, str(ln.use))
        day = dt.datetime.fromtimestamp(ln.used_at, dt.UTC).strftime("%Y-%m-%d")
        sid = summaries[territory_of(ln) or "Worldwide"]
        out.append(f"SU03.01\t{b}\t{sid}\tU{n}\t{ln.work_id}\t{USE_TYPES.get(use, use)}\t{ln.quantity}\t{day}\t{day}")
    out.append("#FOOT\tNumberOfLinesInFile\tNumberOfBlocksInFile")
    out.append(f"FOOT\t{len(out) + 1}\t{len(blocks)}")
    return "\n".join(out) + "\n"


__all__ = ["DsrLine", "DsrReport", "check_threshold", "read_dsr", "read_rows", "use_of", "work_finder", "write_dsr"]
