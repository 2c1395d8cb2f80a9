"""CWR 2.1 (CISAC Common Works Registration): read NWR/REV transactions, write works back, write ACKs.

Why not PyPI ``cwr-api``: its last release (0.0.40) is from 2017 and pins ``pyparsing==2.2.0`` and
``pyyaml==3.11`` (which does not build on Python 3.11); it is unmaintained. This is a small
fixed-width reader and writer for the records the ledger needs. The field positions are those of
the CWR 2.1 functional specification (CISAC CWR11-1991R1, Rev. 7); every record starts with the
19-character prefix ``record type (1-3), transaction sequence (4-11), record sequence (12-19)``.

Records read: HDR, GRH, GRT, TRL (control), NWR and REV (a work), SPU/OPU (publishers),
SPT (publisher territory shares), SWR/OWR (writers), SWT (writer territory shares), ALT
(alternative titles). Every other record type is **ignored** and counted (PWR, PER, REC, ORN,
INS, IND, COM, EWT, VER, NAT, NPN, NPA, NWN, NOW, NET, NCT, NVT, ARI, AGR, TER, IPA, ACK,
MSG, EXC, ISW). Transactions other than NWR/REV (AGR, ACK, ISW, EXC) are skipped whole.

A work on the ledger is keyed by a content hash; a CWR work has no file, so its *content
sha-256* is the sha-256 of a reference: ``cwr:iswc:<ISWC>`` when the work has an ISWC, else
``cwr:work:<sender type><sender id>:<submitter work number>``. Importing the same file again,
or the file :func:`write_cwr` exports, gives the same ids.

Shares: CWR shares are percentages with two decimals (``05000`` = 50.00 %), i.e. basis points
already. The holders of a work are the parties' **collection shares** (SPT/SWT, PR right by
default) for one territory (``territory``, TIS code, default 2136 = World; an SPT/SWT counts
when its indicator is ``I`` and its TIS code is the territory or 2136) when those total 100 %
(within the tolerance below); otherwise the **ownership shares** of SPU/OPU/SWR/OWR are used. Parties are turned
into accounts with a parties file (``ip,account`` CSV: the CWR interested-party number and the
0x address; a row ``*,0x...`` takes every party without a row of its own, e.g. unidentified
"other" publishers); parties mapped to one account are added together; zero shares are dropped. CWR
allows the total to be 100 % ± 0.06 %; such a total (9994-10006 bps) is scaled to exactly
10000 by the largest-remainder method (ties: the earlier party); any other total is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.content.metadata import build_work_metadata, validate_work_metadata
from ledger.core import errors as E
from ledger.core.inputs import decode_as, read_bytes, read_text
from ledger.core.types import Holder, WorkId
from ledger.domain.batch import Catalogue, CatalogueRow
from ledger.domain.formats import registered_work_ids
from ledger.domain.works import parse_address

WORLD = "2136"
ANY_PARTY = "*"  # parties-file row for every party without a row of its own
READ = {"HDR", "GRH", "GRT", "TRL", "NWR", "REV", "SPU", "OPU", "SPT", "SWR", "OWR", "SWT", "ALT"}
WORK_TRANSACTIONS = {"NWR", "REV"}
TRANSACTIONS = {"NWR", "REV", "AGR", "ACK", "ISW", "EXC"}
TOLERANCE_BPS = 6  # CWR: shares may total 100 % +/- 0.06 %

# (name, start, length), 1-based positions of CWR 2.1
LAYOUT: dict[str, tuple[tuple[str, int, int], ...]] = {
    "HDR": (("sender_type", 4, 2), ("sender_id", 6, 9), ("sender_name", 15, 45), ("edi_version", 60, 5),
            ("creation_date", 65, 8), ("creation_time", 73, 6), ("transmission_date", 79, 8),
            ("character_set", 87, 15)),
    "GRH": (("transaction_type", 4, 3), ("group_id", 7, 5), ("version", 12, 5), ("batch_request", 17, 10)),
    "GRT": (("group_id", 4, 5), ("transaction_count", 9, 8), ("record_count", 17, 8)),
    "TRL": (("group_count", 4, 5), ("transaction_count", 9, 8), ("record_count", 17, 8)),
    "NWR": (("title", 20, 60), ("language", 80, 2), ("work_number", 82, 14), ("iswc", 96, 11),
            ("copyright_date", 107, 8), ("copyright_number", 115, 12), ("distribution_category", 127, 3),
            ("duration", 130, 6), ("recorded", 136, 1), ("text_music", 137, 3), ("composite_type", 140, 3),
            ("version_type", 143, 3), ("excerpt_type", 146, 3), ("music_arrangement", 149, 3),
            ("lyric_adaptation", 152, 3), ("contact_name", 155, 30), ("contact_id", 185, 10),
            ("work_type", 195, 2), ("grand_rights", 197, 1), ("composite_count", 198, 3),
            ("printed_date", 201, 8), ("exceptional_clause", 209, 1), ("opus", 210, 25),
            ("catalogue", 235, 25), ("priority", 260, 1)),
    "SPU": (("sequence", 20, 2), ("ip", 22, 9), ("name", 31, 45), ("unknown", 76, 1), ("role", 77, 2),
            ("tax_id", 79, 9), ("ipi", 88, 11), ("agreement", 99, 14), ("pr_society", 113, 3),
            ("pr_share", 116, 5), ("mr_society", 121, 3), ("mr_share", 124, 5), ("sr_society", 129, 3),
            ("sr_share", 132, 5)),
    "SPT": (("ip", 20, 9), ("pr_share", 35, 5), ("mr_share", 40, 5), ("sr_share", 45, 5),
            ("indicator", 50, 1), ("tis", 51, 4)),
    "SWR": (("ip", 20, 9), ("last_name", 29, 45), ("first_name", 74, 30), ("unknown", 104, 1),
            ("role", 105, 2), ("tax_id", 107, 9), ("ipi", 116, 11), ("pr_society", 127, 3), ("pr_share", 130, 5),
            ("mr_society", 135, 3), ("mr_share", 138, 5), ("sr_society", 143, 3), ("sr_share", 146, 5)),
    "SWT": (("ip", 20, 9), ("pr_share", 29, 5), ("mr_share", 34, 5), ("sr_share", 39, 5),
            ("indicator", 44, 1), ("tis", 45, 4)),
    "ALT": (("title", 20, 60), ("title_type", 80, 2), ("language", 82, 2)),
    "ACK": (("creation_date", 20, 8), ("creation_time", 28, 6), ("group_id", 34, 5),
            ("transaction_sequence", 39, 8), ("transaction_type", 47, 3), ("title", 50, 60),
            ("submitter_number", 110, 20), ("recipient_number", 130, 20), ("processing_date", 150, 8),
            ("status", 158, 2)),
    "MSG": (("message_type", 20, 1), ("record_sequence", 21, 8), ("record_type", 29, 3), ("level", 32, 1),
            ("validation", 33, 3), ("text", 36, 150)),
}  # fmt: skip
for _alias, _base in (("REV", "NWR"), ("OPU", "SPU"), ("OWR", "SWR")):
    LAYOUT[_alias] = LAYOUT[_base]
MIN_LENGTH = {t: max(s + n - 1 for _, s, n in f if not _.endswith(("_society", "tax_id"))) for t, f in LAYOUT.items()}
MIN_LENGTH.update({"NWR": 200, "REV": 200, "SPU": 136, "OPU": 136, "SWR": 150, "OWR": 150, "ALT": 81,
                   "HDR": 86, "SPT": 54, "SWT": 48})  # optional trailing fields may be absent

# CWR writer designation -> the ledger's creator roles (and back)
WRITER_ROLES = {"CA": "composer", "C ": "composer", "A ": "lyricist", "AR": "other", "AD": "other",
                "TR": "translator", "SA": "other", "SR": "other", "PA": "other"}  # fmt: skip
ROLE_DESIGNATION = {"composer": "C ", "lyricist": "A ", "translator": "TR"}
RIGHTS = ("pr", "mr", "sr")

# ACK rejection codes (validation number in MSG) for what the registrar refused; see README
# (the work's status on the ledger that made the registrar refuse it; "failed": any other reason)
REJECTION_CODES = {"registered": "001", "disputed": "002", "rejected": "003", "revoked": "004", "failed": "099"}
_STATUS_CODE = {"PENDING": "registered", "CONFIRMED": "registered", "DISPUTED": "disputed", "REJECTED": "rejected",
                "REVOKED": "revoked"}


# --- records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    path: Path
    line: int
    type: str
    text: str

    @property
    def transaction(self) -> int:
        return int(self.text[3:11]) if self.text[3:11].isdigit() else -1

    def get(self, name: str) -> str:
        for n, start, length in LAYOUT[self.type]:
            if n == name:
                return self.text[start - 1 : start - 1 + length].rstrip()
        raise KeyError(name)

    def fail(self, name: str, message: str) -> E.InputError:
        return E.InputError(message, where=f"{self.path}:{self.line}:{self.type}.{name}",
                            hint="fix the record and rerun; nothing was stored or sent")

    def share(self, name: str) -> int:
        """A CWR share (3 integer + 2 decimal digits) as basis points."""
        raw = self.get(name).strip() or "00000"
        if not raw.isdigit() or len(raw) != 5:
            raise self.fail(name, f"share {raw!r} is not 5 digits (e.g. 05000 = 50.00 %)")
        bps = int(raw)
        if bps > 10000:
            raise self.fail(name, f"share {bps / 100:.2f} % is over 100 %")
        return bps


@dataclass
class Party:
    record: Record
    kind: str  # SPU OPU SWR OWR
    ip: str
    name: str
    role: str
    ipi: str
    ownership: dict[str, int]
    collection: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)  # (indicator, tis, shares)


@dataclass
class Transaction:
    header: Record
    group_id: int = 1
    parties: list[Party] = field(default_factory=list)
    alternates: list[Record] = field(default_factory=list)

    @property
    def sequence(self) -> int:
        return self.header.transaction


@dataclass(frozen=True)
class CwrFile:
    path: Path
    sender: str  # sender type + id, e.g. PB000000052
    sender_name: str
    transactions: tuple[Transaction, ...]
    ignored: Mapping[str, int]
    group_id: int


def read_records(path: Path) -> list[Record]:
    path = Path(path)
    data = read_bytes(path, what="CWR file")  # a regular file, within the input size limit (ledger.core.inputs)
    text = decode_as(data, path, "ascii", "byte 0x{byte:02x} is not ASCII (CWR 2.1 files are ASCII)")
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        kind = raw[:3]
        if len(raw) < 3 or not kind.isalpha() or not kind.isupper():
            raise E.InputError(f"{raw[:3]!r} is not a CWR record type", where=f"{path}:{n}:record_type")
        rec = Record(path, n, kind, raw)
        if kind in LAYOUT and kind in READ and len(raw) < MIN_LENGTH.get(kind, 0):
            raise E.InputError(f"{kind} record is {len(raw)} characters; CWR 2.1 needs at least {MIN_LENGTH[kind]}",
                               where=f"{path}:{n}:{kind}")
        if kind not in ("HDR", "GRH", "GRT", "TRL") and (len(raw) < 19 or not raw[3:19].isdigit()):
            raise E.InputError("the record prefix (positions 4-19) must be the transaction and record sequence "
                               "numbers (16 digits)", where=f"{path}:{n}:{kind}.sequence")
        out.append(rec)
    if not out:
        raise E.InputError(f"{path}: empty file, not a CWR transmission")
    return out


def parse_cwr(path: Path) -> CwrFile:
    """Read a CWR 2.1 file into its work transactions; raises InputError ``file:line:record.field``."""
    records = read_records(path)
    head = records[0]
    if head.type != "HDR":
        raise E.InputError("a CWR file starts with an HDR record", where=f"{path}:{head.line}:record_type")
    sender = head.get("sender_type") + head.get("sender_id")
    if not (len(sender) == 11 and sender[:2].isalpha() and sender[2:].isdigit()):
        raise head.fail("sender_id", f"sender {sender!r} must be a 2-letter type and 9 digits")
    if head.text[59:64] != "01.10":
        raise head.fail("edi_version", f"EDI version {head.text[59:64]!r}: only CWR 2.1 ('01.10') is read")
    if records[-1].type != "TRL":
        raise E.InputError("the file ends without a TRL record (truncated?)",
                           where=f"{path}:{records[-1].line}:record_type")
    ignored: Counter[str] = Counter()
    txs: list[Transaction] = []
    current: Transaction | None = None
    skipping = False
    group_id = 1
    for rec in records[1:-1]:
        t = rec.type
        if t == "GRH":
            gid = rec.get("group_id")
            if not gid.isdigit():
                raise rec.fail("group_id", f"group id {gid!r} is not a number")
            group_id = int(gid)
            if rec.get("version") != "02.10":
                raise rec.fail("version", f"version {rec.get('version')!r}: only CWR 2.1 ('02.10') is read")
            current, skipping = None, False
            continue
        if t in ("GRT", "HDR", "TRL"):
            if t != "GRT":
                raise rec.fail("record_type", f"{t} in the middle of the file")
            current, skipping = None, False
            continue
        if t in TRANSACTIONS:
            if t in WORK_TRANSACTIONS:
                current, skipping = Transaction(rec, group_id), False
                _check_work(rec)
                txs.append(current)
            else:
                current, skipping = None, True
                ignored[t] += 1
            continue
        if t not in READ or skipping:
            ignored[t] += 1
            continue
        if current is None:
            raise rec.fail("record_type", f"{t} record outside a work transaction (NWR/REV)")
        if rec.transaction != current.sequence:
            raise rec.fail("sequence", f"transaction sequence {rec.transaction} differs from its NWR/REV's "
                                       f"({current.sequence}, line {current.header.line})")
        if t in ("SPU", "OPU", "SWR", "OWR"):
            current.parties.append(_party(rec))
        elif t in ("SPT", "SWT"):
            ip = rec.get("ip").strip()
            kinds = ("SPU", "OPU") if t == "SPT" else ("SWR", "OWR")
            owner = next((p for p in reversed(current.parties) if p.ip == ip and p.kind in kinds), None)
            if owner is None:
                raise rec.fail("ip", f"territory record for party {ip!r} that no SPU/SWR before it names")
            ind, tis = rec.get("indicator"), rec.get("tis")
            if ind not in ("I", "E"):
                raise rec.fail("indicator", f"inclusion/exclusion indicator {ind!r} must be I or E")
            if not (len(tis) == 4 and tis.isdigit()):
                raise rec.fail("tis", f"TIS territory code {tis!r} must be 4 digits")
            owner.collection.append((ind, tis, {r: rec.share(f"{r}_share") for r in RIGHTS}))
        elif t == "ALT":
            if not rec.get("title").strip():
                raise rec.fail("title", "an alternative title is empty")
            current.alternates.append(rec)
    return CwrFile(Path(path), sender, head.get("sender_name").strip(), tuple(txs), dict(ignored), group_id)


def _check_work(rec: Record) -> None:
    if not rec.get("title").strip():
        raise rec.fail("title", "the work title is empty")
    if not rec.get("work_number").strip():
        raise rec.fail("work_number", "the submitter work number is empty")
    iswc = rec.get("iswc").strip()
    if iswc and not (len(iswc) == 11 and iswc[0] == "T" and iswc[1:].isdigit()):
        raise rec.fail("iswc", f"ISWC {iswc!r} must be T and 10 digits")
    lang = rec.get("language").strip()
    if lang and not lang.isalpha():
        raise rec.fail("language", f"language code {lang!r} must be 2 letters")


def _party(rec: Record) -> Party:
    if rec.type in ("SPU", "OPU"):
        name = rec.get("name").strip()
        role = rec.get("role")
    else:
        last, first = rec.get("last_name").strip(), rec.get("first_name").strip()
        name = f"{last}, {first}" if first else last
        role = rec.text[104:106] if len(rec.text) >= 106 else "  "
    ip = rec.get("ip").strip()
    if rec.type in ("SPU", "SWR") and not ip:
        raise rec.fail("ip", "a controlled party (SPU/SWR) needs its interested-party number")
    if rec.type in ("SPU", "SWR") and not name:
        raise rec.fail("name", "a controlled party (SPU/SWR) needs its name")
    if rec.type in ("SWR", "OWR") and role.strip() and role not in WRITER_ROLES:
        known = ", ".join(r.strip() for r in WRITER_ROLES)
        raise rec.fail("role", f"writer designation {role!r} is not one of {known}")
    return Party(rec, rec.type, ip, name, role, rec.get("ipi").strip(), {r: rec.share(f"{r}_share") for r in RIGHTS})


# --- to catalogue rows ---------------------------------------------------------------------


def read_parties(path: Path) -> dict[str, str]:
    """The parties file: CSV with columns ``ip,account``; returns {ip: checksummed address}."""
    path = Path(path)
    text = read_text(path, what="parties file").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["ip", "account"]:
        raise E.InputError("the parties file needs the header 'ip,account'", where=f"{path}:1:-")
    out: dict[str, str] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != 2:
            raise E.InputError(f"{len(values)} values for 2 columns", where=f"{path}:{line}:-")
        ip, account = values[0].strip(), values[1].strip()
        if not ip or len(ip) > 9 or " " in ip:
            raise E.InputError(f"interested-party number {ip!r} must be 1-9 characters", where=f"{path}:{line}:ip")
        try:
            out[ip] = parse_address(account, "account")
        except E.InputError as exc:
            raise E.InputError(exc.message, where=f"{path}:{line}:account") from None
    return out


def largest_remainder(shares: Sequence[tuple[str, int]], where: Record) -> list[tuple[str, int]]:
    """Scale shares (bps) to total exactly 10000 when the total is within CWR's tolerance."""
    total = sum(b for _, b in shares)
    if total == 10000:
        return list(shares)
    if total == 0:
        raise where.fail("pr_share", "no party holds a share of this work")
    if abs(total - 10000) > TOLERANCE_BPS:
        raise where.fail("pr_share", f"shares total {total / 100:.2f} %; CWR allows 100 % +/- 0.06 %")
    exact = [(k, b * 10000 / total) for k, b in shares]
    floors = [(k, int(x)) for k, x in exact]
    left = 10000 - sum(b for _, b in floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - floors[i][1]), i))
    out = [list(f) for f in floors]
    for i in order[:left]:
        out[i][1] += 1
    return [(k, int(b)) for k, b in out]


