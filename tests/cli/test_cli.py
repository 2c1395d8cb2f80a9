"""The ``rights-ledger`` command line, run as a real subprocess against a real anvil node.

Every bad input must end with exit code 2, one ``error:`` line on stderr (and at most one
``hint:`` line), no traceback, and nothing new on the chain or in the local store.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ledger.content.metadata import build_work_metadata
from ledger.core.node import EmbeddedNode, rpc_alive
from ledger.core.types import Holder, WorkStatus
from tests.fixtures.chain import free_port


def _command() -> list[str]:
    beside = Path(sys.executable).with_name("rights-ledger")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("rights-ledger")
    if found:
        return [found]
    return [sys.executable, "-c", "from ledger.cli import main; main()"]


RL = _command()
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(ledger_env, *args: str, env: dict[str, str] | None = None, binary: bool = False) -> subprocess.CompletedProcess:
    p = subprocess.run(
        [*RL, *args],
        env=env if env is not None else ledger_env.env(),
        capture_output=True,
        text=not binary,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    return p


def run_all(ledger_env, commands: list[tuple[str, ...]], env: dict[str, str] | None = None,
            workers: int = 4) -> list[subprocess.CompletedProcess]:
    """Run independent commands concurrently (each is still its own process); results in order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda args: run(ledger_env, *args, env=env), commands))


def expect_errors(ledger_env, cases: list[tuple[tuple[str, ...], tuple[str, ...]]], **kwargs: Any) -> None:
    """Each (command, fragments) must fail with one error line holding the fragments."""
    results = run_all(ledger_env, [c for c, _ in cases])
    for (command, fragments), p in zip(cases, results, strict=True):
        try:
            assert_one_line_error(p, *fragments, **kwargs)
        except AssertionError as exc:
            raise AssertionError(f"{' '.join(command)}: {exc}") from None


def words(p: subprocess.CompletedProcess) -> str:
    """stdout with rich's line wrapping undone (it wraps plain output at the terminal width)."""
    return " ".join(ANSI.sub("", p.stdout).split())


def parse_json(p: subprocess.CompletedProcess) -> Any:
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def assert_one_line_error(p: subprocess.CompletedProcess, *fragments: str, hint: str | None = None,
                          code: int = 2) -> str:
    """Exit 2 (1 for an integrity failure), exactly one `error:` line (plus an optional `hint:` line), no traceback."""
    out, err = ANSI.sub("", p.stdout), ANSI.sub("", p.stderr)
    assert "Traceback" not in out + err, err
    assert p.returncode == code, (p.returncode, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    assert lines[0].startswith("error: "), lines
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), lines
    for f in fragments:
        assert f.lower() in lines[0].lower(), (f, lines[0])
    if hint is not None:
        assert len(lines) == 2 and hint.lower() in lines[1].lower(), (hint, lines)
    return lines[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader(ledger_env):
    return ledger_env.ledger()


@pytest.fixture(scope="module")
def addr(ledger_env) -> dict[str, str]:
    return ledger_env.addresses


@pytest.fixture
def content(tmp_path) -> Path:
    """A file with fresh random content (never registered)."""
    f = tmp_path / "work.bin"
    f.write_bytes(b"work " + os.urandom(32))
    return f


def store_files(ledger_env) -> set[Path]:
    root = ledger_env.home / "store" / "blocks"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def unchanged(ledger_env, reader) -> Iterator[Any]:
    """Call it after a failing command: the chain head and the store must be as before."""
    before = (reader.chain.block_number(), store_files(ledger_env))

    def check() -> None:
        assert reader.chain.block_number() == before[0], "a block was mined"
        assert store_files(ledger_env) == before[1], "a block file was written to the store"

    yield check


def register(ledger_env, path: Path, *extra: str, who: str = "alice") -> dict[str, Any]:
    p = run(ledger_env, "--as", who, "work", "register", str(path), "--title", "A work",
            "--creator", "Alice Author:author", *extra, "--json")
    return parse_json(p)


def sdk_register(ledger_env, path: Path, holders: dict[str, int] | None = None, confirm: bool = False) -> str:
    """Set-up through the SDK (in-process, fast): alice registers ``path``; returns the work id."""
    a = ledger_env.addresses
    doc = build_work_metadata(title="A work", creators=[{"name": "Alice Author", "role": "author"}],
                              work_type="text", content_sha256=sha(path))
    held = [Holder(a[n], bps) for n, bps in (holders or {"alice": 10000}).items()]
    wid = ledger_env.ledger("alice").register_work(doc, held).work_id
    if confirm:
        ledger_env.ledger("registrar").confirm_work(wid)
    return wid


def metadata_file(tmp_path: Path, doc: Any, name: str = "meta.json") -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(doc), encoding="utf-8")
    return f


