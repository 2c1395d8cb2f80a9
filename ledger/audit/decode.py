"""A faster decoder for the audit's hot path: the same :class:`~ledger.events.Event`
values as :class:`~ledger.events.EventDecoder`, several times quicker.

The generic decoder walks each event's types for every log. This one compiles, once per
event signature, a reader of the event's whole data (its non-indexed parameters as one
tuple) with :func:`ledger.core.abicodec.reader`, and a reader per indexed topic, so a log
costs one call into closures built ahead. Addresses are checksummed by
:func:`ledger.core.abicodec.checksum` (memoised: a ledger has few distinct accounts next to
its events); pycryptodome's Keccak is loaded for them when installed (the pure-Python one
costs half a millisecond per new address).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ledger.core.abicodec import AbiType, checksum, reader
from ledger.core.events import NORMALISE, Event, EventDecoder

try:  # abicodec.keccak256 uses it once imported (checksums of new addresses)
    import Crypto.Hash.keccak  # noqa: F401
except ImportError:  # pragma: no cover - pycryptodome comes with web3; the pure-Python Keccak is the fallback
    pass


class _Checksummed(dict[str, str]):
    """Checksummed address by its hex text (an address, or a topic holding one): a lookup of a
    known account is one dict access, no Python call."""

    def __init__(self, start: int) -> None:
        super().__init__()
        self.start = start

    def __missing__(self, text: str) -> str:
        value = self[text] = checksum("0x" + text[self.start:])
        return value


def _topic_reader(t: str) -> Callable[[str], Any]:
    """The value of an indexed parameter from its topic (0x + 64 hex digits)."""
    if t == "address":
        return _Checksummed(26).__getitem__
    if t.startswith("uint"):
        return partial(int, base=16)
    if t == "bool":
        return lambda s: s[-1] == "1"
    if t.startswith("int"):
        return lambda s: (v - (1 << 256)) if (v := int(s, 16)) >> 255 else v
    return lambda s: bytes.fromhex(s[2:])  # bytes32 and hashed dynamic values


_new_event = object.__new__

# (event name, [(parameter, topic number or 0, topic reader or index in the data)], data reader)
Plan = tuple[str, tuple[tuple[str, int, Any], ...], Callable[[bytes, int], Any] | None]


class FastDecoder:
    """Decodes raw logs like :class:`EventDecoder`, faster (see the module docstring)."""

    def __init__(self, base: EventDecoder) -> None:
        self.base = base
        self.plans: dict[str, Plan] = {}
        self.addresses = _Checksummed(2)
        for topic, (name, params, data_types) in base.by_topic.items():
            steps: list[tuple[str, int, Any]] = []
            t = d = 0
            for pname, ptype, indexed in params:  # in the ABI's order, as the generic decoder fills args
                if indexed:
                    t += 1
                    steps.append((pname, t, _topic_reader(ptype)))
                else:
                    steps.append((pname, 0, d))
                    d += 1
            data = reader(AbiType("tuple", tuple(data_types))) if data_types else None
            self.plans[topic] = (name, tuple(steps), data)

    def decode(self, log: dict[str, Any]) -> Event | None:
        topics = log["topics"]
        if not topics:
            return None
        plan = self.plans.get(topics[0])
        if plan is None:
            return None
        name, steps, data = plan
        values = data(bytes.fromhex(log["data"][2:]), 0) if data is not None else ()
        args = {pname: how(topics[t]) if t else values[how] for pname, t, how in steps}
        if name in NORMALISE:
            NORMALISE[name](args)
        # Event is a frozen dataclass, whose __init__ sets each field through object.__setattr__
        # (a third of a log's decoding): the fields go into the new instance's dict at once.
        ev = _new_event(Event)
        ev.__dict__.update(name=name, address=self.addresses[log["address"]], block=int(log["blockNumber"], 16),
                           tx_hash=log["transactionHash"], log_index=int(log["logIndex"], 16), args=args)
        return ev
