"""Languages: the zh_CN catalogue is complete and current, and every portal page in Chinese
carries no English UI string of the catalogue (and the English pages no Chinese)."""

from __future__ import annotations

import gettext
import io
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ledger.core import i18n
from tests.portal.conftest import REPO, page_paths

PO = REPO / "ledger" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u4e00-\u9fff]")


def catalogue():
    with PO.open("rb") as fh:
        return read_po(fh)


def ids(message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def test_every_message_has_a_chinese_translation():
    cat = catalogue()
    untranslated = [ids(m) for m in cat if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [ids(m) for m in cat if m.id and m.fuzzy]
    assert len(cat) > 400
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy (check and clear): {fuzzy}"


def test_the_catalogue_holds_every_string_of_the_source():
    """`make messages` was run: no string marked in the code or templates is missing from the .po."""
    sys.path.insert(0, str(REPO / "scripts"))
    import extract_messages
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    found = {
        (m[0] if isinstance(m, tuple) else m)
        for _f, _l, m, _c, _ctx in extract_from_dir(
            str(REPO), extract_messages.METHODS, extract_messages.OPTIONS, keywords={**DEFAULT_KEYWORDS, "N_": None}
        )
    }
    known = {ids(m) for m in catalogue() if m.id}
    assert not found - known, f"not in messages.po (run `make messages`, then translate): {sorted(found - known)}"


def test_the_committed_mo_is_the_compiled_po():
    buf = io.BytesIO()
    write_mo(buf, catalogue())
    buf.seek(0)
    fresh = gettext.GNUTranslations(buf)
    with MO.open("rb") as fh:
        committed = gettext.GNUTranslations(fh)
    assert committed._catalog == fresh._catalog  # type: ignore[attr-defined]


@pytest.mark.parametrize("header,expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"), ("en-GB,en;q=0.9", "en"), ("zh", "zh_CN"), ("fr-FR, zh-Hans;q=0.5", "zh_CN"),
    ("en;q=0.4, zh-CN;q=0.8", "zh_CN"), ("fr, de", None), ("", None), ("zh-TW", None),
])  # fmt: skip
def test_accept_language_picks_our_best_language(header, expected):
    assert i18n.from_accept_language(header) == expected


