"""``rights-ledger``: the command line over the SDK.

One sub-group per noun (node, account, work, store) plus ``verify`` and ``demo``; each is
imported when it runs (``ledger.cli.app.LAZY_COMMANDS``).
Settings come from options or their environment variables. A user mistake or an
unavailable service ends with ``error: <one line>`` on stderr and exit code 2, never a
traceback; commands that report take ``--json``.
"""

from __future__ import annotations

import sys

from ledger.cli.app import cli, load_all_commands  # noqa: F401


def main() -> None:
    cli(prog_name="rights-ledger")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
