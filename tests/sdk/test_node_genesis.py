"""The extra block 0s of a restarted node's state file (ledger.core.node, ADR 010).

anvil started with ``--state`` adds a fresh block 0 of its own and dumps both; before each start
``EmbeddedNode._drop_restart_genesis`` keeps only the earliest one. It reads the file a piece at a
time and rewrites it without the extra blocks, every other byte copied through; a file it cannot
read, or with one block 0, is left as it is. These tests run on small synthetic state files shaped
like anvil's (the same keys in the same order, written compactly as serde_json does); the real
node's restart is in tests/integration/test_past_answers.py (two restarts, same genesis)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ledger.core import node as node_mod
from ledger.core.config import NetworkProfile
from ledger.core.node import EmbeddedNode, restart_genesis_spans

COMPACT = {"separators": (",", ":")}


def header(number: int, timestamp: int, tag: str = "") -> dict:
    return {"parentHash": "0x" + (tag.encode().hex() or "00").ljust(64, "0"), "number": hex(number),
            "timestamp": hex(timestamp), "gasLimit": "0x1c9c380", "baseFeePerGas": "0x0"}


def block(number: int, timestamp: int, tag: str = "", txs: int = 1) -> dict:
    return {"header": header(number, timestamp, tag),
            "transactions": [{"transaction": {"Legacy": {"input": "0x" + "ab" * 40 * (i + 1), "nonce": hex(i)}},
                              "impersonated_sender": None} for i in range(txs if number else 0)],
            "ommers": [], "withdrawals": None}


def state(blocks: list[dict]) -> dict:
    """An anvil-shaped state: accounts before the blocks (one with strings that look like keys),
    transactions after them."""
    return {
        "block": {"number": "0x3", "timestamp": "0x6b0e4499", "gas_limit": 30000000, "basefee": 0},
        "accounts": {
            "0x" + "11" * 20: {"nonce": 1, "balance": "0x0", "code": "0x6080",
                               "storage": {"0x" + "00" * 32: "0x01",
                                           "0x" + "01" * 32: 'x","blocks":[{"header":{"number":"0x0"'}},
            "0x" + "22" * 20: {"nonce": 0, "balance": "0x56bc75e2d63100000", "code": "0x", "storage": {}},
        },
        "best_block_number": max(int(b["header"]["number"], 16) for b in blocks),
        "blocks": blocks,
        "transactions": [{"info": {"transaction_hash": "0x" + "33" * 32, "traces": [{"blocks": [1]}]},
                          "receipt": {"status": "0x1"}, "block_number": 1}],
        "historical_states": None,
    }


def old_drop(value: dict) -> dict:
    """What the code did before (json.loads of the whole file): the reference."""
    zeros = [b for b in value["blocks"] if int(b["header"]["number"], 16) == 0]
    if len(zeros) < 2:
        return value
    keep = min(zeros, key=lambda b: int(b["header"]["timestamp"], 16))
    return {**value, "blocks": [b for b in value["blocks"] if b is keep or int(b["header"]["number"], 16) != 0]}


def node_on(tmp_path: Path, data: bytes) -> EmbeddedNode:
    node = EmbeddedNode(NetworkProfile("local", "http://127.0.0.1:1", 31337, embedded=True), tmp_path)
    node.state_file.write_bytes(data)
    return node


GENESIS, FRESH, LATER = 1_700_000_000, 1_800_000_000, 1_900_000_000
CASES = {
    "fresh block 0 first": [block(0, FRESH, "fresh"), block(0, GENESIS, "own"), block(1, GENESIS + 5),
                            block(2, GENESIS + 9)],
    "fresh block 0 in the middle": [block(1, GENESIS + 5), block(0, FRESH, "fresh"), block(2, GENESIS + 9),
                                    block(0, GENESIS, "own")],
    "fresh block 0 last": [block(0, GENESIS, "own"), block(1, GENESIS + 5), block(2, GENESIS + 9),
                           block(0, FRESH, "fresh")],
    "two fresh block 0s leading": [block(0, FRESH, "a"), block(0, LATER, "b"), block(1, GENESIS + 5),
                                   block(0, GENESIS, "own"), block(2, GENESIS + 9)],
    "three block 0s, the last two dropped": [block(1, GENESIS + 5), block(0, GENESIS, "own"), block(2, GENESIS + 9),
                                             block(0, LATER, "b"), block(0, FRESH, "a")],
    "equal timestamps: the first kept": [block(1, GENESIS + 5), block(0, GENESIS, "first"),
                                         block(0, GENESIS, "second"), block(2, GENESIS + 9)],
}


@pytest.mark.parametrize("piece", [node_mod.STATE_PIECE, 300, 64])  # small pieces: blocks and keys across them
@pytest.mark.parametrize("case", list(CASES))
def test_extra_block_0s_are_cut_and_every_other_byte_is_kept(tmp_path, monkeypatch, case, piece):
    monkeypatch.setattr(node_mod, "STATE_PIECE", piece)
    before = state(CASES[case])
    node = node_on(tmp_path, json.dumps(before, **COMPACT).encode())
    node._drop_restart_genesis()
    after = node.state_file.read_bytes()
    expected = old_drop(before)
    assert len(expected["blocks"]) < len(before["blocks"])
    # as anvil wrote it compactly, the file without the cut blocks is the compact form of the reference
    assert after == json.dumps(expected, **COMPACT).encode()
    zeros = [b["header"] for b in json.loads(after)["blocks"] if b["header"]["number"] == "0x0"]
    assert len(zeros) == 1 and zeros[0]["timestamp"] == hex(GENESIS)
    if case.startswith("equal"):
        assert zeros[0]["parentHash"].startswith("0x" + b"first".hex())
    assert not (tmp_path / "state.json.tmp").exists()
    node._drop_restart_genesis()  # a second time: nothing left to drop
    assert node.state_file.read_bytes() == after


@pytest.mark.parametrize("into_key", [4, -270])
def test_the_blocks_key_is_found_across_pieces(tmp_path, monkeypatch, into_key):
    """The first piece ends inside the key (the pieces overlap), or the key is in the second piece
    just past the first one's overlap (the pieces follow one another, no gap)."""
    data = json.dumps(state(CASES["fresh block 0 last"]), **COMPACT).encode()
    monkeypatch.setattr(node_mod, "STATE_PIECE", data.index(b'"blocks":[') + into_key)
    node = node_on(tmp_path, data)
    node._drop_restart_genesis()
    assert node.state_file.read_bytes() == json.dumps(old_drop(state(CASES["fresh block 0 last"])), **COMPACT).encode()


