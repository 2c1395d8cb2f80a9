"""Bulk registration and confirmation: catalogues in, batched contract calls out, resumable.

A *catalogue* is a CSV file with a header, or JSON lines, one work per row::

    file,title,creators,type,creation,holders,isrc,iswc,isbn,date,models
    song1.wav,First Song,Ana Lima:composer;Rui Sá:lyricist,music,human,,USABC2400001,,,2024-03-01,

``file`` (a path relative to the catalogue's folder) or ``sha256`` names the content;
``holders`` is ``0xADDR:BPS;...`` and defaults to the signer; ``creation`` defaults to
``human``; ``models`` (``name@version;name2``) is required for AI-assisted/-generated works.
:func:`read_catalogue` validates *every* row before anything is stored or sent and raises
one :class:`~ledger.errors.InputError` naming ``file:line:field`` (the hint counts the rest).

Duplicates inside a catalogue (the same content on two rows): when the rows agree (same
metadata, same holders) the later rows are skipped with a note in the summary; when they
disagree the catalogue is refused, naming both lines, because the ledger could only keep
one of the two descriptions and must not guess which.

:class:`BatchRegistrar` registers the rows in ``registerBatch`` calls of ``batch_size``
works, several transactions in flight at once (at most ``max_in_flight``, so the node is
never flooded), with nonces assigned locally in order. :class:`BatchConfirmer` does the
same with ``confirmBatch`` for a registrar.

Crash safety comes from a *journal* (JSON lines, appended and fsync'ed per event):
``run`` (header), ``planned`` (batch id and its work ids), ``sent`` (tx hash and nonce,
written *before* the transaction is broadcast), ``mined`` / ``reverted`` (receipt) and
``lost`` (a sent transaction the node no longer knows). A run that was cut off (Ctrl-C,
SIGKILL, node down, node restarted with lost blocks) is resumed by running it again:

1. every journalled transaction without an outcome is looked up: mined → recorded; still
   in the node's pool → awaited; unknown to the node → its works are planned again;
2. the chain is then asked (``statusesOf``) for every work: what is registered (by this
   catalogue earlier, or by anyone) is skipped, whatever the journal says, so blocks the
   node lost are simply sent again;
3. ``registerBatch`` is all-or-none and refuses a registered content hash, so even a
   stale transaction that resurfaces can never register a work twice: its batch reverts,
   and the works of a reverted batch are checked again and re-planned if still missing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import HexStr
from web3.contract.contract import ContractFunction
from web3.exceptions import TimeExhausted, Web3RPCError

from ledger.content.canonical import canonical_json
from ledger.content.cid import cid_for_bytes
from ledger.content.metadata import CREATOR_ROLES, CreationMode, WorkType, build_work_metadata
from ledger.core import errors as E
from ledger.core.config import Settings
from ledger.core.inputs import bare, parse_json, read_table, read_text
from ledger.core.parsing import ROLE_IDS, parse_date, parse_holders, parse_work_id
from ledger.core.types import Holder, WorkId, WorkStatus
from ledger.domain.works import Ledger, sha256_of_file

MAX_BATCH = 500  # WorkRegistry.MAX_BATCH
DEFAULT_BATCH_SIZE = 200
DEFAULT_MAX_IN_FLIGHT = 8
STATUS_CHUNK = 2000
MAX_CSV_FIELD = 16 << 20  # a catalogue CSV field may be up to 16 MiB (csv's default limit is 128 KiB)
STORE_THREADS = 8  # work ids per statusesOf call
BATCH_GAS_MARGIN = 1.1  # batch gas is deterministic; a small margin packs blocks fuller than 1.25

COLUMNS = ("file", "sha256", "title", "creators", "type", "creation", "holders",
           "isrc", "iswc", "isbn", "date", "models")  # fmt: skip
_FIELD_OF_METADATA = {
    "title": "title", "creators": "creators", "workType": "type", "creationMode": "creation",
    "contentSha256": "sha256", "creationDate": "date", "aiDeclaration": "models",
    "iswc": "iswc", "isrc": "isrc", "isbn": "isbn",
}  # fmt: skip


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueRow:
    """One validated catalogue row: the work id, its metadata document and its holders."""

    line: int
    work_id: WorkId
    metadata: Mapping[str, Any]
    holders: tuple[Holder, ...]


@dataclass(frozen=True)
class Catalogue:
    """A validated catalogue: its rows (duplicates removed), its sha-256 and the notes."""

    path: Path
    sha256: str
    rows: tuple[CatalogueRow, ...]
    total_rows: int
    duplicates: tuple[str, ...] = ()  # one note per skipped duplicate row


@dataclass(frozen=True)
class BatchProgress:
    """What a progress callback receives after each step."""

    done: int  # works settled: registered/confirmed, skipped or failed
    total: int
    batches: int  # batches mined so far in this run
    work_ids: tuple[str, ...] = ()  # the works the last mined batch settled


@dataclass(frozen=True)
class BatchSummary:
    """The outcome of a batch run.

    ``total`` counts catalogue rows: ``registered + skipped_existing + failed + duplicates``.
    ``registered`` counts what this run got mined (for a confirmer: confirmed);
    ``skipped_existing`` what was on chain already (``from_journal`` of them by an earlier,
    interrupted run of the same catalogue; the rest by someone else or before).
    """

    total: int
    registered: int
    skipped_existing: int
    failed: int
    batches: int
    gas_used: int
    seconds: float
    duplicates: int = 0
    from_journal: int = 0
    resent: int = 0  # works the journal had as sent or mined that the chain lacked
    journal: str = ""
    notes: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()  # "work id: reason" for each failed work


ProgressCallback = Callable[[BatchProgress], None]


# --- catalogues --------------------------------------------------------------------------


@dataclass
class _Problems:
    path: Path
    items: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, line: int, column: str, message: str) -> None:
        self.items.append((line, column, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        line, column, message = self.items[0]
        hint = None
        if len(self.items) > 1:
            rest = "; ".join(f"line {ln} ({col})" for ln, col, _ in self.items[1:6])
            more = f" and {len(self.items) - 6} more" if len(self.items) > 6 else ""
            hint = f"{len(self.items) - 1} more problem(s): {rest}{more}; nothing was stored or sent"
        else:
            hint = "fix the row and rerun; nothing was stored or sent"
        raise E.InputError(message, where=f"{self.path}:{line}:{column}", hint=hint)


def _raw_rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    """``(line, {column: value})`` for each row of a CSV or JSON-lines catalogue (see ledger.core.inputs)."""
    table = read_table(path, what="catalogue", columns=COLUMNS, normalise=lambda h: h.strip().lower())
    for row in table.rows:
        if row.values is None:
            raise row.fail(row.error or "malformed row")
        yield row.line, row.values


_LIST_COLUMNS = ("creators", "holders", "models")


def _json_type(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", dict: "an object", list: "an array"}.get(
        type(value), type(value).__name__)


def _check_types(raw: Mapping[str, Any]) -> None:
    """JSON-lines values must be text (or, for the list columns, an array of text); no coercion."""
    for column, value in raw.items():
        if value is None or isinstance(value, str):
            continue
        if column in _LIST_COLUMNS and isinstance(value, list) and all(isinstance(v, str) for v in value):
            continue
        expected = "text or an array of text" if column in _LIST_COLUMNS else "text"
        raise _RowError(column, f"must be {expected}, not {_json_type(value)}")


def _text(value: Any, column: str = "-") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):  # JSON lines: no coercion (_parts takes the list columns' arrays)
        raise _RowError(column, f"must be text, not {_json_type(value)}")
    return value.strip()


def _parts(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    return [p.strip() for p in _text(value).split(";") if p.strip()]


def _content_id(raw: Mapping[str, Any], base: Path) -> tuple[str, str]:
    """``(column, work id)`` from the ``file`` or ``sha256`` column; raises (column, message)."""
    file, sha = _text(raw.get("file"), "file"), _text(raw.get("sha256"), "sha256")
    if file and sha:
        raise _RowError("sha256", "give `file` or `sha256`, not both")
    if file:
        try:
            return "file", sha256_of_file(base / file)
        except E.InputError as exc:
            raise _RowError("file", exc.message) from None
    if sha:
        try:
            digest = parse_work_id(sha)[2:]
        except E.InputError:
            raise _RowError("sha256", f"{sha!r} is not a sha-256 (64 hex digits)") from None
        if not digest.strip("0"):
            # no content hashes to zero, and the contract refuses it: refused here, before anything is sent
            raise _RowError("sha256", "an all-zero sha-256 is no content's hash")
        return "sha256", digest
    raise _RowError("file", "a row needs `file` (a path) or `sha256`")


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _parse_holders(value: Any, default: str) -> tuple[Holder, ...]:
    try:
        return tuple(parse_holders(_parts(value), default))
    except E.InputError as exc:
        msg = exc.message if "ADDRESS:BASIS_POINTS" in exc.message else f"{exc.message} (0xADDRESS:BASIS_POINTS)"
        raise _RowError("holders", msg.replace(" ADDRESS:BASIS_POINTS", " 0xADDRESS:BASIS_POINTS")) from None


def _parse_row(raw: Mapping[str, Any], base: Path, signer: str, signer_is_cmo: bool) -> CatalogueRow:
    unknown = [k for k in raw if k not in COLUMNS]
    if unknown:
        raise _RowError(unknown[0], f"unknown field (allowed: {', '.join(COLUMNS)})")
    _check_types(raw)
    column, work_hex = _content_id(raw, base)
    code = None
    if column == "file":  # the ISCC content code (issue 18); media not fingerprinted register without one
        from ledger.content.iscc import file_code

        found, _ = file_code(base / _text(raw.get("file")))
        code = found.as_json() if found is not None else None
    title = _text(raw.get("title"))
    if not title:
        raise _RowError("title", "a title is required")
    creators = []
    for spec in _parts(raw.get("creators")):
        name, sep, role = spec.rpartition(":")
        if not sep:
            name, role = spec, "author"
        name, role = name.strip(), role.strip() or "author"
        if role not in CREATOR_ROLES:
            raise _RowError("creators", f"creator {spec!r}: role {role!r} is not one of {', '.join(CREATOR_ROLES)}")
        creators.append({"name": name, "role": role})
    if not creators:
        raise _RowError("creators", "at least one creator is required (Name:role;Name2:role)")
    work_type = _text(raw.get("type"))
    if not work_type:
        raise _RowError("type", f"a work type is required (one of: {', '.join(t.label for t in WorkType)})")
    try:
        WorkType.parse(work_type)
    except E.InputError as exc:
        raise _RowError("type", exc.message) from None
    creation = _text(raw.get("creation")) or "human"
    try:
        CreationMode.parse(creation)
    except E.InputError as exc:
        raise _RowError("creation", exc.message) from None
    models = _parts(raw.get("models"))
    ai = None
    if creation != "human":
        if not models:
            raise _RowError("models", f"a {creation} work needs the AI models used (name@version;name2)")
        ai = {"models": [dict(zip(("name", "version"), m.split("@", 1), strict=False)) for m in models], "tools": []}
    elif models:
        raise _RowError("models", "models are only for ai-assisted or ai-generated works")
    identifiers = {k: _text(raw.get(k)) for k in ("isrc", "iswc", "isbn") if _text(raw.get(k))}
    holders = _parse_holders(raw.get("holders"), signer)
    if not signer_is_cmo and all(h.account != signer for h in holders):
        raise _RowError("holders", f"the signer {signer} is not among the holders and is not a CMO")
    try:
        doc = build_work_metadata(
            title=title, creators=creators, work_type=work_type, content_sha256=work_hex,
            creation_mode=creation, ai_declaration=ai, identifiers=identifiers or None,
            creation_date=_text(raw.get("date")) or None, content_code=code,
        )  # fmt: skip
    except E.InputError as exc:
        where = exc.where or ""
        key = next((k for k in reversed(where.replace("[", ".").split(".")) if k in _FIELD_OF_METADATA), "")
        message = exc.message.removeprefix(f"{where}: ") if where else exc.message
        raise _RowError(_FIELD_OF_METADATA.get(key, key or "-"), message) from None
    if doc.get("creationDate"):  # a real day (checked by the schema) that is not in the future
        try:
            parse_date(doc["creationDate"], "creation date", not_future=True)
        except E.InputError as exc:
            raise _RowError("date", exc.message) from None
    return CatalogueRow(0, WorkId("0x" + work_hex), doc, holders)


def file_sha256(path: Path) -> str:
    return sha256_of_file(path)


def read_catalogue(path: Path, *, signer: str, signer_is_cmo: bool = True) -> Catalogue:
    """Parse and validate every row; raise one InputError (``file:line:field``) if any is bad.

    ``signer`` is the default holder; unless ``signer_is_cmo``, every row must list it.
    """
    path = Path(path)
    problems = _Problems(path)
    rows: list[CatalogueRow] = []
    first_of: dict[str, CatalogueRow] = {}
    notes: list[str] = []
    total = 0
    for line, raw in _raw_rows(path):
        total += 1
        try:
            row = _parse_row(raw, path.parent, signer, signer_is_cmo)
        except _RowError as exc:
            problems.add(line, exc.column, exc.message)
            continue
        row = CatalogueRow(line, row.work_id, row.metadata, row.holders)
        earlier = first_of.get(row.work_id)
        if earlier is None:
            first_of[row.work_id] = row
            rows.append(row)
        elif earlier.metadata == row.metadata and earlier.holders == row.holders:
            notes.append(f"line {line}: same work as line {earlier.line} ({row.work_id}); skipped")
        else:
            column = "file" if _text(raw.get("file")) else "sha256"
            problems.add(line, column, f"same content as line {earlier.line} but different details; "
                                       "keep one row per work")
    problems.raise_if_any()
    if total == 0:
        raise E.InputError(f"{path}: the catalogue has no rows")
    return Catalogue(path, file_sha256(path), tuple(rows), total, tuple(notes))


def read_work_ids(path: Path) -> tuple[str, list[str]]:
    """Work ids from a file for ``confirm-batch``: a catalogue (its file/sha256 column) or
    plain text with one work id per line. Returns ``(file sha-256, ids)``."""
    path = Path(path)
    problems = _Problems(path)
    ids: list[str] = []
    text = read_text(path, what="file of work ids or catalogue")
    plain = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    # A file of ids: no CSV/JSON syntax and no catalogue header. Decided on the whole file, so
    # one malformed id is blamed on its own line instead of turning the file into a catalogue.
    is_catalogue = any("," in p or p.startswith(("{", "[")) for p in plain) or (
        bool(plain) and plain[0].lower() in COLUMNS)
    if not is_catalogue:
        for n, text_line in enumerate(text.splitlines(), start=1):
            s = text_line.strip()
            if not s or s.startswith("#"):
                continue
            try:
                ids.append(parse_work_id(s))
            except E.InputError as exc:
                problems.add(n, "workId", exc.message)
    else:
        for line, raw in _raw_rows(path):
            try:
                ids.append("0x" + _content_id(raw, path.parent)[1])
            except _RowError as exc:
                problems.add(line, exc.column, exc.message)
    problems.raise_if_any()
    if not ids:
        raise E.InputError(f"{path}: no work ids", hint="one work id per line, or a catalogue with rows")
    return file_sha256(path), list(dict.fromkeys(ids))


def journal_path(settings: Settings, key: str, kind: str = "register") -> Path:
    """``<home>/journals/<network>/<key>.jsonl`` (``confirm-<key>`` for confirmations)."""
    name = key if kind == "register" else f"{kind}-{key}"
    return settings.journal_dir / f"{name}.jsonl"


# --- the journal -------------------------------------------------------------------------


_TX = re.compile(r"0x[0-9a-fA-F]{64}")
_JOURNAL_FIELDS: dict[str, tuple[str, ...]] = {
    "run": ("registry",), "planned": ("batch", "works"), "sent": ("batch", "tx", "nonce"),
    "mined": ("batch", "tx"), "reverted": ("batch", "tx"), "lost": ("batch", "tx"), "stopped": (), "summary": (),
}


def _journal_problem(ev: Any) -> tuple[str, str] | None:
    """(field, what is wrong) when ``ev`` is not a journal event, else None."""
    if not isinstance(ev, dict):
        return "-", "each line must be a JSON object"
    kind = ev.get("event")
    if not isinstance(kind, str) or kind not in _JOURNAL_FIELDS:
        return "event", f"unknown event {str(kind)[:40]!r}"
    for key in _JOURNAL_FIELDS[kind]:
        if key not in ev:
            return key, f"a {kind!r} event lacks {key!r}"
    if "batch" in ev and (isinstance(ev["batch"], bool) or not isinstance(ev["batch"], int) or ev["batch"] < 0):
        return "batch", "the batch number must be a whole number"
    if "nonce" in ev and (isinstance(ev["nonce"], bool) or not isinstance(ev["nonce"], int)
                          or not 0 <= ev["nonce"] < 1 << 64):
        return "nonce", "the nonce must be a whole number"
    if "tx" in ev and (not isinstance(ev["tx"], str) or not _TX.fullmatch(ev["tx"])):
        return "tx", "the transaction hash must be 0x + 64 hex digits"
    if "registry" in ev and not isinstance(ev["registry"], str):
        return "registry", "the registry must be an address"
    if kind == "planned":
        works = ev["works"]
        if not isinstance(works, list) or not all(isinstance(w, str) and _TX.fullmatch(w) for w in works):
            return "works", "works must be a list of work ids"
    return None


@dataclass
class _JournalState:
    batches: dict[int, list[str]] = field(default_factory=dict)
    sent: dict[str, tuple[int, int]] = field(default_factory=dict)  # tx -> (batch, nonce)
    settled: set[str] = field(default_factory=set)  # txs with an outcome
    mined_batches: set[int] = field(default_factory=set)
    next_batch: int = 1

    def unsettled(self) -> list[tuple[str, int, int]]:
        return [(tx, b, n) for tx, (b, n) in self.sent.items() if tx not in self.settled]

    def mined_works(self) -> set[str]:
        return {w for b in self.mined_batches for w in self.batches.get(b, ())}


class Journal:
    """An append-only JSON-lines file; every event is flushed and fsync'ed before returning."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: io.TextIOWrapper | None = None

    def events(self) -> list[dict[str, Any]]:
        """The journal's events, each checked against the journal schema.

        Only the last line may be torn (a kill mid-write: that event did not happen); any
        other malformed line means the file was damaged or edited, and is refused with a hint
        to start over (the chain, not the journal, decides what is done, so that is safe).
        """
        if not self.path.exists():
            return []
        text = read_text(self.path, what="batch journal")
        lines = text.split("\n")
        out = []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                ev = parse_json(line, str(self.path), first_line=n)
            except E.InputError as exc:
                if n == len(lines) or (n == len(lines) - 1 and not lines[-1]):
                    if exc.message.find("not JSON") >= 0:
                        continue  # a line torn by a kill mid-write
                raise self._bad(exc.where or f"{self.path}:{n}:-", bare(exc)) from None
            problem = _journal_problem(ev)
            if problem:
                raise self._bad(f"{self.path}:{n}:{problem[0]}", problem[1])
            out.append(ev)
        return out

    def _bad(self, where: str, message: str) -> E.InputError:
        return E.InputError(f"malformed batch journal: {message}", where=where,
                            hint=f"start over with --fresh (or delete {self.path}); the chain decides what is done")

    def state(self, registry: str) -> _JournalState:
        """What the journal says about runs against ``registry`` (other deployments ignored)."""
        st = _JournalState()
        current = None
        for ev in self.events():
            kind = ev.get("event")
            if isinstance(ev.get("batch"), int):
                st.next_batch = max(st.next_batch, ev["batch"] + 1)
            if kind == "run":
                current = ev.get("registry")
                continue
            if current != registry:
                continue
            if kind == "planned":
                st.batches[ev["batch"]] = list(ev["works"])
            elif kind == "sent":
                st.sent[ev["tx"]] = (ev["batch"], int(ev["nonce"]))
            elif kind in ("mined", "reverted", "lost"):
                st.settled.add(ev["tx"])
                if kind == "mined":
                    st.mined_batches.add(ev["batch"])
        return st

    def append(self, event: dict[str, Any]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open for the run)
        self._fh.write(json.dumps({**event, "at": round(time.time(), 3)}, separators=(",", ":")) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# --- the pipeline --------------------------------------------------------------------------


@dataclass
class _Batch:
    id: int
    works: list[str]
    tx: str
    nonce: int


@dataclass
class _Tally:
    """The counters of one run, and the progress callback they feed."""

    total: int
    done: int  # works settled so far: registered, skipped, failed, or duplicate rows
    progress: ProgressCallback | None = None
    registered: int = 0
    skipped: int = 0
    failed: int = 0
    from_journal: int = 0
    resent: int = 0
    gas: int = 0
    batches: int = 0
    failures: list[str] = field(default_factory=list)

    def skip(self) -> None:
        self.skipped += 1
        self.done += 1

    def fail(self, work: str, reason: str) -> None:
        self.failed += 1
        self.done += 1
        self.failures.append(f"{work}: {reason}")

    def report(self, ids: Sequence[str] = ()) -> None:
        if self.progress is not None:
            self.progress(BatchProgress(self.done, self.total, self.batches, tuple(ids)))

    def summary(self, seconds: float, duplicates: int, journal: str, notes: list[str]) -> BatchSummary:
        return BatchSummary(
            total=self.total, registered=self.registered, skipped_existing=self.skipped, failed=self.failed,
            batches=self.batches, gas_used=self.gas, seconds=seconds, duplicates=duplicates,
            from_journal=self.from_journal, resent=self.resent, journal=journal, notes=tuple(notes),
            failures=tuple(self.failures),
        )


class _Pipeline:
    """Shared engine: plan batches, send them with bounded pipelining, journal, resume."""

    kind = "register"
    done_statuses: frozenset[int] = frozenset()
    todo_statuses: frozenset[int] = frozenset()

    def __init__(
        self,
        ledger: Ledger,
        journal_path: Path,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise E.InputError(f"batch size {batch_size} is out of range 1..{MAX_BATCH} (the contract's MAX_BATCH)")
        if max_in_flight < 1:
            raise E.InputError(f"max in flight must be at least 1, got {max_in_flight}")
        self.ledger = ledger
        self.chain = ledger.chain
        self.w3 = ledger.w3
        self.journal = Journal(journal_path)
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self._gas_model: dict[Any, float] = {}
        self._recheck: set[str] = set()  # works of a reverted batch: estimate again before resending
        self._gas_limits: dict[str, int] = {}

    # hooks ------------------------------------------------------------------------------

    def _prepare(self, works: list[str]) -> None:
        """Anything to compute off-chain before a batch is simulated (metadata CIDs)."""

    def _store(self, works: list[str]) -> None:
        """Anything to write off-chain once the batch simulated cleanly (store metadata)."""

    def _function(self, works: list[str]) -> ContractFunction:
        raise NotImplementedError

    def _failure_reason(self, status: int) -> str:
        return f"is {WorkStatus(status).name}"

    # chain helpers ------------------------------------------------------------------------

    def statuses(self, works: Sequence[str]) -> dict[str, int]:
        return statuses_of(self.ledger, works)

    def _rpc(self, fn: Callable[[], Any]) -> Any:
        return self.chain.call(fn)  # a node that does not answer: ChainUnavailable

    def _receipt_now(self, tx: str) -> Any:
        from web3.exceptions import TransactionNotFound

        try:
            return self._rpc(lambda: self.w3.eth.get_transaction_receipt(HexStr(tx)))
        except TransactionNotFound:
            return None

    def _known(self, tx: str) -> bool:
        from web3.exceptions import TransactionNotFound

        try:
            return self._rpc(lambda: self.w3.eth.get_transaction(HexStr(tx))) is not None
        except TransactionNotFound:
            return False

    def _wait(self, tx: str) -> Any:
        try:
            return self._rpc(
                lambda: self.w3.eth.wait_for_transaction_receipt(
                    HexStr(tx), timeout=self.chain.profile.receipt_timeout, poll_latency=0.05
                )
            )
        except TimeExhausted as exc:
            raise E.TransactionFailed(
                f"transaction {tx} was not mined within {self.chain.profile.receipt_timeout:.0f} s",
                hint="rerun the same command: the journal resumes where this run stopped",
            ) from exc

    # the run -------------------------------------------------------------------------------

    def _run(self, works: list[str], total_rows: int, duplicates: int, notes: list[str],
             progress: ProgressCallback | None) -> BatchSummary:
        t0 = time.monotonic()
        signer = self.ledger.require_signer()
        registry = self.ledger.registry.address
        state = self.journal.state(registry)
        self.journal.append({"event": "run", "kind": self.kind, "registry": registry,
                             "chainId": self.chain.chain_id, "signer": signer.address, "works": len(works)})
        tally = _Tally(total=total_rows, done=duplicates, progress=progress)
        try:
            inflight, awaited, ours_before = self._recover(state, set(works), notes)  # 1. the journal's leftovers
            todo = self._plan(works, awaited, ours_before, tally, notes)  # 2. the chain decides what is left
            self._send_all(todo, inflight, tally, signer, state.next_batch)  # 3. send, bounded in flight
        except BaseException as exc:
            with contextlib.suppress(OSError):
                self.journal.append({"event": "stopped", "error": f"{type(exc).__name__}: {exc}"[:300]})
            raise
        finally:
            self.chain.reset_nonce(signer.address)
            summary = tally.summary(round(time.monotonic() - t0, 3), duplicates, str(self.journal.path), notes)
            with contextlib.suppress(OSError):
                self.journal.append({"event": "summary", **{k: v for k, v in vars(summary).items()
                                                            if k not in ("notes", "failures")}})
            self.journal.close()
        # what this run got mined goes into the embedded node's journal (or, past JOURNAL_LIMIT
        # transactions, a snapshot of its state): a batch acknowledged as registered survives a
        # crash of the node, and so do the later writes of the same signer (stop 26: they were
        # lost behind the nonces the journal missed)
        self.chain.make_durable()
        return summary

    def _recover(self, state: _JournalState, wanted: set[str],
                 notes: list[str]) -> tuple[deque[_Batch], set[str], set[str]]:
        """Settle the transactions the journal sent without an outcome: mined, pending or lost.

        Returns the batches still pending (to await), their works, and every work an earlier
        run of this journal sent or got mined."""
        inflight: deque[_Batch] = deque()
        awaited: set[str] = set()
        journal_sent: set[str] = set()
        for tx, batch_id, nonce in sorted(state.unsettled(), key=lambda t: t[2]):
            batch_works = state.batches.get(batch_id, [])
            journal_sent.update(batch_works)
            receipt = self._receipt_now(tx)
            if receipt is not None:
                ok = receipt["status"] == 1
                self.journal.append({"event": "mined" if ok else "reverted", "batch": batch_id, "tx": tx,
                                     "block": receipt["blockNumber"], "gas": receipt["gasUsed"]})
                if ok:
                    state.mined_batches.add(batch_id)
            elif self._known(tx):
                inflight.append(_Batch(batch_id, [w for w in batch_works if w in wanted], tx, nonce))
                awaited.update(batch_works)
                notes.append(f"awaiting batch {batch_id} sent by an earlier run (tx {tx})")
            else:
                self.journal.append({"event": "lost", "batch": batch_id, "tx": tx})
        ours_before = state.mined_works() | journal_sent | {
            w for _tx, (b, _n) in state.sent.items() for w in state.batches.get(b, ())
        }
        return inflight, awaited, ours_before

    def _plan(self, works: list[str], awaited: set[str], ours_before: set[str], tally: _Tally,
              notes: list[str]) -> list[str]:
        """The works still to send, by their status on chain; the rest are skipped or failed."""
        status = self.statuses([w for w in works if w not in awaited])
        todo: list[str] = []
        for w in works:
            if w in awaited:
                continue
            s = status[w]
            if s in self.todo_statuses:
                todo.append(w)
                if w in ours_before:
                    tally.resent += 1
            elif s in self.done_statuses:
                tally.skip()
                if w in ours_before:
                    tally.from_journal += 1
            else:
                tally.fail(w, self._failure_reason(s))
        if tally.resent:
            notes.append(f"{tally.resent} work(s) the journal had as sent were not on chain (lost by the node?); "
                         "sent again")
        tally.report()
        return todo

    def _send_all(self, todo: list[str], inflight: deque[_Batch], tally: _Tally, signer: Any,
                  next_batch: int) -> None:
        """Send ``todo`` in batches, at most ``max_in_flight`` transactions unsettled."""
        queue: deque[list[str]] = deque(todo[i : i + self.batch_size] for i in range(0, len(todo), self.batch_size))
        nonce = self.chain.next_nonce(signer.address) if queue else 0
        while queue or inflight:
            while queue and len(inflight) < self.max_in_flight:
                batch_works = queue.popleft()
                try:
                    txd = self._build(batch_works)
                except E.ContractError as exc:
                    for kind, w, reason in self._refused(batch_works, exc, queue):
                        tally.skip() if kind == "skipped" else tally.fail(w, reason)
                    tally.report()
                    continue
                batch = _Batch(next_batch, batch_works, "", nonce)
                next_batch += 1
                self._broadcast(batch, txd, signer)
                nonce += 1
                inflight.append(batch)
            if not inflight:
                break
            self._settle(inflight.popleft(), tally, queue)

    def _settle(self, batch: _Batch, tally: _Tally, queue: deque[list[str]]) -> None:
        """Wait for one batch; a reverted one has each work checked again and re-planned."""
        receipt = self._wait(batch.tx)
        ok = receipt["status"] == 1
        self.journal.append({"event": "mined" if ok else "reverted", "batch": batch.id, "tx": batch.tx,
                             "block": receipt["blockNumber"], "gas": receipt["gasUsed"]})
        tally.gas += int(receipt["gasUsed"])
        if ok:
            tally.batches += 1
            tally.registered += len(batch.works)
            tally.done += len(batch.works)
            tally.report(batch.works)
            return
        # reverted: someone (or a resurfaced stale tx) got there first, or it ran out of
        # gas (then forget the gas model); check each work again
        if int(receipt["gasUsed"]) >= 0.97 * self._gas_limits.get(batch.tx, 1 << 62):
            self._gas_model.clear()
        again = self.statuses(batch.works)
        retry = [w for w in batch.works if again[w] in self.todo_statuses]
        for w in batch.works:
            if again[w] in self.done_statuses:
                tally.skip()
            elif again[w] not in self.todo_statuses:
                tally.fail(w, self._failure_reason(again[w]))
        if retry:
            self._recheck.update(retry)
            queue.appendleft(retry)
        tally.report()

    def _shape(self, works: list[str]) -> Any:
        """Batches of one shape cost the same gas per work (None: always estimate)."""
        return "all"

    def _build(self, works: list[str]) -> dict[str, Any]:
        """Simulate the batch, then store what it needs (a revert raises before anything is stored or sent).

        The metadata CIDs are computed locally (the store names bytes the same way), so the
        simulated call is the call that will be sent; rows the contract refuses leave nothing
        in the store.

        ``eth_estimateGas`` runs a call many times (a binary search), which on a busy node
        costs seconds for a batch of hundreds of works. So the first batch of each shape is
        estimated and the gas per work remembered; later batches of that shape are simulated
        once with ``eth_call`` and given that gas per work plus a margin. A batch that still
        runs out of gas reverts, is checked again and re-planned, and its shape re-estimated.
        """
        self._prepare(works)
        fn = self._function(works)
        signer = self.ledger.require_signer()
        call = {"from": signer.address, "to": fn.address, "data": self.chain.calldata(fn)}  # encode once
        shape = self._shape(works)
        per_work = self._gas_model.get(shape) if shape is not None else None
        if per_work is None or self._recheck.intersection(works):
            estimate = int(self.chain.call(lambda: self.w3.eth.estimate_gas(call)))  # type: ignore[arg-type]
            if shape is not None:
                self._gas_model[shape] = estimate / len(works)
            self._recheck.difference_update(works)
            gas = int(estimate * BATCH_GAS_MARGIN) + 20_000
        else:
            self.chain.call(lambda: self.w3.eth.call(call))  # type: ignore[arg-type]
            gas = int(per_work * len(works) * (BATCH_GAS_MARGIN + 0.05)) + 30_000
        self._store(works)
        return {"to": call["to"], "data": call["data"], "gas": gas, "gasPrice": self.chain.gas_price(),
                "chainId": self.chain.chain_id, "value": 0}

    def _broadcast(self, batch: _Batch, tx: dict[str, Any], signer: Any) -> None:
        """Journal the plan and the signed transaction, then send it (write-ahead)."""
        signed = signer.sign_transaction({**tx, "nonce": batch.nonce})
        batch.tx = "0x" + bytes(signed.hash).hex()
        self._gas_limits[batch.tx] = int(tx["gas"])
        self.journal.append({"event": "planned", "batch": batch.id, "works": batch.works})
        self.journal.append({"event": "sent", "batch": batch.id, "tx": batch.tx, "nonce": batch.nonce})
        try:
            self._rpc(lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction))
        except Web3RPCError as exc:
            raise E.TransactionFailed(
                f"the node refused batch {batch.id}: {exc}",
                hint="rerun the same command: the journal resumes where this run stopped",
            ) from exc
        self.chain.sent_raw(batch.tx, bytes(signed.raw_transaction))  # the node's journal (make_durable)

    def _refused(self, works: list[str], exc: E.ContractError,
                 queue: deque[list[str]]) -> list[tuple[str, str, str]]:
        """A batch failed simulation: settle the work that caused it, re-plan the others."""
        args = getattr(exc, "args_by_name", {}) or {}
        culprit = args.get("workId")
        culprit_hex = "0x" + bytes(culprit).hex() if isinstance(culprit, bytes | bytearray) else None
        if exc.name == "AccessControlUnauthorizedAccount":
            raise exc
        if culprit_hex in works:
            rest = [w for w in works if w != culprit_hex]
            if rest:
                queue.appendleft(rest)
            if exc.name == "WorkRegistry__AlreadyRegistered" and self.kind == "register":
                return [("skipped", culprit_hex, exc.message)]
            if exc.name == "WorkRegistry__WrongStatus" and self.kind == "confirm" and args.get("status") == 2:
                return [("skipped", culprit_hex, exc.message)]
            return [("failed", culprit_hex, exc.message)]
        if len(works) > 1:  # no work named: split to find the one the contract refuses
            half = len(works) // 2
            queue.appendleft(works[half:])
            queue.appendleft(works[:half])
            return []
        return [("failed", works[0], exc.message)]


class BatchRegistrar(_Pipeline):
    """Registers catalogue rows with ``registerBatch``; see the module docstring."""

    kind = "register"
    todo_statuses = frozenset({int(WorkStatus.NONE), int(WorkStatus.REJECTED)})
    done_statuses = frozenset(int(s) for s in WorkStatus if s not in (WorkStatus.NONE, WorkStatus.REJECTED))

    def __init__(self, ledger: Ledger, journal_path: Path, batch_size: int = DEFAULT_BATCH_SIZE,
                 max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        super().__init__(ledger, journal_path, batch_size, max_in_flight)
        self._rows: dict[str, CatalogueRow] = {}
        self._cids: dict[str, str] = {}
        self._docs: dict[str, bytes] = {}
        self._stored: set[str] = set()

    def run(self, rows: Catalogue | Sequence[CatalogueRow], progress: ProgressCallback | None = None) -> BatchSummary:
        """Register every row not on chain yet; resume from the journal. Returns the summary."""
        notes: list[str] = []
        if isinstance(rows, Catalogue):
            total_rows, duplicates, notes = rows.total_rows, len(rows.duplicates), list(rows.duplicates)
            rows = rows.rows
        else:
            total_rows, duplicates = len(rows), 0
        self._rows = {}
        for r in rows:
            if r.work_id in self._rows:
                duplicates += 1
                notes.append(f"line {r.line}: same work as line {self._rows[r.work_id].line}; skipped")
            else:
                self._rows[r.work_id] = r
        return self._run([str(w) for w in self._rows], total_rows, duplicates, notes, progress)

    def _prepare(self, works: list[str]) -> None:
        """The metadata documents' CIDs, computed locally (nothing is stored before the simulation)."""
        for w in works:
            if w not in self._cids:
                self._docs[w] = canonical_json(dict(self._rows[w].metadata))
                self._cids[w] = cid_for_bytes(self._docs[w])

    def _store(self, works: list[str]) -> None:
        """Store the simulated batch's metadata documents (in parallel: each write is fsync'ed)."""
        store = self.ledger.store
        missing = [w for w in works if w not in self._stored]
        if not missing:
            return
        with ThreadPoolExecutor(max_workers=STORE_THREADS) as pool:
            for w, cid in zip(missing, pool.map(store.add, (self._docs[w] for w in missing)), strict=True):
                if cid != self._cids[w]:
                    raise E.StoreError(f"the store named the metadata of {w} {cid}, not {self._cids[w]}")
                self._stored.add(w)

    def _shape(self, works: list[str]) -> Any:
        counts = {len(self._rows[w].holders) for w in works}
        return counts.pop() if len(counts) == 1 else None

    def _function(self, works: list[str]) -> ContractFunction:
        sole = [
            Ledger._sole_registration(w, self._cids[w], dict(self._rows[w].metadata), self._rows[w].holders)
            for w in works
        ]
        if all(s is not None for s in sole):  # one holder, raw CIDs: the compact call
            return self.ledger.registry.functions.registerSoleBatch(sole)
        regs = []
        for w in works:
            row = self._rows[w]
            regs.append(Ledger._registration(w, self._cids[w], dict(row.metadata), row.holders))
        return self.ledger.registry.functions.registerBatch(regs)

    def _failure_reason(self, status: int) -> str:
        return f"cannot be registered: it is {WorkStatus(status).name}"


class BatchConfirmer(_Pipeline):
    """Confirms PENDING works with ``confirmBatch`` (caller: a REGISTRAR)."""

    kind = "confirm"
    todo_statuses = frozenset({int(WorkStatus.PENDING)})
    done_statuses = frozenset({int(WorkStatus.CONFIRMED)})

    def run(self, work_ids: Iterable[str], progress: ProgressCallback | None = None) -> BatchSummary:
        ids = [parse_work_id(w) for w in work_ids]
        unique = list(dict.fromkeys(ids))
        dup = len(ids) - len(unique)
        notes = [f"{dup} repeated work id(s) skipped"] if dup else []
        return self._run([str(w) for w in unique], len(ids), dup, notes, progress)

    def _function(self, works: list[str]) -> ContractFunction:
        return self.ledger.registry.functions.confirmBatch([bytes.fromhex(w[2:]) for w in works])

    def _failure_reason(self, status: int) -> str:
        if status == WorkStatus.NONE:
            return "is not registered"
        return f"cannot be confirmed: it is {WorkStatus(status).name}"


# --- helpers for callers --------------------------------------------------------------------


def statuses_of(ledger: Ledger, works: Sequence[str]) -> dict[str, int]:
    """On-chain status of each work id (``statusesOf`` in chunks of STATUS_CHUNK)."""
    out: dict[str, int] = {}
    fn = ledger.registry.functions.statusesOf
    for i in range(0, len(works), STATUS_CHUNK):
        chunk = list(works[i : i + STATUS_CHUNK])
        raw = [bytes.fromhex(w[2:]) for w in chunk]
        values = ledger.call(fn(raw))
        out.update(zip(chunk, (int(v) for v in values), strict=True))
    return out


def signer_is_cmo(ledger: Ledger) -> bool:
    signer = ledger.require_signer()
    cmo = ROLE_IDS["CMO"]
    return bool(ledger.call(ledger.roles.functions.hasRole(cmo, signer.address)))


def pending_works(ledger: Ledger) -> list[str]:
    """Every work now PENDING: ids from WorkRegistered events, filtered with statusesOf."""
    topics = ledger.events.topics_of("WorkRegistered")  # the long and the compact form
    head = ledger.chain.block_number()
    ids: list[str] = []
    for _end, logs in ledger.rpc.get_logs(
        [ledger.registry.address], ledger.deployment.first_block, head, chunk=ledger.settings.network.log_chunk,
        topics=[topics],
    ):  # fmt: skip
        ids.extend("0x" + log["topics"][1][2:] for log in logs)
    ids = list(dict.fromkeys(ids))
    status = statuses_of(ledger, ids)
    return [w for w in ids if status[w] == WorkStatus.PENDING]


__all__ = [
    "BatchConfirmer", "BatchProgress", "BatchRegistrar", "BatchSummary", "Catalogue", "CatalogueRow",
    "Journal", "journal_path", "pending_works", "read_catalogue", "read_work_ids", "signer_is_cmo", "statuses_of",
]  # fmt: skip

