"""The replay engine: events in, state out; checks of that state against the chain.

Nothing here knows a domain. Domain modules register

* **reducers** — ``@reducer("EventName")`` on ``fn(state, event)``: apply one decoded
  event to ``state`` (a :class:`State`), flag what cannot follow from the events before
  it (``state.flag(...)``) and name every CID the event refers to (``state.ref_cid``);
* **checks** — ``@check("name")`` on ``fn(state, ledger) -> list[Mismatch]``: compare the
  rebuilt state with the contracts' view functions (use :func:`batch_call`, one JSON-RPC
  batch per few hundred calls, never one request per item).

The engine fetches every log of every contract the deployment ever had (``history``
included) in chunks of ``log_chunk`` blocks, decodes them with
:class:`~ledger.events.EventDecoder`, and calls the reducers in chain order. It asks the
node for nothing per event. The whole state is plain JSON (dicts, lists, strings, ints),
so it is saved as a checkpoint and digested as canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.audit.decode import FastDecoder  # also loads pycryptodome's Keccak for abicodec's checksums
from ledger.content.canonical import canonical_json
from ledger.content.cid import cid_from_bytes
from ledger.core import abicodec
from ledger.core import errors as E
from ledger.core.events import Event
from ledger.core.inputs import guard, lone_surrogate, read_text
from ledger.core.rpc import Rpc

if TYPE_CHECKING:
    from ledger.domain.works import Ledger

CHECKPOINT_VERSION = 1
BATCH_CALLS = 400


@dataclass(frozen=True)
class Mismatch:
    """One disagreement: ``kind`` (state, blob-missing, blob-changed, replay ...), ``where``
    (the object or event), ``what`` differs, and the two sides when they are values."""

    kind: str
    where: str
    what: str
    expected: Any = None  # what the events say
    actual: Any = None  # what the chain or the store says

    def line(self) -> str:
        s = f"[{self.kind}] {self.where}: {self.what}"
        if self.expected is not None or self.actual is not None:
            s += f" (events: {self.expected!r}, chain/store: {self.actual!r})"
        return s


Reducer = Callable[["State", Event], None]
Check = Callable[["State", "Ledger"], list[Mismatch]]
REDUCERS: dict[str, Reducer] = {}
CHECKS: dict[str, Check] = {}
TIMED: set[str] = set()  # events whose reducers need their block's time (state.time_of)


def timed(*names: str) -> None:
    """The reducers of these events read :meth:`State.time_of` (the replay fetches those block times)."""
    TIMED.update(names)


def reducer(*names: str) -> Callable[[Reducer], Reducer]:
    """Register ``fn(state, event)`` for the events ``names``."""

    def register(fn: Reducer) -> Reducer:
        for n in names:
            if n in REDUCERS and REDUCERS[n] is not fn:
                raise ValueError(f"event {n} has a reducer already ({REDUCERS[n].__module__})")
            REDUCERS[n] = fn
        return fn

    return register


def check(name: str) -> Callable[[Check], Check]:
    """Register ``fn(state, ledger) -> list[Mismatch]`` under ``name``."""

    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


# --- the state ----------------------------------------------------------------------------


class State:
    """Rebuilt ledger state: ``data`` holds one section per domain, all plain JSON."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = data if data is not None else {}
        self.issues: list[Mismatch] = []
        self.counts: dict[str, int] = {}
        self.unreduced: dict[str, int] = {}
        self.last_block = -1
        self.events = 0
        # What the last checks found (saved in the checkpoint): {"clean", "block", "skipped"}.
        self.checked: dict[str, Any] | None = None
        # The values (ids, addresses, hashes) the events of this run named, when it resumed from
        # a checkpoint whose checks were clean: the checks then re-read only what these touched
        # (:meth:`wants`). None: check everything.
        self.touched: set[Any] | None = None
        self.times: dict[int, int] = {}  # block -> timestamp, for the events in TIMED (not saved)

    def time_of(self, ev: Event) -> int | None:
        """The time of the block that holds ``ev``, when the replay fetched it (None otherwise)."""
        return self.times.get(ev.block)

    def wants(self, *keys: Any) -> bool:
        """Should a check re-read the item named by ``keys``? Always in a full run; in an
        incremental one when an event of this run named one of them."""
        t = self.touched
        return t is None or any(k in t for k in keys)

    def touch(self, ev: Event) -> None:
        t = self.touched
        if t is None:
            return
        t.add(ev.address)
        stack = list(ev.args.values())
        while stack:
            v = stack.pop()
            if isinstance(v, bytes):
                t.add("0x" + v.hex())
            elif isinstance(v, bool):
                continue
            elif isinstance(v, int):
                t.add(v)
                t.add(str(v))
            elif isinstance(v, str):
                t.add(v)
            elif isinstance(v, list | tuple):
                stack.extend(v)

    def section(self, name: str) -> dict[str, Any]:
        s = self.data.get(name)
        if s is None:
            s = self.data[name] = {}
        return s

    def flag(self, ev: Event, what: str, expected: Any = None, actual: Any = None) -> None:
        """An event that cannot follow from the ones before it."""
        self.issues.append(Mismatch("replay", f"block {ev.block} tx {ev.tx_hash} log {ev.log_index} {ev.name}",
                                    what, expected, actual))

    def ref_cid(self, raw: bytes | str, where: str, expect: dict[str, Any] | None = None) -> str | None:
        """Note a CID the ledger refers to; the blob check fetches and verifies each one.
        ``expect`` asks for more: ``{"contentSha256": hex}`` (a work metadata document),
        ``{"tsaDigest": 0xhex}`` (an RFC 3161 token over that digest)."""
        if not raw:
            return None
        try:
            cid = raw if isinstance(raw, str) else _cid_text(bytes(raw))
        except E.InputError:
            self.issues.append(Mismatch("replay", where, "malformed CID", None, str(raw)))
            return None
        cids = self.section("cids")
        if cid not in cids:
            cids[cid] = {"where": where, **(expect or {})}
        if self.touched is not None:
            self.touched.add(cid)
        return cid

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.data)).hexdigest()

    # --- checkpoints ---------------------------------------------------------------------

    def save(self, path: Path, deployment_key: dict[str, Any]) -> None:
        doc = {"version": CHECKPOINT_VERSION, "deployment": deployment_key, "lastBlock": self.last_block,
               "events": self.events, "counts": self.counts, "unreduced": self.unreduced,
               "issues": [asdict(i) for i in self.issues], "state": self.data, "checked": self.checked}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        text = json.dumps(doc, separators=(",", ":"))  # the C encoder (json.dump to a file is pure Python)
        with open(tmp, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, deployment_key: dict[str, Any]) -> State:
        """A checkpoint, checked against its schema (a bad one is refused with a hint to start over)."""
        fresh = "start over with --fresh (or delete the checkpoint file)"
        try:  # parsed by the C decoder in one pass (read_json's nesting pre-scan costs seconds at 10k works)
            text = read_text(path, what="checkpoint", limit=1 << 30)
            doc = json.loads(text, parse_constant=_no_constant)
        except E.InputError as exc:
            raise E.InputError(f"unreadable checkpoint: {exc.message}", hint=fresh) from None
        except (ValueError, RecursionError) as exc:
            raise E.InputError(f"unreadable checkpoint: {path} is not JSON ({type(exc).__name__})",
                               hint=fresh) from None
        if not isinstance(doc, dict):
            raise E.InputError(f"unreadable checkpoint: {path} is not a JSON object", hint=fresh)
        if lone_surrogate(text, doc):  # (its digest's canonical JSON, and the JSON output, cannot take one)
            raise E.InputError(f"unreadable checkpoint: {path} holds a lone surrogate, no text", hint=fresh)

        def bad(field: str, why: str) -> E.InputError:
            return E.InputError(f"{path}: malformed checkpoint: {field} {why}", hint=fresh)

        def whole(value: Any, minimum: int = 0) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value >= minimum

        if doc.get("version") != CHECKPOINT_VERSION:
            raise E.InputError(f"{path}: checkpoint version {str(doc.get('version'))[:20]} is not {CHECKPOINT_VERSION}",
                               hint=fresh)
        if doc.get("deployment") != deployment_key:
            raise E.InputError(f"{path}: the checkpoint is for another deployment",
                               hint="delete it, or pass the checkpoint of this network")
        if not whole(doc.get("lastBlock"), -1):
            raise bad("lastBlock", "must be a block number")
        if not whole(doc.get("events")):
            raise bad("events", "must be a whole number")
        for key in ("counts", "unreduced"):
            v = doc.get(key, {})
            if not isinstance(v, dict) or not all(whole(n) for n in v.values()):
                raise bad(key, "must map names to whole numbers")
        if not isinstance(doc.get("state"), dict) or not all(isinstance(v, dict) for v in doc["state"].values()):
            raise bad("state", "must be an object of sections")
        issues = doc.get("issues", [])
        if not isinstance(issues, list) or not all(
                isinstance(i, dict) and {"kind", "where", "what"} <= set(i) <= {"kind", "where", "what", "expected",
                                                                                "actual"}
                and all(isinstance(i[k], str) for k in ("kind", "where", "what")) for i in issues):
            raise bad("issues", "must be a list of mismatches")
        st = cls(doc["state"])
        st.last_block = doc["lastBlock"]
        st.events = doc["events"]
        st.counts = dict(doc.get("counts", {}))
        st.unreduced = dict(doc.get("unreduced", {}))
        st.issues = [Mismatch(**i) for i in issues]
        checked = doc.get("checked")
        if isinstance(checked, dict) and checked.get("clean") is True and whole(checked.get("block"), -1) \
                and isinstance(checked.get("skipped"), list):
            st.checked = {"clean": True, "block": checked["block"], "skipped": [str(x) for x in checked["skipped"]]}
        return st


