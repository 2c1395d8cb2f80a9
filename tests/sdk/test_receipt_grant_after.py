"""Step 6 of a receipt check, "not covered" then, covered now (issue 15: a bounded question).

A receipt that said "not covered" at block B still holds when the lens now answers covered by
a licence made after B whose term reaches back (SPECIFICATION TR7); it does not hold when the
covering licence existed at B. Whether licence L existed at B is one ``eth_call`` of
``licenceCount()`` at B (ids are given in order); on a node without the state at B, one
``eth_getLogs`` of L's grant event over (B, head]. Never a log scan from block 0.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_utils import function_signature_to_4byte_selector

from ledger.domain import receipts
from ledger.domain.licensing import Licensing
from ledger.domain.receipts import GRANT_TOPICS, ReceiptError, make_receipt, verify_receipt
from tests.fixtures.chain import LedgerEnv, register_text_work

COUNT_DATA = "0x" + function_signature_to_4byte_selector("licenceCount()").hex()


class Recorder:
    """Wraps JsonRpc.__call__: keeps every call; ``no_state_at`` refuses calls at that block,
    as a node without archive state (or the embedded node after a restart) does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, no_state_at: int | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        real = receipts.JsonRpc.__call__
        rec = self

        def call(this: receipts.JsonRpc, method: str, *params: Any) -> Any:
            rec.calls.append((method, params))
            if no_state_at is not None and method == "eth_call" and params[-1] == hex(no_state_at):
                raise ReceiptError("the node refused eth_call: header not found")
            return real(this, method, *params)

        monkeypatch.setattr(receipts.JsonRpc, "__call__", call)

    def logs_queries(self) -> list[dict[str, Any]]:
        return [p[0] for m, p in self.calls if m == "eth_getLogs"]

    def count_calls(self) -> list[str]:
        return [p[1] for m, p in self.calls if m == "eth_call" and p[0]["data"] == COUNT_DATA]


def test_grant_topics_are_the_abis(ledger_env: LedgerEnv):
    events = ledger_env.ledger().events
    assert GRANT_TOPICS == (events.topics_of("LicenceGranted")[0], events.topics_of("OpenLicencePublished")[0])


@pytest.fixture(scope="module")
def receipts_pair(ledger_env: LedgerEnv) -> dict[str, Any]:
    """A "not covered" receipt for reproducing (licensed only later, with a term reaching back), and a
    forged "not covered" made from a genuine "covered" receipt for performing."""
    env = ledger_env
    a = env.addresses
    wid = register_text_work(env, "alice")
    alice = env.ledger("alice")
    lic = Licensing(alice)
    _r, before = lic.grant(a["licensee"], [wid], lic.terms(["perform"]), again=True)
    genuine_refusal = make_receipt(alice, wid, a["licensee"], "reproduce")
    assert genuine_refusal["answer"]["covered"] is False
    covered = make_receipt(alice, wid, a["licensee"], "perform")
    assert covered["answer"]["covered"] is True and covered["answer"]["licenceId"] == before
    at = genuine_refusal["question"]["at"]
    _r, after = lic.grant(a["licensee"], [wid], lic.terms(["reproduce"], start=at - 3600), again=True)
    # the forged one: the licensee claims a "not covered" answer (result and answer edited alike)
    forged = json.loads(json.dumps(covered))
    result = bytearray(bytes.fromhex(forged["call"]["result"][2:]))
    result[0:128] = (0).to_bytes(32, "big") * 2 + (1).to_bytes(32, "big") + (0).to_bytes(32, "big")
    forged["call"]["result"] = "0x" + result.hex()
    forged["answer"].update(covered=False, grant=None, licenceId=None, reason="no licence")
    return {"genuine": genuine_refusal, "forged": forged, "before": before, "after": after,
            "url": env.settings.network.rpc_url}


