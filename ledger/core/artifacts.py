"""Compiled contracts: ABI and bytecode from Brownie's build artifacts (build/contracts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ledger.core.errors import ConfigError

# The contracts the ledger deploys, in deployment order.
LEDGER_CONTRACTS = (
    "LedgerRoles",
    "WorkRegistry",
    "LicenceRegistry",
    "CoverageLens",
    "AttestationRegistry",
    "SettlementToken",
    "RoyaltyPool",
)


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@lru_cache(maxsize=64)
def load_artifact(build_dir: Path, name: str) -> Artifact:
    path = build_dir / f"{name}.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(
            f"contract artifact {path} is missing", hint="compile the contracts with `make setup`"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable artifact ({exc})") from exc
    bytecode = data.get("bytecode") or ""
    return Artifact(name, data["abi"], bytecode if bytecode.startswith("0x") else "0x" + bytecode)


def all_abis(build_dir: Path) -> list[dict[str, Any]]:
    """Every ABI entry of the ledger contracts (used to decode errors and events)."""
    entries: list[dict[str, Any]] = []
    for name in LEDGER_CONTRACTS:
        entries.extend(load_artifact(build_dir, name).abi)
    return entries
