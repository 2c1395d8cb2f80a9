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
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ledger.domain.licensing.index import CoverageIndex, _Lic
from ledger.domain.licensing.model import SCOPE_REPERTOIRE, LicenceRecord, _hex

SCHEMA_VERSION = "1"
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
)
TABLES = ("licences", "licence_works", "mandates", "works")

_LICENCE_EVENTS = ("LicenceGranted", "OpenLicencePublished")
_LICENCE_CHANGES = ("LicenceSuspended", "LicenceResumed", "LicenceRevoked", "OfferAccepted")
_WORK_EVENTS = ("WorkRegistered", "WorkConfirmed", "WorkRejected", "DisputeOpened", "DisputeResolved",
                "UsesReserved")
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
    d = json.loads(text)
    d["territories"], d["terms_cid"] = bytes.fromhex(d["territories"]), bytes.fromhex(d["terms_cid"])
    d["works"] = tuple(d["works"])
    lic = _Lic(**d)
    lic.terr_set = frozenset(lic.territories[i:i + 2] for i in range(0, len(lic.territories), 2))
    return lic


class ReadIndex:
    """The read index of one network in ``<home>/index/<network>.sqlite``."""

    def __init__(self, ledger: Any, path: Path | None = None) -> None:
        self.ledger = ledger
        self.path = path or ledger.settings.home / "index" / f"{ledger.settings.network.name}.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")  # SQLite-only: readers do not block the syncing writer
        for stmt in SCHEMA:
            self.db.execute(stmt)
        self._identity = self._source_identity()

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
                           self._addresses("WorkRegistry")])

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
        work_topics = [[t for n in _WORK_EVENTS if n in known for t in led.events.topics_of(n)]]
        events = led.read_events(self._addresses("LicenceRegistry"), None, from_block=start, to_block=end)
        events += led.read_events(self._addresses("WorkRegistry"), work_topics, from_block=start, to_block=end)
        events.sort(key=lambda e: (e.block, e.log_index))
        end_hash = self._block_hash(end)
        with self._transaction():
            if self.synced_block != start - 1:  # another process synced meanwhile: its rows stand
                return IndexState(self.synced_block, head)
            for ev in events:
                self._apply(ev)
            self._set_meta("synced_block", str(end))
            self._set_meta("synced_hash", end_hash or "")
        return IndexState(end, head)

    def fresh(self, bound: int = READ_SYNC_BOUND) -> IndexState:
        """Sync (at most ``bound`` blocks) before a read; the state says if it is still behind."""
        return self.sync(max_blocks=bound)

    def _apply(self, ev: Any) -> None:
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
            if name == "WorkRegistered":
                self.db.execute("INSERT INTO works (work, status, registered_block, reserved_uses) VALUES (?, 1, ?, 0) "
                                "ON CONFLICT (work) DO NOTHING", (wid, ev.block))
            elif name == "UsesReserved":
                self.db.execute("UPDATE works SET reserved_uses = ? WHERE work = ?", (int(a["reservedUses"]), wid))
            else:
                status = _STATUS.get(name) or (5 if int(a["outcome"]) == 3 else 2)
                self.db.execute("UPDATE works SET status = ? WHERE work = ?", (status, wid))

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
                 "works": "work"}
        return {t: self.db.execute(f"SELECT * FROM {t} ORDER BY {order[t]}").fetchall() for t in TABLES}  # noqa: S608
