"""``rights-ledger demo``: the main job on the embedded default, told in plain words."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ledger.cli.app import App, cli, out_console, styled
from ledger.content.metadata import build_work_metadata
from ledger.core.errors import WorkAlreadyRegistered
from ledger.core.node import EmbeddedNode
from ledger.core.types import Holder, WorkStatus
from ledger.domain.works import Ledger, sha256_of_file

DEMO_PASSWORD = "demo-only-password"  # demo accounts on the local chain only
ACCOUNTS = ("governor", "registrar", "alice", "bob")

POEM = """Spring Dawn, a new translation
I slept in spring and missed the dawn;
everywhere I hear the birds.
Last night, the sound of wind and rain -
who knows how many petals fell.
"""
AI_PIECE = """Harbour at Night (AI-assisted illustration notes)
Prompted sketch refined by hand: cranes, lanterns, a tide of light.
"""


def say(text: str) -> None:
    """A line of the demo's script (ours: rich markup; what it quotes, escaped with ``styled``)."""
    out_console.print(text, markup=True)


def step(n: int, text: str) -> None:
    out_console.print(styled("\n[bold cyan]{}.[/bold cyan] [bold]{}[/bold]", n, text), markup=True)


@cli.command()
@click.pass_obj
def demo(app: App) -> None:
    """Run the walking-skeleton story on the embedded chain and explain each step."""
    password = app.password or os.environ.get("RIGHTS_LEDGER_PASSWORD") or DEMO_PASSWORD
    home = app.settings.home
    say(f"Rights Ledger demo on network '{app.settings.network.name}' ({app.settings.network.rpc_url}); data in {home}")

    step(1, "Accounts: a governor, a registrar and two authors, each with a local encrypted key")
    for name in ACCOUNTS:
        if not app.keystore.exists(name):
            app.keystore.create(name, password)
            say(f"   created account {name}")
    addr = {n: app.keystore.address_of(n) for n in ACCOUNTS}
    for n in ACCOUNTS:
        say(f"   {n:<10} {addr[n]}")

    if app.settings.network.embedded:  # the demo starts the embedded node, like `node start`
        EmbeddedNode(app.settings.network, app.settings.chain_dir).stopped_marker.unlink(missing_ok=True)
    ledger = Ledger.open(app.settings, account="governor", password=password, log=lambda m: say(f"   {m}"))
    say(f"   chain at block {ledger.chain.block_number()}, WorkRegistry at {ledger.deployment.address('WorkRegistry')}")

    def as_(name: str) -> Ledger:
        ledger.signer = ledger.keystore.unlock(name, password)
        return ledger

    step(2, "The governor appoints the registrar; the registrar verifies both authors' real names")
    if "REGISTRAR" not in ledger.roles_of(addr["registrar"]):
        as_("governor").grant_role("REGISTRAR", addr["registrar"])
    say("   registrar holds REGISTRAR")
    for author, real_name in (("alice", "Li Hua"), ("bob", "Wang Wei")):
        if "HOLDER" not in ledger.roles_of(addr[author]):
            _, commitment, _salt = as_("registrar").verify_holder(addr[author], real_name)
            say(f"   {author} verified; only the commitment {commitment[:18]}... is on-chain")
        else:
            say(f"   {author} was verified in an earlier run")

    files = home / "demo"
    files.mkdir(parents=True, exist_ok=True)
    poem, art = files / "spring-dawn.txt", files / "harbour-at-night.txt"
    poem.write_text(POEM, encoding="utf-8")
    art.write_text(AI_PIECE, encoding="utf-8")

    step(3, "Alice registers a human-authored poem; Bob registers an AI-assisted illustration, co-owned 70/30")
    poem_id = _register(as_("alice"), poem, build_work_metadata(
        title="Spring Dawn (translation)", creators=[{"name": "Li Hua", "role": "translator"}],
        work_type="text", content_sha256=sha256_of_file(poem), creation_mode="human", language="en"),
        [Holder(addr["alice"], 10000)])
    art_id = _register(as_("bob"), art, build_work_metadata(
        title="Harbour at Night", creators=[{"name": "Wang Wei", "role": "illustrator"}],
        work_type="image", content_sha256=sha256_of_file(art), creation_mode="ai-assisted",
        ai_declaration={"models": [{"name": "example-diffusion", "version": "2.1"}], "tools": ["sketch-pad"]}),
        [Holder(addr["bob"], 7000), Holder(addr["alice"], 3000)])

    step(4, "The registrar confirms the poem's ownership")
    if ledger.status_of(poem_id) == WorkStatus.PENDING:
        r = as_("registrar").confirm_work(poem_id)
        say(f"   confirmed in block {r.block} (tx {r.tx_hash[:18]}..., {r.gas_used} gas)")
    else:
        say(f"   the poem is {ledger.status_of(poem_id).name} already")

    step(5, "Bob tries to register Alice's poem as his own: the ledger refuses the duplicate")
    try:
        _register(as_("bob"), poem, build_work_metadata(
            title="My poem", creators=[{"name": "Wang Wei", "role": "author"}], work_type="text",
            content_sha256=sha256_of_file(poem)), [Holder(addr["bob"], 10000)], quiet=True)
        say("   [red]unexpected: the duplicate was accepted[/red]")
    except WorkAlreadyRegistered as exc:
        say(f"   refused: {exc.message}")

    step(6, "What the ledger now says")
    for wid in (poem_id, art_id):
        rec = ledger.work(wid)
        meta = ledger.metadata(rec.metadata_cid) if rec.metadata_cid else {}
        holders = ", ".join(f"{_name(h.account, addr)} {h.bps / 100:.0f}%" for h in rec.holders)
        say(f"   '{meta.get('title')}': {rec.status.name}, {meta.get('creationMode')}, holders {holders}")
        say(f"      id {wid}")
        say(f"      metadata {rec.metadata_cid} (fetched and checked against its CID)")

    step(7, "Anyone verifies a file by hashing it: `rights-ledger verify` finds the poem's registration")
    rec = ledger.work("0x" + sha256_of_file(poem))
    conf = rec.confirmed
    say(f"   {poem.name}: {rec.status.name}, confirmed by the registrar in block {conf.block if conf else '-'}")
    next_step = 8
    next_step = _optional_stories(app, ledger, addr, as_, poem_id, art_id, next_step)

    say("\n[green]Done.[/green] Try: rights-ledger work show " + poem_id + "   |   rights-ledger verify " + str(poem))
    say("The node keeps running with its state in the data directory; stop it with `rights-ledger node stop`.")


