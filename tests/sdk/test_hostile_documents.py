"""Documents of any JSON shape from a hostile member (issue 12's threat model, issue 18's desk).

A member using another client stores any bytes in the content store and names them on chain: a
work's metadata whose fields have other JSON types than the schema's, nest thousands deep, or carry
rich markup; a usage report file or a distribution file whose values do not fit the Merkle leaf's
types. None of it may stop anyone else's reads: the desk's index (`work search`, `work pending`,
`work similar`, `work review`), `work show`, the portal, `audit replay`, `usage prove` and the CMO's
`royalty distribute` answer, the bad document named as malformed, never an internal error.
"""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.content.cid import cid_to_bytes
from ledger.core.types import Holder
from tests.fixtures.chain import own_chain


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    yield from own_chain(tmp_path_factory)


def run(env, *argv):
    r = CliRunner().invoke(cli, list(argv), env=env.env())
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "internal error" not in out, (argv, out)
    return r


def _good_doc(title: str) -> dict:
    from ledger.content.iscc import content_code
    from ledger.content.metadata import build_work_metadata

    data = b"The quiet harbour sleeps under a grey sky while the boats rock. " * 20 + secrets.token_hex(8).encode()
    return build_work_metadata(title=title, creators=[{"name": "Ana", "role": "author"}], work_type="text",
                               content_sha256=hashlib.sha256(data).hexdigest(), creation_mode="human",
                               content_code=content_code(data, "harbour.txt").as_json())


def _register_raw(env, name: str, raw: bytes | None = None, mode: int = 1, **fields) -> str:
    """Bob registers a work (PENDING) whose metadata document is ``raw``, or a document naming the
    work with ``fields`` (any JSON) over a plain title, type and creator; returns its id."""
    a, bob = env.addresses, env.ledger("bob")
    wid = "0x" + hashlib.sha256(b"hostile-doc-" + name.encode()).hexdigest()
    if raw is None:
        doc = {"contentSha256": wid[2:], "title": f"Hostile {name}", "type": "text",
               "creators": [{"name": "Eve", "role": "author"}], **fields}
        raw = json.dumps(doc).encode()
    cid = bob.store.add(raw)
    bob.chain.transact(bob.registry.functions.registerBatch(
        [(bytes.fromhex(wid[2:]), cid_to_bytes(cid), 2, mode, [(a["bob"], 10000)])]), bob.signer)
    return wid


@pytest.fixture(scope="module")
def good(env):
    alice, reg = env.ledger("alice"), env.ledger("registrar")
    wid = alice.register_work(_good_doc("Quiet Harbour"), [Holder(env.addresses["alice"], 10000)]).work_id
    reg.confirm_work(wid)
    return wid


# --- metadata fields of another JSON type ---------------------------------------------------

WRONG_TYPES = {
    "identifiers_list": {"identifiers": ["T-123.456.789-0"]},
    "cwr_list": {"cwr": ["x"]},
    "content_code_list": {"contentCode": ["ISCC:EAAQ"]},
    "creator_name_number": {"creators": [{"name": 5, "role": "author"}]},
    "creators_number": {"creators": 5},
    "creators_strings": {"creators": ["Eve"]},
    "title_object": {"title": {"en": "Hostile"}},
    "ai_list": {"aiDeclaration": ["model"]},
    "ai_tools_number": {"aiDeclaration": {"models": [{"name": "m"}], "tools": 7}},
}


@pytest.fixture(scope="module")
def wrong_types(env, good):
    return {name: _register_raw(env, name, mode=2 if name.startswith("ai") else 1, **fields)
            for name, fields in WRONG_TYPES.items()}


