"""Corpus clearance: what covers each item of an AI training corpus, what is reserved, what is owed.

A licensee lists its corpus in a **manifest** (CSV with a header, or JSON lines), one item a
row: ``file`` (a file, or a folder that is walked; relative to the manifest's folder),
``sha256`` (64 hex digits) and/or ``iscc`` (an ISCC content code). Each item is resolved:

1. **exact**: its sha-256 is a registered work id (a work id *is* the content's sha-256);
2. **near**: otherwise, its ISCC content code (computed from the file, or given) is within
   the threshold of a registered work's code (a re-encoded or resized copy);
3. otherwise **unregistered**; for a file, its embedded C2PA / CAWG training-and-data-mining
   assertion (``c2pa.training-mining`` or ``cawg.training-mining``) is read and reported.

A matched work is asked the contract's coverage rules (the in-memory :class:`CoverageIndex`,
held to the same answers as ``CoverageLens.coverage``; ``verify --against-chain`` re-asks the
contract itself): **covered** (work licence, blanket licence, open licence or statutory tariff,
with the fee per use it implies and the CMO it is owed to), **reserved** (the holders reserved
the use: opt-out; a near-duplicate of a reserved work counts as reserved, and so does an item
near several works when any of them is reserved, and an item near a registered work that is
itself near a reserved work: a registered copy launders nothing), **not-covered** (with the contract's reason)
or **unregistered**.

The run is journalled (``REPORT.journal``, one JSON line per item, flushed as it goes): an
interrupted run continues where it stopped, and no item is cleared twice. The finished
**report** puts every item's verdict under one Merkle root (OpenZeppelin StandardMerkleTree,
leaf types :data:`LEAF_TYPES`), is signed by the licensee (EIP-712, :func:`clearance_typed_data`)
and is recorded on-chain in one transaction: ``AttestationRegistry.attest`` of the EIP-712
digest, kind *evidence*, with the CID of the report file (the ``Attested`` event carries both).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from ledger.content.merkle import MerkleTree, leaf_hash, process_proof
from ledger.content.merkle import keccak as _keccak
from ledger.core import errors as E
from ledger.core import parsing
from ledger.core.eip712 import typed_data
from ledger.core.inputs import file_sha256, read_table
from ledger.core.types import USES

REPORT_TYPE = "rights-ledger/clearance-report"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = "0x" + "00" * 32

#: The Merkle leaf of one item: (index, item hash, work id, match, distance, verdict, basis kind,
#: licence id, reason, fee, cmo, signal).
LEAF_TYPES = ("uint32", "bytes32", "bytes32", "uint8", "uint8", "uint8", "uint8", "uint64", "uint8", "uint128",
              "address", "uint8")
LEAF_FIELDS = ("index", "itemHash", "work", "match", "distance", "verdict", "kind", "licenceId", "reason", "fee",
               "cmo", "signal")

VERDICTS = {1: "covered", 2: "reserved", 3: "not-covered", 4: "unregistered"}
VERDICT_CODES = {v: k for k, v in VERDICTS.items()}
MATCHES = {0: "none", 1: "exact", 2: "near"}
KIND_NAMES = {0: "none", 1: "work licence", 2: "blanket licence", 3: "open licence", 4: "statutory tariff"}
REASON_NAMES = {
    0: "covered", 1: "no licence or tariff covers it", 2: "licence revoked", 3: "licence suspended",
    4: "licence not yet valid", 5: "licence expired", 6: "wrong territory", 7: "mandate withdrawn",
    8: "use reserved by the holders", 9: "work not confirmed", 10: "the file cannot be read",
}
#: Outside opt-out signals of unregistered files (C2PA / CAWG training-and-data-mining).
SIGNALS = {0: "not-checked", 1: "none", 2: "allowed", 3: "not-allowed", 4: "constrained", 5: "unreadable"}
SIGNAL_CODES = {v: k for k, v in SIGNALS.items()}
TRAINING_LABELS = ("c2pa.training-mining", "cawg.training-mining")
REASON_RESERVED = 8
REASON_UNREADABLE = 10

EIP712_NAME = "Rights Ledger Clearance"
EIP712_VERSION = "1"
CLEARANCE_TYPES = {
    "Clearance": [
        {"name": "licensee", "type": "address"},
        {"name": "use", "type": "uint32"},
        {"name": "at", "type": "uint64"},
        {"name": "root", "type": "bytes32"},
        {"name": "items", "type": "uint32"},
        {"name": "fees", "type": "uint256"},
        {"name": "manifest", "type": "bytes32"},
        {"name": "threshold", "type": "uint8"},
    ],
}
MANIFEST_COLUMNS = ("file", "sha256", "iscc")
JOURNAL_FLUSH = 2000

Progress = Callable[[str, int, int], None]


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    pass


# --- the manifest --------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One corpus item after the manifest is expanded (a folder gives one item per file)."""

    index: int
    source: str  # the file path as listed / found, or the hash or code given
    sha256: str | None  # 64 hex digits, no 0x
    iscc: str | None
    path: str | None  # a file to read (for the ISCC code and the C2PA signal)
    where: str


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _hex64(value: str, where: str) -> str:
    v = value.strip().lower().removeprefix("0x")
    if not _HEX64.fullmatch(v):
        raise E.InputError(f"sha256 {value[:70]!r} is not 64 hex digits", where=where)
    return v


def _iscc_text(value: str, where: str) -> str:
    v = value.strip()
    if not v.upper().startswith("ISCC:"):
        v = "ISCC:" + v
    try:
        key, _body = _decode(v)
    except E.InputError:
        raise E.InputError(f"{value[:70]!r} is not an ISCC code", where=where) from None
    if key[0] != 2:  # MT.CONTENT: only content codes are compared
        raise E.InputError(f"{value[:70]!r} is not an ISCC content code", where=where)
    return v


