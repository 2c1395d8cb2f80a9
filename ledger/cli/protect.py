"""Protection commands: ``work dispute open|resolve|list``, ``work generation``,
``work provenance``, ``work certificate``, and the ``attest`` group."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click
from rich.table import Table

from ledger.cli import params
from ledger.cli.app import App, cli, emit_json, json_option, out_console, styled
from ledger.cli.render import print_table, when
from ledger.cli.work import work
from ledger.content.timestamp import TSA_CA_ENV, TSA_URL_ENV, TsaClient
from ledger.core.errors import InputError
from ledger.core.inputs import file_sha256, read_json
from ledger.domain.protection import KINDS, OUTCOMES, Protection, merkle_root, parse_hash
from ledger.domain.works import parse_work_id, sha256_of_file


def _protection(app: App, signer: bool = False, tsa_url: str | None = None) -> Protection:
    return Protection(app.ledger(signer=signer), tsa=TsaClient(tsa_url) if tsa_url else None)


tsa_option = click.option("--tsa-url", envvar=TSA_URL_ENV, default=None,
                          help="RFC 3161 TSA endpoint (a token over the same sha-256 is stored and linked).")
ca_option = click.option("--tsa-ca", type=click.Path(path_type=Path), envvar=TSA_CA_ENV, default=None,
                         help="PEM file with the TSA's trusted root (and intermediates).")


# --- disputes -------------------------------------------------------------------------


@work.group()
def dispute() -> None:
    """Contest a confirmed work, and (as a registrar) rule on it."""


@dispute.command("open")
@click.argument("work_id")
@click.option("--evidence", type=click.Path(path_type=Path), required=True,
              help="Evidence file (kept in the metadata store; its CID goes on-chain).")
@json_option
@click.pass_obj
def dispute_open(app: App, work_id: str, evidence: Path, as_json: bool) -> None:
    """As a HOLDER or CMO: open a dispute over a CONFIRMED work."""
    file_sha256(evidence, what="evidence file", allow_empty=False)  # a regular, non-empty file
    d = _protection(app, signer=True).open_dispute(parse_work_id(work_id), evidence)
    if as_json:
        emit_json({"workId": d.work_id, "disputeId": d.dispute_id, "evidenceCid": d.evidence_cid,
                   "tx": d.opened_tx, "block": d.opened_block, "status": "DISPUTED"})
    else:
        out_console.print(f"opened dispute {d.dispute_id} over work {d.work_id}; it is DISPUTED until a ruling")
        out_console.print(f"  evidence {d.evidence_cid}, tx {d.opened_tx}")


@dispute.command("resolve")
@click.argument("work_id")
@click.option("--outcome", type=click.Choice(list(OUTCOMES)), required=True,
              help="dismissed (confirmed again), corrected (new holders), revoked.")
@click.option("--holder", "holders", multiple=True, help="New holder ADDRESS:BPS (with --outcome corrected).")
@click.option("--reason", required=True, help="The ruling's reason (stored as a document).")
@click.option("--code", default=1, show_default=True, type=params.REASON_CODE, help="Reason code.")
@json_option
@click.pass_obj
def dispute_resolve(app: App, work_id: str, outcome: str, holders: tuple[str, ...], reason: str, code: int,
                    as_json: bool) -> None:
    """As a REGISTRAR: resolve the open dispute over a work."""
    resolved = [app.resolve(h.rsplit(":", 1)[0]) + ":" + h.rsplit(":", 1)[1] if ":" in h else h for h in holders]
    d = _protection(app, signer=True).resolve_dispute(parse_work_id(work_id), outcome, reason, resolved, code)
    status = "REVOKED" if outcome == "revoked" else "CONFIRMED"
    if as_json:
        emit_json({"workId": d.work_id, "disputeId": d.dispute_id, "outcome": outcome, "reasonCid": d.reason_cid,
                   "tx": d.resolved_tx, "status": status,
                   "holders": [{"account": h.account, "bps": h.bps} for h in d.holders]})
    else:
        out_console.print(f"dispute {d.dispute_id} {outcome}: work {d.work_id} is {status} (tx {d.resolved_tx})")


@dispute.command("list")
@click.argument("work_id", required=False)
@click.option("--open", "open_only", is_flag=True, help="Without WORK_ID: the open disputes over all works (the "
              "registrar's dispute queue, oldest first, from the local index).")
@click.option("--all", "all_works", is_flag=True, help="Without WORK_ID: every dispute over all works.")
@json_option
@click.pass_obj
def dispute_list(app: App, work_id: str | None, open_only: bool, all_works: bool, as_json: bool) -> None:
    """Every dispute over a work and its ruling; or, with --open, the open disputes over all works."""
    if work_id is None:
        if not (open_only or all_works):
            raise InputError("name a work, or pass --open (all open disputes) or --all")
        from ledger.cli.work import dispute_queue

        dispute_queue(app, open_only=not all_works, as_json=as_json)
        return
    ds = _protection(app).disputes(parse_work_id(work_id))
    if as_json:
        emit_json(ds)
        return
    if not ds:
        out_console.print("no disputes")
    for d in ds:
        out_console.print(f"dispute {d.dispute_id} by {d.claimant}: {d.outcome or 'open'} (evidence {d.evidence_cid})")


# --- generation records and provenance ------------------------------------------------------


@work.command()
@click.argument("work_id")
@click.option("--model", required=True, help="Model as NAME or NAME@VERSION.")
@click.option("--input", "inputs", multiple=True, type=click.Path(path_type=Path),
              help="An input file (prompt, source image); the Merkle root of their sha-256 is recorded.")
@click.option("--inputs-root", default=None, help="The inputs' Merkle root (or single sha-256) instead of --input.")
@click.option("--params", "params_file", type=click.Path(path_type=Path), default=None,
              help="JSON file of generation parameters (stored; its CID recorded).")
@click.option("--output", "output_file", type=click.Path(path_type=Path), default=None,
              help="The generated output file (default: the work itself).")
@click.option("--attest/--no-attest", "attest_hashes", default=True, show_default=True,
              help="Also attest the inputs root and the output hash.")
@click.option("--c2pa-out", type=click.Path(path_type=Path), default=None,
              help="Also write the record as a C2PA manifest definition (JSON) here.")
@click.option("--embed", "embed_into", type=click.Path(path_type=Path), default=None,
              help="Sign the C2PA manifest into a copy of this file (see --embed-out, --sign-cert, --sign-key).")
@click.option("--embed-out", type=click.Path(path_type=Path), default=None, help="Where the signed copy goes.")
@click.option("--sign-cert", type=click.Path(path_type=Path), envvar="RIGHTS_LEDGER_C2PA_CERT", default=None,
              help="PEM certificate chain (leaf first) of the C2PA signer.")
@click.option("--sign-key", type=click.Path(path_type=Path), envvar="RIGHTS_LEDGER_C2PA_KEY", default=None,
              help="PKCS#8 PEM P-256 key of the C2PA signer (ES256).")
@tsa_option
@json_option
@click.pass_obj
def generation(app: App, work_id: str, model: str, inputs: tuple[Path, ...], inputs_root: str | None,
               params_file: Path | None, output_file: Path | None, attest_hashes: bool, c2pa_out: Path | None,
               embed_into: Path | None, embed_out: Path | None, sign_cert: Path | None, sign_key: Path | None,
               tsa_url: str | None, as_json: bool) -> None:
    """As a holder: record how AI content behind a work was generated (optionally as C2PA too)."""
    if embed_into is not None and (embed_out is None or sign_cert is None or sign_key is None):
        raise InputError("--embed needs --embed-out, --sign-cert and --sign-key")
    wid = parse_work_id(work_id)
    if bool(inputs) == bool(inputs_root):
        raise InputError("give the inputs with --input FILE ... or --inputs-root HASH (one of them)")
    root = parse_hash(inputs_root) if inputs_root else \
        "0x" + merkle_root(bytes.fromhex(sha256_of_file(p)) for p in inputs).hex()
    output = "0x" + sha256_of_file(output_file) if output_file else wid
    params = None
    if params_file:
        params = read_json(params_file, what="generation params file", limit=1 << 20)
    name, _, version = model.partition("@")
    g = _protection(app, signer=True, tsa_url=tsa_url).record_generation(wid, name, version, root, output, params,
                                                                          attest_hashes=attest_hashes)
    c2pa_doc = None
    if c2pa_out is not None or embed_into is not None:
        from ledger.cli.formats import c2pa_for_generation

        c2pa_doc = c2pa_for_generation(app, g, inputs, output_file, c2pa_out, embed_into, embed_out, sign_cert,
                                       sign_key, as_json)
    if as_json:
        emit_json({**g.__dict__, "c2pa": c2pa_doc} if c2pa_doc else g)
    else:
        out_console.print(f"recorded generation {g.record_id} for work {wid}: {g.model_name} {g.model_version}, "
                          f"inputs {g.inputs_root[:18]}..., output {g.output_hash[:18]}... (tx {g.tx_hash})")


@work.command()
@click.argument("work_id")
@json_option
@click.pass_obj
def provenance(app: App, work_id: str, as_json: bool) -> None:
    """The chain from inputs to the work: generation records, attestations, registration."""
    prov = _protection(app).provenance(parse_work_id(work_id))
    rec = prov.work
    if as_json:
        emit_json({"workId": rec.work_id, "status": rec.status.name, "generations": prov.generations,
                   "attestations": prov.attestations,
                   "registered": rec.registered, "confirmed": rec.confirmed})
        return
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column(overflow="fold")

    def att(h: str) -> str:
        a = prov.attestations.get(h)
        if a is None:
            return "not attested"
        stamp = f", RFC 3161 token {a.tsa_token_cid}" if a.tsa_token_cid else ""
        return f"attested {when(a.attested_at)} by {a.attester} (block {a.block}{stamp})"

    for g in prov.generations:
        t.add_row(f"generation {g.record_id}", f"{g.model_name} {g.model_version} by {g.generator}, {when(g.time)}")
        t.add_row("  inputs", f"{g.inputs_root}: {att(g.inputs_root)}")
        if g.params_cid:
            t.add_row("  parameters", g.params_cid)
        same = " (= the work)" if g.output_hash == rec.work_id else ""
        t.add_row("  output", f"{g.output_hash}{same}: {att(g.output_hash)}")
    if not prov.generations:
        t.add_row("generations", "none recorded")
    if not any(g.output_hash == rec.work_id for g in prov.generations):
        t.add_row("work hash", att(rec.work_id))
    reg, conf = rec.registered, rec.confirmed
    if reg:
        t.add_row("registered", f"{when(reg.timestamp)} by {rec.registrant} (tx {reg.tx_hash})")
    if conf:
        t.add_row("confirmed", f"{when(conf.timestamp)} by {conf.actor} (tx {conf.tx_hash})")
    t.add_row("status", rec.status.name)
    print_table(t)


@work.command()
@click.argument("work_id")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="PDF file to write.")
@json_option
@click.pass_obj
def certificate(app: App, work_id: str, output: Path, as_json: bool) -> None:
    """As a REGISTRAR: write a signed registration certificate (PDF, QR code) for a confirmed work."""
    from ledger.domain.certificate import encode_payload, write_certificate

    cert = write_certificate(app.ledger(signer=True), parse_work_id(work_id), output)
    if as_json:
        emit_json({"file": str(cert.path), "payload": cert.payload, "signer": cert.signer})
    else:
        out_console.print(f"wrote the certificate of '{cert.title}' to {cert.path}, signed by registrar {cert.signer}")
        out_console.print(f"  QR payload {encode_payload(cert.payload)}", soft_wrap=True)


# --- attestations ---------------------------------------------------------------------------


@cli.group()
def attest() -> None:
    """Prove that a file or hash existed at a time (block time, optional RFC 3161 token)."""


def _print_attestation(rec, as_json: bool) -> None:
    if as_json:
        emit_json(rec)
        return
    token = f"; RFC 3161 token {rec.tsa_token_cid}" if rec.tsa_token_cid else "; no timestamp token"
    out_console.print(f"{rec.hash} attested {when(rec.attested_at)} by {rec.attester} in block {rec.block} "
                      f"(kind {rec.kind}{token})")


@attest.command("file")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(list(KINDS)), default="content", show_default=True)
@click.option("--no-tsa", is_flag=True, help="Do not ask the TSA even if one is configured.")
@tsa_option
@json_option
@click.pass_obj
def attest_file(app: App, file: Path, kind: str, no_tsa: bool, tsa_url: str | None, as_json: bool) -> None:
    """Attest a file's sha-256."""
    p = _protection(app, signer=True, tsa_url=None if no_tsa else tsa_url)
    _print_attestation(p.attest("0x" + sha256_of_file(file), kind, timestamp=not no_tsa and bool(tsa_url)),
                       as_json)


