"""The root group, the shared context and the error handling of every command."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from ledger.core.config import Settings, load_settings
from ledger.core.errors import ChainUnavailable, InputError, LedgerError

if TYPE_CHECKING:  # the SDK (web3, eth-account) is imported when a command first needs it
    from ledger.core.keystore import Keystore
    from ledger.domain.works import Ledger

err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


class App:
    """What every command shares: settings, the chosen signer, a lazily opened ledger."""

    def __init__(self, settings: Settings, account: str | None, password: str | None) -> None:
        self.settings = settings
        self.account = account
        self.password = password
        self._ledger: Ledger | None = None
        self._keystore: Keystore | None = None

    @property
    def keystore(self) -> Keystore:
        if self._keystore is None:
            from ledger.core.keystore import Keystore

            self._keystore = Keystore(self.settings.keys_dir)
        return self._keystore

    def signing_password(self) -> str | None:
        """The keystore password: --password / RIGHTS_LEDGER_PASSWORD, else asked on a terminal."""
        if self.password is None and self.account and sys.stdin.isatty() and self.keystore.exists(self.account):
            self.password = click.prompt(f"Password of account {self.account}", hide_input=True, err=True)
        return self.password

    def ledger(self, *, signer: bool = False) -> Ledger:
        from ledger.domain.works import Ledger

        if self._ledger is None:
            self._ledger = Ledger.open(
                self.settings,
                account=self.account if signer else None,
                password=self.signing_password() if signer else self.password,
                log=lambda m: err_console.print(f"[dim]{m}[/dim]"),
            )
        elif signer and self._ledger.signer is None:
            if not self.account:
                raise LedgerError("this command signs a transaction: choose an account with --as NAME")
            self._ledger.signer = self.keystore.unlock(self.account, self.signing_password())
        if signer and self._ledger.signer is None:
            raise LedgerError("this command signs a transaction: choose an account with --as NAME")
        return self._ledger

    def resolve(self, value: str, what: str = "account") -> str:
        """An address, or the name of a local account."""
        if value.startswith("0x"):
            from ledger.domain.works import parse_address

            return parse_address(value, what)
        return self.keystore.address_of(value)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "value") and isinstance(value.value, int):
        return value.name  # enums
    return value


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from a UTF-8 file; a syntax error names ``file:line:column``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: {what} must be a JSON object")
    return doc


def emit_json(value: Any) -> None:
    click.echo(json.dumps(_plain(value), indent=2, sort_keys=True))


def fail(message: str, hint: str | None = None, code: int = 2) -> NoReturn:
    """One line ``error: ...`` (and one ``hint: ...``) on stderr, then exit ``code``."""
    one_line = " ".join(str(message).split())
    err_console.print(f"[red]error:[/red] {escape(one_line)}", soft_wrap=True)
    if hint:
        err_console.print(f"[dim]hint: {escape(' '.join(str(hint).split()))}[/dim]", soft_wrap=True)
    sys.exit(code)


# The root's sub-commands: name -> (modules that define it and its sub-commands, short help).
# A command's module (and the SDK it imports) is loaded only when that command runs, so
# `--help` and a read command do not pay for every other command's imports.
LAZY_COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "account": (("account",), "Local accounts (encrypted keystores) and their roles."),
    "attest": (("protect",), "Prove that a file or hash existed at a time (block time, optional RFC 3161 token)."),
    "audit": (("audit",), "Rebuild the ledger's state from its events and check it against the chain and store."),
    "demo": (("demo",), "Run the walking-skeleton story on the embedded chain and explain each step."),
    "licence": (("licence",), "Grant, offer, accept, revoke and check licences."),
    "mandate": (("licence",), "As a holder: mandate works to a CMO, or withdraw a mandate."),
    "network": (("network",), "Node configuration derived from the ledger (Besu permissioning)."),
    "node": (("node",), "Start, stop and inspect the embedded chain node."),
    "royalty": (("usage",), "Pay into a CMO's pool, distribute a period, verify it, claim."),
    "serve": (("serve",), "Serve the read-only web portal over this ledger."),
    "store": (("store",), "Add and read content-addressed documents."),
    "tariff": (("licence",), "Statutory licence tariffs (set by the governor)."),
    "token": (("token",), "The settlement token that royalties are paid in."),
    "usage": (("usage",), "Report usage of works: single lines or usage report files (CSV / JSON lines)."),
    "verify": (("verify",), "Hash FILE and look up its registration, or check a certificate."),
    "work": (("work", "batch", "protect"), "Register works and manage their ownership."),
}


def load_all_commands() -> None:
    """Import every command module (tests and tools that walk the whole command tree)."""
    import importlib

    for modules, _ in LAZY_COMMANDS.values():
        for module in modules:
            importlib.import_module(f"ledger.cli.{module}")


class LedgerGroup(click.Group):
    """Turns every expected failure into one line and exit code 2; loads sub-commands lazily."""

    lazy = False  # only the root group loads its sub-commands from LAZY_COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        if not self.lazy:
            return super().list_commands(ctx)
        return sorted(set(self.commands) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self.lazy and (cmd_name in LAZY_COMMANDS or cmd_name not in self.commands):
            import importlib
            import pkgutil

            import ledger.cli

            # (a group's sub-commands may live in several modules; a name missing from the table:
            # import every command module before giving up)
            modules = LAZY_COMMANDS[cmd_name][0] if cmd_name in LAZY_COMMANDS else \
                tuple(m.name for m in pkgutil.iter_modules(ledger.cli.__path__) if not m.name.startswith("_"))
            for module in modules:
                importlib.import_module(f"ledger.cli.{module}")
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if not self.lazy:
            return super().format_commands(ctx, formatter)
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name)
            text = cmd.get_short_help_str(limit) if cmd is not None else \
                click.utils.make_default_short_help(LAZY_COMMANDS[name][1], limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        return None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as exc:
            fail(exc.message, exc.hint, exc.exit_code)
        except click.exceptions.UsageError as exc:  # bad option value, missing argument
            where = exc.ctx.command_path if exc.ctx else "rights-ledger"
            fail(exc.format_message(), f"see `{where} --help`", 2)
        except ChainUnavailable as exc:  # pragma: no cover - subclass of LedgerError
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted; nothing half-written is left (rerun to continue)", code=130)
        except OSError as exc:
            fail(f"{getattr(exc, 'filename', '') or 'I/O'}: {exc.strerror or exc}")


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), envvar="RIGHTS_LEDGER_HOME",
              help="Data directory (keys, chain state, store, deployments). Default ~/.rights-ledger.")
@click.option("--network", envvar="RIGHTS_LEDGER_NETWORK", default=None,
              help="Network profile: 'local' (embedded anvil, the default) or one in networks.toml.")
@click.option("--rpc-url", envvar="RIGHTS_LEDGER_RPC_URL", default=None, help="Override the network's RPC URL.")
@click.option("--store", "store_spec", envvar="RIGHTS_LEDGER_STORE", default=None,
              help="Metadata store: 'local' (default) or 'kubo:/ip4/127.0.0.1/tcp/5001'.")
@click.option("--as", "account", envvar="RIGHTS_LEDGER_ACCOUNT", default=None,
              help="Name of the local account that signs.")
@click.option("--password", envvar="RIGHTS_LEDGER_PASSWORD", default=None,
              help="Keystore password (prefer the RIGHTS_LEDGER_PASSWORD variable).")
@click.version_option("0.1.0", prog_name="rights-ledger")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, network: str | None, rpc_url: str | None,
        store_spec: str | None, account: str | None, password: str | None) -> None:
    """Rights Ledger: register, confirm, license and audit copyright works on a permissioned chain.

    With no settings it runs on the embedded default: a local anvil chain and a local
    content-addressed store under ~/.rights-ledger, started on first use.
    """
    settings = load_settings(home=home, network=network, rpc_url=rpc_url, store=store_spec)
    ctx.obj = App(settings, account, password)


cli.lazy = True


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
