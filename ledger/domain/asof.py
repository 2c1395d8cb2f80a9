"""Answers about the past from events alone: no archive node is needed.

A node that is not an archive node (the embedded node after a restart, Besu in its default
mode) keeps every block header and every log, but not the state at old blocks: an
``eth_call`` at an old block fails ("block height is 84 but requested was 31", "use an
archive node"). What the royalties need about a past block (the holders of each work, and
what the CoverageLens's ``lineWeight`` would have said) is therefore replayed here from the
ledger's events up to that block, across every version of each contract
(docs/adr/002-contract-evolution.md): a work registered in WorkRegistry v1 keeps its holders,
status, reservations and mandates after v2 is deployed.

:class:`PastState` mirrors the state ``CoverageLens.lineWeight`` and ``WorkRegistry.holdersOf``
read; :meth:`PastState.line_weight` is ``lineWeight`` in Python, rule for rule, and a test
compares the two on a live node (tests/sdk/test_asof.py). Two generations of the lens are
mirrored: VERSION 1 reads the work, mandate, tariff and licence state as they stand at the
block; VERSION 2 (time-ranged facts, issue 14) reads reservations, disputes, mandates, tariff
versions and licence states as they were at the line's time of use. The replay keeps each
fact's history (with the block time of its event), so both are answered from the same events.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.core.abicodec import checksum as to_checksum_address
from ledger.core.abicodec import keccak256
from ledger.core.events import Event
from ledger.core.types import (
    LICENCE_ACTIVE,
    LICENCE_REVOKED,
    LICENCE_SUSPENDED,
    apply_licence_state,
    transfer_shares,
)

FOREVER = (1 << 40) - 1
# LicenceTypes.sol
SCOPE_REPERTOIRE = 3
STATE_ACTIVE, STATE_SUSPENDED, STATE_REVOKED = LICENCE_ACTIVE, LICENCE_SUSPENDED, LICENCE_REVOKED
KIND_WORK, KIND_BLANKET, KIND_OPEN, KIND_STATUTORY = 1, 2, 3, 4
(REASON_NONE, REASON_REVOKED, REASON_SUSPENDED, REASON_NOT_YET_VALID, REASON_EXPIRED, REASON_WRONG_TERRITORY,
 REASON_WITHDRAWN, REASON_RESERVED, REASON_WORK_NOT_CONFIRMED) = range(1, 10)
REASON_NOT_MANDATED, REASON_WRONG_LICENCE, REASON_BAD_LINE = 10, 11, 12
# WorkTypes.sol statuses
W_NONE, W_PENDING, W_CONFIRMED, W_REJECTED, W_DISPUTED, W_REVOKED = 0, 1, 2, 3, 4, 5

WORK_EVENTS = ("WorkRegistered", "ClaimAwarded", "WorkConfirmed", "WorkRejected", "ShareTransferred",
               "UsesReserved", "DisputeOpened", "DisputeResolved")
LICENCE_EVENTS = ("LicenceGranted", "OpenLicencePublished", "LicenceSuspended", "LicenceResumed", "LicenceRevoked",
                  "MandateGranted", "MandateWithdrawn", "TariffSet")


def _hex(b: Any) -> str:
    return "0x" + bytes(b).hex()


def _lookup(hist: list[tuple[int, Any]], at: int, default: Any = 0) -> Any:
    """The value of the latest entry whose key is <= ``at`` (OpenZeppelin Checkpoints'
    ``upperLookupRecent``: a later push with the same key replaces the earlier one)."""
    i = bisect.bisect_right([k for k, _ in hist], at)
    return hist[i - 1][1] if i else default


@dataclass
class WorkFact:
    registry: str
    status: int
    registered_at: int
    reserved: int = 0
    holders: list[tuple[str, int]] = field(default_factory=list)
    reserved_hist: list[tuple[int, int]] = field(default_factory=list)  # (time, mask)
    dispute_hist: list[tuple[int, int]] = field(default_factory=list)  # (time, 1 open / 2 revoked / 0 none)


@dataclass
class LicenceFact:
    licensor: str
    licensee: str
    collective: bool
    scope: int
    uses: int
    start: int
    end: int
    rate: int
    territories: bytes
    works: frozenset[str]
    state: int = STATE_ACTIVE
    suspended_at: int = 0
    revoked_at: int = 0
    state_hist: list[tuple[int, int]] = field(default_factory=list)  # (time, state)


@dataclass
class PastState:
    """What the ledger held at ``block`` (time ``timestamp``), replayed from events."""

    block: int
    timestamp: int
    works: dict[str, WorkFact] = field(default_factory=dict)
    # (work, cmo) -> (uses, from, until)
    mandates: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    # (work, cmo) -> [(time, (uses, until, everUses))]
    mandate_hist: dict[tuple[str, str], list[tuple[int, tuple[int, int, int]]]] = field(default_factory=dict)
    # registry -> use -> [(validFrom, tariff)]
    tariff_hist: dict[str, dict[int, list[tuple[int, tuple[int, int, int, int]]]]] = field(default_factory=dict)
    tariffs: dict[str, dict[int, tuple[int, int, int, int]]] = field(default_factory=dict)  # registry -> use -> t
    licences: dict[str, dict[int, LicenceFact]] = field(default_factory=dict)  # registry -> id -> licence
    # WorkRegistry -> the LicenceRegistry bound to it (ADR 002: each LicenceRegistry version
    # names its WorkRegistry; licence ids and tariffs of a work's lines are read there, R81c)
    bound: dict[str, str] = field(default_factory=dict)

    # --- the replay ------------------------------------------------------------------

    def apply(self, ev: Event, stamp: int) -> None:
        """Apply one event; ``stamp`` is its block's time (the key of the contracts' checkpoints)."""
        a = ev.args
        n = ev.name
        if n in WORK_EVENTS:
            self._work_event(ev, a, stamp)
        elif n in LICENCE_EVENTS:
            self._licence_event(ev, a, stamp)

    def _work_event(self, ev: Event, a: dict[str, Any], stamp: int) -> None:
        wid = _hex(a["workId"])
        w = self.works.get(wid)
        n = ev.name
        if n == "WorkRegistered":
            holders = ([(a["holder"], 10_000)] if "holder" in a
                       else [(h[0], int(h[1])) for h in a["holders"]])
            keep = w is not None and w.registry == ev.address
            fact = WorkFact(ev.address, W_PENDING, stamp, w.reserved if keep else 0, holders)
            if keep:
                fact.reserved_hist, fact.dispute_hist = w.reserved_hist, w.dispute_hist
            self.works[wid] = fact
            return
        if w is None or w.registry != ev.address:
            return  # an event of another version's record (cannot happen: ids are unique across versions)
        if n == "ClaimAwarded":
            w.status, w.reserved = W_CONFIRMED, 0
            if w.reserved_hist and w.reserved_hist[-1][1]:
                w.reserved_hist.append((stamp, 0))
            w.holders = [(h[0], int(h[1])) for h in a["holders"]]
        elif n == "WorkConfirmed":
            w.status = W_CONFIRMED
        elif n == "WorkRejected":
            w.status, w.reserved = W_REJECTED, 0
            if w.reserved_hist and w.reserved_hist[-1][1]:
                w.reserved_hist.append((stamp, 0))
        elif n == "UsesReserved":
            w.reserved = int(a["reservedUses"])
            w.reserved_hist.append((stamp, w.reserved))
        elif n == "DisputeOpened":
            w.status = W_DISPUTED
            w.dispute_hist.append((int(a.get("openedAt") or stamp), 1))
        elif n == "DisputeResolved":
            outcome = int(a["outcome"])
            w.status = W_REVOKED if outcome == 3 else W_CONFIRMED
            w.dispute_hist.append((stamp, 2 if outcome == 3 else 0))
            if outcome == 2:
                w.holders = [(h[0], int(h[1])) for h in a["holders"]]
        elif n == "ShareTransferred":
            w.holders = transfer_shares(w.holders, a["from"], a["to"], int(a["bps"]))

    def _licence_event(self, ev: Event, a: dict[str, Any], stamp: int) -> None:
        n = ev.name
        lics = self.licences.setdefault(ev.address, {})
        if n == "LicenceGranted":
            scope, uses, start, end, _excl, _flat, rate, terr, _cid = a["terms"]
            lics[int(a["licenceId"])] = LicenceFact(
                a["licensor"], a["licensee"], bool(a["collective"]), int(scope), int(uses), int(start), int(end),
                int(rate), bytes(terr), frozenset(_hex(w) for w in a["workIds"]))
        elif n == "OpenLicencePublished":
            lics[int(a["licenceId"])] = LicenceFact(
                a["licensor"], "0x" + "00" * 20, False, 1, int(a["uses"]), int(a["start"]), FOREVER, 0, b"",
                frozenset({_hex(a["workId"])}))
        elif n in ("LicenceSuspended", "LicenceResumed", "LicenceRevoked"):
            lic = lics.get(int(a["licenceId"]))
            if lic is None:
                return
            apply_licence_state(lic, n, int(a["at"]))
            lic.state_hist.append((stamp, lic.state))
        elif n in ("MandateGranted", "MandateWithdrawn"):
            key = (_hex(a["workId"]), a["cmo"])
            m = self.mandates.get(key)
            if n == "MandateGranted":
                uses, until = int(a["uses"]), FOREVER
                self.mandates[key] = (uses, int(a["from"]), FOREVER)
            elif m is not None:
                uses, until = m[0], int(a["effectiveAt"])
                self.mandates[key] = (m[0], m[1], until)
            else:
                return
            hist = self.mandate_hist.setdefault(key, [])
            ever = (hist[-1][1][2] if hist else 0) | uses
            hist.append((stamp, (uses, until, ever)))
        elif n == "TariffSet":
            t = (int(a["amountPerWork"]), int(a["period"]), int(a["validFrom"]), int(a["validUntil"]))
            self.tariffs.setdefault(ev.address, {})[int(a["use"])] = t
            self.tariff_hist.setdefault(ev.address, {}).setdefault(int(a["use"]), []).append((max(t[2], stamp), t))

    # --- the reads ---------------------------------------------------------------------

    def holders_of(self, work_id: str) -> list[tuple[str, int]]:
        """``holdersOf`` at this block, in whichever version holds the work."""
        w = self.works.get(work_id)
        return sorted(w.holders) if w is not None else []

    def line_weight(self, licences: str, cmo: str, licensee: str, work_id: str, use: int, quantity: int,
                    used_at: int, licence_id: int, kind: int, lens_version: int = 1) -> tuple[int, int]:
        """``CoverageLens.lineWeight`` at this block: (reason, owed), reason 0 when the line counts.

        ``licences`` is the LicenceRegistry of the pool's lens (licence ids and tariffs are
        per registry); the work, its reservations and its mandates are read in whichever
        version holds the work (the version chain). ``lens_version`` 2: the facts as they
        were at ``used_at`` (time-ranged), 1: as they stand at the block."""
        ranged = lens_version >= 2
        if use == 0 or use & (use - 1) or quantity == 0 or used_at > self.timestamp:
            return REASON_BAD_LINE, 0
        w = self.works.get(work_id)
        status = w.status if w else W_NONE
        reserved = w.reserved if w else 0
        if ranged and w is not None:
            if status in (W_CONFIRMED, W_DISPUTED, W_REVOKED):
                d = _lookup(w.dispute_hist, used_at)
                status = W_DISPUTED if d == 1 else (W_REVOKED if d == 2 else W_CONFIRMED)
            reserved = _lookup(w.reserved_hist, used_at)
        if status == W_DISPUTED:
            return REASON_SUSPENDED, 0
        if w is None or status != W_CONFIRMED or used_at < w.registered_at:
            return REASON_WORK_NOT_CONFIRMED, 0
        # a line's licence id (and tariff) is read in the LicenceRegistry bound to the version that
        # holds its work, never in another version where the same number names another licence
        licences = self.bound.get(w.registry.lower(), licences)
        if ranged:
            m_uses, m_until, _ever = _lookup(self.mandate_hist.get((work_id, cmo), []), used_at, (0, 0, 0))
            if m_until <= used_at or m_uses & use == 0:
                return REASON_NOT_MANDATED, 0
        else:
            m_uses, m_from, m_until = self.mandates.get((work_id, cmo), (0, 0, 0))
            if m_uses & use == 0 or m_from > used_at or m_until <= used_at:
                return REASON_NOT_MANDATED, 0
        if reserved & use:
            return REASON_RESERVED, 0
        if kind == KIND_STATUTORY:
            if licence_id != 0:
                return REASON_WRONG_LICENCE, 0
            if ranged:
                t = _lookup(self.tariff_hist.get(licences, {}).get(use, []), used_at, None)
            else:
                t = self.tariffs.get(licences, {}).get(use)
            if t is None or t[3] == 0:
                return REASON_NONE, 0
            reason = _time_reason(False, used_at, t[2], t[3])
            rate = t[0]
        else:
            lic = self.licences.get(licences, {}).get(licence_id)
            if lic is None:
                return REASON_WRONG_LICENCE, 0
            blanket = lic.scope == SCOPE_REPERTOIRE
            if (lic.licensee != licensee or lic.licensor != cmo or lic.uses & use == 0
                    or kind != (KIND_BLANKET if blanket else KIND_WORK)
                    or (not blanket and work_id not in lic.works)):
                return REASON_WRONG_LICENCE, 0
            if ranged:
                state = _lookup(lic.state_hist, used_at, STATE_ACTIVE)
                if state == STATE_REVOKED:
                    return REASON_REVOKED, 0
                suspended = state == STATE_SUSPENDED
            elif lic.state == STATE_REVOKED and used_at >= lic.revoked_at:
                return REASON_REVOKED, 0
            else:
                suspended = lic.state == STATE_SUSPENDED and used_at >= lic.suspended_at
            if suspended:
                return REASON_SUSPENDED, 0
            reason = _time_reason(suspended, used_at, lic.start, lic.end)
            rate = lic.rate
        if reason:
            return reason, 0
        return 0, quantity * rate


def _time_reason(suspended: bool, at: int, start: int, end: int) -> int:
    if suspended:
        return REASON_SUSPENDED
    if at < start:
        return REASON_NOT_YET_VALID
    if at >= end:
        return REASON_EXPIRED
    return 0


def past_state(ledger: Any, block: int) -> PastState:
    """The state as of ``block`` (inclusive), replayed from the events of every version of
    WorkRegistry and LicenceRegistry. Reads only logs and block headers: any node answers."""
    names = set(WORK_EVENTS) | set(LICENCE_EVENTS)
    topics = [[t for n in sorted(names) for t in ledger.events.topics_of(n)]]
    addresses = ledger.deployment.versions("WorkRegistry") + ledger.deployment.versions("LicenceRegistry")
    events = [ev for ev in ledger.read_events(addresses, topics, to_block=block) if ev.name in names]
    stamps = ledger.rpc.block_timestamps([block] + [ev.block for ev in events])
    state = PastState(block, stamps[block])
    state.bound = bound_registries(ledger)
    for ev in events:
        state.apply(ev, stamps.get(ev.block, 0))
    return state


def bound_registries(ledger: Any) -> dict[str, str]:
    """Each WorkRegistry version (lower-case address) -> the LicenceRegistry version bound to it
    (its immutable ``registry()``, read at the latest block: any node answers)."""
    from eth_abi import decode as abi_decode
    from eth_utils import function_signature_to_4byte_selector as sel

    lrs = ledger.deployment.versions("LicenceRegistry")
    raw = ledger.rpc.eth_call_many([(a, sel("registry()")) for a in lrs], strict=True)
    return {str(abi_decode(["address"], r or b"")[0]).lower(): to_checksum_address(a) for a, r in zip(lrs, raw,
                                                                                                    strict=True)}


def pool_licences(ledger: Any, pool_address: str, block: int | None = None) -> tuple[str, int]:
    """The LicenceRegistry of the CoverageLens a RoyaltyPool weighed lines with at ``block`` (the
    latest block when None), and that lens's VERSION. The pool's lens can be replaced
    (`setLens`, R81b: an upgrade keeps the pool), so the lens of a past block comes from the
    pool's `LensChanged` events, which every node keeps; the lens's own immutables and constants
    are readable at the latest block."""
    from eth_abi import decode as abi_decode
    from eth_utils import function_signature_to_4byte_selector as sel

    rpc = ledger.rpc
    (lens,) = abi_decode(["address"], rpc.eth_call_many([(pool_address, sel("lens()"))], strict=True)[0] or b"")
    if block is not None:
        lens = lens_at(ledger, pool_address, block, lens)
    lic_raw, version_raw = rpc.eth_call_many([(lens, sel("licences()")), (lens, sel("VERSION()"))], strict=True)
    (lic,) = abi_decode(["address"], lic_raw or b"")
    (version,) = abi_decode(["uint16"], version_raw or b"")
    return to_checksum_address(lic), int(version)


#: topic0 of RoyaltyPool's `LensChanged(address indexed oldLens, address indexed newLens)`
_LENS_CHANGED = "0x" + keccak256(b"LensChanged(address,address)").hex()


def lens_changes(ledger: Any, pool_address: str) -> list[tuple[int, str, str]]:
    """The pool's `LensChanged` events as (block, old lens, new lens), oldest first. Read once per
    ``Ledger`` and then only from the block after the last one read (a royalty run weighs many
    past periods: one scan of the chain, not one per period; a QBFT chain has final blocks)."""
    cache = ledger.__dict__.setdefault("_lens_changes", {})
    key = pool_address.lower()
    scanned, changes = cache.get(key, (-1, []))
    head = int(ledger.rpc.request("eth_blockNumber"), 16)
    if head > scanned:
        changes = sorted(changes + [
            (int(log["blockNumber"], 16), "0x" + log["topics"][1][-40:], "0x" + log["topics"][2][-40:])
            for _end, logs in ledger.rpc.get_logs([pool_address], scanned + 1, head, topics=[_LENS_CHANGED])
            for log in logs])
        cache[key] = (head, changes)
    return changes


def lens_at(ledger: Any, pool_address: str, block: int, current: str) -> str:
    """The lens a pool used at ``block``: the new lens of its last `LensChanged` at or before the
    block, else the old lens of its first one, else (never changed) ``current``."""
    changes = lens_changes(ledger, pool_address)
    if not changes:
        return current
    before = [new for b, _old, new in changes if b <= block]
    return to_checksum_address(before[-1] if before else changes[0][1])


def weigh_lines(state: PastState, licences: str, cmo: str, items: Sequence[tuple[str, Any]],
                lens_version: int = 1) -> list[tuple[int, int]]:
    """``line_weight`` of each (licensee, UsageLine)."""
    return [state.line_weight(licences, cmo, who, ln.work_id, ln.use, ln.quantity, ln.used_at, ln.licence_id,
                              ln.kind, lens_version) for who, ln in items]
