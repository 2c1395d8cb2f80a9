"""The event log as rows: block, time, tx hash, contract, event, actor, fields.

Block times come from batched ``eth_getBlockByNumber`` requests (one batch per few hundred
blocks), never one request per event.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ledger.audit.core import contract_names
from ledger.content.cid import chain_cid
from ledger.core.errors import InputError
from ledger.core.events import Event, block_timestamps, fetch_logs

ACTOR_KEYS = ("sender", "registrant", "registrar", "claimant", "attester", "generator", "holder", "from",
              "licensor", "cmo", "payer", "licensee", "account")
COLUMNS = ("block", "time", "tx", "contract", "event", "actor", "fields")
TIME_BATCH = 500


def plain_args(args: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in args.items():
        out[k] = _plain(k, v)
    return out


def _plain(key: str, v: Any) -> Any:
    if isinstance(v, bytes):
        if key.endswith("Cid") or key.endswith("Cids"):
            try:
                return chain_cid(v) if v else ""
            except InputError:
                return "0x" + v.hex()
        return "0x" + v.hex()
    if isinstance(v, (tuple, list)):
        return [_plain(key, x) for x in v]
    return v


def actor_of(ev: Event) -> str | None:
    return next((ev.args[k] for k in ACTOR_KEYS if k in ev.args and isinstance(ev.args[k], str)), None)


def export_events(ledger: Any, out: IO[str], fmt: str = "jsonl", from_block: int | None = None,
                  progress: Callable[[int, int, int], None] | None = None, human: Any = None) -> int:
    """Write one row per event; returns the number of rows.

    ``human`` (a :class:`ledger.audit.human.Humaniser`) adds ``timeUtc``, ``actorName`` and ``human``
    (amounts with decimals, ISO times, role and account names) next to the raw values."""
    if fmt not in ("jsonl", "csv"):
        raise InputError(f"format {fmt!r} is not jsonl or csv")
    names = contract_names(ledger)
    url = ledger.settings.network.rpc_url
    first = ledger.deployment.first_block if from_block is None else from_block
    head = ledger.chain.block_number()
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(COLUMNS + (("time_utc", "actor_name", "human") if human else ()))
    rows = 0
    for end, logs in fetch_logs(url, sorted(names), first, head, chunk=ledger.settings.network.log_chunk):
        events = [e for e in map(ledger.events.decode, logs) if e is not None]
        blocks = sorted({e.block for e in events})
        times: dict[int, int] = {}
        for i in range(0, len(blocks), TIME_BATCH):
            times.update(block_timestamps(url, blocks[i:i + TIME_BATCH]))
        for ev in events:
            row = {"block": ev.block, "time": times.get(ev.block), "tx": ev.tx_hash,
                   "contract": names.get(ev.address, ev.address), "event": ev.name, "actor": actor_of(ev),
                   "fields": plain_args(ev.args)}
            if human:
                row.update(human.row(row))
            if writer:
                extra = [row["timeUtc"] or "", row["actorName"] or "",
                         json.dumps(row["human"], sort_keys=True, ensure_ascii=False)] if human else []
                writer.writerow([row["block"], row["time"], row["tx"], row["contract"], row["event"],
                                 row["actor"] or "", json.dumps(row["fields"], sort_keys=True), *extra])
            else:
                out.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
            rows += 1
        if progress:
            progress(end, head, rows)
    return rows


def export_file(ledger: Any, path: Path, fmt: str = "jsonl", **kwargs: Any) -> int:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        return export_events(ledger, fh, fmt, **kwargs)