# A licence's terms CID repeats across the licences granted on the same terms: remembered.
_cid_text = lru_cache(maxsize=1 << 12)(cid_from_bytes)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- reading the chain --------------------------------------------------------------------


def contract_names(ledger: Ledger) -> dict[str, str]:
    """Address -> contract name for every contract the deployment has had."""
    dep = ledger.deployment
    out = {c.address: c.name for c in dep.history}
    out.update({c.address: c.name for c in dep.contracts.values()})
    return out


def deployment_key(ledger: Ledger) -> dict[str, Any]:
    dep = ledger.deployment
    return {"network": dep.network, "chainId": dep.chain_id, "contracts": sorted(contract_names(ledger))}


def apply(state: State, events: Iterable[Event]) -> State:
    """Run the reducers over decoded events (chain order)."""
    if not REDUCERS:  # the domain modules register them: loaded here too, not only by audit()
        import importlib

        importlib.import_module("ledger.audit").load_domains()
    reducers, counts, unreduced = REDUCERS, state.counts, state.unreduced
    n = 0
    for ev in events:
        n += 1
        name = ev.name
        counts[name] = counts.get(name, 0) + 1
        fn = reducers.get(name)
        if fn is None:
            unreduced[name] = unreduced.get(name, 0) + 1
        else:
            fn(state, ev)
        if state.touched is not None:
            state.touch(ev)
        if ev.block > state.last_block:
            state.last_block = ev.block
    state.events += n
    return state


