"""``rights-ledger``: the command line over the SDK.

One sub-group per noun (node, account, work, store) plus ``verify`` and ``demo``; each is
imported when it runs (``ledger.cli.app.LAZY_COMMANDS``).
Settings come from options or their environment variables. A user mistake or an
unavailable service ends with ``error: <one line>`` on stderr and exit code 2, never a
traceback; commands that report take ``--json``.
"""

from __future__ import annotations

import sys

from ledger.cli.app import cli, internal_error, load_all_commands  # noqa: F401
from ledger.cli.lang import localize
from ledger.core.i18n import from_environment


def main() -> None:
    """The ``rights-ledger`` entry point: the ``cli`` group (whose error handling tests run in-process),
    and around it a last net for anything raised outside a command (exit 2, traceback to the log)."""
    try:
        localize(cli, from_environment())  # `--lang` (eager) changes it before any help is printed
        cli(prog_name="rights-ledger")
    except Exception as exc:  # noqa: BLE001 - never a traceback on the terminal
        internal_error(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
