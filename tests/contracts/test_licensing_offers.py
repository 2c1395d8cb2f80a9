"""LicenceRegistry: signed offers, open licences, statutory tariffs, replayable events
(SPECIFICATION.md R76-R79)."""

import hashlib

import pytest
from brownie import CoverageLens, accounts, chain
from brownie.exceptions import VirtualMachineError

from ledger.core.types import USES
from ledger.domain.licensing import FOREVER, SCOPE_WORK, Terms, offer_signer, sign_offer

AI = USES["ai-training"]
REPRO = USES["reproduce"]
(COVERED, NONE, REVOKED, SUSPENDED, NOT_YET_VALID, EXPIRED, WRONG_TERRITORY, WITHDRAWN, RESERVED,
 NOT_CONFIRMED) = range(10)
K_WORK, K_BLANKET, K_OPEN, K_STATUTORY = 1, 2, 3, 4
NO_TERRITORY = "0x0000"
CID = b"\x01\x55\x12\x20" + b"\x22" * 32
ZERO = "0x0000000000000000000000000000000000000000"

USED = "LicenceRegistry__OfferUsed(address,uint256)"
CANCELLED = "LicenceRegistry__OfferCancelled(address,uint256)"
NOT_FOR = "LicenceRegistry__OfferNotForCaller(address,address)"
BAD_SIG = "LicenceRegistry__BadSignature(address,address)"
PAYMENT = "LicenceRegistry__WrongPayment(uint256,uint256)"
NOT_HOLDER = "LicenceRegistry__NotAHolder(bytes32,address)"
INVALID_USES = "LicenceRegistry__InvalidUses(uint32)"
INVALID_TARIFF = "LicenceRegistry__InvalidTariff(uint32,uint40,uint40)"


@pytest.fixture(scope="module")
def signer_holder(keyed_holder):
    """A verified holder whose private key the test knows (offers are signed off-chain)."""
    return keyed_holder("rights-ledger-offer-signer", "signer")


@pytest.fixture(scope="module")
def offer_work(confirmed_work, signer_holder):
    def make(seed="offered"):
        return confirmed_work(seed, [(signer_holder, 10_000)], sender=signer_holder)

    return make


@pytest.fixture(scope="module")
def make_offer(licences, signer_holder):
    def make(work_ids, licensee=ZERO, nonce=1, deadline=None, flat=0, key=None, chain_id=None, contract=None,
             uses=AI, scope=SCOPE_WORK, licensor=None, token=ZERO):
        terms = Terms(scope=scope, uses=uses, start=chain.time() - 10, end=FOREVER, flat_fee=flat, terms_cid=CID)
        return sign_offer(
            key or signer_holder.private_key,
            chain_id or chain.id,
            contract or licences.address,
            licensor or signer_holder.address,
            str(licensee),
            work_ids,
            terms,
            nonce,
            deadline if deadline is not None else chain.time() + 3600,
            str(token),
        )

    return make


_LENS: list = []


@pytest.fixture(scope="module", autouse=True)
def lens(licences, registry, governor):
    """The CoverageLens over this module's registry (module scope: it survives test isolation)."""
    _LENS[:] = [CoverageLens.deploy(licences, registry, {"from": governor})]
    return _LENS[0]


def cover(licences, wid, who, use=AI, at=0):
    """Coverage from the module's CoverageLens over `licences`."""
    return tuple(_LENS[0].coverage(wid, who, use, NO_TERRITORY, at))


# --- R76: signed offers --------------------------------------------------------------------------


def test_accept_offer_grants_and_pays(licences, offer_work, make_offer, signer_holder, licensee):
    wid = offer_work()
    offer = make_offer([wid], licensee=licensee, flat=12345)
    assert offer_signer(offer) == signer_holder.address
    before = signer_holder.balance()

    tx = licences.accept(offer.as_tuple(), offer.signature, {"from": licensee, "value": 12345})

    lid = tx.return_value
    assert signer_holder.balance() - before == 12345
    ev = tx.events["OfferAccepted"]
    assert (ev["licenceId"], ev["licensor"], ev["nonce"], ev["paid"]) == (lid, signer_holder, 1, 12345)
    assert licences.offerNonceState(signer_holder, 1) == 1
    assert cover(licences, wid, licensee) == (True, K_WORK, COVERED, lid)
    assert licences.licence(lid)[0] == signer_holder


def test_accept_reverts_when_used(licences, offer_work, make_offer, signer_holder, licensee, err):
    offer = make_offer([offer_work()])
    licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})
    with err.reverts_with(USED, signer_holder, 1):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})


