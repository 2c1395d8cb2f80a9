"""Protection's records and helpers: outcomes, attestation kinds, hashes, the inputs root."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.content.merkle import MerkleTree, leaf_hash
from ledger.content.timestamp import TimestampInfo
from ledger.core import errors as E
from ledger.core.types import Holder, WorkRecord

OUTCOMES = {"dismissed": 1, "corrected": 2, "revoked": 3}
OUTCOME_NAMES = {v: k for k, v in OUTCOMES.items()}
KINDS = {"unspecified": 0, "content": 1, "inputs": 2, "output": 3, "params": 4, "evidence": 5}
KIND_NAMES = {v: k for k, v in KINDS.items()}
ZERO32 = "0x" + "00" * 32


def parse_hash(value: str, what: str = "hash") -> str:
    """A sha-256 as 0x + 64 hex digits (with or without 0x)."""
    v = value.strip().lower().removeprefix("0x")
    if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise E.InputError(f"{what} {value!r} is not a sha-256 (64 hex digits)")
    return "0x" + v


def sha256_hex(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """The Merkle root of sha-256 leaves (e.g. of inputs or prompts): the project's one scheme.

    It is OpenZeppelin's ``StandardMerkleTree.of(leaves, ["bytes32"])`` (see
    :mod:`ledger.content.merkle`): each leaf is hashed twice, keccak256(keccak256(abi.encode(
    digest))), so no leaf can pass for an inner node, and inner nodes hash their sorted pair.
    The root does not depend on the order of the leaves.
    """
    digests = [bytes(x) for x in leaves]
    if not digests:
        raise E.InputError("a Merkle root needs at least one input")
    if any(len(x) != 32 for x in digests):
        raise E.InputError("Merkle leaves are sha-256 digests (32 bytes)")
    return MerkleTree.build([leaf_hash(("bytes32",), (d,)) for d in digests]).root


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispute:
    dispute_id: int
    work_id: str
    claimant: str
    evidence_cid: str
    opened_tx: str
    opened_block: int
    outcome: str | None = None  # dismissed | corrected | revoked, None while open
    registrar: str | None = None
    reason_cid: str | None = None
    holders: tuple[Holder, ...] = ()
    resolved_tx: str | None = None


@dataclass(frozen=True)
class AttestationRecord:
    hash: str
    attester: str
    attested_at: int
    block: int
    kind: str
    cid: str | None
    tsa_token_cid: str | None
    tx_hash: str | None


@dataclass(frozen=True)
class GenerationRecord:
    record_id: int
    work_id: str
    generator: str
    model_name: str
    model_version: str
    inputs_root: str
    params_cid: str | None
    output_hash: str
    time: int
    tx_hash: str
    block: int


@dataclass(frozen=True)
class AttestationCheck:
    record: AttestationRecord
    token: TimestampInfo | None  # verified token, when one is linked and a CA file given
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Provenance:
    work: WorkRecord
    generations: tuple[GenerationRecord, ...]
    attestations: dict[str, AttestationRecord | None]  # inputs roots, output hashes and the work id
