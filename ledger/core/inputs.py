"""The one way a file given by a user (or found in the data directory) is read.

* Only a regular file is opened (a FIFO, ``/dev/zero`` or a folder would block or never
  end), or ``-`` for standard input where the caller allows it; at most ``limit`` bytes.
* Text is strict UTF-8 (a BOM is skipped); Latin-1, UTF-16 or binary data is refused
  with ``file:line:column`` of the first bad byte.
* JSON refuses duplicate keys, ``NaN``/``Infinity``, numbers that overflow a float, and
  nesting deeper than :data:`MAX_JSON_DEPTH`.
* A table (CSV with a header, or JSON lines) refuses a header naming a column twice and a
  row with fewer or more values than the header.

Every failure is an :class:`InputError` whose message starts ``file:line:column:``
(line and column from 1; the column is a field name for a table row). :func:`guard`
maps whatever else a reader of an untrusted document can raise (``KeyError``,
``TypeError``, ``RecursionError``, ``OverflowError``...) to the same kind of error.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.core.errors import InputError, LedgerError

MAX_INPUT_BYTES = 256 << 20  # catalogues of 100k works are ~30 MB
MAX_JSON_BYTES = 16 << 20
MAX_JSON_DEPTH = 64
MAX_CSV_FIELD = 16 << 20
STDIN = "-"


def _limit(default: int) -> int:
    raw = os.environ.get("RIGHTS_LEDGER_MAX_INPUT")
    if raw and raw.isascii() and raw.isdigit():
        return int(raw)
    return default


# --- bytes --------------------------------------------------------------------------------


def read_bytes(path: str | Path, *, what: str = "input file", limit: int | None = None,
               allow_stdin: bool = False) -> bytes:
    """The bytes of a regular file (or of stdin for ``-`` when ``allow_stdin``), at most ``limit``."""
    limit = _limit(MAX_INPUT_BYTES) if limit is None else limit
    if str(path) == STDIN:
        if not allow_stdin:
            raise InputError(f"{what}: '-' (standard input) is not accepted here; give a file")
        data = sys.stdin.buffer.read(limit + 1) if hasattr(sys.stdin, "buffer") else sys.stdin.read(limit + 1).encode()
        if len(data) > limit:
            raise InputError(f"<stdin>: more than {limit} bytes; {what} too large")
        return data
    p = _regular(path, what)
    st = p.stat()
    if st.st_size > limit:
        raise InputError(f"{p}: {st.st_size} bytes; a {what} may have at most {limit}")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(f"{p}: a {what} may have at most {limit} bytes")
    return data


def regular_file(path: str | Path, what: str = "file") -> Path:
    """``path`` if it is a regular file (stat only: a FIFO is never opened); else an InputError."""
    return _regular(path, what)


def _regular(path: str | Path, what: str) -> Path:
    p = Path(path)
    try:
        st = p.stat()  # stat never blocks, opening a FIFO does
    except FileNotFoundError:
        raise InputError(f"{p}: no such file", hint=f"check the path of the {what}") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{p}: is a directory, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{p}: not a regular file (a device, FIFO or socket); expected a {what}")
    return p


def file_sha256(path: str | Path, *, what: str = "file", allow_empty: bool = True) -> str:
    """The sha-256 (hex) of a regular file of any size, streamed."""
    p = _regular(path, what)
    h = hashlib.sha256()
    size = 0
    try:
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
                size += len(block)
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if not size and not allow_empty:
        raise InputError(f"{p}: the {what} is empty")
    return h.hexdigest()


def display(path: str | Path) -> str:
    return "<stdin>" if str(path) == STDIN else str(path)


# --- text ---------------------------------------------------------------------------------


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, len(data[start:offset].decode("utf-8", "replace")) + 1  # the column in characters


def decode_text(data: bytes, path: str | Path, what: str = "file") -> str:
    """Strict UTF-8 (BOM skipped); anything else is refused with where the first bad byte is."""
    name = display(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}:1:1: UTF-16 text, not UTF-8", hint=f"save the {what} as UTF-8")
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    nul = body.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(body, nul)
        raise InputError(f"{name}:{line}:{col}: a NUL byte: binary data or UTF-16 text, not a UTF-8 {what}",
                         hint="save it as UTF-8 text")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(body, exc.start)
        raise InputError(f"{name}:{line}:{col}: not UTF-8 text (byte 0x{body[exc.start]:02x}; Latin-1?)",
                         hint=f"save the {what} as UTF-8") from None


def decode_as(data: bytes, path: str | Path, encoding: str, refusal: str, *, hint: str | None = None) -> str:
    """``data`` decoded strictly as ``encoding`` (a format's own rule: ASCII for CWR, UTF-8 with an
    optional BOM for DSR flat files); otherwise an :class:`InputError` at ``path:line:-`` of the first
    bad byte, saying ``refusal`` (which may name the byte as ``{byte:02x}``)."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(refusal.format(byte=data[exc.start]), where=f"{display(path)}:{line}:-",
                         hint=hint) from None