def test_a_file_with_whitespace_keeps_its_bytes_outside_the_blocks(tmp_path):
    before = state(CASES["fresh block 0 in the middle"])
    data = json.dumps(before, indent=2).encode()
    node = node_on(tmp_path, data)
    node._drop_restart_genesis()
    after = node.state_file.read_bytes()
    assert json.loads(after) == old_drop(before)
    head, tail = data[:data.index(b'"blocks"')], data[data.index(b'"transactions": [\n    {\n      "info"'):]
    assert after.startswith(head) and after.endswith(tail)  # accounts and transactions byte for byte


def test_a_state_with_one_block_0_is_not_rewritten(tmp_path):
    data = json.dumps(state([block(0, GENESIS), block(1, GENESIS + 5)]), **COMPACT).encode()
    node = node_on(tmp_path, data)
    inode = node.state_file.stat().st_ino
    assert restart_genesis_spans(node.state_file) == []
    node._drop_restart_genesis()
    assert node.state_file.read_bytes() == data and node.state_file.stat().st_ino == inode


def _cut(data: bytes, marker: bytes, extra: int = 5) -> bytes:
    return data[:data.index(marker) + extra]


DUPLICATED = json.dumps(state(CASES["fresh block 0 last"]), **COMPACT).encode()
MALFORMED = {
    "empty": b"",
    "not JSON": b"this is not a state file",
    "a JSON list": json.dumps([1, 2]).encode(),
    "no blocks list": json.dumps({**state([block(0, GENESIS)]), "blocks": None}, **COMPACT).encode().replace(
        b'"blocks":null', b'"other":null'),
    "truncated in the accounts": _cut(DUPLICATED, b'"storage"'),
    "truncated in the blocks": _cut(DUPLICATED, b'"ommers"', 20),
    "truncated in the last block 0": DUPLICATED[:DUPLICATED.rindex(b'"transactions":[]')],
    "truncated in the transactions": _cut(DUPLICATED, b'"receipt"'),
    "truncated after a header (ends in a brace)":
        DUPLICATED[:DUPLICATED.index(b'},"transactions":[{"transaction"') + 1],
    "a block without a header": DUPLICATED.replace(b'"header":', b'"heading":', 1),
    "a block number that is not hex": DUPLICATED.replace(b'"number":"0x1"', b'"number":"one"', 1),
    "a block that is not an object": DUPLICATED.replace(b'"blocks":[', b'"blocks":[7,', 1),
    "a broken block": DUPLICATED.replace(b'"ommers":[]', b'"ommers":[}', 1),
    "blocks without a comma between them": DUPLICATED.replace(b'},{"header"', b'};{"header"', 1),
    "something else after the blocks list": DUPLICATED.replace(b'],"transactions":[{"info"',
                                                               b']]"transactions":[{"info"', 1),
    "blocks not closed": DUPLICATED.replace(b'],"transactions":[{"info"', b',"transactions":[{"info"', 1),
}


