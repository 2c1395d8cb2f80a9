"""Coverage receipts: a self-contained, checkable answer to "was LICENSEE covered?".

``licence status ... --receipt FILE`` (:func:`make_receipt`) asks the CoverageLens at one
block B (the head when asked) and writes down everything needed to check the answer later,
against any node of the network, without trusting the ledger's software:

* the question and the answer, and the exact ``eth_call`` (lens address, calldata, result);
* block B's full header (its keccak is the block hash; it holds the state root);
* the covering licence's record (or, when not covered, the licence the reason is about) and
  the Merkle-Patricia proofs (``eth_getProof`` at B) of the three storage slots that hold it,
  so the record is proven against B's state root;
* the events that made the licence what it is (granted, suspended, resumed, revoked) with
  their transactions, checkable with ``eth_getTransactionReceipt``.

State at old blocks is not kept by a node without archive mode (and the embedded node loses it
on a restart), so the proof is taken when the answer is given and kept in the receipt; block
headers and transaction receipts are kept by every node, so the receipt stays checkable for
ever. What happened after B (a reservation, a dispute, a new tariff) does not touch it: the
receipt is about B.

:func:`verify_receipt` checks a receipt with plain JSON-RPC, ``rlp`` and ``trie`` only (no
ledger object), step by step as docs/VERIFYING.md describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests
import rlp
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError as AbiDecodingError
from eth_hash.auto import keccak
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from rlp.exceptions import DecodingError, RLPException
from trie import HexaryTrie
from trie.exceptions import BadTrieProof
from trie.exceptions import ValidationError as TrieNodeInvalid

RECEIPT_TYPE = "rights-ledger/coverage-receipt"
COVERAGE_SIG = "coverage(bytes32,address,uint32,bytes2,uint40)"
LICENCE_SIG = "licence(uint64)"
LICENCE_COUNT_SIG = "licenceCount()"
# The two events that make a licence (topic 1 = its id); a test checks them against the ABI.
GRANT_EVENT_SIGS = ("LicenceGranted(uint64,address,address,bool,bytes32[],"
                    "(uint8,uint32,uint40,uint40,bool,uint96,uint96,bytes,bytes))",
                    "OpenLicencePublished(uint64,bytes32,address,uint32,uint40,bytes32,bytes)")
GRANT_TOPICS = tuple("0x" + keccak(sig.encode()).hex() for sig in GRANT_EVENT_SIGS)
LICENCE_EVENTS = ("LicenceGranted", "OpenLicencePublished", "LicenceSuspended", "LicenceResumed", "LicenceRevoked")
# The block header fields, in the order their RLP list takes (later forks append fields).
HEADER_FIELDS = ("parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
                 "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
                 "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot",
                 "requestsHash")
INT_FIELDS = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed",
              "excessBlobGas"}
KIND_NAMES = {1: "work licence", 2: "blanket licence", 3: "open licence", 4: "statutory tariff"}
MAX_BASE_SLOT = 64  # the licences mapping's slot is found by probing 0..63 against the view


class ReceiptError(Exception):
    """The receipt cannot be checked (malformed file, node unreachable): exit 2."""


# --- plain JSON-RPC -------------------------------------------------------------------------


class JsonRpc:
    """The few JSON-RPC calls a receipt needs, on one HTTP session."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url, self.timeout = url, timeout
        self.session = requests.Session()

    def __call__(self, method: str, *params: Any) -> Any:
        try:
            r = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                  "params": list(params)}, timeout=self.timeout)
            body = r.json()
        except (requests.RequestException, ValueError) as exc:
            raise ReceiptError(f"the node at {self.url} did not answer {method}: {exc.__class__.__name__}") from exc
        if "error" in body:
            raise ReceiptError(f"the node refused {method}: {body['error'].get('message', body['error'])}")
        return body["result"]


def _b(h: str) -> bytes:
    return bytes.fromhex(h[2:] if h.startswith("0x") else h)


