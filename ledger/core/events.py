"""Decoding the audit trail: raw logs decoded fast, against a topic table built once.

web3.py's contract event objects decode a few thousand logs per second; the logs are
fetched with plain JSON-RPC (:mod:`ledger.core.rpc`, re-exported here: ``fetch_logs``,
``block_timestamps``) and decoded with :mod:`ledger.core.abicodec` (no eth-abi import: a read
command's start-up, issue 15), which is several times faster (ADR 007).
:meth:`EventDecoder.decode_receipt` decodes a transaction receipt's logs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.core.abicodec import AbiType, checksum, decode, parse_param, signature_hash
from ledger.core.rpc import block_timestamps, fetch_logs

__all__ = ["Event", "EventDecoder", "block_timestamps", "fetch_logs", "receipt_log"]


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
        self.by_topic: dict[str, tuple[str, list[tuple[str, str, bool]], list[AbiType]]] = {}
        for entry in abi_entries:
            if entry.get("type") != "event" or entry.get("anonymous"):
                continue
            parsed = [parse_param(i) for i in entry["inputs"]]
            topic = signature_hash(f"{entry['name']}({','.join(t.text for t in parsed)})")
            params = [(i["name"], t.text, bool(i.get("indexed"))) for i, t in zip(entry["inputs"], parsed, strict=True)]
            data_types = [t for i, t in zip(entry["inputs"], parsed, strict=True) if not i.get("indexed")]
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

    def decode_receipt(self, logs: Iterable[Any]) -> list[Event]:
        """The ledger events among a transaction receipt's logs (web3's receipt shape)."""
        return [ev for ev in map(self.decode, map(receipt_log, logs)) if ev is not None]

    def decode(self, log: dict[str, Any]) -> Event | None:
        """One log in the JSON-RPC shape (hex strings), as ``eth_getLogs`` returns it."""
        topics = log["topics"]
        if not topics:
            return None
        known = self.by_topic.get(topics[0])
        if known is None:
            return None
        name, params, data_types = known
        data = bytes.fromhex(log["data"][2:])
        values = iter(decode(data_types, data)) if data_types else iter(())
        args: dict[str, Any] = {}
        t = 1
        for pname, ptype, indexed in params:
            if indexed:
                raw = bytes.fromhex(topics[t][2:])
                t += 1
                args[pname] = _from_topic(ptype, raw)
            else:
                args[pname] = next(values)  # addresses checksummed by the decoder
        if name in NORMALISE:
            NORMALISE[name](args)
        return Event(
            name=name,
            address=checksum(log["address"]),
            block=int(log["blockNumber"], 16),
            tx_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
            args=args,
        )


def receipt_log(log: Any) -> dict[str, Any]:
    """A web3 receipt log (bytes, ints) in the JSON-RPC shape :meth:`EventDecoder.decode` reads."""
    return {
        "address": log["address"],
        "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
        "data": "0x" + bytes(log["data"]).hex(),
        "blockNumber": hex(int(log["blockNumber"])),
        "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
        "logIndex": hex(int(log["logIndex"])),
    }


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
        return checksum("0x" + raw[12:].hex())
    if ptype.startswith("uint"):
        return int.from_bytes(raw, "big")
    if ptype.startswith("int"):
        return int.from_bytes(raw, "big", signed=True)
    if ptype == "bool":
        return raw[-1] == 1
    return raw  # bytes32 and hashed dynamic values
