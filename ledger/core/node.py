"""The embedded chain: an anvil node on 127.0.0.1 whose state persists in the data directory.

``EmbeddedNode.start()`` launches anvil with ``--state`` (loaded at start, dumped on a
clean stop), gas price and base fee 0 (like a permissioned network), and waits until it
answers. ``stop()`` sends SIGTERM so anvil dumps its state.

Crash safety does not rest on anvil's own dumps (a SIGKILL loses what it had not written,
and a kill during its write leaves a torn file). Instead, after every acknowledged write
the SDK calls :meth:`EmbeddedNode.durable` with the raw signed transactions of that write:
they are appended to a write-ahead journal (``journal.jsonl``: hash, raw transaction, the
timestamp of the block that included it) and fsync'd before the CLI acknowledges. At start,
:meth:`EmbeddedNode.replay_journal` re-sends, in order and at their original block
timestamps, the journaled transactions the loaded state does not have (by hash). A
snapshot (``anvil_dumpState``, written atomically; then the journal is emptied) is taken
on the first write of a new chain, every ``SNAPSHOT_EVERY`` journal entries and when a write sent
more transactions than the SDK keeps (a batch run, which resumes from its own journal),
so a write costs an append, not a dump of the whole state.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ledger.core.config import REPO_ROOT, NetworkProfile
from ledger.core.errors import ChainUnavailable, ConfigError, InputError, LedgerError
from ledger.core.parsing import parse_port
from ledger.core.rpc import Rpc, RpcRefused

SNAPSHOT_EVERY = 500  # journal entries between two snapshots of the node's state
SNAPSHOT_TIMEOUT = 300.0  # seconds to wait for each piece of the node's state dump


def anvil_binary() -> str:
    """anvil from RIGHTS_LEDGER_ANVIL, the repo's node_modules, or PATH.

    The native binary inside the platform package is preferred to node_modules/.bin/anvil,
    a Node wrapper that would stand between us and the process we signal.
    """
    import shutil  # starting a node: not on a read command's start-up (nor subprocess, signal)

    explicit = os.environ.get("RIGHTS_LEDGER_ANVIL")
    candidates = [explicit] if explicit else []
    candidates += [
        str(REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"),
        str(REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-arm64" / "bin" / "anvil"),
        str(REPO_ROOT / "node_modules" / ".bin" / "anvil"),
        shutil.which("anvil") or "",
    ]
    for c in candidates:
        if c and Path(c).exists():
            return c
    raise ConfigError("anvil is not installed", hint="run `make setup` (npm ci installs it)")


def rpc_alive(url: str, timeout: float = 1.0) -> int | None:
    """The chain id the node at ``url`` reports, or None when nothing answers."""
    return Rpc(url, timeout).chain_id()


@dataclass(frozen=True)
class NodeStatus:
    running: bool
    rpc_url: str
    pid: int | None
    state_file: str
    block_number: int | None


class EmbeddedNode:
    """Start, stop and inspect the embedded anvil node of one network profile."""

    def __init__(self, profile: NetworkProfile, chain_dir: Path) -> None:
        if not profile.embedded:
            raise ConfigError(f"network {profile.name!r} is not the embedded node")
        self.profile = profile
        self.dir = chain_dir
        self.state_file = chain_dir / "state.json"
        self.pid_file = chain_dir / "anvil.pid"
        self.log_file = chain_dir / "anvil.log"
        #: written by `rights-ledger node stop`: the node stays stopped until `node start`
        self.stopped_marker = chain_dir / "stopped-by-user"
        self.journal_file = chain_dir / "journal.jsonl"
        self.lock_file = chain_dir / "journal.lock"
        #: held while a node is started or stopped: one process at a time decides whether to start
        self.start_lock_file = chain_dir / "node.lock"
        #: hashes of journaled (acknowledged) transactions the last replay by this object could not
        #: get mined: the chain lacks those writes (the starting command warns)
        self.replay_lost: list[str] = []

    @property
    def port(self) -> int:
        try:
            return parse_port(self.profile.rpc_url.rsplit(":", 1)[1].split("/")[0], "embedded node port")
        except InputError as exc:
            raise ConfigError(f"{exc.message} (from {self.profile.rpc_url})",
                              hint="set RIGHTS_LEDGER_PORT to a port 1..65535") from None

    def _pid(self) -> int | None:
        """The pid of this data directory's running anvil, or None."""
        own = self._own_process()
        return own[0] if own else None

    def _own_process(self) -> tuple[int, list[str] | None] | None:
        """(pid, arguments) of this data directory's running anvil (arguments None where there is
        no ``/proc``), or None.

        The pid file alone is not proof: after a reboot, or once anvil died without cleaning
        up, its pid can belong to an unrelated process, which ``stop`` would then signal. Where
        ``/proc`` shows the process's arguments, the pid counts only if they load this home's
        state file."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        args = _process_args(pid)
        if args is not None:
            state = _flag(args, "--state")
            if state is None:
                return None
            # a relative --state is relative to the node's working directory, not ours
            if os.path.realpath(Path(_process_cwd(pid) or ".") / state) != os.path.realpath(self.state_file):
                return None
        return pid, args

    def running_port(self) -> int | None:
        """The port this data directory's anvil listens on, when it runs and ``/proc`` tells."""
        own = self._own_process()
        port = _flag(own[1], "--port") if own and own[1] else None
        return int(port) if port and port.isascii() and port.isdigit() else None

    def refuse_a_second_node(self) -> None:
        """Raise when this data directory's node runs on another port than this profile's.

        A second anvil on the same state file and journal would make two chains that diverge,
        and whichever dumps its state last would silently drop the other's acknowledged writes."""
        elsewhere = self.running_port()
        if elsewhere is not None and elsewhere != self.port:
            raise ChainUnavailable(
                f"this data directory's node is already running on port {elsewhere}, not {self.port}",
                hint=f"set RIGHTS_LEDGER_PORT={elsewhere}, or stop it first with `rights-ledger node stop`",
            )

    def status(self) -> NodeStatus:
        pid = self._pid()
        chain_id = rpc_alive(self.profile.rpc_url)
        block = None
        if chain_id is not None:
            try:
                block = int(Rpc(self.profile.rpc_url, 2).request("eth_blockNumber"), 16)
            except (LedgerError, ValueError, TypeError):
                block = None
        return NodeStatus(chain_id is not None, self.profile.rpc_url, pid, str(self.state_file), block)

    def start(self, timeout: float = 30.0) -> NodeStatus:
        """Start anvil unless a node already answers on the port; return once it answers.

        The check and the start are one step under the data directory's node lock: two commands
        that both found no node (two CLI calls at once, the desk and a batch) would otherwise both
        launch anvil, on two ports two chains on one state file and journal, on one port a loser
        that fails or writes its dying pid over the winner's. The second waits, then finds the
        first one's node (or is refused, on another port)."""
        port = self.port  # a malformed port stops here, before anything is written
        with self._locked(self.start_lock_file):
            return self._start(port, timeout)

    def _start(self, port: int, timeout: float) -> NodeStatus:
        self.refuse_a_second_node()
        answered = rpc_alive(self.profile.rpc_url)
        if answered is not None:
            if self.profile.chain_id is not None and answered != self.profile.chain_id:
                raise ChainUnavailable(
                    f"port {self.port} is taken by a node with chain id {answered}",
                    hint="stop that node or set RIGHTS_LEDGER_PORT to a free port",
                )
            return self.status()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._drop_restart_genesis()
        cmd = [
            anvil_binary(),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(self.profile.chain_id or 31337),
            "--state", str(self.state_file),
            "--gas-limit", "30000000",
            "--base-fee", "0",
            "--gas-price", "0",
            "--accounts", "1",
            "--hardfork", self.profile.evm_version,
        ]  # fmt: skip
        if self.profile.block_time:
            cmd += ["--block-time", str(self.profile.block_time)]
        import subprocess

        with open(self.log_file, "ab") as log:
            log_start = log.tell()
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        # The pid file is written only once this node answers: a node that dies at once (port
        # taken, bad flag) must not replace the pid of a node that is running.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                with open(self.log_file, "rb") as fh:
                    fh.seek(log_start)
                    tail = fh.read().decode("utf-8", "replace")[-400:]
                raise ChainUnavailable(f"anvil exited with code {proc.returncode}: {' '.join(tail.split())}",
                                       hint=f"is port {port} taken? set RIGHTS_LEDGER_PORT to a free port")
            if rpc_alive(self.profile.rpc_url) is not None:
                self.pid_file.write_text(str(proc.pid))
                self.replay_journal()
                self._resume_clock()
                return self.status()
            time.sleep(0.1)
        proc.terminate()
        raise ChainUnavailable(f"anvil did not answer on {self.profile.rpc_url} within {timeout:.0f} s")

    def _resume_clock(self) -> None:
        """Keep block times increasing across a restart. anvil started from its state runs on
        the wall clock, not on the time of the chain it loaded: when the last block is later than
        now (the chain's time was moved on, or the host's clock went back) the next block would
        be older than its parent, and every time-ranged write (checkpoints keyed by block time,
        ADR 009) would revert with CheckpointUnorderedInsertion. The clock then resumes from the
        last block's time."""
        try:
            rpc = Rpc(self.profile.rpc_url, 10)
            head = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
            if head >= int(time.time()):
                rpc.request("evm_setTime", [head + 1])
        except (LedgerError, RpcRefused, ValueError, TypeError, KeyError) as exc:
            with open(self.log_file, "a") as log:
                log.write(f"could not resume the clock after a restart: {exc}\n")

    def _drop_restart_genesis(self) -> None:
        """Keep only the chain's own genesis block in the state file.

        anvil started with ``--state`` makes a fresh block 0 of its own before loading the saved
        blocks, and its next dump holds both block 0s; loaded again, the fresh one may win and the
        chain's genesis hash changes (a second ``node stop`` / ``node start`` then refused the node
        as another home's). The chain's genesis is the earliest block 0: the others are dropped.

        The state file is not loaded whole (1.5 GB at 100k works, ADR 010): :func:`restart_genesis_spans`
        reads the top-level ``blocks`` list one block at a time, and :func:`drop_spans` copies the file
        without the extra block 0s into a temporary file that replaces it (fsync, rename). A file this
        code cannot read is left as it is: anvil decides."""
        try:
            spans = restart_genesis_spans(self.state_file)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return  # no state yet, or not one this code can read: anvil decides
        if spans:
            drop_spans(self.state_file, spans)

    def persist(self) -> None:
        """Write the node's current state to the state file, atomically (a snapshot).

        The state (hundreds of MB at 100k works) is streamed: ``anvil_dumpState``'s answer is read
        in pieces, each piece of hex decoded and gunzipped into a temporary file beside the state
        file, which is fsync'd and then renamed over it. The SDK holds a few MB at a time, not the
        whole state, and a crash or kill at any point leaves the last complete state file."""
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        try:
            with open(tmp, "wb") as fh:
                # anvil serialises and compresses the whole state before its first byte (26 s at 100k
                # works on a loaded machine): a generous wait per read
                dump_state_to(self.profile.rpc_url, fh, timeout=SNAPSHOT_TIMEOUT)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, self.state_file)

    # --- the write-ahead journal ---------------------------------------------------------

    @contextmanager
    def _locked(self, lock_file: Path | None = None) -> Iterator[None]:
        """One process at a time appends to the journal or snapshots and empties it (or, with
        the node lock, starts or stops the node). The two locks are distinct: a start replays the
        journal under the journal lock, and a second flock of one file in one process would wait
        for itself."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(lock_file or self.lock_file, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def journal(self) -> list[dict[str, str]]:
        """The journal's entries; a torn last line (a crash mid-append) is ignored."""
        try:
            lines = self.journal_file.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "raw" in entry and "hash" in entry:
                out.append(entry)
        return out

    def durable(self, sent: list[dict[str, str]] | None) -> None:
        """Make the transactions of an acknowledged write survive a crash of the node: append
        them to the journal (fsync), or snapshot when they were too many to keep."""
        if sent is None or not self.state_file.exists():  # too many, or no snapshot to replay onto yet
            with self._locked():
                self._snapshot()
            return
        if not sent:
            return
        rpc = Rpc(self.profile.rpc_url, 60)
        try:
            receipts = rpc.batch([("eth_getTransactionReceipt", [e["hash"]]) for e in sent])
            blocks = sorted({r["result"]["blockNumber"] for r in receipts if r.get("result")})
            stamps = {b: r.get("result", {}).get("timestamp") for b, r in
                      zip(blocks, rpc.batch([("eth_getBlockByNumber", [b, False]) for b in blocks]), strict=True)}
        except (LedgerError, ValueError, TypeError, AttributeError) as exc:
            raise ChainUnavailable(f"cannot read the embedded node's receipts to journal a write ({exc})") from exc
        lines = []
        for e, r in zip(sent, receipts, strict=True):
            res = r.get("result") or {}
            lines.append(json.dumps({"hash": e["hash"], "raw": e["raw"], "block": res.get("blockNumber"),
                                     "timestamp": stamps.get(res.get("blockNumber"))}, separators=(",", ":")))
        with self._locked():
            fd = os.open(self.journal_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, ("\n".join(lines) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            if len(self.journal()) >= SNAPSHOT_EVERY:
                self._snapshot()

    def replay_journal(self, timeout: float = 60.0) -> int:
        """Re-send the journaled transactions the node's state lacks; return how many (called
        by :meth:`start`, which returns only once every one of them is mined).

        With automine, mining is paused and each original block is mined again with
        ``evm_mine`` at its original timestamp, holding the same journaled transactions, so
        registration times do not move (except by one second for a block that shared its
        parent's second: anvil refuses that) and no read can run between a restart and the end
        of the replay. (Stop 11 found the defect this prevents: ``eth_sendRawTransaction``
        returns before anvil mines, so a read right after a restart could miss an acknowledged
        write.) On a node with interval mining the transactions are sent and then waited for."""
        with self._locked():
            entries = self.journal()
            if not entries:
                return 0
            rpc = Rpc(self.profile.rpc_url, 60)
            have = rpc.batch([("eth_getTransactionReceipt", [e["hash"]]) for e in entries])
            missing = [e for e, known in zip(entries, have, strict=True) if not known.get("result")]
            if not missing:
                return 0
            if self.profile.block_time:
                for entry in missing:
                    self._resend(rpc, entry)
            else:
                rpc.request("evm_setAutomine", [False])
                try:
                    for group in _by_original_block(missing):
                        for entry in group:
                            self._resend(rpc, entry)
                        self._mine_at(rpc, group[0].get("timestamp"))
                finally:
                    rpc.request("evm_setAutomine", [True])
            # each original block was mined above (automine): what has no receipt now never will (a
            # nonce the journal misses, another client's transaction): a short grace, not the timeout
            deadline = time.monotonic() + (timeout if self.profile.block_time else min(timeout, 3.0))
            while True:
                receipts = rpc.batch([("eth_getTransactionReceipt", [e["hash"]]) for e in missing])
                lost = [e["hash"] for e, r in zip(missing, receipts, strict=True) if not r.get("result")]
                if not lost or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.replay_lost = lost
            if lost:
                with open(self.log_file, "a") as log:
                    log.write(f"journal replay: {len(lost)} transactions not mined: {', '.join(lost)}\n")
            # no snapshot here: a dump taken right after anvil loaded its state can lose the
            # genesis block; the replayed entries stay journaled (skipped by hash next time)
            # until the next periodic snapshot of a running node
            return len(missing) - len(lost)

    def _resend(self, rpc: Rpc, entry: dict[str, str]) -> None:
        try:
            rpc.request("eth_sendRawTransaction", [entry["raw"]])
        except RpcRefused as exc:
            with open(self.log_file, "a") as log:
                log.write(f"journal replay: {entry['hash']} refused: {exc}\n")

    def _mine_at(self, rpc: Rpc, stamp: str | None) -> None:
        """Mine one block at the original block's timestamp or, when the chain is already past
        it (anvil keeps the time it had when its state was dumped), at the next second."""
        head = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        want = int(stamp, 16) if stamp else head + 1
        for when in (max(want, head), head + 1):
            try:
                rpc.request("evm_mine", [when])
                return
            except RpcRefused:
                continue
        rpc.request("evm_mine", [])

    def _snapshot(self) -> None:
        """Persist the whole state, then empty the journal (the caller holds the lock)."""
        self.persist()
        self.journal_file.unlink(missing_ok=True)

    def settled(self) -> None:
        """Return once no start or stop of this data directory's node is under way (another
        command's: the node lock). A start answers on its port before it has replayed its
        journal: a read then answered from before the acknowledged writes (a licence not yet
        there: 'not covered'), and a write could take the nonce of a transaction the replay was
        about to send again, losing it."""
        if self.start_lock_file.exists():
            with self._locked(self.start_lock_file):
                pass

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop anvil cleanly (SIGTERM, so it dumps its state). False when it was not running.
        A start under way is waited for (the node lock), then its node is stopped."""
        if not self.dir.exists():
            return False  # no pid file, no node: and no data directory made for the lock
        with self._locked(self.start_lock_file):
            return self._stop(timeout)

    def _stop(self, timeout: float) -> bool:
        import signal

        pid = self._pid()
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
                if _is_zombie(pid):
                    break
            except OSError:
                break
            time.sleep(0.1)
        else:
            _signal_group(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL the node (fault tests): whatever anvil had not dumped is lost."""
        import signal

        pid = self._pid()
        if pid is not None:
            _signal_group(pid, signal.SIGKILL)
            while not _is_zombie(pid):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.05)
            self.pid_file.unlink(missing_ok=True)


# --- the extra block 0s of a restarted node's state file (ADR 010) ------------------------------

_WS = re.compile(r"[ \t\r\n]*")
_BLOCKS_KEY = re.compile(r'"blocks"[ \t\r\n]*:[ \t\r\n]*\[')
STATE_PIECE = 16 << 20  # bytes of the state file read and decoded at a time (more for a larger block)
_DECODER = json.JSONDecoder()


def restart_genesis_spans(path: Path) -> list[tuple[int, int]]:
    """The byte ranges ``[start, end)`` to cut from anvil's state file at ``path`` so that of its
    block 0s only the earliest (by timestamp; the first of equals) remains; none when it has fewer
    than two. A range covers one extra block with the comma before it (after it, for a leading one).

    The file is not loaded whole: it is read a piece at a time, the top-level ``"blocks": [`` is found
    by its key (anvil writes the block env, the accounts and the best block number before it, none
    of them holding a key of that name), and the list is decoded one block at a time, each to its
    end, where the next one starts. Memory: a piece and the largest block; time: the bytes up to
    the end of the list (the transactions after it, most of the file, are not read). A file that
    is not an object, ends inside it, or whose list is not one of blocks with a hex header number
    and timestamp raises ValueError (or KeyError, TypeError)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        text = _StateText(fd)
        starts, ends = array("q"), array("q")
        zeros: list[tuple[int, int]] = []  # (timestamp, index) of every block 0
        for index, (start, end, block) in enumerate(text.blocks()):
            header = block["header"]
            if int(header["number"], 16) == 0:
                zeros.append((int(header["timestamp"], 16), index))
            starts.append(start)
            ends.append(end)
    finally:
        os.close(fd)
    if len(zeros) < 2:
        return []
    keep = min(zeros)[1]
    drop = sorted(i for _t, i in zeros if i != keep)
    lead = 0  # dropped blocks at the head of the list: cut up to the first block kept
    while lead < len(drop) and drop[lead] == lead:
        lead += 1
    cuts = [(starts[0], starts[lead])] if lead else []
    return cuts + [(ends[i - 1], ends[i]) for i in drop[lead:]]


class _StateText:
    """A state file read a piece at a time and decoded latin-1 (one character a byte, so offsets
    in the text are offsets in the file; only ASCII values, the hex header fields, are used)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.size = os.fstat(fd).st_size
        self.base = 0  # the file offset of text[0]
        self.text = ""

    def load(self, at: int, n: int) -> None:
        self.base, self.text = at, os.pread(self.fd, n, at).decode("latin-1")

    def char(self, at: int) -> str:
        if at >= self.size:
            return ""
        if not self.base <= at < self.base + len(self.text):
            self.load(at, STATE_PIECE)
        return self.text[at - self.base]

    def skip_ws(self, at: int) -> int:
        while self.char(at):
            j = _WS.match(self.text, at - self.base).end()
            at = self.base + j
            if j < len(self.text):
                break
        return at

    def blocks(self) -> Iterator[tuple[int, int, Any]]:
        """``(start, end, block)`` of each element of the top-level ``blocks`` list, in order;
        ValueError when the file or the list is malformed."""
        if self.char(self.skip_ws(0)) != "{":
            raise ValueError("the state is not a JSON object")
        if not os.pread(self.fd, 4096, max(0, self.size - 4096)).rstrip().endswith(b"}"):
            raise ValueError("the state file ends inside its JSON object")
        i = self.skip_ws(self._blocks_list())
        if self.char(i) != "]":
            while True:
                block, end = self.decode_object(i)
                yield i, end, block
                i = self.skip_ws(end)
                sep = self.char(i)
                if sep == "]":
                    break
                if sep != ",":
                    raise ValueError(f"expected , or ] at byte {i}")
                i = self.skip_ws(i + 1)
        if self.char(self.skip_ws(i + 1)) not in (",", "}"):
            raise ValueError(f"expected , or }} after the blocks list at byte {i}")

    def _blocks_list(self) -> int:
        """The offset just after the ``[`` of the state's ``"blocks"`` list: the first ``"blocks":``
        in the file. Its quote is not a string's closing one (a letter cannot follow that) nor inside a
        string (it would be escaped), so it opens a key, and in anvil's state only the top level has a
        key of that name (the block env and the accounts before it have none)."""
        overlap = 256  # pieces overlap, so that a key across two of them is found in the first
        at = 0
        while at < self.size:
            self.load(at, STATE_PIECE + overlap)
            found = _BLOCKS_KEY.search(self.text)
            if found is not None:
                return self.base + found.end()
            at += STATE_PIECE
        raise ValueError("the state has no blocks list")

    def decode_object(self, at: int) -> tuple[Any, int]:
        """The JSON object starting at ``at`` and the offset just after it; the text read is widened
        while the object runs past its end."""
        if self.char(at) != "{":
            raise ValueError(f"expected a block object at byte {at}")
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, at - self.base)
                return value, self.base + end
            except json.JSONDecodeError as exc:
                # cut by the end of the text (an unterminated string, or an error in its last bytes):
                # read more; an error inside it, or at the end of the file, is a malformed block
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.text) - 16
                held = self.base + len(self.text)
                if not cut or held >= self.size:
                    raise
                self.load(at, max(STATE_PIECE, 4 * (held - at)))
                if self.base + len(self.text) <= held:  # a read returns at most ~2 GB
                    raise ValueError(f"a block at byte {at} is too large to read") from None


