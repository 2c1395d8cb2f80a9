"""Licensing: mandates, licences, offers, open licences, tariffs and "am I covered?".

Writes go through the ``Ledger``'s signer (``Licensing(ledger).grant(...)``). Reads come
in two speeds: :meth:`Licensing.status` asks the contract's ``coverage`` view (one call,
authoritative), :meth:`Licensing.check_many` builds an in-memory :class:`CoverageIndex`
from the licence and work events once and answers each (work, use, territory, at) pair
without another call. Both follow the same rules (SPECIFICATION.md, R73-R79), and
the tests hold them to the same answers.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from ledger.content.cid import cid_from_bytes, cid_to_bytes
from ledger.core import errors as E
from ledger.core import parsing
from ledger.core.events import fetch_logs
from ledger.core.inputs import read_table
from ledger.core.types import USES, mask_to_uses, uses_to_mask

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
_ERC20_ABI = [
    {"type": "function", "name": n, "stateMutability": m, "inputs": [{"name": f"a{i}", "type": t} for i, t in
     enumerate(ins)], "outputs": [{"name": "", "type": out}]}
    for n, m, ins, out in (
        ("balanceOf", "view", ["address"], "uint256"),
        ("allowance", "view", ["address", "address"], "uint256"),
        ("approve", "nonpayable", ["address", "uint256"], "bool"),
    )
]

EIP712_NAME = "RightsLedger LicenceRegistry"
EIP712_VERSION = "1"
OFFER_TYPES = {
    "Offer": [
        {"name": "licensor", "type": "address"},
        {"name": "licensee", "type": "address"},
        {"name": "workIds", "type": "bytes32[]"},
        {"name": "terms", "type": "LicenceTerms"},
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
        if self.state == "revoked" and self.revoked_at is not None and at >= self.revoked_at:
            return "revoked"
        if self.state == "suspended" and self.suspended_at is not None and at >= self.suspended_at:
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

    def message(self) -> dict[str, Any]:
        return {
            "licensor": self.licensor,
            "licensee": self.licensee,
            "workIds": [bytes.fromhex(w[2:]) for w in self.work_ids],
            "terms": self.terms.as_message(),
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.licensor,
            self.licensee,
            [bytes.fromhex(w[2:]) for w in self.work_ids],
            self.terms.as_tuple(),
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
            )
        except E.InputError as exc:
            msg = exc.message if exc.message.startswith("not a licence offer") else \
                f"not a licence offer: {exc.message}"
            raise E.InputError(msg, hint="give the offer file the licensor sent, unchanged") from None


def offer_typed_data(chain_id: int, contract: str, message: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 document of an offer (for eth_account ``encode_typed_data``)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **OFFER_TYPES,
        },
        "primaryType": "Offer",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": contract,
        },
        "message": message,
    }


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
) -> SignedOffer:
    """Sign an offer locally with the licensor's key."""
    unsigned = SignedOffer(
        chain_id, to_checksum_address(contract), to_checksum_address(licensor), to_checksum_address(licensee),
        tuple("0x" + _wid_bytes(w).hex() for w in work_ids), terms, int(nonce), int(deadline), "",
    )
    signable = encode_typed_data(full_message=offer_typed_data(chain_id, unsigned.contract, unsigned.message()))
    sig = Account.sign_message(signable, private_key).signature
    return SignedOffer(**{**unsigned.__dict__, "signature": _hex(sig)})


def offer_signer(offer: SignedOffer) -> str:
    """The address that signed the offer (equal to ``offer.licensor`` when it is genuine)."""
    signable = encode_typed_data(full_message=offer_typed_data(offer.chain_id, offer.contract, offer.message()))
    try:
        return str(Account.recover_message(signable, signature=bytes.fromhex(offer.signature.removeprefix("0x"))))
    except Exception as exc:  # malformed signature bytes
        raise E.SignatureInvalid("BadSignature", {}, f"the offer's signature is malformed ({exc})") from None


# --- the in-memory index ------------------------------------------------------------------