def holder_shares(tx: Transaction, parties: Mapping[str, str], territory: str = WORLD,
                  right: str = "pr") -> tuple[Holder, ...]:
    """The holders of one work: collection shares for ``territory``, else ownership shares."""
    def collection(p: Party) -> int | None:
        hits = [s[right] for ind, tis, s in p.collection if ind == "I" and tis in (territory, WORLD)]
        return sum(hits) if hits else None

    by_party = [(p, collection(p)) for p in tx.parties]
    use_collection = abs(sum(c or 0 for _, c in by_party) - 10000) <= TOLERANCE_BPS
    raw: list[tuple[Party, int]] = [
        (p, (c or 0) if use_collection else p.ownership[right]) for p, c in by_party
    ]
    per_account: dict[str, int] = {}
    for p, bps in raw:
        if bps == 0:
            continue
        account = parties.get(p.ip) or parties.get(ANY_PARTY)
        if account is None:
            who = p.name or "(unnamed)"
            raise p.record.fail("ip", f"party {p.ip or '(no number)'} ({who}) holds {bps / 100:.2f} % but has no "
                                      "account in the parties file (ip,account)")
        per_account[account] = per_account.get(account, 0) + bps
    scaled = largest_remainder(list(per_account.items()), tx.header)
    if len(scaled) > 16:
        raise tx.header.fail("pr_share", f"{len(scaled)} accounts hold shares; the ledger allows at most 16")
    return tuple(Holder(a, b) for a, b in scaled)


