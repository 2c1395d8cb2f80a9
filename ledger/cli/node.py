"""``rights-ledger node``: the embedded chain node."""

from __future__ import annotations

import click

from ledger.cli.app import App, cli, emit_json, json_option, out_console
from ledger.core.errors import ConfigError
from ledger.core.node import EmbeddedNode


def _node(app: App) -> EmbeddedNode:
    if not app.settings.network.embedded:
        raise ConfigError(
            f"network {app.settings.network.name!r} is not the embedded node",
            hint="node commands manage the local anvil node only",
        )
    return EmbeddedNode(app.settings.network, app.settings.chain_dir)


@cli.group()
def node() -> None:
    """Start, stop and inspect the embedded chain node."""


@node.command()
@json_option
@click.pass_obj
def start(app: App, as_json: bool) -> None:
    """Start the embedded node (state kept in the data directory); deploy on first start."""
    _node(app).stopped_marker.unlink(missing_ok=True)
    ledger = app.ledger()  # starts the node and deploys the contracts when needed
    status = _node(app).status()
    if as_json:
        emit_json({"node": status, "contracts": {k: v.address for k, v in ledger.deployment.contracts.items()}})
        return
    out_console.print(f"node running on {status.rpc_url} (block {status.block_number}, pid {status.pid})")
    for name, rec in ledger.deployment.contracts.items():
        out_console.print(f"  {name:<14} {rec.address}")


@node.command()
@json_option
@click.pass_obj
def stop(app: App, as_json: bool) -> None:
    """Stop the embedded node cleanly; its state is saved. It stays stopped until `node start`."""
    node = _node(app)
    stopped = node.stop()
    node.dir.mkdir(parents=True, exist_ok=True)
    node.stopped_marker.write_text("stopped by `rights-ledger node stop`; `rights-ledger node start` starts it\n")
    if as_json:
        emit_json({"stopped": stopped})
    else:
        out_console.print("node stopped, state saved" if stopped else "node was not running")


@node.command()
@json_option
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """Say whether the embedded node runs, where, and at which block: exit 0 running, 1 not running."""
    node = _node(app)
    st = node.status()
    if as_json:
        emit_json(st)
    elif st.running:
        out_console.print(f"running on {st.rpc_url}, block {st.block_number}, state in {st.state_file}")
    elif (elsewhere := node.running_port()) == node.port:
        out_console.print(f"not answering on {st.rpc_url}: this data directory's node (pid {st.pid}) runs but "
                          "does not answer; stop it with `rights-ledger node stop`")
    elif elsewhere is not None:
        out_console.print(f"not running on {st.rpc_url}: this data directory's node runs on port {elsewhere} "
                          f"(set RIGHTS_LEDGER_PORT={elsewhere})")
    else:
        out_console.print(f"not running (state in {st.state_file}); start it with `rights-ledger node start`")
    if not st.running:
        raise SystemExit(1)
