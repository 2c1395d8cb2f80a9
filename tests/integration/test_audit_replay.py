"""Audit replay on a private anvil node: a history with every event type of the roles,
works and attestations contracts replays clean; each kind of tampering is reported."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil

import pytest

from ledger.audit import State, apply, audit, run_checks
from ledger.audit.core import fetch_events
from ledger.content.metadata import build_work_metadata
from ledger.content.timestamp import TsaClient
from ledger.core.types import Holder
from ledger.domain.protection import Protection, merkle_root, sha256_hex
from tests.fixtures.chain import make_env
from tests.fixtures.tsa import local_tsa  # noqa: F401  (fixture)

ALL_EVENTS = {
    "RoleGranted", "RoleRevoked", "RoleAdminChanged", "IdentityVerified",
    "WorkRegistered", "WorkConfirmed", "WorkRejected", "ActionConsented", "ShareTransferred", "UsesReserved",
    "DisputeOpened", "DisputeResolved", "Attested", "TimestampLinked", "GenerationRecorded",
}


def _register(env, who, seed, holders=None, mode="human"):
    data = seed.encode()
    ai = {"models": [{"name": "m", "version": "1"}], "tools": []} if mode != "human" else None
    doc = build_work_metadata(title=seed, creators=[{"name": who, "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(data).hexdigest(), creation_mode=mode,
                              ai_declaration=ai)
    return env.ledger(who).register_work(doc, holders or [Holder(env.addresses[who], 10000)])


@pytest.fixture(scope="module")
def history(tmp_path_factory, local_tsa):  # noqa: F811
    env = make_env(tmp_path_factory.mktemp("audit-home"))
    a = env.addresses
    gov, reg = env.ledger("governor"), env.ledger("registrar")
    gov.grant_role("AUDITOR", a["rando"])
    gov.revoke_role("AUDITOR", a["rando"])
    poem = _register(env, "alice", "poem")
    reg.confirm_work(poem.work_id)
    rejected = _register(env, "alice", "rejected")
    reg.reject_work(rejected.work_id, "duplicate of an earlier work")
    co = _register(env, "alice", "co-owned", [Holder(a["alice"], 6000), Holder(a["bob"], 4000)], mode="ai-assisted")
    reg.confirm_work(co.work_id)
    alice = env.ledger("alice")
    env.ledger("bob").consent(co.work_id, alice.transfer_action_hash(co.work_id, a["alice"], a["bob"], 1000))
    alice.transfer_share(co.work_id, a["bob"], 1000)
    alice.reserve_uses(poem.work_id, ["ai-training"])
    p_reg = Protection(reg, tsa=None)
    Protection(env.ledger("bob"), tsa=None).open_dispute(poem.work_id, b"bob's evidence")
    p_reg.resolve_dispute(poem.work_id, "dismissed", "no earlier work shown")
    Protection(env.ledger("bob"), tsa=None).open_dispute(poem.work_id, b"bob's second try")
    p_reg.resolve_dispute(poem.work_id, "corrected", "joint work", [f"{a['alice']}:5000", f"{a['bob']}:5000"])
    bob = Protection(env.ledger("bob"), tsa=TsaClient(local_tsa.url))
    root = "0x" + merkle_root([hashlib.sha256(b"prompt").digest(), hashlib.sha256(b"sketch").digest()]).hex()
    bob.record_generation(co.work_id, "example-diffusion", "2.1", root, co.work_id, {"seed": 7}, attest_hashes=True)
    later = sha256_hex(b"attested now, stamped later")
    bob.attest(later, "evidence", timestamp=False)
    bob.link_timestamp(later)
    yield env, {"poem": poem, "co": co, "rejected": rejected}
    env.node.stop()


def test_replay_of_every_event_type_finds_no_mismatch(history):
    env, _ = history
    report = audit(env.ledger())
    assert report.mismatches == [], [m.line() for m in report.mismatches]
    assert ALL_EVENTS <= set(report.state.counts), ALL_EVENTS - set(report.state.counts)
    assert len(report.digest) == 64 and report.state.events == sum(report.state.counts.values())
    again = audit(env.ledger())
    assert again.digest == report.digest


def _block_file(env, cid):
    return env.ledger().store.block_path(cid)


def test_changed_blob_is_reported(history, tmp_path):
    env, works = history
    path = _block_file(env, works["poem"].metadata_cid)
    saved = tmp_path / "saved"
    shutil.copy(path, saved)
    try:
        path.write_bytes(path.read_bytes().replace(b"poem", b"POEM"))
        found = audit(env.ledger()).mismatches
    finally:
        shutil.copy(saved, path)
    assert [m.kind for m in found] == ["blob-changed"]
    assert works["poem"].metadata_cid in found[0].where and works["poem"].work_id in found[0].where


def test_missing_blob_is_reported(history, tmp_path):
    env, works = history
    path = _block_file(env, works["co"].metadata_cid)
    saved = tmp_path / "saved"
    shutil.move(path, saved)
    try:
        found = audit(env.ledger()).mismatches
    finally:
        shutil.move(saved, path)
    assert [m.kind for m in found] == ["blob-missing"]
    assert works["co"].metadata_cid in found[0].where


def _events(env):
    led = env.ledger()
    out = []
    fetch_events(led, led.deployment.first_block, led.chain.block_number(), lambda _end, evs: out.extend(evs))
    return led, out


def test_truncated_event_list_disagrees_with_chain(history):
    env, works = history
    led, events = _events(env)
    last_resolved = max(i for i, e in enumerate(events) if e.name == "DisputeResolved")
    state = apply(State(), events[:last_resolved] + events[last_resolved + 1:])
    found = run_checks(state, led, skip=("blobs",))
    wid = works["poem"].work_id
    kinds = {(m.kind, m.what) for m in found if wid in m.where}
    assert ("state", "status differs") in kinds and ("state", "holders differ") in kinds
    assert ("state", "openDispute differs") in kinds


def test_forged_state_is_reported(history):
    env, works = history
    led, events = _events(env)
    state = apply(State(), events)
    state.section("works")[works["co"].work_id]["holders"][0][1] += 1
    state.section("roles")["members"]["0x" + "00" * 32]["0x000000000000000000000000000000000000dEaD"] = True
    gen = next(iter(state.section("generations").values()))
    gen["modelVersion"] = "9.9"
    found = run_checks(state, led, skip=("blobs",))
    whats = {m.what for m in found}
    assert {"holders differ", "members differ", "the recorded digest differs from the replayed fields"} <= whats


def test_events_out_of_order_are_flagged(history):
    env, _ = history
    led, events = _events(env)
    confirmed = [e for e in events if e.name == "WorkConfirmed"]
    state = apply(State(), confirmed)  # confirmations of works never registered
    assert all(m.kind == "replay" and "never registered" in m.what for m in state.issues)
    assert len(state.issues) == len(confirmed)


def test_checkpoint_resume_gives_the_same_digest(history, tmp_path):
    env, _ = history
    led = env.ledger()
    full = audit(led)
    mid = (led.deployment.first_block + led.chain.block_number()) // 2
    cp = tmp_path / "cp.json"
    first = audit(led, checkpoint=cp, to_block=mid)
    assert json.loads(cp.read_text())["lastBlock"] == mid and first.state.events < full.state.events
    resumed = audit(env.ledger(), checkpoint=cp)
    assert resumed.resumed_from == mid and resumed.digest == full.digest and resumed.mismatches == []
    assert resumed.state.events == full.state.events


def test_export_writes_one_row_per_event(history, tmp_path):
    from ledger.audit.export import export_file

    env, _ = history
    led = env.ledger()
    n = audit(led).state.events
    assert export_file(led, tmp_path / "e.jsonl", "jsonl") == n
    rows = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert len(rows) == n and all(r["time"] and r["tx"].startswith("0x") for r in rows)
    reg = next(r for r in rows if r["event"] == "WorkRegistered")
    assert reg["contract"] == "WorkRegistry" and reg["fields"]["metadataCid"].startswith("bafkrei") and reg["actor"]
    assert export_file(led, tmp_path / "e.csv", "csv") == n
    with open(tmp_path / "e.csv") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == n and set(table[0]) == {"block", "time", "tx", "contract", "event", "actor", "fields"}


def test_fast_decoder_gives_the_same_events_as_the_generic_one(history):
    from ledger.audit.decode import FastDecoder
    from ledger.core.events import fetch_logs

    env, _ = history
    led = env.ledger()
    from ledger.audit.core import contract_names

    logs = [x for _e, part in fetch_logs(led.settings.network.rpc_url, sorted(contract_names(led)),
                                         led.deployment.first_block, led.chain.block_number()) for x in part]
    fast = FastDecoder(led.events)
    assert [fast.decode(x) for x in logs] == [led.events.decode(x) for x in logs]
