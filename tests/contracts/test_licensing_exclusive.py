"""Issue 12, findings 5 and 7: an active exclusive licence excludes every other overlapping grant
(SPECIFICATION.md R70a, R70b), and a signed offer fixes the currency of its fee (R77a).
Each attack of the review is performed and must now revert."""

import pytest
from brownie import SettlementToken, accounts, chain

from ledger.core.types import USES
from ledger.domain.licensing import FOREVER, SCOPE_WORK, Terms, sign_offer

AI, REPRO = USES["ai-training"], USES["reproduce"]
WORK, LIST = 1, 2
CID = b"\x01\x55\x12\x20" + b"\x11" * 32
ZERO = "0x0000000000000000000000000000000000000000"
EXCL_CONFLICT = "LicenceRegistry__ExclusiveConflict(bytes32,uint64)"
EXCL_BLOCKED = "LicenceRegistry__ExclusiveBlocked(bytes32,uint32)"


@pytest.fixture(scope="module")
def competitor(roles, role, governor, spare):
    roles.grantRole(role.LICENSEE, spare[0], {"from": governor})
    return spare[0]


def terms(uses=AI, start=None, end=FOREVER, exclusive=False, territories=b"", scope=WORK, rate=0):
    start = chain.time() - 10 if start is None else start
    return (scope, uses, start, end, exclusive, 0, rate, territories, CID)


@pytest.fixture
def exclusive(licences, registry, co_owned_work, author, coauthor, licensee):
    """The review's scenario: a co-owned work, an exclusive AI licence with every co-owner's consent."""
    wid = co_owned_work("exclusive-scenario")
    t = terms(exclusive=True, territories=b"DE")
    registry.consent(wid, licences.exclusiveActionHash(wid, author, licensee, t), {"from": coauthor})
    lid = licences.grant(licensee, [wid], t, {"from": author}).return_value
    return wid, lid


# --- R70a: an active exclusive licence excludes every overlapping grant -------------------------


def test_co_owner_cannot_grant_the_same_use_to_a_competitor(licences, exclusive, coauthor, competitor, err):
    wid, lid = exclusive
    with err.reverts_with(EXCL_CONFLICT, wid, lid):
        licences.grant(competitor, [wid], terms(), {"from": coauthor})


def test_co_owner_cannot_grant_it_in_a_list(licences, exclusive, coauthor, competitor, confirmed_work, err):
    wid, lid = exclusive
    other = confirmed_work("list-neighbour", [(coauthor, 10_000)], sender=coauthor)
    with err.reverts_with(EXCL_CONFLICT, wid, lid):
        licences.grant(competitor, [other, wid], terms(scope=LIST), {"from": coauthor})


def test_co_owner_cannot_publish_an_open_licence_over_it(licences, exclusive, coauthor, err):
    wid, lid = exclusive
    with err.reverts_with(EXCL_CONFLICT, wid, lid):
        licences.publishOpenLicence(wid, AI, b"CC0".ljust(32, b"\0"), b"", {"from": coauthor})


def test_co_owner_cannot_mandate_it_to_a_cmo_for_blanket_licensing(licences, exclusive, coauthor, cmo, err):
    wid, lid = exclusive
    with err.reverts_with(EXCL_CONFLICT, wid, lid):
        licences.mandate(wid, cmo, AI | REPRO, {"from": coauthor})


def test_grants_that_do_not_overlap_still_pass(licences, exclusive, coauthor, competitor, licensee, lens):
    wid, lid = exclusive
    # another use, another territory, after the exclusive's term, and to the exclusive licensee itself
    licences.grant(competitor, [wid], terms(uses=REPRO), {"from": coauthor})
    licences.grant(competitor, [wid], terms(territories=b"FR"), {"from": coauthor})
    licences.grant(licensee, [wid], terms(), {"from": coauthor})
    assert tuple(lens.coverage(wid, competitor, REPRO, "0x4445", 0))[0]
    assert not tuple(lens.coverage(wid, competitor, AI, "0x4445", 0))[0]


def test_grants_pass_again_once_the_exclusive_is_revoked(licences, exclusive, author, coauthor, competitor, cmo):
    wid, lid = exclusive
    licences.revoke(lid, "ended early", {"from": author})
    licences.grant(competitor, [wid], terms(), {"from": coauthor})
    licences.publishOpenLicence(wid, AI, b"CC0".ljust(32, b"\0"), b"", {"from": coauthor})
    licences.mandate(wid, cmo, AI, {"from": coauthor})


# --- R70b: an exclusive licence cannot be granted over a mandate or an open licence ---------------


