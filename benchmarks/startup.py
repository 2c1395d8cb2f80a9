"""``python -m benchmarks.startup --home DIR [--port P] [--runs 20] [--tree PATH ...]``: the wall time
of the read commands as a user runs them, each a fresh process (issue 15: ``verify FILE``,
``work show ID`` and ``licence status ID LICENSEE --use reproduce`` answer in at most 0.35 s).

``--home`` is a data directory whose embedded node runs (or is started by the first command),
e.g. a ledger kept by ``python -m benchmarks.scaling --keep DIR`` (``DIR/100000``): its
``built.json`` or ``attached.json`` names the sample work and licensee. The first run registers
and confirms one small file as alice and the registrar (one write each, with the password of the
benchmark accounts) so that ``verify FILE`` finds a confirmed work, and records it in
``startup.json`` for later runs. Each ``--tree`` (a checkout of this repository, default this
one) is measured with the same interpreter and command line (``PYTHONPATH=TREE``), bytecode
compiled first, so two versions compare on one machine in one run; ``python -c pass`` is the
floor. With hyperfine on the PATH it runs ``hyperfine -N -w3 -rRUNS``; otherwise a loop of
``RUNS`` runs after 3 warm ones. Prints mean and median per command. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("rights-ledger")


def _env(home: Path, port: int | None, tree: Path) -> dict[str, str]:
    from tests.fixtures.chain import PASSWORD

    env = {**os.environ, "RIGHTS_LEDGER_HOME": str(home), "RIGHTS_LEDGER_PASSWORD": PASSWORD,
           "PYTHONPATH": str(tree)}
    if port:
        env["RIGHTS_LEDGER_PORT"] = str(port)
    return env


def _cli() -> list[str]:
    return [str(CLI)] if CLI.exists() else [sys.executable, "-m", "ledger.cli"]


def sample(home: Path, port: int | None) -> dict[str, str]:
    """The sample work, licensee and a confirmed file of ``home`` (registered on the first run)."""
    record = home / "startup.json"
    if record.exists():
        return json.loads(record.read_text())
    named = next((json.loads((home / n).read_text()) for n in ("attached.json", "built.json") if (home / n).exists()),
                 None)
    if named is None:
        raise SystemExit(f"{home}: no built.json or attached.json (a ledger kept by benchmarks.scaling --keep)")
    path = home / "startup-sample.txt"
    path.write_text(f"start-up sample {secrets.token_hex(16)}\n")
    env = _env(home, port, REPO)
    run = [*_cli()]
    out = subprocess.run([*run, "--as", "alice", "work", "register", str(path), "--title", "Start-up sample",
                          "--creator", "Alice:author", "--type", "text", "--json"], env=env, capture_output=True,
                         text=True, check=True, timeout=3600)
    work = json.loads(out.stdout)["workId"]
    subprocess.run([*run, "--as", "registrar", "work", "confirm", work], env=env, capture_output=True, text=True,
                   check=True, timeout=3600)
    doc = {"work": named["work"], "licensee": named["licensee"], "file": str(path), "fileWork": work}
    record.write_text(json.dumps(doc))
    return doc


def commands(doc: dict[str, str]) -> dict[str, list[str]]:
    cli = _cli()
    return {
        "verify FILE": [*cli, "verify", doc["file"]],
        "work show ID": [*cli, "work", "show", doc["work"]],
        "licence status ID LICENSEE --use reproduce": [*cli, "licence", "status", doc["work"], doc["licensee"],
                                                       "--use", "reproduce"],
    }


def _loop(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for i in range(runs + 3):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        if i >= 3:
            times.append(time.perf_counter() - t0)
    return times


def _hyperfine(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(["hyperfine", "-N", "-i", "-w3", f"-r{runs}", "--export-json", out.name,
                        " ".join(cmd)], env=env, stdout=subprocess.DEVNULL, check=True, timeout=3600)
        return list(json.loads(Path(out.name).read_text())["results"][0]["times"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--home", type=Path, required=True, help="a data directory with a built ledger")
    p.add_argument("--port", type=int, help="its embedded node's port (RIGHTS_LEDGER_PORT)")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--tree", type=Path, action="append", help="a checkout to measure (default: this one)")
    args = p.parse_args(argv)
    trees = [t.resolve() for t in args.tree or [REPO]]
    doc = sample(args.home, args.port)
    timer = _hyperfine if shutil.which("hyperfine") else _loop
    load = os.getloadavg()[0]
    print(f"{args.home}: {args.runs} runs each ({timer.__name__.strip('_')}), load average {load:.2f}")
    rows = [("python -c pass", "", timer([sys.executable, "-c", "pass"], os.environ.copy(), args.runs))]
    for tree in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "ledger")], check=True,
                       stdout=subprocess.DEVNULL)
        env = _env(args.home, args.port, tree)
        for name, cmd in commands(doc).items():
            rows.append((name, str(tree), timer(cmd, env, args.runs)))
    for name, tree, times in rows:
        print(f"  {name:45} {statistics.mean(times) * 1000:6.0f} ms mean {statistics.median(times) * 1000:6.0f} ms "
              f"median  {tree}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
