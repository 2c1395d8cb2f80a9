"""``python -m benchmarks.run [--quick | --full]``: measure, print a table, write the results.

1. gas per registered + confirmed work: single calls and batches of 10/100/500, against
   the naive baseline (one OpenZeppelin ERC721URIStorage mint per work, ``ipfs://`` URI);
2. works registered *and* confirmed per second, end to end, on anvil with a 2 s block time
   and a 30M block gas limit (like a QBFT network), against the ceiling
   ``block gas limit / gas per work / block time``; 1k and 10k works (100k with --full);
3. licence checks per second (only when ``ledger.licensing.check_many`` exists);
4. replay: events per second fetched (eth_getLogs, 5,000-block chunks) and decoded
   (EventDecoder) over the whole history, at growing history sizes.

Every node is started here (EmbeddedNode on a free port in a temporary home) and stopped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.content.canonical import canonical_json
from ledger.content.cid import cid_for_bytes, cid_to_bytes
from ledger.content.metadata import build_work_metadata
from ledger.core.config import REPO_ROOT, Settings, load_settings, local_profile
from ledger.core.errors import LedgerError
from ledger.core.keystore import Keystore
from ledger.core.node import EmbeddedNode
from ledger.core.types import Holder, WorkId
from ledger.domain.batch import BatchConfirmer, BatchProgress, BatchRegistrar, CatalogueRow, statuses_of
from ledger.domain.works import Ledger

PASSWORD = "bench-password"
BLOCK_GAS_LIMIT = 30_000_000
BLOCK_TIME = 2
RESULTS = REPO_ROOT / "benchmarks" / "results" / "latest.json"
DOC = REPO_ROOT / "docs" / "BENCHMARKS.md"
GOAL_SINGLE_RATIO = 0.60
GOAL_BATCH_GAS = 40_000
GOAL_CEILING_SHARE = 0.80
GOAL_REPLAY = 20_000
GOAL_CHECKS = 5_000


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- environments --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BenchEnv:
    settings: Settings
    node: EmbeddedNode
    gov: Ledger
    cmo: Ledger
    registrar: Ledger
    holder: str

    def open(self, account: str) -> Ledger:
        return Ledger.open(self.settings, account=account, password=PASSWORD)

    def node_pid(self) -> int | None:
        return self.node.status().pid


@contextmanager
def bench_env(block_time: int | None) -> Iterator[BenchEnv]:
    """A fresh node (own port, own temp home), contracts deployed, a CMO and a registrar."""
    home = Path(tempfile.mkdtemp(prefix="rl-bench-"))
    os.environ.setdefault("RIGHTS_LEDGER_KDF_N", "1024")
    real = sorted(REPO_ROOT.glob("node_modules/@foundry-rs/anvil-*/bin/anvil"))
    if real:  # the real binary, not the npm wrapper: one process to stop
        os.environ.setdefault("RIGHTS_LEDGER_ANVIL", str(real[0]))
    build = home / "build"  # a snapshot: other work may recompile build/contracts meanwhile
    shutil.copytree(REPO_ROOT / "build" / "contracts", build)
    if (REPO_ROOT / "build" / "abi").is_dir():  # the slim ABI files (with precomputed selectors)
        shutil.copytree(REPO_ROOT / "build" / "abi", home / "abi")
    settings = load_settings(home=home, network="local")
    settings = Settings(home, local_profile(port=_free_port(), block_time=block_time), None, build)
    ks = Keystore(settings.keys_dir)
    for name in ("governor", "cmo", "registrar", "holder"):
        ks.create(name, PASSWORD)
    node = EmbeddedNode(settings.network, settings.chain_dir)
    try:
        gov = Ledger.open(settings, account="governor", password=PASSWORD)
        gov.grant_role("CMO", ks.address_of("cmo"))
        gov.grant_role("REGISTRAR", ks.address_of("registrar"))
        cmo = Ledger.open(settings, account="cmo", password=PASSWORD)
        reg = Ledger.open(settings, account="registrar", password=PASSWORD)
        yield BenchEnv(settings, node, gov, cmo, reg, ks.address_of("holder"))
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


_counter = 0


def make_rows(n: int, holder: str) -> list[CatalogueRow]:
    """n distinct, schema-valid works held by one holder (one packed slot each)."""
    global _counter
    rows = []
    for i in range(n):
        _counter += 1
        sha = hashlib.sha256(f"bench-{os.getpid()}-{time.time_ns()}-{_counter}".encode()).hexdigest()
        doc = build_work_metadata(
            title=f"Benchmark work {_counter}", creators=[{"name": "Ana Lima", "role": "composer"}],
            work_type="music", content_sha256=sha, identifiers={"isrc": "USABC2400001"}, creation_date="2024-03-01",
        )  # fmt: skip
        rows.append(CatalogueRow(i + 1, WorkId("0x" + sha), doc, (Holder(holder, 10000),)))
    return rows


# --- 1. gas ------------------------------------------------------------------------------------


def bench_gas(env: BenchEnv, sizes: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # the naive baseline: one ERC721URIStorage mint per work with an ipfs:// URI
    from ledger.core.artifacts import load_artifact

    art = load_artifact(env.settings.build_dir, "NaiveWorkNFT")
    signer = env.cmo.require_signer()
    address, _ = env.cmo.chain.deploy(art.abi, art.bytecode, [], signer)
    nft = env.cmo.w3.eth.contract(address=address, abi=art.abi)
    mints = []
    for row in make_rows(6, env.holder):
        cid = cid_for_bytes(canonical_json(dict(row.metadata)))
        # sent and awaited without decoding the receipt: the NFT's Transfer (three indexed
        # arguments) has the signature of the settlement token's ERC-20 Transfer (two)
        chain = env.cmo.chain
        tx = chain.send(chain.build(nft.functions.mint(env.holder, f"ipfs://{cid}"), signer), signer)
        receipt = env.cmo.w3.eth.wait_for_transaction_receipt(tx, timeout=120, poll_latency=0.05)
        assert receipt["status"] == 1, f"the baseline mint {tx} reverted"
        mints.append(int(receipt["gasUsed"]))
    baseline = sum(mints[1:]) / len(mints[1:])  # steady state: the first mint also creates the counter
    out["baseline"] = {"first_mint": mints[0], "mint": round(baseline)}

    # single: a verified rights holder registers its own work, a registrar confirms it
    env.registrar.verify_holder(env.holder, "Ana Lima")
    holder = Ledger.open(env.settings, account="holder", password=PASSWORD)
    singles_r, singles_c = [], []
    for row in make_rows(5, env.holder):
        r = holder.register_work(dict(row.metadata), row.holders)
        c = env.registrar.confirm_work(row.work_id)
        singles_r.append(r.gas_used)
        singles_c.append(c.gas_used)
    single = {"register": round(sum(singles_r) / 5), "confirm": round(sum(singles_c) / 5)}
    single["total"] = single["register"] + single["confirm"]
    single["ratio_to_baseline"] = round(single["total"] / baseline, 3)
    out["single"] = single

    tmp = Path(tempfile.mkdtemp(prefix="rl-bench-journal-"))
    for n in sizes:
        rows = make_rows(n, env.holder)
        rs = BatchRegistrar(env.cmo, tmp / f"gas-{n}.jsonl", batch_size=n, max_in_flight=1).run(rows)
        cs = BatchConfirmer(env.registrar, tmp / f"gas-c-{n}.jsonl", batch_size=n, max_in_flight=1).run(
            [r.work_id for r in rows]
        )
        assert rs.registered == n and cs.registered == n, (rs, cs)
        per = {"register": round(rs.gas_used / n), "confirm": round(cs.gas_used / n)}
        per["total"] = per["register"] + per["confirm"]
        per["ratio_to_baseline"] = round(per["total"] / baseline, 3)
        out[f"batch_{n}"] = per
    shutil.rmtree(tmp, ignore_errors=True)
    return out


# --- 2. throughput -------------------------------------------------------------------------------


def _stream_confirm(env: BenchEnv, ids: queue.Queue[Any], batch: int, in_flight: int, result: dict[str, Any]) -> None:
    """The registrar confirms works as their registrations are mined (own thread, own connection)."""
    led = env.open("registrar")
    chain, signer, fn = led.chain, led.require_signer(), led.registry.functions.confirmBatch
    buffer: list[str] = []
    pending: list[tuple[str, list[str], float]] = []  # (tx hash, works, sent at)
    producer_done = False
    confirmed = gas = stalls = 0
    while True:
        while True:
            try:
                item = ids.get_nowait()
            except queue.Empty:
                break
            if item is None:
                producer_done = True
            else:
                buffer.extend(item)
        # settle mined confirmations
        still = []
        lost: list[list[str]] = []
        for tx, works, sent_at in pending:
            receipt = chain.request("eth_getTransactionReceipt", [tx])
            if receipt is None:  # not mined yet; after STALL seconds: lost (send again) or stuck (mine a block)
                if time.monotonic() - sent_at > STALL:
                    stalls += 1
                    if chain.request("eth_getTransactionByHash", [tx]) is None:
                        lost.append(works)
                        continue
                    chain.request("evm_mine")
                    sent_at = time.monotonic()
                still.append((tx, works, sent_at))
                continue
            gas += int(receipt["gasUsed"], 16)
            confirmed += int(int(receipt["status"], 16) == 1) * len(receipt["logs"])
        pending = still
        if lost:  # the node dropped them: their works go back to the front, the nonce is read again
            buffer = [w for works in lost for w in works] + buffer
            chain.reset_nonce(signer.address)
        send = buffer and len(pending) < in_flight and (len(buffer) >= batch or producer_done or not pending)
        if send:
            chunk, buffer = buffer[:batch], buffer[batch:]
            call = fn([bytes.fromhex(w[2:]) for w in chunk])
            est = int(chain.call(lambda c=call: c.estimate_gas({"from": signer.address})))
            pending.append((chain.send(chain.build(call, signer, gas=int(est * 1.1) + 20_000), signer), chunk,
                            time.monotonic()))
            continue
        if producer_done and not buffer and not pending:
            break
        time.sleep(0.02)
    result.update(confirmed=confirmed, gas=gas, finished=time.monotonic(), stalls=stalls)


STALL = 60.0  # seconds a transaction may stay unmined before it is re-sent or a block is mined
RESUMES = 5  # a stalled batch run is resumed from its journal this many times
SLICE = 100_000  # catalogue rows built and registered at a time (bounds memory at 1M works)


def _peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process in MB; this process when ``pid`` is None."""
    try:
        for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _register_resuming(registrar: BatchRegistrar, rows: list[CatalogueRow], env: BenchEnv,
                       on_progress: Any) -> tuple[Any, int]:
    """``registrar.run``; a run stopped by a stalled node is resumed from its journal (pending
    transactions awaited, lost ones sent again) after mining a block, up to RESUMES times."""
    for attempt in range(RESUMES + 1):
        try:
            return registrar.run(rows, progress=on_progress), attempt
        except LedgerError as exc:
            if attempt == RESUMES:
                raise
            say(f"    stalled ({' '.join(exc.message.split())[:120]}); mining a block, resuming from the journal")
            try:
                env.gov.chain.request("evm_mine")
            except LedgerError:
                pass
    raise AssertionError("unreachable")


