"""LicenceRegistry: mandates, licences, exclusivity, lifecycle and coverage
(SPECIFICATION.md R60-R79). Offers, open licences and tariffs: test_licensing_offers.py."""

import pytest
from brownie import chain
from brownie.exceptions import VirtualMachineError

from ledger.core.types import USES
from ledger.domain.licensing import FOREVER

AI = USES["ai-training"]
REPRO = USES["reproduce"]
PERFORM = USES["perform"]
WORK, LIST, REPERTOIRE = 1, 2, 3
(COVERED, NONE, REVOKED, SUSPENDED, NOT_YET_VALID, EXPIRED, WRONG_TERRITORY, WITHDRAWN, RESERVED,
 NOT_CONFIRMED) = range(10)
K_WORK, K_BLANKET, K_OPEN, K_STATUTORY = 1, 2, 3, 4
NO_TERRITORY = "0x0000"
CID = b"\x01\x55\x12\x20" + b"\x11" * 32

NOT_HOLDER = "LicenceRegistry__NotAHolder(bytes32,address)"
NOT_CMO = "LicenceRegistry__NotACmo(address)"
NO_MANDATE = "LicenceRegistry__NoMandate(bytes32,address,uint32)"
NOT_LICENSABLE = "LicenceRegistry__WorkNotLicensable(bytes32,uint8)"
INVALID_DATE = "LicenceRegistry__InvalidDate(uint40,uint40)"
INVALID_SCOPE = "LicenceRegistry__InvalidScope(uint8,uint256)"
INVALID_USES = "LicenceRegistry__InvalidUses(uint32)"
INVALID_TERM = "LicenceRegistry__InvalidTerm(uint40,uint40)"
INVALID_TERRITORIES = "LicenceRegistry__InvalidTerritories(bytes)"
INVALID_CID = "LicenceRegistry__InvalidCid(uint256)"
INVALID_LICENSEE = "LicenceRegistry__InvalidLicensee(address)"
DUPLICATE = "LicenceRegistry__DuplicateWork(bytes32)"
EXCL_NOT_ALLOWED = "LicenceRegistry__ExclusiveNotAllowed(uint8,bool)"
EXCL_CONFLICT = "LicenceRegistry__ExclusiveConflict(bytes32,uint64)"
CONSENT_MISSING = "LicenceRegistry__ConsentMissing(bytes32,bytes32)"
NOT_FOUND = "LicenceRegistry__LicenceNotFound(uint64)"
NOT_LICENSOR = "LicenceRegistry__NotLicensor(uint64,address)"
WRONG_STATE = "LicenceRegistry__WrongState(uint64,uint8)"


def tc(code: str) -> str:
    return "0x" + code.encode().hex()


@pytest.fixture(scope="module")
def terms():
    def make(scope=WORK, uses=AI, start=None, end=FOREVER, exclusive=False, flat=0, rate=0, territories=b"", cid=CID):
        start = chain.time() - 10 if start is None else start
        return (scope, uses, start, end, exclusive, flat, rate, territories, cid)

    return make


@pytest.fixture(scope="module")
def cover(lens):
    """CoverageLens.coverage(...) as a tuple (covered, kind, reason, licenceId)."""

    def ask(work_id, licensee, use=AI, territory=NO_TERRITORY, at=0):
        return tuple(lens.coverage(work_id, licensee, use, territory, at))

    return ask


@pytest.fixture(scope="module")
def mandated(licences, confirmed_work, author, cmo):
    def make(seed="mandated", uses=AI | REPRO, holder=None):
        holder = holder or author
        wid = confirmed_work(seed, [(holder, 10_000)], sender=holder)
        licences.mandate(wid, cmo, uses, {"from": holder})
        return wid

    return make


# --- R60: only a holder of a CONFIRMED work mandates it -------------------------------------


def test_mandate_succeeds_for_holder(licences, mandated, cmo, author):
    wid = mandated("m1", uses=AI)

    m = licences.mandateOf(wid, cmo)
    assert m[0] == AI and m[2] == FOREVER
    assert abs(m[1] - chain.time()) < 5


def test_mandate_emits_replayable_event(licences, confirmed_work, cmo, author):
    wid = confirmed_work("m-ev")
    tx = licences.mandate(wid, cmo, AI, {"from": author})
    ev = tx.events["MandateGranted"]
    assert (ev["workId"], ev["cmo"], ev["holder"], ev["uses"]) == (wid, cmo, author, AI)
    assert ev["from"] == licences.mandateOf(wid, cmo)[1]