def work_key(sender: str, tx: Transaction) -> str:
    iswc = tx.header.get("iswc").strip()
    return f"cwr:iswc:{iswc}" if iswc else f"cwr:work:{sender}:{tx.header.get('work_number').strip()}"


def work_metadata(cwr: CwrFile, tx: Transaction) -> dict[str, Any]:
    h = tx.header
    sha = hashlib.sha256(work_key(cwr.sender, tx).encode()).hexdigest()
    creators = [{"name": p.name, "role": WRITER_ROLES.get(p.role, "other")}
                for p in tx.parties if p.kind in ("SWR", "OWR") and p.name]
    if not creators:
        creators = [{"name": "(unknown writer)", "role": "composer"}]
    iswc = h.get("iswc").strip()
    lang = h.get("language").strip().lower()
    try:
        doc = build_work_metadata(title=h.get("title").strip(), creators=creators, work_type="music",
                                  content_sha256=sha, identifiers={"iswc": iswc} if iswc else None,
                                  language=lang or None)
    except E.InputError as exc:
        raise h.fail("title", exc.message) from None
    block: dict[str, Any] = {"sender": cwr.sender, "workNumber": h.get("work_number").strip()}
    if tx.alternates:
        block["alternateTitles"] = [{"title": a.get("title").strip(), "type": (a.get("title_type") + "  ")[:2]}
                                    for a in tx.alternates]
    block["parties"] = [{k: v for k, v in {"record": p.kind, "ip": p.ip, "name": p.name, "role": p.role.strip(),
                                           "ipi": p.ipi}.items() if v or k in ("ip", "name")}
                        for p in tx.parties]
    doc["cwr"] = block
    try:
        validate_work_metadata(doc)
    except E.InputError as exc:
        raise h.fail("title", exc.message) from None
    return doc


