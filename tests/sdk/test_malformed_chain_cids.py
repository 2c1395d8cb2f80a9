"""Malformed CIDs written on chain by a hostile member (issue 12's threat model, issue 15's index).

The contracts check only a CID's length (1..MAX_CID_LENGTH bytes), so a member using another
client can store bytes that are no CID: as a work's metadata, a dispute's evidence, a rejection's
reason, an attestation's document or a licence's terms. Those bytes must never stop anyone
else's reads: the read index syncs past them (``licence grant`` reads it for its duplicate
check), and ``work show``, ``dispute list``, ``licence list``, ``audit replay`` and the portal
answer (the bad CID shown as its raw hex), never an internal error.
"""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.content.cid import chain_cid, cid_to_bytes
from ledger.core.types import Holder
from ledger.domain.index import ReadIndex
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection
from tests.fixtures.chain import own_chain

GARBAGE = b"\x01\x55\x12\x21" + b"\xee" * 33  # 37 bytes: a CID prefix with a 33-byte digest
TERMS = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    yield from own_chain(tmp_path_factory)


def _doc(title: str) -> dict:
    from ledger.content.metadata import build_work_metadata

    data = secrets.token_bytes(16)
    return build_work_metadata(title=title, creators=[{"name": "Ana", "role": "author"}], work_type="text",
                               content_sha256=hashlib.sha256(data).hexdigest(), creation_mode="human")


@pytest.fixture(scope="module")
def hostile(env):
    """Bob writes malformed CIDs everywhere the contracts take one."""
    a = env.addresses
    alice, bob, reg = env.ledger("alice"), env.ledger("bob"), env.ledger("registrar")
    good = alice.register_work(_doc("A good work"), [Holder(a["alice"], 10000)]).work_id
    reg.confirm_work(good)
    other = alice.register_work(_doc("Another good work"), [Holder(a["alice"], 10000)]).work_id
    reg.confirm_work(other)
    # a work whose metadata CID is garbage, confirmed; one rejected with a garbage reason
    bad = "0x" + hashlib.sha256(b"hostile-metadata").hexdigest()
    bob.chain.transact(bob.registry.functions.registerBatch(
        [(bytes.fromhex(bad[2:]), GARBAGE, 2, 1, [(a["bob"], 10000)])]), bob.signer)
    reg.confirm_work(bad)
    rejected = "0x" + hashlib.sha256(b"hostile-rejected").hexdigest()
    bob.chain.transact(bob.registry.functions.registerBatch(
        [(bytes.fromhex(rejected[2:]), cid_to_bytes(TERMS), 2, 1, [(a["bob"], 10000)])]), bob.signer)
    reg.chain.transact(reg.registry.functions.reject(bytes.fromhex(rejected[2:]), 1, GARBAGE), reg.signer)
    # a dispute about alice's work with garbage evidence
    bob.chain.transact(bob.registry.functions.openDispute(bytes.fromhex(good[2:]), GARBAGE), bob.signer)
    # an attestation of a hash with a garbage document CID
    att = bob.contract("AttestationRegistry")
    bob.chain.transact(att.functions.attest(bytes.fromhex(good[2:]), 5, GARBAGE, b""), bob.signer)
    # a licence whose terms CID is garbage (granted by bob on his own work)
    lic = Licensing(bob)
    terms = lic.terms(["perform"])
    raw_terms = (*terms.as_tuple()[:-1], GARBAGE)  # termsCid is the last field of LicenceTerms
    bob.chain.transact(lic.contract.functions.grant(a["licensee"], [bytes.fromhex(bad[2:])], raw_terms), bob.signer)
    return {"good": good, "other": other, "bad": bad, "rejected": rejected}


def run(env, *argv):
    r = CliRunner().invoke(cli, list(argv), env=env.env())
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "internal error" not in out, (argv, out)
    return r


def test_chain_cid_never_raises():
    assert chain_cid(cid_to_bytes(TERMS)) == TERMS
    assert chain_cid(GARBAGE) == "0x" + GARBAGE.hex()
    assert chain_cid(b"") == "0x"


