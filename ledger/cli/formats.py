"""The field's exchange formats on the command line: CWR import (with ACK) and export.

``work register-batch --format cwr`` lands here (ledger.cli.batch hands over); registration,
journal and resume are the catalogue importer's (:class:`ledger.domain.batch.BatchRegistrar`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ledger.cli.app import App, emit_json, json_option, out_console
from ledger.cli.work import work
from ledger.core.errors import InputError
from ledger.domain.batch import BatchRegistrar, journal_path, statuses_of
from ledger.domain.formats import cwr as CWR


def _sender(value: str) -> tuple[str, str]:
    """``PB000000052[:NAME]`` -> (sender, name)."""
    code, _, name = value.partition(":")
    code = code.strip().upper()
    if not (len(code) == 11 and code[:2].isalpha() and code[2:].isdigit()):
        raise InputError(f"sender {value!r} must be TYPE+ID[:NAME], e.g. PB000000052:MY MUSIC PUBLISHING",
                         where="--sender")
    return code, (name.strip() or code).upper()


def register_cwr(app: App, path: Path, parties: Path | None, ack_path: Path | None, territory: str, right: str,
                 batch_size: int, max_in_flight: int, as_json: bool, fresh: bool = False) -> None:
    """Register the NWR/REV transactions of a CWR 2.1 file; write an ACK file when asked."""
    from ledger.cli.batch import _journal, _report, _run_with_progress

    if parties is None:
        raise InputError("a CWR import needs --parties FILE (CSV ip,account: which account each party is)")
    mapping = CWR.read_parties(parties)
    src = CWR.read_cwr_catalogue(path, mapping, territory=territory, right=right)  # everything checked first
    ledger = app.ledger(signer=True)
    ids = [str(r.work_id) for r in src.catalogue.rows]
    before = statuses_of(ledger, ids)
    registrar = BatchRegistrar(ledger, _journal(journal_path(app.settings, src.catalogue.sha256), fresh), batch_size,
                               max_in_flight)
    summary = _run_with_progress("registering", src.catalogue.total_rows, as_json,
                                 lambda cb: registrar.run(src.catalogue, progress=cb))
    if ack_path is not None:
        after = statuses_of(ledger, ids)
        outcomes = CWR.outcomes_of(ids, before, after, summary.failures)
        ack_path.write_text(CWR.write_ack(src, outcomes, sender="SO000000000", sender_name="RIGHTS LEDGER"),
                            encoding="ascii", newline="")
        if not as_json:
            counts = {s: sum(1 for o in outcomes.values() if o.status == s) for s in ("AS", "DU", "RJ")}
            out_console.print(f"  ACK: {ack_path} (accepted {counts['AS']}, already on the ledger {counts['DU']}, "
                              f"rejected {counts['RJ']})")
    if not as_json:
        for note in src.notes:
            out_console.print(f"  note: {note}")
    _report(summary, "registered", as_json)


@work.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["cwr"]), default="cwr", show_default=True)
@click.option("--parties", type=click.Path(path_type=Path), required=True,
              help="CSV ip,account: the party number written for each holder's account.")
@click.option("--sender", required=True, help="TYPE+ID[:NAME] of the HDR record; only the works it sent are written.")
@json_option
@click.pass_obj
def export(app: App, out: Path, fmt: str, parties: Path, sender: str, as_json: bool) -> None:
    """Write the ledger's works that came from CWR as a CWR 2.1 file (NWR, SPU/OPU, SWR/OWR, ALT).

    Shares are the on-chain holders' basis points, written as ownership shares; importing
    the file again gives the same work ids, metadata and holders.
    """
    code, name = _sender(sender)
    mapping = CWR.read_parties(parties)
    ledger = app.ledger()
    unreadable: list[str] = []
    works = CWR.ledger_works(ledger, code, unreadable)
    if unreadable:
        click.echo(f"note: {len(unreadable)} work(s) skipped: the store does not have their metadata "
                   f"(first {unreadable[0]})", err=True)
    if not works:
        raise InputError(f"no work on the ledger came from sender {code}")
    text = CWR.write_cwr([w for _, w in works], mapping, sender=code, sender_name=name)
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError as exc:
        line = text[: exc.start].count("\n") + 1
        raise InputError(f"character {text[exc.start]!r} cannot be written in CWR 2.1 (ASCII only)",
                         where=f"{out}:{line}", hint="nothing was written") from None
    out.write_bytes(data)
    if as_json:
        emit_json({"file": str(out), "works": [wid for wid, _ in works]})
    else:
        out_console.print(f"wrote {len(works)} work(s) to {out}")
    sys.exit(0)


def prepare_dsr(u: Any, path: Path, cmo: str, period: int, min_match: float, use: str | None, as_json: bool,
                progress: Any) -> tuple[Any, dict[str, Any]]:
    """Read a DDEX DSR flat file, match its lines to works, check the threshold, then prepare the usage report."""
    from ledger.core.types import USES
    from ledger.domain.formats import dsr as DSR

    if use is not None and use not in USES:
        raise InputError(f"unknown use {use!r}", where="--use", hint="one of: " + ", ".join(USES))
    DSR.read_rows(path)  # a malformed file is refused before the ledger is asked anything
    report = DSR.read_dsr(path, DSR.work_finder(u.ledger), use=use)
    matching = {
        "lines": len(report.lines), "matched": len(report.matched),
        "unmatched": [{"line": ln.line, "resource": ln.resource, "identifiers": dict(ln.identifiers),
                       "reason": ln.reason} for ln in report.unmatched],
        "matchedBy": {k: sum(1 for ln in report.matched if ln.matched_by == k) for k in ("work id", "ISRC", "ISWC")},
        "ignoredRecords": dict(report.ignored),
    }
    if not as_json:
        out_console.print(f"DSR {path.name}: {len(report.matched)} of {len(report.lines)} usage line(s) matched a work"
                          + "".join(f", {n} by {k}" for k, n in matching["matchedBy"].items() if n),
                          soft_wrap=True, highlight=False)
        for ln in report.unmatched[:50]:
            out_console.print(f"  unmatched {path}:{ln.line}: {ln.reason}", soft_wrap=True,
                              highlight=False)
        if len(report.unmatched) > 50:
            out_console.print(f"  ... and {len(report.unmatched) - 50} more (see --json)")
    DSR.check_threshold(report, min_match)
    lines = [ln.usage for ln in report.matched if ln.usage is not None]
    return u.prepare(lines, cmo, period, progress=progress), matching


def c2pa_for_generation(app: App, g: Any, inputs: tuple[Path, ...], output_file: Path | None, c2pa_out: Path | None,
                        embed_into: Path | None, embed_out: Path | None, sign_cert: Path | None,
                        sign_key: Path | None, as_json: bool) -> dict[str, Any]:
    """Write the generation record ``g`` as a C2PA manifest and/or sign it into a copy of a file."""
    import hashlib

    from ledger.content.cid import names_no_cid
    from ledger.domain.formats import c2pa_provenance as C2PA
    from ledger.domain.protection import Protection

    ledger = app.ledger()
    att = Protection(ledger).attestation(g.output_hash)  # the earliest, by anyone: bytes that are no CID
    token_cid = att.tsa_token_cid if att is not None and att.tsa_token_cid else None  # (another client's) give none
    token_cid = None if token_cid is not None and names_no_cid(token_cid) else token_cid
    token = ledger.store.cat(token_cid) if token_cid else None
    target = embed_into or output_file
    mime = C2PA.mime_of(target) if target is not None else "application/octet-stream"
    ingredients = [{"title": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in inputs]
    manifest = C2PA.generation_manifest(
        g, title=(target.name if target is not None else g.work_id), mime=mime,
        chain_id=int(ledger.chain.w3.eth.chain_id), registry=ledger.deployment.address("AttestationRegistry"),
        token=token, token_cid=token_cid, ingredients=ingredients)
    out: dict[str, Any] = {"timestamped": token is not None}
    if c2pa_out is not None:
        c2pa_out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        out["manifest"] = str(c2pa_out)
    if embed_into is not None and embed_out is not None and sign_cert is not None and sign_key is not None:
        try:
            cert, key = sign_cert.read_bytes(), sign_key.read_bytes()
        except OSError as exc:
            raise InputError(f"{exc.filename}: cannot read ({exc.strerror})") from None
        C2PA.embed(manifest, embed_into, embed_out, cert, key, ingredient_files=inputs)
        out["embedded"] = str(embed_out)
    if not as_json:
        for k in ("manifest", "embedded"):
            if k in out:
                out_console.print(f"  C2PA {'manifest' if k == 'manifest' else 'signed copy'}: {out[k]}"
                                  + ("" if token is not None else " (no RFC 3161 token: the output was not "
                                                                    "timestamped)"))
    return out


def c2pa_proposal(file: Path, creation: str, models: tuple[str, ...], tools: tuple[str, ...], yes: bool,
                  as_json: bool) -> tuple[str, tuple[str, ...], tuple[str, ...], str | None]:
    """Read FILE's C2PA manifest, show what it proposes and its signature status, ask, and return the values."""
    from ledger.domain.formats import c2pa_provenance as C2PA

    p = C2PA.read_proposal(file)
    if p is None:
        raise InputError(f"{file}: carries no C2PA manifest", hint="register without --from-c2pa")
    show = click.echo if not as_json else (lambda m: click.echo(m, err=True))
    show(f"C2PA manifest in {file}:")
    show(f"  signature: {p.validation_state}, signed by {p.signer}"
         + (f"; problems: {', '.join(p.failures)}" if p.failures else ""))
    show(f"  made with: {p.claim_generator or '?'}; digitalSourceType: {p.source_type or '(none)'}")
    show(f"  proposed creation mode: {p.creation_mode}; models: "
         + (", ".join(m['name'] + ('@' + m['version'] if 'version' in m else '') for m in p.models) or "none"))
    for ing in p.ingredients:
        show(f"  ingredient: {ing['title']} ({ing['relationship'] or 'component'}, {ing['format']})")
    if p.ledger_record:
        show(f"  ledger record in the manifest: generation {p.ledger_record.get('recordId')} of work "
             f"{p.ledger_record.get('workId')} (tx {p.ledger_record.get('tx')}); check it with `work provenance`")
    if not p.signature_ok:
        show("  WARNING: the manifest does not validate; its claims are not evidence")
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("the C2PA proposal needs confirmation", hint="run in a terminal, or pass --yes")
        if not click.confirm("Use this creation mode, these models and ingredients?", default=False, err=True):
            sys.exit(1)
    new_models = tuple(m["name"] + ("@" + m["version"] if "version" in m else "") for m in p.models) or models
    note = None
    if p.ingredients or p.source_type:
        parts = [f"from C2PA manifest ({p.validation_state}, signed by {p.signer})"]
        if p.source_type:
            parts.append(f"digitalSourceType {p.source_type.rsplit('/', 1)[-1]}")
        if p.ingredients:
            parts.append("ingredients: " + "; ".join(i["title"] for i in p.ingredients))
        note = ", ".join(parts)[:5000]
    gen_tool = (p.claim_generator,) if p.claim_generator else ()
    return p.creation_mode, new_models, tuple(tools) + gen_tool, note


