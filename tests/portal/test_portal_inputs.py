"""Regressions found by the portal fuzzer (test_portal_fuzz.py): each input gets a clear answer."""

from __future__ import annotations

import os

import pytest
import requests

from ledger.content.metadata import build_work_metadata
from ledger.core.types import Holder
from ledger.domain.licensing import Licensing
from ledger.portal.app import CSP
from ledger.portal.service import iso


def get(url: str, **params: object) -> requests.Response:
    return requests.get(url, params=params or None, timeout=30)


# --- a refused write is a page like the others ----------------------------------------------


@pytest.mark.parametrize("path", ["/static/portal.js", "/", "/works/not-a-hash"])
def test_a_refused_write_carries_the_security_headers(portal, path):
    r = requests.post(portal + path, timeout=30)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert r.headers["content-type"].startswith("text/html") and "read-only" in r.text
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"


# --- HEAD is answered as GET, without the body ----------------------------------------------


def test_head_is_answered_like_get_without_a_body(portal, works):
    for path in ["/", f"/works/{works.confirmed}", f"/api/works/{works.confirmed}", "/api/events", "/audit",
                 "/works/not-a-hash", "/api/works/not-a-hash", f"/works/{works.confirmed}/certificate.pdf",
                 "/static/portal.js"]:  # fmt: skip
        got, head = get(portal + path), requests.head(portal + path, timeout=30)
        assert head.status_code == got.status_code != 405, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
    assert requests.head(f"{portal}/lookup", params={"q": works.confirmed}, timeout=30).status_code == 303


# --- a parameter FastAPI cannot convert is a 400 in the portal's error shape ----------------


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/events", {"page": "abc"}, "page 'abc' is not a whole number"),
        ("/api/events", {"per_page": "1e400"}, "per_page '1e400' is not a whole number"),
        ("/api/audit/summary", {"replay": "maybe"}, "replay 'maybe' is not true or false"),
        ("/api/licence-status", {"work": "0x" + "ab" * 32}, "the parameter licensee is required"),
    ],
)
def test_an_unconvertible_api_parameter_is_400_with_a_sentence(portal, path, params, message):
    r = get(portal + path, **params)
    assert r.status_code == 400
    assert r.json() == {"status": 400, "error": message, "hint": None}


def test_an_unconvertible_page_parameter_is_a_400_page(portal):
    r = get(f"{portal}/audit", page="two")
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "is not a whole number" in r.text and "detail" not in r.text
    assert r.headers["content-security-policy"] == CSP


# --- a time after the year 9999 ----------------------------------------------------------------


def test_iso_shows_no_date_after_the_year_9999():
    assert iso(253402300799) == "9999-12-31 23:59:59 UTC"
    assert iso(253402300800) is None and iso((1 << 40) - 1) is None


def test_a_licence_check_at_a_time_after_the_year_9999_is_answered(portal, works):
    at = "9999-12-31T23:59:59-14:00"  # 10000-01-01 13:59:59 UTC, within the 40 bits a time may have
    query = {"work": works.confirmed, "licensee": works.licensee, "use": "perform", "at": at}
    r = get(f"{portal}/api/licence-status", **query)
    assert r.status_code == 200, r.text
    assert r.json()["at"] == 253402351199 and r.json()["atIso"] is None
    page = get(f"{portal}/licence-check", **query)
    assert page.status_code == 200 and "253402351199" in page.text


def test_a_work_with_a_licence_ending_after_the_year_9999_is_shown(portal, ledger_env, works):
    alice = ledger_env.ledger("alice")
    doc = build_work_metadata(title="Far Future", creators=[{"name": "Alice Author", "role": "composer"}],
                              work_type="music", content_sha256=os.urandom(32).hex())  # fmt: skip
    wid = alice.register_work(doc, [Holder(works.alice, 10000)]).work_id
    ledger_env.ledger("registrar").confirm_work(wid)
    lic = Licensing(alice)
    lic.grant(works.licensee, [wid], lic.terms(["perform"], end=(1 << 40) - 2))
    r = get(f"{portal}/api/works/{wid}")
    assert r.status_code == 200, r.text
    (licence,) = r.json()["licences"]
    assert licence["end"] == (1 << 40) - 2 and licence["endIso"] is None
    assert get(f"{portal}/works/{wid}").status_code == 200


# --- a search with very many words ---------------------------------------------------------------


def test_a_search_with_too_many_words_is_400(portal):
    many = " ".join(f"w{i}" for i in range(3000))  # 3000 different words: SQLite refused the query (500)
    r = get(f"{portal}/api/search", title=many)
    assert r.status_code == 400
    assert r.json()["error"] == "the search has 3000 different words; at most 200 are searched for"
    page = get(f"{portal}/search", creator=" ".join(f"Author{i}" for i in range(300)))
    assert page.status_code == 400 and "at most 200" in page.text


def test_a_search_of_many_repeated_words_or_a_long_cjk_text_is_answered(portal, works):
    r = get(f"{portal}/api/search", title="harbour " * 3000)  # one word, repeated
    assert r.status_code == 200 and works.confirmed in {w["workId"] for w in r.json()}
    r = get(f"{portal}/api/search", title="春眠不觉晓处处闻啼鸟夜来风雨声花落知多少" * 20)  # 399 pairs of characters
    assert r.status_code == 200 and r.json() == []


def test_the_openapi_document_promises_400_not_422(portal):
    doc = get(f"{portal}/openapi.json").json()
    for path, operations in doc["paths"].items():
        responses = operations["get"]["responses"]
        assert "422" not in responses, path  # an unconvertible parameter is a 400 now
        assert responses["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
