"""What the portal reads, in plain dictionaries: works, events, licence checks, audit.

:class:`Reader` opens the :class:`~ledger.ledger.Ledger` lazily, read-only (no signer, the
embedded node is never started and nothing is deployed), and reopens it after a failure,
so a node that comes back is picked up without restarting the portal. Decoded events are
cached and extended from the last block read, so the audit pages cost one ``eth_getLogs``
sweep per new block range.

Every chapter is called directly through the SDK: licences (:class:`Licensing`),
generation records and rulings (:class:`Protection`), and the audit replay
(:func:`ledger.audit.audit`). Certificates are signed by a registrar's key, which the portal
does not hold: :class:`FeatureUnavailable` (HTTP 501).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any

import ledger.audit as audit_chapter
from ledger.content.cid import chain_cid
from ledger.content.metadata import CreationMode, WorkType
from ledger.core import errors as E
from ledger.core.config import Settings
from ledger.core.events import Event
from ledger.core.i18n import gettext
from ledger.core.keystore import Keystore
from ledger.core.types import USES, WorkRecord
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection
from ledger.domain.works import ROLE_IDS, Ledger, parse_address, parse_work_id
from ledger.portal import words

NOT_AVAILABLE = "not available in this build"
MAX_ISO = 253402300800  # 10000-01-01 00:00:00 UTC: the first second a datetime cannot show


class FeatureUnavailable(E.LedgerError):
    """Something this portal does not do (issue certificates: that needs a registrar's key): HTTP 501."""


# --- small helpers ------------------------------------------------------------------------


def iso(ts: int | None) -> str | None:
    """A block time as ``YYYY-MM-DD HH:MM:SS UTC`` (None for 0 or None, and after the year 9999:
    a licence may end, or be checked, as late as 2**40 - 1 seconds, in the year 36812)."""
    if not ts or ts >= MAX_ISO:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plain(value: Any, key: str = "") -> Any:
    """Anything the SDK returns, as JSON-safe values (bytes as hex, CID fields as CIDs)."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v, key) for v in value]
    if isinstance(value, bytes | bytearray):
        if key.endswith("Cid") and value:
            try:
                return chain_cid(bytes(value))
            except Exception:  # noqa: BLE001 - not a CID after all: show the bytes
                pass
        return "0x" + bytes(value).hex()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "value") and isinstance(value.value, int):
        return value.name  # enums
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def parse_hash(value: str) -> str:
    """A content SHA-256 (64 hex digits, optionally ``0x`` or ``sha256:``) as a work id."""
    v = value.strip()
    v = v[7:] if v.lower().startswith("sha256:") else v
    try:
        return parse_work_id(v)
    except E.InputError:
        raise E.InputError(
            gettext("{value} is not a SHA-256 content hash: expected 64 hexadecimal digits").format(value=repr(value)),
            hint=gettext("drop the file on the look-up page to have your browser hash it"),
        ) from None


@dataclass(frozen=True)
class ReplayRun:
    ran_at: int
    result: dict[str, Any] | None
    error: str | None


# --- the reader ---------------------------------------------------------------------------


class Reader:
    """One portal's view of one ledger deployment."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Never start or deploy: open as a plain RPC client whatever the profile says.
        self._open_settings = settings.with_network(replace(settings.network, embedded=False))
        self._ledger: Ledger | None = None
        self._open_lock = threading.Lock()
        self._events_lock = threading.Lock()
        self._events: list[Event] = []
        self._stamps: dict[int, int] = {}
        self._scanned_to: int | None = None
        self._replay_lock = threading.Lock()
        self.last_replay: ReplayRun | None = None

    # --- connection -------------------------------------------------------------------

    def unavailable(self, exc: BaseException | None = None) -> E.ChainUnavailable:
        url = self.settings.network.rpc_url
        hint = (
            "start it with `rights-ledger node start`, then reload this page"
            if self.settings.network.embedded
            else "check that the node is running and the RPC URL is right, then reload this page"
        )
        return E.ChainUnavailable(f"The chain node at {url} is not reachable right now.", hint=hint)

    def ledger(self) -> Ledger:
        with self._open_lock:
            if self._ledger is None:
                try:
                    self._ledger = Ledger.open(self._open_settings, start_node=False)
                except E.ChainUnavailable as exc:  # the SDK maps every connection failure to it
                    raise self.unavailable(exc) from exc
            return self._ledger

    def guard(self, exc: BaseException) -> BaseException:
        """Translate a failure during a read; forget the ledger so the next request reopens."""
        if isinstance(exc, E.ChainUnavailable):
            with self._open_lock:
                self._ledger = None
            return self.unavailable(exc)
        return exc

    # --- names ------------------------------------------------------------------------

    def names(self) -> dict[str, str]:
        """Known names by lower-case address: the local accounts (keystore) and this deployment's contracts."""
        out: dict[str, str] = {}
        try:
            dep = self.ledger().deployment
            out.update({c.address.lower(): c.name for c in dep.contracts.values()})
        except E.LedgerError:
            pass
        try:
            out.update({a.address.lower(): a.name for a in Keystore(self.settings.keys_dir).list()})
        except E.LedgerError:
            pass
        return out

    def verified(self) -> set[str]:
        """Lower-case addresses whose identity a registrar verified (``IdentityVerified``)."""
        try:
            return {str(e.args.get("account", "")).lower() for e in self.events() if e.name == "IdentityVerified"}
        except E.LedgerError:
            return set()

    def head(self) -> int:
        return self.ledger().chain.block_number()

    # --- works ------------------------------------------------------------------------

    def work(self, work_id: str) -> dict[str, Any]:
        """Everything the work page shows, as a dictionary shaped like ``WorkOut``."""
        ledger = self.ledger()
        wid = parse_work_id(work_id)
        rec = ledger.work(wid)
        history_note = ledger.index_note  # the read index was behind the chain (the history is complete)
        metadata, meta_error = ledger.work_metadata(rec)
        return {**self._work_view(ledger, rec, metadata, meta_error), "historyNote": history_note}

    def _work_view(
        self, ledger: Ledger, rec: WorkRecord, metadata: dict[str, Any] | None, meta_error: str | None
    ) -> dict[str, Any]:
        reg, conf = rec.registered, rec.confirmed
        history = [
            {
                "event": h.event,
                "block": h.block,
                "time": h.timestamp,
                "timeIso": iso(h.timestamp),
                "tx": h.tx_hash,
                "actor": h.actor,
                "details": plain(h.details),
            }
            for h in rec.history
        ]
        names = self.names()
        for h in history:
            h["detailsInWords"] = args_in_words(h["details"], names)
        licences, licences_note = self._licences(ledger, rec.work_id, tuple(rec.reserved_uses))
        provenance, rulings, provenance_note = self._protection(ledger, rec.work_id)
        mode = CreationMode(rec.creation_mode)
        return {
            "workId": rec.work_id,
            "sha256": rec.work_id[2:],
            "status": rec.status.name,
            "workType": WorkType(rec.work_type).label,
            "creationMode": mode.label,
            "summary": words.work_summary(rec.work_type, rec.creation_mode, tuple(rec.reserved_uses)),
            "title": (metadata or {}).get("title"),
            "creators": plain((metadata or {}).get("creators") or []),
            "holders": [
                {"account": h.account, "name": names.get(h.account.lower()), "bps": h.bps, "percent": h.bps / 100}
                for h in rec.holders
            ],
            "registrant": rec.registrant,
            "registeredAt": reg.timestamp if reg else rec.registered_at,
            "registeredAtIso": iso(reg.timestamp if reg else rec.registered_at),
            "registerTx": reg.tx_hash if reg else None,
            "confirmedBy": conf.actor if conf else None,
            "confirmedAt": conf.timestamp if conf else None,
            "confirmedAtIso": iso(conf.timestamp) if conf else None,
            "confirmTx": conf.tx_hash if conf else None,
            "reservedUses": list(rec.reserved_uses),
            "openDispute": rec.open_dispute or None,
            "metadataCid": rec.metadata_cid,
            "metadata": plain(metadata) if metadata is not None else None,
            "metadataVerified": metadata is not None,
            "metadataError": meta_error,
            "aiDeclaration": plain((metadata or {}).get("aiDeclaration")) if mode != CreationMode.HUMAN else None,
            "provenance": provenance,
            "provenanceNote": provenance_note,
            "history": history,
            "disputes": [h for h in history if "Dispute" in h["event"]],
            "disputeRulings": rulings,
            "licences": licences,
            "licencesNote": licences_note,
            "certificateUrl": None,  # a registrar signs certificates; the portal holds no key (501)
        }

    def _licences(
        self, ledger: Ledger, wid: str, reserved: tuple[str, ...] = ()
    ) -> tuple[list[dict[str, Any]] | None, str | None]:
        try:
            licensing = Licensing(ledger)
            records = licensing.licences_for(work=wid)  # from the local read index (synced first)
        except E.NotDeployed:
            return None, "licences: the licensing contracts are not deployed on this network"
        except E.ChainUnavailable:
            raise
        except E.LedgerError as exc:
            return None, f"licences could not be read: {exc.message}"
        now = int(time.time())
        out = []
        for r in records:
            out.append(
                {
                    "licenceId": r.licence_id,
                    "licensor": r.licensor,
                    "licensee": r.licensee,
                    "scope": r.scope,
                    "uses": list(r.uses),
                    "start": r.start,
                    "end": r.end,
                    "startIso": iso(r.start),
                    "endIso": iso(r.end),
                    "territories": list(r.territories),
                    "state": r.state,
                    "statusNow": status_now(r.status_at(now), r.collective, r.uses, reserved),
                    "reservedUses": [u for u in r.uses if u in reserved],
                }
            )
        return out, licensing.index_note

    def _protection(self, ledger: Ledger, wid: str) -> tuple[Any, list[dict[str, Any]] | None, str | None]:
        """(generation records and attestations, dispute rulings, note) from :class:`Protection`."""
        try:
            prot = Protection(ledger)
            gens = prot.generations(wid)
            hashes = [h for g in gens for h in (g.inputs_root, g.output_hash) if h]
            attestations = prot.attestations_of(list(dict.fromkeys([*hashes, wid])))
            rulings = [plain(d) for d in prot.disputes(wid)]
        except E.NotDeployed:
            return None, None, "generation records: the attestation contract is not deployed on this network"
        except E.ChainUnavailable:
            raise
        except E.LedgerError as exc:
            return None, None, f"generation records could not be read: {exc.message}"
        provenance = {
            "generations": [{**plain(g), "timeIso": iso(g.time)} for g in gens],
            "attestations": {
                h: ({**plain(a), "attestedAtIso": iso(a.attested_at)} if a is not None else None)
                for h, a in attestations.items()
            },
        }
        return provenance, rulings, None

    def certificate(self, work_id: str) -> bytes:
        """Certificates are signed by a registrar's key (ADR 005); the portal holds no key: 501."""
        parse_work_id(work_id)
        raise FeatureUnavailable(
            gettext("certificates are issued by a registrar"),
            hint=gettext(
                "a registrar issues one with `rights-ledger work certificate WORK -o FILE.pdf --as REGISTRAR`"
            ),
        )

    def recent_works(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest registrations, newest first, with titles when the store has them."""
        ledger = self.ledger()
        events = [e for e in self.events() if e.name == "WorkRegistered"]
        seen: set[str] = set()
        out = []
        for ev in reversed(events):
            wid = "0x" + bytes(ev.args.get("workId", b"")).hex()
            if wid in seen:
                continue
            seen.add(wid)
            title = None
            cid = ev.args.get("metadataCid")
            if isinstance(cid, bytes) and cid:
                try:
                    # another work's document (cited by a hostile registrant) gives no title
                    title = ledger.work_document(wid, chain_cid(cid)).get("title")
                except E.LedgerError:
                    title = None
            when = self._stamps.get(ev.block)
            out.append({"workId": wid, "title": title, "time": when, "timeIso": iso(when)})
            if len(out) >= limit:
                break
        return out

    # --- licence checks ---------------------------------------------------------------

    def licence_status(
        self, work: str, licensee: str, use: str, territory: str | None = None, at: str | None = None
    ) -> dict[str, Any]:
        """The same answer as ``rights-ledger licence status``: ``Licensing.status``."""
        wid = parse_work_id(work)
        who = self.resolve(licensee, "licensee")
        if use not in USES:
            raise E.InputError(f"unknown use {use!r}", hint="one of: " + ", ".join(USES))
        ledger = self.ledger()
        try:  # ``at`` goes through as typed, as the CLI passes it (Licensing parses it)
            cov = Licensing(ledger).status(wid, who, use, territory=territory or None, at=at or None)
        except E.NotDeployed as exc:
            raise FeatureUnavailable("licence checks need the licensing contracts, not deployed here") from exc
        doc = plain(cov.as_json())
        doc["explanation"] = explain_coverage(doc, self.names())
        doc["atIso"] = iso(doc.get("at"))
        return doc

    def resolve(self, value: str, what: str = "account") -> str:
        """An address, or the name of a local account (its public address; no key is unlocked)."""
        v = value.strip()
        if v.startswith("0x") or not v:
            return parse_address(v, what)
        try:
            return Keystore(self.settings.keys_dir).address_of(v)
        except E.KeystoreError:
            raise E.InputError(
                f"{what} {value!r} is neither an address (0x + 40 hex digits) nor a local account name"
            ) from None

    # --- events and audit -------------------------------------------------------------

    def events(self) -> list[Event]:
        """Every decoded event of the deployment (all contract versions), oldest first."""
        ledger = self.ledger()
        dep = ledger.deployment
        with self._events_lock:
            head = ledger.chain.block_number()
            start = dep.first_block if self._scanned_to is None else self._scanned_to + 1
            if start <= head:
                addresses = sorted({c.address for c in (*dep.contracts.values(), *dep.history)})
                new = ledger.read_events(addresses, from_block=start, to_block=head)
                missing = {e.block for e in new} - set(self._stamps)
                self._stamps.update(ledger.rpc.block_timestamps(missing))
                self._events.extend(new)
                self._scanned_to = head
            return list(self._events)

    def contract_names(self) -> dict[str, str]:
        dep = self.ledger().deployment
        names = {c.address: f"{c.name} v{c.version}" for c in dep.history}
        names.update({c.address: c.name for c in dep.contracts.values()})
        return names

    def event_row(self, ev: Event, names: dict[str, str], accounts: dict[str, str] | None = None) -> dict[str, Any]:
        wid = ev.args.get("workId")
        args = {k: plain(v, k) for k, v in ev.args.items() if k != "workId"}
        return {
            "event": ev.name,
            "eventWords": words.t(words.EVENTS, ev.name),
            "group": words.GROUP_OF.get(ev.name, "other"),
            "contract": names.get(ev.address, ev.address),
            "address": ev.address,
            "block": ev.block,
            "time": self._stamps.get(ev.block, 0),
            "timeIso": iso(self._stamps.get(ev.block, 0)),
            "tx": ev.tx_hash,
            "logIndex": ev.log_index,
            "workId": "0x" + bytes(wid).hex() if isinstance(wid, bytes | bytearray) else None,
            "args": args,
            "argsInWords": args_in_words(args, accounts or {}),
        }

    def events_page(
        self, event: str | None = None, work: str | None = None, page: int = 1, per_page: int = 50
    ) -> dict[str, Any]:
        if page < 1:
            raise E.InputError(f"page {page} is out of range: pages start at 1")
        if not 1 <= per_page <= 500:
            raise E.InputError(f"per_page {per_page} is out of range 1..500")
        wid = parse_work_id(work) if work else None
        events = self.events()
        names = self.contract_names()
        accounts = self.names()
        selected = []
        for ev in events:
            if event and ev.name != event:
                continue
            if wid is not None:
                raw = ev.args.get("workId")
                ids = ev.args.get("workIds") or ()
                ids_hex = {"0x" + bytes(x).hex() for x in ids if isinstance(x, bytes | bytearray)}
                if not (isinstance(raw, bytes | bytearray) and "0x" + bytes(raw).hex() == wid) and wid not in ids_hex:
                    continue
            selected.append(ev)
        selected.reverse()  # newest first
        total = len(selected)
        pages = max(1, -(-total // per_page))
        chunk = selected[(page - 1) * per_page : page * per_page]
        return {
            "total": total,
            "page": page,
            "perPage": per_page,
            "pages": pages,
            "event": event or None,
            "work": wid,
            "eventNames": sorted({e.name for e in events}),
            "items": [self.event_row(e, names, accounts) for e in chunk],
        }

    def audit_summary(self, run_replay: bool = False) -> dict[str, Any]:
        events = self.events()
        head = self.head()
        counts = Counter(e.name for e in events)
        timeline = make_timeline([(self._stamps.get(e.block, 0), e.name) for e in events])
        replay = self.replay(run=run_replay)
        return {
            "head": head,
            "totalEvents": len(events),
            "countsByType": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            "timeline": timeline,
            "replay": replay,
        }

    def replay(self, run: bool = False) -> dict[str, Any]:
        """The replay section: run it when asked, else the last run or a checkpoint file."""
        doc = (audit_chapter.__doc__ or "").strip() or None
        out: dict[str, Any] = {
            "available": True,
            "note": None,
            "doc": doc.split("\n\n")[0] if doc else None,
            "ran": False,
            "ranAt": None,
            "ranAtIso": None,
            "result": None,
            "error": None,
            "eventCounts": None,
            "mismatches": None,
            "checkpointFile": None,
            "checkpoint": None,
        }
        if run:
            with self._replay_lock:
                try:
                    result = plain(audit_chapter.audit(self.ledger()).to_json())
                    self.last_replay = ReplayRun(int(time.time()), result, None)
                except E.ChainUnavailable:
                    raise
                except (E.LedgerError, TypeError, ValueError) as exc:
                    self.last_replay = ReplayRun(int(time.time()), None, f"{type(exc).__name__}: {exc}")
        if self.last_replay is not None:
            r = self.last_replay
            out.update(ran=True, ranAt=r.ran_at, ranAtIso=iso(r.ran_at), result=r.result, error=r.error)
            if r.result:
                out["eventCounts"] = r.result["eventsByType"]
                out["mismatches"] = r.result["mismatches"]
        checkpoint = self._latest_checkpoint()
        if checkpoint is not None:
            path, data = checkpoint
            out["checkpointFile"], out["checkpoint"] = str(path), data
        return out

    def _latest_checkpoint(self) -> tuple[Path, Any] | None:
        root = self.settings.home / "audit"
        if not root.is_dir():
            return None
        files = sorted(root.rglob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for f in files[:5]:
            try:
                return f, json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
        return None


ROLE_NAMES = {"0x" + bytes(v).hex(): k for k, v in ROLE_IDS.items()}
TIME_ARGS = {"at", "start", "end", "effectiveAt", "barredUntil", "openedAt", "resolvedAt", "validFrom", "validUntil",
             "from", "until", "time"}  # fmt: skip


def args_in_words(args: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """An event's arguments for people: names beside addresses, codes and masks in words, shares in %."""
    out = []
    for key, value in args.items():
        item: dict[str, Any] = {"key": key, "label": words.t(words.ARGS, key), "text": None, "address": None,
                                "name": None}  # fmt: skip
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            item["address"], item["name"] = value, names.get(value.lower())
        elif key == "workType" and isinstance(value, int):
            item["text"] = words.t(words.WORK_TYPES, value)
        elif key == "creationMode" and isinstance(value, int):
            item["text"] = words.t(words.CREATION_MODES, value)
        elif key in ("reservedUses", "uses") and isinstance(value, int):
            item["text"] = words.uses_in_words(value)
        elif key in ("role", "previousAdminRole", "newAdminRole") and value in ROLE_NAMES:
            item["text"] = ROLE_NAMES[value]
        elif key == "holders" and isinstance(value, list) and all(isinstance(h, list | dict) for h in value):
            pairs = [(h.get("account"), h.get("bps")) if isinstance(h, dict) else tuple(h[:2]) for h in value]
            item["text"] = gettext(", ").join(
                f"{names.get(str(a).lower(), a)} {int(b or 0) / 100:.2f} %" for a, b in pairs
            )
        elif key == "bps" and isinstance(value, int):
            item["text"] = f"{value / 100:.2f} %"
        elif key in TIME_ARGS and isinstance(value, int) and value > 10**8:
            item["text"] = iso(value) if value < (1 << 40) - 1 else gettext("no end")
        elif isinstance(value, list) and value and all(isinstance(v, str) and len(v) == 42 for v in value):
            item["text"] = gettext(", ").join(names.get(v.lower(), v) for v in value)
        elif isinstance(value, str):
            item["text"] = value
        else:
            item["text"] = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        out.append(item)
    return out


def status_now(status: str, collective: bool, uses: tuple[str, ...], reserved: tuple[str, ...]) -> str:
    """A licence's status now, with the holder's reservations: a collective (CMO) licence of only
    reserved uses covers nothing (the contract's coverage refuses it): ``reserved``."""
    if status == "active" and collective and uses and all(u in reserved for u in uses):
        return "reserved"
    return status


def explain_coverage(doc: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """One sentence, in the language in force: why the licensee is or is not covered."""
    who = str(doc.get("licensee") or "")
    who = (names or {}).get(who.lower(), who)
    use = words.t(words.USE_WORDS, doc.get("use"))
    where = gettext(" in {territory}").format(territory=doc["territory"]) if doc.get("territory") else ""
    lid = gettext(" (licence #{id})").format(id=doc["licenceId"]) if doc.get("licenceId") else ""
    if doc.get("covered"):
        grant = words.t(words.GRANTS, doc.get("grant") or "work licence")
        return gettext("{who} may use work {work} for {use}{where}: covered by the {grant}{lid}.").format(
            who=who, work=doc.get("work"), use=use, where=where, grant=grant, lid=lid
        )
    reason = words.t(words.REASONS, doc.get("reason") or "none")
    return gettext("{who} may not use work {work} for {use}{where}: {reason}{lid}.").format(
        who=who, work=doc.get("work"), use=use, where=where, reason=reason, lid=lid
    )


NICE_STEPS = (1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)


def make_timeline(points: list[tuple[int, str]], max_buckets: int = 24) -> list[dict[str, Any]]:
    """Events counted by type in equal time buckets of a 'nice' width (1 s ... 1 year)."""
    stamps = [t for t, _ in points if t]
    if not stamps:
        return []
    lo, hi = min(stamps), max(stamps)
    step = next((s for s in NICE_STEPS if (hi - lo) // s + 1 <= max_buckets), NICE_STEPS[-1])
    start = lo - lo % step
    n = (hi - start) // step + 1
    counts: list[Counter[str]] = [Counter() for _ in range(n)]
    for t, name in points:
        if t:
            counts[(t - start) // step][name] += 1
    return [
        {"start": start + i * step, "end": start + (i + 1) * step, "startIso": iso(start + i * step), "counts": dict(c)}
        for i, c in enumerate(counts)
    ]
