"""The embedded node's write-ahead journal (ledger.core.node): an acknowledged write is an
fsync'd append of its raw transaction (no dump of the whole state); after a SIGKILL of the
node the journal is replayed onto the last snapshot at the original block times, with no
transaction applied twice."""

from __future__ import annotations

import hashlib
import json

import pytest

from ledger.core import node as node_mod
from tests.fixtures.chain import fresh_chain, make_env

CID = b"\x01\x55\x12\x20" + b"\x55" * 32


@pytest.fixture()
def env(tmp_path):
    yield from fresh_chain(tmp_path)


def _register(led, seed: str) -> tuple[str, str]:
    h = hashlib.sha256(seed.encode()).digest()
    tx = led.chain.transact(led.registry.functions.registerBatch([(h, CID, 2, 1, [(led.signer.address, 10000)])]),
                            led.signer)
    return "0x" + h.hex(), tx.tx_hash


def _block(led, number: int) -> dict:
    return led.rpc.request("eth_getBlockByNumber", [hex(number), False])


def test_write_appends_to_the_journal_without_rewriting_the_state(env):
    led = env.ledger("alice")
    node = env.node
    node.durable(None)  # a snapshot: the journal is empty, the state file written
    before = node.state_file.stat().st_mtime_ns
    wid, tx_hash = _register(led, "journal:1")
    entries = node.journal()
    assert [e["hash"] for e in entries] == [tx_hash]
    assert entries[0]["raw"].startswith("0x") and entries[0]["timestamp"]
    assert node.state_file.stat().st_mtime_ns == before  # no dump of the whole state per write


def test_sigkill_then_restart_replays_the_journal_once_at_the_original_times(env):
    led = env.ledger("alice")
    node = env.node
    node.durable(None)
    wid1, tx1 = _register(led, "journal:kill:1")
    wid2, tx2 = _register(led, "journal:kill:2")
    r1 = led.rpc.request("eth_getTransactionReceipt", [tx1])
    r2 = led.rpc.request("eth_getTransactionReceipt", [tx2])
    times = [_block(led, int(r["blockNumber"], 16))["timestamp"] for r in (r1, r2)]
    head = led.chain.block_number()

    node.kill()  # the state file holds neither write; the journal holds both
    node.start()
    again = env.ledger("alice")
    assert again.chain.block_number() == head
    for tx, when in zip((tx1, tx2), times, strict=True):
        receipt = again.rpc.request("eth_getTransactionReceipt", [tx])
        assert receipt is not None and int(receipt["status"], 16) == 1
        # mined again in a block at its original time (evm_mine at the journaled timestamp); anvil
        # will not mine a block at its parent's second, so a block that shared its second with the
        # one before gets the next second
        assert 0 <= int(_block(again, int(receipt["blockNumber"], 16))["timestamp"], 16) - int(when, 16) <= 1
    assert again.status_of(wid1).name == "PENDING" and again.status_of(wid2).name == "PENDING"
    assert [e["hash"] for e in node.journal()] == [tx1, tx2]  # kept until the next snapshot

    # entries the state already has are skipped by hash: nothing applied twice
    node.journal_file.write_text("".join(json.dumps({"hash": h, "raw": "0x00", "timestamp": None}) + "\n"
                                         for h in (tx1, tx2)) + '{"torn')
    assert node.replay_journal() == 0
    assert env.ledger("alice").chain.block_number() == head


def test_too_many_transactions_for_the_journal_take_a_snapshot(env, monkeypatch):
    monkeypatch.setattr(node_mod, "SNAPSHOT_EVERY", 2)
    led = env.ledger("alice")
    node = env.node
    node.durable(None)
    _register(led, "journal:snap:1")
    assert len(node.journal()) == 1
    before = node.state_file.stat().st_mtime_ns
    _register(led, "journal:snap:2")  # the second entry reaches SNAPSHOT_EVERY
    assert node.journal() == [] and node.state_file.stat().st_mtime_ns > before


def test_a_node_with_interval_mining_replays_and_waits_for_the_blocks(tmp_path):
    """With RIGHTS_LEDGER_BLOCK_TIME (interval mining, as a QBFT network mines) the replay cannot
    mine blocks itself: it re-sends and waits for the interval's blocks before start returns."""
    e = make_env(tmp_path / "interval", block_time=1)
    try:
        led = e.ledger("alice")
        e.node.durable(None)
        wid1, tx1 = _register(led, "journal:interval:1")
        wid2, tx2 = _register(led, "journal:interval:2")
        assert [x["hash"] for x in e.node.journal()] == [tx1, tx2]
        e.node.kill()
        e.node.start()
        again = e.ledger("alice")
        for tx in (tx1, tx2):  # mined before start returned
            receipt = again.rpc.request("eth_getTransactionReceipt", [tx])
            assert receipt is not None and int(receipt["status"], 16) == 1
        assert again.status_of(wid1).name == "PENDING" and again.status_of(wid2).name == "PENDING"
    finally:
        e.node.stop()


def test_a_journaled_write_the_replay_cannot_mine_is_a_warning_not_a_silent_loss(env):
    """An acknowledged write whose transaction cannot be mined again (its account's earlier nonce is
    missing: a transaction the journal never saw, another tool's) was only noted in the node's log:
    the command that restarted the node said nothing, and waited 60 s for it. It now warns on stderr
    and waits a few seconds (each original block is mined during the replay)."""
    import time

    from click.testing import CliRunner

    from ledger.cli import cli

    led = env.ledger("alice")
    node = env.node
    node.durable(None)
    wid, tx = _register(led, "journal:gap:1")
    # the same account's next transaction, sent past the journal (as another tool would): not journaled
    led.chain.send(led.chain.build(led.registry.functions.registerBatch(
        [(hashlib.sha256(b"journal:gap:0").digest(), CID, 2, 1, [(led.signer.address, 10000)])]), led.signer),
        led.signer)
    led.chain._sent = []  # (never made durable)
    _wid3, tx3 = _register(led, "journal:gap:2")  # journaled, its nonce after the one the journal misses
    node.kill()
    node.journal_file.write_text("".join(
        json.dumps(e) + "\n" for e in node.journal() if e["hash"] != tx))  # only the one behind the gap
    t0 = time.monotonic()
    r = CliRunner().invoke(cli, ["work", "show", wid, "--json"], env=env.env())
    took = time.monotonic() - t0
    assert "warning: 1 acknowledged transaction(s) of the node's journal could not be replayed" in r.stderr
    assert tx3 in r.stderr and took < 30, (took, r.stderr)
    assert tx3 in node.log_file.read_text()
