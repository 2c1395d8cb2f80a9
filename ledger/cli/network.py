"""``rights-ledger network``: what the nodes of a permissioned network need from the ledger."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ledger.cli.app import App, cli, out_console
from ledger.core.inputs import read_text
from ledger.domain.besu import permissions_toml


@cli.group()
def network() -> None:
    """Node configuration derived from the ledger (Besu permissioning)."""


@network.command("besu-permissions")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the TOML here (default: stdout).")
@click.option("--nodes", "nodes_file", type=click.Path(path_type=Path),
              help="A file of enode URLs, one per line, for nodes-allowlist.")
@click.pass_obj
def besu_permissions(app: App, output: Path | None, nodes_file: Path | None) -> None:
    """Export Besu's accounts allowlist (permissions TOML) from the on-chain roles."""
    nodes: list[str] = []
    if nodes_file is not None:
        nodes = read_text(nodes_file, what="file of enode URLs", limit=1 << 20).splitlines()
    text = permissions_toml(app.ledger(), nodes)
    if output is None:
        click.echo(text, nl=False)
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    out_console.print(f"wrote {output}")
