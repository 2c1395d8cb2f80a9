"""Metadata stores: the local block folder, the kubo client (unreachable, and a real
daemon when RIGHTS_LEDGER_IPFS_API is set; never a fake one) and open_store."""

from __future__ import annotations

import errno
import os
import random
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from ledger.content.cid import CHUNK_SIZE, cid_for_bytes, dag_blocks
from ledger.content.store import KuboStore, LocalStore, MetadataStore, open_store
from ledger.content.store.kubo import api_multiaddr
from ledger.core.errors import (
    ConfigError,
    ContentNotFound,
    InputError,
    MetadataMismatch,
    StoreUnavailable,
)

BIG = random.Random(7).randbytes(3 * CHUNK_SIZE + 5)


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def flip_last_byte(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


# --- LocalStore -------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b'{"title":"x"}', bytes(CHUNK_SIZE), BIG])
def test_local_round_trip(store: LocalStore, data: bytes) -> None:
    cid = store.add(data)
    assert cid == cid_for_bytes(data)
    assert store.cat(cid) == data
    assert store.has(cid)
    store.pin(cid)


def test_local_layout_is_one_file_per_block(store: LocalStore) -> None:
    cid = store.add(BIG)
    stored = files_under(store.root)
    expected = {c: b for c, b in dag_blocks(BIG)}
    assert {p.name for p in stored} == set(expected)
    for path in stored:
        assert path.parent.name == path.name[7:9]  # two characters after bafkrei/bafybei
        assert path.parent.parent == store.root / "blocks"
        assert path.read_bytes() == expected[path.name]
    assert store.block_path(cid) in stored


def test_local_add_is_idempotent(store: LocalStore) -> None:
    first = store.add(BIG)
    before = {p: p.read_bytes() for p in files_under(store.root)}
    assert store.add(BIG) == first
    assert {p: p.read_bytes() for p in files_under(store.root)} == before


def test_local_add_file_streams_same_blocks(store: LocalStore, tmp_path: Path) -> None:
    src = tmp_path / "work.bin"
    src.write_bytes(BIG)
    cid = store.add_file(src)
    assert cid == cid_for_bytes(BIG)
    assert store.cat(cid) == BIG
    with pytest.raises(InputError, match="cannot read"):
        store.add_file(tmp_path / "missing.bin")


def test_local_detects_tampered_raw_block(store: LocalStore) -> None:
    cid = store.add(b"metadata document")
    flip_last_byte(store.block_path(cid))
    with pytest.raises(MetadataMismatch, match=cid):
        store.cat(cid)


@pytest.mark.parametrize("which", ["root", "leaf"])
def test_local_detects_tampered_dag_block(store: LocalStore, which: str) -> None:
    cid = store.add(BIG)
    target = cid if which == "root" else dag_blocks(BIG)[1][0]
    flip_last_byte(store.block_path(target))
    with pytest.raises(MetadataMismatch):
        store.cat(cid)


def test_local_readd_repairs_tampered_block(store: LocalStore) -> None:
    cid = store.add(b"doc")
    flip_last_byte(store.block_path(cid))
    store.add(b"doc")
    assert store.cat(cid) == b"doc"


def test_local_missing_content(store: LocalStore) -> None:
    absent = cid_for_bytes(b"never stored")
    assert not store.has(absent)
    with pytest.raises(ContentNotFound, match=absent):
        store.cat(absent)
    with pytest.raises(ContentNotFound):
        store.pin(absent)


def test_local_missing_leaf(store: LocalStore) -> None:
    cid = store.add(BIG)
    store.block_path(dag_blocks(BIG)[0][0]).unlink()
    assert not store.has(cid)
    with pytest.raises(ContentNotFound):
        store.cat(cid)


def test_local_rejects_malformed_cid(store: LocalStore) -> None:
    with pytest.raises(InputError, match="invalid CID"):
        store.cat("not-a-cid")


def test_local_unwritable_root(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = LocalStore(blocker / "store")
    with pytest.raises(StoreUnavailable, match="cannot write block") as info:
        store.add(b"data")
    assert str(blocker) in str(info.value)
    assert blocker.read_text() == "not a directory"


@pytest.mark.parametrize("fail", ["replace", "fsync"])
def test_local_disk_full_leaves_no_partial_block(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    def full(*args: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, fail, full)  # as seen by ledger.store.local
    with pytest.raises(StoreUnavailable, match="No space left"):
        store.add(b"document")
    assert files_under(store.root) == []  # no block, no temporary file
    monkeypatch.undo()
    cid = store.add(b"document")
    assert store.cat(cid) == b"document"


def test_local_describe(store: LocalStore) -> None:
    assert str(store.root) in store.describe()
    assert isinstance(store, MetadataStore)


# --- open_store and addresses -----------------------------------------------------------


def test_open_store(tmp_path: Path) -> None:
    for spec in (None, "local", ""):
        s = open_store(spec, tmp_path)
        assert isinstance(s, LocalStore) and s.root == tmp_path / "store"
    other = open_store(f"local:{tmp_path / 'elsewhere'}", tmp_path)
    assert isinstance(other, LocalStore) and other.root == tmp_path / "elsewhere"
    for spec in ("kubo:/ip4/127.0.0.1/tcp/5001", "/ip4/127.0.0.1/tcp/5001"):
        s = open_store(spec, tmp_path)
        assert isinstance(s, KuboStore) and s.address == "/ip4/127.0.0.1/tcp/5001"
    s = open_store("http://127.0.0.1:5001", tmp_path)
    assert isinstance(s, KuboStore) and s.address == "/ip4/127.0.0.1/tcp/5001/http"
    for bad in ("s3://bucket", "kubo:ftp://host:1", "kubo:http://host:5001/x"):
        with pytest.raises(ConfigError):
            open_store(bad, tmp_path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/ip4/127.0.0.1/tcp/5001", "/ip4/127.0.0.1/tcp/5001"),
        ("http://127.0.0.1:5001", "/ip4/127.0.0.1/tcp/5001/http"),
        ("http://localhost:5001/api/v0", "/dns/localhost/tcp/5001/http"),
        ("https://[::1]:5001", "/ip6/::1/tcp/5001/https"),
        ("https://ipfs.example", "/dns/ipfs.example/tcp/443/https"),
        ("127.0.0.1:5001", "/ip4/127.0.0.1/tcp/5001/http"),
    ],
)
def test_api_multiaddr(given: str, expected: str) -> None:
    assert api_multiaddr(given) == expected


# --- KuboStore without a daemon ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_kubo_unreachable() -> None:
    port = free_port()
    store = KuboStore(f"http://127.0.0.1:{port}", timeout=5)
    cid = cid_for_bytes(b"x")
    for call in (lambda: store.add(b"x"), lambda: store.cat(cid), lambda: store.pin(cid)):
        with pytest.raises(StoreUnavailable, match=re.escape(f"127.0.0.1/tcp/{port}")) as info:
            call()
        assert info.value.hint and "ipfs daemon" in info.value.hint
    with pytest.raises(StoreUnavailable):
        store.has(cid)


KUBO_API = os.environ.get("RIGHTS_LEDGER_IPFS_API")


@pytest.mark.kubo
@pytest.mark.skipif(not KUBO_API, reason="set RIGHTS_LEDGER_IPFS_API to a kubo API address")
def test_real_kubo_round_trip(tmp_path: Path) -> None:
    store = open_store(f"kubo:{KUBO_API}", tmp_path)
    nonce = os.urandom(16)
    for data in (b"rights-ledger test " + nonce, nonce + BIG):
        cid = store.add(data)
        assert cid == cid_for_bytes(data)
        assert store.has(cid)
        store.pin(cid)
        assert store.cat(cid) == data
    src = tmp_path / "work.bin"
    src.write_bytes(nonce + BIG + nonce)
    assert store.add_file(src) == cid_for_bytes(src.read_bytes())