def read_manifest(path: Path, exclude: Iterable[Path] = ()) -> list[Item]:
    """The items of a manifest (CSV with header ``file,sha256,iscc`` — any of them — or JSON
    lines with those keys). Every row names a file/folder, a sha-256 or an ISCC code (a hash
    and a code may go together). Files are relative to the manifest's folder; a folder is
    walked (files in name order, hidden files skipped; the manifest itself and the ``exclude``
    files, a run's own report and journal, are never items of a walk). Errors name ``file:line:column``."""
    path = Path(path)
    table = read_table(path, what="manifest", columns=MANIFEST_COLUMNS, normalise=lambda h: h.strip().lower(),
                       require=(MANIFEST_COLUMNS, "the first line must be a header naming file, sha256 and/or iscc "
                                "(or a JSON object per line)", "see `rights-ledger clearance run --help`"))
    base = path.parent
    items: list[Item] = []
    seen_files: set[str] = set()
    own = {str(Path(p).resolve()) for p in (path, *exclude)}
    for row in table.rows:
        if row.values is None:
            raise row.fail(row.error or "malformed line")
        vals: dict[str, str] = {}
        for key, value in row.values.items():
            if key not in MANIFEST_COLUMNS:
                raise row.fail(f"unknown field (allowed: {', '.join(MANIFEST_COLUMNS)})", key)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise row.fail(f"{key} must be text, not {type(value).__name__}", key)
            vals[key] = value.strip()
        if not vals:
            raise row.fail("the row names no file, sha256 or iscc")
        where = f"{row.path}:{row.line}"
        sha = _hex64(vals["sha256"], f"{where}:sha256") if "sha256" in vals else None
        code = _iscc_text(vals["iscc"], f"{where}:iscc") if "iscc" in vals else None
        if "file" in vals:
            if sha or code:
                raise row.fail("a file row gives no sha256 or iscc (they are computed from the file)", "file")
            target = Path(vals["file"]).expanduser()
            target = target if target.is_absolute() else base / target
            if target.is_dir():
                files = sorted(p for p in target.rglob("*") if p.is_file() and str(p.resolve()) not in own
                               and not any(part.startswith(".") for part in p.relative_to(target).parts))
            elif target.is_file():
                files = [target]
            else:
                raise row.fail(f"{vals['file']}: no such file or folder", "file")
            for f in files:
                key = str(f.resolve())
                if key in seen_files:  # listed twice (or a file inside a listed folder): one item
                    continue
                seen_files.add(key)
                items.append(Item(len(items), str(f), None, None, str(f), f"{where}:file"))
        else:
            items.append(Item(len(items), "0x" + sha if sha else str(code), sha, code, None, where))
    if not items:
        raise E.InputError("the manifest lists no items", where=str(path))
    return items


# --- the registry as the clearance sees it --------------------------------------------------


class NearIndex:
    """Near-duplicate lookup over the registered works' ISCC codes.

    Takes a list of (work id, ISCC) of registered works and compares a code with each of the
    same kind: Hamming distance of the decoded bodies, exactly ``ledger.content.iscc.distance``
    (a test holds them equal), decoded once so a corpus of 100k items stays fast.
    TODO(after the desk merge): switch to ``ledger.domain.review.similar(index, code,
    threshold)``, which answers from the read index's tables.
    """

    def __init__(self, codes: Iterable[tuple[str, str]]) -> None:
        self.by_kind: dict[tuple[int, int, int], list[tuple[str, int]]] = defaultdict(list)
        self.codes_of: dict[str, list[str]] = defaultdict(list)
        self.count = 0
        for work, code in codes:
            key, body = _decode(code)
            self.by_kind[key].append((work, body))
            self.codes_of[work].append(code)
            self.count += 1

    def similar(self, code: str, threshold: int) -> list[tuple[str, int]]:
        """Registered works within ``threshold`` bits of ``code``, nearest first."""
        key, body = _decode(code)
        out = [(w, (body ^ b).bit_count()) for w, b in self.by_kind.get(key, ())]
        return sorted(((w, d) for w, d in out if d <= threshold), key=lambda x: (x[1], x[0]))


_HEADERS: dict[bytes, tuple[int, int, int, int]] = {}


def _decode(code: str) -> tuple[tuple[int, int, int], int]:
    """(main type, subtype, version) and the body of an ISCC unit as an integer.

    The common 64-bit unit (a 2-byte header, an 8-byte body) is read with base32 and one
    cached header decode by ``iscc-core``; anything else goes through ``iscc_core.iscc_decode``."""
    import iscc_core

    try:
        text = code[5:] if code[:5].upper() == "ISCC:" else code
        if len(text) == 16:
            raw = base64.b32decode(text.upper())
            head = raw[:2]
            h = _HEADERS.get(head)
            if h is None:
                mt, st, vs, ln, tail = iscc_core.decode_header(raw)
                if len(tail) != 8:
                    raise ValueError("not a 64-bit unit")
                h = _HEADERS[head] = (int(mt), int(st), int(vs), int(ln))
            return h[:3], int.from_bytes(raw[2:], "big")
        mtype, stype, version, length, body = iscc_core.iscc_decode(code)
    except Exception as exc:
        raise E.InputError(f"not an ISCC code: {code!r} ({exc})") from None
    return (int(mtype), int(stype), int(version)), int.from_bytes(body, "big")


def metadata_iscc(doc: Any) -> list[str]:
    """The ISCC codes a work's metadata document carries: the schema's ``contentCode`` (``{"kind",
    "iscc"}``, what `work register` writes), and ``iscc`` (a code, ``{"iscc": code}`` or a list of either)."""
    raw = doc.get("iscc") if isinstance(doc, dict) else None
    values = [*(raw if isinstance(raw, list) else [raw]), doc.get("contentCode") if isinstance(doc, dict) else None]
    out = []
    for v in values:
        code = v.get("iscc") if isinstance(v, dict) else v
        if isinstance(code, str) and code.startswith("ISCC:"):
            out.append(code)
    return out


@dataclass
class Registry:
    """The facts a clearance reads: registered works (status), coverage, ISCC codes."""

    status: dict[str, int]  # work id -> 1 pending, 2 confirmed, 3 rejected, 4 disputed
    coverage: Any  # CoverageIndex
    near: NearIndex
    head_time: int
    chain_id: int
    attestation_registry: str

    @classmethod
    def load(cls, ledger: Any, codes: Iterable[tuple[str, str]] | None = None,
             progress: Progress = _no_progress) -> Registry:
        """Replay the work and licence events; ``codes`` (work id, ISCC) default to the codes
        in the registered works' metadata documents."""
        from ledger.domain.licensing import Licensing

        progress("registry", 0, 0)
        status: dict[str, int] = {}
        cids: dict[str, str] = {}
        names = ("WorkRegistered", "WorkConfirmed", "WorkRejected", "DisputeOpened", "DisputeResolved")
        topics = [[t for n in names for t in ledger.events.topics_of(n)]]
        for ev in ledger.read_events([ledger.deployment.address("WorkRegistry")], topics):
            w = "0x" + bytes(ev.args["workId"]).hex()
            if ev.name == "WorkRegistered":
                status[w] = 1
                cids[w] = _metadata_cid(ev.args)
            elif ev.name == "WorkConfirmed":
                status[w] = 2
            elif ev.name == "WorkRejected":
                status[w] = 3
            elif ev.name == "DisputeOpened":
                status[w] = 4
            elif ev.name == "DisputeResolved":
                status[w] = 3 if int(ev.args["outcome"]) == 3 else 2
        cov = Licensing(ledger).index()
        if codes is None:
            codes = list(registered_codes(ledger, cids, status))
        progress("registry", 1, 1)
        return cls(status, cov, NearIndex(codes), cov.head_time, int(ledger.chain.chain_id),
                   ledger.deployment.address("AttestationRegistry"))