def bench_throughput(env: BenchEnv, n: int, gas_per_work: float) -> dict[str, Any]:
    """Register (CMO) and confirm (registrar, pipelined behind) n works; works/s end to end.

    The catalogue is built and registered SLICE rows at a time (one journal each), so a run of
    1,000,000 works holds at most SLICE rows in memory; a stall is recovered, never given up on."""
    say(f"  throughput: {n:,} works at {BLOCK_TIME} s blocks ...")
    ids: queue.Queue[Any] = queue.Queue()
    result: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="rl-bench-journal-"))
    confirmer = threading.Thread(target=_stream_confirm, args=(env, ids, 500, 3, result), daemon=True)
    head0 = env.gov.chain.block_number()
    t0 = time.monotonic()
    confirmer.start()

    def on_progress(p: BatchProgress) -> None:
        if p.work_ids:
            ids.put(list(p.work_ids))

    kept: list[str] = []
    reg_gas = reg_works = resumes = 0
    reg_seconds = 0.0
    try:
        for start in range(0, n, SLICE):
            rows = make_rows(min(SLICE, n - start), env.holder)
            # 3 register batches of 280 (about 8.7M gas each) and a confirm batch of 500 (about 3.9M)
            # fill a 30M block; bigger batches would leave a block half empty
            registrar = BatchRegistrar(env.open("cmo"), tmp / f"tp-{start}.jsonl", batch_size=280, max_in_flight=6)
            summary, resumed = _register_resuming(registrar, rows, env, on_progress)
            resumes += resumed
            reg_gas += summary.gas_used
            reg_works += summary.registered
            reg_seconds += summary.seconds
            if len(kept) < SLICE:
                kept.extend(str(r.work_id) for r in rows[:SLICE - len(kept)])
            del rows, registrar
            if n > SLICE:
                say(f"    {start + min(SLICE, n - start):,} works registered, peak RSS {_peak_rss_mb():.0f} MB")
    finally:
        ids.put(None)
        confirmer.join()
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = result["finished"] - t0
    blocks = env.gov.chain.block_number() - head0
    if n <= SLICE:
        status = statuses_of(env.gov, kept)
        confirmed = sum(1 for s in status.values() if s == 2)
    else:  # counted from the confirmations' receipts (one WorkConfirmed log per work)
        confirmed = int(result["confirmed"])
    ceiling = BLOCK_GAS_LIMIT / gas_per_work / BLOCK_TIME
    rate = confirmed / seconds
    return {
        "works": n, "confirmed": confirmed, "seconds": round(seconds, 2), "blocks": blocks,
        "works_per_s": round(rate, 1), "ceiling_per_s": round(ceiling, 1), "share_of_ceiling": round(rate / ceiling, 3),
        "register_gas_per_work": round(reg_gas / max(1, reg_works)), "confirm_gas_per_work": round(result["gas"] / n),
        "register_seconds": round(reg_seconds, 3), "resumes": resumes, "confirm_stalls": result.get("stalls", 0),
        "peak_rss_mb": round(_peak_rss_mb()), "node_peak_rss_mb": round(_peak_rss_mb(env.node_pid())),
        "_ids": kept,
    }  # fmt: skip


