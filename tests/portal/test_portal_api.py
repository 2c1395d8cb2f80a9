"""The portal's JSON API and error pages, over HTTP against a served app and a real node."""

from __future__ import annotations

import hashlib
import os
import re

import pytest
import requests

from ledger.domain.licensing import Licensing


def get(url: str, **params: object) -> requests.Response:
    return requests.get(url, params=params or None, timeout=30)


# --- works ----------------------------------------------------------------------------


def test_work_by_id_returns_holders_confirmation_and_verified_metadata(portal, works):
    r = get(f"{portal}/api/works/{works.confirmed}")
    assert r.status_code == 200, r.text
    w = r.json()
    assert w["workId"] == works.confirmed
    assert w["title"] == works.confirmed_title
    assert w["status"] == "CONFIRMED"
    assert w["creationMode"] == "human"
    assert [(h["account"], h["bps"]) for h in w["holders"]] == [(works.alice, 6000), (works.bob, 4000)]
    assert w["confirmedBy"] == works.registrar and w["confirmedAt"] > 0
    assert w["metadataVerified"] is True and w["metadataError"] is None
    assert w["metadata"]["contentSha256"] == works.confirmed[2:]
    assert [h["event"] for h in w["history"]][:2] == ["WorkRegistered", "WorkConfirmed"]
    assert all(h["tx"].startswith("0x") and h["time"] > 0 for h in w["history"])
    assert w["disputes"] == []


def test_work_by_id_accepts_the_id_without_0x(portal, works):
    r = get(f"{portal}/api/works/{works.confirmed[2:]}")
    assert r.status_code == 200 and r.json()["workId"] == works.confirmed


def test_work_by_hash_finds_the_registration_of_the_file(portal, works):
    sha = hashlib.sha256(works.confirmed_file.read_bytes()).hexdigest()
    r = get(f"{portal}/api/works/by-hash/{sha}")
    assert r.status_code == 200, r.text
    assert r.json()["workId"] == works.confirmed


def test_ai_work_shows_its_declaration_and_no_confirmation(portal, works):
    w = get(f"{portal}/api/works/{works.ai_work}").json()
    assert w["status"] == "PENDING" and w["confirmedBy"] is None
    assert w["creationMode"] == "ai-assisted"
    assert w["aiDeclaration"]["models"] == [{"name": "example-diffusion", "version": "2.1"}]


def test_ai_work_shows_its_generation_record(portal, works):
    w = get(f"{portal}/api/works/{works.ai_work}").json()
    (g,) = w["provenance"]["generations"]
    assert g["model_name"] == works.generation_model and g["output_hash"] == works.ai_work and g["params_cid"]


def test_disputed_work_shows_the_dispute_from_its_history(portal, works):
    w = get(f"{portal}/api/works/{works.disputed}").json()
    assert w["status"] == "DISPUTED" and w["openDispute"]
    assert [d["event"] for d in w["disputes"]] == ["DisputeOpened"]
    (ruling,) = w["disputeRulings"]
    assert ruling["claimant"] == works.bob and ruling["outcome"] is None


def test_unknown_work_is_404_with_a_sentence(portal):
    r = get(f"{portal}/api/works/0x{os.urandom(32).hex()}")
    assert r.status_code == 404
    body = r.json()
    assert body["status"] == 404 and "no work" in body["error"].lower() and body["error"].endswith("registered")


def test_unknown_hash_is_404_naming_the_content(portal):
    sha = os.urandom(32).hex()
    r = get(f"{portal}/api/works/by-hash/{sha}")
    assert r.status_code == 404
    assert sha in r.json()["error"]


@pytest.mark.parametrize("bad", ["xyz", "0x1234", "g" * 64, "0x" + "a" * 65])
def test_malformed_hash_is_400_with_a_sentence(portal, bad):
    for path in (f"/api/works/by-hash/{bad}", f"/api/works/{bad}"):
        r = get(portal + path)
        assert r.status_code == 400, path
        assert "64 hexadecimal digits" in r.json()["error"]


