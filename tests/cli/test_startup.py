"""Start-up cost: `--help` imports no SDK, every command is reachable lazily, slim ABIs are read, and the
read commands (`verify`, `work show`, `licence status`, `licence list`) answer without importing web3,
eth-account, aiohttp, eth-abi, requests or jsonschema (issue 15: they cost more CPU than the answer).
The tests assert imports and answers, never timings."""

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


HEAVY = ("web3", "eth_account", "aiohttp", "eth_abi", "eth_utils", "requests", "pydantic", "jsonschema")


def _cli_in_process(env: dict[str, str], *args: str) -> tuple[int, str, list[str]]:
    """Run the CLI in a fresh interpreter; (exit code, stdout, heavy modules it imported)."""
    code = ("import sys, json\nfrom ledger.cli import cli\n"
            "try:\n    cli.main(args=json.loads(sys.argv[1]), prog_name='rights-ledger')\n"
            "except SystemExit as e:\n    rc = e.code or 0\nelse:\n    rc = 0\n"
            f"print('\\nHEAVY=' + json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\nsys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], env={**env, "PYTHONPATH": str(REPO)},
                       capture_output=True, text=True, timeout=120)
    out, _, heavy = p.stdout.rpartition("\nHEAVY=")
    assert heavy, p.stderr[-2000:]
    return p.returncode, out, json.loads(heavy)


def test_read_commands_import_no_web3_and_answer(ledger_env, tmp_path: Path) -> None:
    from ledger.content.metadata import build_work_metadata
    from ledger.core.types import Holder
    from ledger.domain.licensing import Licensing
    from ledger.domain.works import sha256_of_file

    alice = ledger_env.ledger("alice")
    f = tmp_path / "startup-work.txt"
    f.write_text("a work whose reads must not import web3\n")
    doc = build_work_metadata(title="Start-up", creators=[{"name": "A", "role": "author"}], work_type="text",
                              content_sha256=sha256_of_file(f), creation_mode="human")
    wid = alice.register_work(doc, [Holder(alice.signer.address, 10000)]).work_id
    ledger_env.ledger("registrar").confirm_work(wid)
    lic = Licensing(alice)
    who = ledger_env.addresses["licensee"]
    lic.grant(who, [wid], lic.terms(["reproduce"], start=lic.now()))
    env = ledger_env.env()
    cases = [
        (("work", "show", wid), 0, "CONFIRMED"),
        (("verify", str(f)), 0, "CONFIRMED"),
        (("verify", str(tmp_path / "startup-none.txt")), 2, ""),  # no such file: an error, still no web3
        (("licence", "status", wid, who, "--use", "reproduce"), 0, "covered"),
        (("licence", "status", wid, "licensee", "--use", "perform"), 1, "NOT covered"),
        (("licence", "list", "--licensee", who, "--json"), 0, wid),
        (("work", "show", "0x" + "00" * 32), 2, ""),  # not found: the contract's error, decoded without web3
    ]
    for args, want, text in cases:
        rc, out, heavy = _cli_in_process(env, *args)
        assert rc == want, (args, rc, out)
        assert text in out, (args, out)
        assert heavy == [], (args, heavy)


def test_a_write_still_works_after_lazy_imports(ledger_env) -> None:
    """The same process reads light, then writes through web3 (imported on the first write)."""
    alice = ledger_env.ledger("alice")
    assert "AUDITOR" not in alice.roles_of(ledger_env.addresses["rando"])
    gov = ledger_env.ledger("governor")
    gov.grant_role("AUDITOR", ledger_env.addresses["rando"])
    assert "AUDITOR" in alice.roles_of(ledger_env.addresses["rando"])
    gov.revoke_role("AUDITOR", ledger_env.addresses["rando"])
    assert "AUDITOR" not in alice.roles_of(ledger_env.addresses["rando"])


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


def test_a_copied_build_folder_still_reads_the_slim_files(tmp_path: Path) -> None:
    from ledger.core.artifacts import _source

    build = tmp_path / "build" / "contracts"
    build.mkdir(parents=True)
    full = build / "WorkRegistry.json"
    full.write_text(json.dumps({"abi": [], "bytecode": "0x00", "ast": "x" * 1000}))
    slim = slim_path(build, "WorkRegistry")
    slim.parent.mkdir()

    def case(recorded: int | None, full_newer_by: float) -> str:
        head = {"sourceSize": recorded} if recorded is not None else {}
        slim.write_text(json.dumps({**head, "contractName": "WorkRegistry", "abi": [], "bytecode": "0x00"}))
        now = time.time()
        os.utime(slim, (now, now))
        os.utime(full, (now + full_newer_by, now + full_newer_by))
        return _source(build, "WorkRegistry").parent.name

    size = full.stat().st_size
    assert case(size, -1) == "abi"  # slim written after the build file
    assert case(size, 2) == "abi"  # the same build file, copied after its slim file
    assert case(size + 1, 2) == "contracts"  # another build file: stale slim
    assert case(size, 600) == "contracts"  # recompiled long after: stale slim
    assert case(None, 2) == "contracts"  # a slim file that records no size: by time alone


def test_the_collector_stays_off_the_start_up_and_the_exit() -> None:
    """ledger.cli raises the young-generation threshold before its imports, and main() freezes what
    exists when the command ends, so the exit's last collection does not walk it (together about a
    third of a read command's CPU, issue 15). A long run still collects: the threshold is finite."""
    out = _run("import gc, sys\nimport ledger.cli\nprint(gc.get_threshold()[0])\n"
               "sys.argv = ['rights-ledger', '--help']\ntry:\n    ledger.cli.main()\n"
               "except SystemExit as e:\n    assert not e.code\n"
               "print(gc.get_freeze_count())\nprint(gc.isenabled())")
    lines = out.splitlines()  # the threshold, the help text, then the freeze count and the switch
    threshold, frozen, enabled = lines[0], lines[-2], lines[-1]
    assert 10_000 <= int(threshold) <= 1_000_000 and enabled == "True"
    assert int(frozen) > 10_000  # the imports' objects, frozen at the end of main()
