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

import contextvars
import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

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
