"""The audit: rebuild the ledger's state from its events alone and check it against the
contracts and the metadata store.

``audit(ledger)`` fetches every event of every contract the deployment ever had (retired
versions from ``deployment.history`` included) in chunks the node accepts, applies one
**reducer** per event name to a plain-JSON :class:`State`, then runs every **check**: the
contracts' view functions must agree with the rebuilt state, and every CID the events
name must resolve in the store to bytes that hash to it. The state digest (sha-256 of its
canonical JSON) lets two auditors compare results in one line.

Code map: :mod:`ledger.audit.core` (engine, registries, batched ``eth_call``, the blob
check), one module per domain: :mod:`~ledger.audit.roles` (with the role listeners' mirrors),
:mod:`~ledger.audit.works`, :mod:`~ledger.audit.attestations`, :mod:`~ledger.audit.licences`
(licences, mandates, tariffs, offers, settlement token) and :mod:`~ledger.audit.royalties`
(usage reports, pools, distributions recomputed from the stored files, claims, token
balances). :mod:`ledger.audit.export` writes the event log as
JSON lines or CSV.

Extending it (licensing, royalties and any later domain)
---------------------------------------------------------
Add ``ledger/audit/<domain>.py`` and list it in :data:`DOMAINS` below. In it:

1. ``@reducer("LicenceGranted", ...)`` on ``fn(state, event)``: keep your data under
   ``state.section("licences")`` as plain JSON (str/int/bool/list/dict; 0x hex for bytes),
   flag impossible transitions with ``state.flag(event, what, expected, actual)``, and
   name every CID with ``state.ref_cid(raw, where)`` (the blob check then verifies it).
   Reducers must not call the node: they run at tens of thousands of events per second.
   An event name has one reducer (registering a second raises).
2. ``@check("licences")`` on ``fn(state, ledger) -> list[Mismatch]``: compare with the
   contract's views through ``call_many(ledger, Call("licenceOf(uint64)", [...]), items)``
   (batched JSON-RPC), or recompute a root (e.g. a distribution's Merkle root) from the
   replayed state and compare it with the one on chain.
3. The contract must be in ``ledger.artifacts.LEDGER_CONTRACTS`` so its events decode.

Events without a reducer are counted and reported (``eventsWithoutReducer``), never
silently dropped. Every event of every contract in ``LEDGER_CONTRACTS`` has a reducer
today (tests/integration/test_audit_full.py holds the audit to it): a new event needs one
in its domain module, a new contract a module of its own. Keep amounts that can exceed
2**53 (token units, offer nonces) as decimal strings: the state digest is canonical JSON.
"""

from __future__ import annotations

import importlib

from ledger.audit.core import (
    CHECKS,
    REDUCERS,
    AuditReport,
    Call,
    Mismatch,
    State,
    apply,
    audit,
    batch_call,
    call_many,
    check,
    reducer,
    replay,
    run_checks,
)

DOMAINS = ("roles", "works", "attestations", "licences", "royalties")


def load_domains() -> None:
    """Import every domain module so its reducers and checks are registered."""
    for name in DOMAINS:
        importlib.import_module(f"ledger.audit.{name}")


__all__ = [
    "CHECKS", "DOMAINS", "REDUCERS", "AuditReport", "Call", "Mismatch", "State", "apply", "audit", "batch_call",
    "call_many", "check", "load_domains", "reducer", "replay", "run_checks",
]
