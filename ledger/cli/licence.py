"""``rights-ledger licence|mandate|tariff``: grant and check licences, mandate works to CMOs,
set statutory tariffs.

``licence status`` exits 0 when covered, 1 when not, 2 on an error; ``licence check``
answers a whole file of questions from one in-memory index, one JSON line per question.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, err_console, json_option, out_console, styled
from ledger.cli.render import when
from ledger.core.errors import InputError, LedgerError
from ledger.core.inputs import display, guard, read_json, read_text
from ledger.core.parsing import parse_uint
from ledger.core.types import USES, AlreadyDone
from ledger.domain.licensing import (
    FOREVER,
    MAX_BATCH,
    Coverage,
    LicenceRecord,
    Licensing,
    SignedOffer,
    Terms,
    parse_time,
    read_pairs,
)
from ledger.domain.works import parse_work_id

use_choice = click.Choice(list(USES))


def _licensing(app: App, signer: bool = False) -> Licensing:
    return Licensing(app.ledger(signer=signer))


def _write_json(as_json: bool, text: str, result: Any, **extra: Any) -> None:
    if as_json:
        emit_json({"tx": result.tx_hash, "block": result.block, "gasUsed": result.gas_used, **extra})
    else:
        out_console.print(f"{text} (tx {result.tx_hash}, block {result.block}, {result.gas_used} gas)")


# --- licence ------------------------------------------------------------------------------


@cli.group()
def licence() -> None:
    """Grant, offer, accept, revoke and check licences."""


def _terms_options(f: Any) -> Any:
    for opt in reversed([
        click.option("--use", "uses", multiple=True, required=True, type=use_choice,
                     help="A use the licence covers (repeatable)."),
        click.option("--start", help="First day covered: YYYY-MM-DD, ISO time or unix seconds (default now)."),
        click.option("--end", help="First day no longer covered (default: no end)."),
        click.option("--territory", "territories", multiple=True,
                     help="ISO 3166 alpha-2 code, repeatable or comma-separated (default worldwide)."),
        click.option("--exclusive", is_flag=True, help="Exclusive licence (one work, granted by a holder)."),
        click.option("--flat-fee", default=0, type=params.uint(96, "flat fee"), show_default=True,
                     help="Flat fee, smallest unit."),
        click.option("--rate", "rate_per_use", default=0, type=params.uint(96, "rate per use"), show_default=True,
                     help="Rate per reported use, smallest unit."),
        click.option("--terms-cid", help="CID of the terms document (default: one is stored for you)."),
        click.option("--terms", "terms_text", help="Text of the terms, stored as the terms document."),
    ]):
        f = opt(f)
    return f


def _works(app: App, work_ids: tuple[str, ...], works_file: Path | None, repertoire: bool) -> tuple[str, list[str]]:
    works: list[str] = [parse_work_id(w) for w in work_ids]
    if works_file:
        lines = read_text(works_file, what="works file (one work id per line)", allow_stdin=True).splitlines()
        for n, line in enumerate(lines, 1):
            v = line.split(",")[0].strip()
            if v and not v.startswith("#") and v.lower() != "work":
                try:
                    works.append(parse_work_id(v))
                except InputError as exc:
                    raise InputError(exc.message, where=f"{display(works_file)}:{n}:1") from None
    if repertoire:
        if works:
            raise InputError("--repertoire takes no works", hint="drop --work/--works-file")
        return "repertoire", []
    if not works:
        raise InputError("name the works", hint="pass --work ID (repeatable), --works-file FILE or --repertoire")
    if len(works) > MAX_BATCH:
        raise InputError(f"{len(works)} works; one licence lists at most {MAX_BATCH}")
    return ("work" if len(works) == 1 else "list"), works


def _build_terms(lic: Licensing, scope: str, opts: dict[str, Any]) -> Terms:
    if opts.get("start") in (None, "", "now") and opts.get("end") not in (None, ""):
        # starting now, an end within the next minute would pass the simulation and then revert
        # once mined (a refused write that still costs a block): refuse it here
        end = parse_time(opts["end"], FOREVER)
        if end < time.time() + 60:
            raise InputError(f"the licence's end {opts['end']!r} is not after its start (now)",
                             hint="give an end at least a minute from now, or a --start")
    return lic.terms(
        list(opts["uses"]), scope=scope, start=opts.get("start"), end=opts.get("end"),
        territories=[c for t in opts.get("territories", ()) for c in t.split(",") if c.strip()] or None,
        exclusive=opts.get("exclusive", False), flat_fee=opts.get("flat_fee", 0),
        rate_per_use=opts.get("rate_per_use", 0), terms_cid=opts.get("terms_cid"), terms_text=opts.get("terms_text"),
    )


@licence.command()
@click.argument("licensee")
@click.option("--work", "work_ids", multiple=True, help="A licensed work id (repeatable).")
@click.option("--works-file", type=click.Path(path_type=Path), help="A file of work ids, one a line (max 500).")
@click.option("--repertoire", is_flag=True, help="As a CMO: a blanket licence over your whole repertoire.")
@_terms_options
@click.option("--again", is_flag=True,
              help="Grant even if a live licence with the same works and terms exists (default: report it).")
@json_option
@click.pass_obj
def grant(app: App, licensee: str, work_ids: tuple[str, ...], works_file: Path | None, repertoire: bool,
          again: bool, as_json: bool, **opts: Any) -> None:
    """Grant LICENSEE (address or account name) a licence."""
    scope, works = _works(app, work_ids, works_file, repertoire)
    who = app.resolve(licensee, "licensee")
    lic = _licensing(app, signer=True)
    terms = _build_terms(lic, scope, opts)
    result, lid = lic.grant(who, works, terms, start_given=opts.get("start") is not None, again=again)
    already = isinstance(result, AlreadyDone)
    text = (f"licence #{lid} with these terms was granted before (tx {result.tx_hash}); nothing was sent again "
            "(pass --again to grant another)" if already else
            f"granted licence #{lid} to {who} over {scope if not works else f'{len(works)} work(s)'}")
    _write_json(as_json, text, result, licenceId=lid, scope=scope, works=works, alreadyGranted=already)


@licence.command("open")
@click.argument("work_id")
@click.option("--use", "uses", multiple=True, required=True, type=use_choice, help="A use (repeatable).")
@click.option("--code", required=True, help="The licence's name, e.g. CC-BY-4.0 (at most 32 bytes).")
@click.option("--terms-cid", help="CID of the licence text.")
@json_option
@click.pass_obj
def open_(app: App, work_id: str, uses: tuple[str, ...], code: str, terms_cid: str | None, as_json: bool) -> None:
    """As a holder: publish an open (public-interest) licence of WORK_ID that covers everyone."""
    result, lid = _licensing(app, signer=True).publish_open(parse_work_id(work_id), list(uses), code, terms_cid)
    _write_json(as_json, f"published open licence #{lid} ({code})", result, licenceId=lid, code=code)


@licence.command()
@click.argument("licensee", required=False)
@click.option("--anyone", is_flag=True, help="Any account with the LICENSEE role may accept the offer.")
@click.option("--work", "work_ids", multiple=True, help="An offered work id (repeatable).")
@click.option("--works-file", type=click.Path(path_type=Path), help="A file of work ids, one a line (max 500).")
@_terms_options
@click.option("--nonce", type=params.NONCE, help="Offer nonce (default random); cancel it with `licence cancel-offer`.")
@click.option("--deadline", help="Last time the offer can be accepted (default in 7 days).")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write the offer JSON here.")
@click.pass_obj
def offer(app: App, licensee: str | None, anyone: bool, work_ids: tuple[str, ...], works_file: Path | None,
          nonce: int | None, deadline: str | None, out_file: Path | None, **opts: Any) -> None:
    """As a holder: sign a licence offer off-chain (nothing is sent); print or write its JSON."""
    if not licensee and not anyone:
        raise InputError("name the LICENSEE or pass --anyone")
    scope, works = _works(app, work_ids, works_file, False)
    lic = _licensing(app, signer=True)
    terms = _build_terms(lic, scope, opts)
    signed = lic.make_offer(app.resolve(licensee, "licensee") if licensee else None, works, terms, nonce=nonce,
                            deadline=deadline)
    text = json.dumps(signed.to_json(), indent=2, sort_keys=True)
    if out_file:
        out_file.write_text(text + "\n", encoding="utf-8")
        err_console.print(f"offer nonce {signed.nonce} written to {out_file}")
    else:
        click.echo(text)


def _load_offer(path: Path) -> SignedOffer:
    doc = read_json(path, what="offer", allow_stdin=True, limit=1 << 20)
    with guard(display(path), "offer"):
        return SignedOffer.from_json(doc)


@licence.command()
@click.argument("offer_file", type=click.Path(path_type=Path))
@json_option
@click.pass_obj
def accept(app: App, offer_file: Path, as_json: bool) -> None:
    """As a licensee: accept a signed offer and pay its flat fee."""
    signed = _load_offer(offer_file)
    result, lid = _licensing(app, signer=True).accept(signed)
    _write_json(as_json, f"accepted offer {signed.nonce} of {signed.licensor}: licence #{lid}", result,
                licenceId=lid, paid=signed.terms.flat_fee)


@licence.command("cancel-offer")
@click.argument("nonce", type=params.NONCE)
@json_option
@click.pass_obj
def cancel_offer(app: App, nonce: int, as_json: bool) -> None:
    """As a licensor: cancel an offer you signed, by its nonce."""
    _write_json(as_json, f"cancelled offer {nonce}", _licensing(app, signer=True).cancel_offer(nonce), nonce=nonce)


@licence.command("settlement-token")
@click.argument("token", required=False)
@click.option("--native", is_flag=True, help="Pay flat fees in the chain's native currency again.")
@json_option
@click.pass_obj
def settlement_token(app: App, token: str | None, native: bool, as_json: bool) -> None:
    """As the governor: set the ERC-20 token flat fees are paid in (default: the deployed SettlementToken)."""
    lic = _licensing(app, signer=True)
    address = None if native else (app.resolve(token, "token") if token else _deployed_token(lic))
    _write_json(as_json, f"flat fees are now paid in {address or 'the native currency'}",
                lic.set_settlement_token(address), token=address)


def _deployed_token(lic: Licensing) -> str:
    try:
        return str(lic.ledger.deployment.address("SettlementToken"))
    except Exception:
        raise InputError("no SettlementToken in this deployment", hint="pass the token's address") from None


@licence.command()
@click.argument("licence_id", type=params.LICENCE_ID)
@click.option("--reason", required=True, help="Why the licence is revoked.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--work", "work", metavar="WORK",
              help="After a contract upgrade: the licence of the LicenceRegistry version that holds WORK "
                   "(licence numbers are per version, R81c); default: the current version.")
@json_option
@click.pass_obj
def revoke(app: App, licence_id: int, reason: str, yes: bool, work: str | None, as_json: bool) -> None:
    """As the licensor: revoke a licence from now on (earlier uses stay covered)."""
    if not yes and not as_json:
        click.confirm(f"Revoke licence #{licence_id}?", abort=True)
    _write_json(as_json, f"revoked licence #{licence_id}",
                _licensing(app, signer=True).revoke(licence_id, reason, work=work),
                licenceId=licence_id, state="revoked")


@licence.command()
@click.argument("licence_id", type=params.LICENCE_ID)
@click.option("--reason", required=True, help="Why the licence is suspended.")
@click.option("--work", "work", metavar="WORK",
              help="After a contract upgrade: the licence of the LicenceRegistry version that holds WORK "
                   "(licence numbers are per version, R81c); default: the current version.")
@json_option
@click.pass_obj
def suspend(app: App, licence_id: int, reason: str, work: str | None, as_json: bool) -> None:
    """As the licensor: suspend a licence until resumed."""
    _write_json(as_json, f"suspended licence #{licence_id}",
                _licensing(app, signer=True).suspend(licence_id, reason, work=work),
                licenceId=licence_id, state="suspended")


@licence.command()
@click.argument("licence_id", type=params.LICENCE_ID)
@click.option("--work", "work", metavar="WORK",
              help="After a contract upgrade: the licence of the LicenceRegistry version that holds WORK "
                   "(licence numbers are per version, R81c); default: the current version.")
@json_option
@click.pass_obj
def resume(app: App, licence_id: int, work: str | None, as_json: bool) -> None:
    """As the licensor: lift a suspension."""
    _write_json(as_json, f"resumed licence #{licence_id}", _licensing(app, signer=True).resume(licence_id, work=work),
                licenceId=licence_id, state="active")


def licence_json(r: LicenceRecord) -> dict[str, Any]:
    return {
        "licenceId": r.licence_id, "licensor": r.licensor, "licensee": r.licensee, "scope": r.scope,
        "uses": list(r.uses), "start": r.start, "end": r.end, "exclusive": r.exclusive, "collective": r.collective,
        "state": r.state, "revokedAt": r.revoked_at, "suspendedAt": r.suspended_at, "flatFee": r.flat_fee,
        "ratePerUse": r.rate_per_use, "territories": list(r.territories) or ["worldwide"], "termsCid": r.terms_cid,
        "works": list(r.work_ids), "openCode": r.open_code, "history": list(r.history),
    }


def _print_licence(r: LicenceRecord) -> None:
    who = r.licensee or f"everyone (open licence {r.open_code})"
    out_console.print(f"[bold]licence #{r.licence_id}[/bold]  {r.state}  {r.scope}"
                      f"{' exclusive' if r.exclusive else ''}{' collective' if r.collective else ''}", markup=True)
    out_console.print(f"  licensor {r.licensor}\n  licensee {who}")
    out_console.print(f"  uses {', '.join(r.uses)}; territories {', '.join(r.territories) or 'worldwide'}")
    out_console.print(f"  term {when(r.start)} .. {when(r.end) if r.end else 'no end'}")
    if r.flat_fee or r.rate_per_use:
        out_console.print(f"  fees: flat {r.flat_fee}, per use {r.rate_per_use}")
    if r.work_ids:
        shown = ", ".join(r.work_ids[:3]) + (f" and {len(r.work_ids) - 3} more" if len(r.work_ids) > 3 else "")
        out_console.print(f"  works {shown}")
    if r.revoked_at:
        out_console.print(f"  revoked {when(r.revoked_at)}")
    if r.suspended_at:
        out_console.print(f"  suspended since {when(r.suspended_at)}")
    if r.terms_cid:
        out_console.print(f"  terms {r.terms_cid}")


@licence.command()
@click.argument("licence_id", type=params.LICENCE_ID)
@click.option("--work", "work", metavar="WORK",
              help="After a contract upgrade: the licence of the LicenceRegistry version that holds WORK "
                   "(licence numbers are per version, R81c); default: the current version.")
@json_option
@click.pass_obj
def show(app: App, licence_id: int, work: str | None, as_json: bool) -> None:
    """Show a licence: parties, scope, terms, state and history."""
    rec = _licensing(app).licence(licence_id, work=work)
    if as_json:
        emit_json(licence_json(rec))
    else:
        _print_licence(rec)


@licence.command("list")
@click.option("--work", "work_id", help="Licences that concern this work (blanket licences included).")
@click.option("--licensee", help="Licences granted to this licensee (address or account name).")
@json_option
@click.pass_obj
def list_(app: App, work_id: str | None, licensee: str | None, as_json: bool) -> None:
    """List licences of a work or of a licensee."""
    if not work_id and not licensee:
        raise InputError("name a work or a licensee", hint="pass --work ID or --licensee ADDRESS")
    lic = _licensing(app)
    recs = lic.licences_for(work=work_id, licensee=app.resolve(licensee, "licensee") if licensee else None)
    if lic.index_note:  # the read index could not catch up within its bound: say so
        err_console.print(styled("[yellow]note:[/yellow] {}", lic.index_note), markup=True)
    if as_json:
        emit_json([licence_json(r) for r in recs])
        return
    if not recs:
        out_console.print("no licences")
    for r in recs:
        _print_licence(r)


def _coverage_line(c: Coverage) -> str:
    if c.covered:
        grant_ = (c.kind or "grant") + (f" #{c.licence_id}" if c.licence_id else "")
        return f"covered: {c.use} of {c.work_id} by {c.licensee}, under the {grant_}"
    about = f" ({c.kind} #{c.licence_id})" if c.licence_id else (f" ({c.kind})" if c.kind else "")
    return f"NOT covered: {c.use} of {c.work_id} by {c.licensee}: {c.reason}{about}"


@licence.command()
@click.argument("work_id")
@click.argument("licensee")
@click.option("--use", required=True, type=use_choice, help="The use in question.")
@click.option("--territory", help="ISO 3166 alpha-2 code where the work is used (default: unspecified).")
@click.option("--at", "at", help="When: YYYY-MM-DD, ISO time or unix seconds (default now).")
@click.option("--receipt", "receipt_file", type=click.Path(path_type=Path),
              help="Also write a coverage receipt (JSON) here: the answer with the block, events and storage "
                   "proofs that prove it; check it later with `licence verify-receipt`.")
@json_option
@click.pass_obj
def status(app: App, work_id: str, licensee: str, use: str, territory: str | None, at: str | None,
           receipt_file: Path | None, as_json: bool) -> None:
    """Is LICENSEE covered to use WORK_ID? Exit 0 covered, 1 not covered, 2 error."""
    if receipt_file is not None:
        _status_with_receipt(app, work_id, licensee, use, territory, at, receipt_file, as_json)
        return
    c = _licensing(app).status(parse_work_id(work_id), app.resolve(licensee, "licensee"), use, territory, at)
    if as_json:
        emit_json(c.as_json())
    else:
        out_console.print(_coverage_line(c))
    sys.exit(0 if c.covered else 1)


def _status_with_receipt(app: App, work_id: str, licensee: str, use: str, territory: str | None, at: str | None,
                         receipt_file: Path, as_json: bool) -> None:
    """The answer of one block, written down as a receipt (ledger.domain.receipts)."""
    from ledger.domain.receipts import make_receipt, write_receipt

    if receipt_file.exists() and receipt_file.is_dir():
        raise InputError(f"{receipt_file} is a directory", hint="name a file for the receipt")
    ledger = app.ledger()
    r = make_receipt(ledger, parse_work_id(work_id), app.resolve(licensee, "licensee"), use, territory, at)
    write_receipt(r, receipt_file)
    a, q = r["answer"], r["question"]
    if as_json:
        emit_json({**{"work": q["work"], "licensee": q["licensee"], "use": q["use"], "territory": q["territory"],
                      "at": q["at"], "covered": a["covered"], "grant": a["grant"], "licenceId": a["licenceId"],
                      "reason": a["reason"]}, "receipt": str(receipt_file), "block": r["block"]["number"]})
    else:
        c = Coverage(q["work"], q["licensee"], q["use"], q["territory"], q["at"], a["covered"], a["grant"],
                     a["licenceId"], a["reason"])
        out_console.print(_coverage_line(c))
        out_console.print(f"receipt written to {receipt_file} (block {r['block']['number']}, "
                          f"{len(r['events'])} events, {'with' if r['proofs'] else 'without'} storage proofs)")
    sys.exit(0 if a["covered"] else 1)


@licence.command("verify-receipt")
@click.argument("receipt_file", type=click.Path(path_type=Path))
@click.option("--rpc", "rpc_url", help="Check against this node (any node of the network; default: the "
                                       "configured one).")
@json_option
@click.pass_obj
def verify_receipt_cmd(app: App, receipt_file: Path, rpc_url: str | None, as_json: bool) -> None:
    """Check a coverage receipt: block header and hash, storage proofs against the state root, the
    call's question and answer, and the events in their transactions (docs/VERIFYING.md).

    Exit 0 when it verifies, 1 when anything differs (each problem listed), 2 when it cannot be
    checked (unreadable file, node down)."""
    from ledger.core.errors import ChainUnavailable
    from ledger.domain.receipts import ReceiptError, load_receipt, verify_receipt

    try:
        receipt = load_receipt(receipt_file)
    except ReceiptError as exc:
        raise InputError(str(exc), hint="pass a file written by `licence status ... --receipt FILE`") from None
    url = rpc_url or app.settings.network.rpc_url
    steps: list[str] = []
    lenses = None  # the lens must be this network's (its deployment record), not only the receipt's word
    try:
        from ledger.core.deployments import load_deployment

        dep = load_deployment(app.settings.deployments_file, app.settings.network.name)
        # only for the configured node: another --rpc may be another chain with the same id (local anvils)
        network = receipt.get("network")  # not checked yet: verify_receipt reads the fields below
        same_chain = isinstance(network, dict) and dep.chain_id == int(network.get("chainId", -1))
        if url == app.settings.network.rpc_url and same_chain:
            lenses = dep.versions("CoverageLens")
    except (LedgerError, ValueError, TypeError):
        lenses = None
    try:
        problems = verify_receipt(receipt, url, log=steps.append, lenses=lenses)
    except ReceiptError as exc:
        if "did not answer" in str(exc):
            raise ChainUnavailable(str(exc),
                                   hint="start the node (`rights-ledger node start`) or pass --rpc URL") from None
        raise InputError(str(exc)) from None
    answer = receipt.get("answer", {})
    if as_json:
        emit_json({"ok": not problems, "problems": problems, "steps": steps, "block": receipt["block"]["number"],
                   "answer": answer})
    else:
        for line in steps:
            out_console.print(f"  {line}")
        for p in problems:
            out_console.print(styled("  [red]problem:[/red] {}", p), markup=True)
        verdict = "covered" if answer.get("covered") else "not covered"
        if problems:
            out_console.print(f"[red]the receipt does not verify[/red] ({len(problems)} problems)", markup=True)
        else:
            out_console.print(styled("[green]verified[/green]: {} at block {} ({})", verdict,
                                     receipt['block']['number'], receipt['block']['hash']), markup=True)
    sys.exit(1 if problems else 0)


@licence.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--licensee", required=True, help="The licensee asking (address or account name).")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write the JSON lines here (default stdout).")
@click.pass_obj
def check(app: App, file: Path, licensee: str, out_file: Path | None) -> None:
    """Check a file of questions (CSV header work,use,territory,at, or JSON lines): one JSON line each."""
    lic = _licensing(app)
    who = app.resolve(licensee, "licensee")
    t0 = time.perf_counter()
    idx = lic.index()
    t1 = time.perf_counter()
    out = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout
    n = covered = 0
    try:
        for c in lic.check_many(read_pairs(file), licensee=who, index=idx):
            out.write(json.dumps(c.as_json(), separators=(",", ":")) + "\n")
            n += 1
            covered += c.covered
    finally:
        if out_file:
            out.close()
    t2 = time.perf_counter()
    rate = n / (t2 - t1) if t2 > t1 else 0.0
    err_console.print(f"[dim]{n} checks, {covered} covered; index {t1 - t0:.2f}s, checks {t2 - t1:.2f}s "
                      f"({rate:,.0f}/s)[/dim]", markup=True)


# --- mandate ------------------------------------------------------------------------------


@cli.group()
def mandate() -> None:
    """As a holder: mandate works to a CMO, or withdraw a mandate."""


@mandate.command("add")
@click.argument("work_id")
@click.option("--cmo", required=True, help="The CMO (address or account name).")
@click.option("--use", "uses", multiple=True, required=True, type=use_choice, help="A mandated use (repeatable).")
@json_option
@click.pass_obj
def mandate_add(app: App, work_id: str, cmo: str, uses: tuple[str, ...], as_json: bool) -> None:
    """Mandate a confirmed work to a CMO for the given uses."""
    wid = parse_work_id(work_id)
    who = app.resolve(cmo, "CMO")
    _write_json(as_json, f"mandated {wid} to {who} for {', '.join(uses)}",
                _licensing(app, signer=True).mandate(wid, who, list(uses)), workId=wid, cmo=who, uses=list(uses))


@mandate.command("withdraw")
@click.argument("work_id")
@click.option("--cmo", required=True, help="The CMO (address or account name).")
@click.option("--from", "effective", help="Effective from: YYYY-MM-DD, ISO time or unix seconds (default now).")
@json_option
@click.pass_obj
def mandate_withdraw(app: App, work_id: str, cmo: str, effective: str | None, as_json: bool) -> None:
    """Withdraw a work's mandate to a CMO, from now or a later date."""
    wid = parse_work_id(work_id)
    who = app.resolve(cmo, "CMO")
    _write_json(as_json, f"withdrew the mandate of {wid} to {who}",
                _licensing(app, signer=True).withdraw_mandate(wid, who, effective), workId=wid, cmo=who)


