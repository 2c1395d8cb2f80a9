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
        fn = self.contract.functions.withdrawMandate(_wid_bytes(work), parse_address(cmo, "CMO"), at)
        return self.ledger.write(fn)

    def mandate_of(self, work: str, cmo: str) -> dict[str, Any]:
        from ledger.domain.works import parse_address

        uses, frm, until = self.ledger.call(
            self.contract.functions.mandateOf(_wid_bytes(work), parse_address(cmo, "CMO")))
        return {"uses": list(mask_to_uses(uses)), "from": frm or None, "until": None if until >= FOREVER else until}

    def mandate_at(self, work: str, cmo: str, at: Any) -> dict[str, Any]:
        """The mandate of `work` to `cmo` as it was at `at` (issue 14, SPECIFICATION TR4): the
        uses mandated then, and every use mandated at or before then."""
        from ledger.domain.works import parse_address

        uses, ever = self.ledger.call(self.contract.functions.mandateAt(
            _wid_bytes(work), parse_address(cmo, "CMO"), parse_time(at, self.now())))
        return {"uses": list(mask_to_uses(uses)), "everUses": list(mask_to_uses(ever))}

    # --- tariffs ---------------------------------------------------------------------

    def set_tariff(self, use: str, amount_per_work: int, period: int, valid_from: Any = None,
                   valid_until: Any = None) -> Any:
        if period <= 0:
            raise E.InputError("the tariff period must be a positive number of seconds")
        fn = self.contract.functions.setTariff(parse_use(use), int(amount_per_work), int(period),
                                               parse_time(valid_from, self.now()), parse_time(valid_until, 0))
        return self.ledger.write(fn)

    def tariff_of(self, use: str) -> dict[str, Any] | None:
        """The latest version of the use's tariff (None when none was set)."""
        return _tariff(use, self.ledger.call(self.contract.functions.tariffOf(parse_use(use))))

    def tariff_at(self, use: str, at: Any) -> dict[str, Any] | None:
        """The version of the use's tariff in force at `at` (SPECIFICATION TR5): the latest whose
        validFrom is at or before `at`; None when there is none. Its window may have ended
        (compare `at` with validUntil)."""
        return _tariff(use, self.ledger.call(self.contract.functions.tariffAt(parse_use(use),
                                                                             parse_time(at, self.now()))))


def _tariff(use: str, raw: Any) -> dict[str, Any] | None:
    amount, period, frm, until = raw
    if not until:
        return None
    return {"use": use, "amountPerWork": amount, "period": period, "validFrom": frm,
            "validUntil": None if until >= FOREVER else until}
