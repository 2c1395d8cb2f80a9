"""AI generation records: model, inputs root, parameters and output behind a work."""

from __future__ import annotations

from typing import Any

from ledger.content.canonical import canonical_json
from ledger.content.cid import chain_cid, cid_for_bytes, cid_to_bytes
from ledger.core.events import Event
from ledger.domain.protection.attestations import Attestations
from ledger.domain.protection.records import (
    GenerationRecord,
    parse_hash,
)
from ledger.domain.works import parse_work_id


class Generations(Attestations):
    """Generation records (their inputs and outputs attested on the way)."""

    # --- generation records ------------------------------------------------------------

    def record_generation(
        self,
        work_id: str,
        model_name: str,
        model_version: str,
        inputs_root: str,
        output_hash: str,
        params: dict[str, Any] | None = None,
        *,
        attest_hashes: bool = False,
    ) -> GenerationRecord:
        """As a holder (or CMO registrant): record an AI generation behind a work.

        ``params`` (a JSON object: seed, steps, prompt template ...) is stored as canonical
        JSON and its CID sent. With ``attest_hashes`` the inputs root and the output hash are
        attested too (kinds ``inputs`` and ``output``) unless they already are.
        """
        wid = parse_work_id(work_id)
        root, out = parse_hash(inputs_root, "inputs root"), parse_hash(output_hash, "output hash")
        body = canonical_json(params) if params is not None else b""
        cid = cid_for_bytes(body) if params is not None else ""
        fn = self.attestations.functions.recordGeneration(
            self._wid(wid), model_name, model_version, bytes.fromhex(root[2:]),
            cid_to_bytes(cid) if cid else b"", bytes.fromhex(out[2:]))
        self.ledger.simulate(fn)
        if params is not None:
            self.ledger.store.add(body)
        if attest_hashes:
            for h, kind in ((root, "inputs"), (out, "output")):
                if self.attestation(h) is None:
                    self.attest(h, kind)
        ev = self.ledger.transact(fn).event("GenerationRecorded")
        return self._generation(ev)

    @staticmethod
    def _generation(ev: Event) -> GenerationRecord:
        a = ev.args
        return GenerationRecord(
            int(a["recordId"]), "0x" + bytes(a["workId"]).hex(), a["generator"], a["modelName"], a["modelVersion"],
            "0x" + bytes(a["inputsRoot"]).hex(), chain_cid(a["paramsCid"]) if a["paramsCid"] else None,
            "0x" + bytes(a["outputHash"]).hex(), int(a["time"]), ev.tx_hash, ev.block)

    def generations(self, work_id: str) -> list[GenerationRecord]:
        wid = parse_work_id(work_id)
        idx = self.ledger.read_index()  # the work's rows in the read index (issue 15), or None: the chain
        if idx is not None:
            evs, _state = idx.work_events(wid, "AttestationRegistry")
        else:
            evs = self._events("AttestationRegistry", [None, None, "0x" + wid[2:]])
        return [self._generation(e) for e in evs if e.name == "GenerationRecorded"]
