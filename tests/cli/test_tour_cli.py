"""Steps of the README tour that used to do something the user did not mean (issue 16), each with its
refusals; tests/cli/test_readme_tour.py runs the README's tour itself, as written."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time

from tests.cli.test_cli import RL, assert_one_line_error
from tests.cli.test_licence_cli import run, works
from tests.fixtures.chain import PASSWORD


def reserved(env, wid: str) -> list[str]:
    """What the chain holds (read through the SDK: these test works have no metadata blob)."""
    return list(env.ledger().work(wid).reserved_uses)


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


def _run_on_terminal(env: dict[str, str], args: list[str], answer: str, timeout: float = 120.0) -> tuple[int, str]:
    """Run the CLI with a real terminal (pty) as its controlling tty; answer the first password prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(RL[0], [*RL, *args], env)
    out, answered, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not answered and b"Password" in out:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_signing_prompts_for_the_password_on_a_terminal(ledger_env):
    (wid,) = works(ledger_env, "prompt")
    env = {k: v for k, v in ledger_env.env().items() if k != "RIGHTS_LEDGER_PASSWORD"}
    code, out = _run_on_terminal(env, ["--as", "alice", "work", "reserve", wid, "--add", "perform"], PASSWORD)
    assert code == 0, out
    assert "Password of account alice" in out and PASSWORD not in out  # asked, and not echoed
    assert reserved(ledger_env, wid) == ["perform"]
    code, out = _run_on_terminal(env, ["--as", "alice", "work", "reserve", wid, "--add", "broadcast"], "wrong")
    assert code == 2 and "wrong password" in out, out
    assert reserved(ledger_env, wid) == ["perform"]


def test_account_new_says_which_password_it_used(ledger_env):
    p = subprocess.run([*RL, "account", "new", "dora", "--json"], env=ledger_env.env(), capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "RIGHTS_LEDGER_PASSWORD" in p.stderr
    assert json.loads(p.stdout)["name"] == "dora"


def test_a_second_home_refuses_the_node_another_home_runs_on_its_port(ledger_env, tmp_path):
    other = {**ledger_env.env(), "RIGHTS_LEDGER_HOME": str(tmp_path / "second-home")}
    p = subprocess.run([*RL, "--as", "governor", "node", "start"], env=other, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    assert_one_line_error(p, "did not start")
    assert not (tmp_path / "second-home" / "deployments" / "local.json").exists()  # nothing deployed there
    # the first home still works with its own node
    assert run(ledger_env, "node", "status").returncode == 0


def test_output_to_a_pipe_keeps_long_ids_on_one_line(ledger_env):
    (wid,) = works(ledger_env, "nowrap")
    p = run(ledger_env, "work", "reserve", wid, "--add", "perform", who="alice")
    assert p.returncode == 0, p.stderr
    line = next(ln for ln in p.stdout.splitlines() if "set reservations on" in ln)
    assert wid in line and len(line) > 80  # not cut at 80 columns


def test_as_an_unknown_account_is_refused_even_by_a_read(ledger_env):
    """`--as auditor` where no account is named auditor was ignored by reads (issue 16)."""
    p = subprocess.run([*RL, "--as", "no-such-auditor", "audit", "replay"], env=ledger_env.env(),
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert_one_line_error(p, "no account named 'no-such-auditor'")
    p = subprocess.run([*RL, "--as", "auditor", "token", "balance", "licensee"], env=ledger_env.env(),
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert p.returncode == 0, p.stderr  # an account that exists still reads