@dataclass
class _Lic:
    """A licence as the index keeps it: the fields coverage needs, plus what `show` prints."""

    id: int
    licensor: str
    licensee: str | None
    scope: int
    uses: int
    start: int
    end: int
    exclusive: bool
    collective: bool
    flat_fee: int
    rate_per_use: int
    territories: bytes
    terms_cid: bytes
    works: tuple[str, ...]
    open_code: str | None = None
    state: int = STATE_ACTIVE
    revoked_at: int = 0
    suspended_at: int = 0
    terr_set: frozenset[bytes] = frozenset()
    history: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> LicenceRecord:
        return LicenceRecord(
            licence_id=self.id,
            licensor=self.licensor,
            licensee=self.licensee,
            scope=SCOPE_NAMES.get(self.scope, str(self.scope)),
            uses=mask_to_uses(self.uses),
            start=self.start,
            end=None if self.end >= FOREVER else self.end,
            exclusive=self.exclusive,
            collective=self.collective,
            state=STATE_NAMES.get(self.state, str(self.state)),
            revoked_at=self.revoked_at or None,
            suspended_at=self.suspended_at or None,
            flat_fee=self.flat_fee,
            rate_per_use=self.rate_per_use,
            territories=territories_of(self.territories),
            terms_cid=_cid_text(self.terms_cid),
            work_ids=self.works,
            open_code=self.open_code,
            history=tuple(self.history),
        )


def _cid_text(raw: bytes) -> str | None:
    if not raw:
        return None
    try:
        return cid_from_bytes(raw)
    except Exception:
        return _hex(raw)


def _code_text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("utf-8", "replace")


