"""The full audit on a private anvil node: a history with every event type of every
deployed contract (roles and their mirror, works, attestations, licences, mandates,
offers, tariffs, usage, payments, distributions, claims, token transfers) replays with no
mismatch and no event left unreduced; tampering with the store or forging a distribution
root is reported, by the API and by ``rights-ledger audit replay --json``."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_utils import keccak

from ledger.audit import audit
from ledger.content.cid import cid_to_bytes
from ledger.content.metadata import build_work_metadata
from ledger.content.timestamp import TsaClient
from ledger.core.artifacts import LEDGER_CONTRACTS, load_artifact
from ledger.core.types import Holder
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection, merkle_root, sha256_hex
from ledger.domain.royalties import Royalties
from ledger.domain.usage import Usage
from tests.fixtures.chain import make_env
from tests.fixtures.tsa import local_tsa  # noqa: F401  (fixture)

RL = [str(Path(sys.executable).with_name("rights-ledger"))]
NEVER_EMITTED = {"EIP712DomainChanged"}  # declared by EIP-5267; the domain never changes
# Governance events of a registry upgrade and of a listener removal or failure: this history
# keeps one registry and one listener (they are exercised by the contract tests
# test_registration_versions.py, test_role_mirror.py and test_royalties.py (LensChanged), not
# replayed here).
NOT_IN_THIS_HISTORY = {"RegistryRetired", "RoleListenerRemoved", "RoleListenerFailed", "RoleMirrorDisabled",
                       "LensChanged",
                       # the near-duplicate flag and override (R27): tests/contracts/test_near_duplicates.py,
                       # tests/cli/test_desk_cli.py, reduced by ledger/audit/works.py
                       "NearDuplicateFlagged", "NearDuplicateOverridden"}
PERIOD, FORGED_PERIOD = 202501, 202502


def _doc(who, seed, mode="human"):
    data = seed.encode()
    ai = {"models": [{"name": "m", "version": "1"}], "tools": []} if mode != "human" else None
    return build_work_metadata(title=seed, creators=[{"name": who, "role": "author"}], work_type="text",
                               content_sha256=hashlib.sha256(data).hexdigest(), creation_mode=mode,
                               ai_declaration=ai)


def _register(led, who, seed, holders=None, mode="human"):
    return led.register_work(_doc(who, seed, mode), holders or [Holder(led.require_signer().address, 10000)])


def _all_event_names() -> set[str]:
    build = Path(__file__).resolve().parents[2] / "build" / "contracts"
    return {e["name"] for n in LEDGER_CONTRACTS for e in load_artifact(build, n).abi if e["type"] == "event"}


@pytest.fixture(scope="module")
def history(tmp_path_factory, local_tsa):  # noqa: F811
    env = make_env(tmp_path_factory.mktemp("audit-full-home"))
    a = env.addresses
    leds: dict = {}

    def L(name):  # one Ledger (one nonce counter) per account
        if name not in leds:
            leds[name] = env.ledger(name)
        return leds[name]

    gov, reg = L("governor"), L("registrar")
    gov.grant_role("AUDITOR", a["rando"])
    gov.revoke_role("AUDITOR", a["rando"])
    gov.grant_role("CMO", a["rando"])  # a mirrored role granted and revoked: RoleMirrored both ways
    gov.revoke_role("CMO", a["rando"])

    # works: registration, confirmation, rejection, consent + transfer, reservation, disputes
    alice = L("alice")
    poem = _register(alice, "alice", "poem")
    reg.confirm_work(poem.work_id)
    rejected = _register(alice, "alice", "rejected")
    reg.reject_work(rejected.work_id, "duplicate of an earlier work")
    co = _register(alice, "alice", "co-owned", [Holder(a["alice"], 6000), Holder(a["bob"], 4000)], mode="ai-assisted")
    reg.confirm_work(co.work_id)
    song = _register(alice, "alice", "song")
    reg.confirm_work(song.work_id)
    L("bob").consent(co.work_id, alice.transfer_action_hash(co.work_id, a["alice"], a["bob"], 1000))
    alice.transfer_share(co.work_id, a["bob"], 1000)
    alice.reserve_uses(poem.work_id, ["ai-training"])
    p_reg = Protection(reg, tsa=None)
    Protection(L("bob"), tsa=None).open_dispute(poem.work_id, b"bob's evidence")
    p_reg.resolve_dispute(poem.work_id, "dismissed", "no earlier work shown")
    Protection(L("bob"), tsa=None).open_dispute(poem.work_id, b"bob's second try")
    p_reg.resolve_dispute(poem.work_id, "corrected", "joint work", [f"{a['alice']}:5000", f"{a['bob']}:5000"])

    # competing claims (issue 12 finding 6): one awarded to the competitor, one dismissed
    contested = _register(alice, "alice", "contested")
    bobs = [Holder(a["bob"], 10000)]
    L("bob").file_claim(_doc("bob", "contested"), bobs)
    reg.award_claim(a["bob"], _doc("bob", "contested"), bobs)
    in_vain = _register(alice, "alice", "claimed in vain")
    L("bob").file_claim(_doc("bob", "claimed in vain"), bobs)
    reg.dismiss_claims(in_vain.work_id, [a["bob"]], "alice showed earlier drafts")
    reg.confirm_work(in_vain.work_id)
    assert contested.work_id != in_vain.work_id

    # attestations
    bob_p = Protection(L("bob"), tsa=TsaClient(local_tsa.url))
    root = "0x" + merkle_root([hashlib.sha256(b"prompt").digest(), hashlib.sha256(b"sketch").digest()]).hex()
    bob_p.record_generation(co.work_id, "example-diffusion", "2.1", root, co.work_id, {"seed": 7}, attest_hashes=True)
    later = sha256_hex(b"attested now, stamped later")
    bob_p.attest(later, "evidence", timestamp=False)
    bob_p.link_timestamp(later)

    # licensing
    roy_gov = Royalties(gov)
    l_gov, l_alice, l_bob = Licensing(gov), Licensing(alice), Licensing(L("bob"))
    l_cmo, l_lic = Licensing(L("cmo")), Licensing(L("licensee"))
    l_gov.set_settlement_token(roy_gov.token_address)
    l_gov.set_tariff("ai-training", 2_000_000, 86400 * 30)
    _, work_lic = l_alice.grant(a["licensee"], [song.work_id],
                                l_alice.terms(["perform"], rate_per_use=1_000, territories="DE,FR"))
    _, list_lic = l_alice.grant(a["licensee"], [song.work_id, poem.work_id],
                                l_alice.terms(["display"], scope="list", terms_text="a list licence"))
    l_alice.suspend(list_lic, "unpaid invoice")
    l_alice.resume(list_lic)
    l_alice.suspend(list_lic, "unpaid again")
    l_alice.revoke(list_lic, "terminated")
    l_alice.mandate(song.work_id, a["cmo"], ["broadcast", "communicate"])
    l_bob.mandate(co.work_id, a["cmo"], ["broadcast", "ai-training"])
    l_bob.withdraw_mandate(co.work_id, a["cmo"], l_gov.now() + 86400 * 365)  # effective in a year
    _, rep_lic = l_cmo.grant(a["licensee"], [], l_cmo.terms(["broadcast"], scope="repertoire", rate_per_use=500))
    terms_doc = alice.store.add(b"CC-BY-4.0 legal code (abridged)")
    _, open_lic = l_alice.publish_open(song.work_id, ["reproduce"], "CC-BY-4.0", terms_cid=terms_doc)
    roy_gov.mint(a["licensee"], 100_000_000)
    offer = l_alice.make_offer(a["licensee"], [song.work_id], l_alice.terms(["adapt"], flat_fee=3_000_000))
    _, offer_lic = l_lic.accept(offer)  # Approval, Transfer (fee in the settlement token), OfferAccepted
    cancelled = l_alice.make_offer(None, [song.work_id], l_alice.terms(["translate"]))
    l_alice.cancel_offer(cancelled.nonce)

    # usage, payments, distribution, claims
    usage = Usage(L("licensee"))
    now = l_lic.now()
    # UsageRecorded: a line that counts for the CMO (its blanket licence, the song mandated for broadcast)
    usage.record(song.work_id, "broadcast", 7, now, a["cmo"], PERIOD, territory="DE")
    csv = env.home / "usage.csv"
    rows = ["work,use,quantity,usedAt,territory"]
    rows += [f"{co.work_id},ai-training,{1 + i % 3},{now},DE" for i in range(20)]
    rows += [f"{song.work_id},broadcast,2,{now},FR", f"{song.work_id},perform,4,{now},FR"]
    csv.write_text("\n".join(rows) + "\n")
    report = usage.record_report(csv, a["cmo"], PERIOD)  # UsageReportRecorded
    roy_lic = Royalties(L("licensee"))
    owed = roy_lic.account(a["cmo"], PERIOD, a["licensee"]).owed
    roy_lic.pay(a["cmo"], PERIOD, owed)
    roy_gov.set_commission(1_500)
    roy_cmo = Royalties(L("cmo"))
    dist, _w, dist_cid = roy_cmo.distribute(PERIOD)
    for who in ("alice", "bob"):
        Royalties(L(who)).claim(a["cmo"], PERIOD)
    # a second period, closed but not distributed yet (the forged-root test publishes it)
    usage.record(co.work_id, "ai-training", 3, l_lic.now(), a["cmo"], FORGED_PERIOD)
    refused = usage.record(co.work_id, "ai-training", 1, l_lic.now(), a["cmo"], FORGED_PERIOD)
    roy_cmo.refuse(refused.report_id, "duplicate of the line before")  # ReportRefused
    roy_lic.pay(a["cmo"], FORGED_PERIOD, 6_000_000)
    roy_cmo.close(FORGED_PERIOD)  # CarryApplied: PERIOD's rounding residue
    # three years on, the CMO sweeps what holders left unclaimed in PERIOD into its carry
    gov.w3.provider.make_request("evm_increaseTime", [3 * 365 * 86400 + 10])
    gov.w3.provider.make_request("evm_mine", [])
    roy_cmo.sweep(PERIOD)  # UnclaimedSwept
    yield env, {"poem": poem, "co": co, "song": song, "report": report, "dist": dist, "dist_cid": dist_cid,
                "licences": {"work": work_lic, "list": list_lic, "repertoire": rep_lic, "open": open_lic,
                             "offer": offer_lic}, "terms_doc": terms_doc}
    env.node.stop()


def _tampered(env, cid, tmp_path, change):
    """Audit with the block of ``cid`` changed by ``change(path)``; restore it after."""
    path = env.ledger().store.block_path(cid)
    saved = tmp_path / "saved-block"
    shutil.copy(path, saved)
    try:
        change(path)
        return audit(env.ledger()).mismatches
    finally:
        shutil.copy(saved, path)


def test_full_history_replays_clean_with_every_event_reduced(history):
    env, h = history
    report = audit(env.ledger())
    assert report.mismatches == [], [m.line() for m in report.mismatches]
    assert report.state.unreduced == {}, report.state.unreduced
    assert _all_event_names() - NEVER_EMITTED - NOT_IN_THIS_HISTORY <= set(report.state.counts), \
        _all_event_names() - NEVER_EMITTED - NOT_IN_THIS_HISTORY - set(report.state.counts)
    lic = report.state.section("licences")
    (reg,) = lic.values()
    assert reg["licences"][str(h["licences"]["list"])]["state"] == 3
    assert reg["licences"][str(h["licences"]["open"])]["code"] == "CC-BY-4.0"
    assert reg["licences"][str(h["licences"]["offer"])]["offer"]
    assert list(reg["offers"].values()).count(2) == 1
    (pool,) = report.state.section("royalties").values()
    p = pool["pools"][f"{env.addresses['cmo']}:{PERIOD}"]
    assert p["state"] == 3 and p["root"] == h["dist"].root and len(p["claims"]) == 2
    assert report.state.section("roles")["listeners"]
    again = audit(env.ledger())
    assert again.digest == report.digest
    print(f"\nfull history: {report.state.events} events replayed in {report.replay_seconds:.3f}s "
          f"({report.rate:,.0f} events/s), checks {report.check_seconds:.2f}s")


def test_changed_usage_report_file_is_reported(history, tmp_path):
    env, h = history
    cid = h["report"].cid
    found = _tampered(env, cid, tmp_path, lambda p: p.write_bytes(p.read_bytes().replace(b'"4"', b'"5"', 1)
                                                                   .replace(b",4,", b",5,", 1)))
    kinds = {m.kind for m in found}
    assert "blob-changed" in kinds, [m.line() for m in found]
    blob = next(m for m in found if m.kind == "blob-changed")
    assert cid in blob.where and f"usage report {h['report'].report_id}" in blob.where and str(PERIOD) in blob.where
    dist = [m for m in found if m.kind == "distribution"]
    assert dist and str(PERIOD) in dist[0].where and env.addresses["cmo"] in dist[0].where


def test_changed_distribution_file_is_reported(history, tmp_path):
    env, h = history
    cid = h["dist_cid"]
    alice = env.addresses["alice"]

    def change(p):
        doc = json.loads(p.read_bytes())
        doc["claims"][0]["amount"] = str(int(doc["claims"][0]["amount"]) + 1)
        p.write_bytes(json.dumps(doc).encode())

    found = _tampered(env, cid, tmp_path, change)
    assert {m.kind for m in found} == {"blob-changed", "distribution"}, [m.line() for m in found]
    assert all(str(PERIOD) in m.where and env.addresses["cmo"] in m.where for m in found)
    assert any("published file" in m.what for m in found)
    assert alice  # the file is restored by _tampered


def test_missing_terms_document_is_reported(history, tmp_path):
    env, h = history
    cid = h["terms_doc"]
    found = _tampered(env, cid, tmp_path, lambda p: p.unlink())
    assert [m.kind for m in found] == ["blob-missing"], [m.line() for m in found]
    assert cid in found[0].where and f"open licence {h['licences']['open']}" in found[0].where


def test_forged_replayed_state_is_reported_by_each_check(history):
    from ledger.audit import State, apply, run_checks
    from ledger.audit.core import fetch_events

    env, h = history
    led = env.ledger()
    events = []
    fetch_events(led, led.deployment.first_block, led.chain.block_number(), lambda _end, evs: events.extend(evs))
    state = apply(State(), events)
    a = env.addresses
    (reg,) = state.section("licences").values()
    reg["licences"][str(h["licences"]["work"])]["ratePerUse"] = "999"
    reg["mandates"][f"{h['co'].work_id}:{a['cmo']}"]["until"] = (1 << 40) - 1
    (pool,) = state.section("royalties").values()
    pool["pools"][f"{a['cmo']}:{PERIOD}"]["paidIn"] = "1"
    (token,) = state.section("tokens").values()
    token["balances"][a["alice"]] = str(int(token["balances"][a["alice"]]) + 1)
    (mirror,) = state.section("roles")["listeners"].values()
    mirror[next(iter(mirror))][a["rando"]] = True
    found = run_checks(state, led, skip=("blobs",))
    lines = [m.line() for m in found]
    expected = [(f"licence {h['licences']['work']}", "ratePerUse differs"),
                (f"mandate of work {h['co'].work_id}", "mandate (uses, from, until) differs"),
                (f"period {PERIOD} of CMO {a['cmo']}", "paidIn differs"),
                (f"period {PERIOD} of CMO {a['cmo']}",
                 "paid in + carried in is not commission + distributed + residue"),
                (f"token balance of {a['alice']}", "balance differs"),
                (f"for {a['rando']}", "the replayed mirror differs from LedgerRoles")]
    for where, what in expected:
        assert any(where in m.where and m.what == what for m in found), (where, what, lines)


def test_cli_exits_0_on_the_clean_history(history):
    env, _ = history
    p = subprocess.run([*RL, "audit", "replay", "--json"], env=env.env(), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    assert p.returncode == 0, p.stderr + p.stdout
    doc = json.loads(p.stdout)
    assert doc["clean"] and doc["eventsWithoutReducer"] == {}


def test_forged_distribution_root_is_reported_and_fails_the_cli(history):
    """Runs last: it publishes a distribution whose root is not the recomputed one."""
    env, _ = history
    cmo = env.addresses["cmo"]
    led = env.ledger("cmo")
    roy = Royalties(led)
    honest = roy.compute(cmo, FORGED_PERIOD)
    cid = led.store.add(honest.document)
    forged = keccak(b"forged root")
    led.chain.transact(roy.pool_contract.functions.publishDistribution(FORGED_PERIOD, forged, honest.total,
                                                                       cid_to_bytes(cid)), led.require_signer())
    t0 = time.perf_counter()
    found = audit(env.ledger()).mismatches
    assert time.perf_counter() - t0 < 60
    roots = [m for m in found if m.kind == "distribution" and "root" in m.what]
    assert roots, [m.line() for m in found]
    m = next(m for m in roots if "recomputed" in m.what)
    assert str(FORGED_PERIOD) in m.where and cmo in m.where
    assert m.expected == honest.root and m.actual == "0x" + forged.hex()
    p = subprocess.run([*RL, "audit", "replay", "--json"], env=env.env(), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    assert p.returncode == 1, p.stderr + p.stdout
    doc = json.loads(p.stdout)
    assert not doc["clean"]
    assert any(x["kind"] == "distribution" and str(FORGED_PERIOD) in x["where"] for x in doc["mismatches"])
