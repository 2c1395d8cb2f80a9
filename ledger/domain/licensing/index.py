"""The in-memory coverage index: licence and work events replayed into memory, and the
contract's coverage rules applied in Python (ADR 008) to answer questions in bulk."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.content.cid import chain_cid
from ledger.core.types import apply_licence_state, mask_to_uses
from ledger.domain.licensing.model import (
    _CONFIRMED,
    _DISPUTED,
    COVERED,
    EXPIRED,
    FOREVER,
    NONE,
    NOT_YET_VALID,
    RESERVED,
    REVOKED,
    SCOPE_NAMES,
    SCOPE_REPERTOIRE,
    SCOPE_WORK,
    STATE_ACTIVE,
    STATE_NAMES,
    STATE_REVOKED,
    STATE_SUSPENDED,
    SUSPENDED,
    WITHDRAWN,
    WORK_NOT_CONFIRMED,
    WRONG_TERRITORY,
    LicenceRecord,
    _hex,
    territories_of,
)

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
    # (block time, state) of every suspension, resumption and revocation: the state at a time
    # is the last one at or before it, active before the first (ADR 009)
    states: list[list[int]] = field(default_factory=list)

    def state_at(self, at: int) -> int:
        found = lookup(self.states, at)
        return STATE_ACTIVE if found is None else found[1]

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
        return chain_cid(raw)
    except Exception:
        return _hex(raw)


def _code_text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("utf-8", "replace")


# --- time-ranged facts (the contracts keep them as OpenZeppelin Checkpoints, ADR 009) ---------


def push(history: list[Any], entry: list[int] | tuple[int, ...]) -> None:
    """Append `entry` (its first item is the time it takes effect); an entry at the same time
    as the last one replaces it, as ``Checkpoints.push`` does."""
    if history and history[-1][0] == entry[0]:
        history[-1] = list(entry)
    else:
        history.append(list(entry))


def lookup(history: list[Any], at: int) -> Any:
    """The last entry whose time is at or before `at` (None when there is none)."""
    i = bisect_right(history, at, key=lambda e: e[0])
    return history[i - 1] if i else None


class CoverageIndex:
    """Every licence, mandate, tariff and the work facts coverage needs, replayed from events.

    ``evaluate`` answers one question in memory with the contract's rules (the ``coverage``
    view): the licensee's licences in id order, then the work's open licences, then the
    use's tariff; the first that covers wins, otherwise the closest reason (the highest
    code, the first licence among equals). Every fact is read as it was at the asked time:
    reservations, disputes, mandates, tariff versions and licence states are kept as
    histories of (time, value), like the contracts' checkpoints.
    """

    def __init__(self) -> None:
        self.licences: dict[int, _Lic] = {}
        self.by_licensee_work: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.repertoire_by_licensee: dict[str, list[int]] = defaultdict(list)
        self.open_by_work: dict[str, list[int]] = defaultdict(list)
        self.mandates: dict[tuple[str, str], tuple[int, int, int]] = {}  # (work, cmo) -> (uses, from, until)
        self.tariffs: dict[int, tuple[int, int, int, int]] = {}  # use -> (amount, period, from, until)
        self.status: dict[str, int] = {}
        self.reserved: dict[str, int] = {}  # the current mask
        # histories: [time, value...] in time order (see push / lookup)
        self.reserved_history: dict[str, list[list[int]]] = defaultdict(list)
        self.dispute_history: dict[str, list[list[int]]] = defaultdict(list)  # 0 clear, 1 disputed, 2 revoked
        self.mandate_history: dict[tuple[str, str], list[list[int]]] = defaultdict(list)  # [t, uses, until, ever]
        self.tariff_history: dict[int, list[list[int]]] = defaultdict(list)  # [from, amount, period, until]
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
            apply_licence_state(lic, name, int(a["at"]))
            push(lic.states, (int(a["at"]), lic.state))
            lic.history.append({"event": name, "block": block, "tx": tx, "by": a["by"], "at": int(a["at"]),
                                **({"reason": a["reason"]} if "reason" in a else {})})
        elif name == "MandateGranted":
            key = (_hex(a["workId"]), a["cmo"])
            self.mandates[key] = (int(a["uses"]), int(a["from"]), FOREVER)
            self._push_mandate(key, int(a["at"]), int(a["uses"]), FOREVER)
        elif name == "MandateWithdrawn":
            key = (_hex(a["workId"]), a["cmo"])
            uses, frm, _ = self.mandates.get(key, (0, 0, 0))
            self.mandates[key] = (uses, frm, int(a["effectiveAt"]))
            self._push_mandate(key, int(a["at"]), uses, int(a["effectiveAt"]))
        elif name == "TariffSet":
            use, frm = int(a["use"]), int(a["validFrom"])
            self.tariffs[use] = (int(a["amountPerWork"]), int(a["period"]), frm, int(a["validUntil"]))
            push(self.tariff_history[use], (frm, int(a["amountPerWork"]), int(a["period"]), int(a["validUntil"])))
        elif name == "OfferAccepted":
            self.offers[(a["licensor"], int(a["nonce"]))] = 1
            accepted = self.licences.get(int(a["licenceId"]))
            if accepted is not None:
                accepted.history.append({"event": name, "block": block, "tx": tx, "nonce": str(a["nonce"]),
                                    "paid": int(a["paid"])})
        elif name == "OfferCancelled":
            self.offers[(a["licensor"], int(a["nonce"]))] = 2
        elif name in ("WorkConfirmed", "ClaimAwarded"):
            self.status[_hex(a["workId"])] = _CONFIRMED
        elif name == "DisputeOpened":
            self.status[_hex(a["workId"])] = _DISPUTED
            push(self.dispute_history[_hex(a["workId"])], (int(a["openedAt"]), 1))
        elif name == "DisputeResolved":
            revoked = int(a["outcome"]) == 3
            self.status[_hex(a["workId"])] = 5 if revoked else _CONFIRMED
            push(self.dispute_history[_hex(a["workId"])], (int(a["resolvedAt"]), 2 if revoked else 0))
        elif name == "UsesReserved":
            self.reserved[_hex(a["workId"])] = int(a["reservedUses"])
            push(self.reserved_history[_hex(a["workId"])], (int(a["at"]), int(a["reservedUses"])))

    def _push_mandate(self, key: tuple[str, str], at: int, uses: int, until: int) -> None:
        history = self.mandate_history[key]
        ever = (history[-1][3] if history else 0) | uses
        push(history, (at, uses, until, ever))

    # --- facts at a time (the contracts' workAt, mandateAt, tariffAt, licenceAt) ------

    def work_at(self, work: str, at: int) -> tuple[int, int]:
        """(status, reserved mask) of `work` as they were at `at`."""
        st = self.status.get(work, 0)
        if st in (_CONFIRMED, _DISPUTED, 5):
            found = lookup(self.dispute_history.get(work, []), at)
            st = {1: _DISPUTED, 2: 5}.get(found[1] if found else 0, _CONFIRMED)
        found = lookup(self.reserved_history.get(work, []), at)
        return st, found[1] if found else 0

    def mandate_at(self, work: str, cmo: str, at: int) -> tuple[int, int]:
        """(uses mandated at `at`, every use mandated at or before `at`)."""
        found = lookup(self.mandate_history.get((work, cmo), []), at)
        if found is None:
            return 0, 0
        _, uses, until, ever = found
        return (uses if until > at else 0), ever

    def tariff_at(self, use: int, at: int) -> tuple[int, int, int, int] | None:
        """(amountPerWork, period, validFrom, validUntil) of the version in force at `at`."""
        found = lookup(self.tariff_history.get(use, []), at)
        return None if found is None else (found[1], found[2], found[0], found[3])

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
        st, reserved_mask = self.work_at(work, at)
        if st != _CONFIRMED and st != _DISPUTED:
            return (False, 0, WORK_NOT_CONFIRMED, 0)
        disputed = st == _DISPUTED
        reserved = bool(reserved_mask & use)
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
        tariff = self.tariff_at(use, at)
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
        mandated, ever = self.mandate_at(work, lic.licensor, at) if lic.collective else (0, 0)
        if lic.scope == SCOPE_REPERTOIRE and not ever & use:
            return NONE
        state = lic.state_at(at)
        if state == STATE_REVOKED:
            return REVOKED
        if state == STATE_SUSPENDED or disputed:
            return SUSPENDED
        if at < lic.start:
            return NOT_YET_VALID
        if at >= lic.end:
            return EXPIRED
        if lic.terr_set and territory not in lic.terr_set:
            return WRONG_TERRITORY
        if lic.collective:
            if not mandated & use:
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
