"""Usage records and reports over a real anvil node and the real contracts (R92-R95)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ledger.core import errors as E
from ledger.core.artifacts import load_artifact
from ledger.core.types import USES
from ledger.domain.usage import KIND_STATUTORY, KIND_WORK, Usage, UsageRefused
from tests.fixtures.chain import own_chain


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory):
    """This module's own chain (statutory tariffs of other tests stay in force: TR5)."""
    yield from own_chain(tmp_path_factory)

FOREVER = (1 << 40) - 1
CID36 = b"\x01\x55\x12\x20" + b"\x33" * 32
TARIFF = 3  # per ai-training use (statutory)
RATE = 7  # per perform use (work licence)


def world(env, tag: str, n_works: int = 20) -> dict:
    """Confirmed works (every third co-owned alice 60 / bob 40) mandated by alice to the CMO for
    perform and ai-training, a statutory ai-training tariff, and the CMO's list licence to the
    licensee for `perform` on the first five works; then the chain clock moves 600 s on, so
    uses "a minute ago" (``w["clock"]()``) fall inside the mandates (only what the CMO licensed
    and was mandated weighs in its distribution)."""
    a = env.addresses
    alice, reg, gov = env.ledger("alice"), env.ledger("registrar"), env.ledger("governor")
    works = ["0x" + hashlib.sha256(f"{tag}-{i}".encode()).hexdigest() for i in range(n_works)]
    regs = []
    for i, w in enumerate(works):
        holders = [(a["alice"], 6000), (a["bob"], 4000)] if i % 3 == 0 else [(a["alice"], 10000)]
        regs.append((bytes.fromhex(w[2:]), CID36, 2, 1, holders))
    for i in range(0, len(regs), 200):
        alice.chain.transact(alice.registry.functions.registerBatch(regs[i:i + 200]), alice.signer)
        ids = [bytes.fromhex(w[2:]) for w in works[i:i + 200]]
        reg.chain.transact(reg.registry.functions.confirmBatch(ids), reg.signer)
    abi = load_artifact(env.settings.build_dir, "LicenceRegistry").abi
    lic = gov.w3.eth.contract(address=gov.deployment.address("LicenceRegistry"), abi=abi)
    gov.chain.transact(lic.functions.setTariff(USES["ai-training"], TARIFF, 86400 * 30, 1, 0), gov.signer)
    for wk in works:
        alice.chain.transact(lic.functions.mandate(bytes.fromhex(wk[2:]), a["cmo"],
                                                   USES["perform"] | USES["ai-training"]), alice.signer)
    cmo = env.ledger("cmo")
    # blanket licences the CMO granted the licensee in earlier modules would now cover these
    # mandated works before the tariff: end them, so statutory lines are priced by the tariff
    for lid in lic.functions.blanketLicencesOf(a["licensee"], a["cmo"]).call():
        if lic.functions.licence(lid).call()[4] != 3:
            cmo.chain.transact(lic.functions.revoke(lid, "usage test world"), cmo.signer)
    terms = (2, USES["perform"], 1, FOREVER, False, 0, RATE, b"", CID36)
    cmo.chain.transact(
        lic.functions.grant(a["licensee"], [bytes.fromhex(w[2:]) for w in works[:5]], terms), cmo.signer)
    licence_id = int(lic.functions.licenceCount().call())
    w3 = gov.w3
    w3.provider.make_request("evm_increaseTime", [600])
    w3.provider.make_request("evm_mine", [])
    return {"works": works, "licence": licence_id, "cmo": a["cmo"],
            "clock": lambda: int(w3.eth.get_block("latest")["timestamp"])}


def write_csv(path, rows) -> None:
    lines = ["work,use,quantity,usedAt,basis"]
    lines += [f"{w},{u},{q},{at},{b}" for w, u, q, at, b in rows]
    path.write_text("\n".join(lines) + "\n")


def report_rows(works, licence, n: int, now: int):
    """n lines: perform under the licence on works 0-4, ai-training (statutory) on all works."""
    rows = []
    for i in range(n):
        if i % 2 == 0:
            rows.append((works[i % 5], "perform", 1 + i % 4, now - 60 - i % 50, licence))
        else:
            rows.append((works[i % len(works)], "ai-training", 1 + i % 3, now - 60, "statutory"))
    return rows


@pytest.fixture(scope="module")
def env(ledger_env):
    return ledger_env


@pytest.fixture(scope="module")
def w(env):
    return world(env, "usage")


@pytest.fixture(scope="module")
def usage(env):
    return Usage(env.ledger("licensee"))


def test_record_single_line_then_prove(usage, w):
    now = w["clock"]()
    r = usage.record(w["works"][0], "perform", 4, now - 30, w["cmo"], 910001, basis=w["licence"])
    assert r.totals.owed == 4 * RATE and r.lines[0].kind == KIND_WORK and r.lines[0].licence_id == w["licence"]
    view = usage.report(r.report_id)
    assert view.line == r.lines[0] and view.cid is None
    p = usage.prove(r.report_id, 0)
    assert p.verified_on_chain and p.proof == ()