def test_mandate_reverts_when_caller_not_holder(licences, confirmed_work, cmo, coauthor, err):
    wid = confirmed_work("m2")
    with err.reverts_with(NOT_HOLDER, wid, coauthor):
        licences.mandate(wid, cmo, AI, {"from": coauthor})


def test_mandate_reverts_when_work_not_confirmed(licences, register_work, cmo, author, err, status):
    wid = register_work("m3")
    with err.reverts_with(NOT_LICENSABLE, wid, status.PENDING):
        licences.mandate(wid, cmo, AI, {"from": author})


# --- R61: the mandatee is a CMO ----------------------------------------------------------------


def test_mandate_reverts_when_cmo_lacks_role(licences, confirmed_work, rando, author, err):
    wid = confirmed_work("m4")
    with err.reverts_with(NOT_CMO, rando):
        licences.mandate(wid, rando, AI, {"from": author})


# --- R62: withdrawal from a date, never in the past --------------------------------------------


def test_withdraw_mandate_stops_blanket_coverage_from_date(licences, mandated, terms, cover, cmo, licensee, author):
    wid = mandated("w1")
    lid = licences.grant(licensee, [], terms(REPERTOIRE), {"from": cmo}).return_value
    now = chain.time()
    effective = now + 1000

    tx = licences.withdrawMandate(wid, cmo, effective, {"from": author})

    assert tx.events["MandateWithdrawn"]["effectiveAt"] == effective
    assert cover(wid, licensee, at=now + 999) == (True, K_BLANKET, COVERED, lid)
    assert cover(wid, licensee, at=effective) == (False, K_BLANKET, WITHDRAWN, lid)
    chain.sleep(2000)
    chain.mine()
    assert cover(wid, licensee) == (False, K_BLANKET, WITHDRAWN, lid)


def test_withdraw_mandate_reverts_when_date_in_past(licences, mandated, cmo, author):
    wid = mandated("w2")
    chain.mine()
    past = chain.time() - 100
    with pytest.raises(VirtualMachineError) as info:  # the call's block time is not known in advance
        licences.withdrawMandate(wid, cmo, past, {"from": author})
    assert info.value.revert_msg.startswith(f"LicenceRegistry__InvalidDate: {past}, ")
    assert licences.mandateOf(wid, cmo)[2] == FOREVER


def test_withdraw_mandate_reverts_when_none(licences, confirmed_work, cmo, author, err):
    wid = confirmed_work("w3")
    with err.reverts_with(NO_MANDATE, wid, cmo, 0):
        licences.withdrawMandate(wid, cmo, 0, {"from": author})


# --- R63: repertoire licences: CMO only; works mandated later; not withdrawn or reserved -------


def test_blanket_covers_work_mandated_later(licences, mandated, terms, cover, cmo, licensee):
    lid = licences.grant(licensee, [], terms(REPERTOIRE), {"from": cmo}).return_value
    wid = mandated("later")
    assert cover(wid, licensee) == (True, K_BLANKET, COVERED, lid)


def test_blanket_does_not_cover_reserved_use(licences, registry, mandated, terms, cover, cmo, licensee, author):
    wid = mandated("reserved")
    lid = licences.grant(licensee, [], terms(REPERTOIRE, uses=AI | REPRO), {"from": cmo}).return_value
    registry.reserveUses(wid, AI, {"from": author})
    assert cover(wid, licensee, use=AI) == (False, K_BLANKET, RESERVED, lid)
    assert cover(wid, licensee, use=REPRO) == (True, K_BLANKET, COVERED, lid)


def test_blanket_does_not_cover_unmandated_work(licences, mandated, confirmed_work, terms, cover, cmo, licensee):
    licences.grant(licensee, [], terms(REPERTOIRE), {"from": cmo})
    other = confirmed_work("not-mandated")
    assert cover(other, licensee) == (False, 0, NONE, 0)


def test_grant_repertoire_reverts_when_caller_not_cmo(licences, terms, licensee, author, err):
    with err.reverts_with(NOT_CMO, author):
        licences.grant(licensee, [], terms(REPERTOIRE), {"from": author})


# --- R64: a CMO licenses listed works only under a mandate for every use -----------------------