@pytest.mark.parametrize("archive", [True, False], ids=["state-at-B", "no-state-at-B"])
def test_not_covered_then_a_grant_reaching_back_holds(receipts_pair, monkeypatch, archive):
    r = receipts_pair["genuine"]
    b = r["block"]["number"]
    rec = Recorder(monkeypatch, no_state_at=None if archive else b)
    lines: list[str] = []
    assert verify_receipt(r, receipts_pair["url"], lines.append) == []
    assert any(f"licence {receipts_pair['after']} was granted" in x and "after the receipt" in x for x in lines), lines
    # bounded: one licenceCount() at B, or logs from B+1 only (the old check read from block 0)
    assert all(q["fromBlock"] != "0x0" for q in rec.logs_queries())
    if archive:
        assert rec.count_calls() == [hex(b)] and rec.logs_queries() == []
    else:
        (q,) = rec.logs_queries()
        assert q["fromBlock"] == hex(b + 1) and q["topics"][0] == list(GRANT_TOPICS)
        (line,) = [x for x in lines if "was granted at block" in x]
        assert int(line.split("at block ")[1].split(",")[0]) > b, line


@pytest.mark.parametrize("archive", [True, False], ids=["state-at-B", "no-state-at-B"])
def test_a_forged_not_covered_fails_on_a_licence_that_existed_at_the_block(receipts_pair, monkeypatch, archive):
    r = receipts_pair["forged"]
    b = r["block"]["number"]
    rec = Recorder(monkeypatch, no_state_at=None if archive else b)
    problems = verify_receipt(r, receipts_pair["url"])
    assert len(problems) == 1, problems
    assert f"covered by licence {receipts_pair['before']}, granted at or before" in problems[0]
    assert all(q["fromBlock"] == hex(b + 1) for q in rec.logs_queries())
    assert len(rec.logs_queries()) == (0 if archive else 1)


# A contract that answers every call with one zero word: licenceCount() "0" at any block.
ZERO_WORD_CODE = "0x60206000f3"  # PUSH1 32, PUSH1 0, RETURN


@pytest.mark.parametrize("archive", [True, False], ids=["state-at-B", "no-state-at-B"])
def test_a_forged_not_covered_naming_another_licence_registry_fails(ledger_env: LedgerEnv, monkeypatch, archive):
    """The licensee edits ``contracts.LicenceRegistry`` too, to a contract that existed at B and
    says licenceCount() is 0 (or, on a node without state at B, to the current registry's
    twin with no grant log): step 6 must ask the lens which registry its licence ids are of."""
    env = ledger_env
    a = env.addresses
    led = env.ledger("alice")
    fake = "0x" + "5e" * 20
    receipts.JsonRpc(env.settings.network.rpc_url)("anvil_setCode", fake, ZERO_WORD_CODE)  # deployed before B
    wid = register_text_work(env, "alice")
    lic = Licensing(led)
    _r, before = lic.grant(a["licensee"], [wid], lic.terms(["perform"]), again=True)
    covered = make_receipt(led, wid, a["licensee"], "perform")
    forged = json.loads(json.dumps(covered))
    result = bytearray(bytes.fromhex(forged["call"]["result"][2:]))
    result[0:128] = (0).to_bytes(32, "big") * 2 + (1).to_bytes(32, "big") + (0).to_bytes(32, "big")
    forged["call"]["result"] = "0x" + result.hex()
    forged["answer"].update(covered=False, grant=None, licenceId=None, reason="no licence")
    forged.update(licence=None, events=[], proofs=None)
    forged["contracts"]["LicenceRegistry"] = fake
    Recorder(monkeypatch, no_state_at=None if archive else forged["block"]["number"])
    problems = verify_receipt(forged, env.settings.network.rpc_url)
    assert any(f"covered by licence {before}, granted at or before" in p for p in problems), problems


def _say_covered(receipt: dict[str, Any], lid: int, kind: int = 1) -> dict[str, Any]:
    """The receipt with its call result and answer edited to "covered by licence ``lid``"."""
    forged = json.loads(json.dumps(receipt))
    result = bytearray(bytes.fromhex(forged["call"]["result"][2:]))
    result[0:128] = (1).to_bytes(32, "big") + kind.to_bytes(32, "big") + (0).to_bytes(32, "big") + \
        lid.to_bytes(32, "big")
    forged["call"]["result"] = "0x" + result.hex()
    forged["answer"].update(covered=True, grant=receipts.KIND_NAMES[kind], licenceId=lid, reason=None)
    return forged


