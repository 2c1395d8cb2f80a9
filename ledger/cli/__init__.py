"""``rights-ledger``: the command line over the SDK.

One sub-group per noun (node, account, work, store) plus ``verify`` and ``demo``; each is
imported when it runs (``ledger.cli.app.LAZY_COMMANDS``).
Settings come from options or their environment variables. A user mistake or an
unavailable service ends with ``error: <one line>`` on stderr and exit code 2, never a
traceback; commands that report take ``--json``.
"""

from __future__ import annotations

import contextlib
import gc
import sys

# Start-up (issue 15): importing the CLI and the SDK creates some 200k objects, and with CPython's
# default threshold (a young-generation collection every 700 allocations) the cyclic collector ran
# hundreds of times during the imports alone: 50-60 ms of a read command's 0.35 s. A collection every
# 50,000 allocations keeps that off the start-up; a long run (the portal, a replay) still collects,
# holding at most that many young objects more. Set before the imports below.
gc.set_threshold(50_000, 10, 10)

from ledger.cli.app import cli, internal_error, load_all_commands  # noqa: E402, F401
from ledger.cli.lang import localize  # noqa: E402
from ledger.core.i18n import from_environment  # noqa: E402


def main() -> None:
    """The ``rights-ledger`` entry point: the ``cli`` group (whose error handling tests run in-process),
    and around it a last net for anything raised outside a command (exit 2, traceback to the log)."""
    for stream in (sys.stdout, sys.stderr):  # what the terminal cannot show is escaped, never a failure
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        localize(cli, from_environment())  # `--lang` (eager) changes it before any help is printed
        cli(prog_name="rights-ledger")
    except Exception as exc:  # noqa: BLE001 - never a traceback on the terminal
        internal_error(exc)
    finally:
        # The interpreter's last collection at exit walks every object the imports made (some 200k):
        # 50 ms of a read command's 0.3 s. Frozen, they are skipped; atexit handlers, and the closing
        # of what refcounting frees (files, the index's SQLite connection, sockets), still run.
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