@mandate.command("show")
@click.argument("work_id")
@click.option("--cmo", required=True, help="The CMO (address or account name).")
@json_option
@click.pass_obj
def mandate_show(app: App, work_id: str, cmo: str, as_json: bool) -> None:
    """Show a work's mandate to a CMO."""
    wid = parse_work_id(work_id)
    m = _licensing(app).mandate_of(wid, app.resolve(cmo, "CMO"))
    if as_json:
        emit_json({"workId": wid, **m})
    elif not m["uses"]:
        out_console.print("no mandate")
    else:
        out_console.print(f"uses {', '.join(m['uses'])}; from {when(m['from'])} until "
                          f"{when(m['until']) if m['until'] else 'withdrawn'}")


# --- tariff -------------------------------------------------------------------------------


@cli.group()
def tariff() -> None:
    """Statutory licence tariffs (set by the governor)."""


@tariff.command("set")
@click.option("--use", required=True, type=use_choice, help="The use the statutory licence covers.")
@click.option("--amount", required=True, type=params.FEE, help="Amount per work used per period, smallest unit.")
@click.option("--period", default="30d", show_default=True, help="Period: seconds, or Nd / Nh.")
@click.option("--from", "valid_from", help="Valid from (default now).")
@click.option("--until", "valid_until", help="Valid until (default no end).")
@json_option
@click.pass_obj
def tariff_set(app: App, use: str, amount: int, period: str, valid_from: str | None, valid_until: str | None,
               as_json: bool) -> None:
    """As the governor: set the statutory tariff of a use."""
    seconds = _period(period)
    _write_json(as_json, f"tariff for {use}: {amount} per work per {seconds}s",
                _licensing(app, signer=True).set_tariff(use, amount, seconds, valid_from, valid_until),
                use=use, amountPerWork=amount, period=seconds)


