"""``rights-ledger clearance``: clear an AI training corpus in one step; ``royalty statement``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, fail, json_option, out_console, phase_progress
from ledger.core import errors as E


@cli.group()
def clearance() -> None:
    """Clear a whole corpus: per item what covers it, what is reserved, what is owed.

    A manifest (CSV with a header, or JSON lines) lists items by `file` (a file, or a folder
    that is walked; relative to the manifest), `sha256` (64 hex digits) and/or `iscc` (an ISCC
    content code). Each item is matched to a registered work, by exact hash or as a
    near-duplicate (ISCC), and gets a verdict: covered (work, blanket or open licence, or the
    statutory tariff, with the fee per use and the CMO it is owed to), reserved (the holders
    opted out; near-duplicates of reserved works included), not-covered (the reason) or
    unregistered (with the C2PA/CAWG training-and-data-mining signal the file carries).

    A path listed twice (or a file inside a listed folder) is one item; a hash or code listed
    twice is two items (two copies). A bad manifest stops the run before anything is cleared
    (exit 2, the place named); a file that cannot be read while clearing is an item of its own:
    not-covered, "the file cannot be read" (never unregistered: its content is unknown).
    """


def summary_lines(doc: dict[str, Any]) -> list[str]:
    """The readable summary of a report (also written beside it as REPORT.txt)."""
    c = doc["counts"]
    import datetime as dt

    when = dt.datetime.fromtimestamp(int(doc["at"]), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"clearance of {doc['itemCount']} items for {doc['use']} by {doc['licensee']} at {doc['at']} ({when})",
             f"  covered {c['covered']}, reserved {c['reserved']}, not covered {c['not-covered']}, "
             f"unregistered {c['unregistered']}",
             "  by match: " + ", ".join(f"{k} {v}" for k, v in doc["byMatch"].items()),
             f"  fees owed: {doc['fees']['total']} in total"]
    for cmo, fee in doc["fees"]["byCmo"].items():
        who = ("no CMO's pool (a holder's own licence: paid to the licensor; the statutory tariff on works "
               "mandated to no CMO for this use)") if int(cmo, 16) == 0 else f"CMO {cmo}"
        lines.append(f"    {fee} to {who}")
    for basis, v in doc["fees"]["byBasis"].items():
        lines.append(f"    {basis}: {v['items']} items, {v['fees']}")
    if doc["signals"]:
        lines.append("  unregistered items' C2PA/CAWG training-mining signals: "
                     + ", ".join(f"{k} {v}" for k, v in doc["signals"].items()))
    lines.append(f"  root {doc['root']}")
    lines.append(f"  digest {doc['digest']} (EIP-712, signed by the licensee)")
    return lines


@clearance.command("run")
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option("--licensee", default=None, help="The licensee (name or address); default: the --as account, "
              "which signs the report.")
@click.option("--use", "use", default="ai-training", show_default=True, help="The use to clear, e.g. ai-training.")
@click.option("--at", "at", default=None, help="When: YYYY-MM-DD, ISO time or unix seconds (default: the chain's "
              "time; a resumed run keeps its first time).")
@click.option("--threshold", default=None, type=params.uint(8, "threshold", maximum=64),
              help="ISCC distance (bits of 64) at or below which an item is a near-duplicate "
                   "(default: ledger.content.iscc.DEFAULT_THRESHOLD).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="The report file (default: MANIFEST.clearance.json); its journal is OUT.journal.")
@click.option("--restart", is_flag=True, help="Discard the journal of an earlier, different run.")
@click.option("--record", is_flag=True, help="Also record the signed report on-chain (one transaction).")
@json_option
@click.pass_obj
def clearance_run(app: App, manifest: Path, licensee: str | None, use: str, at: str | None, threshold: int | None,
                  out: Path | None, restart: bool, record: bool, as_json: bool) -> None:
    """As a licensee: clear every item of MANIFEST for a use and write a signed report.

    Interrupted (Ctrl-C, a crash), it continues where it stopped when run again: every
    decided item is in OUT.journal, and none is decided twice. Exit 0 when the report is
    written (whatever the verdicts), 2 on an error.
    """
    from ledger.content.iscc import DEFAULT_THRESHOLD
    from ledger.domain import clearance as C
    from ledger.domain.licensing import parse_time

    ledger = app.ledger(signer=True)
    signer = ledger.require_signer()
    who = app.resolve(licensee, "licensee") if licensee else signer.address
    if who != signer.address:
        raise E.InputError(f"the licensee {who} signs the report, but the signer is {signer.address}",
                           hint="run it --as the licensee's account")
    out = out or Path(str(manifest) + ".clearance.json")
    if out.is_dir():
        raise E.InputError(f"--out {out} is a folder; name the report file")
    journal = C.journal_path(out)
    own = (out, journal, out.with_suffix(".txt"), out.with_name(out.name + ".part"))
    items = C.read_manifest(manifest, exclude=own)
    if restart and journal.exists():
        journal.unlink()
    header, _done = C.read_journal(journal)
    with phase_progress(as_json) as progress:
        registry = C.Registry.load(ledger, progress=progress)
        when = parse_time(at, registry.head_time) if at is not None else (
            int(header["at"]) if header and "at" in header else None)
        env_th = C.environ_threshold()
        import time as _time

        if when is not None and when > max(registry.head_time, int(_time.time())) + 86400:
            raise E.InputError(f"--at {at or when}: a clearance is of the present or the past, not of the future",
                               hint="coverage later may differ (licences expire, holders reserve); clear then")
        th = threshold if threshold is not None else (DEFAULT_THRESHOLD if env_th is None else env_th)
        p = C.Clearance(ledger).params(items, manifest, who, use, when, th, registry)
        clearer = C.Clearer(registry, p.licensee, C.USES[use], p.at, th)
        verdicts = C.run(items, clearer, p, journal, progress)
    doc = C.sign_report(C.build_report(verdicts, p, registry.attestation_registry), signer.key)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(C.encode_report(doc))
    tmp.replace(out)
    text = summary_lines(doc)
    out.with_suffix(".txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    rec = None
    if record:
        rec, again = C.Clearance(ledger).record(doc)
    if as_json:
        emit_json({"report": str(out), "root": doc["root"], "digest": doc["digest"], "items": doc["itemCount"],
                   "counts": doc["counts"], "fees": doc["fees"], "signals": doc["signals"],
                   "recorded": None if rec is None else {"tx": rec.tx_hash, "block": rec.block, "cid": rec.cid}})
        return
    for line in text:
        out_console.print(line, highlight=False)
    out_console.print(f"report {out} (summary {out.with_suffix('.txt')})")
    if rec is not None:
        out_console.print(f"recorded on-chain: tx {rec.tx_hash}, block {rec.block}, file {rec.cid}"
                          + (" (recorded before)" if again else ""))


@clearance.command("record")
@click.argument("report", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def clearance_record(app: App, report: Path, as_json: bool) -> None:
    """As the licensee: record a signed clearance REPORT on-chain in one transaction
    (AttestationRegistry.attest of its EIP-712 digest, with the report file's CID)."""
    from ledger.domain import clearance as C

    doc = C.load_report(report)
    check = C.verify_report(doc)
    if not check.ok:
        fail("the report does not verify: " + "; ".join(check.problems[:3]), "see `rights-ledger clearance verify`", 1)
    rec, again = C.Clearance(app.ledger(signer=True)).record(doc)
    if as_json:
        emit_json({"digest": doc["digest"], "tx": rec.tx_hash, "block": rec.block, "cid": rec.cid,
                   "alreadyRecorded": again})
    else:
        out_console.print(f"{'already recorded' if again else 'recorded'}: digest {doc['digest']}, tx {rec.tx_hash}, "
                          f"block {rec.block}, file {rec.cid}")


@clearance.command("verify")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--chain", "on_chain", is_flag=True,
              help="Also check that the report is recorded on-chain by its licensee, and re-ask the "
                   "CoverageLens contract about every matched item.")
