"""Answers about the past survive node restarts and a contract upgrade (issue 14).

The embedded node reloads its state without history after `node stop` / `node start`: an
``eth_call`` at an old block then fails ("use an archive node"). Royalty verification of a
past period is computed from events, so it still passes; and after a real upgrade (a new
WorkRegistry with the old one as predecessor, new LicenceRegistry, CoverageLens and RoyaltyPool,
ADR 002) a work registered in v1 is still shown, verified, disputed and transferred, and the
v1 pool's period still verifies.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests
from eth_utils import function_signature_to_4byte_selector

from ledger.core.deploy import deploy_all
from ledger.core.deployments import load_deployment
from ledger.core.types import Holder, WorkStatus
from ledger.domain.certificate import payload_of, verify_payload
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection
from ledger.domain.royalties import Royalties
from ledger.domain.usage import Usage
from tests.fixtures.chain import LedgerEnv
from tests.integration.test_restart import cli, doc
from tests.sdk.test_usage import report_rows, world, write_csv

HOLDERS_OF = "0x" + function_signature_to_4byte_selector("holdersOf(bytes32)").hex()


def raw_call_at(url: str, to: str, block: int) -> dict:
    return requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_call",
                                    "params": [{"to": to, "data": HOLDERS_OF + "00" * 32}, hex(block)]},
                         timeout=30).json()




def distribute_period(env: LedgerEnv, w: dict, period: int, tmp_path: Path, n: int = 120) -> None:
    led = env.ledger("licensee")
    lic = Royalties(led, Usage(led))
    path = tmp_path / f"r{period}.csv"
    write_csv(path, report_rows(w["works"], w["licence"], n, w["clock"]()))
    r = lic.usage.record_report(path, w["cmo"], period)
    Royalties(env.ledger("governor")).mint(env.addresses["licensee"], r.totals.owed)
    lic.pay(w["cmo"], period, r.totals.owed)
    dist, _r, _cid = Royalties(env.ledger("cmo")).distribute(period)
    assert dist.total > 0 and len(dist.claims) >= 2


def restart(env: LedgerEnv) -> None:
    p = cli(env, "node", "stop", "--json")
    assert p.returncode == 0 and json.loads(p.stdout) == {"stopped": True}, p.stderr
    p = cli(env, "node", "start", "--json")
    assert p.returncode == 0, p.stderr


def verify_cli(env: LedgerEnv, period: int) -> dict:
    p = cli(env, "royalty", "verify", "--cmo", env.addresses["cmo"], "--period", str(period), "--json")
    assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
    return json.loads(p.stdout)


def test_royalty_verify_of_past_periods_after_restarts_and_an_upgrade(own_env, tmp_path):
    env = own_env
    url = env.settings.network.rpc_url
    w = world(env, "past", n_works=6)
    periods = (202601, 202602)
    for period in periods:
        distribute_period(env, w, period, tmp_path)
    led = env.ledger()
    roy = Royalties(led)
    closed = {p: roy.pool(w["cmo"], p).closed_block for p in periods}
    before = {p: roy.verify(w["cmo"], p) for p in periods}
    assert all(v.ok for v in before.values()), before
    registry = led.deployment.address("WorkRegistry")
    assert "result" in raw_call_at(url, registry, closed[periods[0]])  # history still in memory

    restart(env)
    # the node lost the state at old blocks: a historical eth_call fails now
    err = raw_call_at(url, registry, closed[periods[0]])
    assert "error" in err, err
    for period in periods:
        out = verify_cli(env, period)
        assert out["ok"] is True and out["recomputed_root"] == before[period].recomputed_root, out

    v1 = env.ledger("alice").register_work(doc("Before the upgrade"), [Holder(env.addresses["alice"], 10000)]).work_id
    env.ledger("registrar").confirm_work(v1)
    payload = payload_of(env.ledger(), env.ledger().work(v1))  # what a certificate of v1 prints
    # a real upgrade: WorkRegistry v2 (predecessor v1) and everything depending on it
    gov = env.ledger("governor")
    old = gov.deployment
    new = deploy_all(gov.chain, gov.signer, env.settings.build_dir, env.settings.deployments_file, previous=old)
    assert new.address("WorkRegistry") != old.address("WorkRegistry")
    # the pool is kept (its open periods go on) and weighs lines through the new lens (R81b)
    assert new.address("RoyaltyPool") == old.address("RoyaltyPool")
    assert new.address("CoverageLens") != old.address("CoverageLens")
    assert {r.address for r in new.history} >= {old.address("WorkRegistry"), old.address("CoverageLens")}
    assert load_deployment(env.settings.deployments_file, "local").address("WorkRegistry") == new.address(
        "WorkRegistry")
    restart(env)  # a second restart (the chain keeps its genesis block: EmbeddedNode._drop_restart_genesis)
    assert "error" in raw_call_at(url, registry, closed[periods[1]])
    for period in periods:
        out = verify_cli(env, period)
        assert out["ok"] is True and out["recomputed_root"] == before[period].recomputed_root, out

    # a v1 work keeps working after v2: show, status, history, transfer, dispute
    alice = env.ledger("alice")
    assert alice.registry.address == new.address("WorkRegistry")
    rec = alice.work(v1)
    assert rec.status == WorkStatus.CONFIRMED and rec.holders == (Holder(env.addresses["alice"], 10000),)
    assert [h.event for h in rec.history] == ["WorkRegistered", "WorkConfirmed"]
    p = cli(env, "work", "show", v1, "--json")
    shown = json.loads(p.stdout)
    assert p.returncode == 0 and shown["status"] == "CONFIRMED" and shown["title"] == "Before the upgrade", shown
    assert verify_payload(env.ledger(), payload) == []  # its certificate still verifies
    # licensed after the upgrade: through the v1 LicenceRegistry, asked through the v1 lens
    lic = Licensing(alice)
    _r, lid = lic.grant(env.addresses["licensee"], [v1], lic.terms(["perform"]))
    c = Licensing(env.ledger()).status(v1, env.addresses["licensee"], "perform")
    assert c.covered and c.licence_id == lid, c
    asked = list(Licensing(env.ledger()).check_many([(v1, "perform"), (v1, "broadcast")],
                                                     licensee=env.addresses["licensee"]))
    assert [x.covered for x in asked] == [True, False] and asked[0].licence_id == lid, asked
    receipt = tmp_path / "v1-receipt.json"
    p = cli(env, "licence", "status", v1, env.addresses["licensee"], "--use", "perform", "--receipt", str(receipt))
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(receipt.read_text())["contracts"]["WorkRegistry"] == old.address("WorkRegistry")
    assert cli(env, "licence", "verify-receipt", str(receipt)).returncode == 0
    alice.transfer_share(v1, env.addresses["bob"], 1000)
    assert env.ledger().work(v1).holders == (Holder(env.addresses["alice"], 9000), Holder(env.addresses["bob"], 1000))
    Protection(alice).open_dispute(v1, b"evidence after the upgrade")
    assert env.ledger().status_of(v1) == WorkStatus.DISPUTED
    # a new work goes to v2, and the history of v1 works still comes from v1
    fresh = alice.register_work(doc("After the upgrade"), [Holder(env.addresses["alice"], 10000)])
    assert env.ledger().work(fresh.work_id).status == WorkStatus.PENDING
    assert alice.registry_for(fresh.work_id).address == new.address("WorkRegistry")
    assert alice.registry_for(v1).address == old.address("WorkRegistry")
    # the v1 pool's periods still verify after the new facts (holders changed after the close),
    # and a holder claims from the v1 pool after the upgrade
    for period in periods:
        assert Royalties(env.ledger()).verify(w["cmo"], period).ok
    bob = Royalties(env.ledger("bob"))
    before_claim = bob.token_balance(env.addresses["bob"])
    _r, amount = bob.claim(w["cmo"], periods[0])
    assert amount > 0 and bob.token_balance(env.addresses["bob"]) == before_claim + amount