# --- 3. licence checks ---------------------------------------------------------------------------


def bench_licensing(env: BenchEnv, work_ids: list[str], pairs: int) -> dict[str, Any]:
    """``Licensing.check_many`` over ``pairs`` random (work, use) questions: a statutory tariff
    for AI training, list licences over the first works for reproduction, nothing for
    broadcast; the index is built once from the events (timed apart)."""
    import random

    from ledger.core.types import uses_to_mask
    from ledger.domain.licensing import SCOPE_LIST, Licensing, Terms

    say(f"  licence checks: {pairs:,} pairs over {len(work_ids):,} works ...")
    licensee = env.gov.keystore.create("bench-licensee", PASSWORD).address
    env.gov.grant_role("LICENSEE", licensee)
    Licensing(env.gov).set_tariff("ai-training", 1, 86_400)
    env.registrar.verify_holder(env.holder, "Ana Lima")
    holder_ledger = Ledger.open(env.settings, account="holder", password=PASSWORD)
    holder = Licensing(holder_ledger)
    now = holder.now()
    terms_cid = cid_to_bytes(holder_ledger.store.add(b"Benchmark licence terms: reproduction, non-exclusive."))
    for start in range(0, min(1000, len(work_ids)), 500):
        holder.grant(licensee, work_ids[start:start + 500],
                     Terms(scope=SCOPE_LIST, uses=uses_to_mask(("reproduce",)), start=now, terms_cid=terms_cid))
    rng = random.Random(7)
    questions = [(rng.choice(work_ids), rng.choice(("reproduce", "ai-training", "broadcast"))) for _ in range(pairs)]
    lic = Licensing(env.gov)
    t0 = time.monotonic()
    index = lic.index()
    index_s = time.monotonic() - t0
    t0 = time.monotonic()
    covered = sum(1 for c in lic.check_many(questions, licensee=licensee, index=index) if c.covered)
    seconds = time.monotonic() - t0
    return {"pairs": pairs, "covered": covered, "index_seconds": round(index_s, 3), "seconds": round(seconds, 3),
            "checks_per_s": round(pairs / seconds) if seconds else 0}


