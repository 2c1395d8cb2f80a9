"""``rights-ledger verify FILE``: is this file registered, and by whom?"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from ledger.cli.app import App, cli, emit_json, json_option, out_console
from ledger.cli.render import print_work, work_json
from ledger.core.errors import InputError
from ledger.core.types import WorkStatus
from ledger.domain.works import sha256_of_file


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--certificate", type=click.Path(path_type=Path), default=None,
              help="Check a registration certificate PDF (its QR code) against the chain.")
@click.option("--qr-payload", default=None, help="Check a certificate's QR payload (the JSON text) instead.")
@json_option
@click.pass_obj
def verify(app: App, file: Path | None, certificate: Path | None, qr_payload: str | None, as_json: bool) -> None:
    """Hash FILE and look up its registration, or check a certificate.

    Exit 0 when a confirmed registration exists (or the certificate matches the chain), 1
    when none, not confirmed (or something differs), 2 on error.
    """
    if sum(x is not None for x in (file, certificate, qr_payload)) != 1:
        raise InputError("give exactly one of FILE, --certificate PDF or --qr-payload JSON")
    if file is None:
        _verify_certificate(app, certificate, qr_payload, as_json)
        return
    digest = sha256_of_file(file)
    ledger = app.ledger()
    wid = "0x" + digest
    status = ledger.status_of(wid)
    if status == WorkStatus.NONE:
        if as_json:
            emit_json({"file": str(file), "sha256": digest, "registered": False, "confirmed": False})
        else:
            out_console.print(f"{escape(str(file))}: not registered (sha-256 {digest})")
        sys.exit(1)
    rec = ledger.work(wid)
    metadata, problem = ledger.work_metadata(rec)
    note = f"metadata unavailable: {problem}" if rec.metadata_cid and problem else None
    confirmed = rec.status == WorkStatus.CONFIRMED
    if as_json:
        emit_json({"file": str(file), "sha256": digest, "registered": True, "confirmed": confirmed,
                   **work_json(rec, metadata), "metadataError": note})
    else:
        state = "CONFIRMED registration" if confirmed else f"{rec.status.name} registration"
        out_console.print(f"{escape(str(file))}: {state}")
        print_work(rec, metadata, note)
    sys.exit(0 if confirmed else 1)


def _verify_certificate(app: App, certificate: Path | None, qr_payload: str | None, as_json: bool) -> None:
    from ledger.domain.certificate import parse_payload, read_qr_payload, verify_payload

    payload = read_qr_payload(certificate) if certificate is not None else parse_payload(qr_payload or "")
    diffs = verify_payload(app.ledger(), payload)
    if as_json:
        emit_json({"valid": not diffs, "payload": payload, "differences": diffs})
    elif diffs:
        out_console.print(f"[red]certificate does not match the chain[/red] (work {payload['w']}):")
        for d in diffs:
            out_console.print(f"  - {d}", soft_wrap=True)
    else:
        out_console.print(f"certificate valid: work {payload['w']} is {payload['s']} on chain {payload['c']}, "
                          f"holders and metadata {payload['m']} as certified")
    sys.exit(1 if diffs else 0)