def test_work_page_is_404_html_for_unknown_work(portal):
    r = get(f"{portal}/works/0x{os.urandom(32).hex()}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "is registered" in r.text and "Traceback" not in r.text


def test_lookup_redirects_to_the_work_page(portal, works):
    r = requests.get(f"{portal}/lookup", params={"q": works.confirmed}, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == f"/works/{works.confirmed}"
    assert get(f"{portal}/lookup", q="not-a-hash").status_code == 400


# --- chain unreachable and the read-only rule ---------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/works/0x" + "ab" * 32, "/api/works/by-hash/" + "ab" * 32, "/api/events", "/api/audit/summary"]
)
def test_chain_unreachable_is_503_json(portal_down, path):
    r = get(portal_down + path)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == 503 and "not reachable" in body["error"] and body["hint"]


@pytest.mark.parametrize("path", ["/", "/works/0x" + "ab" * 32, "/audit", "/licence-check"])
def test_chain_unreachable_page_says_so(portal_down, path):
    r = get(portal_down + path)
    assert r.status_code == 503 and "not reachable" in r.text and "Traceback" not in r.text


def test_chain_unreachable_still_serves_the_openapi_document(portal_down):
    assert get(portal_down + "/openapi.json").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_non_get_requests_are_refused(portal, works, method):
    r = requests.request(method, f"{portal}/api/works/{works.confirmed}", timeout=30)
    assert r.status_code == 405 and "read-only" in r.json()["error"]
    assert r.headers["allow"] == "GET, HEAD"


def test_pages_load_nothing_from_other_origins(portal, works):
    r = get(f"{portal}/works/{works.confirmed}")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", r.text)
    assert get(f"{portal}/static/portal.js").status_code == 200


# --- events and audit ----------------------------------------------------------------------


def test_events_filter_by_name_and_work(portal, works):
    r = get(f"{portal}/api/events", event="WorkConfirmed", work=works.confirmed)
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 1 and page["items"][0]["event"] == "WorkConfirmed"
    assert page["items"][0]["workId"] == works.confirmed and page["items"][0]["contract"] == "WorkRegistry"
    assert "WorkRegistered" in page["eventNames"]


def test_events_are_paged_newest_first(portal, works):
    everything = get(f"{portal}/api/events", per_page=500).json()
    assert everything["total"] >= 3
    first, second = (get(f"{portal}/api/events", per_page=2, page=p).json() for p in (1, 2))
    assert first["pages"] == -(-everything["total"] // 2)
    blocks = [e["block"] for e in first["items"] + second["items"]]
    assert blocks == sorted(blocks, reverse=True)
    assert [e["tx"] for e in first["items"] + second["items"]] == [e["tx"] for e in everything["items"][:4]]


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 0}, {"per_page": 501}, {"work": "nope"}])
def test_events_bad_paging_or_filter_is_400(portal, params):
    r = get(f"{portal}/api/events", **params)
    assert r.status_code == 400 and r.json()["error"]


def test_audit_summary_counts_events_by_type_over_time(portal, works):
    s = get(f"{portal}/api/audit/summary").json()
    assert s["countsByType"]["WorkRegistered"] >= 2 and s["countsByType"]["WorkConfirmed"] >= 1
    assert s["totalEvents"] == sum(s["countsByType"].values())
    assert sum(sum(b["counts"].values()) for b in s["timeline"]) == s["totalEvents"]
    assert s["head"] > 0
    if s["replay"]["available"]:
        assert s["replay"]["note"] is None
    else:
        assert "not available in this build" in s["replay"]["note"]


def test_audit_summary_runs_the_replay_on_demand(portal):
    s = get(f"{portal}/api/audit/summary", replay="true").json()
    if not s["replay"]["available"]:
        pytest.skip("ledger.audit (the replay) is not in this build yet")
    assert s["replay"]["ran"] and (s["replay"]["result"] is not None or s["replay"]["error"])


