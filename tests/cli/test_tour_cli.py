"""Steps of the README tour that used to do something the user did not mean (issue 16)."""

from __future__ import annotations

import json

from tests.cli.test_cli import assert_one_line_error
from tests.cli.test_licence_cli import run, works


def reserved(env, wid: str) -> list[str]:
    p = run(env, "work", "show", wid, "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["reservedUses"]


def test_reserve_adds_to_the_set_instead_of_replacing_it(ledger_env):
    (wid,) = works(ledger_env, "reserve-add")
    p = run(ledger_env, "work", "reserve", wid, "--add", "ai-training", who="alice")
    assert p.returncode == 0, p.stderr
    assert "reserved now: ai-training" in p.stdout
    p = run(ledger_env, "work", "reserve", wid, "--add", "perform", "--json", who="alice")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["reservedUses"] == ["perform", "ai-training"]
    assert reserved(ledger_env, wid) == ["perform", "ai-training"]
    # the old spelling (--use) adds too: it never drops what was reserved before
    p = run(ledger_env, "work", "reserve", wid, "--use", "broadcast", who="alice")
    assert p.returncode == 0, p.stderr
    assert set(reserved(ledger_env, wid)) == {"perform", "ai-training", "broadcast"}


def test_reserve_remove_and_clear_show_the_resulting_set(ledger_env):
    (wid,) = works(ledger_env, "reserve-remove")
    assert run(ledger_env, "work", "reserve", wid, "--add", "ai-training", "--add", "perform",
               who="alice").returncode == 0
    p = run(ledger_env, "work", "reserve", wid, "--remove", "perform", "--json", who="alice")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["reservedUses"] == ["ai-training"]
    assert reserved(ledger_env, wid) == ["ai-training"]
    p = run(ledger_env, "work", "reserve", wid, "--remove", "perform", "--json", who="alice")
    assert p.returncode == 0 and json.loads(p.stdout)["unchanged"] is True
    p = run(ledger_env, "work", "reserve", wid, "--clear", "--json", who="alice")
    assert p.returncode == 0 and json.loads(p.stdout)["reservedUses"] == []
    assert reserved(ledger_env, wid) == []


def test_reserve_refuses_unknown_or_contradictory_uses_and_writes_nothing(ledger_env):
    (wid,) = works(ledger_env, "reserve-bad")
    assert run(ledger_env, "work", "reserve", wid, "--add", "ai-training", who="alice").returncode == 0
    for args in (["--add", "ai-trainin"], ["--add", "perform", "--remove", "perform"], []):
        p = run(ledger_env, "work", "reserve", wid, *args, who="alice")
        assert_one_line_error(p)
    assert reserved(ledger_env, wid) == ["ai-training"]