@attest.command("hash")
@click.argument("digest")
@click.option("--kind", type=click.Choice(list(KINDS)), default="unspecified", show_default=True)
@click.option("--document", type=click.Path(path_type=Path), default=None,
              help="A document about the hash (stored; its CID goes with the attestation).")
@click.option("--no-tsa", is_flag=True, help="Do not ask the TSA even if one is configured.")
@tsa_option
@json_option
@click.pass_obj
def attest_hash(app: App, digest: str, kind: str, document: Path | None, no_tsa: bool, tsa_url: str | None,
                as_json: bool) -> None:
    """Attest a sha-256 given as hex (e.g. a Merkle root of a training corpus)."""
    p = _protection(app, signer=True, tsa_url=None if no_tsa else tsa_url)
    _print_attestation(p.attest(parse_hash(digest), kind, document=document,
                                timestamp=not no_tsa and bool(tsa_url)), as_json)


@attest.command("link")
@click.argument("digest")
@tsa_option
@json_option
@click.pass_obj
def attest_link(app: App, digest: str, tsa_url: str | None, as_json: bool) -> None:
    """As the attester: fetch an RFC 3161 token now and link it to an earlier attestation."""
    if not tsa_url:
        raise InputError("no TSA is configured", hint=f"pass --tsa-url or set {TSA_URL_ENV}")
    _print_attestation(_protection(app, signer=True, tsa_url=tsa_url).link_timestamp(parse_hash(digest)), as_json)


@attest.command("verify")
@click.argument("target")
@ca_option
@json_option
@click.pass_obj
def attest_verify(app: App, target: str, tsa_ca: Path | None, as_json: bool) -> None:
    """Check the attestation of a FILE or sha-256: exit 0 valid, 1 not attested or invalid."""
    path = Path(target)
    digest = "0x" + sha256_of_file(path) if path.is_file() else parse_hash(target, "file or hash")
    p = _protection(app)
    if p.attestation(digest) is None:
        if as_json:
            emit_json({"hash": digest, "attested": False})
        else:
            out_console.print(f"{digest} is not attested")
        sys.exit(1)
    check = p.verify_attestation(digest, tsa_ca)
    if as_json:
        emit_json({"hash": digest, "attested": True, "valid": check.ok, "record": check.record,
                   "token": check.token, "problems": list(check.problems)})
    else:
        _print_attestation(check.record, False)
        if check.token:
            out_console.print(f"  RFC 3161 token verified: {when(check.token.gen_time)} by {check.token.tsa}, "
                              f"serial {check.token.serial}")
        for prob in check.problems:
            out_console.print(styled("  [red]problem:[/red] {}", prob), soft_wrap=True, markup=True)
    sys.exit(0 if check.ok else 1)


_ = hashlib
