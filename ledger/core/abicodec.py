"""A small Solidity ABI codec for the read path, without web3, eth-abi or eth-utils.

A read command (``verify``, ``work show``, ``licence status``) makes a few ``eth_call`` s
and decodes a few logs. Importing web3 (which pulls aiohttp) or even eth-abi (whose
eth-utils pulls pydantic) costs more CPU than the whole answer, so reads encode and decode
here (issue 15: a read answers in 0.35 s). The values are those web3.py returns from a
contract call: addresses checksummed, arrays as lists, structs as tuples, ``bytesN`` and
``bytes`` as bytes, a single output unwrapped, several outputs as a list (``decode_output``);
``decode`` returns eth-abi's shapes (arrays as tuples) for the event decoder.
tests/sdk/test_abicodec.py checks both against eth-abi and web3 on random values.

Hashes of signatures (selectors, event topics) come precomputed from the slim ABI files
(``scripts/slim_abi.py`` writes them, :func:`remember` loads them); any other is computed
by :func:`keccak256`, which uses pycryptodome when it is already imported and a pure-Python
Keccak-f[1600] otherwise (a fraction of a millisecond per short input).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

# --- Keccak-256 ---------------------------------------------------------------------------

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
_ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
_M = (1 << 64) - 1
# pi: lane (x, y) moves to (y, 2x + 3y); index = x + 5y
_PI = [0] * 25
for _x in range(5):
    for _y in range(5):
        _PI[_y + 5 * ((2 * _x + 3 * _y) % 5)] = _x + 5 * _y


def _keccak_f(a: list[int]) -> None:
    for rc in _RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _M) for x in range(5)]
        for i in range(25):
            a[i] ^= d[i % 5]
        b = [0] * 25
        for dst in range(25):
            src = _PI[dst]
            r = _ROT[src]
            v = a[src]
            b[dst] = ((v << r) | (v >> (64 - r))) & _M if r else v
        for y in range(0, 25, 5):
            b0, b1, b2, b3, b4 = b[y:y + 5]
            a[y] = b0 ^ (~b1 & b2)
            a[y + 1] = b1 ^ (~b2 & b3)
            a[y + 2] = b2 ^ (~b3 & b4)
            a[y + 3] = b3 ^ (~b4 & b0)
            a[y + 4] = b4 ^ (~b0 & b1)
        a[0] ^= rc


def _keccak256_py(data: bytes) -> bytes:
    rate = 136
    if len(data) % rate == rate - 1:  # one byte of padding: 0x01 | 0x80
        padded = bytearray(data) + b"\x81"
    else:
        padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 2) % rate) + b"\x80"
    state = [0] * 25
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _keccak_f(state)
    return b"".join(state[i].to_bytes(8, "little") for i in range(4))


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's hash) of ``data``."""
    fast = sys.modules.get("Crypto.Hash.keccak")
    if fast is not None:
        return bytes(fast.new(digest_bits=256, data=data).digest())
    return _keccak256_py(data)


_HASHES: dict[str, str] = {}  # signature text -> 0x + 64 hex (precomputed in the slim ABI files)


def remember(hashes: dict[str, str]) -> None:
    """Precomputed hashes of signatures (from a slim ABI file)."""
    _HASHES.update(hashes)


def signature_hash(signature: str) -> str:
    """``0x`` + Keccak-256 hex of a signature such as ``transfer(address,uint256)``."""
    known = _HASHES.get(signature)
    if known is None:
        known = _HASHES[signature] = "0x" + keccak256(signature.encode()).hex()
    return known


def selector(signature: str) -> bytes:
    return bytes.fromhex(signature_hash(signature)[2:10])


@lru_cache(maxsize=1 << 16)
def checksum(address: str) -> str:
    """The EIP-55 checksummed form of a 0x address (any case)."""
    hex40 = address[2:].lower() if address[:2] in ("0x", "0X") else address.lower()
    if len(hex40) != 40:
        raise ValueError(f"not an address: {address!r}")
    digest = keccak256(hex40.encode()).hex()
    return "0x" + "".join(c.upper() if c in "abcdef" and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex40))


# --- types ---------------------------------------------------------------------------------


