"""Integrity failures say so in the exit code (issue 12, finding 12): a mismatch is 1, an error is 2.

`work show`, `verify FILE`, `royalty verify` and `usage prove` over a real node (CliRunner,
in-process), with the store's blocks altered or removed on disk.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets

import pytest
from click.testing import CliRunner

from ledger.cli.app import cli
from ledger.cli.verify import checked_metadata
from ledger.content.canonical import canonical_json
from ledger.content.metadata import build_work_metadata
from ledger.core.types import Holder
from ledger.domain.royalties import Royalties
from ledger.domain.usage import Usage
from tests.fixtures.chain import free_port
from tests.fixtures.tsa import local_tsa  # noqa: F401  (fixture)
from tests.sdk.test_usage import report_rows, world, write_csv


def run(env, *args, extra=None):
    return CliRunner().invoke(cli, ["--network", "local", *args], env={**env.env(), **(extra or {})},
                              catch_exceptions=False)


def _work(env, tmp_path):
    f = tmp_path / f"{secrets.token_hex(4)}.txt"
    f.write_bytes(secrets.token_bytes(32))
    doc = build_work_metadata(title="Integrity", creators=[{"name": "Alice", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(f.read_bytes()).hexdigest())
    r = env.ledger("alice").register_work(doc, [Holder(env.addresses["alice"], 10000)])
    env.ledger("registrar").confirm_work(r.work_id)
    return r, f


def _block(env, cid):
    return env.ledger().store.block_path(cid)


def test_intact_metadata_exits_0(ledger_env, tmp_path):
    r, f = _work(ledger_env, tmp_path)
    assert run(ledger_env, "work", "show", r.work_id).exit_code == 0
    assert run(ledger_env, "verify", str(f)).exit_code == 0


def test_altered_metadata_blob_exits_1_with_the_reason(ledger_env, tmp_path):
    r, f = _work(ledger_env, tmp_path)
    _block(ledger_env, r.metadata_cid).write_bytes(b'{"title": "Forged"}')
    shown = run(ledger_env, "work", "show", r.work_id)
    assert shown.exit_code == 1 and "metadata does not verify" in shown.output and "Forged" not in shown.output
    doc = json.loads(run(ledger_env, "work", "show", r.work_id, "--json").stdout)
    assert doc["metadataError"].startswith("metadata does not verify") and doc["title"] is None
    v = run(ledger_env, "verify", str(f))
    assert v.exit_code == 1 and "CONFIRMED registration" in v.output and "metadata does not verify" in v.output
    vj = run(ledger_env, "verify", str(f), "--json")
    assert vj.exit_code == 1 and json.loads(vj.stdout)["metadataError"]


def test_missing_metadata_blob_exits_1(ledger_env, tmp_path):
    r, f = _work(ledger_env, tmp_path)
    _block(ledger_env, r.metadata_cid).unlink()
    shown = run(ledger_env, "work", "show", r.work_id)
    assert shown.exit_code == 1 and "metadata does not verify" in shown.output
    assert run(ledger_env, "verify", str(f)).exit_code == 1


def test_store_down_is_an_error_exit_2(ledger_env, tmp_path):
    r, f = _work(ledger_env, tmp_path)
    down = {"RIGHTS_LEDGER_STORE": f"kubo:http://127.0.0.1:{free_port()}"}
    shown = run(ledger_env, "work", "show", r.work_id, extra=down)
    assert shown.exit_code == 2 and "metadata unavailable" in shown.output
    assert run(ledger_env, "verify", str(f), extra=down).exit_code == 2


def test_metadata_naming_another_content_exits_1(ledger_env, tmp_path):
    """A document that hashes to its CID but describes other content is not this work's."""
    r, _f = _work(ledger_env, tmp_path)
    led = ledger_env.ledger()
    rec = led.work(r.work_id)
    doc = led.metadata(r.metadata_cid)
    other = led.store.add(canonical_json({**doc, "contentSha256": "ab" * 32}))
    meta, note, code = checked_metadata(led, dataclasses.replace(rec, metadata_cid=other))
    assert (meta, code) == (None, 1) and "names content" in note


# --- royalty verify and usage prove ---------------------------------------------------------


@pytest.fixture(scope="module")
def w(ledger_env):
    return world(ledger_env, "integrity")


