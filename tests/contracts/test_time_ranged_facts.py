"""Time-ranged facts (issue 14, ADR 009, SPECIFICATION.md "Facts over time", R100-R106): every
fact coverage depends on keeps its history, and `coverage(..., at)` answers with the facts as
they were at `at`: what happens later never changes the answer about `at`."""

import pytest
from brownie import chain
from brownie.exceptions import VirtualMachineError

from ledger.core.types import USES
from ledger.domain.licensing import FOREVER

AI = USES["ai-training"]
REPRO = USES["reproduce"]
WORK, LIST, REPERTOIRE = 1, 2, 3
(COVERED, NONE, REVOKED, SUSPENDED, NOT_YET_VALID, EXPIRED, WRONG_TERRITORY, WITHDRAWN, RESERVED,
 NOT_CONFIRMED) = range(10)
NOT_MANDATED = 10
K_WORK, K_BLANKET, K_OPEN, K_STATUTORY = 1, 2, 3, 4
CONFIRMED_, DISPUTED_, REVOKED_ = 2, 4, 5
ACTIVE_S, SUSPENDED_S, REVOKED_S = 1, 2, 3
NO_TERRITORY = "0x0000"
CID = b"\x01\x55\x12\x20" + b"\x11" * 32
INVALID_TARIFF = "LicenceRegistry__InvalidTariff(uint32,uint40,uint40)"


@pytest.fixture(scope="module")
def cover(lens):
    def ask(work_id, licensee, use=AI, at=0):
        return tuple(lens.coverage(work_id, licensee, use, NO_TERRITORY, at))

    return ask


def terms(scope=WORK, uses=AI, rate=0):
    return (scope, uses, chain.time() - 100, FOREVER, False, 0, rate, b"", CID)


def step(seconds=100):
    """Move the chain's clock on and mine: returns the new block's time. The clock moves on a
    few seconds more, so the next transaction's block is strictly later than the time returned
    (anvil may give two blocks the same second)."""
    chain.sleep(seconds)
    chain.mine()
    t = chain[-1].timestamp
    chain.sleep(5)
    return t


def last_time(tx):
    return chain[tx.block_number].timestamp


# --- reservations --------------------------------------------------------------------------------


def test_reservation_made_later_does_not_change_coverage_before_it(registry, licences, cover, confirmed_work, author,
                                                                   cmo, licensee):
    wid = confirmed_work("tr-reserve")
    licences.mandate(wid, cmo, AI | REPRO, {"from": author})
    lid = licences.grant(licensee, [], terms(REPERTOIRE), {"from": cmo}).return_value
    t1 = step()
    assert cover(wid, licensee, at=t1) == (True, K_BLANKET, COVERED, lid)
    step()
    tx = registry.reserveUses(wid, AI, {"from": author})
    t2 = last_time(tx)
    assert tx.events["UsesReserved"]["at"] == t2
    step()
    tx = registry.reserveUses(wid, 0, {"from": author})
    t3 = last_time(tx)
    step()
    assert cover(wid, licensee, at=t1) == (True, K_BLANKET, COVERED, lid)  # unchanged by the later reservation
    assert cover(wid, licensee, at=t2) == (False, K_BLANKET, RESERVED, lid)
    assert cover(wid, licensee, at=t3 - 1) == (False, K_BLANKET, RESERVED, lid)
    assert cover(wid, licensee, at=t3) == (True, K_BLANKET, COVERED, lid)
    assert tuple(registry.workAt(wid, t2))[:2] == (CONFIRMED_, AI)
    assert tuple(registry.workAt(wid, t1))[:2] == (CONFIRMED_, 0)
    assert registry.getWork(wid)[5] == 0  # the current mask


# --- disputes ------------------------------------------------------------------------------------


def test_dispute_reads_suspended_only_inside_its_span(registry, licences, cover, confirmed_work, author, coauthor,
                                                      registrar, licensee):
    wid = confirmed_work("tr-dispute")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    t1 = step()
    t2 = last_time(registry.openDispute(wid, CID, {"from": coauthor}))
    step()
    assert cover(wid, licensee, at=t1) == (True, K_WORK, COVERED, lid)  # issue 12 finding 9: not retroactive
    t3 = last_time(registry.resolveDispute(wid, 1, [], 0, CID, {"from": registrar}))
    step()
    assert cover(wid, licensee, at=t1) == (True, K_WORK, COVERED, lid)
    assert cover(wid, licensee, at=t2) == (False, K_WORK, SUSPENDED, lid)
    assert cover(wid, licensee, at=t3 - 1) == (False, K_WORK, SUSPENDED, lid)  # dismissal does not void the span
    assert cover(wid, licensee, at=t3) == (True, K_WORK, COVERED, lid)
    assert registry.workAt(wid, t2)[0] == DISPUTED_
    assert registry.workAt(wid, t3)[0] == CONFIRMED_


