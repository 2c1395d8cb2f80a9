"""Deploying the ledger contracts with a local key, and recording their addresses.

Used by ``rights-ledger node start`` (embedded node, first start) and by the Brownie
script ``scripts/deploy.py`` (any network Brownie knows), so there is one deployment path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.artifacts import LEDGER_CONTRACTS, load_artifact
from ledger.chain import Chain
from ledger.deployments import ContractRecord, Deployment, save_deployment

ZERO = "0x0000000000000000000000000000000000000000"

# Constructor arguments of each contract, from the addresses deployed before it.
CONSTRUCTOR_ARGS: dict[str, Callable[[dict[str, str], str, dict[str, str]], list[Any]]] = {
    "LedgerRoles": lambda done, governor, prev: [governor],
    "WorkRegistry": lambda done, governor, prev: [done["LedgerRoles"], prev.get("WorkRegistry", ZERO)],
    "LicenceRegistry": lambda done, governor, prev: [done["LedgerRoles"], done["WorkRegistry"]],
}


def deploy_all(
    chain: Chain,
    signer: LocalAccount,
    build_dir: Path,
    deployments_file: Path,
    *,
    governor: str | None = None,
    previous: Deployment | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> Deployment:
    """Deploy every ledger contract in order and record them in ``deployments_file``.

    With ``previous``, the new WorkRegistry names the old one as its predecessor and the
    old records move to ``history`` (see docs/adr/002-contract-evolution.md).
    """
    governor = governor or signer.address
    prev_addresses = {k: v.address for k, v in previous.contracts.items()} if previous else {}
    done: dict[str, str] = {}
    records: dict[str, ContractRecord] = {}
    for name in LEDGER_CONTRACTS:
        if previous and name == "LedgerRoles":  # roles outlive contract versions
            done[name] = previous.contracts[name].address
            records[name] = previous.contracts[name]
            continue
        art = load_artifact(build_dir, name)
        args = CONSTRUCTOR_ARGS[name](done, governor, prev_addresses)
        address, result = chain.deploy(art.abi, art.bytecode, args, signer)
        version = int(chain.w3.eth.contract(address=address, abi=art.abi).functions.VERSION().call()) if any(
            e.get("name") == "VERSION" for e in art.abi
        ) else 1
        done[name] = address
        records[name] = ContractRecord(name, address, result.block_number, version, result.tx_hash)
        log(f"deployed {name} at {address} (block {result.block_number}, gas {result.gas_used})")
    history: tuple[ContractRecord, ...] = ()
    if previous:
        replaced = tuple(c for n, c in previous.contracts.items() if records[n].address != c.address)
        history = previous.history + replaced
    deployment = Deployment(chain.profile.name, chain.chain_id, records, history)
    save_deployment(deployments_file, deployment)
    return deployment
