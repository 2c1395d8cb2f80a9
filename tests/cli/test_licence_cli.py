"""``rights-ledger licence|mandate|tariff`` as real subprocesses against a real anvil node.

``licence status`` exits 0 covered, 1 not covered, 2 on an error (one ``error:`` line)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

from tests.cli.test_cli import RL, assert_one_line_error

CID = b"\x01\x55\x12\x20" + b"\x44" * 32


def run(env, *args: str, who: str | None = None) -> subprocess.CompletedProcess:
    e = env.env()
    if who:
        e["RIGHTS_LEDGER_ACCOUNT"] = who
    return subprocess.run([*RL, *args], env=e, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def run_all(env, commands):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda c: run(env, *c), commands))


def works(env, seed: str, n: int = 1, holder: str = "alice") -> list[str]:
    """CONFIRMED works held by `holder` (fresh Ledger objects: the CLI shares these accounts)."""
    led = env.ledger(holder)
    regs = [(hashlib.sha256(f"lic-cli:{seed}:{i}".encode()).digest(), CID, 2, 1, [(env.addresses[holder], 10000)])
            for i in range(n)]
    led.chain.transact(led.registry.functions.registerBatch(regs), led.signer)
    reg = env.ledger("registrar")
    reg.chain.transact(reg.registry.functions.confirmBatch([r[0] for r in regs]), reg.signer)
    return ["0x" + r[0].hex() for r in regs]


def status(env, wid: str, *extra: str) -> tuple[int, dict]:
    p = run(env, "licence", "status", wid, "licensee", "--use", "ai-training", *extra, "--json")
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


def test_status_exit_codes_past_present_future(ledger_env):
    (wid,) = works(ledger_env, "status")
    p = run(ledger_env, "licence", "grant", "licensee", "--work", wid, "--use", "ai-training", "--territory", "CN",
            "--start", "2020-01-01", "--end", "2100-01-01", "--json", who="alice")
    assert p.returncode == 0, p.stderr
    lid = json.loads(p.stdout)["licenceId"]

    results = run_all(ledger_env, [
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--territory", "CN", "--json"),
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--territory", "CN", "--at", "2019-06-01",
         "--json"),
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--territory", "CN", "--at", "2099-12-31",
         "--json"),
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--territory", "CN", "--at", "2100-01-01",
         "--json"),
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--territory", "US", "--json"),
        ("licence", "status", wid, "licensee", "--use", "reproduce", "--territory", "CN", "--json"),
    ])
    got = [(p.returncode, json.loads(p.stdout)["covered"], json.loads(p.stdout)["reason"]) for p in results]
    assert got == [(0, True, None), (1, False, "not yet valid"), (0, True, None), (1, False, "expired"),
                   (1, False, "wrong territory"), (1, False, "none")]
    doc = json.loads(results[0].stdout)
    assert (doc["grant"], doc["licenceId"], doc["work"]) == ("work licence", lid, wid)


def test_status_errors_are_one_line(ledger_env):
    (wid,) = works(ledger_env, "errors")
    results = run_all(ledger_env, [
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--territory", "CHN"),
        ("licence", "status", "0x1234", "licensee", "--use", "ai-training"),
        ("licence", "status", wid, "nobody-here", "--use", "ai-training"),
        ("licence", "status", wid, "licensee", "--use", "ai-training", "--at", "someday"),
    ])
    assert_one_line_error(results[0], "territory")
    assert_one_line_error(results[1], "work id")
    assert results[2].returncode == 2 and "Traceback" not in results[2].stderr
    assert_one_line_error(results[3], "not a date")


def test_lifecycle_via_cli(ledger_env):
    (wid,) = works(ledger_env, "lifecycle")
    p = run(ledger_env, "licence", "grant", "licensee", "--work", wid, "--use", "ai-training", "--json", who="alice")
    lid = str(json.loads(p.stdout)["licenceId"])
    assert status(ledger_env, wid)[0] == 0

    assert run(ledger_env, "licence", "suspend", lid, "--reason", "audit", who="alice").returncode == 0
    assert status(ledger_env, wid) == (1, status(ledger_env, wid)[1])
    assert status(ledger_env, wid)[1]["reason"] == "suspended"
    p = run(ledger_env, "licence", "suspend", lid, "--reason", "again", who="licensee")
    assert_one_line_error(p, "not the licensor")

    assert run(ledger_env, "licence", "resume", lid, who="alice").returncode == 0
    assert status(ledger_env, wid)[0] == 0
    assert run(ledger_env, "licence", "revoke", lid, "--reason", "breach", "--yes", who="alice").returncode == 0
    code, doc = status(ledger_env, wid)
    assert (code, doc["reason"]) == (1, "revoked")

    show = json.loads(run(ledger_env, "licence", "show", lid, "--json").stdout)
    assert show["state"] == "revoked" and show["works"] == [wid]
    assert [h["event"] for h in show["history"]] == ["LicenceGranted", "LicenceSuspended", "LicenceResumed",
                                                     "LicenceRevoked"]
    listed = json.loads(run(ledger_env, "licence", "list", "--work", wid, "--json").stdout)
    assert [x["licenceId"] for x in listed] == [int(lid)]


def test_check_file_csv_and_json_lines(ledger_env, tmp_path):
    a, b = works(ledger_env, "check", 2)
    p = run(ledger_env, "licence", "grant", "licensee", "--work", a, "--use", "ai-training", "--territory", "CN",
            "--json", who="alice")
    assert p.returncode == 0, p.stderr
    csv_file = tmp_path / "q.csv"
    csv_file.write_text(f"work,use,territory,at\n{a},ai-training,CN,\n{a},ai-training,US,\n{b},ai-training,,\n"
                        f"{a},ai-training,CN,2000-01-01\n")
    jl = tmp_path / "q.jsonl"
    jl.write_text("\n".join(json.dumps(x) for x in (
        {"work": a, "use": "ai-training", "territory": "CN"}, {"work": b, "use": "reproduce"})) + "\n")
    out_csv, out_jl = run_all(ledger_env, [("licence", "check", str(csv_file), "--licensee", "licensee"),
                                           ("licence", "check", str(jl), "--licensee", "licensee")])
    assert out_csv.returncode == 0, out_csv.stderr
    lines = [json.loads(x) for x in out_csv.stdout.splitlines()]
    assert [(x["covered"], x["reason"]) for x in lines] == [(True, None), (False, "wrong territory"),
                                                             (False, "none"), (False, "not yet valid")]
    assert [json.loads(x)["covered"] for x in out_jl.stdout.splitlines()] == [True, False]

    bad = tmp_path / "bad.csv"
    bad.write_text(f"work,use\n{a},ai-training\nnot-a-work,ai-training\n")
    assert_one_line_error(run(ledger_env, "licence", "check", str(bad), "--licensee", "licensee"), "bad.csv:3")


def test_offer_accept_and_replay(ledger_env, tmp_path):
    from ledger.core.artifacts import load_artifact

    (wid,) = works(ledger_env, "offer")
    p = run(ledger_env, "licence", "settlement-token", "--json", who="governor")  # the deployed SettlementToken
    assert p.returncode == 0, p.stderr
    gov = ledger_env.ledger("governor")
    token = gov.w3.eth.contract(address=json.loads(p.stdout)["token"],
                                abi=load_artifact(gov.settings.build_dir, "SettlementToken").abi)
    licensee, alice = ledger_env.addresses["licensee"], ledger_env.addresses["alice"]
    gov.chain.transact(token.functions.mint(licensee, 1000), gov.signer)
    before = token.functions.balanceOf(alice).call()
    offer = tmp_path / "offer.json"
    p = run(ledger_env, "licence", "offer", "licensee", "--work", wid, "--use", "perform", "--flat-fee", "1000",
            "--nonce", "99", "--out", str(offer), who="alice")
    assert p.returncode == 0, p.stderr
    doc = json.loads(offer.read_text())
    assert doc["licensor"] == ledger_env.addresses["alice"] and doc["nonce"] == "99"

    p = run(ledger_env, "licence", "accept", str(offer), "--json", who="licensee")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["paid"] == 1000
    assert token.functions.balanceOf(alice).call() - before == 1000
    p = run(ledger_env, "licence", "status", wid, "licensee", "--use", "perform", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["covered"]

    assert_one_line_error(run(ledger_env, "licence", "accept", str(offer), who="licensee"), "used")
    doc["terms"]["uses"] = 0xFF  # tampered terms: no longer the licensor's signature
    doc["nonce"] = "100"
    offer.write_text(json.dumps(doc))
    assert_one_line_error(run(ledger_env, "licence", "accept", str(offer), who="licensee"), "signed")


def test_mandate_blanket_and_tariff(ledger_env):
    a, b = works(ledger_env, "blanket", 2)
    results = [run(ledger_env, "mandate", "add", w, "--cmo", "cmo", "--use", "ai-training", who="alice")
               for w in (a, b)]
    assert all(p.returncode == 0 for p in results), [p.stderr for p in results]
    p = run(ledger_env, "licence", "grant", "licensee", "--repertoire", "--use", "ai-training", "--json", who="cmo")
    assert p.returncode == 0, p.stderr
    assert run(ledger_env, "work", "reserve", b, "--use", "ai-training", who="alice").returncode == 0
    code_a, doc_a = status(ledger_env, a)
    code_b, doc_b = status(ledger_env, b)
    assert (code_a, doc_a["grant"]) == (0, "blanket licence")
    assert (code_b, doc_b["reason"]) == (1, "reserved")

    assert run(ledger_env, "mandate", "withdraw", a, "--cmo", "cmo", who="alice").returncode == 0
    code, doc = status(ledger_env, a)
    assert (code, doc["reason"]) == (1, "mandate withdrawn")

    assert_one_line_error(run(ledger_env, "tariff", "set", "--use", "ai-training", "--amount", "5", who="alice"),
                          "GOVERNOR")
    assert_one_line_error(run(ledger_env, "mandate", "add", a, "--cmo", "bob", "--use", "ai-training", who="alice"),
                          "LicenceRegistry__NotACmo")


def test_demo_licensing_story_is_idempotent(ledger_env):
    from ledger.cli.app import App
    from ledger.cli.demo_licensing import licensing_story
    from tests.fixtures.chain import PASSWORD

    (poem,) = works(ledger_env, "demo-poem")
    app = App(ledger_env.settings, None, PASSWORD)
    led = ledger_env.ledger("governor")

    def as_(name):
        led.signer = led.keystore.unlock(name, PASSWORD)
        return led

    outputs = []
    for _ in range(2):
        said: list[str] = []
        addr = {n: ledger_env.addresses[n] for n in ("governor", "registrar", "alice", "bob")}
        licensing_story(app, led, addr, as_, said.append, lambda n, t, out=said: out.append(f"## {t}"), poem)
        outputs.append("\n".join(said))
    first, second = outputs
    assert "covered[/green] by the blanket licence #" in first
    assert "NOT covered[/red]: reserved" in first
    assert "mandated to the CMO for ai-training and reproduce" in first  # this poem's first run
    assert "blanket licence #" in second and "was granted in an earlier run" in second
    assert "'River Song' was mandated to the CMO in an earlier run" in second
    assert "opted out in an earlier run" in second
    assert "NOT covered[/red]: reserved" in second
    assert first.split("## The licensee asks")[1] == second.split("## The licensee asks")[1]
