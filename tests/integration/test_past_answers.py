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

import pytest
import requests
from eth_utils import function_signature_to_4byte_selector

from ledger.content.merkle import MerkleTree
from ledger.core.deploy import deploy_all
from ledger.core.deployments import load_deployment
from ledger.core.errors import LedgerError
from ledger.core.types import USES, Holder, WorkStatus
from ledger.domain.certificate import payload_of, verify_payload
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection
from ledger.domain.royalties import Royalties
from ledger.domain.usage import (
    KIND_BLANKET,
    KIND_STATUTORY,
    KIND_WORK,
    PreparedReport,
    Totals,
    Usage,
    UsageLine,
    UsageRefused,
    report_document,
)
from tests.fixtures.chain import LedgerEnv
from tests.integration.test_restart import cli, doc
from tests.sdk.test_usage import RATE, TARIFF, report_rows, world, write_csv

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


RATE2 = 11  # per perform use under the CMO's blanket licence of LicenceRegistry v2


def test_usage_of_a_v1_work_after_an_upgrade_is_priced_in_its_version_and_paid_to_its_holders(own_env, tmp_path):
    """R81c: after an upgrade a usage report with lines for works of v1 is accepted and priced by
    the v1 LicenceRegistry (the one bound to the work's registry), the royalties go to those
    works' holders; and a licence id is never read in another version, where the same number is
    another licence: a licensee who cites the v2 blanket licence's id for a v1 work that licence
    does not cover (the id is, in v1, a list licence that does not list it) gains nothing."""
    env, a = own_env, own_env.addresses
    w = world(env, "v1-usage", n_works=6)  # v1: mandates (perform, ai-training), ai tariff, list licence L
    works, licence_l, cmo = w["works"], w["licence"], w["cmo"]
    gov = env.ledger("governor")
    old = gov.deployment
    new = deploy_all(gov.chain, gov.signer, env.settings.build_dir, env.settings.deployments_file, previous=old)
    assert new.address("LicenceRegistry") != old.address("LicenceRegistry")
    # v2: bob's work mandated to the CMO there, and the CMO's blanket licence with L's number
    bob = env.ledger("bob")
    v2w = bob.register_work(doc("A work of v2"), [Holder(a["bob"], 10000)]).work_id
    env.ledger("registrar").confirm_work(v2w)
    Licensing(bob).mandate(v2w, cmo, ["perform"])
    cmo_lic = Licensing(env.ledger("cmo"))
    now = w["clock"]()
    _r, blanket = cmo_lic.grant(a["licensee"], [], cmo_lic.terms(["perform"], scope="repertoire", start=now - 10,
                                                                 rate_per_use=RATE2))
    assert blanket == licence_l  # one number, two licences (one per LicenceRegistry version)
    # the v1 tariff (set before the upgrade) is still read as in force at a past time (TR5a)
    assert Licensing(env.ledger()).tariff_at("ai-training", now - 5)["amountPerWork"] == TARIFF
    p = cli(env, "tariff", "show", "--use", "ai-training", "--at", str(now - 5), "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["version"]["amountPerWork"] == TARIFF, p.stdout + p.stderr
    gov.w3.provider.make_request("evm_increaseTime", [600])
    gov.w3.provider.make_request("evm_mine", [])
    at = w["clock"]() - 60
    period = 202603
    usage = Usage(env.ledger("licensee"))

    # an honest report after the upgrade: two v1 works under L, a v1 work under the v1 tariff,
    # the v2 work under the v2 blanket licence
    path = tmp_path / "after-upgrade.csv"
    write_csv(path, [(works[0], "perform", 2, at, licence_l), (works[1], "perform", 3, at, licence_l),
                     (works[5], "ai-training", 1, at, "statutory"), (v2w, "perform", 4, at, "")])
    rec = usage.record_report(path, cmo, period)
    got = [(ln.work_id, ln.licence_id, ln.kind, ln.owed) for ln in rec.lines]
    assert got == [(works[0], licence_l, KIND_WORK, 2 * RATE), (works[1], licence_l, KIND_WORK, 3 * RATE),
                   (works[5], 0, KIND_STATUTORY, TARIFF), (v2w.lower(), blanket, KIND_BLANKET, 4 * RATE2)], got
    # one line for a v1 work: the pool's lens reads v2 only (recordUsage would revert), so it
    # goes in as a one-line report, priced the same way
    single = usage.record(works[2], "perform", 1, at, cmo, period)
    assert single.cid is not None and [(ln.licence_id, ln.kind, ln.owed) for ln in single.lines] == [
        (licence_l, KIND_WORK, RATE)], single
    with pytest.raises(LedgerError, match="LineNotEligible"):  # what recordUsage says of it
        usage.ledger.transact(usage.pool.functions.recordUsage(cmo, period, single.lines[0].as_tuple()))
    # while a line for the v2 work still goes through recordUsage (checked on chain)
    on_chain = usage.record(v2w, "perform", 1, at, cmo, period)
    assert on_chain.cid is None and on_chain.lines[0].owed == RATE2, on_chain
    # the SDK does not let the v2 blanket licence cover a v1 work (it is mandated in v1 only)
    refused = tmp_path / "refused.csv"
    write_csv(refused, [(works[5], "perform", 5, at, blanket)])
    try:
        usage.record_report(refused, cmo, period)
        raise AssertionError("a use of a v1 work that no v1 licence covers was accepted")
    except UsageRefused as exc:
        assert "not covered" in exc.refusals[0].reason, exc.refusals

    # the attack: a report written by hand (past the SDK's check) that cites the number of the
    # cheap v2 blanket licence for works[5] (mandated to the CMO in v1, licensed by nobody)
    lines = (UsageLine(0, works[5], USES["perform"], 5, at, blanket, KIND_BLANKET, 5 * RATE2),)
    tree = MerkleTree.build([ln.leaf() for ln in lines])
    crafted = PreparedReport(a["licensee"], cmo, period, lines, tree, Totals(1, 5, 5 * RATE2),
                             report_document(a["licensee"], cmo, period, lines))
    usage.record_prepared(crafted)

    paid = rec.totals.owed + RATE + RATE2 + 5 * RATE2
    Royalties(gov).mint(a["licensee"], paid)
    Royalties(env.ledger("licensee")).pay(cmo, period, paid)
    dist, _r, _cid = Royalties(env.ledger("cmo")).distribute(period)
    doc_ = json.loads(dist.document)
    weights = {x["work"]: int(x["weight"]) for x in doc_["works"]}
    assert doc_["ineligibleLines"] == 1, doc_  # the crafted line: licence L of v1 is no blanket licence
    assert weights == {works[0]: 2 * RATE, works[1]: 3 * RATE, works[2]: RATE, works[5]: TARIFF,
                       v2w.lower(): 5 * RATE2}, weights
    # each work's weight goes to its own holders (works[0]: alice 60 / bob 40, the others alice;
    # the v2 work: bob), by the distribution rule, computed here independently
    holders = {works[0]: [(a["alice"], 6000), (a["bob"], 4000)], works[1]: [(a["alice"], 10000)],
               works[2]: [(a["alice"], 10000)], works[5]: [(a["alice"], 10000)], v2w.lower(): [(a["bob"], 10000)]}
    net = paid - paid * Royalties(gov).commission_bps() // 10000
    total = sum(weights.values())
    expect: dict[str, int] = {}
    for work, weight in weights.items():
        for who, bps in holders[work]:
            expect[who] = expect.get(who, 0) + net * weight * bps // (total * 10000)
    assert {c.account: c.amount for c in dist.claims} == expect, (dist.claims, expect)
    assert Royalties(env.ledger()).verify(cmo, period).ok
    out = verify_cli(env, period)
    assert out["ok"] is True, out

    # the licensor acts on the v1 licence by naming its work; the v2 licence with that number is untouched
    p = cli(env, "--as", "cmo", "licence", "suspend", str(licence_l), "--work", works[0], "--reason", "audit",
            "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    reader = Licensing(env.ledger())
    assert reader.status(works[0], a["licensee"], "perform").reason == "suspended"
    assert reader.status(v2w, a["licensee"], "perform").covered
    p = cli(env, "--as", "cmo", "licence", "resume", str(licence_l), "--work", works[0], "--json")
    assert p.returncode == 0 and reader.status(works[0], a["licensee"], "perform").covered, p.stdout + p.stderr
    p = cli(env, "--as", "cmo", "licence", "resume", str(licence_l), "--work", "not-a-work")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    # reading: the number alone is the current version's licence, --work names the version
    shown = json.loads(cli(env, "licence", "show", str(licence_l), "--json").stdout)
    assert shown["scope"] == "repertoire" and shown["ratePerUse"] in (RATE2, str(RATE2)), shown
    p = cli(env, "licence", "show", str(licence_l), "--work", works[0], "--json")
    shown = json.loads(p.stdout)
    assert p.returncode == 0 and shown["scope"] != "repertoire" and works[0] in shown["works"], shown
