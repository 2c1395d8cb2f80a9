"""Write build/abi/<Name>.json (ABI and bytecode only) next to Brownie's build/contracts.

Brownie's build JSON carries the AST, source maps and sources (about 9 MB for the ledger's
contracts); the SDK needs only the ABI and, to deploy, the bytecode. ``hashes`` holds the
Keccak-256 of every function, event and error signature (selectors, event topics), so a read
command hashes nothing at start-up. ``make setup`` runs this
after ``brownie compile``; ``ledger.core.artifacts`` reads these files and falls back to the
full build JSON when a slim file is missing or stale (older than its build file, beyond a
copy's reordering of file times: ``sourceSize`` records the build file's size).

    python scripts/slim_abi.py [BUILD_CONTRACTS_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eth_utils import keccak

from ledger.core.abicodec import hashes_of
from ledger.core.artifacts import LEDGER_CONTRACTS, slim_path

EXTRA = ("NaiveWorkNFT",)  # the benchmark's baseline contract


def main(build_dir: Path) -> int:
    total_in = total_out = 0
    for name in (*LEDGER_CONTRACTS, *EXTRA):
        src = build_dir / f"{name}.json"
        if not src.exists():
            continue
        data = json.loads(src.read_text())
        bytecode = data.get("bytecode") or ""
        # sourceSize first: ledger.core.artifacts reads it from the file's head (a copied build folder)
        slim = {"sourceSize": src.stat().st_size, "contractName": name, "abi": data["abi"],
                "bytecode": bytecode if bytecode.startswith("0x") else "0x" + bytecode,
                "hashes": hashes_of(data["abi"], keccak)}
        out = slim_path(build_dir, name)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(slim, separators=(",", ":")))
        tmp.replace(out)
        total_in += src.stat().st_size
        total_out += out.stat().st_size
    print(f"slim ABI files in {build_dir.parent / 'abi'}: {total_out:,} bytes (from {total_in:,})")
    return 0


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "build" / "contracts"))
