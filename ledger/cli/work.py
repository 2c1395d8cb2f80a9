"""``rights-ledger work``: register, confirm, reject, transfer and show works."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, json_option, out_console
from ledger.cli.render import print_work, work_json
from ledger.cli.verify import checked_metadata
from ledger.content.metadata import CREATOR_ROLES, CreationMode, WorkType, build_work_metadata, validate_work_metadata
from ledger.core.errors import InputError
from ledger.core.inputs import read_json
from ledger.core.parsing import parse_date
from ledger.core.types import USES
from ledger.domain.works import parse_holders, parse_work_id, sha256_of_file


@cli.group()
def work() -> None:
    """Register works and manage their ownership."""


def _creators(specs: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for spec in specs:
        name, _, role = spec.rpartition(":") if ":" in spec else (spec, "", "author")
        name, role = name.strip(), (role.strip() or "author")
        if role not in CREATOR_ROLES:
            raise InputError(f"creator {spec!r}: role {role!r} is not one of {', '.join(CREATOR_ROLES)}")
        out.append({"name": name, "role": role})
    return out


def _load_metadata_file(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = read_json(path, what="metadata file", limit=1 << 20)
    return doc


@work.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", help="Title of the work.")
@click.option("--creator", "creators", multiple=True, help="Creator as NAME or NAME:ROLE (repeatable).")
@click.option("--type", "work_type", default="text", show_default=True,
              type=click.Choice([t.label for t in WorkType]), help="Kind of work.")
@click.option("--creation", default="human", show_default=True,
              type=click.Choice([m.label for m in CreationMode]), help="How the work was made.")
@click.option("--model", "models", multiple=True, help="AI model used, NAME or NAME@VERSION (AI works).")
@click.option("--tool", "tools", multiple=True, help="AI tool used (AI works).")
@click.option("--holder", "holders", multiple=True, help="Holder as ADDRESS:BPS (repeatable; default: you, 10000).")
@click.option("--identifier", "identifiers", multiple=True, help="KIND=VALUE, e.g. isrc=CNA012300001.")
@click.option("--date", "creation_date", help="Creation date, YYYY-MM-DD.")
@click.option("--metadata", "metadata_file", type=click.Path(path_type=Path),
              help="A complete metadata JSON document instead of the options above.")
@json_option
@click.pass_obj
def register(app: App, file: Path, title: str | None, creators: tuple[str, ...], work_type: str, creation: str,
             models: tuple[str, ...], tools: tuple[str, ...], holders: tuple[str, ...],
             identifiers: tuple[str, ...], creation_date: str | None, metadata_file: Path | None,
             as_json: bool) -> None:
    """Register FILE as a work (PENDING until a registrar confirms it)."""
    content_hash = sha256_of_file(file)
    if metadata_file:
        doc = _load_metadata_file(metadata_file)
        if doc.get("contentSha256") != content_hash:
            raise InputError(f"{metadata_file}: contentSha256 does not match {file} ({content_hash})")
        validate_work_metadata(doc)
    else:
        if not title:
            raise InputError("a title is required", hint="pass --title TEXT (or --metadata FILE)")
        if not creators:
            raise InputError("at least one creator is required", hint="pass --creator NAME[:ROLE]")
        ai = None
        if creation != "human":
            ai = {"models": [dict(zip(("name", "version"), m.split("@", 1), strict=False)) for m in models],
                  "tools": list(tools)}
        ids = {}
        for item in identifiers:
            k, sep, v = item.partition("=")
            if not sep:
                raise InputError(f"identifier {item!r} must be KIND=VALUE")
            ids[k.strip().lower()] = v.strip()
        doc = build_work_metadata(title=title, creators=_creators(creators), work_type=work_type,
                                  content_sha256=content_hash, creation_mode=creation, ai_declaration=ai,
                                  identifiers=ids or None, creation_date=creation_date)
    if isinstance(doc.get("creationDate"), str):  # a real day (the schema checked) not in the future
        parse_date(doc["creationDate"], "metadata.creationDate", not_future=True)
    ledger = app.ledger(signer=True)
    holder_list = parse_holders(tuple(app.resolve(h.rsplit(":", 1)[0]) + ":" + h.rsplit(":", 1)[1]
                                      if ":" in h else h for h in holders), default=ledger.require_signer().address)
    r = ledger.register_work(doc, holder_list)
    if as_json:
        emit_json({"workId": r.work_id, "metadataCid": r.metadata_cid, "tx": r.tx_hash, "block": r.block,
                   "gasUsed": r.gas_used, "status": "PENDING"})
    else:
        out_console.print(f"registered work {r.work_id}")
        out_console.print(f"  metadata {r.metadata_cid}, tx {r.tx_hash}; PENDING until a registrar confirms it")


def _simple_write(as_json: bool, what: str, work_id: str, result: Any, **extra: Any) -> None:
    if as_json:
        emit_json({"workId": work_id, "tx": result.tx_hash, "block": result.block, **extra})
    else:
        out_console.print(f"{what} work {work_id} (tx {result.tx_hash})")


@work.command()
@click.argument("work_id")
@json_option
@click.pass_obj
def confirm(app: App, work_id: str, as_json: bool) -> None:
    """As a registrar: confirm the ownership of a PENDING work."""
    wid = parse_work_id(work_id)
    _simple_write(as_json, "confirmed", wid, app.ledger(signer=True).confirm_work(wid), status="CONFIRMED")


@work.command()
@click.argument("work_id")
@click.option("--reason", required=True, help="Why the registration is rejected (stored as a document).")
@click.option("--code", default=1, show_default=True, type=params.REASON_CODE, help="Reason code.")
@json_option
@click.pass_obj
def reject(app: App, work_id: str, reason: str, code: int, as_json: bool) -> None:
    """As a registrar: reject a PENDING work, with a reason."""
    wid = parse_work_id(work_id)
    r, cid = app.ledger(signer=True).reject_work(wid, reason, code)
    _simple_write(as_json, "rejected", wid, r, status="REJECTED", reasonCid=cid)


@work.command()
@click.argument("work_id")
@click.option("--to", "to", required=True, help="New holder: address or account name.")
@click.option("--bps", required=True, type=params.BPS, help="Share to transfer, in basis points (10000 = all).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_obj
def transfer(app: App, work_id: str, to: str, bps: int, yes: bool, as_json: bool) -> None:
    """Transfer BPS of your share of a confirmed work to another holder."""
    wid = parse_work_id(work_id)
    address = app.resolve(to)
    if not yes and not as_json:
        click.confirm(f"Transfer {bps / 100:.2f}% of work {wid} to {address}?", abort=True)
    _simple_write(as_json, "transferred share of", wid, app.ledger(signer=True).transfer_share(wid, address, bps))


@work.command()
@click.argument("work_id")
@click.option("--from", "sender", required=True, help="The co-owner who will transfer (address or name).")
@click.option("--to", "to", required=True, help="The receiver (address or name).")
@click.option("--bps", required=True, type=params.BPS, help="Share to be transferred.")
@json_option
@click.pass_obj
def consent(app: App, work_id: str, sender: str, to: str, bps: int, as_json: bool) -> None:
    """As a co-owner: consent to another co-owner's transfer of a share."""
    wid = parse_work_id(work_id)
    ledger = app.ledger(signer=True)
    action = ledger.transfer_action_hash(wid, app.resolve(sender), app.resolve(to), bps)
    _simple_write(as_json, "consented to a transfer of", wid, ledger.consent(wid, action), action=action)


