"""Protection SDK against a real anvil node: disputes, attestations, generation records,
provenance (SPECIFICATION.md)."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from ledger.core import errors as E
from ledger.core.types import Holder, WorkStatus
from ledger.domain.protection import Protection, merkle_root, sha256_hex
from tests.fixtures.chain import PASSWORD, register_text_work


def _as(env, name: str) -> Protection:
    return Protection(env.ledger(name), tsa=None)


def test_open_and_dismiss_dispute(ledger_env, tmp_path):
    wid = register_text_work(ledger_env, "alice")
    evidence = tmp_path / "evidence.txt"
    evidence.write_text("bob's drafts from 2019")
    d = _as(ledger_env, "bob").open_dispute(wid, evidence)
    led = ledger_env.ledger()
    assert led.status_of(wid) == WorkStatus.DISPUTED
    assert led.store.cat(d.evidence_cid) == evidence.read_bytes()
    assert d.claimant == ledger_env.addresses["bob"]

    ruling = _as(ledger_env, "registrar").resolve_dispute(wid, "dismissed", "no prior work shown")
    assert ruling.dispute_id == d.dispute_id and ruling.outcome == "dismissed"
    assert led.status_of(wid) == WorkStatus.CONFIRMED
    doc = led.metadata(ruling.reason_cid)
    assert doc["reason"] == "no prior work shown" and doc["disputeId"] == d.dispute_id
    (listed,) = _as(ledger_env, "bob").disputes(wid)
    assert listed.outcome == "dismissed" and listed.evidence_cid == d.evidence_cid


def test_resolve_corrected_sets_new_holders(ledger_env):
    wid = register_text_work(ledger_env, "alice")
    _as(ledger_env, "bob").open_dispute(wid, b"joint authorship evidence")
    a, b = ledger_env.addresses["alice"], ledger_env.addresses["bob"]
    _as(ledger_env, "registrar").resolve_dispute(wid, "corrected", "joint work", [f"{a}:6000", f"{b}:4000"])
    rec = ledger_env.ledger().work(wid)
    assert rec.status == WorkStatus.CONFIRMED
    assert set(rec.holders) == {Holder(a, 6000), Holder(b, 4000)}


def test_resolve_revoked(ledger_env):
    wid = register_text_work(ledger_env, "alice")
    _as(ledger_env, "bob").open_dispute(wid, b"the original, published earlier")
    _as(ledger_env, "registrar").resolve_dispute(wid, "revoked", "copied")
    assert ledger_env.ledger().status_of(wid) == WorkStatus.REVOKED


def test_open_dispute_refused_for_role_less_account_stores_nothing(ledger_env):
    wid = register_text_work(ledger_env, "alice")
    evidence = b"rando evidence " + secrets.token_bytes(8)
    with pytest.raises(E.NotAuthorized):
        _as(ledger_env, "rando").open_dispute(wid, evidence)
    from ledger.content.cid import cid_for_bytes

    assert not ledger_env.ledger().store.has(cid_for_bytes(evidence))


def test_resolve_refuses_bad_input(ledger_env):
    wid = register_text_work(ledger_env, "alice")
    reg = _as(ledger_env, "registrar")
    with pytest.raises(E.InputError):
        reg.resolve_dispute(wid, "maybe", "x")
    with pytest.raises(E.InputError):
        reg.resolve_dispute(wid, "corrected", "x")
    with pytest.raises(E.InvalidState):  # not disputed
        reg.resolve_dispute(wid, "dismissed", "x")


def test_attest_without_tsa_and_refuse_twice(ledger_env):
    p = _as(ledger_env, "bob")
    digest = sha256_hex(secrets.token_bytes(16))
    rec = p.attest(digest, "inputs", document=b"prompt list")
    assert rec.attester == ledger_env.addresses["bob"] and rec.kind == "inputs" and rec.tsa_token_cid is None
    assert ledger_env.ledger().store.cat(rec.cid) == b"prompt list"
    with pytest.raises(E.ContractError) as info:
        _as(ledger_env, "bob").attest(digest)
    assert info.value.name == "AttestationRegistry__AlreadyAttested"
    # every attester keeps its own earliest attestation (issue 12 finding 6): bob's does not block alice's
    mine = _as(ledger_env, "alice").attest(digest)
    assert mine.attester == ledger_env.addresses["alice"] and mine.cid is None
    assert _as(ledger_env, "alice").attestation(digest).attester == ledger_env.addresses["bob"]


def test_attest_refused_without_role(ledger_env):
    with pytest.raises(E.ContractError) as info:
        _as(ledger_env, "rando").attest(sha256_hex(b"rando"))
    assert info.value.name == "AttestationRegistry__NoLedgerRole"


def test_generation_record_and_provenance(ledger_env):
    wid = register_text_work(ledger_env, "bob", mode="ai-assisted")
    inputs = [hashlib.sha256(p).digest() for p in (b"prompt one", b"sketch.png")]
    root = "0x" + merkle_root(inputs).hex()
    p = _as(ledger_env, "bob")
    g = p.record_generation(wid, "example-diffusion", "2.1", root, wid, {"seed": 42, "steps": 30},
                            attest_hashes=True)
    assert g.generator == ledger_env.addresses["bob"] and g.inputs_root == root and g.output_hash == wid
    assert ledger_env.ledger().metadata(g.params_cid) == {"seed": 42, "steps": 30}
    prov = p.provenance(wid)
    assert [x.record_id for x in prov.generations] == [g.record_id]
    assert prov.attestations[root] is not None and prov.attestations[root].kind == "inputs"
    assert prov.attestations[wid] is not None and prov.attestations[wid].kind == "output"
    assert prov.work.confirmed is not None


def test_generation_refused_for_non_holder(ledger_env):
    wid = register_text_work(ledger_env, "alice")
    with pytest.raises(E.ContractError) as info:
        _as(ledger_env, "bob").record_generation(wid, "m", "1", sha256_hex(b"i"), sha256_hex(b"o"))
    assert info.value.name == "AttestationRegistry__NotHolderOrRegistrant"


def test_merkle_root_is_order_independent_and_leaves_are_separated_from_nodes():
    a, b, c = (hashlib.sha256(x).digest() for x in (b"a", b"b", b"c"))
    assert merkle_root([a, b, c]) == merkle_root([c, a, b])
    lo, hi = sorted([a, b])
    assert merkle_root([a, b]) != merkle_root([hashlib.sha256(lo + hi).digest()])  # tests/sdk/test_merkle.py
    with pytest.raises(E.InputError):
        merkle_root([])


_ = PASSWORD
