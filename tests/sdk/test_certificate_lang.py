"""A certificate printed in Chinese (STSong-Light, no font file): it records its language, so
verification renders the same language and compares every printed line."""

from __future__ import annotations

import hashlib
import secrets

import pypdfium2 as pdfium

from ledger.content.metadata import build_work_metadata
from ledger.core import i18n
from ledger.core.types import Holder
from ledger.domain.certificate import recorded_language, verify_certificate, write_certificate


def _confirmed(env, title):
    data = secrets.token_bytes(16)
    doc = build_work_metadata(title=title, creators=[{"name": "李白", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
    r = env.ledger("alice").register_work(doc, [Holder(env.addresses["alice"], 10000)])
    env.ledger("registrar").confirm_work(r.work_id)
    return r


def _text(path) -> str:
    doc = pdfium.PdfDocument(str(path))
    try:
        return doc[0].get_textpage().get_text_range()
    finally:
        doc.close()


def test_chinese_certificate_prints_chinese_and_verifies(ledger_env, tmp_path):
    r = _confirmed(ledger_env, "静夜思")
    pdf = tmp_path / "zh.pdf"
    write_certificate(ledger_env.ledger("registrar"), r.work_id, pdf, lang="zh_CN")
    text = _text(pdf)
    assert "作品著作权登记证书" in text and "已确权（CONFIRMED）" in text and "静夜思" in text and "李白" in text
    assert recorded_language(pdf.read_bytes()) == "zh_CN"
    check = verify_certificate(ledger_env.ledger(), pdf)
    assert check.ok, check.differences


def test_language_follows_the_language_in_force_and_english_stays_english(ledger_env, tmp_path):
    r = _confirmed(ledger_env, "Quiet Night")
    with i18n.language("zh_CN"):
        write_certificate(ledger_env.ledger("registrar"), r.work_id, tmp_path / "a.pdf")
    write_certificate(ledger_env.ledger("registrar"), r.work_id, tmp_path / "b.pdf", lang="en")
    assert recorded_language((tmp_path / "a.pdf").read_bytes()) == "zh_CN"
    assert recorded_language((tmp_path / "b.pdf").read_bytes()) == "en"
    assert "Certificate of Copyright Registration" in _text(tmp_path / "b.pdf")
    # verified in whichever language the verifier runs: the file says which one to render
    with i18n.language("zh_CN"):
        assert verify_certificate(ledger_env.ledger(), tmp_path / "b.pdf").ok
    assert verify_certificate(ledger_env.ledger(), tmp_path / "a.pdf").ok


def test_an_edited_chinese_page_fails(ledger_env, tmp_path):
    r = _confirmed(ledger_env, "春晓")
    pdf = tmp_path / "zh.pdf"
    write_certificate(ledger_env.ledger("registrar"), r.work_id, pdf, lang="zh_CN")
    data = pdf.read_bytes()
    pdf.write_bytes(data + b"\n% appended\n")
    check = verify_certificate(ledger_env.ledger(), pdf)
    assert not check.ok and any("entire file" in d for d in check.differences), check.differences