from ledger.cli.licence import licence as _licence_group  # noqa: E402


@_licence_group.command("odrl")
@click.argument("licence_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write the policy here too.")
@click.option("--store/--no-store", default=True, show_default=True,
              help="Publish the policy in the metadata store, beside the terms document (prints its CID).")
@json_option
@click.pass_obj
def licence_odrl(app: App, licence_id: int, output: Path | None, store: bool, as_json: bool) -> None:
    """The licence's terms as an ODRL 2.2 policy (JSON-LD): permissions, constraints, duties."""
    from ledger.content.canonical import canonical_json
    from ledger.domain.formats import odrl as ODRL
    from ledger.domain.licensing import Licensing
    from ledger.domain.royalties import Royalties

    lic = Licensing(app.ledger())
    rec = lic.licence(licence_id)
    fee_token = lic.settlement_token() if rec.flat_fee else None
    rate_token = rate_decimals = None
    if rec.rate_per_use:
        roy = Royalties(lic.ledger)
        rate_token, rate_decimals = str(roy.token.address), roy.token_decimals()
    policy = ODRL.licence_policy(rec, chain_id=int(lic.ledger.chain.w3.eth.chain_id),
                                 registry=lic.ledger.deployment.address("LicenceRegistry"), fee_token=fee_token,
                                 rate_token=rate_token, rate_decimals=rate_decimals)
    body = canonical_json(policy)
    cid = lic.ledger.store.add(body) if store else None
    if output is not None:
        output.write_text(json.dumps(policy, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if as_json:
        emit_json({"licenceId": licence_id, "cid": cid, "policy": policy})
    else:
        click.echo(json.dumps(policy, indent=2, ensure_ascii=False))
        if cid:
            click.echo(f"# stored as {cid} (beside the terms document {rec.terms_cid or '-'})", err=True)


from ledger.cli.usage import usage as _usage_group  # noqa: E402


@_usage_group.command("export")
@click.argument("report_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["dsr"]), default="dsr", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write.")
@json_option
@click.pass_obj
def usage_export(app: App, report_id: int, fmt: str, output: Path, as_json: bool) -> None:
    """Write a recorded usage report as a DDEX DSR flat file (reading it back gives the same lines)."""
    import calendar

    from ledger.domain.formats import dsr as DSR
    from ledger.domain.usage import Usage

    u = Usage(app.ledger())
    view = u.report(report_id)
    lines = u.lines_of(view)
    year, month = divmod(view.period, 100)
    start = f"{year:04d}-{month:02d}-01" if 1 <= month <= 12 else "1970-01-01"
    end = f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}" if 1 <= month <= 12 else start
    text = DSR.write_dsr(lines, sender=view.licensee, recipient=view.cmo, start=start, end=end,
                         message_id=f"usage-report-{report_id}")
    output.write_text(text, encoding="utf-8")
    if as_json:
        emit_json({"reportId": report_id, "file": str(output), "lines": len(lines), "root": view.root})
    else:
        out_console.print(f"wrote usage report {report_id} ({len(lines)} lines) to {output} as a DSR flat file")