class CoverageIndex:
    """Every licence, mandate, tariff and the work facts coverage needs, replayed from events.

    ``evaluate`` answers one question in memory with the contract's rules (the ``coverage``
    view): the licensee's licences in id order, then the work's open licences, then the
    use's tariff; the first that covers wins, otherwise the closest reason (the highest
    code, the first licence among equals).
    """

    def __init__(self) -> None:
        self.licences: dict[int, _Lic] = {}
        self.by_licensee_work: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.repertoire_by_licensee: dict[str, list[int]] = defaultdict(list)
        self.open_by_work: dict[str, list[int]] = defaultdict(list)
        self.mandates: dict[tuple[str, str], tuple[int, int, int]] = {}  # (work, cmo) -> (uses, from, until)
        self.tariffs: dict[int, tuple[int, int, int, int]] = {}  # use -> (amount, period, from, until)
        self.status: dict[str, int] = {}
        self.reserved: dict[str, int] = {}
        self.offers: dict[tuple[str, int], int] = {}  # (licensor, nonce) -> 1 used, 2 cancelled
        self.head_time = 0

    # --- replay ----------------------------------------------------------------------

    def apply(self, name: str, a: dict[str, Any], block: int = 0, tx: str = "") -> None:
        if name == "LicenceGranted":
            t = a["terms"]
            lid = int(a["licenceId"])
            works = tuple(_hex(w) for w in a["workIds"])
            lic = _Lic(lid, a["licensor"], a["licensee"], int(t[0]), int(t[1]), int(t[2]), int(t[3]), bool(t[4]),
                       bool(a["collective"]), int(t[5]), int(t[6]), bytes(t[7]), bytes(t[8]), works)
            self._add(lic)
            lic.history.append({"event": name, "block": block, "tx": tx})
        elif name == "OpenLicencePublished":
            lid = int(a["licenceId"])
            lic = _Lic(lid, a["licensor"], None, SCOPE_WORK, int(a["uses"]), int(a["start"]), FOREVER, False, False,
                       0, 0, b"", bytes(a["termsCid"]), (_hex(a["workId"]),), open_code=_code_text(bytes(a["code"])))
            self._add(lic)
            lic.history.append({"event": name, "block": block, "tx": tx})
        elif name in ("LicenceSuspended", "LicenceResumed", "LicenceRevoked"):
            found = self.licences.get(int(a["licenceId"]))
            if found is None:
                return
            lic = found
            if name == "LicenceSuspended":
                lic.state, lic.suspended_at = STATE_SUSPENDED, int(a["at"])
            elif name == "LicenceResumed":
                lic.state, lic.suspended_at = STATE_ACTIVE, 0
            else:
                lic.state, lic.revoked_at = STATE_REVOKED, int(a["at"])
            lic.history.append({"event": name, "block": block, "tx": tx, "by": a["by"], "at": int(a["at"]),
                                **({"reason": a["reason"]} if "reason" in a else {})})
        elif name == "MandateGranted":
            self.mandates[(_hex(a["workId"]), a["cmo"])] = (int(a["uses"]), int(a["from"]), FOREVER)
        elif name == "MandateWithdrawn":
            key = (_hex(a["workId"]), a["cmo"])
            uses, frm, _ = self.mandates.get(key, (0, 0, 0))
            self.mandates[key] = (uses, frm, int(a["effectiveAt"]))
        elif name == "TariffSet":
            self.tariffs[int(a["use"])] = (int(a["amountPerWork"]), int(a["period"]), int(a["validFrom"]),
                                           int(a["validUntil"]))
        elif name == "OfferAccepted":
            self.offers[(a["licensor"], int(a["nonce"]))] = 1
            accepted = self.licences.get(int(a["licenceId"]))
            if accepted is not None:
                accepted.history.append({"event": name, "block": block, "tx": tx, "nonce": str(a["nonce"]),
                                    "paid": int(a["paid"])})
        elif name == "OfferCancelled":
            self.offers[(a["licensor"], int(a["nonce"]))] = 2
        elif name == "WorkConfirmed":
            self.status[_hex(a["workId"])] = _CONFIRMED
        elif name == "DisputeOpened":
            self.status[_hex(a["workId"])] = _DISPUTED
        elif name == "DisputeResolved":
            self.status[_hex(a["workId"])] = 5 if int(a["outcome"]) == 3 else _CONFIRMED
        elif name == "UsesReserved":
            self.reserved[_hex(a["workId"])] = int(a["reservedUses"])

    def _add(self, lic: _Lic) -> None:
        lic.terr_set = frozenset(lic.territories[i : i + 2] for i in range(0, len(lic.territories), 2))
        self.licences[lic.id] = lic
        if lic.licensee is None:
            self.open_by_work[lic.works[0]].append(lic.id)
        elif lic.scope == SCOPE_REPERTOIRE:
            self.repertoire_by_licensee[lic.licensee].append(lic.id)
        else:
            for w in lic.works:
                self.by_licensee_work[(lic.licensee, w)].append(lic.id)

    # --- questions -------------------------------------------------------------------

    def evaluate(self, work: str, licensee: str, use: int, territory: bytes, at: int) -> tuple[bool, int, int, int]:
        """(covered, kind, reason, licence id) exactly as the contract's ``coverage`` view."""
        st = self.status.get(work, 0)
        if st != _CONFIRMED and st != _DISPUTED:
            return (False, 0, WORK_NOT_CONFIRMED, 0)
        disputed = st == _DISPUTED
        reserved = bool(self.reserved.get(work, 0) & use)
        own = self.by_licensee_work.get((licensee, work), ())
        rep = self.repertoire_by_licensee.get(licensee, ())
        ids: Iterable[int] = sorted((*own, *rep)) if own and rep else (own or rep)
        best = (False, 0, NONE, 0)
        for group in (ids, self.open_by_work.get(work, ())):
            for lid in group:
                lic = self.licences[lid]
                reason = self._evaluate(lic, work, use, territory, at, disputed, reserved)
                kind = 3 if lic.licensee is None else (2 if lic.scope == SCOPE_REPERTOIRE else 1)
                if reason == COVERED:
                    return (True, kind, COVERED, lid)
                if reason > best[2]:
                    best = (False, kind, reason, lid)
        tariff = self.tariffs.get(use)
        if tariff is not None:
            _, _, frm, until = tariff
            reason = SUSPENDED if disputed else NOT_YET_VALID if at < frm else EXPIRED if at >= until else COVERED
            if reason == COVERED and reserved:
                reason = RESERVED
            if reason == COVERED:
                return (True, 4, COVERED, 0)
            if reason > best[2]:
                best = (False, 4, reason, 0)
        return best

    def _evaluate(self, lic: _Lic, work: str, use: int, territory: bytes, at: int, disputed: bool,
                  reserved: bool) -> int:
        if not lic.uses & use:
            return NONE
        m = self.mandates.get((work, lic.licensor), (0, 0, 0)) if lic.collective else (0, 0, 0)
        if lic.scope == SCOPE_REPERTOIRE and (not m[0] & use or m[1] > at):
            return NONE
        if lic.state == STATE_REVOKED and at >= lic.revoked_at:
            return REVOKED
        if (lic.state == STATE_SUSPENDED and at >= lic.suspended_at) or disputed:
            return SUSPENDED
        if at < lic.start:
            return NOT_YET_VALID
        if at >= lic.end:
            return EXPIRED
        if lic.terr_set and territory not in lic.terr_set:
            return WRONG_TERRITORY
        if lic.collective:
            if not m[0] & use or m[1] > at or m[2] <= at:
                return WITHDRAWN
            if reserved:
                return RESERVED
        return COVERED

    def licences_for(self, work: str | None = None, licensee: str | None = None) -> list[LicenceRecord]:
        """Licences naming the work (repertoire licences of CMOs it is mandated to included),
        and/or granted to the licensee, in id order."""
        out = []
        cmos = {cmo for (w, cmo) in self.mandates if w == work} if work else set()
        for lic in sorted(self.licences.values(), key=lambda x: x.id):
            if licensee is not None and lic.licensee != licensee:
                continue
            if work is not None and work not in lic.works and not (
                lic.scope == SCOPE_REPERTOIRE and lic.licensor in cmos
            ):
                continue
            out.append(lic.record())
        return out


