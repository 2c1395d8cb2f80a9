"""Metadata stores: the local block folder, the kubo client and open_store.

The kubo client runs against a real IPFS daemon: js-ipfs started by the session fixture
(tests/fixtures/ipfs.py), or the one RIGHTS_LEDGER_IPFS_API names. Only the tests of a
node that answers *wrongly* use a small HTTP server of their own, since no real node
does that on request."""

from __future__ import annotations

import errno
import http.server
import json
import os
import random
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
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
    StoreError,
    StoreUnavailable,
)
from tests.fixtures.ipfs import ipfs_api, ipfs_daemon  # noqa: F401  (fixtures)

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


# --- KuboStore against a real daemon -----------------------------------------------------


def rpc(api: str, command: str) -> Any:
    """Ask the daemon directly (not through KuboStore), to check what the store did."""
    addr = api_multiaddr(api).split("/")
    req = urllib.request.Request(f"http://{addr[2]}:{addr[4]}/api/v0/{command}", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture
def kubo(ipfs_api: str) -> KuboStore:  # noqa: F811
    return KuboStore(ipfs_api, read_timeout=1)


SIZES = {
    "one byte": b"x",
    "json": b'{"title":"a work"}',
    "one chunk": bytes(CHUNK_SIZE),
    "chunk and a byte": bytes(CHUNK_SIZE + 1),
    "multi-chunk": BIG,
}


@pytest.mark.kubo
@pytest.mark.parametrize("name", list(SIZES))
def test_kubo_cids_equal_local_store(kubo: KuboStore, store: LocalStore, ipfs_api: str, name: str) -> None:  # noqa: F811
    data = os.urandom(8) + SIZES[name]  # fresh bytes: the node has never seen them
    cid = kubo.add(data)
    assert cid == store.add(data) == cid_for_bytes(data)
    assert cid.startswith("bafkrei" if len(data) <= CHUNK_SIZE else "bafybei")  # CIDv1, base32
    assert kubo.cat(cid) == data
    assert kubo.has(cid)
    # pinned in the same call, recursively (asked of the node, not of the store)
    assert rpc(ipfs_api, f"pin/ls?arg={cid}&type=recursive&cid-base=base32")["Keys"] == {cid: {"Type": "recursive"}}
    # and every block of the DAG the local store wrote is on the node too
    for block_cid, block in dag_blocks(data):
        assert rpc(ipfs_api, f"block/stat?arg={block_cid}&cid-base=base32")["Size"] == len(block)


@pytest.mark.kubo
def test_kubo_add_file_streams_to_same_cid(kubo: KuboStore, tmp_path: Path) -> None:
    src = tmp_path / "work.bin"
    src.write_bytes(os.urandom(16) + BIG)
    cid = kubo.add_file(src)
    assert cid == cid_for_bytes(src.read_bytes()) == LocalStore(tmp_path / "s").add_file(src)
    assert kubo.cat(cid) == src.read_bytes()
    with pytest.raises(InputError, match="cannot read"):
        kubo.add_file(tmp_path / "missing.bin")


@pytest.mark.kubo
def test_kubo_add_is_idempotent_and_pin_is_harmless(kubo: KuboStore) -> None:
    data = b"twice " + os.urandom(8)
    cid = kubo.add(data)
    assert kubo.add(data) == cid
    kubo.pin(cid)
    assert kubo.has(cid) and kubo.cat(cid) == data


@pytest.mark.kubo
def test_kubo_missing_content_is_not_found_quickly(kubo: KuboStore) -> None:
    absent = cid_for_bytes(b"never stored " + os.urandom(8))
    assert not kubo.has(absent)
    t0 = time.monotonic()
    with pytest.raises(ContentNotFound, match=absent):
        kubo.cat(absent)
    with pytest.raises(ContentNotFound, match=absent):
        kubo.pin(absent)
    assert time.monotonic() - t0 < 10  # the server-side timeout ends the search (1 s each here)
    with pytest.raises(InputError, match="invalid CID"):
        kubo.cat("not-a-cid")


@pytest.mark.kubo
def test_kubo_version_and_describe(kubo: KuboStore, ipfs_api: str) -> None:  # noqa: F811
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", kubo.version())
    assert api_multiaddr(ipfs_api) in kubo.describe()


# --- KuboStore against a node that answers wrongly ---------------------------------------


class _Wrong(http.server.BaseHTTPRequestHandler):
    answer: Callable[[str], tuple[int, str, bytes]]

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        elif self.headers.get("Transfer-Encoding") == "chunked":
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break
        status, ctype, body = type(self).answer(self.path)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def wrong_node() -> Iterator[Callable[[Callable[[str], tuple[int, str, bytes]]], KuboStore]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def make(answer: Callable[[str], tuple[int, str, bytes]]) -> KuboStore:
        handler = type("Handler", (_Wrong,), {"answer": staticmethod(answer)})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return KuboStore(f"http://127.0.0.1:{srv.server_address[1]}", timeout=5)

    yield make
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_kubo_store_rejects_a_wrong_cid(wrong_node) -> None:
    other = cid_for_bytes(b"something else")
    store = wrong_node(lambda path: (200, "application/json", json.dumps({"Hash": other, "Size": 3}).encode()))
    with pytest.raises(MetadataMismatch, match=other):
        store.add(b"doc")


def test_kubo_store_rejects_bytes_that_do_not_match(wrong_node) -> None:
    cid = cid_for_bytes(b"the real document")
    store = wrong_node(lambda path: (200, "text/plain", b"a forged document"))
    with pytest.raises(MetadataMismatch, match=cid):
        store.cat(cid)


@pytest.mark.parametrize(
    "answer",
    [
        (404, "text/html", b"<html>404 page not found</html>"),  # a web server, or the gateway port
        (200, "application/json", b"{not json"),
        (200, "application/json", b'{"Name": "x"}'),  # no Hash
        (200, "application/json", b'{"Hash": 42}'),
        (200, "application/json", b"[1, 2]"),
    ],
    ids=["html-404", "bad-json", "no-hash", "hash-not-a-string", "not-an-object"],
)
def test_kubo_store_wrong_answers_are_store_errors(wrong_node, answer: tuple[int, str, bytes]) -> None:
    store = wrong_node(lambda path: answer)
    with pytest.raises(StoreUnavailable) as info:  # exit code 2, never a traceback
        store.add(b"doc")
    assert "127.0.0.1" in info.value.message and info.value.hint


def test_kubo_store_refusal_is_store_error(wrong_node) -> None:
    refusal = json.dumps({"Message": "repo is read-only", "Code": 0, "Type": "error"}).encode()
    store = wrong_node(lambda path: (500, "application/json", refusal))
    with pytest.raises(StoreError, match="refused add: repo is read-only"):
        store.add(b"doc")


# --- sync_blobs between two stores -----------------------------------------------------


def test_sync_blobs_copies_verifies_and_resumes(tmp_path: Path) -> None:
    from ledger.content.store.sync import sync_blobs

    src, dst = LocalStore(tmp_path / "src"), LocalStore(tmp_path / "dst")
    blobs = [b"doc one", b"doc two", BIG]
    refs = [(src.add(b), f"work {i}") for i, b in enumerate(blobs)]
    corrupt = src.add(b"corrupt me")
    flip_last_byte(src.block_path(corrupt))
    missing = cid_for_bytes(b"never stored here")
    seen: list[tuple[str, str]] = []
    report = sync_blobs([*refs[:1], (corrupt, "work c"), (missing, "work m")], src, dst,
                        progress=lambda cid, outcome: seen.append((cid, outcome)))
    assert report.copied == [refs[0][0]] and report.present == []
    assert [(p.cid, p.where) for p in report.problems] == [(corrupt, "work c"), (missing, "work m")]
    assert "corrupt" in report.problems[0].reason and "not in the source" in report.problems[1].reason
    assert [o for _, o in seen] == ["copied", "problem", "problem"]
    assert not dst.has(corrupt) and not dst.has(missing)
    again = sync_blobs(refs, src, dst, verify_present=True)  # resumes: the first is there already
    assert again.present == [refs[0][0]] and again.copied == [c for c, _ in refs[1:]]
    assert again.bytes_copied == len(blobs[1]) + len(blobs[2])
    assert all(dst.cat(c) == b for (c, _), b in zip(refs, blobs, strict=True))
    assert again.to_json()["alreadyPresent"] == 1 and again.total == 3


def test_sync_blobs_stops_on_a_destination_fault(tmp_path: Path) -> None:
    from ledger.content.store.sync import SyncReport, sync_blobs

    src = LocalStore(tmp_path / "src")
    refs = [(src.add(b"a"), "a"), (src.add(b"b"), "b")]
    down = KuboStore(f"http://127.0.0.1:{free_port()}", timeout=5)
    report = SyncReport(src.describe(), down.describe())
    with pytest.raises(StoreUnavailable):
        sync_blobs(refs, src, down, report=report)
    assert report.total == 0
