"""``rights-ledger usage`` and ``rights-ledger royalty``: usage reports, payments, distributions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, fail, json_option, out_console, phase_progress, styled
from ledger.cli.render import when
from ledger.core.errors import ContentNotFound, InputError, LedgerError, StoreUnavailable
from ledger.domain.royalties import Royalties
from ledger.domain.usage import KIND_NAMES, Usage, UsageRefused, check_period
from ledger.domain.works import parse_work_id


def _cmo(app: App, ledger: Any, value: str | None) -> str:
    """--cmo NAME|ADDRESS, else the signer if it is a CMO, else the only CMO."""
    if value:
        return app.resolve(value, "CMO")
    if ledger.signer is not None and "CMO" in ledger.roles_of(ledger.signer.address):
        return str(ledger.signer.address)
    members = ledger.members("CMO")
    if len(members) == 1:
        return str(members[0])
    raise InputError("name the CMO whose pool this is", hint="pass --cmo NAME|ADDRESS")


cmo_option = click.option("--cmo", "cmo", default=None, help="The CMO's pool (name or address; default: the only CMO).")
period_option = click.option("--period", "period", required=True, type=params.PERIOD,
                             help="The month, YYYYMM, e.g. 202501.")


@cli.group()
def usage() -> None:
    """Report usage of works: single lines or usage report files (CSV / JSON lines)."""


@usage.command("record")
@click.argument("work_id")
@click.option("--use", "use", required=True, help="Kind of use, e.g. perform, ai-training.")
@click.option("--quantity", default=1, show_default=True, type=params.QUANTITY, help="Number of uses.")
@click.option("--at", "used_at", default="now", show_default=True, help="When: YYYY-MM-DD, ISO time or unix seconds.")
@click.option("--basis", default=None, help="'statutory' or the licence id you rely on (informative).")
@click.option("--territory", default=None, help="ISO 3166 alpha-2 code of the use.")
@click.option("--amount", default=None, type=params.uint(128, "amount"),
              help="Amount owed, if not the licence rate x quantity.")
@cmo_option
@period_option
@json_option
@click.pass_obj
def usage_record(app: App, work_id: str, use: str, quantity: int, used_at: str, basis: str | None,
                 territory: str | None, amount: int | None, cmo: str | None, period: int, as_json: bool) -> None:
    """As a licensee: record one use of WORK_ID (checked for coverage first)."""
    ledger = app.ledger(signer=True)
    # "now" is the chain's time (its latest block), as for every other --at: the host's clock can be
    # behind a chain whose time was moved on, and then a tariff set a moment ago read as not yet valid
    at = int(ledger.chain.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16) \
        if used_at == "now" else used_at
    r = Usage(ledger).record(parse_work_id(work_id), use, quantity, at, _cmo(app, ledger, cmo), period,
                             basis=basis, territory=territory, amount=amount)
    line = r.lines[0]
    if as_json:
        emit_json({"reportId": r.report_id, "line": line.as_json(), "root": r.root, "tx": r.tx_hash,
                   "block": r.block, "gasUsed": r.gas_used})
    else:
        out_console.print(f"recorded usage {r.report_id}: {quantity} x {use} of {line.work_id[:18]}... "
                          f"under {KIND_NAMES[line.kind]}{' ' + str(line.licence_id) if line.licence_id else ''}, "
                          f"owing {line.owed} (tx {r.tx_hash[:18]}..., {r.gas_used} gas)")


@usage.command("report")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--from-clearance", "clearance", type=click.Path(path_type=Path), default=None,
              help="Instead of FILE: the covered items of a signed clearance report owed to --cmo.")
@cmo_option
@period_option
@click.option("--dry-run", is_flag=True, help="Check every line and compute the root; store and send nothing.")
@click.option("--format", "fmt", type=click.Choice(["usage", "dsr"]), default="usage", show_default=True,
              help="usage: the project's CSV/JSON lines; dsr: a DDEX DSR flat file (see README).")
@click.option("--min-match", default=100.0, show_default=True, type=click.FloatRange(0, 100),
              help="DSR: refuse the report when fewer than this percent of its usage lines match a work.")
@click.option("--use", "dsr_use", default=None, help="DSR: the ledger use for every line (default: from UseType).")
@json_option
@click.pass_obj
def usage_report(app: App, file: Path | None, clearance: Path | None, cmo: str | None, period: int, dry_run: bool,
                 fmt: str, min_match: float, dsr_use: str | None, as_json: bool) -> None:
    """As a licensee: record a usage report FILE (CSV with header, or JSON lines).

    Every line is validated and checked for coverage before anything is stored or sent;
    one refused line refuses the report and every refused line is listed.
    """
    ledger = app.ledger(signer=True)
    u = Usage(ledger)
    try:
        with phase_progress(as_json) as progress:
            if (file is None) == (clearance is None):
                raise InputError("give a usage report FILE or --from-clearance REPORT (one of them)")
            if clearance is not None:
                from ledger.cli.clearance import usage_from_clearance

                prepared, matching = usage_from_clearance(app, ledger, clearance, _cmo(app, ledger, cmo), period), None
            elif fmt == "dsr":
                from ledger.cli.formats import prepare_dsr

                prepared, matching = prepare_dsr(u, file, _cmo(app, ledger, cmo), period, min_match, dsr_use,
                                                 as_json, progress)
            else:
                prepared, matching = u.prepare_file(file, _cmo(app, ledger, cmo), period, progress=progress), None
            result = None if dry_run else u.record_prepared(prepared)
    except UsageRefused as exc:
        if as_json:
            emit_json({"recorded": False, "refused": [r.as_json() for r in exc.refusals], "lines": exc.total})
        else:  # the list goes to stdout: stderr keeps the one error line (and its hint)
            for r in exc.refusals[:50]:
                out_console.print(f"  refused {r.where or 'line ' + str(r.line_no)}: {r.reason}"
                                  + (f" ({r.work_id})" if r.work_id else ""), soft_wrap=True,
                                  highlight=False)
            if len(exc.refusals) > 50:
                out_console.print(f"  ... and {len(exc.refusals) - 50} more (see --json for every line)",
                                  soft_wrap=True)
        raise
    t = prepared.totals
    doc: dict[str, Any] = {"recorded": result is not None, "root": prepared.root, "lines": t.line_count,
                           "quantity": t.quantity, "owed": str(t.owed), "period": period, "cmo": prepared.cmo}
    if matching is not None:
        doc["dsr"] = matching
    if result:
        doc.update(reportId=result.report_id, cid=result.cid, tx=result.tx_hash, block=result.block,
                   gasUsed=result.gas_used, alreadyRecorded=result.already_recorded)
    if as_json:
        emit_json(doc)
    elif result and result.already_recorded:
        out_console.print(f"this report was recorded before as usage report {result.report_id} "
                          f"(tx {result.tx_hash}); nothing was sent again")
    elif result:
        out_console.print(f"recorded usage report {result.report_id}: {t.line_count} lines, {t.quantity} uses, "
                          f"owing {t.owed}")
        out_console.print(f"  root {result.root}, file {result.cid}, tx {result.tx_hash[:18]}..., "
                          f"{result.gas_used} gas")
    else:
        out_console.print(f"dry run: {t.line_count} lines accepted, root {prepared.root}, owing {t.owed}")


@usage.command("show")
@click.argument("report_id", required=False, type=params.REPORT_ID)
@click.option("--period", "period", default=None, type=params.PERIOD, help="Only this period.")
@json_option
@click.pass_obj
def usage_show(app: App, report_id: int | None, period: int | None, as_json: bool) -> None:
    """Show one usage report, or list them (optionally for one period)."""
    u = Usage(app.ledger())
    views = [u.report(report_id)] if report_id is not None else u.reports(period=period)

    def as_doc(v: Any) -> dict[str, Any]:
        return {"reportId": v.report_id, "licensee": v.licensee, "cmo": v.cmo, "period": v.period, "root": v.root,
                "lines": v.totals.line_count, "quantity": v.totals.quantity, "owed": str(v.totals.owed),
                "cid": v.cid, "line": v.line.as_json() if v.line else None, "block": v.block, "tx": v.tx_hash}

    if as_json:
        emit_json(as_doc(views[0]) if report_id is not None else [as_doc(v) for v in views])
        return
    if not views:
        out_console.print("no usage recorded")
    for v in views:
        what = f"file {v.cid}" if v.cid else "single line"
        out_console.print(f"report {v.report_id}: period {v.period}, {v.totals.line_count} lines, "
                          f"{v.totals.quantity} uses, owes {v.totals.owed}; {what}; licensee {v.licensee}")


@usage.command("refuse")
@click.argument("report_id", type=params.REPORT_ID)
@click.option("--reason", required=True, help="Why the CMO refuses the report (recorded on-chain).")
@json_option
@click.pass_obj
def usage_refuse(app: App, report_id: int, reason: str, as_json: bool) -> None:
    """As the report's CMO, while its period is open: refuse a report (its lines no longer count)."""
    if not reason.strip():
        raise InputError("give the reason for refusing the report", hint='--reason "lines for works not mandated"')
    r = Royalties(app.ledger(signer=True)).refuse(report_id, reason.strip())
    if as_json:
        emit_json({"reportId": report_id, "refused": True, "reason": reason.strip(), "tx": r.tx_hash})
    else:
        out_console.print(f"refused report {report_id}: its lines leave the period (tx {r.tx_hash})")