@tariff.command("show")
@click.option("--use", required=True, type=use_choice, help="The use.")
@click.option("--at", "at", metavar="TIME",
              help="Show the version in force at TIME (YYYY-MM-DD, ISO timestamp or unix seconds), read from "
                   "every contract version; default: the latest version.")
@json_option
@click.pass_obj
def tariff_show(app: App, use: str, at: str | None, as_json: bool) -> None:
    """Show the statutory tariff of a use: its latest version, or with --at the version in force
    at a past (or future) time (SPECIFICATION TR5). Exit 0 with an answer (also "none"), 2 on an
    error."""
    if at is None:
        t = _licensing(app).tariff_of(use)
        if as_json:
            emit_json(t)
        elif t is None:
            out_console.print(f"no tariff for {use}")
        else:
            out_console.print(f"{use}: {t['amountPerWork']} per work per {t['period']}s, from {when(t['validFrom'])} "
                              f"until {when(t['validUntil']) if t['validUntil'] else 'no end'}")
        return
    moment = parse_time(at)
    if not moment:
        raise InputError(f"--at {at!r} is not a time", hint="YYYY-MM-DD, an ISO timestamp or unix seconds")
    t = _licensing(app).tariff_at(use, moment)
    in_force = t is not None and (t["validUntil"] is None or moment < t["validUntil"])
    if as_json:
        emit_json({"use": use, "at": moment, "inForce": in_force, "version": t})
    elif t is None:
        out_console.print(f"no tariff for {use} at {when(moment)}")
    else:
        state = "in force" if in_force else f"not in force (that version ended {when(t['validUntil'])})"
        out_console.print(f"{use} at {when(moment)}: {t['amountPerWork']} per work per {t['period']}s, {state}; "
                          f"version from {when(t['validFrom'])} until "
                          f"{when(t['validUntil']) if t['validUntil'] else 'no end'}")


def _period(text: str) -> int:
    t = text.strip().lower()
    unit = {"d": 86400, "h": 3600}.get(t[-1:], 1)
    try:
        n = parse_uint(t[:-1] if unit > 1 else t, "tariff period", bits=32)
    except InputError:
        raise InputError(f"period {text!r} is not seconds, Nd or Nh") from None
    if not 0 < n * unit < 1 << 32:
        raise InputError(f"tariff period {text!r} is out of range (1 second .. 136 years)")
    return n * unit