class AbiType:
    """One parsed ABI type: a base (``uint256``, ``address``, ``bytes``, ``tuple`` ...), its tuple
    components, and array dimensions (None for ``[]``), innermost first."""

    __slots__ = ("base", "components", "dims", "dynamic", "size", "text")

    def __init__(self, base: str, components: tuple[AbiType, ...] = (), dims: tuple[int | None, ...] = ()) -> None:
        self.base, self.components, self.dims = base, components, dims
        if dims:
            inner = self.item()
            self.dynamic = dims[-1] is None or inner.dynamic
            self.size = 32 if self.dynamic else (dims[-1] or 0) * inner.size
        elif base == "tuple":
            self.dynamic = any(c.dynamic for c in components)
            self.size = 32 if self.dynamic else sum(c.size for c in components)
        else:
            self.dynamic = base in ("bytes", "string")
            self.size = 32
        inner_text = "(" + ",".join(c.text for c in components) + ")" if base == "tuple" else base
        self.text = inner_text + "".join("[]" if d is None else f"[{d}]" for d in dims)

    def item(self) -> AbiType:
        return AbiType(self.base, self.components, self.dims[:-1])


def _split_dims(t: str) -> tuple[str, tuple[int | None, ...]]:
    dims: list[int | None] = []
    while t.endswith("]"):
        t, _, d = t[:-1].rpartition("[")
        dims.insert(0, int(d) if d else None)
    return t, tuple(dims)


def parse_param(param: dict[str, Any]) -> AbiType:
    """The type of one ABI input/output entry (with ``components`` for tuples)."""
    base, dims = _split_dims(param["type"])
    if base == "tuple":
        return AbiType("tuple", tuple(parse_param(c) for c in param.get("components", ())), dims)
    return AbiType(_canonical(base), (), dims)


def parse_type(text: str) -> AbiType:
    """A type from its text (``(address,uint16)[]``, ``uint256`` ...)."""
    base, dims = _split_dims(text.strip())
    if base.startswith("("):
        parts, depth, cur = [], 0, ""
        for ch in base[1:-1]:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += (ch == "(") - (ch == ")")
            cur += ch
        if cur:
            parts.append(cur)
        return AbiType("tuple", tuple(parse_type(p) for p in parts), dims)
    return AbiType(_canonical(base), (), dims)


def _canonical(base: str) -> str:
    return {"uint": "uint256", "int": "int256"}.get(base, base)


def signature(name: str, params: Sequence[dict[str, Any]]) -> str:
    return f"{name}({','.join(parse_param(p).text for p in params)})"


# --- decoding ------------------------------------------------------------------------------


class DecodeError(ValueError):
    """The data does not decode as the given types."""


def _word(data: bytes, pos: int) -> int:
    if pos + 32 > len(data):
        raise DecodeError(f"data too short: a word at {pos} of {len(data)} bytes")
    return int.from_bytes(data[pos:pos + 32], "big")


def _decode(t: AbiType, data: bytes, pos: int, web3: bool) -> Any:
    """The value of type ``t`` whose encoding starts at ``pos`` (for a dynamic type: its tail)."""
    if t.dims:
        inner = t.item()
        n = t.dims[-1]
        start = pos
        if n is None:
            n = _word(data, pos)
            start = pos + 32
            if n > len(data):
                raise DecodeError("array length beyond the data")
        items = _decode_seq([inner] * n, data, start, web3)
        return list(items) if web3 else tuple(items)
    if t.base == "tuple":
        return tuple(_decode_seq(list(t.components), data, pos, web3))
    b = t.base
    if b in ("bytes", "string"):
        n = _word(data, pos)
        if pos + 32 + n > len(data):
            raise DecodeError("bytes beyond the data")
        raw = bytes(data[pos + 32:pos + 32 + n])
        return _text(raw) if b == "string" else raw
    w = _word(data, pos)
    if b.startswith("uint"):
        return w
    if b.startswith("int"):
        return w - (1 << 256) if w >> 255 else w
    if b == "address":
        hex40 = data[pos + 12:pos + 32].hex()
        return checksum("0x" + hex40) if web3 else "0x" + hex40
    if b == "bool":
        return w == 1
    if b.startswith("bytes"):
        return bytes(data[pos:pos + int(b[5:])])
    raise DecodeError(f"type {b} is not supported")


