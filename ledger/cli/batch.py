"""``rights-ledger work register-batch`` and ``work confirm-batch``: thin over ledger.batch."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import TextColumn

from ledger.cli import params
from ledger.cli.app import App, emit_json, err_console, json_option, out_console, progress_bar
from ledger.cli.work import work
from ledger.core.errors import InputError
from ledger.domain.batch import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_IN_FLIGHT,
    MAX_BATCH,
    BatchConfirmer,
    BatchProgress,
    BatchRegistrar,
    BatchSummary,
    journal_path,
    pending_works,
    read_catalogue,
    read_work_ids,
    signer_is_cmo,
)

_batch_size = click.option(
    "--batch-size", default=DEFAULT_BATCH_SIZE, show_default=True,
    type=params.uint(16, "batch size", minimum=1, maximum=MAX_BATCH),
    help=f"Works per contract call (at most {MAX_BATCH}).",
)
_in_flight = click.option(
    "--max-in-flight", default=DEFAULT_MAX_IN_FLIGHT, show_default=True,
    type=params.uint(8, "transactions in flight", minimum=1, maximum=64),
    help="Batch transactions sent but not yet mined, at most.",
)

_fresh = click.option("--fresh", is_flag=True,
                      help="Set aside this file's journal (renamed *.old) and start over; "
                           "the chain decides what is done.")


def _journal(path: Path, fresh: bool) -> Path:
    if fresh and path.exists():
        path.replace(path.with_name(path.name + ".old"))
    return path


def _run_with_progress(label: str, total: int, as_json: bool, fn: Any) -> BatchSummary:
    show = not as_json and err_console.is_terminal
    with progress_bar(TextColumn("{task.fields[batches]} batches"), enabled=show, transient=False) as bar:
        task = bar.add_task(label, total=total, batches=0)

        def progress(p: BatchProgress) -> None:
            bar.update(task, completed=p.done, batches=p.batches)

        summary: BatchSummary = fn(progress)
    return summary


def _report(summary: BatchSummary, verb: str, as_json: bool) -> None:
    if as_json:
        emit_json(summary)
    else:
        rate = summary.registered / summary.seconds if summary.seconds else 0.0
        out_console.print(
            f"{verb} {summary.registered} of {summary.total} work(s) in {summary.batches} batch(es), "
            f"{summary.seconds:.1f} s ({rate:.0f}/s), gas {summary.gas_used:,}"
        )
        if summary.skipped_existing:
            earlier = f" ({summary.from_journal} by an earlier run of this file)" if summary.from_journal else ""
            what = "confirmed" if verb == "confirmed" else "registered"
            out_console.print(f"  already {what}: {summary.skipped_existing}{earlier}")
        if summary.duplicates:
            out_console.print(f"  duplicate rows skipped: {summary.duplicates}")
        for note in summary.notes:
            out_console.print(f"  note: {note}")
        if summary.failed:
            out_console.print(f"  [red]failed: {summary.failed}[/red]", markup=True)
            for f in summary.failures[:20]:
                out_console.print(f"    {f}")
        out_console.print(f"  journal: {summary.journal}")
    if summary.failed:
        sys.exit(1)


@work.command("register-batch")
@click.argument("catalogue", type=click.Path(path_type=Path))
@_batch_size
@_in_flight
@click.option("--format", "fmt", type=click.Choice(["catalogue", "cwr"]), default="catalogue", show_default=True,
              help="catalogue: the project's CSV/JSON lines; cwr: a CISAC CWR 2.1 file (see README).")
@click.option("--parties", type=click.Path(path_type=Path), help="CWR: CSV ip,account mapping parties to accounts.")
@click.option("--ack", "ack_path", type=click.Path(path_type=Path), help="CWR: write the ACK file here.")
@click.option("--territory", default="2136", show_default=True, help="CWR: TIS code whose collection shares count.")
@click.option("--right", type=click.Choice(["pr", "mr", "sr"]), default="pr", show_default=True,
              help="CWR: which right's shares become the holders' basis points.")
@_fresh
@json_option
@click.pass_obj
def register_batch(app: App, catalogue: Path, batch_size: int, max_in_flight: int, fmt: str, parties: Path | None,
                   ack_path: Path | None, territory: str, right: str, fresh: bool, as_json: bool) -> None:
    """Register every work of CATALOGUE (CSV with a header, or JSON lines), in batches.

    Columns: file (relative to the catalogue's folder) or sha256, title, creators
    (Name:role;Name2:role), type, creation (default human), holders (0xADDR:BPS;...,
    default you), and optional isrc, iswc, isbn, date (YYYY-MM-DD), models
    (name@version;... for AI works). Every row is checked before anything is sent.
    Interrupted? Run the same command again: it resumes from its journal and the chain.
    """
    if fmt == "cwr":
        from ledger.cli.formats import register_cwr

        register_cwr(app, catalogue, parties, ack_path, territory, right, batch_size, max_in_flight, as_json, fresh)
        return
    ledger = app.ledger(signer=True)
    signer = ledger.require_signer().address
    cat = read_catalogue(catalogue, signer=signer, signer_is_cmo=signer_is_cmo(ledger))
    registrar = BatchRegistrar(ledger, _journal(journal_path(app.settings, cat.sha256), fresh), batch_size,
                               max_in_flight)
    summary = _run_with_progress("registering", cat.total_rows, as_json, lambda cb: registrar.run(cat, progress=cb))
    _report(summary, "registered", as_json)


@work.command("confirm-batch")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--all-pending", is_flag=True, help="Confirm every PENDING work on the ledger.")
@_batch_size
@_in_flight
@_fresh
@json_option
@click.pass_obj
def confirm_batch(app: App, file: Path | None, all_pending: bool, batch_size: int, max_in_flight: int, fresh: bool,
                  as_json: bool) -> None:
    """As a registrar: confirm the works of FILE (a catalogue or one work id per line), or --all-pending."""
    if bool(file) == all_pending:
        raise InputError("give a FILE or --all-pending (one of the two)")
    ledger = app.ledger(signer=True)
    if file:
        key, ids = read_work_ids(file)
    else:
        key, ids = "all-pending", pending_works(ledger)
    from ledger.domain.review import screen_near_duplicates  # issue 18 (R27): near-duplicates are not batch-confirmed

    ids, near = screen_near_duplicates(ledger, ids)
    for wid, of, d in near:
        err_console.print(f"skipped {wid}: near-duplicate of confirmed work {of} (distance {d}), flagged on-chain; "
                          "confirm it with `work confirm ID --override REASON` or reject it")
    confirmer = BatchConfirmer(ledger, _journal(journal_path(app.settings, key, kind="confirm"), fresh), batch_size,
                               max_in_flight)
    summary = _run_with_progress("confirming", len(ids), as_json, lambda cb: confirmer.run(ids, progress=cb))
    _report(summary, "confirmed", as_json)


from ledger.cli import formats as _formats  # noqa: E402, F401  (registers `work export`; CWR lives there)
