"""Fuzzing every route of the portal's HTTP surface (Hypothesis), over HTTP against the served app.

The routes are enumerated from ``create_app(...).routes``, and each route's path and query
parameters from FastAPI's own description of it, so a route added later is fuzzed too. Each
parameter name needs a strategy in :data:`PARAMS` (a route or a parameter without one fails
``test_every_route_and_parameter_has_a_strategy``).

Values start from the fixture's world (the works, holders and licensee of conftest.py) and are
mutated: one hex digit off, wrong length, upper case, ``0X``, blanks, percent-encoded bytes
(``%00``, ``%ff``, a UTF-8-encoded surrogate), very long strings, many words, ``2**64``, ``1e400``, ``NaN``,
unicode, repeated and unknown parameters, odd ``lang`` values, cookies and Accept-Language
headers; sent as GET and HEAD, and now and then as a write method (always 405).

Which values are mutated is drawn per case: none (every value valid, so the reads behind the
routes run), one, some or all of them.

Every answer must be a clear one: a status in {200, 400, 404} (303 from /lookup, 307 for a
trailing slash, 501 for a certificate, 405 for a write), never 500; JSON API errors in the
``ErrorOut`` shape; HTML with the portal's Content-Security-Policy; no traceback and no Python
exception class name in the body; an answer within ``RIGHTS_LEDGER_FUZZ_TIMEOUT`` seconds.

A third as many cases run against the portal whose chain node is down (a 503 is then allowed).
Case counts scale with ``RIGHTS_LEDGER_FUZZ_SCALE``; ``RIGHTS_LEDGER_FUZZ_SEED`` (any value)
derandomizes Hypothesis (as tests/fuzz does). The terminal summary prints one tally line.
"""

from __future__ import annotations

import builtins
import hashlib
import http.client
import json
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlsplit

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from ledger.core import errors as E
from ledger.core.config import NetworkProfile, Settings
from ledger.core.types import USES
from ledger.portal import create_app
from ledger.portal.app import CSP
from tests.portal.conftest import PortalWorks

SCALE = float(os.environ.get("RIGHTS_LEDGER_FUZZ_SCALE", "1"))
CASE_TIMEOUT = float(os.environ.get("RIGHTS_LEDGER_FUZZ_TIMEOUT", "20"))
EXAMPLES = 60  # per route, times SCALE (and a third as many with the chain down)
TALLY: Counter[str] = Counter()  # statuses of the cases
CLOCK = {"seconds": 0.0}  # time spent waiting for answers


def _settings(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), derandomize="RIGHTS_LEDGER_FUZZ_SEED" in os.environ,
                    print_blob=True)


def _routes() -> list[Any]:
    """The portal's routes, from an app over a settings object that is never connected."""
    home = Path(tempfile.gettempdir()) / "rights-ledger-portal-fuzz-never-used"
    app = create_app(Settings(home=home, network=NetworkProfile("fuzz", "http://127.0.0.1:9")))
    return list(app.routes)


ROUTES = _routes()
ROUTE_PATHS = [r.path for r in ROUTES]

# --- values ---------------------------------------------------------------------------------

HEX = "0123456789abcdef"
#: Percent-encoded bytes put into an already-encoded value as they are.
RAW = ["%00", "%ff", "%FF", "%ED%A0%80", "%C0%AF", "%e4%b8", "%2F", "%2f%2e%2e", "%", "%G1", "%2", "+", "%20",
       "%0d%0a", "%0A", "%23", "%3F", "&", "=", ";", "%26", "%3D", "%5C", "%7F", "%EF%BB%BF", "%F4%90%80%80"]