def test_accept_reverts_when_cancelled(licences, offer_work, make_offer, signer_holder, licensee, err):
    offer = make_offer([offer_work()], nonce=7)
    tx = licences.cancelOffer(7, {"from": signer_holder})
    assert tx.events["OfferCancelled"]["nonce"] == 7
    with err.reverts_with(CANCELLED, signer_holder, 7):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})
    with err.reverts_with(CANCELLED, signer_holder, 7):
        licences.cancelOffer(7, {"from": signer_holder})


def test_accept_reverts_when_expired(licences, offer_work, make_offer, licensee, err):
    deadline = chain.time() + 60
    offer = make_offer([offer_work()], deadline=deadline)
    chain.sleep(120)
    chain.mine()
    with pytest.raises(VirtualMachineError) as info:  # the call's block time is not known in advance
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})
    assert info.value.revert_msg.startswith(f"LicenceRegistry__OfferExpired: {deadline}, ")


def test_accept_reverts_when_not_for_caller(licences, offer_work, make_offer, licensee, rando, err):
    offer = make_offer([offer_work()], licensee=rando)
    with err.reverts_with(NOT_FOR, rando, licensee):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})


def test_accept_reverts_when_signed_for_other_chain_or_contract(licences, offer_work, make_offer, signer_holder,
                                                               licensee, err):
    wid = offer_work()
    for offer in (make_offer([wid], chain_id=chain.id + 1), make_offer([wid], contract=signer_holder.address)):
        recovered = _recover_on_this_chain(licences, offer)
        with err.reverts_with(BAD_SIG, signer_holder, recovered):
            licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})


def test_accept_reverts_when_signed_by_other_key(licences, offer_work, make_offer, signer_holder, licensee, err):
    other_key = "0x" + hashlib.sha256(b"someone-else").hexdigest()
    offer = make_offer([offer_work()], key=other_key)
    with err.reverts_with(BAD_SIG, signer_holder, accounts.add(other_key).address):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})


def test_accept_reverts_when_payment_wrong(licences, offer_work, make_offer, licensee, err):
    offer = make_offer([offer_work()], flat=500)
    with err.reverts_with(PAYMENT, 500, 499):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee, "value": 499})


def test_accept_reverts_when_licensor_not_holder(licences, confirmed_work, make_offer, signer_holder, licensee, err):
    wid = confirmed_work("not-signers")
    offer = make_offer([wid])
    with err.reverts_with(NOT_HOLDER, wid, signer_holder):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})


def _recover_on_this_chain(licences, offer):
    """The address the contract recovers: the offer re-read under this chain and contract."""
    from dataclasses import replace

    return offer_signer(replace(offer, chain_id=chain.id, contract=licences.address))


# --- R77: open licences ------------------------------------------------------------------------


def test_open_licence_covers_anyone(licences, confirmed_work, author, licensee, rando):
    wid = confirmed_work("open")
    code = b"CC-BY-4.0".ljust(32, b"\0")
    tx = licences.publishOpenLicence(wid, AI | REPRO, code, CID, {"from": author})
    lid = tx.return_value
    ev = tx.events["OpenLicencePublished"]
    assert (ev["licenceId"], ev["workId"], ev["licensor"], ev["uses"]) == (lid, wid, author, AI | REPRO)
    assert bytes(ev["code"]) == code
    for who in (licensee, rando):
        assert cover(licences, wid, who) == (True, K_OPEN, COVERED, lid)
    assert list(licences.openLicencesOf(wid)) == [lid]
    licences.revoke(lid, "withdrawn", {"from": author})
    assert cover(licences, wid, rando) == (False, K_OPEN, REVOKED, lid)


def test_open_licence_reverts_when_not_holder(licences, confirmed_work, coauthor, err):
    wid = confirmed_work("open2")
    with err.reverts_with(NOT_HOLDER, wid, coauthor):
        licences.publishOpenLicence(wid, AI, b"CC0".ljust(32, b"\0"), b"", {"from": coauthor})


# --- R78: statutory tariffs --------------------------------------------------------------------


def test_tariff_covers_confirmed_unreserved_work(licences, registry, confirmed_work, governor, author, rando,
                                                 register_work):
    wid, pending = confirmed_work("stat"), register_work("stat-pending")
    now = chain.time()
    tx = licences.setTariff(AI, 100, 86400 * 30, now - 10, now + 1000, {"from": governor})
    ev = tx.events["TariffSet"]
    assert (ev["use"], ev["amountPerWork"], ev["period"], ev["validUntil"]) == (AI, 100, 86400 * 30, now + 1000)
    set_at = chain[tx.block_number].timestamp
    assert ev["validFrom"] == set_at  # a validFrom in the past is taken as now (R104)
    assert cover(licences, wid, rando) == (True, K_STATUTORY, COVERED, 0)
    assert cover(licences, wid, rando, use=REPRO) == (False, 0, NONE, 0)
    assert cover(licences, wid, rando, at=now + 1000) == (False, K_STATUTORY, EXPIRED, 0)
    assert cover(licences, wid, rando, at=set_at - 1) == (False, 0, NONE, 0)  # no version in force before it
    assert cover(licences, pending, rando) == (False, 0, NOT_CONFIRMED, 0)
    registry.reserveUses(wid, AI, {"from": author})
    assert cover(licences, wid, rando) == (False, K_STATUTORY, RESERVED, 0)


