"""The bad-input corpus: 200+ malformed inputs, generated from tables, for every command that reads input.

Each case builds its input files in a fresh folder, runs the CLI in-process against the
session's anvil node and expects: exit 2, one ``error:`` line (plus at most one ``hint:``)
that names the problem and, for files, where it is (``file:line:field``), no traceback,
and no new block and no new store file. See conftest.py for the machinery.

Cases that expose a bug in ledger/ are ``xfail(strict=True, reason="BUG: ...")``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.badinput.conftest import (
    CORPUS_MARK,
    Snapshot,
    World,
    assert_one_line_error,
    invoke,
    spawn,
)

ABSENT_CID = "bafkreid7qoywk77r7rj3slobqfekdvs57qwuwh5d2z3sqsw52iabe3mqne"  # sha-256 of nothing stored
TERMS_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # a well-formed CID (never read)


@dataclass
class Ctx:
    """What a case builder gets: a folder for its files and the world on chain."""

    dir: Path
    w: World

    def file(self, name: str, data: str | bytes) -> str:
        p = self.dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return str(p)

    def missing(self, name: str = "missing.txt") -> str:
        return str(self.dir / name)

    def folder(self, name: str = "a-folder") -> str:
        p = self.dir / name
        p.mkdir(exist_ok=True)
        return str(p)

    def dangling(self, name: str = "dangling-link") -> str:
        p = self.dir / name
        p.symlink_to(self.dir / "no-such-target")
        return str(p)

    def work(self, i: int = 1) -> str:
        return self.w.works[i]


Builder = Callable[[Ctx], tuple[list[str], tuple[str, ...]]]
"""ctx -> (argv, fragments that the error line must contain)."""


@dataclass(frozen=True)
class Case:
    id: str
    build: Builder
    bug: str | None = None  # xfail(strict) reason, "BUG: ..."
    subprocess: bool = False  # also run as a real subprocess and compare
    extra_env: dict[str, str] = field(default_factory=dict)


CASES: list[Case] = []


def case(id: str, build: Builder, bug: str | None = None, subprocess: bool = False) -> None:
    assert all(c.id != id for c in CASES), id
    CASES.append(Case(id, build, bug, subprocess))


# --- known bugs: none open in this corpus (fixed ones are listed in docs/RELIABILITY.md) ------


# --- catalogues: work register-batch ---------------------------------------------------------

CAT_COLUMNS = ["sha256", "title", "creators", "type", "creation", "holders", "date", "isrc", "iswc", "isbn", "models"]


def _good_row(seed: str) -> dict[str, Any]:
    import hashlib

    return {"sha256": hashlib.sha256(f"{seed}-{time.time_ns()}".encode()).hexdigest(), "title": "A Song",
            "creators": "Ana Lima:composer;Rui Sa:lyricist", "type": "music", "creation": "human", "holders": "",
            "date": "2024-03-01", "isrc": "", "iswc": "", "isbn": "", "models": ""}


def _csv_text(rows: list[dict[str, Any]], columns: list[str] = CAT_COLUMNS, eol: str = "\n") -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator=eol, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _jsonl_text(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n" for r in rows)


def _w(name: str) -> Callable[[World], str]:
    return lambda w: w.addresses[name]


# (id, column, value: str or fn(world) -> str, fragment of the message, extra row changes)
ROW_MUTATIONS: list[tuple[str, str, Any, str, dict[str, Any]]] = [
    ("sha256-not-hex", "sha256", "xyz", "not a sha-256", {}),
    ("sha256-63", "sha256", "ab" * 31 + "a", "not a sha-256", {}),
    ("sha256-65", "sha256", "ab" * 32 + "a", "not a sha-256", {}),
    ("sha256-g", "sha256", "0x" + "g" * 64, "not a sha-256", {}),
    ("sha256-32", "sha256", "ab" * 16, "not a sha-256", {}),
    ("sha256-zero", "sha256", "0" * 64, "all-zero", {}),  # the contract refuses it: found by the fuzzer, stop 24
    ("sha256-zero-0x", "sha256", "0x" + "0" * 64, "all-zero", {}),
    ("sha256-space-inside", "sha256", "ab" * 16 + " " + "ab" * 16, "not a sha-256", {}),
    ("no-content", "file", "", "needs `file`", {"sha256": ""}),
    ("file-and-sha", "sha256", None, "not both", {"file": "x.bin"}),
    ("title-empty", "title", "", "title is required", {}),
    ("title-blank", "title", "   ", "title is required", {}),
    ("title-501", "title", "x" * 501, "title", {}),
    ("creators-empty", "creators", "", "creator", {}),
    ("creators-bad-role", "creators", "Ana:singer", "role 'singer'", {}),
    ("creators-blank-name", "creators", " :author", "creators", {}),
    ("type-empty", "type", "", "work type is required", {}),
    ("type-unknown", "type", "symphony", "symphony", {}),
    ("type-number", "type", "7", "type", {}),
    ("creation-unknown", "creation", "robot", "robot", {}),
    ("ai-without-models", "models", "", "needs the AI models", {"creation": "ai-assisted"}),
    ("human-with-models", "models", "gpt@4", "only for ai-assisted", {}),
    ("holder-short-address", "holders", "0x1234:10000", "0xADDRESS:BASIS_POINTS", {}),
    ("holder-non-hex", "holders", "0x" + "zz" * 20 + ":10000", "0xADDRESS:BASIS_POINTS", {}),
    ("holder-bad-checksum", "holders", lambda w: w.bad_checksum() + ":10000", "0xADDRESS:BASIS_POINTS", {}),
    ("holder-no-colon", "holders", _w("alice"), "0xADDRESS:BASIS_POINTS", {}),
    ("holder-bps-0", "holders", lambda w: f"{w.alice}:0", "between 1 and 10000", {}),
    ("holder-bps-negative", "holders", lambda w: f"{w.alice}:-5", "between 1 and 10000", {}),
    ("holder-bps-10001", "holders", lambda w: f"{w.alice}:10001", "between 1 and 10000", {}),
    ("holder-bps-text", "holders", lambda w: f"{w.alice}:abc", "not a whole number", {}),
    ("holder-bps-decimal", "holders", lambda w: f"{w.alice}:99.5", "not a whole number", {}),
    ("holder-sum-low", "holders", lambda w: f"{w.alice}:5000", "sum to 5000", {}),
    ("holder-sum-high", "holders", lambda w: f"{w.alice}:5000;{w.addresses['bob']}:6000", "sum to 11000", {}),
    ("holder-twice", "holders", lambda w: f"{w.alice}:5000;{w.alice}:5000", "listed twice", {}),
    ("holder-not-signer", "holders", lambda w: f"{w.addresses['bob']}:10000", "not among the holders", {}),
    ("holder-17", "holders", lambda w: ";".join(f"0x{i:040x}:{625}" for i in range(1, 17)) + f";{w.alice}:0",
     "holders", {}),
    ("holder-zero-address", "holders", "0x" + "0" * 40 + ":10000", "zero address", {}),
    ("date-future", "date", "9999-12-31", "in the future", {}),
    ("date-month-13", "date", "2024-13-01", "2024-13-01", {}),
    ("date-feb-30", "date", "2024-02-30", "real calendar date", {}),
    ("date-word", "date", "yesterday", "yesterday", {}),
    ("date-slashes", "date", "2024/03/01", "2024/03/01", {}),
    ("date-dmy", "date", "01-03-2024", "01-03-2024", {}),
    ("date-compact", "date", "20240301", "20240301", {}),
    ("isrc-short", "isrc", "bad", "ISRC", {}),
    ("isrc-hyphens", "isrc", "US-ABC-24-00001", "ISRC", {}),
    ("iswc-bad", "iswc", "T-12", "ISWC", {}),
    ("isbn-bad", "isbn", "12345", "ISBN", {}),
]


def _catalogue_case(fmt: str, mid: str, column: str, value: Any, fragment: str, extra: dict[str, Any]) -> Builder:
    def build(ctx: Ctx) -> tuple[list[str], tuple[str, ...]]:
        good, bad = _good_row("good"), _good_row("bad")
        bad.update(extra)
        if value is not None:
            bad[column] = value(ctx.w) if callable(value) else value
        if fmt == "csv":
            path, line = ctx.file("catalogue.csv", _csv_text([good, bad], CAT_COLUMNS + ["file"])), 3
        else:
            path, line = ctx.file("catalogue.jsonl", _jsonl_text([good, bad])), 2
        return ["--as", "alice", "work", "register-batch", path], (f"{path}:{line}:{column}", fragment)

    return build


for _fmt in ("csv", "jsonl"):
    for _mid, _col, _val, _frag, _extra in ROW_MUTATIONS:
        case(f"register-batch-{_fmt}-{_mid}", _catalogue_case(_fmt, _mid, _col, _val, _frag, _extra),
             )


def _signer_without_holder_role(ctx: Ctx) -> tuple[list[str], tuple[str, ...]]:
    """Rows the contract refuses (the signer lacks the HOLDER role): nothing may reach the store."""
    rows = [{**_good_row(f"rando-{i}"), "holders": f"{ctx.w.addresses['rando']}:10000"} for i in range(3)]
    path = ctx.file("catalogue.csv", _csv_text(rows))
    return ["--as", "rando", "work", "register-batch", path], ("HOLDER",)


case("register-batch-signer-without-holder-role", _signer_without_holder_role)


def _cat_raw(name: str, data: Callable[[Ctx], str | bytes], fragments: Callable[[str], tuple[str, ...]]) -> Builder:
    def build(ctx: Ctx) -> tuple[list[str], tuple[str, ...]]:
        path = ctx.file(name, data(ctx))
        return ["--as", "alice", "work", "register-batch", path], fragments(path)

    return build


def _row(**changes: Any) -> dict[str, Any]:
    r = _good_row("raw")
    r.update(changes)
    return r


HDR = ",".join(CAT_COLUMNS) + "\n"
case("register-batch-empty-file", _cat_raw("cat.csv", lambda c: "", lambda p: (p, "no rows")))
case("register-batch-whitespace-only", _cat_raw("cat.csv", lambda c: "\n \n\t\n", lambda p: (p, "no rows")))
case("register-batch-header-only", _cat_raw("cat.csv", lambda c: HDR, lambda p: (p, "no rows")))
case("register-batch-bom-header-only", _cat_raw("cat.csv", lambda c: "\ufeff" + HDR, lambda p: (p, "no rows")))
case("register-batch-jsonl-empty", _cat_raw("cat.jsonl", lambda c: "", lambda p: (p, "no rows")))
case("register-batch-bom-bad-row", _cat_raw(
    "cat.csv", lambda c: "\ufeff" + _csv_text([_row(), _row(type="opera")]), lambda p: (f"{p}:3:type", "opera")))
case("register-batch-crlf-bad-row", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row(), _row(), _row(date="2024-99-99")], eol="\r\n"),
    lambda p: (f"{p}:4:date",)))
case("register-batch-crlf-quoted-newline-bad-row", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row(title="Two\r\nlines"), _row(isrc="nope")], eol="\r\n"),
    lambda p: (f"{p}:4:isrc",)))
case("register-batch-non-utf8", _cat_raw(
    "cat.csv", lambda c: HDR.encode() + b"\xff\xfe\xfa," + _csv_text([_row()]).split("\n")[1].encode()[1:],
    lambda p: (p, "not UTF-8")))
case("register-batch-latin1-title", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row(title="Canção")]).encode("latin-1"), lambda p: (p, "not UTF-8")))
case("register-batch-utf16", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row()]).encode("utf-16"), lambda p: (p, "not UTF-8")))
case("register-batch-nul-byte", _cat_raw("cat.csv", lambda c: HDR + "\x00\n", lambda p: (f"{p}:2:",)))
case("register-batch-stray-quote", _cat_raw(
    "cat.csv", lambda c: HDR + '"' + _csv_text([_row()]).split("\n", 1)[1], lambda p: (f"{p}:2:",)))
case("register-batch-unknown-column", _cat_raw(
    "cat.csv", lambda c: "sha256,title,colour\n" + "ab" * 32 + ",T,red\n", lambda p: (f"{p}:1:colour", "unknown")))
case("register-batch-too-many-values", _cat_raw(
    "cat.csv", lambda c: "sha256,title,creators,type\n" + "ab" * 32 + ",T,A:author,music,extra\n",
    lambda p: (f"{p}:2:", "5 values for 4 columns")))
case("register-batch-duplicate-rows-disagree", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row(sha256="cd" * 32, title="One"), _row(sha256="cd" * 32, title="Two")]),
    lambda p: (f"{p}:3:sha256", "line 2")))
case("register-batch-1mb-title-csv", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row(), _row(title="x" * 1_000_000)]), lambda p: (f"{p}:3:title",)))
case("register-batch-1mb-title-jsonl", _cat_raw(
    "cat.jsonl", lambda c: _jsonl_text([_row(), _row(title="x" * 1_000_000)]), lambda p: (f"{p}:2:title",)))
case("register-batch-file-missing", _cat_raw(
    "cat.csv", lambda c: _csv_text([_row(sha256="", file="nope.bin")], CAT_COLUMNS + ["file"]),
    lambda p: (f"{p}:2:file", "no such file")))
case("register-batch-file-is-directory", _cat_raw(
    "cat.csv", lambda c: (c.folder("sub"), _csv_text([_row(sha256="", file="sub")], CAT_COLUMNS + ["file"]))[1],
    lambda p: (f"{p}:2:file", "directory")))
case("register-batch-file-dangling-link", _cat_raw(
    "cat.csv", lambda c: (c.dangling("ln"), _csv_text([_row(sha256="", file="ln")], CAT_COLUMNS + ["file"]))[1],
    lambda p: (f"{p}:2:file", "no such file")))
case("register-batch-jsonl-not-json", _cat_raw(
    "cat.jsonl", lambda c: _jsonl_text([_row()]) + '{"sha256": "ab\n', lambda p: (f"{p}:2:", "not JSON")))
case("register-batch-jsonl-array", _cat_raw(
    "cat.jsonl", lambda c: _jsonl_text([_row()]) + "[1, 2]\n", lambda p: (f"{p}:2:", "JSON object")))
case("register-batch-jsonl-string", _cat_raw(
    "cat.jsonl", lambda c: '"just text"\n', lambda p: (f"{p}:1:", "JSON object")))
case("register-batch-jsonl-unknown-field", _cat_raw(
    "cat.jsonl", lambda c: _jsonl_text([{**_row(), "colour": "red"}]), lambda p: (f"{p}:1:colour", "unknown")))
case("register-batch-jsonl-sha-int", _cat_raw(
    "cat.jsonl", lambda c: json.dumps({**_row(), "sha256": 12345}) + "\n", lambda p: (f"{p}:1:sha256",)))
case("register-batch-jsonl-holders-object", _cat_raw(
    "cat.jsonl", lambda c: json.dumps({**_row(), "holders": {"a": 1}}) + "\n", lambda p: (f"{p}:1:holders",)))
case("register-batch-jsonl-creators-null", _cat_raw(
    "cat.jsonl", lambda c: json.dumps({**_row(), "creators": None}) + "\n", lambda p: (f"{p}:1:creators",)))
case("register-batch-jsonl-duplicate-disagree", _cat_raw(
    "cat.jsonl", lambda c: _jsonl_text([_row(sha256="ef" * 32), _row(sha256="ef" * 32, type="text")]),
    lambda p: (f"{p}:2:sha256", "line 1")))
case("register-batch-jsonl-non-utf8", _cat_raw(
    "cat.jsonl", lambda c: b'{"title": "\xff\xfe"}\n', lambda p: (p, "not UTF-8")))
for _name, _val in (("object", {"x": 1}), ("bool", True), ("list", ["a", "b"])):
    case(f"register-batch-jsonl-title-{_name}", _cat_raw(
        "cat.jsonl", lambda c, v=_val: json.dumps({**_row(), "title": v}) + "\n", lambda p: (f"{p}:1:title",)))
case("register-batch-jsonl-creators-numbers", _cat_raw(
    "cat.jsonl", lambda c: json.dumps({**_row(), "creators": [1, 2]}) + "\n", lambda p: (f"{p}:1:creators",)))
case("register-batch-jsonl-date-number", _cat_raw(
    "cat.jsonl", lambda c: json.dumps({**_row(), "date": 20240301}) + "\n", lambda p: (f"{p}:1:date", "text")))
case("register-batch-missing", lambda c: (["--as", "alice", "work", "register-batch", c.missing()],
                                          (c.missing(), "no such file")), subprocess=True)
case("register-batch-directory", lambda c: (["--as", "alice", "work", "register-batch", c.folder()],
                                            (c.folder(), "directory")))
case("register-batch-dangling", lambda c: (["--as", "alice", "work", "register-batch", c.dangling()],
                                           (str(c.dir / "dangling-link"), "no such file")))
case("register-batch-batch-size-0", lambda c: (
    ["--as", "alice", "work", "register-batch", c.file("c.csv", _csv_text([_row()])), "--batch-size", "0"],
    ("batch-size",)))


# --- usage reports: usage report --------------------------------------------------------------

U_COLUMNS = ["work", "use", "quantity", "usedAt", "basis", "territory", "amount"]


def _u_good(ctx: Ctx) -> dict[str, Any]:
    return {"work": ctx.work(1), "use": "perform", "quantity": "2", "usedAt": str(ctx.w.used_at),
            "basis": str(ctx.w.licence), "territory": "", "amount": ""}


# (id, column, bad value, fragment of the refusal reason); the bad line is data line 2
USAGE_MUTATIONS: list[tuple[str, str, Any, str]] = [
    ("work-empty", "work", "", "no work id"),
    ("work-short", "work", "0x12", "64-hex-digit"),
    ("work-not-hex", "work", "zz" * 32, "64-hex-digit"),
    ("work-65", "work", "ab" * 32 + "a", "64-hex-digit"),
    ("use-empty", "use", "", "unknown use"),
    ("use-unknown", "use", "flying", "unknown use 'flying'"),
    ("use-upper", "use", "PERFORM", "unknown use 'PERFORM'"),
    ("quantity-zero", "quantity", "0", "must be positive"),
    ("quantity-negative", "quantity", "-3", "must be positive"),
    ("quantity-text", "quantity", "abc", "not a whole number"),
    ("quantity-decimal-text", "quantity", "1.5", "not a whole number"),
    ("quantity-2e64", "quantity", str(2**64), "must be positive"),
    ("usedat-empty", "usedAt", "", "no usedAt"),
    ("usedat-word", "usedAt", "notadate", "not a date"),
    ("usedat-month-13", "usedAt", "2024-13-01", "not a date"),
    ("usedat-slashes", "usedAt", "2024/01/01", "not a date"),
    ("usedat-too-big", "usedAt", str(2**40), "out of range"),
    ("basis-word", "basis", "whatever", "neither 'statutory' nor a licence id"),
    ("basis-hash-word", "basis", "#abc", "neither 'statutory' nor a licence id"),
    ("territory-3", "territory", "USA", "not an ISO alpha-2"),
    ("territory-digit", "territory", "1A", "not an ISO alpha-2"),
    ("territory-1", "territory", "Z", "not an ISO alpha-2"),
    ("territory-cjk", "territory", "中国", "not an ISO alpha-2"),
    ("amount-negative", "amount", "-1", "out of range"),
    ("amount-text", "amount", "ten", "not a whole number"),
    ("amount-2e128", "amount", str(2**128), "out of range"),
]
USAGE_JSON_ONLY: list[tuple[str, str, Any, str, str | None]] = [
    ("work-int", "work", 12345, "64-hex-digit", None),
    ("use-list", "use", ["perform"], "unknown use", None),
    ("usedat-bool", "usedAt", True, "not a time", None),
    ("quantity-float", "quantity", 1.5, "whole number", None),
    ("quantity-bool", "quantity", True, "whole number", None),
    ("quantity-object", "quantity", {"n": 1}, "whole number", None),
    ("amount-float", "amount", 1.5, "whole number", None),
    ("amount-bool", "amount", True, "whole number", None),
]


def _usage_argv(path: str, *extra: str) -> list[str]:
    return ["--as", "licensee", "usage", "report", path, "--period", "202501", *extra]


def _usage_case(fmt: str, column: str, value: Any, fragment: str) -> Builder:
    def build(ctx: Ctx) -> tuple[list[str], tuple[str, ...]]:
        good, bad = _u_good(ctx), _u_good(ctx)
        bad[column] = value
        if fmt == "csv":
            text = ",".join(U_COLUMNS) + "\n" + "".join(",".join(str(r[k]) for k in U_COLUMNS) + "\n"
                                                         for r in (good, bad))
            path = ctx.file("report.csv", text)
        else:
            path = ctx.file("report.jsonl", "".join(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n"
                                                    for r in (good, bad)))
        # --json: the refused lines go to stdout as JSON, stderr keeps the one error line
        return _usage_argv(path, "--json"), ("1 of 2 usage lines refused", "line 2", fragment)

    return build


for _fmt in ("csv", "jsonl"):
    for _mid, _col, _val, _frag in USAGE_MUTATIONS:
        case(f"usage-report-{_fmt}-{_mid}", _usage_case(_fmt, _col, _val, _frag),
             subprocess=(_fmt, _mid) == ("csv", "territory-3"))
for _mid, _col, _val, _frag, _bug in USAGE_JSON_ONLY:
    case(f"usage-report-jsonl-{_mid}", _usage_case("jsonl", _col, _val, _frag), bug=_bug)


def _u_raw(name: str, data: Callable[[Ctx], str | bytes], fragments: Callable[[str], tuple[str, ...]],
           json_out: bool = True) -> Builder:
    def build(ctx: Ctx) -> tuple[list[str], tuple[str, ...]]:
        path = ctx.file(name, data(ctx))
        return _usage_argv(path, *(["--json"] if json_out else [])), fragments(path)

    return build


def _u_line(ctx: Ctx, **changes: Any) -> str:
    r = {**_u_good(ctx), **changes}
    return ",".join(str(r[k]) for k in U_COLUMNS) + "\n"


UHDR = ",".join(U_COLUMNS) + "\n"
case("usage-report-empty-file", _u_raw("r.csv", lambda c: "", lambda p: (p, "header with a 'work' column")))
case("usage-report-header-only", _u_raw("r.csv", lambda c: UHDR, lambda p: ("no lines",)))
case("usage-report-jsonl-empty", _u_raw("r.jsonl", lambda c: "", lambda p: ("no lines",)))
case("usage-report-no-work-column", _u_raw(
    "r.csv", lambda c: "title,use,quantity\nx,perform,1\n", lambda p: (p, "'work' column")))
case("usage-report-headerless", _u_raw("r.csv", lambda c: _u_line(c), lambda p: (p, "'work' column")))
case("usage-report-bom", _u_raw(
    "r.csv", lambda c: "\ufeff" + UHDR + _u_line(c) + _u_line(c, use="flying"), lambda p: ("line 2", "flying")))
case("usage-report-crlf-bad-line", _u_raw(
    "r.csv", lambda c: (UHDR + _u_line(c) + _u_line(c, quantity="x")).replace("\n", "\r\n"),
    lambda p: ("line 2", "quantity")))
case("usage-report-stray-quote", _u_raw(
    "r.csv", lambda c: UHDR + '"' + _u_line(c), lambda p: ("line 1",)))
case("usage-report-non-utf8", _u_raw(
    "r.csv", lambda c: UHDR.encode() + b"\xff\xfe,perform,1,1\n", lambda p: (p, "UTF-8")))
case("usage-report-jsonl-non-utf8", _u_raw(
    "r.jsonl", lambda c: b'{"work": "\xff"}\n', lambda p: (p, "UTF-8")))
case("usage-report-jsonl-not-json", _u_raw(
    "r.jsonl", lambda c: json.dumps(_u_good(c)) + "\n{\"work\": \n", lambda p: ("line 2", "not JSON")))
case("usage-report-jsonl-array", _u_raw(
    "r.jsonl", lambda c: json.dumps(_u_good(c)) + "\n[1, 2]\n", lambda p: ("line 2", "not a JSON object")))
case("usage-report-extra-column", _u_raw(
    "r.csv", lambda c: UHDR + _u_line(c).rstrip("\n") + ",surplus\n", lambda p: ("line 1",)))
case("usage-report-unknown-column", _u_raw(
    "r.csv", lambda c: UHDR.rstrip("\n") + ",colour\n" + _u_line(c).rstrip("\n") + ",red\n",
    lambda p: (f"{p}:1", "unknown column 'colour'")))
case("usage-report-not-covered", _u_raw(
    "r.csv", lambda c: UHDR + _u_line(c, use="broadcast", basis=""), lambda p: ("line 1", "not covered")))
case("usage-report-missing", lambda c: (_usage_argv(c.missing()), (c.missing(), "no such file")))
case("usage-report-directory", lambda c: (_usage_argv(c.folder()), (c.folder(), "directory")))
case("usage-report-dangling", lambda c: (_usage_argv(c.dangling()), (str(c.dir / "dangling-link"), "no such file")))
case("usage-report-period-0", lambda c: (
    ["--as", "licensee", "usage", "report", c.file("r.csv", UHDR + _u_line(c)), "--period", "0"], ("period 0",)))
case("usage-report-cmo-short", lambda c: (
    _usage_argv(c.file("r.csv", UHDR + _u_line(c)), "--cmo", "0x1234"), ("CMO '0x1234'", "Ethereum address")))
case("usage-report-cmo-bad-checksum", lambda c: (
    _usage_argv(c.file("r.csv", UHDR + _u_line(c)), "--cmo", c.w.bad_checksum("cmo")), ("Ethereum address",)))
case("usage-report-cmo-unknown-name", lambda c: (
    _usage_argv(c.file("r.csv", UHDR + _u_line(c)), "--cmo", "nobody"), ("nobody",)))
case("usage-report-period-text", lambda c: (
    ["--as", "licensee", "usage", "report", c.file("r.csv", UHDR + _u_line(c)), "--period", "jan"], ("period",)))


# --- usage record -----------------------------------------------------------------------------


def _record(ctx: Ctx, **opts: str) -> list[str]:
    o = {"work": ctx.work(1), "--use": "perform", "--period": "202501", "--at": str(ctx.w.used_at), **opts}
    argv = ["--as", "licensee", "usage", "record", o.pop("work")]
    for k, v in o.items():
        argv += [k, v]
    return argv


RECORD_BAD: list[tuple[str, dict[str, str], tuple[str, ...], str | None]] = [
    ("work-short", {"work": "0x12"}, ("'0x12'", "malformed"), None),
    ("work-not-hex", {"work": "zz" * 32}, ("malformed",), None),
    ("work-65", {"work": "ab" * 32 + "c"}, ("malformed",), None),
    ("work-empty", {"work": ""}, ("work id ''", "malformed"), None),
    ("use-unknown", {"--use": "flying"}, ("unknown use 'flying'",), None),
    ("use-upper", {"--use": "Perform"}, ("unknown use",), None),
    ("quantity-0", {"--quantity": "0"}, ("quantity 0",), None),
    ("quantity-negative", {"--quantity": "-4"}, ("quantity -4",), None),
    ("quantity-text", {"--quantity": "many"}, ("quantity",), None),
    ("at-word", {"--at": "someday"}, ("not a date",), None),
    ("at-month-13", {"--at": "2024-13-01"}, ("not a date",), None),
    ("at-too-big", {"--at": str(2**41)}, ("out of range",), None),
    ("territory-3", {"--territory": "CHN"}, ("territory 'CHN'",), None),
    ("territory-digits", {"--territory": "12"}, ("territory '12'",), None),
    ("basis-word", {"--basis": "my-licence"}, ("basis 'my-licence'",), None),
    ("amount-negative", {"--amount": "-1"}, ("amount -1",), None),
    ("period-0", {"--period": "0"}, ("period 0",), None),
    ("period-2e32", {"--period": str(2**32)}, ("YYYYMM",), None),
    ("cmo-short", {"--cmo": "0xabc"}, ("CMO '0xabc'",), None),
    ("cmo-unknown-name", {"--cmo": "nobody"}, ("nobody",), None),
    ("not-covered", {"--use": "broadcast"}, ("not covered",), None),
]
for _mid, _opts, _frags, _bug in RECORD_BAD:
    case(f"usage-record-{_mid}", lambda c, o=_opts, f=_frags: (_record(c, **o), f), bug=_bug,
         subprocess=_mid == "at-word")


# --- licence grant ----------------------------------------------------------------------------


def _grant(ctx: Ctx, *extra: str, licensee: str = "licensee", work: bool = True) -> list[str]:
    argv = ["--as", "alice", "licence", "grant", licensee, "--use", "perform", "--terms-cid", TERMS_CID]
    return argv + (["--work", ctx.work(2)] if work else []) + list(extra)


GRANT_BAD: list[tuple[str, Callable[[Ctx], list[str]], tuple[str, ...], str | None]] = [
    ("work-short", lambda c: _grant(c, "--work", "0x12", work=False), ("'0x12'", "malformed"), None),
    ("work-not-hex", lambda c: _grant(c, "--work", "xy" * 32, work=False), ("malformed",), None),
    ("work-65", lambda c: _grant(c, "--work", "ab" * 32 + "1", work=False), ("malformed",), None),
    ("no-works", lambda c: _grant(c, work=False), ("name the works",), None),
    ("repertoire-and-work", lambda c: _grant(c, "--repertoire"), ("--repertoire takes no works",), None),
    ("licensee-short", lambda c: _grant(c, licensee="0x1234"), ("licensee '0x1234'",), None),
    ("licensee-non-hex", lambda c: _grant(c, licensee="0x" + "q" * 40), ("Ethereum address",), None),
    ("licensee-bad-checksum", lambda c: _grant(c, licensee=c.w.bad_checksum("licensee")), ("Ethereum address",),
     None),
    ("licensee-unknown-name", lambda c: _grant(c, licensee="nobody"), ("nobody",), None),
    ("start-month-13", lambda c: _grant(c, "--start", "2024-13-01"), ("not a date: '2024-13-01'",), None),
    ("start-word", lambda c: _grant(c, "--start", "soon"), ("not a date: 'soon'",), None),
    ("end-before-start", lambda c: _grant(c, "--start", "2025-01-02", "--end", "2025-01-01"),
     ("end is not after its start",), None),
    ("end-slashes", lambda c: _grant(c, "--end", "2030/01/01"), ("not a date",), None),
    ("territory-3", lambda c: _grant(c, "--territory", "USA"), ("territory 'USA'",), None),
    ("territory-digits", lambda c: _grant(c, "--territory", "C1"), ("territory 'C1'",), None),
    ("territory-list-bad", lambda c: _grant(c, "--territory", "CN,XXX"), ("territory 'XXX'",), None),
    ("flat-fee-negative", lambda c: _grant(c, "--flat-fee", "-1"), ("flat fee",), None),
    ("rate-negative", lambda c: _grant(c, "--rate", "-1"), ("rate per use",), None),
    ("flat-fee-2e96", lambda c: _grant(c, "--flat-fee", str(2**96)), ("flat fee",), None),
    ("terms-cid-short", lambda c: _grant(c, "--terms-cid", "bafybad"), ("invalid CID 'bafybad'",), None),
    ("terms-cid-v0", lambda c: _grant(c, "--terms-cid", "Qm" + "a" * 44), ("CIDv0",), None),
    ("terms-cid-garbage", lambda c: _grant(c, "--terms-cid", "not-a-cid"), ("invalid CID",), None),
    ("use-unknown", lambda c: _grant(c, "--use", "flying"), ("use",), None),
    ("flat-fee-text", lambda c: _grant(c, "--flat-fee", "free"), ("flat-fee",), None),
    ("works-file-missing", lambda c: _grant(c, "--works-file", c.missing(), work=False), ("no such file",), None),
    ("works-file-directory", lambda c: _grant(c, "--works-file", c.folder(), work=False), ("directory",), None),
    ("works-file-dangling", lambda c: _grant(c, "--works-file", c.dangling(), work=False), ("no such file",), None),
    ("works-file-non-utf8", lambda c: _grant(c, "--works-file", c.file("w.txt", b"\xff\xfe\n"), work=False),
     ("w.txt", "UTF-8"), None),
    ("works-file-bad-line", lambda c: _grant(c, "--works-file", c.file("w.txt", f"{c.work(1)}\n0xnothex\n"),
                                             work=False), ("w.txt:2", "malformed"), None),
    ("works-file-501", lambda c: _grant(c, "--works-file", c.file("w.txt", "".join(
        f"{i:064x}\n" for i in range(1, 502))), work=False), ("501 works",), None),
    ("works-file-empty", lambda c: _grant(c, "--works-file", c.file("w.txt", ""), work=False),
     ("name the works",), None),
    ("unregistered-work", lambda c: _grant(c, "--work", "0x" + "5a" * 32, work=False), ("0x" + "5a" * 32,), None),
    ("unregistered-work-stored-terms", lambda c: ["--as", "alice", "licence", "grant", "licensee", "--use", "perform",
                                                  "--work", "0x" + "5b" * 32, "--terms", "Terms text"],
     ("0x" + "5b" * 32,), None),
]
for _mid, _b, _frags, _bug in GRANT_BAD:
    case(f"licence-grant-{_mid}", lambda c, b=_b, f=_frags: (b(c), f), bug=_bug,
         subprocess=_mid == "territory-3")


# --- licence check / status -------------------------------------------------------------------


def _check(path: str, licensee: str = "licensee") -> list[str]:
    return ["licence", "check", path, "--licensee", licensee]


CHECK_BAD: list[tuple[str, Callable[[Ctx], tuple[list[str], tuple[str, ...]]], str | None]] = [
    ("missing", lambda c: (_check(c.missing()), (c.missing(), "no such file")), None),
    ("directory", lambda c: (_check(c.folder()), (c.folder(), "directory")), None),
    ("dangling", lambda c: (_check(c.dangling()), ("dangling-link",)), None),
    ("empty", lambda c: (_check(c.file("q.csv", "")), ("q.csv:1", "header")), None),
    ("no-use-column", lambda c: (_check(c.file("q.csv", f"work\n{c.work()}\n")), ("q.csv:1", "header")), None),
    ("bad-work", lambda c: (_check(c.file("q.csv", f"work,use\n{c.work()},perform\n0x12,perform\n")),
                            ("q.csv:3", "malformed")), None),
    ("bad-use", lambda c: (_check(c.file("q.csv", f"work,use\n{c.work()},flying\n")), ("q.csv:2", "flying")), None),
    ("bad-at", lambda c: (_check(c.file("q.csv", f"work,use,at\n{c.work()},perform,later\n")),
                          ("q.csv:2", "not a date")), None),
    ("bad-territory", lambda c: (_check(c.file("q.csv", f"work,use,territory\n{c.work()},perform,EUR\n")),
                                 ("q.csv:2", "EUR")), None),
    ("crlf-bad-use", lambda c: (_check(c.file("q.csv", f"work,use\r\n{c.work()},perform\r\n{c.work()},fly\r\n")),
                                ("q.csv:3", "fly")), None),
    ("jsonl-not-json", lambda c: (_check(c.file("q.jsonl", json.dumps({"work": c.work(), "use": "perform"})
                                                + "\n{oops\n")), ("q.jsonl:2", "not JSON")), None),
    ("jsonl-array", lambda c: (_check(c.file("q.jsonl", json.dumps({"work": c.work(), "use": "perform"})
                                             + "\n[1]\n")), ("q.jsonl:2", "JSON object")), None),
    ("jsonl-work-int", lambda c: (_check(c.file("q.jsonl", '{"work": 7, "use": "perform"}\n')),
                                  ("q.jsonl:1", "malformed")), None),
    ("non-utf8", lambda c: (_check(c.file("q.csv", b"work,use\n\xff\xfe,perform\n")), ("q.csv", "UTF-8")),
     None),
    ("licensee-short", lambda c: (_check(c.file("q.csv", f"work,use\n{c.work()},perform\n"), "0x99"),
                                  ("licensee '0x99'",)), None),
    ("licensee-unknown", lambda c: (_check(c.file("q.csv", f"work,use\n{c.work()},perform\n"), "nobody"),
                                    ("nobody",)), None),
]
for _mid, _b, _bug in CHECK_BAD:
    case(f"licence-check-{_mid}", _b, bug=_bug)


def _status(ctx: Ctx, work: str | None = None, licensee: str = "licensee", *extra: str) -> list[str]:
    return ["licence", "status", work or ctx.work(1), licensee, "--use", "perform", *extra]


STATUS_BAD: list[tuple[str, Callable[[Ctx], list[str]], tuple[str, ...], str | None]] = [
    ("work-short", lambda c: _status(c, "0x12"), ("malformed",), None),
    ("work-not-hex", lambda c: _status(c, "g" * 64), ("malformed",), None),
    ("work-65", lambda c: _status(c, "a" * 65), ("malformed",), None),
    ("licensee-short", lambda c: _status(c, None, "0xABCDEF"), ("licensee '0xABCDEF'",), None),
    ("licensee-bad-checksum", lambda c: _status(c, None, c.w.bad_checksum("licensee")), ("Ethereum address",),
     None),
    ("licensee-unknown", lambda c: _status(c, None, "nobody"), ("nobody",), None),
    ("at-word", lambda c: _status(c, None, "licensee", "--at", "garbage"), ("not a date: 'garbage'",), None),
    ("at-month-13", lambda c: _status(c, None, "licensee", "--at", "2024-13-40"), ("not a date",), None),
    ("territory-3", lambda c: _status(c, None, "licensee", "--territory", "XYZ"), ("territory 'XYZ'",), None),
    ("territory-digit", lambda c: _status(c, None, "licensee", "--territory", "9"), ("territory '9'",), None),
    ("use-unknown", lambda c: ["licence", "status", c.work(1), "licensee", "--use", "flying"], ("use",), None),
]
for _mid, _b, _frags, _bug in STATUS_BAD:
    case(f"licence-status-{_mid}", lambda c, b=_b, f=_frags: (b(c), f), bug=_bug)


# --- verify, store add / cat, work show / transfer, account grant-role ---------------------

case("verify-missing", lambda c: (["verify", c.missing()], (c.missing(), "no such file")))
case("verify-directory", lambda c: (["verify", c.folder()], (c.folder(), "directory")))
case("verify-dangling", lambda c: (["verify", c.dangling()], ("dangling-link", "no such file")))
case("verify-nothing", lambda c: (["verify"], ("exactly one of",)))
case("verify-file-and-qr", lambda c: (["verify", c.file("f.txt", "x"), "--qr-payload", "{}"], ("exactly one of",)))
case("verify-qr-not-json", lambda c: (["verify", "--qr-payload", "{bad"], ("not JSON",)))
case("verify-qr-array", lambda c: (["verify", "--qr-payload", "[1, 2]"], ("QR payload",)))
case("verify-qr-empty-object", lambda c: (["verify", "--qr-payload", "{}"], ("QR payload",)))
case("verify-certificate-missing", lambda c: (["verify", "--certificate", c.missing("c.pdf")], ("c.pdf",)))
case("verify-certificate-not-pdf", lambda c: (["verify", "--certificate", c.file("c.pdf", "plain text")],
                                              ("c.pdf", "not a readable PDF")))
case("verify-certificate-directory", lambda c: (["verify", "--certificate", c.folder()], (c.folder(),)))
case("verify-bracket-name", lambda c: (["verify", c.missing("[/draft].txt")], ("[/draft].txt", "no such file")))

case("store-add-missing", lambda c: (["store", "add", c.missing()], (c.missing(), "no such file")))
case("store-add-directory", lambda c: (["store", "add", c.folder()], (c.folder(), "directory")))
case("store-add-dangling", lambda c: (["store", "add", c.dangling()], ("dangling-link", "no such file")))
for _mid, _cid, _frag in [
    ("empty", "", "invalid CID"),
    ("short", "bafy", "invalid CID 'bafy'"),
    ("cidv0", "Qm" + "a" * 44, "CIDv0"),
    ("not-base32", "bafkrei" + "!" * 52, "invalid CID"),
    ("wrong-multihash", "bafkreinotacid", "invalid CID"),
    ("hex", "ab" * 32, "invalid CID"),
    ("absent", ABSENT_CID, "no block"),
]:
    case(f"store-cat-{_mid}", lambda c, cid=_cid, f=_frag: (["store", "cat", cid], (f,)))

for _mid, _wid, _frag in [
    ("empty", "", "malformed"),
    ("0x-only", "0x", "malformed"),
    ("short", "0x12", "'0x12'"),
    ("not-hex", "zz" * 32, "malformed"),
    ("65", "a" * 65, "malformed"),
    ("inner-space", "ab" * 16 + " " + "ab" * 16, "malformed"),
    ("unknown", "0x" + "77" * 32, "no work 0x" + "77" * 32),
]:
    case(f"work-show-{_mid}", lambda c, wid=_wid, f=_frag: (["work", "show", wid], (f,)),
         subprocess=_mid == "short")


def _transfer(ctx: Ctx, work: str | None = None, to: str = "bob", bps: str = "100") -> list[str]:
    return ["--as", "alice", "work", "transfer", work or ctx.work(2), "--to", to, "--bps", bps, "--yes"]


for _mid, _b, _frags, _bug in [
    ("work-short", lambda c: _transfer(c, "0x12"), ("malformed",), None),
    ("work-not-hex", lambda c: _transfer(c, "h" * 64), ("malformed",), None),
    ("work-unregistered", lambda c: _transfer(c, "0x" + "66" * 32), ("0x" + "66" * 32,), None),
    ("to-short", lambda c: _transfer(c, to="0x1234"), ("Ethereum address",), None),
    ("to-non-hex", lambda c: _transfer(c, to="0x" + "zz" * 20), ("Ethereum address",), None),
    ("to-bad-checksum", lambda c: _transfer(c, c.work(4), to=c.w.bad_checksum("bob")), ("Ethereum address",),
     None),
    ("to-unknown-name", lambda c: _transfer(c, to="nobody"), ("nobody",), None),
    ("bps-0", lambda c: _transfer(c, bps="0"), ("between 1 and 10000",), None),
    ("bps-negative", lambda c: _transfer(c, bps="-1"), ("between 1 and 10000",), None),
    ("bps-10001", lambda c: _transfer(c, bps="10001"), ("between 1 and 10000",), None),
    ("bps-text", lambda c: _transfer(c, bps="half"), ("bps",), None),
    ("not-a-holder", lambda c: ["--as", "bob", "work", "transfer", c.work(5), "--to", "alice", "--bps", "100",
                                "--yes"], ("holder",), None),
]:
    case(f"work-transfer-{_mid}", lambda c, b=_b, f=_frags: (b(c), f), bug=_bug)

for _mid, _argv, _frags in [
    ("role-unknown", ["WIZARD", "alice"], ("unknown role 'WIZARD'",)),
    ("role-empty", ["", "alice"], ("role",)),
    ("role-suffix", ["REGISTRAR2", "alice"], ("REGISTRAR2",)),
    ("who-short", ["REGISTRAR", "0x1234"], ("Ethereum address",)),
    ("who-non-hex", ["REGISTRAR", "0x" + "x" * 40], ("Ethereum address",)),
    ("who-bad-checksum", ["AUDITOR", None], ("Ethereum address",)),
    ("who-unknown-name", ["REGISTRAR", "nobody"], ("nobody",)),
]:
    case(f"account-grant-role-{_mid}", lambda c, a=_argv, f=_frags: (
        ["--as", "governor", "account", "grant-role", a[0], a[1] or c.w.bad_checksum("rando")], f),
        )
case("account-grant-role-not-governor", lambda c: (["--as", "alice", "account", "grant-role", "REGISTRAR", "bob"],
                                                   ("GOVERNOR",)))


# --- work register (options and --metadata documents) ----------------------------------------


def _content(ctx: Ctx) -> str:
    import os

    return ctx.file("work.bin", b"work " + os.urandom(16))


def _register(ctx: Ctx, *extra: str, file: str | None = None, title: bool = True, creator: bool = True) -> list[str]:
    argv = ["--as", "alice", "work", "register", file or _content(ctx)]
    argv += ["--title", "A work"] if title else []
    argv += ["--creator", "Alice:author"] if creator else []
    return argv + list(extra)


for _mid, _b, _frags, _bug in [
    ("file-missing", lambda c: _register(c, file=c.missing()), ("no such file",), None),
    ("file-directory", lambda c: _register(c, file=c.folder()), ("directory",), None),
    ("file-dangling", lambda c: _register(c, file=c.dangling()), ("no such file",), None),
    ("no-title", lambda c: _register(c, title=False), ("title is required",), None),
    ("no-creator", lambda c: _register(c, creator=False), ("creator is required",), None),
    ("creator-bad-role", lambda c: _register(c, "--creator", "Bob:singer"), ("role 'singer'",), None),
    ("title-blank", lambda c: _register(c, "--title", "   ", title=False), ("metadata.title",), None),
    ("title-501", lambda c: _register(c, "--title", "t" * 501, title=False), ("metadata.title",), None),
    ("holder-short", lambda c: _register(c, "--holder", "0x1234:10000"), ("Ethereum address",), None),
    ("holder-non-hex", lambda c: _register(c, "--holder", "0x" + "k" * 40 + ":10000"), ("Ethereum address",), None),
    ("holder-bad-checksum", lambda c: _register(c, "--holder", c.w.bad_checksum() + ":10000"),
     ("Ethereum address",), None),
    ("holder-bps-0", lambda c: _register(c, "--holder", "alice:0"), ("between 1 and 10000",), None),
    ("holder-bps-10001", lambda c: _register(c, "--holder", "alice:10001"), ("between 1 and 10000",), None),
    ("holder-bps-text", lambda c: _register(c, "--holder", "alice:lots"), ("not a whole number",), None),
    ("holder-sum", lambda c: _register(c, "--holder", "alice:6000", "--holder", "bob:3000"), ("sum to 9000",),
     None),
    ("holder-twice", lambda c: _register(c, "--holder", "alice:5000", "--holder", "alice:5000"),
     ("listed twice",), None),
    ("holder-unknown-name", lambda c: _register(c, "--holder", "nobody:10000"), ("nobody",), None),
    ("date-month-13", lambda c: _register(c, "--date", "2024-13-01"), ("metadata.creationDate",), None),
    ("date-word", lambda c: _register(c, "--date", "today"), ("metadata.creationDate",), None),
    ("date-feb-30", lambda c: _register(c, "--date", "2023-02-29"), ("metadata.creationDate",), None),
    ("identifier-no-equals", lambda c: _register(c, "--identifier", "isrc"), ("KIND=VALUE",), None),
    ("identifier-bad-isrc", lambda c: _register(c, "--identifier", "isrc=123"), ("isrc",), None),
    ("identifier-unknown-kind", lambda c: _register(c, "--identifier", "upc=123"), ("upc",), None),
    ("ai-without-model", lambda c: _register(c, "--creation", "ai-assisted"), ("models",), None),
    ("type-unknown", lambda c: _register(c, "--type", "opera"), ("type",), None),
    ("metadata-missing", lambda c: _register(c, "--metadata", c.missing("m.json"), title=False, creator=False),
     ("m.json", "no such file"), None),
    ("metadata-directory", lambda c: _register(c, "--metadata", c.folder(), title=False, creator=False),
     ("directory",), None),
    ("metadata-dangling", lambda c: _register(c, "--metadata", c.dangling(), title=False, creator=False),
     ("no such file",), None),
    ("metadata-non-utf8", lambda c: _register(c, "--metadata", c.file("m.json", b'{"title": "\xff"}'),
                                              title=False, creator=False), ("m.json", "UTF-8"), None),
    ("metadata-not-json", lambda c: _register(c, "--metadata", c.file("m.json", '{"title": '), title=False,
                                              creator=False), ("m.json:1", "not JSON"), None),
    ("metadata-array", lambda c: _register(c, "--metadata", c.file("m.json", "[]"), title=False, creator=False),
     ("m.json", "JSON object"), None),
    ("metadata-empty", lambda c: _register(c, "--metadata", c.file("m.json", ""), title=False, creator=False),
     ("m.json", "not JSON"), None),
]:
    case(f"work-register-{_mid}", lambda c, b=_b, f=_frags: (b(c), f), bug=_bug)


def _meta_case(mutate: Callable[[dict[str, Any]], None], fragments: tuple[str, ...]) -> Builder:
    def build(ctx: Ctx) -> tuple[list[str], tuple[str, ...]]:
        import hashlib
        import os

        content = ctx.file("work.bin", b"meta " + os.urandom(16))
        doc: dict[str, Any] = {"schemaVersion": "1", "title": "From a file",
                               "creators": [{"name": "Bob", "role": "composer"}], "workType": "music",
                               "contentSha256": hashlib.sha256(Path(content).read_bytes()).hexdigest(),
                               "creationMode": "human"}
        mutate(doc)
        meta = ctx.file("meta.json", json.dumps(doc))
        return ["--as", "alice", "work", "register", content, "--metadata", meta], fragments

    return build


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(key)


METADATA_BAD: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    ("no-title", _drop("title"), ("metadata.title", "required")),
    ("no-creators", _drop("creators"), ("metadata.creators", "required")),
    ("no-worktype", _drop("workType"), ("metadata.workType", "required")),
    ("no-creationmode", _drop("creationMode"), ("metadata.creationMode", "required")),
    ("no-schemaversion", _drop("schemaVersion"), ("metadata.schemaVersion", "required")),
    ("no-contentsha", _drop("contentSha256"), ("contentSha256",)),
    ("schemaversion-2", _set("schemaVersion", "2"), ("metadata.schemaVersion",)),
    ("schemaversion-int", _set("schemaVersion", 1), ("metadata.schemaVersion",)),
    ("title-empty", _set("title", ""), ("metadata.title",)),
    ("title-blank", _set("title", "  \t "), ("metadata.title",)),
    ("title-number", _set("title", 42), ("metadata.title",)),
    ("title-null", _set("title", None), ("metadata.title",)),
    ("title-501", _set("title", "y" * 501), ("metadata.title",)),
    ("title-1mb", _set("title", "z" * 1_000_000), ("metadata.title",)),
    ("creators-empty", _set("creators", []), ("metadata.creators",)),
    ("creators-string", _set("creators", "Bob:composer"), ("metadata.creators",)),
    ("creator-no-role", _set("creators", [{"name": "Bob"}]), ("metadata.creators[0].role",)),
    ("creator-bad-role", _set("creators", [{"name": "Bob", "role": "singer"}]), ("metadata.creators[0].role",)),
    ("creator-blank-name", _set("creators", [{"name": " ", "role": "author"}]), ("metadata.creators[0].name",)),
    ("creator-extra", _set("creators", [{"name": "B", "role": "author", "age": 3}]),
     ("metadata.creators[0].age", "unknown field")),
    ("creator-bad-commitment", _set("creators", [{"name": "B", "role": "author", "realNameCommitment": "0x12"}]),
     ("realNameCommitment",)),
    ("worktype-unknown", _set("workType", "opera"), ("metadata.workType",)),
    ("worktype-int", _set("workType", 1), ("metadata.workType",)),
    ("creationmode-unknown", _set("creationMode", "robot"), ("metadata.creationMode",)),
    ("ai-without-declaration", _set("creationMode", "ai-generated"), ("metadata.aiDeclaration", "required")),
    ("human-with-declaration", _set("aiDeclaration", {"models": [{"name": "m"}], "tools": []}),
     ("metadata.aiDeclaration", "not allowed")),
    ("extra-field", _set("colour", "red"), ("metadata.colour", "unknown field")),
    ("date-month-13", _set("creationDate", "2024-13-01"), ("metadata.creationDate",)),
    ("date-int", _set("creationDate", 20240101), ("metadata.creationDate",)),
    ("isrc-bad", _set("identifiers", {"isrc": "US-1"}), ("metadata.identifiers.isrc",)),
    ("identifier-unknown", _set("identifiers", {"upc": "1"}), ("metadata.identifiers.upc",)),
    ("language-bad", _set("language", "english!"), ("metadata.language",)),
    ("description-too-long", _set("description", "d" * 5001), ("metadata.description",)),
    ("contentsha-mismatch", _set("contentSha256", "ab" * 32), ("contentSha256 does not match",)),
    ("contentsha-upper", lambda d: d.__setitem__("contentSha256", d["contentSha256"].upper()),
     ("contentSha256 does not match",)),
]
for _mid, _mut, _frags in METADATA_BAD:
    case(f"work-register-metadata-{_mid}", _meta_case(_mut, _frags), subprocess=_mid == "extra-field")


# --- work confirm-batch -------------------------------------------------------------------


def _confirm(path: str | None, *extra: str) -> list[str]:
    return ["--as", "registrar", "work", "confirm-batch", *([path] if path else []), *extra]


for _mid, _b, _bug in [
    ("missing", lambda c: (_confirm(c.missing()), (c.missing(), "no such file")), None),
    ("directory", lambda c: (_confirm(c.folder()), (c.folder(),)), None),
    ("dangling", lambda c: (_confirm(c.dangling()), ("dangling-link", "no such file")), None),
    ("non-utf8", lambda c: (_confirm(c.file("ids.txt", b"\xff\xfe\n")), ("ids.txt",)), None),
    ("empty", lambda c: (_confirm(c.file("ids.txt", "")), ("ids.txt",)), None),
    ("neither", lambda c: (_confirm(None), ("--all-pending",)), None),
    ("both", lambda c: (_confirm(c.file("ids.txt", c.work() + "\n"), "--all-pending"), ("--all-pending",)), None),
    ("catalogue-bad-sha", lambda c: (_confirm(c.file("cat.csv", "sha256,title\n" + "ab" * 32 + ",x\nxyz,y\n")),
                                     ("cat.csv:3:sha256", "not a sha-256")), None),
    ("catalogue-no-content", lambda c: (_confirm(c.file("cat.csv", "title\nx\n")), ("cat.csv:2:file",)), None),
    ("catalogue-unknown-column", lambda c: (_confirm(c.file("cat.csv", "sha,title\nx,y\n")),
                                            ("cat.csv:1:sha", "unknown column")), None),
    ("catalogue-file-missing", lambda c: (_confirm(c.file("cat.csv", "file\nnope.bin\n")),
                                          ("cat.csv:2:file", "no such file")), None),
    ("catalogue-header-only", lambda c: (_confirm(c.file("cat.csv", "sha256,title\n")), ("cat.csv", "no work ids")),
     None),
    ("ids-comments-only", lambda c: (_confirm(c.file("ids.txt", "# nothing yet\n\n")), ("ids.txt", "no work ids")),
     None),
    ("jsonl-not-json", lambda c: (_confirm(c.file("cat.jsonl", '{"sha256": \n')), ("cat.jsonl:1", "not JSON")),
     None),
    ("ids-one-short", lambda c: (_confirm(c.file("ids.txt", f"{c.work()}\n0x{'ab' * 31}\n")), ("ids.txt:2",)),
     None),
]:
    case(f"work-confirm-batch-{_mid}", _b, bug=_bug)


# --- the tests --------------------------------------------------------------------------------


def _params() -> Iterator[Any]:
    for c in CASES:
        marks = [getattr(pytest.mark, CORPUS_MARK)]
        if c.bug:
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=c.bug))
        yield pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("c", list(_params()))
def test_bad_input(c: Case, world: World, snapshot: Snapshot, tmp_path: Path) -> None:
    argv, fragments = c.build(Ctx(tmp_path, world))
    outcome = invoke(world.env, argv, c.extra_env)
    try:
        assert_one_line_error(outcome, fragments)
    finally:
        snapshot.assert_unchanged()


SUBPROCESS_CASES = [c for c in CASES if c.subprocess]


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in SUBPROCESS_CASES])
def test_in_process_run_matches_a_real_subprocess(c: Case, world: World, snapshot: Snapshot, tmp_path: Path):
    """CliRunner is only a stand-in: the same case as a real process gives the same exit code and stderr."""
    argv, fragments = c.build(Ctx(tmp_path, world))
    inproc, real = invoke(world.env, argv), spawn(world.env, argv)
    assert_one_line_error(real, fragments)
    assert (real.exit_code, real.stderr) == (inproc.exit_code, inproc.stderr)
    assert real.stdout == inproc.stdout
    snapshot.assert_unchanged()


def test_parse_address_accepts_one_case_and_refuses_a_bad_checksum() -> None:
    from ledger.core.errors import InputError
    from ledger.domain.works import parse_address

    good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # the EIP-55 example
    assert parse_address(good) == parse_address(good.lower()) == parse_address("0x" + good[2:].upper()) == good
    with pytest.raises(InputError, match="wrong checksum"):
        parse_address(good.replace("aAe", "AAe"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 200, len(CASES)
    assert len(SUBPROCESS_CASES) >= 5


def test_usage_report_refusal_without_json_is_one_error_line(world: World, snapshot: Snapshot, tmp_path: Path):
    ctx = Ctx(tmp_path, world)
    path = ctx.file("report.csv", UHDR + _u_line(ctx) + _u_line(ctx, quantity="abc"))
    try:
        assert_one_line_error(invoke(world.env, _usage_argv(path)), ("line 2", "quantity"))
    finally:
        snapshot.assert_unchanged()


def test_usage_report_refusal_names_the_file_and_its_line(world: World, snapshot: Snapshot, tmp_path: Path):
    ctx = Ctx(tmp_path, world)
    path = ctx.file("report.csv", UHDR + _u_line(ctx, quantity="abc"))
    try:
        assert_one_line_error(invoke(world.env, _usage_argv(path, "--json")), (f"{path}:2",))
    finally:
        snapshot.assert_unchanged()


def test_grant_with_terms_stores_the_document_its_licence_names(world: World, tmp_path: Path):
    """The good path of the terms fix: the CID computed before simulating is the one stored and granted."""
    from tests.badinput.conftest import store_files

    before = store_files(world.env)
    r = invoke(world.env, ["--as", "alice", "licence", "grant", "licensee", "--use", "adapt", "--work",
                           world.works[3], "--terms", f"Terms {time.time_ns()}", "--json"])
    assert r.exit_code == 0 and not r.traceback, r.stderr
    shown = invoke(world.env, ["licence", "show", str(json.loads(r.stdout)["licenceId"]), "--json"])
    cid = json.loads(shown.stdout)["termsCid"]
    assert len(store_files(world.env) - before) >= 1
    cat = invoke(world.env, ["store", "cat", cid])
    assert cat.exit_code == 0 and '"type":"licence-terms"' in cat.stdout.replace(" ", ""), cat.stdout[:300]
