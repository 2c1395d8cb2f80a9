"""The root group, the shared context and the error handling of every command."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from ledger.cli.lang import lang_option
from ledger.core import i18n
from ledger.core.config import Settings, default_home, load_settings
from ledger.core.errors import LedgerError
from ledger.core.i18n import gettext as _

if TYPE_CHECKING:  # the SDK (web3, eth-account) is imported when a command first needs it
    from rich.progress import Progress

    from ledger.core.keystore import Keystore
    from ledger.domain.works import Ledger


class _Stream:
    """``sys.stdout`` or ``sys.stderr`` as it is when written to (a test runner swaps them), writing what the
    stream cannot encode as a backslash escape: a lone surrogate (a JSON ``"\\ud800"`` escape in a file
    being quoted back), a non-ASCII title under ``LANG=C``. Without it the write raised, the command
    ended in an internal error, and rich kept the line in its buffer, to fail every later print of the
    process with it (the portal's, a test run's)."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def _stream(self) -> Any:
        stream = getattr(sys, self._name)
        # while a progress bar runs, rich puts a proxy that prints through the console in sys.stderr:
        # the console writes to the stream behind it (as rich's own Console.file does)
        return getattr(stream, "rich_proxied_file", stream)

    def write(self, text: str) -> int:
        stream = self._stream
        try:
            return stream.write(text)
        except UnicodeEncodeError:
            encoding = getattr(stream, "encoding", None) or "utf-8"
            return stream.write(text.encode(encoding, "backslashreplace").decode(encoding))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def fileno(self) -> int:
        return int(self._stream.fileno())

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"


class _Console(Console):
    """A console whose line is printed as written when it is not valid markup: the commands' lines
    carry titles, names and reasons from other clients' documents and events, and one such as
    ``[/x]`` raised MarkupError (`work pending`, the registrar's queue, ended in an internal error
    for every registrar while that work waited)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        from rich.errors import MarkupError

        try:
            super().print(*objects, **kwargs)
        except MarkupError:
            super().print(*objects, **{**kwargs, "markup": False})


# soft_wrap: rich never breaks a line itself (a terminal wraps long lines; a pipe or a file keeps hex ids,
# CIDs and commands whole instead of cutting them at 80 columns); emoji=False: a title such as ":smile:" is
# printed as written (and rich's emoji table is not loaded)
# markup=False: a line is printed as written, whatever brackets its titles, names, reasons and paths
# hold (another client's document titled "[link=https://...]..." was a terminal hyperlink, and
# "[conceal]" hid the rest of the line); the few styled lines pass markup=True and escape what
# they quote (``styled``).
err_console = _Console(file=_Stream("stderr"), highlight=False, soft_wrap=True, emoji=False,  # type: ignore[arg-type]
                       markup=False)
out_console = _Console(file=_Stream("stdout"), highlight=False, soft_wrap=True, emoji=False,  # type: ignore[arg-type]
                       markup=False)


def styled(markup: str, *values: Any) -> str:
    """``markup`` (rich markup of ours, with ``{}`` placeholders) with ``values`` escaped into it:
    print the result with ``markup=True``."""
    return markup.format(*(escape(str(v)) for v in values))


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
        from ledger.domain.works import GOVERNOR_ACCOUNT, Ledger

        if self._ledger is None:
            first_start = self.account == GOVERNOR_ACCOUNT and not self.settings.deployments_file.exists()
            if self.account and not signer and not first_start:  # `--as NAME` is never ignored by a read
                self.keystore.address_of(self.account)  # no such account: one error line, exit 2
            self._ledger = Ledger.open(
                self.settings,
                account=self.account if signer else None,
                password=self.signing_password() if signer else self.password,
                log=lambda m: err_console.print(styled("[dim]{}[/dim]", m), markup=True),
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


def progress_bar(*extra: Any, enabled: bool = True, transient: bool = True) -> Progress:
    """The one progress bar of the CLI (on stderr): description, bar, done/total, extra columns, time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), *extra,
                    TimeElapsedColumn(), console=err_console, disable=not enabled, transient=transient)