def test_work_revoked_by_a_dispute_is_not_covered_from_the_ruling_only(registry, licences, cover, confirmed_work,
                                                                      author, coauthor, registrar, licensee):
    wid = confirmed_work("tr-revoked")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    t1 = step()
    t2 = last_time(registry.openDispute(wid, CID, {"from": coauthor}))
    step()
    t3 = last_time(registry.resolveDispute(wid, 3, [], 0, CID, {"from": registrar}))
    step()
    assert cover(wid, licensee, at=t1) == (True, K_WORK, COVERED, lid)
    assert cover(wid, licensee, at=t2) == (False, K_WORK, SUSPENDED, lid)
    assert cover(wid, licensee, at=t3) == (False, 0, NOT_CONFIRMED, 0)
    assert cover(wid, licensee) == (False, 0, NOT_CONFIRMED, 0)
    assert [registry.workAt(wid, t)[0] for t in (t1, t2, t3)] == [CONFIRMED_, DISPUTED_, REVOKED_]


# --- mandates ------------------------------------------------------------------------------------


def test_mandate_history_keeps_past_uses_and_spans(licences, cover, confirmed_work, author, cmo, licensee):
    wid = confirmed_work("tr-mandate")
    tx = licences.mandate(wid, cmo, AI | REPRO, {"from": author})
    t1 = last_time(tx)
    assert tx.events["MandateGranted"]["at"] == t1
    lid = licences.grant(licensee, [], terms(REPERTOIRE, AI | REPRO), {"from": cmo}).return_value
    step()
    t2 = last_time(licences.mandate(wid, cmo, REPRO, {"from": author}))  # AI no longer mandated
    step()
    tx = licences.withdrawMandate(wid, cmo, 0, {"from": author})
    t3 = last_time(tx)
    assert (tx.events["MandateWithdrawn"]["effectiveAt"], tx.events["MandateWithdrawn"]["at"]) == (t3, t3)
    step()
    t4 = last_time(licences.mandate(wid, cmo, AI, {"from": author}))  # a new span: from t4
    step()
    assert cover(wid, licensee, AI, t1) == (True, K_BLANKET, COVERED, lid)  # the old span is kept
    assert cover(wid, licensee, AI, t2) == (False, K_BLANKET, WITHDRAWN, lid)
    assert cover(wid, licensee, REPRO, t2) == (True, K_BLANKET, COVERED, lid)
    assert cover(wid, licensee, REPRO, t3) == (False, K_BLANKET, WITHDRAWN, lid)
    assert cover(wid, licensee, AI, t4) == (True, K_BLANKET, COVERED, lid)
    assert cover(wid, licensee, AI, t1 - 1) == (False, 0, NONE, 0)  # not mandated yet: not named
    assert tuple(licences.mandateAt(wid, cmo, t1)) == (AI | REPRO, AI | REPRO)
    assert tuple(licences.mandateAt(wid, cmo, t3)) == (0, AI | REPRO)
    assert tuple(licences.mandateAt(wid, cmo, t4)) == (AI, AI | REPRO)


def test_scheduled_withdrawal_ends_the_mandate_at_its_date(licences, cover, confirmed_work, author, cmo, licensee):
    wid = confirmed_work("tr-scheduled")
    licences.mandate(wid, cmo, AI, {"from": author})
    lid = licences.grant(licensee, [], terms(REPERTOIRE), {"from": cmo}).return_value
    when = chain.time() + 1_000
    licences.withdrawMandate(wid, cmo, when, {"from": author})
    step(2_000)
    assert cover(wid, licensee, at=when - 1) == (True, K_BLANKET, COVERED, lid)
    assert cover(wid, licensee, at=when) == (False, K_BLANKET, WITHDRAWN, lid)


# --- tariffs -------------------------------------------------------------------------------------


def test_every_tariff_version_stays_in_force_for_its_own_time(licences, cover, confirmed_work, governor, rando):
    wid = confirmed_work("tr-tariff")
    tx = licences.setTariff(AI, 100, 86_400, 1, 0, {"from": governor})  # a past validFrom is taken as now
    t1 = last_time(tx)
    assert tx.events["TariffSet"]["validFrom"] == t1
    step()
    v2_from = chain.time() + 1_000
    licences.setTariff(AI, 200, 86_400, v2_from, v2_from + 5_000, {"from": governor})
    step(10_000)
    assert cover(wid, rando, at=t1 - 1) == (False, 0, NONE, 0)  # no tariff before the first was set
    assert cover(wid, rando, at=t1) == (True, K_STATUTORY, COVERED, 0)
    assert cover(wid, rando, at=v2_from - 1) == (True, K_STATUTORY, COVERED, 0)  # version 1 until version 2 starts
    assert cover(wid, rando, at=v2_from + 4_999) == (True, K_STATUTORY, COVERED, 0)
    assert cover(wid, rando, at=v2_from + 5_000) == (False, K_STATUTORY, EXPIRED, 0)
    assert tuple(licences.tariffAt(AI, v2_from - 1)) == (100, 86_400, t1, FOREVER)
    assert tuple(licences.tariffAt(AI, v2_from)) == (200, 86_400, v2_from, v2_from + 5_000)
    assert tuple(licences.tariffAt(AI, t1 - 1)) == (0, 0, 0, 0)
    assert tuple(licences.tariffOf(AI)) == (200, 86_400, v2_from, v2_from + 5_000)  # the latest version