def drop_spans(path: Path, spans: list[tuple[int, int]]) -> None:
    """Rewrite the file at ``path`` without the byte ranges ``spans`` (sorted, not overlapping): the
    rest is copied through unchanged, by the kernel where it can (copy_file_range), into a temporary
    file beside it that is fsync'd and renamed over it. A failure leaves the file as it was."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        src = os.open(path, os.O_RDONLY)
        try:
            dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                at = 0
                for a, b in [*spans, (os.fstat(src).st_size, 0)]:
                    _copy_range(src, dst, at, a - at)
                    at = b
                os.fsync(dst)
            finally:
                os.close(dst)
        finally:
            os.close(src)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def _copy_range(src: int, dst: int, offset: int, count: int) -> None:
    """Append ``count`` bytes of ``src`` from ``offset`` to ``dst``."""
    fast = hasattr(os, "copy_file_range")
    while count > 0:
        n = 0
        if fast:
            try:
                n = os.copy_file_range(src, dst, min(count, 1 << 30), offset)
            except OSError:  # another file system, or a kernel without it: read and write
                fast = False
        if not fast:
            piece = os.pread(src, min(count, 1 << 20), offset)
            n = os.write(dst, piece) if piece else 0
        if n <= 0:
            raise OSError(f"the state file ended {count} bytes early while copying it")
        offset += n
        count -= n


DUMP_PIECE = 1 << 20  # bytes of the node's answer read at a time by dump_state_to
_RESULT = re.compile(rb'"result"\s*:\s*"(0x)?')


def dump_state_to(url: str, out: BinaryIO, *, timeout: float = 60.0, piece: int = DUMP_PIECE) -> int:
    """Stream the node's ``anvil_dumpState`` into ``out`` as the state JSON (hex decoded, gunzipped
    when anvil compressed it), a piece at a time; return the bytes written.

    The answer ``{"jsonrpc": "2.0", "id": 1, "result": "0x1f8b..."}`` is scanned up to the result
    string, whose hex digits are decoded and decompressed as they arrive (several gzip members in
    a row are read in turn, as :func:`gzip.decompress` does). A JSON-RPC error, a connection lost
    midway, a truncated or malformed answer is :class:`ChainUnavailable`."""
    import binascii
    import http.client
    import zlib
    from urllib.parse import urlsplit

    def failed(why: str) -> ChainUnavailable:
        return ChainUnavailable(f"cannot read the embedded node's state to save it ({why})")

    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "anvil_dumpState", "params": []}).encode()
    written = 0
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body,
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise failed(f"HTTP {resp.status}")
        head = b""
        while (found := _RESULT.search(head)) is None:  # the answer up to the result string
            more = resp.read1(4096)
            if not more:
                try:
                    error = json.loads(head).get("error")
                except (ValueError, AttributeError):
                    error = None
                raise failed(f"the node refused: {error.get('message', error) if isinstance(error, dict) else error}"
                             if error else "no result in the answer")
            head += more
            if len(head) > 1 << 16:
                raise failed("no result in the answer")
        pending = head[found.end():]  # hex digits not decoded yet
        inflate: Any = None  # a zlib decompressor once the first bytes say gzip; False: not compressed
        member_open = False  # inside a gzip member (the answer must not end there)
        done = False
        while True:
            end = pending.find(b'"')
            if end >= 0:
                pending, done = pending[:end], True
            usable = len(pending) if done else len(pending) & ~1
            try:
                raw = binascii.unhexlify(pending[:usable])
            except (binascii.Error, ValueError):
                raise failed("the result is not hex") from None
            pending = pending[usable:]
            if raw:
                if inflate is None:
                    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if raw[:2] == b"\x1f\x8b" else False
                while raw:
                    if inflate is False:
                        data, raw = raw, b""
                    else:
                        try:
                            data = inflate.decompress(raw)
                        except zlib.error as exc:
                            raise failed(f"the state is not gzip: {exc}") from None
                        raw, member_open = b"", True
                        if inflate.eof:  # another gzip member may follow
                            raw, member_open = inflate.unused_data, False
                            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    out.write(data)
                    written += len(data)
            if done:
                break
            more = resp.read1(piece)  # what has arrived, up to a piece
            if not more:
                raise failed("the answer ended inside the state")
            pending += more
        if member_open:
            raise failed("the compressed state is truncated")
        if not written:
            raise failed("the state is empty")
        return written
    except (OSError, http.client.HTTPException) as exc:
        raise failed(type(exc).__name__) from exc
    finally:
        conn.close()


def _by_original_block(entries: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """Consecutive journal entries mined in the same original block, as one group each."""
    groups: list[list[dict[str, str]]] = []
    for entry in entries:
        if groups and entry.get("block") and groups[-1][0].get("block") == entry.get("block"):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def _signal_group(pid: int, sig: int) -> None:
    """Signal the node's whole process group (it was started in a session of its own)."""
    try:
        os.killpg(pid, sig)
    except OSError:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _process_args(pid: int) -> list[str] | None:
    """A process's arguments from ``/proc`` ([] for a zombie or a vanished process); None where
    the system has no ``/proc`` to read them from."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return [] if Path("/proc/self/cmdline").exists() else None
    except OSError:
        return None
    return [a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0") if a]


def _process_cwd(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None


def _flag(args: list[str], name: str) -> str | None:
    """The value after ``name`` in a process's arguments."""
    for i, arg in enumerate(args[:-1]):
        if arg == name:
            return args[i + 1]
    return None


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
