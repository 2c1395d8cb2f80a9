"""``python -m benchmarks.similarity [--works 100000] [--threshold 12] [--images 150] [--texts 150]``

How well ``work similar`` finds transformed copies, and how fast ``work similar`` and
``work search`` answer at 100k indexed works (issue 18). Not part of the test suite.

**Quality.** Originals: the sample media of the ``iscc-samples`` package when it is installed
(its images are six encodings of one photograph, its documents one text: they give one image
and, split into paragraphs, several texts), plus pictures and texts the benchmark makes:
procedural pictures (random shapes, gradients and blocks on a random background) and prose
passages (the docstrings of the Python standard library, each a real, distinct English text,
and CJK texts assembled from a fixed character list). Every original is indexed as a work
(its ISCC content code computed by ``ledger.content.iscc``, the code ``work register``
stores). Each original is then transformed:

  images: JPEG re-encode at quality 90 and 60, WebP, resize to 50% and 150%, resize 75% +
  JPEG, crop 2% and 5% off every side, crop 5% off one side;
  texts: reflow to 50 columns, one line, CRLF line ends, full-width/NFKC variants
  (Chinese punctuation), 3 characters edited, a line added.

For each copy the benchmark asks the index what is within the threshold: a copy is *found*
when its original is among the answers; every other answer is a *false positive*. It reports
per media type and transformation the share found, and the share of (copy, unrelated work)
pairs wrongly flagged (false positives / (copies x unrelated works)).

**Latency.** The index is filled directly with ``--works`` synthetic works (random 64-bit
image codes; titles of English words and Chinese characters; creators, ISRCs, holders, types,
statuses and registration times) through ``ReadIndex.insert_work`` -- the same tables the
sync writes, without sending 100k registrations to a chain -- and the in-process time of a
``similar`` lookup and of each kind of ``search`` is measured (median and p95 of ``--runs``
queries, index warm). Process start-up of the CLI is not included.
"""

from __future__ import annotations

import argparse
import io
import pkgutil
import random
import statistics
import sys
import tempfile
import textwrap
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from ledger.content.iscc import DEFAULT_THRESHOLD, content_code
from ledger.domain.index import ReadIndex
from ledger.domain.review import similar

HOLDERS = [f"0x{i:040x}" for i in range(1, 201)]
WORDS = ("moon river night harbour song light winter garden city blue red road home sea wind love star dream rain "
         "fire stone dance paper silver golden morning evening letter summer autumn spring mountain bridge").split()
HANZI = "月光夜思故乡春花秋风山水云雨海天地人心梦城河路歌舞诗书画江湖星辰雪霜"


def offline_index(path: Path) -> ReadIndex:
    """A read index that follows no chain: filled through insert_work."""
    dep = SimpleNamespace(history=[], contracts={}, chain_id=0, first_block=0)
    return ReadIndex(SimpleNamespace(deployment=dep), path)


# --- originals --------------------------------------------------------------------------------


