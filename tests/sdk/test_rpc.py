"""The JSON-RPC module (``ledger.core.rpc``) against a scripted JSON-RPC server on 127.0.0.1:
log ranges halve on a refusal, batched calls keep their order, failures are LedgerErrors."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledger.core.errors import ChainUnavailable, LedgerError, TransactionFailed
from ledger.core.rpc import Rpc, RpcRefused, connection_failure

MAX_RANGE = 3  # the scripted node refuses eth_getLogs over more blocks than this


class Node(BaseHTTPRequestHandler):
    asked: list[tuple[int, int]] = []
    max_range = MAX_RANGE

    def log_message(self, *_a: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reply = [self.answer(r) for r in body] if isinstance(body, list) else self.answer(body)
        if isinstance(body, list):
            reply.reverse()  # batch replies may come in any order
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self, req: dict) -> dict:
        out = {"jsonrpc": "2.0", "id": req["id"]}
        method, params = req["method"], req["params"]
        if method == "eth_getLogs":
            lo, hi = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
            Node.asked.append((lo, hi))
            if hi - lo + 1 > Node.max_range:
                return {**out, "error": {"code": -32005, "message": "query returned more than 10000 results"}}
            return {**out, "result": [{"blockNumber": hex(b)} for b in range(lo, hi + 1)]}
        if method == "eth_call":
            data = params[0]["data"]
            if data == "0xdead":
                return {**out, "error": {"code": 3, "message": "execution reverted"}}
            return {**out, "result": data + "00"}
        if method == "eth_getBlockByNumber":
            n = int(params[0], 16)
            return {**out, "result": {"number": params[0], "timestamp": hex(1000 + n)}}
        if method == "eth_chainId":
            return {**out, "result": "0x539"}
        return {**out, "error": {"code": -32601, "message": f"method {method} not found"}}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Node)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_get_logs_halves_a_refused_range_and_covers_every_block_once(url):
    Node.asked.clear()
    chunks = list(Rpc(url).get_logs(["0x" + "11" * 20], 10, 29, chunk=10))
    blocks = [int(log["blockNumber"], 16) for _end, logs in chunks for log in logs]
    assert blocks == list(range(10, 30))
    assert chunks[-1][0] == 29 and all(hi - lo + 1 <= MAX_RANGE for lo, hi in Node.asked[-len(chunks):])
    assert Node.asked[0] == (10, 19) and (10, 14) in Node.asked  # refused, then halved (10 -> 5 -> 2)


def test_a_range_refused_even_at_one_block_raises(url, monkeypatch):
    monkeypatch.setattr(Node, "max_range", 0)
    with pytest.raises(RpcRefused, match="more than 10000 results") as info:
        list(Rpc(url).get_logs([], 1, 4, chunk=4))
    assert isinstance(info.value, TransactionFailed) and info.value.method == "eth_getLogs"


def test_eth_call_many_keeps_the_order_across_batches_and_marks_failures(url):
    calls = [("0x" + "22" * 20, bytes([i])) for i in range(5)] + [("0x" + "22" * 20, bytes.fromhex("dead"))]
    got = Rpc(url).eth_call_many(calls, size=2)
    assert got == [bytes([i, 0]) for i in range(5)] + [None]
    with pytest.raises(RpcRefused, match="eth_call failed: execution reverted"):
        Rpc(url).eth_call_many(calls, size=2, strict=True)


def test_block_timestamps_and_single_requests(url):
    rpc = Rpc(url)
    assert rpc.block_timestamps([3, 1, 3]) == {1: 1001, 3: 1003}
    assert rpc.block_timestamps([]) == {}
    assert rpc.chain_id() == 1337
    with pytest.raises(RpcRefused, match="not found"):
        rpc.request("eth_nothing")


def test_an_unreachable_node_is_chain_unavailable_never_a_requests_error(closed_port_url):
    rpc = Rpc(closed_port_url, timeout=2)
    for attempt in (lambda: rpc.request("eth_blockNumber"), lambda: rpc.eth_call_many([("0x" + "00" * 20, b"")]),
                    lambda: list(rpc.get_logs([], 0, 1)), lambda: rpc.block_timestamps([1])):
        with pytest.raises(ChainUnavailable, match="not reachable") as info:
            attempt()
        assert isinstance(info.value, LedgerError) and connection_failure(info.value.__cause__)
    assert rpc.chain_id() is None
