"""Protection: disputes over works, attestations (proof of existence) and AI provenance.

``Protection(ledger)`` adds to a :class:`~ledger.ledger.Ledger`:

* **disputes** — a HOLDER or CMO contests a confirmed work with an evidence file (kept in
  the metadata store, its CID sent); a REGISTRAR resolves it: dismissed, holders
  corrected, or revoked, with a reason document;
* **attestations** — any role holder anchors a sha-256 on the AttestationRegistry: the
  block time proves the hash existed then; with a TSA configured
  (``RIGHTS_LEDGER_TSA_URL``) an RFC 3161 token over the same digest is fetched first,
  stored and linked (see :mod:`ledger.timestamp`);
* **generation records** — model, inputs root, parameters document and output hash of
  an AI generation behind a work, and :meth:`Protection.provenance`, the chain from
  inputs to the registered work.

Writes follow the Ledger's order: validate, simulate (nothing stored on a revert),
store documents, sign and send.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3.contract import Contract

from ledger.content.canonical import canonical_json
from ledger.content.cid import cid_for_bytes, cid_for_file, cid_from_bytes, cid_to_bytes
from ledger.content.timestamp import TimestampInfo, TsaClient, tsa_from_env, verify_token
from ledger.core import errors as E
from ledger.core.artifacts import load_artifact
from ledger.core.events import Event, block_timestamps, fetch_logs
from ledger.core.types import Holder, WorkRecord, WorkStatus
from ledger.domain.works import Ledger, parse_holders, parse_work_id

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
    """The Merkle root of sha-256 leaves (e.g. of inputs or prompts).

    Leaves are sorted (the root does not depend on their order); each level pairs
    neighbours as sha-256(left || right) and carries an odd last node up unchanged. One
    leaf is its own root.
    """
    level = sorted(bytes(x) for x in leaves)
    if not level:
        raise E.InputError("a Merkle root needs at least one input")
    if any(len(x) != 32 for x in level):
        raise E.InputError("Merkle leaves are sha-256 digests (32 bytes)")
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def log_to_raw(log: Any) -> dict[str, Any]:
    """A web3 receipt log as the raw JSON-RPC dict :class:`EventDecoder` reads."""

    def hx(v: Any) -> str:
        return v if isinstance(v, str) else "0x" + bytes(v).hex()

    return {
        "address": log["address"],
        "topics": [hx(t) for t in log["topics"]],
        "data": hx(log["data"]),
        "blockNumber": hex(log["blockNumber"]),
        "transactionHash": hx(log["transactionHash"]),
        "logIndex": hex(log["logIndex"]),
    }


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


# --- the SDK ------------------------------------------------------------------------------


class Protection:
    """Disputes, attestations and generation records over one Ledger."""

    def __init__(self, ledger: Ledger, tsa: TsaClient | None = None) -> None:
        self.ledger = ledger
        self.tsa = tsa if tsa is not None else tsa_from_env()
        abi = load_artifact(ledger.settings.build_dir, "AttestationRegistry").abi
        self.attestations: Contract = ledger.w3.eth.contract(  # type: ignore[call-overload]
            address=ledger.deployment.address("AttestationRegistry"), abi=abi
        )

    # --- helpers -----------------------------------------------------------------------

    @property
    def chain(self):
        return self.ledger.chain

    def _transact(self, fn: Any) -> tuple[Any, list[Event]]:
        r = self.chain.transact(fn, self.ledger.require_signer())
        events = [e for e in (self.ledger.events.decode(log_to_raw(lg)) for lg in r.logs) if e is not None]
        return r, events

    def _addresses(self, name: str) -> list[str]:
        dep = self.ledger.deployment
        out = [dep.address(name)] if name in dep.contracts else []
        out += [c.address for c in dep.history if c.name == name and c.address not in out]
        return out

    def _events(self, name: str, topics: list[Any]) -> list[Event]:
        led = self.ledger
        out = []
        for _end, logs in fetch_logs(led.settings.network.rpc_url, self._addresses(name), led.deployment.first_block,
                                     self.chain.block_number(), chunk=led.settings.network.log_chunk, topics=topics):
            out += [e for e in map(led.events.decode, logs) if e is not None]
        out.sort(key=lambda e: (e.block, e.log_index))
        return out

    @staticmethod
    def _wid(work_id: str) -> bytes:
        return bytes.fromhex(parse_work_id(work_id)[2:])

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
        fn = self.ledger.registry.functions.openDispute(self._wid(wid), cid_to_bytes(cid))
        self.chain.build(fn, self.ledger.require_signer())  # simulate before storing anything
        store = self.ledger.store
        stored = store.add(evidence) if isinstance(evidence, bytes) else store.add_file(evidence)
        if stored != cid:
            raise E.MetadataMismatch(f"the store named the evidence {stored}, expected {cid}")
        r, events = self._transact(fn)
        ev = next(e for e in events if e.name == "DisputeOpened")
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
        view = self.chain.call(lambda: self.ledger.registry.functions.getWork(self._wid(wid)).call())
        doc = {"type": "dispute-resolution", "workId": wid, "disputeId": int(view[6]),
               "outcome": OUTCOME_NAMES[out], "code": code, "reason": reason.strip(),
               "holders": [{"account": a, "bps": b} for a, b in raw_holders]}
        body = canonical_json(doc)
        cid = cid_for_bytes(body)
        fn = self.ledger.registry.functions.resolveDispute(self._wid(wid), out, raw_holders, code, cid_to_bytes(cid))
        self.chain.build(fn, self.ledger.require_signer())
        self.ledger.store.add(body)
        r, events = self._transact(fn)
        ev = next(e for e in events if e.name == "DisputeResolved")
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
                                                     cid_from_bytes(a["evidenceCid"]), ev.tx_hash, ev.block)
            elif ev.name == "DisputeResolved" and int(a["disputeId"]) in found:
                d = found[int(a["disputeId"])]
                found[d.dispute_id] = Dispute(
                    d.dispute_id, wid, d.claimant, d.evidence_cid, d.opened_tx, d.opened_block,
                    OUTCOME_NAMES.get(int(a["outcome"]), str(a["outcome"])), a["registrar"],
                    cid_from_bytes(a["reasonCid"]) if a["reasonCid"] else None,
                    tuple(Holder(h[0], int(h[1])) for h in a["holders"]), ev.tx_hash)
        return list(found.values())

    # --- attestations ------------------------------------------------------------------

    def _token_for(self, digest: str) -> str:
        if self.tsa is None:
            raise E.ConfigError("no TSA is configured", hint="set RIGHTS_LEDGER_TSA_URL, or attest without --tsa")
        reply = self.tsa.request(bytes.fromhex(digest[2:]))
        return self.ledger.store.add(reply)

    def attest(self, hash_hex: str, kind: str = "unspecified", *, document: bytes | Path | None = None,
               timestamp: bool | None = None) -> AttestationRecord:
        """Anchor a sha-256; with a TSA (``timestamp`` defaults to "one is configured") an
        RFC 3161 token over the same digest is stored and linked. ``document`` is kept in
        the store and its CID sent with the attestation."""
        digest = parse_hash(hash_hex)
        if kind not in KINDS:
            raise E.InputError(f"kind {kind!r} is not one of: " + ", ".join(KINDS))
        doc_cid = ""
        if document is not None:
            doc_cid = cid_for_bytes(document) if isinstance(document, bytes) else cid_for_file(document)
        fn_probe = self.attestations.functions.attest(bytes.fromhex(digest[2:]), KINDS[kind],
                                                      cid_to_bytes(doc_cid) if doc_cid else b"", b"")
        self.chain.build(fn_probe, self.ledger.require_signer())  # role, duplicate and size checks first
        use_tsa = self.tsa is not None if timestamp is None else timestamp
        token_cid = self._token_for(digest) if use_tsa else ""
        if document is not None:
            self.ledger.store.add(document) if isinstance(document, bytes) else self.ledger.store.add_file(document)
        fn = self.attestations.functions.attest(bytes.fromhex(digest[2:]), KINDS[kind],
                                                cid_to_bytes(doc_cid) if doc_cid else b"",
                                                cid_to_bytes(token_cid) if token_cid else b"")
        r, _ = self._transact(fn)
        rec = self.attestation(digest, self.ledger.require_signer().address)
        assert rec is not None
        return rec

    def attest_file(self, path: Path, kind: str = "content", *, timestamp: bool | None = None) -> AttestationRecord:
        from ledger.domain.works import sha256_of_file

        return self.attest("0x" + sha256_of_file(Path(path)), kind, timestamp=timestamp)

    def link_timestamp(self, hash_hex: str) -> AttestationRecord:
        """As the attester: fetch a TSA token now and link it to an earlier attestation."""
        digest = parse_hash(hash_hex)
        probe = self.attestations.functions.linkTimestamp(bytes.fromhex(digest[2:]), b"\x01")
        self.chain.build(probe, self.ledger.require_signer())
        token_cid = self._token_for(digest)
        self._transact(self.attestations.functions.linkTimestamp(bytes.fromhex(digest[2:]), cid_to_bytes(token_cid)))
        rec = self.attestation(digest, self.ledger.require_signer().address)
        assert rec is not None
        return rec

    def attestation(self, hash_hex: str, attester: str | None = None) -> AttestationRecord | None:
        """The earliest attestation of a hash (by ``attester``, or by anyone), with CIDs and
        tx from its events, or None. Every account keeps its own earliest attestation."""
        digest = parse_hash(hash_hex)
        return self.attestations_of([digest], attester).get(digest)

    def attestations_of(self, hashes: Sequence[str],
                        attester: str | None = None) -> dict[str, AttestationRecord | None]:
        fns = self.attestations.functions
        out: dict[str, AttestationRecord | None] = {}
        for h in hashes:
            digest = parse_hash(h)
            raw = bytes.fromhex(digest[2:])
            who, at, kind, _stamped, block = self.chain.call(
                lambda raw=raw: (fns.attestationBy(raw, attester) if attester else fns.attestationOf(raw)).call()
            )
            if int(who, 16) == 0:
                out[digest] = None
                continue
            cid = token = tx = None
            for ev in self._events("AttestationRegistry", [None, "0x" + digest[2:]]):
                if ev.args.get("attester") != who:
                    continue
                if ev.name == "Attested":
                    cid = cid_from_bytes(ev.args["cid"]) if ev.args["cid"] else None
                    token = cid_from_bytes(ev.args["tsaTokenCid"]) if ev.args["tsaTokenCid"] else token
                    tx = ev.tx_hash
                elif ev.name == "TimestampLinked":
                    token = cid_from_bytes(ev.args["tsaTokenCid"])
            out[digest] = AttestationRecord(digest, who, int(at), int(block), KIND_NAMES.get(kind, str(kind)),
                                            cid, token, tx)
        return out

    def verify_attestation(self, hash_hex: str, ca_file: Path | None = None) -> AttestationCheck:
        """Check an attestation: its token (if any) is fetched from the store and must cover
        the same digest and chain to ``ca_file``; the token time must not be after the block."""
        digest = parse_hash(hash_hex)
        rec = self.attestation(digest)
        if rec is None:
            raise E.LedgerError(f"{digest} is not attested", hint="attest it with `rights-ledger attest file FILE`")
        problems: list[str] = []
        info = None
        if rec.tsa_token_cid:
            try:
                reply = self.ledger.store.cat(rec.tsa_token_cid)
            except E.StoreError as exc:
                problems.append(f"timestamp token {rec.tsa_token_cid}: {exc.message}")
            else:
                if ca_file is None:
                    problems.append("a timestamp token is linked but no TSA CA file was given to check it")
                else:
                    from ledger.content.timestamp import TimestampInvalid

                    try:
                        info = verify_token(reply, bytes.fromhex(digest[2:]), ca_file)
                    except TimestampInvalid as exc:
                        problems.append(exc.message)
                    else:
                        if info.gen_time > rec.attested_at + 300:
                            problems.append(f"the token time {info.gen_time} is after the block time {rec.attested_at}")
        return AttestationCheck(rec, info, tuple(problems))

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
        self.chain.build(fn, self.ledger.require_signer())
        if params is not None:
            self.ledger.store.add(body)
        if attest_hashes:
            for h, kind in ((root, "inputs"), (out, "output")):
                if self.attestation(h) is None:
                    self.attest(h, kind)
        r, events = self._transact(fn)
        ev = next(e for e in events if e.name == "GenerationRecorded")
        return self._generation(ev)

    @staticmethod
    def _generation(ev: Event) -> GenerationRecord:
        a = ev.args
        return GenerationRecord(
            int(a["recordId"]), "0x" + bytes(a["workId"]).hex(), a["generator"], a["modelName"], a["modelVersion"],
            "0x" + bytes(a["inputsRoot"]).hex(), cid_from_bytes(a["paramsCid"]) if a["paramsCid"] else None,
            "0x" + bytes(a["outputHash"]).hex(), int(a["time"]), ev.tx_hash, ev.block)

    def generations(self, work_id: str) -> list[GenerationRecord]:
        wid = parse_work_id(work_id)
        evs = self._events("AttestationRegistry", [None, None, "0x" + wid[2:]])
        return [self._generation(e) for e in evs if e.name == "GenerationRecorded"]

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
    return block_timestamps(ledger.settings.network.rpc_url, blocks)


__all__ = [
    "KINDS", "OUTCOMES", "AttestationCheck", "AttestationRecord", "Dispute", "GenerationRecord", "Protection",
    "Provenance", "WorkStatus", "merkle_root", "parse_hash", "sha256_hex",
]