@work.command()
@click.argument("work_id")
@click.option("--add", "add", multiple=True, help="Use to reserve, e.g. ai-training (repeatable).")
@click.option("--use", "add_alias", multiple=True, hidden=True, help="Same as --add.")
@click.option("--remove", "remove", multiple=True, help="Use whose reservation to lift (repeatable).")
@click.option("--clear", is_flag=True, help="Lift every reservation.")
@json_option
@click.pass_obj
def reserve(app: App, work_id: str, add: tuple[str, ...], add_alias: tuple[str, ...], remove: tuple[str, ...],
            clear: bool, as_json: bool) -> None:
    """As a holder: reserve uses (opt out of blanket and statutory licences), e.g. ai-training.

    Reservations are a set: --add puts uses in it, --remove takes them out, --clear empties it;
    the uses already reserved stay unless removed. The resulting set is printed.
    """
    wid = parse_work_id(work_id)
    add = add + add_alias
    if not add and not remove and not clear:
        raise InputError("name a use with --add (e.g. --add ai-training), --remove, or pass --clear")
    for use in (*add, *remove):
        if use not in USES:
            raise InputError(f"unknown use {use!r}", hint=f"one of {', '.join(USES)}")
    both = sorted(set(add) & set(remove))
    if both:
        raise InputError(f"{', '.join(both)} is both added and removed: name each use once")
    ledger = app.ledger(signer=True)
    current = set(ledger.work(wid).reserved_uses)
    wanted = set() if clear else current
    wanted = (wanted | set(add)) - set(remove)
    ordered = [u for u in USES if u in wanted]
    if wanted == current:
        if as_json:
            emit_json({"workId": wid, "reservedUses": ordered, "unchanged": True})
        else:
            out_console.print(f"reservations on {wid} unchanged: {', '.join(ordered) or 'none'}")
        return
    _simple_write(as_json, "set reservations on", wid, ledger.reserve_uses(wid, ordered), reservedUses=ordered)
    if not as_json:
        out_console.print(f"reserved now: {', '.join(ordered) or 'none'}")


@work.command()
@click.argument("work_id")
@json_option
@click.pass_obj
def show(app: App, work_id: str, as_json: bool) -> None:
    """Show a work: status, holders, times, metadata (verified against its CID) and history.

    Exit 1 when the metadata is missing or does not match its CID or the work, 2 when the store fails.
    """
    wid = parse_work_id(work_id)
    ledger = app.ledger()
    rec = ledger.work(wid)
    metadata, note, code = checked_metadata(ledger, rec)
    if as_json:
        emit_json({**work_json(rec, metadata), "metadataError": note})
    else:
        print_work(rec, metadata, note)
    if code:
        sys.exit(code)  # 1: the metadata blob is missing or does not match (integrity), 2: the store failed