@pytest.mark.parametrize("archive", [True, False], ids=["state-at-B", "no-state-at-B"])
def test_a_forged_covered_by_a_licence_made_after_the_block_fails(receipts_pair, monkeypatch, archive):
    """A "not covered" at B, edited into "covered by" the licence granted later with a term reaching
    back (no storage proof: the node "offered none"). Asked again, the lens names that licence, but
    it did not exist at B: the lens could not have answered with it then."""
    forged = _say_covered(receipts_pair["genuine"], receipts_pair["after"])
    forged.update(licence=None, events=[], proofs=None)
    Recorder(monkeypatch, no_state_at=None if archive else forged["block"]["number"])
    problems = verify_receipt(forged, receipts_pair["url"])
    assert any(f"licence {receipts_pair['after']} was made after the receipt's block" in p for p in problems), problems


def test_a_forged_covered_by_a_licence_of_another_work_fails(ledger_env: LedgerEnv):
    """A "not covered" at B for work 1, edited into "covered by" the licensee's licence L1 for work 2,
    with L1's genuine record, storage proofs and events at B. A licence granted later for work 1
    reaching back makes the lens answer covered now, but by L2 > L1: had L1 covered work 1 at B, the
    lens would still name it (the lowest id wins)."""
    env = ledger_env
    a = env.addresses
    w1, w2 = register_text_work(env, "alice"), register_text_work(env, "alice")
    alice = env.ledger("alice")
    lic = Licensing(alice)
    _r, l1 = lic.grant(a["licensee"], [w2], lic.terms(["reproduce"]), again=True)
    refusal = make_receipt(alice, w1, a["licensee"], "reproduce")
    other = make_receipt(alice, w2, a["licensee"], "reproduce")
    assert refusal["block"]["number"] == other["block"]["number"] and not refusal["answer"]["covered"]
    assert other["answer"]["licenceId"] == l1 and other["proofs"]
    _r, l2 = lic.grant(a["licensee"], [w1], lic.terms(["reproduce"], start=refusal["question"]["at"] - 3600),
                       again=True)
    forged = _say_covered(refusal, l1)
    forged.update(licence=other["licence"], proofs=other["proofs"], events=other["events"])
    problems = verify_receipt(forged, env.settings.network.rpc_url)
    assert any(f"covered by licence {l2}, not by licence {l1}" in p for p in problems), problems


# A "lens" that answers every call with covered by the statutory tariff: (true, 4, 0, 0).
YES_LENS_CODE = "0x" + "6001600052" + "6004602052" + "6080" + "6000" + "f3"  # mstore 1 @0, 4 @32; return 128 bytes


def test_a_receipt_from_a_lens_of_the_licensees_own_fails_against_the_deployment(ledger_env: LedgerEnv, tmp_path):
    """The licensee deploys a contract answering "covered" to everything and writes a receipt whose
    ``contracts.CoverageLens`` and ``call.to`` name it: every step holds (the header is real, step 6
    asks that contract again). The lens must be the network's: the deployment record says which."""
    from click.testing import CliRunner

    from ledger.cli import cli

    env = ledger_env
    a = env.addresses
    fake = "0x" + "7e" * 20
    receipts.JsonRpc(env.settings.network.rpc_url)("anvil_setCode", fake, YES_LENS_CODE)
    wid = register_text_work(env, "alice")
    led = env.ledger("alice")
    genuine = make_receipt(led, wid, a["licensee"], "reproduce")
    assert genuine["answer"]["covered"] is False
    forged = _say_covered(genuine, 0, kind=4)
    forged["call"]["to"] = forged["contracts"]["CoverageLens"] = fake
    assert verify_receipt(forged, env.settings.network.rpc_url) == []  # the receipt alone cannot tell
    lenses = led.deployment.versions("CoverageLens")
    problems = verify_receipt(forged, env.settings.network.rpc_url, lenses=lenses)
    assert len(problems) == 1 and "not this network's CoverageLens" in problems[0], problems
    assert verify_receipt(genuine, env.settings.network.rpc_url, lenses=lenses) == []
    f = tmp_path / "forged.json"
    f.write_text(json.dumps(forged))
    r = CliRunner().invoke(cli, ["--network", "local", "licence", "verify-receipt", str(f)], env=env.env())
    assert r.exit_code == 1 and "not this network's CoverageLens" in r.output, r.output
