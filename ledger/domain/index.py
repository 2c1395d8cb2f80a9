"""The local read index: licences, mandates and work facts in an embedded SQL database.

Synced incrementally from the contracts' events (every version in the deployments file,
so it follows the version chain), it remembers the block (number and hash) it is synced
to and survives restarts. It is never the source of truth: :meth:`ReadIndex.rebuild`
drops it and replays the events, and a sync that finds the chain no longer holds the block
it stopped at (a reset chain, another deployment) rebuilds by itself. One question is an
indexed lookup (B-tree: O(log n) plus the rows it returns), not a replay of every event
as :meth:`Licensing.index` does.

Portability: the schema and the statements are plain SQL (``CREATE TABLE``/``INDEX
IF NOT EXISTS``, ``INSERT ... ON CONFLICT (...) DO UPDATE``, ``DELETE``), which SQLite
(3.24+) and PostgreSQL both run; only the placeholders (``?``; ``%s`` for psycopg) and
the connection differ; ``BEGIN IMMEDIATE`` and ``PRAGMA journal_mode=WAL`` are SQLite's
(PostgreSQL: ``BEGIN`` with ``SELECT ... FOR UPDATE`` on the meta row). A licence's full
record (terms, history) is kept as a JSON text column; the columns questions filter on are real columns with indexes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the licensing package is imported by the reads and events that need it, not by `work show`
    from ledger.domain.licensing.index import _Lic
    from ledger.domain.licensing.model import LicenceRecord

SCHEMA_VERSION = "5"  # 5: work_logs, every event about one work (issue 15)
# how many blocks a read syncs before answering; beyond that it answers and says how far behind it is
READ_SYNC_BOUND = 50_000

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (k VARCHAR(64) PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS licences (registry VARCHAR(42) NOT NULL, id BIGINT NOT NULL, "
    "licensor VARCHAR(42) NOT NULL, licensee VARCHAR(42), scope INTEGER NOT NULL, record TEXT NOT NULL, "
    "PRIMARY KEY (registry, id))",
    "CREATE INDEX IF NOT EXISTS licences_by_licensee ON licences (licensee, registry, id)",
    "CREATE INDEX IF NOT EXISTS licences_by_licensor ON licences (licensor, scope, registry, id)",
    "CREATE TABLE IF NOT EXISTS licence_works (work VARCHAR(66) NOT NULL, registry VARCHAR(42) NOT NULL, "
    "licence_id BIGINT NOT NULL, PRIMARY KEY (work, registry, licence_id))",
    "CREATE TABLE IF NOT EXISTS mandates (work VARCHAR(66) NOT NULL, cmo VARCHAR(42) NOT NULL, "
    "uses BIGINT NOT NULL, valid_from BIGINT NOT NULL, valid_until VARCHAR(20) NOT NULL, PRIMARY KEY (work, cmo))",
    "CREATE TABLE IF NOT EXISTS works (work VARCHAR(66) PRIMARY KEY, status INTEGER NOT NULL, "
    "registered_block BIGINT NOT NULL, reserved_uses BIGINT NOT NULL)",
    # --- the registrar's desk (issue 18): what search, the review queue and similarity read ---
    # one row per work: who registered it, when, its kind, its metadata's searchable fields and
    # ISCC content code (meta_state 0 = document not fetched yet, 1 = read, 2 = missing/invalid)
    "CREATE TABLE IF NOT EXISTS work_info (work VARCHAR(66) PRIMARY KEY, registry VARCHAR(42) NOT NULL, "
    "registrant VARCHAR(42) NOT NULL, work_type INTEGER NOT NULL, creation_mode INTEGER NOT NULL, "
    "registered_block BIGINT NOT NULL, registered_at BIGINT NOT NULL, metadata_cid VARCHAR(128) NOT NULL, "
    "meta_state INTEGER NOT NULL, title TEXT, creators TEXT, identifiers TEXT, iscc VARCHAR(80), "
    "iscc_kind VARCHAR(16), iscc_body BIGINT, reject_code INTEGER, reject_cid VARCHAR(128), "
    "flagged_of VARCHAR(66), flag_distance INTEGER, flagged_by VARCHAR(42), override_reason TEXT, "
    "overridden_by VARCHAR(42))",
    "CREATE INDEX IF NOT EXISTS work_info_by_time ON work_info (registered_block, work)",
    "CREATE INDEX IF NOT EXISTS work_info_by_registrant ON work_info (registrant, registered_block)",
    "CREATE INDEX IF NOT EXISTS work_info_by_meta_state ON work_info (meta_state)",
    "CREATE TABLE IF NOT EXISTS work_holders (work VARCHAR(66) NOT NULL, holder VARCHAR(42) NOT NULL, "
    "bps INTEGER NOT NULL, PRIMARY KEY (work, holder))",
    "CREATE INDEX IF NOT EXISTS work_holders_by_holder ON work_holders (holder, work)",
    # search terms: field t = title, c = creator, x = identifier; a word is one term, CJK text gives
    # each character and each pair of neighbours (see ledger.domain.review.terms); prefix search is a
    # range on the primary key, so no engine-specific full-text feature is needed
    "CREATE TABLE IF NOT EXISTS work_terms (field CHAR(1) NOT NULL, term VARCHAR(200) NOT NULL, "
    "work VARCHAR(66) NOT NULL, PRIMARY KEY (field, term, work))",
    "CREATE INDEX IF NOT EXISTS work_terms_by_work ON work_terms (work, field, term)",
    # ISCC content codes cut into 5 bands of 13/13/13/13/12 bits (multi-index hashing): two codes
    # within distance d agree within floor(d/5) bits in at least one band, so a lookup asks each
    # band for the values within that many bits of the query's band (an indexed IN list; the
    # covering index holds the whole code, so no second lookup) and compares only those candidates
    "CREATE TABLE IF NOT EXISTS iscc_bands (kind VARCHAR(16) NOT NULL, band INTEGER NOT NULL, "
    "value INTEGER NOT NULL, work VARCHAR(66) NOT NULL, body BIGINT NOT NULL, PRIMARY KEY (kind, band, value, work))",
    "CREATE INDEX IF NOT EXISTS iscc_bands_lookup ON iscc_bands (kind, band, value, body, work)",
    "CREATE INDEX IF NOT EXISTS iscc_bands_by_work ON iscc_bands (work)",
    "CREATE TABLE IF NOT EXISTS disputes (id BIGINT NOT NULL, registry VARCHAR(42) NOT NULL, "
    "work VARCHAR(66) NOT NULL, claimant VARCHAR(42) NOT NULL, evidence_cid VARCHAR(128) NOT NULL, "
    "opened_block BIGINT NOT NULL, opened_at BIGINT NOT NULL, outcome INTEGER, registrar VARCHAR(42), "
    "resolved_block BIGINT, PRIMARY KEY (registry, id))",
    "CREATE INDEX IF NOT EXISTS disputes_by_outcome ON disputes (outcome, opened_block)",
    "CREATE INDEX IF NOT EXISTS disputes_by_work ON disputes (work, opened_block)",
    # --- one work's events (issue 15): what `work show`, `verify` and the portal's work page read ---
    # the raw log (JSON: address, topics, data, block, transaction, log index) of every event of a
    # recorded WorkRegistry version whose indexed workId (topic 1, or 2 for disputes) is the work,
    # and every GenerationRecorded of a recorded AttestationRegistry naming it as its output (topic
    # 2); decoded on read by the same decoder as eth_getLogs' answer, so both answers are the same
    "CREATE TABLE IF NOT EXISTS work_logs (work VARCHAR(66) NOT NULL, block BIGINT NOT NULL, "
    "log_index INTEGER NOT NULL, source VARCHAR(32) NOT NULL, address VARCHAR(42) NOT NULL, log TEXT NOT NULL, "
    "PRIMARY KEY (work, block, log_index))",
)
TABLES = ("licences", "licence_works", "mandates", "works", "work_info", "work_holders", "work_terms", "iscc_bands",
          "disputes", "work_logs")
#: what goes into work_logs, by source: (contract, its events kept (None: all), the argument naming the
#: subject (a work id or a hash), the topic positions that may hold it). WorkRegistry: a work's
#: history (Ledger.work); AttestationRegistry: a work's generation records (Protection.generations);
#: Attestations: a hash's attestations (Protection.attestations_of)
WORK_LOG_SOURCES: dict[str, tuple[str, tuple[str, ...] | None, str, tuple[int, ...]]] = {
    "WorkRegistry": ("WorkRegistry", None, "workId", (1, 2)),
    "AttestationRegistry": ("AttestationRegistry", ("GenerationRecorded",), "workId", (2,)),
    "Attestations": ("AttestationRegistry", ("Attested", "TimestampLinked"), "hash", (1,)),
}
#: 64-bit ISCC bodies are cut into these bands (widths in bits, most significant first)
BAND_WIDTHS = (13, 13, 13, 13, 12)
BANDS = len(BAND_WIDTHS)
_BAND_SHIFTS = tuple(64 - sum(BAND_WIDTHS[:i + 1]) for i in range(BANDS))


def band_values(body: int) -> list[int]:
    """The value of each band of a 64-bit code."""
    return [(body >> shift) & ((1 << width) - 1) for shift, width in zip(_BAND_SHIFTS, BAND_WIDTHS, strict=True)]
# a search term matched by at most this many works drives the query (else the newest works are walked)
RARE = 2000
MAX_TERMS = 200  # different words searched for, over title and creator (each is a subquery of the search)
MAX_CJK_PAIRS = 32  # pairs of neighbouring CJK characters used to find candidates (the text is checked again)
# how many metadata documents one sync reads from the store at most (the rest on the next read)
META_FETCH_BOUND = 20_000

_LICENCE_EVENTS = ("LicenceGranted", "OpenLicencePublished")
_LICENCE_CHANGES = ("LicenceSuspended", "LicenceResumed", "LicenceRevoked", "OfferAccepted")
_WORK_EVENTS = ("WorkRegistered", "WorkConfirmed", "WorkRejected", "DisputeOpened", "DisputeResolved",
                "UsesReserved", "ClaimAwarded", "ShareTransferred", "NearDuplicateFlagged", "NearDuplicateOverridden")
_STATUS = {"WorkRegistered": 1, "WorkConfirmed": 2, "WorkRejected": 3, "DisputeOpened": 4}


@dataclass(frozen=True)
class IndexState:
    synced_block: int
    head: int

    @property
    def behind(self) -> int:
        return max(0, self.head - self.synced_block)

    def note(self) -> str | None:
        """What a read tells the user when its answer may miss recent blocks."""
        return f"index {self.behind} blocks behind the chain (head {self.head})" if self.behind else None


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One caller at a time on the connection (the portal answers from several threads)."""
    def wrapper(self: ReadIndex, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return fn(self, *args, **kwargs)
    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


def _lic_to_json(lic: _Lic) -> str:
    d = asdict(lic)
    d.pop("terr_set")
    for k in ("territories", "terms_cid"):
        d[k] = d[k].hex()
    return json.dumps(d, separators=(",", ":"))


def _lic_from_json(text: str) -> _Lic:
    from ledger.domain.licensing.index import _Lic

    d = json.loads(text)
    d["territories"], d["terms_cid"] = bytes.fromhex(d["territories"]), bytes.fromhex(d["terms_cid"])
    d["works"] = tuple(d["works"])
    lic = _Lic(**d)
    lic.terr_set = frozenset(lic.territories[i:i + 2] for i in range(0, len(lic.territories), 2))
    return lic


def _read_bound(value: str | None) -> int:
    """RIGHTS_LEDGER_INDEX_READ_BOUND: a whole number of blocks (at least 1); unset: READ_SYNC_BOUND."""
    if value is None or not value.strip():
        return READ_SYNC_BOUND
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        from ledger.core.errors import ConfigError

        raise ConfigError(f"RIGHTS_LEDGER_INDEX_READ_BOUND={value!r} is not a whole number of blocks (at least 1)",
                          hint="unset it for the default, or give e.g. 100000")
    return int(text)


def _work_of(ev: Any, log: dict[str, Any], key: str, positions: tuple[int, ...]) -> str | None:
    """The work (or hash) an event is about: its ``key`` argument, when that is indexed at one of
    the topic positions (what a topic filter on the work finds); else None."""
    raw = ev.args.get(key)
    if not isinstance(raw, bytes | bytearray) or len(raw) != 32:
        return None
    wid = "0x" + bytes(raw).hex()
    topics = [str(t).lower() for t in log.get("topics") or []]
    return wid if any(p < len(topics) and topics[p] == wid for p in positions) else None


def _dict(value: Any) -> dict[str, Any]:
    """A document field that should be an object: itself, or empty when it is anything else."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """A document field that should be an array: itself, or empty when it is anything else."""
    return value if isinstance(value, list) else []


def _log_json(log: dict[str, Any]) -> str:
    """The fields of a raw log the event decoder reads, as JSON text."""
    return json.dumps({k: log[k] for k in ("address", "topics", "data", "blockNumber", "transactionHash", "logIndex")},
                      separators=(",", ":"))


class ReadIndex:
    """The read index of one network in ``<home>/index/<network>.sqlite``."""

    def __init__(self, ledger: Any, path: Path | None = None) -> None:
        self.ledger = ledger
        self.path = path or ledger.settings.home / "index" / f"{ledger.settings.network.name}.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        #: how many blocks a read syncs at most before answering (RIGHTS_LEDGER_INDEX_READ_BOUND)
        self.read_bound = _read_bound(os.environ.get("RIGHTS_LEDGER_INDEX_READ_BOUND"))
        self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")  # SQLite-only: readers do not block the syncing writer
        self._drop_if_other_schema()
        for stmt in SCHEMA:
            self.db.execute(stmt)
        self._identity = self._source_identity()

    def _drop_if_other_schema(self) -> None:
        """A file written by another schema version is dropped (it is a cache: the sync rebuilds it)."""
        try:
            row = self.db.execute("SELECT v FROM meta WHERE k = 'identity'").fetchone()
        except sqlite3.OperationalError:  # a new file
            return
        if row and json.loads(row[0])[0] != SCHEMA_VERSION:
            for table in (*TABLES, "meta"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 (fixed table names)

    def close(self) -> None:
        self.db.close()

    # --- what it follows ---------------------------------------------------------------

    def _addresses(self, name: str) -> list[str]:
        dep = self.ledger.deployment
        out = [c.address for c in dep.history if c.name == name]
        if name in dep.contracts:
            out.append(dep.contracts[name].address)
        return list(dict.fromkeys(out))

    def _source_identity(self) -> str:
        dep = self.ledger.deployment
        return json.dumps([SCHEMA_VERSION, dep.chain_id, self._addresses("LicenceRegistry"),
                           self._addresses("WorkRegistry"), self._addresses("AttestationRegistry")])

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                        (key, value))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE: take the write lock at once, so two processes syncing the same file do not
        # both apply a range (PostgreSQL: BEGIN; SELECT ... FROM meta FOR UPDATE)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @property
    def synced_block(self) -> int:
        v = self._meta("synced_block")
        return int(v) if v is not None else self.ledger.deployment.first_block - 1

    def _block_hash(self, number: int) -> str | None:
        blk = self.ledger.rpc.request("eth_getBlockByNumber", [hex(number), False])
        return blk["hash"] if blk else None

    # --- sync ----------------------------------------------------------------------------

    def clear(self) -> None:
        with self._transaction():
            for table in (*TABLES, "meta"):
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)

    @_locked
    def rebuild(self) -> IndexState:
        """Drop everything and replay the events from the first deployment block."""
        self.clear()
        return self.sync()

    def _valid(self) -> bool:
        if self._meta("identity") != self._identity:
            return False
        synced, want = self._meta("synced_block"), self._meta("synced_hash")
        return synced is None or want is None or self._block_hash(int(synced)) == want

    @_locked
    def sync(self, max_blocks: int | None = None) -> IndexState:
        """Apply the events of the blocks after the synced one (at most ``max_blocks`` of them)."""
        head = self.ledger.chain.block_number()
        if not self._valid():
            self.clear()
            with self._transaction():
                self._set_meta("identity", self._identity)
        start = self.synced_block + 1
        end = head if max_blocks is None else min(head, start + max_blocks - 1)
        if end < start:
            return IndexState(self.synced_block, head)
        led = self.ledger
        known = {n for n, _, _ in led.events.by_topic.values()}
        events = led.read_events(self._addresses("LicenceRegistry"), None, from_block=start, to_block=end)
        work_logs = self._fetch_work_logs(start, end)
        wanted = {n for n in _WORK_EVENTS if n in known}
        events += [ev for source, ev, _log, _wid in work_logs if source == "WorkRegistry" and ev.name in wanted]
        events.sort(key=lambda e: (e.block, e.log_index))
        end_hash = self._block_hash(end)
        with self._transaction():
            if self.synced_block != start - 1:  # another process synced meanwhile: its rows stand
                return IndexState(self.synced_block, head)
            self._stamps = self.ledger.rpc.block_timestamps(
                {e.block for e in events if e.name in ("WorkRegistered", "ClaimAwarded", "DisputeOpened")})
            self._dirty_holders: set[tuple[str, str]] = set()
            for ev in events:
                self._apply(ev)
            self.db.executemany(
                "INSERT INTO work_logs (work, block, log_index, source, address, log) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (work, block, log_index) DO NOTHING",
                [(wid, ev.block, ev.log_index, source, ev.address, _log_json(log))
                 for source, ev, log, wid in work_logs if wid is not None])
            self._refresh_holders()
            self._set_meta("synced_block", str(end))
            self._set_meta("synced_hash", end_hash or "")
        return IndexState(end, head)

    def _fetch_work_logs(self, start: int, end: int, wid: str | None = None, only: str | None = None
                         ) -> list[tuple[str, Any, dict[str, Any], str | None]]:
        """(source contract name, decoded event, raw log, the work it is about or None) for the logs
        of the recorded WorkRegistry and AttestationRegistry versions in blocks ``start..end``, oldest
        first; with ``wid``, only that work's (a topic filter on each position that may hold it);
        with ``only``, only that source's (a key of :data:`WORK_LOG_SOURCES`).

        Only the deployment's recorded addresses are asked, and a log from any other address is
        dropped again here: a contract that copies the ledger's events cannot write into the index."""
        led = self.ledger
        out: list[tuple[str, Any, dict[str, Any], str | None]] = []
        known = {n for n, _, _ in led.events.by_topic.values()}
        for source, (contract, names, key, positions) in WORK_LOG_SOURCES.items():
            addresses = self._addresses(contract)
            if not addresses or (names and not set(names) <= known) or (only and source != only):
                continue
            allowed = {a.lower() for a in addresses}
            first = [t for n in names for t in led.events.topics_of(n)] if names else None
            filters: list[list[Any] | None]
            if wid is None:
                filters = [[first] if first else None]
            else:
                filters = [[first] + [None] * (p - 1) + ["0x" + wid[2:]] for p in positions]
            seen: set[tuple[int, int]] = set()
            for topics in filters:
                for _end, logs in led.rpc.get_logs(addresses, start, end, chunk=led.settings.network.log_chunk,
                                                   topics=topics):
                    for log in logs:
                        if str(log.get("address", "")).lower() not in allowed:
                            continue
                        ev = led.events.decode(log)
                        if ev is None or (names and ev.name not in names) or (ev.block, ev.log_index) in seen:
                            continue
                        seen.add((ev.block, ev.log_index))
                        about = _work_of(ev, log, key, positions)
                        if wid is not None and about != wid:
                            continue
                        out.append((source, ev, log, about))
        out.sort(key=lambda r: (r[1].block, r[1].log_index))
        return out

    def work_events(self, wid: str, source: str = "WorkRegistry", bound: int | None = None
                    ) -> tuple[list[Any], IndexState]:
        """Every event of ``source``'s recorded versions about the work ``wid`` (``0x`` + 64 lower-case
        hex digits), oldest first, and the index's state: the index is synced first (at most
        ``bound`` blocks), its rows are read through the work's key, and the blocks it has not
        reached yet, if any, are read from the chain with a topic filter on the work (so the answer
        is complete either way; the state says how far behind the index was)."""
        assert source in WORK_LOG_SOURCES
        state = self.fresh(bound)
        evs = self.work_log_events(wid, source, state.synced_block)
        if state.behind:
            evs += [ev for _src, ev, _log, _w in self._fetch_work_logs(state.synced_block + 1, state.head, wid, source)]
        return evs, state

    @_locked
    def work_log_events(self, wid: str, source: str = "WorkRegistry", upto: int | None = None) -> list[Any]:
        """The indexed events of ``source`` about ``wid`` in blocks up to ``upto``, oldest first
        (a range on the primary key: O(log n) plus the work's own events)."""
        rows = self.db.execute("SELECT source, log FROM work_logs WHERE work = ? AND block <= ? "
                               "ORDER BY block, log_index", (wid, 2**62 if upto is None else int(upto))).fetchall()
        decode = self.ledger.events.decode
        return [ev for ev in (decode(json.loads(log)) for src, log in rows if src == source) if ev is not None]

    def fresh(self, bound: int | None = None) -> IndexState:
        """Sync (at most ``bound`` blocks, default :attr:`read_bound`) before a read; the state
        says if it is still behind."""
        return self.sync(max_blocks=self.read_bound if bound is None else bound)

    def _apply(self, ev: Any) -> None:
        from ledger.domain.licensing.index import CoverageIndex
        from ledger.domain.licensing.model import _hex

        name, a, reg = ev.name, ev.args, ev.address
        if name in _LICENCE_EVENTS:
            tmp = CoverageIndex()
            tmp.apply(name, a, ev.block, ev.tx_hash)
            for lic in tmp.licences.values():
                self._put_licence(reg, lic, new=True)
        elif name in _LICENCE_CHANGES:
            row = self.db.execute("SELECT record FROM licences WHERE registry = ? AND id = ?",
                                  (reg, int(a["licenceId"]))).fetchone()
            if row is None:
                return
            tmp = CoverageIndex()
            lic = _lic_from_json(row[0])
            tmp.licences[lic.id] = lic
            tmp.apply(name, a, ev.block, ev.tx_hash)
            self._put_licence(reg, lic, new=False)
        elif name == "MandateGranted":
            self.db.execute(
                "INSERT INTO mandates (work, cmo, uses, valid_from, valid_until) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (work, cmo) DO UPDATE SET uses = excluded.uses, valid_from = excluded.valid_from, "
                "valid_until = excluded.valid_until",
                (_hex(a["workId"]), a["cmo"], int(a["uses"]), int(a["from"]), str(2**64 - 1)))
        elif name == "MandateWithdrawn":
            self.db.execute("UPDATE mandates SET valid_until = ? WHERE work = ? AND cmo = ?",
                            (str(int(a["effectiveAt"])), _hex(a["workId"]), a["cmo"]))
        elif name in _WORK_EVENTS:
            wid = _hex(a["workId"])
            if name in ("WorkRegistered", "ClaimAwarded", "ShareTransferred", "DisputeOpened", "DisputeResolved",
                        "NearDuplicateFlagged", "NearDuplicateOverridden", "WorkRejected"):
                self._apply_desk(ev, wid)
            if name == "WorkRegistered":
                # a registration after a rejection starts a new record (status PENDING again)
                self.db.execute("INSERT INTO works (work, status, registered_block, reserved_uses) VALUES (?, 1, ?, 0) "
                                "ON CONFLICT (work) DO UPDATE SET status = 1, "
                                "registered_block = excluded.registered_block, reserved_uses = 0", (wid, ev.block))
            elif name in ("ShareTransferred", "NearDuplicateFlagged", "NearDuplicateOverridden"):
                pass
            elif name == "ClaimAwarded":
                self.db.execute("UPDATE works SET status = 2 WHERE work = ?", (wid,))
            elif name == "UsesReserved":
                self.db.execute("UPDATE works SET reserved_uses = ? WHERE work = ?", (int(a["reservedUses"]), wid))
            else:
                status = _STATUS.get(name) or (5 if int(a["outcome"]) == 3 else 2)
                self.db.execute("UPDATE works SET status = ? WHERE work = ?", (status, wid))

    # --- the registrar's desk: work facts, terms, ISCC bands, disputes -------------------

    def _apply_desk(self, ev: Any, wid: str) -> None:
        from ledger.content.cid import chain_cid
        from ledger.domain.licensing.model import _hex

        name, a = ev.name, ev.args
        if name in ("WorkRegistered", "ClaimAwarded"):
            cid = chain_cid(bytes(a["metadataCid"]))
            who = a["registrant"] if name == "WorkRegistered" else a["claimant"]
            at = self._stamps.get(ev.block, 0)
            if name == "WorkRegistered":
                self.db.execute("DELETE FROM work_info WHERE work = ?", (wid,))
                self.db.execute(
                    "INSERT INTO work_info (work, registry, registrant, work_type, creation_mode, registered_block, "
                    "registered_at, metadata_cid, meta_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (wid, ev.address, who, int(a["workType"]), int(a["creationMode"]), ev.block, at, cid))
            else:  # the awarded claim's metadata, type, mode and claimant replace the registration's
                self.db.execute("UPDATE work_info SET registrant = ?, work_type = ?, creation_mode = ?, "
                                "metadata_cid = ?, meta_state = 0 WHERE work = ?",
                                (who, int(a["workType"]), int(a["creationMode"]), cid, wid))
            self._clear_terms(wid)
            self.db.execute("DELETE FROM work_holders WHERE work = ?", (wid,))
            for holder, bps in a["holders"]:
                self.db.execute("INSERT INTO work_holders (work, holder, bps) VALUES (?, ?, ?) "
                                "ON CONFLICT (work, holder) DO UPDATE SET bps = excluded.bps", (wid, holder, int(bps)))
        elif name == "WorkRejected":
            cid = chain_cid(bytes(a["reasonCid"])) if a["reasonCid"] else ""
            self.db.execute("UPDATE work_info SET reject_code = ?, reject_cid = ? WHERE work = ?",
                            (int(a["reasonCode"]), cid, wid))
        elif name == "ShareTransferred":
            self._dirty_holders.add((ev.address, wid))
        elif name == "DisputeOpened":
            self.db.execute(
                "INSERT INTO disputes (id, registry, work, claimant, evidence_cid, opened_block, opened_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (registry, id) DO NOTHING",
                (int(a["disputeId"]), ev.address, wid, a["claimant"],
                 chain_cid(bytes(a["evidenceCid"])) if a["evidenceCid"] else "", ev.block,
                 int(a.get("openedAt") or self._stamps.get(ev.block, 0))))
        elif name == "DisputeResolved":
            self.db.execute("UPDATE disputes SET outcome = ?, registrar = ?, resolved_block = ? "
                            "WHERE registry = ? AND id = ?",
                            (int(a["outcome"]), a["registrar"], ev.block, ev.address, int(a["disputeId"])))
            if int(a["outcome"]) == 2:
                self._dirty_holders.add((ev.address, wid))
        elif name == "NearDuplicateFlagged":
            self.db.execute("UPDATE work_info SET flagged_of = ?, flag_distance = ?, flagged_by = ? WHERE work = ?",
                            (_hex(a["ofWorkId"]), int(a["distance"]), a["flaggedBy"], wid))
        elif name == "NearDuplicateOverridden":
            self.db.execute("UPDATE work_info SET flagged_of = ?, flag_distance = ?, override_reason = ?, "
                            "overridden_by = ? WHERE work = ?",
                            (_hex(a["ofWorkId"]), int(a["distance"]), a["reason"], a["registrar"], wid))

    def _clear_terms(self, wid: str) -> None:
        self.db.execute("DELETE FROM work_terms WHERE work = ?", (wid,))
        self.db.execute("DELETE FROM iscc_bands WHERE work = ?", (wid,))

    def _refresh_holders(self) -> None:
        """Holders after transfers and corrections, read from the registry once per work (its current state)."""
        for registry, wid in sorted(self._dirty_holders):
            contract = self.ledger.contract("WorkRegistry", registry)
            hs = self.ledger.call(contract.functions.holdersOf(bytes.fromhex(wid[2:])))
            self.db.execute("DELETE FROM work_holders WHERE work = ?", (wid,))
            for holder, bps in hs:
                self.db.execute("INSERT INTO work_holders (work, holder, bps) VALUES (?, ?, ?)",
                                (wid, holder, int(bps)))

    @_locked
    def fill_metadata(self, bound: int = META_FETCH_BOUND) -> int:
        """Read the metadata documents of newly indexed works from the store, so their title,
        creators, identifiers and ISCC code become searchable (a missing document: meta_state 2).
        Called by the desk's reads (``ledger.domain.review``), not by every sync, so licensing
        reads never wait for the store. Returns how many documents were read."""
        rows = self.db.execute("SELECT work, metadata_cid FROM work_info WHERE meta_state = 0 LIMIT ?",
                               (bound,)).fetchall()
        docs = []
        for wid, cid in rows:
            try:  # a document that describes other content (another work's, cited by a hostile registrant)
                doc = self.ledger.work_document(wid, cid)  # is indexed as none, like a missing one
            except Exception:  # noqa: BLE001 (a missing or broken blob must not stop the index)
                doc = None
            docs.append((wid, doc))
        if docs:
            with self._transaction():
                for wid, doc in docs:
                    self.put_metadata(wid, doc)
        return len(docs)

    def insert_work(self, wid: str, *, registrant: str, holders: list[tuple[str, int]], work_type: int,
                    creation_mode: int, block: int, at: int, status: int = 1, doc: dict[str, Any] | None = None,
                    registry: str = "0x" + "00" * 20) -> None:
        """A work row written directly, without an event (benchmarks fill 100k works this way;
        the sync never calls it). Call inside :meth:`bulk`."""
        self.db.execute("INSERT INTO works (work, status, registered_block, reserved_uses) VALUES (?, ?, ?, 0) "
                        "ON CONFLICT (work) DO UPDATE SET status = excluded.status", (wid, status, block))
        self.db.execute("DELETE FROM work_info WHERE work = ?", (wid,))
        self.db.execute(
            "INSERT INTO work_info (work, registry, registrant, work_type, creation_mode, registered_block, "
            "registered_at, metadata_cid, meta_state) VALUES (?, ?, ?, ?, ?, ?, ?, '', 0)",
            (wid, registry, registrant, work_type, creation_mode, block, at))
        self.db.execute("DELETE FROM work_holders WHERE work = ?", (wid,))
        for holder, bps in holders:
            self.db.execute("INSERT INTO work_holders (work, holder, bps) VALUES (?, ?, ?)", (wid, holder, bps))
        self.put_metadata(wid, doc)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """One write transaction for many :meth:`insert_work` calls."""
        with self.lock, self._transaction():
            yield

    def put_metadata(self, wid: str, doc: dict[str, Any] | None) -> None:
        """Index one work's metadata document (None: missing). Also what the latency benchmark fills."""
        from ledger.content.iscc import code_body
        from ledger.domain.review import identifier_key, terms

        self._clear_terms(wid)
        if not isinstance(doc, dict) or not isinstance(doc.get("title"), str):
            self.db.execute("UPDATE work_info SET meta_state = 2 WHERE work = ?", (wid,))
            return
        # any field of another client's document may have any JSON shape: what is not the schema's
        # shape is indexed as absent (one document that raised here stopped every desk read)
        creators = [n for c in _list(doc.get("creators"))
                    if isinstance(c, dict) and isinstance(n := c.get("name", ""), str)]
        idents = {str(k): v for k, v in _dict(doc.get("identifiers")).items() if isinstance(v, str)}
        titles = [doc["title"]] + [n for t in _list(_dict(doc.get("cwr")).get("alternateTitles"))
                                   if isinstance(t, dict) and isinstance(n := t.get("title", ""), str)]
        code = _dict(doc.get("contentCode")).get("iscc")
        kind = body = None
        if not isinstance(code, str):
            code = None
        else:
            try:
                kind, body = code_body(code)
            except Exception:  # noqa: BLE001 (an unreadable code is indexed as none)
                code = None
        self.db.execute(
            "UPDATE work_info SET meta_state = 1, title = ?, creators = ?, identifiers = ?, iscc = ?, iscc_kind = ?, "
            "iscc_body = ? WHERE work = ?",
            (doc["title"], json.dumps(creators, ensure_ascii=False), json.dumps(idents, sort_keys=True), code, kind,
             None if body is None else body - (1 << 64) if body >= 1 << 63 else body, wid))
        rows = {("t", t) for title in titles for t in terms(title)}
        rows |= {("c", t) for name in creators for t in terms(name)}
        rows |= {("x", identifier_key(v)) for v in idents.values()}
        self.db.executemany("INSERT INTO work_terms (field, term, work) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                            [(field, term[:200], wid) for field, term in sorted(rows)])
        if body is not None:
            signed = body - (1 << 64) if body >= 1 << 63 else body
            self.db.executemany("INSERT INTO iscc_bands (kind, band, value, work, body) VALUES (?, ?, ?, ?, ?) "
                                "ON CONFLICT DO NOTHING",
                                [(kind, band, value, wid, signed) for band, value in enumerate(band_values(body))])

    def _put_licence(self, registry: str, lic: _Lic, *, new: bool) -> None:
        record = _lic_to_json(lic)
        if not new:
            self.db.execute("UPDATE licences SET record = ? WHERE registry = ? AND id = ?", (record, registry, lic.id))
            return
        self.db.execute("INSERT INTO licences (registry, id, licensor, licensee, scope, record) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (registry, id) DO UPDATE SET record = excluded.record",
                        (registry, lic.id, lic.licensor, lic.licensee, lic.scope, record))
        for w in dict.fromkeys(lic.works):
            self.db.execute("INSERT INTO licence_works (work, registry, licence_id) VALUES (?, ?, ?) "
                            "ON CONFLICT (work, registry, licence_id) DO NOTHING", (w, registry, lic.id))

    # --- questions (each an indexed lookup) ----------------------------------------------

    def _order(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self._addresses("LicenceRegistry"))}

    def _records(self, rows: list[tuple[str, int, str]]) -> list[LicenceRecord]:
        order = self._order()
        rows = sorted(set(rows), key=lambda r: (order.get(r[0], -1), r[1]))
        return [_lic_from_json(r[2]).record() for r in rows]

    @_locked
    def licences_for(self, work: str | None = None, licensee: str | None = None) -> list[LicenceRecord]:
        """Licences naming the work (with the repertoire licences of the CMOs it is mandated
        to) and/or granted to the licensee, oldest version and lowest id first."""
        from ledger.domain.licensing.model import SCOPE_REPERTOIRE

        if work is not None:
            q = ("SELECT l.registry, l.id, l.record FROM licence_works w JOIN licences l "
                 "ON l.registry = w.registry AND l.id = w.licence_id WHERE w.work = ?")
            rows = self.db.execute(q, (work,)).fetchall()
            rows += self.db.execute(
                "SELECT l.registry, l.id, l.record FROM mandates m JOIN licences l "
                "ON l.licensor = m.cmo AND l.scope = ? WHERE m.work = ?", (SCOPE_REPERTOIRE, work)).fetchall()
            if licensee is not None:
                rows = [r for r in rows if json.loads(r[2])["licensee"] == licensee]
            return self._records(rows)
        if licensee is None:
            return []
        rows = self.db.execute("SELECT registry, id, record FROM licences WHERE licensee = ?", (licensee,)).fetchall()
        return self._records(rows)

    @_locked
    def licence(self, licence_id: int) -> LicenceRecord | None:
        """The licence with this id in the newest version that has one."""
        rows = self.db.execute("SELECT registry, id, record FROM licences WHERE id = ?", (int(licence_id),)).fetchall()
        recs = self._records(rows)
        return recs[-1] if recs else None

    @_locked
    def works(self, after: str | None = None, limit: int = 50, status: int | None = None) -> list[dict[str, Any]]:
        """Works in id order after ``after`` (keyset paging; what a `work search` builds on)."""
        q, args = "SELECT work, status, registered_block, reserved_uses FROM works WHERE work > ?", [after or ""]
        if status is not None:
            q += " AND status = ?"
            args.append(status)
        q += " ORDER BY work LIMIT ?"
        args.append(int(limit))
        return [{"workId": w, "status": s, "registeredBlock": b, "reservedUses": r}
                for w, s, b, r in self.db.execute(q, args).fetchall()]

    def count(self, table: str) -> int:
        assert table in TABLES
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608

    @_locked
    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row (tests compare a rebuilt index with an incrementally synced one)."""
        order = {"licences": "registry, id", "licence_works": "work, registry, licence_id", "mandates": "work, cmo",
                 "works": "work", "work_info": "work", "work_holders": "work, holder",
                 "work_terms": "field, term, work", "iscc_bands": "kind, band, value, work", "disputes": "registry, id",
                 "work_logs": "work, block, log_index"}
        return {t: self.db.execute(f"SELECT * FROM {t} ORDER BY {order[t]}").fetchall() for t in TABLES}  # noqa: S608

    # --- the registrar's desk: questions ---------------------------------------------------

    @_locked
    def similar_bodies(self, kind: str, body: int, threshold: int, exclude: str | None = None) -> list[tuple[str, int]]:
        """Works whose ISCC code of ``kind`` is within ``threshold`` bits of ``body``, nearest first.

        Each band is asked for the values within ``threshold // BANDS`` bits of the query's band
        (an indexed ``IN`` list), and only those candidates are compared; above 19 bits the
        neighbour lists grow too long and every code of the kind is compared instead (a scan)."""
        flips = threshold // BANDS
        found: dict[str, int] = {}
        if flips <= 3:
            for band, value in enumerate(band_values(body)):
                values = sorted({value ^ m for m in _masks(BAND_WIDTHS[band], flips)})
                for i in range(0, len(values), 900):
                    chunk = values[i:i + 900]
                    q = ("SELECT work, body FROM iscc_bands "
                         f"WHERE kind = ? AND band = ? AND value IN ({', '.join('?' * len(chunk))})")
                    for wid, other in self.db.execute(q, (kind, band, *chunk)).fetchall():
                        found[wid] = other
        else:
            found = dict(self.db.execute("SELECT work, iscc_body FROM work_info WHERE iscc_kind = ?",
                                         (kind,)).fetchall())
        out = []
        for wid, other in found.items():
            if wid == exclude or other is None:
                continue
            d = ((other & ((1 << 64) - 1)) ^ body).bit_count()
            if d <= threshold:
                out.append((wid, d))
        return sorted(out, key=lambda r: (r[1], r[0]))

    @_locked
    def work_info(self, wid: str) -> dict[str, Any] | None:
        """One work's indexed facts (None: not indexed)."""
        rows = self._info_rows("i.work = ?", [wid], "", 1)
        return rows[0] if rows else None

    def _info_rows(self, where: str, args: list[Any], order: str, limit: int) -> list[dict[str, Any]]:
        q = ("SELECT i.work, i.registry, i.registrant, i.work_type, i.creation_mode, i.registered_block, "
             "i.registered_at, i.metadata_cid, i.meta_state, i.title, i.creators, i.identifiers, i.iscc, i.iscc_kind, "
             "i.reject_code, i.reject_cid, i.flagged_of, i.flag_distance, i.flagged_by, i.override_reason, "
             "i.overridden_by, w.status FROM work_info i JOIN works w ON w.work = i.work WHERE " + where
             + (f" ORDER BY {order}" if order else "") + " LIMIT ?")
        keys = ("workId", "registry", "registrant", "workType", "creationMode", "registeredBlock", "registeredAt",
                "metadataCid", "metaState", "title", "creators", "identifiers", "iscc", "isccKind", "rejectCode",
                "rejectCid", "flaggedOf", "flagDistance", "flaggedBy", "overrideReason", "overriddenBy", "status")
        out = []
        for row in self.db.execute(q, (*args, int(limit))).fetchall():
            d = dict(zip(keys, row, strict=True))
            d["creators"] = json.loads(d["creators"]) if d["creators"] else []
            d["identifiers"] = json.loads(d["identifiers"]) if d["identifiers"] else {}
            d["holders"] = [{"account": h, "bps": b} for h, b in self.db.execute(
                "SELECT holder, bps FROM work_holders WHERE work = ? ORDER BY bps DESC, holder", (d["workId"],))]
            out.append(d)
        return out

    @_locked
    def search(self, *, title: str | None = None, creator: str | None = None, identifier: str | None = None,
               holder: str | None = None, registrant: str | None = None, work_type: int | None = None,
               creation_mode: int | None = None, status: int | None = None, since: int | None = None,
               until: int | None = None, oldest_first: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        """Works matching every given filter (times are registration block times, seconds).

        ``title``/``creator``: every word must be a whole word of the field except the last, which
        may be a prefix; CJK text matches as a substring (each pair of neighbouring characters is
        a term, checked again against the title). Newest first unless ``oldest_first``."""
        from ledger.domain.review import identifier_key, query_terms

        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        post: list[tuple[str, str]] = []
        conds: list[tuple[str, list[Any]]] = []  # (term condition on work_terms t, its arguments)
        for field, text in (("t", title), ("c", creator)):
            if not text:
                continue
            words, cjk = query_terms(text)
            if not words:
                raise ValueError(f"nothing to search for in {text!r}")
            seen: set[tuple[str, bool]] = set()
            pairs = 0
            for i, word in enumerate(words):
                prefix = i == len(words) - 1 and not cjk[i]
                if (word, prefix) in seen:
                    continue
                seen.add((word, prefix))
                if cjk[i]:  # CJK pairs: the whole text is checked again below, so some pairs suffice
                    pairs += 1
                    if pairs > MAX_CJK_PAIRS:
                        continue
                if prefix:
                    conds.append(("t.field = ? AND t.term >= ? AND t.term < ?", [field, word, word + "\U0010ffff"]))
                else:
                    conds.append(("t.field = ? AND t.term = ?", [field, word]))
            if any(cjk):
                post.append((field, text))
        if len(conds) > MAX_TERMS:  # each term is a subquery: thousands made SQLite refuse the query
            from ledger.core.errors import InputError

            raise InputError(f"the search has {len(conds)} different words; at most {MAX_TERMS} are searched for",
                             hint="search for fewer words: a few rare ones find the work")
        if conds:
            # A hand-made plan, in portable SQL: when some term is rare (at most RARE works), the
            # matching works are collected through the term index and sorted (few rows); when every
            # term is common, several terms are intersected (INTERSECT), and one term walks the works
            # newest first (work_info_by_time), probing each (work_terms_by_work) up to the limit.
            rare = min(self.db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM work_terms t WHERE {c} LIMIT ?) x",
                                       (*a, RARE + 1)).fetchone()[0] for c, a in conds)
            if rare > RARE and len(conds) > 1:  # several common terms: their intersection is smaller
                where.append("i.work IN (" + " INTERSECT ".join(
                    f"SELECT t.work FROM work_terms t WHERE {c}" for c, _a in conds) + ")")
                args += [x for _c, a in conds for x in a]
            else:
                for c, a in conds:
                    if rare <= RARE:
                        where.append(f"i.work IN (SELECT t.work FROM work_terms t WHERE {c})")
                    else:
                        where.append(f"EXISTS (SELECT 1 FROM work_terms t WHERE t.work = i.work AND {c})")
                    args += a
        if identifier:
            where.append("i.work IN (SELECT work FROM work_terms WHERE field = 'x' AND term = ?)")
            args.append(identifier_key(identifier))
        if holder:
            where.append("i.work IN (SELECT work FROM work_holders WHERE holder = ?)")
            args.append(holder)
        for column, value in (("i.registrant", registrant), ("i.work_type", work_type),
                              ("i.creation_mode", creation_mode), ("w.status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("i.registered_at >= ?")
            args.append(int(since))
        if until is not None:
            where.append("i.registered_at <= ?")
            args.append(int(until))
        order = "i.registered_block, i.work" if oldest_first else "i.registered_block DESC, i.work"
        rows = self._info_rows(" AND ".join(where), args, order, limit if not post else limit * 20)
        if post:
            from ledger.domain.review import normalise

            def keep(r: dict[str, Any]) -> bool:
                for field, text in post:
                    hay = r["title"] if field == "t" else " ".join(r["creators"])
                    if "".join(normalise(text).split()) not in "".join(normalise(hay or "").split()):
                        return False
                return True
            rows = [r for r in rows if keep(r)][:limit]
        return rows

    @_locked
    def disputes(self, *, open_only: bool = True, work: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Disputes over all works (or one), oldest first."""
        q = ("SELECT d.id, d.registry, d.work, d.claimant, d.evidence_cid, d.opened_block, d.opened_at, d.outcome, "
             "d.registrar, d.resolved_block, i.title FROM disputes d LEFT JOIN work_info i ON i.work = d.work "
             "WHERE 1 = 1")
        args: list[Any] = []
        if open_only:
            q += " AND d.outcome IS NULL"
        if work:
            q += " AND d.work = ?"
            args.append(work)
        q += " ORDER BY d.opened_block, d.id LIMIT ?"
        keys = ("disputeId", "registry", "workId", "claimant", "evidenceCid", "openedBlock", "openedAt", "outcome",
                "registrar", "resolvedBlock", "title")
        return [dict(zip(keys, r, strict=True)) for r in self.db.execute(q, (*args, int(limit))).fetchall()]


_MASKS: dict[tuple[int, int], list[int]] = {}


def _masks(width: int, flips: int) -> list[int]:
    """Every ``width``-bit mask with at most ``flips`` bits set."""
    if (width, flips) not in _MASKS:
        _MASKS[width, flips] = [m for m in range(1 << width) if m.bit_count() <= flips]
    return _MASKS[width, flips]