def read_text(path: str | Path, *, what: str = "file", limit: int | None = None, allow_stdin: bool = False) -> str:
    return decode_text(read_bytes(path, what=what, limit=limit, allow_stdin=allow_stdin), path, what)


# --- JSON ---------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class _JsonRefused(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _JsonRefused(f"key {k!r} appears twice")
        out[k] = v
    return out


def _finite(text: str) -> float:
    x = float(text)
    if math.isinf(x):
        raise _JsonRefused(f"number {text[:30]} is too large")
    return x


def _constant(name: str) -> Any:
    raise _JsonRefused(f"{name} is not a JSON number")


def _depth_error(text: str, max_depth: int) -> int | None:
    """The offset where nesting first exceeds ``max_depth``, or None."""
    if text.count("[") + text.count("{") <= max_depth:
        return None
    stripped = _STRING.sub(lambda m: " " * len(m.group()), text)
    depth = 0
    for m in _BRACKETS.finditer(stripped):
        depth += 1 if m.group() in "[{" else -1
        if depth > max_depth:
            return m.start()
    return None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def lone_surrogate(text: str, value: Any) -> bool:
    """Whether ``value``, parsed from the JSON ``text``, holds a lone surrogate: a ``"\\ud800"``
    escape that is valid JSON but no character (a pair of escapes is one character). No file,
    SQLite, terminal, web page or canonical JSON encoder takes it: refused where it is read."""
    if _SURROGATE_ESCAPE.search(text) is None:
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(text: str, name: str, *, max_depth: int = MAX_JSON_DEPTH, first_line: int = 1) -> Any:
    """JSON text to a value. Errors name ``name:line:column`` (lines counted from ``first_line``)."""
    deep = _depth_error(text, max_depth)
    if deep is not None:
        line = text.count("\n", 0, deep) + first_line
        col = deep - (text.rfind("\n", 0, deep) + 1) + 1
        raise InputError(f"JSON nested more than {max_depth} levels deep", where=f"{name}:{line}:{col}")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_finite, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg})", where=f"{name}:{exc.lineno + first_line - 1}:{exc.colno}") from None
    except _JsonRefused as exc:
        raise InputError(str(exc), where=f"{name}:{first_line}:-") from None
    except (RecursionError, ValueError, OverflowError) as exc:  # pragma: no cover - defence in depth
        raise InputError(f"not JSON ({type(exc).__name__})", where=f"{name}:{first_line}:-") from None
    if lone_surrogate(text, value):
        raise InputError("a \\u escape of a lone surrogate (\\ud800 to \\udfff without its pair) is no character",
                         where=f"{name}:{first_line}:-")
    return value


def bare(exc: InputError) -> str:
    """The message of ``exc`` without its ``where`` prefix."""
    return exc.message.removeprefix(f"{exc.where}: ") if exc.where else exc.message


def read_json(path: str | Path, *, what: str = "JSON file", limit: int | None = None, allow_stdin: bool = False,
              expect: type | None = dict) -> Any:
    """A JSON document from a file; ``expect`` (dict by default) is the required top-level type."""
    text = read_text(path, what=what, limit=MAX_JSON_BYTES if limit is None else limit, allow_stdin=allow_stdin)
    value = parse_json(text, display(path))
    if expect is not None and not isinstance(value, expect):
        kind = {dict: "an object", list: "an array"}.get(expect, expect.__name__)
        raise InputError(f"the {what} must be a JSON {kind.split()[-1]}, not {_kind(value)}",
                         where=f"{display(path)}:1:1")
    return value


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", dict: "an object", list: "an array",
            str: "text", type(None): "null"}.get(type(value), type(value).__name__)


