"""``rights-ledger serve``: the read-only web portal (look-up, licence check, audit, JSON API)."""

from __future__ import annotations

import click

from ledger.cli.app import App, cli, err_console


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="RIGHTS_LEDGER_PORTAL_HOST",
              help="Address to listen on. Keep 127.0.0.1 unless a proxy in front adds TLS and access control.")
@click.option("--port", default=8600, show_default=True, type=click.IntRange(0, 65535),
              envvar="RIGHTS_LEDGER_PORTAL_PORT", help="Port to listen on.")
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """Serve the read-only web portal over this ledger.

    Pages to look a work up (by id, by content hash, or by dropping a file that the browser
    hashes locally), check a licence and audit the event history; a JSON API described at
    /openapi.json. No key is loaded and nothing is written: the embedded node is not started
    (start it with `rights-ledger node start`), and every request but GET is refused.
    """
    import uvicorn  # imported here so other commands do not pay for it

    from ledger.portal import create_app

    settings = app.settings
    err_console.print(
        f"portal on http://{host}:{port} over {settings.network.rpc_url} "
        f"(network {settings.network.name}, read-only); Ctrl-C stops it"
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
