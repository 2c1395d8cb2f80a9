"""`work register-batch` / `work confirm-batch` end to end: the CLI as a subprocess on a real anvil node."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ledger.content.metadata import build_work_metadata
from ledger.core.events import fetch_logs
from ledger.core.types import Holder
from ledger.domain.batch import statuses_of
from ledger.domain.works import Ledger
from tests.fixtures.chain import LedgerEnv

CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def write_catalogue(folder: Path, n: int, tag: str, *, holder: str | None = None) -> tuple[Path, list[str]]:
    """A CSV catalogue of n works: even rows name a file, odd rows give a sha256. Returns (path, ids)."""
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "files").mkdir(exist_ok=True)
    ids, rows = [], []
    for i in range(n):
        content = f"{tag}-{i}-{os.urandom(8).hex()}".encode()
        sha = hashlib.sha256(content).hexdigest()
        ids.append("0x" + sha)
        row = {"title": f"Work {tag} {i}", "creators": "Ana Lima:composer;Rui Sa:lyricist",
               "type": "music", "creation": "human", "holders": f"{holder}:10000" if holder else "",
               "isrc": "", "date": "2024-03-01", "models": "", "file": "", "sha256": ""}
        if i % 2 == 0:
            (folder / "files" / f"w{i}.bin").write_bytes(content)
            row["file"] = f"files/w{i}.bin"
        else:
            row["sha256"] = sha
        if i % 7 == 3:
            row["creation"], row["models"] = "ai-assisted", "gpt@4;suno"
        rows.append(row)
    path = folder / "catalogue.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path, ids


def run_cli(env: LedgerEnv, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env.env(), capture_output=True, text=True, timeout=timeout)


def registrations(env: LedgerEnv) -> Counter[str]:
    """WorkRegistered events per work id, straight from eth_getLogs."""
    led = env.ledger()
    topics = led.events.topics_of("WorkRegistered")  # the long and the compact form
    counts: Counter[str] = Counter()
    for _end, logs in fetch_logs(env.settings.network.rpc_url, [led.registry.address], 0, led.chain.block_number(),
                                 topics=[topics]):
        counts.update("0x" + log["topics"][1][2:] for log in logs)
    return counts


def test_register_batch_registers_each_work_once_and_rerun_adds_nothing(ledger_env: LedgerEnv, tmp_path: Path):
    path, ids = write_catalogue(tmp_path / "cat", 300, "reg", holder=ledger_env.addresses["alice"])
    # one work registered earlier by someone else: reported as already registered, not as an error
    alice = ledger_env.ledger("alice")
    doc = build_work_metadata(title="Earlier", creators=[{"name": "Alice", "role": "author"}], work_type="music",
                              content_sha256=ids[1][2:])
    alice.register_work(doc, [Holder(ledger_env.addresses["alice"], 10000)])
    # a duplicate row (same content, same details) is skipped with a note
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[3]]) + "\n")

    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(path), "--batch-size", "40", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["total"] == 301
    assert s["registered"] == 299
    assert s["skipped_existing"] == 1
    assert s["duplicates"] == 1 and any("same work as line 4" in n for n in s["notes"])
    assert s["failed"] == 0
    assert s["batches"] == 8
    counts = registrations(ledger_env)
    assert all(counts[w] == 1 for w in ids), {w: counts[w] for w in ids if counts[w] != 1}

    journal = Path(s["journal"])
    assert journal.parent == ledger_env.home / "journals" / "local"
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    assert {e["event"] for e in events} >= {"run", "planned", "sent", "mined", "summary"}

    again = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(path), "--json")
    assert again.returncode == 0, again.stderr
    s2 = json.loads(again.stdout)
    assert s2["registered"] == 0 and s2["batches"] == 0
    assert s2["skipped_existing"] == 300 and s2["from_journal"] == 299
    assert registrations(ledger_env) == counts


def test_register_batch_refuses_an_invalid_row_before_sending_anything(ledger_env: LedgerEnv, tmp_path: Path):
    path, ids = write_catalogue(tmp_path / "bad", 30, "bad")
    rows = list(csv.DictReader(open(path)))
    rows[3]["holders"] = f"{ledger_env.addresses['alice']}:6000;{ledger_env.addresses['bob']}:3000"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(path))
    assert r.returncode == 2
    assert f"{path}:5:holders" in r.stderr
    assert "10000" in r.stderr and "Traceback" not in r.stderr
    led = ledger_env.ledger()
    assert set(statuses_of(led, ids).values()) == {0}
    import hashlib

    key = hashlib.sha256(path.read_bytes()).hexdigest()
    assert not (ledger_env.home / "journals" / "local" / f"{key}.jsonl").exists()


@pytest.mark.parametrize("bad, field", [("type", "type"), ("date", "date"), ("isrc", "isrc"), ("models", "models")])
def test_register_batch_names_the_field_of_an_invalid_row(ledger_env: LedgerEnv, tmp_path: Path, bad: str,
                                                          field: str):
    path, _ids = write_catalogue(tmp_path / bad, 4, bad)
    rows = list(csv.DictReader(open(path)))
    rows[1][bad] = {"type": "poem", "date": "2024-02-30", "isrc": "nope", "models": "gpt@4"}[bad]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(path))
    assert r.returncode == 2, r.stdout
    assert f"{path}:3:{field}" in r.stderr


def test_register_batch_reads_json_lines(ledger_env: LedgerEnv, tmp_path: Path):
    import hashlib

    alice = ledger_env.addresses["alice"]
    lines, ids = [], []
    for i in range(5):
        sha = hashlib.sha256(os.urandom(16)).hexdigest()
        ids.append("0x" + sha)
        lines.append(json.dumps({"sha256": sha, "title": f"J{i}", "creators": ["Ana:author"], "type": "text",
                                 "holders": [f"{alice}:10000"], "isbn": "978-3-16-148410-0"}))
    path = tmp_path / "cat.jsonl"
    path.write_text("\n".join(lines) + "\n")
    r = run_cli(ledger_env, "--as", "alice", "work", "register-batch", str(path), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["registered"] == 5
    led: Ledger = ledger_env.ledger()
    assert set(statuses_of(led, ids).values()) == {1}


def test_confirm_batch_confirms_all_pending_works_of_the_catalogue(ledger_env: LedgerEnv, tmp_path: Path):
    path, ids = write_catalogue(tmp_path / "conf", 120, "conf", holder=ledger_env.addresses["bob"])
    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(path), "--json")
    assert r.returncode == 0, r.stderr
    # a work confirmed already is skipped, not an error
    ledger_env.ledger("registrar").confirm_work(ids[0])

    c = run_cli(ledger_env, "--as", "registrar", "work", "confirm-batch", str(path), "--batch-size", "50", "--json")
    assert c.returncode == 0, c.stderr
    s = json.loads(c.stdout)
    assert (s["registered"], s["skipped_existing"], s["failed"], s["batches"]) == (119, 1, 0, 3)
    assert Path(s["journal"]).name.startswith("confirm-")
    led = ledger_env.ledger()
    assert set(statuses_of(led, ids).values()) == {2}

    pending = run_cli(ledger_env, "--as", "registrar", "work", "confirm-batch", "--all-pending", "--json")
    assert pending.returncode == 0, pending.stderr
    assert json.loads(pending.stdout)["failed"] == 0


def test_confirm_batch_needs_the_registrar_role(ledger_env: LedgerEnv, tmp_path: Path):
    path, _ids = write_catalogue(tmp_path / "norole", 3, "norole", holder=ledger_env.addresses["bob"])
    assert run_cli(ledger_env, "--as", "cmo", "work", "register-batch", str(path)).returncode == 0
    r = run_cli(ledger_env, "--as", "alice", "work", "confirm-batch", str(path))
    assert r.returncode == 2
    assert "REGISTRAR" in r.stderr and "Traceback" not in r.stderr