def test_cmo_grant_list_succeeds_with_mandates(licences, mandated, terms, cover, cmo, licensee):
    a, b = mandated("l1"), mandated("l2")
    tx = licences.grant(licensee, [a, b], terms(LIST, uses=AI | REPRO), {"from": cmo})
    lid = tx.return_value
    assert licences.licence(lid)[9] is True  # collective
    assert cover(a, licensee) == (True, K_WORK, COVERED, lid)
    assert cover(b, licensee, use=REPRO) == (True, K_WORK, COVERED, lid)


def test_cmo_grant_reverts_without_mandate_for_every_use(licences, mandated, terms, cmo, licensee, err):
    wid = mandated("l3", uses=AI)
    with err.reverts_with(NO_MANDATE, wid, cmo, AI | PERFORM):
        licences.grant(licensee, [wid], terms(WORK, uses=AI | PERFORM), {"from": cmo})


# --- R65: any other licensor holds a share of every work --------------------------------------


def test_grant_succeeds_for_co_owner_non_exclusive(licences, co_owned_work, terms, cover, coauthor, licensee):
    wid = co_owned_work("co1")
    lid = licences.grant(licensee, [wid], terms(), {"from": coauthor}).return_value
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)


def test_grant_reverts_when_caller_not_holder(licences, confirmed_work, terms, coauthor, licensee, err):
    wid = confirmed_work("nh")
    with err.reverts_with(NOT_HOLDER, wid, coauthor):
        licences.grant(licensee, [wid], terms(), {"from": coauthor})


# --- R66: the licensee has LICENSEE_ROLE and is neither zero nor the licensor -----------------


def test_grant_reverts_when_licensee_lacks_role(licences, confirmed_work, terms, author, rando, err, role):
    wid = confirmed_work("lr")
    with err.unauthorized(rando, role.LICENSEE):
        licences.grant(rando, [wid], terms(), {"from": author})
    with err.reverts_with(INVALID_LICENSEE, author):
        licences.grant(author, [wid], terms(), {"from": author})


# --- R67: only CONFIRMED works are licensed; a DISPUTED work's licences count as suspended ----


def test_grant_reverts_when_work_disputed(licences, disputed_work, terms, author, licensee, err, status):
    wid, _ = disputed_work("d1")
    with err.reverts_with(NOT_LICENSABLE, wid, status.DISPUTED):
        licences.grant(licensee, [wid], terms(), {"from": author})


def test_coverage_suspended_while_disputed(
    licences, registry, confirmed_work, terms, cover, author, coauthor, registrar, licensee, kit, outcome
):
    wid = confirmed_work("d2")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)
    registry.openDispute(wid, kit.cid_for("ev"), {"from": coauthor})
    assert cover(wid, licensee) == (False, K_WORK, SUSPENDED, lid)
    registry.resolveDispute(wid, outcome.DISMISSED, [], 0, kit.cid_for("r"), {"from": registrar})
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)


def test_coverage_not_confirmed_when_work_revoked(
    licences, registry, confirmed_work, terms, cover, author, coauthor, registrar, licensee, kit, outcome
):
    wid = confirmed_work("d3")
    licences.grant(licensee, [wid], terms(), {"from": author})
    registry.openDispute(wid, kit.cid_for("ev"), {"from": coauthor})
    registry.resolveDispute(wid, outcome.REVOKED, [], 0, kit.cid_for("r"), {"from": registrar})
    assert cover(wid, licensee) == (False, 0, NOT_CONFIRMED, 0)


# --- R68: terms are validated ------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, error",
    [
        ({"scope": WORK, "works": 2}, (INVALID_SCOPE, WORK, 2)),
        ({"scope": 4, "works": 1}, (INVALID_SCOPE, 4, 1)),
        ({"uses": 0}, (INVALID_USES, 0)),
        ({"start": 100, "end": 100}, (INVALID_TERM, 100, 100)),
        ({"start": 1, "end": 2}, (INVALID_TERM, 1, 2)),
        ({"territories": b"C"}, (INVALID_TERRITORIES, b"C")),
        ({"territories": b"cn"}, (INVALID_TERRITORIES, b"cn")),
        ({"cid": b""}, (INVALID_CID, 0)),
        ({"cid": b"\x01" * 129}, (INVALID_CID, 129)),
    ],
)
def test_grant_reverts_on_invalid_terms(licences, confirmed_work, terms, author, licensee, err, change, error):
    a, b = confirmed_work("t1"), confirmed_work("t2")
    works = [a, b][: change.pop("works", 1)]
    scope = change.pop("scope", WORK)
    t = terms(scope, **change)
    with err.reverts_with(error[0], *error[1:]):
        licences.grant(licensee, works, t, {"from": author})


