"""The audit replay checks the time-based rules (issue 14) and re-checks incrementally (issue 15).

A real history on a private anvil node replays clean: a CMO licenses under a mandate in force, a
holder grants an exclusive licence, another licensee gets a disjoint use, a mandate is withdrawn.
Violations the contracts refuse are planted in the replay (forged events on top of the real state,
or a checkpoint whose replayed mandate ended) and each is reported; through the CLI the report
exits 1. A resumed replay whose last checks were clean re-reads only what the new events named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.audit import State, apply, audit
from ledger.audit.core import fetch_events
from ledger.content.metadata import build_work_metadata
from ledger.core.types import Holder
from ledger.domain.licensing import Licensing
from tests.fixtures.chain import make_env

RL = [str(Path(sys.executable).with_name("rights-ledger"))]


def _work(env, seed: str) -> str:
    led = env.ledger("alice")
    doc = build_work_metadata(title=seed, creators=[{"name": "alice", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(seed.encode()).hexdigest(), creation_mode="human")
    wid = led.register_work(doc, [Holder(env.addresses["alice"], 10000)]).work_id
    env.ledger("registrar").confirm_work(wid)
    return wid


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    env = make_env(tmp_path_factory.mktemp("audit-time"))
    a = env.addresses
    env.ledger("governor").grant_role("LICENSEE", a["bob"])
    mandated, exclusive, withdrawn = _work(env, "mandated"), _work(env, "exclusive"), _work(env, "withdrawn")
    alice, cmo = Licensing(env.ledger("alice")), Licensing(env.ledger("cmo"))
    alice.mandate(mandated, a["cmo"], ["reproduce"])
    alice.mandate(withdrawn, a["cmo"], ["reproduce"])
    now = cmo.now()
    _, collective = cmo.grant(a["licensee"], [mandated], cmo.terms(["reproduce"], start=now))
    _, excl = alice.grant(a["bob"], [exclusive], alice.terms(["perform"], start=now, exclusive=True))
    _, other = alice.grant(a["licensee"], [exclusive], alice.terms(["reproduce"], start=now))  # another use: fine
    alice.withdraw_mandate(withdrawn, a["cmo"])
    env.ids = {"mandated": mandated, "exclusive": exclusive, "withdrawn": withdrawn, "collective": collective,
               "excl": excl, "other": other}
    yield env
    env.node.stop()


def _replayed(env):
    """The real history replayed, with the block times the reducers of timed events read."""
    led = env.ledger()
    state = State()
    rpc = led.rpc

    def on_chunk(_end, evs):
        state.times.update(rpc.block_timestamps({e.block for e in evs}))
        apply(state, evs)

    fetch_events(led, led.deployment.first_block, led.chain.block_number(), on_chunk)
    return state


def _grant_event(state_events, lid):
    return next(e for e in state_events if e.name == "LicenceGranted" and int(e.args["licenceId"]) == lid)


def _events(env):
    led, out = env.ledger(), []
    fetch_events(led, led.deployment.first_block, led.chain.block_number(), lambda _e, evs: out.extend(evs))
    return out


def test_the_real_history_replays_clean_with_the_time_rules(world):
    report = audit(world.ledger(), skip_checks=("blobs",))
    assert report.mismatches == [], [m.line() for m in report.mismatches]
    assert _replayed(world).issues == []


def _plant(world, forged, times_from=None):
    """Apply forged events on top of the replayed real state; return the replay's new flags."""
    state = _replayed(world)
    before = len(state.issues)
    for ev in forged:
        state.times[ev.block] = times_from if times_from is not None else max(state.times.values())
        apply(state, [ev])
    return [m.what for m in state.issues[before:]]


def _forge(ev, block, **args):
    return dataclasses.replace(ev, block=block, log_index=0, tx_hash="0x" + "ee" * 32, args={**ev.args, **args})


def test_a_licence_overlapping_a_live_exclusive_one_is_reported(world):
    evs = _events(world)
    real = _grant_event(evs, world.ids["other"])  # alice -> licensee, reproduce: disjoint from the exclusive
    terms = list(real.args["terms"])
    terms[1] = 1 << 2  # perform: the exclusive licence's use
    head = evs[-1].block + 1
    flags = _plant(world, [_forge(real, head, licenceId=world.ids["other"] + 1 + 2, terms=tuple(terms))])
    assert any("overlaps the live exclusive licence" in f and "R70a" in f for f in flags), flags


def test_an_exclusive_licence_over_a_mandate_in_force_is_reported_also_after_a_checkpoint(world):
    """R70b: an exclusive grant over a work mandated to a CMO for the use (the contract refuses it;
    planted here). The audit checks the work's own mandates (an index by work, not every mandate
    of the ledger), and the same after the state was saved and loaded, as a checkpoint is."""
    evs = _events(world)
    real = _grant_event(evs, world.ids["excl"])  # alice -> bob, exclusive, perform
    terms = list(real.args["terms"])
    terms[1] = 1  # reproduce: mandated to the CMO on the `mandated` work
    head = evs[-1].block + 1
    state = _replayed(world)
    (reg,) = state.section("licences").values()
    forged = _forge(real, head, licenceId=reg["count"] + 1, terms=tuple(terms),
                    workIds=(bytes.fromhex(world.ids["mandated"][2:]),))
    for fresh in (state, State(json.loads(json.dumps(state.data)))):  # live, and as loaded from a checkpoint
        fresh.times.update(state.times)
        fresh.times[head] = max(state.times.values())
        before = len(fresh.issues)
        apply(fresh, [forged])
        flags = [m.what for m in fresh.issues[before:]]
        assert any("over a mandate to" in f and "R70b" in f for f in flags), flags


