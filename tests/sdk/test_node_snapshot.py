"""The embedded node's snapshot (ledger.core.node.EmbeddedNode.persist) is streamed: anvil's
``anvil_dumpState`` answer is hex-decoded and gunzipped piece by piece into a temporary file that
replaces the state file only once complete. The file equals the state read in one piece; a
broken answer, or a kill of the process mid-snapshot, leaves the last state file as it was."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ledger.core import node as node_mod
from ledger.core.errors import ChainUnavailable
from tests.fixtures.chain import fresh_chain

REPO = Path(__file__).resolve().parents[2]
CID = b"\x01\x55\x12\x20" + b"\x55" * 32


# --- against the real node --------------------------------------------------------------------


@pytest.fixture()
def env(tmp_path):
    yield from fresh_chain(tmp_path)


def test_the_streamed_snapshot_equals_the_state_read_in_one_piece(env):
    led = env.ledger("alice")
    for i in range(3):
        h = hashlib.sha256(f"snapshot:{i}".encode()).digest()
        led.chain.transact(led.registry.functions.registerBatch([(h, CID, 2, 1, [(led.signer.address, 10000)])]),
                           led.signer)
    env.node.persist()
    streamed = env.node.state_file.read_bytes()
    raw = bytes.fromhex(led.rpc.request("anvil_dumpState")[2:])  # the whole answer at once, as before
    whole = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    assert streamed == whole
    assert json.loads(streamed)["blocks"]  # anvil's state JSON
    assert not env.node.state_file.with_name("state.json.tmp").exists()
    # and the node loads it: stop (SIGKILL, so anvil does not dump its own), start, same head
    head = led.chain.block_number()
    env.node.kill()
    env.node.start()
    assert env.ledger("alice").chain.block_number() == head


# --- against a fake node: answers of every shape, broken ones -----------------------------------


class _Fake(http.server.BaseHTTPRequestHandler):
    body: bytes = b""
    chunked = False
    stall_after: int | None = None  # bytes sent before the answer stalls (a kill test)
    cut_after: int | None = None  # bytes sent before the connection drops

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        body = self.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        limit = self.cut_after if self.cut_after is not None else self.stall_after
        sent = body if limit is None else body[:limit]
        if self.chunked:
            for i in range(0, len(sent), 1000):
                part = sent[i:i + 1000]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            if limit is None:
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(sent)
        self.wfile.flush()
        if self.stall_after is not None:
            time.sleep(30)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def fake():
    servers = []

    def serve(body: bytes, **attrs: object) -> str:
        handler = type("Handler", (_Fake,), {"body": body, **attrs})
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield serve
    for srv in servers:
        srv.shutdown()
        srv.server_close()


STATE = json.dumps({"block": {"number": "0x2a"}, "accounts": {f"0x{i:040x}": {"nonce": i} for i in range(3000)},
                    "blocks": [{"header": {"number": hex(i)}} for i in range(500)]}).encode()


def _answer(result: bytes, key_order: str = "id-first") -> bytes:
    if key_order == "id-first":
        return b'{"jsonrpc":"2.0","id":1,"result":"0x' + result.hex().encode() + b'"}'
    return b'{"result": "0x' + result.hex().encode() + b'", "jsonrpc": "2.0", "id": 1}'


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("piece", [7, 4096, 1 << 20])
def test_gzip_answers_are_decoded_piece_by_piece(fake, chunked, piece):
    url = fake(_answer(gzip.compress(STATE)), chunked=chunked)
    out = io.BytesIO()
    assert node_mod.dump_state_to(url, out, piece=piece) == len(STATE)
    assert out.getvalue() == STATE


def test_uncompressed_answers_several_gzip_members_and_other_key_orders(fake):
    out = io.BytesIO()
    node_mod.dump_state_to(fake(_answer(STATE, "result-first")), out, piece=333)
    assert out.getvalue() == STATE
    two = gzip.compress(STATE[:1000]) + gzip.compress(STATE[1000:])
    out = io.BytesIO()
    node_mod.dump_state_to(fake(_answer(two)), out, piece=101)
    assert out.getvalue() == STATE == gzip.decompress(two)


@pytest.mark.parametrize("body, why", [
    (b'{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}', "Method not found"),
    (_answer(gzip.compress(STATE))[:-5000] + b'"}', "truncated"),
    (b'{"jsonrpc":"2.0","id":1,"result":"0xzz11"}', "not hex"),
    (b'{"jsonrpc":"2.0","id":1,"result":"0x1f8b0000"}', "gzip"),
    (b'{"jsonrpc":"2.0","id":1,"result":"0x"}', "empty"),
    (b'<html>not json</html>', "no result"),
])
def test_broken_answers_are_refused(fake, body, why):
    with pytest.raises(ChainUnavailable, match=why):
        node_mod.dump_state_to(fake(body), io.BytesIO(), piece=512)


def test_a_connection_lost_midway_keeps_the_last_state_file(fake, tmp_path):
    node = _node_at(fake(_answer(gzip.compress(STATE)), cut_after=3000), tmp_path)
    node.state_file.write_bytes(b'{"old": "state"}')
    with pytest.raises(ChainUnavailable):
        node.persist()
    assert node.state_file.read_bytes() == b'{"old": "state"}'
    assert not node.state_file.with_name("state.json.tmp").exists()


def _node_at(url: str, chain_dir: Path) -> node_mod.EmbeddedNode:
    from ledger.core.config import local_profile

    port = int(url.rsplit(":", 1)[1])
    return node_mod.EmbeddedNode(local_profile(port=port), chain_dir)


def test_a_kill_mid_snapshot_leaves_the_old_state_intact(fake, tmp_path):
    state = json.dumps({"old": "state", "pad": "x" * 1000}).encode()
    answer = _answer(gzip.compress(STATE, compresslevel=0))  # stored: the tmp file grows as it arrives
    url = fake(answer, stall_after=len(answer) // 2)
    (tmp_path / "state.json").write_bytes(state)
    code = ("import sys; from pathlib import Path; from ledger.core.config import local_profile; "
            "from ledger.core.node import EmbeddedNode; "
            f"EmbeddedNode(local_profile(port={int(url.rsplit(':', 1)[1])}), Path(sys.argv[1])).persist()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    tmp = tmp_path / "state.json.tmp"
    deadline = time.monotonic() + 60
    while not (tmp.exists() and tmp.stat().st_size > 0):
        assert proc.poll() is None and time.monotonic() < deadline, "the snapshot never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "state.json").read_bytes() == state  # the last complete state, untouched
    # the next snapshot replaces the leftover temporary file
    node = _node_at(fake(_answer(gzip.compress(STATE))), tmp_path)
    node.persist()
    assert (tmp_path / "state.json").read_bytes() == STATE and not tmp.exists()