def ensure_member(app: App, ledger: Ledger, addr: dict[str, str], as_, name: str, role: str, password: str) -> str:
    """The local account ``name``, created when missing, holding ``role`` on-chain (granted by the governor)."""
    if not app.keystore.exists(name):
        app.keystore.create(name, password)
        say(f"   created account {name}")
    addr[name] = app.keystore.address_of(name)
    if role not in ledger.roles_of(addr[name]):
        as_("governor").grant_role(role, addr[name])
    return addr[name]


def _name(address: str, addr: dict[str, str]) -> str:
    return next((n for n, a in addr.items() if a == address), address)


def _register(ledger: Ledger, path: Path, doc: dict, holders: list[Holder], quiet: bool = False) -> str:
    wid = "0x" + sha256_of_file(path)
    if not quiet and ledger.status_of(wid) != WorkStatus.NONE:
        say(f"   {path.name} was registered in an earlier run: {wid[:18]}...")
        return wid
    r = ledger.register_work(doc, holders)
    say(f"   {path.name} -> work {r.work_id[:18]}..., PENDING (block {r.block}, {r.gas_used} gas)")
    return r.work_id


def _optional_stories(app: App, ledger: Ledger, addr: dict[str, str], as_, poem_id: str, art_id: str, n: int) -> int:
    """The chapters of later features: licensing, usage and royalties, protection and audit."""
    import importlib
    import importlib.util

    counter = [n]

    def auto_step(_n: int, text: str) -> None:
        step(counter[0], text)
        counter[0] += 1

    def chapter(module: str) -> object | None:
        if importlib.util.find_spec(f"ledger.cli.{module}") is None:
            return None
        return importlib.import_module(f"ledger.cli.{module}")

    lic = chapter("demo_licensing")
    if lic is not None:
        lic.licensing_story(app, ledger, addr, as_, say, auto_step, poem_id)  # type: ignore[attr-defined]
    roy = chapter("demo_royalties")
    if roy is not None:
        counter[0] = roy.royalty_story(app, ledger, addr, as_, say, step, counter[0])  # type: ignore[attr-defined]
    prot = chapter("demo_protection")
    if prot is not None:
        counter[0] = prot.protection_story(  # type: ignore[attr-defined]
            app, ledger, addr, as_, say, step, poem_id, art_id, counter[0]
        )
    return counter[0]
