"""Registration certificates: a PDF signed by a registrar, every printed field checked against the chain.

A certificate is issued by a REGISTRAR (ADR 005). Its page prints the work (title,
creators, creation mode, status, holders with shares, content hash, metadata CID, the
registration and confirmation with their times, actors and transactions, chain id,
registry, issuing registrar) and a QR code with a compact payload::

    {"c":31337,"h":"<sha-256 of the holders>","m":"bafkrei...","r":"0xRegistry","s":"CONFIRMED",
     "t":"0xconfirm-tx","v":1,"w":"0xwork-id"}

The file is signed (PAdES, pyHanko, DocMDP "no changes") with the registrar's own account
key, a secp256k1 key: the signer's X.509 certificate is self-issued from that key, so the
signer's Ethereum address follows from the certificate's public key, and the chain says
whether that address is a REGISTRAR. :func:`verify_certificate` checks, and reports every
failure as a difference (exit 1 in the CLI):

* exactly one signature, cryptographically intact, covering the **entire file** (bytes
  appended after ``%%EOF`` or an incremental update are refused);
* the signer's address holds REGISTRAR on this chain now;
* the QR payload against the chain (:func:`verify_payload`);
* the page's text against the text the chain gives now: the page is rendered again from
  the chain and the metadata store and both texts are compared line by line, so an edited
  holder line, title, status or date is named with what the chain says.

``h`` is the sha-256 (hex) of the canonical JSON of the holders as ``[[account, bps], ...]``
sorted by account.

The page is printed in English or Simplified Chinese (``lang``; default: the language in
force, :mod:`ledger.core.i18n`). Chinese uses reportlab's built-in CID font STSong-Light
(no font file). The language is recorded in the signed file (the document's keywords,
``lang=zh_CN``), so verification renders the same language again before comparing lines.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.content.canonical import canonical_json
from ledger.core import errors as E
from ledger.core import i18n, parsing
from ledger.core.i18n import N_
from ledger.core.i18n import gettext as _
from ledger.core.inputs import bare, parse_json, read_bytes
from ledger.core.types import Holder, WorkRecord, WorkStatus
from ledger.domain.works import Ledger, parse_work_id

PAYLOAD_VERSION = 1
PAYLOAD_KEYS = ("v", "w", "c", "r", "s", "h", "m", "t")
_MODES = {1: N_("human-authored"), 2: N_("AI-assisted"), 3: N_("AI-generated")}
_STATUSES = {"PENDING": N_("PENDING"), "CONFIRMED": N_("CONFIRMED"), "REJECTED": N_("REJECTED"),
             "DISPUTED": N_("DISPUTED"), "REVOKED": N_("REVOKED")}  # fmt: skip
CJK_FONT = "STSong-Light"  # reportlab's built-in CID font (Adobe-GB1): no font file needed
LANG_KEYWORD = "lang="


def holders_digest(holders: Iterable[Holder] | Iterable[tuple[str, int]]) -> str:
    pairs = sorted([h.account, h.bps] if isinstance(h, Holder) else [h[0], int(h[1])] for h in holders)
    return hashlib.sha256(canonical_json(pairs)).hexdigest()


def payload_of(ledger: Ledger, rec: WorkRecord) -> dict[str, Any]:
    conf = rec.confirmed
    return {"v": PAYLOAD_VERSION, "w": rec.work_id, "c": ledger.chain.chain_id,
            "r": ledger.registry_for(rec.work_id).address, "s": rec.status.name,
            "h": holders_digest(rec.holders), "m": rec.metadata_cid, "t": conf.tx_hash if conf else None}


def work_metadata(ledger: Ledger, rec: WorkRecord) -> dict[str, Any] | None:
    """The work's metadata document, verified against its CID and the work id
    (:meth:`ledger.domain.works.Ledger.verified_metadata`)."""
    return ledger.verified_metadata(rec)


def encode_payload(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Certificate:
    path: Path
    payload: dict[str, Any]
    title: str | None
    signer: str


def _when(ts: int | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "-"


ISSUER_ROLE = "REGISTRAR"
SIGNATURE_FIELD = "RegistrySignature"


def certificate_rows(ledger: Ledger, rec: WorkRecord, meta: dict[str, Any] | None,
                     issuer: str, lang: str | None = None) -> list[tuple[str, str]]:
    """The fields the page prints, as (label, value), from the chain and the metadata document,
    in ``lang`` (``en`` or ``zh_CN``; default: the language in force)."""
    with i18n.language(lang or i18n.current()):
        meta = meta or {}
        reg, conf = rec.registered, rec.confirmed
        creators = ", ".join(f"{x.get('name')} ({x.get('role')})" for x in meta.get("creators", []))
        mode = _MODES.get(rec.creation_mode)
        status = _STATUSES.get(rec.status.name)
        rows = [(_("Title"), str(meta.get("title", "-"))), (_("Creators"), creators or "-"),
                (_("Creation mode"), _(mode) if mode else str(rec.creation_mode)),
                (_("Status"), _(status) if status else rec.status.name)]
        rows += [(_("Holders") if i == 0 else "", f"{h.account}  {h.bps / 100:.2f}%")
                 for i, h in enumerate(rec.holders)]
        by = _("{when} by {who}")
        rows += [
            (_("Content hash"), "sha-256 " + rec.work_id[2:]),
            (_("Metadata CID"), rec.metadata_cid or "-"),
            (_("Registered"), by.format(when=_when(reg.timestamp if reg else rec.registered_at), who=rec.registrant)),
            (_("Register tx"), reg.tx_hash if reg else "-"),
            (_("Confirmed"), by.format(when=_when(conf.timestamp if conf else None),
                                       who=conf.actor if conf else "-")),
            (_("Confirm tx"), conf.tx_hash if conf else "-"),
        ]
        # issue 18: confirmed although a near-duplicate of another holder's work (the reason is on-chain)
        rows += [(_("Near-duplicate override"), f"{h.details.get('reason')} ({_('near')} {h.details.get('ofWorkId')}, "
                  f"{_('distance')} {h.details.get('distance')})") for h in rec.history
                 if h.event == "NearDuplicateOverridden"]
        rows += [
            (_("Network"), _("chain id {id}").format(id=ledger.chain.chain_id)),
            (_("Registry contract"), ledger.registry_for(rec.work_id).address),
            (_("Issued by"), _("registrar {address}").format(address=issuer)),
        ]
    return rows


def _render(rows: list[tuple[str, str]], payload: dict[str, Any], work_id: str, *, qr: bool = True,
            lang: str | None = None) -> bytes:
    """The unsigned one-page PDF (deterministic for the same rows, payload and language); ``qr=False``
    leaves out the QR image (the same text, for comparing)."""
    import qrcode
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    lang = i18n.normalize(lang or i18n.current()) or i18n.DEFAULT
    if lang == "zh_CN":
        _register_cjk()
        regular = bold = CJK_FONT
        per_line = 40  # a CJK character is about two Latin ones wide
    else:
        regular, bold, per_line = "Helvetica", "Helvetica-Bold", 72
    with i18n.language(lang):
        out = io.BytesIO()
        c = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=0)  # the page text stays readable
        c.setTitle(_("Registration certificate {work}").format(work=work_id))
        c.setSubject(encode_payload(payload))
        c.setKeywords(LANG_KEYWORD + lang)  # signed with the page: verification renders this language again
        _width, height = A4
        y = height - 60
        c.setFont(bold, 18)
        c.drawString(50, y, _("Certificate of Copyright Registration"))
        y -= 22
        c.setFont(regular, 10)
        c.drawString(50, y, _("Rights Ledger - permissioned copyright ledger"))
        y -= 30
        for label, value in rows:
            c.setFont(bold, 9)
            c.drawString(50, y, label)
            wide = _is_wide(value)  # e.g. a Chinese title on an English page: the CJK font has its glyphs
            if wide:
                _register_cjk()
            c.setFont(CJK_FONT if wide else regular, 9)
            n = per_line if wide else 72
            for start in range(0, len(value), n):
                c.drawString(170, y, value[start:start + n])
                y -= 13
            y -= 3
        qr_size = 200
        if qr:
            img = qrcode.make(encode_payload(payload), error_correction=qrcode.constants.ERROR_CORRECT_M,
                              box_size=4, border=4)
            png = io.BytesIO()
            img.save(png, format="PNG")
            png.seek(0)
            c.drawImage(ImageReader(png), 50, max(40, y - qr_size - 10), qr_size, qr_size)
        c.setFont(regular, 8)
        c.drawString(270, max(40, y - 30), _("Signed by the registrar named above (PAdES). Check with:"))
        c.drawString(270, max(40, y - 42), "rights-ledger verify --certificate FILE.pdf")
        c.showPage()
        c.save()
        return out.getvalue()


def _register_cjk() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _is_wide(text: str) -> bool:
    """Whether ``text`` holds CJK characters (printed in shorter lines)."""
    return any(ord(ch) >= 0x2E80 for ch in text)


def recorded_language(data: bytes) -> str:
    """The language a certificate was printed in (its keywords ``lang=...``; English when absent)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return i18n.DEFAULT
    try:
        keywords = str(doc.get_metadata_dict().get("Keywords") or "")
    finally:
        doc.close()
    for word in keywords.split():
        if word.startswith(LANG_KEYWORD):
            return i18n.normalize(word[len(LANG_KEYWORD):]) or i18n.DEFAULT
    return i18n.DEFAULT


