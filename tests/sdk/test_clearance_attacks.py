"""Corpus clearance (issue 19) under attack: a hostile licensee or member, and inputs nobody
tried. Every test here failed before its fix (see the commit that added it)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.clearance import image, reencode
from ledger.cli.app import cli
from ledger.content.cid import cid_to_bytes
from ledger.content.iscc import DEFAULT_THRESHOLD, content_code
from ledger.core import errors as E
from ledger.core.types import USES
from ledger.domain import clearance as C

AI = USES["ai-training"]


# --- manifests nobody tried (no chain) -------------------------------------------------------

H = "ab" * 32
BAD_MANIFESTS = {
    "empty": (b"", "the first line must be a header"),
    "header only": (b"sha256\n", "lists no items"),
    "wrong columns": (b"name,hash\nx,y\n", "the first line must be a header"),
    "semicolons": (b"file;sha256\nx;y\n", "the first line must be a header"),
    "bad quoting": (b'file,sha256\n"abc,' + H.encode() + b"\n", ":2:"),
    "extra value": (b"sha256\n" + H.encode() + b",extra\n", ":2:"),
    "not UTF-8": (b"file\n\xff\xfe.png\n", "not UTF-8"),
    "NUL bytes": (b"sha256\n\x00\x00\n", "NUL"),
    "JSON array line": (b'["a","b"]\n', "not a JSON object"),
    "JSON number": (b'{"sha256": 5}\n', "must be text"),
    "short hash": (b"sha256\n" + b"ab" * 31 + b"\n", "not 64 hex digits"),
    "long hash": (b"sha256\n" + b"ab" * 33 + b"\n", "not 64 hex digits"),
    "meta ISCC": (b"iscc\nISCC:AAAWKLHFXM75OAMK\n", "not an ISCC content code"),
    "not ISCC": (b"iscc\nISCC:ZZZZ\n", "not an ISCC code"),
    "missing path": (b"file\nnope.png\n", "no such file or folder"),
    "file with hash": (b"file,sha256\nx.png," + H.encode() + b"\n", "computed from the file"),
}


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_a_malformed_manifest_is_one_input_error_with_its_place(tmp_path, name):
    data, words = BAD_MANIFESTS[name]
    m = tmp_path / ("m.jsonl" if data.startswith((b"[", b"{")) else "m.csv")
    m.write_bytes(data)
    with pytest.raises(E.InputError) as exc:
        C.read_manifest(m)
    assert words in str(exc.value) and "m." in str(exc.value)


def test_bom_crlf_case_and_0x_prefix_are_read_as_the_same_hash(tmp_path):
    m = tmp_path / "m.csv"
    m.write_bytes(b"\xef\xbb\xbf SHA256 \r\n0X" + H.upper().encode() + b"\r\n" + H.encode() + b"\r\n")
    items = C.read_manifest(m)
    assert [i.sha256 for i in items] == [H, H]


# --- a chain with a reserved work and a laundered copy of it ---------------------------------


def _register(led, reg, data: bytes, name: str, holder: str) -> tuple[str, str]:
    wid = "0x" + hashlib.sha256(data).hexdigest()
    code = content_code(data, name).iscc
    doc = {"title": name, "contentSha256": wid[2:], "iscc": {"kind": "image", "iscc": code}}
    cid = led.store.add(json.dumps(doc).encode())
    led.chain.transact(led.registry.functions.registerBatch(
        [(bytes.fromhex(wid[2:]), cid_to_bytes(cid), 2, 1, [(holder, 10000)])]), led.signer)
    reg.chain.transact(reg.registry.functions.confirmBatch([bytes.fromhex(wid[2:])]), reg.signer)
    return wid, code


@pytest.fixture(scope="module")
def scene(ledger_env, tmp_path_factory):
    """Alice's work R, reserved for ai-training; Bob registers L, a re-encoded copy of R, as his own."""
    d = tmp_path_factory.mktemp("attack")
    alice, bob, reg = (ledger_env.ledger(n) for n in ("alice", "bob", "registrar"))
    png, im = image("clearance-attack-R")
    r, _ = _register(alice, reg, png, "r.png", ledger_env.addresses["alice"])
    alice.chain.transact(alice.registry.functions.reserveUses(bytes.fromhex(r[2:]), AI), alice.signer)
    laundered = reencode(im, 52, 80)
    lw, _ = _register(bob, reg, laundered, "l.jpg", ledger_env.addresses["bob"])
    (d / "R.png").write_bytes(png)
    (d / "L.jpg").write_bytes(laundered)
    return {"dir": d, "R": r, "L": lw}


