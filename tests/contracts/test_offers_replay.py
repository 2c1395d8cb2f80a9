"""Replay protection of signed licence offers (EIP-712, SPECIFICATION.md R77; docs/SECURITY.md).

An offer is bound to its chain and contract by the EIP-712 domain, to its licensor by the
signature, and to one use by the licensor's nonce; it ends at its deadline or when the
licensor cancels its nonce. Every replay below is refused with the exact custom error and
its arguments, and a refused offer leaves the nonce unused (offerNonceState stays 0).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from brownie import LicenceRegistry, accounts, chain, web3
from eth_abi import encode as abi_encode
from eth_utils import keccak

from ledger.core.types import USES
from ledger.domain.licensing import EIP712_NAME, EIP712_VERSION, FOREVER, SCOPE_WORK, Terms, offer_signer, sign_offer

AI = USES["ai-training"]
CID = b"\x01\x55\x12\x20" + b"\x44" * 32
ZERO = "0x0000000000000000000000000000000000000000"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

EXPIRED = "LicenceRegistry__OfferExpired(uint256,uint256)"
USED = "LicenceRegistry__OfferUsed(address,uint256)"
CANCELLED = "LicenceRegistry__OfferCancelled(address,uint256)"
BAD_SIG = "LicenceRegistry__BadSignature(address,address)"
NOT_FOR = "LicenceRegistry__OfferNotForCaller(address,address)"
UNUSED, STATE_USED, STATE_CANCELLED = 0, 1, 2


def _key(seed: str) -> str:
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()


@pytest.fixture(scope="module")
def second_licences(roles, registry, governor):
    """A second LicenceRegistry over the same roles and works: another EIP-712 domain."""
    return LicenceRegistry.deploy(roles, registry, {"from": governor})


@pytest.fixture(scope="module")
def licensor(keyed_holder):
    """A verified holder whose key the test holds (it signs offers locally)."""
    return keyed_holder("rights-ledger-replay-licensor", "replay-licensor")


@pytest.fixture(scope="module")
def work(confirmed_work, licensor):
    """A CONFIRMED work held wholly by `licensor`."""
    return confirmed_work("replayed-work", [(licensor, 10_000)], sender=licensor)


@pytest.fixture(scope="module")
def second_licensee(roles, governor, spare, role):
    """Another account with LICENSEE_ROLE."""
    roles.grantRole(role.LICENSEE, spare[1], {"from": governor})
    return spare[1]


@pytest.fixture(scope="module")
def offer(licences, licensor, work):
    """Sign an offer of `work` by `licensor` (defaults: open to any licensee, nonce 1)."""

    def make(*, nonce=1, licensee=ZERO, deadline=None, key=None, chain_id=None, contract=None, uses=AI):
        terms = Terms(scope=SCOPE_WORK, uses=uses, start=0, end=FOREVER, terms_cid=CID)
        return sign_offer(
            key or licensor.private_key,
            chain.id if chain_id is None else chain_id,
            contract or licences.address,
            licensor.address,
            str(licensee),
            [work],
            terms,
            nonce,
            chain.time() + 3600 if deadline is None else deadline,
        )

    return make


def recovered_by(registry, signed):
    """The address `registry` recovers from `signed`: the offer read in its own domain."""
    return offer_signer(replace(signed, chain_id=chain.id, contract=registry.address))


def accept(registry, signed, sender, **params):
    return registry.accept(signed.as_tuple(), signed.signature, {"from": sender, **params})


# --- the domain --------------------------------------------------------------------------------


def test_domain_binds_name_version_chain_and_contract(licences, second_licences):
    domain_type = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    for registry in (licences, second_licences):
        expected = keccak(abi_encode(["bytes32", "bytes32", "bytes32", "uint256", "address"], [
            domain_type, keccak(text=EIP712_NAME), keccak(text=EIP712_VERSION), chain.id, registry.address]))
        assert bytes(registry.DOMAIN_SEPARATOR()) == expected  # name, version, chainId, verifyingContract
    assert licences.address != second_licences.address
    assert bytes(licences.DOMAIN_SEPARATOR()) != bytes(second_licences.DOMAIN_SEPARATOR())


def test_accept_succeeds_for_genuine_offer(licences, offer, licensor, licensee):
    signed = offer()
    tx = accept(licences, signed, licensee)
    assert tx.events["OfferAccepted"]["nonce"] == 1
    assert licences.offerNonceState(licensor, 1) == STATE_USED


# --- another chain -----------------------------------------------------------------------------


@pytest.mark.parametrize("other_chain", [1, 1337, "next"])
def test_accept_reverts_when_signed_for_another_chain_id(licences, offer, licensor, licensee, err, other_chain):
    chain_id = chain.id + 1 if other_chain == "next" else other_chain
    assert chain_id != chain.id
    signed = offer(chain_id=chain_id)
    recovered = recovered_by(licences, signed)
    assert recovered != licensor.address
    with err.reverts_with(BAD_SIG, licensor, recovered):
        accept(licences, signed, licensee)
    assert licences.offerNonceState(licensor, 1) == UNUSED
    accept(licences, offer(), licensee)  # the same nonce, signed for this chain, still works


# --- another contract --------------------------------------------------------------------------


def test_accept_reverts_when_offer_for_another_registry(licences, second_licences, offer, licensor, licensee, err):
    signed = offer(contract=licences.address)
    with err.reverts_with(BAD_SIG, licensor, recovered_by(second_licences, signed)):
        accept(second_licences, signed, licensee)
    assert second_licences.offerNonceState(licensor, 1) == UNUSED
    accept(licences, signed, licensee)  # where it was signed for, it is accepted


def test_accept_reverts_on_second_registry_after_use_on_first(licences, second_licences, offer, licensor,
                                                             licensee, err):
    signed = offer(contract=licences.address)
    accept(licences, signed, licensee)
    with err.reverts_with(BAD_SIG, licensor, recovered_by(second_licences, signed)):
        accept(second_licences, signed, licensee)
    # Each registry keeps its own nonces: an offer signed for the second one is accepted there.
    accept(second_licences, offer(contract=second_licences.address), licensee)
    assert (licences.offerNonceState(licensor, 1), second_licences.offerNonceState(licensor, 1)) == (1, 1)


# --- after use ---------------------------------------------------------------------------------


def test_accept_reverts_when_replayed_after_use(licences, offer, licensor, licensee, second_licensee, err):
    signed = offer(nonce=5)
    accept(licences, signed, licensee)
    with err.reverts_with(USED, licensor, 5):
        accept(licences, signed, licensee)
    with err.reverts_with(USED, licensor, 5):  # an open offer: nor by another licensee
        accept(licences, signed, second_licensee)
    with err.reverts_with(USED, licensor, 5):  # other terms under the used nonce: refused too
        accept(licences, offer(nonce=5, uses=USES["reproduce"]), licensee)
    assert licences.licenceCount() == 1


def test_cancel_reverts_after_use(licences, offer, licensor, licensee, err):
    accept(licences, offer(nonce=6), licensee)
    with err.reverts_with(USED, licensor, 6):
        licences.cancelOffer(6, {"from": licensor})


# --- after the deadline ------------------------------------------------------------------------


def _next_block_at(timestamp: int) -> None:
    web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def test_accept_succeeds_at_deadline(licences, offer, licensor, licensee):
    deadline = chain.time() + 600
    signed = offer(deadline=deadline)
    _next_block_at(deadline)
    tx = accept(licences, signed, licensee, gas_limit=2_000_000)
    assert tx.timestamp == deadline
    assert licences.offerNonceState(licensor, 1) == STATE_USED


def test_accept_reverts_after_deadline(licences, offer, licensor, licensee, err):
    deadline = chain.time() + 600
    signed = offer(deadline=deadline)
    _next_block_at(deadline + 1)
    with err.reverts_with(EXPIRED, deadline, deadline + 1):
        accept(licences, signed, licensee, gas_limit=2_000_000)
    assert licences.offerNonceState(licensor, 1) == UNUSED


# --- after cancellation ------------------------------------------------------------------------


def test_accept_reverts_after_cancellation(licences, offer, licensor, licensee, err):
    signed = offer(nonce=9)
    tx = licences.cancelOffer(9, {"from": licensor})
    assert (tx.events["OfferCancelled"]["licensor"], tx.events["OfferCancelled"]["nonce"]) == (licensor, 9)
    with err.reverts_with(CANCELLED, licensor, 9):
        accept(licences, signed, licensee)
    with err.reverts_with(CANCELLED, licensor, 9):
        licences.cancelOffer(9, {"from": licensor})
    assert licences.offerNonceState(licensor, 9) == STATE_CANCELLED


def test_cancel_by_another_account_leaves_licensor_nonce_alone(licences, offer, licensor, licensee, rando):
    signed = offer(nonce=10)
    licences.cancelOffer(10, {"from": rando})  # cancels rando's own nonce 10, nothing else
    assert licences.offerNonceState(rando, 10) == STATE_CANCELLED
    assert licences.offerNonceState(licensor, 10) == UNUSED
    accept(licences, signed, licensee)


# --- the wrong signer --------------------------------------------------------------------------


def test_accept_reverts_when_signed_by_wrong_key(licences, offer, licensor, licensee, err):
    other_key = _key("rights-ledger-replay-impostor")
    signed = offer(key=other_key)
    with err.reverts_with(BAD_SIG, licensor, accounts.add(other_key).address):
        accept(licences, signed, licensee)
    assert licences.offerNonceState(licensor, 1) == UNUSED


def test_accept_reverts_when_signed_by_another_holder(licences, offer, licensor, licensee, cmo, err,
                                                    confirmed_work):
    """A real holder's key (of another work) cannot offer `licensor`'s work in its name."""
    holder_key = _key("rights-ledger-replay-other-holder")
    holder = accounts.add(holder_key)
    confirmed_work("other-holders-work", [(holder, 10_000)], sender=cmo)
    with err.reverts_with(BAD_SIG, licensor, holder.address):
        accept(licences, offer(key=holder_key), licensee)


def test_accept_reverts_when_a_signed_field_is_changed(licences, offer, licensor, licensee, err):
    signed = offer(nonce=3)
    for changed in (
        replace(signed, nonce=4),
        replace(signed, deadline=signed.deadline + 1),
        replace(signed, terms=replace(signed.terms, uses=AI | USES["reproduce"])),
        replace(signed, licensee=str(licensee)),
    ):
        with err.reverts_with(BAD_SIG, licensor, recovered_by(licences, changed)):
            accept(licences, changed, licensee)
    accept(licences, signed, licensee)


def test_accept_reverts_when_signature_is_malleated(licences, offer, licensor, licensee, err):
    """The high-s twin of a valid signature recovers to no one (OpenZeppelin ECDSA)."""
    signed = offer()
    sig = bytes.fromhex(signed.signature.removeprefix("0x"))
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    with err.reverts_with(BAD_SIG, licensor, ZERO):
        licences.accept(signed.as_tuple(), "0x" + twin.hex(), {"from": licensee})
    assert licences.offerNonceState(licensor, 1) == UNUSED


def test_accept_reverts_when_named_licensee_differs(licences, offer, licensor, licensee, second_licensee, err):
    signed = offer(licensee=second_licensee)
    with err.reverts_with(NOT_FOR, second_licensee, licensee):
        accept(licences, signed, licensee)
    accept(licences, signed, second_licensee)


def test_accept_open_offer_reverts_without_licensee_role(licences, offer, licensor, auditor, rando, role, err):
    signed = offer()  # names nobody: any account with LICENSEE_ROLE, and only such an account
    for caller in (auditor, rando):
        with err.reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", caller, role.LICENSEE):
            accept(licences, signed, caller)
    assert licences.offerNonceState(licensor, 1) == UNUSED
