"""Deployed size of every ledger contract, and its headroom to the EIP-170 limit.

Reads Brownie's build artifacts (``build/contracts``, made by ``brownie compile``) and
prints one row per contract of ``contracts/`` that has runtime code: the deployed bytes,
the headroom to 24,576 bytes, and the share of the limit used. Exit code 1 when a
contract is over the limit (it could not be deployed), else 0. ``make sizes`` runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EIP170_LIMIT = 24_576
ROOT = Path(__file__).resolve().parent.parent


def sizes(build: Path) -> list[tuple[str, str, int]]:
    """``(name, source path, deployed bytes)`` of the project's own contracts, largest first."""
    rows = []
    for path in sorted(build.glob("*.json")):
        art = json.loads(path.read_text())
        source = str(art.get("sourcePath", ""))
        code = str(art.get("deployedBytecode") or "").removeprefix("0x")
        if not source.startswith("contracts/") or not code:
            continue  # OpenZeppelin and other dependencies, interfaces and libraries without code
        rows.append((str(art["contractName"]), source, len(code) // 2))
    return sorted(rows, key=lambda r: -r[2])


def main(argv: list[str]) -> int:
    build = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / "contracts"
    rows = sizes(build)
    if not rows:
        print(f"no compiled contracts in {build}: run `brownie compile` first", file=sys.stderr)
        return 2
    print(f"{'contract':<22} {'bytes':>7} {'headroom':>9} {'used':>6}  source")
    for name, source, size in rows:
        print(f"{name:<22} {size:>7,} {EIP170_LIMIT - size:>9,} {size / EIP170_LIMIT:>6.1%}  {source}")
    print(f"(limit {EIP170_LIMIT:,} bytes, EIP-170)")
    return 1 if any(size > EIP170_LIMIT for _n, _s, size in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
