"""IPFS content identifiers, computed exactly as ``ipfs add --cid-version=1`` computes them.

The import settings are kubo's defaults for CIDv1: fixed-size chunks of 262144 bytes, raw
leaves, the balanced layout and at most 174 links per node, all hashed with sha2-256 and
written in base32 (lower case, multibase prefix ``b``).

* Content of at most one chunk (0 to 262144 bytes) is a single raw block:
  CIDv1 / codec ``raw`` (0x55), ``bafkrei...``.
* Bigger content is a UnixFS file DAG: raw leaves of one chunk each, joined by dag-pb
  (0x70) nodes of at most 174 links, level by level, ``bafybei...`` for the root.

dag-pb nodes are encoded by hand in canonical form (Links, field 2, before Data, field 1);
the UnixFS ``Data`` of a node is ``{Type: File, filesize, blocksizes...}``.

Only CIDv1 with a sha2-256 multihash and codec raw or dag-pb is accepted: those are the
only CIDs this ledger writes, and the only ones whose bytes it can verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from os import PathLike

from ledger.core.errors import InputError, MetadataMismatch

CHUNK_SIZE = 262144
MAX_LINKS = 174
CODEC_RAW = 0x55
CODEC_DAG_PB = 0x70
SHA2_256 = 0x12
_CODEC_NAMES = {CODEC_RAW: "raw", CODEC_DAG_PB: "dag-pb"}
_UNIXFS_FILE = 2
_UNIXFS_RAW = 0

BlockSink = Callable[[str, bytes], None]
"""Receives every block as it is made: ``(cid, block_bytes)``, children before parents."""


# --- varints and protobuf ---------------------------------------------------------------


def _varint(n: int) -> bytes:
    """Unsigned LEB128, as multiformats and protobuf use."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a varint at ``pos``; return ``(value, next_pos)``. Raises ValueError."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _pb_bytes(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def _pb_uint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _pb_fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Yield ``(field_number, value)`` of a protobuf message (varint and bytes fields only)."""
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
            yield field, value
        elif wire == 2:
            size, pos = _read_varint(buf, pos)
            if pos + size > len(buf):
                raise ValueError("truncated field")
            yield field, buf[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


# --- CIDs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cid:
    """A parsed CIDv1 with a sha2-256 multihash."""

    codec: int
    digest: bytes

    @property
    def codec_name(self) -> str:
        return _CODEC_NAMES[self.codec]

    @property
    def binary(self) -> bytes:
        """Binary CID: ``0x01 codec 0x12 0x20 digest`` (36 bytes)."""
        return _varint(1) + _varint(self.codec) + bytes([SHA2_256, 32]) + self.digest

    def __str__(self) -> str:
        return _text36(self.binary)

    def matches(self, block: bytes) -> bool:
        """Whether ``block`` hashes to this CID's digest."""
        return hashlib.sha256(block).digest() == self.digest


def _make_cid(codec: int, block: bytes) -> Cid:
    return Cid(codec, hashlib.sha256(block).digest())


def _decode_binary(b: bytes) -> Cid:
    """Decode a binary CID; raises ValueError with the reason."""
    if b[:2] == b"\x12\x20":
        raise ValueError("CIDv0 is not supported; use CIDv1 (`ipfs cid format -v 1 -b base32`)")
    version, pos = _read_varint(b, 0)
    if version != 1:
        raise ValueError(f"CID version {version} is not supported (only CIDv1)")
    codec, pos = _read_varint(b, pos)
    if codec not in _CODEC_NAMES:
        raise ValueError(f"codec 0x{codec:x} is not supported (only raw 0x55 and dag-pb 0x70)")
    hash_code, pos = _read_varint(b, pos)
    length, pos = _read_varint(b, pos)
    if hash_code != SHA2_256 or length != 32:
        raise ValueError(f"multihash 0x{hash_code:x}/{length} is not supported (only sha2-256)")
    digest = b[pos:]
    if len(digest) != 32:
        raise ValueError(f"digest is {len(digest)} bytes, expected 32")
    return Cid(codec, digest)


def parse_cid(s: str) -> Cid:
    """Parse a CIDv1 string (base32, ``b...``); raise :class:`InputError` saying what is wrong."""
    if not isinstance(s, str) or not s:
        raise InputError(f"invalid CID {s!r}: expected a non-empty string")
    if s.startswith("Qm"):
        raise InputError(
            f"invalid CID {s!r}: CIDv0 is not supported",
            hint="convert it with `ipfs cid format -v 1 -b base32`",
        )
    if s[0] != "b":
        raise InputError(
            f"invalid CID {s!r}: expected multibase base32 lower (prefix 'b', e.g. 'bafkrei...')"
        )
    body = s[1:]
    if body != body.lower() or not body.isascii():
        raise InputError(f"invalid CID {s!r}: base32 CIDs must be lower case ASCII")
    try:
        raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        raise InputError(f"invalid CID {s!r}: not valid base32") from None
    try:
        cid = _decode_binary(raw)
    except ValueError as e:
        raise InputError(f"invalid CID {s!r}: {e}") from None
    if str(cid) != s:
        raise InputError(f"invalid CID {s!r}: not in canonical form (expected {cid})")
    return cid


def is_valid_cid(s: object) -> bool:
    """Whether ``s`` is a CIDv1 string this ledger accepts (see :func:`parse_cid`)."""
    if not isinstance(s, str):
        return False
    try:
        parse_cid(s)
    except InputError:
        return False
    return True


def cid_to_bytes(cid: str) -> bytes:
    """Binary form of a CID string (36 bytes), as stored in on-chain events."""
    return parse_cid(cid).binary


def _spread_steps() -> list[tuple[int, int, int]]:
    """Masks that move each 5-bit group of a 320-bit number into its own byte of a 512-bit one,
    halving the groups per field at each step (64 groups in 512 bits, 32 in 256, ... 1 in 8)."""
    steps = []
    width, groups = 512, 64
    while groups > 1:
        lo_bits = groups // 2 * 5
        low = high = 0
        for base in range(0, 512, width):
            low |= ((1 << lo_bits) - 1) << base
            high |= ((1 << lo_bits) - 1) << (base + lo_bits)
        steps.append((low, high, width // 2 - lo_bits))
        width, groups = width // 2, groups // 2
    return steps


_SPREAD = _spread_steps()
_B32_DIGITS = bytes.maketrans(bytes(range(32)), b"abcdefghijklmnopqrstuvwxyz234567")
_KNOWN_PREFIXES = (bytes([1, CODEC_RAW, SHA2_256, 32]), bytes([1, CODEC_DAG_PB, SHA2_256, 32]))


def _text36(binary: bytes) -> str:
    """``b`` + base32 (lower, unpadded) of 36 bytes: the 288 bits (+ 32 zero bits) spread into one
    byte per 5-bit digit by a few whole-number operations, then mapped to the alphabet. Same text as
    :func:`base64.b32encode`, about ten times quicker (the audit replay turns every registration's
    and licence's CID into text)."""
    x = int.from_bytes(binary, "big") << 32
    for low, high, shift in _SPREAD:
        x = (x & low) | ((x & high) << shift)
    return "b" + x.to_bytes(64, "big")[:58].translate(_B32_DIGITS).decode("ascii")


def cid_from_bytes(b: bytes) -> str:
    """CID string of a binary CID; raises :class:`InputError` if malformed."""
    if len(b) == 36 and b[:4] in _KNOWN_PREFIXES:  # every CID this ledger writes
        return _text36(bytes(b))
    try:
        return str(_decode_binary(bytes(b)))
    except ValueError as e:
        raise InputError(f"invalid binary CID 0x{bytes(b).hex()}: {e}") from None


def chain_cid(b: bytes) -> str:
    """The CID text of binary CID bytes read from the chain, or ``0x`` and their hex when they are
    no CID. The contracts check only a CID's length, so any member can store bytes that are not
    one; a read must show them, never fail on them (one member's bytes must not stop everyone's
    index sync or work page). Never raises."""
    try:
        return str(_decode_binary(bytes(b)))
    except (ValueError, IndexError):
        return "0x" + bytes(b).hex()


def names_no_cid(text: str) -> bool:
    """Whether a CID read from the chain (:func:`chain_cid`) stands for bytes that are no CID."""
    return text.startswith("0x")


# --- building the DAG -------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A built block as its parent sees it."""

    cid: Cid
    tsize: int  # bytes of this block plus all blocks below it
    filesize: int  # content bytes below (and in) it


def _encode_file_node(children: list[_Node]) -> bytes:
    """dag-pb PBNode (Links first, then Data) for a UnixFS file node over ``children``."""
    links = b"".join(
        _pb_bytes(2, _pb_bytes(1, c.cid.binary) + _pb_bytes(2, b"") + _pb_uint(3, c.tsize))
        for c in children
    )
    unixfs = _pb_uint(1, _UNIXFS_FILE) + _pb_uint(3, sum(c.filesize for c in children))
    unixfs += b"".join(_pb_uint(4, c.filesize) for c in children)
    return links + _pb_bytes(1, unixfs)


def _chunks_of(data: bytes) -> Iterator[bytes]:
    if not data:
        yield b""
    for i in range(0, len(data), CHUNK_SIZE):
        yield data[i : i + CHUNK_SIZE]


def _chunks_of_file(path: str | PathLike[str]) -> Iterator[bytes]:
    # A buffered read(n) returns n bytes unless the end of the file comes first.
    with open(path, "rb") as f:
        chunk = f.read(CHUNK_SIZE)
        yield chunk  # an empty file is one empty chunk, as for bytes
        while len(chunk) == CHUNK_SIZE:
            chunk = f.read(CHUNK_SIZE)
            if not chunk:
                return
            yield chunk


def build_dag(chunks: Iterable[bytes], sink: BlockSink | None = None) -> str:
    """Build the UnixFS DAG of content given as chunks of :data:`CHUNK_SIZE` bytes.

    Each chunk but the last must be exactly one chunk long. ``sink`` receives every block
    (duplicates included), each after all of its children; the root comes last. Only one
    chunk and the per-leaf CIDs are held in memory. Returns the root CID.
    """
    level: list[_Node] = []
    for chunk in chunks:
        node = _Node(_make_cid(CODEC_RAW, chunk), len(chunk), len(chunk))
        if sink:
            sink(str(node.cid), chunk)
        level.append(node)
    if not level:
        raise ValueError("build_dag needs at least one (possibly empty) chunk")
    if len(level) == 1:
        return str(level[0].cid)
    while len(level) > 1:
        parents = []
        for i in range(0, len(level), MAX_LINKS):
            children = level[i : i + MAX_LINKS]
            block = _encode_file_node(children)
            cid = _make_cid(CODEC_DAG_PB, block)
            if sink:
                sink(str(cid), block)
            tsize = len(block) + sum(c.tsize for c in children)
            parents.append(_Node(cid, tsize, sum(c.filesize for c in children)))
        level = parents
    return str(level[0].cid)


def cid_for_bytes(data: bytes) -> str:
    """CID of ``data`` as ``ipfs add --cid-version=1`` gives it."""
    return build_dag(_chunks_of(bytes(data)))


def cid_for_file(path: str | PathLike[str]) -> str:
    """CID of a file's content, read one chunk at a time (never whole)."""
    return build_dag(_chunks_of_file(path))


def dag_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """Every distinct block of ``data``'s DAG as ``(cid, block)``.

    Order: each block after all of its children, so the root is **last**
    (``dag_blocks(d)[-1][0] == cid_for_bytes(d)``). Content of one chunk or less is a
    single raw block. Repeated blocks (identical chunks) are listed once.
    """
    blocks: dict[str, bytes] = {}

    def keep(cid: str, block: bytes) -> None:
        blocks.setdefault(cid, block)

    build_dag(_chunks_of(bytes(data)), keep)
    return list(blocks.items())


def emit_dag_blocks(data: bytes, sink: BlockSink) -> str:
    """Pass every block of ``data``'s DAG to ``sink`` (see :func:`build_dag`); return its CID."""
    return build_dag(_chunks_of(bytes(data)), sink)


def emit_file_dag_blocks(path: str | PathLike[str], sink: BlockSink) -> str:
    """Stream a file's blocks to ``sink`` (as :func:`build_dag`); return the root CID."""
    return build_dag(_chunks_of_file(path), sink)


# --- reading the DAG back ---------------------------------------------------------------


def block_links(cid: str, block: bytes) -> list[str]:
    """CIDs a verified block links to (none for a raw block)."""
    c = parse_cid(cid)
    if c.codec == CODEC_RAW:
        return []
    return [str(link) for link in _decode_node(cid, block)[0]]


def _decode_node(cid: str, block: bytes) -> tuple[list[Cid], bytes]:
    """Links and inline UnixFS data of a dag-pb file node."""
    links: list[Cid] = []
    data = b""
    ftype = None
    try:
        for field, value in _pb_fields(block):
            if field == 2 and isinstance(value, bytes):
                link = dict(_pb_fields(value))
                hash_ = link.get(1)
                if not isinstance(hash_, bytes):
                    raise ValueError("link without a hash")
                links.append(_decode_binary(hash_))
            elif field == 1 and isinstance(value, bytes):
                for ufield, uvalue in _pb_fields(value):
                    if ufield == 1:
                        ftype = uvalue
                    elif ufield == 2 and isinstance(uvalue, bytes):
                        data = uvalue
    except ValueError as e:
        raise MetadataMismatch(f"block {cid} is not a valid dag-pb node: {e}") from None
    if ftype not in (_UNIXFS_FILE, _UNIXFS_RAW):
        raise MetadataMismatch(f"block {cid} is not a UnixFS file node (type {ftype!r})")
    return links, data


def read_dag(cid: str, get_block: Callable[[str], bytes]) -> Iterator[bytes]:
    """Yield the content under ``cid`` piece by piece, fetching blocks with ``get_block``.

    Every block is checked against the CID that names it before it is used, so the
    content is authenticated by the root CID; a mismatch raises :class:`MetadataMismatch`
    before the bad piece is yielded.
    """
    c = parse_cid(cid)
    block = get_block(cid)
    if not c.matches(block):
        raise MetadataMismatch(
            f"block {cid} is corrupt: its bytes do not hash to the CID",
            hint="re-add the original content to repair the store",
        )
    if c.codec == CODEC_RAW:
        yield block
        return
    links, data = _decode_node(cid, block)
    if data:
        yield data
    for link in links:
        yield from read_dag(str(link), get_block)
