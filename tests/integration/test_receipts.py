"""Coverage receipts (issue 14): `licence status ... --receipt FILE` and `licence verify-receipt`.

A receipt made at block B verifies against the node (exit 0) with the project's verifier and
with an independent raw-JSON-RPC check (tests/integration/raw_receipt_check.py, no ledger
import); it still verifies after later facts (a reservation, a dispute, a tariff) and after a
node restart (state at B is gone then, headers and receipts are kept). An edited answer, record
or proof is a mismatch (exit 1); a node that is down, or a file that is no receipt, is an error
(exit 2).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp

from ledger.core.types import Holder
from ledger.domain.licensing import Licensing
from ledger.domain.protection import Protection
from tests.fixtures.chain import LedgerEnv, make_env
from tests.integration import raw_receipt_check
from tests.integration.test_restart import cli, doc


@pytest.fixture(scope="module")
def own_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerEnv]:
    env = make_env(tmp_path_factory.mktemp("receipts") / "home")
    try:
        yield env
    finally:
        env.node.stop()


def status(env: LedgerEnv, wid: str, who: str, use: str, receipt: Path, *extra: str):
    return cli(env, "licence", "status", wid, who, "--use", use, "--receipt", str(receipt), "--json", *extra)


def verify(env: LedgerEnv, receipt: Path, *extra: str):
    return cli(env, "licence", "verify-receipt", str(receipt), "--json", *extra)


def test_the_raw_checker_imports_nothing_from_the_project():
    tree = ast.parse(Path(raw_receipt_check.__file__).read_text())
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in mods if m and (m == "ledger" or m.startswith(("ledger.", "tests")))}, mods
    assert {"rlp", "trie", "urllib.request"} <= mods


def test_receipt_verifies_later_and_after_a_restart_and_refuses_tampering(own_env, tmp_path):
    env = own_env
    a = env.addresses
    alice = env.ledger("alice")
    wid = alice.register_work(doc("Receipt work"), [Holder(a["alice"], 10000)]).work_id
    env.ledger("registrar").confirm_work(wid)
    lic = Licensing(alice)
    _r, lid = lic.grant(a["licensee"], [wid], lic.terms(["perform"]))

    covered = tmp_path / "covered.json"
    p = status(env, wid, a["licensee"], "perform", covered)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["covered"] is True and out["licenceId"] == lid
    r = json.loads(covered.read_text())
    assert r["licence"]["id"] == lid and r["licence"]["mappingSlot"] is not None
    assert len(r["proofs"]["storageProof"]) == 3 and r["proofs"]["accountProof"]
    assert [e["name"] for e in r["events"]] == ["LicenceGranted"]
    assert r["block"]["header"]["stateRoot"] == r["block"]["stateRoot"]
    print(f"\nreceipt size: {covered.stat().st_size} bytes, {len(r['proofs']['accountProof'])} account proof nodes")

    refused = tmp_path / "refused.json"
    p = status(env, wid, a["bob"], "perform", refused)
    assert p.returncode == 1, p.stderr
    assert json.loads(refused.read_text())["answer"]["covered"] is False

    for path in (covered, refused):
        p = verify(env, path)
        assert p.returncode == 0, p.stdout + p.stderr
        assert json.loads(p.stdout)["ok"] is True
    assert raw_receipt_check.check(r, env.settings.network.rpc_url) == []

    # later facts: a reservation, a dispute, a new tariff; the answer now is different
    alice.reserve_uses(wid, ["perform"])
    Protection(alice).open_dispute(wid, b"receipt evidence")
    Licensing(env.ledger("governor")).set_tariff("perform", 5, 86400)
    now = tmp_path / "now.json"
    p = status(env, wid, a["licensee"], "perform", now)
    assert p.returncode == 1, p.stdout  # disputed: suspended from now on
    assert json.loads(p.stdout)["reason"] is not None
    p = verify(env, covered)
    assert p.returncode == 0, p.stdout + p.stderr
    assert raw_receipt_check.check(r, env.settings.network.rpc_url) == []

    # a restart: the state at the receipt's block is gone, the receipt still verifies
    assert cli(env, "node", "stop").returncode == 0
    p = verify(env, covered)
    assert p.returncode == 2 and "did not answer" in p.stderr, p.stdout + p.stderr  # node down: an error
    assert cli(env, "node", "start").returncode == 0
    gone = raw_receipt_check.call  # the old state is gone for an eth_call at the receipt's block
    with pytest.raises(RuntimeError):
        gone(env.settings.network.rpc_url, "eth_getProof", r["proofs"]["address"], [], hex(r["block"]["number"]))
    p = verify(env, covered)
    assert p.returncode == 0, p.stdout + p.stderr
    assert raw_receipt_check.check(r, env.settings.network.rpc_url) == []

    # tampering: each edit is a mismatch (exit 1) with a reason
    def tampered(name: str, edit) -> dict:
        t = json.loads(covered.read_text())
        edit(t)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(t))
        p = verify(env, path)
        assert p.returncode == 1, (name, p.stdout, p.stderr)
        got = json.loads(p.stdout)
        assert got["ok"] is False and got["problems"], name
        # the raw check reads the record and values from the proofs themselves, so it ignores
        # edits of the stated record and values, and must flag everything else
        assert raw_receipt_check.check(t, env.settings.network.rpc_url) or name in ("record", "value"), name
        return got

    # a field of the wrong type is one error, not a crash (stop 24's fuzzer: `network` as a list
    # reached the lens check before the receipt's own checks and raised AttributeError)
    odd = json.loads(covered.read_text())
    odd["network"] = [odd["network"]]
    (tmp_path / "odd.json").write_text(json.dumps(odd))
    p = verify(env, tmp_path / "odd.json")
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "internal error" not in p.stderr, p.stderr

    got = tampered("answer", lambda t: t["answer"].update(covered=False))
    assert any("the answer says" in x for x in got["problems"])
    tampered("licensee", lambda t: t["question"].update(licensee=a["bob"]))
    got = tampered("record", lambda t: t["licence"]["record"].update(end=1))
    assert any("proven state" in x for x in got["problems"])
    got = tampered("value", lambda t: t["proofs"]["storageProof"][0].update(value=hex(int(
        t["proofs"]["storageProof"][0]["value"], 16) ^ 1)))
    assert any("the receipt says" in x for x in got["problems"])
    got = tampered("proof", lambda t: t["proofs"]["accountProof"].__setitem__(0, "0x" + "c0" * 40))
    assert any("does not verify against the state root" in x for x in got["problems"])
    # a proof node that decodes but is no trie node (a branch whose children are 1 byte, not 32-byte
    # hashes): the trie library's ValidationError reached the last line of defence (the fuzzer, 8x)
    not_a_node = "0x" + rlp.encode([b"\x01"] * 17).hex()
    got = tampered("node-account", lambda t: t["proofs"]["accountProof"].__setitem__(0, not_a_node))
    assert any("does not verify against the state root" in x for x in got["problems"])
    got = tampered("node-storage", lambda t: t["proofs"]["storageProof"][0]["proof"].__setitem__(0, not_a_node))
    assert any("does not verify against the storage root" in x for x in got["problems"])
    got = tampered("header", lambda t: t["block"]["header"].update(timestamp=hex(1)))
    assert any("the header hashes to" in x for x in got["problems"])
    tampered("event", lambda t: t["events"][0].update(data=t["events"][0]["data"][:-2] + "ff"))

    # a forged question: the licensee moves `at` into the dispute opened above and keeps the
    # genuine "covered" result. Header, licence record and events all still hold (the licence's
    # term covers the new time); only asking the lens again (step 6) shows it is not covered.
    head_time = int(raw_receipt_check.call(env.settings.network.rpc_url, "eth_getBlockByNumber", "latest",
                                           False)["timestamp"], 16)

    def move_at(t: dict) -> None:
        t["question"]["at"] = head_time
        t["call"]["data"] = t["call"]["data"][:-64] + head_time.to_bytes(32, "big").hex()

    got = tampered("moved-at", move_at)
    assert any("does not hold" in x for x in got["problems"]), got["problems"]
    assert raw_receipt_check.check(json.loads((tmp_path / "moved-at.json").read_text()),
                                   env.settings.network.rpc_url) == ["asked again, not covered"]

    # a file that is no receipt: an error, not a finding
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    p = verify(env, junk)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = verify(env, tmp_path / "missing.json")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = status(env, wid, a["licensee"], "perform", tmp_path)  # a directory is no receipt file
    assert p.returncode == 2 and "is a directory" in p.stderr and "Traceback" not in p.stderr
