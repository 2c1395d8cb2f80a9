"""The input layer (ledger/core/inputs.py, ledger/core/parsing.py) and the settings, keystores,
node and CLI error handling that go through it. No chain needed: every case is refused
before anything is sent (SPECIFICATION.md, "Input rules")."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import click
import pytest
from click.testing import CliRunner

from ledger.core import inputs, parsing
from ledger.core.config import load_settings
from ledger.core.errors import ConfigError, InputError, KeystoreError
from ledger.core.keystore import Keystore, kdf_n

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1_000", "31337.9", "true", "²", "-1", "+5", "0x10", "1e3", "", " ", "٣", "1 000"])
def test_parse_uint_refuses_what_int_would_coerce(text):
    with pytest.raises(InputError, match="quantity"):
        parsing.parse_uint(text, "quantity", bits=64)


@pytest.mark.parametrize("value", [True, False, None, 1.0, [1], {"a": 1}])
def test_parse_uint_refuses_json_values_that_are_not_integers(value):
    with pytest.raises(InputError):
        parsing.parse_uint(value, "quantity")


def test_parse_uint_checks_the_on_chain_range():
    assert parsing.parse_uint(" 42 ", "q", bits=8) == 42
    assert parsing.parse_uint(str(2**64 - 1), "q", bits=64) == 2**64 - 1
    with pytest.raises(InputError, match="out of range 0..18446744073709551615"):
        parsing.parse_uint(str(2**64), "q", bits=64)
    with pytest.raises(InputError, match="out of range 1.."):
        parsing.parse_uint("0", "q", bits=64, minimum=1)


@pytest.mark.parametrize("text,ok", [("1", True), ("10000", True), ("0", False), ("10001", False), ("5_000", False)])
def test_parse_bps(text, ok):
    if ok:
        assert parsing.parse_bps(text) == int(text)
    else:
        with pytest.raises(InputError):
            parsing.parse_bps(text)


# --- periods, dates, territories, times -----------------------------------------------------------


@pytest.mark.parametrize("text", ["202613", "20261", "202500", "2025-01", "189912", "2025011", "٢٠٢٥٠١", True])
def test_parse_period_refuses_what_is_not_a_month(text):
    with pytest.raises(InputError, match="YYYYMM"):
        parsing.parse_period(text)


def test_parse_period_accepts_yyyymm():
    assert parsing.parse_period("202501") == 202501
    assert parsing.parse_period(202512) == 202512


def test_parse_date_refuses_unreal_and_future_days():
    assert parsing.parse_date("2024-02-29") == dt.date(2024, 2, 29)
    for bad in ("2023-02-29", "2024-13-01", "24-01-01", "2024-1-1", "2024-01-01T00:00"):
        with pytest.raises(InputError, match="calendar date"):
            parsing.parse_date(bad)
    with pytest.raises(InputError, match="in the future"):
        parsing.parse_date("9999-01-01", "creation date", not_future=True)


@pytest.mark.parametrize("code", ["JJ", "qq", "XK", "EU", "UK", "ZZ", "C", "CNN", "1A", 12])
def test_parse_territory_refuses_unassigned_codes(code):
    with pytest.raises(InputError, match="ISO 3166-1"):
        parsing.parse_territory(code)


def test_parse_territory_accepts_assigned_codes_and_worldwide():
    assert len(parsing.ISO_3166_ALPHA2) == 249
    assert parsing.parse_territory("cn") == b"CN"
    assert parsing.parse_territory("worldwide") == b""
    assert parsing.parse_territories("PT,US,PT") == b"PTUS"


@pytest.mark.parametrize("text", ["²", "1_700_000_000", "1700000000.5", "tomorrow", "2024-02-30", str(2**40)])
def test_parse_time_refuses_malformed_times(text):
    with pytest.raises(InputError):
        parsing.parse_time(text)


def test_parse_time_accepts_seconds_dates_and_iso():
    assert parsing.parse_time("1700000000") == 1700000000
    assert parsing.parse_time("2024-01-01") == 1704067200
    assert parsing.parse_time("2024-01-01T00:00:00+01:00") == 1704067200 - 3600


# --- addresses, holders, roles ---------------------------------------------------------------------


def test_parse_address_checks_eip55_and_zero():
    assert parsing.parse_address(ALICE.lower()) == ALICE
    with pytest.raises(InputError, match="checksum"):
        parsing.parse_address(ALICE[:2] + ALICE[2:].swapcase())
    with pytest.raises(InputError, match="zero address"):
        parsing.parse_address("0x" + "0" * 40, "holder", allow_zero=False)
    for bad in ("0x123", ALICE + "0", "70997970C51812dc3A010C7d01b50e0d17dc79C8", 5, None):
        with pytest.raises(InputError):
            parsing.parse_address(bad)


@pytest.mark.parametrize("specs,fragment", [
    ([f"{ALICE}:5_000", f"{ALICE.lower()}:5000"], "basis points"),
    ([f"0x{'0' * 40}:10000"], "zero address"),
    ([f"{ALICE}:9999"], "sum to 9999"),
    ([f"{ALICE}:5000", f"{ALICE.lower()}:5000"], "twice"),
    ([ALICE], "ADDRESS:BASIS_POINTS"),
])
def test_parse_holders_refusals(specs, fragment):
    with pytest.raises(InputError, match=fragment):
        parsing.parse_holders(specs)


def test_role_ids_are_defined_once():
    from web3 import Web3

    from ledger.domain import batch, works

    assert works.ROLE_IDS is parsing.ROLE_IDS and batch.ROLE_IDS is parsing.ROLE_IDS
    assert parsing.parse_role("cmo") == parsing.ROLE_IDS["CMO"] == bytes(Web3.keccak(text="CMO_ROLE"))
    with pytest.raises(InputError, match="unknown role"):
        parsing.parse_role("ROOT")


# --- files ----------------------------------------------------------------------------------------


def test_read_bytes_refuses_fifos_devices_folders_and_big_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        inputs.read_bytes(fifo)  # would block forever if opened
    with pytest.raises(InputError, match="not a regular file"):
        inputs.read_bytes("/dev/zero")
    with pytest.raises(InputError, match="is a directory"):
        inputs.read_bytes(tmp_path)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(InputError, match="at most 100"):
        inputs.read_bytes(big, limit=100)
    with pytest.raises(InputError, match="standard input"):
        inputs.read_bytes("-")


def test_decode_text_names_the_bad_byte(tmp_path):
    with pytest.raises(InputError, match=r"f.csv:2:4: not UTF-8 text \(byte 0xe9; Latin-1\?\)"):
        inputs.decode_text("ab\ncaf\xe9".encode("latin-1"), "f.csv")
    with pytest.raises(InputError, match="UTF-16"):
        inputs.decode_text("abc".encode("utf-16"), "f.csv")
    with pytest.raises(InputError, match="NUL"):
        inputs.decode_text("abc".encode("utf-16-le"), "f.csv")
    assert inputs.decode_text("\ufeffabc".encode(), "f.csv") == "abc"


@pytest.mark.parametrize("text,fragment", [
    ('{"a": 1, "a": 2}', "'a' appears twice"),
    ("[" * 10_000 + "]" * 10_000, "nested more than 64"),
    ("[NaN]", "NaN"),
    ("[1e400]", "too large"),
    ('{"a": 1,}', "f.json:1:9"),
])
def test_parse_json_refusals(text, fragment):
    with pytest.raises(InputError, match=re.escape(fragment)):
        inputs.parse_json(text, "f.json")


def test_read_table_refuses_duplicate_headers_and_short_rows(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("work,use,work\n1,2,3\n")
    with pytest.raises(InputError, match=r"t.csv:1:work: column 'work' appears twice"):
        inputs.read_table(p)
    p.write_text("work,use,at\n1,2,3\n\n1,2\n1,2,3,4\n")
    rows = inputs.read_table(p).rows
    assert [r.line for r in rows] == [2, 4, 5]
    assert rows[0].values == {"work": "1", "use": "2", "at": "3"}
    assert rows[1].values is None and "no value for 'at'" in rows[1].error and rows[1].column == "at"
    assert rows[2].values is None and "extra value" in rows[2].error
    p.write_text('{"work": 1}\n[1]\n{"a":1,"a":2}\n')
    rows = inputs.read_table(p).rows
    assert rows[0].values == {"work": 1} and "JSON object" in rows[1].error and "twice" in rows[2].error


def test_guard_maps_reader_exceptions_to_one_input_error():
    for exc in (KeyError("x"), TypeError("t"), RecursionError(), OverflowError("o"), AttributeError("a")):
        with pytest.raises(InputError, match="f.json"), inputs.guard("f.json", "offer"):
            raise exc


# --- settings, keystores, the embedded node --------------------------------------------------------


@pytest.mark.parametrize("name,value,fragment", [
    ("RIGHTS_LEDGER_PORT", "abc", "RIGHTS_LEDGER_PORT='abc'"),
    ("RIGHTS_LEDGER_PORT", "70000", "out of range 1..65535"),
    ("RIGHTS_LEDGER_PORT", "0", "out of range"),
    ("RIGHTS_LEDGER_BLOCK_TIME", "fast", "RIGHTS_LEDGER_BLOCK_TIME='fast'"),
    ("RIGHTS_LEDGER_BLOCK_TIME", "-1", "no sign"),
])
def test_malformed_env_settings_are_config_errors(monkeypatch, tmp_path, name, value, fragment):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_settings(home=tmp_path, network="local")


@pytest.mark.parametrize("toml,fragment", [
    ("networks = 5\n", "must be a table"),
    ('[networks.x]\nrpc_url = "http://127.0.0.1:1"\nreceipt_timeout = "10"\n', "receipt_timeout"),
    ('[networks.x]\nrpc_url = "http://127.0.0.1:1"\nchain_id = -1\n', "chain_id"),
    ('[networks.x]\nrpc_url = "http://127.0.0.1:1"\nchain_id = true\n', "chain_id"),
    ('[networks.x]\nrpc_url = "http://127.0.0.1:1"\nlog_chunk = 1.5\n', "log_chunk"),
    ('[networks.x]\nrpc_url = "http://127.0.0.1:1"\nrpc_timeout = nan\n', "rpc_timeout"),
    ('[networks.x]\nrpc_url = "http://127.0.0.1:1"\ngas = 1\n', "not a setting"),
    ("[networks.x\n", "not valid TOML"),
])
def test_malformed_networks_toml_is_a_config_error(tmp_path, toml, fragment):
    (tmp_path / "networks.toml").write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_settings(home=tmp_path, network="x")


def test_networks_toml_that_is_a_fifo_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "networks.toml")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(home=tmp_path, network="x")


@pytest.mark.parametrize("value", ["abc", "1000", "0", "2_048", str(2**21)])
def test_malformed_kdf_setting_is_a_config_error(monkeypatch, value):
    monkeypatch.setenv("RIGHTS_LEDGER_KDF_N", value)
    with pytest.raises(ConfigError, match="RIGHTS_LEDGER_KDF_N"):
        kdf_n()


def test_damaged_keystores_are_not_a_wrong_password(tmp_path, monkeypatch):
    monkeypatch.setenv("RIGHTS_LEDGER_KDF_N", "1024")
    ks = Keystore(tmp_path)
    info = ks.create("alice", "pw")
    good = (tmp_path / "alice.json").read_text()
    with pytest.raises(KeystoreError, match="wrong password"):
        Keystore(tmp_path).unlock("alice", "not-pw")
    doc = json.loads(good)
    cases = {
        "[]": "must be a JSON object",
        good[: len(good) // 2]: "unreadable keystore",
        json.dumps({**doc, "address": "zz" * 20}): "address",
        json.dumps({**doc, "crypto": {**doc["crypto"], "kdfparams": {**doc["crypto"]["kdfparams"], "n": "x"}}}):
            "kdfparams.n",
        json.dumps({**doc, "crypto": {**doc["crypto"], "kdfparams": {**doc["crypto"]["kdfparams"], "n": 3}}}):
            "power of two",
        json.dumps({**doc, "crypto": {**doc["crypto"], "mac": "xyz"}}): "crypto.mac",
    }
    for text, fragment in cases.items():
        (tmp_path / "alice.json").write_text(text)
        with pytest.raises(KeystoreError, match=re.escape(fragment)) as e:
            Keystore(tmp_path).unlock("alice", "pw")
        assert "wrong password" not in str(e.value)
        with pytest.raises(KeystoreError):
            Keystore(tmp_path).list()
    (tmp_path / "alice.json").write_text(good)
    assert Keystore(tmp_path).unlock("alice", "pw").address == info.address


def test_invalid_port_never_touches_the_pid_file(tmp_path):
    from dataclasses import replace

    from ledger.core.config import local_profile
    from ledger.core.node import EmbeddedNode

    node = EmbeddedNode(replace(local_profile(port=8645), rpc_url="http://127.0.0.1:70000"), tmp_path)
    node.pid_file.parent.mkdir(parents=True, exist_ok=True)
    node.pid_file.write_text(str(os.getpid()))  # "another node" that is alive
    with pytest.raises(ConfigError, match="port"):
        node.start(timeout=5)
    assert node.pid_file.read_text() == str(os.getpid())
    assert not node.log_file.exists()


def test_unreadable_tsa_reply_is_exit_2_and_a_bad_token_exit_1():
    from ledger.content.timestamp import TimestampInvalid, TimestampUnreadable, parse_token

    with pytest.raises(TimestampUnreadable) as e:
        parse_token(b"this is not DER")
    assert e.value.exit_code == 2 and isinstance(e.value, TimestampInvalid) and TimestampInvalid.exit_code == 1


# --- the CLI's last line of defence ---------------------------------------------------------------


def _run(argv, env):
    from ledger.cli import cli

    r = CliRunner().invoke(cli, argv, env=env, catch_exceptions=True)
    return r.exit_code, ANSI.sub("", r.stderr), ANSI.sub("", r.stdout), r.exception


def test_unexpected_exception_is_exit_2_one_line_and_a_log_file(tmp_path):
    from ledger.cli import cli

    @cli.command("boom-for-test", hidden=True)
    def boom() -> None:
        raise ZeroDivisionError("something nobody expected")

    try:
        code, err, out, exc = _run(["--home", str(tmp_path), "boom-for-test"], {})
    finally:
        cli.commands.pop("boom-for-test")
    assert code == 2 and (exc is None or isinstance(exc, SystemExit))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0] == "error: internal error (please report): ZeroDivisionError: something nobody expected"
    assert lines[1].startswith("hint: the details are in") and len(lines) == 2
    assert "Traceback" not in err + out
    log = (tmp_path / "logs" / "internal-errors.log").read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log


def test_a_bad_setting_is_one_error_line_not_a_traceback(tmp_path):
    code, err, out, _ = _run(["--home", str(tmp_path), "work", "show", "0x" + "1" * 64],
                             {"RIGHTS_LEDGER_PORT": "70000"})
    assert code == 2 and err.startswith("error: RIGHTS_LEDGER_PORT='70000'") and "Traceback" not in err + out


def test_a_bad_root_option_is_one_error_line(tmp_path):
    code, err, _, _ = _run(["--home", str(tmp_path), "--bogus"], {})
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and lines[0].startswith("error: No such option") and len(lines) == 2


@pytest.mark.parametrize("value", ["1_000", "31337.9", "true", "²", "-1"])
def test_numeric_options_use_the_strict_parsers(value):
    from ledger.cli import params

    with pytest.raises(click.BadParameter):
        params.QUANTITY.convert(value, None, None)
    with pytest.raises(click.BadParameter, match="YYYYMM"):
        params.PERIOD.convert("202613", None, None)