FETCH_WORKERS = 3
MIN_PIECES = 16


def fetch_events(ledger: Ledger, from_block: int, to_block: int,
                 on_chunk: Callable[[int, list[Event]], None]) -> None:
    """Decode every ledger event in ``[from_block, to_block]``; ``on_chunk(end, events)`` per
    piece, in chain order.

    The range is cut into pieces of at most ``log_chunk`` blocks (and at least
    ``MIN_PIECES`` pieces), fetched by a few threads ahead of the decoding, so the node's
    time to answer ``eth_getLogs`` overlaps with the decoding and the reducers here. A
    piece the node refuses as too large is halved by :meth:`ledger.core.rpc.Rpc.get_logs`.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    decode = FastDecoder(ledger.events).decode
    addresses = sorted(contract_names(ledger))
    url = ledger.settings.network.rpc_url
    total = to_block - from_block + 1
    size = max(1, min(ledger.settings.network.log_chunk, -(-total // MIN_PIECES)))
    pieces = [(a, min(to_block, a + size - 1)) for a in range(from_block, to_block + 1, size)]

    def get(piece: tuple[int, int]) -> list[dict[str, Any]]:
        logs: list[dict[str, Any]] = []
        for _end, part in Rpc(url).get_logs(addresses, piece[0], piece[1], chunk=size):  # a session per thread
            logs.extend(part)
        return logs

    with ThreadPoolExecutor(max_workers=FETCH_WORKERS, thread_name_prefix="audit-fetch") as pool:
        pending: list[tuple[tuple[int, int], Future[list[dict[str, Any]]]]] = []
        it = iter(pieces)
        for piece in it:
            pending.append((piece, pool.submit(get, piece)))
            if len(pending) > FETCH_WORKERS:
                break
        try:
            while pending:
                piece, fut = pending.pop(0)
                nxt = next(it, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(get, nxt)))
                on_chunk(piece[1], [e for e in map(decode, fut.result()) if e is not None])
        finally:
            for _p, f in pending:
                f.cancel()


def batch_call(url: str, calls: Sequence[tuple[str, bytes]], size: int = BATCH_CALLS) -> list[bytes | None]:
    """``eth_call`` many ``(to, calldata)`` pairs in JSON-RPC batches; None for a revert."""
    return Rpc(url).eth_call_many(calls, size=size)


class Call:
    """A view function to call in batches: ``Call("holdersOf(bytes32)", ["(address,uint16)[]"])``."""

    def __init__(self, signature: str, returns: Sequence[str]) -> None:
        self.selector = abicodec.selector(signature)
        inside = signature[signature.index("(") + 1:-1]
        self.args = [abicodec.parse_type(t) for t in _split_types(inside)]
        self.returns = [abicodec.parse_type(t) for t in returns]

    def data(self, *args: Any) -> bytes:
        return self.selector + (abicodec.encode(self.args, list(args)) if self.args else b"")

    def decode(self, raw: bytes | None) -> Any:
        """eth-abi's shapes: arrays as tuples, addresses in lower case (the checks checksum them)."""
        if raw is None:
            return None
        values = abicodec.decode(self.returns, raw, checksummed=False)
        return values[0] if len(values) == 1 else values


