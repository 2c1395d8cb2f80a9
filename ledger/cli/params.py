"""click parameter types over ledger.core.parsing: every number, period and time an option takes.

click's own ``int`` type calls ``int()``, which accepts ``1_000``, ``+5`` and `` 7 ``; these
types use the same strict parsers as the files, so an option and a file column follow one
rule (SPECIFICATION.md, "Input rules"). A bad value is a usage error: one line, exit 2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ledger.core import parsing
from ledger.core.errors import InputError


class Parsed(click.ParamType):
    """A click type that calls one parser of ledger.core.parsing."""

    def __init__(self, name: str, parse: Callable[[Any], Any]) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):  # a default given in code
            return value
        try:
            return self._parse(value)
        except InputError as exc:
            self.fail(exc.message, param, ctx)


def uint(bits: int, what: str = "value", minimum: int = 0, maximum: int | None = None) -> Parsed:
    """A whole number (decimal digits only) that fits ``uint<bits>`` and ``minimum..maximum``."""
    return Parsed(f"uint{bits}", lambda v: parsing.parse_uint(v, what, bits=bits, minimum=minimum, maximum=maximum))


PERIOD = Parsed("YYYYMM", parsing.parse_period)
BPS = Parsed("bps", lambda v: parsing.parse_bps(v))
LICENCE_ID = uint(64, "licence id")
REPORT_ID = uint(64, "report id")
NONCE = uint(256, "nonce")
BLOCK = uint(64, "block number")
AMOUNT = uint(256, "amount")
FEE = uint(96, "fee")
QUANTITY = uint(64, "quantity", minimum=1)
REASON_CODE = uint(16, "reason code")

__all__ = ["AMOUNT", "BLOCK", "BPS", "FEE", "LICENCE_ID", "NONCE", "PERIOD", "QUANTITY", "REASON_CODE", "REPORT_ID",
           "Parsed", "uint"]
