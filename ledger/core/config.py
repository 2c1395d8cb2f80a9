"""Settings: where data lives, which network to talk to, how to send transactions.

Every setting has a default that runs the embedded node (``local``), and each can be
changed by an environment variable or a CLI option. Networks other than ``local`` are
described in ``$RIGHTS_LEDGER_HOME/networks.toml``::

    [networks.besu]
    rpc_url = "http://127.0.0.1:8545"
    chain_id = 1337
    gas_price = 0          # Besu/QBFT and GoQuorum networks usually run free gas
    log_chunk = 5000       # Besu's default --rpc-max-logs-range

Chain id, gas price, EVM version and addresses are settings, never constants in code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ledger.core.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parent

LOCAL_NETWORK = "local"
LOCAL_PORT = 8645
LOCAL_CHAIN_ID = 31337


@dataclass(frozen=True)
class NetworkProfile:
    """How to reach one chain and how to send transactions to it."""

    name: str
    rpc_url: str
    chain_id: int | None = None  # checked against the node when set
    gas_price: int | None = 0  # None asks the node (eth_gasPrice)
    evm_version: str = "cancun"
    embedded: bool = False  # the embedded anvil node, started on demand
    block_time: int | None = None  # embedded node only: seconds per block, None = instant
    log_chunk: int = 5000  # blocks per eth_getLogs call
    receipt_timeout: float = 120.0
    rpc_timeout: float = 30.0
    production: bool = True  # a network in networks.toml is production unless it says `production = false`


@dataclass(frozen=True)
class Settings:
    """Everything the SDK needs to know before it opens a ledger."""

    home: Path
    network: NetworkProfile
    store: str | None = None  # None = the local store under home; "kubo:<addr>" for kubo
    build_dir: Path = field(default=REPO_ROOT / "build" / "contracts")

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def deployments_file(self) -> Path:
        return self.home / "deployments" / f"{self.network.name}.json"

    @property
    def chain_dir(self) -> Path:
        return self.home / "chain" / self.network.name

    @property
    def journal_dir(self) -> Path:
        return self.home / "journals" / self.network.name

    def with_network(self, network: NetworkProfile) -> Settings:
        return replace(self, network=network)


def default_home() -> Path:
    return Path(os.environ.get("RIGHTS_LEDGER_HOME") or Path.home() / ".rights-ledger").expanduser()


def local_profile(port: int | None = None, block_time: int | None = None) -> NetworkProfile:
    port = port or int(os.environ.get("RIGHTS_LEDGER_PORT", LOCAL_PORT))
    return NetworkProfile(
        name=LOCAL_NETWORK,
        rpc_url=f"http://127.0.0.1:{port}",
        chain_id=LOCAL_CHAIN_ID,
        gas_price=0,
        embedded=True,
        block_time=block_time,
        production=False,
    )


def _int_or_none(value: object, key: str, where: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {key} must be a non-negative integer, got {value!r}")
    return value


def load_network(name: str, home: Path) -> NetworkProfile:
    """The profile called ``name``: ``local`` is built in, others come from networks.toml."""
    block_time = os.environ.get("RIGHTS_LEDGER_BLOCK_TIME")
    if name == LOCAL_NETWORK:
        return local_profile(block_time=int(block_time) if block_time else None)
    path = home / "networks.toml"
    if not path.exists():
        raise ConfigError(
            f"unknown network {name!r}",
            hint=f"describe it under [networks.{name}] in {path}, or use --network local",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read networks file: {exc}") from exc
    entry = data.get("networks", {}).get(name)
    if not isinstance(entry, dict):
        raise ConfigError(f"unknown network {name!r}", hint=f"add [networks.{name}] to {path}")
    rpc_url = entry.get("rpc_url")
    if not isinstance(rpc_url, str) or not rpc_url.startswith(("http://", "https://")):
        raise ConfigError(f"{path}: networks.{name}.rpc_url must be an http(s) URL")
    return NetworkProfile(
        name=name,
        rpc_url=rpc_url,
        chain_id=_int_or_none(entry.get("chain_id"), "chain_id", path),
        gas_price=_int_or_none(entry.get("gas_price", 0), "gas_price", path),
        evm_version=str(entry.get("evm_version", "cancun")),
        log_chunk=_int_or_none(entry.get("log_chunk", 5000), "log_chunk", path) or 5000,
        receipt_timeout=float(entry.get("receipt_timeout", 120)),
        production=entry.get("production", True) is not False,
    )


def load_settings(
    *,
    home: Path | None = None,
    network: str | None = None,
    rpc_url: str | None = None,
    store: str | None = None,
) -> Settings:
    """Settings from arguments, then environment variables, then defaults."""
    home = (home or default_home()).expanduser()
    name = network or os.environ.get("RIGHTS_LEDGER_NETWORK") or LOCAL_NETWORK
    profile = load_network(name, home)
    rpc_url = rpc_url or os.environ.get("RIGHTS_LEDGER_RPC_URL")
    if rpc_url:
        profile = replace(profile, rpc_url=rpc_url, embedded=False)
    build_dir = Path(os.environ.get("RIGHTS_LEDGER_BUILD") or REPO_ROOT / "build" / "contracts")
    return Settings(
        home=home,
        network=profile,
        store=store or os.environ.get("RIGHTS_LEDGER_STORE") or None,
        build_dir=build_dir,
    )
