"""Corpus clearance (issue 19) over a real anvil node: every verdict at 1,000 items against an
independent model, the contract's own answers, resuming, the signed report, the CLI path
from manifest to usage report and a holder's statement."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.clearance import (
    BLANKET_RATE,
    CATEGORIES,
    LIST_RATE,
    TARIFF,
    build_world,
    corpus_rows,
    image,
    reencode,
    write_manifest,
)
from ledger.cli.app import cli
from ledger.content.iscc import content_code, distance
from ledger.core import errors as E
from ledger.core.types import USES
from ledger.domain import clearance as C
from tests.fixtures.chain import make_env

AI = USES["ai-training"]
ZERO = "0x" + "00" * 20
SIZES = {"reserved": 8, "listed": 6, "blanket": 6, "open": 4, "statutory": 6, "pending": 4}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    # its own node: the tariff and the blanket licence here would change other modules' answers
    e = make_env(tmp_path_factory.mktemp("clearance-home"))
    yield e
    e.node.stop()


@pytest.fixture(scope="module")
def world(env):
    led = {n: env.ledger(n) for n in ("governor", "registrar", "alice", "cmo")}
    return build_world(led["governor"], led["registrar"], led["alice"], led["cmo"], env.addresses["licensee"],
                       SIZES, "t19")


@pytest.fixture(scope="module")
def licensee(env):
    return env.ledger("licensee")


def c2pa_file(tmp: Path, src: Path, label: str, use: str) -> Path:
    """A JPEG signed with a C2PA manifest carrying a training-mining assertion (throw-away CA)."""
    import c2pa

    from tests.formats.test_c2pa import signer

    cert, key = signer(tmp)
    ns = label.split(".")[0]
    manifest = {"claim_generator_info": [{"name": "test", "version": "1"}], "title": "x", "format": "image/jpeg",
                "assertions": [
                    {"label": "c2pa.actions", "data": {"actions": [{
                        "action": "c2pa.created",
                        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}},
                    {"label": label, "data": {"entries": {f"{ns}.ai_generative_training": {"use": use},
                                                          f"{ns}.data_mining": {"use": "allowed"}}}}]}
    out = tmp / f"{ns}-{use}.jpg"
    s = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, cert.read_bytes(), key.read_bytes(),
                                                  None))
    with open(src, "rb") as f, open(out, "w+b") as d:
        c2pa.Builder(json.dumps(manifest)).sign(s, "image/jpeg", f, d)
    return out


# --- the independent model -----------------------------------------------------------------


def model(world, cmo: str, source: tuple[str, str | None]) -> dict:
    """What the rules say, written from the scenario and not from the code under test."""
    kind_of, work = source
    if work is None:
        return {"verdict": "unregistered", "match": "none", "fee": 0, "cmo": ZERO, "basis": "none"}
    cat = world.category[work]
    match = "exact" if kind_of == "exact" else "near"
    base = {"match": match, "work": work}
    return base | {
        "reserved": {"verdict": "reserved", "fee": 0, "cmo": ZERO, "basis": None},
        "listed": {"verdict": "covered", "fee": LIST_RATE, "cmo": cmo, "basis": "work licence",
                   "licenceId": world.list_licence},
        "blanket": {"verdict": "covered", "fee": BLANKET_RATE, "cmo": cmo, "basis": "blanket licence",
                    "licenceId": world.blanket_licence},
        "open": {"verdict": "covered", "fee": 0, "cmo": ZERO, "basis": "open licence",
                 "licenceId": world.open_licences.get(work)},
        "statutory": {"verdict": "covered", "fee": TARIFF, "cmo": ZERO, "basis": "statutory tariff", "licenceId": 0},
        "pending": {"verdict": "not-covered", "fee": 0, "cmo": ZERO, "basis": None, "reason": "work not confirmed"},
    }[cat]


def clear(licensee, world, manifest: Path, journal: Path, at=None):
    registry = C.Registry.load(licensee, codes=world.codes)
    items = C.read_manifest(manifest)
    params = C.Clearance(licensee).params(items, manifest, licensee.require_signer().address, "ai-training", at, 12,
                                          registry)
    clearer = C.Clearer(registry, params.licensee, AI, params.at, 12)
    return items, params, registry, clearer, C.run(items, clearer, params, journal)


def test_1000_items_every_verdict_matches_the_model_and_the_contract(licensee, world, tmp_path):
    rows, truth = corpus_rows(world, 990, seed=19)
    # exact copies of works in every category, so each verdict and basis is present
    for cat in CATEGORIES:
        for wid in world.works[cat][:2]:
            truth[len(rows)] = ("exact", wid)
            rows.append({"sha256": wid[2:]})
    manifest = tmp_path / "corpus.csv"
    write_manifest(manifest, rows)
    # files: an exact PNG of a listed work, a re-encoded JPEG of a reserved work, unregistered files
    files = tmp_path / "files"
    files.mkdir()
    listed = world.works["listed"][0]
    png, _im = image("t19-listed-0")
    (files / "a-listed.png").write_bytes(png)
    reserved = world.works["reserved"][1]
    (files / "b-reserved-copy.jpg").write_bytes(reencode(world.images[reserved], 40, 50))
    _png, other = image("never-registered")
    other.save(files / "c-plain.jpg", "JPEG")
    signed = c2pa_file(tmp_path, files / "c-plain.jpg", "cawg.training-mining", "notAllowed")
    shutil.move(signed, files / "d-cawg.jpg")
    (files / "e-broken.jpg").write_bytes(b"not a jpeg at all" * 10)
    jl = tmp_path / "corpus.jsonl"
    jl.write_text("\n".join([json.dumps(r) for r in rows] + [json.dumps({"file": "files"})]) + "\n")
    file_truth = {"a-listed.png": ("exact", listed), "b-reserved-copy.jpg": ("near", reserved),
                  "c-plain.jpg": ("none", None), "d-cawg.jpg": ("none", None), "e-broken.jpg": ("none", None)}
    items, params, registry, _clearer, verdicts = clear(licensee, world, jl, tmp_path / "r.json.journal")
    assert len(verdicts) == len(rows) + 5 >= 1000
    cmo = world.cmo
    for v in verdicts:
        d = v.as_json()
        src = truth[v.index] if v.index < len(rows) else file_truth[Path(items[v.index].source).name]
        want = model(world, cmo, src)
        assert d["verdict"] == want["verdict"], (v.index, d, want)
        assert d["match"] == want["match"], (v.index, d)
        assert int(d["fee"]) == want["fee"] and d["cmo"] == want["cmo"], (v.index, d)
        if want.get("basis"):
            assert d["basis"] == want["basis"]
        if want.get("licenceId") is not None:
            assert d["licenceId"] == want["licenceId"]
        if "work" in want:
            assert d["work"] == want["work"]
        if want.get("reason"):
            assert d["reason"] == want["reason"]
    by_name = {Path(items[v.index].source).name: v for v in verdicts if v.index >= len(rows)}
    assert C.SIGNALS[by_name["c-plain.jpg"].signal] == "none"
    assert C.SIGNALS[by_name["d-cawg.jpg"].signal] == "not-allowed"
    assert "cawg.training-mining" in by_name["d-cawg.jpg"].detail
    assert C.SIGNALS[by_name["e-broken.jpg"].signal] == "unreadable"
    assert by_name["b-reserved-copy.jpg"].distance <= 12
    counts = {C.VERDICTS[k]: sum(1 for v in verdicts if v.verdict == k) for k in C.VERDICTS}
    assert all(counts.values()), counts
    bases = {C.KIND_NAMES[v.kind] for v in verdicts if v.verdict == 1}
    assert bases == {"work licence", "blanket licence", "open licence", "statutory tariff"}
    # no reserved work, exact or re-encoded, is ever cleared
    assert not [v for v in verdicts if v.work in set(world.works["reserved"]) and v.verdict == 1]
    # the report: root, totals, signature; and every matched item re-asked of the CoverageLens contract
    doc = C.sign_report(C.build_report(verdicts, params, registry.attestation_registry),
                        licensee.require_signer().key)
    assert C.verify_report(doc).ok
    assert C.against_chain(licensee, doc) == []
    fees = doc["fees"]
    assert int(fees["byCmo"][cmo]) == sum(v.fee for v in verdicts if v.verdict == 1 and v.cmo == cmo)
    assert fees["byBasis"]["statutory tariff"]["fees"] == str(TARIFF * fees["byBasis"]["statutory tariff"]["items"])


def test_near_index_agrees_with_iscc_distance():
    rng = random.Random(5)
    codes = []
    for i in range(12):
        png, im = image(f"near-{i}")
        codes.append(("0x" + hashlib.sha256(png).hexdigest(), content_code(png, "x.png").iscc))
        codes.append(("0x" + hashlib.sha256(b"j" + png).hexdigest(), content_code(reencode(im), "x.jpg").iscc))
    text = content_code(b"Spring dawn, unaware of morning", "x.txt").iscc
    idx = C.NearIndex([*codes, ("0x" + "11" * 32, text)])
    for _ in range(30):
        _w, probe = codes[rng.randrange(len(codes))]
        got = dict(idx.similar(probe, 64))
        want = {w: distance(probe, c) for w, c in codes}
        assert got == want  # every image code (64 bits: all within 64), none of the text kind
    assert idx.similar(text, 0) == [("0x" + "11" * 32, 0)]


def test_interrupted_run_resumes_without_duplicates(licensee, world, tmp_path, monkeypatch):
    rows, _truth = corpus_rows(world, 300, seed=3)
    manifest = tmp_path / "m.csv"
    write_manifest(manifest, rows)
    journal = tmp_path / "r.json.journal"
    registry = C.Registry.load(licensee, codes=world.codes)
    items = C.read_manifest(manifest)
    params = C.Clearance(licensee).params(items, manifest, licensee.require_signer().address, "ai-training", None, 12,
                                          registry)
    clearer = C.Clearer(registry, params.licensee, AI, params.at, 12)
    full = C.run(items, C.Clearer(registry, params.licensee, AI, params.at, 12), params, tmp_path / "ref.journal")
    real, calls = clearer.decide, []

    def dying(*a, **k):
        calls.append(1)
        if len(calls) == 123:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(clearer, "decide", dying)
    with pytest.raises(KeyboardInterrupt):
        C.run(items, clearer, params, journal)
    _h, done = C.read_journal(journal)
    assert len(done) == 122
    with open(journal, "a") as fh:
        fh.write('{"index": 5, "torn')  # the line being written when the power went
    monkeypatch.setattr(clearer, "decide", real)
    again = C.run(items, clearer, params, journal)
    assert [v.as_json() for v in again] == [v.as_json() for v in full]
    lines = journal.read_text().splitlines()[1:]
    indexes = [json.loads(x)["index"] for x in lines if x.endswith("}") and x.startswith('{"')
               and '"torn' not in x]
    assert len(indexes) == len(set(indexes)) == 300  # each item decided once
    other = C.RunParams(params.licensee, "ai-training", params.at + 1, 12, params.manifest_sha256, params.chain_id,
                        params.items)
    with pytest.raises(E.InputError, match="another clearance run"):
        C.run(items, clearer, other, journal)


def test_tampered_report_is_refused(licensee, world, tmp_path):
    rows, _t = corpus_rows(world, 40, seed=4)
    manifest = tmp_path / "m.csv"
    write_manifest(manifest, rows)
    _i, params, registry, _c, verdicts = clear(licensee, world, manifest, tmp_path / "j")
    doc = C.sign_report(C.build_report(verdicts, params, registry.attestation_registry), licensee.require_signer().key)
    assert C.verify_report(doc).ok
    bad = json.loads(json.dumps(doc))
    first_reserved = next(d for d in bad["items"] if d["verdict"] == "reserved")
    first_reserved["verdict"] = "covered"
    check = C.verify_report(bad)
    assert not check.ok and any("root" in p for p in check.problems)
    forged = json.loads(json.dumps(doc))
    forged["licensee"] = "0x" + "ab" * 20
    assert any("signed by" in p for p in C.verify_report(forged).problems)
    p = C.item_proof(doc, 3)
    assert p["verified"] and p["root"] == doc["root"]


def test_manifest_errors_name_the_place(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("sha256\nzz\n")
    with pytest.raises(E.InputError, match=r"m.csv:2:sha256"):
        C.read_manifest(m)
    m.write_text("sha256,title\n" + "ab" * 32 + ",x\n")
    with pytest.raises(E.InputError, match=r"unknown column 'title'"):
        C.read_manifest(m)
    m.write_text("file\nmissing.png\n")
    with pytest.raises(E.InputError, match=r"m.csv:2:file.*no such file"):
        C.read_manifest(m)
    j = tmp_path / "m.jsonl"
    j.write_text('{"iscc": "nonsense"}\n')
    with pytest.raises(E.InputError, match=r"m.jsonl:1:iscc"):
        C.read_manifest(j)


# --- the CLI: run, record, verify, usage report, statement -----------------------------------


def run(env, *args, account=None):
    base = ["--network", "local"] + (["--as", account] if account else [])
    return CliRunner().invoke(cli, [*base, *args], env=env.env(), catch_exceptions=False)


def test_cli_day_of_an_ai_company(env, world, tmp_path):
    works = world.works
    picks = works["listed"][:3] + works["blanket"][:3] + works["reserved"][:2] + works["pending"][:1] + \
        works["statutory"][:2] + works["open"][:1]
    manifest = tmp_path / "corpus.csv"
    manifest.write_text("sha256\n" + "\n".join(w[2:] for w in picks) + "\n" + "cd" * 32 + "\n")
    report = tmp_path / "report.json"
    r = run(env, "clearance", "run", str(manifest), "--out", str(report), "--record", "--json", account="licensee")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["counts"] == {"covered": 9, "reserved": 2, "not-covered": 1, "unregistered": 1}
    assert out["recorded"]["tx"]
    assert report.with_suffix(".txt").read_text().startswith("clearance of 13 items")
    r = run(env, "clearance", "verify", str(report), "--chain", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["valid"]
    # one item checked by hand as docs/VERIFYING.md says (eth_hash only, no project code)
    from eth_hash.auto import keccak

    r = run(env, "clearance", "prove", str(report), "--item", "4", "--json")
    assert r.exit_code == 0, r.output
    p = json.loads(r.stdout)

    def word(t, v):
        return (bytes.fromhex(v[2:]).rjust(32, b"\0") if t == "address" else bytes.fromhex(v[2:]) if t == "bytes32"
                else int(v).to_bytes(32, "big"))

    h = keccak(keccak(b"".join(word(t, v) for t, v in zip(p["types"], p["values"], strict=True))))
    for sib in p["proof"]:
        sib = bytes.fromhex(sib[2:])
        h = keccak(min(h, sib) + max(h, sib))
    assert "0x" + h.hex() == json.loads(report.read_text())["root"]
    # a changed verdict: exit 1; not a report: exit 2
    doc = json.loads(report.read_text())
    doc["items"][0]["fee"] = "999"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = run(env, "clearance", "verify", str(bad))
    assert r.exit_code == 1 and "mismatch" in r.stdout
    bad.write_text("[1, 2")
    r = run(env, "clearance", "verify", str(bad))
    assert r.exit_code == 2 and "Traceback" not in r.output
    # recording twice sends nothing
    r = run(env, "clearance", "record", str(report), "--json", account="licensee")
    assert r.exit_code == 0 and json.loads(r.stdout)["alreadyRecorded"]
    # the covered items owed to the CMO become the usage report; then the holder's statement
    import datetime as dt

    period = int(dt.datetime.fromtimestamp(json.loads(report.read_text())["at"], dt.UTC).strftime("%Y%m"))
    r = run(env, "usage", "report", "--from-clearance", str(report), "--cmo", "cmo", "--period", str(period),
            "--json", account="licensee")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["recorded"] and rep["lines"] == 6 and int(rep["owed"]) == 3 * LIST_RATE + 3 * BLANKET_RATE
    from ledger.domain.royalties import Royalties

    owed = int(rep["owed"])
    Royalties(env.ledger("governor")).mint(env.addresses["licensee"], owed)
    assert run(env, "royalty", "pay", str(owed), "--cmo", "cmo", "--period", str(period), account="licensee"
               ).exit_code == 0
    assert run(env, "royalty", "distribute", "--period", str(period), account="cmo").exit_code == 0
    r = run(env, "royalty", "statement", "--holder", "alice", "--period", str(period), "--json")
    assert r.exit_code == 0, r.output
    st = json.loads(r.stdout)
    named = {e["work"]: e for e in st["works"]}
    for w in works["listed"][:3]:
        e = named[w]
        assert len(e["usage"]) == 1 and e["usage"][0]["verified"] and int(e["due"]) == LIST_RATE
        assert e["clearance"] and all(c["verified"] for c in e["clearance"])
    assert int(st["totalDue"]) == 3 * LIST_RATE + 3 * BLANKET_RATE
    (claim,) = st["distributions"]  # alice holds every work: all but the commission and rounding is hers
    assert claim["cmo"] == world.cmo and 0 < int(claim["amount"]) <= owed and claim["proof"] is not None
    # refusals: another signer than the licensee, a bad manifest, neither FILE nor --from-clearance
    r = run(env, "clearance", "run", str(manifest), "--licensee", "licensee", account="alice")
    assert r.exit_code == 2 and "signs the report" in r.output
    manifest.write_text("sha256\nnot-a-hash\n")
    r = run(env, "clearance", "run", str(manifest), "--out", str(tmp_path / "r2.json"), account="licensee")
    assert r.exit_code == 2 and "corpus.csv:2:sha256" in r.output and "Traceback" not in r.output
    r = run(env, "usage", "report", "--from-clearance", str(report), "--cmo", "cmo", "--period", str(period),
            account="alice")
    assert r.exit_code == 2 and "the signer is" in r.output
    r = run(env, "usage", "report", "--cmo", "cmo", "--period", str(period), account="licensee")
    assert r.exit_code == 2 and "--from-clearance" in r.output


def test_packed_leaf_equals_the_merkle_module_leaf():
    from ledger.content.merkle import leaf_hash

    v = C.Verdict(7, "x", "0x" + "ab" * 32, None, "0x" + "cd" * 32, 2, 3, 1, 2, 12, 0, 10**20, "0x" + "1f" * 20, 0)
    assert v.leaf() == leaf_hash(C.LEAF_TYPES, v.values())
    from eth_hash.auto import keccak as reference_keccak

    from ledger.content.merkle import keccak

    rng = random.Random(1)
    for n in (0, 1, 32, 33, 135, 136, 1001):  # the fast keccak the tree uses equals eth-hash's
        data = rng.randbytes(n)
        assert keccak(data) == reference_keccak(data)
    v.fee = 1 << 128  # out of uint128: the encoder refuses it
    with pytest.raises(E.InputError):
        v.leaf()


def test_cli_finds_a_reencoded_copy_through_the_code_in_the_metadata(env, world, tmp_path):
    """The ISCC code a work's metadata document carries (as the registrar's desk stores it)
    makes a re-encoded file of the work a near-duplicate: reserved, never cleared."""
    from ledger.content.cid import cid_to_bytes

    alice, reg = env.ledger("alice"), env.ledger("registrar")
    png, im = image("metadata-code-work")
    wid = "0x" + hashlib.sha256(png).hexdigest()
    code = content_code(png, "w.png").iscc
    doc = {"title": "Harbour at dawn", "contentSha256": wid[2:], "iscc": {"kind": "image", "iscc": code}}
    cid = alice.store.add(json.dumps(doc).encode())
    alice.chain.transact(alice.registry.functions.registerBatch(
        [(bytes.fromhex(wid[2:]), cid_to_bytes(cid), 2, 1, [(env.addresses["alice"], 10000)])]), alice.signer)
    reg.chain.transact(reg.registry.functions.confirmBatch([bytes.fromhex(wid[2:])]), reg.signer)
    alice.chain.transact(alice.registry.functions.reserveUses(bytes.fromhex(wid[2:]), AI), alice.signer)
    (tmp_path / "copy.jpg").write_bytes(reencode(im, 50, 70))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"file": "copy.jpg"}\n')
    r = run(env, "clearance", "run", str(manifest), "--json", account="licensee")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"]["reserved"] == 1
    r = run(env, "clearance", "show", str(manifest) + ".clearance.json", "--json")
    item = json.loads(r.stdout)["items"][0]
    assert item["work"] == wid and item["match"] == "near" and item["verdict"] == "reserved"


def test_training_signals_of_both_labels_and_every_failure_are_reported(tmp_path):
    from PIL import Image

    src = tmp_path / "src.jpg"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(src)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cawg = c2pa_file(tmp_path / "a", src, "cawg.training-mining", "constrained")
    c2pa = c2pa_file(tmp_path / "b", src, "c2pa.training-mining", "allowed")
    assert C.training_signal(cawg) == (4, "cawg.training-mining: cawg.ai_generative_training = constrained")
    assert C.training_signal(c2pa) == (2, "c2pa.training-mining: c2pa.ai_generative_training = allowed")
    assert C.training_signal(src) == (1, "no C2PA manifest")
    changed = bytearray(cawg.read_bytes())
    changed[-100] ^= 0xFF  # image data: the manifest still reads, and says it no longer matches
    bad = tmp_path / "changed.jpg"
    bad.write_bytes(bytes(changed))
    code, detail = C.training_signal(bad)
    assert code == 4 and "manifest invalid: assertion.dataHash.mismatch" in detail
    broken = bytearray(cawg.read_bytes())
    broken[300:340] = b"\0" * 40  # inside the manifest store
    worse = tmp_path / "broken-manifest.jpg"
    worse.write_bytes(bytes(broken))
    assert C.training_signal(worse)[0] == 5
    (tmp_path / "notes.txt").write_text("plain text")
    assert C.training_signal(tmp_path / "notes.txt") == (0, "C2PA does not read text/plain")
