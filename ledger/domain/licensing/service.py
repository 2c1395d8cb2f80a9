"""The SDK facade: ``Licensing(ledger)``, mandates, licences, offers, tariffs, coverage."""

from __future__ import annotations

from ledger.domain.licensing.grants import Grants
from ledger.domain.licensing.mandates import Mandates
from ledger.domain.licensing.offers import Offers


class Licensing(Mandates, Grants, Offers):
    """Licensing operations of one ``Ledger``: ``Licensing(ledger)``."""
