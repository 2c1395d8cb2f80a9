"""The production storage path end to end: the CLI with ``--store kubo:...`` against a real
IPFS daemon (js-ipfs from tools/ipfs, started by the session fixture; or the daemon
RIGHTS_LEDGER_IPFS_API names) and a real anvil node of this module's own.

Register, confirm, show, verify, audit replay with its blob checks and a certificate;
``store sync`` from the embedded store to the node and back; and an outage: the daemon is
killed mid-run, the write that needed it fails with exit 2 and leaves nothing on chain,
and after a restart the same command completes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ledger.audit import audit
from ledger.content.cid import cid_for_bytes
from ledger.content.metadata import build_work_metadata
from ledger.content.store import KuboStore, LocalStore
from ledger.content.store.sync import sync_blobs
from ledger.core.errors import StoreUnavailable
from ledger.core.types import Holder, WorkStatus
from ledger.domain.works import Ledger
from tests.fixtures.chain import PASSWORD, LedgerEnv, make_env
from tests.fixtures.ipfs import IpfsDaemon, ipfs_api, ipfs_daemon, own_ipfs_daemon  # noqa: F401  (fixtures)

pytestmark = pytest.mark.kubo

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _command() -> list[str]:
    beside = Path(sys.executable).with_name("rights-ledger")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("rights-ledger")
    return [found] if found else [sys.executable, "-c", "from ledger.cli import main; main()"]


RL = _command()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerEnv]:
    """A chain of this module's own: its audit and sync see only the blobs written here."""
    e = make_env(tmp_path_factory.mktemp("kubo-home"))
    try:
        yield e
    finally:
        e.node.stop()


def run(env: LedgerEnv, *args: str, store: str | None = None) -> subprocess.CompletedProcess:
    extra = ["--store", store] if store else []
    return subprocess.run([*RL, *extra, *args], env=env.env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=180)