def _decode_seq(types: Sequence[AbiType], data: bytes, base: int, web3: bool) -> list[Any]:
    out = []
    head = base
    for t in types:
        if t.dynamic:
            out.append(_decode(t, data, base + _word(data, head), web3))
            head += 32
        else:
            out.append(_decode(t, data, head, web3))
            head += t.size
    return out


def decode(types: Sequence[AbiType], data: bytes, *, checksummed: bool = True) -> tuple[Any, ...]:
    """Decode ``data`` as the tuple ``types`` in eth-abi's shapes (arrays as tuples), addresses
    checksummed unless ``checksummed=False`` (then lower case, as eth-abi)."""
    try:
        values = _decode_seq(types, data, 0, False)
    except (IndexError, UnicodeDecodeError) as exc:
        raise DecodeError(str(exc)) from exc
    return tuple(_checksummed(v) for v in values) if checksummed else tuple(values)


def _checksummed(v: Any) -> Any:
    if isinstance(v, str) and len(v) == 42 and v.startswith("0x"):
        return checksum(v)
    if isinstance(v, tuple):
        return tuple(_checksummed(x) for x in v)
    return v


def decode_output(types: Sequence[AbiType], data: bytes) -> Any:
    """What web3.py returns from a call with these outputs (see the module docstring)."""
    try:
        values = _decode_seq(types, data, 0, True)
    except (IndexError, UnicodeDecodeError) as exc:
        raise DecodeError(str(exc)) from exc
    return values[0] if len(values) == 1 else values


class _Checksums(dict[bytes, str]):
    """Checksummed address by its 20 bytes: a known account costs one dict access (bounded)."""

    def __missing__(self, raw: bytes) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        value = self[raw] = checksum("0x" + raw.hex())
        return value


def _bytes_at(d: bytes, pos: int) -> bytes:
    n = int.from_bytes(d[pos:pos + 32], "big")
    if pos + 32 + n > len(d):
        raise DecodeError("bytes beyond the data")
    return d[pos + 32:pos + 32 + n]


def _text(raw: bytes) -> str:
    """A Solidity ``string``: bytes the contract never checked. Another client can write any (a
    licence's suspension reason, an attestation's model name); bytes that are not UTF-8 read as
    U+FFFD, so one such event never stops anyone's index sync, audit replay or page."""
    return raw.decode("utf-8", "replace")


def _string_at(d: bytes, pos: int) -> str:
    return _text(_bytes_at(d, pos))


def _length_at(d: bytes, pos: int) -> int:
    n = int.from_bytes(d[pos:pos + 32], "big")
    if n > len(d):
        raise DecodeError("array length beyond the data")
    return n