def _int(h: str | int) -> int:
    return h if isinstance(h, int) else int(h, 16)


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def header_rlp(header: dict[str, Any]) -> bytes:
    """The RLP of a block header from its JSON-RPC fields (keccak of it is the block hash)."""
    items: list[Any] = []
    for f in HEADER_FIELDS:
        if f not in header or header[f] is None:
            if f in ("baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot",
                     "requestsHash"):
                break  # a header of an earlier fork ends here
            raise ReceiptError(f"the header has no {f}")
        items.append(_int(header[f]) if f in INT_FIELDS else _b(header[f]))
    return rlp.encode(items)


def mapping_slot(key: int, base: int) -> int:
    """Solidity's slot of ``mapping(uint64 => ...)[key]`` declared at slot ``base``."""
    return int.from_bytes(keccak(key.to_bytes(32, "big") + base.to_bytes(32, "big")), "big")


def licence_words(rec: dict[str, int]) -> list[int]:
    """The three storage words of a ``Licence`` struct (Solidity packs the first field lowest)."""
    w0 = (rec["licensor"] | rec["uses"] << 160 | rec["start"] << 192 | rec["scope"] << 232 | rec["state"] << 240
          | rec["exclusive"] << 248)
    w1 = rec["licensee"] | rec["end"] << 160 | rec["revokedAt"] << 200 | rec["collective"] << 240
    w2 = rec["suspendedAt"] | rec["flatFee"] << 40 | rec["ratePerUse"] << 136
    return [w0, w1, w2]


def licence_from_words(words: list[int]) -> dict[str, int]:
    w0, w1, w2 = words
    m = lambda v, shift, bits: (v >> shift) & ((1 << bits) - 1)  # noqa: E731
    return {"licensor": m(w0, 0, 160), "uses": m(w0, 160, 32), "start": m(w0, 192, 40), "scope": m(w0, 232, 8),
            "state": m(w0, 240, 8), "exclusive": m(w0, 248, 8), "licensee": m(w1, 0, 160), "end": m(w1, 160, 40),
            "revokedAt": m(w1, 200, 40), "collective": m(w1, 240, 8), "suspendedAt": m(w2, 0, 40),
            "flatFee": m(w2, 40, 96), "ratePerUse": m(w2, 136, 96)}


