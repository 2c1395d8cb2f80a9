"""ledger.content.merkle (and the provenance root built on it) against npm @openzeppelin/merkle-tree.

The reference is OpenZeppelin's own JavaScript library, run by node from the repository's
``node_modules``: the same values and types must give the same root, and every proof made here
must be the library's proof (and verify with it).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from ledger.content.merkle import MerkleTree, abi_encode_static, hash_pair, leaf_hash, process_proof, verify
from ledger.core.errors import InputError
from ledger.domain.protection import merkle_root

ROOT = Path(__file__).resolve().parents[2]
OZ = ROOT / "node_modules" / "@openzeppelin" / "merkle-tree" / "package.json"

# Reads [{"types": [...], "values": [[...], ...]}, ...] on stdin; prints, per case, the root,
# every proof (by the index of the value as given) and whether the library verifies it.
NODE_SCRIPT = r"""
const { StandardMerkleTree } = require(process.cwd() + "/node_modules/@openzeppelin/merkle-tree");
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(({ types, values }) => {
    const tree = StandardMerkleTree.of(values, types);
    const proofs = values.map((_, i) => tree.getProof(i));
    const ok = values.every((v, i) => StandardMerkleTree.verify(tree.root, types, v, proofs[i]));
    return { root: tree.root, proofs, ok, leafHashes: values.map((v) => tree.leafHash(v)) };
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _oz(cases: list[dict]) -> list[dict]:
    if not OZ.is_file():
        pytest.skip("npm @openzeppelin/merkle-tree is not installed in node_modules (package.json pins 1.0.8; npm ci)")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    assert json.loads(OZ.read_text())["version"] == "1.0.8"
    p = subprocess.run(["node", "-e", NODE_SCRIPT], input=json.dumps(cases), capture_output=True, text=True,
                       cwd=ROOT, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _random_value(rng: random.Random, t: str):
    """(value for Python, value for the JS library): uint256 as decimal strings (see TOOLCHAIN.md)."""
    if t.startswith("uint"):
        v = rng.getrandbits(int(t[4:] or 256))
        return v, str(v)
    if t.startswith("int"):
        bits = int(t[3:] or 256)
        v = rng.randrange(-(2 ** (bits - 1)), 2 ** (bits - 1))
        return v, str(v)
    if t == "address":
        a = "0x" + rng.randbytes(20).hex()
        return a, a
    if t == "bool":
        v = rng.random() < 0.5
        return v, v
    n = int(t[5:])
    b = "0x" + rng.randbytes(n).hex()
    return b, b


TYPE_SETS = [("bytes32",), ("address", "uint256"), ("address", "uint32", "address", "uint256"),
             ("bool", "int256", "bytes4", "uint8"), ("uint64", "bytes32", "address")]


def _random_cases(seed: int, count: int) -> list[tuple[tuple[str, ...], list[list], list[list]]]:
    rng = random.Random(seed)
    sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33] + [rng.randint(1, 200) for _ in range(count)]
    out = []
    for i, n in enumerate(sizes):
        types = TYPE_SETS[i % len(TYPE_SETS)]
        py, js = [], []
        for _ in range(n):
            pair = [_random_value(rng, t) for t in types]
            py.append([p for p, _ in pair])
            js.append([j for _, j in pair])
        out.append((types, py, js))
    return out


def test_random_trees_roots_and_proofs_equal_openzeppelin():
    cases = _random_cases(seed=20261130, count=25)
    answers = _oz([{"types": list(t), "values": js} for t, _py, js in cases])
    assert len(answers) == len(cases) >= 30
    for (types, py, _js), oz in zip(cases, answers, strict=True):
        leaves = [leaf_hash(types, v) for v in py]
        tree = MerkleTree.build(leaves)
        assert [_hex(x) for x in leaves] == oz["leafHashes"]
        assert tree.root_hex == oz["root"], (types, len(py))
        assert oz["ok"]
        for i, leaf in enumerate(leaves):
            mine = [_hex(p) for p in tree.proof(i)]
            assert mine == oz["proofs"][i], (types, len(py), i)
            assert verify(tree.root, leaf, tree.proof(i))


def test_duplicate_leaves_equal_openzeppelin():
    a, b = "0x" + "11" * 32, "0x" + "22" * 32
    values = [[a], [b], [a], [a]]
    (oz,) = _oz([{"types": ["bytes32"], "values": values}])
    tree = MerkleTree.build([leaf_hash(("bytes32",), v) for v in values])
    assert tree.root_hex == oz["root"]
    assert [[_hex(p) for p in tree.proof(i)] for i in range(4)] == oz["proofs"]


def test_provenance_root_is_the_standard_tree_over_bytes32():
    rng = random.Random(7)
    sets = [[hashlib.sha256(rng.randbytes(12)).digest() for _ in range(n)] for n in (1, 2, 3, 6, 11, 64)]
    answers = _oz([{"types": ["bytes32"], "values": [[_hex(d)] for d in s]} for s in sets])
    for s, oz in zip(sets, answers, strict=True):
        assert _hex(merkle_root(s)) == oz["root"]


def test_a_pair_and_its_inner_node_give_different_roots():
    """Finding 13: with the old scheme [a, b] and [sha256(a||b)] had one root."""
    a, b = sorted(hashlib.sha256(x).digest() for x in (b"prompt", b"sketch"))
    old_inner = hashlib.sha256(a + b).digest()
    assert merkle_root([a, b]) != merkle_root([old_inner])
    # ... nor can a leaf pass for the new inner node of [a, b]
    la, lb = (leaf_hash(("bytes32",), (x,)) for x in (a, b))
    inner = hash_pair(la, lb)
    assert merkle_root([a, b]) == inner
    assert merkle_root([inner]) != inner
    assert merkle_root([a, b]) != merkle_root([inner])
    # a single input's root is its leaf hash, not the digest itself
    assert merkle_root([a]) == keccak(keccak(a)) != a


def test_a_one_leaf_tree_and_empty_proof_equal_openzeppelin():
    d = "0x" + hashlib.sha256(b"only").hexdigest()
    (oz,) = _oz([{"types": ["bytes32"], "values": [[d]]}])
    assert oz["proofs"] == [[]] and _hex(merkle_root([bytes.fromhex(d[2:])])) == oz["root"]


def test_provenance_root_is_order_independent_and_checks_its_input():
    a, b, c = (hashlib.sha256(x).digest() for x in (b"a", b"b", b"c"))
    assert merkle_root([a, b, c]) == merkle_root([c, a, b]) == merkle_root(iter([b, c, a]))
    with pytest.raises(InputError, match="at least one"):
        merkle_root([])
    with pytest.raises(InputError, match="32 bytes"):
        merkle_root([b"short"])


def test_tampered_proofs_and_leaves_do_not_verify():
    leaves = [keccak(bytes([i])) for i in range(9)]
    tree = MerkleTree.build(leaves)
    proof = tree.proof(4)
    assert process_proof(leaves[4], proof) == tree.root
    assert not verify(tree.root, leaves[5], proof)
    assert not verify(tree.root, leaves[4], proof[:-1])
    bent = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    assert not verify(tree.root, leaves[4], bent)
    with pytest.raises(InputError, match="out of range"):
        tree.proof(9)


@pytest.mark.parametrize("types,values,says", [
    (("uint8",), (256,), "does not fit"), (("uint256",), (-1,), "does not fit"),
    (("address",), ("0x1234",), "not an address"), (("bytes4",), ("0x0102",), "not bytes4"),
    (("string",), ("x",), "static types only"), (("uint256", "uint256"), (1,), "2 types"),
])
def test_bad_leaf_values_are_input_errors(types, values, says):
    with pytest.raises(InputError, match=says):
        abi_encode_static(types, values)