# --- 4. replay ------------------------------------------------------------------------------------


def bench_replay(env: BenchEnv) -> dict[str, Any]:
    """The audit replay itself (``ledger.audit.replay``): fetch in 5,000-block chunks, decode,
    rebuild the state from events alone; the checks against views are timed apart."""
    from ledger.audit import run_checks
    from ledger.audit.core import replay

    led = env.gov
    state, first, last, seconds, _ = replay(led)
    events = state.events
    t0 = time.monotonic()
    mismatches = run_checks(state, led, skip=("blobs",))
    check_s = time.monotonic() - t0
    return {"events": events, "blocks": last - first + 1, "seconds": round(seconds, 3),
            "events_per_s": round(events / seconds) if seconds else 0, "check_seconds": round(check_s, 3),
            "mismatches": len(mismatches)}


# --- report --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        anvil = subprocess.run([os.environ.get("RIGHTS_LEDGER_ANVIL", "anvil"), "--version"], capture_output=True,
                               text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        anvil = "unknown"
    return {"nproc": os.cpu_count(), "memory": mem, "cpu": model, "python": platform.python_version(),
            "anvil": anvil, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def table_lines(res: dict[str, Any]) -> list[str]:
    g = res["gas"]
    base = g["baseline"]["mint"]
    lines = ["| measure | value | goal | met |", "|---|---:|---|---|"]
    lines.append(f"| baseline: NaiveWorkNFT mint (ERC721URIStorage, ipfs:// URI), gas/work | {base:,} | - | - |")
    s = g["single"]
    lines.append(f"| single register + confirm, gas/work | {s['total']:,} ({s['register']:,} + {s['confirm']:,}) "
                 f"= {s['ratio_to_baseline']:.0%} of baseline | <= 60% of baseline | "
                 f"{'yes' if s['ratio_to_baseline'] <= GOAL_SINGLE_RATIO else 'no'} |")
    for k, v in g.items():
        if k.startswith("batch_"):
            lines.append(f"| batch of {k[6:]}: register + confirm, gas/work | {v['total']:,} ({v['register']:,} + "
                         f"{v['confirm']:,}) = {v['ratio_to_baseline']:.0%} of baseline | <= 40,000 | "
                         f"{'yes' if v['total'] <= GOAL_BATCH_GAS else 'no'} |")
    for t in res["throughput"]:
        if "error" in t:
            lines.append(f"| {t['works']:,} works registered + confirmed at 2 s / 30M | not measured: {t['error']} | "
                         ">= 80% of ceiling | no |")
            continue
        recovered = (f"; {t['resumes']} stall(s) recovered by resuming from the journal"
                     if t.get("resumes") else "") + (f"; {t['confirm_stalls']} confirmation(s) re-sent or nudged"
                                                      if t.get("confirm_stalls") else "")
        rss = (f"; peak RSS {t['peak_rss_mb']:,} MB (benchmark), {t['node_peak_rss_mb']:,} MB (anvil)"
               if t.get("peak_rss_mb") and t["works"] > 10_000 else "")
        lines.append(f"| {t['works']:,} works registered + confirmed at 2 s / 30M: works/s | {t['works_per_s']:,} "
                     f"in {t['seconds']} s, {t['blocks']} blocks = {t['share_of_ceiling']:.0%} of ceiling "
                     f"{t['ceiling_per_s']:,}/s{recovered}{rss} | >= 80% of ceiling | "
                     f"{'yes' if t['share_of_ceiling'] >= GOAL_CEILING_SHARE else 'no'} |")
    lic = res["licensing"]
    if "checks_per_s" in lic:
        lines.append(f"| licence checks/s (bulk, {lic['pairs']:,} pairs) | {lic['checks_per_s']:,} "
                     f"(index built in {lic['index_seconds']} s) | >= 5,000 | "
                     f"{'yes' if lic['checks_per_s'] >= GOAL_CHECKS else 'no'} |")
    else:
        lines.append(f"| licence checks/s | {lic.get('skipped')} | - | - |")
    for r in res["replay"]:
        lines.append(f"| replay {r['events']:,} events ({r['blocks']:,} blocks): fetched + decoded events/s | "
                     f"{r['events_per_s']:,} in {r['seconds']} s | >= 20,000 | "
                     f"{'yes' if r['events_per_s'] >= GOAL_REPLAY else 'no'} |")
    return lines


def write_doc(res: dict[str, Any], command: str) -> None:
    m = res["machine"]
    g = res["gas"]
    big = max((k for k in g if k.startswith("batch_")), key=lambda k: int(k[6:]), default=None)
    reg_batch = g[big]["register"] if big else 0
    floor = 20_000 + 2_100
    tp = [t for t in res["throughput"] if "error" not in t]
    growth = ""
    if len(tp) >= 2:
        growth = (f"Rate at {tp[0]['works']:,} works: {tp[0]['works_per_s']:,}/s; at {tp[-1]['works']:,}: "
                  f"{tp[-1]['works_per_s']:,}/s (time {tp[0]['seconds']} s vs {tp[-1]['seconds']} s for "
                  f"{tp[-1]['works'] // tp[0]['works']}x the works).")
    rp = res["replay"]
    rgrowth = ""
    if len(rp) >= 2:
        rgrowth = " ".join(f"{r['events']:,} events in {r['seconds']} s ({r['events_per_s']:,}/s);" for r in rp)
    load = ""
    if "load_before" in res:
        load = (f" Load average (1 min) {res['load_before']} before the run, {res['load_after']} after: with "
                f"more than {m['nproc']} the machine was shared and the rates are lower bounds.")
    text = f"""# Benchmarks

Generated by `{command}` on {m['date']}. Do not edit by hand: rerun the command
(`make bench`, or `python -m benchmarks.run --quick` for a two-minute run, `--full` for
100k works and a 200k-event replay).

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, Python {m['python']}, {m['anvil']}.{load}

{chr(10).join(table_lines(res))}

## How it is measured

* **Gas** comes from receipts on anvil (instant mining), fresh content for every work,
  averaged per work, confirmation by a registrar. "Single" is a verified holder registering its
  own work (`registerSole`: one packed slot, the metadata CID as a 32-byte digest) plus
  `confirm`, one transaction each; batches are a CMO's `registerSoleBatch` for one sole holder
  plus one `confirmBatch` of N works. The registry checks roles in its own mirror of
  LedgerRoles (a storage read instead of an external call). The baseline is
  `contracts/benchmarks/NaiveWorkNFT.sol`, one `mint(to, "ipfs://<CIDv1 of the metadata>")`
  per work (steady state; the very first mint also creates the token counter:
  {g['baseline']['first_mint']:,} gas). The baseline has no confirmation step at all, so the
  comparison is generous to it.
* **Works per second** is end to end: metadata documents stored in the local store, batches of
  280 registered by `ledger.batch.BatchRegistrar` (6 transactions in flight: three 8.4M-gas
  batches and a confirmation batch fill a 30M block), and the works confirmed by the registrar (a second sender,
  batches of up to 500, 3 in flight) as soon as their
  registration is mined; the clock stops at the last confirmation receipt. anvil mines a block
  every 2 s with a 30M gas limit, like a QBFT network. The ceiling is
  `30,000,000 / (register + confirm gas per work) / 2 s`. Small runs are dominated by latency:
  a work needs at least two blocks (registration, then confirmation) plus the wait for the
  next block boundary, which is why 1k works sit further from the ceiling than 10k.
  {growth}
* **Replay** is the audit replay itself (`ledger.audit.core.replay`: raw `eth_getLogs` in
  5,000-block chunks over every ledger contract, fast decoding, every reducer), from the
  deployment block to the head, measured after each throughput run so the history grows; the
  checks against the contracts' views are timed apart. {rgrowth}
* **Licence checks**: `Licensing.check_many` answers 100k random (work, use) questions about the
  works of the throughput run (a statutory AI-training tariff, list licences for reproduction
  over the first 1,000 works, nothing for broadcast) from one in-memory index rebuilt from the
  events; building the index is timed apart.

## How close to the storage floor

A registration must at least (a) refuse a duplicate and (b) answer "who owns this?" later.
Both need one storage slot per work, keyed by the content hash: a fresh slot costs 20,000 gas
(SSTORE from zero) plus 2,100 for the cold access that checks it is empty: **{floor:,} gas
per work is the floor**. The registry stores exactly that for a sole-held work (holder, status,
type, creation mode, holder count and time packed into one slot); the metadata CID is not
stored, it travels only in the `WorkRegistered` event (its audit trail), so it costs log and
calldata gas, not storage. In batches of {big[6:] if big else '-'} a registration costs
{reg_batch:,} gas per work, {reg_batch / floor:.2f}x the floor; the rest is the event
(topics + data with the CID and holders), calldata and the per-work checks. Confirmation
rewrites the same slot (warm after the cold read: 2,100 + 2,900 + event), about
{g[big]['confirm']:,} gas per work in batches. The naive NFT stores the owner, the balance and the
URI string (three slots for a 66-byte `ipfs://` URI) plus the ERC-721 events.

## Batch registration from the command line

```
rights-ledger --as cmo work register-batch catalogue.csv [--batch-size 200] [--max-in-flight 8] [--json]
rights-ledger --as registrar work confirm-batch catalogue.csv | --all-pending [--json]
```

A catalogue is CSV with a header (or JSON lines): `file` (relative to the catalogue) or
`sha256`, `title`, `creators` (`Name:role;Name2:role`), `type`, `creation` (default `human`),
`holders` (`0xADDR:BPS;...`, default the signer), optional `isrc`, `iswc`, `isbn`, `date`,
`models` (`name@version;...`, required for AI works). Every row is validated first; an
invalid row stops the run (exit 2) naming `file:line:field`, before anything is stored or
sent. Identical duplicate rows are skipped with a note; the same content with different
details is refused. The journal is `<home>/journals/<network>/<catalogue sha-256>.jsonl`;
rerun the same command after any interruption: works already on chain are skipped (and
reported as already registered), transactions still pending are awaited, lost ones re-sent.
For full blocks keep `batch size x max in flight` above the block gas limit's worth of works
(about 880 registrations of 34k gas fit a 30M block).
"""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text + kept_sections(DOC.read_text() if DOC.exists() else "", text))


