"""The licensing SDK against a real anvil node: grants, lifecycle, coverage (on-chain view and
in-memory index, held to the same answers), offers, lists of many works, check_many speed."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import replace

import pytest

from ledger.core import errors as E
from ledger.core.types import USES
from ledger.domain.licensing import Licensing, parse_time
from tests.fixtures.chain import own_chain


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory):
    """This module's own chain (statutory tariffs of other tests stay in force: TR5)."""
    yield from own_chain(tmp_path_factory)

CID = b"\x01\x55\x12\x20" + b"\x33" * 32


def _confirmed_works(env, seed: str, n: int, holder: str = "alice") -> list[str]:
    """`n` CONFIRMED works held by `holder`, registered and confirmed in batches."""
    led = _LEDGERS[holder]
    addr = env.addresses[holder]
    regs = []
    for i in range(n):
        h = hashlib.sha256(f"lic-sdk:{seed}:{i}".encode()).digest()
        regs.append((h, CID, 2, 1, [(addr, 10000)]))
    for chunk in range(0, n, 200):
        led.chain.transact(led.registry.functions.registerBatch(regs[chunk : chunk + 200]), led.signer)
    reg = _LEDGERS["registrar"]
    ids = [r[0] for r in regs]
    for chunk in range(0, n, 500):
        reg.chain.transact(reg.registry.functions.confirmBatch(ids[chunk : chunk + 500]), reg.signer)
    return ["0x" + h.hex() for h in ids]


_LEDGERS: dict = {}  # one Ledger per signer, so each signer's nonces are tracked in one place


@pytest.fixture(scope="module")
def lic(ledger_env):
    """Licensing for each named account: lic['alice'] signs as alice."""
    for name in ("alice", "bob", "cmo", "licensee", "governor", "registrar"):
        _LEDGERS[name] = ledger_env.ledger(name)
    return {name: Licensing(led) for name, led in _LEDGERS.items()}


def _same(sdk, chain_answer):
    return (sdk.covered, sdk.kind, sdk.licence_id, sdk.reason) == (
        chain_answer.covered, chain_answer.kind, chain_answer.licence_id, chain_answer.reason)


def test_status_over_time_and_lifecycle(ledger_env, lic):
    (wid,) = _confirmed_works(ledger_env, "lifecycle", 1)
    who = ledger_env.addresses["licensee"]
    alice = lic["alice"]
    now = alice.now()
    terms = alice.terms(["ai-training"], start=now + 100, end=now + 100_000, territories="CN,HK")
    result, lid = alice.grant(who, [wid], terms)
    print(f"\ngas: single-work grant = {result.gas_used}")

    def ask(at, territory="CN"):
        c = alice.status(wid, who, "ai-training", territory, at)
        idx = alice.check_many([(wid, "ai-training", territory, at)], licensee=who)
        assert _same(next(idx), c)  # the index says what the chain says
        return (c.covered, c.kind, c.licence_id, c.reason)

    assert ask(now) == (False, "work licence", lid, "not yet valid")  # present, before the term
    assert ask(now + 100) == (True, "work licence", lid, None)  # future, in the term
    assert ask(now + 100_000) == (False, "work licence", lid, "expired")  # future, after the term
    assert ask(now + 500, "US") == (False, "work licence", lid, "wrong territory")
    assert ask(now + 500, None) == (False, "work licence", lid, "wrong territory")
    assert alice.status(wid, who, "reproduce").reason == "none"

    alice.suspend(lid, "fees unpaid")
    t_susp = alice.licence(lid).suspended_at
    assert ask(now + 500) == (False, "work licence", lid, "suspended")
    assert ask(t_susp - 1) == (False, "work licence", lid, "not yet valid")  # past: before the term began
    alice.resume(lid)
    assert ask(now + 500) == (True, "work licence", lid, None)
    alice.revoke(lid, "breach")
    rec = alice.licence(lid)
    assert rec.state == "revoked" and rec.revoked_at
    assert [h["event"] for h in rec.history] == ["LicenceGranted", "LicenceSuspended", "LicenceResumed",
                                                 "LicenceRevoked"]
    assert ask(now + 500) == (False, "work licence", lid, "revoked")
    # the second before the revocation: suspended if the resume came in the same second as the
    # revocation (the three writes can fall within a second or two), else before the term (it starts
    # at now + 100), else covered; the answer about that past second is exact either way
    t_res = next(h["at"] for h in rec.history if h["event"] == "LicenceResumed")
    before = rec.revoked_at - 1
    expected = ((False, "work licence", lid, "suspended") if t_susp <= before < t_res
                else (False, "work licence", lid, "not yet valid") if before < now + 100
                else (True, "work licence", lid, None))
    assert ask(before) == expected


