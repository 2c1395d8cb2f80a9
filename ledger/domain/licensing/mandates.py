"""Mandates (a holder to a CMO) and statutory tariffs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.core import errors as E
from ledger.core.types import mask_to_uses, uses_to_mask
from ledger.domain.licensing.base import LicensingBase
from ledger.domain.licensing.model import (
    FOREVER,
    _wid_bytes,
    parse_time,
    parse_use,
)


class Mandates(LicensingBase):
    """Mandates and tariffs."""

    # --- mandates --------------------------------------------------------------------

    def mandate(self, work: str, cmo: str, uses: Sequence[str]) -> Any:
        from ledger.domain.works import parse_address

        fn = self.contracts_for(work)[0].functions.mandate(_wid_bytes(work), parse_address(cmo, "CMO"),
                                                           uses_to_mask(tuple(uses)))
        return self.ledger.write(fn)

    def withdraw_mandate(self, work: str, cmo: str, effective: Any = None) -> Any:
        from ledger.domain.works import parse_address

        at = parse_time(effective, 0)
        fn = self.contracts_for(work)[0].functions.withdrawMandate(_wid_bytes(work), parse_address(cmo, "CMO"), at)
        return self.ledger.write(fn)

    def mandate_of(self, work: str, cmo: str) -> dict[str, Any]:
        from ledger.domain.works import parse_address

        uses, frm, until = self.ledger.call(
            self.contracts_for(work)[0].functions.mandateOf(_wid_bytes(work), parse_address(cmo, "CMO")))
        return {"uses": list(mask_to_uses(uses)), "from": frm or None, "until": None if until >= FOREVER else until}

    def mandate_at(self, work: str, cmo: str, at: Any) -> dict[str, Any]:
        """The mandate of `work` to `cmo` as it was at `at` (issue 14, SPECIFICATION TR4): the
        uses mandated then, and every use mandated at or before then."""
        from ledger.domain.works import parse_address

        uses, ever = self.ledger.call(self.contracts_for(work)[0].functions.mandateAt(
            _wid_bytes(work), parse_address(cmo, "CMO"), parse_time(at, self.now())))
        return {"uses": list(mask_to_uses(uses)), "everUses": list(mask_to_uses(ever))}

    # --- tariffs ---------------------------------------------------------------------

    def tariff_registries(self) -> list[Any]:
        """Every LicenceRegistry version, oldest first, the current one last (ADR 002). A tariff
        is the use's, not a version's: works of an older WorkRegistry are asked about through the
        LicenceRegistry bound to it, so each version keeps the tariff versions (SPECIFICATION TR5a)."""
        out = [self.ledger.contract(self.CONTRACT, a) for a in self.ledger.deployment.versions(self.CONTRACT)
               if a.lower() != self.address.lower()]
        return [*out, self.contract]

    def set_tariff(self, use: str, amount_per_work: int, period: int, valid_from: Any = None,
                   valid_until: Any = None) -> Any:
        """As the governor: add a version of the use's statutory tariff (TR5) to every
        LicenceRegistry version (TR5a), the older ones first; returns the current version's write."""
        if period <= 0:
            raise E.InputError("the tariff period must be a positive number of seconds")
        args = (parse_use(use), int(amount_per_work), int(period), parse_time(valid_from, self.now()),
                parse_time(valid_until, 0))
        registries = self.tariff_registries()
        for reg in registries:  # a refusal (role, dates) stops here, before any version is written
            self.ledger.simulate(reg.functions.setTariff(*args))
        result = None
        for reg in registries:
            result = self.ledger.write(reg.functions.setTariff(*args))
        return result

    def tariff_of(self, use: str) -> dict[str, Any] | None:
        """The latest version of the use's tariff (None when none was set)."""
        return _tariff(use, self.ledger.call(self.contract.functions.tariffOf(parse_use(use))))

    def tariff_at(self, use: str, at: Any) -> dict[str, Any] | None:
        """The version of the use's tariff in force at `at` (SPECIFICATION TR5): the latest whose
        validFrom is at or before `at`; None when there is none. Its window may have ended
        (compare `at` with validUntil). After an upgrade (ADR 002) every LicenceRegistry version
        is read and the version with the latest validFrom wins (a registry deployed later has
        no tariff versions from before it)."""
        bit, when = parse_use(use), parse_time(at, self.now())
        best = None
        for reg in self.tariff_registries():
            raw = self.ledger.call(reg.functions.tariffAt(bit, when))
            if raw[3] and (best is None or raw[2] >= best[2]):
                best = raw
        return _tariff(use, best) if best is not None else None


def _tariff(use: str, raw: Any) -> dict[str, Any] | None:
    amount, period, frm, until = raw
    if not until:
        return None
    return {"use": use, "amountPerWork": amount, "period": period, "validFrom": frm,
            "validUntil": None if until >= FOREVER else until}
