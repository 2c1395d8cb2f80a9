"""``rights-ledger store``: the metadata store, like ``ipfs add`` / ``ipfs cat``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ledger.cli.app import App, cli, emit_json, json_option
from ledger.content.store import open_store
from ledger.core.inputs import regular_file


@cli.group()
def store() -> None:
    """Add and read content-addressed documents."""


@store.command()
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def add(app: App, file: Path, as_json: bool) -> None:
    """Store FILE and print its CID (the same CID `ipfs add --cid-version=1` gives)."""
    regular_file(file, "file")  # a folder, a FIFO or a device is refused without being opened
    cid = open_store(app.settings.store, app.settings.home).add_file(file)
    if as_json:
        emit_json({"cid": cid, "file": str(file)})
    else:
        click.echo(cid)


@store.command()
@click.argument("cid")
@click.pass_obj
def cat(app: App, cid: str) -> None:
    """Print the bytes stored under CID, after checking they match it."""
    data = open_store(app.settings.store, app.settings.home).cat(cid)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