def test_grant_succeeds_with_valid_terms(licences, confirmed_work, terms, author, licensee):
    wid = confirmed_work("t3")
    now = chain.time()
    t = terms(WORK, uses=AI | REPRO, start=now + 100, end=now + 200, flat=5, rate=7, territories=b"CNHK")
    tx = licences.grant(licensee, [wid], t, {"from": author})
    lid = tx.return_value
    stored = licences.licence(lid)
    assert (stored[0], stored[1], stored[2], stored[3], stored[4]) == (author, AI | REPRO, now + 100, WORK, 1)
    assert (stored[6], stored[7], stored[11], stored[12], bytes(stored[13])) == (licensee, now + 200, 5, 7, b"CNHK")


# --- R69: list scope: 1..500 distinct works in one call ---------------------------------------


def test_grant_list_of_100_works(licences, registry, make_registration, author, registrar, terms, cover, licensee):
    regs = [make_registration(f"bulk-{i}", [(author, 10_000)]) for i in range(100)]
    registry.registerBatch(regs, {"from": author})
    ids = [r[0] for r in regs]
    registry.confirmBatch(ids, {"from": registrar})

    tx = licences.grant(licensee, ids, terms(LIST), {"from": author})

    print(f"\ngas: list grant of 100 works = {tx.gas_used}")
    lid = tx.return_value
    assert list(tx.events["LicenceGranted"]["workIds"]) == ids
    assert cover(ids[0], licensee) == (True, K_WORK, COVERED, lid)
    assert cover(ids[99], licensee) == (True, K_WORK, COVERED, lid)
    assert tx.gas_used < 4_500_000


def test_grant_list_reverts_when_over_max_batch(licences, terms, author, licensee, err):
    works = ["0x" + f"{i + 1:064x}" for i in range(501)]
    with err.reverts_with(INVALID_SCOPE, LIST, 501):
        licences.grant(licensee, works, terms(LIST), {"from": author})
    with err.reverts_with(INVALID_SCOPE, LIST, 0):
        licences.grant(licensee, [], terms(LIST), {"from": author})


def test_grant_list_reverts_on_duplicate_work(licences, confirmed_work, terms, author, licensee, err):
    wid = confirmed_work("dup")
    with err.reverts_with(DUPLICATE, wid):
        licences.grant(licensee, [wid, wid], terms(LIST), {"from": author})


# --- R70: exclusive licences: scope 1 by a holder, every co-owner's consent -------------------


def test_exclusive_on_co_owned_succeeds_with_consent(
    licences, registry, co_owned_work, terms, cover, author, coauthor, licensee
):
    wid = co_owned_work("x1")
    t = terms(exclusive=True)
    action = licences.exclusiveActionHash(wid, author, licensee, t)
    registry.consent(wid, action, {"from": coauthor})

    lid = licences.grant(licensee, [wid], t, {"from": author}).return_value

    assert licences.licence(lid)[5] is True
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)
    assert licences.exclusiveActionHash(wid, author, licensee, t) != action  # the nonce moved on


def test_exclusive_on_co_owned_reverts_without_consent(licences, co_owned_work, terms, author, licensee, err):
    wid = co_owned_work("x2")
    t = terms(exclusive=True)
    action = licences.exclusiveActionHash(wid, author, licensee, t)
    with err.reverts_with(CONSENT_MISSING, wid, action):
        licences.grant(licensee, [wid], t, {"from": author})


def test_exclusive_consent_is_not_reusable(licences, registry, co_owned_work, terms, author, coauthor, licensee, err):
    wid = co_owned_work("x3")
    t = terms(exclusive=True, territories=b"CN")
    registry.consent(wid, licences.exclusiveActionHash(wid, author, licensee, t), {"from": coauthor})
    lid = licences.grant(licensee, [wid], t, {"from": author}).return_value
    licences.revoke(lid, "ended", {"from": author})
    with err.reverts_with(CONSENT_MISSING, wid, licences.exclusiveActionHash(wid, author, licensee, t)):
        licences.grant(licensee, [wid], t, {"from": author})


