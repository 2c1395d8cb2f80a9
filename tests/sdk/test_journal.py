"""The batch journal (``ledger.domain.batch.Journal``): an append-only, fsync'ed JSON-lines
file from which a cut-off run resumes. Pure file tests, no node."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ledger.core.config import load_settings
from ledger.core.errors import InputError
from ledger.domain.batch import Journal, journal_path

REG_A = "0x" + "aa" * 20
REG_B = "0x" + "bb" * 20


W01, W02, W03, W04, W09 = ("0x" + n * 32 for n in ("01", "02", "03", "04", "09"))
T1, T2, T3, T4 = ("0x" + n * 32 for n in ("a1", "a2", "a3", "a4"))  # transaction hashes

def run(journal: Journal, registry: str, *events: dict) -> None:
    journal.append({"event": "run", "registry": registry})
    for ev in events:
        journal.append(ev)


def test_each_event_is_one_line_on_disk_at_once_with_its_time(tmp_path):
    path = tmp_path / "deep" / "dir" / "j.jsonl"
    j = Journal(path)
    j.append({"event": "planned", "batch": 1, "works": [W01]})
    lines = path.read_text().splitlines()  # readable before close: flushed
    assert len(lines) == 1
    ev = json.loads(lines[0])
    assert ev["event"] == "planned" and ev["works"] == [W01] and isinstance(ev["at"], float)
    j.append({"event": "sent", "batch": 1, "tx": T1, "nonce": 4})
    j.close()
    j.close()  # twice is harmless
    assert [e["event"] for e in Journal(path).events()] == ["planned", "sent"]


def test_a_missing_journal_has_no_events(tmp_path):
    j = Journal(tmp_path / "none.jsonl")
    assert j.events() == [] and j.state(REG_A).batches == {} and j.state(REG_A).next_batch == 1


def test_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "j.jsonl"
    lines = [json.dumps({"event": "run", "registry": REG_A}),
             json.dumps({"event": "planned", "batch": 1, "works": [W01]}),
             '{"event":"sent","batch":1,"tx":T1,"no']  # torn by a kill mid-write
    path.write_text("\n".join(lines))
    j = Journal(path)
    assert [e["event"] for e in j.events()] == ["run", "planned"]
    st = j.state(REG_A)
    assert st.batches == {1: [W01]} and st.sent == {} and st.unsettled() == []


def test_a_line_that_is_not_an_object_is_refused_with_the_way_out(tmp_path):
    path = tmp_path / "j.jsonl"
    lines = [json.dumps({"event": "run", "registry": REG_A}), "[1,2]",
             json.dumps({"event": "planned", "batch": 1, "works": [W01]})]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="--fresh"):
        Journal(path).events()


def test_state_follows_the_registry_of_each_run(tmp_path):
    j = Journal(tmp_path / "j.jsonl")
    run(j, REG_A,
        {"event": "planned", "batch": 1, "works": [W01, W02]},
        {"event": "sent", "batch": 1, "tx": T1, "nonce": 7},
        {"event": "planned", "batch": 2, "works": [W03]},
        {"event": "sent", "batch": 2, "tx": T2, "nonce": 8},
        {"event": "mined", "batch": 1, "tx": T1})
    run(j, REG_B,  # another deployment (the chain was reset): its batches are not REG_A's
        {"event": "planned", "batch": 3, "works": [W09]},
        {"event": "sent", "batch": 3, "tx": T3, "nonce": 0})
    run(j, REG_A,
        {"event": "planned", "batch": 4, "works": [W04]},
        {"event": "sent", "batch": 4, "tx": T4, "nonce": 9},
        {"event": "reverted", "batch": 4, "tx": T4})
    j.close()
    a = Journal(j.path).state(REG_A)
    assert a.batches == {1: [W01, W02], 2: [W03], 4: [W04]}
    assert a.sent == {T1: (1, 7), T2: (2, 8), T4: (4, 9)}
    assert a.unsettled() == [(T2, 2, 8)]  # sent, outcome unknown: the resume checks it first
    assert a.mined_batches == {1} and a.mined_works() == {W01, W02}
    assert a.next_batch == 5  # batch numbers never repeat, whatever the registry
    b = Journal(j.path).state(REG_B)
    assert b.batches == {3: [W09]} and b.unsettled() == [(T3, 3, 0)] and b.next_batch == 5


def test_lost_and_reverted_transactions_are_settled_but_their_works_are_not_done(tmp_path):
    j = Journal(tmp_path / "j.jsonl")
    run(j, REG_A,
        {"event": "planned", "batch": 1, "works": [W01]},
        {"event": "sent", "batch": 1, "tx": T1, "nonce": 1},
        {"event": "lost", "batch": 1, "tx": T1})
    st = j.state(REG_A)
    assert st.unsettled() == [] and st.mined_works() == set()


def test_journal_paths_are_per_network_and_kind(tmp_path):
    settings = load_settings(home=tmp_path)
    reg = journal_path(settings, "catalogue")
    conf = journal_path(settings, "catalogue", "confirm")
    assert reg.parent == conf.parent == settings.journal_dir
    assert reg.name == "catalogue.jsonl" and conf.name == "confirm-catalogue.jsonl"
    other = replace(settings.network, name="besu")
    assert journal_path(settings.with_network(other), "catalogue").parent != reg.parent