def _picture(rnd: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    im = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(im)
    style = rnd.randrange(3)
    if style == 0:  # blocks
        n = rnd.choice((4, 6, 8, 12))
        small = Image.new("RGB", (n, n))
        small.putdata([tuple(rnd.randrange(256) for _ in range(3)) for _ in range(n * n)])
        im = small.resize(size, Image.BICUBIC)
        d = ImageDraw.Draw(im)
    elif style == 1:  # gradient
        a, b = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(2)]
        vertical = rnd.random() < 0.5
        for i in range(h if vertical else w):
            t = i / max(1, (h if vertical else w) - 1)
            c = tuple(int(a[k] + (b[k] - a[k]) * t) for k in range(3))
            d.line([(0, i), (w, i)] if vertical else [(i, 0), (i, h)], fill=c)
    for _ in range(rnd.randrange(4, 14)):  # shapes
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        x1, y1 = x0 + rnd.randrange(w // 10, w // 2), y0 + rnd.randrange(h // 10, h // 2)
        c = tuple(rnd.randrange(256) for _ in range(3))
        (d.ellipse if rnd.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=c)
    return im.filter(ImageFilter.GaussianBlur(rnd.choice((0, 1, 2))))


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _samples() -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    try:
        import iscc_samples
    except ImportError:
        return [], []
    images = [(f"iscc-samples/{p.name}", p.read_bytes()) for p in iscc_samples.images() if p.suffix == ".png"]
    texts = []
    for p in iscc_samples.texts():
        if p.suffix in (".txt", ".md"):
            paras = [x.strip() for x in p.read_text(encoding="utf-8", errors="replace").split("\n\n")]
            chunk = ""
            for para in paras:
                chunk = (chunk + "\n\n" + para).strip()
                if len(chunk) > 1500:
                    texts.append((f"iscc-samples/{p.name}#{len(texts)}", chunk))
                    chunk = ""
    return images, texts


def _stdlib_texts(n: int) -> list[tuple[str, str]]:
    out, seen = [], set()
    for mod in sorted(m.name for m in pkgutil.iter_modules() if not m.name.startswith("_")):
        if len(out) >= n:
            break
        try:
            with open(pkgutil.get_loader(mod).get_filename(), encoding="utf-8") as f:  # type: ignore[union-attr]
                src = f.read(20000)
        except Exception:  # noqa: BLE001, S112 (modules without a readable source are skipped)
            continue
        start = src.find('"""')
        end = src.find('"""', start + 3)
        doc = src[start + 3:end].strip() if 0 <= start < 400 and end > start else ""
        if len(doc) >= 600 and doc[:80] not in seen:
            seen.add(doc[:80])
            out.append((f"stdlib/{mod}", doc))
    return out


def _cjk_texts(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        lines = ["".join(rnd.choice(HANZI) for _ in range(rnd.choice((5, 7)))) + rnd.choice("，。") for _ in range(40)]
        out.append((f"cjk/{i}", "\n".join(lines)))
    return out


# --- transformations ---------------------------------------------------------------------------


def _encode(im: Image.Image, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, fmt, **kw)
    return buf.getvalue()


def _crop(im: Image.Image, pct: float, one_side: bool = False) -> Image.Image:
    w, h = im.size
    dx, dy = int(w * pct), int(h * pct)
    return im.crop((0, 0, w - dx, h) if one_side else (dx, dy, w - dx, h - dy))


def _scaled(im: Image.Image, f: float) -> Image.Image:
    return im.resize((max(8, int(im.width * f)), max(8, int(im.height * f))), Image.LANCZOS)


IMAGE_TRANSFORMS: dict[str, Callable[[Image.Image], bytes]] = {
    "jpeg q90": lambda im: _encode(im, "JPEG", quality=90),
    "jpeg q60": lambda im: _encode(im, "JPEG", quality=60),
    "webp": lambda im: _encode(im, "WEBP", quality=80),
    "resize 50%": lambda im: _png(_scaled(im, 0.5)),
    "resize 150%": lambda im: _png(_scaled(im, 1.5)),
    "resize 75% + jpeg": lambda im: _encode(_scaled(im, 0.75), "JPEG", quality=80),
    "crop 2% all sides": lambda im: _png(_crop(im, 0.02)),
    "crop 5% all sides": lambda im: _png(_crop(im, 0.05)),
    "crop 5% one side": lambda im: _png(_crop(im, 0.05, one_side=True)),
}


def _edit(rnd: random.Random, text: str, n: int) -> str:
    chars = list(text)
    for _ in range(n):
        i = rnd.randrange(len(chars))
        chars[i] = rnd.choice("abcdefghijklmnopqrstuvwxyz") if chars[i].isascii() else rnd.choice(HANZI)
    return "".join(chars)


def _fullwidth(text: str) -> str:
    table = {",": "，", ".": "。", ";": "；", ":": "：", "!": "！", "?": "？"}
    return "".join(table.get(c, c) for c in unicodedata.normalize("NFKC", text))


TEXT_TRANSFORMS: dict[str, Callable[[random.Random, str], str]] = {
    "reflow 50 columns": lambda r, t: "\n\n".join(textwrap.fill(p, 50) for p in t.split("\n\n")),
    "one line": lambda r, t: " ".join(t.split()),
    "CRLF line ends": lambda r, t: t.replace("\n", "\r\n"),
    "full-width punctuation": lambda r, t: _fullwidth(t),
    "3 characters edited": lambda r, t: _edit(r, t, 3),
    "a line added": lambda r, t: t + "\n\nCopyright the author. All rights reserved.",
}


# --- quality ------------------------------------------------------------------------------------


def quality(images: int, texts: int, threshold: int, seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    sample_images, sample_texts = _samples()
    originals: list[tuple[str, str, Any]] = []  # (kind, name, PIL image or text)
    for name, data in sample_images:
        originals.append(("image", name, Image.open(io.BytesIO(data)).convert("RGB")))
    for i in range(images - len(sample_images)):
        size = rnd.choice(((512, 512), (640, 480), (480, 640), (800, 450)))
        originals.append(("image", f"made/picture-{i}", _picture(rnd, size)))
    made_texts = sample_texts[: texts // 3] + _cjk_texts(rnd, texts // 5)
    made_texts += _stdlib_texts(texts - len(made_texts))
    originals += [("text", n, t) for n, t in made_texts[:texts]]

    with tempfile.TemporaryDirectory() as tmp:
        idx = offline_index(Path(tmp) / "q.sqlite")
        wid_of, kinds = {}, {"image": 0, "text": 0}
        with idx.bulk():
            for i, (kind, name, obj) in enumerate(originals):
                data = _png(obj) if kind == "image" else obj.encode("utf-8")
                code = content_code(data, "x.png" if kind == "image" else "x.txt")
                if code is None:
                    continue
                wid = f"0x{i:064x}"
                wid_of[name] = wid
                kinds[kind] += 1
                idx.insert_work(wid, registrant=HOLDERS[0], holders=[(HOLDERS[0], 10000)], work_type=4 if kind ==
                                "image" else 2, creation_mode=1, block=i, at=i, status=2,
                                doc={"title": name, "creators": [], "contentCode": code.as_json()})
        rows: dict[tuple[str, str], list[int]] = {}  # (kind, transform) -> [copies, found, false positives]
        for kind, name, obj in originals:
            if name not in wid_of:
                continue
            transforms = IMAGE_TRANSFORMS if kind == "image" else TEXT_TRANSFORMS
            for tname, fn in transforms.items():
                if kind == "image":
                    data, fname = fn(obj), "copy.img"
                else:
                    data, fname = fn(rnd, obj).encode("utf-8"), "copy.txt"  # type: ignore[call-arg]
                code = content_code(data, fname)
                r = rows.setdefault((kind, tname), [0, 0, 0])
                r[0] += 1
                if code is None:
                    continue
                hits = {w for w, _ in similar(idx, code.iscc, threshold)}
                r[1] += wid_of[name] in hits
                r[2] += len(hits - {wid_of[name]})
        idx.close()
    samples = sum(1 for _k, name, _o in originals if name.startswith("iscc-samples/") and name in wid_of)
    return {"rows": rows, "kinds": kinds, "samples": samples}


# --- latency --------------------------------------------------------------------------------------


def _title(rnd: random.Random) -> str:
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(1, 4)))
    if rnd.random() < 0.3:
        return "".join(rnd.choice(HANZI) for _ in range(rnd.randrange(2, 6))) + " " + words
    return words.title()


def latency(n: int, runs: int, threshold: int, seed: int, keep: Path | None = None) -> dict[str, Any]:
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "lat.sqlite"
        reuse = path.exists()
        idx = offline_index(path)
        idx.db.execute("PRAGMA cache_size = -400000")  # 400 MB page cache for the bulk fill (SQLite)
        t0 = time.perf_counter()
        codes = []
        with idx.bulk():
            for i in range(n):
                if reuse:  # the same random draws as the fill, so the queries are the same
                    codes.append("ISCC:" + _iscc_image(rnd.getrandbits(64)))
                    rnd.choice(HOLDERS), rnd.choice((1, 2, 4)), rnd.choice((1, 1, 1, 2, 3))
                    rnd.choice((1, 2, 2, 2, 3, 4)), _title(rnd), rnd.choice(WORDS), rnd.choice(WORDS)
                    continue
                body = rnd.getrandbits(64)
                code = "ISCC:" + _iscc_image(body)
                codes.append(code)
                holder = rnd.choice(HOLDERS)
                idx.insert_work(f"0x{i:064x}", registrant=holder, holders=[(holder, 10000)],
                                work_type=rnd.choice((1, 2, 4)), creation_mode=rnd.choice((1, 1, 1, 2, 3)),
                                block=i, at=1_700_000_000 + i * 30, status=rnd.choice((1, 2, 2, 2, 3, 4)),
                                doc={"title": _title(rnd), "creators": [{"name": f"{rnd.choice(WORDS).title()} "
                                                                         f"{rnd.choice(WORDS).title()}"}],
                                     "identifiers": {"isrc": f"CNA01{i:07d}"},
                                     "contentCode": {"kind": "image", "iscc": code}})
        fill = time.perf_counter() - t0
        idx.db.execute("ANALYZE")
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with the WAL

        def timed(fn: Callable[[int], Any]) -> tuple[float, float, float, int]:
            times, cpu, found = [], [], 0
            for k in range(runs):
                s, c = time.perf_counter(), time.process_time()
                found += len(fn(k))
                times.append((time.perf_counter() - s) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            times.sort()
            return (statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.median(cpu),
                    found // runs)

        def near(k: int) -> list[Any]:  # a copy of a registered work: its code with 6 bits flipped
            base = codes[rnd.randrange(n)]
            from ledger.content.iscc import code_body

            body = code_body(base)[1]
            for b in rnd.sample(range(64), 6):
                body ^= 1 << b
            return similar(idx, "ISCC:" + _iscc_image(body), threshold)

        out = {
            "similar (a copy, 6 bits changed)": timed(near),
            f"similar (threshold {threshold}, unrelated code)": timed(
                lambda k: similar(idx, "ISCC:" + _iscc_image(rnd.getrandbits(64)), threshold)),
            "search title word": timed(lambda k: idx.search(title=rnd.choice(WORDS), limit=50)),
            "search title prefix (3 letters)": timed(lambda k: idx.search(title=rnd.choice(WORDS)[:3], limit=50)),
            "search title two words": timed(lambda k: idx.search(title=" ".join(rnd.sample(WORDS, 2)), limit=50)),
            "search Chinese title (2 characters)": timed(
                lambda k: idx.search(title="".join(rnd.sample(HANZI, 2)), limit=50)),
            "search creator": timed(lambda k: idx.search(creator=rnd.choice(WORDS), limit=50)),
            "search identifier (ISRC)": timed(lambda k: idx.search(identifier=f"CNA01{rnd.randrange(n):07d}")),
            "search holder + status": timed(lambda k: idx.search(holder=rnd.choice(HOLDERS), status=2, limit=50)),
            "search type + date range": timed(lambda k: idx.search(
                work_type=2, since=1_700_000_000 + rnd.randrange(n) * 30, until=1_700_000_000 + n * 30, limit=50)),
            "pending queue (oldest 50)": timed(lambda k: idx.search(status=1, oldest_first=True, limit=50)),
        }
        idx.close()
    return {"fill": fill, "size": size, "rows": out}


def _iscc_image(body: int) -> str:
    import iscc_core

    return iscc_core.encode_component(iscc_core.MT.CONTENT, iscc_core.ST_CC.IMAGE, iscc_core.VS.V0, 64,
                                      body.to_bytes(8, "big"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--works", type=int, default=100_000, help="works in the index for the latency figures")
    ap.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD)
    ap.add_argument("--images", type=int, default=150)
    ap.add_argument("--texts", type=int, default=150)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the latency index in this file and reuse it when it exists")
    a = ap.parse_args(argv)
    if not a.skip_quality:
        print_quality(a)
    if a.skip_latency:
        return 0
    lat = latency(a.works, a.runs, a.threshold, a.seed, a.keep)
    print(f"\n## Latency at {a.works:,} indexed works (filled directly in {lat['fill']:.0f} s, "
          f"{lat['size'] / 1e6:.0f} MB SQLite; in-process, warm; {a.runs} queries each)\n")
    print("| question | median ms (wall) | p95 ms (wall) | median ms (CPU of the process) | rows answered (mean) |")
    print("|---|---:|---:|---:|---:|")
    for name, (med, p95, cpu, found) in lat["rows"].items():
        print(f"| {name} | {med:.1f} | {p95:.1f} | {cpu:.1f} | {found} |")
    return 0


def print_quality(a: Any) -> None:
    q = quality(a.images, a.texts, a.threshold, a.seed)
    print(f"## Similarity (threshold {a.threshold} bits of 64): {q['kinds']['image']} images, {q['kinds']['text']} "
          f"texts indexed ({q['samples']} of them from iscc-samples, the rest made by the benchmark)\n")
    print("| media | transformation | copies | found | false positives (pairs) |")
    print("|---|---|---:|---:|---:|")
    totals: dict[str, list[int]] = {}
    for (kind, tname), (copies, found, fp) in q["rows"].items():
        unrelated = q["kinds"][kind] - 1
        print(f"| {kind} | {tname} | {copies} | {found / copies:.1%} | {fp / (copies * unrelated):.3%} |")
        t = totals.setdefault(kind, [0, 0, 0, 0])
        t[0] += copies
        t[1] += found
        t[2] += fp
        t[3] += copies * unrelated
    for kind, (copies, found, fp, pairs) in totals.items():
        print(f"| **{kind}** | **all** | {copies} | **{found / copies:.1%}** | **{fp / pairs:.3%}** |")


if __name__ == "__main__":
    sys.exit(main())
