"""Languages: English (the source strings) and Simplified Chinese, from gettext catalogues.

The catalogue is ``ledger/locale/<lang>/LC_MESSAGES/messages.po`` (Babel: ``make messages``
extracts, updates and compiles it; the compiled ``.mo`` is committed beside it). The
language in force is a context variable, so the portal can answer each request in the
browser's language and the CLI in ``--lang`` / ``RIGHTS_LEDGER_LANG`` / ``LANG``.

Domain terms follow ``DOMAIN.md``: 作品登记 (registration), 确权 (confirmation), 许可
(licence), 一揽子许可 (blanket licence), 法定许可 (statutory licence), 使用报告 (usage
report), 分配 (distribution), 存证 (attestation), 争议 (dispute).
"""

from __future__ import annotations

import ast
import contextvars
import gettext as _gettext
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("en", "zh_CN")
DEFAULT = "en"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("rights_ledger_lang", default=DEFAULT)


def normalize(tag: str | None) -> str | None:
    """``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``zh-Hans`` → ``zh_CN``; ``en*``, ``C``, ``POSIX`` → ``en``; else None."""
    if not tag:
        return None
    t = tag.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if t in ("c", "posix") or t == "en" or t.startswith("en_"):
        return "en"
    if t == "zh" or t in ("zh_cn", "zh_hans", "zh_sg", "zh_hans_cn"):
        return "zh_CN"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best language of ours in an ``Accept-Language`` header (by q-value), or None."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = normalize(tag)
        if lang and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, lang)
    return best[2] if best else None


def from_environment() -> str:
    """The language of ``RIGHTS_LEDGER_LANG``, else ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``, else English."""
    for var in ("RIGHTS_LEDGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        lang = normalize(os.environ.get(var))
        if lang:
            return lang
    return DEFAULT


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)


def current() -> str:
    return _current.get()


