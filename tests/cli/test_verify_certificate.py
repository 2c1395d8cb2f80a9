"""`verify --certificate` as a real subprocess: forged certificates exit 1 with the reason (issue 12, finding 11).

0: signed by a current registrar and every printed field matches the chain; 1: anything
differs (edited page with the QR untouched, junk appended, unsigned); 2: the file cannot be
read. `work certificate` is a registrar's command.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.content.metadata import build_work_metadata
from ledger.core.types import Holder

RL = [str(Path(sys.executable).with_name("rights-ledger"))]


def run(env, *args):
    return subprocess.run([*RL, *args], env=env.env(), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=180)


@pytest.fixture(scope="module")
def cert(ledger_env, tmp_path_factory):
    data = secrets.token_bytes(24)
    doc = build_work_metadata(title="Verified Song", creators=[{"name": "Alice", "role": "author"}],
                              work_type="text", content_sha256=hashlib.sha256(data).hexdigest())
    r = ledger_env.ledger("alice").register_work(doc, [Holder(ledger_env.addresses["alice"], 10000)])
    ledger_env.ledger("registrar").confirm_work(r.work_id)
    pdf = tmp_path_factory.mktemp("cli-cert") / "cert.pdf"
    p = run(ledger_env, "--as", "registrar", "work", "certificate", r.work_id, "-o", str(pdf), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["signer"] == ledger_env.addresses["registrar"]
    return r.work_id, pdf.read_bytes()


def _write(tmp_path, data, name="c.pdf"):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_valid_certificate_exits_0(ledger_env, tmp_path, cert):
    wid, data = cert
    p = run(ledger_env, "verify", "--certificate", _write(tmp_path, data))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "certificate valid" in p.stdout and ledger_env.addresses["registrar"] in p.stdout
    j = run(ledger_env, "verify", "--certificate", _write(tmp_path, data), "--json")
    doc = json.loads(j.stdout)
    assert j.returncode == 0 and doc["valid"] and doc["differences"] == [] and doc["payload"]["w"] == wid


@pytest.mark.parametrize("what,old,new", [
    ("holder", "alice_line", "bob_line"),
    ("title", b"(Verified Song)", b"(Verified Sang)"),
    ("status", b"(CONFIRMED)", b"(CONFIRMEX)"),
])
def test_edited_page_exits_1_with_reason(ledger_env, tmp_path, cert, what, old, new):
    _wid, data = cert
    lines = {"alice_line": f"({ledger_env.addresses['alice']}  100.00%)".encode(),
             "bob_line": f"({ledger_env.addresses['bob']}  100.00%)".encode()}
    o, n = lines.get(old, old), lines.get(new, new)
    assert data.count(o) == 1
    p = run(ledger_env, "verify", "--certificate", _write(tmp_path, data.replace(o, n)))
    assert p.returncode == 1, (what, p.stdout, p.stderr)
    out = " ".join(p.stdout.split())
    assert "certificate does not match the chain" in out and "digest mismatch" in out
    assert " ".join(n.decode().strip("()").split()) in out  # the reason names the edited line
    assert "Traceback" not in p.stderr


def test_junk_after_eof_exits_1(ledger_env, tmp_path, cert):
    _wid, data = cert
    p = run(ledger_env, "verify", "--certificate", _write(tmp_path, data + b"\n%% appended\n"))
    assert p.returncode == 1 and "entire file" in p.stdout


def test_unsigned_certificate_exits_1(ledger_env, tmp_path, cert):
    """The same page without its signature (the revision before signing) is refused."""
    _wid, data = cert
    first_eof = data.index(b"%%EOF") + len(b"%%EOF\n")
    unsigned = data[:first_eof]
    assert b"/ByteRange" not in unsigned
    p = run(ledger_env, "verify", "--certificate", _write(tmp_path, unsigned))
    assert p.returncode == 1 and "not signed" in p.stdout


@pytest.mark.parametrize("content", [b"plain text", b"%PDF-1.7\nnot really\n"])
def test_unreadable_file_exits_2(ledger_env, tmp_path, content):
    p = run(ledger_env, "verify", "--certificate", _write(tmp_path, content))
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "not a readable PDF" in p.stderr
    missing = run(ledger_env, "verify", "--certificate", str(tmp_path / "none.pdf"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_certificate_is_issued_by_a_registrar_only(ledger_env, tmp_path, cert):
    wid, _ = cert
    anon = run(ledger_env, "work", "certificate", wid, "-o", str(tmp_path / "a.pdf"))
    assert anon.returncode == 2 and "--as" in anon.stderr
    alice = run(ledger_env, "--as", "alice", "work", "certificate", wid, "-o", str(tmp_path / "b.pdf"))
    assert alice.returncode == 2 and "not a REGISTRAR" in alice.stderr
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "b.pdf").exists()
