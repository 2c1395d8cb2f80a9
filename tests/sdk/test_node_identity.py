"""Which process is this data directory's node (ledger.core.node.EmbeddedNode._pid).

Two defects the fuzzer's flaky ``env-port`` case (stop 24's CI) pointed at:
- With the node running on port A, a command given another port (RIGHTS_LEDGER_PORT=B, or the
  variable emptied, which means the default port) started a second anvil on the same state file
  and journal: two chains that diverge, and whichever dumps its state last drops the other's
  acknowledged writes. It is now refused, naming the port the node runs on.
- A pid file left behind (a reboot, a node that died) named whatever process had that pid
  later, and ``node stop`` signalled its whole process group. A pid now counts only when the
  process loads this home's state file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.core.config import local_profile
from ledger.core.errors import ChainUnavailable
from ledger.core.node import EmbeddedNode, rpc_alive
from tests.fixtures.chain import free_port, fresh_chain, register_text_work


@pytest.fixture()
def env(tmp_path):
    yield from fresh_chain(tmp_path)


def _bystander() -> subprocess.Popen:
    """An unrelated process in a session of its own (as the node would be)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)


def test_the_same_home_on_another_port_is_refused_and_no_second_node_starts(env):
    other = free_port()
    node_b = EmbeddedNode(local_profile(port=other), env.settings.chain_dir)
    assert node_b.running_port() == env.port
    with pytest.raises(ChainUnavailable, match=f"already running on port {env.port}, not {other}") as exc:
        node_b.start(timeout=10)
    assert f"RIGHTS_LEDGER_PORT={env.port}" in (exc.value.hint or "")
    assert rpc_alive(f"http://127.0.0.1:{other}") is None
    assert env.node.status().running and env.node.status().pid is not None  # the pid file still names node A


@pytest.mark.parametrize("port", ["other", ""])
def test_the_cli_on_another_port_of_a_running_home_is_one_error(env, port):
    """An empty RIGHTS_LEDGER_PORT means the default port (8645): the same refusal."""
    work = register_text_work(env, "alice")
    value = str(free_port()) if port == "other" else ""
    r = CliRunner().invoke(cli, ["work", "show", work, "--json"],
                           env={**env.env(), "RIGHTS_LEDGER_PORT": value}, catch_exceptions=True)
    assert r.exit_code == 2, r.output
    assert "already running on port" in r.output and "Traceback" not in r.output
    # the home's node was left as it was, and still answers for it
    again = CliRunner().invoke(cli, ["work", "show", work, "--json"], env=env.env())
    assert again.exit_code == 0 and work in again.output, again.output


def test_a_stale_pid_file_naming_another_process_is_not_the_node(tmp_path):
    bystander = _bystander()
    try:
        node = EmbeddedNode(local_profile(port=free_port()), tmp_path / "chain")
        node.dir.mkdir(parents=True)
        node.pid_file.write_text(str(bystander.pid))
        assert node.status().pid is None
        assert node.running_port() is None
        assert node.stop(timeout=2) is False  # not signalled
        node.kill()
        assert bystander.poll() is None  # still alive
    finally:
        bystander.kill()
        bystander.wait()


def test_a_stale_pid_file_does_not_stop_a_start(tmp_path):
    """A pid file naming an unrelated process is no node elsewhere: the node starts, and its
    pid file is rewritten to name it."""
    bystander = _bystander()
    node = EmbeddedNode(local_profile(port=free_port()), tmp_path / "chain")
    try:
        node.dir.mkdir(parents=True)
        node.pid_file.write_text(str(bystander.pid))
        status = node.start(timeout=30)
        assert status.running and status.pid not in (None, bystander.pid)
        assert node.running_port() == node.port
    finally:
        node.stop()
        bystander.kill()
        bystander.wait()
    assert bystander.returncode is not None and not node.status().running


def test_a_relative_home_is_recognised_from_another_directory(tmp_path, monkeypatch):
    """The node's --state is relative to the directory it was started in."""
    monkeypatch.chdir(tmp_path)
    profile = local_profile(port=free_port())
    node = EmbeddedNode(profile, tmp_path.joinpath("rel").relative_to(tmp_path) / "chain")
    try:
        node.start(timeout=30)
        pid = node.status().pid
        assert pid is not None
        monkeypatch.chdir(os.path.dirname(tmp_path))
        seen = EmbeddedNode(replace(profile), tmp_path / "rel" / "chain")
        assert seen.status().pid == pid and seen.running_port() == node.port
    finally:
        monkeypatch.chdir(tmp_path)
        node.stop()