# --- the SDK facade -----------------------------------------------------------------------


class Licensing:
    """Licensing operations of one ``Ledger``: ``Licensing(ledger)``."""

    CONTRACT = "LicenceRegistry"
    WORK_EVENTS = ("WorkConfirmed", "DisputeOpened", "DisputeResolved", "UsesReserved")

    def __init__(self, ledger: Any) -> None:
        from ledger.core.artifacts import load_artifact

        self.ledger = ledger
        try:
            address = ledger.deployment.address(self.CONTRACT)
        except Exception as exc:
            raise E.NotDeployed(
                f"no {self.CONTRACT} is recorded in this deployment ({exc})",
                hint="deploy afresh: move the deployments file aside and restart the node",
            ) from None
        self.address = address
        self.contract = ledger.w3.eth.contract(address=address,
                                               abi=load_artifact(ledger.settings.build_dir, self.CONTRACT).abi)

    # --- helpers ---------------------------------------------------------------------

    def _call(self, fn: Any) -> Any:
        return self.ledger.chain.call(lambda: fn.call())

    def _transact(self, fn: Any, value: int = 0) -> tuple[Any, list[Any]]:
        from ledger.core.types import WriteResult

        chain = self.ledger.chain
        signer = self.ledger.require_signer()
        if value:
            gas = int(chain.call(lambda: fn.estimate_gas({"from": signer.address, "value": value})) * 1.25) + 10_000
            tx = {**chain.build(fn, signer, gas=gas), "value": value}
            r = chain.wait(chain.send(tx, signer))
            chain.make_durable()
        else:
            r = chain.transact(fn, signer)
        events = [ev for ev in (self.ledger.events.decode(_raw_log(log)) for log in r.logs) if ev is not None]
        return WriteResult(r.tx_hash, r.block_number, r.gas_used), events

    def _licence_id(self, events: list[Any]) -> int:
        for ev in events:
            if ev.name in ("LicenceGranted", "OpenLicencePublished"):
                return int(ev.args["licenceId"])
        raise E.TransactionFailed("the transaction was mined but reported no licence")

    def _terms_cid(self, terms_cid: str | bytes | None, doc: dict[str, Any]) -> bytes:
        if isinstance(terms_cid, bytes):
            return terms_cid
        if terms_cid:
            return cid_to_bytes(terms_cid)
        return cid_to_bytes(self.ledger._store_document(doc))

    def now(self) -> int:
        """The chain's time: the latest block's timestamp."""
        return int(self.ledger.chain.call(lambda: self.ledger.w3.eth.get_block("latest")["timestamp"]))

    # --- mandates --------------------------------------------------------------------

    def mandate(self, work: str, cmo: str, uses: Sequence[str]) -> Any:
        from ledger.domain.works import parse_address

        fn = self.contract.functions.mandate(_wid_bytes(work), parse_address(cmo, "CMO"), uses_to_mask(tuple(uses)))
        return self._transact(fn)[0]

    def withdraw_mandate(self, work: str, cmo: str, effective: Any = None) -> Any:
        from ledger.domain.works import parse_address

        at = parse_time(effective, 0)
        fn = self.contract.functions.withdrawMandate(_wid_bytes(work), parse_address(cmo, "CMO"), at)
        return self._transact(fn)[0]

    def mandate_of(self, work: str, cmo: str) -> dict[str, Any]:
        from ledger.domain.works import parse_address

        uses, frm, until = self._call(self.contract.functions.mandateOf(_wid_bytes(work), parse_address(cmo, "CMO")))
        return {"uses": list(mask_to_uses(uses)), "from": frm or None, "until": None if until >= FOREVER else until}

    # --- licences --------------------------------------------------------------------

    def terms(
        self,
        uses: Sequence[str] | int,
        *,
        scope: str | int = "work",
        start: Any = None,
        end: Any = None,
        territories: Any = None,
        exclusive: bool = False,
        flat_fee: int = 0,
        rate_per_use: int = 0,
        terms_cid: str | bytes | None = None,
        terms_text: str | None = None,
    ) -> Terms:
        """Validated terms; with no ``terms_cid`` a terms document is stored and its CID used."""
        mask = uses if isinstance(uses, int) else uses_to_mask(tuple(uses))
        if not mask:
            raise E.InputError("name at least one use", hint="e.g. --use ai-training")
        sc = scope if isinstance(scope, int) else SCOPES.get(scope)
        if sc not in SCOPE_NAMES:
            raise E.InputError(f"unknown scope {scope!r}", hint="one of: work, list, repertoire")
        s = parse_time(start, self.now())
        e = parse_time(end, FOREVER)
        if e <= s:
            raise E.InputError("the licence's end is not after its start")
        for name, v in (("flat fee", flat_fee), ("rate per use", rate_per_use)):
            if not 0 <= int(v) < 2**96:
                raise E.InputError(f"the {name} must be a whole number from 0 to 2**96-1")
        terr = parse_territories(territories)
        doc = {"type": "licence-terms", "scope": SCOPE_NAMES[sc], "uses": list(mask_to_uses(mask)), "start": s,
               "end": None if e >= FOREVER else e, "territories": list(territories_of(terr)) or ["worldwide"],
               "exclusive": exclusive, "flatFee": str(flat_fee), "ratePerUse": str(rate_per_use),
               "text": terms_text or ""}
        if start is None:  # "from now": the chain records the start; the document stays the same on a rerun
            doc["start"] = "from grant"
        if terms_cid:
            return Terms(sc, mask, s, e, bool(exclusive), int(flat_fee), int(rate_per_use), terr,
                         self._terms_cid(terms_cid, doc))
        from ledger.content.canonical import canonical_json
        from ledger.content.cid import cid_for_bytes

        body = canonical_json(doc)  # its CID is computed here; the document is stored only when used
        return Terms(sc, mask, s, e, bool(exclusive), int(flat_fee), int(rate_per_use), terr,
                     cid_to_bytes(cid_for_bytes(body)), document=body)

    def _store_terms(self, terms: Terms) -> None:
        """Store a terms document that :meth:`terms` only hashed; the store must give the same CID."""
        if terms.document is None:
            return
        stored = self.ledger.store.add(terms.document)
        if cid_to_bytes(stored) != terms.terms_cid:
            raise E.MetadataMismatch(f"the store returned CID {stored} for a terms document whose CID is "
                                     f"{cid_from_bytes(terms.terms_cid)}")

    def grant(self, licensee: str, works: Sequence[str], terms: Terms, *, start_given: bool = True,
              again: bool = False) -> tuple[Any, int]:
        """Grant a licence; returns (write result, licence id). ``works`` empty for a repertoire.

        A live licence from the signer to the same licensee with the same works and terms
        (the start too, unless it was defaulted to "now": ``start_given=False``) is returned
        as :class:`~ledger.types.AlreadyDone` instead of granted twice, so a grant cut off
        after sending and run again is recorded once. ``again=True`` grants regardless.
        """
        from ledger.core.types import AlreadyDone
        from ledger.domain.works import parse_address

        ids = [_wid_bytes(w) for w in works]
        if len(ids) > MAX_BATCH:
            raise E.InputError(f"{len(ids)} works in one licence; at most {MAX_BATCH}",
                               hint="split the list into several licences")
        who = parse_address(licensee, "licensee")
        fn = self.contract.functions.grant(who, ids, terms.as_tuple())
        self.ledger.chain.build(fn, self.ledger.require_signer())  # a refused grant raises here, unstored
        if not again:
            same = self.identical_licence(who, works, terms, compare_start=start_given)
            if same is not None:
                first = same.history[0] if same.history else {}
                return AlreadyDone(str(first.get("tx", "")), int(first.get("block", 0)), 0), same.licence_id
        if terms.document is not None:
            self._store_terms(terms)
        result, events = self._transact(fn)
        return result, self._licence_id(events)

    def identical_licence(self, licensee: str, works: Sequence[str], terms: Terms, *,
                          compare_start: bool = True) -> LicenceRecord | None:
        """A live (not revoked) licence from the signer to ``licensee`` over the same works with
        the same terms, or None."""
        from ledger.domain.works import parse_work_id

        signer = self.ledger.require_signer().address
        want = {parse_work_id(w).lower() for w in works}
        codes = tuple(terms.territories[i:i + 2].decode() for i in range(0, len(terms.territories), 2))
        cid = cid_from_bytes(terms.terms_cid) if terms.terms_cid else None
        for rec in self.index().licences_for(None, licensee):
            if (
                rec.licensor == signer and rec.state != "revoked" and rec.scope == SCOPE_NAMES.get(terms.scope)
                and {w.lower() for w in rec.work_ids} == want and uses_to_mask(rec.uses) == terms.uses
                and (rec.end if rec.end is not None else FOREVER) == terms.end and rec.exclusive == terms.exclusive
                and rec.flat_fee == terms.flat_fee and rec.rate_per_use == terms.rate_per_use
                and tuple(rec.territories) == codes and rec.terms_cid == cid
                and (not compare_start or rec.start == terms.start)
            ):
                return rec
        return None

    def publish_open(self, work: str, uses: Sequence[str], code: str, terms_cid: str | None = None) -> tuple[Any, int]:
        raw = code.encode("utf-8")
        if not raw or len(raw) > 32:
            raise E.InputError(f"open licence code {code!r} must be 1-32 bytes, e.g. CC-BY-4.0")
        cid = cid_to_bytes(terms_cid) if terms_cid else b""
        fn = self.contract.functions.publishOpenLicence(_wid_bytes(work), uses_to_mask(tuple(uses)),
                                                         raw.ljust(32, b"\0"), cid)
        result, events = self._transact(fn)
        return result, self._licence_id(events)

    def suspend(self, licence_id: int, reason: str) -> Any:
        return self._transact(self.contract.functions.suspend(int(licence_id), reason))[0]

    def resume(self, licence_id: int) -> Any:
        return self._transact(self.contract.functions.resume(int(licence_id)))[0]

    def revoke(self, licence_id: int, reason: str) -> Any:
        if not reason.strip():
            raise E.InputError("a revocation needs a reason", hint="pass --reason TEXT")
        return self._transact(self.contract.functions.revoke(int(licence_id), reason))[0]

    def exclusive_action_hash(self, work: str, licensor: str, licensee: str, terms: Terms) -> str:
        from ledger.domain.works import parse_address

        h = self._call(self.contract.functions.exclusiveActionHash(
            _wid_bytes(work), parse_address(licensor), parse_address(licensee), terms.as_tuple()))
        return _hex(h)

    # --- tariffs ---------------------------------------------------------------------

    def set_tariff(self, use: str, amount_per_work: int, period: int, valid_from: Any = None,
                   valid_until: Any = None) -> Any:
        if period <= 0:
            raise E.InputError("the tariff period must be a positive number of seconds")
        fn = self.contract.functions.setTariff(parse_use(use), int(amount_per_work), int(period),
                                               parse_time(valid_from, self.now()), parse_time(valid_until, 0))
        return self._transact(fn)[0]

    def tariff_of(self, use: str) -> dict[str, Any] | None:
        amount, period, frm, until = self._call(self.contract.functions.tariffOf(parse_use(use)))
        if not until:
            return None
        return {"use": use, "amountPerWork": amount, "period": period, "validFrom": frm,
                "validUntil": None if until >= FOREVER else until}

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
        state = self._call(self.contract.functions.offerNonceState(offer.licensor, offer.nonce))
        if state:
            raise E.LicenceInvalid("OfferUsed", {"nonce": offer.nonce},
                                   f"offer nonce {offer.nonce} is {'used' if state == 1 else 'cancelled'} already")
        if offer.deadline < self.now():
            raise E.LicenceInvalid("OfferExpired", {"deadline": offer.deadline},
                                   f"the offer's deadline {offer.deadline} has passed")

    def settlement_token(self) -> str | None:
        token = str(self._call(self.contract.functions.settlementToken()))
        return None if int(token, 16) == 0 else token

    def set_settlement_token(self, token: str | None) -> Any:
        """As the governor: the ERC-20 token flat fees are paid in (None: native currency)."""
        from ledger.domain.works import parse_address

        return self._transact(self.contract.functions.setSettlementToken(
            parse_address(token, "token") if token else ZERO))[0]

    def accept(self, offer: SignedOffer) -> tuple[Any, int]:
        """Submit a signed offer as the licensee and pay its flat fee (approving the settlement
        token for exactly the fee first when the allowance is short)."""
        self.verify_offer(offer)
        me = self.ledger.require_signer().address
        fee = offer.terms.flat_fee
        token = self.settlement_token() if fee else None
        if token:
            erc20 = self.ledger.w3.eth.contract(address=token, abi=_ERC20_ABI)
            balance = int(self._call(erc20.functions.balanceOf(me)))
            if balance < fee:
                raise E.LicenceInvalid("InsufficientBalance", {"balance": balance, "fee": fee},
                                       f"the offer's flat fee is {fee} token units; {me} holds {balance}",
                                       hint="get settlement tokens first")
            if int(self._call(erc20.functions.allowance(me, self.address))) < fee:
                self._transact(erc20.functions.approve(self.address, fee))
        elif fee:
            balance = int(self.ledger.chain.call(lambda: self.ledger.w3.eth.get_balance(me)))
            if balance < fee:
                raise E.LicenceInvalid("InsufficientBalance", {"balance": balance, "fee": fee},
                                       f"the offer's flat fee is {fee} wei; {me} holds {balance} and no settlement "
                                       "token is set", hint="the governor sets one with `licence settlement-token`")
        fn = self.contract.functions.accept(offer.as_tuple(), bytes.fromhex(offer.signature.removeprefix("0x")))
        result, events = self._transact(fn, value=0 if token else fee)
        return result, self._licence_id(events)

    def cancel_offer(self, nonce: int) -> Any:
        return self._transact(self.contract.functions.cancelOffer(int(nonce)))[0]

    # --- reads -----------------------------------------------------------------------

    def status(self, work: str, licensee: str, use: str, territory: str | None = None, at: Any = None) -> Coverage:
        """Ask the contract whether ``licensee`` may use ``work`` for ``use`` (one call)."""
        from ledger.domain.works import parse_address, parse_work_id

        wid = parse_work_id(work)
        who = parse_address(licensee, "licensee")
        bit = parse_use(use)
        terr = parse_territory(territory)
        when = parse_time(at, self.now())
        covered, kind, reason, lid = self._call(
            self.contract.functions.coverage(bytes.fromhex(wid[2:]), who, bit, terr or b"\0\0", when))
        return _coverage(wid, who, use, terr, when, (covered, kind, reason, lid))

    def index(self) -> CoverageIndex:
        """Replay the licence events and the work facts coverage needs into memory."""
        led = self.ledger
        url = led.settings.network.rpc_url
        head = led.chain.block_number()
        first = led.deployment.first_block
        idx = CoverageIndex()
        topics = [[t for n in self.WORK_EVENTS for t in led.events.topics_of(n)]]
        sources = ((self.address, None), (led.deployment.address("WorkRegistry"), topics))
        for address, tops in sources:
            for _end, logs in fetch_logs(url, [address], first, head, chunk=led.settings.network.log_chunk,
                                         topics=tops):
                for raw in logs:
                    ev = led.events.decode(raw)
                    if ev is not None:
                        idx.apply(ev.name, ev.args, ev.block, ev.tx_hash)
        idx.head_time = self.now()
        return idx

    def check_many(self, pairs: Iterable[Any], licensee: str | None = None,
                   index: CoverageIndex | None = None) -> Iterator[Coverage]:
        """Answer many questions from one in-memory index. Each item is a dict with keys
        work, use[, territory, at, licensee] or a tuple (work, use[, territory[, at]])."""
        from ledger.domain.works import parse_address, parse_work_id

        idx = index or self.index()
        default = parse_address(licensee, "licensee") if licensee else None
        now = idx.head_time
        use_bits = dict(USES)
        terr_cache: dict[str | None, bytes] = {}
        addr_cache: dict[str, str] = {}
        wid_cache: dict[Any, str] = {}
        for n, item in enumerate(pairs, 1):
            where = f"item {n}"
            if isinstance(item, dict):
                where = item.get("_where", where)
                work, use = item.get("work"), item.get("use")
                territory, at, who = item.get("territory"), item.get("at"), item.get("licensee")
            else:
                work, use, territory, at = (*tuple(item), None, None)[:4]
                who = None
            if not work or not use:
                raise E.InputError("each line needs a work and a use", where=where)
            wid = wid_cache.get(work)
            if wid is None:
                try:
                    wid = wid_cache[work] = parse_work_id(str(work))
                except E.InputError as exc:
                    raise E.InputError(exc.message, where=where, hint=exc.hint) from None
            bit = use_bits.get(str(use))
            if bit is None:
                raise E.InputError(f"unknown use {use!r}", where=where, hint="one of: " + ", ".join(USES))
            key = territory or None
            if who:
                addr = addr_cache.get(str(who)) or addr_cache.setdefault(str(who), parse_address(str(who)))
            elif default:
                addr = default
            else:
                raise E.InputError("no licensee given", where=where, hint="pass --licensee ADDRESS")
            try:
                when = now if at in (None, "") else (int(at) if isinstance(at, int) else parse_time(at))
                if key not in terr_cache:
                    terr_cache[key] = parse_territory(key)
            except E.InputError as exc:
                raise E.InputError(exc.message, where=where, hint=exc.hint) from None
            terr = terr_cache[key]
            yield _coverage(wid, addr, str(use), terr, when, idx.evaluate(wid, addr, bit, terr, when))

    def licence(self, licence_id: int, index: CoverageIndex | None = None) -> LicenceRecord:
        idx = index or self.index()
        lic = idx.licences.get(int(licence_id))
        if lic is None:
            raise E.LicenceInvalid("LicenceRegistry__LicenceNotFound", {"licenceId": licence_id},
                                   f"no licence #{licence_id} is recorded", hint="list them with `licence list`")
        return lic.record()

    def licences_for(self, work: str | None = None, licensee: str | None = None) -> list[LicenceRecord]:
        from ledger.domain.works import parse_address, parse_work_id

        if work is None and licensee is None:
            raise E.InputError("name a work or a licensee", hint="pass --work ID or --licensee ADDRESS")
        return self.index().licences_for(
            parse_work_id(work) if work else None, parse_address(licensee, "licensee") if licensee else None)