@usage.command("prove")
@click.argument("report_id", type=params.REPORT_ID)
@click.argument("line", type=params.uint(32, "line"))
@json_option
@click.pass_obj
def usage_prove(app: App, report_id: int, line: int, as_json: bool) -> None:
    """Prove that LINE (0-based) belongs to usage report REPORT_ID; checked on-chain.

    Exit 1 when the contract refuses the proof or the stored report is missing or altered.
    """
    try:
        p = Usage(app.ledger()).prove(report_id, line)
    except ContentNotFound as exc:  # the report file the chain names is gone: an integrity failure
        fail(exc.message, exc.hint, code=1)
    if as_json:
        emit_json({"reportId": p.report_id, "line": p.line.as_json(), "proof": list(p.proof), "root": p.root,
                   "verifiedOnChain": p.verified_on_chain})
    else:
        d = p.line.as_json()
        licence = f"licence #{d['licenceId']} ({d['basis']})" if d["licenceId"] else str(d["basis"])
        out_console.print(f"line {line} (counted from 0) of report {report_id}: {d['quantity']} x {d['use']} of work "
                          f"{d['work']} at {when(int(d['usedAt']))} under {licence}, owing {d['owed']} token units")
        hashes = "hash" if len(p.proof) == 1 else "hashes"
        out_console.print(f"  a proof of {len(p.proof)} {hashes} to root {p.root}: "
                          + ("[green]verified on-chain[/green]" if p.verified_on_chain else "[red]NOT verified[/red]"),
                          markup=True)
    if not p.verified_on_chain:  # a mismatch: exit 1
        sys.exit(1)


