"""An independent check of a coverage receipt, as a third party would write it from
docs/VERIFYING.md: plain JSON-RPC over urllib, ``rlp``, ``trie`` and ``eth_hash`` only.

This module must not import anything from ``ledger`` (a test asserts it): it is the proof that
the receipt can be checked without the project's code.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import rlp
from eth_hash.auto import keccak
from trie import HexaryTrie

HEADER = ["parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
          "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
          "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "requestsHash"]
NUMBERS = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed",
           "excessBlobGas"}


def call(url: str, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        reply = json.loads(resp.read())
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply["result"]


def unhex(h: str) -> bytes:
    return bytes.fromhex(h[2:])


def check(receipt: dict[str, Any], url: str) -> list[str]:
    """The problems found; empty when the receipt holds."""
    bad: list[str] = []
    block = receipt["block"]
    header = block["header"]
    # step 1: keccak(rlp(header)) is the block hash; step 2: the node has that block
    fields = [int(header[f], 16) if f in NUMBERS else unhex(header[f]) for f in HEADER if f in header]
    if "0x" + keccak(rlp.encode(fields)).hex() != block["hash"]:
        bad.append("header hash")
    if call(url, "eth_getBlockByNumber", hex(block["number"]), False)["hash"] != block["hash"]:
        bad.append("block not on this chain")
    # step 3: the call's result is the answer (bool covered, uint8 kind, uint8 reason, uint64 licenceId)
    result = unhex(receipt["call"]["result"])
    covered, licence_id = result[31] == 1, int.from_bytes(result[96:128], "big")
    if covered != receipt["answer"]["covered"] or licence_id != (receipt["answer"]["licenceId"] or 0):
        bad.append("answer differs from the call's result")
    # step 4: the account proof against the state root, the slots against the storage root
    try:
        return bad + _proofs(receipt, covered, licence_id, url)
    except Exception as exc:  # a proof that does not even decode is a failed check
        return [*bad, f"proof: {exc.__class__.__name__}"]


def _proofs(receipt: dict[str, Any], covered: bool, licence_id: int, url: str) -> list[str]:
    bad: list[str] = []
    header = receipt["block"]["header"]
    proofs, lic = receipt["proofs"], receipt["licence"]
    account = HexaryTrie.get_from_proof(unhex(header["stateRoot"]), keccak(unhex(proofs["address"])),
                                        [rlp.decode(unhex(n)) for n in proofs["accountProof"]])
    storage_root = rlp.decode(account)[2]
    base = int.from_bytes(keccak(licence_id.to_bytes(32, "big") + lic["mappingSlot"].to_bytes(32, "big")), "big")
    words = []
    for i, sp in enumerate(proofs["storageProof"]):
        if int(sp["key"], 16) != base + i:
            bad.append(f"slot {i} is not the licence's")
        raw = HexaryTrie.get_from_proof(storage_root, keccak(int(sp["key"], 16).to_bytes(32, "big")),
                                        [rlp.decode(unhex(n)) for n in sp["proof"]])
        words.append(int.from_bytes(rlp.decode(raw), "big") if raw else 0)
    licensee = words[1] & ((1 << 160) - 1)
    uses, start, end = (words[0] >> 160) & 0xFFFFFFFF, (words[0] >> 192) & ((1 << 40) - 1), \
        (words[1] >> 160) & ((1 << 40) - 1)
    q = receipt["question"]
    if covered and not (licensee in (0, int(q["licensee"], 16)) and uses & q["useBit"] and start <= q["at"] < end):
        bad.append("the proven licence does not cover the question")
    # step 5: every event is in its transaction's receipt
    for ev in receipt["events"]:
        tx = call(url, "eth_getTransactionReceipt", ev["txHash"])
        logs = [lg for lg in tx["logs"] if int(lg["logIndex"], 16) == ev["logIndex"]]
        if tx["status"] != "0x1" or not logs or logs[0]["topics"] != ev["topics"] or logs[0]["data"] != ev["data"]:
            bad.append(f"event {ev['txHash']}")
    # step 6: once the chain's time has passed `at`, the same call at the head must not take
    # back a "covered" (time-ranged facts, TR1-TR9; TR7 can only add cover)
    head = call(url, "eth_getBlockByNumber", "latest", False)
    if int(head["timestamp"], 16) >= q["at"] and covered:
        again = unhex(call(url, "eth_call", {"to": receipt["call"]["to"], "data": receipt["call"]["data"]}, "latest"))
        if again[31] != 1:
            bad.append("asked again, not covered")
    return bad
