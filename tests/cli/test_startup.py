"""Start-up cost: `--help` imports no SDK, every command is reachable lazily, slim ABIs are read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from ledger.core.artifacts import load_artifact, slim_path

REPO = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                          timeout=120).stdout


def test_help_imports_no_web3_nor_eth_account() -> None:
    out = _run("import sys\nfrom click.testing import CliRunner\nfrom ledger.cli import cli\n"
               "r = CliRunner().invoke(cli, ['--help'])\nassert r.exit_code == 0, r.output\n"
               "print(sorted(m for m in ('web3', 'eth_account', 'aiohttp') if m in sys.modules))")
    assert out.strip() == "[]"


def test_lazy_tree_equals_the_fully_loaded_tree() -> None:
    code = ("import json\nimport click\nfrom ledger.cli import cli, load_all_commands\nLOAD"
            "ctx = click.Context(cli)\n"
            "def tree(g, c):\n"
            "    out = {}\n"
            "    for n in g.list_commands(c):\n"
            "        cmd = g.get_command(c, n)\n"
            "        out[n] = tree(cmd, click.Context(cmd, parent=c)) if isinstance(cmd, click.Group) else None\n"
            "    return out\n"
            "print(json.dumps(tree(cli, ctx), sort_keys=True))")
    lazy = json.loads(_run(code.replace("LOAD", "")))
    full = json.loads(_run(code.replace("LOAD", "load_all_commands()\n")))
    assert lazy == full
    assert {"verify", "work", "licence", "audit"} <= set(lazy)
    assert "show" in lazy["work"] and "register-batch" in lazy["work"]


def test_unknown_command_is_a_usage_error() -> None:
    from ledger.cli import cli

    r = CliRunner().invoke(cli, ["no-such-command"])
    assert r.exit_code == 2 and "No such command" in r.output


def test_slim_abi_preferred_and_full_build_json_as_fallback(tmp_path: Path) -> None:
    build = tmp_path / "build" / "contracts"
    build.mkdir(parents=True)
    abi = [{"type": "function", "name": "f", "inputs": [], "outputs": []}]
    (build / "X.json").write_text(json.dumps({"abi": abi, "bytecode": "6001", "ast": {"big": True}}))
    assert load_artifact(build, "X").abi == abi and load_artifact(build, "X").bytecode == "0x6001"
    slim = slim_path(build, "Y")
    (build / "Y.json").write_text(json.dumps({"abi": [], "bytecode": "00"}))
    time.sleep(0.01)
    slim.parent.mkdir(parents=True, exist_ok=True)
    slim.write_text(json.dumps({"abi": abi, "bytecode": "0x6002"}))
    assert load_artifact(build, "Y").bytecode == "0x6002"  # the newer slim file
    stale = slim_path(build, "Z")
    stale.write_text(json.dumps({"abi": [], "bytecode": "0xdead"}))
    os.utime(stale, (1, 1))
    (build / "Z.json").write_text(json.dumps({"abi": abi, "bytecode": "0x6003"}))
    assert load_artifact(build, "Z").bytecode == "0x6003"  # slim file older than the build: not used


def test_slim_abi_script_matches_the_build() -> None:
    build = REPO / "build" / "contracts"
    for name in ("WorkRegistry", "LicenceRegistry"):
        slim = slim_path(build, name)
        if slim.exists() and slim.stat().st_mtime >= (build / f"{name}.json").stat().st_mtime:
            assert json.loads(slim.read_text())["abi"] == json.loads((build / f"{name}.json").read_text())["abi"]


def test_role_ids_written_out_are_the_keccak_of_the_names() -> None:
    from web3 import Web3

    from ledger.core.parsing import ROLE_IDS, ROLE_NAMES

    assert set(ROLE_IDS) == set(ROLE_NAMES)
    for name, rid in ROLE_IDS.items():
        assert rid == (b"\x00" * 32 if name == "GOVERNOR" else bytes(Web3.keccak(text=f"{name}_ROLE")))