@json_option
@click.pass_obj
def clearance_verify(app: App, report: Path, on_chain: bool, as_json: bool) -> None:
    """Check a clearance REPORT: every leaf, the Merkle root, the totals, the licensee's EIP-712
    signature (and with --chain, its on-chain record and each verdict against the contract).

    Exit 0 valid, 1 a mismatch (each listed), 2 an error (an unreadable file).
    """
    from ledger.domain import clearance as C

    doc = C.load_report(report)
    check = C.verify_report(doc)
    problems = list(check.problems)
    recorded = None
    if on_chain:
        ledger = app.ledger()
        bad = C.malformed_header(doc)
        if bad:  # the local check has listed it; the chain cannot be asked about a malformed header
            raise C.E.InputError(f"malformed clearance report: {bad}; it cannot be checked on-chain")
        if int(doc["chainId"]) != int(ledger.chain.chain_id) or str(doc["attestationRegistry"]).lower() != \
                ledger.deployment.address("AttestationRegistry").lower():
            problems.append(f"the report is of chain {doc['chainId']} (registry {doc['attestationRegistry']}), "
                            f"not of this chain {ledger.chain.chain_id}")
        rec = C.Clearance(ledger).recorded(doc)
        if rec is None:
            problems.append(f"not recorded on-chain by the licensee {doc['licensee']}")
        else:
            recorded = {"tx": rec.tx_hash, "block": rec.block, "cid": rec.cid, "at": rec.attested_at}
            from ledger.content.cid import cid_for_bytes

            if rec.cid != cid_for_bytes(C.encode_report(doc)):
                problems.append(f"the recorded file is {rec.cid}, this report's bytes give another CID")
        problems += C.against_chain(ledger, doc)
    ok = not problems
    if as_json:
        emit_json({"valid": ok, "root": check.root, "digest": check.digest, "signer": check.signer,
                   "items": doc.get("itemCount"), "problems": problems, "recorded": recorded})
    else:
        for p in problems[:50]:
            out_console.print(f"  mismatch: {p}")
        out_console.print(("valid" if ok else "INVALID") + f": {doc.get('itemCount')} items, root {check.root}, "
                          f"signed by {check.signer}" + (f", recorded in tx {recorded['tx']}" if recorded else ""))
    if not ok:
        raise SystemExit(1)


