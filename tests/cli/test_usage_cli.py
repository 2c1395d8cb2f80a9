"""The `usage` and `royalty` commands end to end over a real node (CliRunner, in-process)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ledger.cli.app import cli
from tests.sdk.test_usage import report_rows, world, write_csv


@pytest.fixture(scope="module")
def w(ledger_env):
    return world(ledger_env, "cli")


def run(env, *args, account=None, ok=True):
    base = ["--network", "local"] + (["--as", account] if account else [])
    r = CliRunner().invoke(cli, [*base, *args], env=env.env(), catch_exceptions=False)
    if ok:
        assert r.exit_code == 0, r.output
    return r


def test_usage_report_prove_pay_distribute_verify_claim(ledger_env, w, tmp_path):
    env, period = ledger_env, 930001
    path = tmp_path / "dsr.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 200, w["clock"]()))
    out = json.loads(run(env, "usage", "report", str(path), "--period", str(period), "--json",
                         account="licensee").stdout)
    assert out["recorded"] and out["lines"] == 200
    rid, owed = out["reportId"], int(out["owed"])
    proof = json.loads(run(env, "usage", "prove", str(rid), "17", "--json").stdout)
    assert proof["verifiedOnChain"] and proof["line"]["index"] == 17
    shown = json.loads(run(env, "usage", "show", str(rid), "--json").stdout)
    assert shown["lines"] == 200 and shown["cid"] == out["cid"]
    single = json.loads(run(env, "usage", "record", w["works"][2], "--use", "ai-training", "--period",
                            str(period), "--json", account="licensee").stdout)
    owed += int(single["line"]["owed"])
    from ledger.domain.royalties import Royalties

    Royalties(env.ledger("governor")).mint(env.addresses["licensee"], owed)
    paid = json.loads(run(env, "royalty", "pay", str(owed), "--period", str(period), "--json",
                          account="licensee").stdout)
    assert paid["outstanding"] == "0"
    dist = json.loads(run(env, "royalty", "distribute", "--period", str(period), "--json", account="cmo").stdout)
    assert int(dist["commission"]) + int(dist["total"]) + int(dist["residue"]) == owed
    v = json.loads(run(env, "royalty", "verify", "--period", str(period), "--json").stdout)
    assert v["ok"] and v["recomputed_root"] == dist["root"]
    claimed = json.loads(run(env, "royalty", "claim", "--period", str(period), "--json", account="bob").stdout)
    assert int(claimed["claimed"]) > 0
    bal = json.loads(run(env, "royalty", "balance", "bob", "--period", str(period), "--json").stdout)
    assert bal["periods"][0]["claimed"] is True and int(bal["balance"]) >= int(claimed["claimed"])
    again = run(env, "royalty", "claim", "--period", str(period), account="bob", ok=False)
    assert again.exit_code == 2 and "claimed" in again.output


def test_usage_report_refused_lines_listed_exit_2(ledger_env, w, tmp_path):
    env = ledger_env
    path = tmp_path / "bad.csv"
    rows = report_rows(w["works"], w["licence"], 10, w["clock"]())
    rows[4] = (w["works"][12], "perform", 1, w["clock"]() - 60, w["licence"])
    write_csv(path, rows)
    r = run(env, "usage", "report", str(path), "--period", "930002", "--json", account="licensee", ok=False)
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert not doc["recorded"] and [x["line"] for x in doc["refused"]] == [5]


def test_usage_prove_unknown_report_is_one_line_error(ledger_env):
    r = run(ledger_env, "usage", "prove", "999999", "0", ok=False)
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_cmo_refuses_a_report_through_the_cli_and_only_once(ledger_env, w, tmp_path):
    env, period = ledger_env, 930301
    path = tmp_path / "to-refuse.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 6, w["clock"]()))
    rid = json.loads(run(env, "usage", "report", str(path), "--period", str(period), "--json",
                         account="licensee").stdout)["reportId"]
    stranger = run(env, "usage", "refuse", str(rid), "--reason", "mine now", account="licensee", ok=False)
    assert stranger.exit_code == 2
    no_reason = run(env, "usage", "refuse", str(rid), "--reason", " ", account="cmo", ok=False)
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    out = json.loads(run(env, "usage", "refuse", str(rid), "--reason", "lines for unmandated works", "--json",
                         account="cmo").stdout)
    assert out == {**out, "reportId": rid, "refused": True}
    again = run(env, "usage", "refuse", str(rid), "--reason", "twice", account="cmo", ok=False)
    assert again.exit_code == 2


def test_a_lone_surrogate_in_a_report_is_shown_escaped_and_does_not_break_the_next_command(ledger_env, w, tmp_path):
    """A JSON line's "\\ud800" escape decodes to a character no stream can encode. Quoting it back raised
    in rich's write, and the text stayed in the console's buffer: every later command of the same process
    (a test run, the portal) failed with an internal error (CI, stop 25)."""
    from ledger.cli.app import err_console, out_console

    path = tmp_path / "surrogate.jsonl"
    line = json.dumps({"work": "\ud800" + w["works"][0][2:], "use": "perform", "units": 1,
                       "at": w["clock"](), "licence": w["licence"]})
    path.write_text(line + "\n", encoding="utf-8")
    r = run(ledger_env, "usage", "report", str(path), "--period", "930401", "--dry-run", account="licensee",
            ok=False)
    assert r.exit_code == 2 and "internal error" not in r.output, r.output
    assert "lone surrogate" in r.output  # refused where it is read (ledger.core.inputs.parse_json)
    assert not err_console._buffer and not out_console._buffer
    # and any such text that still reaches the terminal is escaped there
    import contextlib
    import io

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")
    with contextlib.redirect_stdout(stream):
        out_console.print("before \ud800 after")
        stream.flush()
    assert raw.getvalue() == b"before \\ud800 after\n" and not out_console._buffer
    after = run(ledger_env, "usage", "prove", "999999", "0", ok=False)
    assert after.exit_code == 2 and "internal error" not in after.output, after.output