class _ReaderSource:
    """Python source of a decoder of one type (see :func:`reader`): static values are inline
    expressions on the position; each dynamic tuple or array becomes one generated function."""

    def __init__(self) -> None:
        self.functions: list[str] = []

    @staticmethod
    def at(var: str, off: int) -> str:
        return f"{var} + {off}" if off else var

    def value(self, t: AbiType, var: str, off: int = 0) -> str:
        """An expression for the value of ``t`` at ``var + off`` (for a dynamic type: its tail)."""
        p = self.at(var, off)
        if t.dims:
            if not t.dynamic:  # a fixed array of static items: a tuple display
                item, n = t.item(), t.dims[-1] or 0
                return "(" + "".join(self.value(item, var, off + item.size * i) + ", " for i in range(n)) + ")"
            return self.function(t) + f"(d, {p})"
        if t.base == "tuple":
            if not t.dynamic:
                parts, o = [], off
                for c in t.components:
                    parts.append(self.value(c, var, o) + ", ")
                    o += c.size
                return "(" + "".join(parts) + ")"
            return self.function(t) + f"(d, {p})"
        b = t.base
        if b == "bytes":
            return f"_bytes_at(d, {p})"
        if b == "string":
            return f"_string_at(d, {p})"
        word = f"d[{p}:{self.at(var, off + 32)}]"
        if b.startswith("uint"):
            return f'_from_bytes({word}, "big")'
        if b.startswith("int"):
            return f'_from_bytes({word}, "big", signed=True)'
        if b == "address":
            return f"_addresses[d[{self.at(var, off + 12)}:{self.at(var, off + 32)}]]"
        if b == "bool":
            return f"(d[{self.at(var, off + 31)}] == 1)"
        if b.startswith("bytes"):
            return f"d[{p}:{self.at(var, off + int(b[5:]))}]"
        raise DecodeError(f"type {b} is not supported")

    def function(self, t: AbiType) -> str:
        """A generated ``fN(d, p)`` for a dynamic tuple or array at ``p``; returns its name."""
        name = f"_f{len(self.functions)}"
        self.functions.append("")  # reserve the name (nested types add theirs while this is written)
        lines = [f"def {name}(d, p):"]
        if t.base == "tuple" and not t.dims:
            values, o = [], 0
            for i, c in enumerate(t.components):
                if c.dynamic:
                    lines.append(f'    t{i} = p + _from_bytes(d[{self.at("p", o)}:{self.at("p", o + 32)}], "big")')
                    values.append(self.value(c, f"t{i}") + ", ")
                else:
                    values.append(self.value(c, "p", o) + ", ")
                o += c.size
            lines.append("    return (" + "".join(values) + ")")
        else:
            item = t.item()
            if t.dims[-1] is None:
                lines += ["    n = _length_at(d, p)", "    p += 32"]
            else:
                lines.append(f"    n = {t.dims[-1]}")
            if item.dynamic:
                lines.append(f'    return tuple([{self.value(item, "r")} for q in range(p, p + 32 * n, 32) '
                             f'for r in (p + _from_bytes(d[q:q + 32], "big"),)])')
            else:
                lines.append(f"    return tuple([{self.value(item, 'q')} for q in range(p, p + {item.size} * n, "
                             f"{item.size or 1})])")
        self.functions[int(name[2:])] = "\n".join(lines)
        return name


def reader(t: AbiType) -> Callable[[bytes, int], Any]:
    """A decoder of ``t`` compiled once: ``fn(data, pos)`` is the value whose encoding starts at
    ``pos`` (for a dynamic type: its tail), in eth-abi's shapes (arrays as tuples) with addresses
    checksummed. The audit replay decodes each event type's data with one of these.

    The decoder is Python source generated from the type and compiled (as :mod:`dataclasses`
    does): words are sliced at offsets known in advance, static tuples and fixed arrays are inline
    expressions, each dynamic tuple or array is one function, so a log costs a few calls instead of
    one per value."""
    src = _ReaderSource()
    body = src.value(t, "p")
    code = "\n\n".join([*src.functions, f"def _read(d, p):\n    if type(d) is not bytes:\n        d = bytes(d)\n"
                                         f"    return {body}"])
    namespace: dict[str, Any] = {"_from_bytes": int.from_bytes, "_addresses": _ADDRESSES, "_bytes_at": _bytes_at,
                                 "_string_at": _string_at, "_length_at": _length_at}
    exec(compile(code, f"<abicodec reader {t.text}>", "exec"), namespace)  # noqa: S102 - source built above
    read: Callable[[bytes, int], Any] = namespace["_read"]
    return read


_ADDRESSES = _Checksums()


# --- encoding ------------------------------------------------------------------------------


class EncodeError(TypeError):
    """A value does not fit its ABI type."""


def _enc_word(t: AbiType, v: Any) -> bytes:
    b = t.base
    if b.startswith("uint"):
        bits = int(b[4:] or 256)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < (1 << bits):
            raise EncodeError(f"{v!r} is not a {b}")
        return v.to_bytes(32, "big")
    if b.startswith("int"):
        bits = int(b[3:] or 256)
        if isinstance(v, bool) or not isinstance(v, int) or not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
            raise EncodeError(f"{v!r} is not an {b}")
        return (v % (1 << 256)).to_bytes(32, "big")
    if b == "address":
        if isinstance(v, bytes) and len(v) == 20:
            return b"\x00" * 12 + v
        if not isinstance(v, str) or len(v) != 42 or not v.startswith("0x"):
            raise EncodeError(f"{v!r} is not an address")
        hex40 = v[2:]
        if hex40 != hex40.lower() and hex40 != hex40.upper() and checksum(v) != v:
            raise EncodeError(f"{v!r} has a wrong EIP-55 checksum")
        return b"\x00" * 12 + bytes.fromhex(hex40)
    if b == "bool":
        if not isinstance(v, bool):
            raise EncodeError(f"{v!r} is not a bool")
        return (1 if v else 0).to_bytes(32, "big")
    if b.startswith("bytes"):
        n = int(b[5:])
        raw = _as_bytes(v)
        if len(raw) > n:
            raise EncodeError(f"{len(raw)} bytes do not fit a {b}")
        return raw.ljust(32, b"\x00")
    raise EncodeError(f"type {b} is not supported")


