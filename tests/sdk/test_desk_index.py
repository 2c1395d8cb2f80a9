"""The registrar's desk read index without a chain (issue 18): banded ISCC lookup, search terms
(Chinese titles included), filters, and the published rejection codes."""

from __future__ import annotations

import random

import iscc_core
import pytest

from benchmarks.similarity import offline_index
from ledger.content.iscc import code_body, content_code, distance, file_code
from ledger.core.errors import InputError
from ledger.domain.review import REJECTION_CODES, identifier_key, query_terms, rejection_code, similar, terms

A, B, C = (f"0x{i:040x}" for i in (1, 2, 3))


def code_of(body: int) -> str:
    return "ISCC:" + iscc_core.encode_component(iscc_core.MT.CONTENT, iscc_core.ST_CC.IMAGE, iscc_core.VS.V0, 64,
                                                body.to_bytes(8, "big"))


def wid(i: int) -> str:
    return f"0x{i:064x}"


@pytest.fixture
def index(tmp_path):
    idx = offline_index(tmp_path / "desk.sqlite")
    yield idx
    idx.close()


def add(idx, i, *, title="t", creators=(), ids=None, holder=A, status=1, work_type=2, mode=1, at=1000, code=None):
    doc = {"title": title, "creators": [{"name": c, "role": "author"} for c in creators]}
    if ids:
        doc["identifiers"] = ids
    if code:
        doc["contentCode"] = {"kind": "image", "iscc": code}
    with idx.bulk():
        idx.insert_work(wid(i), registrant=holder, holders=[(holder, 10000)], work_type=work_type,
                        creation_mode=mode, block=i, at=at, status=status, doc=doc)


def test_banded_lookup_equals_brute_force(index):
    rnd = random.Random(7)
    bodies = [rnd.getrandbits(64) for _ in range(300)]
    for i in range(0, 300, 3):  # near copies: a few bits changed
        bodies[i + 1] = bodies[i] ^ (1 << rnd.randrange(64)) ^ (1 << rnd.randrange(64))
        bodies[i + 2] = bodies[i] ^ sum(1 << b for b in rnd.sample(range(64), rnd.randrange(8, 16)))
    for i, body in enumerate(bodies):
        add(index, i, code=code_of(body))
    for threshold in (0, 4, 9, 12, 14, 16, 19, 25):
        for q in rnd.sample(range(300), 25):
            expected = sorted(((wid(i), (b ^ bodies[q]).bit_count()) for i, b in enumerate(bodies)
                               if (b ^ bodies[q]).bit_count() <= threshold), key=lambda r: (r[1], r[0]))
            assert similar(index, code_of(bodies[q]), threshold) == expected, (threshold, q)


def test_similar_excludes_and_refuses_bad_threshold(index):
    add(index, 1, code=code_of(5))
    add(index, 2, code=code_of(7))
    assert similar(index, code_of(5), 12, exclude=wid(1)) == [(wid(2), 1)]
    with pytest.raises(InputError):
        similar(index, code_of(5), 65)


def test_text_codes_are_not_compared_with_image_codes(index):
    text = content_code("床前明月光，疑是地上霜。".encode(), "poem.txt")
    assert text is not None and text.kind == "text"
    add(index, 1, code=code_of(code_body(text.iscc)[1]))  # the same bits, but an image code
    assert similar(index, text.iscc, 12) == []
    with pytest.raises(InputError):
        distance(text.iscc, code_of(0))


def test_audio_and_video_are_refused_with_a_reason(tmp_path):
    for name, word in (("a.mp3", "audio"), ("b.wav", "audio"), ("c.mp4", "video")):
        p = tmp_path / name
        p.write_bytes(b"\0" * 100)
        code, why = file_code(p)
        assert code is None and why.startswith(f"{word} is not fingerprinted")


def test_terms_of_chinese_and_latin_titles():
    assert terms("静夜思 Quiet Night") == {"静", "夜", "思", "静夜", "夜思", "quiet", "night"}
    assert terms("Ｑｕｉｅｔ") == {"quiet"}  # full-width letters are NFKC-normalised
    assert query_terms("夜思 qui") == (["夜思", "qui"], [True, False])
    assert identifier_key("T-123.456.789-0") == identifier_key("t1234567890")


def test_search_by_chinese_title_full_and_part(index, plan):
    add(index, 1, title="静夜思")
    add(index, 2, title="夜思集")
    add(index, 3, title="思夜")
    add(index, 4, title="春晓 Spring Dawn")

    def found(q):
        return {r["workId"] for r in index.search(title=q)}

    assert found("静夜思") == {wid(1)}
    assert found("夜思") == {wid(1), wid(2)}
    assert found("思夜") == {wid(3)}
    assert found("晓") == {wid(4)}
    assert found("春晓 spr") == {wid(4)}
    assert found("dawn") == {wid(4)}
    assert found("da") == {wid(4)}
    assert found("秋") == set()


@pytest.fixture(params=["rare terms drive", "newest first walk"])
def plan(request, monkeypatch):
    """Both hand-made plans of ReadIndex.search: collect-and-sort, and walk-newest-first-and-probe."""
    import ledger.domain.index as ix

    monkeypatch.setattr(ix, "RARE", 2000 if request.param == "rare terms drive" else 0)


def test_search_filters(index, plan):
    add(index, 1, title="Moon River", creators=["Henry Mancini"], ids={"iswc": "T-070.095.178-5"}, holder=A,
        status=2, work_type=1, at=1000)
    add(index, 2, title="Moonlight Sonata", creators=["Ludwig van Beethoven"], holder=B, status=1, work_type=1,
        mode=2, at=2000)
    add(index, 3, title="River Song", creators=["Henry Roe"], holder=C, status=3, work_type=2, at=3000)

    def found(**kw):
        return [r["workId"] for r in index.search(**kw)]

    assert found(title="moon") == [wid(2), wid(1)]  # prefix, newest first
    assert found(title="moon river") == [wid(1)]
    assert found(title="river") == [wid(3), wid(1)]
    assert found(creator="henry") == [wid(3), wid(1)]
    assert found(creator="beeth van") == []  # every word but the last must be whole
    assert found(creator="van beeth") == [wid(2)]
    assert found(identifier="T0700951785") == [wid(1)]
    assert found(holder=B) == [wid(2)]
    assert found(registrant=C) == [wid(3)]
    assert found(work_type=1, status=2) == [wid(1)]
    assert found(creation_mode=2) == [wid(2)]
    assert found(since=1500, until=2500) == [wid(2)]
    assert found(status=1, oldest_first=True) == [wid(2)]
    assert found(title="moon", limit=1) == [wid(2)]
    r = index.search(title="moon river")[0]
    assert r["holders"] == [{"account": A, "bps": 10000}] and r["identifiers"] == {"iswc": "T-070.095.178-5"}


def test_rejection_codes_are_published_and_only_listed_ones_accepted():
    names = [c.name for c in REJECTION_CODES]
    assert {"duplicate", "insufficient-evidence", "no-human-contribution", "identity-mismatch"} <= set(names)
    assert len(set(names)) == len(names) and len({c.number for c in REJECTION_CODES}) == len(names)
    assert rejection_code("duplicate").cwr == "DU" and rejection_code("conflicting-claim").cwr == "CO"
    assert rejection_code("4").name == "no-human-contribution"
    for bad in ("dup", "0", "99", "", "because"):
        with pytest.raises(InputError):
            rejection_code(bad)