@dataclass(frozen=True)
class CwrCatalogue:
    """A CWR file as catalogue rows (what ledger.domain.batch registers), one per work transaction."""

    cwr: CwrFile
    catalogue: Catalogue
    transaction_of: Mapping[str, Transaction]  # work id -> its transaction (the first, for duplicates)
    notes: tuple[str, ...] = ()  # e.g. the record types ignored


def read_cwr_catalogue(path: Path, parties: Mapping[str, str], *, territory: str = WORLD,
                       right: str = "pr") -> CwrCatalogue:
    """Parse and validate every transaction; nothing is sent. Raises one InputError on the first fault."""
    if not (len(territory) == 4 and territory.isdigit()):
        raise E.InputError(f"territory {territory!r} must be a 4-digit TIS code (2136 = World)")
    if right not in RIGHTS:
        raise E.InputError(f"right {right!r} must be one of {', '.join(RIGHTS)}")
    cwr = parse_cwr(path)
    rows: list[CatalogueRow] = []
    seen: dict[str, Transaction] = {}
    notes: list[str] = []
    for tx in cwr.transactions:
        doc = work_metadata(cwr, tx)
        holders = holder_shares(tx, parties, territory, right)
        wid = WorkId("0x" + doc["contentSha256"])
        if wid in seen:
            notes.append(f"line {tx.header.line}: same work as line {seen[wid].header.line}; skipped")
            continue
        seen[wid] = tx
        rows.append(CatalogueRow(tx.header.line, wid, doc, holders))
    if not rows:
        raise E.InputError(f"{path}: no NWR or REV transactions to register")
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    ignored = ("ignored records: " + ", ".join(f"{k} x{v}" for k, v in sorted(cwr.ignored.items())),) \
        if cwr.ignored else ()
    cat = Catalogue(Path(path), sha, tuple(rows), len(cwr.transactions), tuple(notes))  # notes: duplicates only
    return CwrCatalogue(cwr, cat, seen, ignored)