def test_blanket_licence_reserved_and_withdrawn(ledger_env, lic):
    a, b, c = _confirmed_works(ledger_env, "blanket", 3)
    who, cmo = ledger_env.addresses["licensee"], ledger_env.addresses["cmo"]
    alice = lic["alice"]
    for w in (a, b):
        alice.mandate(w, cmo, ["ai-training", "reproduce"])
    now = alice.now()
    _, lid = lic["cmo"].grant(who, [], lic["cmo"].terms(["ai-training"], scope="repertoire", start=now - 5))
    alice.mandate(c, cmo, ["ai-training"])  # mandated after the grant: covered too
    _LEDGERS["alice"].reserve_uses(b, ["ai-training"])
    alice.withdraw_mandate(c, cmo, now + 5000)

    later = now + 10
    assert lic["licensee"].status(a, who, "ai-training", at=later).kind == "blanket licence"
    assert lic["licensee"].status(a, who, "ai-training", at=later).covered
    got_b = lic["licensee"].status(b, who, "ai-training", at=later)
    assert (got_b.covered, got_b.reason, got_b.licence_id) == (False, "reserved", lid)
    assert lic["licensee"].status(c, who, "ai-training", at=later).covered
    got_c = lic["licensee"].status(c, who, "ai-training", at=now + 5000)
    assert (got_c.covered, got_c.reason) == (False, "mandate withdrawn")
    listed = {r.licence_id for r in lic["licensee"].licences_for(work=a)}
    assert lid in listed


def test_check_many_agrees_with_chain(ledger_env, lic):
    """Every combination of work, use, territory and time: the index answers as the contract does."""
    works = _confirmed_works(ledger_env, "agree", 4)
    who, cmo = ledger_env.addresses["licensee"], ledger_env.addresses["cmo"]
    alice = lic["alice"]
    now = alice.now()
    _, l1 = alice.grant(who, works[:2], alice.terms(["ai-training", "reproduce"], scope="list", start=now,
                                                   end=now + 1000, territories="CN"))
    alice.mandate(works[2], cmo, ["ai-training"])
    lic["cmo"].grant(who, [works[2]], lic["cmo"].terms(["ai-training"], start=now - 1))
    alice.publish_open(works[3], ["reproduce"], "CC-BY-4.0")
    alice.suspend(l1, "check")
    lic["governor"].set_tariff("display", 5, 86400, now + 50, now + 500)
    pairs = list(itertools.product(works, ("ai-training", "reproduce", "display"), (None, "CN", "US"),
                                   (now - 100, now + 1, now + 60, now + 999, now + 2000)))
    got = list(lic["licensee"].check_many(pairs, licensee=who))
    assert len(got) == len(pairs)
    kinds = set()
    for (w, use, terr, at), sdk in zip(pairs, got, strict=True):
        chain_answer = lic["licensee"].status(w, who, use, terr, at)
        assert _same(sdk, chain_answer), (w, use, terr, at, sdk, chain_answer)
        kinds.add((sdk.covered, sdk.kind, sdk.reason))
    assert (True, "open licence", None) in kinds
    assert (True, "statutory tariff", None) in kinds
    assert (False, "work licence", "suspended") in kinds


def test_disputed_work_counts_as_suspended(ledger_env, lic):
    (wid,) = _confirmed_works(ledger_env, "dispute", 1)
    who = ledger_env.addresses["licensee"]
    alice = lic["alice"]
    _, lid = alice.grant(who, [wid], alice.terms(["ai-training"]))
    assert alice.status(wid, who, "ai-training").covered
    bob = _LEDGERS["bob"]
    bob.chain.transact(bob.registry.functions.openDispute(bytes.fromhex(wid[2:]), CID), bob.signer)
    c = alice.status(wid, who, "ai-training")
    assert (c.covered, c.reason, c.licence_id) == (False, "suspended", lid)
    assert not next(alice.check_many([(wid, "ai-training")], licensee=who)).covered
    with pytest.raises(E.InvalidState, match="DISPUTED"):
        alice.grant(who, [wid], alice.terms(["ai-training"]))