TOKENS = [
    "", " ", "\t", "0", "-1", "+1", "00", "1_000", "31337.9", "2.0", str(2**64), str(2**256), "9" * 90,
    "-" + str(2**64), "1e400", "-1e400", "NaN", "nan", "Infinity", "-0", "0x10", "true", "false", "null", "None",
    "²", "٣", "１", "é", "中", "中国", "\U0001F600", "\u200f", "\ufeff", "\u00a0", "\u3000", "\ud800", "\udfff",
    "\x00", "\x7f", "'", '"', "<script>alert(1)</script>", "{{7*7}}", "{0}", "%s", "../", "..", ".", "/", "\\",
    "a" * 300, "now", "never", "9999-12-31", "2024-02-30", "1969-12-31", "0000-01-01", "2024-01-01T25:00",
    "2024-01-01T00:00:00+99:00", "sha256:", "0x", "0X", "0x" + "0" * 40, "0x" + "0" * 64,
]
EVENT_NAMES = ["WorkRegistered", "WorkConfirmed", "DisputeOpened", "LicenceGranted", "IdentityVerified",
               "RoleGranted", "GenerationRecorded", "Transfer"]


def _enc(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@dataclass(frozen=True)
class Values:
    """A parameter's valid values (from the world) and its well-formed edge values."""

    bases: list[str]
    extra: list[str] = field(default_factory=list)


@st.composite
def mutated(draw: Callable[[Any], Any], values: Values, mutate: bool = True) -> str:  # type: ignore[assignment]
    """A percent-encoded value: one of the valid ``values.bases``, or (``mutate``) one mutated, an edge
    value of ``values.extra`` or a token."""
    v: str = draw(st.sampled_from(values.bases))
    extra = values.extra
    if not mutate:
        return _enc(v)
    op = draw(st.sampled_from(["as is", "digit", "drop", "add", "upper", "swapcase", "0X", "blank", "token", "token",
                               "extra", "extra", "extra", "long", "words", "words", "unicode", "raw", "raw", "text"]))
    if op == "digit" and v:
        i = draw(st.integers(0, len(v) - 1))
        v = v[:i] + draw(st.sampled_from(HEX + "gGxZ")) + v[i + 1:]
    elif op == "drop" and v:
        i = draw(st.integers(0, len(v) - 1))
        v = v[:i] + v[i + 1:]
    elif op == "add":
        i = draw(st.integers(0, len(v)))
        v = v[:i] + draw(st.sampled_from(HEX + " -_")) * draw(st.integers(1, 3)) + v[i:]
    elif op == "upper":
        v = v.upper()
    elif op == "swapcase":
        v = v.swapcase()
    elif op == "0X":
        v = "0X" + v.removeprefix("0x")
    elif op == "blank":
        v = draw(st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "\r\n"])) + v + draw(st.sampled_from(["", " "]))
    elif op == "token":
        v = draw(st.sampled_from(TOKENS))
    elif op == "extra" and extra:
        v = draw(st.sampled_from(list(extra)))
    elif op == "long":
        v = (v or "a") * draw(st.sampled_from([50, 400])) if len(v) < 100 else v * 20
    elif op == "words":  # many words (a search's terms)
        v = " ".join([v[:12] or "a", "b"] * draw(st.sampled_from([60, 600, 1200])))  # < 64 KB: uvicorn's limit
    elif op == "unicode":
        i = draw(st.integers(0, len(v)))
        v = v[:i] + draw(st.sampled_from(["ａ", "٣", "\U0001F600", "\u200f", "é", "中", "\ud800", "\x00"])) + v[i:]
    elif op == "text":
        v = draw(st.text(max_size=12))
    out = _enc(v)
    if op == "raw":
        i = draw(st.integers(0, len(out)))
        out = out[:i] + draw(st.sampled_from(RAW)) + out[i:]
    return out


@dataclass
class World:
    """The values the fixture's chain knows, as the bases of the mutations."""

    works: PortalWorks
    sha256: str
    unknown: str = "ab" * 32

    @property
    def work_ids(self) -> list[str]:
        w = self.works
        return [w.confirmed, w.confirmed, w.ai_work, w.disputed, w.confirmed[2:], self.sha256, "0x" + self.unknown]

    @property
    def accounts(self) -> list[str]:
        w = self.works
        return [w.licensee, w.licensee, w.alice, w.bob, w.licensee.lower(), "licensee", "rando", "nobody"]