def test_the_read_index_syncs_past_malformed_cids(env, hostile):
    idx = ReadIndex(env.ledger())
    idx.sync()
    row = idx.db.execute("SELECT evidence_cid FROM disputes WHERE work = ?", (hostile["good"],)).fetchone()
    assert row is not None and row[0] == "0x" + GARBAGE.hex()
    # licence grant reads the index (its duplicate check): it still works for everyone
    r = run(env, "--as", "alice", "licence", "grant", "licensee", "--work", hostile["other"], "--use", "reproduce",
            "--terms-cid", TERMS, "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["licenceId"]


@pytest.mark.parametrize("argv", [
    ["work", "show", "GOOD", "--json"],
    ["work", "show", "BAD", "--json"],
    ["work", "show", "REJECTED", "--json"],
    ["work", "dispute", "list", "--all", "--json"],
    ["licence", "list", "--licensee", "licensee", "--json"],
    ["work", "search", "--holder", "bob", "--json"],
    ["audit", "replay", "--skip-store", "--json"],
])
def test_reads_answer_with_the_raw_bytes(env, hostile, argv):
    argv = [hostile.get(x.lower(), x) for x in argv]
    r = run(env, *argv)
    assert r.exit_code in (0, 1), (argv, r.stdout, r.stderr)  # 1: a document that does not verify
    if argv[:3] == ["work", "show", hostile["bad"]]:
        assert r.exit_code == 1 and "no valid CID" in json.loads(r.stdout)["metadataError"]
    if argv[:2] == ["work", "dispute"]:
        assert "0x" + GARBAGE.hex() in r.stdout


def test_portal_work_pages_answer(env, hostile):
    from ledger.portal.service import Reader

    reader = Reader(env.settings)
    for w in (hostile["good"], hostile["bad"], hostile["rejected"]):
        page = reader.work(w)
        assert page["workId"] == w


def test_protection_reads_answer(env, hostile):
    prot = Protection(env.ledger(), tsa=None)
    (d,) = [d for d in prot.disputes(hostile["good"])]
    assert d.evidence_cid == "0x" + GARBAGE.hex()
    records = prot.attestations_of([hostile["good"]], attester=env.addresses["bob"])
    assert records[hostile["good"]].cid == "0x" + GARBAGE.hex()


def test_a_document_with_a_lone_surrogate_stops_no_one(env):
    """Another client stores a metadata document whose title is the JSON escape "\\ud800" (valid JSON,
    no text: SQLite, a terminal and a web page all refuse it) and registers a work under it. The desk's
    reads index metadata documents in one transaction: it raised for everyone, and every later
    `work search --title` or `work similar` failed with an internal error."""
    from ledger.portal.service import Reader

    a = env.addresses
    bob, reg = env.ledger("bob"), env.ledger("registrar")
    wid = "0x" + hashlib.sha256(b"hostile-surrogate").hexdigest()
    raw = (f'{{"contentSha256": "{wid[2:]}", "title": "\\ud800 Hostile", "type": "text", '
           '"creators": [{"name": "\\udfff"}]}').encode()
    cid = bob.store.add(raw)
    bob.chain.transact(bob.registry.functions.registerBatch(
        [(bytes.fromhex(wid[2:]), cid_to_bytes(cid), 2, 1, [(a["bob"], 10000)])]), bob.signer)
    reg.confirm_work(wid)
    shown = run(env, "work", "show", wid, "--json")
    assert shown.exit_code == 1 and "not JSON text" in json.loads(shown.stdout)["metadataError"]
    for argv in (["work", "search", "--title", "Hostile", "--json"], ["work", "search", "--holder", "bob", "--json"]):
        r = run(env, *argv)
        assert r.exit_code in (0, 1), (argv, r.stdout + r.stderr)
    found = json.loads(run(env, "work", "search", "--holder", "bob", "--json").stdout)
    assert wid in json.dumps(found)  # listed (the chain's facts), without a title
    assert Reader(env.settings).work(wid)["workId"] == wid


def _raw_call(member, contract, signature: str, types: list[str], values: list) -> None:
    """Send a call whose ``string`` arguments are raw bytes (another client: the ABI encodes a string
    and bytes alike, and the contract never checks that they are UTF-8)."""
    from eth_abi import encode
    from eth_utils import function_signature_to_4byte_selector

    data = function_signature_to_4byte_selector(signature) + encode(types, values)
    tx = {"to": contract.address, "data": "0x" + data.hex(), "gas": 500_000, "gasPrice": member.chain.gas_price(),
          "chainId": member.chain.chain_id, "value": 0}
    member.chain.wait(member.chain.send(tx, member.signer))
    member.chain.make_durable()


NOT_UTF8 = b"\xff\xfe not text \xc0\x80 \xed\xa0\x80"


def test_strings_that_are_not_utf8_on_chain_stop_no_one(env, hostile):
    """A licensor suspends a licence, and a holder records an AI generation, with 'string' bytes that are
    not UTF-8. Decoding the events raised UnicodeDecodeError: every user's index sync (and with it
    `licence grant`'s duplicate check), `licence list` and the audit replay failed."""
    from ledger.portal.service import Reader

    a = env.addresses
    bob = env.ledger("bob")
    lic = Licensing(bob)
    terms = lic.terms(["reproduce"])
    granted = bob.chain.transact(lic.contract.functions.grant(
        a["licensee"], [bytes.fromhex(hostile["bad"][2:])], terms.as_tuple()), bob.signer)
    (lid,) = [int(ev.args["licenceId"]) for ev in granted.events if ev.name == "LicenceGranted"]
    _raw_call(bob, lic.contract, "suspend(uint64,string)", ["uint64", "bytes"], [lid, NOT_UTF8])
    att = bob.contract("AttestationRegistry")
    _raw_call(bob, att, "recordGeneration(bytes32,string,string,bytes32,bytes,bytes32)",
              ["bytes32", "bytes", "bytes", "bytes32", "bytes", "bytes32"],
              [bytes.fromhex(hostile["bad"][2:]), NOT_UTF8, b"\x80", b"\x01" * 32, b"", b"\x02" * 32])
    idx = ReadIndex(env.ledger())
    idx.sync()
    listed = run(env, "licence", "list", "--licensee", "licensee", "--json")
    assert listed.exit_code == 0 and "\ufffd" in json.dumps(json.loads(listed.stdout), ensure_ascii=False)
    for argv in (["licence", "show", str(lid), "--json"],
                 ["licence", "status", hostile["bad"], "licensee", "--use", "reproduce", "--json"],
                 ["audit", "replay", "--skip-store", "--json"],
                 ["work", "show", hostile["bad"], "--json"]):
        r = run(env, *argv)
        assert r.exit_code in (0, 1), (argv, r.stdout + r.stderr)
    r = run(env, "--as", "alice", "licence", "grant", "licensee", "--work", hostile["other"], "--use", "perform",
            "--terms-cid", TERMS, "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert Reader(env.settings).work(hostile["bad"])["workId"] == hostile["bad"]
