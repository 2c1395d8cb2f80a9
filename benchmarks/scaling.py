"""``python -m benchmarks.scaling [--sizes 0,1000,10000] [--runs 5]``: how one question scales.

For each ledger size N it starts a fresh embedded node (temporary home), builds N confirmed
works and N licences directly through the SDK (registerBatch / confirmBatch of 200, list
licences of one work each sent pipelined to a bulk licensee, at most 200 in flight), then
times each single question as the median of ``--runs`` runs, in-process after the ledger is
open (what a command or the portal does after start-up):

  work show (Ledger.work), verify (hash a file, status + work), licence status (the
  contract's coverage view), licence list for a licensee (the read index), portal work page
  (Reader.work: record, holders, licences of the work, protection), portal licence check
  (Reader.licence_status), one register, one grant (duplicate check + grant, as the CLI does).

Before timing, the read index is synced to the head once and the sample work's history from
it is checked against ``eth_getLogs``' answer (a difference stops the run); "work history by
eth_getLogs" times the path the work questions took before the index (issue 15), on the same
ledger. Then the peak RSS of a process that opens the ledger and makes one write, and with
``--rebuild`` the time to build the read index from scratch. It prints a table with the ratio
largest/smallest per question. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.domain.licensing import Licensing
from ledger.portal.service import Reader
from tests.fixtures.chain import make_env

CID = b"\x01\x55\x12\x20" + b"\x66" * 32
CHUNK = 200


def _ids(seed: str, n: int) -> list[bytes]:
    return [hashlib.sha256(f"scale:{seed}:{i}".encode()).digest() for i in range(n)]


WINDOW = 1000  # transactions in flight at most (anvil stalls with thousands pipelined from one sender)
SEND_BATCH = 100  # raw transactions signed per round
SEND_BYTES = 400_000  # hex characters per JSON-RPC batch
STALL = 15.0  # seconds without progress before the unmined transactions are sent again and a block mined
BULK_GAS_LIMIT = 300_000_000  # block gas limit while the ledger is built (restored to 30M to measure)


def _pipelined(led: Any, fns: list[Any], *, gas: int | None = None) -> int:
    """Send the calls signed locally and pipelined, at most WINDOW in flight: before sending more,
    wait until the node has mined the oldest (its ``latest`` nonce); when nothing is mined for
    STALL seconds, send the unmined ones again (same nonce, same bytes) and mine a block by hand.
    Every receipt's status is checked at the end (batched). Returns the gas used."""
    if not fns:
        return 0
    chain, signer, rpc = led.chain, led.signer, led.rpc
    tx0 = chain.build(fns[0], signer)
    if gas is not None:
        tx0["gas"] = gas
    first = nonce = int(rpc.request("eth_getTransactionCount", [signer.address, "pending"]), 16)
    window: list[tuple[int, str, str]] = []  # (nonce, raw, hash) oldest first
    hashes: list[str] = []

    def settle(keep: int) -> None:
        """Wait until at most ``keep`` are unmined: the receipt of the newest one to retire is there
        (a sender's transactions are mined in nonce order)."""
        progress_at = time.monotonic()
        while len(window) > keep:
            target = window[len(window) - keep - 1]
            if rpc.request("eth_getTransactionReceipt", [target[2]]) is not None:
                del window[:len(window) - keep]
                break
            head_first = window[0]
            if rpc.request("eth_getTransactionReceipt", [head_first[2]]) is not None:
                window.pop(0)
                while window and window[0][0] < head_first[0]:
                    window.pop(0)
                progress_at = time.monotonic()
                continue
            if time.monotonic() - progress_at > STALL:  # a stall: send the unmined ones again, mine
                print(f"  no progress for {STALL:.0f} s: re-sending {len(window)} transactions and mining a "
                      "block by hand", file=sys.stderr)
                for _n, raw, _h in window:
                    try:
                        rpc.request("eth_sendRawTransaction", [raw])
                    except Exception:  # noqa: BLE001 - already known / already mined: fine
                        pass
                # seen at 100k (stop 12): anvil's interval miner stops mining with a full pool while
                # every transaction is valid and pending; `evm_mine` mines them (a dev node only)
                try:
                    rpc.request("evm_mine", [])
                except Exception:  # noqa: BLE001 - a node without evm_mine: the re-send is all we can do
                    pass
                progress_at = time.monotonic()
            time.sleep(0.1)

    for start in range(0, len(fns), SEND_BATCH):  # signed locally, sent SEND_BATCH per JSON-RPC batch
        if len(window) >= WINDOW:
            settle(WINDOW // 2)
        raws = []
        for fn in fns[start:start + SEND_BATCH]:
            tx = {**tx0, "data": chain.calldata(fn), "nonce": nonce}
            raws.append((nonce, "0x" + bytes(signer.sign_transaction(tx).raw_transaction).hex()))
            nonce += 1
        while raws:  # anvil refuses a request body of a few MB: at most SEND_BYTES of hex per batch
            part, size = [], 0
            while raws and (not part or size + len(raws[0][1]) < SEND_BYTES):
                size += len(raws[0][1])
                part.append(raws.pop(0))
            for (n, raw), reply in zip(part, rpc.batch([("eth_sendRawTransaction", [r]) for _n, r in part]),
                                       strict=True):
                if "result" not in reply:
                    raise RuntimeError(f"the node refused transaction nonce {n}: {reply.get('error')}")
                hashes.append(reply["result"])
                window.append((n, raw, reply["result"]))
    settle(0)
    chain.reset_nonce(signer.address)
    used = 0
    for i in range(0, len(hashes), 500):
        part = hashes[i:i + 500]
        for h, reply in zip(part, rpc.batch([("eth_getTransactionReceipt", [h]) for h in part]), strict=True):
            r = reply.get("result")
            if not r or int(r["status"], 16) != 1:
                raise RuntimeError(f"transaction {h} (nonce {first + hashes.index(h)}) failed or was lost: {r}")
            used += int(r["gasUsed"], 16)
    return used


def _mining(led: Any, interval: int | None) -> None:
    """Interval mining with big blocks for the bulk build (many transactions per block, like a
    QBFT network); automine and the usual 30M gas limit again for the measured questions."""
    rpc = led.rpc
    if interval:
        rpc.request("anvil_setBlockGasLimit", [hex(BULK_GAS_LIMIT)])
        rpc.request("evm_setAutomine", [False])
        rpc.request("evm_setIntervalMining", [interval])
    else:
        rpc.request("evm_setIntervalMining", [0])
        rpc.request("evm_setAutomine", [True])
        rpc.request("anvil_setBlockGasLimit", [hex(30_000_000)])


def build(env: Any, n: int, licences: int | None = None) -> tuple[str, str]:
    """N confirmed works held by alice, N list licences (one work each; ``licences`` of them
    when given) to a bulk licensee (bob); a sample work with a handful of licences to the
    measured licensee. Returns the sample work and that licensee."""
    alice, reg = env.ledger("alice"), env.ledger("registrar")
    addr = env.addresses["alice"]
    ids = _ids("bulk", n)
    lic = Licensing(alice)
    bulk = env.addresses["bob"]
    env.ledger("governor").grant_role("LICENSEE", bulk)
    now = lic.now()
    _mining(alice, 1)
    try:
        regs = [(h, CID, 2, 1, [(addr, 10000)]) for h in ids]
        t0 = time.monotonic()
        _pipelined(alice, [alice.registry.functions.registerBatch(regs[i:i + CHUNK]) for i in range(0, n, CHUNK)])
        _pipelined(reg, [reg.registry.functions.confirmBatch(ids[i:i + 500]) for i in range(0, n, 500)])
        print(f"  {n:,} works registered + confirmed in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        t0 = time.monotonic()
        terms = lic.terms(["reproduce"], scope="list", start=now)
        if ids:
            gas = int(alice.chain.build(lic.contract.functions.grant(bulk, [ids[0]], terms.as_tuple()),
                                        alice.signer)["gas"] * 1.1)
            m = n if licences is None else min(n, licences)
            for i in range(0, m, 10000):
                _pipelined(alice, [lic.contract.functions.grant(bulk, [h], terms.as_tuple())
                                   for h in ids[i:min(m, i + 10000)]], gas=gas)
                print(f"  {min(m, i + 10000):,} licences granted, {time.monotonic() - t0:.0f} s", file=sys.stderr)
    finally:
        _mining(alice, None)
    alice.chain.make_durable()
    # the sample: one work with a handful of licences, to the measured licensee
    (sample,) = _ids("sample", 1)
    alice.chain.transact(alice.registry.functions.registerBatch([(sample, CID, 2, 1, [(addr, 10000)])]), alice.signer)
    reg.chain.transact(reg.registry.functions.confirmBatch([sample]), reg.signer)
    wid = "0x" + sample.hex()
    for use in ("reproduce", "perform", "ai-training"):
        lic.grant(env.addresses["licensee"], [wid], lic.terms([use], start=now))
    return wid, env.addresses["licensee"]


def median_time(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm (opens connections, syncs the read index)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_of_one_write(env: Any, seed: str) -> float:
    """MB: a fresh process opens the ledger as alice and registers one work."""
    code = (
        "import hashlib, resource\nfrom pathlib import Path\n"
        "from ledger.core.config import load_settings, local_profile\n"
        "from ledger.domain.works import Ledger\n"
        f"s = load_settings(home=Path({str(env.home)!r}), network='local')\n"
        f"s = s.with_network(local_profile(port={env.port}))\n"
        f"led = Ledger.open(s, account='alice', password={env_password()!r})\n"
        f"h = hashlib.sha256({seed!r}.encode()).digest()\n"
        f"led.chain.transact(led.registry.functions.registerBatch([(h, {CID!r}, 2, 1, "
        "[(led.signer.address, 10000)])]), led.signer)\n"
        # VmHWM, not ru_maxrss: Linux carries a forked child's ru_maxrss over its exec, so it
        # reported this (measuring) process's size, 909 MB at 100k, for a write of 66 MB
        "hwm = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
        "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env.env(), timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"the one-write process failed: {p.stderr[-800:]}")
    return int(p.stdout.strip().splitlines()[-1]) / 1024


def env_password() -> str:
    from tests.fixtures.chain import PASSWORD

    return PASSWORD


def _open_env(home: Path, n: int, licences: int | None = None) -> tuple[Any, str, str, int]:
    """A built ledger of N works kept under ``home`` (``--keep``), else a new one built now.
    Returns (env, sample work, measured licensee, licences granted to the bulk licensee)."""
    import json

    from ledger.core.config import load_settings, local_profile
    from ledger.core.keystore import Keystore
    from ledger.core.node import EmbeddedNode
    from tests.fixtures.chain import ACCOUNTS, LedgerEnv, free_port

    record = home / "built.json"
    if record.exists():
        info = json.loads(record.read_text())
        port = free_port()
        settings = load_settings(home=home, network="local").with_network(local_profile(port=port))
        node = EmbeddedNode(settings.network, settings.chain_dir)
        # anvil reloaded from its state file may report another genesis hash: this home's own node
        # (on a fresh port) is recorded again rather than refused as another home's
        (settings.chain_dir / "genesis-hash").unlink(missing_ok=True)
        node.start(timeout=600)
        keystore = Keystore(settings.keys_dir)
        env = LedgerEnv(home, port, settings, node, {a: keystore.address_of(a) for a in ACCOUNTS})
        return env, info["work"], info["licensee"], int(info.get("licences", n))
    env = make_env(home)
    t0 = time.monotonic()
    wid, who = build(env, n, licences)
    m = n if licences is None else min(n, licences)
    print(f"  built {n:,} works + {m:,} licences in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    record.write_text(json.dumps({"n": n, "work": wid, "licensee": who, "licences": m}))
    return env, wid, who, m


def _attach_env(home: Path, port: int) -> tuple[Any, str, str, int]:
    """The node of a partly built ledger still running on ``port`` (a build stopped at the deadline):
    automine and the usual gas limit again, the sample work and its licences added if missing.
    Returns (env, sample work, measured licensee, licences granted to the bulk licensee)."""
    import json

    from ledger.core.config import load_settings, local_profile
    from ledger.core.keystore import Keystore
    from ledger.core.node import EmbeddedNode
    from tests.fixtures.chain import ACCOUNTS, LedgerEnv

    settings = load_settings(home=home, network="local").with_network(local_profile(port=port))
    node = EmbeddedNode(settings.network, settings.chain_dir)
    keystore = Keystore(settings.keys_dir)
    env = LedgerEnv(home, port, settings, node, {a: keystore.address_of(a) for a in ACCOUNTS})
    alice = env.ledger("alice")
    _mining(alice, None)
    alice.rpc.request("evm_mine")  # what interval mining left in the pool (automine mines only new ones)
    lic = Licensing(alice)
    record = home / "attached.json"
    if record.exists():
        info = json.loads(record.read_text())
        return env, info["work"], info["licensee"], info["bulk"]
    bulk = int(alice.call(lic.contract.functions.licenceCount()))
    (sample,) = _ids("sample", 1)
    addr = env.addresses["alice"]
    wid = "0x" + sample.hex()
    if alice.status_of(wid) == 0:
        alice.chain.transact(alice.registry.functions.registerBatch([(sample, CID, 2, 1, [(addr, 10000)])]),
                             alice.signer)
    if alice.status_of(wid) == 1:
        reg = env.ledger("registrar")
        reg.chain.transact(reg.registry.functions.confirmBatch([sample]), reg.signer)
    for use in ("reproduce", "perform", "ai-training"):
        lic.grant(env.addresses["licensee"], [wid], lic.terms([use], start=lic.now()))
    record.write_text(json.dumps({"work": wid, "licensee": env.addresses["licensee"], "bulk": bulk}))
    return env, wid, env.addresses["licensee"], bulk


def measure(n: int, runs: int, keep: Path | None = None, attach: int | None = None,
            licences: int | None = None, rebuild: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        home = (keep / str(n)) if keep is not None else Path(tmp) / "home"
        if attach:
            env, wid, who, granted = _attach_env(home, attach)
        else:
            env, wid, who, granted = _open_env(home, n, licences)
        try:
            alice = env.ledger("alice")
            lic = Licensing(alice)
            reader = Reader(env.settings)
            sample_file = Path(tmp) / "sample.txt"
            sample_file.write_text("a work on disk")
            from ledger.domain.works import sha256_of_file

            counter = iter(range(10**9))
            # the read index: brought to the head once (a kept ledger's index of an older schema is
            # rebuilt from the events here), then every question syncs only the blocks after it
            t0 = time.monotonic()
            idx = alice.read_index()
            before = idx.synced_block
            state = idx.sync()
            print(f"  read index synced blocks {before + 1:,}..{state.synced_block:,} in {time.monotonic() - t0:.1f} s"
                  f" ({idx.count('work_logs'):,} per-work events)", file=sys.stderr)
            # a wrong history stops the run: the index's answer must be eth_getLogs' answer
            if not alice.work_events(wid) or alice.work_events(wid) != alice.work_events_from_chain(wid):
                raise RuntimeError(f"work {wid}: the read index's history differs from eth_getLogs'")

            def verify() -> None:
                digest = sha256_of_file(sample_file)
                alice.status_of("0x" + digest)
                alice.work(wid)

            def register() -> None:
                h = hashlib.sha256(f"scale:one:{n}:{time.time_ns()}:{next(counter)}".encode()).digest()
                alice.chain.transact(alice.registry.functions.registerBatch(
                    [(h, CID, 2, 1, [(alice.signer.address, 10000)])]), alice.signer)

            def grant() -> None:
                terms = lic.terms(["perform"], start=lic.now() + next(counter) + 10)
                if lic.identical_licence(who, [wid], terms) is None:
                    lic.grant(who, [wid], terms)

            bulk_work = "0x" + _ids("bulk", n)[granted - 1].hex() if granted else wid  # the last one licensed
            bulk_who = env.addresses["bob"] if granted else who

            def bulk_status(ask: Callable[..., Any]) -> None:
                answer = ask(bulk_work, bulk_who, "reproduce")
                covered = answer["covered"] if isinstance(answer, dict) else answer.covered
                if not covered:  # every one of the N licences covers its work: a wrong answer stops the run
                    raise RuntimeError(f"work {bulk_work} reads as not covered for {bulk_who}: {answer}")

            questions = {
                "work show": lambda: alice.work(wid),
                "work history by eth_getLogs (the path before the index)": lambda: alice.work_events_from_chain(wid),
                "verify": verify,
                "licence status": lambda: lic.status(wid, who, "reproduce"),
                "licence list (licensee)": lambda: lic.licences_for(licensee=who),
                "portal work page": lambda: reader.work(wid),
                "portal licence check": lambda: reader.licence_status(wid, who, "reproduce"),
                "licence status (licensee holding N)": lambda: bulk_status(lic.status),
                "portal licence check (licensee holding N)": lambda: bulk_status(reader.licence_status),
                "one register": register,
                "one grant": grant,
                # the node's own floor under every write: anvil mining one empty block (it recomputes
                # its state root over the whole state per block; a QBFT node keeps an incremental trie)
                "node: one empty block mined (evm_mine)": lambda: alice.rpc.request("evm_mine"),
            }
            out = {name: median_time(fn, runs) for name, fn in questions.items()}
            out["peak RSS of one write (MB)"] = peak_rss_of_one_write(env, f"rss:{n}:{time.time_ns()}")
            if rebuild:  # the one-time cost of a new or deleted index (a file of its own: the kept one stays)
                from ledger.domain.index import ReadIndex

                t0 = time.monotonic()
                ReadIndex(alice, Path(tmp) / "rebuild.sqlite").sync()
                out["read index built from scratch (s)"] = time.monotonic() - t0
            out["licences of the bulk licensee"] = granted
            return out
        finally:
            if not attach:
                env.node.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="0,1000,10000", help="ledger sizes, comma-separated")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--keep", type=Path, default=None,
                   help="keep each built ledger in KEEP/N and reuse it on the next run (building 100k takes long)")
    p.add_argument("--build-only", action="store_true", help="with --keep: build the ledgers, measure nothing")
    p.add_argument("--attach", default="", metavar="N:PORT",
                   help="with --keep: measure size N on the node of KEEP/N still running on PORT (a build "
                        "stopped before its end: the licences granted so far are counted and reported)")
    p.add_argument("--licences", type=int, default=None, metavar="M",
                   help="grant the bulk licensee M licences instead of N (a 100k ledger's 100k licences take hours "
                        "here; the work questions depend on the works and the chain, not on these licences)")
    p.add_argument("--rebuild", action="store_true",
                   help="also time building the read index from scratch (once, into a file of its own)")
    args = p.parse_args(argv)
    if args.build_only:
        if args.keep is None:
            p.error("--build-only needs --keep DIR")
        for n in (int(s) for s in args.sizes.split(",")):
            env, *_ = _open_env(args.keep / str(n), n, args.licences)
            env.node.stop(timeout=600)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        print(f"ledger of {n:,} works and licences", file=sys.stderr)
        port = int(args.attach.split(":")[1]) if args.attach and int(args.attach.split(":")[0]) == n else None
        results[n] = measure(n, args.runs, args.keep, port, args.licences, args.rebuild)
        print("  " + ", ".join(f"{k}: {v:.3f}" for k, v in results[n].items()), file=sys.stderr)
    names = list(results[sizes[0]])
    head = "| question | " + " | ".join(f"{n:,}" for n in sizes) + " | ratio largest/smallest |"
    print(head)
    print("|" + " --- |" * (len(sizes) + 2))
    for name in names:
        vals = [results[n][name] for n in sizes]
        cells = [f"{v:.0f}" if "MB" in name else f"{v:,}" if name.startswith("licences of") else
                 f"{v:.1f} s" if name.endswith("(s)") else f"{v * 1000:.0f} ms"
                 for v in vals]
        ratio = vals[-1] / vals[0] if vals[0] else float("nan")
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    print(f"(peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
