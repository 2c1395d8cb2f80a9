"""``rights-ledger verify FILE``: is this file registered, and by whom?"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ledger.cli.app import App, cli, emit_json, json_option, out_console
from ledger.cli.render import print_work, work_json
from ledger.errors import LedgerError
from ledger.ledger import sha256_of_file
from ledger.types import WorkStatus


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def verify(app: App, file: Path, as_json: bool) -> None:
    """Hash FILE and look up its registration.

    Exit 0 when a confirmed registration exists, 1 when none (or not confirmed), 2 on error.
    """
    digest = sha256_of_file(file)
    ledger = app.ledger()
    wid = "0x" + digest
    status = ledger.status_of(wid)
    if status == WorkStatus.NONE:
        if as_json:
            emit_json({"file": str(file), "sha256": digest, "registered": False, "confirmed": False})
        else:
            out_console.print(f"{file}: not registered (sha-256 {digest})")
        sys.exit(1)
    rec = ledger.work(wid)
    metadata, note = None, None
    if rec.metadata_cid:
        try:
            metadata = ledger.metadata(rec.metadata_cid)
        except LedgerError as exc:
            note = f"metadata unavailable: {exc.message}"
    confirmed = rec.status == WorkStatus.CONFIRMED
    if as_json:
        emit_json({"file": str(file), "sha256": digest, "registered": True, "confirmed": confirmed,
                   **work_json(rec, metadata), "metadataError": note})
    else:
        out_console.print(f"{file}: {'CONFIRMED registration' if confirmed else rec.status.name + ' registration'}")
        print_work(rec, metadata, note)
    sys.exit(0 if confirmed else 1)