@cli.group()
def royalty() -> None:
    """Pay into a CMO's pool, distribute a period, verify it, claim."""


@royalty.command("pay")
@click.argument("amount", type=params.AMOUNT)
@cmo_option
@period_option
@json_option
@click.pass_obj
def royalty_pay(app: App, amount: int, cmo: str | None, period: int, as_json: bool) -> None:
    """As a licensee: pay AMOUNT (token units) into the CMO's pool for a period."""
    ledger = app.ledger(signer=True)
    roy = Royalties(ledger)
    pool = _cmo(app, ledger, cmo)
    r = roy.pay(pool, period, amount)
    bal = roy.account(pool, period, ledger.require_signer().address)
    if as_json:
        emit_json({"paid": str(amount), "period": period, "cmo": pool, "owed": str(bal.owed),
                   "paidTotal": str(bal.paid), "outstanding": str(bal.outstanding), "tx": r.tx_hash,
                   "gasUsed": r.gas_used})
    else:
        out_console.print(f"paid {amount} into {pool}'s pool for period {period}: "
                          f"owed {bal.owed}, paid {bal.paid}, outstanding {bal.outstanding}")


@royalty.command("distribute")
@period_option
@json_option
@click.pass_obj
def royalty_distribute(app: App, period: int, as_json: bool) -> None:
    """As the CMO: close the period, compute its distribution from usage, publish it."""
    roy = Royalties(app.ledger(signer=True))
    with phase_progress(as_json) as progress:
        dist, r, cid = roy.distribute(check_period(period), progress=progress)
    doc = {"period": period, "root": dist.root, "cid": cid, "paidIn": str(dist.paid_in),
           "commission": str(dist.commission), "total": str(dist.total), "residue": str(dist.residue),
           "holders": len(dist.claims), "tx": r.tx_hash, "gasUsed": r.gas_used}
    if as_json:
        emit_json(doc)
    else:
        out_console.print(f"published period {period}: {dist.paid_in} paid in, commission {dist.commission}, "
                          f"{dist.total} to {len(dist.claims)} holders, residue {dist.residue} stays in the pool")
        out_console.print(f"  root {dist.root}, file {cid}")


