"""``rights-ledger token``: the settlement token (balances; minting on a development chain)."""

from __future__ import annotations

import re
from decimal import Decimal

import click

from ledger.cli.app import App, cli, emit_json, json_option, out_console
from ledger.core.errors import ConfigError, InputError
from ledger.domain.royalties import Royalties

_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,17})(?:\.[0-9]+)?")


def parse_token_amount(text: str, decimals: int) -> int:
    """A token amount written in tokens (``675`` or ``675.5``) as an integer in the smallest unit."""
    if not _AMOUNT.fullmatch(text):
        raise InputError(f"amount {text!r} is not a number of tokens", hint="write it like 675 or 675.50")
    whole, _, frac = text.partition(".")
    if len(frac) > decimals:
        raise InputError(f"amount {text!r} has more than {decimals} decimals (the token's precision)")
    units = int(whole) * 10**decimals + int((frac or "0").ljust(decimals, "0"))
    if units <= 0:
        raise InputError("the amount must be positive")
    return units


def format_token_amount(units: int, decimals: int) -> str:
    """``675000000`` with 6 decimals -> ``675.00`` (at least two decimals, more only when needed)."""
    text = f"{Decimal(units).scaleb(-decimals):f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{int(whole):,}.{frac}"


@cli.group()
def token() -> None:
    """The settlement token that royalties are paid in."""


@token.command("mint")
@click.argument("account")
@click.argument("amount")
@json_option
@click.pass_obj
def token_mint(app: App, account: str, amount: str, as_json: bool) -> None:
    """As the governor, on a development chain only: mint AMOUNT tokens (e.g. 675.50) to ACCOUNT.

    Refused on a network that is not marked `production = false` in networks.toml: a
    production network pays in a real settlement token that this ledger does not mint.
    """
    if app.settings.network.production:
        raise ConfigError(f"network {app.settings.network.name!r} is a production network: tokens are not minted",
                          hint="mint only on the embedded chain or a network marked `production = false`")
    roy = Royalties(app.ledger(signer=True))
    decimals = roy.token_decimals()
    units = parse_token_amount(amount, decimals)
    to = app.resolve(account)
    r = roy.mint(to, units)
    balance = roy.token_balance(to)
    if as_json:
        emit_json({"account": to, "minted": str(units), "balance": str(balance), "decimals": decimals,
                   "tx": r.tx_hash})
    else:
        out_console.print(f"minted {format_token_amount(units, decimals)} tokens to {account}; balance now "
                          f"{format_token_amount(balance, decimals)} (tx {r.tx_hash})")


@token.command("balance")
@click.argument("account")
@json_option
@click.pass_obj
def token_balance(app: App, account: str, as_json: bool) -> None:
    """ACCOUNT's settlement token balance, in tokens and in the smallest unit."""
    ledger = app.ledger()
    roy = Royalties(ledger)
    who, decimals = app.resolve(account), roy.token_decimals()
    units = roy.token_balance(who)
    if as_json:
        emit_json({"account": who, "balance": str(units), "decimals": decimals,
                   "tokens": format_token_amount(units, decimals)})
    else:
        out_console.print(f"{account}: {format_token_amount(units, decimals)} tokens ({units} units)")
