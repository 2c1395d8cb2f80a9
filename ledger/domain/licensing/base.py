"""What the licensing chapters share: the ledger, the LicenceRegistry, small helpers."""

from __future__ import annotations

from typing import Any

from ledger.content.cid import cid_to_bytes
from ledger.core import errors as E


class LicensingBase:
    """The ledger and its LicenceRegistry."""

    CONTRACT = "LicenceRegistry"
    WORK_EVENTS = ("WorkConfirmed", "ClaimAwarded", "DisputeOpened", "DisputeResolved", "UsesReserved")

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        try:
            self.contract = ledger.contract(self.CONTRACT)
        except Exception as exc:
            raise E.NotDeployed(
                f"no {self.CONTRACT} is recorded in this deployment ({exc})",
                hint="deploy afresh: move the deployments file aside and restart the node",
            ) from None
        self.address = self.contract.address

    # --- helpers ---------------------------------------------------------------------

    def _licence_id(self, events: list[Any]) -> int:
        for ev in events:
            if ev.name in ("LicenceGranted", "OpenLicencePublished"):
                return int(ev.args["licenceId"])
        raise E.TransactionFailed("the transaction was mined but reported no licence")

    def _terms_cid(self, terms_cid: str | bytes | None, doc: dict[str, Any]) -> bytes:
        if isinstance(terms_cid, bytes):
            return terms_cid
        if terms_cid:
            return cid_to_bytes(terms_cid)
        return cid_to_bytes(self.ledger._store_document(doc))

    def read_index(self) -> Any:
        """The local read index (``ledger.domain.index``), synced before the read (bounded), or
        None when it is switched off (``RIGHTS_LEDGER_INDEX=off``): then reads replay the events.
        ``self.index_note`` says when the answer may miss the newest blocks."""
        import os

        if os.environ.get("RIGHTS_LEDGER_INDEX", "").lower() in ("off", "0", "no"):
            return None
        from ledger.domain.index import ReadIndex

        idx = getattr(self.ledger, "_read_index", None)
        if idx is None:
            idx = self.ledger._read_index = ReadIndex(self.ledger)
        self.index_note = idx.fresh().note()
        return idx

    index_note: str | None = None

    def now(self) -> int:
        """The chain's time: the latest block's timestamp."""
        return int(self.ledger.chain.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def contracts_for(self, work: str) -> tuple[Any, Any]:
        """(LicenceRegistry, CoverageLens) of the version that holds ``work`` (ADR 002): a work
        registered in WorkRegistry v1 is licensed, mandated and asked about through the v1
        LicenceRegistry and lens (they name v1 as their registry), the rest through the current ones."""
        led = self.ledger
        registry = led.registry_for(work).address
        if registry == led.registry.address:
            return self.contract, led.contract("CoverageLens")
        from ledger.domain.asof import versions

        lic = next((a for a in reversed(versions(led, "LicenceRegistry"))
                    if led.call(led.contract("LicenceRegistry", a).functions.registry()) == registry), None)
        lens = next((a for a in reversed(versions(led, "CoverageLens"))
                     if led.call(led.contract("CoverageLens", a).functions.works()) == registry), None)
        if lic is None or lens is None:
            return self.contract, led.contract("CoverageLens")
        return led.contract("LicenceRegistry", lic), led.contract("CoverageLens", lens)
