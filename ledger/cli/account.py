"""``rights-ledger account``: local keys and on-chain roles."""

from __future__ import annotations

import click

from ledger.cli.app import App, cli, emit_json, err_console, json_option, out_console
from ledger.core.errors import InputError


@cli.group()
def account() -> None:
    """Local accounts (encrypted keystores) and their roles."""


@account.command("new")
@click.argument("name")
@json_option
@click.pass_obj
def new(app: App, name: str, as_json: bool) -> None:
    """Create an account NAME with a new key, encrypted with the password."""
    source = click.get_current_context().find_root().get_parameter_source("password")
    if app.password and source is click.core.ParameterSource.ENVIRONMENT:
        err_console.print("note: the key is encrypted with the password in RIGHTS_LEDGER_PASSWORD")
    password = app.password or click.prompt("Password for the new key", hide_input=True, confirmation_prompt=True,
                                            err=True)
    info = app.keystore.create(name, password)
    if as_json:
        emit_json(info)
    else:
        out_console.print(f"created {info.name}: {info.address}")


@account.command("list")
@json_option
@click.pass_obj
def list_(app: App, as_json: bool) -> None:
    """List local accounts."""
    infos = app.keystore.list()
    if as_json:
        emit_json(infos)
        return
    if not infos:
        out_console.print("no accounts; create one with `rights-ledger account new NAME`")
    for i in infos:
        out_console.print(f"{i.name:<16} {i.address}")


@account.command("grant-role")
@click.argument("role")
@click.argument("who")
@json_option
@click.pass_obj
def grant_role(app: App, role: str, who: str, as_json: bool) -> None:
    """Grant ROLE (GOVERNOR, REGISTRAR, CMO, HOLDER, LICENSEE, AUDITOR) to WHO (address or account name)."""
    ledger = app.ledger(signer=True)
    address = app.resolve(who)
    r = ledger.grant_role(role, address)
    if as_json:
        emit_json({"role": role.upper(), "account": address, "tx": r})
    else:
        out_console.print(f"granted {role.upper()} to {address} (tx {r.tx_hash})")


@account.command("revoke-role")
@click.argument("role")
@click.argument("who")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def revoke_role(app: App, role: str, who: str, yes: bool) -> None:
    """Revoke ROLE from WHO."""
    address = app.resolve(who)
    if not yes:
        click.confirm(f"Revoke {role.upper()} from {address}?", abort=True)
    r = app.ledger(signer=True).revoke_role(role, address)
    out_console.print(f"revoked {role.upper()} from {address} (tx {r.tx_hash})")


@account.command("verify-holder")
@click.argument("who")
@click.option("--real-name", required=True, help="The verified real name (only a salted hash goes on-chain).")
@json_option
@click.pass_obj
def verify_holder(app: App, who: str, real_name: str, as_json: bool) -> None:
    """As a registrar: record WHO's real-name verification and grant HOLDER."""
    address = app.resolve(who)
    r, commitment, salt = app.ledger(signer=True).verify_holder(address, real_name)
    if as_json:
        emit_json({"account": address, "commitment": commitment, "salt": salt, "tx": r})
    else:
        out_console.print(f"verified {address}; commitment {commitment}")
        out_console.print(f"keep this salt with the verification file: {salt}")


@account.command("roles")
@click.argument("who")
@json_option
@click.pass_obj
def roles(app: App, who: str, as_json: bool) -> None:
    """Show the roles WHO holds on-chain."""
    address = app.resolve(who)
    held = app.ledger().roles_of(address)
    if as_json:
        emit_json({"account": address, "roles": held})
    else:
        out_console.print(f"{address}: {', '.join(held) if held else 'no role'}")


@account.command("members")
@click.argument("role")
@json_option
@click.pass_obj
def members(app: App, role: str, as_json: bool) -> None:
    """List every account holding ROLE (auditors use this)."""
    if not role:
        raise InputError("name a role")
    accounts = app.ledger().members(role)
    if as_json:
        emit_json({"role": role.upper(), "members": accounts})
    else:
        for a in accounts:
            out_console.print(a)