def test_report_2000_lines_recorded_and_lines_proven(usage, w, tmp_path):
    now = w["clock"]()
    path = tmp_path / "dsr.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 2000, now))
    r = usage.record_report(path, w["cmo"], 910002)
    assert r.totals.line_count == 2000 and r.cid
    expected = sum((1 + i % 4) * RATE if i % 2 == 0 else (1 + i % 3) * TARIFF for i in range(2000))
    assert r.totals.owed == expected
    assert {ln.kind for ln in r.lines} == {KIND_WORK, KIND_STATUTORY}
    for i in (0, 1, 777, 1999):
        assert usage.prove(r.report_id, i).verified_on_chain
    view = usage.report(r.report_id)
    assert view.totals.line_count == 2000 and view.root == r.root


def test_report_jsonl_accepted(usage, w, tmp_path):
    now = w["clock"]()
    path = tmp_path / "dsr.jsonl"
    path.write_text("\n".join(json.dumps({"work": wk, "use": "ai-training", "quantity": 2, "usedAt": now - 10})
                              for wk in w["works"][:6]) + "\n")
    r = usage.record_report(path, w["cmo"], 910003)
    assert r.totals == type(r.totals)(6, 12, 6 * 2 * TARIFF)


def test_report_refused_lists_every_bad_line_and_records_nothing(usage, w, tmp_path):
    now = w["clock"]()
    path = tmp_path / "bad.csv"
    rows = report_rows(w["works"], w["licence"], 20, now)
    rows[3] = (w["works"][9], "perform", 1, now - 60, w["licence"])  # not covered: no licence, no tariff
    rows[7] = (w["works"][1], "perform", 0, now - 60, w["licence"])  # malformed: zero quantity
    rows[11] = ("0x" + "ee" * 32, "ai-training", 1, now - 60, "statutory")  # unregistered work
    write_csv(path, rows)
    before = usage.ledger.chain.call(lambda: usage.pool.functions.reportCount().call())
    stored = sum(1 for _ in (usage.ledger.settings.home / "store").rglob("*"))
    with pytest.raises(UsageRefused) as info:
        usage.record_report(path, w["cmo"], 910004)
    refused = {r.line_no: r.reason for r in info.value.refusals}
    assert set(refused) == {4, 8, 12}
    assert "not covered" in refused[4] and "quantity" in refused[8] and "not confirmed" in refused[12]
    assert usage.ledger.chain.call(lambda: usage.pool.functions.reportCount().call()) == before
    assert sum(1 for _ in (usage.ledger.settings.home / "store").rglob("*")) == stored


def test_prove_detects_tampered_line(usage, w, tmp_path):
    now = w["clock"]()
    path = tmp_path / "t.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 50, now))
    r = usage.record_report(path, w["cmo"], 910005)
    p = usage.prove(r.report_id, 10)
    proof = [bytes.fromhex(x[2:]) for x in p.proof]
    assert usage.verify_line(r.report_id, p.line, proof)
    tampered = type(p.line)(**{**p.line.__dict__, "quantity": p.line.quantity + 1})
    assert not usage.verify_line(r.report_id, tampered, proof)


def test_report_into_closed_period_refused_before_storing(env, usage, w, tmp_path):
    cmo = env.ledger("cmo")
    pool = Usage(cmo).pool
    cmo.chain.transact(pool.functions.closePeriod(910006), cmo.signer)
    path = tmp_path / "c.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 4, w["clock"]()))
    prepared = usage.prepare_file(path, w["cmo"], 910006)
    with pytest.raises(E.InvalidState):
        usage.record_prepared(prepared)
    assert not usage.ledger.store.has(__import__("ledger.content.cid", fromlist=["x"]).cid_for_bytes(prepared.document))


def test_record_refused_when_caller_not_licensee(env, w):
    with pytest.raises(E.NotAuthorized):
        Usage(env.ledger("rando")).record(w["works"][1], "ai-training", 1, w["clock"]() - 5, w["cmo"], 910007)


def test_recording_the_same_report_again_returns_the_first(usage, w, tmp_path):
    """A report run again (a CLI cut off after sending, then rerun) is not recorded twice;
    a report with other lines is a new report."""
    now = w["clock"]()
    path = tmp_path / "again.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 40, now))
    first = usage.record_report(path, w["cmo"], 910009)
    again = usage.record_report(path, w["cmo"], 910009)
    assert again.already_recorded and not first.already_recorded
    assert (again.report_id, again.root, again.tx_hash) == (first.report_id, first.root, first.tx_hash)
    assert [v.report_id for v in usage.reports(period=910009)] == [first.report_id]
    write_csv(path, report_rows(w["works"], w["licence"], 41, now))
    other = usage.record_report(path, w["cmo"], 910009)
    assert not other.already_recorded and other.report_id != first.report_id
