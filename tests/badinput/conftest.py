"""Shared machinery of the bad-input corpus (tests/badinput).

Every case runs the real CLI against the session's real anvil node (``ledger_env``),
in-process with click's CliRunner (a subprocess costs ~1 s; a handful of cases also run
as a subprocess to show both behave the same). A case passes when the command ends with
exit code 2, stderr is one ``error: ...`` line (optionally followed by one ``hint: ...``
line) naming the problem and where it is, nothing raised a traceback, and neither the
chain (block number) nor the local store (its block files) changed.

The terminal summary prints ``bad-input corpus: N cases, P passed, X xfailed ...``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import CliRunner

from tests.fixtures.chain import LedgerEnv, ledger_env  # noqa: F401  (fixture)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]

# --- the session counter ---------------------------------------------------------------

CORPUS_MARK = "badinput_case"
_tally: Counter[str] = Counter()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{CORPUS_MARK}: one case of the generated bad-input corpus")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if CORPUS_MARK not in report.keywords:
        return
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            _tally["xfailed" if report.skipped else "xpassed"] += 1
        else:
            _tally[report.outcome] += 1
    elif report.when == "setup" and report.outcome != "passed":
        _tally["skipped" if report.skipped else "error"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = sum(_tally.values())
    if not total:
        return
    extra = ", ".join(f"{_tally[k]} {k}" for k in ("xfailed", "failed", "xpassed", "error", "skipped") if _tally[k])
    line = f"bad-input corpus: {total} cases, {_tally['passed']} passed" + (f", {extra}" if extra else "")
    if _tally["xfailed"]:
        line += " (xfailed = known bugs, see docs/RELIABILITY.md)"
    terminalreporter.write_sep("-", line)


# --- running the CLI -------------------------------------------------------------------


@dataclass
class Outcome:
    """What a CLI run left behind, whichever way it was run."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None  # an exception other than SystemExit (in-process)

    @property
    def traceback(self) -> bool:
        return self.exception is not None or "Traceback" in self.stdout + self.stderr


def invoke(env: LedgerEnv, argv: list[str], extra_env: dict[str, str] | None = None) -> Outcome:
    """The CLI in-process (CliRunner), with the environment a subprocess would get."""
    from ledger.cli import cli  # registers every sub-command

    r = CliRunner().invoke(cli, argv, env={**env.env(), **(extra_env or {})}, catch_exceptions=True)
    exc = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
    return Outcome(r.exit_code, ANSI.sub("", r.stdout), ANSI.sub("", r.stderr), exc)


def spawn(env: LedgerEnv, argv: list[str], extra_env: dict[str, str] | None = None) -> Outcome:
    """The CLI as a real subprocess."""
    p = subprocess.run([*CLI, *argv], env={**env.env(), **(extra_env or {})}, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    return Outcome(p.returncode, ANSI.sub("", p.stdout), ANSI.sub("", p.stderr))


def error_lines(o: Outcome) -> list[str]:
    return [line for line in o.stderr.splitlines() if line.strip()]


def assert_one_line_error(o: Outcome, fragments: tuple[str, ...] = ()) -> str:
    """Exit 2, one `error:` line (plus at most one `hint:` line), the fragments in it, no traceback."""
    assert not o.traceback, f"traceback / uncaught {type(o.exception).__name__}: {o.exception!r}\n{o.stderr}"
    assert o.exit_code == 2, f"exit code {o.exit_code}, stdout={o.stdout[:300]!r} stderr={o.stderr[:500]!r}"
    lines = error_lines(o)
    assert lines, "nothing on stderr"
    assert lines[0].startswith("error: "), f"stderr does not start with 'error: ': {lines[:4]}"
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), f"not one error line: {lines[:6]}"
    for f in fragments:
        assert f.lower() in lines[0].lower(), f"{f!r} not in {lines[0]!r}"
    return lines[0]


# --- the state that must not change ----------------------------------------------------


def store_files(env: LedgerEnv) -> set[str]:
    root = env.home / "store" / "blocks"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@dataclass
class Snapshot:
    env: LedgerEnv
    reader: Any  # a Ledger without signer, opened once
    block: int = 0
    files: set[str] = field(default_factory=set)

    def take(self) -> Snapshot:
        self.block = self.reader.chain.block_number()
        self.files = store_files(self.env)
        return self

    def assert_unchanged(self) -> None:
        block = self.reader.chain.block_number()
        assert block == self.block, f"the chain moved: block {self.block} -> {block}"
        new = store_files(self.env) - self.files
        assert not new, f"{len(new)} new block file(s) in the store, e.g. {sorted(new)[0]}"


# --- the world the cases refer to ------------------------------------------------------


@dataclass
class World:
    env: LedgerEnv
    works: list[str]  # confirmed; works[1], [2] held by alice alone
    licence: int  # a work licence to `licensee` for `perform` on works[0:5]
    addresses: dict[str, str]
    used_at: int  # a time of use inside the works' mandates to the CMO (a minute before the chain's clock)

    @property
    def alice(self) -> str:
        return self.addresses["alice"]

    def bad_checksum(self, name: str = "alice") -> str:
        """The account's address with the case of one checksummed letter flipped."""
        a = self.addresses[name]
        for i, c in enumerate(a[2:], 2):
            if c.isalpha():
                return a[:i] + c.swapcase() + a[i + 1:]
        raise AssertionError("an address with no letters")


@pytest.fixture(scope="session")
def world(ledger_env: LedgerEnv) -> World:  # noqa: F811
    from tests.sdk.test_usage import world as usage_world

    w = usage_world(ledger_env, "badinput", n_works=6)
    return World(ledger_env, w["works"], w["licence"], dict(ledger_env.addresses), w["clock"]() - 60)


@pytest.fixture(scope="session")
def reader(ledger_env: LedgerEnv) -> Any:  # noqa: F811
    return ledger_env.ledger()


@pytest.fixture
def snapshot(ledger_env: LedgerEnv, reader: Any) -> Iterator[Snapshot]:  # noqa: F811
    yield Snapshot(ledger_env, reader).take()


os.environ.setdefault("RIGHTS_LEDGER_KDF_N", "1024")
