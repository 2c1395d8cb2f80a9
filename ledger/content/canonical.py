"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for documents that get hashed.

The same value always gives the same bytes, whatever the key order or the formatting it
came with, so a document's CID depends on its content only. Values JSON cannot carry
exactly (NaN, infinities, integers beyond +/-2**53-1, non-string keys, lone surrogates,
other Python types) raise :class:`InputError` naming where they are.
"""

from __future__ import annotations

import math
from typing import Any

import rfc8785

from ledger.core.errors import InputError

_INT_LIMIT = 2**53 - 1


def _check(value: Any, path: str) -> None:
    """Raise :class:`InputError` at the first value under ``path`` JCS cannot encode."""
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if abs(value) > _INT_LIMIT:
            raise InputError(
                f"integer {value} is outside the JSON-safe range +/-2**53-1", where=path
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(
                f"{value} is not a JSON number (NaN and infinities are refused)", where=path
            )
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"object key {key!r} is not a string", where=path)
            _check(item, f"{path}.{key}")
    else:
        raise InputError(f"{type(value).__name__} is not a JSON value", where=path)


def canonical_json(obj: Any, *, name: str = "$") -> bytes:
    """Encode ``obj`` as RFC 8785 canonical JSON (UTF-8 bytes).

    ``name`` is the root of the paths used in error messages (``$.a.b[0]``).
    """
    _check(obj, name)
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as e:  # a lone surrogate in a string (or a key)
        raise InputError(f"cannot encode as canonical JSON: {e}", where=name) from None
