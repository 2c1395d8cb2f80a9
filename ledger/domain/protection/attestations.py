"""Attestations: a sha-256 anchored on the AttestationRegistry, RFC 3161 tokens linked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ledger.content.cid import chain_cid, cid_for_bytes, cid_for_file, cid_to_bytes, names_no_cid
from ledger.content.timestamp import verify_token
from ledger.core import errors as E
from ledger.domain.protection.base import ProtectionBase
from ledger.domain.protection.records import (
    KIND_NAMES,
    KINDS,
    AttestationCheck,
    AttestationRecord,
    parse_hash,
)


class Attestations(ProtectionBase):
    """Proof of existence of a hash: the block time, and a TSA token when configured."""

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
        self.ledger.simulate(fn_probe)  # role, duplicate and size checks first
        use_tsa = self.tsa is not None if timestamp is None else timestamp
        token_cid = self._token_for(digest) if use_tsa else ""
        if document is not None:
            self.ledger.store.add(document) if isinstance(document, bytes) else self.ledger.store.add_file(document)
        fn = self.attestations.functions.attest(bytes.fromhex(digest[2:]), KINDS[kind],
                                                cid_to_bytes(doc_cid) if doc_cid else b"",
                                                cid_to_bytes(token_cid) if token_cid else b"")
        self.ledger.transact(fn)
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
        self.ledger.simulate(probe)
        token_cid = self._token_for(digest)
        self.ledger.transact(
            self.attestations.functions.linkTimestamp(bytes.fromhex(digest[2:]), cid_to_bytes(token_cid)))
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
            who, at, kind, _stamped, block = self.ledger.call(
                fns.attestationBy(raw, attester) if attester else fns.attestationOf(raw))
            if int(who, 16) == 0:
                out[digest] = None
                continue
            cid = token = tx = None
            idx = self.ledger.read_index()  # the hash's rows in the read index (issue 15), or None: the chain
            evs = idx.work_events(digest, "Attestations")[0] if idx is not None else \
                self._events("AttestationRegistry", [None, "0x" + digest[2:]])
            for ev in evs:
                if ev.args.get("attester") != who:
                    continue
                if ev.name == "Attested":
                    cid = chain_cid(ev.args["cid"]) if ev.args["cid"] else None
                    token = chain_cid(ev.args["tsaTokenCid"]) if ev.args["tsaTokenCid"] else token
                    tx = ev.tx_hash
                elif ev.name == "TimestampLinked":
                    token = chain_cid(ev.args["tsaTokenCid"])
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
        if rec.tsa_token_cid and names_no_cid(rec.tsa_token_cid):
            problems.append(f"the chain names no valid CID for the timestamp token: {rec.tsa_token_cid[:80]}")
        elif rec.tsa_token_cid:
            try:
                reply = self.ledger.store.cat(rec.tsa_token_cid)
            except E.StoreUnavailable:
                raise  # cannot check: an error (exit 2), not a finding
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
