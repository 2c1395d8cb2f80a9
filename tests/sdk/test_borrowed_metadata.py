"""A work citing another work's metadata document (SECURITY stop 13) is not described by it
anywhere else either: the CWR export, the DSR work finder, the portal's latest registrations and
the desk's evidence (its AI declaration) read the document only when it names this content."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import pytest

from ledger.content.cid import cid_for_bytes
from ledger.content.iscc import content_code
from ledger.content.metadata import build_work_metadata, encode_work_metadata
from ledger.core.types import Holder
from tests.fixtures.chain import LedgerEnv


def _borrow(env: LedgerEnv, doc: dict[str, Any], cid: str) -> str:
    """The registrant (another client than the CLI) registers random content of its own under the
    metadata CID ``cid`` of ``doc``, which names other content; confirmed. Its work id."""
    led = env.ledger("bob")
    wid = "0x" + hashlib.sha256(secrets.token_bytes(40)).hexdigest()
    fn = led.registry.functions.register(led._registration(wid, cid, doc, [Holder(env.addresses["bob"], 10000)]))
    led.chain.wait(led.chain.send(led.chain.build(fn, led.signer), led.signer))
    env.ledger("registrar").confirm_work(wid)
    return wid


@pytest.fixture(scope="module")
def borrowed(ledger_env: LedgerEnv) -> dict[str, Any]:
    env = ledger_env
    alice = env.ledger("alice")
    tag = secrets.token_hex(3)
    isrc = "GBAYE" + str(secrets.randbelow(10**7)).rjust(7, "0")
    doc = build_work_metadata(
        title=f"Famous {tag}", creators=[{"name": "Famous", "role": "composer"}], work_type="music",
        content_sha256=hashlib.sha256(b"famous " + secrets.token_bytes(8)).hexdigest(), creation_mode="ai-assisted",
        ai_declaration={"models": [{"name": "famous-model", "version": "1"}], "tools": []},
        identifiers={"isrc": isrc},
        content_code={"kind": "text", "iscc": content_code(b"a famous text " + tag.encode(), "f.txt").iscc})
    doc["cwr"] = {"sender": "PB123456789", "workNumber": "FAMOUS" + tag}
    body = encode_work_metadata(doc)
    cid = alice.store.add(body)  # the document is in the store before its own registration (a first attempt)
    assert cid == cid_for_bytes(body)
    copy = _borrow(env, doc, cid)  # the copy is registered first
    famous = alice.register_work(doc, [Holder(env.addresses["alice"], 10000)])
    env.ledger("registrar").confirm_work(famous.work_id)
    return {"doc": doc, "isrc": isrc, "copy": copy, "famous": famous.work_id, "title": doc["title"]}


def test_cwr_export_leaves_out_a_work_described_by_another_works_document(ledger_env, borrowed):
    from ledger.domain.formats.cwr import ledger_works

    unreadable: list[str] = []
    ids = [wid for wid, _w in ledger_works(ledger_env.ledger(), unreadable=unreadable)]
    assert borrowed["famous"] in ids
    assert borrowed["copy"] not in ids  # else an NWR with the famous title, ISWC and work number, bob's shares
    assert borrowed["copy"] in unreadable


def test_dsr_finder_does_not_match_the_borrowed_isrc(ledger_env, borrowed):
    from ledger.domain.formats.dsr import work_finder

    find = work_finder(ledger_env.ledger())
    assert find("isrc", borrowed["isrc"]) == borrowed["famous"]  # the copy came first: its usage, bob's royalties


def test_portal_latest_registrations_do_not_show_the_borrowed_title(ledger_env, borrowed):
    from ledger.portal.service import Reader

    recent = {w["workId"]: w["title"] for w in Reader(ledger_env.settings).recent_works(limit=1000)}
    assert recent[borrowed["famous"]] == borrowed["title"]
    assert recent[borrowed["copy"]] is None


def test_desk_evidence_does_not_show_the_borrowed_ai_declaration(ledger_env, borrowed):
    from ledger.domain.review import Desk

    desk = Desk(ledger_env.ledger("registrar"))
    own = desk.review(borrowed["famous"])["evidence"]
    assert own["aiDeclaration"]["models"][0]["name"] == "famous-model"
    ev = desk.review(borrowed["copy"])["evidence"]
    assert ev["aiDeclaration"] is None  # else the famous work's declaration, shown as the copy's
    assert any("names content" in n for n in ev["notes"]), ev["notes"]


def test_clearance_takes_no_iscc_code_from_another_works_document(ledger_env, borrowed):
    """The desk indexes the copy's document as none (no code, so no near-duplicate flag); the clearance
    must not take the borrowed code either (a copy with the lower id would match the famous content).
    The famous work's own code (the schema's contentCode, as `work register` writes it) is read."""
    from ledger.domain.clearance import Registry

    codes = Registry.load(ledger_env.ledger()).near.codes_of
    assert codes.get(borrowed["famous"]) == [borrowed["doc"]["contentCode"]["iscc"]]
    assert borrowed["copy"] not in codes
