"""A batch registration cut off midway resumes with exactly one registration per work.

Two faults: the CLI SIGKILLed between batches, and the node SIGKILLed (anvil then loses the
blocks it had not dumped yet, so the resume must send those works again, once).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ledger.core.config import REPO_ROOT
from ledger.core.node import rpc_alive
from ledger.domain.batch import statuses_of
from tests.fixtures.chain import LedgerEnv, make_env
from tests.integration.test_batch_register import CLI, registrations, run_cli, write_catalogue

pytestmark = pytest.mark.slow


def journal_of(env: LedgerEnv, catalogue: Path) -> Path:
    return env.home / "journals" / "local" / f"{hashlib.sha256(catalogue.read_bytes()).hexdigest()}.jsonl"


def mined_batches(journal: Path) -> int:
    if not journal.exists():
        return 0
    return sum(1 for line in journal.read_text().splitlines() if '"event":"mined"' in line)


def start_and_wait_for(env: LedgerEnv, catalogue: Path, mined: int, timeout: float = 60) -> subprocess.Popen[str]:
    """Start register-batch (5 works per batch, one in flight); return once `mined` batches are journalled."""
    proc = subprocess.Popen(
        [*CLI, "--as", "cmo", "work", "register-batch", str(catalogue), "--batch-size", "5", "--max-in-flight", "1",
         "--json"],
        env=env.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    journal = journal_of(env, catalogue)
    deadline = time.monotonic() + timeout
    while mined_batches(journal) < mined:
        assert proc.poll() is None, f"the run ended before the fault: {proc.communicate()}"
        assert time.monotonic() < deadline, "no batch mined in time"
        time.sleep(0.005)
    return proc


def assert_exactly_once(env: LedgerEnv, ids: list[str]) -> None:
    counts = registrations(env)
    assert {w: counts[w] for w in ids if counts[w] != 1} == {}
    assert set(statuses_of(env.ledger(), ids).values()) == {1}


def test_resume_after_the_cli_is_killed_registers_each_work_once(ledger_env: LedgerEnv, tmp_path: Path):
    catalogue, ids = write_catalogue(tmp_path / "kill-cli", 250, "killcli")
    proc = start_and_wait_for(ledger_env, catalogue, mined=2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    journal = journal_of(ledger_env, catalogue)
    done_before = mined_batches(journal)
    assert 2 <= done_before < 50, "the kill came too late to test a resume"
    assert 0 < sum(s == 1 for s in statuses_of(ledger_env.ledger(), ids).values()) < len(ids)

    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(catalogue), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["registered"] + s["skipped_existing"] == 250 and s["failed"] == 0
    assert s["from_journal"] >= 5 * done_before
    assert s["registered"] < 250
    assert_exactly_once(ledger_env, ids)


def test_resume_after_the_node_is_killed_resends_what_the_chain_lost_once(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    # node_modules/.bin/anvil is a node wrapper that spawns the real binary: a SIGKILL of the
    # wrapper (EmbeddedNode.kill) would leave anvil running, so run the binary itself here
    real = sorted(REPO_ROOT.glob("node_modules/@foundry-rs/anvil-*/bin/anvil"))
    if real:
        monkeypatch.setenv("RIGHTS_LEDGER_ANVIL", str(real[0]))
    env = make_env(tmp_path / "home")
    try:
        env.node.stop()  # a clean stop dumps the state: deployment and roles survive the kill below
        env.node.start()
        catalogue, ids = write_catalogue(tmp_path / "kill-node", 400, "killnode")
        proc = start_and_wait_for(env, catalogue, mined=50)  # ~2.5 s in: past at least one state dump
        pid = env.node._pid()
        env.node.kill()  # anvil loses what it had not dumped (up to ~2 s of blocks)
        if rpc_alive(env.settings.network.rpc_url) is not None and pid is not None:
            os.killpg(pid, signal.SIGKILL)  # the wrapper's child survived: kill the whole group
        assert rpc_alive(env.settings.network.rpc_url) is None
        out, err = proc.communicate(timeout=60)
        assert proc.returncode != 0, (out, err)
        assert "not reachable" in err and "Traceback" not in err
        journalled = mined_batches(journal_of(env, catalogue))

        env.node.start()
        on_chain = sum(s == 1 for s in statuses_of(env.ledger(), ids).values())
        assert on_chain <= 5 * journalled  # the chain may have lost some of what the journal saw mined

        r = run_cli(env, "--as", "cmo", "work", "register-batch", str(catalogue), "--json")
        assert r.returncode == 0, r.stderr
        s = json.loads(r.stdout)
        print(f"journal saw {5 * journalled} mined, chain kept {on_chain}, resent {s['resent']}")
        assert s["failed"] == 0
        assert s["skipped_existing"] == on_chain
        assert s["registered"] == 400 - on_chain
        assert s["resent"] >= 5 * journalled - on_chain  # what the journal saw mined but the chain lost
        assert_exactly_once(env, ids)
    finally:
        env.node.stop()