def set_language(lang: str | None) -> str:
    """Make ``lang`` (any spelling :func:`normalize` knows; None: English) the language in force."""
    value = normalize(lang) or DEFAULT
    _current.set(value)
    return value


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    token = _current.set(normalize(lang) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


_ = gettext


# --- the SDK's error messages -------------------------------------------------------------
# Errors are raised with English f-strings where they happen (the SDK stays one language).
# The template of each, the f-string with ``{0}``, ``{1}``... where the values go, is a msgid of
# the catalogue: :func:`extract_errors` collects them from the ``raise`` statements (and the
# ``hint=`` arguments, and the CLI's ``fail(...)`` calls) of the files in ERROR_SCOPE when
# ``make messages`` runs. :func:`error_text` finds the template a message was made from and
# gives its translation with the same values; a message without one stays as it is.

#: The modules whose error messages a user of the CLI or the portal meets, relative to ``ledger/``:
#: all of them (the SDK's errors all reach one or the other). ``cli/*.py`` comes first so that
#: ``scripts/extract_messages.py`` reads the CLI's files with its help-text extractor as well.
ERROR_SCOPE = ("cli/*.py", "**/*.py")
_MIN_LITERAL = 4  # a template with less fixed text than this would match any message
# Text that Babel takes for a %-placeholder ("50 % is over" reads as "% i"): ``pybabel compile`` would
# demand the same placeholder in the translation, so such a template stays English (none in the catalogue).
_PERCENT_FORMAT = re.compile(r"%(?:\(\w*\))?[-#0 +]?(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrs%]")


def _parts(node: ast.expr) -> list[str | None] | None:
    """The pieces of a message expression: fixed text, or None where a value goes; None if it is no text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else None for p in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "text: " + ", ".join(...)
        left, right = _parts(node.left), _parts(node.right)
        if left is None and right is None:
            return None
        left, right = left if left is not None else [None], right if right is not None else [None]
        return [*left, *(right[1:] if left[-1] is None and right[0] is None else right)]  # one value, not two
    return None


def _template(node: ast.expr) -> str | None:
    """The template of a string constant, f-string or ``+`` of them (values as ``{0}``, ``{1}``...), else None."""
    parts = _parts(node)
    if parts is None:
        return None
    out, n = [], 0
    for part in parts:
        if part is None:
            out.append(f"{{{n}}}")
            n += 1
        else:
            out.append(part.replace("{", "{{").replace("}", "}}"))
    return "".join(out)


def _message_exprs(node: ast.expr) -> list[ast.expr]:
    """The expressions a message may be: both branches of ``a if c else b``, the text of ``text[:200]``,
    the fallbacks of ``x or "text"``."""
    if isinstance(node, ast.IfExp):
        return [*_message_exprs(node.body), *_message_exprs(node.orelse)]
    if isinstance(node, ast.Subscript):
        return _message_exprs(node.value)
    if isinstance(node, ast.BoolOp):
        return [e for v in node.values for e in _message_exprs(v)]
    return [node]


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _is_code(node: ast.expr) -> bool:
    """A value, or a code-like string (a column or record name such as ``RecordType``), not a sentence."""
    templates = [_template(e) for e in _message_exprs(node)]
    return all(t is None or re.fullmatch(r"[\w.{}/-]*", t) is not None for t in templates)


def _is_error_call(call: ast.Call) -> bool:
    name = _name(call)
    return name in ("fail", "_fail") or name.endswith(
        ("Error", "Refused", "Invalid", "Unavailable", "NotFound", "Mismatch"))


def _decoded_contract_errors(node: ast.AST) -> list[ast.expr]:
    """The sentences ``ledger.core.chain`` attaches to a decoded custom error: the message lambdas
    and hints of its ``_ERRORS`` table, the ``_msg_*`` builders, and the fallback ``message, hint = ...``."""
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if any(n.endswith("_ERRORS") for n in names) and isinstance(node.value, ast.Dict):
            out: list[ast.expr] = []
            for value in node.value.values:
                for elt in value.elts if isinstance(value, ast.Tuple) else []:
                    out.append(elt.body if isinstance(elt, ast.Lambda) else elt)
            return out
        if (isinstance(node, ast.Assign) and isinstance(targets[0], ast.Tuple) and targets[0].elts
                and getattr(targets[0].elts[0], "id", "") == "message" and isinstance(node.value, ast.Tuple)):
            return node.value.elts[:1]
    if isinstance(node, ast.FunctionDef) and node.name.startswith("_msg_"):
        return [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
    return []


def error_templates_in(source: str) -> Iterator[tuple[int, str]]:
    """(line, template) of every error message and hint raised (or ``fail``-ed) in ``source``, and
    of the sentences attached to decoded contract errors (:func:`_decoded_contract_errors`)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _is_error_call(node):
            if getattr(node.func, "id", "") == "Mismatch":  # an audit finding (kind, where, what), not an error
                continue
            first = node.args[:1]
            if first and len(node.args) > 1 and (isinstance(first[0], ast.Name | ast.Attribute) or (
                    isinstance(first[0], ast.Constant) and re.fullmatch(r"[\w.-]+", str(first[0].value)))):
                first = node.args[1:2]  # Error("code" or column, message, ...): the message
            args = [*first, *(kw.value for kw in node.keywords if kw.arg in ("hint", "message"))]
            if _name(node) in ("fail", "_fail"):  # fail(message, hint), self.fail(column, message), _fail(..., message)
                args = [a for a in node.args if not _is_code(a)] + args[len(first):]
            if len(node.args) > 2 and isinstance(node.args[1], ast.Dict):
                args.append(node.args[2])  # ContractError(name, {args}, message) and its subclasses
        elif (isinstance(node, ast.Call) and _name(node) == "add" and isinstance(node.func, ast.Attribute)
              and getattr(node.func.value, "id", "") == "problems"):  # problems.add(line, column, message)
            args = node.args[2:3]
        elif isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["hint"]:
            args = [node.value]  # hint = "..." before the raise
        else:
            args = _decoded_contract_errors(node)
        for arg in (e for a in args for e in _message_exprs(a)):
            t = _template(arg)
            literal = re.sub(r"\{\d+\}", "", t or "").replace("{{", "{").replace("}}", "}")
            if t and len(literal.strip(" :.,;()'\"")) >= _MIN_LITERAL and not _PERCENT_FORMAT.search(t):
                yield arg.lineno, t


def extract_errors(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Any]:
    """Babel extraction method: what ``options["base"]`` (``python`` by default) finds, plus the
    error templates of :func:`error_templates_in`."""
    import importlib

    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    base = options.get("base", "python")
    if base == "python":
        method = extract_python
    else:
        module, _, name = base.partition(":")
        method = getattr(importlib.import_module(module), name)
    yield from method(fileobj, keywords, comment_tags, options)
    text = source.decode(options.get("encoding", "utf-8")) if isinstance(source, bytes) else source
    for lineno, template in error_templates_in(text):
        yield lineno, "", template, ["an error message: keep {0}, {1}... (the values)"]


@cache
def error_templates() -> tuple[str, ...]:
    found: dict[str, None] = {}
    root = LOCALE_DIR.parent
    for pattern in ERROR_SCOPE:
        for path in sorted(root.glob(pattern)):
            for _line, t in error_templates_in(path.read_text(encoding="utf-8")):
                found.setdefault(t, None)
    return tuple(found)


@cache
def _error_patterns(lang: str) -> tuple[tuple[int, re.Pattern[str], str], ...]:
    """(fixed text length, regex, translation) of each translated template, the most specific first."""
    out = []
    tr = translations(lang)
    for t in error_templates():
        translated = tr.gettext(t)
        if translated == t:
            continue
        pieces = re.split(r"(\{\d+\})", t)
        regex = "".join("(.*?)" if re.fullmatch(r"\{\d+\}", p) else re.escape(p.replace("{{", "{").replace("}}", "}"))
                        for p in pieces)
        fixed = sum(len(p) for p in pieces if not re.fullmatch(r"\{\d+\}", p))
        out.append((fixed, re.compile(regex, re.S), translated))
    out.sort(key=lambda x: -x[0])
    return tuple(out)


def _translate_one(message: str) -> tuple[int, str] | None:
    """(how much fixed text matched, the translation) of the most specific template ``message`` was made from."""
    lang = _current.get()
    direct = translations(lang).gettext(message)
    if direct != message:
        return len(message), direct
    for fixed, rx, translated in _error_patterns(lang):
        m = rx.fullmatch(message)
        if m:
            try:
                return fixed, translated.format(*m.groups())
            except (IndexError, KeyError, ValueError):
                continue
    return None


def error_text(message: str) -> str:
    """An error message (or hint) in the language in force: the translation of the template it
    was made from, with its values; a ``file:line:field:`` prefix stays as it is. Of the ways to
    read it (whole, or after each ``where: `` prefix) the one whose template has the most fixed
    text wins, so ``f.csv:2:share: share 1.5 is not 5 digits`` is not read as ``{0} is not {1}``."""
    if _current.get() == DEFAULT or not message:
        return message
    best: tuple[int, str] | None = None
    whole = _translate_one(message)
    if whole is not None:
        best = whole
    i = message.find(": ")
    while 0 < i < len(message) - 2:  # "where: message" (InputError's prefix)
        rest = _translate_one(message[i + 2:])
        if rest is not None and (best is None or rest[0] >= best[0]):  # a tie: the prefix stays apart
            best = (rest[0], f"{message[:i]}：{rest[1]}")
        i = message.find(": ", i + 2)
    return best[1] if best else message
