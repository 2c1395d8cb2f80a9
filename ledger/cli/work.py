"""``rights-ledger work``: register, confirm, reject, transfer and show works."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, err_console, json_option, out_console, styled
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
@click.option("--from-c2pa", is_flag=True, help="Propose creation mode, models and ingredients from FILE's "
              "embedded C2PA manifest (shown with its signature status; asks before using them).")
@click.option("--yes", is_flag=True, help="With --from-c2pa: accept the proposal without asking.")
@json_option
@click.pass_obj
def register(app: App, file: Path, title: str | None, creators: tuple[str, ...], work_type: str, creation: str,
             models: tuple[str, ...], tools: tuple[str, ...], holders: tuple[str, ...],
             identifiers: tuple[str, ...], creation_date: str | None, metadata_file: Path | None,
             from_c2pa: bool, yes: bool, as_json: bool) -> None:
    """Register FILE as a work (PENDING until a registrar confirms it)."""
    c2pa_note = None
    if from_c2pa:
        from ledger.cli.formats import c2pa_proposal

        creation, models, tools, c2pa_note = c2pa_proposal(file, creation, models, tools, yes, as_json)
    content_hash = sha256_of_file(file)
    from ledger.content.iscc import file_code

    code, no_code = file_code(file)  # ISCC similarity fingerprint (issue 18), stored in the metadata
    if metadata_file:
        doc = _load_metadata_file(metadata_file)
        if doc.get("contentSha256") != content_hash:
            raise InputError(f"{metadata_file}: contentSha256 does not match {file} ({content_hash})")
        if code is not None and "contentCode" not in doc:
            doc["contentCode"] = code.as_json()
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
            if c2pa_note:
                ai["description"] = c2pa_note
        ids = {}
        for item in identifiers:
            k, sep, v = item.partition("=")
            if not sep:
                raise InputError(f"identifier {item!r} must be KIND=VALUE")
            ids[k.strip().lower()] = v.strip()
        doc = build_work_metadata(title=title, creators=_creators(creators), work_type=work_type,
                                  content_sha256=content_hash, creation_mode=creation, ai_declaration=ai,
                                  identifiers=ids or None, creation_date=creation_date,
                                  content_code=code.as_json() if code else None)
    if isinstance(doc.get("creationDate"), str):  # a real day (the schema checked) not in the future
        parse_date(doc["creationDate"], "metadata.creationDate", not_future=True)
    ledger = app.ledger(signer=True)
    holder_list = parse_holders(tuple(app.resolve(h.rsplit(":", 1)[0]) + ":" + h.rsplit(":", 1)[1]
                                      if ":" in h else h for h in holders), default=ledger.require_signer().address)
    r = ledger.register_work(doc, holder_list)
    if as_json:
        emit_json({"workId": r.work_id, "metadataCid": r.metadata_cid, "tx": r.tx_hash, "block": r.block,
                   "gasUsed": r.gas_used, "status": "PENDING", "contentCode": doc.get("contentCode"),
                   **({"contentCodeNote": no_code} if no_code else {})})
    else:
        out_console.print(f"registered work {r.work_id}")
        out_console.print(f"  metadata {r.metadata_cid}, tx {r.tx_hash}; PENDING until a registrar confirms it")
        if doc.get("contentCode"):
            out_console.print(f"  content code {doc['contentCode']['iscc']} ({doc['contentCode']['kind']})")
        elif no_code:
            out_console.print(f"  {no_code}")


def _simple_write(as_json: bool, what: str, work_id: str, result: Any, **extra: Any) -> None:
    if as_json:
        emit_json({"workId": work_id, "tx": result.tx_hash, "block": result.block, **extra})
    else:
        out_console.print(f"{what} work {work_id} (tx {result.tx_hash})")


@work.command()
@click.argument("work_id")
@click.option("--override", "override", metavar="REASON",
              help="Confirm although a confirmed work of other holders is a near-duplicate; REASON is recorded "
              "on-chain and shown on the work page and certificate.")
@click.option("--threshold", type=int, help="Similarity threshold in bits of 64 (default 12).")
@json_option
@click.pass_obj
def confirm(app: App, work_id: str, override: str | None, threshold: int | None, as_json: bool) -> None:
    """As a registrar: confirm the ownership of a PENDING work.

    First the work's ISCC content code is compared with the registered works (local index):
    when a CONFIRMED work held by others is within the threshold, the work is flagged
    on-chain as its near-duplicate and is confirmed only with --override REASON (the
    contract refuses a plain confirmation of a flagged work). Exit 1 when it was flagged
    and no override was given."""
    from ledger.domain.review import confirm_overriding, near_duplicate_check

    wid = parse_work_id(work_id)
    ledger = app.ledger(signer=True)
    if override is not None and not override.strip():
        raise InputError("--override needs a reason")
    check = near_duplicate_check(ledger, wid, _threshold(threshold))
    if check.flag is None:
        if override is not None:
            raise InputError(f"work {wid} is not flagged as a near-duplicate: nothing to override",
                             hint="confirm it without --override")
        _simple_write(as_json, "confirmed", wid, ledger.confirm_work(wid), status="CONFIRMED")
        return
    of, distance = check.flag
    if override is None:
        if as_json:
            emit_json({"workId": wid, "status": "PENDING", "nearDuplicateOf": of, "distance": distance,
                       "flagTx": check.flag_tx, "confirmed": False})
        else:
            how = f"flagged on-chain (tx {check.flag_tx})" if check.flag_tx else "it is flagged on-chain"
            out_console.print(f"work {wid} is a near-duplicate of confirmed work {of} (distance {distance}) "
                              f"held by others; {how}")
            out_console.print("  confirm with --override REASON, or reject with --code duplicate")
        sys.exit(1)
    r = confirm_overriding(ledger, wid, override.strip())
    _simple_write(as_json, "confirmed (near-duplicate overridden)", wid, r, status="CONFIRMED",
                  nearDuplicateOf=of, distance=distance, override=override.strip(), flagTx=check.flag_tx)


def _rejection_codes_help() -> str:
    from ledger.domain.review import REJECTION_CODES

    return "\n\n".join(f"{c.name} ({c.number}{', CWR ' + c.cwr if c.cwr else ''}): {c.meaning}"
                        for c in REJECTION_CODES)


class _RejectCommand(click.Command):
    """`work reject`, whose epilog (the rejection codes) is written when help is shown: building it
    imports the registrar's desk, which no other `work` command needs at start-up."""

    @property  # type: ignore[override]
    def epilog(self) -> str:
        return "Rejection codes (name, number on-chain, CWR acknowledgement status):\n\n" + _rejection_codes_help()

    @epilog.setter
    def epilog(self, value: str | None) -> None:
        pass