def run(env, *args, account=None):
    base = ["--network", "local"] + (["--as", account] if account else [])
    r = CliRunner().invoke(cli, [*base, *args], env=env.env(), catch_exceptions=False)
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    return r


def test_a_registered_copy_of_a_reserved_work_is_not_cleared(ledger_env, scene):
    """Laundering: L is registered (by another member) and not reserved itself, but it is a
    re-encoded copy of the reserved R; its exact file, or its hash, must come out reserved."""
    d = scene["dir"]
    (d / "l.csv").write_text("file\nL.jpg\n")
    (d / "lh.csv").write_text(f"sha256\n{scene['L'][2:]}\n")
    for m in ("l.csv", "lh.csv"):
        r = run(ledger_env, "clearance", "run", str(d / m), "--json", account="licensee")
        assert r.exit_code == 0, r.output
        (item,) = json.loads((d / f"{m}.clearance.json").read_text())["items"]
        assert item["verdict"] == "reserved" and item["work"] == scene["R"] and item["match"] == "near"
        assert item["alsoNear"] == [[scene["L"], 0]]


def _body(code: str) -> tuple[bytes, int]:
    import base64

    raw = base64.b32decode(code[5:].upper())
    return raw[:2], int.from_bytes(raw[2:], "big")


def test_a_copy_of_a_registered_copy_of_a_reserved_work_is_not_cleared(ledger_env, scene, tmp_path):
    """Two hops: an item within the threshold of a laundered copy L2, but beyond it from the
    reserved R itself (the licensee picked the bits to flip). It used to come out as whatever L2
    answers; L2 launders nothing, so the item is reserved, naming R (and L2 as near)."""
    import base64
    import io

    from PIL import ImageDraw

    # Bob's second copy L2: R with a white corner, a few bits from R (the scene's L is 0 bits away)
    _png, im = image("clearance-attack-R")
    ImageDraw.Draw(im).rectangle([0, 0, 16, 16], fill=(255, 255, 255))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    l2, l2_code = _register(ledger_env.ledger("bob"), ledger_env.ledger("registrar"), buf.getvalue(), "l2.png",
                            ledger_env.addresses["bob"])
    r_code = content_code((scene["dir"] / "R.png").read_bytes(), "r.png").iscc  # as registered (_register)
    head, lb = _body(l2_code)
    _, rb = _body(r_code)
    x = (lb ^ rb).bit_count()
    assert 1 <= x <= DEFAULT_THRESHOLD, f"the scene's copy is {x} bits from R"
    same = [i for i in range(64) if not (lb ^ rb) >> i & 1]
    k = DEFAULT_THRESHOLD - x + 1  # within the threshold of L, one bit beyond it from R
    body = lb
    for i in same[:k]:
        body ^= 1 << i
    item = "ISCC:" + base64.b32encode(head + body.to_bytes(8, "big")).decode().rstrip("=")
    assert (body ^ lb).bit_count() <= DEFAULT_THRESHOLD < (body ^ rb).bit_count()
    m = tmp_path / "two-hops.csv"
    m.write_text(f"iscc\n{item}\n")
    r = run(ledger_env, "clearance", "run", str(m), "--json", account="licensee")
    assert r.exit_code == 0, r.output
    (got,) = json.loads((tmp_path / "two-hops.csv.clearance.json").read_text())["items"]
    assert got["verdict"] == "reserved" and got["work"] == scene["R"], got
    assert got["alsoNear"] == [[l2, (body ^ lb).bit_count()]]
    assert run(ledger_env, "clearance", "verify", str(tmp_path / "two-hops.csv.clearance.json")).exit_code == 0


def test_the_threshold_cannot_be_lowered_to_let_copies_through(ledger_env, scene, monkeypatch):
    d = scene["dir"]
    (d / "c.csv").write_text("file\nL.jpg\n")
    r = run(ledger_env, "clearance", "run", str(d / "c.csv"), "--threshold", "0", account="licensee")
    assert r.exit_code == 2 and f"may not be below {DEFAULT_THRESHOLD}" in r.output
    env = ledger_env.env() | {"RIGHTS_LEDGER_ISCC_THRESHOLD": "1"}
    r = CliRunner().invoke(cli, ["--network", "local", "--as", "licensee", "clearance", "run", str(d / "c.csv")],
                           env=env)
    assert r.exit_code == 2 and "may not be below" in r.output


