"""``rights-ledger verify FILE``: is this file registered, and by whom?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger.cli.app import App, cli, emit_json, err_console, json_option, out_console, styled
from ledger.cli.render import print_work, work_json
from ledger.core.errors import ContentNotFound, InputError, LedgerError, MetadataMismatch
from ledger.core.i18n import gettext as _
from ledger.core.types import WorkRecord, WorkStatus

if TYPE_CHECKING:
    from ledger.domain.works import Ledger


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--certificate", type=click.Path(path_type=Path), default=None,
              help="Check a registration certificate PDF: its registrar's signature and every printed field.")
@click.option("--qr-payload", default=None,
              help="Check only a certificate's QR payload (the JSON text) against the chain.")
@json_option
@click.pass_obj
def verify(app: App, file: Path | None, certificate: Path | None, qr_payload: str | None, as_json: bool) -> None:
    """Hash FILE and look up its registration, or check a certificate.

    Exit 0 when a confirmed registration exists whose metadata checks (or the certificate is
    signed by a current registrar and matches the chain), 1 when none, not confirmed, the
    metadata is missing or altered (or the certificate differs in any way), 2 on error.
    """
    if sum(x is not None for x in (file, certificate, qr_payload)) != 1:
        raise InputError(_("give exactly one of FILE, --certificate PDF or --qr-payload JSON"))
    if file is None:
        _verify_certificate(app, certificate, qr_payload, as_json)
        return
    from ledger.domain.works import sha256_of_file

    digest = sha256_of_file(file)
    ledger = app.ledger()
    wid = "0x" + digest
    status = ledger.status_of(wid)
    if status == WorkStatus.NONE:
        if as_json:
            emit_json({"file": str(file), "sha256": digest, "registered": False, "confirmed": False})
        else:
            out_console.print(_("{file}: not registered (sha-256 {digest})").format(file=str(file),
                                                                                     digest=digest))
        sys.exit(1)
    rec = ledger.work(wid)
    if ledger.index_note:  # the read index was behind: the newest blocks' events came from the chain
        err_console.print(styled("[yellow]note:[/yellow] {}", ledger.index_note), markup=True)
    metadata, note, code = checked_metadata(ledger, rec)
    confirmed = rec.status == WorkStatus.CONFIRMED
    if as_json:
        emit_json({"file": str(file), "sha256": digest, "registered": True, "confirmed": confirmed,
                   **work_json(rec, metadata), "metadataError": note})
    else:
        state = _("{status} registration").format(status=rec.status.name)
        out_console.print(f"{file}: {state}")
        print_work(rec, metadata, note)
    sys.exit(code or (0 if confirmed else 1))


def checked_metadata(ledger: Ledger, rec: WorkRecord) -> tuple[dict[str, Any] | None, str | None, int]:
    """A work's metadata checked against its CID and the work id: (document, problem, exit code).

    The code is 0 when it checks, 1 when the blob is missing, does not hash to the CID or is
    not this work's document (an integrity failure, as ``audit replay`` reports it), 2 when
    the store cannot be read.
    """
    try:
        return ledger.verified_metadata(rec), None, 0
    except (MetadataMismatch, ContentNotFound) as exc:
        return None, _("metadata does not verify: {problem}").format(problem=exc.message), 1
    except LedgerError as exc:
        return None, _("metadata unavailable: {problem}").format(problem=exc.message), 2


def _verify_certificate(app: App, certificate: Path | None, qr_payload: str | None, as_json: bool) -> None:
    from ledger.domain.certificate import parse_payload, verify_certificate, verify_payload

    ledger = app.ledger()
    if certificate is not None:
        check = verify_certificate(ledger, certificate)
        payload, signer, diffs = check.payload, check.signer, list(check.differences)
    else:  # the QR payload alone: the chain's data now, not the authenticity of a page (ADR 005)
        payload, signer = parse_payload(qr_payload or ""), None
        diffs = verify_payload(ledger, payload)
    wid = payload["w"] if payload else "?"
    if as_json:
        emit_json({"valid": not diffs, "payload": payload, "signer": signer, "differences": diffs})
    elif diffs:
        what = _("certificate does not match the chain") if certificate is not None else \
            _("QR payload does not match the chain")
        out_console.print(styled("[red]{}[/red] {}", what, _("(work {work}):").format(work=wid)), markup=True)
        for d in diffs:
            out_console.print(f"  - {d}", soft_wrap=True)
    elif certificate is not None:
        assert payload is not None
        out_console.print(_("certificate valid: signed by registrar {signer}; work {work} is {status} on chain "
                            "{chain}; every printed field, the holders and metadata {cid} as on chain").format(
            signer=signer, work=wid, status=payload["s"], chain=payload["c"], cid=payload["m"]))
    else:
        assert payload is not None
        out_console.print(_("QR payload matches the chain: work {work} is {status} on chain {chain}, holders and "
                            "metadata {cid} as certified (the PDF itself is checked with --certificate)").format(
            work=wid, status=payload["s"], chain=payload["c"], cid=payload["m"]))
    sys.exit(1 if diffs else 0)
