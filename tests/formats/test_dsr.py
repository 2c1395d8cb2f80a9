"""DDEX DSR flat files: DDEX's own sample files (not written by this project), malformed files, matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.cli.app import cli
from ledger.content.metadata import build_work_metadata
from ledger.core import errors as E
from ledger.core.artifacts import load_artifact
from ledger.core.types import USES, Holder
from ledger.domain.formats import dsr as DSR
from ledger.domain.usage import Usage
from tests.fixtures.chain import LedgerEnv

DATA = Path(__file__).parent.parent / "data" / "formats"
BASIC = DATA / "orfium-BasicAudioProfile-UnlimitedMusicMonthly.tsv"  # Orfium/dsrf-parser-poc (README)
UGC = DATA / "ddexnet-dsrf-UgcProfile-YouTube.tsv"  # ddexnet/dsrf testdata (README)
FOREVER = (1 << 40) - 1


def finder(known: dict[tuple[str, str], str]):
    return lambda kind, value: known.get((kind, value))


def test_basic_audio_profile_sample_lines_and_matching():
    w1, w2 = "0x" + "1" * 64, "0x" + "2" * 64
    r = DSR.read_dsr(BASIC, finder({("isrc", "GBAHT0900445"): w1, ("isrc", "USSM16900677"): w2}))
    assert r.head["UsageStartDate"] == "2020-06-01" and r.summaries == 1
    assert len(r.lines) == 15 and len(r.matched) == 6 and r.ignored == {"RE01.02": 3}
    first = r.lines[0]
    assert (first.line, first.work_id, first.matched_by, first.usage.quantity) == (10, w1, "ISRC", 120)
    assert first.usage.use == USES["communicate"] and first.usage.territory == b"GB"
    assert [ln.usage.quantity for ln in r.matched] == [120, 5, 314, 108, 397, 88]
    miss = r.unmatched[0]
    assert miss.line == 16 and miss.reason == "no ledger work has ISRC USSM16900682"
    with pytest.raises(E.InputError, match=r"only 6 of 15 usage lines \(40.0 %\)"):
        DSR.check_threshold(r, 50)
    DSR.check_threshold(r, 40)


def test_ugc_profile_sample_matches_by_iswc_and_dates():
    w = "0x" + "3" * 64
    r = DSR.read_dsr(UGC, finder({("iswc", "T0702472794"): w}))
    assert len(r.lines) == 6
    assert [(ln.line, ln.matched_by, ln.usage.quantity) for ln in r.matched] == [
        (27, "ISWC", 18), (29, "ISWC", 4), (31, "ISWC", 258), (33, "ISWC", 75)]
    assert r.matched[1].usage.used_at > r.matched[0].usage.used_at  # the SU's own validity period
    assert r.matched[0].usage.territory == b"IS"


@pytest.mark.parametrize("edit, where", [
    (lambda t: t.replace("TRUE\t120\t", "TRUE\t12x\t"), ":10:SU02.02.NumberOfStreams"),
    (lambda t: t.rsplit("FOOT", 1)[0], ":31:RecordType"),
    (lambda t: t.replace("#SU02.02\t", "#XX99\t"), ":10:SU02.02"),
    (lambda t: t.replace("SU02.02\t1\tS1\t", "SU02.02\t1\tS9\t", 1), ":10:SU02.02.SummaryRecordId"),
    (lambda t: t.replace("\t2020-06-01\t", "\t2020-06-31\t", 1), ":1:HEAD.UsageStartDate"),
    (lambda t: t.replace("SU02.02\t1\tS1\t", "su-2\t1\tS1\t", 1), ":10:RecordType"),
])
def test_malformed_dsr_files_name_file_line_and_field(tmp_path: Path, edit, where: str):
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(edit(BASIC.read_bytes().decode()).encode())
    with pytest.raises(E.InputError) as exc:
        DSR.read_dsr(bad, finder({}))
    assert f"{bad}{where}" in str(exc.value), str(exc.value)


def _works_with_isrcs(env: LedgerEnv, isrcs: list[str]) -> list[str]:
    """Confirmed works carrying these ISRCs, mandated by their holder to the CMO, and the CMO's list
    licence to the licensee for `communicate` (the route usage lines must take: mandate, then the
    CMO's licence); then the chain clock moves two days on, so a use "tomorrow" (today's date + 1,
    as the report below states it) falls after the mandates and before the chain's now."""
    import hashlib

    a = env.addresses
    alice, reg, gov, cmo = env.ledger("alice"), env.ledger("registrar"), env.ledger("governor"), env.ledger("cmo")
    abi = load_artifact(env.settings.build_dir, "LicenceRegistry").abi
    lic = gov.w3.eth.contract(address=gov.deployment.address("LicenceRegistry"), abi=abi)
    ids = []
    for isrc in isrcs:
        sha = hashlib.sha256(f"dsr-{isrc}".encode()).hexdigest()
        doc = build_work_metadata(title=f"Recording {isrc}", creators=[{"name": "Alice", "role": "performer"}],
                                  work_type="music", content_sha256=sha, identifiers={"isrc": isrc})
        wid = "0x" + sha
        if alice.status_of(wid) == 0:
            alice.register_work(doc, [Holder(a["alice"], 10000)])
            reg.confirm_work(wid)
            alice.chain.transact(lic.functions.mandate(bytes.fromhex(sha), a["cmo"], USES["communicate"]),
                                 alice.signer)
        ids.append(wid)
    terms = (2, USES["communicate"], 1, FOREVER, False, 0, 5, b"", b"\x01\x55\x12\x20" + b"\x33" * 32)
    cmo.chain.transact(lic.functions.grant(a["licensee"], [bytes.fromhex(w[2:]) for w in ids], terms), cmo.signer)
    gov.w3.provider.make_request("evm_increaseTime", [2 * 86400])
    gov.w3.provider.make_request("evm_mine", [])
    return ids


