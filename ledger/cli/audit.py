"""``rights-ledger audit``: replay the whole history and check it; export the event log."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import Progress, TextColumn
from rich.table import Table

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, json_option, out_console, progress_bar, styled


@cli.group()
def audit() -> None:
    """Rebuild the ledger's state from its events and check it against the chain and store."""


def _progress(enabled: bool) -> Progress:
    return progress_bar(TextColumn("{task.fields[events]} events"), enabled=enabled)


@audit.command()
@click.option("--from-block", type=params.BLOCK, default=None,
              help="Start here instead of the deployment's first block (a partial replay finds mismatches).")
@click.option("--checkpoint", type=click.Path(path_type=Path), default=None,
              help="Resume from this file if it exists; save the state and last block to it.")
@click.option("--fresh", is_flag=True, help="Ignore (and replace) an existing --checkpoint file: start over.")
@click.option("--skip-store", is_flag=True, help="Do not fetch and verify the referenced blobs.")
@json_option
@click.pass_obj
def replay(app: App, from_block: int | None, checkpoint: Path | None, fresh: bool, skip_store: bool,
           as_json: bool) -> None:
    """Replay every event, rebuild the state, check it. Exit 0 clean, 1 mismatches, 2 error."""
    from ledger.audit import audit as run_audit

    if fresh and checkpoint is not None and (checkpoint.is_file() or checkpoint.is_symlink()):
        checkpoint.unlink()

    ledger = app.ledger()
    start = ledger.deployment.first_block if from_block is None else from_block
    with _progress(not as_json and sys.stderr.isatty()) as bar:
        task = bar.add_task("replaying blocks", total=None, events=0)

        def progress(end: int, head: int, events: int) -> None:
            bar.update(task, total=max(1, head - start + 1), completed=end - start + 1, events=events)

        report = run_audit(ledger, from_block=from_block, checkpoint=checkpoint, progress=progress,
                           skip_checks=("blobs",) if skip_store else ())
    if as_json:
        emit_json(report.to_json())
    else:
        _print_report(report)
    sys.exit(1 if report.mismatches else 0)


def _print_report(report) -> None:
    s = report.state
    resumed = f", resumed after block {report.resumed_from}" if report.resumed_from is not None else ""
    out_console.print(f"replayed blocks {report.from_block}..{report.to_block}{resumed}: {s.events} events "
                      f"in {report.replay_seconds:.2f}s ({report.rate:,.0f} events/s), "
                      f"checks {report.check_seconds:.2f}s")
    t = Table("event", "count", box=None, pad_edge=False)
    for name, n in sorted(s.counts.items()):
        t.add_row(name + (" (no reducer)" if name in s.unreduced else ""), str(n))
    out_console.print(t)
    out_console.print(f"state digest  {report.digest}")
    for note in report.notes:
        out_console.print(styled("[dim]note: {}[/dim]", note), markup=True)
    if report.mismatches:
        out_console.print(f"[red]{len(report.mismatches)} mismatch(es):[/red]", markup=True)
        for m in report.mismatches:
            out_console.print("  " + m.line(), soft_wrap=True)
    else:
        out_console.print("[green]clean: the chain and the store agree with the events[/green]", markup=True)


@audit.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write.")
@click.option("--from-block", type=params.BLOCK, default=None)
@click.option("--human/--raw", default=True, show_default=True,
              help="Add ISO times, amounts with decimals, role and account names next to the raw values.")
@json_option
@click.pass_obj
def export(app: App, fmt: str, output: Path, from_block: int | None, human: bool, as_json: bool) -> None:
    """Write one row per event: block, time, tx hash, contract, event, actor, fields (and their human forms)."""
    from ledger.audit.export import export_file
    from ledger.audit.human import humaniser_for

    ledger = app.ledger()
    readable = humaniser_for(ledger) if human else None
    with _progress(not as_json and sys.stderr.isatty()) as bar:
        task = bar.add_task("exporting", total=None, events=0)
        start = ledger.deployment.first_block if from_block is None else from_block

        def progress(end: int, head: int, rows: int) -> None:
            bar.update(task, total=max(1, head - start + 1), completed=end - start + 1, events=rows)

        rows = export_file(ledger, output, fmt, from_block=from_block, progress=progress, human=readable)
    if as_json:
        emit_json({"rows": rows, "file": str(output), "format": fmt})
    else:
        out_console.print(f"wrote {rows} events to {output} ({fmt})")
