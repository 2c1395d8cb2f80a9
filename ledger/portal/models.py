"""Response models of the JSON API (they make the OpenAPI document at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """Every error of the API: the HTTP status, one human sentence and what to do next."""

    status: int = Field(
        description="HTTP status: 400 malformed input, 404 unknown, 501 not in this build, 503 chain unreachable"
    )
    error: str = Field(description="What went wrong, in one sentence")
    hint: str | None = Field(None, description="What to do next, when there is something to do")


class HolderOut(BaseModel):
    account: str
    name: str | None = Field(None, description="The local account name of this address, when one is known")
    bps: int = Field(description="Share in basis points; the shares of a work sum to 10000")
    percent: float


class HistoryOut(BaseModel):
    event: str = Field(description="Event name, e.g. WorkRegistered, WorkConfirmed, DisputeOpened")
    block: int
    time: int = Field(description="Block time, seconds since the epoch")
    timeIso: str | None = None
    tx: str = Field(description="Transaction hash")
    actor: str | None = Field(None, description="Who acted: registrant, registrar, holder, claimant")
    details: dict[str, Any] = Field(default_factory=dict, description="The event's other arguments, decoded")


class LicenceOut(BaseModel):
    licenceId: int
    licensor: str | None = None
    licensee: str | None = Field(None, description="None for an open licence (everyone)")
    scope: str
    uses: list[str]
    start: int | None = None
    end: int | None = None
    startIso: str | None = None
    endIso: str | None = None
    territories: list[str] = Field(default_factory=list, description="Empty: worldwide")
    state: str = Field(description="State on chain: active, suspended, revoked")
    statusNow: str = Field(description="Status at the time of the request: active, expired, not yet valid, "
                           "reserved (a CMO's licence whose uses the holder reserved), ...")
    reservedUses: list[str] = Field(default_factory=list, description="Uses of this licence the holder reserved")


class WorkOut(BaseModel):
    """A registered work: chain state, history, and its metadata verified against the CID."""

    workId: str
    sha256: str = Field(description="The content's SHA-256 (the work id without 0x)")
    status: str = Field(description="PENDING, CONFIRMED, REJECTED, DISPUTED or REVOKED")
    workType: str
    creationMode: str = Field(description="human, ai-assisted or ai-generated")
    summary: str = Field(description='Type, creation and reservations in words, e.g. "music, human, reserved: AI '
                         'training" (in the language of the request)')
    title: str | None = None
    creators: list[dict[str, Any]] = Field(default_factory=list)
    holders: list[HolderOut]
    registrant: str | None = None
    registeredAt: int | None = None
    registeredAtIso: str | None = None
    registerTx: str | None = None
    confirmedBy: str | None = Field(None, description="The registrar that confirmed the work")
    confirmedAt: int | None = None
    confirmedAtIso: str | None = None
    confirmTx: str | None = None
    reservedUses: list[str] = Field(default_factory=list)
    openDispute: int | None = None
    metadataCid: str | None = None
    metadata: dict[str, Any] | None = Field(None, description="The metadata document, only when it verified")
    metadataVerified: bool = Field(description="True when the stored bytes hash to the recorded CID")
    metadataError: str | None = Field(None, description="Why the metadata could not be shown (missing, mismatch)")
    aiDeclaration: dict[str, Any] | None = Field(None, description="Models and tools declared for AI works")
    provenance: dict[str, Any] | None = Field(
        None, description="On-chain AI generation records (model, inputs root, parameters CID, output hash) and "
        "the attestations of their hashes, when the build has them"
    )
    provenanceNote: str | None = None
    history: list[HistoryOut]
    disputes: list[HistoryOut] = Field(description="The dispute events of the history")
    disputeRulings: list[dict[str, Any]] | None = Field(
        None, description="Each dispute with claimant, evidence CID and ruling (when ledger.protection is present)"
    )
    licences: list[LicenceOut] | None = Field(None, description="None when licensing is not in this build")
    licencesNote: str | None = None
    historyNote: str | None = Field(None, description="Set when the read index was behind the chain "
                                    "(the newest blocks' events were then read from the chain)")
    certificateUrl: str | None = Field(None, description="PDF certificate, when the build can make one")


class CoverageOut(BaseModel):
    """The answer of ``rights-ledger licence status``."""

    work: str
    licensee: str
    use: str
    territory: str | None = None
    at: int
    atIso: str | None = None
    covered: bool
    grant: str | None = Field(None, description="work licence, blanket licence, open licence or statutory tariff")
    licenceId: int | None = None
    reason: str | None = Field(None, description="Why not covered (None when covered)")
    explanation: str = Field(description="The answer in one sentence")


class EventOut(BaseModel):
    event: str
    contract: str
    address: str
    block: int
    time: int
    timeIso: str | None = None
    tx: str
    logIndex: int
    workId: str | None = None
    args: dict[str, Any]


class EventsPageOut(BaseModel):
    """One page of the decoded history, newest first."""

    total: int = Field(description="Events matching the filters")
    page: int
    perPage: int
    pages: int
    event: str | None = None
    work: str | None = None
    eventNames: list[str] = Field(description="Every event name seen on this chain (for filters)")
    items: list[EventOut]


class BucketOut(BaseModel):
    start: int
    end: int
    startIso: str | None = None
    counts: dict[str, int]


class ReplayOut(BaseModel):
    available: bool = Field(description="Whether this build has the audit replay")
    note: str | None = None
    doc: str | None = Field(None, description="What the replay checks (from its package docstring)")
    ran: bool
    ranAt: int | None = None
    ranAtIso: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    eventCounts: Any | None = None
    mismatches: Any | None = None
    checkpointFile: str | None = None
    checkpoint: Any | None = None


class AuditSummaryOut(BaseModel):
    head: int = Field(description="The chain's latest block")
    totalEvents: int
    countsByType: dict[str, int]
    timeline: list[BucketOut] = Field(description="Events by type in equal time buckets")
    replay: ReplayOut