def test_exclusive_reverts_for_list_or_cmo(licences, mandated, terms, cmo, licensee, err):
    wid = mandated("x4")
    with err.reverts_with(EXCL_NOT_ALLOWED, WORK, True):
        licences.grant(licensee, [wid], terms(exclusive=True), {"from": cmo})
    with err.reverts_with(EXCL_NOT_ALLOWED, LIST, True):
        licences.grant(licensee, [wid], terms(LIST, exclusive=True), {"from": cmo})


# --- R71: two live exclusive licences never overlap in work, use, territory and time ---------


def test_exclusive_reverts_on_overlap(licences, confirmed_work, terms, author, licensee, accounts, err):
    wid = confirmed_work("o1")
    now = chain.time()
    first = licences.grant(licensee, [wid], terms(exclusive=True, territories=b"CNHK", end=now + 1000),
                           {"from": author}).return_value
    with err.reverts_with(EXCL_CONFLICT, wid, first):
        licences.grant(licensee, [wid], terms(exclusive=True, uses=AI | REPRO, territories=b"HK", start=now + 500),
                       {"from": author})
    with err.reverts_with(EXCL_CONFLICT, wid, first):  # worldwide overlaps every territory
        licences.grant(licensee, [wid], terms(exclusive=True), {"from": author})


def test_exclusive_succeeds_when_disjoint_or_after_revocation(licences, confirmed_work, terms, author, licensee):
    wid = confirmed_work("o2")
    now = chain.time()
    first = licences.grant(licensee, [wid], terms(exclusive=True, territories=b"CN", end=now + 1000),
                           {"from": author}).return_value
    licences.grant(licensee, [wid], terms(exclusive=True, territories=b"US"), {"from": author})  # other territory
    licences.grant(licensee, [wid], terms(exclusive=True, uses=REPRO, territories=b"CN"), {"from": author})  # other use
    licences.grant(licensee, [wid], terms(exclusive=True, territories=b"CN", start=now + 1000),
                   {"from": author})  # after the first ends
    licences.revoke(first, "replaced", {"from": author})
    licences.grant(licensee, [wid], terms(exclusive=True, territories=b"CN", end=now + 1000), {"from": author})


# --- R72: only the licensor suspends, resumes, revokes -----------------------------------------


def test_suspend_resume_revoke_by_licensor(licences, confirmed_work, terms, cover, author, licensee):
    wid = confirmed_work("s1")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    tx = licences.suspend(lid, "unpaid", {"from": author})
    assert tx.events["LicenceSuspended"]["reason"] == "unpaid"
    assert licences.licence(lid)[4] == 2
    tx = licences.resume(lid, {"from": author})
    assert "LicenceResumed" in tx.events
    assert licences.licence(lid)[4] == 1
    tx = licences.revoke(lid, "breach", {"from": author})
    assert tx.events["LicenceRevoked"]["reason"] == "breach"
    assert licences.licence(lid)[4] == 3


def test_suspend_reverts_when_caller_not_licensor(licences, confirmed_work, terms, author, licensee, coauthor, err):
    wid = confirmed_work("s2")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    with err.reverts_with(NOT_LICENSOR, lid, licensee):
        licences.suspend(lid, "x", {"from": licensee})
    with err.reverts_with(NOT_LICENSOR, lid, coauthor):
        licences.revoke(lid, "x", {"from": coauthor})
    with err.reverts_with(NOT_FOUND, 999):
        licences.revoke(999, "x", {"from": author})


def test_lifecycle_reverts_on_wrong_state(licences, confirmed_work, terms, author, licensee, err):
    wid = confirmed_work("s3")
    lid = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    with err.reverts_with(WRONG_STATE, lid, 1):
        licences.resume(lid, {"from": author})
    licences.revoke(lid, "x", {"from": author})
    with err.reverts_with(WRONG_STATE, lid, 3):
        licences.revoke(lid, "x", {"from": author})
    with err.reverts_with(WRONG_STATE, lid, 3):
        licences.suspend(lid, "x", {"from": author})


# --- R73: coverage over time and lifecycle: past, present, future -----------------------------


