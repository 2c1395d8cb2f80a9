"""Reading question files (CSV or JSON lines) for ``licence check FILE``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ledger.core import errors as E

# --- reading question files ---------------------------------------------------------------


def read_pairs(path: Path) -> Iterator[dict[str, Any]]:
    """Questions from a CSV file (header ``work,use,territory,at``) or JSON lines."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed below); decoded line by line to name a non-UTF-8 line
    except FileNotFoundError:
        raise E.InputError(f"{path}: no such file") from None

    def decoded() -> Iterator[str]:
        for n, b in enumerate(raw, 1):
            try:
                yield b.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise E.InputError(f"{path}:{n}: not UTF-8 text (byte 0x{b[exc.start]:02x})",
                                   hint="save the file as UTF-8") from None

    with raw:
        fh = decoded()
        first = next(fh, "")
        rest: Iterable[str] = fh
        if first.lstrip().startswith("{"):
            yield _json_line(path, 1, first)
            for n, line in enumerate(rest, 2):
                if line.strip():
                    yield _json_line(path, n, line)
            return
        header = [h.strip().lower() for h in next(csv.reader(io.StringIO(first)), [])]
        if "work" not in header or "use" not in header:
            raise E.InputError("the first line must be the header work,use,territory,at (or a JSON object)",
                               where=f"{path}:1")
        for n, row in enumerate(csv.reader(rest), 2):
            if not row or not any(c.strip() for c in row):
                continue
            item = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
            item["_where"] = f"{path}:{n}"
            yield item


def _json_line(path: Path, n: int, line: str) -> dict[str, Any]:
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise E.InputError(f"not JSON: {exc.msg}", where=f"{path}:{n}") from None
    if not isinstance(doc, dict):
        raise E.InputError("each line must be a JSON object", where=f"{path}:{n}")
    doc["_where"] = f"{path}:{n}"
    return doc
