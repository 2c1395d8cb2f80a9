"""Disputes over works: open (with evidence in the store), resolve (with a reason document), list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ledger.content.canonical import canonical_json
from ledger.content.cid import chain_cid, cid_for_bytes, cid_for_file, cid_to_bytes
from ledger.core import errors as E
from ledger.core.types import Holder
from ledger.domain.protection.base import ProtectionBase
from ledger.domain.protection.records import (
    OUTCOME_NAMES,
    OUTCOMES,
    Dispute,
)
from ledger.domain.works import parse_holders, parse_work_id


class Disputes(ProtectionBase):
    """A HOLDER or CMO contests a confirmed work; a REGISTRAR rules."""

    # --- disputes ----------------------------------------------------------------------

    def open_dispute(self, work_id: str, evidence: Path | bytes) -> Dispute:
        """As a HOLDER or CMO: contest a CONFIRMED work with an evidence file or bytes."""
        wid = parse_work_id(work_id)
        if isinstance(evidence, bytes):
            cid = cid_for_bytes(evidence)
        else:
            if not Path(evidence).is_file():
                raise E.InputError(f"{evidence}: no such evidence file")
            cid = cid_for_file(evidence)
        fn = self.ledger.registry_for(wid).functions.openDispute(self._wid(wid), cid_to_bytes(cid))
        self.ledger.simulate(fn)  # simulate before storing anything
        store = self.ledger.store
        stored = store.add(evidence) if isinstance(evidence, bytes) else store.add_file(evidence)
        if stored != cid:
            raise E.MetadataMismatch(f"the store named the evidence {stored}, expected {cid}")
        r = self.ledger.transact(fn)
        ev = r.event("DisputeOpened")
        return Dispute(int(ev.args["disputeId"]), wid, ev.args["claimant"], cid, r.tx_hash, r.block_number)

    def resolve_dispute(
        self,
        work_id: str,
        outcome: str | int,
        reason: str,
        holders: Sequence[Holder] | Sequence[str] = (),
        code: int = 1,
    ) -> Dispute:
        """As a REGISTRAR: resolve the open dispute (holders only for ``corrected``)."""
        wid = parse_work_id(work_id)
        out = OUTCOMES.get(outcome, 0) if isinstance(outcome, str) else int(outcome)
        if out not in OUTCOME_NAMES:
            raise E.InputError(f"outcome {outcome!r} is not one of: " + ", ".join(OUTCOMES))
        if not reason.strip():
            raise E.InputError("a ruling needs a reason", hint="pass --reason TEXT")
        if not 0 <= code <= 65535:
            raise E.InputError(f"reason code {code} is out of range 0..65535")
        hs: list[Holder] = []
        if holders:
            hs = [h for h in holders if isinstance(h, Holder)]
            if len(hs) != len(holders):
                hs = parse_holders([str(h) for h in holders])
        if out == 2 and not hs:
            raise E.InputError("correcting the holders needs the new holders", hint="pass --holder ADDR:BPS ...")
        if out != 2 and hs:
            raise E.InputError("holders are given only when the outcome is 'corrected'")
        raw_holders = [(h.account, h.bps) for h in hs]
        registry = self.ledger.registry_for(wid)
        view = self.ledger.call(registry.functions.getWork(self._wid(wid)))
        doc = {"type": "dispute-resolution", "workId": wid, "disputeId": int(view[6]),
               "outcome": OUTCOME_NAMES[out], "code": code, "reason": reason.strip(),
               "holders": [{"account": a, "bps": b} for a, b in raw_holders]}
        body = canonical_json(doc)
        cid = cid_for_bytes(body)
        fn = registry.functions.resolveDispute(self._wid(wid), out, raw_holders, code, cid_to_bytes(cid))
        self.ledger.simulate(fn)
        self.ledger.store.add(body)
        r = self.ledger.transact(fn)
        ev = r.event("DisputeResolved")
        return Dispute(int(ev.args["disputeId"]), wid, "", "", "", 0, OUTCOME_NAMES[out], ev.args["registrar"], cid,
                       tuple(hs), r.tx_hash)

    def disputes(self, work_id: str) -> list[Dispute]:
        """Every dispute over a work, oldest first, with its ruling once resolved."""
        wid = parse_work_id(work_id)
        found: dict[int, Dispute] = {}
        for ev in self.ledger.work_events(wid):
            a = ev.args
            if ev.name == "DisputeOpened":
                found[int(a["disputeId"])] = Dispute(int(a["disputeId"]), wid, a["claimant"],
                                                     chain_cid(a["evidenceCid"]), ev.tx_hash, ev.block)
            elif ev.name == "DisputeResolved" and int(a["disputeId"]) in found:
                d = found[int(a["disputeId"])]
                found[d.dispute_id] = Dispute(
                    d.dispute_id, wid, d.claimant, d.evidence_cid, d.opened_tx, d.opened_block,
                    OUTCOME_NAMES.get(int(a["outcome"]), str(a["outcome"])), a["registrar"],
                    chain_cid(a["reasonCid"]) if a["reasonCid"] else None,
                    tuple(Holder(h[0], int(h[1])) for h in a["holders"]), ev.tx_hash)
        return list(found.values())
