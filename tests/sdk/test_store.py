"""Metadata stores: the local block folder, the kubo client (against a fake API, and a real
daemon when RIGHTS_LEDGER_IPFS_API is set) and open_store."""

from __future__ import annotations

import email
import errno
import json
import os
import random
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ledger.cid import CHUNK_SIZE, cid_for_bytes, dag_blocks
from ledger.errors import (
    ConfigError,
    ContentNotFound,
    InputError,
    MetadataMismatch,
    StoreUnavailable,
)
from ledger.store import KuboStore, LocalStore, MetadataStore, open_store
from ledger.store.kubo import api_multiaddr

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


class FakeKubo(BaseHTTPRequestHandler):
    """Enough of kubo's /api/v0 for the client: add, cat, block/stat, pin/add."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                out += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return out
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, message: str) -> None:
        self._reply(500, json.dumps({"Message": message, "Code": 0, "Type": "error"}).encode())

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        body = self._body()
        state = self.server.state
        state["requests"].append((url.path, query))
        arg = query.get("arg", [""])[0]
        if url.path == "/api/v0/add":
            msg = email.message_from_bytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
            )
            parts: list[Any] = msg.get_payload()  # type: ignore[assignment]
            data: bytes = parts[0].get_payload(decode=True) or b""
            cid = state.get("add_answer") or cid_for_bytes(data)
            state["content"][cid] = data
            reply = {"Name": cid, "Hash": cid, "Size": str(len(data))}
            self._reply(200, json.dumps(reply).encode())
        elif url.path == "/api/v0/cat":
            if arg not in state["content"]:
                return self._error(f"block was not found locally (offline): {arg} not found")
            data = state["content"][arg]
            if state.get("tamper"):
                data = data + b" "
            self._reply(200, data, "text/plain")
        elif url.path == "/api/v0/block/stat":
            if arg not in state["content"]:
                return self._error("block was not found locally (offline)")
            self._reply(200, json.dumps({"Key": arg, "Size": 1}).encode())
        elif url.path == "/api/v0/pin/add":
            self._reply(200, json.dumps({"Pins": [arg]}).encode())
        else:
            self._error(f"unknown command {url.path}")


@pytest.fixture
def fake_kubo() -> Iterator[tuple[KuboStore, dict[str, Any]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKubo)
    server.state = {"content": {}, "requests": []}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield KuboStore(f"http://127.0.0.1:{server.server_port}", timeout=10), server.state  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_kubo_client_requests(fake_kubo: tuple[KuboStore, dict[str, Any]], tmp_path: Path) -> None:
    store, state = fake_kubo
    cid = store.add(b"hello")
    assert cid == cid_for_bytes(b"hello") and state["content"][cid] == b"hello"
    path, query = state["requests"][-1]
    assert path == "/api/v0/add"
    assert query["cid-version"] == ["1"] and query["raw-leaves"] == ["true"]
    assert query["chunker"] == ["size-262144"] and query["pin"] == ["true"]
    assert store.cat(cid) == b"hello"
    assert store.has(cid) and not store.has(cid_for_bytes(b"other"))
    store.pin(cid)
    path, query = state["requests"][-1]
    assert path == "/api/v0/pin/add" and query["arg"] == [cid]
    src = tmp_path / "f.bin"
    src.write_bytes(BIG)
    assert store.add_file(src) == cid_for_bytes(BIG)
    assert state["content"][cid_for_bytes(BIG)] == BIG


def test_kubo_verifies_what_it_reads(fake_kubo: tuple[KuboStore, dict[str, Any]]) -> None:
    store, state = fake_kubo
    cid = store.add(b"document")
    state["tamper"] = True
    with pytest.raises(MetadataMismatch, match=cid):
        store.cat(cid)
    with pytest.raises(ContentNotFound):
        store.cat(cid_for_bytes(b"absent"))


def test_kubo_checks_the_cid_it_is_given(fake_kubo: tuple[KuboStore, dict[str, Any]]) -> None:
    store, state = fake_kubo
    state["add_answer"] = cid_for_bytes(b"something else")
    with pytest.raises(MetadataMismatch, match="import settings"):
        store.add(b"document")


# --- KuboStore against a real daemon ----------------------------------------------------

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