@clearance.command("prove")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--item", "index", required=True, type=params.uint(32, "item"), help="The item's index (from 0).")
@json_option
@click.pass_obj
def clearance_prove(app: App, report: Path, index: int, as_json: bool) -> None:
    """One item's leaf values, leaf hash and Merkle proof against the REPORT's root
    (checkable by hand or with OpenZeppelin's MerkleProof; see docs/VERIFYING.md)."""
    from ledger.domain import clearance as C

    p = C.item_proof(C.load_report(report), index)
    if as_json:
        emit_json(p)
        return
    out_console.print(json.dumps(p, indent=1), highlight=False)
    if not p["verified"]:
        raise SystemExit(1)


@clearance.command("show")
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--verdict", type=click.Choice(["covered", "reserved", "not-covered", "unregistered"]), default=None,
              help="Only items with this verdict.")
@json_option
@click.pass_obj
def clearance_show(app: App, report: Path, verdict: str | None, as_json: bool) -> None:
    """The summary of a clearance REPORT and its items (optionally of one verdict)."""
    from ledger.domain import clearance as C

    doc = C.load_report(report)
    check = C.verify_report(doc)  # a malformed report is an error (2), a tampered one a mismatch (1)
    if not check.ok:
        fail("the report does not verify: " + "; ".join(check.problems[:3]), "see `rights-ledger clearance verify`", 1)
    items = [d for d in doc["items"] if verdict is None or d["verdict"] == verdict]
    if as_json:
        emit_json({k: v for k, v in doc.items() if k != "items"} | {"items": items})
        return
    for line in summary_lines(doc):
        out_console.print(line, highlight=False)
    for d in items[:200]:
        basis = f" by {d['basis']}" + (f" #{d['licenceId']}" if d["licenceId"] else "") + f", fee {d['fee']}" \
            if d["verdict"] == "covered" else f" ({d['reason']})" if d["verdict"] != "unregistered" else \
            f" (C2PA: {d['signal']}{': ' + d['detail'] if d.get('detail') else ''})"
        dist = f", distance {d['distance']}" if d["match"] == "near" else ""
        match = f" = {d['work'][:18]}... ({d['match']}{dist})" if d["match"] != "none" else ""
        out_console.print(f"  {d['index']}: {d['source']}{match}: {d['verdict']}{basis}", highlight=False)
    if len(items) > 200:
        out_console.print(f"  ... and {len(items) - 200} more (see --json)")


