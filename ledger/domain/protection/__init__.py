"""Protection: disputes over works, attestations (proof of existence) and AI provenance.

``Protection(ledger)`` adds to a :class:`~ledger.ledger.Ledger`:

* **disputes** — a HOLDER or CMO contests a confirmed work with an evidence file (kept in
  the metadata store, its CID sent); a REGISTRAR resolves it: dismissed, holders
  corrected, or revoked, with a reason document;
* **attestations** — any role holder anchors a sha-256 on the AttestationRegistry: the
  block time proves the hash existed then; with a TSA configured
  (``RIGHTS_LEDGER_TSA_URL``) an RFC 3161 token over the same digest is fetched first,
  stored and linked (see :mod:`ledger.timestamp`);
* **generation records** — model, inputs root, parameters document and output hash of
  an AI generation behind a work, and :meth:`Protection.provenance`, the chain from
  inputs to the registered work.

Writes follow the Ledger's order: validate, simulate (nothing stored on a revert),
store documents, sign and send.
"""

from __future__ import annotations

from ledger.core.types import WorkStatus
from ledger.domain.protection.records import (
    KIND_NAMES,
    KINDS,
    OUTCOME_NAMES,
    OUTCOMES,
    ZERO32,
    AttestationCheck,
    AttestationRecord,
    Dispute,
    GenerationRecord,
    Provenance,
    merkle_root,
    parse_hash,
    sha256_hex,
)
from ledger.domain.protection.service import Protection, block_times

__all__ = [
    "KIND_NAMES", "KINDS", "OUTCOME_NAMES", "OUTCOMES", "ZERO32", "AttestationCheck", "AttestationRecord", "Dispute",
    "GenerationRecord", "Protection",
    "Provenance", "WorkStatus", "block_times", "merkle_root", "parse_hash", "sha256_hex",
]
