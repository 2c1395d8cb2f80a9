"""The demo's usage and royalties chapter: a period of usage reports, a blanket
distribution and two holders claiming. Idempotent: every run uses a new period."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ledger.content.metadata import build_work_metadata
from ledger.core.types import Holder, WorkStatus
from ledger.domain.licensing import Licensing
from ledger.domain.royalties import Royalties
from ledger.domain.usage import Usage
from ledger.domain.works import sha256_of_file

SONGS = {
    "river-song.txt": ("River Song (lyrics)", "Li Hua", [("alice", 10000)]),
    "lantern-duet.txt": ("Lantern Duet (lyrics)", "Li Hua & Wang Wei", [("alice", 5000), ("bob", 5000)]),
}


def royalty_story(app: Any, ledger: Any, addr: dict[str, str], as_: Callable[[str], Any], say: Callable[[str], None],
                  step: Callable[[int, str], None], start_step: int) -> int:
    from ledger.cli.demo import DEMO_PASSWORD, ensure_member

    n = start_step
    password = app.password or DEMO_PASSWORD
    step(n, "Usage and royalties: a CMO, a licensee (an AI company), and a statutory tariff for AI training")
    n += 1
    for name, role in (("cmo", "CMO"), ("licensee", "LICENSEE")):
        ensure_member(app, ledger, addr, as_, name, role, password)
    say(f"   cmo {addr['cmo']} holds CMO, licensee {addr['licensee']} holds LICENSEE")
    if Licensing(ledger).tariff_of("ai-training") is None:
        Licensing(as_("governor")).set_tariff("ai-training", 2_000_000, 86400 * 30, valid_from=1, valid_until=0)
    say("   statutory tariff for ai-training: 2.00 tokens per work used (6 decimals)")

    files = app.settings.home / "demo"
    files.mkdir(parents=True, exist_ok=True)
    works = []
    for fname, (title, who, shares) in SONGS.items():
        path = files / fname
        path.write_text(f"{title}\nby {who}\n", encoding="utf-8")
        wid = "0x" + sha256_of_file(path)
        if ledger.status_of(wid) == WorkStatus.NONE:
            doc = build_work_metadata(title=title, creators=[{"name": who, "role": "author"}], work_type="text",
                                      content_sha256=wid[2:], creation_mode="human")
            as_("alice").register_work(doc, [Holder(addr[h], b) for h, b in shares])
        if ledger.status_of(wid) == WorkStatus.PENDING:
            as_("registrar").confirm_work(wid)
        lic = Licensing(as_("alice"))
        if "ai-training" not in lic.mandate_of(wid, addr["cmo"])["uses"] or lic.mandate_of(wid, addr["cmo"])["until"]:
            lic.mandate(wid, addr["cmo"], ["ai-training"])  # only mandated works weigh in the CMO's distribution
        works.append(wid)
        say(f"   '{title}' {wid[:18]}... held by " + ", ".join(f"{h} {b // 100}%" for h, b in shares)
            + ", mandated to the CMO for ai-training")

    roy_cmo = Royalties(as_("cmo"))
    year, month = int(time.strftime("%Y")), int(time.strftime("%m"))
    months = (f"{year + (month - 1 + k) // 12}{(month - 1 + k) % 12 + 1:02d}" for k in range(1200))
    def unused(p: int) -> bool:
        pool = roy_cmo.pool(addr["cmo"], p)
        return pool.state == "OPEN" and pool.report_count == 0

    period = next(int(p) for p in months if unused(int(p)))  # this month, or the first later unused one
    step(n, f"The licensee reports period {period}: a usage report file of 500 lines, one tx for all of them")
    n += 1
    report = files / f"usage-{period}.csv"
    # uses happen while the mandates and the tariff are in force: from the latest of their starts until now
    # (a rerun on a used home, or a tariff set during the tour, moves that start; the chain's clock decides)
    lic = Licensing(ledger)
    tariff = lic.tariff_of("ai-training")
    since = max([int(tariff["validFrom"]) if tariff else 0]
                + [int(lic.mandate_of(w, addr["cmo"])["from"] or 0) for w in works])
    now = lic.now()
    rows = ["work,use,quantity,usedAt"]  # priced by what covers each line: the CMO's blanket licence
    rows += [f"{works[i % 2]},ai-training,1,{max(since, now - i)}" for i in range(500)]
    report.write_text("\n".join(rows) + "\n", encoding="utf-8")
    u = Usage(as_("licensee"))
    r = u.record_report(report, addr["cmo"], period)
    say(f"   report {r.report_id}: {r.totals.line_count} lines, owing {r.totals.owed / 1e6:.2f} tokens; "
        f"root {r.root[:18]}..., file {r.cid[:20]}... ({r.gas_used} gas)")
    p = u.prove(r.report_id, 42)
    say(f"   line 42 proven to belong to it with {len(p.proof)} hashes: verified on-chain = {p.verified_on_chain}")

    step(n, "The licensee pays what it owes into the CMO's pool (test settlement token)")
    n += 1
    roy_gov = Royalties(as_("governor"))
    roy_gov.mint(addr["licensee"], r.totals.owed)
    roy_lic = Royalties(as_("licensee"))
    roy_lic.pay(addr["cmo"], period, r.totals.owed)
    bal = roy_lic.account(addr["cmo"], period, addr["licensee"])
    say(f"   owed {bal.owed / 1e6:.2f}, paid {bal.paid / 1e6:.2f}, outstanding {bal.outstanding / 1e6:.2f}")

    step(n, "The CMO closes the period and publishes the blanket distribution; anyone can verify it")
    n += 1
    dist, _res, _cid = Royalties(as_("cmo")).distribute(period)
    say(f"   commission {dist.commission / 1e6:.2f}, to holders {dist.total / 1e6:.2f}, "
        f"residue {dist.residue} units (rounding, stays in the pool); root {dist.root[:18]}...")
    v = Royalties(ledger).verify(addr["cmo"], period)
    outcome = "verified" if v.ok else "PROBLEMS: " + "; ".join(v.problems)
    say(f"   recomputed from the report files and on-chain roots: {outcome}")

    step(n, "Alice and Bob claim their shares with Merkle proofs (pull payments)")
    n += 1
    for name in ("alice", "bob"):
        roy = Royalties(as_(name))
        _w, amount = roy.claim(addr["cmo"], period)
        say(f"   {name} claimed {amount / 1e6:.2f} tokens; balance {roy.token_balance(addr[name]) / 1e6:.2f}")
    try:
        Royalties(as_("alice")).claim(addr["cmo"], period)
        say("   [red]unexpected: a second claim was accepted[/red]")
    except Exception as exc:  # noqa: BLE001 - shown to the reader
        say(f"   a second claim is refused: {getattr(exc, 'message', exc)}")
    return n