def _report(ledger_env, scene, name: str, record: bool = False) -> tuple[Path, dict]:
    d = scene["dir"]
    (d / f"{name}.csv").write_text(f"sha256\n{scene['R'][2:]}\n{'cd' * 32}\n")
    out = d / f"{name}.json"
    r = run(ledger_env, "clearance", "run", str(d / f"{name}.csv"), "--out", str(out), "--json",
            *(["--record"] if record else []), account="licensee")
    assert r.exit_code == 0, r.output
    return out, json.loads(out.read_text())


TAMPERS = {
    "use label": (lambda d: d.update(use="text-and-data-mining"), 1, "signed use bit"),
    "threshold": (lambda d: d.update(threshold=0), 1, "threshold 0"),
    "byMatch": (lambda d: d.update(byMatch={"covered/exact": 2}), 1, "byMatch"),
    "item hash of a hash item": (lambda d: d["items"][0].update(itemHash="0x" + "11" * 32), 1, "itemHash"),
    "negative fee": (lambda d: d["items"][0].update(fee="-1"), 2, "not a uint128"),
    "cmo not an address": (lambda d: d["items"][0].update(cmo="zz"), 2, "not 0x and 40 hex"),
    "use bit out of range": (lambda d: d.update(useBit=1 << 40), 2, "malformed clearance report"),
    "item not an object": (lambda d: d["items"].__setitem__(0, "x"), 2, "must be a JSON object"),
    "version": (lambda d: d.update(version=2), 1, "version 2"),
}


def test_tampered_report_fields_are_refused_with_the_reason(ledger_env, scene):
    path, doc = _report(ledger_env, scene, "tamper")
    assert run(ledger_env, "clearance", "verify", str(path)).exit_code == 0
    for name, (edit, code, words) in TAMPERS.items():
        bad = json.loads(json.dumps(doc))
        edit(bad)
        p = path.with_name("bad.json")
        p.write_text(json.dumps(bad))
        r = run(ledger_env, "clearance", "verify", str(p))
        assert r.exit_code == code and words in r.output, (name, r.output)


def test_a_resigned_report_hiding_a_reserved_copy_fails_verify_chain(ledger_env, scene):
    """The licensee may sign anything; --chain finds an exact registered work called unregistered."""
    path, doc = _report(ledger_env, scene, "forge")
    led = ledger_env.ledger("licensee")
    vs = [C.Verdict.from_json(x) for x in doc["items"]]
    assert vs[0].verdict == 2
    vs[0].verdict, vs[0].match, vs[0].work, vs[0].reason = 4, 0, C.ZERO32, 0
    p = C.RunParams(doc["licensee"], doc["use"], doc["at"], doc["threshold"], doc["manifestSha256"], doc["chainId"],
                    len(vs))
    forged = C.sign_report(C.build_report(vs, p, doc["attestationRegistry"]), led.require_signer().key)
    path.write_bytes(C.encode_report(forged))
    C.Clearance(led).record(forged)
    assert run(ledger_env, "clearance", "verify", str(path)).exit_code == 0  # the signature alone is fine
    r = run(ledger_env, "clearance", "verify", str(path), "--chain")
    assert r.exit_code == 1 and f"registered work {scene['R']}" in r.output


def test_a_file_unreadable_while_clearing_is_an_item_not_covered(ledger_env, scene):
    d = scene["dir"] / "gone"
    d.mkdir()
    (d / "a.bin").write_bytes(b"a")
    (d / "b.bin").write_bytes(b"b")
    m = scene["dir"] / "gone.csv"
    m.write_text("file\ngone\n")
    led = ledger_env.ledger("licensee")
    items = C.read_manifest(m)
    (d / "a.bin").unlink()  # gone between the manifest and the clearing
    registry = C.Registry.load(led, codes=[])
    params = C.Clearance(led).params(items, m, led.require_signer().address, "ai-training", None,
                                     DEFAULT_THRESHOLD, registry)
    got = C.run(items, C.Clearer(registry, params.licensee, AI, params.at, DEFAULT_THRESHOLD), params,
                scene["dir"] / "gone.journal")
    assert [(v.verdict, v.reason) for v in got] == [(3, C.REASON_UNREADABLE), (4, 0)]
    assert "cannot read" in got[0].detail or "no such" in got[0].detail.lower()
    doc = C.build_report(got, params, registry.attestation_registry)
    assert doc["counts"]["not-covered"] == 1 and doc["counts"]["unregistered"] == 1


