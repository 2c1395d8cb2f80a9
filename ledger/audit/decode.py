"""A faster decoder for the audit's hot path: the same :class:`~ledger.events.Event`
values as :class:`~ledger.events.EventDecoder`, an order of magnitude quicker.

The generic decoder spends most of its time in eth-abi's decoder objects and in
checksumming addresses (a keccak each). This one compiles, once per event signature, a
plan of slicing operations for the ABI types the ledger's events use (static words,
``bytes``/``string``, static tuples and arrays of them) and memoises checksummed
addresses (a ledger has few distinct accounts next to its events). An event with any
other type falls back to the generic decoder, so the result is always the same.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from eth_utils import to_checksum_address

from ledger.core.events import NORMALISE, Event, EventDecoder

Reader = Callable[[bytes, int], Any]  # (data, head offset) -> value


@lru_cache(maxsize=1 << 16)
def checksum(hex40: str) -> str:
    return to_checksum_address("0x" + hex40)


def _word(t: str) -> Callable[[bytes, int], Any] | None:
    """Reader of one static 32-byte word at an absolute offset."""
    if "[" in t or "(" in t:
        return None
    if t.startswith("uint"):
        return lambda d, o: int.from_bytes(d[o:o + 32], "big")
    if t.startswith("int"):
        return lambda d, o: int.from_bytes(d[o:o + 32], "big", signed=True)
    if t == "address":
        return lambda d, o: checksum(d[o + 12:o + 32].hex())
    if t == "bool":
        return lambda d, o: d[o + 31] == 1
    if t.startswith("bytes") and t != "bytes":
        n = int(t[5:])
        return lambda d, o: bytes(d[o:o + n])
    return None


def _static_tuple(t: str) -> tuple[list[Callable[[bytes, int], Any]], int] | None:
    if not (t.startswith("(") and t.endswith(")")):
        return None
    parts = t[1:-1].split(",")
    readers = [_word(p) for p in parts]
    if any(r is None or "(" in p or "[" in p for r, p in zip(readers, parts, strict=True)):
        return None
    return readers, len(parts) * 32  # type: ignore[return-value]


def _reader(t: str) -> Reader | None:
    """A reader for a top-level parameter in the data's head (dynamic ones follow the offset)."""
    w = _word(t)
    if w is not None:
        return w
    if t in ("bytes", "string"):
        text = t == "string"

        def dyn(d: bytes, o: int) -> Any:
            off = int.from_bytes(d[o:o + 32], "big")
            n = int.from_bytes(d[off:off + 32], "big")
            raw = bytes(d[off + 32:off + 32 + n])
            return raw.decode("utf-8") if text else raw

        return dyn
    if t.endswith("[]"):
        inner = t[:-2]
        tup = _static_tuple(inner)
        if tup is not None:
            readers, size = tup

            offs = [(j * 32, r) for j, r in enumerate(readers)]
            if len(readers) == 2:
                r0, r1 = readers

                def arr(d: bytes, o: int) -> Any:
                    off = int.from_bytes(d[o:o + 32], "big")
                    n = int.from_bytes(d[off:off + 32], "big")
                    return tuple([(r0(d, p), r1(d, p + 32)) for p in range(off + 32, off + 32 + n * 64, 64)])
            else:

                def arr(d: bytes, o: int) -> Any:
                    off = int.from_bytes(d[o:o + 32], "big")
                    n = int.from_bytes(d[off:off + 32], "big")
                    return tuple([tuple([r(d, p + j) for j, r in offs])
                                  for p in range(off + 32, off + 32 + n * size, size)])

            return arr
        w = _word(inner)
        if w is not None:
            def warr(d: bytes, o: int, w: Callable[[bytes, int], Any] = w) -> Any:
                off = int.from_bytes(d[o:o + 32], "big")
                n = int.from_bytes(d[off:off + 32], "big")
                return tuple(w(d, off + 32 + i * 32) for i in range(n))

            return warr
    return None


def _generic(t: str) -> tuple[Reader, int]:
    """A reader of any ABI type compiled by :func:`ledger.core.abicodec.reader` (same values as
    the generic decoder: addresses checksummed, arrays as tuples), and its size in the head."""
    from ledger.core.abicodec import parse_type, reader

    parsed = parse_type(t)
    read = reader(parsed)
    if parsed.dynamic:
        def dyn(d: bytes, o: int) -> Any:
            return read(d, int.from_bytes(d[o:o + 32], "big"))

        return dyn, 32
    return read, parsed.size


def _topic_reader(t: str) -> Callable[[str], Any]:
    if t == "address":
        return lambda s: checksum(s[26:])
    if t.startswith("uint"):
        return lambda s: int(s, 16)
    if t == "bool":
        return lambda s: s[-1] == "1"
    if t.startswith("int"):
        return lambda s: (v - (1 << 256)) if (v := int(s, 16)) >> 255 else v
    return lambda s: bytes.fromhex(s[2:])  # bytes32 and hashed dynamic values


class FastDecoder:
    """Decodes raw logs like :class:`EventDecoder`, faster (see the module docstring)."""

    def __init__(self, base: EventDecoder) -> None:
        self.base = base
        self.plans: dict[str, tuple[str, list[tuple[str, bool, Any]]] | None] = {}
        for topic, (name, params, _data_types) in base.by_topic.items():
            plan: list[tuple[str, bool, Any]] = []
            head = 0
            ok = True
            for pname, ptype, indexed in params:
                if indexed:
                    plan.append((pname, True, _topic_reader(ptype)))
                    continue
                r = _reader(ptype)
                size = 32  # every type _reader handles takes one head word
                if r is None:  # any other type (a struct with bytes, nested arrays): the generic codec
                    r, size = _generic(ptype)
                plan.append((pname, False, (r, head)))
                head += size
            self.plans[topic] = (name, plan) if ok else None

    def decode(self, log: dict[str, Any]) -> Event | None:
        topics = log["topics"]
        if not topics:
            return None
        topic = topics[0]
        if topic not in self.plans:
            return None
        plan = self.plans[topic]
        if plan is None:
            return self.base.decode(log)
        name, steps = plan
        data = bytes.fromhex(log["data"][2:])
        args: dict[str, Any] = {}
        t = 1
        for pname, indexed, how in steps:
            if indexed:
                args[pname] = how(topics[t])
                t += 1
            else:
                reader, off = how
                args[pname] = reader(data, off)
        if name in NORMALISE:
            NORMALISE[name](args)
        return Event(name, checksum(log["address"][2:].lower()), int(log["blockNumber"], 16), log["transactionHash"],
                     int(log["logIndex"], 16), args)


_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits -> two base32 digits


def fast_cid(raw: bytes) -> str | None:
    """The CID string of a 36-byte binary CIDv1 (raw or dag-pb, sha2-256), else None.

    Same result as ``str(Cid)`` (multibase ``b``, base32 lower, no padding), several
    times quicker than :mod:`base64`'s pure-Python base32.
    """
    if len(raw) != 36 or raw[:4] not in (b"\x01\x55\x12\x20", b"\x01\x70\x12\x20"):
        return None
    n = int.from_bytes(raw, "big") << 32  # 288 bits + 32 = 320 bits = 32 pairs
    p = _PAIRS
    s = "".join([p[(n >> (310 - 10 * i)) & 1023] for i in range(32)])
    return "b" + s[:58]
