"""Trusted timestamps (RFC 3161) for attestations: ask a TSA, check what it signed.

A Time-Stamp Authority signs "this sha-256 digest existed at time T". The ledger asks
for a token over the very digest it attests on-chain (the request carries the digest as
its message imprint, so nothing is hashed twice and ``openssl ts -verify -digest HEX``
checks it as well), keeps the TSA's whole DER reply in the metadata store, and links its
CID to the attestation. Verification parses the reply with ``rfc3161-client``, checks
that its imprint is sha-256 over the same digest, the signature, and the TSA certificate
chain up to a configured CA file (the TSA certificate must carry the critical
timeStamping extended key usage).

Settings: ``RIGHTS_LEDGER_TSA_URL`` (the TSA's HTTP endpoint) and ``RIGHTS_LEDGER_TSA_CA``
(PEM file with the trusted root, and any intermediates).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import requests

from ledger.core.errors import ConfigError, LedgerError

TSA_URL_ENV = "RIGHTS_LEDGER_TSA_URL"
TSA_CA_ENV = "RIGHTS_LEDGER_TSA_CA"
SHA256_OID = "2.16.840.1.101.3.4.2.1"
_SHA256_OID_DER = bytes.fromhex("0609608648016503040201")


class TimestampError(LedgerError):
    """The TSA could not be reached or refused the request."""


class TimestampInvalid(LedgerError):
    """A timestamp token does not verify: wrong digest, bad signature or untrusted TSA."""

    exit_code = 1


class TimestampUnreadable(TimestampInvalid):
    """The bytes are not an RFC 3161 reply at all (a wrong or damaged file): a mistake, exit 2.

    A subclass of :class:`TimestampInvalid` so that code that refuses invalid tokens also
    refuses unreadable ones; only the exit code differs (1 means "does not verify").
    """

    exit_code = 2


@dataclass(frozen=True)
class TimestampInfo:
    """What a verified (or merely parsed) token says."""

    digest: str  # 0x + hex of the message imprint
    gen_time: int  # unix seconds
    serial: int
    policy: str
    tsa: str | None  # the TSA's name in the token, or the signer certificate's subject
    nonce: int | None


# --- DER of a TimeStampReq (RFC 3161 section 2.4.1) ---------------------------------------


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _der_int(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")  # keeps a leading 0 for the sign
    return _der(0x02, raw)


def build_request(digest: bytes, nonce: int | None = None, cert_req: bool = True) -> bytes:
    """A DER TimeStampReq over a sha-256 ``digest`` (v1, imprint, optional nonce, certReq)."""
    if len(digest) != 32:
        raise ValueError("a sha-256 digest is 32 bytes")
    algorithm = _der(0x30, _SHA256_OID_DER + b"\x05\x00")
    imprint = _der(0x30, algorithm + _der(0x04, digest))
    body = _der_int(1) + imprint
    if nonce is not None:
        body += _der_int(nonce)
    if cert_req:
        body += b"\x01\x01\xff"
    return _der(0x30, body)


# --- asking a TSA ------------------------------------------------------------------------


class TsaClient:
    """An RFC 3161 TSA over HTTP (``application/timestamp-query``)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"TSA URL {url!r} is not an http(s) URL", hint=f"set {TSA_URL_ENV}")
        self.url = url
        self.timeout = timeout

    def request(self, digest: bytes) -> bytes:
        """The TSA's DER reply for ``digest``, checked: granted, same imprint, same nonce."""
        nonce = secrets.randbits(63)
        try:
            r = requests.post(
                self.url,
                data=build_request(digest, nonce),
                headers={"Content-Type": "application/timestamp-query"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TimestampError(
                f"the TSA at {self.url} is not reachable ({type(exc).__name__})",
                hint=f"check {TSA_URL_ENV}, or attest without a token and link one later",
            ) from exc
        if r.status_code != 200:
            raise TimestampError(f"the TSA at {self.url} answered HTTP {r.status_code}")
        reply = r.content
        info = parse_token(reply)
        if info.digest != "0x" + digest.hex():
            raise TimestampError(f"the TSA at {self.url} stamped another digest ({info.digest})")
        if info.nonce != nonce:
            raise TimestampError(f"the TSA at {self.url} answered with a wrong nonce (a replayed reply?)")
        return reply


def tsa_from_env() -> TsaClient | None:
    url = os.environ.get(TSA_URL_ENV)
    return TsaClient(url) if url else None


def ca_file_from_env() -> Path | None:
    path = os.environ.get(TSA_CA_ENV)
    return Path(path) if path else None


# --- reading and verifying tokens --------------------------------------------------------


def _decode(reply: bytes):
    from rfc3161_client import PKIStatus, decode_timestamp_response

    try:
        resp = decode_timestamp_response(reply)
    except Exception as exc:  # the parser raises ValueError or its own errors
        raise TimestampUnreadable(f"not an RFC 3161 timestamp reply ({' '.join(str(exc).split())[:120]})",
                                  hint="give the .tsr file the TSA sent, unchanged") from None
    try:
        status = PKIStatus(resp.status)
    except Exception:  # noqa: BLE001 - an unknown status number
        raise TimestampUnreadable(f"not an RFC 3161 timestamp reply (unknown status {resp.status!r})") from None
    if status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampUnreadable(f"the TSA refused the request (status {resp.status}: {resp.status_string})")
    return resp


def parse_token(reply: bytes) -> TimestampInfo:
    """What a token says, without checking who signed it."""
    resp = _decode(reply)
    try:
        return _token_info(resp)
    except TimestampInvalid:
        raise
    except Exception as exc:  # noqa: BLE001 - the parser's lazy fields raise their own errors
        raise TimestampUnreadable(f"not a readable RFC 3161 token ({type(exc).__name__})") from None


def _token_info(resp) -> TimestampInfo:  # type: ignore[no-untyped-def]
    tst = resp.tst_info
    imprint = tst.message_imprint
    if imprint.hash_algorithm.dotted_string != SHA256_OID:
        raise TimestampInvalid(f"the token's imprint is not sha-256 ({imprint.hash_algorithm.dotted_string})")
    gen = tst.gen_time
    if gen.tzinfo is None:
        gen = gen.replace(tzinfo=dt.UTC)
    name = None
    try:
        name = str(tst.name.value.rfc4514_string()) if tst.name is not None else None
    except Exception:  # the name is optional and of several kinds
        name = None
    return TimestampInfo(
        digest="0x" + bytes(imprint.message).hex(),
        gen_time=int(gen.timestamp()),
        serial=int(tst.serial_number),
        policy=tst.policy.dotted_string,
        tsa=name,
        nonce=tst.nonce,
    )


def load_trust(ca_file: Path) -> tuple[list, list]:
    """Roots (self-signed) and intermediates from a PEM file."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(Path(ca_file).read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"TSA CA file {ca_file} does not exist", hint=f"set {TSA_CA_ENV} or pass --tsa-ca") from None
    except ValueError as exc:
        raise ConfigError(f"TSA CA file {ca_file} holds no PEM certificate ({exc})") from None
    roots = [c for c in certs if c.subject == c.issuer]
    intermediates = [c for c in certs if c.subject != c.issuer]
    if not roots:
        raise ConfigError(f"TSA CA file {ca_file} holds no self-signed root certificate")
    return roots, intermediates


def verify_token(reply: bytes, digest: bytes, ca_file: Path) -> TimestampInfo:
    """Check a token covers ``digest`` and was signed by a TSA the CA file trusts."""
    from rfc3161_client import VerificationError, VerifierBuilder

    info = parse_token(reply)
    if info.digest != "0x" + digest.hex():
        raise TimestampInvalid(f"the token covers {info.digest}, not 0x{digest.hex()}")
    roots, intermediates = load_trust(ca_file)
    builder = VerifierBuilder(roots=roots, intermediates=intermediates)
    try:
        builder.build().verify(_decode(reply), digest)
    except VerificationError as exc:
        raise TimestampInvalid(f"the timestamp token does not verify: {exc}") from None
    return info