def _as_bytes(v: Any) -> bytes:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v)
    if isinstance(v, str) and v.startswith("0x"):
        try:
            return bytes.fromhex(v[2:])
        except ValueError:
            raise EncodeError(f"{v!r} is not hex") from None
    raise EncodeError(f"{v!r} is not bytes")


def _encode(t: AbiType, v: Any) -> bytes:
    if t.dims:
        if not isinstance(v, list | tuple):
            raise EncodeError(f"{v!r} is not a list for {t.text}")
        n = t.dims[-1]
        if n is not None and len(v) != n:
            raise EncodeError(f"{len(v)} items for {t.text}")
        body = _encode_seq([t.item()] * len(v), v)
        return (len(v).to_bytes(32, "big") + body) if n is None else body
    if t.base == "tuple":
        if not isinstance(v, list | tuple) or len(v) != len(t.components):
            raise EncodeError(f"{v!r} does not fit {t.text}")
        return _encode_seq(list(t.components), v)
    if t.base in ("bytes", "string"):
        if t.base == "string":
            if not isinstance(v, str):
                raise EncodeError(f"{v!r} is not a string")
            raw = v.encode("utf-8")
        else:
            raw = _as_bytes(v)
        return len(raw).to_bytes(32, "big") + raw + b"\x00" * (-len(raw) % 32)
    return _enc_word(t, v)


def _encode_seq(types: Sequence[AbiType], values: Sequence[Any]) -> bytes:
    heads: list[bytes] = []
    tails: list[bytes] = []
    head_size = sum(t.size for t in types)
    offset = head_size
    for t, v in zip(types, values, strict=True):
        enc = _encode(t, v)
        if t.dynamic:
            heads.append(offset.to_bytes(32, "big"))
            tails.append(enc)
            offset += len(enc)
        else:
            heads.append(enc)
    return b"".join(heads) + b"".join(tails)


def encode(types: Sequence[AbiType], values: Sequence[Any]) -> bytes:
    if len(types) != len(values):
        raise EncodeError(f"{len(values)} values for {len(types)} types")
    return _encode_seq(types, values)


# --- functions of an ABI -------------------------------------------------------------------


class AbiFunction:
    """One function of an ABI: its selector, input and output types."""

    __slots__ = ("inputs", "name", "outputs", "selector", "signature")

    def __init__(self, entry: dict[str, Any]) -> None:
        self.name: str = entry["name"]
        self.inputs = [parse_param(p) for p in entry.get("inputs", ())]
        self.outputs = [parse_param(p) for p in entry.get("outputs", ())]
        self.signature = f"{self.name}({','.join(t.text for t in self.inputs)})"
        self.selector = selector(self.signature)

    def calldata(self, args: Sequence[Any]) -> bytes:
        return self.selector + encode(self.inputs, args)

    def result(self, data: bytes) -> Any:
        return decode_output(self.outputs, data)


def functions_of(abi: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """ABI function entries by name (a name with several entries is overloaded)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in abi:
        if e.get("type") == "function":
            out.setdefault(e["name"], []).append(e)
    return out


def hashes_of(abi: Iterable[dict[str, Any]], hasher: Callable[[bytes], bytes] = keccak256) -> dict[str, str]:
    """Signature -> hash for every function, event and error of an ABI (written into slim files)."""
    out = {}
    for e in abi:
        if e.get("type") in ("function", "event", "error"):
            sig = signature(e["name"], e.get("inputs", ()))
            out[sig] = "0x" + hasher(sig.encode()).hex()
    return out