def test_metadata_fields_of_another_type_stop_no_desk_read(env, good, wrong_types):
    """A document whose "identifiers" is an array (or "cwr", "contentCode" ..., any field of another
    type) raised AttributeError while the desk's index read it, in the one transaction that indexes
    every new document: every later `work search`, `work pending`, `work similar` and `work review`
    of every user ended in an internal error, and the document was tried again on each read."""
    for argv in (["work", "search", "--title", "Quiet", "--json"], ["work", "search", "--holder", "bob", "--json"],
                 ["--as", "registrar", "work", "pending", "--json"], ["work", "similar", good, "--json"]):
        r = run(env, *argv)
        assert r.exit_code in (0, 1), (argv, r.stdout + r.stderr)
    found = json.loads(run(env, "work", "search", "--title", "Quiet", "--json").stdout)
    assert [w["workId"] for w in found] == [good]
    listed = json.dumps(json.loads(run(env, "work", "search", "--holder", "bob", "--json").stdout))
    assert all(wid in listed for wid in wrong_types.values())  # listed by the chain's facts


def test_readers_of_every_work_s_document_pass_malformed_ones(env, good, wrong_types):
    """Two reads walk every registered work's document: a licensee's DSR import matches ISRC/ISWC
    over them, a CMO's CWR export collects the works of its sender. An "identifiers" or "cwr" array
    in one hostile document raised AttributeError in both, for everyone. They now skip it."""
    from ledger.domain.formats import cwr as CWR
    from ledger.domain.formats import dsr as DSR

    led = env.ledger()
    find = DSR.work_finder(led)
    assert find("id", good) == good
    unreadable: list[str] = []
    assert CWR.ledger_works(led, None, unreadable) == []
    assert wrong_types["cwr_list"] in unreadable and wrong_types["identifiers_list"] in unreadable


def test_the_index_indexes_any_document_without_raising(env, tmp_path):
    """ReadIndex.put_metadata (the desk's indexing, and the benchmarks' bulk fill) read the fields as
    the schema types them, inside the one transaction of a sync: it now indexes what has the schema's
    type and leaves out the rest, whatever the caller checked before."""
    from ledger.domain.index import ReadIndex

    idx = ReadIndex(env.ledger(), path=tmp_path / "index.sqlite")
    docs = [{"title": "Hostile", **fields} for fields in WRONG_TYPES.values() if "title" not in fields]
    docs += [{"title": "Hostile", "contentCode": {"iscc": {"x": 1}}},
             {"title": "Hostile", "cwr": {"alternateTitles": [{"title": 5}, "x"]}},
             {"title": "Hostile", "creators": [{"name": ["Eve"]}, {"name": "Ana"}]}]
    with idx.bulk():
        for i, doc in enumerate(docs):
            wid = "0x" + f"{i:064x}"
            idx.insert_work(wid, registrant=env.addresses["bob"], holders=[(env.addresses["bob"], 10000)],
                            work_type=2, creation_mode=1, block=1, at=1, doc=doc)
    assert len(idx.search(title="Hostile", limit=100)) == len(docs)
    assert [w["workId"] for w in idx.search(creator="Ana")] == ["0x" + f"{len(docs) - 1:064x}"]


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_a_malformed_document_is_not_shown_as_verified(env, wrong_types, name):
    """`work show`, `work review` and the portal's work page (HTML and JSON API) read the document's
    fields as the schema types them: a number for "creators" raised TypeError in `work show` and in
    the portal's page; a title object or an aiDeclaration array made the API answer 500. A document
    whose fields have other types is now treated like one that does not verify: named malformed."""
    from fastapi.testclient import TestClient

    from ledger.portal import create_app
    from ledger.portal.service import Reader

    wid = wrong_types[name]
    shown = run(env, "work", "show", wid, "--json")
    assert shown.exit_code == 1, shown.stdout + shown.stderr
    assert "is malformed: its field" in json.loads(shown.stdout)["metadataError"]
    assert run(env, "work", "show", wid).exit_code == 1
    reviewed = run(env, "--as", "registrar", "work", "review", wid, "--json")
    assert reviewed.exit_code == 0 and "is malformed" in json.loads(reviewed.stdout)["metadataError"]
    assert run(env, "--as", "registrar", "work", "review", wid).exit_code == 0
    page = Reader(env.settings).work(wid)
    assert page["metadata"] is None and "is malformed" in page["metadataError"]
    client = TestClient(create_app(env.settings), raise_server_exceptions=False)
    for path in (f"/works/{wid}", f"/api/works/{wid}", f"/works/{wid}/review", "/"):
        assert client.get(path).status_code == 200, path


