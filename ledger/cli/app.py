"""The root group, the shared context and the error handling of every command."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from ledger.cli.lang import lang_option
from ledger.core.config import Settings, load_settings
from ledger.core.errors import ChainUnavailable, InputError, LedgerError
from ledger.core.i18n import gettext as _
from ledger.core.keystore import Keystore
from ledger.domain.works import Ledger, parse_address

err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


class App:
    """What every command shares: settings, the chosen signer, a lazily opened ledger."""

    def __init__(self, settings: Settings, account: str | None, password: str | None) -> None:
        self.settings = settings
        self.account = account
        self.password = password
        self._ledger: Ledger | None = None
        self.keystore = Keystore(settings.keys_dir)

    def signing_password(self) -> str | None:
        """The keystore password: --password / RIGHTS_LEDGER_PASSWORD, else asked on a terminal."""
        if self.password is None and self.account and sys.stdin.isatty() and self.keystore.exists(self.account):
            self.password = click.prompt(f"Password of account {self.account}", hide_input=True, err=True)
        return self.password

    def ledger(self, *, signer: bool = False) -> Ledger:
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
    error_label, hint_label = _("error:"), _("hint:")
    err_console.print(f"[red]{error_label}[/red] {escape(one_line)}", soft_wrap=True)
    if hint:
        err_console.print(f"[dim]{hint_label} {escape(' '.join(str(hint).split()))}[/dim]", soft_wrap=True)
    sys.exit(code)


class LedgerGroup(click.Group):
    """Turns every expected failure into one line and exit code 2."""

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
@lang_option
@click.pass_context
def cli(ctx: click.Context, home: Path | None, network: str | None, rpc_url: str | None,
        store_spec: str | None, account: str | None, password: str | None) -> None:
    """Rights Ledger: register, confirm, license and audit copyright works on a permissioned chain.

    With no settings it runs on the embedded default: a local anvil chain and a local
    content-addressed store under ~/.rights-ledger, started on first use.
    """
    settings = load_settings(home=home, network=network, rpc_url=rpc_url, store=store_spec)
    ctx.obj = App(settings, account, password)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