def test_usage_from_clearance_refuses_another_period_and_an_unrecorded_report(ledger_env, scene):
    import datetime as dt

    path, doc = _report(ledger_env, scene, "period")
    made = int(dt.datetime.fromtimestamp(doc["at"], dt.UTC).strftime("%Y%m"))
    other = made - 1 if made % 100 > 1 else made - 89
    r = run(ledger_env, "usage", "report", "--from-clearance", str(path), "--cmo", "cmo", "--period", str(other),
            "--dry-run", account="licensee")
    assert r.exit_code == 2 and f"made in {made}, not in the period {other}" in r.output
    r = run(ledger_env, "usage", "report", "--from-clearance", str(path), "--cmo", "cmo", "--period", str(made),
            "--dry-run", account="licensee")
    assert r.exit_code == 2 and "not recorded on-chain" in r.output
    # a lower-case licensee is the same licensee (it verifies), not "another signer"
    doc["licensee"] = doc["licensee"].lower()
    path.write_text(json.dumps(doc))
    assert C.verify_report(doc).ok
    r = run(ledger_env, "usage", "report", "--from-clearance", str(path), "--cmo", "cmo", "--period", str(made),
            "--dry-run", account="licensee")
    assert r.exit_code == 2 and "not recorded on-chain" in r.output and "the signer is" not in r.output


def test_out_as_a_folder_is_refused_before_clearing(ledger_env, scene):
    d = scene["dir"]
    (d / "o.csv").write_text(f"sha256\n{'cd' * 32}\n")
    r = run(ledger_env, "clearance", "run", str(d / "o.csv"), "--out", str(d), account="licensee")
    assert r.exit_code == 2 and "is a folder" in r.output