# --- writing -------------------------------------------------------------------------------


def _fit(value: str, length: int) -> str:
    return value[:length].ljust(length)


def _num(value: int, length: int) -> str:
    return str(value).rjust(length, "0")[-length:]


def render(kind: str, values: Mapping[str, Any], tx: int = 0, seq: int = 0) -> str:
    """One fixed-width record of ``kind`` from ``values`` (missing fields blank)."""
    layout = LAYOUT[kind]
    end = max(s + n - 1 for _, s, n in layout)
    buf = list(" " * end)
    if kind not in ("HDR", "GRH", "GRT", "TRL"):
        buf[3:19] = _num(tx, 8) + _num(seq, 8)
    buf[0:3] = kind
    for name, start, length in layout:
        v = values.get(name)
        if v is None:
            continue
        text = _num(v, length) if isinstance(v, int) else _fit(str(v), length)
        buf[start - 1 : start - 1 + length] = text
    return "".join(buf).rstrip() if kind in ("HDR",) else "".join(buf)


@dataclass(frozen=True)
class ExportWork:
    """One work to export: its metadata document and its on-chain holders."""

    metadata: Mapping[str, Any]
    holders: Sequence[Holder]


def write_cwr(works: Iterable[ExportWork], parties: Mapping[str, str], *, sender: str, sender_name: str,
              now: dt.datetime | None = None) -> str:
    """A CWR 2.1 transmission (one NWR group) of ``works``; shares as ownership shares (PR=MR=SR)."""
    now = now or dt.datetime.now(dt.UTC)
    account_ip: dict[str, list[str]] = {}
    for ip, acc in parties.items():
        account_ip.setdefault(acc, []).append(ip)
    lines = [render("HDR", {"sender_type": sender[:2], "sender_id": sender[2:], "sender_name": sender_name,
                            "edi_version": "01.10", "creation_date": now.strftime("%Y%m%d"),
                            "creation_time": now.strftime("%H%M%S"), "transmission_date": now.strftime("%Y%m%d")}),
             render("GRH", {"transaction_type": "NWR", "group_id": 1, "version": "02.10", "batch_request": 0})]
    ntx = 0
    nrec = 0
    for n, w in enumerate(works):
        md = w.metadata
        block = md.get("cwr") or {}
        seq = 0
        recs = []
        identifiers = md.get("identifiers") or {}
        recs.append(render("NWR", {"title": md["title"], "language": (md.get("language") or "").upper(),
                                   "work_number": block.get("workNumber") or md["contentSha256"][:14],
                                   "iswc": identifiers.get("iswc", "").replace("-", "").replace(".", ""),
                                   "distribution_category": "POP", "duration": "000000", "recorded": "U",
                                   "version_type": "ORI", "grand_rights": "N", "composite_count": 0},
                           n, seq))
        parties_out = list(block.get("parties") or [  # in the order the work's file had them
            {"record": "SPU", "ip": account_ip[h.account][0], "name": account_ip[h.account][0]}
            for h in w.holders if account_ip.get(h.account)])
        share_of: dict[int, int] = {}  # index in parties_out -> bps: each holder's share on its first party
        for h in w.holders:
            first = next((i for i, p in enumerate(parties_out)
                          if (parties.get(p["ip"]) or parties.get(ANY_PARTY)) == h.account), None)
            if first is None:
                raise E.InputError(f"work 0x{md['contentSha256']}: holder {h.account} is none of the work's parties "
                                   "in the parties file", hint="add a row ip,account for it")
            share_of[first] = h.bps
        pub_seq = 0
        for i, p in enumerate(parties_out):
            seq += 1
            bps = share_of.get(i, 0)
            shares = {"pr_share": bps, "mr_share": bps, "sr_share": bps}
            if p["record"] in ("SPU", "OPU"):
                pub_seq += 1
                recs.append(render(p["record"], {"sequence": pub_seq, "ip": p["ip"], "name": p["name"],
                                                 "role": p.get("role", "E"), "ipi": p.get("ipi", ""),
                                                 **shares}, n, seq))
            else:
                last, _, first = p["name"].partition(", ")
                recs.append(render(p["record"], {"ip": p["ip"], "last_name": last, "first_name": first,
                                                 "role": p.get("role", ""), "ipi": p.get("ipi", ""), **shares},
                                   n, seq))
        for alt in block.get("alternateTitles", []):
            seq += 1
            recs.append(render("ALT", {"title": alt["title"], "title_type": alt["type"]}, n, seq))
        lines.extend(recs)
        ntx += 1
        nrec += len(recs)
    lines.append(render("GRT", {"group_id": 1, "transaction_count": ntx, "record_count": nrec + 2}))
    lines.append(render("TRL", {"group_count": 1, "transaction_count": ntx, "record_count": nrec + 4}))
    return "\r\n".join(lines) + "\r\n"


