"""Human-readable rendering of records shared by several commands."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.table import Table
from rich.text import Text

from ledger.cli.app import out_console
from ledger.content.metadata import CreationMode, WorkType
from ledger.core.types import WorkRecord


def when(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "-"


def work_json(rec: WorkRecord, metadata: dict[str, Any] | None) -> dict[str, Any]:
    reg, conf = rec.registered, rec.confirmed
    return {
        "workId": rec.work_id,
        "status": rec.status.name,
        "workType": WorkType(rec.work_type).label,
        "creationMode": CreationMode(rec.creation_mode).label,
        "holders": [{"account": h.account, "bps": h.bps} for h in rec.holders],
        "metadataCid": rec.metadata_cid,
        "title": (metadata or {}).get("title"),
        "registrant": rec.registrant,
        "registeredAt": reg.timestamp if reg else rec.registered_at,
        "registerTx": reg.tx_hash if reg else None,
        "confirmedBy": conf.actor if conf else None,
        "confirmedAt": conf.timestamp if conf else None,
        "confirmTx": conf.tx_hash if conf else None,
        "reservedUses": list(rec.reserved_uses),
        "openDispute": rec.open_dispute or None,
        "history": [
            {"event": h.event, "block": h.block, "time": h.timestamp, "tx": h.tx_hash, "actor": h.actor, **h.details}
            for h in rec.history
        ],
        "metadata": metadata,
    }


#: The width a table gets where stdout is not a terminal (a pipe, a file): wide enough that no
#: hex id, address or command is folded onto a second line (a table is only as wide as its cells).
PIPE_WIDTH = 1_000


def print_table(t: Table) -> None:
    """Print ``t``: fitted to a terminal's width, never folded at 80 columns into a pipe."""
    if out_console.is_terminal:
        out_console.print(t)
        return
    width = out_console.width
    out_console.width = PIPE_WIDTH  # Console.print(width=) cannot exceed the console's own width
    try:
        out_console.print(t)
    finally:
        out_console.width = width


class _PlainTable(Table):
    """A table whose cells are plain text: titles and names are never read as rich markup."""

    def add_row(self, *cells: object, **kwargs: Any) -> None:  # type: ignore[override]
        super().add_row(*(Text(str(c)) if isinstance(c, str) else c for c in cells), **kwargs)  # type: ignore[arg-type]


def print_work(rec: WorkRecord, metadata: dict[str, Any] | None, note: str | None = None) -> None:
    t = _PlainTable(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    t.add_row("work", rec.work_id)
    if metadata:
        t.add_row("title", str(metadata.get("title")))
        creators = ", ".join(f"{c.get('name')} ({c.get('role')})" for c in metadata.get("creators", []))
        t.add_row("creators", creators)
    t.add_row("status", rec.status.name)
    t.add_row("type / creation", f"{WorkType(rec.work_type).label} / {CreationMode(rec.creation_mode).label}")
    t.add_row("holders", "\n".join(f"{h.account}  {h.bps / 100:.2f}%" for h in rec.holders))
    reg, conf = rec.registered, rec.confirmed
    if reg:
        t.add_row("registered", f"{when(reg.timestamp)} by {rec.registrant} (tx {reg.tx_hash})")
    if conf:
        t.add_row("confirmed", f"{when(conf.timestamp)} by {conf.actor} (tx {conf.tx_hash})")
    if rec.reserved_uses:
        t.add_row("reserved uses", ", ".join(rec.reserved_uses))
    if rec.open_dispute:
        t.add_row("open dispute", str(rec.open_dispute))
    for h in rec.history:  # issue 18: confirmed although a near-duplicate of another holder's work
        if h.event == "NearDuplicateOverridden":
            t.add_row("near-duplicate", f"confirmed despite {h.details.get('ofWorkId')} (distance "
                      f"{h.details.get('distance')}) by {h.actor}: {h.details.get('reason')}")
    t.add_row("metadata", rec.metadata_cid or "-")
    if note:
        t.add_row("note", note)
    print_table(t)