# --- accounts and roles --------------------------------------------------------------


def test_account_list_shows_every_local_account(ledger_env, addr):
    p = run(ledger_env, "account", "list")
    assert p.returncode == 0, p.stderr
    for name, address in addr.items():
        assert re.search(rf"^{name}\s+{address}$", p.stdout, re.M), (name, p.stdout)

    listed = parse_json(run(ledger_env, "account", "list", "--json"))
    assert {a["name"]: a["address"] for a in listed} == addr
    assert all(Path(a["path"]).is_file() for a in listed)


def test_account_roles_reports_on_chain_roles(ledger_env, addr):
    data = parse_json(run(ledger_env, "account", "roles", "registrar", "--json"))
    assert data == {"account": addr["registrar"], "roles": ["REGISTRAR"]}
    p = run(ledger_env, "account", "roles", "alice")
    assert p.returncode == 0 and f"{addr['alice']}: HOLDER" in words(p)


def test_account_members_lists_registrars(ledger_env, addr):
    data = parse_json(run(ledger_env, "account", "members", "registrar", "--json"))
    assert data == {"role": "REGISTRAR", "members": [addr["registrar"]]}


# --- the main flow -------------------------------------------------------------------


def test_register_confirm_show_and_verify(ledger_env, reader, addr, content):
    p = run(ledger_env, "verify", str(content))
    assert p.returncode == 1 and "not registered" in words(p)
    data = json.loads(run(ledger_env, "verify", str(content), "--json").stdout)
    assert data == {"file": str(content), "sha256": sha(content), "registered": False, "confirmed": False}

    reg = register(ledger_env, content, "--holder", "alice:6000", "--holder", f"{addr['bob']}:4000")
    wid = "0x" + sha(content)
    assert reg["workId"] == wid and reg["status"] == "PENDING"
    assert reg["metadataCid"].startswith("bafkrei") and reg["tx"].startswith("0x") and reg["block"] > 0
    assert reader.status_of(wid) == WorkStatus.PENDING

    p = run(ledger_env, "verify", str(content))  # registered but not confirmed
    assert p.returncode == 1 and "PENDING" in words(p)
    p = run(ledger_env, "verify", str(content), "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["registered"] is True and json.loads(p.stdout)["confirmed"] is False

    conf = parse_json(run(ledger_env, "--as", "registrar", "work", "confirm", wid, "--json"))
    assert conf["workId"] == wid and conf["status"] == "CONFIRMED" and conf["block"] > reg["block"]
    assert reader.status_of(wid) == WorkStatus.CONFIRMED

    shown = parse_json(run(ledger_env, "work", "show", wid.removeprefix("0x"), "--json"))
    assert shown["workId"] == wid
    assert shown["status"] == "CONFIRMED"
    assert (shown["workType"], shown["creationMode"]) == ("text", "human")
    assert shown["holders"] == [{"account": addr["alice"], "bps": 6000}, {"account": addr["bob"], "bps": 4000}]
    assert shown["title"] == "A work"
    assert shown["metadataCid"] == reg["metadataCid"]
    assert shown["metadata"]["creators"] == [{"name": "Alice Author", "role": "author"}]
    assert shown["metadata"]["contentSha256"] == sha(content)
    assert shown["registrant"] == addr["alice"]
    assert shown["registerTx"] == reg["tx"]
    assert shown["confirmedBy"] == addr["registrar"] and shown["confirmTx"] == conf["tx"]
    assert shown["metadataError"] is None
    assert [h["event"] for h in shown["history"]] == ["WorkRegistered", "WorkConfirmed"]

    p = run(ledger_env, "work", "show", wid)
    assert p.returncode == 0 and "CONFIRMED" in words(p) and "A work" in words(p)

    p = run(ledger_env, "verify", str(content))
    assert p.returncode == 0 and "CONFIRMED registration" in words(p)
    ver = parse_json(run(ledger_env, "verify", str(content), "--json"))
    assert ver["registered"] is True and ver["confirmed"] is True
    assert ver["sha256"] == sha(content) and ver["workId"] == wid and ver["status"] == "CONFIRMED"


def test_register_with_metadata_file(ledger_env, reader, addr, content, tmp_path):
    doc = build_work_metadata(title="From a file", creators=[{"name": "Bob", "role": "composer"}],
                              work_type="music", content_sha256=sha(content), language="en")
    reg = parse_json(run(ledger_env, "--as", "bob", "work", "register", str(content),
                         "--metadata", str(metadata_file(tmp_path, doc)), "--json"))
    rec = reader.work(reg["workId"])
    assert rec.holders[0].account == addr["bob"] and rec.work_type == 1
    assert reader.metadata(rec.metadata_cid) == doc


def test_register_duplicate_exits_2_naming_existing_work(ledger_env, reader, content):
    reg = {"workId": sdk_register(ledger_env, content)}
    before = reader.chain.block_number()
    p = run(ledger_env, "--as", "bob", "work", "register", str(content), "--title", "Mine",
            "--creator", "Bob", "--json")
    assert_one_line_error(p, "registered already", reg["workId"])
    assert reader.chain.block_number() == before
    assert reader.work(reg["workId"]).registrant == ledger_env.addresses["alice"]


def test_reject_stores_reason_and_verify_exits_1(ledger_env, reader, content):
    reg = {"workId": sdk_register(ledger_env, content)}
    rej = parse_json(run(ledger_env, "--as", "registrar", "work", "reject", reg["workId"],
                         "--reason", "not the registrant's work", "--code", "3", "--json"))
    assert rej["workId"] == reg["workId"] and rej["status"] == "REJECTED"
    assert reader.status_of(reg["workId"]) == WorkStatus.REJECTED

    p = run(ledger_env, "store", "cat", rej["reasonCid"])
    assert p.returncode == 0
    assert json.loads(p.stdout) == {"type": "rejection", "workId": reg["workId"], "code": 3,
                                    "reason": "not the registrant's work"}

    shown = parse_json(run(ledger_env, "work", "show", reg["workId"], "--json"))
    assert shown["status"] == "REJECTED"
    assert shown["history"][-1]["event"] == "WorkRejected"
    assert shown["history"][-1]["reasonCid"] == rej["reasonCid"]

    p = run(ledger_env, "verify", str(content))
    assert p.returncode == 1 and "REJECTED" in words(p)


def test_transfer_sole_and_co_owned_with_consent(ledger_env, reader, addr, content, tmp_path):
    sole = sdk_register(ledger_env, content, confirm=True)
    out = parse_json(run(ledger_env, "--as", "alice", "work", "transfer", sole, "--to", "bob",
                         "--bps", "2500", "--yes", "--json"))
    assert out["workId"] == sole
    assert [(h.account, h.bps) for h in reader.work(sole).holders] == [(addr["alice"], 7500), (addr["bob"], 2500)]

    co_file = tmp_path / "co.bin"
    co_file.write_bytes(os.urandom(48))
    co = sdk_register(ledger_env, co_file, {"alice": 6000, "bob": 4000}, confirm=True)
    before = reader.chain.block_number()
    p = run(ledger_env, "--as", "alice", "work", "transfer", co, "--to", "licensee", "--bps", "1000", "--yes")
    assert_one_line_error(p, "has not consented", hint="consent")
    assert reader.chain.block_number() == before

    c = parse_json(run(ledger_env, "--as", "bob", "work", "consent", co, "--from", "alice", "--to", "licensee",
                       "--bps", "1000", "--json"))
    assert c["action"].startswith("0x")
    p = run(ledger_env, "--as", "alice", "work", "transfer", co, "--to", "licensee", "--bps", "1000", "--yes")
    assert p.returncode == 0, p.stderr
    assert [(h.account, h.bps) for h in reader.work(co).holders] == [
        (addr["alice"], 5000), (addr["bob"], 4000), (addr["licensee"], 1000)]


# --- the store -----------------------------------------------------------------------


def test_store_add_cat_round_trip_and_tampered_block_fails(ledger_env, tmp_path):
    data = b"\x00\xffbinary " + os.urandom(64)
    f = tmp_path / "doc.bin"
    f.write_bytes(data)
    added = parse_json(run(ledger_env, "store", "add", str(f), "--json"))
    assert added["file"] == str(f) and added["cid"].startswith("bafkrei")
    plain = run(ledger_env, "store", "add", str(f))
    assert plain.returncode == 0 and plain.stdout.strip() == added["cid"]

    p = run(ledger_env, "store", "cat", added["cid"], binary=True)
    assert p.returncode == 0 and p.stdout == data

    (block,) = [b for b in (ledger_env.home / "store" / "blocks").rglob(added["cid"])]
    block.write_bytes(b"tampered")
    p = run(ledger_env, "store", "cat", added["cid"])
    assert_one_line_error(p, added["cid"], "corrupt", code=1)  # a mismatch, not an error (issue 12, finding 12)
    assert p.stdout == ""  # nothing of the tampered bytes is printed


def test_store_cat_unknown_or_malformed_cid_exits_2(ledger_env):
    from ledger.content.cid import cid_for_bytes

    p = run(ledger_env, "store", "cat", cid_for_bytes(os.urandom(16)))
    assert_one_line_error(p, "no block")
    p = run(ledger_env, "store", "cat", "not-a-cid")
    assert_one_line_error(p, "invalid CID")


# --- help and node status ------------------------------------------------------------


HELP = [
    ((), ["work", "account", "node", "store", "verify", "demo", "--home", "--as"]),
    (("work",), ["register", "confirm", "reject", "transfer", "consent", "reserve", "show"]),
    (("account",), ["new", "list", "grant-role", "revoke-role", "verify-holder", "roles", "members"]),
    (("node",), ["start", "stop", "status"]),
    (("store",), ["add", "cat"]),
    (("verify",), ["Exit 0 when a confirmed registration exists", "--json"]),
    (("demo",), ["walking-skeleton"]),
]


def test_help_of_each_group_exits_0(ledger_env):
    commands = [(*group, "--help") for group, _ in HELP[:-1]] + [("demo", "-h")]
    results = run_all(ledger_env, commands)
    for (group, expected), p in zip(HELP, results, strict=True):
        assert p.returncode == 0, (group, p.stderr)  # -h is --help
        assert p.stdout.startswith("Usage: rights-ledger " + " ".join(group)), (group, p.stdout)
        for word in expected:
            assert word in words(p), (group, word, p.stdout)


def test_node_status_json_reports_running_node(ledger_env, reader):
    st = parse_json(run(ledger_env, "node", "status", "--json"))
    assert st["running"] is True
    assert st["rpc_url"] == f"http://127.0.0.1:{ledger_env.port}"
    assert isinstance(st["block_number"], int) and st["block_number"] <= reader.chain.block_number()


# --- bad input: files and metadata ---------------------------------------------------


def test_register_missing_file_exits_2(ledger_env, tmp_path, unchanged):
    p = run(ledger_env, "--as", "alice", "work", "register", str(tmp_path / "nope.txt"),
            "--title", "T", "--creator", "A")
    assert_one_line_error(p, "nope.txt", "no such file")
    unchanged()


def test_register_directory_exits_2(ledger_env, tmp_path, unchanged):
    p = run(ledger_env, "--as", "alice", "work", "register", str(tmp_path), "--title", "T", "--creator", "A")
    assert_one_line_error(p, "directory")
    unchanged()


def test_verify_missing_file_exits_2(ledger_env, tmp_path):
    p = run(ledger_env, "verify", str(tmp_path / "nope.txt"))
    assert_one_line_error(p, "no such file")


def test_store_add_missing_file_exits_2(ledger_env, tmp_path, unchanged):
    p = run(ledger_env, "store", "add", str(tmp_path / "nope.txt"))
    assert_one_line_error(p, "no such file")
    unchanged()


def test_register_missing_metadata_file_exits_2(ledger_env, reader, content, tmp_path, unchanged):
    p = run(ledger_env, "--as", "alice", "work", "register", str(content), "--metadata", str(tmp_path / "m.json"))
    assert_one_line_error(p, "m.json", "no such file")
    unchanged()
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


def test_register_non_utf8_metadata_exits_2(ledger_env, reader, content, tmp_path, unchanged):
    m = tmp_path / "latin1.json"
    m.write_bytes(b'{"title": "caf\xe9"}')
    p = run(ledger_env, "--as", "alice", "work", "register", str(content), "--metadata", str(m))
    assert_one_line_error(p, "latin1.json", "UTF-8")
    unchanged()
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


def test_register_non_json_metadata_exits_2(ledger_env, reader, content, tmp_path, unchanged):
    cases = []
    for i, text in enumerate(["{not json", '{"a": 1} trailing']):
        m = tmp_path / f"broken{i}.json"
        m.write_text(text, encoding="utf-8")
        cases.append((("--as", "alice", "work", "register", str(content), "--metadata", str(m)),
                      (m.name, "not JSON")))
    expect_errors(ledger_env, cases)
    unchanged()
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


def test_register_metadata_not_an_object_exits_2(ledger_env, content, tmp_path, unchanged):
    p = run(ledger_env, "--as", "alice", "work", "register", str(content),
            "--metadata", str(metadata_file(tmp_path, ["a", "list"])))
    assert_one_line_error(p, "JSON object")
    unchanged()


def test_register_invalid_metadata_exits_2(ledger_env, reader, content, tmp_path, unchanged):
    doc = build_work_metadata(title="ok", creators=[{"name": "A", "role": "author"}], work_type="text",
                              content_sha256=sha(content))
    doc["title"] = "   "
    doc["creationDate"] = "2024-02-30"
    p = run(ledger_env, "--as", "alice", "work", "register", str(content),
            "--metadata", str(metadata_file(tmp_path, doc)))
    line = assert_one_line_error(p, "metadata.")
    assert "creationDate" in line or "title" in line
    unchanged()
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


def test_register_metadata_for_other_content_exits_2(ledger_env, content, tmp_path, unchanged):
    doc = build_work_metadata(title="ok", creators=[{"name": "A", "role": "author"}], work_type="text",
                              content_sha256=os.urandom(32).hex())
    p = run(ledger_env, "--as", "alice", "work", "register", str(content),
            "--metadata", str(metadata_file(tmp_path, doc)))
    assert_one_line_error(p, "contentSha256 does not match")
    unchanged()


REGISTER_BAD_OPTIONS = [
        (("--creator", "A"), "title is required"),
        (("--title", "T"), "creator is required"),
        (("--title", "T", "--creator", "A:sculptor"), "sculptor"),
        (("--title", "T", "--creator", "A", "--date", "2024-13-01"), "creationDate"),
        (("--title", "T", "--creator", "A", "--identifier", "isrc"), "KIND=VALUE"),
]


def test_register_bad_options_exit_2(ledger_env, content, unchanged):
    expect_errors(ledger_env, [(("--as", "alice", "work", "register", str(content), *options), (fragment,))
                               for options, fragment in REGISTER_BAD_OPTIONS])
    unchanged()


# --- bad input: addresses, shares, ids -----------------------------------------------


MALFORMED_HOLDERS = [
        (("0x123:10000",), "not an Ethereum address"),
        (("alice:abc",), "not a whole number"),
        (("alice:0",), "between 1 and 10000"),
        (("alice:10001",), "between 1 and 10000"),
        (("alice:6000",), "sum to 6000"),
        (("alice:5000", "alice:5000"), "listed twice"),
        (("alice",), "ADDRESS:BASIS_POINTS"),
        (("nobody:10000",), "no account named 'nobody'"),
]


def test_register_malformed_holder_exits_2(ledger_env, reader, content, unchanged):
    base = ("--as", "alice", "work", "register", str(content), "--title", "T", "--creator", "A")
    expect_errors(ledger_env, [((*base, *[a for h in holders for a in ("--holder", h)]), (fragment,))
                               for holders, fragment in MALFORMED_HOLDERS])
    unchanged()
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


WORK_ID_COMMANDS = [
    ("work", "show"),
    ("--as", "registrar", "work", "confirm"),
    ("--as", "registrar", "work", "reject", "--code", "duplicate", "--reason", "x"),
    ("--as", "alice", "work", "transfer", "--to", "bob", "--bps", "1", "--yes"),
]


def test_malformed_work_id_exits_2(ledger_env, unchanged):
    bad_ids = ["0x1234", "zz" * 32, "0x" + "ab" * 33, "not-an-id"]
    cases = [((*command, bad), ("malformed", bad)) for command, bad in zip(WORK_ID_COMMANDS, bad_ids, strict=True)]
    expect_errors(ledger_env, cases, hint="verify FILE")
    unchanged()


def test_unknown_work_id_exits_2(ledger_env, unchanged):
    cases = []
    for command in WORK_ID_COMMANDS:
        wid = "0x" + os.urandom(32).hex()
        cases.append(((*command, wid), (f"no work {wid} is registered",)))
    expect_errors(ledger_env, cases)
    unchanged()


TRANSFER_BAD_OPTIONS = [
        (("--to", "0xzz", "--bps", "10"), "not an Ethereum address"),
        (("--to", "0x" + "1" * 39, "--bps", "10"), "not an Ethereum address"),
        (("--to", "bob", "--bps", "0"), "between 1 and 10000"),
        (("--to", "bob", "--bps", "20000"), "between 1 and 10000"),
]


def test_transfer_malformed_address_or_bps_exits_2(ledger_env, unchanged):
    wid = "0x" + os.urandom(32).hex()
    expect_errors(ledger_env, [(("--as", "alice", "work", "transfer", wid, *options, "--yes"), (fragment,))
                               for options, fragment in TRANSFER_BAD_OPTIONS])
    unchanged()


def test_transfer_non_numeric_bps_exits_2_with_one_line(ledger_env, unchanged):
    wid = "0x" + os.urandom(32).hex()
    p = run(ledger_env, "--as", "alice", "work", "transfer", wid, "--to", "bob", "--bps", "abc", "--yes")
    assert_one_line_error(p, "bps")
    unchanged()


def test_account_roles_malformed_address_exits_2(ledger_env):
    p = run(ledger_env, "account", "roles", "0x12345")
    assert_one_line_error(p, "not an Ethereum address")


# --- bad input: roles and signers ----------------------------------------------------


def test_register_without_holder_role_exits_2(ledger_env, reader, content):
    before = reader.chain.block_number()
    p = run(ledger_env, "--as", "rando", "work", "register", str(content), "--title", "T", "--creator", "A")
    assert_one_line_error(p, "lacks the HOLDER role")
    assert reader.chain.block_number() == before
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


def test_register_without_holder_role_writes_nothing_to_store(ledger_env, content, unchanged):
    p = run(ledger_env, "--as", "rando", "work", "register", str(content), "--title", "T", "--creator", "A")
    assert_one_line_error(p, "lacks the HOLDER role")
    unchanged()


def test_confirm_without_registrar_role_exits_2(ledger_env, reader, content):
    wid = sdk_register(ledger_env, content)
    before = reader.chain.block_number()
    p = run(ledger_env, "--as", "alice", "work", "confirm", wid)
    assert_one_line_error(p, "lacks the REGISTRAR role")
    assert reader.chain.block_number() == before
    assert reader.status_of(wid) == WorkStatus.PENDING


def test_reject_without_registrar_role_writes_nothing(ledger_env, reader, content):
    wid = sdk_register(ledger_env, content)
    before = (reader.chain.block_number(), store_files(ledger_env))
    p = run(ledger_env, "--as", "bob", "work", "reject", wid, "--code", "duplicate", "--reason", "I object")
    assert_one_line_error(p, "lacks the REGISTRAR role")
    assert (reader.chain.block_number(), store_files(ledger_env)) == before
    assert reader.status_of(wid) == WorkStatus.PENDING


def test_confirm_without_usable_signer_exits_2(ledger_env, unchanged):
    wid = "0x" + os.urandom(32).hex()
    expect_errors(ledger_env, [
        (("work", "confirm", wid), ("choose an account with --as",)),
        (("--as", "nobody", "work", "confirm", wid), ("no account named 'nobody'",)),
        (("--as", "alice", "--password", "wrong", "work", "confirm", wid), ("wrong password",)),
    ])
    unchanged()


# --- bad input: services down --------------------------------------------------------


def test_node_not_reachable_exits_2_with_retry_hint(ledger_env, content, unchanged):
    port = free_port()
    env = {**ledger_env.env(), "RIGHTS_LEDGER_RPC_URL": f"http://127.0.0.1:{port}"}
    commands = [("work", "show", "0x" + os.urandom(32).hex()),
                ("verify", str(content)),  # 2 (an error), not 1 (not registered)
                ("--as", "alice", "work", "register", str(content), "--title", "T", "--creator", "A")]
    for p in run_all(ledger_env, commands, env=env):
        assert_one_line_error(p, "not reachable", f"127.0.0.1:{port}", hint="retry")
    assert rpc_alive(f"http://127.0.0.1:{port}") is None  # an RPC URL override never starts a node
    unchanged()


def test_node_not_running_with_fresh_home_exits_2_with_retry_hint(ledger_env, content, tmp_path):
    port = free_port()
    env = {**ledger_env.env(), "RIGHTS_LEDGER_HOME": str(tmp_path / "fresh"), "RIGHTS_LEDGER_PORT": str(port),
           "RIGHTS_LEDGER_RPC_URL": f"http://127.0.0.1:{port}"}
    for p in run_all(ledger_env, [("work", "show", "0x" + os.urandom(32).hex()), ("verify", str(content))], env=env):
        assert_one_line_error(p, "not reachable", hint="retry")


def test_register_with_store_down_exits_2_and_registers_nothing(ledger_env, reader, content, unchanged):
    port = free_port()
    env = {**ledger_env.env(), "RIGHTS_LEDGER_STORE": f"kubo:http://127.0.0.1:{port}"}
    p = run(ledger_env, "--as", "alice", "work", "register", str(content), "--title", "T", "--creator", "A", env=env)
    assert_one_line_error(p, "cannot reach the IPFS API", str(port))
    unchanged()
    assert reader.status_of("0x" + sha(content)) == WorkStatus.NONE


# --- bad input that the CLI mishandles -----------------------------------------------


def test_error_message_with_brackets_is_printed_verbatim(ledger_env, tmp_path):
    missing = tmp_path / "[/draft].txt"
    p = run(ledger_env, "verify", str(missing))
    assert_one_line_error(p, str(missing), "no such file")


def test_show_malformed_id_starts_nothing(ledger_env, tmp_path):
    port = free_port()
    home = tmp_path / "fresh"
    env = {**ledger_env.env(), "RIGHTS_LEDGER_HOME": str(home), "RIGHTS_LEDGER_PORT": str(port)}
    try:
        p = run(ledger_env, "work", "show", "0x1234", env=env)
        assert_one_line_error(p, "malformed")
        assert rpc_alive(f"http://127.0.0.1:{port}") is None, "a node was started"
        assert not (home / "deployments").exists(), "contracts were deployed"
    finally:
        from ledger.core.config import local_profile

        EmbeddedNode(local_profile(port=port), home / "chain" / "local").stop()
