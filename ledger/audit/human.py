"""Human units and names for exported events, next to the raw values (``audit export``, default on).

For each event row :class:`Humaniser` adds ``timeUtc`` (ISO 8601 UTC), ``actorName`` and a
``human`` object holding, for the fields that have one, a readable form:

* token amounts with decimals and the token: royalty-pool amounts (amount, total, commission,
  residue, paidIn, owed, amountPerWork, ratePerUse) in the royalty token; flat fees and offer
  payments (flatFee, paid) in the licences' settlement token, or the native currency (18 decimals)
  when none is set; SettlementToken transfers in that token;
* times (start, end, at, from, effectiveAt, time, validFrom, validUntil, usedAt) in ISO 8601 UTC
  (the "no end" sentinel 2**40-1 becomes ``never``);
* roles by name (GOVERNOR, REGISTRAR, CMO, HOLDER, LICENSEE, AUDITOR), use masks by their uses,
  basis points as percentages, work types and creation modes by name;
* accounts with their known names (``name (0x...)``): the local keystore's accounts and the
  deployment's contracts; unknown accounts stay as the bare address.

Tuples are expanded by their known layout (licence terms, report totals, usage lines, holders).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger.core.types import USES

FOREVER = (1 << 40) - 1
TIME_KEYS = {"at", "from", "effectiveAt", "start", "end", "time", "validFrom", "validUntil", "usedAt"}
ROYALTY_AMOUNTS = {"amount", "total", "commission", "residue", "paidIn", "owed", "amountPerWork", "ratePerUse"}
FEE_AMOUNTS = {"flatFee", "paid"}
USE_KEYS = {"uses", "reservedUses", "use"}
ROLE_KEYS = {"role", "previousAdminRole", "newAdminRole"}
BPS_KEYS = {"bps", "commissionBps"}
TUPLES = {
    "terms": ("scope", "uses", "start", "end", "exclusive", "flatFee", "ratePerUse", "territories", "termsCid"),
    "totals": ("lineCount", "quantity", "owed"),
    "line": ("index", "workId", "use", "quantity", "usedAt", "licenceId", "kind", "owed"),
}
WORK_TYPES = ("music", "text", "audiovisual", "image", "software", "other")
MODES = ("human", "ai-assisted", "ai-generated")


def iso(ts: int) -> str:
    if ts >= FOREVER:
        return "never"
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(units: int, decimals: int, symbol: str) -> str:
    text = f"{Decimal(int(units)).scaleb(-decimals):f}" if decimals else str(units)
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0").ljust(2, "0")
        text = f"{whole}.{frac}"
    return f"{text} {symbol}".strip()


class Humaniser:
    """Readable forms of event fields; see the module docstring."""

    def __init__(self, names: Mapping[str, str], roles: Mapping[str, str], *, royalty: tuple[int, str],
                 fee: tuple[int, str], settlement: tuple[int, str] | None = None) -> None:
        self.names = {a.lower(): n for a, n in names.items()}
        self.roles = {r.lower(): n for r, n in roles.items()}
        self.royalty, self.fee, self.settlement = royalty, fee, settlement or fee

    def account(self, value: str) -> str:
        name = self.names.get(value.lower())
        return f"{name} ({value})" if name else value

    def _value(self, key: str, v: Any, contract: str) -> Any:
        if isinstance(v, bool):
            return None
        if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
            return self.account(v) if v.lower() in self.names else None
        if key in ROLE_KEYS and isinstance(v, str):
            return self.roles.get(v.lower(), None)
        if not isinstance(v, int):
            return None
        if key in TIME_KEYS:
            return iso(v)
        if key == "value" and contract == "SettlementToken":
            return amount(v, *self.settlement)
        if key in ROYALTY_AMOUNTS:
            return amount(v, *self.royalty)
        if key in FEE_AMOUNTS:
            return amount(v, *self.fee)
        if key in USE_KEYS:
            names = [n for n, bit in USES.items() if v & bit]
            return ", ".join(names) if names else "none"
        if key in BPS_KEYS:
            return f"{v / 100:.2f} %"
        if key == "workType" and 0 < v <= len(WORK_TYPES):
            return WORK_TYPES[v - 1]
        if key == "creationMode" and 0 < v <= len(MODES):
            return MODES[v - 1]
        return None

    def fields(self, fields: Mapping[str, Any], contract: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, v in fields.items():
            if key in TUPLES and isinstance(v, list | tuple) and len(v) == len(TUPLES[key]):
                inner = self.fields(dict(zip(TUPLES[key], v, strict=True)), contract)
                if inner:
                    out[key] = inner
            elif key == "holders" and isinstance(v, list | tuple):
                out[key] = [f"{self.account(h[0])}: {h[1] / 100:.2f} %" for h in v
                            if isinstance(h, list | tuple) and len(h) == 2]
            elif isinstance(v, list | tuple) and key not in ("workIds",):
                items = [self._value(key, x, contract) for x in v]
                if any(i is not None for i in items):
                    out[key] = [i if i is not None else x for i, x in zip(items, v, strict=True)]
            else:
                h = self._value(key, v, contract)
                if h is not None:
                    out[key] = h
        return out

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``timeUtc``, ``actorName`` and ``human`` for an export row (raw values untouched)."""
        actor = row.get("actor")
        return {
            "timeUtc": iso(row["time"]) if isinstance(row.get("time"), int) else None,
            "actorName": self.names.get(actor.lower()) if isinstance(actor, str) else None,
            "human": self.fields(row.get("fields") or {}, str(row.get("contract") or "")),
        }


def humaniser_for(ledger: Any, names: Mapping[str, str] | None = None) -> Humaniser:
    """A Humaniser for ``ledger``: keystore and contract names, token decimals and symbols from the chain."""
    from ledger.audit.core import contract_names
    from ledger.domain.works import ROLE_IDS

    known = dict(names or {})
    for info in ledger.keystore.list():
        known.setdefault(info.address, info.name)
    for addr, cname in contract_names(ledger).items():
        known.setdefault(addr, cname)
    royalty = _token(ledger, _safe_address(ledger, "RoyaltyToken") or _royalty_token(ledger))
    settlement_addr = _settlement_token(ledger)
    fee = _token(ledger, settlement_addr) if settlement_addr else (18, "native")
    settlement = _token(ledger, _safe_address(ledger, "SettlementToken"))
    roles = {"0x" + bytes(v).hex(): name for name, v in ROLE_IDS.items()}
    return Humaniser(known, roles, royalty=royalty, fee=fee, settlement=settlement)


def _safe_address(ledger: Any, name: str) -> str | None:
    try:
        return str(ledger.deployment.address(name))
    except Exception:
        return None


def _royalty_token(ledger: Any) -> str | None:
    try:
        from ledger.domain.royalties import Royalties

        return str(Royalties(ledger).token.address)
    except Exception:
        return None


def _settlement_token(ledger: Any) -> str | None:
    try:
        from ledger.domain.licensing import Licensing

        return Licensing(ledger).settlement_token()
    except Exception:
        return None


def _token(ledger: Any, address: str | None) -> tuple[int, str]:
    if not address:
        return (0, "units")
    abi = [{"name": n, "type": "function", "stateMutability": "view", "inputs": [],
            "outputs": [{"name": "", "type": t}]} for n, t in (("decimals", "uint8"), ("symbol", "string"))]
    try:
        c = ledger.w3.eth.contract(address=address, abi=abi)
        return int(c.functions.decimals().call()), str(c.functions.symbol().call())
    except Exception:
        return (0, "units")


__all__ = ["Humaniser", "amount", "humaniser_for", "iso"]
