"""The embedded metadata store: a folder of IPFS blocks, kept like a node's blockstore.

Each block lives in ``<root>/blocks/<xx>/<cid>``, where ``xx`` are the two characters
after the fixed CID prefix (``bafkrei`` for raw leaves, ``bafybei`` for dag-pb nodes).
Content over one chunk is kept as its UnixFS DAG (raw leaves plus dag-pb nodes), so the
folder can be imported into any IPFS node with the same CIDs, and is reassembled on read.

Writes are atomic: a block is written to a temporary file in its own directory, synced
and renamed into place, so a crash, a full disk or a permission problem never leaves a
partial block under a CID name.
"""

from __future__ import annotations

import contextlib
import os
from os import PathLike
from pathlib import Path

from ledger.content.cid import (
    CODEC_RAW,
    block_links,
    emit_dag_blocks,
    emit_file_dag_blocks,
    parse_cid,
    read_dag,
)
from ledger.content.store.base import MetadataStore
from ledger.core.errors import ContentNotFound, InputError, StoreUnavailable

_PREFIX_LEN = len("bafkrei")


class LocalStore(MetadataStore):
    """Blocks in a local folder; nothing to run, nothing to pin."""

    def __init__(self, root: str | PathLike[str]) -> None:
        self.root = Path(root)
        self.blocks = self.root / "blocks"

    def describe(self) -> str:
        return f"local store at {self.root}"

    def block_path(self, cid: str) -> Path:
        """Where the block named ``cid`` is (or would be) kept."""
        parse_cid(cid)
        return self.blocks / cid[_PREFIX_LEN : _PREFIX_LEN + 2] / cid

    # --- writing ----------------------------------------------------------------------

    def _put(self, cid: str, block: bytes) -> None:
        """Store one block atomically, unless an intact copy is there already."""
        path = self.block_path(cid)
        if path.is_file():
            with contextlib.suppress(OSError):
                if parse_cid(cid).matches(path.read_bytes()):
                    return
        import tempfile  # a write: not on a read command's start-up

        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(block)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
        except OSError as e:
            raise StoreUnavailable(
                f"cannot write block {cid} under {self.root}: {e.strerror or e}",
                hint="check that the disk has space and the folder is writable",
            ) from e
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def add(self, data: bytes) -> str:
        return emit_dag_blocks(data, self._put)

    def add_file(self, path: str | PathLike[str]) -> str:
        try:
            return emit_file_dag_blocks(path, self._put)
        except OSError as e:  # _put turns its own errors into StoreUnavailable
            raise InputError(f"cannot read {path}: {e.strerror or e}") from None

    # --- reading ----------------------------------------------------------------------

    def _get(self, cid: str) -> bytes:
        path = self.block_path(cid)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(f"no block {cid} in {self.describe()}") from None
        except OSError as e:
            raise StoreUnavailable(f"cannot read block {cid} at {path}: {e.strerror}") from e

    def cat(self, cid: str) -> bytes:
        return b"".join(read_dag(cid, self._get))

    def has(self, cid: str) -> bool:
        """Whether every block of ``cid``'s DAG is present (node blocks are also verified)."""
        if parse_cid(cid).codec == CODEC_RAW:
            return self.block_path(cid).is_file()
        try:
            block = self._get(cid)
            if not parse_cid(cid).matches(block):
                return False
            return all(self.has(link) for link in block_links(cid, block))
        except ContentNotFound:
            return False

    def pin(self, cid: str) -> None:
        """Nothing to do (a local store keeps everything), once the content is known to be here."""
        if not self.has(cid):
            raise ContentNotFound(f"cannot pin {cid}: not in {self.describe()}")
