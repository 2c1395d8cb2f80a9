"""The demo's licensing chapter: a mandate, a blanket AI-training licence, an opt-out, and the
licensee's question "am I covered?". Safe to run again on the same chain: every step first
looks at what the chain already says."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ledger.content.metadata import build_work_metadata
from ledger.core.types import USES, Holder, WorkStatus
from ledger.domain.licensing import SCOPE_REPERTOIRE, Licensing
from ledger.domain.works import Ledger, sha256_of_file

RIVER_SONG = """River Song (a second poem, opted out of AI training)
The river keeps its own counsel,
and so do I.
"""


def _password(app: Any) -> str:
    from ledger.cli import demo

    return str(app.password or os.environ.get("RIGHTS_LEDGER_PASSWORD") or getattr(demo, "DEMO_PASSWORD", ""))


def licensing_story(
    app: Any,
    ledger: Ledger,
    addr: dict[str, str],
    as_: Callable[[str], Ledger],
    say: Callable[[str], None],
    step: Callable[[int, str], None],
    poem_id: str,
) -> None:
    """Run the licensing chapter after the main demo's step 7."""
    password = _password(app)
    lic = Licensing(ledger)
    use = "ai-training"

    step(8, "A collective management organisation (CMO) and an AI company (licensee) join the ledger")
    from ledger.cli.demo import ensure_member

    for name, role in (("cmo", "CMO"), ("licensee", "LICENSEE")):
        ensure_member(app, ledger, addr, as_, name, role, password)
    say(f"   cmo {addr['cmo']} holds CMO; licensee {addr['licensee']} holds LICENSEE")

    step(9, "Alice registers a second poem; both are confirmed and mandated to the CMO for AI training")
    river = app.settings.home / "demo" / "river-song.txt"
    river.parent.mkdir(parents=True, exist_ok=True)
    river.write_text(RIVER_SONG, encoding="utf-8")
    river_id = "0x" + sha256_of_file(river)
    if ledger.status_of(river_id) in (WorkStatus.NONE, WorkStatus.REJECTED):
        as_("alice").register_work(build_work_metadata(
            title="River Song", creators=[{"name": "Li Hua", "role": "author"}], work_type="text",
            content_sha256=river_id[2:], creation_mode="human", language="en"), [Holder(addr["alice"], 10000)])
    if ledger.status_of(river_id) == WorkStatus.PENDING:
        as_("registrar").confirm_work(river_id)
    for wid, title in ((poem_id, "Spring Dawn"), (river_id, "River Song")):
        if ledger.status_of(wid) != WorkStatus.CONFIRMED:
            say(f"   '{title}' is {ledger.status_of(wid).name}: it cannot be mandated")
            continue
        if use not in lic.mandate_of(wid, addr["cmo"])["uses"] or lic.mandate_of(wid, addr["cmo"])["until"]:
            as_("alice")
            lic.mandate(wid, addr["cmo"], [use, "reproduce"])
            say(f"   '{title}' mandated to the CMO for ai-training and reproduce")
        else:
            say(f"   '{title}' was mandated to the CMO in an earlier run")

    step(10, "The CMO grants the licensee one blanket AI-training licence over its whole repertoire")
    idx = lic.index()
    existing = [
        lid for lid in idx.repertoire_by_licensee.get(addr["licensee"], ())
        if idx.licences[lid].licensor == addr["cmo"] and idx.licences[lid].uses & USES[use]
        and idx.licences[lid].state == 1
    ]
    if existing:
        blanket = existing[0]
        say(f"   blanket licence #{blanket} was granted in an earlier run")
    else:
        as_("cmo")
        r, blanket = lic.grant(addr["licensee"], [], lic.terms([use], scope=SCOPE_REPERTOIRE, rate_per_use=2_000_000,
                                                             terms_text="Blanket AI-training licence, demo terms"))
        say(f"   blanket licence #{blanket}: worldwide, no end, 2.00 tokens per use, works mandated later included "
            f"({r.gas_used} gas)")

    step(11, "Alice opts 'River Song' out of AI training: a blanket licence no longer covers it")
    if ledger.status_of(river_id) != WorkStatus.NONE and use in ledger.work(river_id).reserved_uses:
        say("   'River Song' was opted out in an earlier run")
    elif ledger.status_of(river_id) == WorkStatus.CONFIRMED:
        as_("alice").reserve_uses(river_id, [use])
        say("   ai-training reserved on 'River Song'")

    step(12, "The licensee asks: may I train my model on these works today?")
    for wid, title in ((poem_id, "Spring Dawn"), (river_id, "River Song")):
        c = lic.status(wid, addr["licensee"], use)
        if c.covered:
            say(f"   '{title}': [green]covered[/green] by the {c.kind} #{c.licence_id}")
        else:
            about = f" (checked against {c.kind} #{c.licence_id})" if c.licence_id else ""
            say(f"   '{title}': [red]NOT covered[/red]: {c.reason}{about}")
    answers = list(lic.check_many([(poem_id, use), (river_id, use)], licensee=addr["licensee"]))
    say(f"   the same answers from the event index (`licence check FILE`): "
        f"{', '.join('covered' if a.covered else a.reason or '-' for a in answers)}")
    say(f"   try: rights-ledger licence status {poem_id} {addr['licensee']} --use {use} --json")