@royalty.command("verify")
@cmo_option
@period_option
@json_option
@click.pass_obj
def royalty_verify(app: App, cmo: str | None, period: int, as_json: bool) -> None:
    """Recompute a period's distribution from recorded usage and check the published file and root.

    Exit 0 when it verifies, 1 when anything differs (each problem listed), 2 on error.
    """
    ledger = app.ledger()
    with phase_progress(as_json) as progress:
        v = Royalties(ledger).verify(_cmo(app, ledger, cmo), period, progress=progress)
    if as_json:
        emit_json(v)
    else:
        out_console.print(f"period {period}: {v.reports} reports, {v.lines} lines; recomputed root "
                          f"{v.recomputed_root}, on-chain {v.published_root}")
        for p in v.problems:
            out_console.print(styled("  [red]problem:[/red] {}", p), markup=True)
        if v.ok:
            out_console.print(f"  [green]verified[/green]: total {v.total}, commission {v.commission}, "
                              f"residue {v.residue}", markup=True)
    if not v.ok:  # a mismatch, not an error: exit 1 with the problems (as `audit replay` does)
        if not as_json:
            out_console.print(f"[red]the distribution of period {period} does not verify[/red] "
                              f"({len(v.problems)} problems)", markup=True)
        sys.exit(1)


@royalty.command("claim")
@cmo_option
@period_option
@json_option
@click.pass_obj
def royalty_claim(app: App, cmo: str | None, period: int, as_json: bool) -> None:
    """As a holder: claim your amount of a distributed period."""
    ledger = app.ledger(signer=True)
    r, amount = Royalties(ledger).claim(_cmo(app, ledger, cmo), period)
    if as_json:
        emit_json({"claimed": str(amount), "period": period, "tx": r.tx_hash, "gasUsed": r.gas_used})
    else:
        out_console.print(f"claimed {amount} from period {period} (tx {r.tx_hash[:18]}..., {r.gas_used} gas)")


@royalty.command("sweep")
@period_option
@json_option
@click.pass_obj
def royalty_sweep(app: App, period: int, as_json: bool) -> None:
    """As the CMO, after the claim window: move what holders left unclaimed into the next period."""
    ledger = app.ledger(signer=True)
    roy = Royalties(ledger)
    r = roy.sweep(period)
    carry = roy.carry_of(ledger.require_signer().address)
    if as_json:
        emit_json({"period": period, "swept": True, "carry": str(carry), "tx": r.tx_hash})
    else:
        out_console.print(f"swept the unclaimed rest of period {period}; carried into the next period: {carry} units "
                          f"(tx {r.tx_hash})")


@royalty.command("balance")
@click.argument("account", required=False)
@click.option("--period", "period", default=None, type=params.PERIOD, help="Only this period.")
@json_option
@click.pass_obj
def royalty_balance(app: App, account: str | None, period: int | None, as_json: bool) -> None:
    """Token balance, what ACCOUNT owes and paid per period, and what it can claim."""
    ledger = app.ledger()
    who = app.resolve(account) if account else (app.keystore.address_of(app.account) if app.account else None)
    if who is None:
        raise InputError("name the account", hint="rights-ledger royalty balance NAME|ADDRESS, or --as NAME")
    roy = Royalties(ledger)
    rows = []
    for pool, p in roy.periods():
        if period is not None and p != period:
            continue
        bal = roy.account(pool, p, who)
        view = roy.pool(pool, p)
        claimable, claimed, error = 0, False, None
        if view.state == "DISTRIBUTED":
            try:
                info = roy.claimable(pool, p, who)
                claimable, claimed = info.amount, info.claimed
            except StoreUnavailable:
                raise
            except LedgerError as exc:  # one CMO's lost or malformed file: that period's row says so
                error = exc.message
        if bal.owed or bal.paid or claimable or error:
            rows.append({"cmo": pool, "period": p, "state": view.state, "owed": str(bal.owed), "paid": str(bal.paid),
                         "outstanding": str(bal.outstanding), "claimable": str(claimable), "claimed": claimed,
                         "claimError": error})
    doc = {"account": who, "token": roy.token_address, "balance": str(roy.token_balance(who)), "periods": rows}
    if as_json:
        emit_json(doc)
        return
    out_console.print(f"{who}: {doc['balance']} settlement token units")
    for r in rows:
        claim = (f"claimable unknown ({r['claimError']})" if r["claimError"] else
                 f"claimable {r['claimable']}{' (claimed)' if r['claimed'] else ''}")
        out_console.print(f"  period {r['period']} ({r['state']}): owed {r['owed']}, paid {r['paid']}, {claim}")
