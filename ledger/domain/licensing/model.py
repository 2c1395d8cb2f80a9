"""Licensing's vocabulary: scopes, states, reasons, parsers of uses, territories and times,
the records (Coverage, Terms, LicenceRecord) and EIP-712 offers (sign, verify)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.core import errors as E
from ledger.core import parsing
from ledger.core.abicodec import checksum as to_checksum_address
from ledger.core.eip712 import typed_data
from ledger.core.types import USES

SCOPE_WORK, SCOPE_LIST, SCOPE_REPERTOIRE = 1, 2, 3
SCOPES = {"work": SCOPE_WORK, "list": SCOPE_LIST, "repertoire": SCOPE_REPERTOIRE}
SCOPE_NAMES = {v: k for k, v in SCOPES.items()}
STATE_ACTIVE, STATE_SUSPENDED, STATE_REVOKED = 1, 2, 3
STATE_NAMES = {1: "active", 2: "suspended", 3: "revoked"}
KIND_NAMES = {0: None, 1: "work licence", 2: "blanket licence", 3: "open licence", 4: "statutory tariff"}
COVERED, NONE, REVOKED, SUSPENDED, NOT_YET_VALID, EXPIRED, WRONG_TERRITORY, WITHDRAWN, RESERVED, WORK_NOT_CONFIRMED = (
    range(10)
)
REASON_NAMES = {
    0: None,
    1: "none",
    2: "revoked",
    3: "suspended",
    4: "not yet valid",
    5: "expired",
    6: "wrong territory",
    7: "mandate withdrawn",
    8: "reserved",
    9: "work not confirmed",
}
FOREVER = (1 << 40) - 1
MAX_BATCH = 500
ZERO = "0x0000000000000000000000000000000000000000"
_CONFIRMED, _DISPUTED = 2, 4

EIP712_NAME = "RightsLedger LicenceRegistry"
EIP712_VERSION = "1"
OFFER_TYPES = {
    "Offer": [
        {"name": "licensor", "type": "address"},
        {"name": "licensee", "type": "address"},
        {"name": "workIds", "type": "bytes32[]"},
        {"name": "terms", "type": "LicenceTerms"},
        {"name": "token", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "LicenceTerms": [
        {"name": "scope", "type": "uint8"},
        {"name": "uses", "type": "uint32"},
        {"name": "start", "type": "uint40"},
        {"name": "end", "type": "uint40"},
        {"name": "exclusive", "type": "bool"},
        {"name": "flatFee", "type": "uint96"},
        {"name": "ratePerUse", "type": "uint96"},
        {"name": "territories", "type": "bytes"},
        {"name": "termsCid", "type": "bytes"},
    ],
}


# --- small parsers ------------------------------------------------------------------------


def parse_use(name: str) -> int:
    """One use's bit (``ai-training`` -> 32)."""
    if name not in USES:
        raise E.InputError(f"unknown use {name!r}", hint="one of: " + ", ".join(USES))
    return USES[name]


def parse_territory(code: str | None) -> bytes:
    """An assigned ISO 3166-1 alpha-2 code as 2 bytes; None, '' or 'worldwide' give b'' (see ledger.core.parsing)."""
    return parsing.parse_territory(code)


def parse_territories(codes: Iterable[str] | str | None) -> bytes:
    """Codes (a list, or one comma-separated string) as concatenated 2-byte codes; b'' = worldwide."""
    return parsing.parse_territories(codes)


def territories_of(raw: bytes) -> tuple[str, ...]:
    return tuple(raw[i : i + 2].decode() for i in range(0, len(raw), 2))


def parse_time(value: str | int | float | dt.date | None, default: int | None = None) -> int:
    """Unix seconds from an int, 'now', 'never', a date (YYYY-MM-DD, midnight UTC) or an ISO timestamp."""
    if isinstance(value, float) and value == value and 0 <= value < FOREVER:  # SDK callers pass time.time()
        value = int(value)
    return parsing.parse_time(value, default, forever=FOREVER)


