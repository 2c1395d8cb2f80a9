"""The header fields a clearance report's on-chain check reads (``malformed_header``): each
is read by its parser from ``ledger.core.parsing``, in the form the report is written in."""

from __future__ import annotations

import pytest

from ledger.domain.clearance import malformed_header

GOOD = {"chainId": 31337, "attestationRegistry": "0x" + "ab" * 20,
        "licensee": "0x5F7c1ac9E02652C5Cd4dBc85A6b508a85054F89c", "digest": "0x" + "a" * 64, "root": "0x" + "b" * 64}


@pytest.mark.parametrize("changes", [{}, {"chainId": "1"}, {"chainId": "0"}, {"chainId": 999_999_999_999},
                                     {"licensee": "0x" + "AB" * 20}, {"attestationRegistry": "0x" + "cd" * 20}])
def test_a_well_formed_header(changes):
    assert malformed_header({**GOOD, **changes}) is None


@pytest.mark.parametrize(("key", "value"), [
    ("chainId", None), ("chainId", True), ("chainId", 1.5), ("chainId", "-1"), ("chainId", " 5"),
    ("chainId", 10**12), ("chainId", "0x10"), ("chainId", "١٢"), ("chainId", {"a": 1}),
    ("licensee", None), ("licensee", "0x" + "ab" * 19), ("licensee", "0x" + "aB" * 20),  # a broken EIP-55 checksum
    ("licensee", " 0x" + "ab" * 20), ("attestationRegistry", 42), ("attestationRegistry", "ab" * 20),
    ("digest", "0x" + "A" * 64), ("digest", "0X" + "a" * 64), ("digest", "a" * 64), ("digest", "0x" + "a" * 63),
    ("root", None), ("root", ["0x" + "b" * 64]), ("root", "0x" + "g" * 64),
])
def test_a_malformed_field_is_named(key, value):
    doc = {**GOOD, key: value}
    assert malformed_header(doc) == f"its {key} is missing or malformed ({str(value)[:40]!r})"


def test_a_missing_field_is_named():
    for key in GOOD:
        doc = {k: v for k, v in GOOD.items() if k != key}
        assert malformed_header(doc) == f"its {key} is missing or malformed ('None')"