def test_coverage_over_lifecycle(licences, confirmed_work, terms, cover, author, licensee):
    wid = confirmed_work("c1")
    t0 = chain.time()
    start, end = t0 + 100, t0 + 10_000
    lid = licences.grant(licensee, [wid], terms(start=start, end=end), {"from": author}).return_value

    assert cover(wid, licensee, at=t0) == (False, K_WORK, NOT_YET_VALID, lid)  # now, before the term
    assert cover(wid, licensee, at=start) == (True, K_WORK, COVERED, lid)
    assert cover(wid, licensee, at=end - 1) == (True, K_WORK, COVERED, lid)
    assert cover(wid, licensee, at=end) == (False, K_WORK, EXPIRED, lid)

    chain.sleep(200)
    chain.mine()
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)  # present

    licences.suspend(lid, "audit", {"from": author})
    suspended_at = licences.licence(lid)[10]
    assert cover(wid, licensee) == (False, K_WORK, SUSPENDED, lid)
    assert cover(wid, licensee, at=end - 1) == (False, K_WORK, SUSPENDED, lid)  # future
    assert cover(wid, licensee, at=suspended_at - 1) == (True, K_WORK, COVERED, lid)  # past use stays covered

    licences.resume(lid, {"from": author})
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)

    chain.sleep(50)
    licences.revoke(lid, "breach", {"from": author})
    revoked_at = licences.licence(lid)[8]
    assert cover(wid, licensee) == (False, K_WORK, REVOKED, lid)
    assert cover(wid, licensee, at=end - 1) == (False, K_WORK, REVOKED, lid)
    assert cover(wid, licensee, at=revoked_at - 1) == (True, K_WORK, COVERED, lid)

    chain.sleep(20_000)
    chain.mine()
    assert cover(wid, licensee) == (False, K_WORK, REVOKED, lid)
    assert cover(wid, licensee, at=revoked_at - 1) == (True, K_WORK, COVERED, lid)


def test_coverage_expires_by_time(licences, confirmed_work, terms, cover, author, licensee):
    wid = confirmed_work("c2")
    lid = licences.grant(licensee, [wid], terms(end=chain.time() + 100), {"from": author}).return_value
    assert cover(wid, licensee) == (True, K_WORK, COVERED, lid)
    chain.sleep(200)
    chain.mine()
    assert cover(wid, licensee) == (False, K_WORK, EXPIRED, lid)


def test_coverage_none_for_other_licensee_use_or_work(licences, confirmed_work, terms, cover, author, licensee, rando):
    wid, other = confirmed_work("c3"), confirmed_work("c4")
    licences.grant(licensee, [wid], terms(uses=AI), {"from": author})
    assert cover(wid, rando) == (False, 0, NONE, 0)
    assert cover(wid, licensee, use=REPRO) == (False, 0, NONE, 0)
    assert cover(other, licensee) == (False, 0, NONE, 0)


def test_coverage_reverts_when_use_not_single(lens, confirmed_work, licensee, err):
    wid = confirmed_work("c5")
    with err.reverts_with("CoverageLens__InvalidUse(uint32)", AI | REPRO):
        lens.coverage(wid, licensee, AI | REPRO, NO_TERRITORY, 0)


def test_coverage_prefers_covering_licence_over_lapsed(licences, confirmed_work, terms, cover, author, licensee):
    wid = confirmed_work("c6")
    old = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    licences.revoke(old, "x", {"from": author})
    assert cover(wid, licensee) == (False, K_WORK, REVOKED, old)
    new = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    assert cover(wid, licensee) == (True, K_WORK, COVERED, new)


# --- R74: territory -----------------------------------------------------------------------------


def test_coverage_territory(licences, confirmed_work, terms, cover, author, licensee):
    wid = confirmed_work("tr")
    lid = licences.grant(licensee, [wid], terms(territories=b"CNHK"), {"from": author}).return_value
    assert cover(wid, licensee, territory=tc("CN")) == (True, K_WORK, COVERED, lid)
    assert cover(wid, licensee, territory=tc("HK")) == (True, K_WORK, COVERED, lid)
    assert cover(wid, licensee, territory=tc("US")) == (False, K_WORK, WRONG_TERRITORY, lid)
    assert cover(wid, licensee) == (False, K_WORK, WRONG_TERRITORY, lid)  # unspecified: worldwide only
    ww = licences.grant(licensee, [wid], terms(), {"from": author}).return_value
    assert cover(wid, licensee, territory=tc("US")) == (True, K_WORK, COVERED, ww)
