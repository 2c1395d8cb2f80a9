"""Registration certificates: a PDF anyone can check against the chain through its QR code.

The QR code carries a compact JSON payload with what a verifier needs and nothing more::

    {"c":31337,"h":"<sha-256 of the holders>","m":"bafkrei...","r":"0xRegistry","s":"CONFIRMED",
     "t":"0xconfirm-tx","v":1,"w":"0xwork-id"}

``h`` is the sha-256 (hex) of the canonical JSON of the holders as ``[[account, bps], ...]``
sorted by account. :func:`verify_payload` compares each field with the chain: the node's
chain id, the registry being this deployment's, the work's status and holders now, the
metadata CID of its registration and the transaction that confirmed it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.content.canonical import canonical_json
from ledger.core import errors as E
from ledger.core import parsing
from ledger.core.inputs import bare, parse_json, read_bytes
from ledger.core.types import Holder, WorkRecord, WorkStatus
from ledger.domain.works import Ledger, parse_work_id

PAYLOAD_VERSION = 1
PAYLOAD_KEYS = ("v", "w", "c", "r", "s", "h", "m", "t")
_MODES = {1: "human-authored", 2: "AI-assisted", 3: "AI-generated"}


def holders_digest(holders: Iterable[Holder] | Iterable[tuple[str, int]]) -> str:
    pairs = sorted([h.account, h.bps] if isinstance(h, Holder) else [h[0], int(h[1])] for h in holders)
    return hashlib.sha256(canonical_json(pairs)).hexdigest()


def payload_of(ledger: Ledger, rec: WorkRecord) -> dict[str, Any]:
    conf = rec.confirmed
    return {"v": PAYLOAD_VERSION, "w": rec.work_id, "c": ledger.chain.chain_id,
            "r": ledger.deployment.address("WorkRegistry"), "s": rec.status.name,
            "h": holders_digest(rec.holders), "m": rec.metadata_cid, "t": conf.tx_hash if conf else None}


def encode_payload(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Certificate:
    path: Path
    payload: dict[str, Any]
    title: str | None


def _when(ts: int | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "-"


def write_certificate(ledger: Ledger, work_id: str, path: Path) -> Certificate:
    """Write the registration certificate of a CONFIRMED work as a one-page PDF."""
    import qrcode
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rec = ledger.work(parse_work_id(work_id))
    if rec.status != WorkStatus.CONFIRMED:
        raise E.InputError(f"work {rec.work_id} is {rec.status.name}: certificates are issued for confirmed works")
    meta: dict[str, Any] = {}
    if rec.metadata_cid:
        meta = ledger.metadata(rec.metadata_cid)
    payload = payload_of(ledger, rec)
    reg, conf = rec.registered, rec.confirmed
    img = qrcode.make(encode_payload(payload), error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(f"Registration certificate {rec.work_id}")
    c.setSubject(encode_payload(payload))
    width, height = A4
    y = height - 60
    c.setFont("Helvetica-Bold", 18)
    c.drawString(50, y, "Certificate of Copyright Registration")
    y -= 22
    c.setFont("Helvetica", 10)
    c.drawString(50, y, "Rights Ledger - permissioned copyright ledger")
    y -= 30

    def row(label: str, value: str) -> None:
        nonlocal y
        c.setFont("Helvetica-Bold", 9)
        c.drawString(50, y, label)
        c.setFont("Helvetica", 9)
        text = value
        while text:
            c.drawString(170, y, text[:72])
            text = text[72:]
            y -= 13
        y -= 3

    creators = ", ".join(f"{x.get('name')} ({x.get('role')})" for x in meta.get("creators", []))
    row("Title", str(meta.get("title", "-")))
    row("Creators", creators or "-")
    row("Creation mode", _MODES.get(rec.creation_mode, str(rec.creation_mode)))
    row("Status", rec.status.name)
    for i, h in enumerate(rec.holders):
        row("Holders" if i == 0 else "", f"{h.account}  {h.bps / 100:.2f}%")
    row("Content hash", "sha-256 " + rec.work_id[2:])
    row("Metadata CID", rec.metadata_cid or "-")
    row("Registered", f"{_when(reg.timestamp if reg else rec.registered_at)} by {rec.registrant}")
    row("Register tx", reg.tx_hash if reg else "-")
    row("Confirmed", f"{_when(conf.timestamp if conf else None)} by {conf.actor if conf else '-'}")
    row("Confirm tx", conf.tx_hash if conf else "-")
    row("Network", f"{ledger.deployment.network} (chain id {ledger.chain.chain_id})")
    row("Registry contract", ledger.deployment.address("WorkRegistry"))
    qr_size = 200
    c.drawImage(ImageReader(buf), 50, max(40, y - qr_size - 10), qr_size, qr_size)
    c.setFont("Helvetica", 8)
    c.drawString(270, max(40, y - 30), "Scan to verify, or run:")
    c.drawString(270, max(40, y - 42), "rights-ledger verify --certificate FILE.pdf")
    c.showPage()
    c.save()
    return Certificate(path, payload, meta.get("title"))


def read_qr_payload(pdf: Path, scale: float = 3.0) -> dict[str, Any]:
    """Render the certificate's first page and decode its QR code."""
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
    current = ledger.deployment.address("WorkRegistry")
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