def kept_sections(old: str, generated: str) -> str:
    """The sections of the existing doc this run does not write (contract sizes, the issues' own
    measurements ...): from its first ``## `` heading that the generated part does not have, to the end."""
    ours = {line for line in generated.splitlines() if line.startswith("## ")}
    lines = old.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("## ") and line.rstrip("\n") not in ours:
            return "\n" + "".join(lines[i:])
    return ""


def print_table(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Rights Ledger benchmarks")
    for col in ("measure", "value", "goal", "met"):
        t.add_column(col, overflow="fold")
    for line in table_lines(res)[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        t.add_row(*cells)
    Console().print(t)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="about two minutes: 1k works, small replay")
    p.add_argument("--full", action="store_true", help="add 100k works and a >= 200k-event replay")
    p.add_argument("--catalogue", type=int, default=100_000, metavar="N",
                   help="with --full: the size of the big throughput run (e.g. 1000000; rows are built "
                        f"{SLICE:,} at a time, peak RSS reported)")
    args = p.parse_args(argv)
    command = "python -m benchmarks.run" + (" --quick" if args.quick else "") + (" --full" if args.full else "")
    t0 = time.monotonic()
    res: dict[str, Any] = {"command": command, "load_before": round(os.getloadavg()[0], 2)}
    say("gas (instant mining) ...")
    with bench_env(block_time=None) as env:
        res["gas"] = bench_gas(env, (10, 100, 500))
    g = res["gas"]
    gas_per_work = g["batch_500"]["total"]
    sizes = [1000] if args.quick else [1000, 10_000]
    if args.full:
        sizes.append(args.catalogue)
    res["throughput"], res["replay"] = [], []
    with bench_env(block_time=BLOCK_TIME) as env:
        ids: list[str] = []
        for n in sizes:
            try:
                t = bench_throughput(env, n, gas_per_work)
            except LedgerError as exc:  # a stalled node: report it, keep the figures measured so far
                say(f"  {n} works: stopped: {exc}")
                res["throughput"].append({"works": n, "error": str(exc)})
                break
            ids.extend(t.pop("_ids"))
            res["throughput"].append(t)
            if n <= SLICE:  # the audit state of a million works is held in memory: replayed apart (--full)
                say(f"  replay after {n} works ...")
                res["replay"].append(bench_replay(env))
        say("licence checks ...")
        res["licensing"] = bench_licensing(env, ids, 100_000)
    if args.full:  # a >= 200k-event history, built with instant mining, replayed
        with bench_env(block_time=None) as env:
            n = 100_000
            say(f"  replay history: {n:,} works registered and confirmed (instant mining) ...")
            rows = make_rows(n, env.holder)
            tmp = Path(tempfile.mkdtemp(prefix="rl-bench-journal-"))
            BatchRegistrar(env.cmo, tmp / "h.jsonl", batch_size=500, max_in_flight=2).run(rows)
            BatchConfirmer(env.registrar, tmp / "hc.jsonl", batch_size=500, max_in_flight=2).run(
                [r.work_id for r in rows])
            shutil.rmtree(tmp, ignore_errors=True)
            res["replay"].append(bench_replay(env))
    res["machine"] = machine()
    res["load_after"] = round(os.getloadavg()[0], 2)
    res["seconds"] = round(time.monotonic() - t0, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2) + "\n")
    write_doc(res, command)
    print_table(res)
    single = g["single"]
    print(f"single register+confirm: {single['total']:,} gas = {single['ratio_to_baseline']:.1%} of the baseline "
          f"({g['baseline']['mint']:,}); goal <= 60%")
    for k in ("batch_10", "batch_100", "batch_500"):
        print(f"{k}: {g[k]['total']:,} gas/work = {g[k]['ratio_to_baseline']:.1%} of the baseline; goal <= 40,000")
    print(f"wrote {RESULTS.relative_to(REPO_ROOT)} and {DOC.relative_to(REPO_ROOT)} in {res['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def licensing_parties(env: Any) -> tuple[Ledger, str]:
    """The gas benchmarks' holder (real name verified) and licensee (the registrar's account,
    given LICENSEE_ROLE)."""
    env.registrar.verify_holder(env.holder, "Ana Lima")
    holder = Ledger.open(env.settings, account="holder", password=PASSWORD)
    licensee = env.registrar.require_signer().address
    env.gov.grant_role("LICENSEE", licensee)
    return holder, licensee
