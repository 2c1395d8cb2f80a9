"""CIDs must be the ones IPFS gives: checked against ipfs-only-hash, an independent JS
implementation (``of(bytes, {cidVersion: 1, rawLeaves: true})``, kubo's CIDv1 defaults)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.content.cid import (
    CHUNK_SIZE,
    MAX_LINKS,
    block_links,
    cid_for_bytes,
    cid_for_file,
    cid_from_bytes,
    cid_to_bytes,
    dag_blocks,
    is_valid_cid,
    parse_cid,
    read_dag,
)
from ledger.core.errors import InputError, MetadataMismatch

ROOT = Path(__file__).resolve().parents[2]
IPFS_ONLY_HASH = ROOT / "node_modules" / "ipfs-only-hash"
EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # kubo, 0 bytes

JS = """
const { of } = require(process.argv[1]);
const fs = require('fs');
(async () => {
  const out = [];
  for (const p of process.argv.slice(2)) {
    out.push(await of(fs.readFileSync(p), { cidVersion: 1, rawLeaves: true }));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""

needs_js = pytest.mark.skipif(
    not IPFS_ONLY_HASH.is_dir() or shutil.which("node") is None,
    reason=f"reference implementation missing: needs `node` and {IPFS_ONLY_HASH} (npm install)",
)


def js_cids(paths: list[Path]) -> list[str]:
    """CIDs computed by ipfs-only-hash for the given files."""
    out = subprocess.run(
        ["node", "-e", JS, str(IPFS_ONLY_HASH), *map(str, paths)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    result: list[str] = json.loads(out.stdout)
    return result


SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 1 << 20, CHUNK_SIZE * MAX_LINKS + 1]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, bytes]]:
    """Random content of the edge sizes, of random sizes, and of repeated chunks."""
    rng = random.Random(8785)
    sizes = SIZES + [rng.randrange(1, 3 * CHUNK_SIZE) for _ in range(6)]
    sizes.append(CHUNK_SIZE * MAX_LINKS)  # exactly one full node
    contents = [rng.randbytes(n) for n in sizes]
    contents.append(bytes(5 * CHUNK_SIZE + 7))  # identical leaves
    d = tmp_path_factory.mktemp("cid")
    out = []
    for i, data in enumerate(contents):
        p = d / f"sample-{i}.bin"
        p.write_bytes(data)
        out.append((p, data))
    return out


@needs_js
def test_matches_ipfs_only_hash(samples: list[tuple[Path, bytes]]) -> None:
    expected = js_cids([p for p, _ in samples])
    for (path, data), want in zip(samples, expected, strict=True):
        assert cid_for_bytes(data) == want, f"{len(data)} bytes"
        assert cid_for_file(path) == want, f"{len(data)} bytes (file)"


def test_known_vector_and_prefixes(samples: list[tuple[Path, bytes]]) -> None:
    assert cid_for_bytes(b"") == EMPTY_CID
    for _, data in samples:
        cid = cid_for_bytes(data)
        assert cid.startswith("bafkrei" if len(data) <= CHUNK_SIZE else "bafybei")
        if len(data) <= CHUNK_SIZE:  # one raw block: the digest is sha256 of the content
            assert cid_to_bytes(cid)[4:] == hashlib.sha256(data).digest()


def test_binary_round_trip() -> None:
    cid = cid_for_bytes(b"hello")
    raw = cid_to_bytes(cid)
    assert len(raw) == 36 and raw[:4] == bytes([0x01, 0x55, 0x12, 0x20])
    assert cid_from_bytes(raw) == cid
    dag = cid_for_bytes(bytes(CHUNK_SIZE + 1))
    assert cid_to_bytes(dag)[:4] == bytes([0x01, 0x70, 0x12, 0x20])
    assert cid_from_bytes(cid_to_bytes(dag)) == dag
    with pytest.raises(InputError, match="digest is 31 bytes"):
        cid_from_bytes(raw[:-1])


def _b32(raw: bytes) -> str:
    import base64

    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "non-empty"),
        ("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR", "CIDv0"),
        ("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA", "prefix 'b'"),
        ("BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU", "prefix 'b'"),
        ("bAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU", "lower case"),
        ("bafkrei!!!", "base32"),
        (EMPTY_CID[:-3], "digest is"),
        (_b32(bytes([1, 0x71, 0x12, 0x20]) + bytes(32)), "codec 0x71"),
        (_b32(bytes([1, 0x55, 0x13, 0x40]) + bytes(64)), "sha2-256"),
        (_b32(bytes([2, 0x55, 0x12, 0x20]) + bytes(32)), "version 2"),
    ],
)
def test_parse_cid_rejects(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_cid(text)
    assert not is_valid_cid(text)


def test_is_valid_cid() -> None:
    assert is_valid_cid(EMPTY_CID)
    assert is_valid_cid(cid_for_bytes(bytes(CHUNK_SIZE * 2)))
    assert not is_valid_cid(None)
    assert not is_valid_cid(cid_to_bytes(EMPTY_CID))
    parsed = parse_cid(EMPTY_CID)
    assert parsed.codec_name == "raw" and str(parsed) == EMPTY_CID


def test_dag_blocks_structure() -> None:
    data = random.Random(1).randbytes(CHUNK_SIZE * MAX_LINKS + 1)
    blocks = dag_blocks(data)
    assert blocks[-1][0] == cid_for_bytes(data)  # root last
    # 175 leaves, 2 nodes over them, 1 root over those.
    assert len(blocks) == MAX_LINKS + 1 + 2 + 1
    seen: set[str] = set()
    for cid, block in blocks:
        assert parse_cid(cid).matches(block)
        assert all(link in seen for link in block_links(cid, block))  # children first
        seen.add(cid)
    root_cid, root = blocks[-1]
    assert len(block_links(root_cid, root)) == 2
    store = dict(blocks)
    assert b"".join(read_dag(root_cid, store.__getitem__)) == data


def test_small_content_is_one_raw_block() -> None:
    assert dag_blocks(b"abc") == [(cid_for_bytes(b"abc"), b"abc")]
    assert dag_blocks(b"") == [(EMPTY_CID, b"")]


def test_dag_blocks_lists_repeated_leaves_once() -> None:
    blocks = dag_blocks(bytes(3 * CHUNK_SIZE))
    assert len(blocks) == 2  # one zero leaf, one root linking it three times
    assert len(block_links(*blocks[-1])) == 3


def test_read_dag_refuses_tampered_blocks() -> None:
    data = random.Random(2).randbytes(2 * CHUNK_SIZE + 10)
    blocks = dict(dag_blocks(data))
    root = cid_for_bytes(data)
    leaf = block_links(root, blocks[root])[1]
    blocks[leaf] = blocks[leaf][:-1] + bytes([blocks[leaf][-1] ^ 1])
    pieces = read_dag(root, blocks.__getitem__)
    assert next(pieces) == data[:CHUNK_SIZE]  # the intact first leaf
    with pytest.raises(MetadataMismatch, match=leaf):
        next(pieces)


def test_binary_cids_turn_into_the_same_text_as_base64():
    import os

    for codec in (0x55, 0x70):
        for raw in [bytes([1, codec, 0x12, 0x20]) + os.urandom(32) for _ in range(300)] + [
                bytes([1, codec, 0x12, 0x20]) + bytes(32), bytes([1, codec, 0x12, 0x20]) + b"\xff" * 32]:
            text = cid_from_bytes(raw)
            assert text == _b32(raw) and str(parse_cid(text)) == text and cid_to_bytes(text) == raw