def _wid_bytes(work_id: str) -> bytes:
    from ledger.domain.works import parse_work_id

    return bytes.fromhex(parse_work_id(work_id)[2:])


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """The answer to "may LICENSEE use WORK for USE in TERRITORY at AT?"."""

    work_id: str
    licensee: str
    use: str
    territory: str | None
    at: int
    covered: bool
    kind: str | None  # "work licence", "blanket licence", "open licence", "statutory tariff"
    licence_id: int | None
    reason: str | None  # None when covered

    def as_json(self) -> dict[str, Any]:
        return {
            "work": self.work_id,
            "licensee": self.licensee,
            "use": self.use,
            "territory": self.territory,
            "at": self.at,
            "covered": self.covered,
            "grant": self.kind,
            "licenceId": self.licence_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Terms:
    """Licence terms as the SDK takes them (see ILicenceRegistry.LicenceTerms)."""

    scope: int
    uses: int
    start: int
    end: int = FOREVER
    exclusive: bool = False
    flat_fee: int = 0
    rate_per_use: int = 0
    territories: bytes = b""
    terms_cid: bytes = b""
    # the terms document whose CID is ``terms_cid`` when it is not stored yet (stored by
    # Licensing.grant / make_offer only once the chain would accept the licence)
    document: bytes | None = field(default=None, compare=False, repr=False)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.scope,
            self.uses,
            self.start,
            self.end,
            self.exclusive,
            self.flat_fee,
            self.rate_per_use,
            self.territories,
            self.terms_cid,
        )

    def as_message(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "uses": self.uses,
            "start": self.start,
            "end": self.end,
            "exclusive": self.exclusive,
            "flatFee": self.flat_fee,
            "ratePerUse": self.rate_per_use,
            "territories": self.territories,
            "termsCid": self.terms_cid,
        }

    @classmethod
    def from_message(cls, m: dict[str, Any]) -> Terms:
        return cls(
            int(m["scope"]),
            int(m["uses"]),
            int(m["start"]),
            int(m["end"]),
            bool(m["exclusive"]),
            int(m["flatFee"]),
            int(m["ratePerUse"]),
            _as_bytes(m["territories"]),
            _as_bytes(m["termsCid"]),
        )


def _as_bytes(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray):
        return bytes(v)
    s = str(v)
    return bytes.fromhex(s.removeprefix("0x"))


@dataclass(frozen=True)
class LicenceRecord:
    """A licence: storage read through ``licence(id)``, works, CID and history from events."""

    licence_id: int
    licensor: str
    licensee: str | None  # None: an open licence (everyone)
    scope: str
    uses: tuple[str, ...]
    start: int
    end: int | None  # None: no end
    exclusive: bool
    collective: bool
    state: str
    revoked_at: int | None
    suspended_at: int | None
    flat_fee: int
    rate_per_use: int
    territories: tuple[str, ...]  # empty: worldwide
    terms_cid: str | None
    work_ids: tuple[str, ...]
    open_code: str | None
    history: tuple[dict[str, Any], ...] = field(default=())

    def status_at(self, at: int) -> str:
        """The licence's status at `at`: its state as it was then (the suspensions, resumptions
        and revocation in ``history``; a suspended span stays suspended whatever follows), then
        its term."""
        changes = {"LicenceSuspended": "suspended", "LicenceResumed": "active", "LicenceRevoked": "revoked"}
        timed = [(int(h["at"]), changes[h["event"]]) for h in self.history if h.get("event") in changes and "at" in h]
        if timed:
            state = "active"
            for when, st in sorted(timed, key=lambda x: x[0]):
                if when <= at:
                    state = st
            if state != "active":
                return state
        elif self.state == "revoked" and self.revoked_at is not None and at >= self.revoked_at:
            return "revoked"
        elif self.state == "suspended" and self.suspended_at is not None and at >= self.suspended_at:
            return "suspended"
        if at < self.start:
            return "not yet valid"
        if self.end is not None and at >= self.end:
            return "expired"
        return "active"