def run_all(env: LedgerEnv, *commands: tuple[str, ...], store: str | None = None) -> list[subprocess.CompletedProcess]:
    """Independent commands at once (each its own process); results in order."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda c: run(env, *c, store=store), commands))


def ok_json(p: subprocess.CompletedProcess) -> Any:
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return json.loads(p.stdout)


def one_line_error(p: subprocess.CompletedProcess) -> str:
    err = ANSI.sub("", p.stderr)
    assert "Traceback" not in err + p.stdout, err
    assert p.returncode == 2, (p.returncode, p.stdout, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("error: ") and len(lines) <= 2, lines
    return " ".join(lines)


def new_file(tmp_path: Path, name: str) -> Path:
    f = tmp_path / name
    f.write_bytes(name.encode() + b" " + os.urandom(24))
    return f


def register(env: LedgerEnv, path: Path, store: str | None) -> dict[str, Any]:
    """``work register`` through the CLI, as alice."""
    return ok_json(run(env, "--as", "alice", "work", "register", str(path), "--title", f"Work {path.name}",
                       "--creator", "Alice Author:author", "--json", store=store))


def ledger_on(env: LedgerEnv, store: str | None, account: str | None = None) -> Ledger:
    """The SDK on this chain with the given store (set-up and checks in-process: a CLI call
    costs an interpreter start, and the CLI paths are covered once each)."""
    return Ledger.open(dataclasses.replace(env.settings, store=store), account=account, password=PASSWORD)


def sdk_register(env: LedgerEnv, path: Path, store: str | None = None) -> str:
    """alice registers ``path`` through the SDK; returns the metadata CID."""
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    doc = build_work_metadata(title=f"Work {path.name}", creators=[{"name": "Alice", "role": "author"}],
                              work_type="text", content_sha256=sha)
    return ledger_on(env, store, "alice").register_work(doc, [Holder(env.addresses["alice"], 10000)]).metadata_cid


def blob_mismatches(env: LedgerEnv, store: str | None) -> list[tuple[str, str]]:
    """``(kind, cid)`` of every mismatch an audit with ``store`` reports."""
    return [(m.kind, m.where.rsplit("(", 1)[-1].rstrip(")")) for m in audit(ledger_on(env, store)).mismatches]


def test_kubo_register_confirm_show_verify_audit_certificate(env: LedgerEnv, ipfs_api: str,  # noqa: F811
                                                             tmp_path: Path) -> None:
    kubo = f"kubo:{ipfs_api}"
    node = KuboStore(ipfs_api)
    local = LocalStore(env.home / "store")
    content = new_file(tmp_path, "poem.txt")
    wid = "0x" + hashlib.sha256(content.read_bytes()).hexdigest()

    reg = register(env, content, kubo)
    cid = reg["metadataCid"]
    assert reg["workId"] == wid and reg["status"] == "PENDING"
    assert cid.startswith("bafkrei")
    assert node.has(cid) and not local.has(cid)  # stored (and pinned) on the node only
    meta = node.cat(cid)
    assert cid_for_bytes(meta) == cid and json.loads(meta)["contentSha256"] == wid[2:]

    conf = ok_json(run(env, "--as", "registrar", "work", "confirm", wid, "--json", store=kubo))
    assert conf["status"] == "CONFIRMED"

    pdf = tmp_path / "cert.pdf"
    show, verify, certificate = run_all(env, ("work", "show", wid, "--json"), ("verify", str(content)),
                                        ("--as", "registrar", "work", "certificate", wid, "-o", str(pdf), "--json"),
                                        store=kubo)
    shown = ok_json(show)
    assert shown["metadataCid"] == cid and shown["metadataError"] is None
    assert shown["metadata"]["title"] == f"Work {content.name}" and shown["status"] == "CONFIRMED"
    assert verify.returncode == 0 and "CONFIRMED registration" in " ".join(ANSI.sub("", verify.stdout).split())
    assert pdf.read_bytes().startswith(b"%PDF") and ok_json(certificate)["payload"]

    # a second work, rejected: the reason document is a second kind of blob on the node
    other = sdk_register(env, new_file(tmp_path, "draft.txt"), kubo)
    rej = ok_json(run(env, "--as", "registrar", "work", "reject", "0x" + json.loads(node.cat(other))["contentSha256"],
                      "--reason", "not original", "--code", "2", "--json", store=kubo))
    reason, replay = run_all(env, ("store", "cat", rej["reasonCid"]), ("audit", "replay", "--json"), store=kubo)
    assert reason.returncode == 0 and json.loads(reason.stdout)["reason"] == "not original"
    report = ok_json(replay)
    assert report["mismatches"] == [], report["mismatches"]
    # the blob check did run against the node: with the embedded store, which lacks them, it fails
    assert {("blob-missing", c) for c in (cid, other, rej["reasonCid"])} <= set(blob_mismatches(env, None))


def test_kubo_store_sync_to_node_and_back(env: LedgerEnv, ipfs_api: str, tmp_path: Path) -> None:  # noqa: F811
    kubo = f"kubo:{ipfs_api}"
    node = KuboStore(ipfs_api)
    # works registered on the embedded store: the node has never seen these blobs
    cids = [sdk_register(env, new_file(tmp_path, f"song{i}.txt")) for i in range(3)]
    assert not any(node.has(c) for c in cids)

    out = ok_json(run(env, "store", "sync", "--to", kubo, "--json"))
    assert set(cids) <= set(out["copiedCids"]) and out["problems"] == []
    assert out["copied"] + out["alreadyPresent"] == out["total"] and out["bytesCopied"] > 0
    assert all(node.has(c) for c in out["copiedCids"])  # pinned on the node
    assert blob_mismatches(env, kubo) == []

    again = run(env, "store", "sync", "--to", kubo, "--verify-present")  # idempotent; the summary
    words = " ".join(ANSI.sub("", again.stdout).split())
    assert again.returncode == 0, again.stderr
    assert f"{out['total']} blobs referenced by the ledger: 0 copied (0 bytes), {out['total']} there already" in words

    # and back, from the node into an empty embedded store: everything the ledger refers to
    fresh = tmp_path / "fresh-store"
    back = ok_json(run(env, "store", "sync", "--from", kubo, "--to", f"local:{fresh}", "--json"))
    assert back["copied"] == back["total"] == out["total"] and back["problems"] == []
    assert blob_mismatches(env, f"local:{fresh}") == []


def test_kubo_store_sync_reports_blobs_it_cannot_copy(env: LedgerEnv, ipfs_api: str, tmp_path: Path) -> None:  # noqa: F811
    lost = sdk_register(env, new_file(tmp_path, "lost.txt"))
    LocalStore(env.home / "store").block_path(lost).unlink()  # lost before it was ever copied
    p = run(env, "store", "sync", "--to", f"kubo:{ipfs_api}", "--json")
    assert p.returncode == 1, p.stderr
    problems = json.loads(p.stdout)["problems"]
    assert [q["cid"] for q in problems] == [lost] and "not in the source" in problems[0]["reason"]
    assert "same store" in one_line_error(run(env, "store", "sync", "--to", "local"))


def test_kubo_daemon_killed_mid_run(env: LedgerEnv, own_ipfs_daemon: IpfsDaemon, tmp_path: Path) -> None:  # noqa: F811
    daemon = own_ipfs_daemon
    kubo = f"kubo:{daemon.multiaddr}"
    reader = env.ledger()
    node = KuboStore(daemon.multiaddr, timeout=10)
    local = LocalStore(env.home / "store")

    # mid-sync: the daemon dies after the first blob; the copy stops with a store error
    refs = [(sdk_register(env, new_file(tmp_path, f"track{i}.txt")), "test") for i in range(3)]

    def crash(cid: str, outcome: str) -> None:
        if daemon.running:
            daemon.kill()

    with pytest.raises(StoreUnavailable, match=f"tcp/{daemon.port}"):
        sync_blobs(refs, local, node, progress=crash)

    # a write that needs the node: exit 2, one line, nothing sent, nothing stored locally
    content = new_file(tmp_path, "late.txt")
    wid = "0x" + hashlib.sha256(content.read_bytes()).hexdigest()
    command = ("--as", "alice", "work", "register", str(content), "--title", "Late", "--creator", "Alice", "--json")
    head = reader.chain.block_number()
    message = one_line_error(run(env, *command, store=kubo))
    assert f"tcp/{daemon.port}" in message and "ipfs daemon" in message  # the address, and what to do
    assert reader.chain.block_number() == head and reader.status_of(wid) == WorkStatus.NONE
    assert "rerun to continue" in one_line_error(run(env, "store", "sync", "--to", kubo))
    assert reader.chain.block_number() == head

    # restart at the same address: the same command completes, the sync resumes where it stopped
    daemon.start()
    reg = ok_json(run(env, *command, store=kubo))
    assert reg["workId"] == wid and reader.status_of(wid) == WorkStatus.PENDING
    assert json.loads(node.cat(reg["metadataCid"]))["title"] == "Late"
    report = sync_blobs(refs, local, node)
    assert (len(report.present), len(report.copied), report.problems) == (1, 2, [])  # resumed
    assert all(node.cat(c) == local.cat(c) for c, _ in refs)
