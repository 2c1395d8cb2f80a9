"""Deployed addresses, recorded per network in ``<home>/deployments/<network>.json``.

The file keeps every version ever deployed (``history``) so the audit replay reads the
events of retired versions too (see docs/adr/002-contract-evolution.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.core.abicodec import checksum
from ledger.core.errors import ConfigError, NotDeployed


@dataclass(frozen=True)
class ContractRecord:
    name: str
    address: str
    block: int
    version: int
    tx: str


@dataclass(frozen=True)
class Deployment:
    network: str
    chain_id: int
    contracts: dict[str, ContractRecord]
    history: tuple[ContractRecord, ...] = ()

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise NotDeployed(
                f"{name} is not deployed on network {self.network!r}",
                hint="deploy with `rights-ledger node start` (embedded) or `brownie run scripts/deploy.py`",
            ) from None

    def versions(self, name: str) -> list[str]:
        """Every address ``name`` was ever deployed at on this network, oldest first (ADR 002)."""
        out = [checksum(r.address) for r in sorted((r for r in self.history if r.name == name), key=lambda r: r.block)]
        cur = self.contracts.get(name)
        if cur is not None and checksum(cur.address) not in out:
            out.append(checksum(cur.address))
        return out

    @property
    def first_block(self) -> int:
        blocks = [c.block for c in (*self.contracts.values(), *self.history)]
        return min(blocks) if blocks else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "chainId": self.chain_id,
            "contracts": {k: vars(v) for k, v in self.contracts.items()},
            "history": [vars(v) for v in self.history],
        }


def load_deployment(path: Path, network: str) -> Deployment:
    if not path.exists():
        raise NotDeployed(
            f"no contracts are recorded for network {network!r} ({path})",
            hint="start the embedded node with `rights-ledger node start`, or deploy with scripts/deploy.py",
        )
    try:
        data = json.loads(path.read_text())
        contracts = {k: ContractRecord(**v) for k, v in data["contracts"].items()}
        history = tuple(ContractRecord(**v) for v in data.get("history", []))
        return Deployment(data["network"], int(data["chainId"]), contracts, history)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: malformed deployments file ({exc})") from exc


def save_deployment(path: Path, deployment: Deployment) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        json.dump(deployment.to_json(), fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
