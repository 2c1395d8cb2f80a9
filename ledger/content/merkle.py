"""Merkle trees compatible with OpenZeppelin's ``StandardMerkleTree`` and ``MerkleProof``.

A leaf is ``keccak256(bytes.concat(keccak256(abi.encode(values...))))`` (hashed twice, so
no leaf can pass for an inner node); inner nodes hash the sorted pair of their children.
Leaves are sorted by hash and laid out as @openzeppelin/merkle-tree lays them out (a
complete binary tree in an array, leaves at the end in reverse order), so a root computed
here equals the JavaScript library's root for the same values and types, and a proof
from here verifies with ``MerkleProof.verify`` on-chain.

Only static ABI types are encoded (every value one 32-byte word): ``uint<N>``,
``int<N>``, ``address``, ``bool``, ``bytes<N>``. That keeps a million leaves fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.core.errors import InputError

try:  # safe-pysha3 (installed with eth-brownie) is several times faster than eth-hash's pycryptodome
    from sha3 import keccak_256 as _k256

    def keccak(data: bytes) -> bytes:
        return _k256(data).digest()
except ImportError:  # pragma: no cover
    from eth_hash.auto import keccak  # type: ignore[assignment]


def _word(abi_type: str, value: Any) -> bytes:
    if abi_type.startswith("uint"):
        v = int(value)
        if v < 0 or v.bit_length() > int(abi_type[4:] or 256):
            raise InputError(f"{value} does not fit {abi_type}")
        return v.to_bytes(32, "big")
    if abi_type.startswith("int"):
        return int(value).to_bytes(32, "big", signed=True)
    if abi_type == "address":
        raw = bytes.fromhex(str(value)[2:]) if isinstance(value, str) else bytes(value)
        if len(raw) != 20:
            raise InputError(f"{value!r} is not an address")
        return raw.rjust(32, b"\0")
    if abi_type == "bool":
        return (1 if value else 0).to_bytes(32, "big")
    if abi_type.startswith("bytes") and abi_type[5:].isdigit():
        raw = bytes.fromhex(value[2:] if value.startswith("0x") else value) if isinstance(value, str) else bytes(value)
        if len(raw) != int(abi_type[5:]):
            raise InputError(f"{value!r} is not {abi_type}")
        return raw.ljust(32, b"\0")
    raise InputError(f"unsupported leaf type {abi_type} (static types only)")


def abi_encode_static(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encode(values...)`` for static types."""
    if len(types) != len(values):
        raise InputError(f"{len(values)} values for {len(types)} types")
    return b"".join(_word(t, v) for t, v in zip(types, values, strict=True))


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """The StandardMerkleTree leaf: keccak256(keccak256(abi.encode(values)))."""
    return keccak(keccak(abi_encode_static(types, values)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


@dataclass(frozen=True)
class MerkleTree:
    """A tree over leaf hashes; ``index_of[leaf_position]`` gives its place in ``nodes``."""

    nodes: tuple[bytes, ...]
    positions: tuple[int, ...]  # positions[i]: the node index of the i-th leaf given

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    @property
    def root_hex(self) -> str:
        return "0x" + self.root.hex()

    def proof(self, i: int) -> list[bytes]:
        """The proof of the ``i``-th leaf (in the order the leaves were given)."""
        if not 0 <= i < len(self.positions):
            raise InputError(f"leaf {i} is out of range 0..{len(self.positions) - 1}")
        k = self.positions[i]
        out = []
        while k > 0:
            sibling = k + 1 if k % 2 == 1 else k - 1
            out.append(self.nodes[sibling])
            k = (k - 1) // 2
        return out

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        """StandardMerkleTree.of(...) with sortLeaves: leaves sorted by hash."""
        n = len(leaves)
        if n == 0:
            raise InputError("a Merkle tree needs at least one leaf")
        order = sorted(range(n), key=lambda i: leaves[i])
        size = 2 * n - 1
        nodes: list[bytes] = [b""] * size
        positions = [0] * n
        for rank, i in enumerate(order):
            k = size - 1 - rank
            nodes[k] = leaves[i]
            positions[i] = k
        for k in range(size - 1 - n, -1, -1):
            a, b = nodes[2 * k + 1], nodes[2 * k + 2]
            nodes[k] = keccak(a + b) if a < b else keccak(b + a)
        return cls(tuple(nodes), tuple(positions))


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """MerkleProof.processProof: the root a leaf and its proof lead to."""
    h = leaf
    for p in proof:
        h = hash_pair(h, p)
    return h


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf, proof) == root
