"""Strict parsers, one per kind of value a user can give (an option, a setting, a file field).

Every value that reaches the chain, the store or a setting goes through one of these.
Each parser takes text (or, from JSON, the matching JSON type; never a bool for a number)
and either returns the value in its on-chain form or raises :class:`InputError` with a
one-line message naming what is wrong. Nothing is coerced: ``int()`` would accept
``1_000``, `` 7 ``, ``+3`` and ``²``-like digits, and truncate ``31337.9``; these refuse
them. The rules are written in SPECIFICATION.md ("Input rules").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.core.errors import InputError
from ledger.core.types import Holder, WorkId

_DIGITS = re.compile(r"[0-9]+")
_HEX40 = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX64 = re.compile(r"(?:0[xX])?[0-9a-fA-F]{64}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PERIOD = re.compile(r"([0-9]{4})(0[1-9]|1[0-2])")

ZERO_ADDRESS = "0x" + "0" * 40
MAX_BPS = 10_000
MAX_HOLDERS = 16
MIN_PERIOD_YEAR = 1900


def _show(value: Any) -> str:
    """A value for a message: short plain tokens as they are (``-4``), anything else quoted."""
    if isinstance(value, str) and 0 < len(value) <= 40 and value.isascii() and value.isprintable() \
            and not any(c.isspace() for c in value) and "'" not in value:
        return value if re.fullmatch(r"[-+]?[0-9]+(\.[0-9]+)?", value) else repr(value)
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- numbers ---------------------------------------------------------------------------


def parse_uint(value: Any, what: str = "value", *, bits: int = 256, minimum: int = 0,
               maximum: int | None = None) -> int:
    """An unsigned decimal integer that fits ``uint<bits>`` and lies in ``minimum..maximum``.

    Text must be ASCII digits only (surrounding blanks ignored); a JSON number must be an
    integer (not ``true``, not ``2.0``). ``1_000``, ``+5``, ``-1``, ``0x10``, ``1e3``,
    ``31337.9`` and non-ASCII digits are refused.
    """
    top = (1 << bits) - 1 if maximum is None else min(maximum, (1 << bits) - 1)
    if isinstance(value, bool) or value is None:
        raise InputError(f"{what} must be a whole number, not {_show(value)}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        s = value.strip()
        if s[:1] == "-" and _DIGITS.fullmatch(s[1:]) and s.isascii():
            raise InputError(f"{what} {s} is out of range {minimum}..{top} (no sign)")
        if not s or not _DIGITS.fullmatch(s) or not s.isascii():
            raise InputError(f"{what} {_show(value)} is not a whole number (decimal digits 0-9 only)")
        if len(s) > 80:
            raise InputError(f"{what} has {len(s)} digits; at most {top}")
        n = int(s, 10)
    else:
        raise InputError(f"{what} must be a whole number, not {_show(value)}")
    if n < minimum or n > top:
        raise InputError(f"{what} {n} is out of range {minimum}..{top}")
    return n


def parse_bps(value: Any, what: str = "basis points", *, allow_zero: bool = False) -> int:
    """Basis points: a whole number 1..10000 (0..10000 with ``allow_zero``)."""
    low = 0 if allow_zero else 1
    try:
        return parse_uint(value, what, bits=16, minimum=low, maximum=MAX_BPS)
    except InputError as exc:
        if "out of range" in exc.message:
            raise InputError(f"{what} {_show(value)} must be between {low} and 10000") from None
        raise


def parse_seconds(value: Any, what: str = "seconds", *, minimum: float = 0.0, maximum: float = 86_400.0) -> float:
    """A duration in seconds: a decimal number (``2``, ``0.5``) in ``minimum..maximum``."""
    if isinstance(value, bool) or value is None:
        raise InputError(f"{what} must be a number of seconds, not {_show(value)}")
    if isinstance(value, int | float):
        x = float(value)
    elif isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value.strip()):
        x = float(value.strip())
    else:
        raise InputError(f"{what} {_show(value)} is not a number of seconds (e.g. 30 or 2.5)")
    if not minimum <= x <= maximum:  # also refuses NaN
        raise InputError(f"{what} {_show(value)} is out of range {minimum:g}..{maximum:g}")
    return x


def parse_port(value: Any, what: str = "port") -> int:
    """A TCP port 1..65535."""
    return parse_uint(value, what, bits=16, minimum=1, maximum=65535)


# --- identifiers -----------------------------------------------------------------------


def parse_address(value: Any, what: str = "address", *, allow_zero: bool = True) -> str:
    """An Ethereum address (0x + 40 hex digits) in its checksummed form.

    All-lowercase or all-uppercase hex is accepted as is; mixed case must be a valid EIP-55
    checksum, so a typo is refused. ``allow_zero=False`` refuses 0x000...0 (a holder, a
    licensee: nobody can sign for it, so what is sent there is lost).
    """
    if not isinstance(value, str) or not _HEX40.fullmatch(value.strip()):
        raise InputError(f"{what} {_show(value)} is not an Ethereum address (0x followed by 40 hex digits)")
    from ledger.core.abicodec import checksum  # no eth-utils: a read command's start-up (issue 15)

    v = value.strip()
    hexpart = v[2:]
    if hexpart != hexpart.lower() and hexpart != hexpart.upper() and checksum(v) != v:
        raise InputError(f"{what} {value!r} has a wrong checksum (mixed case must be EIP-55): a mistyped "
                         "Ethereum address?", hint="check the address, or write it in all lowercase")
    if not allow_zero and int(hexpart, 16) == 0:
        raise InputError(f"{what} is the zero address (0x000...0): nobody can sign for it")
    return checksum("0x" + hexpart)


def parse_work_id(value: Any) -> WorkId:
    """A work id: the content's sha-256 as 64 hex digits, with or without 0x."""
    if not isinstance(value, str) or not _HEX64.fullmatch(value.strip()):
        raise InputError(
            f"work id {_show(value)} is malformed: expected the 64-hex-digit sha-256 of the content",
            hint="`rights-ledger verify FILE` finds a file's work",
        )
    return WorkId("0x" + value.strip().lower().removeprefix("0x"))