def _metadata_cid(args: dict[str, Any]) -> str:
    from ledger.content.cid import chain_cid, cid_from_bytes

    if "metadataCid" in args:
        return chain_cid(bytes(args["metadataCid"]))
    return cid_from_bytes(b"\x01\x55\x12\x20" + bytes(args["metadataDigest"]))


def registered_codes(ledger: Any, cids: dict[str, str], status: dict[str, int]) -> Iterator[tuple[str, str]]:
    """(work id, ISCC) of every live registered work whose metadata carries a code.
    TODO(after the desk merge): read them from the read index's ISCC table instead."""
    for w, cid in cids.items():
        if status.get(w) not in (1, 2, 4):
            continue
        try:  # read as JSON only: the code is taken whatever the schema version of the document
            doc = ledger.work_document(w, cid)
        except Exception:  # noqa: BLE001 - a missing document, or another work's (cited by a hostile
            continue  # registrant), has no code of this work's to compare
        for code in metadata_iscc(doc):
            yield w, code


# --- verdicts ------------------------------------------------------------------------------


def _WORD(v: int) -> bytes:  # noqa: N802 - a constant-like helper
    return v.to_bytes(32, "big")


@dataclass
class Verdict:
    index: int
    source: str
    item_hash: str  # 0x + 64 hex: the sha-256, or sha-256 of the ISCC text when only a code is known
    iscc: str | None
    work: str  # 0x + 64 hex or ZERO32
    match: int
    distance: int
    verdict: int
    kind: int
    licence_id: int
    reason: int
    fee: int
    cmo: str
    signal: int
    detail: str = ""
    alternatives: list[tuple[str, int]] = field(default_factory=list)

    def values(self) -> tuple[Any, ...]:
        return (self.index, self.item_hash, self.work, self.match, self.distance, self.verdict, self.kind,
                self.licence_id, self.reason, self.fee, self.cmo, self.signal)

    def leaf(self) -> bytes:
        """``leaf_hash(LEAF_TYPES, values())``, packed directly (a test holds them equal)."""
        w = _WORD
        enc = b"".join((w(self.index), bytes.fromhex(self.item_hash[2:]), bytes.fromhex(self.work[2:]),
                        w(self.match), w(self.distance), w(self.verdict), w(self.kind), w(self.licence_id),
                        w(self.reason), w(self.fee), bytes.fromhex(self.cmo[2:]).rjust(32, b"\0"), w(self.signal)))
        if len(enc) != 12 * 32 or self.fee >> 128 or self.licence_id >> 64 or self.index >> 32:
            return leaf_hash(LEAF_TYPES, self.values())  # raises the encoder's error for a value out of range
        return _keccak(_keccak(enc))

    def as_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index, "source": self.source, "itemHash": self.item_hash, "iscc": self.iscc,
            "work": self.work, "match": MATCHES[self.match], "distance": self.distance,
            "verdict": VERDICTS[self.verdict], "basis": KIND_NAMES.get(self.kind, str(self.kind)),
            "licenceId": self.licence_id, "reason": REASON_NAMES.get(self.reason, str(self.reason)),
            "fee": str(self.fee), "cmo": self.cmo, "signal": SIGNALS[self.signal],
        }
        if self.detail:
            d["detail"] = self.detail
        if self.alternatives:
            d["alsoNear"] = [[w, dist] for w, dist in self.alternatives]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Verdict:
        """An item of a report or journal; a value of the wrong shape or out of its leaf type's
        range raises InputError naming the item and the field."""
        if not isinstance(d, dict):
            raise E.InputError(f"a report item must be a JSON object, not {type(d).__name__}")
        where = f"item {d.get('index')!r}"

        def pick(key: str, table: dict[str, int]) -> int:
            v = d[key]
            if v not in table:
                raise E.InputError(f"{where}: {key} {v!r} is not one of {', '.join(table)}")
            return table[v]

        def num(key: str, bits: int) -> int:
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, int | str) or not re.fullmatch(r"[0-9]{1,80}", str(v)) \
                    or int(v) >> bits:
                raise E.InputError(f"{where}: {key} {v!r} is not a uint{bits}")
            return int(v)

        def hexed(key: str, nbytes: int) -> str:
            v = d[key]
            if not isinstance(v, str) or not re.fullmatch(rf"0x[0-9a-fA-F]{{{2 * nbytes}}}", v):
                raise E.InputError(f"{where}: {key} {v!r} is not 0x and {2 * nbytes} hex digits")
            return v

        missing = [k for k in ("index", "source", "itemHash", "work", "match", "distance", "verdict", "basis",
                               "licenceId", "reason", "fee", "cmo", "signal") if k not in d]
        if missing:
            raise E.InputError(f"{where}: no {', '.join(missing)}")
        kinds = {v: k for k, v in KIND_NAMES.items()}
        reasons = {v: k for k, v in REASON_NAMES.items()}
        matches = {v: k for k, v in MATCHES.items()}
        near = d.get("alsoNear", [])
        if not isinstance(near, list) or not all(isinstance(x, list) and len(x) == 2 for x in near):
            raise E.InputError(f"{where}: alsoNear must be a list of [work, distance]")
        iscc = d.get("iscc")
        if iscc is not None and not isinstance(iscc, str):
            raise E.InputError(f"{where}: iscc must be text or null")
        return cls(num("index", 32), str(d["source"]), hexed("itemHash", 32), iscc, hexed("work", 32),
                   pick("match", matches), num("distance", 8), pick("verdict", VERDICT_CODES), pick("basis", kinds),
                   num("licenceId", 64), pick("reason", reasons), num("fee", 128), hexed("cmo", 20),
                   pick("signal", SIGNAL_CODES), str(d.get("detail", "")), [(str(w), int(x)) for w, x in near])


