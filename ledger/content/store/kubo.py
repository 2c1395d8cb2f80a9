"""A metadata store backed by an IPFS node (kubo) through its HTTP RPC API.

Content is added with kubo's CIDv1 import settings (``cid-version=1``, raw leaves, chunker
``size-262144``), pinned in the same call (``pin=true``), and the CID is asked for in
base32 (``cid-base=base32``: kubo's default for CIDv1, but js-ipfs answers base58btc
otherwise). The CID the node reports is checked against the one computed locally by
:mod:`ledger.cid`, and everything read back with ``cat`` is re-hashed here before it is
returned: the node is trusted for availability, never for integrity.

The RPC endpoints used are ``add``, ``cat``, ``pin/add`` and ``pin/ls`` (see
docs/DEPLOYMENT.md). Reads carry a server-side ``timeout`` so a CID the node does not
hold ends in :class:`ContentNotFound` instead of an endless search (js-ipfs waits for a
missing block even when offline). Every failure is a :class:`StoreError`:
:class:`StoreUnavailable` when the node cannot be reached, timed out or answered with
something that is not the RPC API; :class:`StoreError` when it refused a call.

The client is built directly, not with ``ipfshttpclient.connect()``, which refuses daemon
versions newer than the ones that library knows.
"""

from __future__ import annotations

import contextlib
import ipaddress
import urllib.parse
import warnings
from collections.abc import Iterator
from os import PathLike
from typing import Any

import ipfshttpclient
from ipfshttpclient import exceptions as ipfs_errors

from ledger.content.cid import cid_for_bytes, cid_for_file, parse_cid
from ledger.content.store.base import MetadataStore, verify_content
from ledger.core.errors import (
    ConfigError,
    ContentNotFound,
    InputError,
    MetadataMismatch,
    StoreError,
    StoreUnavailable,
)

ADD_OPTIONS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": "size-262144",
    "pin": "true",
    "cid-base": "base32",
}
#: How long the node may look for content it does not hold before a read gives up.
READ_TIMEOUT = 10.0
_HINT = "start the daemon (`ipfs daemon`) or check the API address, e.g. /ip4/127.0.0.1/tcp/5001"


def api_multiaddr(addr: str) -> str:
    """Normalise an API address to the multiaddr ipfshttpclient wants.

    Accepts a multiaddr (``/ip4/127.0.0.1/tcp/5001``, ``/dns/host/tcp/5001/https``), a URL
    (``http://127.0.0.1:5001``, optionally ending in ``/api/v0``) or ``host:port``.
    """
    addr = addr.strip()
    if addr.startswith("/"):
        return addr
    if "://" not in addr:
        addr = "http://" + addr
    url = urllib.parse.urlsplit(addr)
    try:
        port = url.port
    except ValueError:
        port = -1
    if (
        url.scheme not in ("http", "https")
        or not url.hostname
        or port == -1
        or url.path.rstrip("/") not in ("", "/api/v0")
        or url.query
    ):
        raise ConfigError(f"cannot use {addr!r} as an IPFS API address", hint=_HINT)
    host = url.hostname
    try:
        proto = "ip4" if ipaddress.ip_address(host).version == 4 else "ip6"
    except ValueError:
        proto = "dns"
    port = port or (443 if url.scheme == "https" else 80)
    return f"/{proto}/{host}/tcp/{port}/{url.scheme}"