@work.command(cls=_RejectCommand)
@click.argument("work_id")
@click.option("--code", "code_name", required=True, metavar="NAME",
              help="A listed rejection code, by name (or its number): see below.")
@click.option("--reason", help="Why, in words (stored as a document; default: the code's meaning).")
@json_option
@click.pass_obj
def reject(app: App, work_id: str, code_name: str, reason: str | None, as_json: bool) -> None:
    """As a registrar: reject a PENDING work with a listed code and a reason.

    The registrant sees the code, its meaning and the reason in `work review ID`."""
    from ledger.domain.review import rejection_code

    wid = parse_work_id(work_id)
    code = rejection_code(code_name)
    text = reason if reason is not None else code.meaning
    r, cid = app.ledger(signer=True).reject_work(wid, text, code.number)
    _simple_write(as_json, "rejected", wid, r, status="REJECTED", reasonCid=cid, code=code.number,
                  codeName=code.name, cwrStatus=code.cwr or None)


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
    if ledger.index_note:  # the read index was behind: the newest blocks' events came from the chain
        err_console.print(styled("[yellow]note:[/yellow] {}", ledger.index_note), markup=True)
    metadata, note, code = checked_metadata(ledger, rec)
    if as_json:
        emit_json({**work_json(rec, metadata), "metadataError": note})
    else:
        print_work(rec, metadata, note)
    if code:
        sys.exit(code)  # 1: the metadata blob is missing or does not match (integrity), 2: the store failed


# --- the registrar's desk (issue 18) ----------------------------------------------------------

_AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _age(value: str | None) -> int | None:
    if not value:
        return None
    v = value.strip().lower()
    if len(v) < 2 or v[-1] not in _AGE_UNITS or not v[:-1].isdigit():
        raise InputError(f"age {value!r} is not a number with a unit", hint="e.g. 30m, 12h, 7d, 2w")
    return int(v[:-1]) * _AGE_UNITS[v[-1]]


