"""One work's history from the read index (issue 15) against a real anvil node of its own.

``work show``, ``verify``, the portal's work page and the generation records read a work's
events from the read index's ``work_logs`` table instead of ``eth_getLogs`` over the whole
chain. These tests compare both answers on a ledger with several works, transfers, disputes,
a rejection, a generation record and a real contract upgrade (ADR 002); delete the index and
ask again; read an index that is behind the chain; rebuild an index of an older schema; and
check that events copied by a contract outside the deployment never enter the index.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from ledger.core.abicodec import checksum
from ledger.core.deploy import deploy_all
from ledger.domain.index import SCHEMA_VERSION, ReadIndex
from ledger.domain.protection import Protection, merkle_root
from tests.fixtures.chain import own_chain, register_text_work

# an attacker's contract: emits LOG3 with the three topics and the data it is called with
# (calldata = topic0 | topic1 | topic2 | data); runtime 23 bytes behind a 12-byte constructor
ECHO_RUNTIME = "3660006000376040356020356000356060360360 60a300".replace(" ", "")
ECHO_INIT = "6017600c60003960176000f3" + ECHO_RUNTIME


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    yield from own_chain(tmp_path_factory)




def _prot(env, who: str) -> Protection:
    return Protection(env.ledger(who), tsa=None)


@pytest.fixture(scope="module")
def world(env):
    """Works with every kind of history, before and after an upgrade of the contracts."""
    a, b = env.addresses["alice"], env.addresses["bob"]
    works: dict[str, str] = {}
    works["plain"] = register_text_work(env, "alice")
    works["pending"] = register_text_work(env, "alice", confirm=False)
    works["rejected"] = register_text_work(env, "alice", confirm=False)
    env.ledger("registrar").reject_work(works["rejected"], "not original")
    works["transferred"] = register_text_work(env, "alice")
    env.ledger("alice").transfer_share(works["transferred"], b, 2500)
    works["corrected"] = register_text_work(env, "alice")
    _prot(env, "bob").open_dispute(works["corrected"], b"joint authorship evidence")
    _prot(env, "registrar").resolve_dispute(works["corrected"], "corrected", "joint work",
                                            [f"{a}:6000", f"{b}:4000"])
    works["revoked"] = register_text_work(env, "alice")
    _prot(env, "bob").open_dispute(works["revoked"], b"published earlier")
    _prot(env, "registrar").resolve_dispute(works["revoked"], "revoked", "copied")
    works["generated"] = register_text_work(env, "bob", mode="ai-assisted")
    root = "0x" + merkle_root([hashlib.sha256(b"prompt").digest()]).hex()
    _prot(env, "bob").record_generation(works["generated"], "example-diffusion", "2.1", root, works["generated"],
                                        {"seed": 1}, attest_hashes=True)
    works["root"] = root  # not a work: a hash with attestations (the index keys them the same way)
    env.ledger("alice").reserve_uses(works["plain"], ["ai-training"])

    # a real upgrade: WorkRegistry v2 (predecessor v1) and the contracts that depend on it
    gov = env.ledger("governor")
    old = gov.deployment
    new = deploy_all(gov.chain, gov.signer, env.settings.build_dir, env.settings.deployments_file, previous=old)
    assert new.address("WorkRegistry") != old.address("WorkRegistry")
    # a v1 work keeps its history and gets more of it; a v2 work starts its own
    env.ledger("alice").transfer_share(works["plain"], b, 1000)
    _prot(env, "bob").open_dispute(works["transferred"], b"after the upgrade")
    # attestations in the new AttestationRegistry (the attestations read asks the current one)
    _prot(env, "bob").attest(root, "inputs")
    _prot(env, "bob").attest(works["generated"], "output")
    _prot(env, "alice").attest(works["generated"], document=b"alice's own attestation of the output")
    works["v2"] = register_text_work(env, "alice")
    env.ledger("alice").transfer_share(works["v2"], b, 5000)
    return works


def works_only(world: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in world.items() if k != "root"}


def _from_chain(led, wid):
    return led.work_events_from_chain(wid)


def test_history_from_the_index_equals_eth_getlogs(env, world, monkeypatch):
    led = env.ledger()
    assert len(led.registry_versions()) == 2  # the upgrade happened: two WorkRegistry versions
    for name, wid in works_only(world).items():
        chain_events = _from_chain(led, wid)
        assert chain_events, name
        assert led.work_events(wid) == chain_events, name
        assert led.index_note is None
    # the v1 work's history spans both sides of the upgrade; the corrected work has both dispute events
    assert [e.name for e in led.work_events(world["corrected"])][-2:] == ["DisputeOpened", "DisputeResolved"]
    assert "ShareTransferred" in [e.name for e in led.work_events(world["plain"])]
    # the index really holds them (the answer is not the chain's under another name)
    idx = led.read_index()
    assert idx.count("work_logs") >= sum(len(_from_chain(led, w)) for w in works_only(world).values())
    assert idx.work_log_events(world["v2"]) == _from_chain(led, world["v2"])

    # whole records, dispute lists and generation records: the same with the index off
    works = works_only(world).values()
    with_index = {w: led.work(w) for w in works}
    disputes = {w: Protection(led).disputes(w) for w in works}
    gens = {w: Protection(led).generations(w) for w in works}
    hashes = list(world.values())
    bob, alice = env.addresses["bob"], env.addresses["alice"]
    atts = {who: Protection(led).attestations_of(hashes, who) for who in (None, bob, alice)}
    assert gens[world["generated"]] and disputes[world["revoked"]]
    assert atts[None][world["root"]].kind == "inputs" and atts[alice][world["generated"]].cid
    assert atts[bob][world["generated"]].tx_hash and atts[None][world["plain"]] is None
    monkeypatch.setenv("RIGHTS_LEDGER_INDEX", "off")
    off = env.ledger()
    assert off.read_index() is None
    for w in works:
        assert off.work(w) == with_index[w]
        assert Protection(off).disputes(w) == disputes[w]
        assert Protection(off).generations(w) == gens[w]
    for who in (None, bob, alice):
        assert Protection(off).attestations_of(hashes, who) == atts[who]


def test_deleting_the_index_gives_the_same_answers(env, world):
    led = env.ledger()
    before = {w: led.work(w) for w in works_only(world).values()}
    rows = led.read_index().dump()
    path = led.read_index().path
    led.read_index().close()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    assert not path.exists()
    again = env.ledger()
    assert {w: again.work(w) for w in works_only(world).values()} == before
    assert path.exists() and again.read_index().dump() == rows
    # and through the CLI (a separate process, the index file made anew)
    again.read_index().close()
    path.unlink()
    p = subprocess.run([sys.executable, "-m", "ledger.cli", "work", "show", world["corrected"], "--json"],
                       env=env.env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    shown = json.loads(p.stdout)
    assert [h["event"] for h in shown["history"]] == [h.event for h in before[world["corrected"]].history]
    assert path.exists()


def test_an_index_behind_the_chain_answers_completely_and_says_so(env, world, tmp_path):
    led = env.ledger("alice")
    idx = ReadIndex(led, tmp_path / "behind.sqlite")
    idx.sync(max_blocks=3)  # far behind: the deployment's first blocks only
    wid = world["transferred"]
    events, state = idx.work_events(wid, bound=1)  # syncs one more block, reads the rest from the chain
    assert state.behind > 0
    assert events == _from_chain(led, wid)
    assert idx.work_log_events(wid) != events  # the index alone misses them: the chain's tail was read
    # the Ledger's read says so to the user
    idx.read_bound = 1
    led._read_index = idx
    assert led.work_events(wid) == _from_chain(led, wid)
    assert led.index_note and "blocks behind the chain" in led.index_note
    assert led.work(wid) == env.ledger().work(wid)
    # caught up, it says nothing
    idx.read_bound = 10**9
    assert led.work_events(wid) == _from_chain(led, wid)
    assert led.index_note is None


def test_an_index_of_an_older_schema_rebuilds_itself(env, world, tmp_path):
    led = env.ledger()
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (k VARCHAR(64) PRIMARY KEY, v TEXT NOT NULL)")
    db.execute("CREATE TABLE works (work VARCHAR(66) PRIMARY KEY, status INTEGER NOT NULL, "
               "registered_block BIGINT NOT NULL, reserved_uses BIGINT NOT NULL)")
    old_identity = json.loads(ReadIndex(led, tmp_path / "probe.sqlite")._identity)
    assert old_identity[0] == SCHEMA_VERSION
    old_identity[0] = str(int(SCHEMA_VERSION) - 1)
    db.execute("INSERT INTO meta (k, v) VALUES ('identity', ?)", (json.dumps(old_identity),))
    db.execute("INSERT INTO meta (k, v) VALUES ('synced_block', ?)", (str(led.chain.block_number()),))
    db.execute("INSERT INTO works VALUES ('0xbogus', 1, 0, 0)")
    db.commit()
    db.close()
    idx = ReadIndex(led, path)
    idx.sync()
    assert idx.dump()["works"] and "0xbogus" not in [r[0] for r in idx.dump()["works"]]
    for wid in works_only(world).values():
        assert idx.work_events(wid)[0] == _from_chain(led, wid)


def test_events_from_a_contract_outside_the_deployment_never_enter_the_index(env, world):
    led = env.ledger("alice")
    signer = led.require_signer()
    wid = world["pending"]
    tx = {"data": "0x" + ECHO_INIT, "gas": 200_000, "gasPrice": led.chain.gas_price(), "chainId": led.chain.chain_id,
          "value": 0}
    result = led.chain.wait(led.chain.send(tx, signer))
    evil = checksum(led.rpc.request("eth_getTransactionReceipt", [result.tx_hash])["contractAddress"])
    # forged events about the pending work: a registrar's confirmation, and a rejection
    who = "0x" + "00" * 12 + signer.address[2:].lower()
    rejection = (1).to_bytes(32, "big") + (64).to_bytes(32, "big") + (0).to_bytes(32, "big")
    forged = [(led.events.topic_of("WorkConfirmed"), "0x" + wid[2:], who, b""),
              (led.events.topic_of("WorkRejected"), "0x" + wid[2:], who, rejection)]
    for t0, t1, t2, data in forged:
        tx = {"to": evil, "data": "0x" + t0[2:] + t1[2:] + t2[2:] + data.hex(), "gas": 100_000,
              "gasPrice": led.chain.gas_price(), "chainId": led.chain.chain_id, "value": 0}
        led.chain.wait(led.chain.send(tx, signer))
    # the forged logs are on chain, decodable as ledger events about the work ...
    head = led.chain.block_number()
    copies = led.rpc.request("eth_getLogs", [{"address": evil, "fromBlock": hex(head - 2), "toBlock": hex(head)}])
    decoded = [led.events.decode(lg) for lg in copies]
    assert [d.name for d in decoded] == ["WorkConfirmed", "WorkRejected"]
    assert all(d.args["workId"] == bytes.fromhex(wid[2:]) for d in decoded)
    anywhere = led.rpc.request("eth_getLogs", [{"fromBlock": hex(head - 2), "toBlock": hex(head),
                                                "topics": [None, "0x" + wid[2:]]}])
    assert len(anywhere) == 2  # a filter on the work alone would find them
    # ... and never in the index nor in any answer
    idx = led.read_index()
    events, state = idx.work_events(wid)
    assert state.behind == 0
    assert events == _from_chain(led, wid)
    assert [e.name for e in events] == ["WorkRegistered"]
    assert all(e.address in led.registry_versions() for e in events)
    assert evil.lower() not in {r[4].lower() for r in idx.dump()["work_logs"]}
    assert [h.event for h in led.work(wid).history] == ["WorkRegistered"]
    # not from the chain's tail when the index is behind, nor when it is rebuilt from scratch
    assert idx._fetch_work_logs(head - 2, head, wid) == []
    idx.rebuild()
    assert evil.lower() not in {r[4].lower() for r in idx.dump()["work_logs"]}
    assert idx.work_events(wid)[0] == events


def test_work_show_and_verify_via_the_cli_tell_when_the_index_is_behind(env, world):
    """The CLI prints the index's note on stderr; the answer on stdout is the full one."""
    led = env.ledger()
    expected = [h.event for h in led.work(world["corrected"]).history]
    path = led.read_index().path
    led.read_index().close()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    e = {**env.env(), "RIGHTS_LEDGER_INDEX_READ_BOUND": "1"}  # a new index that syncs one block per read
    p = subprocess.run([sys.executable, "-m", "ledger.cli", "work", "show", world["corrected"], "--json"],
                       env=e, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "blocks behind the chain" in p.stderr
    assert [h["event"] for h in json.loads(p.stdout)["history"]] == expected
    p = subprocess.run([sys.executable, "-m", "ledger.cli", "work", "show", world["corrected"], "--json"],
                       env=env.env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "behind" not in p.stderr, p.stderr  # caught up
    assert [h["event"] for h in json.loads(p.stdout)["history"]] == expected


def test_the_portal_work_page_says_when_the_index_is_behind(env, world, tmp_path):
    from fastapi.testclient import TestClient

    from ledger.portal import create_app

    app = create_app(env.settings)
    reader = app.state.reader
    led = reader.ledger()
    wid = world["corrected"]
    expected = [h.event for h in env.ledger().work(wid).history]
    idx = ReadIndex(led, tmp_path / "portal.sqlite")
    idx.sync(max_blocks=3)
    idx.read_bound = 1  # behind, and it stays behind for these reads
    led._read_index = idx
    client = TestClient(app)
    r = client.get(f"/api/works/{wid}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["event"] for h in body["history"]] == expected
    assert "blocks behind the chain" in body["historyNote"]
    page = client.get(f"/works/{wid}")
    assert page.status_code == 200 and 'id="history-note"' in page.text and "behind the chain" in page.text
    idx.read_bound = 10**9  # caught up: no note
    body = client.get(f"/api/works/{wid}").json()
    assert body["historyNote"] is None and [h["event"] for h in body["history"]] == expected
    assert 'id="history-note"' not in client.get(f"/works/{wid}").text
