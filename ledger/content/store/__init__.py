"""Metadata stores: where work metadata and files are kept, addressed by IPFS CIDv1.

:func:`open_store` picks one from a setting: the embedded :class:`LocalStore` by default,
or a kubo node through its HTTP API (:class:`KuboStore`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.content.store.base import MetadataStore
from ledger.content.store.local import LocalStore
from ledger.core.errors import ConfigError

if TYPE_CHECKING:
    from ledger.content.store.kubo import KuboStore


def __getattr__(name: str) -> Any:  # KuboStore (ipfshttpclient, requests) is imported when used
    if name == "KuboStore":
        from ledger.content.store.kubo import KuboStore

        return KuboStore
    raise AttributeError(name)

_API_PREFIXES = ("/ip4/", "/ip6/", "/dns/", "/dns4/", "/dns6/", "http://", "https://")


def open_store(spec: str | None, home: Path) -> MetadataStore:
    """The store a setting names.

    * ``None`` or ``"local"``: :class:`LocalStore` in ``home/"store"``;
    * ``"local:<dir>"``: :class:`LocalStore` in ``<dir>``;
    * ``"kubo:<addr>"``, or an API address alone (``/ip4/127.0.0.1/tcp/5001``,
      ``http://127.0.0.1:5001``): :class:`KuboStore`.
    """
    if spec is None or spec.strip() in ("", "local"):
        return LocalStore(Path(home) / "store")
    spec = spec.strip()
    if spec.startswith("local:"):
        return LocalStore(Path(spec.removeprefix("local:")).expanduser())
    if spec.startswith("kubo:") or spec.startswith(_API_PREFIXES):
        from ledger.content.store.kubo import KuboStore

        return KuboStore(spec.removeprefix("kubo:"))
    raise ConfigError(
        f"unknown metadata store {spec!r}",
        hint="use 'local', 'local:<dir>', 'kubo:/ip4/127.0.0.1/tcp/5001' or an API address",
    )


__all__ = ["KuboStore", "LocalStore", "MetadataStore", "open_store"]
