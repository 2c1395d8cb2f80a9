"""The demo's protection chapter: a dispute and its ruling, AI provenance, a certificate
checked through its QR code, and a clean audit replay. Safe to rerun on the same chain."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ledger.core.errors import ContractError
from ledger.core.types import WorkStatus
from ledger.domain.works import Ledger

PROMPT = b"Harbour at night: cranes, lanterns, a tide of light. Ink sketch, warm palette."
SKETCH = b"hand sketch v3 (scan placeholder)"


def protection_story(app: Any, ledger: Ledger, addr: dict[str, str], as_: Callable[[str], Ledger],
                     say: Callable[[str], None], step: Callable[[int, str], None], poem_id: str, art_id: str,
                     start_step: int) -> int:
    from ledger.audit import audit
    from ledger.content.timestamp import tsa_from_env
    from ledger.domain.certificate import verify_certificate, write_certificate
    from ledger.domain.protection import Protection, merkle_root

    n = start_step
    p = Protection(ledger, tsa=tsa_from_env())

    step(n, "Bob disputes Alice's poem with evidence; the registrar reviews it and dismisses the claim")
    status = ledger.status_of(poem_id)
    if status == WorkStatus.CONFIRMED:
        as_("bob")
        try:
            d = p.open_dispute(poem_id, b"Bob's claim: a draft of this translation, said to date from 2019.\n")
        except ContractError as exc:
            if exc.name != "WorkRegistry__EvidenceUsed":
                raise
            say("   Bob's dispute was heard in an earlier run: the same evidence cannot reopen it (rule R52)")
        else:
            say(f"   dispute {d.dispute_id} opened; evidence kept in the store as {d.evidence_cid}; "
                "the poem is DISPUTED")
            status = WorkStatus.DISPUTED
    if status == WorkStatus.DISPUTED:
        as_("registrar")
        r = p.resolve_dispute(poem_id, "dismissed", "the draft carries no date and no earlier attestation")
        say(f"   dispute {r.dispute_id} dismissed (ruling {r.reason_cid}); the poem is CONFIRMED again")
    elif status != WorkStatus.CONFIRMED:
        say(f"   the poem is {status.name}; no dispute opened")
    n += 1

    step(n, "Provenance of the AI-assisted illustration: model, inputs and parameters, with attestations")
    if ledger.status_of(art_id) == WorkStatus.PENDING:
        as_("registrar").confirm_work(art_id)
        say("   the registrar confirmed the illustration first")
    gens = p.generations(art_id)
    if not gens:
        as_("bob")
        root = "0x" + merkle_root([hashlib.sha256(PROMPT).digest(), hashlib.sha256(SKETCH).digest()]).hex()
        g = p.record_generation(art_id, "example-diffusion", "2.1", root, art_id,
                                {"seed": 20240301, "steps": 30, "guidance": 7.5}, attest_hashes=True)
        say(f"   generation record {g.record_id} by Bob (tx {g.tx_hash[:18]}...)")
    prov = p.provenance(art_id)
    for g in prov.generations:
        a_in, a_out = prov.attestations.get(g.inputs_root), prov.attestations.get(g.output_hash)
        say(f"   record {g.record_id}: {g.model_name} {g.model_version}, parameters {g.params_cid}")
        say(f"      inputs root {g.inputs_root[:18]}... attested in block {a_in.block if a_in else '-'}"
            f"{' with an RFC 3161 token' if a_in and a_in.tsa_token_cid else ''}")
        say(f"      output = the work, attested in block {a_out.block if a_out else '-'}")
    conf = prov.work.confirmed
    say(f"   the work: registered by {prov.work.registrant}, confirmed in block {conf.block if conf else '-'}")
    n += 1

    step(n, "The registrar issues a signed registration certificate for the poem; anyone checks it against the chain")
    path = app.settings.home / "demo" / "certificate.pdf"
    as_("registrar")
    cert = write_certificate(ledger, poem_id, path)
    check = verify_certificate(ledger, path)
    say(f"   wrote {path}, signed (PAdES) by registrar {cert.signer}")
    say("   signature, signer's role, QR code and every printed line: "
        + ("match the chain" if check.ok else "; ".join(check.differences)))
    n += 1

    step(n, "An auditor replays every event from the first block and checks the chain and the store")
    report = audit(ledger)
    say(f"   {report.state.events} events replayed ({report.rate:,.0f} events/s); state digest {report.digest[:16]}...")
    top = ", ".join(f"{k} {v}" for k, v in sorted(report.state.counts.items(), key=lambda kv: -kv[1])[:6])
    say(f"   events: {top}")
    for note in report.notes:
        say(f"   note: {note}")
    if report.mismatches:
        say(f"   [red]{len(report.mismatches)} mismatch(es)[/red]")
        for m in report.mismatches[:5]:
            say("      " + m.line())
    else:
        say("   [green]clean: every view and every stored blob agrees with the events[/green]")
    return n + 1
