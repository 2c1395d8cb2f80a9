"""CWR 2.1: a real society file (not written by this project), malformed files, ACK and a round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.core import errors as E
from ledger.domain.batch import statuses_of
from ledger.domain.formats import cwr as CWR
from tests.fixtures.chain import LedgerEnv

DATA = Path(__file__).parent.parent / "data" / "formats"
SAMPLE = DATA / "cwr-api-ackexample.V21"  # weso/CWR-DataApi tests/examples/ackexample.V21 (see README)
CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def run_cli(env: LedgerEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env.env(), capture_output=True, text=True, timeout=300)


def parties_file(tmp: Path, env: LedgerEnv) -> Path:
    p = tmp / "parties.csv"
    a, b = env.addresses["alice"], env.addresses["bob"]
    p.write_text(f"ip,account\n01283329,{a}\n12445809,{a}\n00240696,{a}\n*,{b}\n")
    return p


def test_reads_the_public_sample_file():
    cwr = CWR.parse_cwr(SAMPLE)
    assert cwr.sender == "SO000000052" and cwr.sender_name == "PRS FOR MUSIC"
    assert [t.header.type for t in cwr.transactions].count("NWR") == 16
    assert [t.header.type for t in cwr.transactions].count("REV") == 4
    first = cwr.transactions[0]
    assert first.header.get("title") == "ALIVE AND LIVING NOW" and first.header.get("iswc") == "T9110536293"
    assert first.parties[0].name == "NIGHT GARDEN MUSIC" and first.parties[0].ownership["pr"] == 1666
    assert cwr.ignored == {"ACK": 20, "MSG": 12, "PWR": 56, "PER": 27, "REC": 54}
    punk = next(t for t in cwr.transactions if t.header.get("title") == "PUNK CLUB")
    writers = [p.name for p in punk.parties if p.kind in ("SWR", "OWR")]
    assert writers == ["STIPE, MICHAEL", "WILLIS, JEREMY PHILIP JOHN"]


def test_shares_become_basis_points_with_documented_rounding(tmp_path: Path):
    a, b = "0x" + "a" * 40, "0x" + "b" * 40
    cat = CWR.read_cwr_catalogue(SAMPLE, {"01283329": a, "*": b})
    first = cat.catalogue.rows[0]
    # ownership PR shares 16.66 % (NIGHT GARDEN) and 83.34 % spread over the others (sub-publishers hold 0)
    assert sum(h.bps for h in first.holders) == 10000
    assert {h.account.lower(): h.bps for h in first.holders}[a] == 1666
    tx = cat.cwr.transactions[0]
    assert CWR.largest_remainder([("x", 3333), ("y", 3333), ("z", 3333)], tx.header) == [
        ("x", 3334), ("y", 3333), ("z", 3333)]
    with pytest.raises(E.InputError, match="100 % \\+/- 0.06 %"):
        CWR.largest_remainder([("x", 5000), ("y", 4000)], tx.header)


def test_a_party_without_an_account_is_named_by_file_line_and_field():
    with pytest.raises(E.InputError) as exc:
        CWR.read_cwr_catalogue(SAMPLE, {"01283329": "0x" + "a" * 40})
    assert f"{SAMPLE}:34:SPU.ip" in str(exc.value) and "UNIVERSAL SONGS" in str(exc.value)


@pytest.mark.parametrize("mutate, where", [
    (lambda lines: [lines[0][:59] + "02.00" + lines[0][64:], *lines[1:]], "1:HDR.edi_version"),
    (lambda lines: lines[:-1], "2573:record_type"),  # truncated: no TRL trailer
    (lambda lines: [*lines[:5], lines[5][:115] + "0A000" + lines[5][120:], *lines[6:]], "6:SPU.pr_share"),
    (lambda lines: [*lines[:4], lines[4][:95] + "X12" + lines[4][98:], *lines[5:]], "5:NWR.iswc"),
    (lambda lines: [*lines[:5], lines[5][:3] + "0000000900000003" + lines[5][19:], *lines[6:]], "6:SPU.sequence"),
    (lambda lines: [*lines[:5], lines[5][:60], *lines[6:]], "6:SPU"),
])
def test_malformed_files_name_file_line_and_field(tmp_path: Path, mutate, where: str):
    lines = SAMPLE.read_text().splitlines()
    bad = tmp_path / "bad.V21"
    bad.write_text("\r\n".join(mutate(lines)) + "\r\n")
    with pytest.raises(E.InputError) as exc:
        CWR.read_cwr_catalogue(bad, {"*": "0x" + "b" * 40})
    assert where in str(exc.value), str(exc.value)


def test_cli_import_ack_export_and_reimport_give_the_same_ledger_state(ledger_env: LedgerEnv, tmp_path: Path):
    parties = parties_file(tmp_path, ledger_env)
    ack = tmp_path / "ack.V21"
    # a malformed copy first: exit 2, file:line:field, nothing sent
    bad = tmp_path / "bad.V21"
    lines = SAMPLE.read_text().splitlines()
    bad.write_text("\r\n".join([*lines[:5], lines[5][:115] + "0A000" + lines[5][120:], *lines[6:]]) + "\r\n")
    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", "--format", "cwr", str(bad),
                "--parties", str(parties))
    assert r.returncode == 2 and f"{bad}:6:SPU.pr_share" in r.stderr and "Traceback" not in r.stderr
    led = ledger_env.ledger()
    src = CWR.read_cwr_catalogue(SAMPLE, CWR.read_parties(parties))
    ids = [str(row.work_id) for row in src.catalogue.rows]
    assert set(statuses_of(led, ids).values()) == {0}

    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", "--format", "cwr", str(SAMPLE),
                "--parties", str(parties), "--ack", str(ack), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["registered"] == 20 and s["failed"] == 0 and s["duplicates"] == 0 and s["total"] == 20
    acks = CWR.parse_ack(ack)
    assert len(acks) == 20 and {a["status"] for a in acks} == {"AS"}
    assert acks[0]["title"] == "ALIVE AND LIVING NOW" and acks[0]["work_number"] == "256599"
    state = {w: (led.work(w).metadata_cid, led.work(w).holders) for w in ids}
    assert [state[str(row.work_id)][1] for row in src.catalogue.rows] == [row.holders for row in src.catalogue.rows]

    out = tmp_path / "export.V21"
    r = run_cli(ledger_env, "work", "export", "--format", "cwr", str(out), "--parties", str(parties),
                "--sender", "SO000000052:PRS FOR MUSIC")
    assert r.returncode == 0, r.stderr
    again = CWR.read_cwr_catalogue(out, CWR.read_parties(parties))
    assert [str(row.work_id) for row in again.catalogue.rows] == ids
    for row, orig in zip(again.catalogue.rows, src.catalogue.rows, strict=True):
        assert row.metadata == orig.metadata and row.holders == orig.holders

    ack2 = tmp_path / "ack2.V21"
    r = run_cli(ledger_env, "--as", "cmo", "work", "register-batch", "--format", "cwr", str(out),
                "--parties", str(parties), "--ack", str(ack2), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["registered"] == 0
    assert {a["status"] for a in CWR.parse_ack(ack2)} == {"DU"}
    assert {w: (led.work(w).metadata_cid, led.work(w).holders) for w in ids} == state


def test_ack_maps_registrar_refusals_to_rejection_codes(tmp_path: Path):
    src = CWR.read_cwr_catalogue(SAMPLE, {"*": "0x" + "b" * 40})
    ids = [str(r.work_id) for r in src.catalogue.rows]
    failures = [f"{ids[0]}: cannot be registered: it is DISPUTED", f"{ids[1]}: cannot be registered: it is REJECTED"]
    before = {ids[2]: 2}
    after = {w: 1 for w in ids} | {ids[0]: 4, ids[1]: 3, ids[2]: 2}
    outcomes = CWR.outcomes_of(ids, before, after, failures)
    assert outcomes[ids[0]] == CWR.Outcome("RJ", "cannot be registered: it is DISPUTED", "002")
    assert outcomes[ids[1]].code == "003" and outcomes[ids[2]].status == "DU" and outcomes[ids[3]].status == "AS"
    ack = tmp_path / "ack.V21"
    ack.write_text(CWR.write_ack(src, outcomes, sender="SO000000001", sender_name="TEST"), newline="")
    acks = CWR.parse_ack(ack)
    assert [a["status"] for a in acks[:4]] == ["RJ", "RJ", "DU", "AS"]
    assert acks[0]["code"] == "002" and acks[0]["message"] == "cannot be registered: it is DISPUTED"
    assert CWR.parse_cwr(ack).transactions == ()  # an ACK file carries no work transactions of its own
