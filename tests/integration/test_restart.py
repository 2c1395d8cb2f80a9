"""Stopping and restarting the embedded node keeps every work, holder and event.

This test runs its own node (not the session one): it stops and restarts it, through the
SDK and once through the CLI (`node stop`, `node status`, `node start`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from ledger.content.metadata import build_work_metadata
from ledger.core.node import rpc_alive
from ledger.core.types import Holder, WorkStatus
from ledger.domain.works import Ledger
from tests.fixtures.chain import PASSWORD, LedgerEnv


def rpc(url: str, method: str, params: list[Any]) -> Any:
    body = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=30).json()
    assert "error" not in body, body
    return body["result"]


def snapshot(ledger: Ledger, work_ids: list[str]) -> dict[str, Any]:
    """Everything that must survive a restart, read straight from the node."""
    url = ledger.settings.network.rpc_url
    head = rpc(url, "eth_getBlockByNumber", ["latest", False])
    return {
        "block": ledger.chain.block_number(),
        "head_hash": head["hash"],
        "logs": rpc(url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}]),
        "works": {w: ledger.work(w) for w in work_ids},
        "statuses": {w: ledger.status_of(w) for w in work_ids},
        "holders": {w: ledger.work(w).holders for w in work_ids},
        "role_members": {r: ledger.members(r) for r in ("GOVERNOR", "REGISTRAR", "CMO", "HOLDER", "AUDITOR")},
    }


def doc(title: str, **kw: Any) -> dict[str, Any]:
    return build_work_metadata(title=title, creators=[{"name": "A", "role": "author"}],
                               work_type=kw.pop("work_type", "text"), content_sha256=os.urandom(32).hex(), **kw)


def cli(env: LedgerEnv, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("rights-ledger")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from ledger.cli import main; main()"]
    return subprocess.run([*cmd, *args], env=env.env(), capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)




def test_restart_keeps_every_work_holder_and_event(own_env):
    env, a = own_env, own_env.addresses
    alice, bob = env.ledger("alice"), env.ledger("bob")
    registrar, cmo = env.ledger("registrar"), env.ledger("cmo")

    sole = alice.register_work(doc("Sole"), [Holder(a["alice"], 10000)]).work_id
    registrar.confirm_work(sole)
    alice.transfer_share(sole, a["bob"], 3000)  # sole -> partial

    co = alice.register_work(doc("Co-owned", work_type="music"), [Holder(a["alice"], 6000), Holder(a["bob"], 4000)])
    registrar.confirm_work(co.work_id)
    bob.consent(co.work_id, alice.transfer_action_hash(co.work_id, a["alice"], a["licensee"], 1000))
    alice.transfer_share(co.work_id, a["licensee"], 1000)
    bob.reserve_uses(co.work_id, ["ai-training"])

    rejected_doc = doc("Rejected")
    rejected = alice.register_work(rejected_doc, [Holder(a["alice"], 10000)]).work_id
    _, reason_cid = registrar.reject_work(rejected, "not original", code=4)

    by_cmo = cmo.register_work(doc("Pending, by the CMO"), [Holder(a["bob"], 10000)]).work_id
    works = [sole, co.work_id, rejected, by_cmo]

    before = snapshot(alice, works)
    assert [before["statuses"][w] for w in works] == [
        WorkStatus.CONFIRMED, WorkStatus.CONFIRMED, WorkStatus.REJECTED, WorkStatus.PENDING]
    assert before["holders"][sole] == (Holder(a["alice"], 7000), Holder(a["bob"], 3000))
    assert before["holders"][co.work_id] == (
        Holder(a["alice"], 5000), Holder(a["bob"], 4000), Holder(a["licensee"], 1000))
    assert len(before["logs"]) >= 14

    # one last write, and stop at once: what the node holds must come from its dump on SIGTERM,
    # not from the periodic one
    last = bob.reserve_uses(by_cmo, ["text-and-data-mining"])
    final = snapshot(alice, works)
    assert final["block"] == last.block == before["block"] + 1
    assert env.node.stop() is True
    assert rpc_alive(env.settings.network.rpc_url) is None
    assert not env.node.status().running
    assert Path(env.node.status().state_file).is_file()

    reopened = Ledger.open(env.settings, account="alice", password=PASSWORD)  # starts the node again
    assert env.node.status().running
    after = snapshot(reopened, works)
    assert after["block"] == final["block"]
    assert after["head_hash"] == final["head_hash"]
    assert after["logs"] == final["logs"]
    assert after["works"] == final["works"]
    assert after["statuses"] == final["statuses"]
    assert after["holders"] == final["holders"]
    assert after["role_members"] == final["role_members"]
    assert after["works"][by_cmo].reserved_uses == ("text-and-data-mining",)
    assert reopened.metadata(after["works"][rejected].metadata_cid)["title"] == "Rejected"
    assert reopened.metadata(reason_cid)["reason"] == "not original"

    # the restarted chain carries on: a new write lands on the next block
    nxt = reopened.register_work(doc("After restart"), [Holder(a["alice"], 10000)])
    assert nxt.block == final["block"] + 1
    assert reopened.status_of(rejected_doc["contentSha256"]) == WorkStatus.REJECTED


def test_cli_node_stop_status_start_keeps_state(own_env):
    env = own_env
    alice, registrar = env.ledger("alice"), env.ledger("registrar")
    wid = alice.register_work(doc("Through the CLI"), [Holder(env.addresses["alice"], 10000)]).work_id
    registrar.confirm_work(wid)
    block = alice.chain.block_number()
    logs = rpc(env.settings.network.rpc_url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}])
    shown = json.loads(cli(env, "work", "show", wid, "--json").stdout)

    p = cli(env, "node", "stop", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"stopped": True}
    assert rpc_alive(env.settings.network.rpc_url) is None

    p = cli(env, "node", "status", "--json")
    assert p.returncode == 1, p.stderr  # not running: a "no", with the status
    st = json.loads(p.stdout)
    assert st["running"] is False and st["block_number"] is None and st["pid"] is None
    assert st["rpc_url"] == env.settings.network.rpc_url and st["state_file"] == str(env.node.state_file)

    p = cli(env, "node", "stop", "--json")  # stopping a stopped node is not an error
    assert p.returncode == 0 and json.loads(p.stdout) == {"stopped": False}

    # stopped means stopped: reads and writes do not start it again behind the user's back
    p = cli(env, "work", "show", wid, "--json")
    assert p.returncode == 2 and "node start" in p.stderr, p.stderr
    assert rpc_alive(env.settings.network.rpc_url) is None

    p = cli(env, "node", "start", "--json")
    assert p.returncode == 0, p.stderr
    started = json.loads(p.stdout)
    assert started["node"]["running"] is True
    assert started["node"]["block_number"] == block
    assert started["node"]["rpc_url"] == env.settings.network.rpc_url
    deployment = alice.deployment
    assert started["contracts"] == {k: v.address for k, v in deployment.contracts.items()}

    p = cli(env, "node", "status", "--json")
    assert json.loads(p.stdout)["running"] is True and json.loads(p.stdout)["block_number"] == block
    assert rpc(env.settings.network.rpc_url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}]) == logs
    assert json.loads(cli(env, "work", "show", wid, "--json").stdout) == shown
    unknown = env.home / "never-registered.txt"
    unknown.write_text("never registered\n")
    p = cli(env, "verify", str(unknown))  # the chain answers again: exit 1, not 2
    assert p.returncode == 1, p.stderr
