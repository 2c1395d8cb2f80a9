"""Protection and audit commands as real subprocesses against a real anvil node."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.domain.protection import merkle_root
from tests.fixtures.tsa import local_tsa  # noqa: F401  (fixture)

RL = [str(Path(sys.executable).with_name("rights-ledger"))]


def run(env, *args, extra=None):
    e = {**env.env(), **(extra or {})}
    return subprocess.run([*RL, *args], env=e, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=180)


def ok(p):
    assert p.returncode == 0, p.stderr + p.stdout
    return json.loads(p.stdout) if p.stdout.strip().startswith(("{", "[")) else p.stdout


def _confirmed_work(ledger_env, tmp_path, who="alice", creation="human"):
    f = tmp_path / f"{secrets.token_hex(4)}.txt"
    f.write_bytes(secrets.token_bytes(32))
    extra = ["--model", "example-diffusion@2.1"] if creation != "human" else []
    reg = ok(run(ledger_env, "--as", who, "work", "register", str(f), "--title", "CLI work", "--creator", who,
                 "--creation", creation, *extra, "--json"))
    ok(run(ledger_env, "--as", "registrar", "work", "confirm", reg["workId"], "--json"))
    return reg["workId"], f


def test_dispute_open_and_resolve(ledger_env, tmp_path):
    wid, _ = _confirmed_work(ledger_env, tmp_path)
    ev = tmp_path / "evidence.txt"
    ev.write_text("drafts")
    opened = ok(run(ledger_env, "--as", "bob", "work", "dispute", "open", wid, "--evidence", str(ev), "--json"))
    assert opened["status"] == "DISPUTED" and opened["evidenceCid"].startswith("bafkrei")
    bob = ledger_env.addresses["bob"]
    res = ok(run(ledger_env, "--as", "registrar", "work", "dispute", "resolve", wid, "--outcome", "corrected",
                 "--holder", "alice:5000", "--holder", f"{bob}:5000", "--reason", "joint work", "--json"))
    assert res["status"] == "CONFIRMED" and {h["bps"] for h in res["holders"]} == {5000}
    listed = ok(run(ledger_env, "work", "dispute", "list", wid, "--json"))
    assert listed[0]["outcome"] == "corrected"


def test_dispute_errors_are_one_line(ledger_env, tmp_path):
    wid, _ = _confirmed_work(ledger_env, tmp_path)
    p = run(ledger_env, "--as", "rando", "work", "dispute", "open", wid, "--evidence", str(tmp_path / "nope"))
    assert p.returncode == 2 and "error:" in p.stderr and "Traceback" not in p.stderr
    p = run(ledger_env, "--as", "registrar", "work", "dispute", "resolve", wid, "--outcome", "dismissed",
            "--reason", "x")
    assert p.returncode == 2 and "CONFIRMED" in p.stderr and "Traceback" not in p.stderr


def test_attest_with_tsa_and_verify(ledger_env, tmp_path, local_tsa):  # noqa: F811
    f = tmp_path / "draft.txt"
    f.write_bytes(secrets.token_bytes(40))
    tsa = {"RIGHTS_LEDGER_TSA_URL": local_tsa.url, "RIGHTS_LEDGER_TSA_CA": str(local_tsa.ca_file)}
    rec = ok(run(ledger_env, "--as", "alice", "attest", "file", str(f), "--json", extra=tsa))
    assert rec["hash"] == "0x" + hashlib.sha256(f.read_bytes()).hexdigest() and rec["tsa_token_cid"]
    v = ok(run(ledger_env, "attest", "verify", str(f), "--json", extra=tsa))
    assert v["valid"] and v["token"]["digest"] == rec["hash"]
    other = tmp_path / "other.txt"
    other.write_bytes(b"never attested " + secrets.token_bytes(8))
    assert run(ledger_env, "attest", "verify", str(other), extra=tsa).returncode == 1


def test_generation_and_provenance(ledger_env, tmp_path):
    wid, f = _confirmed_work(ledger_env, tmp_path, who="bob", creation="ai-assisted")
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("a harbour at night, cranes, lanterns " + secrets.token_hex(4))
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"seed": 1, "steps": 20}))
    g = ok(run(ledger_env, "--as", "bob", "work", "generation", wid, "--model", "example-diffusion@2.1",
               "--input", str(prompt), "--params", str(params), "--json"))
    one_leaf_root = merkle_root([hashlib.sha256(prompt.read_bytes()).digest()])  # the leaf hashed twice (R108)
    assert g["inputs_root"] == "0x" + one_leaf_root.hex() and g["output_hash"] == wid
    prov = ok(run(ledger_env, "work", "provenance", wid, "--json"))
    assert prov["generations"][0]["record_id"] == g["record_id"]
    assert prov["attestations"][g["inputs_root"]]["kind"] == "inputs"
    text = ok(run(ledger_env, "work", "provenance", wid))
    assert "example-diffusion" in text and "(= the work)" in text and "confirmed" in text


def test_certificate_then_verify(ledger_env, tmp_path):
    wid, _ = _confirmed_work(ledger_env, tmp_path)
    pdf = tmp_path / "cert.pdf"
    out = ok(run(ledger_env, "--as", "registrar", "work", "certificate", wid, "-o", str(pdf), "--json"))
    assert pdf.read_bytes().startswith(b"%PDF")
    good = run(ledger_env, "verify", "--certificate", str(pdf))
    assert good.returncode == 0 and "certificate valid" in good.stdout
    forged = {**out["payload"], "h": "ab" * 32}
    bad = run(ledger_env, "verify", "--qr-payload", json.dumps(forged))
    assert bad.returncode == 1 and "holders" in bad.stdout
    assert run(ledger_env, "verify").returncode == 2
    assert run(ledger_env, "verify", "--qr-payload", "{oops").returncode == 2


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_audit_replay_and_export(ledger_env, tmp_path, fmt):
    rep = run(ledger_env, "audit", "replay", "--json", "--checkpoint", str(tmp_path / "cp.json"))
    body = json.loads(rep.stdout)
    assert rep.returncode == (1 if body["mismatches"] else 0)
    assert body["events"] > 0 and len(body["stateDigest"]) == 64 and (tmp_path / "cp.json").exists()
    again = json.loads(run(ledger_env, "audit", "replay", "--json", "--checkpoint", str(tmp_path / "cp.json")).stdout)
    assert again["resumedFrom"] is not None
    out = tmp_path / f"events.{fmt}"
    exp = ok(run(ledger_env, "audit", "export", "--format", fmt, "-o", str(out), "--json"))
    assert exp["rows"] > 0 and out.stat().st_size > 0


def test_a_checkpoint_holding_a_lone_surrogate_is_refused_with_the_fresh_hint(ledger_env, tmp_path):
    """A checkpoint whose key or value is the JSON escape "\\ud800" (valid JSON, no text): the state digest's
    canonical JSON raised UnicodeEncodeError, an internal error (the fuzzer at 8x)."""
    cp = tmp_path / "cp.json"
    assert run(ledger_env, "audit", "replay", "--json", "--skip-store", "--checkpoint", str(cp)).returncode in (0, 1)
    text = cp.read_text()
    cp.write_text(text.replace('"state":{', '"state":{"\\ud800":{},', 1))
    assert '"\\ud800"' in cp.read_text()
    bad = run(ledger_env, "audit", "replay", "--json", "--skip-store", "--checkpoint", str(cp))
    assert bad.returncode == 2 and "internal error" not in bad.stderr, bad.stderr
    assert "lone surrogate" in bad.stderr and "--fresh" in bad.stderr
