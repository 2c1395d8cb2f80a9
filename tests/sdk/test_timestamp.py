"""RFC 3161 end to end with a real local `openssl ts` TSA (tests/fixtures/tsa.py)."""

from __future__ import annotations

import hashlib
import secrets
import subprocess
import time

import pytest

from ledger.content.timestamp import TimestampInvalid, TsaClient, build_request, parse_token, verify_token
from ledger.domain.protection import Protection, sha256_hex
from tests.fixtures.tsa import local_tsa, other_ca  # noqa: F401  (fixtures)


def test_token_over_digest_verifies_and_openssl_agrees(local_tsa, tmp_path):  # noqa: F811
    digest = hashlib.sha256(b"a poem").digest()
    reply = TsaClient(local_tsa.url).request(digest)
    info = verify_token(reply, digest, local_tsa.ca_file)
    assert info.digest == "0x" + digest.hex() and "TSA" in (info.tsa or "")
    (tmp_path / "r.tsr").write_bytes(reply)
    out = subprocess.run(["openssl", "ts", "-verify", "-in", str(tmp_path / "r.tsr"), "-digest", digest.hex(),
                          "-CAfile", str(local_tsa.ca_file)], capture_output=True, text=True)
    assert "Verification: OK" in out.stdout


def test_token_for_another_hash_fails(local_tsa):  # noqa: F811
    reply = TsaClient(local_tsa.url).request(hashlib.sha256(b"one").digest())
    with pytest.raises(TimestampInvalid, match="covers"):
        verify_token(reply, hashlib.sha256(b"two").digest(), local_tsa.ca_file)


def test_token_from_untrusted_tsa_fails(local_tsa, other_ca):  # noqa: F811
    digest = hashlib.sha256(b"x").digest()
    reply = TsaClient(local_tsa.url).request(digest)
    with pytest.raises(TimestampInvalid, match="does not verify"):
        verify_token(reply, digest, other_ca)


def test_tampered_token_fails(local_tsa):  # noqa: F811
    digest = hashlib.sha256(b"y").digest()
    reply = bytearray(TsaClient(local_tsa.url).request(digest))
    reply[-5] ^= 0x01  # inside the signature
    with pytest.raises(TimestampInvalid):
        verify_token(bytes(reply), digest, local_tsa.ca_file)


def test_request_der_is_accepted_by_openssl(tmp_path):
    digest = hashlib.sha256(b"z").digest()
    (tmp_path / "q.tsq").write_bytes(build_request(digest, nonce=2**62 + 5))
    out = subprocess.run(["openssl", "ts", "-query", "-in", str(tmp_path / "q.tsq"), "-text"],
                         capture_output=True, text=True, check=True).stdout
    assert "SHA256" in out.upper().replace("-", "") and digest.hex()[:8] in out.replace(" ", "").replace("-", "")


def test_attestation_with_tsa_end_to_end(ledger_env, local_tsa):  # noqa: F811
    p = Protection(ledger_env.ledger("alice"), tsa=TsaClient(local_tsa.url))
    digest = sha256_hex(secrets.token_bytes(32))
    reader = ledger_env.ledger()
    # the session's chain may run ahead of the wall clock (other tests move it with evm_increaseTime)
    skew = int(reader.w3.eth.get_block("latest")["timestamp"]) - int(time.time())
    rec = p.attest(digest, "content")
    assert rec.tsa_token_cid is not None
    check = p.verify_attestation(digest, local_tsa.ca_file)
    assert check.ok, check.problems
    assert check.token is not None and abs(check.token.gen_time + max(skew, 0) - rec.attested_at) < 120
    assert parse_token(ledger_env.ledger().store.cat(rec.tsa_token_cid)).digest == digest


def test_link_timestamp_later_and_mismatched_token_reported(ledger_env, local_tsa):  # noqa: F811
    p = Protection(ledger_env.ledger("bob"), tsa=TsaClient(local_tsa.url))
    digest = sha256_hex(secrets.token_bytes(32))
    p.attest(digest, "evidence", timestamp=False)
    assert p.verify_attestation(digest, local_tsa.ca_file).token is None
    rec = p.link_timestamp(digest)
    assert rec.tsa_token_cid and p.verify_attestation(digest, local_tsa.ca_file).ok

    # a token over another digest, linked to an attestation: verification names the mismatch
    other = sha256_hex(secrets.token_bytes(32))
    p.attest(other, timestamp=False)
    wrong = p.ledger.store.add(TsaClient(local_tsa.url).request(secrets.token_bytes(32)))
    from ledger.content.cid import cid_to_bytes

    p.ledger.transact(p.attestations.functions.linkTimestamp(bytes.fromhex(other[2:]), cid_to_bytes(wrong)))
    check = p.verify_attestation(other, local_tsa.ca_file)
    assert not check.ok and "covers" in check.problems[0]