def test_grant_list_of_500_works_in_one_call(ledger_env, lic):
    works = _confirmed_works(ledger_env, "five-hundred", 500)
    who = ledger_env.addresses["licensee"]
    alice = lic["alice"]
    result, lid = alice.grant(who, works, alice.terms(["text-and-data-mining"], scope="list"))
    print(f"\ngas: list grant of 500 works = {result.gas_used}")
    rec = alice.licence(lid)
    assert rec.work_ids == tuple(works) and rec.scope == "list"
    answers = list(alice.check_many([(w, "text-and-data-mining") for w in works], licensee=who))
    assert all(a.covered and a.licence_id == lid for a in answers)
    with pytest.raises(E.InputError, match="at most 500"):
        alice.grant(who, works + works[:1], alice.terms(["reproduce"], scope="list"))


def test_offer_sign_accept_and_replay(ledger_env, lic):
    (wid,) = _confirmed_works(ledger_env, "offer", 1)
    who = ledger_env.addresses["licensee"]
    alice, licensee = lic["alice"], lic["licensee"]
    offer = alice.make_offer(who, [wid], alice.terms(["perform"], flat_fee=0), nonce=4242)
    licensee.verify_offer(offer)
    _, lid = licensee.accept(offer)
    assert licensee.status(wid, who, "perform").licence_id == lid
    assert alice.licence(lid).history[-1]["event"] == "OfferAccepted"
    with pytest.raises(E.LicenceInvalid, match="used"):
        licensee.accept(offer)
    tampered = replace(offer, terms=replace(offer.terms, uses=USES["perform"] | USES["broadcast"]), nonce=4243)
    with pytest.raises(E.SignatureInvalid):
        licensee.accept(tampered)
    second = alice.make_offer(None, [wid], alice.terms(["broadcast"]), nonce=4244)
    alice.cancel_offer(4244)
    with pytest.raises(E.LicenceInvalid, match="cancelled"):
        licensee.accept(second)


def test_offer_reverts_on_chain_when_replayed_after_local_check(ledger_env, lic):
    """Skipping the SDK's own checks: the contract refuses a used nonce with a typed error."""
    (wid,) = _confirmed_works(ledger_env, "offer-chain", 1)
    who = ledger_env.addresses["licensee"]
    alice, licensee = lic["alice"], lic["licensee"]
    offer = alice.make_offer(who, [wid], alice.terms(["perform"]), nonce=777)
    licensee.accept(offer)
    fn = licensee.contract.functions.accept(offer.as_tuple(), bytes.fromhex(offer.signature[2:]))
    with pytest.raises(E.LicenceInvalid) as info:
        licensee.ledger.chain.transact(fn, licensee.ledger.signer)
    assert info.value.name == "LicenceRegistry__OfferUsed"


def test_check_many_100k_pairs_speed(ledger_env, lic):
    works = _confirmed_works(ledger_env, "speed", 50)
    who = ledger_env.addresses["licensee"]
    alice = lic["alice"]
    now = alice.now()
    _, lid = alice.grant(who, works[:25], alice.terms(["ai-training"], scope="list", start=now - 10,
                                                      territories="CN,US"))
    idx = alice.index()
    uses = ("ai-training", "reproduce")
    pairs = [{"work": works[i % 50], "use": uses[i % 2], "territory": ("CN", "US", "FR")[i % 3], "at": now + (i % 7)}
             for i in range(100_000)]
    t0 = time.perf_counter()
    covered = sum(1 for c in alice.check_many(pairs, licensee=who, index=idx) if c.covered)
    rate = len(pairs) / (time.perf_counter() - t0)
    print(f"\ncheck_many: {rate:,.0f} checks/s over 100k pairs")
    expected = sum(1 for i in range(100_000) if i % 50 < 25 and i % 2 == 0 and i % 3 != 2)
    assert covered == expected


