"""The local read index (ledger.domain.index) against a real anvil node: sync, incremental
sync, rebuild equals incremental, restart, the behind-the-chain note, and the same answers as
the in-memory replay (Licensing.index)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from ledger.domain.index import ReadIndex
from ledger.domain.licensing import SCOPE_REPERTOIRE, Licensing

CID = b"\x01\x55\x12\x20" + b"\x44" * 32
_LEDGERS: dict = {}


@pytest.fixture(scope="module")
def lic(ledger_env):
    for name in ("alice", "cmo", "licensee", "registrar", "governor"):
        _LEDGERS[name] = ledger_env.ledger(name)
    return {name: Licensing(led) for name, led in _LEDGERS.items()}


def _works(env, seed: str, n: int) -> list[str]:
    led, reg = _LEDGERS["alice"], _LEDGERS["registrar"]
    addr = env.addresses["alice"]
    regs = [(hashlib.sha256(f"idx:{seed}:{i}".encode()).digest(), CID, 2, 1, [(addr, 10000)]) for i in range(n)]
    led.chain.transact(led.registry.functions.registerBatch(regs), led.signer)
    reg.chain.transact(reg.registry.functions.confirmBatch([r[0] for r in regs]), reg.signer)
    return ["0x" + r[0].hex() for r in regs]


def _key(records):
    return [(r.licence_id, r.licensee, r.state, r.work_ids, r.uses, len(r.history)) for r in records]


def test_sync_answers_as_the_replay_then_incremental_equals_rebuild(ledger_env, lic, tmp_path):
    alice, who = lic["alice"], ledger_env.addresses["licensee"]
    works = _works(ledger_env, "a", 4)
    now = alice.now()
    _, l1 = alice.grant(who, works[:2], alice.terms(["ai-training"], scope="list", start=now, end=now + 10_000))
    _, l2 = alice.grant(who, [works[2]], alice.terms(["reproduce"], start=now))

    idx = ReadIndex(_LEDGERS["alice"], tmp_path / "inc.sqlite")
    state = idx.sync()
    assert state.behind == 0 and state.synced_block == _LEDGERS["alice"].chain.block_number()
    replay = alice.index()
    assert _key(idx.licences_for(None, who)) == _key(replay.licences_for(None, who))
    assert [r.licence_id for r in idx.licences_for(works[0])] == [l1]
    assert [r.licence_id for r in idx.licences_for(works[2], who)] == [l2]
    assert idx.licences_for(works[3]) == []
    assert {w["workId"] for w in idx.works(limit=1000)} >= set(works)

    # new events after the first sync: a revocation, a mandate and a CMO's repertoire licence
    alice.revoke(l2, "terms breached")
    alice.mandate(works[3], ledger_env.addresses["cmo"], ["reproduce"])
    cmo = lic["cmo"]
    _, l3 = cmo.grant(who, [], cmo.terms(["reproduce"], scope=SCOPE_REPERTOIRE, start=cmo.now()))
    before = idx.synced_block
    state = idx.sync()
    assert state.synced_block > before and state.behind == 0
    assert [r.state for r in idx.licences_for(works[2])] == ["revoked"]
    assert l3 in [r.licence_id for r in idx.licences_for(works[3])]  # blanket licence via the mandate
    replay = alice.index()
    for w in works:
        assert _key(idx.licences_for(w)) == _key(replay.licences_for(w, None))
    assert _key(idx.licences_for(None, who)) == _key(replay.licences_for(None, who))

    fresh = ReadIndex(_LEDGERS["alice"], tmp_path / "full.sqlite")
    fresh.sync()
    assert fresh.dump() == idx.dump()  # one sync from scratch == several incremental ones
    idx.rebuild()
    assert idx.dump() == fresh.dump()


def test_restart_keeps_the_synced_block_and_rows(ledger_env, lic, tmp_path):
    led = _LEDGERS["alice"]
    _works(ledger_env, "restart", 2)
    path = tmp_path / "r.sqlite"
    idx = ReadIndex(led, path)
    state = idx.sync()
    rows = idx.dump()
    idx.close()
    again = ReadIndex(led, path)
    assert again.synced_block == state.synced_block
    assert again.dump() == rows
    assert again.sync().synced_block == led.chain.block_number()
    assert again.dump() == rows  # nothing new: nothing applied twice


def test_behind_the_chain_is_reported_then_caught_up(ledger_env, lic, tmp_path):
    led = _LEDGERS["alice"]
    _works(ledger_env, "behind", 1)
    idx = ReadIndex(led, tmp_path / "b.sqlite")
    state = idx.sync(max_blocks=1)  # from the deployment block: far behind the head
    assert state.behind > 0
    assert state.note() == f"index {state.behind} blocks behind the chain (head {state.head})"
    state = idx.fresh()
    assert state.behind == 0 and state.note() is None


def test_a_chain_that_no_longer_has_the_synced_block_rebuilds(ledger_env, lic, tmp_path):
    led = _LEDGERS["alice"]
    path = tmp_path / "h.sqlite"
    idx = ReadIndex(led, path)
    idx.sync()
    rows = idx.dump()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET v = '0xdead' WHERE k = 'synced_hash'")  # as if the chain were reset
    db.execute("INSERT INTO works (work, status, registered_block, reserved_uses) VALUES ('0xbogus', 1, 0, 0)")
    db.commit()
    db.close()
    idx.sync()
    assert idx.dump() == rows  # the bogus row is gone: rebuilt from the events


def test_licensing_reads_and_duplicate_check_use_the_index(ledger_env, lic):
    alice, who = lic["alice"], ledger_env.addresses["licensee"]
    (w,) = _works(ledger_env, "dup", 1)
    terms = alice.terms(["perform"], start=alice.now())
    _, lid = alice.grant(who, [w], terms)
    assert alice.identical_licence(who, [w], terms).licence_id == lid
    assert [r.licence_id for r in alice.licences_for(work=w)] == [lid]
    assert alice.index_note is None
    path = ledger_env.home / "index" / "local.sqlite"
    assert path.exists()
    assert ReadIndex(_LEDGERS["alice"]).path == path
