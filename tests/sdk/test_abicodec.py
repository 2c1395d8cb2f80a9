"""The read path's ABI codec (ledger.core.abicodec) gives the bytes and values eth-abi and web3 give:
random values of every type the ledger's ABIs use, every function of the ledger's ABIs, Keccak-256."""

from __future__ import annotations

import os
from pathlib import Path

from eth_abi import decode as eth_decode
from eth_abi import encode as eth_encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st
from web3._utils.abi import map_abi_data
from web3._utils.normalizers import BASE_RETURN_NORMALIZERS

from ledger.core import abicodec as A
from ledger.core.artifacts import LEDGER_CONTRACTS, load_artifact

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build" / "contracts"

addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
TYPES = {
    "uint256": st.integers(0, 2**256 - 1),
    "uint8": st.integers(0, 255),
    "uint64": st.integers(0, 2**64 - 1),
    "int256": st.integers(-(2**255), 2**255 - 1),
    "int64": st.integers(-(2**63), 2**63 - 1),
    "address": addresses,
    "bool": st.booleans(),
    "bytes32": st.binary(min_size=32, max_size=32),
    "bytes4": st.binary(min_size=4, max_size=4),
    "bytes": st.binary(max_size=80),
    "string": st.text(max_size=40),
}


@st.composite
def typed(draw, depth: int = 0):  # (type text, strategy)
    kind = draw(st.sampled_from(["base"] * 3 + (["array", "fixed", "tuple"] if depth < 2 else [])))
    if kind == "base":
        t = draw(st.sampled_from(sorted(TYPES)))
        return t, TYPES[t]
    if kind == "array":
        t, s = draw(typed(depth + 1))
        return f"{t}[]", st.lists(s, max_size=4)
    if kind == "fixed":
        t, s = draw(typed(depth + 1))
        n = draw(st.integers(1, 3))
        return f"{t}[{n}]", st.lists(s, min_size=n, max_size=n)
    parts = draw(st.lists(typed(depth + 1), min_size=1, max_size=3))
    return "(" + ",".join(t for t, _ in parts) + ")", st.tuples(*[s for _, s in parts])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_encode_and_decode_equal_eth_abi(data) -> None:
    specs = data.draw(st.lists(typed(), min_size=1, max_size=4))
    types = [t for t, _ in specs]
    values = [data.draw(s) for _, s in specs]
    parsed = [A.parse_type(t) for t in types]
    encoded = A.encode(parsed, values)
    assert encoded == eth_encode(types, values)
    assert A.decode(parsed, encoded, checksummed=False) == eth_decode(types, encoded)
    compiled = A.reader(A.parse_type("(" + ",".join(types) + ")"))  # the audit's compiled decoder
    assert compiled(encoded, 0) == A.decode(parsed, encoded)
    web3_shape = map_abi_data(BASE_RETURN_NORMALIZERS, types, eth_decode(types, encoded))
    got = A.decode_output(parsed, encoded)
    assert (got if len(types) > 1 else [got]) == list(web3_shape)


def test_every_ledger_function_signature_and_selector() -> None:
    n = 0
    for name in LEDGER_CONTRACTS:
        for entry in load_artifact(BUILD, name).abi:
            if entry.get("type") != "function":
                continue
            fn = A.AbiFunction(entry)
            assert fn.selector == function_signature_to_4byte_selector(fn.signature)
            n += 1
    assert n > 50


def test_keccak_pure_python_equals_eth_hash_at_every_padding_length() -> None:
    for n in [*range(0, 140), 271, 272, 273, 1000]:
        data = os.urandom(n)
        assert A._keccak256_py(data) == keccak(data)
    for raw in (os.urandom(20) for _ in range(50)):
        assert A.checksum("0x" + raw.hex()) == to_checksum_address(raw)


def test_wrong_values_are_refused() -> None:
    for t, v in (("uint8", 256), ("uint256", -1), ("int8", 128), ("bool", 1), ("bytes4", b"12345"),
                 ("address", "0x" + "ab" * 19), ("address", "0xAbCdef0000000000000000000000000000000000"),
                 ("uint256[2]", [1]), ("(uint8,bool)", (1,))):
        try:
            A.encode([A.parse_type(t)], [v])
        except A.EncodeError:
            continue
        raise AssertionError(f"{t} took {v!r}")
    try:
        A.decode([A.parse_type("uint256")], b"\x00" * 31)
    except A.DecodeError:
        pass
    else:
        raise AssertionError("short data decoded")
