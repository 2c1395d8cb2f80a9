"""Fixtures for the portal: a real anvil node (``ledger_env``), works on it, and the portal
served by uvicorn on 127.0.0.1 (one pointed at the node, one at a closed port)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests
import uvicorn

from ledger.content.metadata import build_work_metadata
from ledger.core.config import Settings
from ledger.core.types import Holder
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection
from ledger.portal import create_app
from tests.fixtures.chain import free_port, ledger_env  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@dataclass(frozen=True)
class PortalWorks:
    """What the portal tests look at: two works on the chain and the file of the first."""

    confirmed: str  # co-owned by alice (6000) and bob (4000), confirmed by the registrar
    confirmed_title: str
    confirmed_file: Path
    ai_work: str  # ai-assisted, pending
    alice: str
    bob: str
    registrar: str
    licensee: str
    licence_id: int  # a work licence to ``licensee`` for "perform"
    disputed: str  # confirmed, then disputed by bob
    generation_model: str  # the model of a generation record on ``ai_work``


def page_paths(works: PortalWorks) -> dict[str, str]:
    """Every page of the portal the i18n and layout tests render, by name (the screenshots' names)."""
    return {
        "lookup": "/",
        "work": f"/works/{works.confirmed}",
        "work-ai": f"/works/{works.ai_work}",
        "work-disputed": f"/works/{works.disputed}",
        "licence-check": f"/licence-check?work={works.confirmed}&licensee={works.licensee}&use=perform",
        "licence-refused": f"/licence-check?work={works.confirmed}&licensee={works.licensee}&use=ai-training",
        "audit": "/audit",
        "audit-replay": "/audit?replay=true",
        "not-registered": "/works/by-hash/" + "ab" * 32,
        "error-400": "/works/not-a-hash",
        "error-404": "/no/such/page",
        "certificate-501": f"/works/{works.confirmed}/certificate.pdf",
    }


@pytest.fixture(scope="session")
def works(ledger_env, tmp_path_factory) -> PortalWorks:  # noqa: F811
    folder = tmp_path_factory.mktemp("portal-files")
    content = b"Harbour Lights, a song\n" + os.urandom(16).hex().encode()
    path = folder / "harbour-lights.txt"
    path.write_bytes(content)
    alice, registrar = ledger_env.ledger("alice"), ledger_env.ledger("registrar")
    a, b = ledger_env.addresses["alice"], ledger_env.addresses["bob"]
    title = "Harbour Lights"
    doc = build_work_metadata(
        title=title,
        creators=[{"name": "Alice Author", "role": "lyricist"}],
        work_type="music",
        content_sha256=hashlib.sha256(content).hexdigest(),
        language="en",
    )
    first = alice.register_work(doc, [Holder(a, 6000), Holder(b, 4000)])
    registrar.confirm_work(first.work_id)
    ai_doc = build_work_metadata(
        title="Harbour at Dawn",
        creators=[{"name": "Alice Author", "role": "illustrator"}],
        work_type="image",
        content_sha256=os.urandom(32).hex(),
        creation_mode="ai-assisted",
        ai_declaration={"models": [{"name": "example-diffusion", "version": "2.1"}], "tools": ["inpainting"]},
    )
    second = alice.register_work(ai_doc, [Holder(a, 10000)])
    lic = Licensing(alice)
    _result, licence_id = lic.grant(ledger_env.addresses["licensee"], [first.work_id], lic.terms(["perform"]))
    third_doc = build_work_metadata(
        title="Contested Tune", creators=[{"name": "Alice Author", "role": "composer"}], work_type="music",
        content_sha256=os.urandom(32).hex(),
    )  # fmt: skip
    third = alice.register_work(third_doc, [Holder(a, 10000)])
    registrar.confirm_work(third.work_id)
    Protection(ledger_env.ledger("bob")).open_dispute(third.work_id, b"bob's earlier draft, dated 2023")
    disputed, model = third.work_id, "example-diffusion"
    Protection(alice).record_generation(
        second.work_id, model, "2.1", "0x" + os.urandom(32).hex(), second.work_id, {"seed": 7, "steps": 30}
    )
    return PortalWorks(
        first.work_id, title, path, second.work_id, a, b, ledger_env.addresses["registrar"],
        ledger_env.addresses["licensee"], licence_id, disputed, model,
    )  # fmt: skip


class _Served:
    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60  # a loaded CI machine builds the first answer slowly
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/openapi.json", timeout=10).status_code == 200:
                    return self.url
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine: the first schema takes >1 s
                time.sleep(0.05)
        raise RuntimeError("the portal did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def portal(ledger_env, works) -> Iterator[str]:  # noqa: F811
    """Base URL of the portal over the test node."""
    with _Served(ledger_env.settings) as url:
        yield url


@pytest.fixture(scope="session")
def portal_down(ledger_env) -> Iterator[str]:  # noqa: F811
    """Base URL of a portal whose chain node is a closed port."""
    closed = f"http://127.0.0.1:{free_port()}"
    settings = ledger_env.settings.with_network(replace(ledger_env.settings.network, rpc_url=closed, embedded=False))
    with _Served(settings) as url:
        yield url


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