def test_royalty_verify_tampered_distribution_file_exits_1(ledger_env, w, tmp_path):
    env, period = ledger_env, 940001
    path = tmp_path / "r.csv"
    write_csv(path, report_rows(w["works"], w["licence"], 40, w["clock"]()))
    lic = env.ledger("licensee")
    rep = Usage(lic).record_report(path, w["cmo"], period)
    Royalties(env.ledger("governor")).mint(env.addresses["licensee"], rep.totals.owed)
    Royalties(lic).pay(w["cmo"], period, rep.totals.owed)
    _dist, _res, cid = Royalties(env.ledger("cmo")).distribute(period)
    ok = run(env, "royalty", "verify", "--cmo", w["cmo"], "--period", str(period))
    assert ok.exit_code == 0, ok.output

    block = _block(env, cid)
    block.write_bytes(block.read_bytes().replace(b'"amount"', b'"amounT"', 1))
    bad = run(env, "royalty", "verify", "--cmo", w["cmo"], "--period", str(period))
    assert bad.exit_code == 1 and "does not verify" in bad.output and "Traceback" not in bad.output
    bj = run(env, "royalty", "verify", "--cmo", w["cmo"], "--period", str(period), "--json")
    assert bj.exit_code == 1 and json.loads(bj.stdout)["ok"] is False

    down = {"RIGHTS_LEDGER_STORE": f"kubo:http://127.0.0.1:{free_port()}"}
    err = run(env, "royalty", "verify", "--cmo", w["cmo"], "--period", str(period), extra=down)
    assert err.exit_code == 2 and "error:" in err.output

    # usage prove: the report file the chain names is altered, then gone
    assert run(env, "usage", "prove", str(rep.report_id), "3").exit_code == 0
    rblock = _block(env, rep.cid)
    rblock.write_bytes(rblock.read_bytes()[:-5] + b"xxxxx")
    assert run(env, "usage", "prove", str(rep.report_id), "3").exit_code == 1
    rblock.unlink()
    gone = run(env, "usage", "prove", str(rep.report_id), "3")
    assert gone.exit_code == 1 and "Traceback" not in gone.output


def test_attest_verify_altered_token_is_1_store_down_is_2(ledger_env, tmp_path, local_tsa):  # noqa: F811
    f = tmp_path / "draft.txt"
    f.write_bytes(secrets.token_bytes(40))
    tsa = {"RIGHTS_LEDGER_TSA_URL": local_tsa.url, "RIGHTS_LEDGER_TSA_CA": str(local_tsa.ca_file)}
    rec = json.loads(run(ledger_env, "--as", "alice", "attest", "file", str(f), "--json", extra=tsa).stdout)
    assert run(ledger_env, "attest", "verify", str(f), extra=tsa).exit_code == 0
    down = {**tsa, "RIGHTS_LEDGER_STORE": f"kubo:http://127.0.0.1:{free_port()}"}
    err = run(ledger_env, "attest", "verify", str(f), extra=down)
    assert err.exit_code == 2 and "error:" in err.output
    block = _block(ledger_env, rec["tsa_token_cid"])
    block.write_bytes(block.read_bytes()[:-1] + b"\x00")
    bad = run(ledger_env, "attest", "verify", str(f), extra=tsa)
    assert bad.exit_code == 1 and "problem" in bad.output


def test_a_work_citing_another_works_document_is_not_described_by_it(ledger_env, tmp_path):
    """A hostile registrant (another client, not the CLI, which builds the document itself) registers
    its own content with the metadata CID of another work's document: a famous title and creators.
    `work show`, `verify` and the registrar's desk must not show that document as this work's, and
    the desk's search must not find this work under the borrowed title."""
    honest, _ = _work(ledger_env, tmp_path)
    title = f"Borrowed {secrets.token_hex(3)}"
    led = ledger_env.ledger("alice")
    doc = build_work_metadata(title=title, creators=[{"name": "Famous", "role": "author"}], work_type="text",
                              content_sha256=hashlib.sha256(b"famous content " + secrets.token_bytes(8)).hexdigest())
    famous = led.register_work(doc, [Holder(ledger_env.addresses["alice"], 10000)])
    f = tmp_path / "copy.txt"
    f.write_bytes(secrets.token_bytes(40))
    wid = "0x" + hashlib.sha256(f.read_bytes()).hexdigest()
    fn = led.registry.functions.register(
        led._registration(wid, famous.metadata_cid, doc, [Holder(ledger_env.addresses["alice"], 10000)]))
    led.chain.wait(led.chain.send(led.chain.build(fn, led.signer), led.signer))
    ledger_env.ledger("registrar").confirm_work(wid)

    shown = run(ledger_env, "work", "show", wid, "--json")
    assert shown.exit_code == 1
    body = json.loads(shown.stdout)
    assert body["title"] is None and "names content" in body["metadataError"]
    assert run(ledger_env, "verify", str(f)).exit_code == 1

    review = run(ledger_env, "--as", "registrar", "work", "review", wid, "--json")
    assert review.exit_code == 0, review.output
    file = json.loads(review.stdout)
    assert file["metadata"] is None and "names content" in file["metadataError"]
    assert file.get("title") is None and "describes other content" in file["metadataNote"]
    found = run(ledger_env, "--as", "registrar", "work", "search", "--title", title, "--json")
    assert found.exit_code == 0, found.output
    ids = {w["workId"] for w in json.loads(found.stdout)}
    assert famous.work_id in ids and wid not in ids and honest.work_id not in ids
