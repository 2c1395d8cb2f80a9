"""Gas of the time-ranged facts coverage depends on (issue 14), on a fresh anvil.

    python -m benchmarks.timefacts_gas

Runs against whatever `ledger` and `build/contracts` are on PYTHONPATH, so the same script
measures the code before and after a change (the calls it makes exist in both). Prints one
JSON object: operation -> gas (views: estimate_gas of the call).
"""

from __future__ import annotations

import hashlib
import json

from benchmarks.run import bench_env, licensing_parties
from ledger.core.artifacts import load_artifact
from ledger.core.types import USES

AI, REPRO = USES["ai-training"], USES["reproduce"]
CID = b"\x01\x55\x12\x20" + b"\x11" * 32
FOREVER = (1 << 40) - 1


def _wid(i: int) -> bytes:
    return hashlib.sha256(f"timefacts-gas-{i}".encode()).digest()


def main() -> None:
    out: dict[str, int] = {}
    with bench_env(None) as env:
        holder, licensee = licensing_parties(env)
        cmo, reg, gov = env.cmo, env.registrar, env.gov
        ids = [_wid(i) for i in range(8)]
        cmo.chain.transact(cmo.registry.functions.registerSoleBatch(
            [(w, hashlib.sha256(w).digest(), env.holder, 2, 1) for w in ids]), cmo.require_signer())
        reg.chain.transact(reg.registry.functions.confirmBatch(ids), reg.require_signer())
        dep = gov.deployment

        def contract(name):
            return holder.w3.eth.contract(address=dep.address(name),
                                          abi=load_artifact(env.settings.build_dir, name).abi)

        lic, works, lens = contract("LicenceRegistry"), contract("WorkRegistry"), contract("CoverageLens")
        hs, cs, rs, gs = holder.require_signer(), cmo.require_signer(), reg.require_signer(), gov.require_signer()

        def gas(name, ledger, fn, signer):
            out[name] = ledger.chain.transact(fn, signer).gas_used

        def tick(seconds=60):
            holder.w3.provider.make_request("evm_increaseTime", [seconds])
            holder.w3.provider.make_request("evm_mine", [])

        now = holder.w3.eth.get_block("latest")["timestamp"]
        gas("reserveUses (first of the work)", holder, works.functions.reserveUses(ids[0], AI), hs)
        tick()
        gas("reserveUses (a change later)", holder, works.functions.reserveUses(ids[0], AI | REPRO), hs)
        tick()
        gas("reserveUses (lifted later)", holder, works.functions.reserveUses(ids[0], 0), hs)
        gas("openDispute (first of the work)", holder, works.functions.openDispute(ids[1], CID), hs)
        tick()
        gas("resolveDispute (dismissed)", reg, works.functions.resolveDispute(ids[1], 1, [], 0, CID), rs)
        tick()
        gas("openDispute (reopened, new evidence)", holder, works.functions.openDispute(ids[1], CID + b"\x02"), hs)
        tick()
        gas("resolveDispute (dismissed again)", reg, works.functions.resolveDispute(ids[1], 1, [], 0, CID), rs)
        gas("setTariff (first of the use)", gov, lic.functions.setTariff(AI, 100, 86_400, 0, 0), gs)
        tick()
        gas("setTariff (a new version)", gov, lic.functions.setTariff(AI, 120, 86_400, 0, 0), gs)
        gas("mandate (first of the work to the CMO)", holder, lic.functions.mandate(ids[2], cs.address, AI | REPRO), hs)
        tick()
        gas("mandate (uses changed)", holder, lic.functions.mandate(ids[2], cs.address, AI), hs)
        tick()
        gas("withdrawMandate", holder, lic.functions.withdrawMandate(ids[2], cs.address, 0), hs)
        now = holder.w3.eth.get_block("latest")["timestamp"]
        gas("grant (work licence)", holder,
            lic.functions.grant(licensee, [ids[3]], (1, AI, now - 10, FOREVER, False, 0, 7, b"", CID)), hs)
        lid = int(lic.functions.licenceCount().call())
        tick()
        gas("suspend", holder, lic.functions.suspend(lid, "late report"), hs)
        tick()
        gas("resume", holder, lic.functions.resume(lid), hs)
        tick()
        gas("suspend (again)", holder, lic.functions.suspend(lid, "late again"), hs)
        tick()
        gas("revoke (a suspended licence)", holder, lic.functions.revoke(lid, "never paid"), hs)
        gas("grant (work licence, never suspended)", holder,
            lic.functions.grant(licensee, [ids[4]], (1, AI, now - 10, FOREVER, False, 0, 7, b"", CID)), hs)
        gas("mandate (for the blanket)", holder, lic.functions.mandate(ids[5], cs.address, AI), hs)
        gas("grant (blanket, by the CMO)", cmo,
            lic.functions.grant(licensee, [], (3, AI, now - 10, FOREVER, False, 0, 5, b"", CID)), cs)
        tick()
        later = holder.w3.eth.get_block("latest")["timestamp"]
        views = {
            "coverage (view, work licence never suspended)": (ids[4], licensee, later),
            "coverage (view, licence with 4 state changes)": (ids[3], licensee, later),
            "coverage (view, blanket via mandate)": (ids[5], licensee, later),
            "coverage (view, statutory, 3 reservation changes)": (ids[0], licensee, later),
            "coverage (view, statutory, after 2 disputes)": (ids[1], licensee, later),
        }
        for name, (w, who, at) in views.items():
            out[name] = lens.functions.coverage(w, who, AI, b"\0\0", at).estimate_gas()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
