"""C2PA: manifests from generation records, embedded and read back; a public sample (not written here)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from ledger.cli.app import cli
from ledger.domain.formats import c2pa_provenance as C2PA
from tests.fixtures.chain import LedgerEnv
from tests.fixtures.tsa import local_tsa  # noqa: F401  (fixture)

DATA = Path(__file__).parent.parent / "data" / "formats"
SIGNED_SAMPLE = DATA / "c2pa-python-C.jpg"  # contentauth/c2pa-python tests/fixtures/C.jpg (README)
UNSIGNED_SAMPLE = DATA / "c2pa-python-A.jpg"  # contentauth/c2pa-python tests/fixtures/A.jpg


def signer(tmp: Path) -> tuple[Path, Path]:
    """A throw-away CA and an ES256 leaf (digitalSignature, emailProtection) made with openssl."""
    script = f"""set -e
cd {tmp}
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -new -x509 -key ca.key -out ca.pem -days 2 -subj "/CN=Test C2PA CA/O=Rights Ledger tests" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out leaf.key
openssl req -new -key leaf.key -out leaf.csr -subj "/CN=Generator Studio/O=Rights Ledger tests"
printf "basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=emailProtection\\n" > ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile ext
cat leaf.pem ca.pem > chain.pem
"""
    subprocess.run(["bash", "-c", script], check=True, capture_output=True)
    return tmp / "chain.pem", tmp / "leaf.key"


def run(env: LedgerEnv, *args: str, account: str | None = None, extra: dict | None = None):
    base = ["--network", "local"] + (["--as", account] if account else [])
    return CliRunner().invoke(cli, [*base, *args], env={**env.env(), **(extra or {})}, catch_exceptions=False)


def test_public_sample_is_read_as_a_proposal_with_its_validation():
    p = C2PA.read_proposal(SIGNED_SAMPLE)
    assert p is not None and p.validation_state == "Valid"
    assert p.failures == ("signingCredential.untrusted",) and p.signature_ok
    assert p.signer == "C2PA Signer (C2PA Test Signing Cert)"
    assert p.source_type.endswith("/algorithmicMedia") and p.creation_mode == "ai-assisted"
    assert C2PA.read_proposal(UNSIGNED_SAMPLE) is None


def test_a_changed_byte_makes_the_manifest_invalid(tmp_path: Path):
    data = bytearray(SIGNED_SAMPLE.read_bytes())
    data[-100] ^= 0xFF  # image data, inside the hard binding
    bad = tmp_path / "changed.jpg"
    bad.write_bytes(bytes(data))
    p = C2PA.read_proposal(bad)
    assert p is not None and p.validation_state == "Invalid" and not p.signature_ok
    assert "assertion.dataHash.mismatch" in p.failures


def test_mode_mapping():
    assert C2PA.mode_of(C2PA.TRAINED) == "ai-generated"
    assert C2PA.mode_of(C2PA.IPTC + "compositeWithTrainedAlgorithmicMedia") == "ai-assisted"
    assert C2PA.mode_of(C2PA.IPTC + "digitalCapture") == "human" and C2PA.mode_of(None) == "human"


def test_generation_to_c2pa_embed_then_register_from_it(ledger_env: LedgerEnv, tmp_path: Path, local_tsa):  # noqa: F811
    env = ledger_env
    cert, key = signer(tmp_path)
    out = tmp_path / "dawn.png"
    Image.new("RGB", (96, 64), (30, 90, 160)).save(out)
    source = tmp_path / "sketch.png"
    Image.new("RGB", (32, 32), (250, 250, 0)).save(source)
    r = run(env, "work", "register", str(out), "--title", "Dawn", "--creator", "Alice:author", "--type", "image",
            "--creation", "ai-generated", "--model", "sd@1.5", "--json", account="alice")
    assert r.exit_code == 0, r.output
    wid = json.loads(r.stdout)["workId"]
    signed, manifest = tmp_path / "dawn-c2pa.png", tmp_path / "dawn.c2pa.json"
    tsa = {"RIGHTS_LEDGER_TSA_URL": local_tsa.url}
    r = run(env, "work", "generation", wid, "--model", "sd@1.5", "--input", str(source), "--output", str(out),
            "--c2pa-out", str(manifest), "--embed", str(out), "--embed-out", str(signed), "--sign-cert", str(cert),
            "--sign-key", str(key), "--json", account="alice", extra=tsa)
    assert r.exit_code == 0, r.output
    g = json.loads(r.stdout)
    assert g["c2pa"]["timestamped"] and g["c2pa"]["embedded"] == str(signed)
    m = json.loads(manifest.read_text())
    action = m["assertions"][0]["data"]["actions"][0]
    assert action["action"] == "c2pa.created" and action["digitalSourceType"] == C2PA.TRAINED
    assert action["softwareAgent"] == {"name": "sd", "version": "1.5"}
    rec = m["assertions"][1]["data"]
    assert rec["workId"] == wid and rec["outputHash"] == wid and rec["rfc3161Token"] and rec["rfc3161TokenCid"]

    p = C2PA.read_proposal(signed)
    assert p.validation_state == "Valid" and p.failures == ("signingCredential.untrusted",)
    assert p.signer == "Generator Studio (Rights Ledger tests)"
    assert p.creation_mode == "ai-generated" and p.models == ({"name": "sd", "version": "1.5"},)
    assert [i["title"] for i in p.ingredients] == ["sketch.png"] and p.ledger_record["recordId"] == g["record_id"]

    # register the signed copy from its manifest: shown, then refused without a confirmation (no terminal)
    args = ["work", "register", str(signed), "--title", "Dawn (with credentials)", "--creator", "Alice:author",
            "--type", "image", "--from-c2pa"]
    r = run(env, *args, account="alice")
    assert r.exit_code == 2 and "proposed creation mode: ai-generated" in r.output and "--yes" in r.output
    r = run(env, *args, "--yes", "--json", account="alice")
    assert r.exit_code == 0, r.output
    new = json.loads(r.stdout)["workId"]
    doc = env.ledger().metadata(env.ledger().work(new).metadata_cid)
    assert doc["creationMode"] == "ai-generated"
    assert doc["aiDeclaration"]["models"] == [{"name": "sd", "version": "1.5"}]
    assert "sketch.png" in doc["aiDeclaration"]["description"] and "Valid" in doc["aiDeclaration"]["description"]


def test_register_from_c2pa_without_a_manifest_is_an_error(ledger_env: LedgerEnv):
    r = run(ledger_env, "work", "register", str(UNSIGNED_SAMPLE), "--title", "A", "--creator", "Alice",
            "--from-c2pa", "--yes", account="alice")
    assert r.exit_code == 2 and "carries no C2PA manifest" in r.output


@pytest.mark.parametrize("missing", ["--embed-out", "--sign-key"])
def test_embed_needs_its_options(ledger_env: LedgerEnv, tmp_path: Path, missing: str):
    opts = {"--embed": str(SIGNED_SAMPLE), "--embed-out": str(tmp_path / "x.jpg"), "--sign-cert": "c",
            "--sign-key": "k"}
    opts.pop(missing)
    r = run(ledger_env, "work", "generation", "0x" + "ab" * 32, "--model", "m", "--inputs-root", "0x" + "cd" * 32,
            *[x for kv in opts.items() for x in kv], account="alice")
    assert r.exit_code == 2 and "--embed needs" in r.output
