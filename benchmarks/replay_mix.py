"""``python -m benchmarks.replay_mix --keep DIR [--size N]``: the audit replay on a realistic event mix.

Opens a ledger built by ``python -m benchmarks.scaling --keep DIR`` (N confirmed works registered
in batches, N work licences, a few licences of a sample work: WorkRegistered, WorkConfirmed,
LicenceGranted with its terms, role and deployment events), or builds one of N works in a
temporary home, then measures on the same node:

1. the raw rate: ``eth_getLogs`` over every ledger contract in 5,000-block chunks, JSON parsed
   and nothing else (the floor of any replay);
2. decoding alone: :class:`ledger.audit.decode.FastDecoder` over those logs, in memory (and a
   check that it gives the generic decoder's events);
3. the audit replay itself (``ledger.audit.core.replay``: fetch, decode, every reducer);
4. ``audit --checkpoint``: a full audit writing the checkpoint, then the same after 3 new
   events (licence grants), whose checks re-read only what those events named.

Each figure is the median of ``--runs`` runs. Not part of the test suite; nothing fails on a timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _median(fn: Any, runs: int) -> tuple[float, Any]:
    out, times = None, []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def measure(env: Any, runs: int) -> dict[str, Any]:
    from ledger.audit import audit
    from ledger.audit.core import contract_names, replay
    from ledger.audit.decode import FastDecoder
    from ledger.core.rpc import Rpc
    from ledger.domain.licensing import Licensing

    led = env.ledger()
    addresses = sorted(contract_names(led))
    first, head = led.deployment.first_block, led.chain.block_number()
    url = led.settings.network.rpc_url

    def raw() -> list[dict[str, Any]]:
        logs: list[dict[str, Any]] = []
        for _end, part in Rpc(url).get_logs(addresses, first, head, chunk=5000):
            logs.extend(part)
        return logs

    t_raw, logs = _median(raw, runs)
    fast = FastDecoder(led.events)
    t_dec, events = _median(lambda: [e for e in map(fast.decode, logs) if e is not None], runs)
    generic = [e for e in map(led.events.decode, logs) if e is not None]
    assert events == generic, "the fast decoder differs from the generic one"
    t_rep, (state, *_rest) = _median(lambda: replay(led, to_block=head), runs)
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e.name] = kinds.get(e.name, 0) + 1
    res: dict[str, Any] = {
        "events": len(logs), "blocks": head - first + 1, "mix": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        "raw_eps": len(logs) / t_raw, "decode_eps": len(logs) / t_dec, "replay_eps": state.events / t_rep,
        "raw_s": t_raw, "decode_s": t_dec, "replay_s": t_rep,
    }
    with tempfile.TemporaryDirectory(prefix="replay-cp-") as tmp:
        cp = Path(tmp) / "cp.json"
        t0 = time.perf_counter()
        full = audit(led, checkpoint=cp, skip_checks=("blobs",))
        res["audit_full_s"] = time.perf_counter() - t0
        res["audit_full_check_s"] = full.check_seconds
        res["audit_full_clean"] = not full.mismatches
        alice = Licensing(env.ledger("alice"))
        sample = next(iter(state.section("works")))
        times = []
        for i in range(runs):
            for use in ("perform", "broadcast", "adapt"):  # 3 new events
                alice.grant(env.addresses["licensee"], [sample], alice.terms([use], start=alice.now() + 100 + i))
            t0 = time.perf_counter()
            again = audit(env.ledger(), checkpoint=cp, skip_checks=("blobs",))
            times.append(time.perf_counter() - t0)
            res["audit_incremental_clean"] = not again.mismatches
            res["audit_incremental_notes"] = again.notes
            res["audit_incremental_check_s"] = again.check_seconds
        res["audit_incremental_s"] = statistics.median(times)
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--keep", type=Path, default=None, help="the --keep folder of benchmarks.scaling")
    p.add_argument("--size", type=int, default=10000, help="ledger size N (a built KEEP/N, else built now)")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    from benchmarks.scaling import _open_env

    with tempfile.TemporaryDirectory(prefix="replay-mix-") as tmp:
        home = (args.keep / str(args.size)) if args.keep else Path(tmp) / "home"
        env, *_ = _open_env(home, args.size)
        try:
            res = measure(env, args.runs)
        finally:
            env.node.stop(timeout=600)
    print(f"ledger of {args.size:,} works and licences: {res['events']:,} events in {res['blocks']:,} blocks")
    print("mix: " + ", ".join(f"{k} {v:,}" for k, v in res["mix"].items()))
    print(f"raw eth_getLogs: {res['raw_eps']:,.0f} events/s ({res['raw_s']:.2f} s)")
    print(f"decoding alone: {res['decode_eps']:,.0f} events/s ({res['decode_s']:.2f} s)")
    print(f"audit replay (fetch + decode + reducers): {res['replay_eps']:,.0f} events/s ({res['replay_s']:.2f} s), "
          f"{res['replay_eps'] / res['raw_eps']:.0%} of the raw rate")
    print(f"audit with --checkpoint, full: {res['audit_full_s']:.2f} s (checks {res['audit_full_check_s']:.2f} s), "
          f"clean={res['audit_full_clean']}")
    print(f"audit with --checkpoint after 3 new events: {res['audit_incremental_s']:.2f} s "
          f"(checks {res['audit_incremental_check_s']:.2f} s), clean={res['audit_incremental_clean']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
