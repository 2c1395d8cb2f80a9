"""The registrar's desk in the portal (issue 18): work search and a read-only review page.

Writes (confirm, reject, override) stay in the CLI; these pages read the local index and the
chain like ``rights-ledger work search`` and ``work review`` do.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from ledger.core import errors as E
from ledger.core.i18n import gettext as _
from ledger.portal.models import ErrorOut

SEARCH_FIELDS = ("title", "creator", "id", "holder", "type", "status", "since", "until")
SEARCH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed filter (holder, type, status, date, too many words)"},
    503: {"model": ErrorOut, "description": "The chain node is not reachable"},
}


def _filters(reader: Any, q: dict[str, str]) -> dict[str, Any]:
    from ledger.content.metadata import WorkType
    from ledger.core.parsing import parse_date
    from ledger.domain.review import STATUS_NUMBERS

    out: dict[str, Any] = {}
    if q.get("title"):
        out["title"] = q["title"]
    if q.get("creator"):
        out["creator"] = q["creator"]
    if q.get("id"):
        out["identifier"] = q["id"]
    if q.get("holder"):
        out["holder"] = reader.resolve(q["holder"], "holder")
    if q.get("type"):
        out["work_type"] = int(WorkType.parse(q["type"]))
    if q.get("status"):
        if q["status"].upper() not in STATUS_NUMBERS:
            raise E.InputError(f"unknown status {q['status']!r}")
        out["status"] = STATUS_NUMBERS[q["status"].upper()]
    if q.get("since"):
        out["since"] = calendar.timegm(parse_date(q["since"], "since").timetuple())
    if q.get("until"):
        out["until"] = calendar.timegm(parse_date(q["until"], "until").timetuple()) + 86399
    return out


def add_desk_routes(app: FastAPI, reader: Any, page: Callable[..., HTMLResponse]) -> None:
    """``/search`` (HTML), ``/api/search`` (JSON) and ``/works/{id}/review`` (HTML, read-only)."""
    from ledger.portal.service import parse_hash

    def desk() -> Any:
        from ledger.domain.review import Desk

        return Desk(reader.ledger())

    def run_search(q: dict[str, str]) -> list[dict[str, Any]]:
        from ledger.domain.review import query_terms

        for key in ("title", "creator"):
            if q.get(key) and not query_terms(q[key])[0]:
                raise E.InputError(f"{key} {q[key]!r} has no letters or digits to search for")
        return desk().search(**_filters(reader, q), limit=100)  # (too many words: the index refuses them)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(title: str = "", creator: str = "", id: str = "", holder: str = "", type: str = "",  # noqa: A002
                    status: str = "", since: str = "", until: str = "") -> HTMLResponse:
        q = {k: v.strip() for k, v in zip(SEARCH_FIELDS, (title, creator, id, holder, type, status, since, until),
                                         strict=True) if v.strip()}
        results = run_search(q) if q else None
        return page("search.html", nav="search", q=q, results=results)

    @app.get("/api/search", tags=["works"], responses=SEARCH_ERRORS)
    def api_search(title: str = "", creator: str = "", id: str = "", holder: str = "", type: str = "",  # noqa: A002
                   status: str = "", since: str = "", until: str = "") -> list[dict[str, Any]]:
        """Works matching every given filter (title words, the last a prefix; CJK as a substring),
        newest registrations first, at most 100."""
        q = {k: v.strip() for k, v in zip(SEARCH_FIELDS, (title, creator, id, holder, type, status, since, until),
                                         strict=True) if v.strip()}
        if not q:
            raise E.InputError(_("give at least one filter"))
        return run_search(q)

    @app.get("/works/{work_id}/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page(work_id: str) -> HTMLResponse:
        return page("review.html", nav="search", f=desk().review(parse_hash(work_id)))