@pytest.mark.parametrize("piece", [node_mod.STATE_PIECE, 64])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_file_this_code_cannot_read_is_left_for_anvil(tmp_path, monkeypatch, case, piece):
    monkeypatch.setattr(node_mod, "STATE_PIECE", piece)
    data = MALFORMED[case]
    assert data != DUPLICATED
    node = node_on(tmp_path, data)
    node._drop_restart_genesis()
    assert node.state_file.read_bytes() == data
    assert not (tmp_path / "state.json.tmp").exists()


def test_the_duplicated_file_itself_is_read(tmp_path):
    """The malformed files above are cut from this one: it is dropped from, so they were left alone
    for what is wrong with them."""
    node = node_on(tmp_path, DUPLICATED)
    node._drop_restart_genesis()
    assert node.state_file.read_bytes() != DUPLICATED and json.loads(node.state_file.read_bytes()) == old_drop(
        json.loads(DUPLICATED))


def test_no_state_file_yet(tmp_path):
    node = EmbeddedNode(NetworkProfile("local", "http://127.0.0.1:1", 31337, embedded=True), tmp_path)
    node._drop_restart_genesis()
    assert not node.state_file.exists() and os.listdir(tmp_path) == []


def test_a_failed_rewrite_leaves_the_state_file_as_it_was(tmp_path, monkeypatch):
    node = node_on(tmp_path, DUPLICATED)

    def disk_full(src: int, dst: int, offset: int, count: int) -> None:
        os.write(dst, b"{partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(node_mod, "_copy_range", disk_full)
    with pytest.raises(OSError):
        node._drop_restart_genesis()
    assert node.state_file.read_bytes() == DUPLICATED
    assert not (tmp_path / "state.json.tmp").exists()


def test_a_block_larger_than_a_piece_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(node_mod, "STATE_PIECE", 1024)
    big = block(1, GENESIS + 5, txs=40)  # ~40 KB of transactions in one block
    before = state([block(0, GENESIS), big, block(0, FRESH, "fresh")])
    node = node_on(tmp_path, json.dumps(before, **COMPACT).encode())
    node._drop_restart_genesis()
    assert node.state_file.read_bytes() == json.dumps(old_drop(before), **COMPACT).encode()


def test_copy_without_copy_file_range(tmp_path, monkeypatch):
    """Where the kernel cannot copy (another file system), the bytes are read and written."""
    def refused(*_a, **_k):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(node_mod.os, "copy_file_range", refused, raising=False)
    before = state(CASES["fresh block 0 first"])
    node = node_on(tmp_path, json.dumps(before, **COMPACT).encode())
    node._drop_restart_genesis()
    assert node.state_file.read_bytes() == json.dumps(old_drop(before), **COMPACT).encode()


# --- against the real node ----------------------------------------------------------------------


@pytest.fixture()
def env(tmp_path):
    from tests.fixtures.chain import fresh_chain

    yield from fresh_chain(tmp_path)


def test_a_restarted_anvil_dumps_a_second_block_0_and_start_drops_it(env):
    node = env.node
    genesis = env.ledger().rpc.request("eth_getBlockByNumber", ["0x0", False])
    for restart in range(2):
        time.sleep(1.1)  # anvil's fresh block 0 is stamped with the time it starts: another second
        node.stop()  # SIGTERM: anvil dumps its state
        cuts = restart_genesis_spans(node.state_file)
        zeros = [b["header"] for b in json.loads(node.state_file.read_bytes())["blocks"]
                 if b["header"]["number"] == "0x0"]
        # the first stop dumps the chain started without a state file; every later one holds the
        # fresh block 0 of the anvil that loaded it
        assert len(zeros) == (1 if restart == 0 else 2) and len(cuts) == len(zeros) - 1, zeros
        node.start()
        assert restart_genesis_spans(node.state_file) == []
        assert env.ledger().rpc.request("eth_getBlockByNumber", ["0x0", False])["hash"] == genesis["hash"]
