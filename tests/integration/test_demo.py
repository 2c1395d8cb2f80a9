"""`make demo` (rights-ledger demo) on a fresh home, then again on the same home (issue 16)."""

from __future__ import annotations

import os
import subprocess

from tests.cli.test_cli import RL
from tests.fixtures.chain import free_port


def test_demo_runs_twice_on_the_same_home(tmp_path):
    env = {**os.environ, "RIGHTS_LEDGER_HOME": str(tmp_path / "home"), "RIGHTS_LEDGER_PORT": str(free_port()),
           "RIGHTS_LEDGER_KDF_N": "1024", "RIGHTS_LEDGER_NETWORK": "local"}
    env.pop("RIGHTS_LEDGER_PASSWORD", None)  # the demo's own password
    env.pop("RIGHTS_LEDGER_ACCOUNT", None)
    try:
        for run in (1, 2):
            p = subprocess.run([*RL, "demo"], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                               timeout=600)
            assert p.returncode == 0, (run, p.stdout[-3000:], p.stderr[-2000:])
            assert "Traceback" not in p.stdout + p.stderr
            assert "clean: every view and every stored blob agrees with the events" in p.stdout, run
            assert "claimed 675.00 tokens" in p.stdout, run  # alice's share of a distribution, each run
    finally:
        subprocess.run([*RL, "node", "stop"], env=env, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
