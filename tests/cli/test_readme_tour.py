"""The README's tour, run exactly as written (issue 16).

The fenced ``bash`` blocks of README.md from "## A five-minute tour" up to the next level-2
heading are read from the README itself, split into commands (a line ending in ``\\``
continues), and run one by one, in order, by one bash process in an empty folder, on a fresh
home on which ``rights-ledger demo`` (what ``make demo`` runs after its set-up) ran first. A
command must exit 0 unless its comment says ``→ exit N``. A block preceded by
``<!-- tour: skip (...) -->`` is left out (it needs a service the test does not start; the
README says so next to it). Afterwards the demo runs again on the same, now used, home.

So an edit of the README that breaks a step of the tour fails this test, and so does a change
of the CLI that makes a step fail as written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.test_cli import ANSI, RL
from tests.fixtures.chain import free_port
from tests.fixtures.tsa import local_tsa  # noqa: F401  (fixture: the tour's RFC 3161 step)

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SECTION = "## A five-minute tour"
SKIP = re.compile(r"<!--\s*tour:\s*skip\b")
EXPECT = re.compile(r"#.*→ exit (\d)")
HEX_ID = re.compile(r"0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class Step:
    line: int  # in README.md, from 1
    command: str
    expect: int


def tour_steps(text: str) -> list[Step]:
    """The commands of the tour section's bash blocks, with the exit code each should give."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == SECTION)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    steps: list[Step] = []
    i = start
    while i < end:
        if lines[i].strip() != "```bash":
            i += 1
            continue
        skip = i > 0 and bool(SKIP.search(lines[i - 1]))
        i += 1
        pending: list[str] = []
        first = 0
        while lines[i].strip() != "```":
            raw = lines[i]
            if not pending:
                first = i + 1
            if not skip and (pending or (raw.strip() and not raw.lstrip().startswith("#"))):
                pending.append(raw)
                if not raw.rstrip().endswith("\\"):
                    command = "\n".join(pending)
                    m = EXPECT.search(command)
                    steps.append(Step(first, command, int(m.group(1)) if m else 0))
                    pending = []
            i += 1
        assert not pending, f"README.md:{first}: a continued line ends the block"
        i += 1
    return steps


def test_the_tour_is_read_from_the_readme():
    """The parser sees the tour as a reader does (so the test below cannot pass by running nothing)."""
    steps = tour_steps(README.read_text(encoding="utf-8"))
    assert len(steps) > 50
    commands = [s.command for s in steps]
    assert commands[0] == "export RIGHTS_LEDGER_PASSWORD=demo-only-password   # the demo accounts' password"
    assert any(c.startswith("WORK=$(rights-ledger --as alice work register song.txt") and "\\\n" in c
               for c in commands)
    assert any("royalty claim" in c for c in commands) and any("audit replay" in c for c in commands)
    assert not any("store sync" in c for c in commands)  # the kubo block is marked as left out
    assert any(s.expect == 1 for s in steps)
    assert not any("0x<" in c or "..." in c.split("#")[0] for c in commands), "a placeholder cannot run as written"


def _script(steps: list[Step]) -> str:
    out = ["set -o pipefail", "exec 3>&1"]  # fd 3: the markers, whatever a step does with stdout
    for n, s in enumerate(steps):
        out += [f"echo '@@step {n}' >&3; echo '@@step {n}' >&2", s.command, f"echo \"@@rc {n} $?\" >&3"]
    return "\n".join(out) + "\n"


def _split(text: str, tag: str) -> dict[int, str]:
    parts: dict[int, list[str]] = {}
    current = -1
    for ln in text.splitlines():
        m = re.fullmatch(rf"@@{tag} (\d+)", ln)
        if m:
            current = int(m.group(1))
            continue
        if ln.startswith("@@rc "):
            continue
        parts.setdefault(current, []).append(ln)
    return {k: "\n".join(v) for k, v in parts.items()}


def test_the_readme_tour_runs_as_written_on_a_fresh_home_and_the_demo_runs_again(tmp_path, local_tsa):  # noqa: F811
    if not shutil.which("jq"):
        pytest.fail("jq is missing (the README's tour uses it; `make test` installs it)")
    steps = tour_steps(README.read_text(encoding="utf-8"))
    home, work = tmp_path / "home", tmp_path / "tour"
    work.mkdir()
    bindir = tmp_path / "bin"  # `rights-ledger` on PATH, as after `source .venv/bin/activate`
    bindir.mkdir()
    launcher = bindir / "rights-ledger"
    launcher.write_text("#!/bin/sh\nexec " + " ".join(f"'{a}'" for a in RL) + ' "$@"\n')
    launcher.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTS_LEDGER_")}
    env.update({"RIGHTS_LEDGER_HOME": str(home), "RIGHTS_LEDGER_PORT": str(free_port()),
                "RIGHTS_LEDGER_KDF_N": "1024", "RIGHTS_LEDGER_TSA_URL": local_tsa.url,
                "RIGHTS_LEDGER_TSA_CA": str(local_tsa.ca_file), "PATH": f"{bindir}:{env.get('PATH', '')}"})
    try:
        demo = subprocess.run([*RL, "demo"], env=env, cwd=work, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=600)
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-2000:]
        p = subprocess.run(["bash", "-c", _script(steps)], env=env, cwd=work, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=900)
        codes = {int(n): int(rc) for n, rc in re.findall(r"^@@rc (\d+) (\d+)$", p.stdout, re.M)}
        outs, errs = _split(p.stdout, "step"), _split(p.stderr, "step")
        failed = []
        for n, s in enumerate(steps):
            text = ANSI.sub("", outs.get(n, "") + errs.get(n, ""))
            if codes.get(n) != s.expect:
                failed.append(f"README.md:{s.line}: {s.command}\n  exit {codes.get(n)} (the README says {s.expect})"
                              f"\n  {text[-1500:]}")
            elif "Traceback" in text:
                failed.append(f"README.md:{s.line}: {s.command}\n  a traceback:\n{text[-1500:]}")
            else:
                broken = [h for h in HEX_ID.findall(text) if len(h) not in (42, 66) and len(h) > 20]
                if broken:
                    failed.append(f"README.md:{s.line}: {s.command}\n  an id cut by a line break: {broken[0]}")
        assert len(codes) == len(steps), f"the tour stopped after step {len(codes)}:\n{p.stderr[-2000:]}"
        assert not failed, "\n\n".join(failed)
        # the tour's state shows in the ledger (the steps did what they say, not only exit 0)
        assert (work / "certificate.pdf").read_bytes().startswith(b"%PDF")
        assert "claimed" in outs[next(n for n, s in enumerate(steps) if "royalty claim" in s.command)]
        # `make demo` again on the home the tour used (issue 16: it failed with "licence not yet valid")
        again = subprocess.run([*RL, "demo"], env=env, cwd=work, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=600)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
        assert "clean: every view and every stored blob agrees with the events" in again.stdout
    finally:
        subprocess.run([*RL, "node", "stop"], env=env, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
