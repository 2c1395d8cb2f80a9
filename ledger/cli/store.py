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


@store.command()
@click.option("--to", "to_spec", required=True, metavar="STORE",
              help="Where to copy: 'kubo:/ip4/127.0.0.1/tcp/5001', 'local' or 'local:<dir>'.")
@click.option("--from", "from_spec", default=None, metavar="STORE",
              help="Where to copy from. Default: the store the ledger uses (--store, else local).")
@click.option("--verify-present", is_flag=True,
              help="Also read back and verify the blobs the destination has already.")
@json_option
@click.pass_obj
def sync(app: App, to_spec: str, from_spec: str | None, verify_present: bool, as_json: bool) -> None:
    """Copy every blob the ledger refers to into another store, verifying each.

    The CIDs come from replaying the ledger's events (work metadata, rejection reasons,
    licence terms, usage reports, distribution files, timestamp tokens ...; the same set
    `audit replay` checks). Each blob is read from the source and checked against its CID,
    added to the destination, which must give the same CID, and pinned. Blobs the
    destination keeps already are skipped, so a rerun after an interruption continues
    where it stopped. Exit 0 when every blob is in the destination, 1 when some could not
    be copied (missing or corrupt in the source; listed), 2 on an error (a store down).
    """
    from ledger.audit import replay
    from ledger.content.store.sync import SyncReport, sync_blobs
    from ledger.core.errors import InputError, StoreError

    home = app.settings.home
    source = open_store(from_spec if from_spec is not None else app.settings.store, home)
    destination = open_store(to_spec, home)
    if source.describe() == destination.describe():
        raise InputError(f"--from and --to are the same store ({source.describe()})",
                         hint="name another store with --to (and --from)")
    ledger = app.ledger()
    show = not as_json and sys.stderr.isatty()
    with _progress(show) as bar:
        task = bar.add_task("reading the ledger's events", total=None)
        state = replay(ledger)[0]
        refs = [(cid, str(ref.get("where", ""))) for cid, ref in state.section("cids").items()]
        bar.update(task, description="copying blobs", total=len(refs), completed=0)
        report = SyncReport(source.describe(), destination.describe())
        try:
            sync_blobs(refs, source, destination, verify_present=verify_present, report=report,
                       progress=lambda cid, outcome: bar.advance(task))
        except StoreError as exc:
            done = f"{len(report.copied)} copied, {len(report.present)} there already before it stopped"
            raise type(exc)(f"{exc.message} ({done}; rerun to continue)", hint=exc.hint) from None
    if as_json:
        emit_json(report.to_json())
    else:
        _print_sync(report)
    sys.exit(1 if report.problems else 0)


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ledger.cli.app import err_console

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, disable=not enabled, transient=True)


def _print_sync(report) -> None:
    from ledger.cli.app import out_console, styled

    out_console.print(f"{report.total} blobs referenced by the ledger: {len(report.copied)} copied "
                      f"({report.bytes_copied:,} bytes), {len(report.present)} there already, "
                      f"{len(report.problems)} not copyable", soft_wrap=True)
    out_console.print(f"  from {report.source}", soft_wrap=True)
    out_console.print(f"  to   {report.destination}", soft_wrap=True)
    for p in report.problems:
        out_console.print(styled("  [red]not copied[/red] {} ({}): {}", p.cid, p.where, p.reason), soft_wrap=True,
                          markup=True)
    if not report.problems:
        out_console.print("[green]every referenced blob is in the destination[/green]", markup=True)