def test_a_run_killed_mid_way_resumes_to_the_same_report(ledger_env, scene):
    """SIGKILL (no clean-up at all) part-way through, then the same command again: every item
    once in the journal, and the same root as an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    d = scene["dir"] / "kill"
    d.mkdir()
    for i in range(600):
        (d / f"f{i:04d}.bin").write_bytes(os.urandom(32))
    m = scene["dir"] / "kill.csv"
    m.write_text("file\nkill\n")
    out = scene["dir"] / "kill.json"
    journal = C.journal_path(out)
    args = ["--network", "local", "--as", "licensee", "clearance", "run", str(m), "--out", str(out), "--json"]
    p = subprocess.Popen([sys.executable, "-c", "from ledger.cli import main; main()", *args], env=ledger_env.env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if journal.exists() and len(journal.read_bytes().splitlines()) > 60:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    cut = len(journal.read_bytes().splitlines()) - 1
    assert 0 < cut < 600, cut  # killed part-way
    assert run(ledger_env, *args[4:], account="licensee").exit_code == 0
    _header, done = C.read_journal(journal)  # a line torn by the kill is skipped, as the run skips it
    indexes = []
    for x in journal.read_text().splitlines()[1:]:
        try:
            indexes.append(json.loads(x)["index"])
        except ValueError:
            continue
    assert sorted(indexes) == list(range(600)) and len(done) == 600  # each item decided once
    ref = scene["dir"] / "kill-ref.json"
    assert run(ledger_env, "clearance", "run", str(m), "--out", str(ref), account="licensee").exit_code == 0
    assert json.loads(out.read_text())["root"] == json.loads(ref.read_text())["root"]


def test_a_recorded_malformed_report_does_not_break_holders_statements(ledger_env, scene):
    """A licensee records a document with a valid header digest but garbage items: the holders'
    statements skip it (before: every statement of that month failed on it)."""
    import datetime as dt

    path, doc = _report(ledger_env, scene, "garbage")
    doc["items"] = [{"index": 0, "verdict": "covered"}]
    doc["digest"] = C.digest_of(doc)
    C.Clearance(ledger_env.ledger("licensee")).record(doc)
    period = dt.datetime.fromtimestamp(doc["at"], dt.UTC).strftime("%Y%m")
    r = run(ledger_env, "royalty", "statement", "--holder", "alice", "--period", period, "--json")
    assert r.exit_code == 0, r.output
    assert all(c["digest"] != doc["digest"] for e in json.loads(r.stdout)["works"] for c in e["clearance"])


def test_show_and_prove_of_a_malformed_or_tampered_report_are_errors_not_crashes(ledger_env, scene):
    path, doc = _report(ledger_env, scene, "show")
    bad = path.with_name("show-bad.json")
    for edit, code, words in ((lambda d: d["items"][0].pop("source"), 2, "no source"),
                              (lambda d: d["items"].__setitem__(0, "x"), 2, "must be a JSON object"),
                              (lambda d: d.update(items={"a": 1}), 2, "items must be a list"),
                              (lambda d: d["items"][0].update(verdict="covered"), 1, "does not verify")):
        d = json.loads(json.dumps(doc))
        edit(d)
        bad.write_text(json.dumps(d))
        r = run(ledger_env, "clearance", "show", str(bad))
        assert r.exit_code == code and words in r.output, r.output
    d = json.loads(json.dumps(doc))
    d["items"][0].pop("source")
    bad.write_text(json.dumps(d))
    r = run(ledger_env, "clearance", "prove", str(bad), "--item", "0")
    assert r.exit_code == 2 and "no source" in r.output


@pytest.mark.parametrize("at", ["never", "2099-01-01"])
def test_a_clearance_of_the_future_is_refused(ledger_env, scene, at):
    """`--at never` was an internal error (a year out of range) after clearing; a future time is refused first."""
    d = scene["dir"]
    (d / "f.csv").write_text(f"sha256\n{'cd' * 32}\n")
    r = run(ledger_env, "clearance", "run", str(d / "f.csv"), "--at", at, account="licensee")
    assert r.exit_code == 2 and "not of the future" in r.output
    assert not (d / "f.csv.clearance.json").exists()


def test_a_manifest_listing_its_own_folder_neither_clears_its_report_nor_blocks_a_rerun(ledger_env, scene):
    """`file` = `.`: the walk used to take the manifest, the report and the journal as corpus
    items, and the second run then refused ("belongs to another clearance run")."""
    d = scene["dir"] / "self"
    d.mkdir()
    (d / "a.txt").write_text("a")
    (d / "m.csv").write_text("file\n.\n")
    for _ in range(2):
        r = run(ledger_env, "clearance", "run", str(d / "m.csv"), "--json", account="licensee")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["items"] == 1


def test_a_report_signed_for_another_chain_is_not_recorded_nor_valid_here(ledger_env, scene):
    path, doc = _report(ledger_env, scene, "chain")
    led = ledger_env.ledger("licensee")
    doc.pop("signature")
    doc["chainId"] = 1
    doc["digest"] = C.digest_of(doc)
    path.write_bytes(C.encode_report(C.sign_report(doc, led.require_signer().key)))
    assert run(ledger_env, "clearance", "verify", str(path)).exit_code == 0  # it is a valid report of chain 1
    r = run(ledger_env, "clearance", "record", str(path), account="licensee")
    assert r.exit_code == 2 and "not of this chain" in r.output
    r = run(ledger_env, "clearance", "verify", str(path), "--chain")
    assert r.exit_code == 1 and "not of this chain" in r.output


def test_smuggling_a_reserved_work_by_hash_code_or_file_twice_never_clears_it(ledger_env, scene):
    d = scene["dir"]
    code = content_code((d / "R.png").read_bytes(), "R.png").iscc
    (d / "sm.csv").write_text(f"file,sha256,iscc\n,{scene['R'][2:]},\nR.png,,\n,,{code}\n,{'ee' * 32},{code}\n")
    r = run(ledger_env, "clearance", "run", str(d / "sm.csv"), "--json", account="licensee")
    assert r.exit_code == 0, r.output
    items = json.loads((d / "sm.csv.clearance.json").read_text())["items"]
    assert [(i["verdict"], i["match"], i["work"]) for i in items] == [
        ("reserved", "exact", scene["R"]), ("reserved", "exact", scene["R"]),
        ("reserved", "near", scene["R"]), ("reserved", "near", scene["R"])]