def _threshold(value: int | None) -> int:
    from ledger.content.iscc import DEFAULT_THRESHOLD

    t = DEFAULT_THRESHOLD if value is None else value
    if not 0 <= t <= 64:
        raise InputError(f"threshold {t} is out of range 0..64 bits")
    return t


def _desk(app: App, threshold: int | None = None) -> Any:
    from ledger.domain.review import Desk

    return Desk(app.ledger(), _threshold(threshold))


def _short(value: str | None, n: int = 10) -> str:
    return (value or "")[:n] + "…" if value and len(value) > n + 1 else (value or "-")


def _holders_line(holders: list[dict[str, Any]]) -> str:
    return ", ".join(f"{h['account']} {h['bps'] / 100:.2f}%" + ("" if h.get("verified", True) else " (unverified)")
                     for h in holders)


def _print_evidence(ev: dict[str, Any]) -> None:
    from ledger.cli.render import when

    reg = ev["registrant"]
    verified = "real name verified" if reg["verified"] else "NOT verified"
    out_console.print(f"    registrant {reg['account']} ({verified})")
    out_console.print(f"    holders    {_holders_line(ev['holders'])}")
    att = ev.get("earliestAttestation")
    if att:
        stamp = f", RFC 3161 token {att['tsaTokenCid']}" if att.get("tsaTokenCid") else ", no RFC 3161 token"
        out_console.print(f"    attested   {when(att['attestedAt'])} by {att['attester']}{stamp}"
                          + ("" if att["beforeRegistration"] else " (after the registration)"))
    else:
        out_console.print("    attested   no attestation of this content")
    if ev.get("aiDeclaration"):
        models = ", ".join(m.get("name", "?") + ("@" + m["version"] if m.get("version") else "")
                           for m in ev["aiDeclaration"].get("models", []))
        out_console.print(f"    AI         declared models: {models or '-'}")
    for g in ev.get("generationRecords", []):
        out_console.print(f"    generation record {g['recordId']}: {g['model']} {g['modelVersion']} "
                          f"by {g['generator']}")
    for d in ev.get("openDisputes", []):
        out_console.print(f"    dispute    {d['disputeId']} open over {d['workId']} by {d['claimant']}")
    if ev.get("nearDuplicateFlag"):
        f = ev["nearDuplicateFlag"]
        out_console.print(f"    FLAGGED    near-duplicate of {f['ofWorkId']} (distance {f['distance']}) "
                          f"by {f['flaggedBy']}")
    if not ev.get("isccCode"):
        out_console.print("    similar    no content code (media not fingerprinted)")
    for n in ev.get("similar", []):
        who = "same holder" if n["sharesHolder"] else "other holders"
        out_console.print(f"    similar    {n['workId']} distance {n['distance']} {n['status']} "
                          f"{n.get('title') or '-'!r} ({who})")
    for note in ev.get("notes", []):
        out_console.print(f"    note       {note}")