def parse_bytes32(value: Any, what: str = "hash") -> bytes:
    """32 bytes written as 0x + 64 hex digits."""
    if not isinstance(value, str) or not re.fullmatch(r"0[xX][0-9a-fA-F]{64}", value.strip()):
        raise InputError(f"{what} {_show(value)} must be 0x followed by 64 hex digits")
    return bytes.fromhex(value.strip()[2:])


# --- periods, dates, territories -------------------------------------------------------


def parse_period(value: Any, what: str = "period") -> int:
    """A royalty period: ``YYYYMM`` (year 1900..9999, month 01..12), as the integer YYYYMM."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _PERIOD.fullmatch(value.strip()) or int(value.strip()[:4]) < MIN_PERIOD_YEAR:
        raise InputError(f"{what} {_show(value)} is not a month written YYYYMM (e.g. 202501 for January 2025)")
    return int(value.strip())


def parse_date(value: Any, what: str = "date", *, not_future: bool = False, today: dt.date | None = None) -> dt.date:
    """A calendar date ``YYYY-MM-DD`` (a real day); ``not_future`` refuses a day after today (UTC)."""
    m = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        day = None
    if day is None:
        raise InputError(f"{what} {_show(value)} is not a real calendar date written YYYY-MM-DD")
    if not_future and day > (today or dt.datetime.now(dt.UTC).date()):
        raise InputError(f"{what} {day.isoformat()} is in the future")
    return day


_ISO_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
                       r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?")
MAX_UINT40 = (1 << 40) - 1


def parse_time(value: Any, default: int | None = None, what: str = "time", *, forever: int | None = None) -> int:
    """Unix seconds (0..2**40-1) from a whole number, 'now', ``YYYY-MM-DD`` (midnight UTC) or an
    ISO 8601 timestamp (UTC unless it names an offset); 'never' gives ``forever`` when allowed."""
    import time as _time

    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise InputError(f"a {what} is required")
        return default
    if isinstance(value, dt.datetime):
        t = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return parse_uint(int(t.timestamp()), what, bits=40)
    if isinstance(value, dt.date):
        return parse_uint(int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()), what,
                          bits=40)
    if isinstance(value, int) and not isinstance(value, bool):
        return parse_uint(value, what, bits=40)
    if not isinstance(value, str):
        raise InputError(f"{what} {_show(value)} is not a time",
                         hint="use YYYY-MM-DD, an ISO timestamp or unix seconds")
    v = value.strip()
    if v.lower() == "now":
        return int(_time.time())
    if v.lower() in ("never", "forever", "none") and forever is not None:
        return forever
    if _DIGITS.fullmatch(v) and v.isascii():
        return parse_uint(v, what, bits=40)
    if not _ISO_TIME.fullmatch(v):
        raise InputError(f"{what}: not a date: {_show(value)}",
                         hint="use YYYY-MM-DD, an ISO timestamp or unix seconds")
    try:
        d = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.UTC)
        seconds = int(d.timestamp())
    except (ValueError, OverflowError):
        raise InputError(f"{what}: not a date: {_show(value)} (no such day or time)") from None
    return parse_uint(seconds, what, bits=40) if seconds >= 0 else parse_uint(0, what, minimum=1)


ISO_3166_ALPHA2 = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
"""The 249 officially assigned ISO 3166-1 alpha-2 codes (no user-assigned, reserved or withdrawn codes)."""

WORLDWIDE = ("worldwide", "ww", "*")


def parse_territory(code: Any) -> bytes:
    """An assigned ISO 3166-1 alpha-2 code as 2 bytes; None, '' or 'worldwide' give b'' (unspecified)."""
    if code is None or (isinstance(code, str) and (code.strip() == "" or code.strip().lower() in WORLDWIDE)):
        return b""
    c = code.strip().upper() if isinstance(code, str) else None
    if c is None or c not in ISO_3166_ALPHA2:
        raise InputError(f"territory {str(code)[:40]!r} is not an ISO alpha-2 code assigned in ISO 3166-1 "
                         "(e.g. CN, PT, US)")
    return c.encode()


def parse_territories(codes: Iterable[str] | str | None) -> bytes:
    """Codes (a list, or one comma-separated string) as concatenated 2-byte codes; b'' = worldwide."""
    if codes is None:
        return b""
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c.strip()]
    out = b""
    for c in codes:
        b = parse_territory(c)
        if not b:
            return b""
        if b not in [out[i : i + 2] for i in range(0, len(out), 2)]:
            out += b
    return out


# --- roles and holders -----------------------------------------------------------------

ROLE_NAMES = ("GOVERNOR", "REGISTRAR", "CMO", "HOLDER", "LICENSEE", "AUDITOR")
# keccak256("<NAME>_ROLE") written out, so that importing this module does not import web3
# (CLI start-up, issue 15); tests/cli/test_startup.py checks them against Web3.keccak
ROLE_IDS: Mapping[str, bytes] = {
    "GOVERNOR": b"\x00" * 32,
    "REGISTRAR": bytes.fromhex("edcc084d3dcd65a1f7f23c65c46722faca6953d28e43150a467cf43e5c309238"),
    "CMO": bytes.fromhex("00c92f2c87e810e18b70e46486d1455c93d982dc488a1f066fd61852c116cb4d"),
    "HOLDER": bytes.fromhex("88a91f33d69233608ec901106cda3805f1356caac193014d6c70c694090df4ae"),
    "LICENSEE": bytes.fromhex("14841c82344f9bb7ad6bffe633a539c0670a2feba749a45b10163d033fc7b4d2"),
    "AUDITOR": bytes.fromhex("59a1c48e5837ad7a7f3dcedcbe129bf3249ec4fbf651fd4f5e2600ead39fe2f5"),
}
"""The on-chain role ids (``keccak256("<NAME>_ROLE")``; GOVERNOR is AccessControl's admin role 0x00)."""
ROLE_OF_ID: Mapping[str, str] = {"0x" + rid.hex(): name for name, rid in ROLE_IDS.items()}


def parse_role(name: Any) -> bytes:
    """A role name (any case) as its on-chain id."""
    key = name.strip().upper().removesuffix("_ROLE") if isinstance(name, str) else ""
    if key not in ROLE_IDS:
        raise InputError(f"unknown role {_show(name)}", hint="one of: " + ", ".join(ROLE_NAMES))
    return ROLE_IDS[key]


def parse_holders(specs: Iterable[str], default: str | None = None) -> list[Holder]:
    """``ADDRESS:BASIS_POINTS`` strings into holders; none given means ``default`` holds 10000.

    Each address is a non-zero address (EIP-55 if mixed case), each share 1..10000, at most
    16 holders, no holder twice, shares summing to exactly 10000.
    """
    holders = []
    for spec in specs:
        if not isinstance(spec, str):
            raise InputError(f"holder {_show(spec)} must be text ADDRESS:BASIS_POINTS")
        addr, sep, bps = spec.strip().rpartition(":")
        if not sep:
            raise InputError(f"holder {spec!r} must be ADDRESS:BASIS_POINTS, e.g. 0xabc...:5000")
        account = parse_address(addr, "holder address", allow_zero=False)
        try:
            n = parse_bps(bps, "basis points")
        except InputError as exc:
            why = "must be between 1 and 10000" if "between" in exc.message else \
                f"{_show(bps)} is not a whole number"
            raise InputError(f"holder {spec!r}: basis points {why}") from None
        holders.append(Holder(account, n))
    if not holders:
        if default is None:
            raise InputError("no holder given", hint="pass --holder ADDRESS:BPS")
        holders = [Holder(default, MAX_BPS)]
    if len(holders) > MAX_HOLDERS:
        raise InputError(f"{len(holders)} holders; at most {MAX_HOLDERS}")
    total = sum(h.bps for h in holders)
    if total != MAX_BPS:
        raise InputError(f"holder shares sum to {total} basis points; they must sum to 10000")
    if len({h.account for h in holders}) != len(holders):
        raise InputError("a holder is listed twice")
    return holders


__all__ = [
    "ISO_3166_ALPHA2", "MAX_BPS", "ROLE_IDS", "ROLE_NAMES", "ROLE_OF_ID", "ZERO_ADDRESS", "parse_address",
    "parse_bps", "parse_bytes32", "parse_date", "parse_holders", "parse_period", "parse_port", "parse_role",
    "parse_seconds", "parse_territories", "parse_time", "parse_territory", "parse_uint", "parse_work_id",
]
