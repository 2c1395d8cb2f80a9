"""The in-memory coverage index: licence and work events replayed into memory, and the
contract's coverage rules applied in Python (ADR 008) to answer questions in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.content.cid import cid_from_bytes
from ledger.core.types import mask_to_uses
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
