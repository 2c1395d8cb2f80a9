"""Coverage gas for a licensee holding 1, 1,000 and 10,000 work licences (issue 12 finding 8,
issue 15): `CoverageLens.coverage` reads the (work, licensee) index, the work's open licences and
the blanket licences of the CMOs the work is mandated to, so its cost must not follow N.

    python -m benchmarks.coverage_scale [--sizes 1,1000,10000]

Prints one line per size: the gas `eth_estimateGas` gives for `coverage(work 0, licensee, ...)`
(covered) and for a work the licensee holds no licence of (not covered).
"""

from __future__ import annotations

import argparse
import hashlib

from benchmarks.run import PASSWORD, bench_env, say
from benchmarks.scaling import _mining, _pipelined
from ledger.core.artifacts import load_artifact
from ledger.core.types import USES
from ledger.domain.works import Ledger

AI = USES["ai-training"]
CID = b"\x01\x55\x12\x20" + b"\x11" * 32
FOREVER = (1 << 40) - 1


def _wid(i: int) -> bytes:
    return hashlib.sha256(f"coverage-scale-{i}".encode()).digest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,1000,10000")
    sizes = sorted(int(x) for x in ap.parse_args().sizes.split(","))
    n = sizes[-1]
    with bench_env(None) as env:
        env.registrar.verify_holder(env.holder, "Ana Lima")
        holder = Ledger.open(env.settings, account="holder", password=PASSWORD)
        licensee = env.registrar.require_signer().address
        env.gov.grant_role("LICENSEE", licensee)
        cmo, reg = env.cmo, env.registrar
        ids = [_wid(i) for i in range(n + 1)]  # work n: never licensed
        for s in range(0, len(ids), 500):
            chunk = ids[s:s + 500]
            cmo.chain.transact(cmo.registry.functions.registerSoleBatch(
                [(w, hashlib.sha256(w).digest(), env.holder, 2, 1) for w in chunk]), cmo.require_signer())
            reg.chain.transact(reg.registry.functions.confirmBatch(chunk), reg.require_signer())
        dep = env.gov.deployment
        lic = holder.w3.eth.contract(address=dep.address("LicenceRegistry"),
                                     abi=load_artifact(env.settings.build_dir, "LicenceRegistry").abi)
        lens = holder.w3.eth.contract(address=dep.address("CoverageLens"),
                                      abi=load_artifact(env.settings.build_dir, "CoverageLens").abi)
        terms = (1, AI, 1, FOREVER, False, 0, 7, b"", CID)
        done = 0
        for size in sizes:
            # granted with big blocks under interval mining, signed locally and sent in batches,
            # at most 1,000 in flight (benchmarks.scaling's builder); the gas is read afterwards
            # under the usual 30M limit
            _mining(holder, 1)
            try:
                _pipelined(holder, [lic.functions.grant(licensee, [w], terms) for w in ids[done:size]])
            finally:
                _mining(holder, None)
            done = size
            covered = lens.functions.coverage(ids[0], licensee, AI, b"\0\0", 0)
            uncovered = lens.functions.coverage(ids[n], licensee, AI, b"\0\0", 0)
            assert covered.call()[0] and not uncovered.call()[0]
            held = lens.functions.coverage(ids[size - 1], licensee, AI, b"\0\0", 0)  # the last one granted
            assert held.call()[0]
            say(f"licences held {size:>6}: coverage gas {covered.estimate_gas():,} (covered), "
                f"{uncovered.estimate_gas():,} (not covered)")


if __name__ == "__main__":
    main()