# --- tables: CSV with a header, or JSON lines -------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row: ``line`` is the physical line (from 1), ``index`` counts data rows from 1.

    ``values`` is None when the row itself is malformed; ``error`` then says why and
    ``column`` where (a field name or a character column).
    """

    line: int
    index: int
    values: dict[str, Any] | None
    path: str
    error: str | None = None
    column: str = "-"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def fail(self, message: str, column: str | None = None) -> InputError:
        return InputError(message, where=f"{self.path}:{self.line}:{column or self.column}")


@dataclass(frozen=True)
class Table:
    path: str
    kind: str  # "csv" or "jsonl"
    header: tuple[str, ...]  # CSV header (normalised); () for JSON lines
    rows: Sequence[Row]


def read_table(path: str | Path, *, what: str = "file", columns: Sequence[str] | None = None,
               normalise: Any = None, allow_stdin: bool = False, json_lines: bool | None = None,
               require: tuple[Sequence[str], str, str | None] | None = None) -> Table:
    """Read a CSV (first line a header) or JSON-lines file into rows.

    ``columns``: the allowed CSV header names (after ``normalise``); an unknown or repeated
    column is refused. A CSV row with fewer or more values than the header, and a JSON line
    that is not an object (or repeats a key, or is nested too deep), becomes a :class:`Row`
    with ``error`` set; the caller decides whether to stop or to collect. Blank lines are
    skipped. JSON lines are chosen by the suffix (.jsonl, .ndjson) or a first ``{``.
    ``require`` = (names, message, hint): a CSV header naming none of ``names`` (an empty
    file, a file without a header) is refused with that message, before any other check.
    """
    name = display(path)
    text = read_text(path, what=what, allow_stdin=allow_stdin)
    if json_lines is None:
        json_lines = Path(str(path)).suffix.lower() in (".jsonl", ".ndjson") or text.lstrip()[:1] == "{"
    rows: list[Row] = []
    if json_lines:
        for n, line in enumerate(text.split("\n"), start=1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            try:
                obj = parse_json(line, name, first_line=n)
            except InputError as exc:
                rows.append(Row(n, len(rows) + 1, None, name, bare(exc), (exc.where or "").rsplit(":", 1)[-1]))
                continue
            if not isinstance(obj, dict):
                rows.append(Row(n, len(rows) + 1, None, name,
                                f"not a JSON object ({_kind(obj)}): each line must be one"))
                continue
            rows.append(Row(n, len(rows) + 1, obj, name))
        return Table(name, "jsonl", (), rows)
    if csv.field_size_limit() < MAX_CSV_FIELD:
        csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader)
    except StopIteration:
        raw_header = []
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", where=f"{name}:{reader.line_num or 1}:-") from None
    header = tuple((normalise or (lambda h: h.strip()))(h) for h in raw_header)
    if require is not None and not set(require[0]) & set(header):
        raise InputError(require[1], where=f"{name}:1:-", hint=require[2])
    if not header:
        return Table(name, "csv", (), [])
    seen: set[str] = set()
    for h in header:
        if not h:
            raise InputError("an empty column name in the header", where=f"{name}:1:-")
        if h in seen:
            raise InputError(f"column {h!r} appears twice in the header", where=f"{name}:1:{h}")
        seen.add(h)
        if columns is not None and h not in columns:
            raise InputError(f"unknown column {h!r} (allowed: {', '.join(columns)})", where=f"{name}:1:{h}")
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"not valid CSV ({exc})", where=f"{name}:{start}:-") from None
        line, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        index = len(rows) + 1
        if len(values) > len(header):
            rows.append(Row(line, index, None, name, f"{len(values)} values for {len(header)} columns: an extra value "
                                                     f"{values[len(header)]!r} after the last column {header[-1]!r}"))
        elif len(values) < len(header):
            rows.append(Row(line, index, None, name, f"{len(values)} values for {len(header)} columns: no value for "
                                                     f"{header[len(values)]!r}", header[len(values)]))
        else:
            rows.append(Row(line, index, dict(zip(header, values, strict=True)), name))
    return Table(name, "csv", header, rows)


# --- mapping everything else ---------------------------------------------------------------

READER_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, OverflowError, RecursionError,
                 UnicodeError, LookupError, ArithmeticError)
"""What reading (and ABI-encoding the values of) an untrusted document can raise; eth-abi's
EncodingError / DecodingError too (:func:`_abi_error`: matched by module, so that importing this
module does not import eth-abi, which costs a read command's start-up ~0.5 s of CPU)."""


def _abi_error(exc: BaseException) -> bool:
    return any(c.__module__ == "eth_abi.exceptions" and c.__name__ in ("EncodingError", "DecodingError")
               for c in type(exc).__mro__)


@contextlib.contextmanager
def guard(where: str, what: str = "input", hint: str | None = None) -> Iterator[None]:
    """Turn any exception a reader of untrusted data can raise into one InputError at ``where``."""
    try:
        yield
    except LedgerError:
        raise
    except KeyError as exc:
        raise InputError(f"{where}: the {what} lacks the field {str(exc.args[0])[:60]!r}" if exc.args else
                         f"{where}: the {what} lacks a field", hint=hint) from None
    except RecursionError:
        raise InputError(f"{where}: the {what} is nested too deep", hint=hint) from None
    except Exception as exc:
        if not isinstance(exc, READER_ERRORS) and not _abi_error(exc):
            raise
        detail = " ".join(str(exc).split())[:120]
        raise InputError(f"{where}: malformed {what} ({type(exc).__name__}: {detail})", hint=hint) from None


def require(doc: Any, key: str, kind: type | tuple[type, ...], where: str, what: str = "document") -> Any:
    """``doc[key]``, which must be of ``kind`` (a bool is not an int)."""
    if not isinstance(doc, dict) or key not in doc:
        raise InputError(f"{where}: the {what} lacks the field {key!r}")
    value = doc[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise InputError(f"{where}: {what} field {key!r} must be {' or '.join(k.__name__ for k in kinds)}, "
                         f"not {_kind(value)}")
    return value


__all__ = ["MAX_INPUT_BYTES", "MAX_JSON_DEPTH", "Row", "STDIN", "Table", "bare", "decode_text", "display",
           "file_sha256", "guard", "parse_json", "read_bytes", "read_json", "read_table", "read_text", "regular_file",
           "require"]