def _record_json(rec: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = dict(rec)
    out["licensor"] = to_checksum_address(rec["licensor"].to_bytes(20, "big"))
    out["licensee"] = to_checksum_address(rec["licensee"].to_bytes(20, "big"))
    out["flatFee"], out["ratePerUse"] = str(rec["flatFee"]), str(rec["ratePerUse"])
    return out


def _record_ints(rec: dict[str, Any]) -> dict[str, int]:
    return {k: (int(v, 16) if k in ("licensor", "licensee") else int(v)) for k, v in rec.items()}


# --- making a receipt ------------------------------------------------------------------------


def _lens_for(ledger: Any, work_id: str) -> tuple[str, str, str]:
    """(CoverageLens, LicenceRegistry, WorkRegistry) of the version that holds the work (ADR 002)."""

    rpc = JsonRpc(ledger.settings.network.rpc_url)
    registry = ledger.registry_for(work_id).address
    sel = function_signature_to_4byte_selector
    for lens in reversed(ledger.deployment.versions("CoverageLens")):
        works = abi_decode(["address"], _b(rpc("eth_call", {"to": lens, "data": _hex(sel("works()"))}, "latest")))[0]
        if works.lower() == registry.lower():
            lic = abi_decode(["address"], _b(rpc("eth_call", {"to": lens, "data": _hex(sel("licences()"))},
                                                 "latest")))[0]
            return to_checksum_address(lens), to_checksum_address(lic), to_checksum_address(registry)
    dep = ledger.deployment
    return dep.address("CoverageLens"), dep.address("LicenceRegistry"), dep.address("WorkRegistry")


def make_receipt(ledger: Any, work_id: str, licensee: str, use: str, territory: str | None = None,
                 at: Any = None) -> dict[str, Any]:
    """Ask the lens at the head block and return the receipt (see the module's docstring)."""
    from ledger.domain.licensing.model import parse_territory, parse_time, parse_use
    from ledger.domain.works import parse_address, parse_work_id

    wid, who, bit = parse_work_id(work_id), parse_address(licensee, "licensee"), parse_use(use)
    terr = parse_territory(territory)
    rpc = JsonRpc(ledger.settings.network.rpc_url)
    number = _int(rpc("eth_blockNumber"))
    header = rpc("eth_getBlockByNumber", hex(number), False)
    when = parse_time(at, _int(header["timestamp"]))
    lens, registry, works = _lens_for(ledger, wid)
    data = function_signature_to_4byte_selector(COVERAGE_SIG) + abi_encode(
        ["bytes32", "address", "uint32", "bytes2", "uint40"], [_b(wid), who, bit, terr or b"\0\0", when])
    result = _b(rpc("eth_call", {"to": lens, "data": _hex(data)}, hex(number)))
    covered, kind, reason, lid = abi_decode(["bool", "uint8", "uint8", "uint64"], result[:128])
    from ledger.domain.licensing.model import REASON_NAMES

    receipt: dict[str, Any] = {
        "type": RECEIPT_TYPE,
        "version": 1,
        "network": {"chainId": _int(rpc("eth_chainId")), "name": ledger.settings.network.name},
        "question": {"work": wid, "licensee": who, "use": use, "useBit": bit,
                     "territory": terr.decode() if terr else None, "at": when},
        "answer": {"covered": bool(covered), "grant": KIND_NAMES.get(int(kind)) if kind else None,
                   "licenceId": int(lid) or None,
                   "reason": None if covered else REASON_NAMES.get(int(reason), str(reason))},
        "block": {"number": number, "hash": header["hash"], "stateRoot": header["stateRoot"],
                  "timestamp": _int(header["timestamp"]),
                  "header": {f: header[f] for f in HEADER_FIELDS if header.get(f) is not None}},
        "contracts": {"CoverageLens": lens, "LicenceRegistry": registry, "WorkRegistry": works},
        "call": {"to": lens, "data": _hex(data), "block": number, "result": _hex(result),
                 "returns": "(bool covered, uint8 kind, uint8 reason, uint64 licenceId)"},
        "licence": None,
        "events": [],
        "proofs": None,
        "notes": [],
    }
    if lid:
        _add_licence(ledger, rpc, receipt, registry, int(lid), number)
    elif covered:
        receipt["notes"].append("covered by the statutory tariff: no licence record to prove")
    return receipt


def _add_licence(ledger: Any, rpc: JsonRpc, receipt: dict[str, Any], registry: str, lid: int, number: int) -> None:
    raw = _b(rpc("eth_call", {"to": registry, "data": _hex(function_signature_to_4byte_selector(LICENCE_SIG)
                                                          + abi_encode(["uint64"], [lid]))}, hex(number)))
    (view,) = abi_decode(["(address,uint32,uint40,uint8,uint8,bool,address,uint40,uint40,bool,uint40,uint96,uint96,"
                          "bytes)"], raw)
    rec = {"licensor": int(view[0], 16), "uses": view[1], "start": view[2], "scope": view[3], "state": view[4],
           "exclusive": int(view[5]), "licensee": int(view[6], 16), "end": view[7], "revokedAt": view[8],
           "collective": int(view[9]), "suspendedAt": view[10], "flatFee": view[11], "ratePerUse": view[12]}
    words = licence_words(rec)
    base = None
    for p in range(MAX_BASE_SLOT):
        got = _int(rpc("eth_getStorageAt", registry, hex(mapping_slot(lid, p)), hex(number)))
        if got == words[0]:
            base = p
            break
    receipt["licence"] = {"registry": registry, "id": lid, "record": _record_json(rec), "mappingSlot": base,
                          "territories": _hex(bytes(view[13]))}
    if base is None:
        receipt["notes"].append("the licence's storage slots were not found: no storage proof")
    else:
        first = mapping_slot(lid, base)
        keys = ["0x" + (first + i).to_bytes(32, "big").hex() for i in range(3)]
        receipt["proofs"] = rpc("eth_getProof", registry, keys, hex(number))
    # the licence's events, each with its transaction
    topics = [t for n in LICENCE_EVENTS for t in ledger.events.topics_of(n)]
    lid_topic = "0x" + lid.to_bytes(32, "big").hex()
    logs = rpc("eth_getLogs", {"address": registry, "fromBlock": hex(ledger.deployment.first_block),
                               "toBlock": hex(number), "topics": [topics, lid_topic]})
    for log in logs:
        ev = ledger.events.decode(log)
        receipt["events"].append({
            "name": ev.name if ev else None, "txHash": log["transactionHash"], "blockNumber": _int(log["blockNumber"]),
            "blockHash": log["blockHash"], "logIndex": _int(log["logIndex"]), "address": log["address"],
            "topics": log["topics"], "data": log["data"]})


def write_receipt(receipt: dict[str, Any], path: Path) -> None:
    import os

    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(receipt, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- checking a receipt ----------------------------------------------------------------------


def verify_receipt(receipt: dict[str, Any], url: str,
                   log: Callable[[str], None] = lambda _m: None, lenses: Sequence[str] | None = None) -> list[str]:
    """Check a receipt against the node at ``url``; the problems found (empty: it verifies).

    ``lenses``: the network's CoverageLens addresses (every version), known from outside the receipt
    (the deployment record): the receipt's own ``contracts`` could name a lens its maker deployed,
    answering "covered" to everything. Without them, the lens is the receipt's word (logged).
    Raises :class:`ReceiptError` when it cannot be checked (malformed, node unreachable)."""
    rpc = JsonRpc(url)
    try:
        problems = _verify(receipt, rpc, log)
        to = str(receipt["call"]["to"]).lower()
        if lenses is None:
            log(f"the lens {receipt['call']['to']} is the receipt's word: no deployment record to check it against")
        elif to not in {a.lower() for a in lenses}:
            problems.append(f"the call was made to {receipt['call']['to']}, which is not this network's "
                            f"CoverageLens ({', '.join(lenses)})")
        return problems
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, AbiDecodingError,
            RLPException) as exc:  # a field of the wrong type or size: found by the input fuzzer
        raise ReceiptError(f"the receipt is malformed ({exc.__class__.__name__}: {exc})") from exc


def _verify(r: dict[str, Any], rpc: JsonRpc, log: Callable[[str], None]) -> list[str]:
    problems: list[str] = []
    if r.get("type") != RECEIPT_TYPE:
        raise ReceiptError(f"not a coverage receipt (type {r.get('type')!r})")
    q, a, blk = r["question"], r["answer"], r["block"]
    # 1. the header: its keccak is the block hash, and it names the state root
    header = blk["header"]
    computed = _hex(keccak(header_rlp(header)))
    if computed != blk["hash"].lower():
        problems.append(f"the header hashes to {computed}, the receipt names block {blk['hash']}")
    if header["stateRoot"].lower() != blk["stateRoot"].lower() or _int(header["number"]) != int(blk["number"]):
        problems.append("the header's state root or number differ from the receipt's")
    log(f"1. header of block {blk['number']} hashes to {computed}")
    # 2. the node: same chain, same block at that height
    chain_id = _int(rpc("eth_chainId"))
    if chain_id != int(r["network"]["chainId"]):
        problems.append(f"the node is chain {chain_id}, the receipt is for chain {r['network']['chainId']}")
    node_block = rpc("eth_getBlockByNumber", hex(int(blk["number"])), False)
    if node_block is None or node_block["hash"].lower() != blk["hash"].lower():
        problems.append(f"the node's block {blk['number']} is {node_block and node_block['hash']}, "
                        f"not {blk['hash']}")
    log(f"2. the node (chain {chain_id}) has block {blk['number']} with that hash")
    # 3. the call: its calldata is the question, its result is the answer
    call = r["call"]
    data = _b(call["data"])
    if data[:4] != function_signature_to_4byte_selector(COVERAGE_SIG):
        problems.append("the call is not CoverageLens.coverage")
    wid, who, bit, terr, at = abi_decode(["bytes32", "address", "uint32", "bytes2", "uint40"], data[4:])
    asked = {"work": _hex(wid), "licensee": to_checksum_address(who), "useBit": bit,
             "territory": terr.decode() if terr != b"\0\0" else None, "at": at}
    for k, v in asked.items():
        if (q[k].lower() if isinstance(q[k], str) else q[k]) != (v.lower() if isinstance(v, str) else v):
            problems.append(f"the question's {k} is {q[k]!r}, the call asked {v!r}")
    if call["to"].lower() != r["contracts"]["CoverageLens"].lower() or int(call["block"]) != int(blk["number"]):
        problems.append("the call was not made to the receipt's lens at the receipt's block")
    covered, kind, reason, lid = abi_decode(["bool", "uint8", "uint8", "uint64"], _b(call["result"])[:128])
    if bool(a["covered"]) != covered or (a.get("licenceId") or 0) != lid or \
            (a.get("grant") != (KIND_NAMES.get(kind) if kind else None)):
        problems.append(f"the answer says covered={a['covered']} licence={a.get('licenceId')} "
                        f"grant={a.get('grant')}, the call returned covered={covered} licence={lid} "
                        f"kind={KIND_NAMES.get(kind)} reason={reason}")
    log(f"3. the call asked the question and returned covered={covered}, licence {lid}")
    # 4. the storage proofs: account against the state root, slots against the storage root
    lic = r.get("licence")
    proofs = r.get("proofs")
    if lic is not None and lid and int(lic["id"]) != lid:
        problems.append(f"the licence record is #{lic['id']}, the answer's licence is #{lid}")
    if lic is not None and proofs:
        problems += _check_proofs(r, lic, proofs, log)
        problems += _check_licence_answers(q, a, lic, covered)
    elif lid:
        log("4. no storage proof in the receipt (the node offered none): the licence record is not proven")
    # 5. the events: each log is in its transaction's receipt, in a block of this chain
    for ev in r.get("events", []):
        tx = rpc("eth_getTransactionReceipt", ev["txHash"])
        if tx is None:
            problems.append(f"the node does not know transaction {ev['txHash']}")
            continue
        if _int(tx["status"]) != 1 or tx["blockHash"].lower() != ev["blockHash"].lower():
            problems.append(f"transaction {ev['txHash']} failed or is in another block")
        if _int(tx["blockNumber"]) > int(blk["number"]):
            problems.append(f"event {ev['name']} is after the receipt's block")
        match = [lg for lg in tx["logs"] if _int(lg["logIndex"]) == int(ev["logIndex"])]
        if not match or match[0]["address"].lower() != ev["address"].lower() or \
                [t.lower() for t in match[0]["topics"]] != [t.lower() for t in ev["topics"]] or \
                match[0]["data"].lower() != ev["data"].lower():
            problems.append(f"event {ev['name']} at log {ev['logIndex']} of {ev['txHash']} differs from the chain's")
        elif lic is not None and (ev["address"].lower() != lic["registry"].lower()
                                  or _int(ev["topics"][1]) != int(lic["id"])):
            problems.append(f"event {ev['name']} is not about licence #{lic['id']}")
    log(f"5. {len(r.get('events', []))} events found in their transactions' receipts")
    problems += _ask_again(r, rpc, data, covered, log)
    return problems


def _ask_again(r: dict[str, Any], rpc: JsonRpc, data: bytes, covered: bool, log: Callable[[str], None]) -> list[str]:
    """Step 6: the same call to the same lens at the node's head. Every fact coverage reads is
    time-ranged (SPECIFICATION TR1-TR9): once the chain's time has passed the asked time ``at``,
    the answer about ``at`` is the same at every later block, except that a later grant whose
    term reaches back (TR7) can only add cover. So a "covered" that now reads "not covered"
    did not hold (a reservation, dispute or suspension the licence record alone cannot show, or
    a forged call result), and a "not covered" that now reads covered must be by a licence
    granted after the receipt's block."""
    at = int.from_bytes(data[4 + 4 * 32:4 + 5 * 32], "big")
    head = rpc("eth_getBlockByNumber", "latest", False)
    if _int(head["timestamp"]) < at:
        log("6. the question is about a time the chain has not reached yet: it cannot be asked again")
        return []
    again = _b(rpc("eth_call", {"to": r["call"]["to"], "data": r["call"]["data"]}, "latest"))
    now, _kind, reason, lid = abi_decode(["bool", "uint8", "uint8", "uint64"], again[:128])
    head_no = _int(head["number"])
    log(f"6. asked again at block {head_no}: covered={now}" + (f", licence {lid}" if now else f", reason {reason}"))
    if covered and not now:
        return [f"asked again at block {head_no}, the lens answers not covered (reason {reason}) about the same "
                f"time: the receipt's 'covered' does not hold (TR1-TR9 keep every answer about a past time)"]
    if covered and now:
        # The lens names the best-ranked covering licence (the licensee's own before open ones, then
        # the lowest id; the tariff last). A licence that covered at B still covers now, so the one named
        # now ranks at least as well, and when it is another it was made after B (else B's answer).
        _c, then_kind, _r, then_lid = abi_decode(["bool", "uint8", "uint8", "uint64"], _b(r["call"]["result"])[:128])
        if then_lid and _granted_after(r, rpc, then_lid)[0]:
            return [f"the receipt's licence {then_lid} was made after the receipt's block: the lens could not "
                    f"answer with it then"]
        if (lid, _kind) != (then_lid, then_kind) and (_rank(_kind, lid) > _rank(then_kind, then_lid)
                                                     or not _granted_after(r, rpc, lid)[0]):
            return [f"asked again at block {head_no}, the lens answers covered by licence {lid}, not by licence "
                    f"{then_lid}: the receipt's answer was not the lens's at its block"]
    if not covered and now:
        after, granted = _granted_after(r, rpc, lid)
        if not after:
            return [f"asked again at block {head_no}, the lens answers covered by licence {lid}, granted at or "
                    f"before the receipt's block: the receipt's 'not covered' does not hold"]
        when = f"at block {granted}" if granted is not None else f"after block {r['block']['number']}"
        log(f"   licence {lid} was granted {when}, after the receipt, with a term reaching back (TR7)")
    return []


def _rank(kind: int, lid: int) -> tuple[int, int]:
    """The lens's order of covering answers (CoverageLens._consider): own licences, open ones, the tariff."""
    return (2, 0) if not lid else ((1 if kind == 3 else 0), lid)


def _granted_after(r: dict[str, Any], rpc: JsonRpc, lid: int) -> tuple[bool, int | None]:
    """Was licence ``lid`` made after the receipt's block B? ``(after, block)``, the block when known.

    Licence ids are given in order (``licenceId = ++_licenceCount`` on every grant and open
    licence), so ``lid`` existed at B exactly when ``lid <= licenceCount()`` at B: one
    ``eth_call`` at B. A node without the state at B (not an archive node, or the embedded node
    after a restart) refuses that call; then the question is whether a grant event of ``lid``
    (LicenceGranted or OpenLicencePublished, topic 1 = ``lid``) lies in (B, head]: one
    ``eth_getLogs`` over the blocks after the receipt only, never over the chain before it.

    The registry is the one the lens reads (its ``licences()``), not the receipt's
    ``contracts.LicenceRegistry``: an edited receipt could name a contract that says the count was 0."""
    word = _b(rpc("eth_call", {"to": r["call"]["to"], "data": _hex(function_signature_to_4byte_selector(
        "licences()"))}, "latest"))
    if len(word) != 32:
        raise ReceiptError(f"the lens {r['call']['to']} does not name its licence registry")
    registry = "0x" + word[-20:].hex()
    number = int(r["block"]["number"])
    try:
        word = _b(rpc("eth_call", {"to": registry, "data": _hex(function_signature_to_4byte_selector(
            LICENCE_COUNT_SIG))}, hex(number)))
    except ReceiptError:  # no state at B on this node: the logs after B answer it
        word = b""
    if len(word) == 32:
        return lid > int.from_bytes(word, "big"), None
    if number >= _int(rpc("eth_blockNumber")):  # no block after B yet (a node refuses a range past its head)
        return False, None
    logs = rpc("eth_getLogs", {"address": registry, "fromBlock": hex(number + 1), "toBlock": "latest",
                               "topics": [list(GRANT_TOPICS), "0x" + lid.to_bytes(32, "big").hex()]})
    first = min((_int(lg["blockNumber"]) for lg in logs), default=None)
    return first is not None, first


def _check_proofs(r: dict[str, Any], lic: dict[str, Any], proofs: dict[str, Any],
                  log: Callable[[str], None]) -> list[str]:
    problems: list[str] = []
    state_root = _b(r["block"]["stateRoot"])
    if proofs["address"].lower() != lic["registry"].lower():
        return [f"the proof is of {proofs['address']}, not the licence registry {lic['registry']}"]
    try:
        account = HexaryTrie.get_from_proof(state_root, keccak(_b(lic["registry"])),
                                            [rlp.decode(_b(n)) for n in proofs["accountProof"]])
    except (BadTrieProof, DecodingError, TrieNodeInvalid) as exc:  # (TrieNodeInvalid: a node of another shape)
        return [f"the account proof of {lic['registry']} does not verify against the state root: {exc}"]
    if not account:
        return [f"the state root holds no account {lic['registry']}"]
    try:
        _nonce, _balance, storage_root, _code_hash = rlp.decode(account)
    except (DecodingError, ValueError):
        return [f"the proven account {lic['registry']} is not an account record"]
    if storage_root != _b(proofs["storageHash"]):
        problems.append("the account's storage root differs from the proof's storageHash")
    first = mapping_slot(int(lic["id"]), int(lic["mappingSlot"]))
    words: list[int] = []
    for i, sp in enumerate(proofs["storageProof"][:3]):
        if _int(sp["key"]) != first + i:
            problems.append(f"storage proof {i} is of slot {sp['key']}, not the licence's slot {hex(first + i)}")
        try:
            raw = HexaryTrie.get_from_proof(storage_root, keccak(_int(sp["key"]).to_bytes(32, "big")),
                                            [rlp.decode(_b(n)) for n in sp["proof"]])
        except (BadTrieProof, DecodingError, TrieNodeInvalid) as exc:
            problems.append(f"the proof of slot {sp['key']} does not verify against the storage root: {exc}")
            words.append(-1)
            continue
        value = int.from_bytes(rlp.decode(raw), "big") if raw else 0
        if value != _int(sp["value"]):
            problems.append(f"slot {sp['key']} holds {hex(value)}, the receipt says {sp['value']}")
        words.append(value)
    if len(words) == 3 and -1 not in words:
        proven = licence_from_words(words)
        stated = _record_ints(lic["record"])
        for k in proven:
            if proven[k] != stated.get(k):
                problems.append(f"the licence's {k} is {proven[k]} in the proven state, the receipt says "
                                f"{lic['record'].get(k)}")
    log(f"4. account {lic['registry']} and licence #{lic['id']}'s 3 storage slots proven against the state root")
    return problems


def _check_licence_answers(q: dict[str, Any], a: dict[str, Any], lic: dict[str, Any], covered: bool) -> list[str]:
    """A covering licence, as proven, must concern the question: licensee, use and term."""
    if not covered:
        return []
    rec = _record_ints(lic["record"])
    at, who = int(q["at"]), int(q["licensee"], 16)
    problems = []
    if rec["licensee"] not in (who, 0):
        problems.append("the proven licence names another licensee (and is not an open licence)")
    if not rec["uses"] & int(q["useBit"]):
        problems.append("the proven licence does not grant the use asked about")
    if not rec["start"] <= at < rec["end"]:
        problems.append(f"the proven licence runs {rec['start']}..{rec['end']}, the question is about {at}")
    if (rec["state"] == 3 and at >= rec["revokedAt"]) or (rec["state"] == 2 and at >= rec["suspendedAt"]):
        problems.append("the proven licence was revoked or suspended at the time asked about")
    return problems


def load_receipt(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReceiptError(f"{path}: cannot read ({exc.strerror})") from exc
    except ValueError as exc:
        raise ReceiptError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ReceiptError(f"{path}: not a coverage receipt")
    return data
