"""`audit export` in human units and names, next to the raw values."""

from __future__ import annotations

import csv
import json
import re

from ledger.audit.human import Humaniser, amount, iso
from ledger.domain.royalties import Royalties
from tests.cli.test_licence_cli import run, works

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_units_and_names_offline():
    h = Humaniser({"0x" + "a" * 40: "alice"}, {"0x" + "00" * 32: "GOVERNOR"}, royalty=(6, "RLT"), fee=(18, "native"))
    assert amount(675_000_000, 6, "RLT") == "675.00 RLT" and amount(1_234_567, 6, "RLT") == "1.234567 RLT"
    assert amount(5, 0, "units") == "5 units"
    assert iso(0) == "1970-01-01T00:00:00Z" and iso((1 << 40) - 1) == "never"
    got = h.fields({"role": "0x" + "00" * 32, "account": "0x" + "a" * 40, "amount": 2_500_000, "bps": 1250,
                    "uses": 1 | 32, "terms": [1, 32, 1577836800, (1 << 40) - 1, False, 10**18, 7, "0x", ""],
                    "holders": [["0x" + "a" * 40, 6000]], "reason": "x"}, "RoyaltyPool")
    assert got == {"role": "GOVERNOR", "account": f"alice (0x{'a' * 40})", "amount": "2.50 RLT", "bps": "12.50 %",
                   "uses": "reproduce, ai-training",
                   "terms": {"uses": "ai-training", "start": "2020-01-01T00:00:00Z", "end": "never",
                             "flatFee": "1.00 native", "ratePerUse": "0.000007 RLT"},
                   "holders": [f"alice (0x{'a' * 40}): 60.00 %"]}


def test_cli_export_has_human_columns_next_to_raw(ledger_env, tmp_path):
    env = ledger_env
    (wid,) = works(env, "audit-human")
    p = run(env, "licence", "grant", "licensee", "--work", wid, "--use", "ai-training", "--start", "2020-01-01",
            "--rate", "7", "--json", who="alice")
    assert p.returncode == 0, p.stderr
    Royalties(env.ledger("governor")).mint(env.addresses["licensee"], 1_500_000)
    out = tmp_path / "events.jsonl"
    p = run(env, "audit", "export", "-o", str(out), "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(ISO.match(r["timeUtc"]) for r in rows)
    cmo = next(r for r in rows if r["event"] == "RoleGranted" and r["human"].get("role") == "CMO")
    assert cmo["human"]["account"] == f"cmo ({env.addresses['cmo']})" and cmo["actorName"] == "governor"
    assert cmo["fields"]["account"] == env.addresses["cmo"]  # the raw value stays
    grant = [r for r in rows if r["event"] == "LicenceGranted"][-1]
    assert grant["human"]["terms"]["start"] == "2020-01-01T00:00:00Z" and grant["human"]["terms"]["end"] == "never"
    assert grant["human"]["terms"]["uses"] == "ai-training" and grant["human"]["licensee"].startswith("licensee (")
    mint = [r for r in rows if r["event"] == "Transfer" and r["contract"] == "SettlementToken"][-1]
    decimals = Royalties(env.ledger()).token_decimals()
    assert mint["fields"]["value"] == 1_500_000
    assert mint["human"]["value"].split()[0] == amount(1_500_000, decimals, "x").split()[0]
    csv_out = tmp_path / "events.csv"
    assert run(env, "audit", "export", "--format", "csv", "-o", str(csv_out)).returncode == 0
    header = next(csv.reader(csv_out.open()))
    assert header[-3:] == ["time_utc", "actor_name", "human"] and header[:7][-1] == "fields"
    raw = tmp_path / "raw.csv"
    assert run(env, "audit", "export", "--format", "csv", "--raw", "-o", str(raw)).returncode == 0
    assert next(csv.reader(raw.open()))[-1] == "fields"
