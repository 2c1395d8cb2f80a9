"""The metadata store interface: content-addressed bytes, named by IPFS CIDv1.

Every store computes CIDs exactly as ``ipfs add --cid-version=1`` does (see
:mod:`ledger.cid`), and :meth:`MetadataStore.cat` never returns bytes it has not checked
against the CID it was asked for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from os import PathLike

from ledger.content.cid import cid_for_bytes
from ledger.core.errors import MetadataMismatch


class MetadataStore(ABC):
    """Content-addressed storage of metadata documents and work files."""

    @abstractmethod
    def add(self, data: bytes) -> str:
        """Store ``data``; return its CID. Adding the same bytes again is harmless."""

    @abstractmethod
    def add_file(self, path: str | PathLike[str]) -> str:
        """Store a file's content (streamed where the store can); return its CID."""

    @abstractmethod
    def cat(self, cid: str) -> bytes:
        """The bytes under ``cid``, verified against it.

        Raises :class:`~ledger.errors.ContentNotFound` if they are not stored, and
        :class:`~ledger.errors.MetadataMismatch` (never returning data) if they do not
        hash to ``cid``.
        """

    @abstractmethod
    def has(self, cid: str) -> bool:
        """Whether the content under ``cid`` is held by this store."""

    @abstractmethod
    def pin(self, cid: str) -> None:
        """Keep the content under ``cid`` from being garbage-collected."""

    @abstractmethod
    def describe(self) -> str:
        """One line saying which store this is and where, for messages and ``status``."""


def verify_content(cid: str, data: bytes, source: str) -> bytes:
    """Return ``data`` if its CID is ``cid``; else raise :class:`MetadataMismatch`."""
    actual = cid_for_bytes(data)
    if actual != cid:
        raise MetadataMismatch(
            f"{source} returned {len(data)} bytes for {cid} that hash to {actual}",
            hint="the store's copy is corrupt or was added with other import settings",
        )
    return data
