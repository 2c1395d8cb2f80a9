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


def test_governor_mints_tokens_on_the_development_chain_so_the_licensee_can_pay(ledger_env):
    before = json.loads(run(ledger_env, "token", "balance", "licensee", "--json").stdout)
    p = run(ledger_env, "token", "mint", "licensee", "675.5", "--json", who="governor")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["minted"] == "675500000" and doc["decimals"] == 6
    assert int(doc["balance"]) == int(before["balance"]) + 675_500_000
    p = run(ledger_env, "token", "balance", "licensee")
    assert p.returncode == 0 and "tokens (" in p.stdout


def test_mint_refuses_bad_amounts_strangers_and_production_networks(ledger_env, tmp_path):
    before = json.loads(run(ledger_env, "token", "balance", "licensee", "--json").stdout)["balance"]
    for amount in ("1_000", "-5", "0", "1e3", "1.0000001", "abc", "²"):
        assert_one_line_error(run(ledger_env, "token", "mint", "licensee", amount, who="governor"))
    assert_one_line_error(run(ledger_env, "token", "mint", "licensee", "5", who="rando"))
    # the same node, described in networks.toml without `production = false`, is production
    (ledger_env.home / "networks.toml").write_text(
        f'[networks.shared]\nrpc_url = "http://127.0.0.1:{ledger_env.port}"\nchain_id = 31337\n')
    p = run(ledger_env, "--network", "shared", "token", "mint", "licensee", "5", who="governor")
    assert_one_line_error(p, "production")
    (ledger_env.home / "networks.toml").unlink()
    assert json.loads(run(ledger_env, "token", "balance", "licensee", "--json").stdout)["balance"] == before
