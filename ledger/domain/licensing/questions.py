"""Reading question files (CSV or JSON lines) for ``licence check FILE``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ledger.core import errors as E
from ledger.core.inputs import read_table

# --- reading question files ---------------------------------------------------------------


QUESTION_COLUMNS = ("work", "use", "territory", "at", "licensee")


def read_pairs(path: Path) -> Iterator[dict[str, Any]]:
    """Questions from a CSV file (header ``work,use[,territory,at,licensee]``) or JSON lines.

    Read through ledger.core.inputs (a regular file or ``-``, strict UTF-8, no repeated
    column or JSON key, no short row); each value must be text (``at`` may be a whole
    number). Errors name ``file:line:column``.
    """
    header_rule = "the first line must be the header work,use,territory,at (or a JSON object)"
    table = read_table(path, what="question file", columns=QUESTION_COLUMNS, allow_stdin=True,
                       normalise=lambda h: h.strip().lower(), require=(("work",), header_rule, None))
    if table.kind == "csv" and not {"work", "use"} <= set(table.header):
        raise E.InputError(header_rule, where=f"{table.path}:1:-")
    for row in table.rows:
        if row.values is None:
            raise row.fail(row.error or "malformed line")
        item: dict[str, Any] = {}
        for key, value in row.values.items():
            if key not in QUESTION_COLUMNS:
                raise row.fail(f"unknown field (allowed: {', '.join(QUESTION_COLUMNS)})", key)
            if value is None:
                continue
            if key == "at" and isinstance(value, int) and not isinstance(value, bool):
                item[key] = value
            elif isinstance(value, str):
                item[key] = value.strip()
            elif key == "work":
                raise row.fail(f"work id {str(value)[:40]} is malformed: it must be text (64 hex digits)", key)
            else:
                raise row.fail(f"{key} must be text, not {type(value).__name__}", key)
        item["_where"] = row.where
        yield item


