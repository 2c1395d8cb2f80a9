"""Registration certificates: PDF rendered to an image, QR decoded, payload verified."""

from __future__ import annotations

import hashlib
import json
import secrets

import pypdfium2 as pdfium
import pytest
import zxingcpp

from ledger.content.metadata import build_work_metadata
from ledger.core import errors as E
from ledger.core.types import Holder
from ledger.domain.certificate import encode_payload, holders_digest, parse_payload, verify_payload, write_certificate
from ledger.domain.protection import Protection


def _confirmed(env, title="Certified poem"):
    data = secrets.token_bytes(16)
    doc = build_work_metadata(title=title, creators=[{"name": "Alice", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(data).hexdigest())
    r = env.ledger("alice").register_work(doc, [Holder(env.addresses["alice"], 10000)])
    env.ledger("registrar").confirm_work(r.work_id)
    return r


def _decode_qr(pdf):
    doc = pdfium.PdfDocument(str(pdf))
    image = doc[0].render(scale=3).to_pil()
    doc.close()
    (code,) = zxingcpp.read_barcodes(image)
    return json.loads(code.text)


def test_certificate_qr_decodes_and_verifies(ledger_env, tmp_path):
    r = _confirmed(ledger_env)
    led = ledger_env.ledger()
    cert = write_certificate(led, r.work_id, tmp_path / "c.pdf")
    payload = _decode_qr(tmp_path / "c.pdf")
    assert payload == cert.payload
    assert payload["w"] == r.work_id and payload["s"] == "CONFIRMED" and payload["m"] == r.metadata_cid
    assert payload["c"] == led.chain.chain_id and payload["r"] == led.deployment.address("WorkRegistry")
    assert payload["h"] == holders_digest([Holder(ledger_env.addresses["alice"], 10000)])
    assert verify_payload(led, parse_payload(encode_payload(payload))) == []
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(str(tmp_path / "c.pdf")))
    assert "Certified poem" in text and r.work_id[2:20] in text.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize("field,value,says", [
    ("s", "REVOKED", "status"), ("h", "00" * 32, "holders"), ("m", "bafkreiaaaa", "metadata CID"),
    ("t", "0x" + "11" * 32, "confirm tx"), ("c", 1, "chain id"),
    ("r", "0x000000000000000000000000000000000000dEaD", "registry"),
])
def test_tampered_payload_fails(ledger_env, tmp_path, field, value, says):
    r = _confirmed(ledger_env)
    led = ledger_env.ledger()
    payload = write_certificate(led, r.work_id, tmp_path / "c.pdf").payload
    diffs = verify_payload(led, {**payload, field: value})
    assert diffs and diffs[0].startswith(says)


def test_certificate_goes_stale_when_the_chain_changes(ledger_env, tmp_path):
    r = _confirmed(ledger_env)
    payload = write_certificate(ledger_env.ledger(), r.work_id, tmp_path / "c.pdf").payload
    Protection(ledger_env.ledger("bob"), tsa=None).open_dispute(r.work_id, b"a claim")
    diffs = verify_payload(ledger_env.ledger(), payload)
    assert diffs == ["status: certificate CONFIRMED, chain DISPUTED"]


def test_certificate_refused_for_unconfirmed_work(ledger_env, tmp_path):
    data = secrets.token_bytes(16)
    doc = build_work_metadata(title="pending", creators=[{"name": "A", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(data).hexdigest())
    r = ledger_env.ledger("alice").register_work(doc, [Holder(ledger_env.addresses["alice"], 10000)])
    with pytest.raises(E.InputError, match="PENDING"):
        write_certificate(ledger_env.ledger(), r.work_id, tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()


def test_malformed_payload_is_an_input_error():
    with pytest.raises(E.InputError):
        parse_payload("{not json")
    with pytest.raises(E.InputError, match="lacks"):
        parse_payload('{"v":1}')
