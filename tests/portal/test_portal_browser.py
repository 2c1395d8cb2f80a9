"""The portal in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Screenshots go to test-artifacts/screenshots/; test_portal_layout.py takes one of every page
in both languages and checks its layout.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.domain.licensing import Licensing

CHROMIUM = os.environ.get("RIGHTS_LEDGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium (or set RIGHTS_LEDGER_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, portal) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, base_url=portal)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # A page may itself be a 404 or 503 on purpose; its scripts, styles and images may not fail.
    pg.on(
        "console",
        lambda msg: errors.append(msg.text)
        if msg.type == "error" and not msg.text.startswith("Failed to load resource")
        else None,
    )
    pg.on(
        "response",
        lambda resp: errors.append(f"{resp.status} {resp.url}")
        if resp.status >= 400 and resp.request.resource_type != "document"
        else None,
    )
    outside: list[str] = []
    pg.on("request", lambda req: outside.append(req.url) if not req.url.startswith((portal, "data:")) else None)
    yield pg
    context.close()
    assert not errors, f"browser errors: {errors}"
    assert not outside, f"requests outside the portal: {outside}"


def test_look_up_by_id_shows_the_work(page, works, screenshots):
    page.goto("/")
    page.fill("#q", works.confirmed)
    page.click("form.lookup button")
    page.wait_for_url(f"**/works/{works.confirmed}")
    assert page.text_content("#work-title") == works.confirmed_title
    assert page.text_content("#work-status") == "confirmed"
    assert page.get_attribute("#work-status", "data-code") == "CONFIRMED"
    assert page.text_content("#work-summary") == "music, human"
    assert page.is_visible("#metadata-verified")
    holders = page.text_content("#holders")  # accounts by name, the address beside them
    assert "alice" in holders and "60.00 %" in holders and "bob" in holders and "40.00 %" in holders
    titles = [page.get_attribute(f"#holders tbody tr:nth-child({i}) .addr", "title") for i in (1, 2)]
    assert titles == [works.alice, works.bob]
    assert "registrar" in page.text_content("#confirmation")
    assert page.get_attribute("#confirmation .addr", "title") == works.registrar
    history = page.text_content("#history")
    assert "work registered" in history and "registration confirmed" in history
    assert page.locator("#certificate-link").count() == 0  # a registrar issues certificates, not the portal
    page.screenshot(path=str(screenshots / "work-by-id.png"), full_page=True)


def test_look_up_by_dropped_file_hashes_it_in_the_browser(page, works, screenshots):
    page.goto("/")
    page.set_input_files("#file-input", str(works.confirmed_file))
    page.wait_for_url("**/works/by-hash/**")
    assert works.confirmed[2:] in page.url  # the browser's SHA-256 is the work id
    assert page.text_content("#work-title") == works.confirmed_title
    assert works.confirmed_file.name in page.text_content("#file-match")
    page.screenshot(path=str(screenshots / "work-by-file.png"), full_page=True)


def test_dropped_unregistered_file_says_not_registered(page, tmp_path, screenshots):
    stranger = tmp_path / "unregistered.bin"
    stranger.write_bytes(os.urandom(64))
    page.goto("/")
    page.set_input_files("#file-input", str(stranger))
    page.wait_for_url("**/works/by-hash/**")
    assert "No work is registered" in page.text_content("#error")
    page.screenshot(path=str(screenshots / "file-not-registered.png"))


def test_ai_work_page_shows_the_declared_models(page, works):
    page.goto(f"/works/{works.ai_work}")
    assert page.get_attribute("#work-status", "data-code") == "PENDING"
    assert page.text_content("#work-summary") == "image, AI-assisted"
    assert "example-diffusion 2.1" in page.text_content("#ai-provenance")
    assert "not confirmed" in page.text_content("#confirmation")
    assert page.locator("#generations tbody tr").count() == 1


def test_disputed_work_page_shows_the_dispute(page, works, screenshots):
    page.goto(f"/works/{works.disputed}")
    assert page.get_attribute("#work-status", "data-code") == "DISPUTED"
    assert "open" in page.text_content("#disputes")
    page.screenshot(path=str(screenshots / "work-disputed.png"), full_page=True)


def test_licence_check_gives_the_sdk_answer(page, works, ledger_env, screenshots):
    page.goto(f"/licence-check?work={works.confirmed}")
    page.fill("#licensee", works.licensee)
    page.select_option("#use", "perform")
    page.click("#check")
    page.wait_for_selector("#licence-result")
    expected = Licensing(ledger_env.ledger()).status(works.confirmed, works.licensee, "perform")
    assert expected.covered
    assert page.text_content("#verdict") == "Covered"
    assert f"#{expected.licence_id}" in page.text_content("#explanation")
    page.screenshot(path=str(screenshots / "licence-check.png"), full_page=True)
    page.select_option("#use", "ai-training")
    page.click("#check")
    page.wait_for_url("**use=ai-training**")
    assert page.text_content("#verdict") == "Not covered"


def test_audit_page_charts_counts_and_filters_history(page, works, screenshots):
    page.goto("/audit")
    assert page.locator("#chart svg.chart").count() == 2
    assert page.locator("#chart svg rect").count() > 0
    assert page.locator("#events tbody tr").count() >= 3
    page.screenshot(path=str(screenshots / "audit.png"), full_page=True)
    page.select_option("#event", "WorkConfirmed")
    page.fill("#work-filter", works.confirmed)
    page.click("#filters button")
    page.wait_for_url("**/audit?event=WorkConfirmed**")
    rows = page.locator("#events tbody tr")
    assert rows.count() == 1 and "registration confirmed" in rows.first.text_content()
    assert rows.first.locator("td.event").get_attribute("title") == "WorkConfirmed"
    page.click("#run-replay")
    page.wait_for_url("**replay=true**")
    assert "Last run" in page.text_content("#replay")
    page.screenshot(path=str(screenshots / "audit-replay.png"), full_page=True)


def test_no_chromium_download_was_needed():
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