class Clearer:
    """Decides the verdict of one item against a :class:`Registry` snapshot."""

    def __init__(self, registry: Registry, licensee: str, use: int, at: int, threshold: int) -> None:
        self.reg = registry
        self.licensee = licensee
        self.use = use
        self.at = at
        self.threshold = threshold
        self._answers: dict[str, tuple[int, int, int, int, int, str]] = {}
        self._laundered: dict[tuple[str, ...], tuple[str, int] | None] = {}

    def _work_answer(self, work: str) -> tuple[int, int, int, int, int, str]:
        """(verdict, kind, reason, licence id, fee, cmo) for a registered work."""
        got = self._answers.get(work)
        if got is not None:
            return got
        cov = self.reg.coverage
        covered, kind, reason, lid = cov.evaluate(work, self.licensee, self.use, b"", self.at)
        fee, cmo = 0, ZERO_ADDRESS
        if covered:
            verdict = 1
            if kind in (1, 2):
                lic = cov.licences[lid]
                fee = lic.rate_per_use
                cmo = lic.licensor if lic.collective else ZERO_ADDRESS
            elif kind == 4:
                fee = cov.tariffs[self.use][0]
                cmo = self._mandated_cmo(work)
        elif reason == REASON_RESERVED or cov.reserved.get(work, 0) & self.use:
            verdict, reason = 2, REASON_RESERVED
        else:
            verdict = 3
        got = self._answers[work] = (verdict, int(kind), int(reason), int(lid), int(fee), cmo)
        return got

    def _reserved_near(self, work: str, extra: list[str]) -> tuple[str, int] | None:
        """The nearest live reserved work (not ``work``) within the threshold of ``work``'s own
        registered ISCC codes or of ``extra`` codes: an exact copy of a registered work that is
        itself a re-encoded copy of a reserved work counts as reserved (a work registered again
        under another name does not launder the reservation)."""
        key = (work, *extra)
        if key in self._laundered:
            return self._laundered[key]
        best: tuple[int, str] | None = None
        for code in [*self.reg.near.codes_of.get(work, ()), *extra]:
            for w, d in self.reg.near.similar(code, self.threshold):
                if w != work and self.reg.status.get(w) in (1, 2, 4) and self._work_answer(w)[0] == 2 \
                        and (best is None or (d, w) < best):
                    best = (d, w)
        got = self._laundered[key] = None if best is None else (best[1], best[0])
        return got

    def _mandated_cmo(self, work: str) -> str:
        """The CMO the work is mandated to for the use at the time (the pool a statutory fee goes to)."""
        found = sorted(cmo for (w, cmo), (uses, frm, until) in self.reg.coverage.mandates.items()
                       if w == work and uses & self.use and frm <= self.at < until)
        return found[0] if found else ZERO_ADDRESS

    def unreadable(self, item: Item, why: str) -> Verdict:
        """A file that cannot be read while clearing: not covered (reason 10), never unregistered,
        since what it holds is unknown. The item hash is the sha-256 of its path."""
        item_hash = "0x" + hashlib.sha256(item.source.encode()).hexdigest()
        return Verdict(item.index, item.source, item_hash, None, ZERO32, 0, 0, 3, 0, 0, REASON_UNREADABLE, 0,
                       ZERO_ADDRESS, 5, why[:200])

    def decide(self, item: Item, sha: str | None, code: str | None, code_note: str = "") -> Verdict:
        item_hash = "0x" + (sha or hashlib.sha256((code or item.source).encode()).hexdigest())
        if sha is not None and self.reg.status.get("0x" + sha) in (1, 2, 4):
            work = "0x" + sha
            verdict, kind, reason, lid, fee, cmo = self._work_answer(work)
            if verdict != 2:  # a registered work that is itself a copy of a reserved work is not cleared
                laundered = self._reserved_near(work, [code] if code else [])
                if laundered is not None:
                    w, d = laundered
                    verdict, kind, reason, lid, fee, cmo = self._work_answer(w)
                    return Verdict(item.index, item.source, item_hash, code, w, 2, d, verdict, kind, lid, reason,
                                   fee, cmo, 0, alternatives=[(work, 0)])
            return Verdict(item.index, item.source, item_hash, code, work, 1, 0, verdict, kind, lid, reason, fee,
                           cmo, 0)
        near = [(w, d) for w, d in self.reg.near.similar(code, self.threshold)
                if self.reg.status.get(w) in (1, 2, 4)] if code else []
        if near:
            answers = [(w, d, self._work_answer(w)) for w, d in near]
            reserved = [a for a in answers if a[2][0] == 2]
            if not reserved:  # a copy of a registered copy of a reserved work: the copy launders nothing
                for lw, ld, _ans in answers:
                    laundered = self._reserved_near(lw, [])
                    if laundered is not None:
                        rw, _rd = laundered
                        far = min((x for w2, x in self.reg.near.similar(code, 64) if w2 == rw), default=64)
                        verdict, kind, reason, lid, fee, cmo = self._work_answer(rw)
                        return Verdict(item.index, item.source, item_hash, code, rw, 2, far, verdict, kind, lid,
                                       reason, fee, cmo, 0, alternatives=[(lw, ld)])
            w, d, ans = reserved[0] if reserved else answers[0]  # any reserved match wins: never clear a copy
            verdict, kind, reason, lid, fee, cmo = ans
            return Verdict(item.index, item.source, item_hash, code, w, 2, d, verdict, kind, lid, reason, fee, cmo,
                           0, alternatives=[(x, y) for x, y, _ in answers if x != w][:5])
        signal, detail = (0, "no file to read (listed by hash or code)") if item.path is None else \
            training_signal(Path(item.path), self.use)
        if code_note:
            detail = f"{detail}; {code_note}" if detail else code_note
        return Verdict(item.index, item.source, item_hash, code, ZERO32, 0, 0, 4, 0, 0, 0, 0, ZERO_ADDRESS, signal,
                       detail)


# --- outside opt-out signals (C2PA / CAWG) ------------------------------------------------


_ENTRY_WORDS = {"ai-training": ("ai_training", "ai_generative_training", "data_mining"),
                "ai-inference": ("ai_inference",)}


def _c2pa_types() -> frozenset[str]:
    import c2pa

    global _C2PA_TYPES
    if _C2PA_TYPES is None:
        _C2PA_TYPES = frozenset(c2pa.Reader.get_supported_mime_types())
    return _C2PA_TYPES


_C2PA_TYPES: frozenset[str] | None = None


def training_signal(path: Path, use: int = USES["ai-training"]) -> tuple[int, str]:
    """(signal, detail) from the file's embedded C2PA manifest: the training-and-data-mining
    assertion (``c2pa.training-mining`` or ``cawg.training-mining``), most restrictive entry
    relevant to the use. Never silent: no manifest, an unsupported format or an unreadable
    manifest each say so."""
    import mimetypes

    import c2pa

    mime, _ = mimetypes.guess_type(str(path))
    if mime is None:
        return 0, "media type unknown from the file name: C2PA not read"
    try:
        with open(path, "rb") as fh:
            reader = c2pa.Reader(mime, fh)
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        text = f"{type(exc).__name__}: {exc}"
        if "ManifestNotFound" in text or "no JUMBF" in text:
            return 1, "no C2PA manifest"
        if "NotSupported" in text or "type is unsupported" in text.lower():
            if mime in _c2pa_types():  # a type C2PA reads, but not this file: broken, or not what its name says
                return 5, f"unreadable as {mime}: C2PA cannot parse the file"
            return 0, f"C2PA does not read {mime}"
        return 5, "unreadable C2PA manifest: " + " ".join(text.split())[:160]
    except OSError as exc:
        return 5, f"cannot read the file: {exc.strerror or exc}"
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    words = _ENTRY_WORDS.get(next((n for n, b in USES.items() if b == use), ""), ("ai_training", "data_mining"))
    found: list[tuple[str, str]] = []
    labels = []
    for a in active.get("assertions", []) or []:
        label = str(a.get("label", ""))
        base = label.split("__", 1)[0]  # a repeated assertion gets a __N suffix
        if base not in TRAINING_LABELS:
            continue
        labels.append(base)
        entries = (a.get("data") or {}).get("entries") or {}
        for key, entry in entries.items():
            if any(w in key for w in words) and isinstance(entry, dict):
                found.append((key, str(entry.get("use", ""))))
    failures = [s.get("code", "") for s in store.get("validation_status", []) or []
                if s.get("code") != "signingCredential.untrusted"]
    note = f" (manifest invalid: {', '.join(failures)[:120]})" if failures else ""
    if not labels:
        return 1, "C2PA manifest without a training-mining assertion" + note
    order = {"notAllowed": 3, "constrained": 4, "allowed": 2}
    if not found:
        return 1, f"{labels[0]} names no entry for this use" + note
    worst = max(found, key=lambda kv: {3: 3, 4: 2, 2: 1}.get(order.get(kv[1], 3), 3))
    code = order.get(worst[1], 3)  # an unknown value is read as the most restrictive
    return code, f"{labels[0]}: {worst[0]} = {worst[1] or '?'}" + note


