"""The portal's registrar's-desk pages (issue 18): home-page search, /search, /api/search and the
read-only review page, over HTTP against a served app and a real node."""

from __future__ import annotations

import requests


def get(url: str, **params: object) -> requests.Response:
    return requests.get(url, params=params or None, timeout=60)


def test_home_page_has_the_search_form(portal):
    r = get(f"{portal}/")
    assert r.status_code == 200
    assert 'action="/search"' in r.text and 'name="title"' in r.text


def test_search_page_finds_works_by_title_and_filters(portal, works):
    r = get(f"{portal}/search", title="harbour")
    assert r.status_code == 200, r.text
    assert works.confirmed in r.text and works.ai_work in r.text
    r = get(f"{portal}/search", title="harbour", status="confirmed")
    assert works.confirmed in r.text and works.ai_work not in r.text
    r = get(f"{portal}/search", title="no such title anywhere")
    assert r.status_code == 200 and 'id="no-results"' in r.text


def test_api_search_answers_json_and_refuses_bad_filters(portal, works):
    r = get(f"{portal}/api/search", title="Harbour Lig", holder=works.bob)
    assert r.status_code == 200, r.text
    assert [w["workId"] for w in r.json()] == [works.confirmed]
    assert r.json()[0]["title"] == works.confirmed_title
    r = get(f"{portal}/api/search", type="music", since="2000-01-01")
    assert works.confirmed in {w["workId"] for w in r.json()}
    assert get(f"{portal}/api/search").status_code == 400
    assert get(f"{portal}/api/search", status="lost").status_code == 400
    assert get(f"{portal}/api/search", since="2026-02-30").status_code == 400


def test_review_page_shows_the_file_read_only(portal, works):
    r = get(f"{portal}/works/{works.ai_work}/review")
    assert r.status_code == 200, r.text
    assert 'id="evidence"' in r.text and "PENDING" in r.text
    assert "real name verified" in r.text  # alice is verified by the registrar
    assert "example-diffusion" in r.text  # the AI declaration
    assert requests.post(f"{portal}/works/{works.ai_work}/review", timeout=30).status_code == 405
    assert get(f"{portal}/works/0x{'ab' * 32}/review").status_code == 404
    page = get(f"{portal}/works/{works.confirmed}")
    assert f'href="/works/{works.confirmed}/review"' in page.text