# --- acknowledgements ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # AS accepted, DU duplicate (already on the ledger), RJ rejected
    reason: str = ""
    code: str = ""


def write_ack(src: CwrCatalogue, outcomes: Mapping[str, Outcome], *, sender: str, sender_name: str,
              now: dt.datetime | None = None) -> str:
    """An ACK transmission: one ACK per work transaction of ``src`` (MSG records for rejections)."""
    now = now or dt.datetime.now(dt.UTC)
    cwr = src.cwr
    hdr = parse_hdr_times(cwr)
    lines = [render("HDR", {"sender_type": sender[:2], "sender_id": sender[2:], "sender_name": sender_name,
                            "edi_version": "01.10", "creation_date": now.strftime("%Y%m%d"),
                            "creation_time": now.strftime("%H%M%S"), "transmission_date": now.strftime("%Y%m%d")}),
             render("GRH", {"transaction_type": "ACK", "group_id": 1, "version": "02.10", "batch_request": 0})]
    nrec = 0
    rows = {r.line: r for r in src.catalogue.rows}
    for n, tx in enumerate(cwr.transactions):
        row = rows.get(tx.header.line)
        wid = row.work_id if row else "0x" + work_metadata(cwr, tx)["contentSha256"]
        out = outcomes.get(wid, Outcome("RJ", "not processed", REJECTION_CODES["failed"]))
        recs = [render("ACK", {"creation_date": hdr[0], "creation_time": hdr[1], "group_id": tx.group_id,
                               "transaction_sequence": tx.sequence, "transaction_type": tx.header.type,
                               "title": tx.header.get("title"), "submitter_number": tx.header.get("work_number"),
                               "recipient_number": wid[2:22], "processing_date": now.strftime("%Y%m%d"),
                               "status": out.status}, n, 0)]
        if out.status != "AS":
            recs.append(render("MSG", {"message_type": "T" if out.status == "RJ" else "F", "record_sequence": 0,
                                       "record_type": tx.header.type, "level": "T", "validation": out.code or "000",
                                       "text": out.reason}, n, 1))
        lines.extend(recs)
        nrec += len(recs)
    ntx = len(cwr.transactions)
    lines.append(render("GRT", {"group_id": 1, "transaction_count": ntx, "record_count": nrec + 2}))
    lines.append(render("TRL", {"group_count": 1, "transaction_count": ntx, "record_count": nrec + 4}))
    return "\r\n".join(lines) + "\r\n"


