"""The CLI in English or Simplified Chinese: ``--lang``, ``RIGHTS_LEDGER_LANG``, else ``LANG``.

Help texts stay where click expects them (docstrings, ``help=``); they are the msgids of
the gettext catalogue. :func:`extract_click` is the Babel extractor that collects them
(``babel.cfg``), and :func:`localize` swaps every command's and option's help for its
translation before click prints it. Click's own words ("Usage:", "Options:", "Show this
message and exit.") come from click's gettext calls, which read the same catalogue once
:func:`localize` has bound it. Messages the commands print are wrapped in ``_()``.
"""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import inspect
import os
from collections.abc import Iterator
from typing import Any

import click

from ledger.core import i18n
from ledger.core.i18n import N_

# Click's own strings that a user sees in help and usage errors (click/core.py, decorators.py,
# exceptions.py, formatting.py), so that the catalogue carries them too.
CLICK_STRINGS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Arguments"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("Error"), N_("Try '{command} {option}' for help."),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"), N_("No such command {name!r}."),
    N_("No such option: {name}"), N_("Got unexpected extra argument ({args})"), N_("(deprecated)"),
    N_("default"), N_("required"), N_("env var"), N_("Aborted!"), N_("{name} {version}"),
    N_("Repeat for confirmation"), N_("Error: The value you entered was invalid."),
    N_("Error: The two entered values do not match."),
)  # fmt: skip

_ORIGINAL = "_rights_ledger_original_help"


def _walk(cmd: click.Command) -> Iterator[click.Command]:
    yield cmd
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            yield from _walk(sub)


def _translated(text: str | None) -> str | None:
    if not text:
        return text
    return i18n.gettext(inspect.cleandoc(text))


def _short(text: str | None) -> str | None:
    """A Chinese command's short help: its first sentence (click's shortening needs spaces)."""
    if not text:
        return None
    first = text.split("\n\n")[0].replace("\n", "")
    end = first.find("。")
    return first[: end + 1] if end >= 0 else first


def localize(root: click.Command, lang: str | None) -> str:
    """Put the language in force and every help text of the command tree in that language."""
    lang = i18n.set_language(lang)
    # click's own strings: its modules call gettext.gettext in the default domain
    stdlib_gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALE_DIR))
    stdlib_gettext.textdomain(i18n.DOMAIN)
    os.environ["LANGUAGE"] = lang
    for cmd in _walk(root):
        orig: dict[str, Any] = cmd.__dict__.setdefault(
            _ORIGINAL, {"help": cmd.help, "short_help": cmd.short_help, "epilog": cmd.epilog,
                        "params": [getattr(p, "help", None) for p in cmd.params]},
        )  # fmt: skip
        cmd.help = _translated(orig["help"])
        cmd.epilog = _translated(orig["epilog"])
        cmd.short_help = _translated(orig["short_help"]) if orig["short_help"] else (
            _short(cmd.help) if lang != i18n.DEFAULT else None)  # fmt: skip
        for param, help_text in zip(cmd.params, orig["params"], strict=False):
            if isinstance(param, click.Option):
                param.help = _translated(help_text)
        made = getattr(cmd, "_help_option", None)  # click makes (and keeps) the --help option on first use
        if isinstance(made, click.Option):
            made.help = i18n.gettext("Show this message and exit.")
    return lang


def lang_option(f: Any) -> Any:
    """The root's ``--lang``: eager, so ``--lang zh_CN --help`` prints Chinese help."""

    def choose(ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
        root = ctx.find_root().command
        if value is not None and i18n.normalize(value) is None:
            raise click.BadParameter(f"{value!r}: one of en, zh_CN")
        return localize(root, value if value is not None else i18n.from_environment())

    return click.option(
        "--lang", envvar="RIGHTS_LEDGER_LANG", default=None, is_eager=True, expose_value=False, callback=choose,
        metavar="en|zh_CN", help="Language of messages and help: en or zh_CN (default: from LANG).",
    )(f)  # fmt: skip


# --- Babel extractor ---------------------------------------------------------------------


def _is_click_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("command", "group")


def extract_click(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Any]:
    """Babel extraction method: ``_()`` calls as usual, plus click help texts (docstrings of
    commands and groups, ``help=``, ``short_help=`` and ``epilog=`` string arguments)."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    tree = ast.parse(source.decode(options.get("encoding", "utf-8")) if isinstance(source, bytes) else source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in ("help", "short_help", "epilog") and isinstance(kw.value, ast.Constant) and \
                        isinstance(kw.value.value, str):  # fmt: skip
                    yield kw.value.lineno, "", inspect.cleandoc(kw.value.value), []
        if isinstance(node, ast.FunctionDef) and any(_is_click_decorator(d) for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.body[0].lineno, "", doc, []