def test_environment_language(monkeypatch):
    for var in ("RIGHTS_LEDGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.from_environment() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.from_environment() == "zh_CN"
    monkeypatch.setenv("RIGHTS_LEDGER_LANG", "en")
    assert i18n.from_environment() == "en"


# --- pages ---------------------------------------------------------------------------------


class _Text(HTMLParser):
    """Visible text nodes of a page, without code, hashes and the page's own data."""

    SKIP = {"script", "style", "pre", "code", "option", "datalist"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "meta", "link", "img", "hr"):
            return
        cls = dict(attrs).get("class") or ""
        skip = tag in self.SKIP or "mono" in cls.split() or "name" in cls.split() or dict(attrs).get("lang") == "en"
        self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if any(skip for _, skip in self.stack):
            return
        text = " ".join(data.split())
        if text:
            self.nodes.append(text)


def visible_text(html: str) -> list[str]:
    p = _Text()
    p.feed(html)
    return p.nodes


def english_ui_strings() -> set[str]:
    """The catalogue's English strings whose translation differs (the ones that must not show in Chinese);
    not the CLI's error templates (ledger.core.i18n.error_templates: "e.g. http://..." is no UI string)."""
    out = set()
    errors = set(i18n.error_templates())
    for m in catalogue():
        if not m.id or m.id in errors:
            continue
        for s in (m.id if isinstance(m.id, tuple | list) else (m.id,)):
            text = re.sub(r"%\(\w+\)s|\{\w+\}", " ", s)
            for piece in re.split(r"[:.,()→←·]", text):
                piece = " ".join(piece.split())
                if len(piece) >= 4 and re.search(r"[A-Za-z]{3}", piece) and not re.fullmatch(r"[A-Z_\-]+", piece):
                    out.add(piece)
    return out


# Words that are the same in both languages on these pages: names, technical tokens, data.
ALLOWED = {"API", "JSON", "CID", "SHA-256", "HTTP", "UTC", "WebCrypto", "English",
           "Harbour Lights", "Harbour at Dawn", "Contested Tune", "Alice Author",  # the test works
           "alice", "bob", "registrar", "licensee", "cmo", "auditor", "governor",  # the test accounts' names
           # contract names are identifiers, the same in both languages (the audit pages list them)
           "LedgerRoles", "WorkRegistry", "LicenceRegistry", "CoverageLens", "AttestationRegistry",
           "SettlementToken", "RoyaltyPool"}
CODE = re.compile(r"`[^`]*`")  # commands quoted in a message stay as they are typed


def test_every_page_in_chinese_has_no_english_ui_string(portal, works):
    english = english_ui_strings()
    problems = {}
    for name, path in page_paths(works).items():
        r = requests.get(portal + path, headers={"Accept-Language": "zh-CN,zh;q=0.9"}, timeout=60)
        assert r.headers["content-language"] == "zh-CN", name
        nodes = visible_text(r.text)
        text = CODE.sub(" ", " | ".join(nodes))
        assert CJK.search(text), f"{name}: no Chinese"
        left = sorted(e for e in english if e not in ALLOWED and re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", text))
        if left:
            problems[name] = left
    assert not problems, f"English UI strings on Chinese pages: {problems}"


def test_every_page_in_english_has_no_chinese(portal, works):
    for name, path in page_paths(works).items():
        r = requests.get(portal + path, headers={"Accept-Language": "en-GB,en;q=0.9"}, timeout=60)
        assert r.headers["content-language"] == "en", name
        nodes = [n for n in visible_text(r.text) if n != "中文"]  # the language switch names itself
        assert not CJK.search(" ".join(nodes)), f"{name}: {[n for n in nodes if CJK.search(n)]}"


def test_lang_parameter_wins_and_is_remembered(portal, works):
    s = requests.Session()
    r = s.get(f"{portal}/works/{works.confirmed}?lang=zh_CN", headers={"Accept-Language": "en"}, timeout=60)
    assert "音乐，人类创作" in r.text and r.cookies.get("lang") == "zh_CN"
    assert "作品登记" in s.get(f"{portal}/works/{works.confirmed}", timeout=60).text  # the cookie keeps it
    assert "music, human" in s.get(f"{portal}/works/{works.confirmed}?lang=en", timeout=60).text


def test_reserved_use_shows_in_words(portal, works, ledger_env):
    """workType=1; creationMode=1; reservedUses=32 → "music, human, reserved: AI training"."""
    alice = ledger_env.ledger("alice")
    alice.reserve_uses(works.confirmed, ["ai-training"])
    try:
        w = requests.get(f"{portal}/api/works/{works.confirmed}", headers={"Accept-Language": "en"}, timeout=60).json()
        assert w["reservedUses"] == ["ai-training"]
        assert w["summary"] == "music, human, reserved: AI training"
        zh = requests.get(f"{portal}/works/{works.confirmed}", headers={"Accept-Language": "zh-CN"}, timeout=60).text
        assert "音乐，人类创作，已保留：AI 训练" in zh
    finally:
        alice.reserve_uses(works.confirmed, [])


def test_a_collective_licence_of_reserved_uses_is_not_shown_active():
    from ledger.portal.service import status_now

    assert status_now("active", True, ("ai-training",), ("ai-training",)) == "reserved"
    assert status_now("active", True, ("ai-training", "perform"), ("ai-training",)) == "active"  # perform still
    assert status_now("active", False, ("ai-training",), ("ai-training",)) == "active"  # the holder's own grant
    assert status_now("expired", True, ("ai-training",), ("ai-training",)) == "expired"


LEDGER_CONTRACTS = ("LedgerRoles", "WorkRegistry", "LicenceRegistry", "CoverageLens", "RoyaltyPool",
                    "AttestationRegistry", "SettlementToken")  # fmt: skip


def test_every_event_of_the_ledger_contracts_has_words():
    import json

    from ledger.portal import words

    names = {e["name"] for c in LEDGER_CONTRACTS
             for e in json.loads((REPO / "build" / "contracts" / f"{c}.json").read_text())["abi"]
             if e.get("type") == "event"}  # fmt: skip
    assert len(names) > 25
    assert not names - set(words.EVENTS), sorted(names - set(words.EVENTS))
    assert {n for n in names if n not in words.GROUP_OF} <= {"EIP712DomainChanged"}  # every other one has a colour


def test_paths_exist():
    assert PO.exists() and MO.exists() and Path(i18n.LOCALE_DIR).is_dir()