def test_node_status_on_another_port_names_the_port_the_node_runs_on(env):
    r = CliRunner().invoke(cli, ["node", "status"], env={**env.env(), "RIGHTS_LEDGER_PORT": str(free_port())})
    assert r.exit_code == 1, r.output  # not running on this port: a "no"
    assert f"runs on port {env.port}" in r.output


# --- two commands starting the same home's node at the same moment --------------------------

_RACER = """
import json, sys, time
from pathlib import Path
from ledger.core.config import local_profile
from ledger.core.node import EmbeddedNode
port, chain, at = int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
node = EmbeddedNode(local_profile(port=port), chain)
while time.time() < at:
    pass
try:
    st = node.start(timeout=30)
    print(json.dumps({"ok": True, "pid": st.pid}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": str(exc)}))
"""


def _race(chain, ports: list[int]) -> list[dict]:
    """Start the node of ``chain`` from one process per port, all at the same instant."""
    import json
    import time

    at = time.time() + 2.0  # every interpreter has imported the SDK by then
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(p), str(chain), str(at)],
                              stdout=subprocess.PIPE, text=True) for p in ports]
    return [json.loads(p.communicate(timeout=90)[0]) for p in procs]


def _anvils_on(state_file) -> list[int]:
    """The pids of every anvil loading ``state_file`` (however the pid file reads)."""
    from ledger.core.node import _flag, _process_args

    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            args = _process_args(int(entry)) or []
            if _flag(args, "--state") == str(state_file):
                out.append(int(entry))
    return out


def _kill_all(pids: list[int]) -> None:
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.mark.skipif(not os.path.exists("/proc/self/cmdline"), reason="reads /proc")
def test_two_commands_starting_the_home_on_two_ports_at_once_start_one_node(tmp_path):
    """Both saw no node and both launched anvil: two chains on one state file and journal, and the
    pid file named only one of them (the other could not be stopped). One start now waits for the
    other, then is refused as the home's node on another port."""
    chain = tmp_path / "chain"
    a, b = free_port(), free_port()
    try:
        results = _race(chain, [a, b])
        anvils = _anvils_on(chain / "state.json")
        assert len(anvils) == 1, (results, anvils)
        assert sorted(r["ok"] for r in results) == [False, True], results
        refused = next(r for r in results if not r["ok"])
        assert "already running on port" in refused["error"], results
        assert int((chain / "anvil.pid").read_text()) == anvils[0]
    finally:
        _kill_all(_anvils_on(chain / "state.json"))


@pytest.mark.skipif(not os.path.exists("/proc/self/cmdline"), reason="reads /proc")
def test_two_commands_starting_the_home_on_one_port_at_once_both_get_the_node(tmp_path):
    """The loser's anvil found the port taken and its start failed ("anvil exited with code 1"),
    or, when the winner answered first, wrote its own dying pid over the winner's. The second
    start now waits for the first and finds its node answering."""
    chain = tmp_path / "chain"
    port = free_port()
    try:
        results = _race(chain, [port, port])
        anvils = _anvils_on(chain / "state.json")
        assert [r["ok"] for r in results] == [True, True], results
        assert len(anvils) == 1 and int((chain / "anvil.pid").read_text()) == anvils[0], (results, anvils)
        assert {r["pid"] for r in results} == {anvils[0]}
    finally:
        _kill_all(_anvils_on(chain / "state.json"))


def test_node_status_of_a_node_that_does_not_answer_does_not_send_it_to_its_own_port(env):
    """A frozen node (SIGSTOP) on this very port was reported as running "on port P (set
    RIGHTS_LEDGER_PORT=P)" to a command already on port P."""
    import signal

    pid = env.node.status().pid
    os.kill(pid, signal.SIGSTOP)
    try:
        r = CliRunner().invoke(cli, ["node", "status"], env=env.env())
    finally:
        os.kill(pid, signal.SIGCONT)
    assert r.exit_code == 1, r.output
    assert "RIGHTS_LEDGER_PORT" not in r.output and f"pid {pid}" in r.output and "does not answer" in r.output


def test_stopping_a_home_that_does_not_exist_makes_no_directory(tmp_path):
    node = EmbeddedNode(local_profile(port=free_port()), tmp_path / "nowhere" / "chain")
    assert node.stop(timeout=1) is False
    assert not (tmp_path / "nowhere").exists()