def test_parse_time_and_errors(ledger_env, lic):
    assert parse_time("2026-01-02") == 1767312000
    assert parse_time("1767312000") == 1767312000
    with pytest.raises(E.InputError):
        parse_time("yesterday-ish")
    with pytest.raises(E.InputError, match="territory"):
        lic["alice"].status("0x" + "ab" * 32, ledger_env.addresses["licensee"], "ai-training", "CHN")
    with pytest.raises(E.InputError, match="unknown use"):
        lic["alice"].status("0x" + "ab" * 32, ledger_env.addresses["licensee"], "juggling")
    assert lic["alice"].status("0x" + "ab" * 32, ledger_env.addresses["licensee"], "ai-training").reason == (
        "work not confirmed")


def test_grant_of_identical_live_licence_returns_the_first(ledger_env, lic):
    """The same grant run again (a CLI cut off after sending) is not granted twice; other terms,
    an explicit again=True, or a revoked first licence make a new one."""
    from ledger.core.types import AlreadyDone

    alice, who = lic["alice"], ledger_env.addresses["licensee"]
    (wid,) = _confirmed_works(ledger_env, "idempotent-grant", 1)
    first, lid = alice.grant(who, [wid], alice.terms(["perform"], rate_per_use=7), start_given=False)
    time.sleep(1.1)  # a rerun a moment later: the defaulted start ("now") differs, the grant is the same
    again, lid2 = alice.grant(who, [wid], alice.terms(["perform"], rate_per_use=7), start_given=False)
    assert isinstance(again, AlreadyDone) and not isinstance(first, AlreadyDone)
    assert (lid2, again.tx_hash) == (lid, first.tx_hash)
    other, lid3 = alice.grant(who, [wid], alice.terms(["perform"], rate_per_use=8), start_given=False)
    assert not isinstance(other, AlreadyDone) and lid3 != lid
    forced, lid4 = alice.grant(who, [wid], alice.terms(["perform"], rate_per_use=7), again=True)
    assert not isinstance(forced, AlreadyDone) and lid4 not in (lid, lid3)
    alice.revoke(lid, "superseded")
    alice.revoke(lid4, "superseded")
    fresh, lid5 = alice.grant(who, [wid], alice.terms(["perform"], rate_per_use=7), start_given=False)
    assert not isinstance(fresh, AlreadyDone) and lid5 not in (lid, lid3, lid4)


def test_tariff_versions_and_mandate_history_read_at_a_time(ledger_env, lic):
    """Issue 14 (TR4, TR5): every tariff version and every mandate change is kept and read at a time."""
    (wid,) = _confirmed_works(ledger_env, "history", 1)
    cmo, gov, alice = ledger_env.addresses["cmo"], lic["governor"], lic["alice"]
    w3 = _LEDGERS["governor"].w3

    def block_time(result) -> int:
        return int(w3.eth.get_block(result.block)["timestamp"])

    def tick() -> None:
        w3.provider.make_request("evm_increaseTime", [100])
        w3.provider.make_request("evm_mine", [])

    t1 = block_time(gov.set_tariff("perform", 7, 86400, 1))  # a past start is taken as now
    tick()
    later = alice.now() + 1_000
    gov.set_tariff("perform", 9, 86400, later, later + 5_000)
    assert gov.tariff_at("perform", t1 - 1) is None
    assert gov.tariff_at("perform", t1) == {"use": "perform", "amountPerWork": 7, "period": 86400, "validFrom": t1,
                                            "validUntil": None}
    assert gov.tariff_at("perform", later)["amountPerWork"] == 9
    assert gov.tariff_of("perform")["amountPerWork"] == 9  # the latest version
    with pytest.raises(E.ContractError):
        gov.set_tariff("perform", 8, 86400, later - 1)  # before the latest version's start

    m1 = block_time(alice.mandate(wid, cmo, ["broadcast", "perform"]))
    tick()
    m2 = block_time(alice.mandate(wid, cmo, ["broadcast"]))
    assert set(alice.mandate_at(wid, cmo, m1)["uses"]) == {"perform", "broadcast"}
    assert alice.mandate_at(wid, cmo, m2)["uses"] == ["broadcast"]
    assert set(alice.mandate_at(wid, cmo, m2)["everUses"]) == {"perform", "broadcast"}
    assert alice.mandate_at(wid, cmo, m1 - 1) == {"uses": [], "everUses": []}
