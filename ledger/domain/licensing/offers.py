"""EIP-712 offers: signed by the licensor, accepted (and paid) by the licensee."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from ledger.core import errors as E
from ledger.domain.licensing.base import LicensingBase
from ledger.domain.licensing.model import (
    ZERO,
    SignedOffer,
    Terms,
    offer_signer,
    parse_time,
    sign_offer,
)


class Offers(LicensingBase):
    """Offers and the settlement token their flat fees are paid in."""

    # --- offers ----------------------------------------------------------------------

    def make_offer(self, licensee: str | None, works: Sequence[str], terms: Terms, *, nonce: int | None = None,
                   deadline: Any = None) -> SignedOffer:
        """Sign an offer with the ledger's signer (nothing is sent)."""
        from ledger.domain.works import parse_address

        signer = self.ledger.require_signer()
        self._store_terms(terms)  # the licensee reads the terms before accepting
        return sign_offer(
            signer.key, self.ledger.chain.chain_id, self.address, signer.address,
            parse_address(licensee, "licensee") if licensee else ZERO, works, terms,
            nonce if nonce is not None else secrets.randbits(64),
            parse_time(deadline, self.now() + 7 * 86400),
            self.settlement_token() or ZERO,
        )

    def verify_offer(self, offer: SignedOffer) -> None:
        """Raise unless the offer is for this chain and contract, genuinely signed, unused and in time."""
        if offer.chain_id != self.ledger.chain.chain_id or offer.contract != self.address:
            raise E.SignatureInvalid("BadSignature", {}, f"the offer is for chain {offer.chain_id}, contract "
                                     f"{offer.contract}; this ledger is chain {self.ledger.chain.chain_id}, "
                                     f"contract {self.address}")
        signer = offer_signer(offer)
        if signer != offer.licensor:
            raise E.SignatureInvalid("BadSignature", {"recovered": signer},
                                     f"the offer is signed by {signer}, not by its licensor {offer.licensor}")
        state = self.ledger.call(self.contract.functions.offerNonceState(offer.licensor, offer.nonce))
        if state:
            raise E.LicenceInvalid("OfferUsed", {"nonce": offer.nonce},
                                   f"offer nonce {offer.nonce} is {'used' if state == 1 else 'cancelled'} already")
        if offer.deadline < self.now():
            raise E.LicenceInvalid("OfferExpired", {"deadline": offer.deadline},
                                   f"the offer's deadline {offer.deadline} has passed")

    def settlement_token(self) -> str | None:
        token = str(self.ledger.call(self.contract.functions.settlementToken()))
        return None if int(token, 16) == 0 else token

    def set_settlement_token(self, token: str | None) -> Any:
        """As the governor: the ERC-20 token flat fees are paid in (None: native currency)."""
        from ledger.domain.works import parse_address

        return self.ledger.write(self.contract.functions.setSettlementToken(
            parse_address(token, "token") if token else ZERO))

    def accept(self, offer: SignedOffer) -> tuple[Any, int]:
        """Submit a signed offer as the licensee and pay its flat fee (approving the settlement
        token for exactly the fee first when the allowance is short)."""
        self.verify_offer(offer)
        me = self.ledger.require_signer().address
        fee = offer.terms.flat_fee
        current = self.settlement_token()
        if (current or ZERO) != offer.token:
            raise E.LicenceInvalid("WrongToken", {"signed": offer.token, "current": current or ZERO},
                                   f"the offer's fee is signed in {offer.token}, but the settlement token is "
                                   f"{current or ZERO}", hint="ask the licensor for a new offer")
        token = current if fee else None
        if token:
            erc20 = self.ledger.contract("IERC20", token)
            balance = int(self.ledger.call(erc20.functions.balanceOf(me)))
            if balance < fee:
                raise E.LicenceInvalid("InsufficientBalance", {"balance": balance, "fee": fee},
                                       f"the offer's flat fee is {fee} token units; {me} holds {balance}",
                                       hint="get settlement tokens first")
            if int(self.ledger.call(erc20.functions.allowance(me, self.address))) < fee:
                self.ledger.transact(erc20.functions.approve(self.address, fee))
        elif fee:
            balance = int(self.ledger.chain.call(lambda: self.ledger.w3.eth.get_balance(me)))
            if balance < fee:
                raise E.LicenceInvalid("InsufficientBalance", {"balance": balance, "fee": fee},
                                       f"the offer's flat fee is {fee} wei; {me} holds {balance} and no settlement "
                                       "token is set", hint="the governor sets one with `licence settlement-token`")
        fn = self.contract.functions.accept(offer.as_tuple(), bytes.fromhex(offer.signature.removeprefix("0x")))
        tx = self.ledger.transact(fn, 0 if token else fee)
        return tx.written, self._licence_id(tx.events)

    def cancel_offer(self, nonce: int) -> Any:
        return self.ledger.write(self.contract.functions.cancelOffer(int(nonce)))