#: A strategy for every parameter name of the portal's routes (path and query), from the world.
PARAMS: dict[str, Callable[[World], Values]] = {
    "work_id": lambda w: Values(w.work_ids),
    "sha256": lambda w: Values([w.sha256, w.works.confirmed[2:], w.unknown, "sha256:" + w.sha256, w.works.ai_work]),
    "work": lambda w: Values(w.work_ids),
    "q": lambda w: Values(w.work_ids, ["sha256:" + w.sha256, "  "]),
    "licensee": lambda w: Values(w.accounts),
    "holder": lambda w: Values(w.accounts),
    "use": lambda w: Values(list(USES), ["PERFORM", "juggling"]),
    "territory": lambda w: Values(["CN", "PT", "US", "worldwide", "*", "ZZ", "EU", "cn"]),
    "at": lambda w: Values(["2026-01-01", "2020-02-29", "1700000000", "now", "2026-01-01T12:00:00Z", "0",
                            "9999-12-31T23:59:59-14:00", str(2**40 - 1)],  # the last two: after the year 9999
                           [str(2**40), str(2**64), "253402300800", "1e400", "NaN", "-1", "9999-12-31T23:59:59+14:00",
                            "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"]),
    "since": lambda w: Values(["2000-01-01", "2026-12-31", "2024-02-29"], ["2026-02-30", "now", "1700000000"]),
    "until": lambda w: Values(["2099-01-01", "2026-12-31", "2024-02-29"], ["2026-02-30", "now", "1700000000"]),
    "page": lambda w: Values(["1", "2", "3", str(2**64)], ["0", "-1", str(2**63), "1e400", "NaN", "1.5"]),
    "per_page": lambda w: Values(["1", "2", "50", "500"], ["0", "501", "-1", str(2**64), "1e400", "NaN"]),
    "event": lambda w: Values(EVENT_NAMES, ["workregistered", "Work Registered"]),
    "replay": lambda w: Values(["false", "0", "no", "off"], ["true", "maybe", "2", "tru"]),
    "file": lambda w: Values([w.works.confirmed_file.name, "song.mp3", "<b>x</b>.txt"]),
    "title": lambda w: Values(["Harbour", "harbour lig", "Contested Tune", "no such title", "中文"]),
    "creator": lambda w: Values(["Alice Author", "alice", "bob"]),
    "id": lambda w: Values(w.work_ids, ["ISRC-XX", "isbn"]),
    "type": lambda w: Values(["music", "image", "text"], ["MUSIC", "1", "0"]),
    "status": lambda w: Values(["confirmed", "pending", "disputed", "REJECTED"], ["lost", "1"]),
    "lang": lambda w: Values(["en", "zh", "zh-CN", "zh_CN.UTF-8", "C"], ["xx", "zh-Hant", "en;q=0"]),
    "path": lambda w: Values(["portal.js", "portal.css"], ["../app.py", "..%2fapp.py", "nope.js", "", "."]),
}
#: Routes that are no APIRoute, by path: how they are called.
OTHER_ROUTES = {"/openapi.json": (), "/static": ("path",)}
UNKNOWN_PARAMS = ["format", "limit", "foo", "page[]", "", "__proto__", "q"]
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def route_params(route: Any) -> tuple[list[str], list[str]]:
    """(path parameter names, query parameter names) of a route; KeyError for an unknown kind."""
    if isinstance(route, APIRoute):
        return [p.name for p in route.dependant.path_params], [p.alias for p in route.dependant.query_params]
    if isinstance(route, Mount | Route) and route.path in OTHER_ROUTES:
        names = list(OTHER_ROUTES[route.path])
        return (names, []) if isinstance(route, Mount) else ([], names)
    raise KeyError(f"route {route.path!r} ({type(route).__name__}) has no fuzzing strategy: add it to OTHER_ROUTES")


def test_every_route_and_parameter_has_a_strategy():
    """A route or a parameter added later must get a strategy here (else it goes unfuzzed)."""
    assert {"/", "/api/works/{work_id}", "/licence-check", "/audit", "/static"} <= set(ROUTE_PATHS)
    missing = []
    for route in ROUTES:
        try:
            path_names, query_names = route_params(route)
        except KeyError as exc:
            missing.append(str(exc))
            continue
        missing += [f"{route.path}: parameter {n!r}" for n in [*path_names, *query_names] if n not in PARAMS]
    assert not missing, f"no fuzzing strategy for: {missing}"