def test_set_tariff_reverts_when_version_starts_before_the_latest(licences, governor, err):
    later = chain.time() + 10_000
    licences.setTariff(AI, 100, 86_400, later, 0, {"from": governor})
    with err.reverts_with(INVALID_TARIFF, 86_400, later - 1, FOREVER):
        licences.setTariff(AI, 90, 86_400, later - 1, 0, {"from": governor})
    licences.setTariff(AI, 90, 86_400, later, 0, {"from": governor})  # the same start replaces it
    assert tuple(licences.tariffOf(AI))[:3] == (90, 86_400, later)


def test_set_tariff_reverts_when_it_would_end_before_now(licences, governor):
    now = chain.time()
    with pytest.raises(VirtualMachineError) as refused:  # the block time (the start taken) is not known before
        licences.setTariff(AI, 100, 86_400, now - 100, now - 50, {"from": governor})
    message = refused.value.revert_msg
    assert message.startswith("LicenceRegistry__InvalidTariff: 86400, ") and message.endswith(f", {now - 50}")
    assert int(message.split(", ")[1]) > now - 100  # the past start was taken as the block's time
    assert tuple(licences.tariffOf(AI)) == (0, 0, 0, 0)


# --- licence states (I7 decided: a suspended span is not covered, whatever follows) --------------


def test_suspended_span_stays_uncovered_after_resumption_and_revocation(licences, cover, confirmed_work, author,
                                                                        licensee):
    wid = confirmed_work("tr-states")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    t1 = step()
    t2 = last_time(licences.suspend(lid, "late", {"from": author}))
    step()
    t3 = last_time(licences.resume(lid, {"from": author}))
    step()
    t4 = last_time(licences.suspend(lid, "late again", {"from": author}))
    step()
    t5 = last_time(licences.revoke(lid, "unpaid", {"from": author}))
    step()
    expected = {t1: (True, K_WORK, COVERED, lid), t2: (False, K_WORK, SUSPENDED, lid),
                t3 - 1: (False, K_WORK, SUSPENDED, lid), t3: (True, K_WORK, COVERED, lid),
                t4: (False, K_WORK, SUSPENDED, lid), t5 - 1: (False, K_WORK, SUSPENDED, lid),
                t5: (False, K_WORK, REVOKED, lid)}
    assert {t: cover(wid, licensee, at=t) for t in expected} == expected
    assert [licences.licenceAt(lid, t)[4] for t in (t1, t2, t3, t4, t5)] == [
        ACTIVE_S, SUSPENDED_S, ACTIVE_S, SUSPENDED_S, REVOKED_S]
    assert licences.licenceAt(999, t1)[4] == 0


# --- usage lines weigh with the facts at the time of use ----------------------------------------


def test_line_weight_uses_the_facts_at_the_time_of_use(registry, licences, lens, confirmed_work, author, cmo,
                                                       licensee, governor):
    wid = confirmed_work("tr-line")
    licences.mandate(wid, cmo, AI, {"from": author})
    lid = licences.grant(licensee, [], terms(REPERTOIRE, AI, rate=7), {"from": cmo}).return_value
    licences.setTariff(AI, 5, 86_400, 0, 0, {"from": governor})
    used = step()
    step()
    t2 = last_time(registry.reserveUses(wid, AI, {"from": author}))
    step()
    licences.suspend(lid, "audit", {"from": cmo})
    step()
    assert tuple(lens.lineWeight(cmo, licensee, (wid, AI, 3, used, lid, K_BLANKET))) == (0, 21)
    assert tuple(lens.lineWeight(cmo, licensee, (wid, AI, 3, used, 0, K_STATUTORY))) == (0, 15)
    assert tuple(lens.lineWeight(cmo, licensee, (wid, AI, 3, t2, lid, K_BLANKET))) == (RESERVED, 0)
    assert tuple(lens.lineWeight(cmo, licensee, (wid, REPRO, 3, used, lid, K_BLANKET))) == (NOT_MANDATED, 0)


# --- TR7: a later grant with a start before it adds cover, and names its licence -----------------


def test_retroactive_grant_adds_cover_before_its_block_and_names_its_licence(licences, cover, confirmed_work,
                                                                             author, licensee):
    wid = confirmed_work("tr-retro")
    t1 = step()
    step()
    assert cover(wid, licensee, at=t1) == (False, 0, NONE, 0)
    tx = licences.grant(licensee, [wid], (WORK, AI, t1 - 50, FOREVER, False, 0, 0, b"", CID), {"from": author})
    lid = tx.return_value
    assert last_time(tx) > t1  # granted after t1 ...
    assert cover(wid, licensee, at=t1) == (True, K_WORK, COVERED, lid)  # ... and covers t1: the answer names it