def _shifted_copy(tmp_path: Path, env: LedgerEnv) -> tuple[Path, str]:
    """DDEX's BasicAudioProfile sample with only its usage period moved to the day after the mandates
    (HEAD.UsageStartDate/UsageEndDate; every other byte as published); returns (file, YYYYMM)."""
    import datetime as dt

    chain_now = env.ledger().w3.eth.get_block("latest")["timestamp"]
    day = dt.datetime.fromtimestamp(chain_now - 86400, dt.UTC).date()
    data = BASIC.read_bytes().replace(b"\t2020-06-01\t2020-06-30\t", f"\t{day}\t{day}\t".encode(), 1)
    out = tmp_path / BASIC.name
    out.write_bytes(data)
    return out, f"{day.year:04d}{day.month:02d}"


def run(env: LedgerEnv, *args: str, account: str | None = None):
    base = ["--network", "local"] + (["--as", account] if account else [])
    return CliRunner().invoke(cli, [*base, *args], env=env.env(), catch_exceptions=False)


def test_cli_usage_report_dsr_threshold_then_recorded(ledger_env: LedgerEnv, tmp_path: Path):
    env = ledger_env
    ids = _works_with_isrcs(env, ["GBAHT0900445", "USSM16900677"])
    sample, period = _shifted_copy(tmp_path, env)
    before = len(Usage(env.ledger()).reports())
    # malformed: exit 2, file:line:field, nothing sent
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(BASIC.read_bytes().replace(b"TRUE\t120\t", b"TRUE\t-1\t"))
    r = run(env, "usage", "report", "--format", "dsr", str(bad), "--period", "202006", account="licensee")
    assert r.exit_code == 2 and f"{bad}:10:SU02.02.NumberOfStreams" in r.output
    # too few lines match for the default --min-match 100: refused, every unmatched line listed
    r = run(env, "usage", "report", "--format", "dsr", str(sample), "--period", period, account="licensee")
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "6 of 15 usage line(s) matched" in text and "only 6 of 15" in text
    assert f"unmatched {sample}:16: no ledger work has ISRC USSM16900682" in r.output
    assert len(Usage(env.ledger()).reports()) == before
    # with a threshold the report is recorded: the 6 matched lines, the 9 others listed in the result
    r = run(env, "usage", "report", "--format", "dsr", str(sample), "--period", period, "--min-match", "40",
            "--json", account="licensee")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["recorded"] and doc["lines"] == 6 and doc["quantity"] == 120 + 5 + 314 + 108 + 397 + 88
    assert doc["dsr"]["matched"] == 6 and len(doc["dsr"]["unmatched"]) == 9
    assert doc["dsr"]["matchedBy"]["ISRC"] == 6
    view = Usage(env.ledger()).report(doc["reportId"])
    lines = Usage(env.ledger()).lines_of(view)
    assert {ln.work_id for ln in lines} == set(ids)

    # round trip: export the recorded report as a DSR file, import it again: the same lines, the same root,
    # recognised as recorded before (nothing sent again)
    out = tmp_path / "export.tsv"
    r = run(env, "usage", "export", str(doc["reportId"]), "--format", "dsr", "-o", str(out), account="licensee")
    assert r.exit_code == 0, r.output
    again = DSR.read_dsr(out, DSR.work_finder(env.ledger()))
    assert len(again.lines) == 6 and not again.unmatched
    assert [(x.usage.work_id, x.usage.use, x.usage.quantity, x.usage.used_at) for x in again.matched] == [
        (ln.work_id, ln.use, ln.quantity, ln.used_at) for ln in lines]
    r = run(env, "usage", "report", "--format", "dsr", str(out), "--period", period, "--json", account="licensee")
    assert r.exit_code == 0, r.output
    doc2 = json.loads(r.stdout)
    assert doc2["root"] == doc["root"] and doc2["alreadyRecorded"] and doc2["reportId"] == doc["reportId"]
    assert len(Usage(env.ledger()).reports()) == before + 1