def test_exclusive_reverts_while_the_work_is_mandated_for_that_use(licences, confirmed_work, author, cmo,
                                                                   licensee, err):
    wid = confirmed_work("mandated-then-exclusive")
    licences.mandate(wid, cmo, AI, {"from": author})
    with err.reverts_with(EXCL_BLOCKED, wid, AI):
        licences.grant(licensee, [wid], terms(exclusive=True), {"from": author})
    licences.grant(licensee, [wid], terms(uses=REPRO, exclusive=True), {"from": author})  # another use: fine


def test_exclusive_reverts_over_a_live_open_licence(licences, confirmed_work, author, licensee, err):
    wid = confirmed_work("open-then-exclusive")
    licences.publishOpenLicence(wid, AI, b"CC0".ljust(32, b"\0"), b"", {"from": author})
    with err.reverts_with(EXCL_BLOCKED, wid, AI):
        licences.grant(licensee, [wid], terms(exclusive=True), {"from": author})


# --- R77a: the fee's currency is signed -------------------------------------------------------------


@pytest.fixture(scope="module")
def signer_holder(roles, registrar, governor, kit):
    acct = accounts.add("0x" + "5e" * 32)
    if acct.balance() < 10**18:
        governor.transfer(acct, "5 ether")
    roles.verifyHolder(acct, kit.commitment_for("token-signer"), {"from": registrar})
    return acct


def _offer(licences, signer, wid, token, fee=1_000):
    t = Terms(scope=SCOPE_WORK, uses=AI, start=chain.time() - 10, end=FOREVER, flat_fee=fee, terms_cid=CID)
    return sign_offer(signer.private_key, chain.id, licences.address, signer.address, ZERO, [wid], t, 1,
                      chain.time() + 3600, token)


def test_offer_signed_in_native_currency_reverts_once_a_token_is_set(licences, roles, governor, confirmed_work,
                                                                    signer_holder, licensee, err):
    """The attack: a fee signed as 1,000 wei is paid as 1,000 units of whatever token is set later."""
    wid = confirmed_work("offer-currency", [(signer_holder, 10_000)], sender=signer_holder)
    offer = _offer(licences, signer_holder, wid, ZERO)
    token = SettlementToken.deploy(roles, {"from": governor})
    licences.setSettlementToken(token, {"from": governor})
    with err.reverts_with("LicenceRegistry__WrongToken(address,address)", ZERO, token):
        licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})


def test_offer_signed_in_the_settlement_token_pays_in_it(licences, roles, governor, confirmed_work, signer_holder,
                                                         licensee):
    wid = confirmed_work("offer-currency-ok", [(signer_holder, 10_000)], sender=signer_holder)
    token = SettlementToken.deploy(roles, {"from": governor})
    licences.setSettlementToken(token, {"from": governor})
    token.mint(licensee, 5_000, {"from": governor})
    token.approve(licences, 1_000, {"from": licensee})
    offer = _offer(licences, signer_holder, wid, token.address)
    licences.accept(offer.as_tuple(), offer.signature, {"from": licensee})
    assert token.balanceOf(signer_holder) == 1_000


def test_changing_the_signed_token_breaks_the_signature(licences, roles, governor, confirmed_work, signer_holder,
                                                        licensee, err):
    wid = confirmed_work("offer-currency-forged", [(signer_holder, 10_000)], sender=signer_holder)
    token = SettlementToken.deploy(roles, {"from": governor})
    licences.setSettlementToken(token, {"from": governor})
    offer = _offer(licences, signer_holder, wid, ZERO)
    forged = list(offer.as_tuple())
    forged[4] = token.address  # the licensee swaps the currency in the message
    with pytest.raises(Exception, match="BadSignature"):
        licences.accept(tuple(forged), offer.signature, {"from": licensee})


def test_co_owner_cannot_sell_the_excluded_use_by_offer(licences, registry, confirmed_work, signer_holder, author,
                                                        licensee, competitor, err):
    wid = confirmed_work("offer-excluded", [(author, 6000), (signer_holder, 4000)])
    t = terms(exclusive=True)
    registry.consent(wid, licences.exclusiveActionHash(wid, author, licensee, t), {"from": signer_holder})
    lid = licences.grant(licensee, [wid], t, {"from": author}).return_value
    offer = _offer(licences, signer_holder, wid, ZERO, fee=0)
    with err.reverts_with(EXCL_CONFLICT, wid, lid):
        licences.accept(offer.as_tuple(), offer.signature, {"from": competitor})