# --- running a clearance (journalled) -----------------------------------------------------


@dataclass(frozen=True)
class RunParams:
    licensee: str
    use: str
    at: int
    threshold: int
    manifest_sha256: str
    chain_id: int
    items: int

    def as_json(self) -> dict[str, Any]:
        return {"licensee": self.licensee, "use": self.use, "at": self.at, "threshold": self.threshold,
                "manifestSha256": self.manifest_sha256, "chainId": self.chain_id, "items": self.items}


def journal_path(report: Path) -> Path:
    return Path(str(report) + ".journal")


def read_journal(path: Path) -> tuple[dict[str, Any] | None, dict[int, Verdict]]:
    """The journal's header and its verdicts by index (a torn last line is dropped; an item
    written twice counts once)."""
    if not path.exists():
        return None, {}
    header = None
    done: dict[int, Verdict] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # the line being written when the run was cut off
            if n == 0:
                header = obj
                continue
            try:
                v = Verdict.from_json(obj)
            except (KeyError, ValueError, TypeError):
                continue
            done[v.index] = v
    return header, done


def run(items: Sequence[Item], clearer: Clearer, params: RunParams, journal: Path,
        progress: Progress = _no_progress) -> list[Verdict]:
    """Decide every item, appending each verdict to ``journal``; items already in it are kept."""
    header, done = read_journal(journal)
    if header is not None and header != params.as_json():
        raise E.InputError(f"{journal} belongs to another clearance run ({_diff(header, params.as_json())})",
                           hint="pass --restart to discard it, or rerun with the same manifest and options")
    if header is None:
        journal.parent.mkdir(parents=True, exist_ok=True)
        journal.write_text(json.dumps(params.as_json(), sort_keys=True) + "\n", encoding="utf-8")
    else:
        with open(journal, "rb+") as raw:  # a line torn by the interruption: end it, so the next one starts clean
            raw.seek(0, os.SEEK_END)
            if raw.tell():
                raw.seek(-1, os.SEEK_END)
                if raw.read(1) != b"\n":
                    raw.write(b"\n")
    total = len(items)
    progress("clearing", len(done), total)
    buf: list[str] = []
    try:
        with open(journal, "a", encoding="utf-8") as fh:
            count = len(done)
            for item in items:
                if item.index in done:
                    continue
                sha, code, note = item.sha256, item.iscc, ""
                if item.path is not None:
                    try:
                        sha = file_sha256(item.path)
                    except E.InputError as exc:  # gone or unreadable since the manifest was read: not cleared
                        sha = None
                        v = clearer.unreadable(item, str(exc))
                    else:
                        if clearer.reg.status.get("0x" + sha) not in (1, 2, 4):
                            code, note = _file_code(Path(item.path))
                if item.path is None or sha is not None:
                    v = clearer.decide(item, sha, code, note)
                done[item.index] = v
                buf.append(json.dumps(v.as_json(), separators=(",", ":")) + "\n")
                count += 1
                if len(buf) >= JOURNAL_FLUSH or (item.path is not None and len(buf) >= 50):  # files are slow
                    fh.write("".join(buf))
                    fh.flush()
                    buf.clear()
                    progress("clearing", count, total)
            if buf:
                fh.write("".join(buf))
                buf.clear()
            progress("clearing", count, total)
    finally:
        if buf:  # interrupted: keep what was decided
            with open(journal, "a", encoding="utf-8") as fh:
                fh.write("".join(buf))
    return [done[i] for i in sorted(done)]


def _diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return ", ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys[:3])


def _file_code(path: Path) -> tuple[str | None, str]:
    from ledger.content.iscc import content_code

    try:
        code = content_code(path.read_bytes(), path.name)
    except OSError as exc:
        return None, f"cannot read the file for an ISCC code ({exc.strerror or exc})"
    if code is None:
        return None, "no ISCC content code for this media type: near-duplicates not checked"
    return code.iscc, ""


# --- the report ---------------------------------------------------------------------------


def clearance_typed_data(chain_id: int, contract: str, message: dict[str, Any]) -> dict[str, Any]:
    return typed_data(EIP712_NAME, EIP712_VERSION, chain_id, to_checksum_address(contract), CLEARANCE_TYPES,
                      "Clearance", message)


def _message(doc: dict[str, Any]) -> dict[str, Any]:
    return {"licensee": to_checksum_address(doc["licensee"]), "use": int(doc["useBit"]), "at": int(doc["at"]),
            "root": bytes.fromhex(doc["root"][2:]), "items": int(doc["itemCount"]),
            "fees": int(doc["fees"]["total"]), "manifest": bytes.fromhex(doc["manifestSha256"]),
            "threshold": int(doc["threshold"])}


def digest_of(doc: dict[str, Any]) -> str:
    """The EIP-712 digest of a report's header (what is signed and attested on-chain)."""
    s = encode_typed_data(full_message=clearance_typed_data(int(doc["chainId"]), doc["attestationRegistry"],
                                                            _message(doc)))
    return "0x" + keccak(b"\x19" + s.version + s.header + s.body).hex()


def merkle_tree(leaves: Sequence[bytes]) -> MerkleTree:
    return MerkleTree.build(leaves)


