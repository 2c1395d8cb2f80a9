"""Reading the audit trail: raw ``eth_getLogs`` in chunks a node accepts, decoded fast.

web3.py's contract event objects decode a few thousand logs per second; this module asks
the node with plain JSON-RPC and decodes with eth-abi against a topic table built once
from the ABIs, which is several times faster. Log ranges are cut into chunks
(``log_chunk`` blocks, Besu's default limit is 5,000) and a chunk the node refuses as too
large is halved and retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from ledger.core.chain import _abi_type
from ledger.core.errors import ChainUnavailable, TransactionFailed


@dataclass(frozen=True)
class Event:
    """One decoded log: what changed, where and when (block), and by which transaction."""

    name: str
    address: str
    block: int
    tx_hash: str
    log_index: int
    args: dict[str, Any]


class EventDecoder:
    """Decodes raw logs of the ledger contracts by their first topic."""

    def __init__(self, abi_entries: Iterable[dict[str, Any]]) -> None:
        self.by_topic: dict[str, tuple[str, list[tuple[str, str, bool]], list[str]]] = {}
        for entry in abi_entries:
            if entry.get("type") != "event" or entry.get("anonymous"):
                continue
            types = [_abi_type(i) for i in entry["inputs"]]
            topic = "0x" + keccak(text=f"{entry['name']}({','.join(types)})").hex()
            params = [(i["name"], t, bool(i.get("indexed"))) for i, t in zip(entry["inputs"], types, strict=True)]
            data_types = [t for (_, t, indexed) in params if not indexed]
            self.by_topic[topic] = (entry["name"], params, data_types)

    def topic_of(self, name: str) -> str:
        """The first topic of the event ``name`` (see topics_of for overloaded events)."""
        return self.topics_of(name)[0]

    def topics_of(self, name: str) -> list[str]:
        """Every first topic of the event ``name`` (WorkRegistered has a long and a compact form)."""
        found = [topic for topic, (n, _, _) in self.by_topic.items() if n == name]
        if not found:
            raise KeyError(name)
        return found

    def decode(self, log: dict[str, Any]) -> Event | None:
        topics = log["topics"]
        if not topics:
            return None
        known = self.by_topic.get(topics[0])
        if known is None:
            return None
        name, params, data_types = known
        data = bytes.fromhex(log["data"][2:])
        values = iter(abi_decode(data_types, data)) if data_types else iter(())
        args: dict[str, Any] = {}
        t = 1
        for pname, ptype, indexed in params:
            if indexed:
                raw = bytes.fromhex(topics[t][2:])
                t += 1
                args[pname] = _from_topic(ptype, raw)
            else:
                args[pname] = _normalise(next(values))
        if name in NORMALISE:
            NORMALISE[name](args)
        return Event(
            name=name,
            address=to_checksum_address(log["address"]),
            block=int(log["blockNumber"], 16),
            tx_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
            args=args,
        )


RAW_SHA256_CID_PREFIX = bytes.fromhex("01551220")  # CIDv1, raw, sha2-256, 32 bytes
WHOLE = 10_000


def _compact_registration(args: dict[str, Any]) -> None:
    """The compact WorkRegistered (sole holder, raw CID digest) in the long form's shape:
    ``metadataCid`` as a binary CID and ``holders`` as ``((holder, 10000),)``."""
    if "metadataDigest" in args:
        digest = args.pop("metadataDigest")
        holder = args.pop("holder")
        wt, cm = args.pop("workType"), args.pop("creationMode")
        args.update(
            workType=wt, creationMode=cm, metadataCid=RAW_SHA256_CID_PREFIX + bytes(digest), holders=((holder, WHOLE),)
        )


# Events whose overloads are decoded into one shape, so readers see one event per name.
NORMALISE = {"WorkRegistered": _compact_registration}


def _from_topic(ptype: str, raw: bytes) -> Any:
    if ptype == "address":
        return to_checksum_address(raw[12:])
    if ptype.startswith(("uint", "int")):
        return abi_decode([ptype], raw)[0]
    if ptype == "bool":
        return raw[-1] == 1
    return raw  # bytes32 and hashed dynamic values


def _normalise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, tuple):
        return tuple(_normalise(v) for v in value)
    return value


def _rpc(session: requests.Session, url: str, method: str, params: list[Any], timeout: float) -> Any:
    try:
        r = session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=timeout)
        body = r.json()
    except (requests.RequestException, ValueError) as exc:
        raise ChainUnavailable(f"the chain node at {url} is not reachable ({type(exc).__name__})") from exc
    if "error" in body:
        raise TransactionFailed(f"{method} failed: {body['error'].get('message', body['error'])}")
    return body["result"]


def fetch_logs(
    url: str,
    addresses: list[str],
    from_block: int,
    to_block: int,
    *,
    chunk: int = 5000,
    topics: list[Any] | None = None,
    timeout: float = 60.0,
    session: requests.Session | None = None,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield ``(last_block_of_chunk, raw_logs)`` for consecutive block ranges."""
    session = session or requests.Session()
    start = from_block
    size = max(1, chunk)
    while start <= to_block:
        end = min(to_block, start + size - 1)
        params: dict[str, Any] = {"address": addresses, "fromBlock": hex(start), "toBlock": hex(end)}
        if topics:
            params["topics"] = topics
        try:
            logs = _rpc(session, url, "eth_getLogs", [params], timeout)
        except TransactionFailed:
            if size == 1:
                raise
            size = max(1, size // 2)  # the node refused the range: halve it and retry
            continue
        yield end, logs
        start = end + 1


def block_timestamps(url: str, blocks: Iterable[int], session: requests.Session | None = None) -> dict[int, int]:
    """Timestamps of the given blocks (one batched JSON-RPC request)."""
    blocks = sorted(set(blocks))
    if not blocks:
        return {}
    session = session or requests.Session()
    payload = [
        {"jsonrpc": "2.0", "id": i, "method": "eth_getBlockByNumber", "params": [hex(b), False]}
        for i, b in enumerate(blocks)
    ]
    try:
        replies = session.post(url, json=payload, timeout=60).json()
    except (requests.RequestException, ValueError) as exc:
        raise ChainUnavailable(f"the chain node at {url} is not reachable ({type(exc).__name__})") from exc
    out: dict[int, int] = {}
    for reply in replies:
        block = reply.get("result")
        if block:
            out[int(block["number"], 16)] = int(block["timestamp"], 16)
    return out
