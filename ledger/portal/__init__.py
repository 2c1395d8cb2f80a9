"""The read-only web portal: ``rights-ledger serve``.

A FastAPI app over the same SDK the CLI uses (:class:`ledger.ledger.Ledger`), opened
without a signer and without starting or deploying anything. HTML pages are rendered on
the server (Jinja2, autoescaped) with a little vanilla JavaScript shipped as package data
(``static/``), so the portal works offline: no CDN, no external fonts. The JSON API under
``/api`` serves the same reads and is described at ``/openapi.json``.

Pages: ``/`` (look a work up by id or content hash, or drop a file that the browser hashes
with WebCrypto), ``/works/{id}``, ``/licence-check``, ``/audit``. Every request other than
GET or HEAD is refused with 405.

Optional chapters (licensing, audit replay, certificates, provenance) are used when their
modules import; otherwise the page says "not available in this build".
"""

from ledger.portal.app import create_app

__all__ = ["create_app"]