def summarise(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    counts = Counter(VERDICTS[v.verdict] for v in verdicts)
    matches = Counter(f"{VERDICTS[v.verdict]}/{MATCHES[v.match]}" for v in verdicts)
    signals = Counter(SIGNALS[v.signal] for v in verdicts if v.verdict == 4)
    by_cmo: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    n_kind: dict[str, int] = defaultdict(int)
    for v in verdicts:
        if v.verdict == 1:
            by_cmo[v.cmo] += v.fee
            by_kind[KIND_NAMES[v.kind]] += v.fee
            n_kind[KIND_NAMES[v.kind]] += 1
    return {"counts": {k: counts.get(k, 0) for k in VERDICTS.values()}, "byMatch": dict(sorted(matches.items())),
            "signals": dict(sorted(signals.items())),
            "fees": {"total": str(sum(by_cmo.values())), "byCmo": {k: str(v) for k, v in sorted(by_cmo.items())},
                     "byBasis": {k: {"items": n_kind[k], "fees": str(by_kind[k])} for k in sorted(by_kind)}}}


def build_report(verdicts: Sequence[Verdict], params: RunParams, registry_address: str) -> dict[str, Any]:
    tree = merkle_tree([v.leaf() for v in verdicts])
    doc = {"type": REPORT_TYPE, "version": 1, "chainId": params.chain_id, "attestationRegistry": registry_address,
           "licensee": params.licensee, "use": params.use, "useBit": USES[params.use], "at": params.at,
           "threshold": params.threshold, "manifestSha256": params.manifest_sha256,
           "leaf": "(" + ",".join(LEAF_TYPES) + ")", "leafFields": list(LEAF_FIELDS),
           "root": tree.root_hex, "itemCount": len(verdicts), **summarise(verdicts),
           "items": [v.as_json() for v in verdicts]}
    doc["digest"] = digest_of(doc)
    return doc


def sign_report(doc: dict[str, Any], private_key: Any) -> dict[str, Any]:
    s = encode_typed_data(full_message=clearance_typed_data(int(doc["chainId"]), doc["attestationRegistry"],
                                                            _message(doc)))
    sig = Account.sign_message(s, private_key).signature
    return {**doc, "signature": "0x" + bytes(sig).hex()}


def encode_report(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def load_report(path: Path) -> dict[str, Any]:
    from ledger.core.inputs import MAX_INPUT_BYTES, read_json

    doc = read_json(path, what="clearance report", limit=MAX_INPUT_BYTES)
    if not isinstance(doc, dict) or doc.get("type") != REPORT_TYPE:
        raise E.InputError(f"{path}: not a clearance report (type {REPORT_TYPE})")
    return doc


@dataclass
class Check:
    ok: bool
    problems: list[str]
    root: str
    digest: str
    signer: str | None
    recorded: Any = None  # AttestationRecord when found on-chain


# The header fields an on-chain check reads, each by its parser (ledger.core.parsing); the
# hashes must also be in the form the report is written in (0x and lowercase hex), as they are
# compared as text with the ones recomputed.
_HEADER_PARSERS: dict[str, Callable[[Any], Any]] = {
    "chainId": lambda v: parsing.parse_uint(v, "chainId", maximum=10**12 - 1),
    "attestationRegistry": lambda v: parsing.parse_address(v, "attestationRegistry"),
    "licensee": lambda v: parsing.parse_address(v, "licensee"),
    "digest": lambda v: "0x" + parsing.parse_bytes32(v, "digest").hex(),
    "root": lambda v: "0x" + parsing.parse_bytes32(v, "root").hex(),
}


def malformed_header(doc: dict[str, Any]) -> str | None:
    """The first header field an on-chain check needs that is missing or malformed, or None."""
    for key, parse in _HEADER_PARSERS.items():
        value = doc.get(key)
        try:
            parsed = parse(value)
        except E.InputError:
            parsed = None
        if parsed is None or (isinstance(value, str) and value != value.strip()) \
                or (key in ("digest", "root") and parsed != value):
            return f"its {key} is missing or malformed ({str(value)[:40]!r})"
    return None


def verify_report(doc: dict[str, Any]) -> Check:
    """Recompute every leaf, the root, the totals, the digest; recover the signer."""
    problems: list[str] = []
    try:
        if not isinstance(doc.get("items"), list):
            raise E.InputError("malformed clearance report: items must be a list")
        verdicts = [Verdict.from_json(d) for d in doc["items"]]
        if [v.index for v in verdicts] != list(range(len(verdicts))):
            problems.append("item indexes are not 0..n-1 in order")
        use_name = next((n for n, b in USES.items() if b == doc.get("useBit")), None)
        if doc.get("use") != use_name:
            problems.append(f"the use {doc.get('use')!r} is not the signed use bit {doc.get('useBit')!r} ({use_name})")
        if doc.get("version") != 1:
            problems.append(f"report version {doc.get('version')!r}; this program reads version 1")
        from ledger.content.iscc import DEFAULT_THRESHOLD

        if not isinstance(doc.get("threshold"), int) or not DEFAULT_THRESHOLD <= doc["threshold"] <= 64:
            problems.append(f"threshold {doc.get('threshold')!r} is below {DEFAULT_THRESHOLD} (or not 0..64): "
                            "re-encoded copies of reserved works may have passed as unregistered")
        for v, d in zip(verdicts, doc["items"], strict=True):
            if v.item_hash != _expected_item_hash(v, d):
                problems.append(f"item {v.index}: itemHash {v.item_hash} is not the hash of its source {v.source!r}")
                break
        root = merkle_tree([v.leaf() for v in verdicts]).root_hex if verdicts else ZERO32
        if root != doc["root"]:
            problems.append(f"the items give root {root}, the report states {doc['root']}")
        if len(verdicts) != int(doc["itemCount"]):
            problems.append(f"{len(verdicts)} items, the report states {doc['itemCount']}")
        summary = summarise(verdicts)
        for key in ("counts", "fees", "signals", "byMatch"):
            if summary[key] != doc.get(key):
                problems.append(f"the {key} do not add up to the items")
        digest = digest_of(doc)
        if digest != doc.get("digest"):
            problems.append(f"the header's digest is {digest}, the report states {doc.get('digest')}")
        signer = None
        s = encode_typed_data(full_message=clearance_typed_data(int(doc["chainId"]), doc["attestationRegistry"],
                                                                _message(doc)))
        try:
            signer = str(Account.recover_message(s, signature=bytes.fromhex(str(doc["signature"])[2:])))
        except Exception:  # noqa: BLE001 - malformed signature bytes
            problems.append("the signature is malformed")
        if signer is not None and signer != to_checksum_address(doc["licensee"]):
            problems.append(f"signed by {signer}, not by the licensee {doc['licensee']}")
    except E.LedgerError:
        raise
    except Exception as exc:  # noqa: BLE001 - any value the encoders refuse: a malformed report, not a crash
        raise E.InputError(f"malformed clearance report ({type(exc).__name__}: {str(exc)[:160]})") from None
    return Check(not problems, problems, root, digest, signer)


def _expected_item_hash(v: Verdict, d: dict[str, Any]) -> str:
    """What the item hash must be when it can be told from the item itself: a hash listed as
    such is its own item hash, a code listed alone hashes to the sha-256 of its text, an
    unreadable file to that of its path (a file's own hash needs the file)."""
    src = v.source
    if re.fullmatch(r"0x[0-9a-f]{64}", src):
        return src
    if v.iscc is not None and src == v.iscc:
        return "0x" + hashlib.sha256(src.encode()).hexdigest()
    if v.reason == REASON_UNREADABLE and v.match == 0:
        return "0x" + hashlib.sha256(src.encode()).hexdigest()
    return v.item_hash


def item_proof(doc: dict[str, Any], index: int) -> dict[str, Any]:
    """One item's leaf values, leaf hash and Merkle proof against the report's root."""
    verdicts = [Verdict.from_json(d) for d in doc["items"]]
    if not 0 <= index < len(verdicts):
        raise E.InputError(f"the report has items 0..{len(verdicts) - 1}, not {index}")
    tree = merkle_tree([v.leaf() for v in verdicts])
    v = verdicts[index]
    proof = tree.proof(index)
    return {"index": index, "values": [str(x) if isinstance(x, int) else x for x in v.values()],
            "types": list(LEAF_TYPES), "leaf": "0x" + v.leaf().hex(), "proof": ["0x" + p.hex() for p in proof],
            "root": tree.root_hex, "verified": process_proof(v.leaf(), proof) == tree.root}


def against_chain(ledger: Any, doc: dict[str, Any]) -> list[str]:
    """Ask the CoverageLens (batched eth_call) about every matched item; list disagreements."""
    from ledger.domain.usage import CoverageQuery, chain_coverage

    ask = chain_coverage(ledger)
    verdicts = [Verdict.from_json(d) for d in doc["items"]]
    matched = [v for v in verdicts if v.match]
    who = to_checksum_address(doc["licensee"])
    problems = []
    # an item reported unmatched whose hash is a work registered by the clearance's time: a
    # re-signed report cannot turn an exact copy of a registered (e.g. reserved) work into "unregistered"
    unmatched = {v.item_hash: v for v in verdicts if not v.match}
    if unmatched:
        registered: dict[str, int] = {}
        names = ("WorkRegistered", "WorkRejected", "DisputeResolved")
        topics = [[t for n in names for t in ledger.events.topics_of(n)]]
        for ev in ledger.read_events([ledger.deployment.address("WorkRegistry")], topics):
            w = "0x" + bytes(ev.args["workId"]).hex()
            if w not in unmatched:
                continue
            if ev.name == "WorkRegistered":
                registered[w] = ev.block
            elif ev.name == "WorkRejected" or int(ev.args["outcome"]) == 3:  # rejected: rightly unregistered
                registered.pop(w, None)
        stamps = ledger.rpc.block_timestamps(registered.values()) if registered else {}
        for w, block in sorted(registered.items()):
            if stamps.get(block, 1 << 62) <= int(doc["at"]):
                problems.append(f"item {unmatched[w].index}: its hash is the registered work {w}, "
                                f"the report says {VERDICTS[unmatched[w].verdict]} with no match")
    for s in range(0, len(matched), 5000):
        chunk = matched[s:s + 5000]
        answers = ask([CoverageQuery(v.work, who, int(doc["useBit"]), b"", int(doc["at"])) for v in chunk])
        for v, a in zip(chunk, answers, strict=True):
            if a.covered != (v.verdict == 1) or (a.covered and (a.kind, a.licence_id, a.rate) !=
                                                  (v.kind, v.licence_id, v.fee)):
                problems.append(f"item {v.index}: the contract answers covered={a.covered} kind={a.kind} "
                                f"licence={a.licence_id} rate={a.rate}; the report says {VERDICTS[v.verdict]} "
                                f"kind={v.kind} licence={v.licence_id} fee={v.fee}")
            elif not a.covered and v.verdict == 3 and a.reason != v.reason:
                problems.append(f"item {v.index}: the contract's reason is {a.reason}, the report's {v.reason}")
    return problems


# --- the SDK ------------------------------------------------------------------------------


class Clearance:
    """Clearances over one Ledger: run, sign, record, verify; usage lines and statements."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger

    def params(self, items: Sequence[Item], manifest: Path, licensee: str, use: str, at: int | None,
               threshold: int, registry: Registry) -> RunParams:
        from ledger.content.iscc import DEFAULT_THRESHOLD

        if use not in USES:
            raise E.InputError(f"unknown use {use!r}", hint="one of: " + ", ".join(USES))
        if not DEFAULT_THRESHOLD <= int(threshold) <= 64:
            raise E.InputError(f"ISCC threshold {threshold}: it may not be below {DEFAULT_THRESHOLD} (nor above 64)",
                               hint="a lower threshold lets re-encoded copies of reserved works pass as unregistered")
        return RunParams(to_checksum_address(licensee), use, registry.head_time if at is None else int(at),
                         int(threshold), file_sha256(manifest), registry.chain_id, len(items))

    def check_chain(self, doc: dict[str, Any]) -> None:
        """A report signed for another chain or registry (EIP-712 domain) is no clearance here."""
        if int(doc["chainId"]) != int(self.ledger.chain.chain_id) or str(doc["attestationRegistry"]).lower() != \
                self.ledger.deployment.address("AttestationRegistry").lower():
            raise E.InputError(f"the report is of chain {doc['chainId']} (registry {doc['attestationRegistry']}), "
                               f"not of this chain {self.ledger.chain.chain_id}")

    def record(self, doc: dict[str, Any]) -> Any:
        """Attest the report's digest (kind evidence) with the report file's CID: one transaction.
        A report recorded before by the same licensee is returned as it stands."""
        from ledger.domain.protection import Protection

        self.check_chain(doc)
        signer = self.ledger.require_signer()
        if signer.address != to_checksum_address(doc["licensee"]):
            raise E.InputError(f"the report is the licensee {doc['licensee']}'s; the signer is {signer.address}")
        prot = Protection(self.ledger, tsa=None)
        existing = prot.attestation(doc["digest"], signer.address)
        if existing is not None:
            return existing, True
        return prot.attest(doc["digest"], "evidence", document=encode_report(doc), timestamp=False), False

    def recorded(self, doc: dict[str, Any]) -> Any:
        from ledger.domain.protection import Protection

        return Protection(self.ledger, tsa=None).attestation(doc["digest"], to_checksum_address(doc["licensee"]))

    def recorded_reports(self) -> list[tuple[dict[str, Any], Any]]:
        """Every clearance report recorded on-chain (evidence attestations whose document is one)."""
        att = self.ledger.contract("AttestationRegistry")
        out = []
        for ev in self.ledger.read_events([att.address], [self.ledger.events.topics_of("Attested")]):
            cid = bytes(ev.args["cid"])
            if int(ev.args["kind"]) != 5 or not cid:
                continue
            from ledger.content.cid import cid_from_bytes

            try:
                doc = json.loads(self.ledger.store.cat(cid_from_bytes(cid)))
            except Exception:  # noqa: BLE001 - another kind of evidence, or a lost file
                continue
            if isinstance(doc, dict) and doc.get("type") == REPORT_TYPE and doc.get("digest") == \
                    "0x" + bytes(ev.args["hash"]).hex() and doc.get("licensee") == ev.args["attester"]:
                try:  # a recorded document that does not verify (malformed, unsigned) is no clearance
                    if not verify_report(doc).ok:
                        continue
                except E.LedgerError:
                    continue
                out.append((doc, ev))
        return out


def usage_rows(doc: dict[str, Any], cmo: str) -> list[dict[str, Any]]:
    """The covered items of a report owed to ``cmo`` (licensed by it, or statutory and mandated
    to it) as usage-report rows: one use of the work at the clearance's time, on the basis the
    clearance found. Items are taken in report order; the same work twice is two uses."""
    cmo = to_checksum_address(cmo)
    rows = []
    for d in doc["items"]:
        if d["verdict"] != "covered" or d["cmo"] == ZERO_ADDRESS or to_checksum_address(d["cmo"]) != cmo:
            continue
        basis = "statutory" if d["basis"] == "statutory tariff" else str(d["licenceId"])
        rows.append({"work": d["work"], "use": doc["use"], "quantity": 1, "usedAt": int(doc["at"]),
                     "basis": basis, "clearanceItem": int(d["index"])})
    return rows


def usage_lines(doc: dict[str, Any], cmo: str) -> tuple[list[Any], list[int]]:
    """The report's covered items owed to ``cmo`` as usage ``InputLine``s, and their item indexes."""
    from ledger.domain.usage import parse_line

    rows = usage_rows(doc, cmo)
    lines = [parse_line({k: v for k, v in r.items() if k != "clearanceItem"}, n,
                        where=f"clearance item {r['clearanceItem']}") for n, r in enumerate(rows, 1)]
    return lines, [r["clearanceItem"] for r in rows]


def period_bounds(period: int) -> tuple[int, int]:
    """[start, end) unix seconds of the month YYYYMM (UTC)."""
    import datetime as dt

    y, m = divmod(int(period), 100)
    start = dt.datetime(y, m, 1, tzinfo=dt.UTC)
    end = dt.datetime(y + (m == 12), 1 if m == 12 else m + 1, 1, tzinfo=dt.UTC)
    return int(start.timestamp()), int(end.timestamp())


def holder_statement(ledger: Any, holder: str, period: int) -> dict[str, Any]:
    """Per work the holder holds: the usage lines of the period's reports that name it and the
    clearance items (of recorded clearances made in the month) that name it, each with its
    Merkle proof against the recorded root, and the amount due (owed x the holder's share),
    plus what the published distributions give the holder for the period."""
    from ledger.domain.royalties import Royalties
    from ledger.domain.usage import Usage

    holder = to_checksum_address(holder)
    usage = Usage(ledger)
    shares: dict[str, int] = {}

    def share(work: str) -> int:
        if work not in shares:
            hs = ledger.call(ledger.registry.functions.holdersOf(bytes.fromhex(work[2:])))
            shares[work] = sum(int(bps) for acct, bps in hs if to_checksum_address(acct) == holder)
        return shares[work]

    works: dict[str, dict[str, Any]] = {}

    def entry(work: str) -> dict[str, Any]:
        return works.setdefault(work, {"work": work, "shareBps": share(work), "usage": [], "clearance": [],
                                       "due": 0})

    cmos = set()
    unreadable = []
    for view in usage.reports(period=int(period)):
        cmos.add(view.cmo)
        try:
            lines = usage.lines_of(view)
        except E.StoreUnavailable:
            raise
        except E.LedgerError as exc:  # any licensee's file, lost or malformed: named, not the whole answer
            unreadable.append({"report": view.report_id, "cmo": view.cmo, "licensee": view.licensee,
                               "error": exc.message})
            continue
        tree = MerkleTree.build([ln.leaf() for ln in lines]) if view.line is None else None
        for i, ln in enumerate(lines):
            if not share(ln.work_id):
                continue
            proof = [] if tree is None else ["0x" + p.hex() for p in tree.proof(i)]
            due = ln.owed * share(ln.work_id) // 10000
            e = entry(ln.work_id)
            e["usage"].append({"report": view.report_id, "cmo": view.cmo, "line": ln.as_json(),
                               "leaf": "0x" + ln.leaf().hex(), "proof": proof, "root": view.root,
                               "due": str(due), "verified": process_proof(ln.leaf(), [bytes.fromhex(p[2:])
                                                                                     for p in proof]).hex()
                               == view.root[2:]})
            e["due"] += due
    start, end = period_bounds(int(period))
    for doc, ev in Clearance(ledger).recorded_reports():
        if not start <= int(doc["at"]) < end:
            continue
        verdicts = [Verdict.from_json(d) for d in doc["items"]]
        tree = merkle_tree([v.leaf() for v in verdicts])
        for v in verdicts:
            if v.match == 0 or not share(v.work):
                continue
            proof = tree.proof(v.index)
            entry(v.work)["clearance"].append({
                "digest": doc["digest"], "licensee": doc["licensee"], "tx": ev.tx_hash, "root": doc["root"],
                "item": v.as_json(), "leaf": "0x" + v.leaf().hex(), "proof": ["0x" + p.hex() for p in proof],
                "verified": process_proof(v.leaf(), proof) == tree.root})
    roy = Royalties(ledger)
    claims = []
    for cmo in sorted(cmos):
        try:
            info = roy.claimable(cmo, int(period), holder)
        except E.LedgerError:
            continue  # not distributed yet
        claims.append({"cmo": cmo, "amount": str(info.amount), "proof": list(info.proof), "claimed": info.claimed})
    out = sorted(works.values(), key=lambda e: e["work"])
    for e in out:
        e["due"] = str(e["due"])
    return {"holder": holder, "period": int(period), "works": out,
            "totalDue": str(sum(int(e["due"]) for e in out)), "distributions": claims,
            "unreadableReports": unreadable}


def environ_threshold() -> int | None:
    v = os.environ.get("RIGHTS_LEDGER_ISCC_THRESHOLD")
    if not v:
        return None
    if not v.strip().isdigit():
        raise E.InputError(f"RIGHTS_LEDGER_ISCC_THRESHOLD={v!r} is not a number of bits")
    return int(v)


__all__ = ["LEAF_TYPES", "VERDICTS", "Check", "Clearance", "Clearer", "Item", "NearIndex", "Registry", "RunParams",
           "Verdict", "against_chain", "build_report", "clearance_typed_data", "digest_of", "encode_report",
           "item_proof", "journal_path", "load_report", "metadata_iscc", "read_journal", "read_manifest", "run",
           "sign_report", "summarise", "training_signal", "usage_rows", "verify_report"]
