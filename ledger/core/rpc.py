"""Plain JSON-RPC to the chain node: the one place that speaks HTTP to it outside web3.

web3.py's contract objects are convenient for single calls; bulk reads (the audit trail,
coverage of a usage report, holders of thousands of works) are several times faster as
plain JSON-RPC decoded with eth-abi (ADR 007). This module holds every such request:

- :meth:`Rpc.request`: one method call;
- :meth:`Rpc.eth_call_many`: many ``eth_call`` in JSON-RPC batches;
- :meth:`Rpc.get_logs`: ``eth_getLogs`` over a block range in chunks a node accepts (``log_chunk``
  blocks, Besu's default limit is 5,000); a chunk the node refuses (too many results, range
  too large) is halved and retried;
- :meth:`Rpc.block_timestamps`: block times in one batch.

Failures are :class:`~ledger.core.errors.LedgerError` s, never socket or ``requests``
exceptions: a node that does not answer is :class:`~ledger.core.errors.ChainUnavailable`, an
error answer is :class:`~ledger.core.errors.TransactionFailed` (:class:`RpcRefused`).
:func:`connection_failure` maps the exceptions of web3's own HTTP provider the same way.

HTTP is a kept-alive HTTP/1.1 connection on a plain socket (:class:`_Http`) for ``http://``
URLs and the standard library's ``http.client`` for ``https://``: importing ``requests``
costs a read command more CPU than its whole answer (issue 15, start-up).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from ledger.core.errors import ChainUnavailable, LedgerError, TransactionFailed

LATEST = "latest"
CALL_BATCH = 500  # eth_call requests per JSON-RPC batch


class RpcRefused(TransactionFailed):
    """The node answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Any) -> None:
        message = error.get("message", error) if isinstance(error, dict) else error
        super().__init__(f"{method} failed: {message}")
        self.method = method
        self.error = error


class HttpError(ConnectionError):
    """The node's HTTP answer was not a JSON-RPC answer (a malformed reply, a closed connection)."""


def connection_failure(exc: BaseException) -> bool:
    """True for the exceptions of an HTTP request that did not reach the node or timed out."""
    if isinstance(exc, ConnectionError | TimeoutError | socket.timeout):
        return True
    client = sys.modules.get("http.client")
    if client is not None and isinstance(exc, client.HTTPException):
        return True
    requests = sys.modules.get("requests")  # web3's provider speaks through requests
    return requests is not None and isinstance(exc, requests.ConnectionError | requests.Timeout)


class _Http:
    """POST JSON to one ``http://host:port/path`` over a kept-alive HTTP/1.1 socket."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.netloc = parts.netloc
        self.sock: socket.socket | None = None
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self.buf = b""

    def post(self, body: bytes, timeout: float) -> bytes:
        for attempt in (0, 1):  # a kept-alive connection the node closed meanwhile: once more, afresh
            fresh = self.sock is None
            try:
                if self.sock is None:
                    # an ASCII host as bytes: getaddrinfo then skips the IDNA codec (3 imports, ~3 ms of
                    # every command's start-up); a non-ASCII (IDN) name is passed as text and encoded
                    host: str | bytes = self.host.encode("ascii") if self.host.isascii() else self.host
                    self.sock = socket.create_connection((host, self.port), timeout=timeout)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.settimeout(timeout)
                head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.netloc}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode()
                self.sock.sendall(head + body)
                return self._response()
            except (ConnectionError, HttpError):
                self.close()
                if fresh or attempt:
                    raise
            except BaseException:
                self.close()
                raise
        raise HttpError("unreachable")  # pragma: no cover

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise HttpError("the node closed the connection")
        self.buf += chunk

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _response(self) -> bytes:
        status = self._line().split(None, 2)
        if len(status) < 2 or not status[0].startswith(b"HTTP/"):
            raise HttpError(f"not an HTTP answer: {b' '.join(status)[:80]!r}")
        headers: dict[bytes, bytes] = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        code = int(status[1])
        if code == 100:
            return self._response()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                parts.append(self._exactly(size))
                self._exactly(2)
            body = b"".join(parts)
        elif b"content-length" in headers:
            body = self._exactly(int(headers[b"content-length"]))
        else:  # the body ends when the node closes the connection
            try:
                while True:
                    self._fill()
            except HttpError:
                pass
            body, self.buf = self.buf, b""
            self.close()
        if headers.get(b"connection", b"").lower() == b"close" or status[0] == b"HTTP/1.0":
            self.close()
        return body


class _Https:
    """The same over TLS, with the standard library's ``http.client`` (remote networks)."""

    def __init__(self, url: str) -> None:
        import http.client

        parts = urlsplit(url)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.conn = http.client.HTTPSConnection(parts.hostname or "", parts.port or 443)

    def post(self, body: bytes, timeout: float) -> bytes:
        self.conn.timeout = timeout
        if self.conn.sock is not None:
            self.conn.sock.settimeout(timeout)
        try:
            self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
            return self.conn.getresponse().read()
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()