def test_a_creator_without_a_role_is_shown(env):
    """A creator with a name and no role (the schema requires one; another client left it out):
    `work show` raised KeyError printing "name (role)"."""
    wid = _register_raw(env, "no-role", creators=[{"name": "Eve"}])
    r = run(env, "work", "show", wid)
    assert r.exit_code == 0 and "Eve (None)" in r.stdout


def test_rich_markup_in_a_title_is_printed_as_written(env):
    """A title such as "[/x]" is not valid rich markup: printing the registrar's queue raised
    MarkupError, so `work pending` (and `work search`) failed for every registrar while it waited."""
    wid = _register_raw(env, "markup", title="[/x] Hostile markup [bold")
    for argv in (["--as", "registrar", "work", "pending"], ["work", "search", "--holder", "bob"],
                 ["--as", "registrar", "work", "review", wid]):
        r = run(env, *argv)
        assert r.exit_code == 0, (argv, r.stdout + r.stderr)
        assert "[/x] Hostile markup [bold" in r.stdout


def test_valid_rich_markup_in_a_title_is_printed_as_written_too(env):
    """Valid markup from another client's document was applied: "[link=...]" made a terminal hyperlink
    out of the title (a registrar clicking through to the attacker's page), "[conceal]" hid the rest of
    the line. The consoles print without markup; only our own styled lines use it."""
    title = "[link=https://evil.example/]Official notice[/link] [conceal]hidden[/conceal]"
    wid = _register_raw(env, "markup-valid", title=title)
    for argv in (["--as", "registrar", "work", "pending"], ["work", "search", "--holder", "bob"],
                 ["--as", "registrar", "work", "review", wid]):
        r = run(env, *argv)
        assert r.exit_code == 0, (argv, r.stdout + r.stderr)
        assert title in r.stdout, (argv, r.stdout)


# --- a document nested thousands deep --------------------------------------------------------


def test_a_deeply_nested_document_stops_no_audit(env):
    """A metadata document nested 100000 arrays deep: the audit's blob check parsed it with the
    recursive decoder and RecursionError ended every user's `audit replay` (and the portal's replay)
    in an internal error. It is now a blob-content mismatch of that work."""
    from ledger.portal.service import Reader

    wid = "0x" + hashlib.sha256(b"hostile-doc-deep").hexdigest()
    deep = f'{{"contentSha256": "{wid[2:]}", "title": "Deep", "x": '.encode() + b"[" * 100_000 + b"]" * 100_000 \
        + b"}"
    assert _register_raw(env, "deep", deep) == wid
    r = run(env, "audit", "replay", "--json")
    assert r.exit_code in (0, 1), r.stdout + r.stderr
    mismatches = json.loads(r.stdout)["mismatches"]
    assert any(m["kind"] == "blob-content" and wid[2:] in json.dumps(m) for m in mismatches)
    assert Reader(env.settings).replay(run=True)["error"] is None
    shown = run(env, "work", "show", wid, "--json")
    assert shown.exit_code == 1 and "nests too deep" in json.loads(shown.stdout)["metadataError"]


# --- report and distribution files whose values no Merkle leaf holds ---------------------------