def _split_types(s: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        out.append(cur)
    return out


def call_many(ledger: Ledger, call: Call, items: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    """Decode ``call`` on each ``(contract address, args)``."""
    raw = batch_call(ledger.settings.network.rpc_url, [(to, call.data(*args)) for to, args in items])
    return [call.decode(r) for r in raw]


# --- the audit ----------------------------------------------------------------------------


@dataclass
class AuditReport:
    state: State
    mismatches: list[Mismatch]
    from_block: int
    to_block: int
    replay_seconds: float
    check_seconds: float
    resumed_from: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return self.state.digest()

    @property
    def rate(self) -> float:
        return self.state.events / self.replay_seconds if self.replay_seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": not self.mismatches,
            "fromBlock": self.from_block,
            "toBlock": self.to_block,
            "resumedFrom": self.resumed_from,
            "events": self.state.events,
            "eventsByType": dict(sorted(self.state.counts.items())),
            "eventsWithoutReducer": dict(sorted(self.state.unreduced.items())),
            "stateDigest": self.digest,
            "replaySeconds": round(self.replay_seconds, 3),
            "checkSeconds": round(self.check_seconds, 3),
            "eventsPerSecond": round(self.rate),
            "mismatches": [asdict(m) for m in self.mismatches],
            "notes": self.notes,
        }


def replay(
    ledger: Ledger,
    *,
    from_block: int | None = None,
    to_block: int | None = None,
    checkpoint: Path | None = None,
    state: State | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    checkpoint_every: float = 5.0,
    save_at_end: bool = True,
) -> tuple[State, int, int, float, int | None]:
    """Rebuild the state from events; returns (state, first block, last block, seconds, resumed_from)."""
    from ledger.audit import load_domains

    load_domains()
    key = deployment_key(ledger)
    resumed = None
    if state is None and checkpoint is not None and checkpoint.exists():
        state = State.load(checkpoint, key)
        resumed = state.last_block
        if state.checked is not None and state.checked["block"] == state.last_block:
            state.touched = set()  # the checks of the last run were clean: re-check what the new events touch
        chain_head = ledger.chain.block_number()
        if resumed > chain_head:
            raise E.InputError(f"{checkpoint}: the checkpoint's lastBlock {resumed} is beyond the chain's head "
                               f"{chain_head} (another chain, or blocks the node lost)",
                               hint="start over with --fresh (or delete the checkpoint file)")
    first = ledger.deployment.first_block if from_block is None else from_block
    if state is None:
        state = State()
    else:
        first = max(first, state.last_block + 1)
    head = ledger.chain.block_number() if to_block is None else to_block
    started = time.perf_counter()
    last_save = time.monotonic()

    rpc = Rpc(ledger.settings.network.rpc_url, ledger.settings.network.rpc_timeout)

    def on_chunk(end: int, events: list[Event]) -> None:
        nonlocal last_save
        blocks = {e.block for e in events if e.name in TIMED}
        state.times = rpc.block_timestamps(blocks) if blocks else {}  # one batch per piece
        apply(state, events)
        state.last_block = max(state.last_block, end)
        if progress:
            progress(end, head, state.events)
        if checkpoint is not None and time.monotonic() - last_save > checkpoint_every:
            state.save(checkpoint, key)
            last_save = time.monotonic()

    if first <= head:
        if resumed is None:
            fetch_events(ledger, first, head, on_chunk)
        else:  # a checkpoint's state sections may still be of the wrong shape deep inside
            with guard(str(checkpoint), "checkpoint state", hint="start over with --fresh"):
                fetch_events(ledger, first, head, on_chunk)
    state.last_block = max(state.last_block, head)
    seconds = time.perf_counter() - started
    if checkpoint is not None and save_at_end:
        state.save(checkpoint, key)
    return state, first, head, seconds, resumed


def run_checks(state: State, ledger: Ledger, *, skip: Sequence[str] = ()) -> list[Mismatch]:
    """Replay issues, then every registered check not in ``skip``.

    After a resumed replay whose checkpoint records clean checks (``state.touched`` is a set),
    a check that ran then re-reads only the items the new events named (:meth:`State.wants`);
    a check skipped then runs in full now. The result is recorded in ``state.checked``.
    """
    from ledger.audit import load_domains

    load_domains()
    found = list(state.issues)
    touched = state.touched
    before = set(state.checked["skipped"]) if state.checked is not None else set(CHECKS)
    for name, fn in CHECKS.items():
        if name in skip:
            continue
        state.touched = touched if name not in before else None
        try:
            found.extend(fn(state, ledger))
        finally:
            state.touched = touched
    state.checked = {"clean": not found, "block": state.last_block, "skipped": sorted(skip)}
    return found


def audit(ledger: Ledger, *, skip_checks: Sequence[str] = (), **kwargs: Any) -> AuditReport:
    state, first, head, seconds, resumed = replay(ledger, save_at_end=False, **kwargs)
    t0 = time.perf_counter()
    try:
        if resumed is None:
            mismatches = run_checks(state, ledger, skip=skip_checks)
        else:  # a checkpoint's state sections may be of the wrong shape deep inside
            with guard(str(kwargs.get("checkpoint")), "checkpoint state", hint="start over with --fresh"):
                mismatches = run_checks(state, ledger, skip=skip_checks)
    finally:  # saved once: the replayed state and what the checks found (for the next incremental run)
        if kwargs.get("checkpoint") is not None:
            state.save(kwargs["checkpoint"], deployment_key(ledger))
    report = AuditReport(state, mismatches, first, head, seconds, time.perf_counter() - t0, resumed)
    if state.touched is not None:
        report.notes.append(f"incremental checks: only what the new events named was read again "
                            f"({len(state.touched)} ids and addresses); the rest checked clean at block {resumed}")
    if state.unreduced:
        report.notes.append("events with no reducer were counted but not replayed: "
                            + ", ".join(f"{k} ({v})" for k, v in sorted(state.unreduced.items())))
    return report


# --- the store check ----------------------------------------------------------------------


@check("blobs")
def check_blobs(state: State, ledger: Ledger) -> list[Mismatch]:
    """Every referenced CID resolves in the store to bytes that hash to it (and, where the
    reference says more, to the expected document or token)."""
    out: list[Mismatch] = []
    for cid, ref in state.section("cids").items():
        if not state.wants(cid):
            continue
        where = f"{ref['where']} ({cid})"
        try:
            data = ledger.store.cat(cid)
        except E.ContentNotFound:
            out.append(Mismatch("blob-missing", where, "the blob is not in the store"))
            continue
        except E.MetadataMismatch as exc:
            out.append(Mismatch("blob-changed", where, f"the stored bytes do not match the CID: {exc.message}"))
            continue
        if "contentSha256" in ref:
            try:
                doc = json.loads(data)
                said = doc.get("contentSha256") if isinstance(doc, dict) else None
            except (ValueError, RecursionError):  # (another client's document: any bytes, nested any depth)
                said = None
            if said != ref["contentSha256"]:
                out.append(Mismatch("blob-content", where, "metadata contentSha256 is not the work id",
                                    ref["contentSha256"], said))
        if "tsaDigest" in ref:
            from ledger.content.timestamp import TimestampInvalid, parse_token

            try:
                info = parse_token(data)
                if info.digest != ref["tsaDigest"]:
                    out.append(Mismatch("blob-content", where, "the timestamp token covers another digest",
                                        ref["tsaDigest"], info.digest))
            except TimestampInvalid as exc:
                out.append(Mismatch("blob-content", where, exc.message))
    return out