# --- licence status ------------------------------------------------------------------------


@pytest.mark.parametrize(("use", "covered"), [("perform", True), ("ai-training", False)])
def test_licence_status_gives_the_sdk_answer(portal, ledger_env, works, use, covered):
    params = {"work": works.confirmed, "licensee": works.licensee, "use": use}
    r = get(f"{portal}/api/licence-status", **params)
    assert r.status_code == 200, r.text
    expected = Licensing(ledger_env.ledger()).status(works.confirmed, works.licensee, use).as_json()
    got = r.json()
    for key in ("work", "licensee", "use", "covered", "grant", "licenceId", "reason"):
        assert got[key] == expected[key], key
    assert got["covered"] is covered
    if covered:
        assert got["licenceId"] == works.licence_id and str(works.licence_id) in got["explanation"]
    else:
        assert "may not" in got["explanation"]


def test_licence_status_accepts_a_local_account_name(portal, works):
    r = get(f"{portal}/api/licence-status", work=works.confirmed, licensee="licensee", use="perform")
    assert r.status_code == 200 and r.json()["licensee"] == works.licensee and r.json()["covered"]


def test_work_lists_its_licences_with_status(portal, works):
    w = get(f"{portal}/api/works/{works.confirmed}").json()
    (lic,) = [x for x in w["licences"] if x["licenceId"] == works.licence_id]
    assert lic["licensee"] == works.licensee and lic["uses"] == ["perform"] and lic["statusNow"] == "active"


@pytest.mark.parametrize(
    "params",
    [{"use": "juggling"}, {"licensee": "0x123"}, {"work": "0x12"}],
)
def test_licence_status_bad_input_is_400(portal, works, params):
    query = {"work": works.confirmed, "licensee": works.licensee, "use": "perform", **params}
    r = get(f"{portal}/api/licence-status", **query)
    assert r.status_code == 400 and r.json()["error"]


def test_licence_status_missing_parameter_is_rejected(portal):
    r = get(f"{portal}/api/licence-status", work="0x" + "ab" * 32)
    assert r.status_code in (400, 422)


# --- the OpenAPI document ------------------------------------------------------------------


def test_openapi_describes_every_endpoint(portal):
    doc = get(f"{portal}/openapi.json").json()
    for path in ("/api/works/{work_id}", "/api/works/by-hash/{sha256}", "/api/licence-status", "/api/events",
                 "/api/audit/summary"):  # fmt: skip
        op = doc["paths"][path]["get"]
        assert op.get("description") or op.get("summary"), path
        assert "200" in op["responses"]
    schemas = set(doc["components"]["schemas"])
    assert {"WorkOut", "CoverageOut", "EventsPageOut", "AuditSummaryOut", "ErrorOut"} <= schemas
    assert not any(p.startswith("/works") or p == "/audit" for p in doc["paths"])  # pages stay out of the API


def test_certificates_are_not_issued_by_the_portal(portal, works):
    """A certificate is signed with a registrar's key (ADR 005); the portal holds none: no link, 501."""
    assert get(f"{portal}/api/works/{works.confirmed}").json()["certificateUrl"] is None
    r = requests.get(f"{portal}/works/{works.confirmed}/certificate.pdf", timeout=30,
                     headers={"Accept-Language": "en"})  # fmt: skip
    assert r.status_code == 501 and "certificates are issued by a registrar" in r.text.lower()
    assert "rights-ledger work certificate" in r.text
    zh = requests.get(f"{portal}/works/{works.confirmed}/certificate.pdf", timeout=30,
                      headers={"Accept-Language": "zh-CN,zh;q=0.9"})  # fmt: skip
    assert zh.status_code == 501 and "登记证书由登记机构签发" in zh.text
    assert get(f"{portal}/works/not-a-hash/certificate.pdf").status_code == 400
