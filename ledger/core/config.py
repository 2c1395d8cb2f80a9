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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from ledger.core.errors import ConfigError, InputError
from ledger.core.inputs import read_text
from ledger.core.parsing import parse_port, parse_seconds, parse_uint

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parent

LOCAL_NETWORK = "local"
LOCAL_PORT = 8645
LOCAL_CHAIN_ID = 31337

T = TypeVar("T")


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


def env_setting(name: str, parse: Callable[[str], T], example: str) -> T | None:
    """An environment setting through its parser; a malformed one is a ConfigError naming it."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse(raw)
    except InputError as exc:
        raise ConfigError(f"{name}={raw[:40]!r}: {exc.message}", hint=f"e.g. {name}={example}, or unset it") from None


def local_port() -> int:
    """The embedded node's port: RIGHTS_LEDGER_PORT (1..65535), default 8645."""
    return env_setting("RIGHTS_LEDGER_PORT", parse_port, str(LOCAL_PORT)) or LOCAL_PORT


def local_block_time() -> int | None:
    """RIGHTS_LEDGER_BLOCK_TIME: whole seconds per block (0..3600) of the embedded node; unset = instant."""
    value = env_setting("RIGHTS_LEDGER_BLOCK_TIME",
                        lambda v: parse_uint(v, "block time (seconds)", bits=16, maximum=3600), "2")
    return value or None


def local_profile(port: int | None = None, block_time: int | None = None) -> NetworkProfile:
    port = port or local_port()
    return NetworkProfile(
        name=LOCAL_NETWORK,
        rpc_url=f"http://127.0.0.1:{port}",
        chain_id=LOCAL_CHAIN_ID,
        gas_price=0,
        embedded=True,
        block_time=block_time,
        production=False,
    )


def _int_or_none(value: object, key: str, where: Path, bits: int = 256) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise ConfigError(f"{where}: {key} must be a whole number 0..{(1 << bits) - 1}, got {value!r}")
    return value


def _seconds(value: object, key: str, where: Path, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a number of seconds, not text {value!r}")
    try:
        return parse_seconds(value, key, minimum=0.1, maximum=86_400)
    except InputError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None


def _production(value: object, where: Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: production must be true or false, got {value!r}")
    return value


KNOWN_KEYS = ("rpc_url", "chain_id", "gas_price", "evm_version", "log_chunk", "receipt_timeout", "rpc_timeout",
              "production")


def load_network(name: str, home: Path) -> NetworkProfile:
    """The profile called ``name``: ``local`` is built in, others come from networks.toml."""
    if name == LOCAL_NETWORK:
        return local_profile(block_time=local_block_time())
    if not isinstance(name, str) or not name.strip() or len(name) > 64 or not name.isprintable():
        raise ConfigError(f"network name {name[:40]!r} is malformed", hint="a name under [networks.NAME]")
    path = home / "networks.toml"
    if not path.exists() and not path.is_symlink():
        raise ConfigError(
            f"unknown network {name!r}",
            hint=f"describe it under [networks.{name}] in {path}, or use --network local",
        )
    try:
        text = read_text(path, what="networks file", limit=1 << 20)
    except InputError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    import tomllib  # only when there is a networks file (5 ms of start-up otherwise)

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({' '.join(str(exc).split())[:160]})") from None
    networks = data.get("networks", {})
    if not isinstance(networks, dict):
        raise ConfigError(f"{path}: `networks` must be a table of [networks.NAME] sections, not {networks!r}"[:200])
    entry = networks.get(name)
    if not isinstance(entry, dict):
        raise ConfigError(f"unknown network {name!r}", hint=f"add [networks.{name}] to {path}")
    unknown = [k for k in entry if k not in KNOWN_KEYS]
    if unknown:
        raise ConfigError(f"{path}: networks.{name}.{unknown[0]} is not a setting (known: {', '.join(KNOWN_KEYS)})")
    evm = entry.get("evm_version", "cancun")
    if not isinstance(evm, str) or not evm.isascii() or not evm.isalpha():
        raise ConfigError(f"{path}: networks.{name}.evm_version must be a name such as cancun, got {evm!r}")
    rpc_url = entry.get("rpc_url")
    if not isinstance(rpc_url, str) or not rpc_url.startswith(("http://", "https://")):
        raise ConfigError(f"{path}: networks.{name}.rpc_url must be an http(s) URL")
    return NetworkProfile(
        name=name,
        rpc_url=rpc_url,
        chain_id=_int_or_none(entry.get("chain_id"), "chain_id", path, bits=64),
        gas_price=_int_or_none(entry.get("gas_price", 0), "gas_price", path),
        evm_version=evm,
        log_chunk=_int_or_none(entry.get("log_chunk", 5000), "log_chunk", path, bits=32) or 5000,
        receipt_timeout=_seconds(entry.get("receipt_timeout"), "receipt_timeout", path, 120.0),
        rpc_timeout=_seconds(entry.get("rpc_timeout"), "rpc_timeout", path, 30.0),
        production=_production(entry.get("production", True), path),
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
    if rpc_url and (not rpc_url.startswith(("http://", "https://")) or not rpc_url.isprintable()
                    or any(c.isspace() for c in rpc_url)):
        raise ConfigError(f"RPC URL {rpc_url[:60]!r} must be an http(s) URL", hint="e.g. http://127.0.0.1:8545")
    if rpc_url:
        profile = replace(profile, rpc_url=rpc_url, embedded=False)
    build_dir = Path(os.environ.get("RIGHTS_LEDGER_BUILD") or REPO_ROOT / "build" / "contracts")
    return Settings(
        home=home,
        network=profile,
        store=store or os.environ.get("RIGHTS_LEDGER_STORE") or None,
        build_dir=build_dir,
    )