def unreachable(url: str, exc: BaseException | None = None, hint: str | None = None) -> ChainUnavailable:
    cause = f" ({type(exc).__name__})" if exc is not None else ""
    return ChainUnavailable(f"the chain node at {url} is not reachable{cause}", hint=hint)


class Rpc:
    """One node's JSON-RPC endpoint over a kept-alive HTTP session."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url
        self.timeout = timeout
        self._local = threading.local()  # one connection per thread: an Rpc may be shared (the portal)

    def _post(self, payload: Any, timeout: float | None) -> Any:
        try:
            http = getattr(self._local, "http", None)
            if http is None:
                http = self._local.http = _Https(self.url) if self.url.lower().startswith("https:") else _Http(self.url)
            raw = http.post(json.dumps(payload, separators=(",", ":")).encode(), timeout or self.timeout)
            return json.loads(raw)
        except (OSError, ValueError) as exc:
            raise unreachable(self.url, exc) from exc
        except Exception as exc:
            if connection_failure(exc):
                raise unreachable(self.url, exc) from exc
            raise

    def close(self) -> None:
        """Close this thread's connection (the next request opens a new one)."""
        http = getattr(self._local, "http", None)
        if http is not None:
            http.close()
            self._local.http = None

    def request(self, method: str, params: Sequence[Any] = (), *, timeout: float | None = None) -> Any:
        """The result of one call; :class:`RpcRefused` for an error answer."""
        body = self._post({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout)
        if not isinstance(body, dict):
            raise unreachable(self.url)
        if "error" in body:
            raise RpcRefused(method, body["error"])
        if "result" not in body:
            raise unreachable(self.url)
        return body["result"]

    def batch(
        self, calls: Sequence[tuple[str, Sequence[Any]]], *, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """The replies (``{"result": ...}`` or ``{"error": ...}``) of one JSON-RPC batch, in order."""
        if not calls:
            return []
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in enumerate(calls)]
        replies = self._post(payload, timeout)
        if not isinstance(replies, list):
            raise ChainUnavailable(f"the node at {self.url} does not accept batched calls: {replies}")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        return [by_id.get(i, {"error": {"message": "no answer in the batch"}}) for i in range(len(calls))]

    def eth_call_many(
        self, calls: Sequence[tuple[str, bytes]], block: int | str = LATEST, *, size: int = CALL_BATCH,
        strict: bool = False,
    ) -> list[bytes | None]:
        """``eth_call`` each ``(to, calldata)`` at ``block``, ``size`` per batch.

        A call that fails (a revert, state the node does not keep) is None, or raises
        :class:`RpcRefused` when ``strict``.
        """
        tag = hex(block) if isinstance(block, int) else block
        out: list[bytes | None] = []
        for i in range(0, len(calls), size):
            part = calls[i:i + size]
            replies = self.batch([("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag]) for to, data in part],
                                 timeout=max(self.timeout, 120.0))
            for reply in replies:
                res = reply.get("result")
                if isinstance(res, str):
                    out.append(bytes.fromhex(res[2:]))
                elif strict:
                    raise RpcRefused("eth_call", reply.get("error", "no result"))
                else:
                    out.append(None)
        return out

    def get_logs(
        self, addresses: list[str], from_block: int, to_block: int, *, chunk: int = 5000,
        topics: list[Any] | None = None,
    ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """Yield ``(last_block_of_chunk, raw_logs)`` for consecutive block ranges."""
        start = from_block
        size = max(1, chunk)
        while start <= to_block:
            end = min(to_block, start + size - 1)
            params: dict[str, Any] = {"address": addresses, "fromBlock": hex(start), "toBlock": hex(end)}
            if topics:
                params["topics"] = topics
            try:
                logs = self.request("eth_getLogs", [params])
            except RpcRefused:
                if size == 1:
                    raise
                size = max(1, size // 2)  # too many results or too long a range: halve it and retry
                continue
            yield end, logs
            start = end + 1

    def block_timestamps(self, blocks: Iterable[int]) -> dict[int, int]:
        """Timestamps of the given blocks (one batched request)."""
        wanted = sorted(set(blocks))
        out: dict[int, int] = {}
        for reply in self.batch([("eth_getBlockByNumber", [hex(b), False]) for b in wanted]):
            block = reply.get("result")
            if block:
                out[int(block["number"], 16)] = int(block["timestamp"], 16)
        return out

    def chain_id(self) -> int | None:
        """The chain id the node reports, or None when nothing answers."""
        try:
            return int(self.request("eth_chainId"), 16)
        except (LedgerError, ValueError, TypeError):
            return None


def fetch_logs(
    url: str, addresses: list[str], from_block: int, to_block: int, *, chunk: int = 5000,
    topics: list[Any] | None = None, timeout: float = 60.0,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """:meth:`Rpc.get_logs` on a fresh session (see there)."""
    return Rpc(url, timeout).get_logs(addresses, from_block, to_block, chunk=chunk, topics=topics)


def block_timestamps(url: str, blocks: Iterable[int]) -> dict[int, int]:
    """:meth:`Rpc.block_timestamps` on a fresh session."""
    return Rpc(url).block_timestamps(blocks)
