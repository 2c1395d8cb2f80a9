"""Registration certificates: signed by a registrar (PAdES), QR decoded, every printed field checked.

The forgeries below edit a real certificate the way a forger would: the visible holder line,
title or status changed in the page (the QR untouched), junk appended, an incremental update
drawn over the page, the signature stripped, or the page re-signed with a key that is not a
registrar's (finding 11 of issue 12).
"""

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
from ledger.domain.certificate import (
    _render,
    certificate_rows,
    encode_payload,
    holders_digest,
    parse_payload,
    payload_of,
    sign_pdf,
    verify_certificate,
    verify_payload,
    write_certificate,
)
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
    led = ledger_env.ledger("registrar")
    cert = write_certificate(led, r.work_id, tmp_path / "c.pdf")
    assert cert.signer == ledger_env.addresses["registrar"]
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
    led = ledger_env.ledger("registrar")
    payload = write_certificate(led, r.work_id, tmp_path / "c.pdf").payload
    diffs = verify_payload(led, {**payload, field: value})
    assert diffs and diffs[0].startswith(says)


def test_certificate_goes_stale_when_the_chain_changes(ledger_env, tmp_path):
    r = _confirmed(ledger_env)
    pdf = tmp_path / "c.pdf"
    payload = write_certificate(ledger_env.ledger("registrar"), r.work_id, pdf).payload
    assert verify_certificate(ledger_env.ledger(), pdf).ok
    Protection(ledger_env.ledger("bob"), tsa=None).open_dispute(r.work_id, b"a claim")
    diffs = verify_payload(ledger_env.ledger(), payload)
    assert diffs == ["status: certificate CONFIRMED, chain DISPUTED"]
    check = verify_certificate(ledger_env.ledger(), pdf)
    assert "QR status: certificate CONFIRMED, chain DISPUTED" in check.differences
    assert "printed text: certificate shows 'Status CONFIRMED', the chain gives 'Status DISPUTED'" in check.differences


