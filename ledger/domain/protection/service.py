"""``Protection(ledger)``: disputes, attestations and generation records, and provenance."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.domain.protection.disputes import Disputes
from ledger.domain.protection.generations import Generations
from ledger.domain.protection.records import (
    Provenance,
)
from ledger.domain.works import Ledger, parse_work_id


class Protection(Disputes, Generations):
    """Disputes, attestations and generation records over one Ledger."""

    def provenance(self, work_id: str) -> Provenance:
        """The chain from inputs to the work: generation records, the attestations of their
        inputs roots and output hashes (and of the work id), the work's own history."""
        wid = parse_work_id(work_id)
        work = self.ledger.work(wid)
        gens = self.generations(wid)
        hashes: list[str] = []
        for g in gens:
            for h in (g.inputs_root, g.output_hash):
                if h not in hashes:
                    hashes.append(h)
        if wid not in hashes:
            hashes.append(wid)
        return Provenance(work, tuple(gens), self.attestations_of(hashes))


def block_times(ledger: Ledger, blocks: Iterable[int]) -> dict[int, int]:
    return ledger.rpc.block_timestamps(blocks)