def _coverage(wid: str, who: str, use: str, terr: bytes, when: int, r: Sequence[Any]) -> Coverage:
    covered, kind, reason, lid = r
    return Coverage(wid, who, use, terr.decode() if terr else None, when, bool(covered),
                    KIND_NAMES.get(int(kind)) if kind else None, int(lid) or None,
                    None if covered else REASON_NAMES.get(int(reason), str(reason)))


def _raw_log(log: Any) -> dict[str, Any]:
    """A web3 receipt log in the JSON-RPC shape ``EventDecoder.decode`` reads."""
    return {
        "address": log["address"],
        "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
        "data": "0x" + bytes(log["data"]).hex(),
        "blockNumber": hex(int(log["blockNumber"])),
        "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
        "logIndex": hex(int(log["logIndex"])),
    }


# --- reading question files ---------------------------------------------------------------


QUESTION_COLUMNS = ("work", "use", "territory", "at", "licensee")


def read_pairs(path: Path) -> Iterator[dict[str, Any]]:
    """Questions from a CSV file (header ``work,use[,territory,at,licensee]``) or JSON lines.

    Read through ledger.core.inputs (a regular file or ``-``, strict UTF-8, no repeated
    column or JSON key, no short row); each value must be text (``at`` may be a whole
    number). Errors name ``file:line:column``.
    """
    header_rule = "the first line must be the header work,use,territory,at (or a JSON object)"
    table = read_table(path, what="question file", columns=QUESTION_COLUMNS, allow_stdin=True,
                       normalise=lambda h: h.strip().lower(), require=(("work",), header_rule, None))
    if table.kind == "csv" and not {"work", "use"} <= set(table.header):
        raise E.InputError(header_rule, where=f"{table.path}:1:-")
    for row in table.rows:
        if row.values is None:
            raise row.fail(row.error or "malformed line")
        item: dict[str, Any] = {}
        for key, value in row.values.items():
            if key not in QUESTION_COLUMNS:
                raise row.fail(f"unknown field (allowed: {', '.join(QUESTION_COLUMNS)})", key)
            if value is None:
                continue
            if key == "at" and isinstance(value, int) and not isinstance(value, bool):
                item[key] = value
            elif isinstance(value, str):
                item[key] = value.strip()
            elif key == "work":
                raise row.fail(f"work id {str(value)[:40]} is malformed: it must be text (64 hex digits)", key)
            else:
                raise row.fail(f"{key} must be text, not {type(value).__name__}", key)
        item["_where"] = row.where
        yield item
