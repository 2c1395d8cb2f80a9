"""Gas of the licensing and royalty operations issue 12 changed, on a fresh anvil.

    python -m benchmarks.licensing_gas

Runs against whatever `ledger` and `build/contracts` are on PYTHONPATH, so the same script
measures the code before and after a change. Prints one JSON object: operation -> gas.
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
    return hashlib.sha256(f"licensing-gas-{i}".encode()).digest()


def main() -> None:
    out: dict[str, int] = {}
    with bench_env(None) as env:
        holder, licensee = licensing_parties(env)
        lic_ledger = env.registrar  # the licensee signs as the registrar's account
        cmo, reg = env.cmo, env.registrar
        ids = [_wid(i) for i in range(120)]
        cmo.chain.transact(cmo.registry.functions.registerSoleBatch(
            [(w, hashlib.sha256(w).digest(), env.holder, 2, 1) for w in ids]), cmo.require_signer())
        reg.chain.transact(reg.registry.functions.confirmBatch(ids), reg.require_signer())
        dep = env.gov.deployment
        abi = load_artifact(env.settings.build_dir, "LicenceRegistry").abi
        lic = holder.w3.eth.contract(address=dep.address("LicenceRegistry"), abi=abi)
        pool = holder.w3.eth.contract(address=dep.address("RoyaltyPool"),
                                      abi=load_artifact(env.settings.build_dir, "RoyaltyPool").abi)
        has_lens = "CoverageLens" in dep.contracts
        view = (holder.w3.eth.contract(address=dep.address("CoverageLens"),
                                       abi=load_artifact(env.settings.build_dir, "CoverageLens").abi)
                if has_lens else lic)
        hs, cs, ls = holder.require_signer(), cmo.require_signer(), lic_ledger.require_signer()
        now = holder.w3.eth.get_block("latest")["timestamp"]
        t = (1, AI, now - 10, FOREVER, False, 0, 7, b"", CID)

        def gas(name, ledger, fn, signer):
            out[name] = ledger.chain.transact(fn, signer).gas_used

        gas("grant (work licence, first of the work)", holder, lic.functions.grant(licensee, [ids[0]], t), hs)
        gas("grant (work licence, second of the same work)", holder,
            lic.functions.grant(licensee, [ids[0]], (1, REPRO, now - 10, FOREVER, False, 0, 7, b"", CID)), hs)
        gas("grant (list of 100 works)", holder,
            lic.functions.grant(licensee, ids[10:110], (2, AI, now - 10, FOREVER, False, 0, 7, b"", CID)), hs)
        gas("grant (exclusive, sole holder)", holder,
            lic.functions.grant(licensee, [ids[1]], (1, AI, now - 10, FOREVER, True, 0, 7, b"", CID)), hs)
        gas("publishOpenLicence", holder,
            lic.functions.publishOpenLicence(ids[2], AI, b"CC0".ljust(32, b"\0"), b""), hs)
        gas("mandate", holder, lic.functions.mandate(ids[3], cmo.require_signer().address, AI | REPRO), hs)
        gas("grant (blanket, by the CMO)", cmo,
            lic.functions.grant(licensee, [], (3, AI, now - 10, FOREVER, False, 0, 5, b"", CID)), cs)
        cmo_addr = cs.address
        lid = int(lic.functions.licenceCount().call())
        holder.w3.provider.make_request("evm_increaseTime", [60])
        holder.w3.provider.make_request("evm_mine", [])
        at = holder.w3.eth.get_block("latest")["timestamp"] - 5
        gas("recordUsage (one line, blanket licence)", lic_ledger,
            pool.functions.recordUsage(cmo_addr, 202601, (0, ids[3], AI, 4, at, lid, 2, 20)), ls)
        gas("recordReport", lic_ledger,
            pool.functions.recordReport(cmo_addr, 202601, b"\x01" * 32, (10, 40, 400), CID), ls)
        out["coverage (view, 2 licences of the work)"] = view.functions.coverage(
            ids[0], licensee, AI, b"\0\0", 0).estimate_gas()
        out["coverage (view, blanket via mandate)"] = view.functions.coverage(
            ids[3], licensee, AI, b"\0\0", 0).estimate_gas()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
