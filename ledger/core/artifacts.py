"""Compiled contracts: ABI and bytecode.

Read from the slim files ``build/abi/<Name>.json`` (ABI and bytecode only, written by
``scripts/slim_abi.py`` after ``brownie compile``), falling back to Brownie's full build
artifact ``build/contracts/<Name>.json`` (about 9 MB in all) when a slim file is missing or
older than its build file.
"""

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


def slim_path(build_dir: Path, name: str) -> Path:
    """Where the slim ABI file of contract ``name`` lives for a Brownie ``build/contracts`` dir."""
    return build_dir.parent / "abi" / f"{name}.json"


def _source(build_dir: Path, name: str) -> Path:
    full, slim = build_dir / f"{name}.json", slim_path(build_dir, name)
    try:
        slim_mtime = slim.stat().st_mtime
    except OSError:
        return full
    try:
        return slim if slim_mtime >= full.stat().st_mtime else full
    except OSError:
        return slim  # only the slim file was shipped


@lru_cache(maxsize=64)
def load_artifact(build_dir: Path, name: str) -> Artifact:
    path = _source(build_dir, name)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(
            f"contract artifact {path} is missing", hint="compile the contracts with `make setup`"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable artifact ({exc})") from exc
    if isinstance(data.get("hashes"), dict):  # selectors and topics precomputed by scripts/slim_abi.py
        from ledger.core.abicodec import remember

        remember(data["hashes"])
    bytecode = data.get("bytecode") or ""
    return Artifact(name, data["abi"], bytecode if bytecode.startswith("0x") else "0x" + bytecode)


def all_abis(build_dir: Path) -> list[dict[str, Any]]:
    """Every ABI entry of the ledger contracts (used to decode errors and events)."""
    entries: list[dict[str, Any]] = []
    for name in LEDGER_CONTRACTS:
        entries.extend(load_artifact(build_dir, name).abi)
    return entries
