"""Deploy the ledger contracts to the network Brownie is connected to.

    brownie run scripts/deploy.py --network besu-qbft

Brownie picks the network (its RPC endpoint and chain id); the deployment itself goes
through the SDK (`ledger.deploy.deploy_all`), which signs locally and sends raw
transactions, so a node that holds no keys (Besu/QBFT, GoQuorum) accepts it. The
addresses are written to ``$RIGHTS_LEDGER_HOME/deployments/<network>.json``, the file the
SDK and CLI read (use the same name with ``--network``).

The deployer key: ``RIGHTS_LEDGER_DEPLOYER_KEY`` (hex), or a Brownie keystore account
named by ``RIGHTS_LEDGER_BROWNIE_ACCOUNT``; on a local network Brownie launches (``development``) the
anvil dev key #0 is used when neither is set. ``RIGHTS_LEDGER_GOVERNOR`` names the
governor address (default: the deployer). With ``RIGHTS_LEDGER_UPGRADE=1`` the existing
deployment is kept: the contracts named in ``RIGHTS_LEDGER_REPLACE`` (default
``WorkRegistry``) and those that depend on them are deployed anew, the new WorkRegistry
names the old one as predecessor (see docs/adr/002-contract-evolution.md).
"""

from __future__ import annotations

import os

from brownie import accounts, network, web3
from brownie._config import CONFIG
from eth_account import Account

from ledger.core.chain import Chain, ErrorDecoder
from ledger.core.config import NetworkProfile, load_settings
from ledger.core.deploy import deploy_all
from ledger.core.deployments import load_deployment

ANVIL_DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _deployer_key(active: str) -> str:
    if os.environ.get("RIGHTS_LEDGER_DEPLOYER_KEY"):
        return os.environ["RIGHTS_LEDGER_DEPLOYER_KEY"]
    if os.environ.get("RIGHTS_LEDGER_BROWNIE_ACCOUNT"):
        return str(accounts.load(os.environ["RIGHTS_LEDGER_BROWNIE_ACCOUNT"]).private_key)
    if "cmd" in CONFIG.networks.get(active, {}):  # a local chain Brownie launched (anvil)
        return ANVIL_DEV_KEY_0
    raise SystemExit("set RIGHTS_LEDGER_DEPLOYER_KEY or RIGHTS_LEDGER_BROWNIE_ACCOUNT for a live network")


def main(name: str | None = None) -> dict[str, str]:
    active = network.show_active()
    name = name or os.environ.get("RIGHTS_LEDGER_NETWORK_NAME") or active
    net_config = CONFIG.networks.get(active, {})
    settings = load_settings()
    profile = NetworkProfile(
        name=name,
        rpc_url=web3.provider.endpoint_uri,
        chain_id=web3.eth.chain_id,
        gas_price=int(net_config.get("gas_price") or 0) if net_config.get("gas_price") != "auto" else None,
        evm_version=str(CONFIG.settings["compiler"].get("evm_version") or "cancun"),
    )
    settings = settings.with_network(profile)
    chain = Chain(profile, ErrorDecoder([]))
    signer = Account.from_key(_deployer_key(active))
    previous = None
    if os.environ.get("RIGHTS_LEDGER_UPGRADE") == "1" and settings.deployments_file.exists():
        previous = load_deployment(settings.deployments_file, name)
    deployment = deploy_all(
        chain,
        signer,
        settings.build_dir,
        settings.deployments_file,
        governor=os.environ.get("RIGHTS_LEDGER_GOVERNOR") or signer.address,
        previous=previous,
        replace=tuple(os.environ.get("RIGHTS_LEDGER_REPLACE", "WorkRegistry").split(",")),
        log=print,
    )
    print(f"recorded in {settings.deployments_file}")
    return {k: v.address for k, v in deployment.contracts.items()}