# --- one case -------------------------------------------------------------------------------


@dataclass
class Case:
    route: str
    method: str
    target: str  # path and query, percent-encoded as sent
    headers: dict[str, str] = field(default_factory=dict)


@st.composite
def cases(draw: Callable[[Any], Any], route: Any, world: World) -> Case:  # type: ignore[assignment]
    path_names, query_names = route_params(route)
    names = [*path_names, *[n for n in query_names if draw(st.integers(0, 6))]]  # a query parameter 6 times in 7
    how = draw(st.sampled_from(["valid", "one", "one", "one", "some", "all"]))  # which values to mutate
    one = draw(st.sampled_from(names)) if names else None
    mutate = {n: how == "all" or (how == "one" and n == one) or (how == "some" and draw(st.booleans())) for n in names}
    path = route.path + ("/{path}" if isinstance(route, Mount) else "")
    for name in path_names:
        path = path.replace("{" + name + "}", draw(mutated(PARAMS[name](world), mutate[name])))
    query = [(quote(n), draw(mutated(PARAMS[n](world), mutate[n]))) for n in names if n not in path_names]
    if query and draw(st.integers(0, 5)) == 0:  # a repeated parameter, with another value
        name = draw(st.sampled_from([k for k, _ in query]))
        query.append((name, draw(mutated(PARAMS[unquote_to_bytes(name).decode()](world)))))
    if draw(st.integers(0, 5)) == 0:  # an unknown parameter
        query.append((quote(draw(st.sampled_from(UNKNOWN_PARAMS))), draw(mutated(Values(["json", "1", "x"])))))
    if draw(st.integers(0, 4)) == 0:
        query.append(("lang", draw(mutated(PARAMS["lang"](world), draw(st.booleans())))))
    query = draw(st.permutations(query)) if len(query) > 1 else query
    target = path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    if draw(st.integers(0, 9)) == 0:
        target += draw(st.sampled_from(["&", "?", "&&", "#frag", "&=", "&x", "?&"]))
    headers: dict[str, str] = {}
    if draw(st.integers(0, 5)) == 0:
        headers["Accept-Language"] = draw(st.sampled_from(
            ["zh-CN,zh;q=0.9", "en", "*", "xx;q=NaN", "zh;q=1e400, en;q=-1", "zh;q=", ";;;,,,", "é" * 50]))
    if draw(st.integers(0, 7)) == 0:
        headers["Cookie"] = "lang=" + draw(mutated(PARAMS["lang"](world)))
    method = draw(st.sampled_from(["GET"] * 6 + ["HEAD"] * 2 + list(WRITE_METHODS)))
    return Case(route.path, method, target, headers)


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
EXCEPTION_NAMES = re.compile(r"\b(" + "|".join(sorted(
    {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)
     and n.endswith(("Error", "Exception", "Exit", "Interrupt", "Iteration"))}
    | {n for n, v in vars(E).items() if isinstance(v, type) and issubclass(v, BaseException)}
    | {"ValidationError", "RequestValidationError", "HTTPException", "JSONDecodeError", "FeatureUnavailable"}
)) + r")\b")


