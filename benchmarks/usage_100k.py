"""Benchmark: a usage report of 100,000 lines recorded, distributed, verified and claimed.

Runs on its own embedded anvil node in a temporary home (never ~/.rights-ledger):

    python -m benchmarks.usage_100k            # 100,000 lines
    USAGE_BENCH_LINES=1000000 python -m benchmarks.usage_100k

Prints the time of each phase and the gas of each transaction. Never fails on a timing.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    from ledger.domain.royalties import Royalties
    from ledger.domain.usage import Usage
    from tests.fixtures.chain import make_env
    from tests.sdk.test_usage import report_rows, world, write_csv

    n = int(os.environ.get("USAGE_BENCH_LINES", "100000"))
    n_works = int(os.environ.get("USAGE_BENCH_WORKS", "1000"))
    period = 202512
    with tempfile.TemporaryDirectory(prefix="usage-bench-") as tmp:
        t0 = time.perf_counter()
        env = make_env(Path(tmp) / "home")
        try:
            w = world(env, "bench", n_works=n_works)
            setup = time.perf_counter() - t0
            print(f"setup: node, contracts, {n_works} confirmed works, tariff, licence: {setup:.1f} s")
            path = Path(tmp) / "dsr.csv"
            write_csv(path, report_rows(w["works"], w["licence"], n, int(time.time())))
            print(f"report file: {n:,} lines, {path.stat().st_size / 1e6:.1f} MB")

            lic_ledger = env.ledger("licensee")
            usage = Usage(lic_ledger)
            phases: dict[str, float] = {}
            last = [time.perf_counter()]

            def progress(phase: str, done: int, total: int) -> None:
                now = time.perf_counter()
                phases[phase] = phases.get(phase, 0.0) + (now - last[0])
                last[0] = now

            t = time.perf_counter()
            prepared = usage.prepare_file(path, w["cmo"], period, progress=progress)
            t_prepare = time.perf_counter() - t
            t = time.perf_counter()
            rec = usage.record_prepared(prepared)
            t_record = time.perf_counter() - t
            print(f"usage report: read+validate+coverage+Merkle {t_prepare:.1f} s "
                  f"({n / t_prepare:,.0f} lines/s; phases {', '.join(f'{k} {v:.1f}s' for k, v in phases.items())})")
            print(f"  store file + 1 tx: {t_record:.2f} s, gas {rec.gas_used:,} (report {rec.report_id}, "
                  f"{rec.totals.owed:,} owed)")
            t = time.perf_counter()
            proof = usage.prove(rec.report_id, n // 2)
            print(f"  prove line {n // 2}: {len(proof.proof)} hashes, on-chain {proof.verified_on_chain}, "
                  f"{time.perf_counter() - t:.1f} s (re-reads the file from the store and rebuilds the tree)")

            Royalties(env.ledger("governor")).mint(env.addresses["licensee"], rec.totals.owed)
            roy_lic = Royalties(lic_ledger, usage)
            pay = roy_lic.pay(w["cmo"], period, rec.totals.owed)
            print(f"pay: gas {pay.gas_used:,}")

            cmo = Royalties(env.ledger("cmo"))
            t = time.perf_counter()
            cmo.close(period)
            dist = cmo.compute(w["cmo"], period)
            t_compute = time.perf_counter() - t
            res, _cid = cmo.publish(dist)
            print(f"distribution: computed in {t_compute:.1f} s ({len(dist.claims)} holders, "
                  f"total {dist.total:,}, commission {dist.commission:,}, residue {dist.residue}); "
                  f"publish gas {res.gas_used:,}")
            t = time.perf_counter()
            v = Royalties(env.ledger("auditor")).verify(w["cmo"], period)
            print(f"verify: {'ok' if v.ok else v.problems} in {time.perf_counter() - t:.1f} s")
            for name in ("alice", "bob"):
                r, amount = Royalties(env.ledger(name)).claim(w["cmo"], period)
                print(f"claim ({name}, {amount:,}): gas {r.gas_used:,}")
            print(f"total: {time.perf_counter() - t0:.1f} s")
        finally:
            env.node.stop()


if __name__ == "__main__":
    main()
