"""Copy content-addressed blobs from one store to another, verifying each.

Used by ``rights-ledger store sync`` to move a ledger's blobs from the embedded store to
an IPFS node (and back). It is resumable and idempotent by construction: a blob the
destination already keeps (:meth:`MetadataStore.has`: a recursive pin on kubo, every
block present locally) is skipped, so a rerun after an interruption copies only the rest.

Per blob, a problem of the *source* (the blob is missing, or its bytes do not hash to
the CID) is recorded and the copy goes on; a problem of the *destination* (unreachable,
refusing, answering with another CID) stops the copy with the store's error, since every
later blob would fail the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ledger.content.cid import cid_for_bytes
from ledger.content.store.base import MetadataStore
from ledger.core.errors import ContentNotFound, MetadataMismatch


@dataclass(frozen=True)
class BlobProblem:
    """A blob that could not be copied: its CID, where the ledger refers to it, and why."""

    cid: str
    where: str
    reason: str


@dataclass
class SyncReport:
    """What a sync did, blob by blob."""

    source: str
    destination: str
    copied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    problems: list[BlobProblem] = field(default_factory=list)
    bytes_copied: int = 0

    @property
    def total(self) -> int:
        return len(self.copied) + len(self.present) + len(self.problems)

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "destination": self.destination,
            "total": self.total,
            "copied": len(self.copied),
            "alreadyPresent": len(self.present),
            "bytesCopied": self.bytes_copied,
            "problems": [{"cid": p.cid, "where": p.where, "reason": p.reason} for p in self.problems],
            "copiedCids": list(self.copied),
        }


def sync_blobs(
    refs: Iterable[tuple[str, str]],
    source: MetadataStore,
    destination: MetadataStore,
    *,
    verify_present: bool = False,
    progress: Callable[[str, str], None] | None = None,
    report: SyncReport | None = None,
) -> SyncReport:
    """Copy every ``(cid, where)`` in ``refs`` from ``source`` to ``destination``.

    Each copied blob is read from the source (verified against its CID there), added to
    the destination, which must answer with the same CID, and pinned there. With
    ``verify_present``, blobs the destination already keeps are read back and verified
    too. ``progress(cid, outcome)`` is called after each blob (outcome ``copied``,
    ``present`` or ``problem``). A destination failure raises its store error;
    ``report`` (if given) then holds what was done before it.
    (Errors are :class:`~ledger.core.errors.StoreError` subclasses.)
    """
    report = report or SyncReport(source.describe(), destination.describe())
    for cid, where in refs:
        outcome = _one(cid, where, source, destination, verify_present, report)
        if progress:
            progress(cid, outcome)
    return report


def _one(cid: str, where: str, source: MetadataStore, destination: MetadataStore,
         verify_present: bool, report: SyncReport) -> str:
    if destination.has(cid):
        if verify_present:
            destination.cat(cid)  # raises MetadataMismatch / ContentNotFound: a destination fault
        report.present.append(cid)
        return "present"
    try:
        data = source.cat(cid)
    except ContentNotFound:
        report.problems.append(BlobProblem(cid, where, f"not in the source ({source.describe()})"))
        return "problem"
    except MetadataMismatch as exc:
        report.problems.append(BlobProblem(cid, where, f"the source's copy is corrupt: {exc.message}"))
        return "problem"
    if cid_for_bytes(data) != cid:  # verified, yet not the CID `ipfs add --cid-version=1` gives
        report.problems.append(BlobProblem(cid, where, "not reproducible by adding its bytes "
                                           "(other import settings than CIDv1, raw leaves, 256 KiB chunks)"))
        return "problem"
    got = destination.add(data)
    if got != cid:
        raise MetadataMismatch(f"{destination.describe()} stored {cid} as {got}",
                               hint="the destination does not import content as `ipfs add --cid-version=1`")
    destination.pin(cid)
    report.copied.append(cid)
    report.bytes_copied += len(data)
    return "copied"


__all__ = ["BlobProblem", "SyncReport", "sync_blobs"]
