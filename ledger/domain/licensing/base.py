"""What the licensing chapters share: the ledger, the LicenceRegistry, small helpers."""

from __future__ import annotations

from collections.abc import Sequence
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
        LicenceRegistry and lens (they name v1 as their registry), the rest through the current ones.
        The one-work case of :func:`licensing_of_works`."""
        led = self.ledger
        lic, lens = licensing_of_works(led, [work])[work]
        if lic.lower() == self.address.lower():
            return self.contract, led.contract("CoverageLens")
        return led.contract("LicenceRegistry", lic), led.contract("CoverageLens", lens)


def licensing_versions(ledger: Any) -> dict[str, tuple[str, str]]:
    """WorkRegistry address (lower case) -> (LicenceRegistry, CoverageLens) addresses of its
    version (ADR 002): the newest of each that names it (``registry()``, ``works()``), read in
    two batched ``eth_call`` rounds. Empty while there is one LicenceRegistry (no upgrade)."""
    from ledger.core.abicodec import selector

    lrs, lenses = ledger.deployment.versions("LicenceRegistry"), ledger.deployment.versions("CoverageLens")
    if len(lrs) < 2:
        return {}
    rpc = ledger.rpc

    def named(addresses: list[str], sig: str) -> dict[str, str]:
        raw = rpc.eth_call_many([(a, selector(sig)) for a in addresses], strict=True)
        return {"0x" + (r or b"").rjust(32, b"\0")[-20:].hex(): a for a, r in zip(addresses, raw, strict=True)}

    lr_of, lens_of = named(lrs, "registry()"), named(lenses, "works()")  # oldest first: the newest wins
    return {wr: (lr, lens_of[wr]) for wr, lr in lr_of.items() if wr in lens_of}


def licensing_of_works(ledger: Any, works: Sequence[str]) -> dict[str, tuple[str, str]]:
    """For each work (keyed as given), the (LicenceRegistry, CoverageLens) addresses of the
    version that holds it (ADR 002, R81c): the current pair for a work of the current
    WorkRegistry, else the pair that names the work's WorkRegistry (:meth:`Ledger.registries_for`),
    else the current pair. A licence id means a licence of that LicenceRegistry only. Batched: a
    few ``eth_call`` rounds whatever the number of works."""
    current = (ledger.contract("LicenceRegistry").address, ledger.contract("CoverageLens").address)
    registries = ledger.registries_for(works)
    now = ledger.registry.address.lower()
    if all(r.address.lower() == now for r in registries.values()):
        return dict.fromkeys(registries, current)
    pairs = licensing_versions(ledger)
    return {w: current if r.address.lower() == now else pairs.get(r.address.lower(), current)
            for w, r in registries.items()}