def _signing_cert(account: Any) -> tuple[Any, Any]:
    """A self-issued X.509 certificate for the account's secp256k1 key, and the key (asn1crypto forms)."""
    import secrets

    from asn1crypto import keys as akeys
    from asn1crypto import x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.derive_private_key(int.from_bytes(bytes(account.key), "big"), ec.SECP256K1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Rights Ledger"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"registrar {account.address}")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(secrets.randbits(120) | 1)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)), akeys.PrivateKeyInfo.load(der_key)


def sign_pdf(data: bytes, account: Any) -> bytes:
    """Sign ``data`` (PAdES B-B, certifying with no changes allowed) with an account's key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert, key = _signing_cert(account)
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore())
    meta = PdfSignatureMetadata(field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                md_algorithm="sha256", certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
                                name=f"registrar {account.address}",
                                reason="Registration certificate issued by the Rights Ledger registry")
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
    return bytes(out.getvalue())


def is_registrar(ledger: Ledger, address: str) -> bool:
    rid = ledger.role_id(ISSUER_ROLE)
    return bool(ledger.chain.call(lambda: ledger.roles.functions.hasRole(rid, address).call()))


def write_certificate(ledger: Ledger, work_id: str, path: Path, lang: str | None = None) -> Certificate:
    """As a REGISTRAR: write the signed registration certificate of a CONFIRMED work (one-page PDF),
    printed in ``lang`` (``en`` or ``zh_CN``; default: the language in force)."""
    lang = i18n.normalize(lang or i18n.current()) or i18n.DEFAULT
    signer = ledger.signer
    if signer is None:
        raise E.KeystoreError("a certificate is signed by a registrar", hint="pass --as REGISTRAR-ACCOUNT")
    if not is_registrar(ledger, signer.address):
        raise E.InputError(f"{signer.address} is not a {ISSUER_ROLE}: certificates are signed by a registrar",
                           hint="pass --as REGISTRAR-ACCOUNT")
    rec = ledger.work(parse_work_id(work_id))
    if rec.status != WorkStatus.CONFIRMED:
        raise E.InputError(f"work {rec.work_id} is {rec.status.name}: certificates are issued for confirmed works")
    meta = work_metadata(ledger, rec)
    payload = payload_of(ledger, rec)
    rows = certificate_rows(ledger, rec, meta, signer.address, lang)
    signed = sign_pdf(_render(rows, payload, rec.work_id, lang=lang), signer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(signed)
    tmp.replace(path)
    return Certificate(path, payload, (meta or {}).get("title"), signer.address)


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateCheck:
    path: Path
    payload: dict[str, Any] | None
    signer: str | None  # the signer's address, when the file carries a readable signature
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def _read_pdf_bytes(pdf: Path) -> bytes:
    try:
        data = pdf.read_bytes()
    except FileNotFoundError:
        raise E.InputError(f"{pdf}: no such file") from None
    except IsADirectoryError:
        raise E.InputError(f"{pdf}: is a directory, expected a PDF file") from None
    except OSError as exc:
        raise E.InputError(f"{pdf}: cannot read ({exc.strerror or exc})") from None
    if not data.lstrip()[:5] == b"%PDF-":
        raise E.InputError(f"{pdf}: not a readable PDF (no %PDF header)")
    return data


def _address_of(cert: Any) -> str | None:
    """The Ethereum address of a certificate's secp256k1 public key (None for any other key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from eth_hash.auto import keccak
    from eth_utils import to_checksum_address

    pub = serialization.load_der_public_key(cert.public_key.dump())
    if not isinstance(pub, ec.EllipticCurvePublicKey) or not isinstance(pub.curve, ec.SECP256K1):
        return None
    point = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return to_checksum_address(keccak(point[1:])[-20:])


def check_signature(ledger: Ledger, data: bytes) -> tuple[str | None, list[str]]:
    """The signer's address and what is wrong with the file's signature (empty: signed by a registrar)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        sigs = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure of a doctored file is a finding, not a crash
        return None, [f"signature: the PDF's structure cannot be read ({type(exc).__name__}: {exc})"]
    if not sigs:
        return None, ["signature: the file is not signed (a certificate is signed by a registrar)"]
    problems = [] if len(sigs) == 1 else [f"signature: {len(sigs)} signatures; a certificate carries exactly one"]
    sig = sigs[0]
    try:
        cert = sig.signer_cert
        address = _address_of(cert)
    except Exception as exc:  # noqa: BLE001 - a malformed signature container is a finding
        return None, [*problems, f"signature: the signer's certificate cannot be read ({type(exc).__name__})"]
    if address is None:
        return None, [*problems, "signature: signed with a key that is not an account key (secp256k1)"]
    try:
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=[cert], allow_fetching=False))
    except Exception as exc:  # noqa: BLE001
        return address, [*problems, f"signature: cannot be validated ({type(exc).__name__}: {exc})"]
    if not status.intact:
        problems.append("signature: the signed bytes were changed after signing (digest mismatch)")
    elif not status.valid:
        problems.append("signature: the signature does not verify with the signer's key")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        coverage = status.coverage.name if status.coverage else "unknown"
        problems.append(f"signature: it does not cover the entire file ({coverage}): bytes were "
                        "added after signing")
    if not is_registrar(ledger, address):
        problems.append(f"signature: signer {address} is not a {ISSUER_ROLE} on this chain")
    return address, problems


def _page_lines(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def compare_printed(ledger: Ledger, data: bytes, rec: WorkRecord, issuer: str) -> list[str]:
    """Differences between the page's text and the page the chain and the store give now."""
    try:
        meta = work_metadata(ledger, rec)
    except (E.ContentNotFound, E.MetadataMismatch) as exc:
        return [f"printed fields: the work's metadata does not verify ({exc.message})"]
    lang = recorded_language(data)
    rows = certificate_rows(ledger, rec, meta, issuer, lang)
    expected = _page_lines(_render(rows, payload_of(ledger, rec), rec.work_id, qr=False, lang=lang))
    shown = _page_lines(data)
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=shown, b=expected, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        cert_says = " | ".join(shown[a1:a2]) or "(nothing)"
        chain_says = " | ".join(expected[b1:b2]) or "(nothing)"
        out.append(f"printed text: certificate shows {cert_says!r}, the chain gives {chain_says!r}")
    return out


def verify_certificate(ledger: Ledger, pdf: Path) -> CertificateCheck:
    """Check a certificate file: signature, signer's role, QR payload and every printed field.

    Raises :class:`~ledger.core.errors.InputError` when the file cannot be read as a PDF (an
    error); everything else that is wrong is a difference (a mismatch).
    """
    import pypdfium2 as pdfium

    data = _read_pdf_bytes(pdf)
    try:
        pdfium.PdfDocument(data).close()
    except pdfium.PdfiumError as exc:
        raise E.InputError(f"{pdf}: not a readable PDF ({exc})") from None
    signer, diffs = check_signature(ledger, data)
    try:
        payload = _qr_payload(data, pdf)
    except E.InputError as exc:
        return CertificateCheck(pdf, None, signer, tuple([*diffs, f"QR code: {exc.message}"]))
    try:
        qr = verify_payload(ledger, payload)
    except E.InputError as exc:  # a malformed field in the QR code: the page is not a certificate of ours
        return CertificateCheck(pdf, payload, signer, tuple([*diffs, f"QR code: {exc.message}"]))
    diffs += [f"QR {d}" for d in qr]
    if not any(d.startswith(("registry:", "work:")) for d in qr):
        rec = ledger.work(parse_work_id(str(payload["w"])))
        diffs += compare_printed(ledger, data, rec, signer or "(unsigned)")
    return CertificateCheck(pdf, payload, signer, tuple(diffs))


def read_qr_payload(pdf: Path, scale: float = 3.0) -> dict[str, Any]:
    """Render the certificate's first page and decode its QR code."""
    return _qr_payload(_read_pdf_bytes(pdf), pdf, scale)


def _qr_payload(data: bytes, pdf: Path, scale: float = 3.0) -> dict[str, Any]:
    import pypdfium2 as pdfium
    import zxingcpp

    data = read_bytes(pdf, what="certificate PDF", limit=64 << 20)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise E.InputError(f"{pdf}: not a readable PDF ({exc})") from None
    try:
        if len(doc) < 1:
            raise E.InputError(f"{pdf}: the PDF has no page")
        image = doc[0].render(scale=scale).to_pil()
    except (pdfium.PdfiumError, ValueError, OSError) as exc:
        raise E.InputError(f"{pdf}: not a readable PDF ({type(exc).__name__})") from None
    finally:
        doc.close()
    found = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    if not found:
        raise E.InputError(f"{pdf}: no QR code found on the first page")
    return parse_payload(found[0])


def parse_payload(text: str) -> dict[str, Any]:
    """A certificate's QR payload, each field checked (strict JSON, no duplicate keys)."""
    if not isinstance(text, str) or len(text) > 4096:
        raise E.InputError("the QR payload is not a certificate payload (at most 4096 characters of JSON)")
    try:
        payload = parse_json(text, "QR payload", max_depth=4)
    except E.InputError as exc:
        raise E.InputError(f"the QR payload is not JSON: {bare(exc)}") from None
    if not isinstance(payload, dict) or any(k not in payload for k in PAYLOAD_KEYS):
        raise E.InputError("the QR payload lacks fields: needs " + ", ".join(PAYLOAD_KEYS))
    if payload["v"] != PAYLOAD_VERSION or isinstance(payload["v"], bool):
        raise E.InputError(f"QR payload version {str(payload['v'])[:20]} is not {PAYLOAD_VERSION}")
    try:
        parsing.parse_work_id(payload["w"])
        parsing.parse_uint(payload["c"], "QR payload chain id", bits=64)
        parsing.parse_address(payload["r"], "QR payload registry")
    except E.InputError as exc:
        raise E.InputError(f"the QR payload is malformed: {exc.message}") from None
    for key in ("s", "h", "m"):
        if not isinstance(payload[key], str):
            raise E.InputError(f"the QR payload is malformed: field {key!r} must be text")
    if payload["t"] is not None and not isinstance(payload["t"], str):
        raise E.InputError("the QR payload is malformed: field 't' must be text or null")
    return payload


def verify_payload(ledger: Ledger, payload: dict[str, Any]) -> list[str]:
    """What differs between a certificate payload and the chain now (empty: valid)."""
    diffs: list[str] = []
    wid = parse_work_id(str(payload["w"]))
    if payload["c"] != ledger.chain.chain_id:
        diffs.append(f"chain id: certificate {payload['c']}, node {ledger.chain.chain_id}")
    current = ledger.registry_for(wid).address  # the version holding the work (ADR 002)
    retired = [c.address for c in ledger.deployment.history if c.name == "WorkRegistry"]
    if str(payload["r"]).lower() != current.lower():
        where = "a retired version of this ledger's" if str(payload["r"]).lower() in map(str.lower, retired) else \
            "not this ledger's"
        diffs.append(f"registry: certificate names {payload['r']}, {where} WorkRegistry ({current})")
        return diffs
    try:
        rec = ledger.work(wid)
    except E.WorkNotFound:
        return diffs + [f"work: {wid} is not registered on this chain"]
    if payload["s"] != rec.status.name:
        diffs.append(f"status: certificate {payload['s']}, chain {rec.status.name}")
    if payload["h"] != holders_digest(rec.holders):
        diffs.append("holders: the certificate's holders digest does not match the holders now ("
                     + ", ".join(f"{h.account} {h.bps}" for h in rec.holders) + ")")
    if payload["m"] != rec.metadata_cid:
        diffs.append(f"metadata CID: certificate {payload['m']}, chain {rec.metadata_cid}")
    conf = rec.confirmed
    if payload["t"] != (conf.tx_hash if conf else None):
        diffs.append(f"confirm tx: certificate {payload['t']}, chain {conf.tx_hash if conf else None}")
    return diffs
