"""Immutable, typed records the SDK returns, and the small enumerations they use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NewType

WorkId = NewType("WorkId", str)  # 0x + 64 hex: the sha-256 of the work's content
Address = NewType("Address", str)  # checksummed


class WorkStatus(IntEnum):
    NONE = 0
    PENDING = 1
    CONFIRMED = 2
    REJECTED = 3
    DISPUTED = 4
    REVOKED = 5


ROLES = ("GOVERNOR", "REGISTRAR", "CMO", "HOLDER", "LICENSEE", "AUDITOR")

# Kinds of use, one bit each in on-chain masks (reservations, licence scopes).
USES: dict[str, int] = {
    "reproduce": 1 << 0,
    "distribute": 1 << 1,
    "perform": 1 << 2,
    "broadcast": 1 << 3,
    "adapt": 1 << 4,
    "ai-training": 1 << 5,
    "text-and-data-mining": 1 << 6,
    "communicate": 1 << 7,
    "translate": 1 << 8,
    "display": 1 << 9,
}


def uses_to_mask(names: list[str] | tuple[str, ...]) -> int:
    from ledger.core.errors import InputError

    mask = 0
    for n in names:
        if n not in USES:
            raise InputError(f"unknown use {n!r}", hint="one of: " + ", ".join(USES))
        mask |= USES[n]
    return mask


def mask_to_uses(mask: int) -> tuple[str, ...]:
    return tuple(n for n, bit in USES.items() if mask & bit)


@dataclass(frozen=True)
class Holder:
    account: str
    bps: int


@dataclass(frozen=True)
class HistoryEntry:
    """One event in a work's history."""

    event: str
    block: int
    timestamp: int
    tx_hash: str
    actor: str | None
    details: dict[str, object]


@dataclass(frozen=True)
class WorkRecord:
    """A work as the chain knows it: storage read through views, times and CID from events."""

    work_id: WorkId
    status: WorkStatus
    work_type: int
    creation_mode: int
    holders: tuple[Holder, ...]
    registered_at: int
    reserved_uses: tuple[str, ...]
    open_dispute: int
    metadata_cid: str | None
    registrant: str | None
    history: tuple[HistoryEntry, ...]

    @property
    def confirmed(self) -> HistoryEntry | None:
        return next((h for h in reversed(self.history) if h.event == "WorkConfirmed"), None)

    @property
    def registered(self) -> HistoryEntry | None:
        return next((h for h in reversed(self.history) if h.event == "WorkRegistered"), None)


@dataclass(frozen=True)
class WriteResult:
    """A write that was mined."""

    tx_hash: str
    block: int
    gas_used: int


@dataclass(frozen=True)
class AlreadyDone(WriteResult):
    """A write that was not sent because the same one is on the chain already (its tx)."""


@dataclass(frozen=True)
class Registered:
    work_id: WorkId
    metadata_cid: str
    tx_hash: str
    block: int
    gas_used: int


def hex0x(b: bytes) -> str:
    """Bytes as 0x-prefixed lowercase hex (ids, hashes, roots in JSON and events)."""
    return "0x" + bytes(b).hex()


# --- replay steps shared by every event replay (audit, coverage index, as-of state) ---------

#: LicenceTypes.State codes (contracts/types/LicenceTypes.sol).
LICENCE_ACTIVE, LICENCE_SUSPENDED, LICENCE_REVOKED = 1, 2, 3


def apply_licence_state(lic: Any, event: str, at: int) -> None:
    """A licence record's state after ``LicenceSuspended``, ``LicenceResumed`` or ``LicenceRevoked``
    taking effect at ``at`` (a suspension or revocation keeps its time; a resumption clears it)."""
    if event == "LicenceSuspended":
        lic.state, lic.suspended_at = LICENCE_SUSPENDED, at
    elif event == "LicenceResumed":
        lic.state, lic.suspended_at = LICENCE_ACTIVE, 0
    else:
        lic.state, lic.revoked_at = LICENCE_REVOKED, at


def transfer_shares(holders: Iterable[Sequence[Any]], frm: str, to: str, bps: int) -> list[tuple[str, int]]:
    """The holders after ``ShareTransferred(from, to, bps)``: the sender loses ``bps`` (and drops
    out at 0), the receiver gains them (appended when new), order otherwise kept."""
    nxt: list[tuple[str, int]] = []
    found = False
    for acc, b in holders:
        b = int(b)
        if acc == frm:
            b -= bps
        if acc == to:
            b += bps
            found = True
        if b > 0:
            nxt.append((acc, b))
    if not found:
        nxt.append((to, bps))
    return nxt
