"""Licensing: mandates, licences, offers, open licences, tariffs and "am I covered?".

Writes go through the ``Ledger``'s signer (``Licensing(ledger).grant(...)``). Reads come
in two speeds: :meth:`Licensing.status` asks the contract's ``coverage`` view (one call,
authoritative), :meth:`Licensing.check_many` builds an in-memory :class:`CoverageIndex`
from the licence and work events once and answers each (work, use, territory, at) pair
without another call. Both follow the same rules (SPECIFICATION.md, R73-R79), and
the tests hold them to the same answers.
"""

from __future__ import annotations

from ledger.domain.licensing.index import (
    CoverageIndex,
)
from ledger.domain.licensing.model import (
    COVERED,
    EIP712_NAME,
    EIP712_VERSION,
    EXPIRED,
    FOREVER,
    KIND_NAMES,
    MAX_BATCH,
    NONE,
    NOT_YET_VALID,
    OFFER_TYPES,
    REASON_NAMES,
    RESERVED,
    REVOKED,
    SCOPE_LIST,
    SCOPE_NAMES,
    SCOPE_REPERTOIRE,
    SCOPE_WORK,
    SCOPES,
    STATE_ACTIVE,
    STATE_NAMES,
    STATE_REVOKED,
    STATE_SUSPENDED,
    SUSPENDED,
    WITHDRAWN,
    WORK_NOT_CONFIRMED,
    WRONG_TERRITORY,
    ZERO,
    Coverage,
    LicenceRecord,
    SignedOffer,
    Terms,
    offer_signer,
    offer_typed_data,
    parse_territories,
    parse_territory,
    parse_time,
    parse_use,
    sign_offer,
    territories_of,
)
from ledger.domain.licensing.questions import (
    read_pairs,
)
from ledger.domain.licensing.service import (
    Licensing,
)

__all__ = [
    "COVERED",
    "Coverage",
    "CoverageIndex",
    "EIP712_NAME",
    "EIP712_VERSION",
    "EXPIRED",
    "FOREVER",
    "KIND_NAMES",
    "LicenceRecord",
    "Licensing",
    "MAX_BATCH",
    "NONE",
    "NOT_YET_VALID",
    "OFFER_TYPES",
    "REASON_NAMES",
    "RESERVED",
    "REVOKED",
    "SCOPES",
    "SCOPE_LIST",
    "SCOPE_NAMES",
    "SCOPE_REPERTOIRE",
    "SCOPE_WORK",
    "STATE_ACTIVE",
    "STATE_NAMES",
    "STATE_REVOKED",
    "STATE_SUSPENDED",
    "SUSPENDED",
    "SignedOffer",
    "Terms",
    "WITHDRAWN",
    "WORK_NOT_CONFIRMED",
    "WRONG_TERRITORY",
    "ZERO",
    "offer_signer",
    "offer_typed_data",
    "parse_territories",
    "parse_territory",
    "parse_time",
    "parse_use",
    "read_pairs",
    "sign_offer",
    "territories_of",
]