def test_set_tariff_reverts_when_not_governor(licences, author, err, role):
    with err.unauthorized(author, role.GOVERNOR):
        licences.setTariff(AI, 100, 86400, 0, 0, {"from": author})


def test_set_tariff_reverts_on_invalid_values(licences, governor, err):
    with err.reverts_with(INVALID_USES, AI | REPRO):
        licences.setTariff(AI | REPRO, 100, 86400, 0, 0, {"from": governor})
    with err.reverts_with(INVALID_TARIFF, 0, 0, FOREVER):
        licences.setTariff(AI, 100, 0, 0, 0, {"from": governor})
    with err.reverts_with(INVALID_TARIFF, 86400, 50, 50):
        licences.setTariff(AI, 100, 86400, 50, 50, {"from": governor})


# --- R79: every change emits an event that replays it -----------------------------------------


def test_grant_event_replays_stored_licence(licences, confirmed_work, author, licensee):
    a, b = confirmed_work("ev1"), confirmed_work("ev2")
    now = chain.time()
    t = (2, AI | REPRO, now, now + 500, False, 9, 3, b"CNUS", CID)
    tx = licences.grant(licensee, [a, b], t, {"from": author})
    ev = tx.events["LicenceGranted"]
    stored = licences.licence(ev["licenceId"])
    terms = ev["terms"]
    assert (ev["licensor"], ev["licensee"], ev["collective"]) == (stored[0], stored[6], stored[9])
    assert list(ev["workIds"]) == [a, b]
    assert (terms[0], terms[1], terms[2], terms[3], terms[4]) == (stored[3], stored[1], stored[2], stored[7], stored[5])
    assert (terms[5], terms[6], bytes(terms[7]), bytes(terms[8])) == (stored[11], stored[12], bytes(stored[13]), CID)
    assert licences.listsWork(ev["licenceId"], a) and licences.listsWork(ev["licenceId"], b)
    assert list(licences.workLicencesOf(ev["workIds"][0], licensee)) == [ev["licenceId"]]


def test_lifecycle_events_carry_effective_time(licences, confirmed_work, author, licensee):
    wid = confirmed_work("ev3")
    lid = licences.grant(licensee, [wid], (1, AI, 0, FOREVER, False, 0, 0, b"", CID), {"from": author}).return_value
    tx = licences.suspend(lid, "s", {"from": author})
    assert tx.events["LicenceSuspended"]["at"] == licences.licence(lid)[10] == tx.timestamp
    tx = licences.revoke(lid, "r", {"from": author})
    assert tx.events["LicenceRevoked"]["at"] == licences.licence(lid)[8] == tx.timestamp


# --- R76 (payment): flat fees in the settlement token when the governor set one -------------


def test_accept_pays_in_settlement_token(licences, roles, offer_work, make_offer, signer_holder, licensee, governor):
    from brownie import SettlementToken

    token = SettlementToken.deploy(roles, {"from": governor})
    token.mint(licensee, 5000, {"from": governor})
    tx = licences.setSettlementToken(token, {"from": governor})
    assert tx.events["SettlementTokenSet"]["token"] == token
    offer = make_offer([offer_work()], flat=3000, nonce=55, token=token)
    token.approve(licences, 3000, {"from": licensee})

    licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})

    assert token.balanceOf(signer_holder) == 3000 and token.balanceOf(licensee) == 2000


def test_accept_reverts_when_token_not_approved_or_value_sent(licences, roles, offer_work, make_offer, signer_holder,
                                                              licensee, governor, err, role):
    from brownie import SettlementToken

    token = SettlementToken.deploy(roles, {"from": governor})
    token.mint(licensee, 5000, {"from": governor})
    with err.unauthorized(licensee, role.GOVERNOR):
        licences.setSettlementToken(token, {"from": licensee})
    licences.setSettlementToken(token, {"from": governor})
    offer = make_offer([offer_work()], flat=3000, nonce=56, token=token)
    with err.reverts_with(PAYMENT, 0, 3000):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee, "value": 3000})
    # SafeERC20 passes the token's own refusal on
    with err.reverts_with("ERC20InsufficientAllowance(address,uint256,uint256)", licences, 0, 3000):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})
    assert licences.offerNonceState(signer_holder, 56) == 0  # all or nothing
