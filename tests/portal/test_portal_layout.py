"""Every page of the portal, in English and in Chinese, in a real Chromium: a screenshot of each
(test-artifacts/screenshots/<page>-<lang>.png) and its layout checked by script in the page:
no horizontal overflow of the page or of a card, no table cell narrower than its content, no
account name or address wrapped, the history's details column not squeezed.

With ``PORTAL_DOCS_SCREENSHOT=1`` the pages are also saved, scaled down and quantised, as
docs/img/portal-<page>-<lang>.png (the README's pictures).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator

import pytest

from tests.portal.conftest import REPO, page_paths
from tests.portal.test_portal_browser import CHROMIUM, CHROMIUM_ARGS, sync_api

LANGS = {"en": "en-GB", "zh_CN": "zh-CN"}
DOCS = REPO / "docs" / "img"
#: The pages shown in the README, in both languages (docs/img/portal-<page>-<lang>.png).
DOCS_PAGES = ("lookup", "work", "work-ai", "licence-check", "licence-refused", "audit", "audit-replay")
DOCS_PART = {"audit-replay": "#replay"}

LAYOUT_JS = """() => {
  const problems = [];
  const de = document.documentElement;
  if (de.scrollWidth > de.clientWidth + 1) problems.push(`page overflows: ${de.scrollWidth} > ${de.clientWidth}`);
  const say = (el) => (el.id ? '#' + el.id + ' ' : '') + el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60);
  for (const el of document.querySelectorAll('.card, header.top')) {
    if (el.scrollWidth > el.clientWidth + 1)
      problems.push(`box scrolls sideways: ${say(el)} (${el.scrollWidth} > ${el.clientWidth})`);
  }
  for (const el of document.querySelectorAll('td, th')) {
    if (el.scrollWidth > el.clientWidth + 1)
      problems.push(`cell narrower than its content: ${say(el)} (${el.scrollWidth} > ${el.clientWidth})`);
  }
  for (const el of document.querySelectorAll('.acct, .nowrap')) {
    const lines = new Set(Array.from(el.getClientRects()).map(r => Math.round(r.top)));
    if (lines.size > 1) problems.push(`wrapped: ${say(el)}`);
  }
  for (const el of document.querySelectorAll('td.args')) {
    if (el.textContent.trim() && el.clientWidth < 200)
      problems.push(`details column squeezed to ${el.clientWidth}px: ${say(el)}`);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium (or set RIGHTS_LEDGER_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _docs_png(png: bytes, target) -> None:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.LANCZOS)
    img = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    target.parent.mkdir(parents=True, exist_ok=True)
    img.save(target, format="PNG", optimize=True)


@pytest.mark.parametrize("lang", list(LANGS))
def test_every_page_in_both_languages_lays_out_and_is_screenshotted(browser, portal, works, screenshots, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=portal, locale=LANGS[lang])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    found: dict[str, list[str]] = {}
    try:
        for name, path in page_paths(works).items():
            page.goto(path)
            assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh_CN" else "en"), name
            problems = page.evaluate(LAYOUT_JS)
            if problems:
                found[name] = problems
            page.screenshot(path=str(screenshots / f"{name}-{lang}.png"), full_page=True)
            if os.environ.get("PORTAL_DOCS_SCREENSHOT") == "1" and name in DOCS_PAGES:
                part = DOCS_PART.get(name)  # a page whose point is below the fold: that part of it
                shot = page.locator(part).screenshot() if part else page.screenshot(full_page=False)
                _docs_png(shot, DOCS / f"portal-{name}-{lang}.png")
            body = page.text_content("main") or ""
            if lang == "zh_CN":  # the UI is Chinese (titles, names, IDs and hashes stay as they are)
                assert re.search(r"[\u4e00-\u9fff]", body), f"{name}: no Chinese on the page"
    finally:
        context.close()
    assert not errors, errors
    assert not found, "layout problems:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())


def test_language_switch_is_remembered(browser, portal, works):
    context = browser.new_context(base_url=portal, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"/works/{works.confirmed}")
        assert page.text_content("#work-summary") == "music, human"
        page.click("#lang-zh")
        assert page.text_content("#work-summary") == "音乐，人类创作"
        page.goto("/audit")  # the cookie keeps the choice
        assert page.text_content("h1") == "审计"
        page.click("#lang-en")
        assert page.text_content("h1") == "Audit"
    finally:
        context.close()


def test_the_readme_shows_each_docs_page_in_both_languages():
    """The README's pictures (issue 16): every page of DOCS_PAGES in English and Chinese, as files here."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in DOCS_PAGES:
        for lang in LANGS:
            rel = f"docs/img/portal-{name}-{lang}.png"
            assert f"]({rel})" in readme, f"README.md does not show {rel}"
            assert (REPO / rel).stat().st_size > 5_000, f"{rel} is missing or empty (PORTAL_DOCS_SCREENSHOT=1)"
