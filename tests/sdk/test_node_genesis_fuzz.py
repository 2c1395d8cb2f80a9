"""The streaming cut of a restarted node's extra block 0s (ADR 010) against the whole-file one it
replaced, on odd but valid state files: random whitespace, unicode escapes in strings, strings that
hold ``"blocks": [`` or ``]}``, non-ASCII text, a nested ``blocks`` key inside a block, and pieces
of 1 byte to 16 MB. The result is always the whole-file answer, or the file is left as it was."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

import pytest

from ledger.core import node

TRAPS = ['"blocks": [', '\\"blocks\\": [', '"blocks":[{"header":{"number":"0x0","timestamp":"0x1"}}]',
         "é\u2028😀", "]}", "\\", '"']


def _whole_file(state: dict[str, Any]) -> dict[str, Any]:
    zeros = [b for b in state["blocks"] if int(b["header"]["number"], 16) == 0]
    if len(zeros) >= 2:
        keep = min(zeros, key=lambda b: int(b["header"]["timestamp"], 16))
        state["blocks"] = [b for b in state["blocks"] if b is keep or int(b["header"]["number"], 16) != 0]
    return state


def _ws(r: random.Random) -> str:
    return "".join(r.choice(" \t\r\n") for _ in range(r.choice([0, 0, 1, 3, 40])))


def _dumps(v: Any, r: random.Random) -> str:
    if isinstance(v, dict):
        return "{" + _ws(r) + ("," + _ws(r)).join(
            json.dumps(k) + _ws(r) + ":" + _ws(r) + _dumps(x, r) + _ws(r) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + _ws(r) + ("," + _ws(r)).join(_dumps(x, r) + _ws(r) for x in v) + "]"
    if isinstance(v, str):
        out = []
        for ch in v:
            if ch in '"\\' or ord(ch) < 32 or r.random() < 0.1:
                out.append(json.dumps(ch)[1:-1] if ch in '"\\\n' and r.random() < 0.5 else
                           json.dumps(ch, ensure_ascii=True)[1:-1] if ord(ch) > 0xFFFF else f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    return json.dumps(v)


def _text(r: random.Random) -> str:
    return r.choice([*TRAPS, "".join(r.choice(string.printable) for _ in range(r.randint(0, 30)))])


@pytest.mark.parametrize("seed", range(4))
def test_the_streaming_cut_is_the_whole_file_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int):
    r = random.Random(seed)
    path = tmp_path / "state.json"
    for _ in range(250):
        monkeypatch.setattr(node, "STATE_PIECE", r.choice([1, 7, 64, 1000, 16 << 20]))
        blocks = []
        for _b in range(r.randint(0, 6)):
            b: dict[str, Any] = {"header": {"number": hex(r.choice([0, 0, 1, 2])), "timestamp": hex(r.randint(0, 5)),
                                            "extraData": _text(r)}, "transactions": [_text(r)]}
            if r.random() < 0.3:
                b["ommers"] = {"x": [_text(r), {"blocks": [1, 2]}]}
            blocks.append(b)
        state = {"block": {"number": "0x5", "note": _text(r)},
                 "accounts": {"0x" + "11" * 20: {"code": _text(r), "storage": {"0x0": _text(r)}}},
                 "best_block_number": "0x5", "blocks": blocks, "transactions": [_text(r), _text(r)]}
        text = _ws(r) + _dumps(state, r) + _ws(r)
        path.write_bytes(text.encode("utf-8"))
        spans = node.restart_genesis_spans(path)
        if spans:
            node.drop_spans(path, spans)
        assert json.loads(path.read_bytes()) == _whole_file(json.loads(text)), (text, spans)


def test_a_blocks_key_written_with_escapes_is_not_cut(tmp_path: Path):
    """``"bl\\u006fcks"`` is the same key to a JSON reader but not found by its bytes: the scan finds a
    nested list or none, and refuses (ValueError: node start leaves the file to anvil), never cuts."""
    path = tmp_path / "state.json"
    zero = {"header": {"number": "0x0", "timestamp": "0x1"}}
    path.write_text('{"accounts": {}, "bl\\u006fcks": [' + json.dumps(zero) + ", " + json.dumps(zero) +
                    '], "transactions": [{"x": {"blocks": [1]}}]}')
    with pytest.raises(ValueError):
        node.restart_genesis_spans(path)