def send(base: str, case: Case) -> tuple[int, dict[str, str], bytes, float]:
    """(status, headers with lower-case names, body, seconds) of one request; a hang fails the case."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    assert host == "127.0.0.1"
    conn = http.client.HTTPConnection(host, port, timeout=CASE_TIMEOUT)
    t0 = time.perf_counter()
    try:
        conn.putrequest(case.method, case.target, skip_accept_encoding=True)
        for k, v in case.headers.items():
            conn.putheader(k, v.encode("utf-8"))
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
    except TimeoutError as exc:
        pytest.fail(f"no answer within {CASE_TIMEOUT:.0f} s (a hang): {case}: {exc}")
    finally:
        conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, time.perf_counter() - t0


def check(base: str, case: Case, chain_down: bool = False) -> int:
    status, headers, body, seconds = send(base, case)
    TALLY[str(status)] += 1
    CLOCK["seconds"] += seconds
    text = body.decode("utf-8", "replace")
    where = f"{case.method} {case.target} {case.headers or ''} -> {status}: {text[:400]!r}"
    decoded = unquote_to_bytes(case.target.split("?", 1)[0].split("#", 1)[0]).decode("utf-8", "replace")
    unreachable = {503} if chain_down else set()  # the chain node is not reachable: said so, with a 503
    assert status < 500 or status in {501, *unreachable}, where  # never a server error
    if case.method in WRITE_METHODS:
        assert status == 405, where
        assert headers.get("allow") == "GET, HEAD", where
    else:
        allowed = {200, 400, 404, *unreachable}
        if decoded.rstrip("/").endswith("/certificate.pdf"):
            allowed.add(501)
        if decoded == "/lookup":
            allowed.add(303)
        if decoded.endswith("/") and decoded != "/":
            allowed |= {307, 308}  # a trailing slash redirects to the route without it
        assert status in allowed, where
        if status in (303, 307, 308):
            location = headers.get("location", "")
            assert location.startswith("/") and not location.startswith("//") or location.startswith(
                base + "/"), where  # no redirect off the portal
    if case.method == "HEAD":
        assert not body, where
    is_api = decoded.startswith("/api/")
    if is_api and status >= 400 and case.method != "HEAD":
        doc = json.loads(text)
        assert headers.get("content-type", "").startswith("application/json"), where
        assert set(doc) <= {"status", "error", "hint"} and doc["status"] == status, where
        assert isinstance(doc["error"], str) and doc["error"].strip(), where
        assert doc.get("hint") is None or isinstance(doc["hint"], str), where
    elif is_api and status == 200 and case.method == "GET":
        json.loads(text)
    ctype = headers.get("content-type", "")
    if ctype.startswith("text/html"):
        assert headers.get("content-security-policy") == CSP, where
        assert "<script>alert(1)</script>" not in text, where  # reflected input is escaped
    if not decoded.startswith("/static/") and decoded != "/openapi.json":
        assert not TRACEBACK.search(text), where
        found = EXCEPTION_NAMES.search(text)
        assert not found, f"exception class name {found[0]!r} in the body: {where}"
    assert seconds < CASE_TIMEOUT, where
    return status


class _TallyLine:
    """Prints ``portal fuzz: N cases (statuses) in S s`` in the terminal summary (as tests/fuzz does)."""

    @staticmethod
    def pytest_terminal_summary(terminalreporter: Any) -> None:
        if TALLY:
            statuses = ", ".join(f"{n} x {s}" for s, n in sorted(TALLY.items()))
            terminalreporter.write_sep("-", f"portal fuzz: {sum(TALLY.values())} cases ({statuses}) in "
                                            f"{CLOCK['seconds']:.0f} s of request time")


@pytest.fixture(scope="module", autouse=True)
def tally_line(request: pytest.FixtureRequest) -> None:
    if not request.config.pluginmanager.has_plugin("portal-fuzz-tally"):
        request.config.pluginmanager.register(_TallyLine(), "portal-fuzz-tally")


@pytest.fixture(scope="module")
def world(works: PortalWorks) -> World:
    return World(works, hashlib.sha256(works.confirmed_file.read_bytes()).hexdigest())


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_PATHS)
def test_fuzz_route(route: Any, portal: str, world: World):
    @_settings(EXAMPLES)
    @given(cases(route, world))
    def one(case: Case) -> None:
        check(portal, case)

    one()


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_PATHS)
def test_fuzz_route_chain_down(route: Any, portal_down: str, world: World):
    """The same cases against a portal whose chain node is a closed port: 503 is then an answer."""
    @_settings(EXAMPLES // 3)
    @given(cases(route, world))
    def one(case: Case) -> None:
        check(portal_down, case, chain_down=True)

    one()