REPORT_HEADER = '{"type": "rights-ledger/usage-report", "version": 1}'
WORK = "0x" + "ab" * 32
HOSTILE_REPORTS = {
    "header_array": f'["rights-ledger/usage-report"]\n[0, "{WORK}", 1, 1, 1, 0, 4, "1"]\n',
    "work_not_hex": REPORT_HEADER + f'\n[0, "0x{"zz" * 32}", 1, 1, 1, 0, 4, "1"]\n',
    "negative_quantity": REPORT_HEADER + f'\n[0, "{WORK}", 1, -1, 1, 0, 4, "1"]\n',
    "owed_too_large": REPORT_HEADER + f'\n[0, "{WORK}", 1, 1, 1, 0, 4, "{1 << 128}"]\n',
    "deep": REPORT_HEADER + "\n" + "[" * 100_000 + "]" * 100_000 + "\n",
}
PERIOD = 202611


@pytest.fixture(scope="module")
def hostile_reports(env):
    """The licensee (another client) records one report per file: any root, totals and file."""
    lic = env.ledger("licensee")
    pool = lic.contract("RoyaltyPool")
    out = {}
    for name, text in HOSTILE_REPORTS.items():
        cid = lic.store.add(text.encode())
        r = lic.chain.transact(pool.functions.recordReport(env.addresses["cmo"], PERIOD, b"\x07" * 32, (1, 1, 1),
                                                           cid_to_bytes(cid)), lic.signer)
        (out[name],) = [int(ev.args["reportId"]) for ev in r.events if ev.name == "UsageReportRecorded"]
    return out


@pytest.mark.parametrize("name", sorted(HOSTILE_REPORTS))
def test_a_report_file_whose_values_fit_no_leaf_is_malformed(env, hostile_reports, name):
    """A report file whose header is an array, or whose line holds a work id that is not hex or a
    number outside its leaf type: `usage prove` raised AttributeError / ValueError (an internal
    error) or the encoder's "does not fit" as if the user had typed it. It is a malformed file."""
    r = run(env, "usage", "prove", str(hostile_reports[name]), "0", "--json")
    assert r.exit_code in (1, 2) and "the stored usage report is malformed" in r.stderr, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2  # one error line (and its hint)
    assert run(env, "usage", "show", "--period", str(PERIOD), "--json").exit_code == 0


def test_the_cmo_is_told_which_report_to_refuse_before_the_close(env, hostile_reports):
    """The CMO's distribution reads every report file of the period: one licensee's file ended it in an
    internal error, after the period was closed, when no report can be refused any more: the period
    could never be distributed. Every file is now read before the close; an unusable one stops the
    distribution with the report named, the period stays open, and once refused it distributes."""
    from ledger.domain.royalties import Royalties

    r = run(env, "--as", "cmo", "royalty", "distribute", "--period", str(PERIOD), "--json")
    assert r.exit_code in (1, 2) and "is unusable: the stored usage report is malformed" in r.stderr, r.stderr
    assert "usage refuse" in r.stderr
    cmo = Royalties(env.ledger("cmo"))
    assert cmo.pool(env.addresses["cmo"], PERIOD).state == "OPEN"
    for rid in hostile_reports.values():
        assert run(env, "--as", "cmo", "usage", "refuse", str(rid), "--reason", "unusable file").exit_code == 0
    done = run(env, "--as", "cmo", "royalty", "distribute", "--period", str(PERIOD), "--json")
    assert done.exit_code == 0, done.stdout + done.stderr


def _publish_raw(env, period: int, cid: str) -> None:
    """The CMO (another client) closes ``period`` and publishes any file under any root."""
    cmo = env.ledger("cmo")
    pool = cmo.contract("RoyaltyPool")
    cmo.chain.transact(pool.functions.closePeriod(period), cmo.signer)
    cmo.chain.transact(pool.functions.publishDistribution(period, b"\x07" * 32, 0, cid_to_bytes(cid)), cmo.signer)


@pytest.fixture(scope="module")
def negative_amount(env):
    """Period 202612: a published distribution file whose amount is -1."""
    a = env.addresses
    data = json.dumps({"type": "rights-ledger/royalty-distribution", "cmo": a["cmo"], "period": 202612,
                       "claims": [{"account": a["alice"], "amount": "-1"}]}).encode()
    _publish_raw(env, 202612, env.ledger("cmo").store.add(data))
    return 202612