def usage_from_clearance(app: App, ledger: Any, report: Path, cmo: str, period: int) -> Any:
    """``usage report --from-clearance``: the covered items owed to ``cmo`` as a prepared usage report."""
    from ledger.domain import clearance as C
    from ledger.domain.usage import Usage

    doc = C.load_report(report)
    check = C.verify_report(doc)
    if not check.ok:
        fail("the clearance report does not verify: " + "; ".join(check.problems[:3]),
             "see `rights-ledger clearance verify`", 1)
    signer = ledger.require_signer().address
    if check.signer != signer:
        raise E.InputError(f"the clearance is {doc['licensee']}'s; the signer is {signer}")
    C.Clearance(ledger).check_chain(doc)
    start, end = C.period_bounds(period)
    if not start <= int(doc["at"]) < end:
        import datetime as dt

        made = dt.datetime.fromtimestamp(int(doc["at"]), dt.UTC).strftime("%Y%m")
        raise E.InputError(f"the clearance was made in {made}, not in the period {period}",
                           hint=f"report it with --period {made}")
    if C.Clearance(ledger).recorded(doc) is None:
        raise E.InputError("the clearance report is not recorded on-chain: what is reported must be what was cleared",
                           hint=f"record it first: rights-ledger clearance record {report}")
    lines, _items = C.usage_lines(doc, cmo)
    if not lines:
        raise E.InputError(f"no covered item of the clearance is owed to {cmo}",
                           hint="name the CMO with --cmo; `clearance show REPORT` lists the fees per CMO")
    return Usage(ledger).prepare(lines, cmo, period)


def _royalty_statement() -> None:
    from ledger.cli.usage import royalty

    @royalty.command("statement")
    @click.option("--holder", required=True, help="The holder (name or address).")
    @click.option("--period", "period", required=True, type=params.PERIOD, help="The month, YYYYMM.")
    @json_option
    @click.pass_obj
    def royalty_statement(app: App, holder: str, period: int, as_json: bool) -> None:
        """A holder's statement for a period: per work, the usage lines and clearance items that
        name it and the amount due, each with a Merkle proof anyone can check."""
        from ledger.domain.clearance import holder_statement

        st = holder_statement(app.ledger(), app.resolve(holder, "holder"), period)
        if as_json:
            emit_json(st)
            return
        out_console.print(f"statement of {st['holder']} for {period}: {len(st['works'])} works, "
                          f"{st['totalDue']} due before commission")
        for e in st["works"]:
            out_console.print(f"  work {e['work']} (share {e['shareBps']} bps): {len(e['usage'])} usage lines, "
                              f"{len(e['clearance'])} clearance items, due {e['due']}")
            for u in e["usage"][:20]:
                ok = "proof ok" if u["verified"] else "PROOF FAILS"
                out_console.print(f"    report {u['report']} line {u['line']['index']}: {u['line']['quantity']} x "
                                  f"{u['line']['use']} owed {u['line']['owed']}, due {u['due']} ({ok})")
            for c in e["clearance"][:20]:
                ok = "proof ok" if c["verified"] else "PROOF FAILS"
                out_console.print(f"    clearance {c['digest'][:18]}... item {c['item']['index']}: "
                                  f"{c['item']['verdict']} ({c['item']['match']}), fee {c['item']['fee']} ({ok})")
        for d in st["distributions"]:
            out_console.print(f"  distribution of CMO {d['cmo']}: {d['amount']} claimable"
                              + (" (claimed)" if d["claimed"] else ""))
        for u in st["unreadableReports"]:
            out_console.print(f"  report {u['report']} unreadable (licensee {u['licensee']}, CMO {u['cmo']}): "
                              f"{u['error']}; its lines are not in this statement")


_royalty_statement()