def test_certificate_refused_for_unconfirmed_work(ledger_env, tmp_path):
    data = secrets.token_bytes(16)
    doc = build_work_metadata(title="pending", creators=[{"name": "A", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(data).hexdigest())
    r = ledger_env.ledger("alice").register_work(doc, [Holder(ledger_env.addresses["alice"], 10000)])
    with pytest.raises(E.InputError, match="PENDING"):
        write_certificate(ledger_env.ledger("registrar"), r.work_id, tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()


def test_malformed_payload_is_an_input_error():
    with pytest.raises(E.InputError):
        parse_payload("{not json")
    with pytest.raises(E.InputError, match="lacks"):
        parse_payload('{"v":1}')


# --- signatures and printed fields (finding 11) ------------------------------------------------


@pytest.fixture(scope="module")
def issued(ledger_env, tmp_path_factory):
    """One real certificate, issued by the registrar; tests copy and forge it."""
    r = _confirmed(ledger_env, title="The Signed Poem")
    pdf = tmp_path_factory.mktemp("cert") / "real.pdf"
    write_certificate(ledger_env.ledger("registrar"), r.work_id, pdf)
    return r, pdf.read_bytes()


def _check(env, tmp_path, data, name="x.pdf"):
    p = tmp_path / name
    p.write_bytes(data)
    return verify_certificate(env.ledger(), p)


def test_issued_certificate_verifies(ledger_env, tmp_path, issued):
    r, data = issued
    check = _check(ledger_env, tmp_path, data)
    assert check.ok, check.differences
    assert check.signer == ledger_env.addresses["registrar"] and check.payload["w"] == r.work_id
    assert data.rstrip().endswith(b"%%EOF") and b"/ByteRange" in data and b"/DocMDP" in data


def test_only_a_registrar_issues_certificates(ledger_env, tmp_path, issued):
    r, _ = issued
    with pytest.raises(E.InputError, match="not a REGISTRAR"):
        write_certificate(ledger_env.ledger("alice"), r.work_id, tmp_path / "a.pdf")
    with pytest.raises(E.KeystoreError, match="signed by a registrar"):
        write_certificate(ledger_env.ledger(), r.work_id, tmp_path / "b.pdf")
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "b.pdf").exists()


def _holder_line(env):
    return f"{env.addresses['alice']}  100.00%".encode()


@pytest.mark.parametrize("what,old,new", [
    ("holder line", lambda env: _holder_line(env), lambda env: f"{env.addresses['bob']}  100.00%".encode()),
    ("title", lambda env: b"(The Signed Poem)", lambda env: b"(The Stolen Poem)"),
    ("status", lambda env: b"(CONFIRMED)", lambda env: b"(CONFIRMEX)"),
    ("share", lambda env: b"100.00%", lambda env: b"010.00%"),
])
def test_edited_page_fails_with_the_qr_untouched(ledger_env, tmp_path, issued, what, old, new):
    """The page text edited in place (same length, the file stays a valid PDF): the signature breaks."""
    _r, data = issued
    o, n = old(ledger_env), new(ledger_env)
    assert data.count(o) == 1, what
    forged = data.replace(o, n)
    shown = pdfium.PdfDocument(forged)[0].get_textpage().get_text_range()
    assert " ".join(n.strip(b"()").decode().split()) in " ".join(shown.split())  # a reader sees the edit
    check = _check(ledger_env, tmp_path, forged)
    assert not check.ok and check.payload == _decode_qr_bytes(data)  # the QR says what it said
    assert "signature: the signed bytes were changed after signing (digest mismatch)" in check.differences
    assert any(d.startswith("printed text: certificate shows") for d in check.differences), check.differences


def _decode_qr_bytes(data):
    (code,) = zxingcpp.read_barcodes(pdfium.PdfDocument(data)[0].render(scale=3).to_pil())
    return json.loads(code.text)


def test_junk_after_eof_fails(ledger_env, tmp_path, issued):
    _r, data = issued
    check = _check(ledger_env, tmp_path, data + b"\n% junk after the end\n")
    assert [d for d in check.differences if "entire file" in d], check.differences


def test_incremental_update_over_the_page_fails(ledger_env, tmp_path, issued):
    """A new revision draws a white box and another holder over the page; the signed revision is intact."""
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _r, data = issued
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    font = generic.DictionaryObject({generic.NameObject("/Type"): generic.NameObject("/Font"),
                                     generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                                     generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")})
    stream = generic.StreamObject(stream_data=b"1 1 1 rg 160 500 400 300 re f 0 0 0 rg BT /FX 9 Tf 170 690 Td "
                                              b"(0x000000000000000000000000000000000000bEEF  100.00%) Tj ET")
    resources = generic.DictionaryObject({generic.NameObject("/Font"): generic.DictionaryObject(
        {generic.NameObject("/FX"): w.add_object(font)})})
    w.add_stream_to_page(0, w.add_object(stream), resources=resources)
    out = io.BytesIO()
    w.write(out)
    check = _check(ledger_env, tmp_path, out.getvalue())
    assert not check.ok
    assert any("entire file" in d for d in check.differences), check.differences
    assert any("bEEF" in d for d in check.differences if d.startswith("printed text")), check.differences


def _forged_page(env, r, holder):
    """The page a forger makes with the same renderer: another holder printed, the real QR payload."""
    led = env.ledger()
    rec = led.work(r.work_id)
    meta = led.metadata(rec.metadata_cid)
    rows = [(label, f"{holder}  100.00%" if label == "Holders" else value)
            for label, value in certificate_rows(led, rec, meta, env.addresses["registrar"])]
    return _render(rows, payload_of(led, rec), rec.work_id)


def test_unsigned_page_fails(ledger_env, tmp_path, issued):
    r, _ = issued
    check = _check(ledger_env, tmp_path, _forged_page(ledger_env, r, ledger_env.addresses["bob"]))
    assert check.signer is None
    assert "signature: the file is not signed (a certificate is signed by a registrar)" in check.differences
    assert any(ledger_env.addresses["bob"] in d for d in check.differences if d.startswith("printed text"))


def test_page_signed_by_a_non_registrar_fails(ledger_env, tmp_path, issued):
    r, _ = issued
    bob = ledger_env.ledger("bob").signer
    forged = sign_pdf(_forged_page(ledger_env, r, bob.address), bob)
    check = _check(ledger_env, tmp_path, forged)
    assert check.signer == bob.address
    assert f"signature: signer {bob.address} is not a REGISTRAR on this chain" in check.differences
    assert not any("digest" in d or "entire file" in d for d in check.differences)  # the signature itself is fine


def test_page_signed_by_a_registrar_but_false_fails(ledger_env, tmp_path, issued):
    """Even a registrar's signature does not make a false page true: the printed holder is compared."""
    r, _ = issued
    forged = sign_pdf(_forged_page(ledger_env, r, ledger_env.addresses["bob"]), ledger_env.ledger("registrar").signer)
    check = _check(ledger_env, tmp_path, forged)
    bob, alice = ledger_env.addresses["bob"], ledger_env.addresses["alice"]
    assert check.differences == (
        f"printed text: certificate shows 'Holders {bob} 100.00%', the chain gives 'Holders {alice} 100.00%'",), \
        check.differences


def test_revoked_registrar_certificates_stop_verifying(ledger_env, tmp_path, issued):
    r, _ = issued
    gov = ledger_env.ledger("governor")
    gov.grant_role("REGISTRAR", ledger_env.addresses["rando"])
    try:
        pdf = tmp_path / "rando.pdf"
        write_certificate(ledger_env.ledger("rando"), r.work_id, pdf)
        assert verify_certificate(ledger_env.ledger(), pdf).ok
    finally:
        gov.revoke_role("REGISTRAR", ledger_env.addresses["rando"])
    check = verify_certificate(ledger_env.ledger(), pdf)
    assert check.differences == (f"signature: signer {ledger_env.addresses['rando']} is not a REGISTRAR on this chain",)


def test_unreadable_files_are_input_errors(ledger_env, tmp_path):
    for name, content in (("text.pdf", b"plain text"), ("broken.pdf", b"%PDF-1.4\n garbage")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(E.InputError, match="not a readable PDF"):
            verify_certificate(ledger_env.ledger(), tmp_path / name)
    with pytest.raises(E.InputError, match="no such file"):
        verify_certificate(ledger_env.ledger(), tmp_path / "missing.pdf")


def test_page_without_qr_code_is_a_difference_not_a_crash(ledger_env, tmp_path, issued):
    r, _ = issued
    led = ledger_env.ledger()
    rec = led.work(r.work_id)
    page = _render(certificate_rows(led, rec, led.metadata(rec.metadata_cid), ledger_env.addresses["registrar"]),
                   payload_of(led, rec), rec.work_id, qr=False)
    check = _check(ledger_env, tmp_path, sign_pdf(page, ledger_env.ledger("registrar").signer))
    assert check.payload is None and len(check.differences) == 1
    assert check.differences[0].startswith("QR code:") and "no QR code" in check.differences[0]
