"""Extract the gettext catalogue template ``ledger/locale/messages.pot`` (run by ``make messages``).

What ``pybabel extract -F babel.cfg`` would do, with one more extraction method that a
mapping file cannot name (its ``method: pattern`` header splits on the first colon):
``ledger.cli.lang:extract_click`` collects the CLI's help texts (docstrings, ``help=``).
Then ``pybabel update`` merges the template into ``zh_CN/LC_MESSAGES/messages.po`` and
``pybabel compile`` writes the ``.mo`` files that are committed beside them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import write_po

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from ledger.core.i18n import ERROR_SCOPE  # noqa: E402

# The modules of ERROR_SCOPE also give the templates of their error messages (ledger.core.i18n).
_ERRORS = [f"ledger/{pattern}" for pattern in ERROR_SCOPE]
METHODS = [
    *((pattern, "ledger.core.i18n:extract_errors") for pattern in _ERRORS),
    ("ledger/cli/**.py", "ledger.cli.lang:extract_click"),
    ("ledger/**.py", "python"),
    ("ledger/portal/templates/**.html", "jinja2"),
]
OPTIONS = {
    "ledger/portal/templates/**.html": {"extensions": "jinja2.ext.i18n"},
    **{p: {"base": "ledger.cli.lang:extract_click" if p.startswith("ledger/cli/") else "python"} for p in _ERRORS},
}


def main() -> int:
    catalog = Catalog(project="rights-ledger", version="0.1.0", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(REPO), METHODS, OPTIONS, keywords={**DEFAULT_KEYWORDS, "N_": None}, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    out = REPO / "ledger" / "locale" / "messages.pot"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        write_po(fh, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    print(f"{len(catalog)} messages -> {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