@contextlib.contextmanager
def phase_progress(quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per phase on stderr, as an ``update(phase, done, total)`` callback for the SDK's
    long runs (usage reports, clearance); ``quiet`` (--json) gives a callback that shows nothing."""
    if quiet:
        yield lambda _p, _d, _t: None
        return
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total or None)
            bar.update(tasks[phase], completed=done, total=total or None)

        yield update


def emit_json(value: Any) -> None:
    click.echo(json.dumps(_plain(value), indent=2, sort_keys=True))


def fail(message: str, hint: str | None = None, code: int = 2) -> NoReturn:
    """One line ``error: ...`` (and one ``hint: ...``) on stderr, then exit ``code``; both in the
    language in force (the SDK's English messages through the catalogue: i18n.error_text)."""
    one_line = " ".join(i18n.error_text(" ".join(str(message).split())).split())
    hint = i18n.error_text(" ".join(str(hint).split())) if hint else hint
    error_label, hint_label = _("error:"), _("hint:")
    err_console.print(f"[red]{error_label}[/red] {escape(one_line)}", soft_wrap=True, markup=True)
    if hint:
        err_console.print(f"[dim]{hint_label} {escape(' '.join(str(hint).split()))}[/dim]", soft_wrap=True,
                          markup=True)
    sys.exit(code)


# The root's sub-commands: name -> (modules that define it and its sub-commands, short help).
# A command's module (and the SDK it imports) is loaded only when that command runs, so
# `--help` and a read command do not pay for every other command's imports.
LAZY_COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "account": (("account",), "Local accounts (encrypted keystores) and their roles."),
    "attest": (("protect",), "Prove that a file or hash existed at a time (block time, optional RFC 3161 token)."),
    "audit": (("audit",), "Rebuild the ledger's state from its events and check it against the chain and store."),
    "clearance": (("clearance",), "Clear an AI training corpus: coverage, reservations and fees per item."),
    "demo": (("demo",), "Run the walking-skeleton story on the embedded chain and explain each step."),
    "licence": (("licence", "formats"), "Grant, offer, accept, revoke and check licences."),
    "mandate": (("licence",), "As a holder: mandate works to a CMO, or withdraw a mandate."),
    "network": (("network",), "Node configuration derived from the ledger (Besu permissioning)."),
    "node": (("node",), "Start, stop and inspect the embedded chain node."),
    "royalty": (("usage", "clearance"), "Pay into a CMO's pool, distribute a period, verify it, claim."),
    "serve": (("serve",), "Serve the read-only web portal over this ledger."),
    "store": (("store",), "Add and read content-addressed documents."),
    "tariff": (("licence",), "Statutory licence tariffs (set by the governor)."),
    "token": (("token",), "The settlement token that royalties are paid in."),
    "usage": (("usage", "formats"), "Report usage of works: single lines or usage report files (CSV / JSON lines)."),
    "verify": (("verify",), "Hash FILE and look up its registration, or check a certificate."),
    "work": (("work", "batch", "protect", "formats"), "Register works and manage their ownership."),
}


def load_all_commands() -> None:
    """Import every command module (tests and tools that walk the whole command tree)."""
    import importlib

    for modules, _help in LAZY_COMMANDS.values():
        for module in modules:
            importlib.import_module(f"ledger.cli.{module}")


def _defer_modules(group: click.Group, modules: tuple[str, ...]) -> None:
    """Import ``modules`` (more sub-commands of ``group``) when a sub-command is not found or listed."""
    import importlib

    if getattr(group, "_ledger_deferred", False):
        return
    group._ledger_deferred = True  # type: ignore[attr-defined]
    get_command, list_commands = group.get_command, group.list_commands
    pending = list(modules)

    def load() -> None:
        while pending:
            importlib.import_module(f"ledger.cli.{pending.pop(0)}")

    def lazy_get(ctx: click.Context, name: str) -> click.Command | None:
        cmd = get_command(ctx, name)
        if cmd is None and pending:
            load()
            cmd = get_command(ctx, name)
        return cmd

    def lazy_list(ctx: click.Context) -> list[str]:
        load()
        return list_commands(ctx)

    group.get_command = lazy_get  # type: ignore[method-assign]
    group.list_commands = lazy_list  # type: ignore[method-assign]


INTERNAL_LOG = "internal-errors.log"


def _log_home(ctx: click.Context | None) -> Path:
    obj = getattr(ctx, "obj", None) if ctx is not None else None
    if isinstance(obj, App):
        return obj.settings.home
    home = (ctx.params.get("home") if ctx is not None else None) or None
    try:
        return Path(home).expanduser() if home else default_home()
    except Exception:  # noqa: BLE001 - no home at all: the temp folder
        import tempfile

        return Path(tempfile.gettempdir())


def log_internal_error(exc: BaseException, ctx: click.Context | None = None) -> Path | None:
    """Append the traceback of an unexpected exception to ``<home>/logs/internal-errors.log``."""
    import tempfile  # here, not at start-up: only a failure needs them
    import traceback

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    argv = " ".join(sys.argv[1:]) if ctx is None else ctx.command_path
    for folder in (_log_home(ctx) / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / INTERNAL_LOG
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"--- {stamp} rights-ledger {argv}\n{text}\n")
            return path
        except OSError:
            continue
    return None


def internal_error(exc: BaseException, ctx: click.Context | None = None) -> NoReturn:
    """The last line of defence: one line, exit 2, the traceback in a log file, never on the terminal."""
    where = log_internal_error(exc, ctx)
    detail = " ".join(str(exc).split())[:200]
    fail(f"internal error (please report): {type(exc).__name__}" + (f": {detail}" if detail else ""),
         f"the details are in {where}" if where else None, 2)


class LedgerGroup(click.Group):
    """Turns every failure into one line and exit code 2 (130 for Ctrl-C); never a traceback.
    The root group loads its sub-commands lazily (LAZY_COMMANDS)."""

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
            translated = i18n.current() != i18n.DEFAULT
            # The first module defines the command (a group: with some sub-commands); the others add
            # sub-commands and are imported only when one of theirs is asked for or listed, so
            # `work show` does not import the batch pipeline, the formats and the protection commands.
            first, rest = (modules, ()) if translated or cmd_name not in LAZY_COMMANDS else (modules[:1], modules[1:])
            for module in first:
                importlib.import_module(f"ledger.cli.{module}")
            cmd = super().get_command(ctx, cmd_name)
            if isinstance(cmd, click.Group) and rest:
                _defer_modules(cmd, rest)
            elif rest:
                for module in rest:
                    importlib.import_module(f"ledger.cli.{module}")
            if cmd is not None and translated:  # a command loaded now speaks the language too
                from ledger.cli.lang import localize

                localize(cmd, i18n.current())
            return cmd
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.lazy and i18n.current() != i18n.DEFAULT:  # translated short helps come from the commands themselves
            from ledger.cli.lang import localize

            load_all_commands()
            localize(self, i18n.current())
            return super().format_commands(ctx, formatter)
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


    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.exceptions.UsageError as exc:  # a bad option of the root group
            fail(exc.format_message(), "see `rights-ledger --help`", 2)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            internal_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as exc:
            fail(exc.message, exc.hint, exc.exit_code)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.exceptions.UsageError as exc:  # bad option value, missing argument
            where = exc.ctx.command_path if exc.ctx else "rights-ledger"
            fail(exc.format_message(), f"see `{where} --help`", 2)
        except click.ClickException as exc:  # a file click could not open, ...
            fail(exc.format_message(), None, 2)
        except KeyboardInterrupt:
            fail("interrupted; nothing half-written is left (rerun to continue)", code=130)
        except OSError as exc:
            fail(f"{getattr(exc, 'filename', '') or 'I/O'}: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            internal_error(exc, ctx)


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


cli.lazy = True


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
