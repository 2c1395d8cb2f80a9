"""Payments, blanket distribution, verification and claims over real anvil (R95-R99)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ledger.content.canonical import canonical_json
from ledger.content.merkle import MerkleTree
from ledger.core import errors as E
from ledger.domain.royalties import ClaimEntry, Distribution, Royalties, claim_leaf
from ledger.domain.usage import PreparedReport, Usage, report_document
from tests.sdk.test_usage import report_rows, world, write_csv


@pytest.fixture(scope="module")
def env(ledger_env):
    return ledger_env


@pytest.fixture(scope="module")
def w(env):
    return world(env, "royalties")


def sdk(env, name):
    led = env.ledger(name)
    return Royalties(led, Usage(led))


def report_and_pay(env, w, period, tmp_path, n=2000):
    lic = sdk(env, "licensee")
    path = tmp_path / f"r{period}.csv"
    write_csv(path, report_rows(w["works"], w["licence"], n, w["clock"]()))
    r = lic.usage.record_report(path, w["cmo"], period)
    sdk(env, "governor").mint(env.addresses["licensee"], r.totals.owed)
    lic.pay(w["cmo"], period, r.totals.owed)
    return r


def test_distribution_of_2000_lines_verifies_and_holders_claim(env, w, tmp_path):
    period = 920001
    r = report_and_pay(env, w, period, tmp_path)
    lic, cmo = sdk(env, "licensee"), sdk(env, "cmo")
    bal = lic.account(w["cmo"], period, env.addresses["licensee"])
    assert bal.owed == bal.paid == r.totals.owed and bal.outstanding == 0
    dist, res, cid = cmo.distribute(period)
    p = cmo.pool(w["cmo"], period)
    assert p.state == "DISTRIBUTED" and p.root == dist.root
    assert p.commission == r.totals.owed * 1000 // 10000
    assert p.commission + dist.total + dist.residue == p.paid_in and p.residue == dist.residue
    accounts = {c.account for c in dist.claims}
    assert accounts == {env.addresses["alice"], env.addresses["bob"]}
    v = sdk(env, "auditor").verify(w["cmo"], period)
    assert v.ok, v.problems
    assert v.recomputed_cid == cid == v.published_cid
    for name in ("alice", "bob"):
        who = sdk(env, name)
        before = who.token_balance(env.addresses[name])
        _r, amount = who.claim(w["cmo"], period)
        assert who.token_balance(env.addresses[name]) == before + amount > before
    p = cmo.pool(w["cmo"], period)
    # everything distributed is claimed; the rounding residue went to the CMO's carry
    assert p.claimed == dist.total and p.held == 0 and cmo.carry_of(w["cmo"]) >= dist.residue


def test_claim_twice_refused(env, w, tmp_path):
    period = 920002
    report_and_pay(env, w, period, tmp_path, n=40)
    sdk(env, "cmo").distribute(period)
    alice = sdk(env, "alice")
    alice.claim(w["cmo"], period)
    with pytest.raises(E.InvalidState):
        alice.claim(w["cmo"], period)
    info = alice.claimable(w["cmo"], period, env.addresses["alice"])
    with pytest.raises(E.ContractError) as exc:  # and the contract refuses it too
        alice.ledger.chain.transact(alice.pool_contract.functions.claim(
            w["cmo"], period, info.amount, [bytes.fromhex(x[2:]) for x in info.proof]), alice.ledger.signer)
    assert exc.value.name == "RoyaltyPool__AlreadyClaimed"


def test_nothing_to_claim_for_a_non_holder(env, w, tmp_path):
    period = 920003
    report_and_pay(env, w, period, tmp_path, n=20)
    sdk(env, "cmo").distribute(period)
    with pytest.raises(E.InputError):
        sdk(env, "rando").claim(w["cmo"], period)


def _publish_tampered(env, w, period, change) -> Distribution:
    """The CMO publishes a distribution whose claims `change` altered (a cheating CMO)."""
    cmo = sdk(env, "cmo")
    cmo.close(period)
    honest = cmo.compute(w["cmo"], period)
    claims = change(list(honest.claims))
    doc = json.loads(honest.document)
    tree = MerkleTree.build([claim_leaf(w["cmo"], period, c.account, c.amount) for c in claims])
    doc["claims"] = [{"account": c.account, "amount": str(c.amount)} for c in claims]
    doc["root"] = tree.root_hex
    bad = dataclasses.replace(honest, claims=tuple(claims), tree=tree, document=canonical_json(doc),
                              total=sum(c.amount for c in claims))
    cmo.publish(bad)
    return bad


def test_verify_detects_changed_distribution_file(env, w, tmp_path):
    period = 920004
    report_and_pay(env, w, period, tmp_path, n=30)

    def move_one(claims):
        a, b = claims
        return [ClaimEntry(a.account, a.amount + 1), ClaimEntry(b.account, b.amount - 1)]

    _publish_tampered(env, w, period, move_one)
    v = sdk(env, "auditor").verify(w["cmo"], period)
    assert not v.ok
    assert any("root mismatch" in p for p in v.problems)
    assert any(env.addresses["alice"] in p for p in v.problems)


def test_verify_detects_wrong_root(env, w, tmp_path):
    period = 920005
    report_and_pay(env, w, period, tmp_path, n=30)
    cmo = sdk(env, "cmo")
    cmo.close(period)
    honest = cmo.compute(w["cmo"], period)
    wrong = MerkleTree.build([b"\x42" * 32, b"\x43" * 32])
    cmo.publish(dataclasses.replace(honest, tree=wrong))  # the file is honest, the root is not
    v = sdk(env, "auditor").verify(w["cmo"], period)
    assert not v.ok and any("root" in p for p in v.problems)
    # and no holder can claim against the wrong root
    with pytest.raises(E.ContractError):
        sdk(env, "alice").claim(w["cmo"], period)


def test_verify_detects_changed_report_line(env, w, tmp_path):
    period = 920006
    lic = sdk(env, "licensee")
    path = tmp_path / "x.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 30, w["clock"]()))
    prepared = lic.usage.prepare_file(path, w["cmo"], period)
    lines = list(prepared.lines)
    lines[5] = dataclasses.replace(lines[5], quantity=lines[5].quantity + 100)  # the stored file lies
    doc = report_document(prepared.licensee, prepared.cmo, period, lines)
    lic.usage.record_prepared(PreparedReport(**{**prepared.__dict__, "document": doc}))
    sdk(env, "cmo").close(period)
    v = sdk(env, "auditor").verify(w["cmo"], period)
    assert not v.ok and any("its file gives root" in p for p in v.problems)
    with pytest.raises(E.MetadataMismatch):
        sdk(env, "cmo").compute(w["cmo"], period)


def test_pay_refused_without_tokens(env, w):
    with pytest.raises(E.InputError):
        sdk(env, "rando").pay(w["cmo"], 920007, 10**12)


def test_residue_is_explicit_when_shares_round(env, w, tmp_path):
    period = 920008
    lic = sdk(env, "licensee")
    path = tmp_path / "odd.csv"
    write_csv(path, [(w["works"][0], "ai-training", 1, w["clock"]() - 5, "statutory"),
                     (w["works"][3], "ai-training", 1, w["clock"]() - 5, "statutory"),
                     (w["works"][1], "ai-training", 1, w["clock"]() - 5, "statutory")])
    lic.usage.record_report(path, w["cmo"], period)
    sdk(env, "governor").mint(env.addresses["licensee"], 1001)
    lic.pay(w["cmo"], period, 1001)
    dist, _r, _cid = sdk(env, "cmo").distribute(period)
    # net = 1001 - 100 = 901, three works of equal weight: 901/3 does not divide
    assert dist.commission == 100 and dist.total + dist.residue == 901 and dist.residue > 0
    assert sdk(env, "cmo").pool(w["cmo"], period).residue == dist.residue


@pytest.mark.parametrize("data", [
    b"[]", b'"a string"', b"null", b"42", b"[" * 100_000 + b"]" * 100_000,
    b'{"type": "rights-ledger/royalty-distribution", "claims": {"0xab": 1}}',
    b'{"type": "rights-ledger/royalty-distribution", "claims": [[1, 2]]}',
    b'{"type": "rights-ledger/royalty-distribution", "claims": [{"account": 7, "amount": 1}]}',
    b'{"type": "rights-ledger/royalty-distribution", "claims": [{"account": "0x0", "amount": {}}]}',
    b'{"type": "rights-ledger/royalty-distribution", "claims": "all"}',
    b'{"type": "rights-ledger/royalty-distribution"}',
    b"\xff\xfe",
])
def test_a_distribution_file_of_any_shape_is_a_mismatch_not_a_crash(data):
    """The published file is the CMO's own: a member's `royalty claim` and an auditor's replay read it. A JSON
    array or a bare value raised AttributeError (an internal error) instead of 'the file is malformed'."""
    from ledger.domain.royalties import claims_from_document

    with pytest.raises(E.MetadataMismatch, match="malformed"):
        claims_from_document(data)
