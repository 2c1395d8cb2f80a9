"""``create_app(settings)``: the portal's routes, HTML pages and JSON API."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.core import errors as E
from ledger.core import i18n
from ledger.core.config import Settings
from ledger.core.i18n import gettext as _
from ledger.core.types import USES
from ledger.portal import charts, words
from ledger.portal.models import AuditSummaryOut, CoverageOut, ErrorOut, EventsPageOut, WorkOut
from ledger.portal.service import NOT_AVAILABLE, FeatureUnavailable, Reader, iso, parse_hash

READ_METHODS = ("GET", "HEAD")
ERRORS = {400: ErrorOut, 404: ErrorOut, 501: ErrorOut, 503: ErrorOut}
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed input (id, hash, address, use, page)"},
    404: {"model": ErrorOut, "description": "No such work"},
    503: {"model": ErrorOut, "description": "The chain node is not reachable"},
}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


class HeadAsGet:
    """HEAD is answered as GET without the body (FastAPI's GET routes would refuse it with 405)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: dict[str, Any]) -> None:
            await send({**message, "body": b""} if message["type"] == "http.response.body" else message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def invalid_parameter(exc: RequestValidationError) -> str:
    """One sentence for the first parameter FastAPI could not convert (a page number that is no number...)."""
    err = (exc.errors() or [{}])[0]
    name = str((err.get("loc") or ("?",))[-1])
    kind = str(err.get("type", ""))
    value = repr(str(err.get("input", "")))
    value = value if len(value) <= 60 else value[:57] + "..."
    if kind == "missing":
        return _("the parameter {name} is required").format(name=name)
    if kind.startswith("int"):
        return _("{name} {value} is not a whole number").format(name=name, value=value)
    if kind.startswith("bool"):
        return _("{name} {value} is not true or false").format(name=name, value=value)
    return _("{name} {value} is malformed").format(name=name, value=value)


def status_of(exc: BaseException) -> int:
    if isinstance(exc, E.WorkNotFound):
        return 404
    if isinstance(exc, FeatureUnavailable):
        return 501
    if isinstance(exc, E.ChainUnavailable | E.ConfigError | E.StoreUnavailable):
        return 503  # NotDeployed is a ConfigError: the portal cannot serve this network
    return 400


def sentence(text: object) -> str:
    """Capitalise the first letter and end with a full stop (leaving names like LedgerError alone)."""
    s = str(text or "").strip()
    if not s:
        return s
    s = s[0].upper() + s[1:]
    return s if s[-1] in ".!?" else s + "."


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("ledger.portal", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = lambda v, n=10: (str(v)[:n] + "…" + str(v)[-4:]) if v and len(str(v)) > n + 6 else v
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True)
    env.filters["compact"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    env.filters["iso"] = iso
    env.filters["sentence"] = sentence
    env.filters["when"] = lambda v: Markup('<span class="nowrap">{}</span> <span class="nowrap">{}</span>').format(
        *str(v).split(" ", 1)) if v and " " in str(v) else (v or "-")  # fmt: skip
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["words"] = words
    env.globals["t"] = words.t
    return env


def request_language(request: Request) -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else ``Accept-Language``, else English."""
    return (
        i18n.normalize(request.query_params.get("lang"))
        or i18n.normalize(request.cookies.get("lang"))
        or i18n.from_accept_language(request.headers.get("accept-language"))
        or i18n.DEFAULT
    )


def short_address(address: str) -> str:
    return address[:8] + "…" + address[-6:] if len(address) == 42 else address


def account_html(address: str | None, names: dict[str, str], verified: set[str], full: bool = False) -> Markup:
    """An account for people: its name when one is known, the address beside it; never wrapped."""
    if not address:
        return Markup("")
    a = str(address)
    name = names.get(a.lower())
    shown = a if full else short_address(a)
    badge = (Markup(' <span class="badge ok small">{}</span>').format(_("real name verified"))
             if a.lower() in verified else Markup(""))  # fmt: skip
    if name:
        return Markup('<span class="acct"><span class="name">{}</span> <span class="addr mono" title="{}">{}</span>'
                      "{}</span>").format(name, a, shown, badge)  # fmt: skip
    return Markup('<span class="acct"><span class="addr mono" title="{}">{}</span>{}</span>').format(a, shown, badge)


def create_app(settings: Settings) -> FastAPI:
    """The portal over the ledger described by ``settings`` (read-only: no keys, no writes)."""
    reader = Reader(settings)
    templates = _templates()
    app = FastAPI(
        title="Rights Ledger portal",
        version="0.1.0",
        description=(
            "Read-only views of a Rights Ledger deployment: works, licence checks, the decoded "
            "event history and the audit summary. Errors have a JSON body "
            '`{"status": ..., "error": "<sentence>", "hint": ...}`.'
        ),
        docs_url=None,  # the Swagger UI loads from a CDN; the portal must work offline
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.reader = reader
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(packages=[("ledger.portal", "static")]), name="static")

    def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        names, verified = reader.names(), reader.verified()

        def who(address: str | None, full: bool = False) -> Markup:
            return account_html(address, names, verified, full)

        html = templates.get_template(name).render(
            network=settings.network, nav=ctx.pop("nav", ""), not_available=_(NOT_AVAILABLE), who=who,
            lang=i18n.current(), html_lang="zh-CN" if i18n.current() == "zh_CN" else "en", **ctx,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status)

    def error_response(request: Request, status: int, message: str, hint: str | None) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"status": status, "error": message, "hint": hint}, status_code=status)
        titles = {400: _("Malformed request"), 404: _("Not found"), 405: _("Read-only"), 501: _("Not available"),
                  503: _("Chain unreachable")}  # fmt: skip
        return page("error.html", status, title=titles.get(status, _("Error")), message=message, hint=hint,
                    code=status)  # fmt: skip

    # --- errors and the read-only rule ---------------------------------------------------

    @app.exception_handler(E.LedgerError)
    async def ledger_error(request: Request, exc: E.LedgerError) -> Response:
        exc = reader.guard(exc)  # type: ignore[assignment]
        return error_response(request, status_of(exc), exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 400, invalid_parameter(exc), None)  # a malformed input, as everywhere

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: _("There is no page at {path}.").format(path=request.url.path)}.get(
            exc.status_code, str(exc.detail)
        )
        return error_response(request, exc.status_code, message, None)

    @app.middleware("http")
    async def read_only(request: Request, call_next: Any) -> Response:
        lang = i18n.set_language(request_language(request))
        if request.method not in READ_METHODS:
            response: Response = error_response(
                request, 405, _("The portal is read-only: {method} is not accepted.").format(method=request.method),
                _("use the rights-ledger CLI to change the ledger"),
            )  # fmt: skip
            response.headers["Allow"] = ", ".join(READ_METHODS)  # a page too: it gets the headers below
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Language", "zh-CN" if lang == "zh_CN" else "en")
        response.headers.setdefault("Vary", "Accept-Language, Cookie")
        if request.query_params.get("lang") and i18n.normalize(request.query_params.get("lang")):
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    # --- HTML pages -------------------------------------------------------------------

    from ledger.portal.desk import add_desk_routes  # issue 18: search and the read-only review page

    add_desk_routes(app, reader, page)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        try:
            recent, recent_error, status = reader.recent_works(), None, 200
        except E.LedgerError as exc:
            down = reader.guard(exc)
            recent, recent_error = [], getattr(down, "message", str(down))
            status = status_of(down)  # the page still renders (the forms work once the chain is back)
        return page("index.html", status, nav="lookup", recent=recent, recent_error=recent_error)

    @app.get("/lookup", include_in_schema=False)
    def lookup(q: str = "") -> Response:
        if not q.strip():
            return RedirectResponse("/", status_code=303)
        return RedirectResponse(f"/works/{parse_hash(q)}", status_code=303)

    @app.get("/works/by-hash/{sha256}", response_class=HTMLResponse, include_in_schema=False)
    def work_by_hash_page(sha256: str, file: str | None = None) -> HTMLResponse:
        wid = parse_hash(sha256)
        try:
            work = reader.work(wid)
        except E.WorkNotFound:
            return page("not_registered.html", 404, nav="lookup", sha256=wid[2:], file=file)
        return page("work.html", nav="lookup", w=work, file=file)

    @app.get("/works/{work_id}", response_class=HTMLResponse, include_in_schema=False)
    def work_page(work_id: str) -> HTMLResponse:
        return page("work.html", nav="lookup", w=reader.work(parse_hash(work_id)), file=None)

    @app.get("/works/{work_id}/certificate.pdf", include_in_schema=False)
    def certificate(work_id: str) -> Response:
        pdf = reader.certificate(parse_hash(work_id))
        name = f"certificate-{parse_hash(work_id)[2:14]}.pdf"
        headers = {"Content-Disposition": f'inline; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)

    @app.get("/licence-check", response_class=HTMLResponse, include_in_schema=False)
    def licence_check(
        work: str = "", licensee: str = "", use: str = "", territory: str = "", at: str = ""
    ) -> HTMLResponse:
        available = True  # the licensing chapter is part of every build
        result, error, status = None, None, 200
        if available and work and licensee and use:
            try:
                result = reader.licence_status(work, licensee, use, territory or None, at or None)
            except E.LedgerError as exc:
                exc = reader.guard(exc)  # type: ignore[assignment]
                status, error = status_of(exc), exc
        try:
            recent = reader.recent_works(50)
        except E.LedgerError as exc:
            recent, down = [], reader.guard(exc)
            if error is None and isinstance(down, E.LedgerError):
                status, error = status_of(down), down
        return page(
            "licence.html", status, nav="licence", available=available, result=result, error=error,
            form={"work": work, "licensee": licensee, "use": use, "territory": territory, "at": at},
            uses=list(USES), recent=recent,
        )  # fmt: skip

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit(
        event: str = "", work: str = "", page_no: int = Query(1, alias="page"), replay: bool = False
    ) -> HTMLResponse:
        summary = reader.audit_summary(run_replay=replay)
        events = reader.events_page(event or None, work or None, page_no, 50)
        return page(
            "audit.html", nav="audit", s=summary, ev=events,
            timeline_svg=Markup(charts.timeline_svg(summary["timeline"])),
            totals_svg=Markup(charts.totals_svg(summary["countsByType"])),
            filters={"event": event, "work": work},
        )  # fmt: skip

    # --- JSON API ---------------------------------------------------------------------

    @app.get("/api/works/by-hash/{sha256}", response_model=WorkOut, responses=API_ERRORS, tags=["works"])
    def api_work_by_hash(sha256: str) -> dict[str, Any]:
        """The work registered for content with this SHA-256 (64 hex digits, as a browser computes it).

        404 when no work is registered for the content; 400 when the hash is malformed.
        """
        wid = parse_hash(sha256)
        try:
            return reader.work(wid)
        except E.WorkNotFound:
            raise E.WorkNotFound(
                "WorkRegistry__NotFound", {"workId": wid},
                f"No work is registered for content with SHA-256 {wid[2:]}.",
                hint="the file may differ by a single byte from the registered one",
            ) from None  # fmt: skip

    @app.get("/api/works/{work_id}", response_model=WorkOut, responses=API_ERRORS, tags=["works"])
    def api_work(work_id: str) -> dict[str, Any]:
        """A work by id (0x + the content's SHA-256): status, holders, history, verified metadata, licences."""
        return reader.work(parse_hash(work_id))

    @app.get(
        "/api/licence-status", response_model=CoverageOut, tags=["licences"],
        responses={**API_ERRORS, 501: {"model": ErrorOut, "description": "Licensing is not in this build"}},
    )  # fmt: skip
    def api_licence_status(
        work: str = Query(..., description="Work id (0x + 64 hex digits)"),
        licensee: str = Query(..., description="Licensee address (0x + 40 hex digits)"),
        use: str = Query(..., description="Kind of use: " + ", ".join(USES)),
        territory: str | None = Query(None, description="ISO 3166 alpha-2 code; empty for worldwide"),
        at: str | None = Query(None, description="When: YYYY-MM-DD or seconds since the epoch; default now"),
    ) -> dict[str, Any]:
        """May LICENSEE use WORK for USE (in TERRITORY, at AT)? The same answer as `rights-ledger licence status`."""
        return reader.licence_status(work, licensee, use, territory, at)

    @app.get("/api/events", response_model=EventsPageOut, responses=API_ERRORS, tags=["audit"])
    def api_events(
        event: str | None = Query(None, description="Only events with this name, e.g. WorkConfirmed"),
        work: str | None = Query(None, description="Only events about this work id"),
        page: int = Query(1, description="Page number, from 1"),
        per_page: int = Query(50, description="Events per page, 1..500"),
    ) -> dict[str, Any]:
        """The decoded event history of every ledger contract, newest first, paged and filtered."""
        return reader.events_page(event, work, page, per_page)

    @app.get("/api/audit/summary", response_model=AuditSummaryOut, responses=API_ERRORS, tags=["audit"])
    def api_audit_summary(
        replay: bool = Query(False, description="Run the audit replay now (read-only; may take a while)"),
    ) -> dict[str, Any]:
        """Event counts by type, over time, and the latest audit replay result (or checkpoint file)."""
        return reader.audit_summary(run_replay=replay)

    schema = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document without its 422 "Validation Error": an unconvertible parameter is a 400."""
        if app.openapi_schema is None:
            doc = schema()
            for operations in doc.get("paths", {}).values():
                for op in operations.values():
                    op.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                doc.get("components", {}).get("schemas", {}).pop(name, None)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