@dataclass(frozen=True)
class SignedOffer:
    """A licence offer with its licensor's EIP-712 signature, as exchanged in JSON."""

    chain_id: int
    contract: str
    licensor: str
    licensee: str  # ZERO: anyone with LICENSEE_ROLE
    work_ids: tuple[str, ...]
    terms: Terms
    nonce: int
    deadline: int
    signature: str
    token: str = ZERO  # the currency of the flat fee (signed): ZERO = the native currency

    def message(self) -> dict[str, Any]:
        return {
            "licensor": self.licensor,
            "licensee": self.licensee,
            "workIds": [bytes.fromhex(w[2:]) for w in self.work_ids],
            "terms": self.terms.as_message(),
            "token": self.token,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.licensor,
            self.licensee,
            [bytes.fromhex(w[2:]) for w in self.work_ids],
            self.terms.as_tuple(),
            self.token,
            self.nonce,
            self.deadline,
        )

    def to_json(self) -> dict[str, Any]:
        m = self.terms.as_message()
        return {
            "type": "rights-ledger/licence-offer",
            "chainId": self.chain_id,
            "contract": self.contract,
            "licensor": self.licensor,
            "licensee": self.licensee,
            "workIds": list(self.work_ids),
            "terms": {**m, "territories": _hex(m["territories"]), "termsCid": _hex(m["termsCid"])},
            "token": self.token,
            "nonce": str(self.nonce),
            "deadline": self.deadline,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SignedOffer:
        """An offer file's document, every field through ledger.core.parsing (no coercion)."""
        if not isinstance(doc, dict):
            raise E.InputError("not a licence offer: the document must be a JSON object")

        def field(d: Any, key: str, what: str = "offer") -> Any:
            if not isinstance(d, dict) or key not in d:
                raise E.InputError(f"not a licence offer: {what} lacks {key!r}")
            return d[key]

        def num(d: Any, key: str, bits: int) -> int:
            try:
                return parsing.parse_uint(field(d, key), key, bits=bits)
            except E.InputError as exc:
                raise E.InputError(f"not a licence offer: {exc.message}") from None

        def hexbytes(d: Any, key: str) -> bytes:
            v = field(d, key, "terms")
            if not isinstance(v, str) or not re.fullmatch(r"(0x)?([0-9a-fA-F]{2})*", v):
                raise E.InputError(f"not a licence offer: terms {key!r} must be hex bytes")
            return bytes.fromhex(v.removeprefix("0x"))

        try:
            terms_doc = field(doc, "terms")
            exclusive = field(terms_doc, "exclusive", "terms")
            if not isinstance(exclusive, bool):
                raise E.InputError("not a licence offer: terms 'exclusive' must be true or false")
            territories = hexbytes(terms_doc, "territories")
            if len(territories) % 2:
                raise E.InputError("not a licence offer: territories must be 2-letter codes")
            parsing.parse_territories([territories[i:i + 2].decode("ascii", "replace")
                                       for i in range(0, len(territories), 2)] or None)
            works = field(doc, "workIds")
            if not isinstance(works, list):
                raise E.InputError("not a licence offer: workIds must be a list of work ids")
            signature = field(doc, "signature")
            if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
                raise E.InputError("not a licence offer: the signature must be 0x + 130 hex digits")
            terms = Terms(num(terms_doc, "scope", 8), num(terms_doc, "uses", 32), num(terms_doc, "start", 40),
                          num(terms_doc, "end", 40), exclusive, num(terms_doc, "flatFee", 96),
                          num(terms_doc, "ratePerUse", 96), territories, hexbytes(terms_doc, "termsCid"))
            return cls(
                num(doc, "chainId", 64),
                parsing.parse_address(field(doc, "contract"), "offer contract"),
                parsing.parse_address(field(doc, "licensor"), "offer licensor", allow_zero=False),
                parsing.parse_address(field(doc, "licensee"), "offer licensee"),
                tuple(str(parsing.parse_work_id(w)) for w in works),
                terms,
                num(doc, "nonce", 256),
                num(doc, "deadline", 256),
                signature,
                parsing.parse_address(doc.get("token", ZERO), "offer token"),
            )
        except E.InputError as exc:
            msg = exc.message if exc.message.startswith("not a licence offer") else \
                f"not a licence offer: {exc.message}"
            raise E.InputError(msg, hint="give the offer file the licensor sent, unchanged") from None


def offer_typed_data(chain_id: int, contract: str, message: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 document of an offer (for eth_account ``encode_typed_data``)."""
    return typed_data(EIP712_NAME, EIP712_VERSION, chain_id, contract, OFFER_TYPES, "Offer", message)


def sign_offer(
    private_key: Any,
    chain_id: int,
    contract: str,
    licensor: str,
    licensee: str,
    work_ids: Sequence[str],
    terms: Terms,
    nonce: int,
    deadline: int,
    token: str = ZERO,
) -> SignedOffer:
    """Sign an offer locally with the licensor's key; ``token`` is the fee's currency (ZERO: native)."""
    unsigned = SignedOffer(
        chain_id, to_checksum_address(contract), to_checksum_address(licensor), to_checksum_address(licensee),
        tuple("0x" + _wid_bytes(w).hex() for w in work_ids), terms, int(nonce), int(deadline), "",
        to_checksum_address(token),
    )
    from eth_account import Account  # not at import: a read command never loads eth-account (issue 15)
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=offer_typed_data(chain_id, unsigned.contract, unsigned.message()))
    sig = Account.sign_message(signable, private_key).signature
    return SignedOffer(**{**unsigned.__dict__, "signature": _hex(sig)})


def offer_signer(offer: SignedOffer) -> str:
    """The address that signed the offer (equal to ``offer.licensor`` when it is genuine)."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=offer_typed_data(offer.chain_id, offer.contract, offer.message()))
    try:
        return str(Account.recover_message(signable, signature=bytes.fromhex(offer.signature.removeprefix("0x"))))
    except Exception as exc:  # malformed signature bytes
        raise E.SignatureInvalid("BadSignature", {}, f"the offer's signature is malformed ({exc})") from None