def parse_hdr_times(cwr: CwrFile) -> tuple[str, str]:
    head = read_records(cwr.path)[0]
    return head.get("creation_date"), head.get("creation_time")


def parse_ack(path: Path) -> list[dict[str, str]]:
    """The ACK records of an acknowledgement file (status, title, submitter number, messages)."""
    out: list[dict[str, str]] = []
    for rec in read_records(path):
        if rec.type == "ACK":
            out.append({"status": rec.get("status"), "title": rec.get("title").strip(),
                        "work_number": rec.get("submitter_number").strip(),
                        "transaction_type": rec.get("transaction_type"), "message": "", "code": ""})
        elif rec.type == "MSG" and out:
            out[-1]["message"], out[-1]["code"] = rec.get("text").strip(), rec.get("validation")
    return out


__all__ = [
    "CwrCatalogue", "CwrFile", "ExportWork", "Outcome", "REJECTION_CODES", "holder_shares", "largest_remainder",
    "parse_ack", "parse_cwr", "read_cwr_catalogue", "read_parties", "write_ack", "write_cwr",
]  # fmt: skip


# --- the ledger side -----------------------------------------------------------------------


def ledger_works(ledger: Any, sender: str | None = None,
                 unreadable: list[str] | None = None) -> list[tuple[str, ExportWork]]:
    """``(work id, ExportWork)`` for every work on the ledger that came from CWR (``sender``: only its).

    Works whose metadata document the store cannot give, or that is another work's (it does not
    verify: ``Ledger.verified_metadata``), are appended to ``unreadable``."""
    out = []
    for wid in registered_work_ids(ledger):
        rec = ledger.work(wid)
        if not rec.metadata_cid:
            continue
        try:
            doc = ledger.verified_metadata(rec)
        except E.LedgerError:
            if unreadable is not None:
                unreadable.append(wid)
            continue
        block = doc.get("cwr")
        if not block or (sender and block.get("sender") != sender):
            continue
        out.append((wid, ExportWork(doc, rec.holders)))
    return out


def outcomes_of(work_ids: Sequence[str], before: Mapping[str, int], after: Mapping[str, int],
                failures: Sequence[str]) -> dict[str, Outcome]:
    """ACK outcome per work: AS registered by this run, DU on the ledger before it, RJ refused."""
    failed = {}
    for f in failures:
        wid, _, reason = f.partition(": ")
        failed[wid] = reason or "refused"
    out: dict[str, Outcome] = {}
    for wid in work_ids:
        if wid in failed:
            reason = failed[wid]
            status = reason.rsplit("it is ", 1)[-1].strip().upper() if "it is " in reason else ""
            out[wid] = Outcome("RJ", reason, REJECTION_CODES[_STATUS_CODE.get(status, "failed")])
        elif before.get(wid, 0) not in (0, 3) and after.get(wid, 0) not in (0, 3):
            out[wid] = Outcome("DU", "already on the ledger", REJECTION_CODES["registered"])
        elif after.get(wid, 0) not in (0, 3):
            out[wid] = Outcome("AS")
        else:
            out[wid] = Outcome("RJ", "not registered", REJECTION_CODES["failed"])
    return out
