"""`tariff show --at TIME`: the version of a use's statutory tariff in force at a past time (TR5)."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import assert_one_line_error
from tests.cli.test_licence_cli import run
from tests.fixtures.chain import own_chain

DAY = 86_400


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory):
    """Its own chain: tariff versions set by other modules stay in force (TR5)."""
    yield from own_chain(tmp_path_factory)


def show(env, *args: str) -> tuple[int, dict | None]:
    p = run(env, "tariff", "show", "--use", "ai-training", *args, "--json")
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout) if p.returncode == 0 else None


def test_tariff_show_at_names_the_version_in_force_then(ledger_env):
    env = ledger_env
    w3 = env.ledger().w3

    def now() -> int:
        return int(w3.eth.get_block("latest")["timestamp"])

    def later(seconds: int) -> None:
        w3.provider.make_request("evm_increaseTime", [seconds])
        w3.provider.make_request("evm_mine", [])

    before = now() - 10
    p = run(env, "tariff", "set", "--use", "ai-training", "--amount", "5", "--period", "30d", "--json", who="governor")
    assert p.returncode == 0, p.stderr
    first = now()
    later(10 * DAY)
    start2, end2 = now() + DAY, now() + 30 * DAY
    p = run(env, "tariff", "set", "--use", "ai-training", "--amount", "9", "--period", "1d", "--from", str(start2),
            "--until", str(end2), "--json", who="governor")
    assert p.returncode == 0, p.stderr
    later(60 * DAY)  # the second version has ended too

    code, doc = show(env, "--at", str(first + 5))
    assert code == 0 and doc["inForce"] is True and doc["version"]["amountPerWork"] == 5, doc
    assert doc["version"]["validUntil"] is None and doc["at"] == first + 5
    code, doc = show(env, "--at", str(start2 + 5))
    assert code == 0 and doc["inForce"] is True and doc["version"]["amountPerWork"] == 9, doc
    assert (doc["version"]["validFrom"], doc["version"]["validUntil"], doc["version"]["period"]) == (start2, end2, DAY)
    # a day before the second version starts, the first is still the one in force
    code, doc = show(env, "--at", str(start2 - 5))
    assert code == 0 and doc["version"]["amountPerWork"] == 5 and doc["inForce"] is True, doc
    # after the second version's end: that version answers, not in force (the tariff ended)
    code, doc = show(env, "--at", str(end2 + 5))
    assert code == 0 and doc["inForce"] is False and doc["version"]["amountPerWork"] == 9, doc
    # before any version: no tariff, still an answer (exit 0)
    code, doc = show(env, "--at", str(before))
    assert code == 0 and doc == {"use": "ai-training", "at": before, "inForce": False, "version": None}, doc
    # the text form says the same
    p = run(env, "tariff", "show", "--use", "ai-training", "--at", str(end2 + 5))
    assert p.returncode == 0 and "not in force" in p.stdout and "9 per work" in p.stdout, p.stdout
    p = run(env, "tariff", "show", "--use", "ai-training", "--at", str(before))
    assert p.returncode == 0 and "no tariff for ai-training at" in p.stdout, p.stdout
    # without --at: the latest version, as before
    p = run(env, "tariff", "show", "--use", "ai-training", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["amountPerWork"] == 9, p.stdout


def test_tariff_show_at_refuses_a_bad_time(ledger_env):
    for bad in ("yesterday-ish", "2026-13-45", "0", ""):
        p = run(ledger_env, "tariff", "show", "--use", "ai-training", "--at", bad)
        assert_one_line_error(p)