def test_a_distribution_amount_that_is_no_uint256_stops_no_claim_nor_audit(env, negative_amount):
    """A CMO (another client) publishes a distribution file whose amount is negative: every holder's
    `royalty claim` and `royalty verify` stopped at the leaf encoder's "-1 does not fit uint256", and
    so did every user's `audit replay` (exit 2, nothing checked). The file is now malformed: a claim
    says so, verify and the audit report it as a finding of that period."""
    a, period = env.addresses, negative_amount
    claim = run(env, "--as", "alice", "royalty", "claim", "--cmo", a["cmo"], "--period", str(period), "--json")
    assert claim.exit_code in (1, 2) and "the distribution file is malformed" in claim.stderr, claim.stderr
    verify = run(env, "royalty", "verify", "--cmo", a["cmo"], "--period", str(period), "--json")
    assert verify.exit_code == 1 and "the distribution file is malformed" in verify.stdout, verify.stderr
    audit = run(env, "audit", "replay", "--skip-store", "--json")
    assert audit.exit_code == 1, audit.stdout + audit.stderr
    assert any("malformed" in m["what"] and str(period) in m["where"] for m in json.loads(audit.stdout)["mismatches"])


def test_a_holder_s_statement_names_another_licensee_s_malformed_report(env, hostile_reports):
    """`royalty statement` reads every usage report of the period, whoever made it: one licensee's
    malformed (or lost) file ended every holder's statement (an internal error, then the file's
    MetadataMismatch as the whole answer). The statement now answers, naming the unreadable reports."""
    r = run(env, "royalty", "statement", "--holder", "alice", "--period", str(PERIOD), "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    bad = json.loads(r.stdout)["unreadableReports"]
    assert sorted(b["report"] for b in bad) == sorted(hostile_reports.values())
    assert all("malformed" in b["error"] for b in bad)
    human = run(env, "royalty", "statement", "--holder", "alice", "--period", str(PERIOD))
    assert human.exit_code == 0 and f"report {hostile_reports['deep']} unreadable" in human.stdout


def test_a_cmo_s_unusable_distribution_file_stops_no_balance(env, negative_amount):
    """`royalty balance` asks every distributed period of every CMO what the account can claim: one
    CMO's malformed or lost distribution file ended every account's balance with that file's error.
    The balance now answers; that period's row says its claim cannot be read."""
    from ledger.content.cid import cid_for_bytes

    lost = cid_for_bytes(b"a distribution file never stored")
    _publish_raw(env, 202701, lost)
    r = run(env, "royalty", "balance", "alice", "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    rows = {row["period"]: row for row in json.loads(r.stdout)["periods"]}
    assert "malformed" in rows[negative_amount]["claimError"] and lost in rows[202701]["claimError"]
    human = run(env, "royalty", "balance", "alice")
    assert human.exit_code == 0 and "claimable unknown" in human.stdout


GARBAGE = b"\x01\x55\x12\x21" + b"\xee" * 33  # no CID (as in test_malformed_chain_cids)


def test_an_attestation_whose_token_cid_is_no_cid_does_not_verify(env):
    """Another client attests a hash with bytes that are no CID as its RFC 3161 token: `attest
    verify` asked the store for "0x..." and ended in "invalid CID" (exit 2), as if the user had
    typed it. The attestation now does not verify (exit 1) and says why."""
    bob = env.ledger("bob")
    digest = "0x" + hashlib.sha256(b"hostile-token").hexdigest()
    att = bob.contract("AttestationRegistry")
    bob.chain.transact(att.functions.attest(bytes.fromhex(digest[2:]), 1, b"", GARBAGE), bob.signer)
    r = run(env, "attest", "verify", digest, "--json")
    assert r.exit_code == 1, r.stdout + r.stderr
    assert any("no valid CID" in p for p in json.loads(r.stdout)["problems"])


def test_a_generation_s_c2pa_manifest_passes_another_s_token_that_is_no_cid(env, good, tmp_path):
    """The C2PA manifest of a holder's generation record carries the RFC 3161 token of the output's
    earliest attestation, whoever made it: another member who attested the work first with bytes
    that are no CID as the token made the holder's `work generation --c2pa-out` end in "invalid CID"
    (exit 2) after its record was written. The manifest is now written without that token."""
    bob = env.ledger("bob")
    att = bob.contract("AttestationRegistry")
    bob.chain.transact(att.functions.attest(bytes.fromhex(good[2:]), 1, b"", GARBAGE), bob.signer)
    manifest = tmp_path / "m.json"
    r = run(env, "--as", "alice", "work", "generation", good, "--model", "m@1", "--inputs-root", "0x" + "12" * 32,
            "--no-attest", "--c2pa-out", str(manifest), "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["c2pa"]["timestamped"] is False and manifest.is_file()


def test_report_and_distribution_files_named_by_no_cid(env):
    """A usage report, and a distribution, recorded with bytes that are no CID as their file: `usage
    prove` and `royalty claim` asked the store for "0x..." and ended in "invalid CID" (exit 2) as if
    the user had typed it. Both are now files that do not verify (exit 1), named as such."""
    a, lic = env.addresses, env.ledger("licensee")
    pool = lic.contract("RoyaltyPool")
    r = lic.chain.transact(pool.functions.recordReport(a["cmo"], 202702, b"\x07" * 32, (1, 1, 1), GARBAGE), lic.signer)
    (rid,) = [int(ev.args["reportId"]) for ev in r.events if ev.name == "UsageReportRecorded"]
    proved = run(env, "usage", "prove", str(rid), "0", "--json")
    assert proved.exit_code == 1 and "no valid CID for the file of report" in proved.stderr, proved.stderr
    cmo = env.ledger("cmo")
    cmo.chain.transact(cmo.contract("RoyaltyPool").functions.closePeriod(202703), cmo.signer)
    cmo.chain.transact(cmo.contract("RoyaltyPool").functions.publishDistribution(202703, b"\x07" * 32, 0, GARBAGE),
                       cmo.signer)
    claim = run(env, "--as", "alice", "royalty", "claim", "--cmo", a["cmo"], "--period", "202703", "--json")
    assert claim.exit_code == 1 and "no valid CID for the distribution file" in claim.stderr, claim.stderr


def test_a_document_nested_hundreds_deep_is_not_shown(env):
    """A metadata document nested 700 arrays deep parses (below the decoder's limit), then every
    reader that walks it recursively hit the recursion limit: `work show --json` ended in an internal
    error, the portal's JSON API answered 500. Metadata nested deeper than 64 levels (the schema's
    nest 4) now does not verify: "nests too deep"."""
    from fastapi.testclient import TestClient

    from ledger.portal import create_app

    wid = "0x" + hashlib.sha256(b"hostile-doc-depth700").hexdigest()
    raw = f'{{"contentSha256": "{wid[2:]}", "title": "Deep 700", "x": '.encode() + b"[" * 700 + b"]" * 700 + b"}"
    assert _register_raw(env, "depth700", raw) == wid
    for argv in (["work", "show", wid, "--json"], ["work", "show", wid]):
        r = run(env, *argv)
        assert r.exit_code == 1 and "nests too deep" in r.stdout + r.stderr, (argv, r.stdout + r.stderr)
    assert run(env, "--as", "registrar", "work", "review", wid, "--json").exit_code == 0
    client = TestClient(create_app(env.settings), raise_server_exceptions=False)
    for path in (f"/works/{wid}", f"/api/works/{wid}"):
        assert client.get(path).status_code == 200, path