@work.command()
@click.option("--registrant", help="Only works registered by this address or account name.")
@click.option("--type", "work_type", type=click.Choice([t.label for t in WorkType]), help="Only this kind of work.")
@click.option("--creation", type=click.Choice([m.label for m in CreationMode]), help="Only this creation mode.")
@click.option("--older-than", "older_than", metavar="AGE",
              help="Only works waiting longer than AGE (30m, 12h, 7d, 2w).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000), help="At most this many works.")
@click.option("--threshold", type=int, help="Similarity threshold in bits of 64 (default 12).")
@click.option("--no-evidence", is_flag=True, help="List the works only (no chain reads for evidence).")
@json_option
@click.pass_obj
def pending(app: App, registrant: str | None, work_type: str | None, creation: str | None, older_than: str | None,
            limit: int, threshold: int | None, no_evidence: bool, as_json: bool) -> None:
    """As a registrar: the works waiting for review, oldest first, each with its evidence.

    Evidence: the registrant and co-holders and whether their real names are verified, the
    earliest attestation (and RFC 3161 timestamp) of the same content, AI declarations and
    generation records, open disputes, and the nearest registered works by ISCC similarity.
    Read from the local index (synced first)."""
    age = _age(older_than)
    who = app.resolve(registrant) if registrant else None
    desk = _desk(app, threshold)
    rows = desk.pending(registrant=who, work_type=int(WorkType.parse(work_type)) if work_type else None,
                        creation_mode=int(CreationMode.parse(creation)) if creation else None,
                        older_than=age, limit=limit, with_evidence=not no_evidence)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out_console.print("no works wait for review")
    from ledger.cli.render import when

    for r in rows:
        out_console.print(f"{r['workId']}  {r.get('title') or '-'!r}  {r['workType']}/{r['creationMode']}  "
                          f"registered {when(r['registeredAt'])}")
        if "evidence" in r:
            _print_evidence(r["evidence"])


@work.command()
@click.argument("work_id")
@click.option("--threshold", type=int, help="Similarity threshold in bits of 64 (default 12).")
@json_option
@click.pass_obj
def review(app: App, work_id: str, threshold: int | None, as_json: bool) -> None:
    """As a registrar: one work's whole file (facts, metadata, evidence, history, ruling)."""
    from ledger.cli.render import when

    wid = parse_work_id(work_id)
    f = _desk(app, threshold).review(wid)
    if as_json:
        emit_json(f)
        return
    out_console.print(f"work {wid}  {f['status']}")
    out_console.print(f"  title      {f.get('title') or '-'}")
    out_console.print(f"  creators   {', '.join(f.get('creators') or []) or '-'}")
    out_console.print(f"  kind       {f['workType']} / {f['creationMode']}")
    ids = f.get("identifiers") or {}
    if ids:
        out_console.print("  ids        " + ", ".join(f"{k}={v}" for k, v in sorted(ids.items())))
    out_console.print(f"  registered {when(f['registeredAt'])} (block {f['registeredBlock']})")
    note = f" ({f['metadataError']})" if f.get("metadataError") else ""
    out_console.print(f"  metadata   {f['metadataCid']}{note}")
    if f.get("rejection"):
        r = f["rejection"]
        out_console.print(f"  rejected   code {r['code']} {r.get('name') or ''}: {r['meaning']}"
                          + (f" (CWR {r['cwrStatus']})" if r.get("cwrStatus") else ""))
        if r.get("reason"):
            out_console.print(f"             reason: {r['reason']}")
    if f.get("override"):
        o = f["override"]
        out_console.print(f"  override   confirmed despite near-duplicate {o['ofWorkId']} (distance {o['distance']}) "
                          f"by {o['registrar']}: {o['reason']}")
    out_console.print("  evidence")
    _print_evidence(f["evidence"])
    for d in f.get("disputes", []):
        out_console.print(f"  dispute    {d['disputeId']} by {d['claimant']}: "
                          f"{'open' if d['outcome'] is None else 'outcome ' + str(d['outcome'])}")
    out_console.print("  history")
    for h in f["history"]:
        out_console.print(f"    {when(h['time'])}  {h['event']}  {h.get('actor') or ''}  tx {h['tx']}")


@work.command()
@click.argument("target")
@click.option("--threshold", type=int, help="Distance in bits of 64 at or below which a work counts as similar "
              "(default 12).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="At most this many works.")
@json_option
@click.pass_obj
def similar(app: App, target: str, threshold: int | None, limit: int, as_json: bool) -> None:
    """Registered works whose content is near FILE's or work ID's (ISCC content code distance).

    Exit 0 when some are found, 1 when none are, 2 on an error (a file whose media is not
    fingerprinted, such as audio or video, is an error: nothing can be compared)."""
    from ledger.content.iscc import file_code
    from ledger.domain import review as R

    t = _threshold(threshold)
    desk = _desk(app, t)
    exclude: str | None = None
    source: str
    path = Path(target)
    if target.startswith("0x") and not path.exists():
        exclude = parse_work_id(target)
        info = desk.info(exclude)
        if not info.get("iscc"):
            raise InputError(f"work {exclude} has no content code in its metadata",
                             hint="it was registered before issue 18, or its media is not fingerprinted")
        code, source = info["iscc"], exclude
    else:
        if not path.is_file():
            raise InputError(f"{target}: no such file (or pass a work id 0x...)")
        found, why = file_code(path)
        if found is None:
            raise InputError(f"{target}: {why}")
        code, source = found.iscc, str(path)
    hits = R.similar(desk.index, code, t, exclude=exclude)[:limit]
    rows = []
    for wid, d in hits:
        info = desk.index.work_info(wid) or {}
        rows.append({"workId": wid, "distance": d, "title": info.get("title"),
                     "status": R.STATUS_NAMES.get(info.get("status") or 0, "?"), "holders": info.get("holders", [])})
    if as_json:
        emit_json({"source": source, "iscc": code, "threshold": t, "similar": rows})
    else:
        out_console.print(f"{source}: {code}, threshold {t} bits")
        if not rows:
            out_console.print("  no registered work is similar")
        for r in rows:
            out_console.print(f"  {r['workId']}  distance {r['distance']:2d}  {r['status']:9s}  {r['title'] or '-'!r}")
    if not rows:
        sys.exit(1)


@work.command()
@click.option("--title", help="Title words (the last may be a prefix); Chinese and other CJK text as a substring.")
@click.option("--creator", help="Creator name words (the last may be a prefix).")
@click.option("--id", "identifier", help="An ISWC, ISRC, ISBN or DCI number (punctuation ignored).")
@click.option("--holder", help="A holder: address or account name.")
@click.option("--registrant", help="The registrant: address or account name.")
@click.option("--type", "work_type", type=click.Choice([t.label for t in WorkType]), help="Kind of work.")
@click.option("--creation", type=click.Choice([m.label for m in CreationMode]), help="Creation mode.")
@click.option("--status", type=click.Choice(["pending", "confirmed", "rejected", "disputed", "revoked"]),
              help="Status.")
@click.option("--since", help="Registered on or after this day (YYYY-MM-DD, UTC).")
@click.option("--until", help="Registered on or before this day (YYYY-MM-DD, UTC).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000), help="At most this many works.")
@json_option
@click.pass_obj
def search(app: App, title: str | None, creator: str | None, identifier: str | None, holder: str | None,
           registrant: str | None, work_type: str | None, creation: str | None, status: str | None,
           since: str | None, until: str | None, limit: int, as_json: bool) -> None:
    """Find works by title, creator, identifier, holder, type, status or registration date.

    Every filter given must match; newest registrations first. Reads the local index (synced
    first). Exit 0 when works are found, 1 when none are."""
    import calendar

    from ledger.cli.render import when
    from ledger.domain.review import STATUS_NUMBERS

    if not any((title, creator, identifier, holder, registrant, work_type, creation, status, since, until)):
        raise InputError("give at least one filter", hint="e.g. --title 'moon', --creator Li, --id T-123.456.789-0")
    lo = calendar.timegm(parse_date(since, "--since").timetuple()) if since else None
    hi = calendar.timegm(parse_date(until, "--until").timetuple()) + 86399 if until else None
    if lo is not None and hi is not None and lo > hi:
        raise InputError("--since is after --until")
    for text, opt in ((title, "--title"), (creator, "--creator")):
        if text is not None:
            from ledger.domain.review import query_terms

            if not query_terms(text)[0]:
                raise InputError(f"{opt} {text!r} has no letters or digits to search for")
    desk = _desk(app)
    rows = desk.search(title=title, creator=creator, identifier=identifier,
                       holder=app.resolve(holder) if holder else None,
                       registrant=app.resolve(registrant) if registrant else None,
                       work_type=int(WorkType.parse(work_type)) if work_type else None,
                       creation_mode=int(CreationMode.parse(creation)) if creation else None,
                       status=STATUS_NUMBERS[status.upper()] if status else None, since=lo, until=hi, limit=limit)
    if as_json:
        emit_json(rows)
    else:
        if not rows:
            out_console.print("no work matches")
        for r in rows:
            out_console.print(f"{r['workId']}  {r['status']:9s}  {r['workType']:11s}  {when(r['registeredAt'])}  "
                              f"{r.get('title') or '-'!r}  {', '.join(r.get('creators') or [])}")
    if not rows:
        sys.exit(1)


def dispute_queue(app: App, *, open_only: bool, as_json: bool) -> None:
    """`work dispute list --open`: disputes over all works from the local index, oldest first."""
    from ledger.cli.render import when

    rows = _desk(app).disputes(open_only=open_only)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out_console.print("no open disputes" if open_only else "no disputes")
    for d in rows:
        state = "open" if d["outcome"] is None else d["outcome"]
        out_console.print(f"dispute {d['disputeId']}  {state:17s}  opened {when(d['openedAt'])}  work {d['workId']}  "
                          f"{d.get('title') or '-'!r}  by {d['claimant']}  evidence {d['evidenceCid']}")
