"""The fuzzer's per-case runner and counters (imported by conftest.py and the tests, one module)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from typing import Any

from tests.badinput.conftest import ANSI
from tests.fixtures.chain import LedgerEnv

CASE_TIMEOUT = float(os.environ.get("RIGHTS_LEDGER_FUZZ_TIMEOUT", "20"))
SCALE = float(os.environ.get("RIGHTS_LEDGER_FUZZ_SCALE", "1"))
tally: Counter[str] = Counter()
_clock = {"seconds": 0.0}

os.environ.setdefault("RIGHTS_LEDGER_KDF_N", "1024")


class CaseTimeout(BaseException):
    """A case ran longer than CASE_TIMEOUT: a hang."""


def _alarm(_sig: int, _frame: Any) -> None:
    raise CaseTimeout(f"the case ran longer than {CASE_TIMEOUT:.0f} s")


def run_cli(env: LedgerEnv, argv: list[str], extra_env: dict[str, str] | None = None) -> tuple[int, str, str, Any]:
    """(exit code, stdout, stderr, exception other than SystemExit) of one in-process CLI run."""
    from click.testing import CliRunner

    from ledger.cli import cli

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT)
    t0 = time.perf_counter()
    try:
        r = CliRunner().invoke(cli, argv, env={**env.env(), **(extra_env or {})}, catch_exceptions=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _clock["seconds"] += time.perf_counter() - t0
    exc = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
    from ledger.cli.app import err_console, out_console

    for console in (err_console, out_console):
        left = "".join(seg.text for seg in console._buffer)
        if left:
            del console._buffer[:]
            raise AssertionError(f"console left text it did not write: {left[:300]!r} argv={argv[:10]}")
    return r.exit_code, ANSI.sub("", r.stdout), ANSI.sub("", r.stderr), exc


def summary() -> str | None:
    total = sum(tally.values())
    if not total:
        return None
    return (f"fuzz: {total} cases ({tally['exit 0']} exit 0, {tally['exit 1']} exit 1 (a 'no' answer), "
            f"{tally['refused']} refused with one error line) in {_clock['seconds']:.0f} s of CLI time")