class KuboStore(MetadataStore):
    """Content kept and pinned by a kubo node."""

    def __init__(self, api: str, *, timeout: float = 60.0, read_timeout: float = READ_TIMEOUT) -> None:
        self.address = api_multiaddr(api)
        self.read_timeout = read_timeout
        try:
            with _quiet():
                self._client = ipfshttpclient.Client(self.address, timeout=timeout)
        except ipfs_errors.AddressError:
            raise ConfigError(f"cannot use {api!r} as an IPFS API address", hint=_HINT) from None

    def describe(self) -> str:
        return f"IPFS (kubo) API at {self.address}"

    @contextlib.contextmanager
    def _call(self, what: str) -> Iterator[None]:
        """Turn client failures into store errors that name the address."""
        try:
            with _quiet():
                yield
        except ipfs_errors.ConnectionError:
            raise StoreUnavailable(
                f"cannot reach the IPFS API at {self.address} ({what})", hint=_HINT
            ) from None
        except ipfs_errors.TimeoutError:
            raise StoreUnavailable(
                f"the IPFS API at {self.address} timed out ({what})",
                hint="the content may not be reachable from this node",
            ) from None
        except ipfs_errors.ErrorResponse as e:
            raise StoreError(f"the IPFS API at {self.address} refused {what}: {e}") from None
        except (ipfs_errors.StatusError, ipfs_errors.ProtocolError, ipfs_errors.DecodingError) as e:
            raise StoreUnavailable(
                f"{self.address} did not answer {what} as an IPFS RPC API does: {e}",
                hint="check that the address is the node's API port (Addresses.API), not its gateway",
            ) from None
        except ipfs_errors.Error as e:
            raise StoreUnavailable(f"the IPFS API at {self.address} failed ({what}): {e}") from None
        except (KeyError, ValueError, TypeError) as e:  # a JSON answer without the expected fields
            raise StoreUnavailable(
                f"the IPFS API at {self.address} answered {what} with an unexpected reply ({type(e).__name__}: {e})",
                hint="check that the address is an IPFS (kubo) RPC API",
            ) from None

    def _read_opts(self) -> dict[str, str]:
        return {"timeout": f"{self.read_timeout:g}s"}

    def _check_added(self, got: Any, expected: str) -> str:
        if not isinstance(got, str):
            raise StoreUnavailable(
                f"the IPFS API at {self.address} answered add with {got!r} instead of a CID",
                hint="check that the address is an IPFS (kubo) RPC API",
            )
        if got != expected:
            raise MetadataMismatch(
                f"{self.describe()} stored the content as {got}, expected {expected}",
                hint="the node's import settings differ from kubo's CIDv1 defaults",
            )
        return expected

    def add(self, data: bytes) -> str:
        expected = cid_for_bytes(data)
        with self._call("add"):
            got = self._client.add_bytes(bytes(data), opts=dict(ADD_OPTIONS))
        return self._check_added(got, expected)

    def add_file(self, path: str | PathLike[str]) -> str:
        try:
            expected = cid_for_file(path)
            with open(path, "rb") as f, self._call("add"):
                pieces = iter(lambda: f.read(1 << 20), b"")
                got = self._client.add_bytes(pieces, opts=dict(ADD_OPTIONS))
        except OSError as e:
            raise InputError(f"cannot read {path}: {e.strerror or e}") from None
        return self._check_added(got, expected)

    def cat(self, cid: str) -> bytes:
        parse_cid(cid)
        try:
            with self._call(f"cat {cid}"):
                data = self._client.cat(cid, opts=self._read_opts())
        except StoreError as e:
            if _absent(e.message):
                raise ContentNotFound(
                    f"no content under {cid} at {self.describe()}",
                    hint=f"the node neither holds it nor found it within {self.read_timeout:g}s",
                ) from None
            raise
        if not isinstance(data, bytes):
            raise StoreUnavailable(f"the IPFS API at {self.address} answered cat {cid} with {type(data).__name__}")
        return verify_content(cid, data, self.describe())

    def has(self, cid: str) -> bool:
        """Whether the node keeps ``cid``: it is pinned recursively, so its whole DAG is held
        and safe from garbage collection. Asks the pin set only (never a network search)."""
        parse_cid(cid)
        try:
            with self._call(f"pin ls {cid}"):
                keys = self._client.pin.ls(cid, type="recursive", opts={"cid-base": "base32"})["Keys"]
        except StoreUnavailable:
            raise
        except StoreError as e:
            if "not pinned" in e.message:
                return False
            raise
        return cid in keys

    def pin(self, cid: str) -> None:
        parse_cid(cid)
        try:
            with self._call(f"pin add {cid}"):
                self._client.pin.add(cid, opts=self._read_opts())
        except StoreError as e:
            if _absent(e.message):
                raise ContentNotFound(f"cannot pin {cid}: not at {self.describe()}") from None
            raise

    def version(self) -> str:
        """The node's version string (``/api/v0/version``); also a cheap liveness check."""
        with self._call("version"):
            return str(self._client.version()["Version"])


def _absent(message: str) -> bool:
    """Whether a refusal means "no such content here": kubo says *not found*, and a read
    that outlives the server-side ``timeout`` (js-ipfs, or kubo searching) *timed out*."""
    m = message.lower()
    return "not found" in m or "timed out" in m or "deadline exceeded" in m


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the urllib3 deprecation warning ipfshttpclient 0.8 triggers on every request."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)
        yield
