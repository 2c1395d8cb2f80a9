"""Compiled contracts: ABI and bytecode.

Read from the slim files ``build/abi/<Name>.json`` (ABI and bytecode only, written by
``scripts/slim_abi.py`` after ``brownie compile``), falling back to Brownie's full build
artifact ``build/contracts/<Name>.json`` (about 9 MB in all) when a slim file is missing or
stale: older than its build file, unless it records that build file's size (``sourceSize``) and
the build file is at most ``COPY_SLACK`` seconds newer (a copied ``build/`` folder, whose files
get new times in whatever order the copy made them).
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


COPY_SLACK = 60.0


def _source(build_dir: Path, name: str) -> Path:
    full, slim = build_dir / f"{name}.json", slim_path(build_dir, name)
    try:
        slim_stat = slim.stat()
    except OSError:
        return full
    try:
        full_stat = full.stat()
    except OSError:
        return slim  # only the slim file was shipped
    if slim_stat.st_mtime >= full_stat.st_mtime:
        return slim
    if full_stat.st_mtime - slim_stat.st_mtime <= COPY_SLACK and _recorded_size(slim) == full_stat.st_size:
        return slim  # the same build file, copied after its slim file
    return full


def _recorded_size(slim: Path) -> int | None:
    """The ``sourceSize`` a slim file records (written first, so the file's head holds it)."""
    try:
        with open(slim, "rb") as fh:
            head = fh.read(200)
    except OSError:
        return None
    key = b'"sourceSize":'
    at = head.find(key)
    if at < 0:
        return None
    digits = head[at + len(key):].split(b",", 1)[0].split(b"}", 1)[0].strip()
    return int(digits) if digits.isdigit() else None


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