def test_a_cmo_grant_after_the_mandate_was_withdrawn_is_reported(world):
    evs = _events(world)
    real = _grant_event(evs, world.ids["collective"])
    head = evs[-1].block + 1
    state = _replayed(world)
    (reg,) = state.section("licences").values()
    until = reg["mandates"][f"{world.ids['withdrawn']}:{world.addresses['cmo']}"]["until"]
    forged = _forge(real, head, licenceId=reg["count"] + 1, workIds=(bytes.fromhex(world.ids["withdrawn"][2:]),))
    flags = _plant(world, [forged], times_from=until + 10)
    assert any("mandate was not in force (R65)" in f for f in flags), flags


def test_a_grant_after_its_term_and_a_usage_line_outside_the_term_are_reported(world):
    evs = _events(world)
    real = _grant_event(evs, world.ids["other"])
    terms = list(real.args["terms"])
    start, end = int(terms[2]), int(terms[2]) + 100
    terms[3] = end
    head = evs[-1].block + 1
    state = _replayed(world)
    (reg,) = state.section("licences").values()
    flags = _plant(world, [_forge(real, head, licenceId=reg["count"] + 1, terms=tuple(terms))], times_from=end + 1)
    assert any("granted after its term ended (R69)" in f for f in flags), flags

    from ledger.audit.royalties import _line_in_force

    state.times[head] = start
    lic = reg["licences"][str(world.ids["collective"])]
    lic_end = int(lic["end"])
    ev = dataclasses.replace(real, name="UsageRecorded", block=head, args={})
    for at, expect in ((int(lic["start"]) - 1, "does not hold the time of use"),
                       (int(lic["start"]) + 1, None)):
        n = len(state.issues)
        _line_in_force(state, ev, world.ids["mandated"], 1, at, world.ids["collective"], 1,
                       world.addresses["licensee"], world.addresses["cmo"])
        got = [m.what for m in state.issues[n:]]
        assert (expect is None and got == []) or any(expect in g for g in got), (at, lic_end, got)
    n = len(state.issues)
    _line_in_force(state, ev, world.ids["withdrawn"], 1, 2**39, world.ids["collective"], 1,
                   world.addresses["licensee"], world.addresses["cmo"])
    got = [m.what for m in state.issues[n:]]
    assert any("no mandate" in g for g in got) and any("does not name the work" in g for g in got), got


def test_incremental_checks_reread_only_what_the_new_events_named(world, tmp_path):
    cp = tmp_path / "cp.json"
    first = audit(world.ledger(), checkpoint=cp, skip_checks=("blobs",))
    assert first.mismatches == []
    doc = json.loads(cp.read_text())
    assert doc["checked"]["clean"] is True and doc["checked"]["block"] == doc["lastBlock"]
    # a forged replayed value of an item no new event names is not read again ...
    (reg,) = doc["state"]["licences"].values()
    reg["licences"][str(world.ids["excl"])]["ratePerUse"] = "999"
    # ... one of an item a new event names is
    reg["licences"][str(world.ids["collective"])]["ratePerUse"] = "777"
    cp.write_text(json.dumps(doc))
    Licensing(world.ledger("cmo")).suspend(world.ids["collective"], "late payment")
    second = audit(world.ledger(), checkpoint=cp, skip_checks=("blobs",))
    assert second.resumed_from == doc["lastBlock"]
    assert any("incremental checks" in n for n in second.notes), second.notes
    wheres = [m.where for m in second.mismatches]
    assert any(f"licence {world.ids['collective']}" in w for w in wheres), wheres
    assert not any(f"licence {world.ids['excl']}" == w for w in wheres), wheres
    # the last checks were not clean: the next resumed run checks everything again
    third = audit(world.ledger(), checkpoint=cp, skip_checks=("blobs",))
    assert not any("incremental checks" in n for n in third.notes)
    assert any(f"licence {world.ids['excl']}" == m.where for m in third.mismatches)
    Licensing(world.ledger("cmo")).resume(world.ids["collective"])


def test_cli_reports_a_grant_outside_the_mandate_planted_in_a_checkpoint_and_exits_1(world, tmp_path):
    cp = tmp_path / "cli-cp.json"
    env = world.env()
    p = subprocess.run([*RL, "audit", "replay", "--skip-store", "--checkpoint", str(cp), "--json"], env=env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert p.returncode == 0, p.stderr + p.stdout
    doc = json.loads(cp.read_text())
    (reg,) = doc["state"]["licences"].values()
    key = f"{world.ids['mandated']}:{world.addresses['cmo']}"
    reg["mandates"][key]["until"] = reg["mandates"][key]["from"]  # planted: the mandate ended as it began
    cp.write_text(json.dumps(doc))
    cmo = Licensing(world.ledger("cmo"))
    cmo.grant(world.addresses["licensee"], [world.ids["mandated"]], cmo.terms(["reproduce"], start=cmo.now() + 5))
    p = subprocess.run([*RL, "audit", "replay", "--skip-store", "--checkpoint", str(cp), "--json"], env=env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert p.returncode == 1, p.stderr + p.stdout
    out = json.loads(p.stdout)
    assert any("mandate was not in force (R65)" in m["what"] for m in out["mismatches"]), out["mismatches"]
