"""What the protection chapters share: the ledger, the TSA client, the AttestationRegistry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.content.timestamp import TsaClient, tsa_from_env
from ledger.core.events import Event
from ledger.domain.works import Ledger, parse_work_id

if TYPE_CHECKING:
    from web3.contract import Contract


class ProtectionBase:
    """The ledger, the TSA client and the AttestationRegistry the chapters share."""

    def __init__(self, ledger: Ledger, tsa: TsaClient | None = None) -> None:
        self.ledger = ledger
        self.tsa = tsa if tsa is not None else tsa_from_env()
        self.attestations: Contract = ledger.contract("AttestationRegistry")

    # --- helpers -----------------------------------------------------------------------

    @property
    def chain(self):
        return self.ledger.chain

    def _addresses(self, name: str) -> list[str]:
        dep = self.ledger.deployment
        out = [dep.address(name)] if name in dep.contracts else []
        out += [c.address for c in dep.history if c.name == name and c.address not in out]
        return out

    def _events(self, name: str, topics: list[Any]) -> list[Event]:
        return self.ledger.read_events(self._addresses(name), topics)

    @staticmethod
    def _wid(work_id: str) -> bytes:
        return bytes.fromhex(parse_work_id(work_id)[2:])
