"""Corpus clearance at scale (issue 19): a 100,000-item manifest cleared in one run.

    python -m benchmarks.clearance [--items 100000] [--works 600]

A fresh chain gets registered works in every situation clearance must tell apart: reserved
(the holder opted out of ai-training; mandated to a CMO that holds a blanket licence for it),
listed in a CMO's work licence, covered by the CMO's blanket licence, under an open licence,
left to the statutory tariff, and pending (not confirmed). The corpus mixes exact copies (by
sha-256), re-encoded and resized JPEG copies of reserved and licensed image works (by ISCC
code), and unregistered items (random hashes and codes). It prints items per second of the
clearance itself (registry snapshot excluded, printed apart), the peak RSS, the counts, and
checks that no reserved work, exact or re-encoded, was cleared. Goal: >= 2,000 items/s.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.core.artifacts import load_artifact
from ledger.core.types import USES

AI = USES["ai-training"]
CID36 = b"\x01\x55\x12\x20" + b"\x33" * 32
FOREVER = (1 << 40) - 1
TARIFF = 3
LIST_RATE = 5
BLANKET_RATE = 2
CATEGORIES = ("reserved", "listed", "blanket", "open", "statutory", "pending")


def image(seed: str) -> tuple[bytes, Any]:
    """A blocky 64x64 PNG (robust to re-encoding) and its PIL image."""
    from PIL import Image

    r = random.Random(seed)
    small = Image.new("L", (8, 8))
    small.putdata([r.randrange(256) for _ in range(64)])
    im = small.resize((64, 64), Image.NEAREST).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue(), im


def reencode(im: Any, size: int = 48, quality: int = 60) -> bytes:
    buf = io.BytesIO()
    im.resize((size, size)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@dataclass
class World:
    """The registered works by category, their image data and ISCC codes, the licence ids."""

    works: dict[str, list[str]] = field(default_factory=dict)  # category -> work ids
    category: dict[str, str] = field(default_factory=dict)  # work id -> category
    images: dict[str, Any] = field(default_factory=dict)  # work id -> PIL image (image works)
    codes: list[tuple[str, str]] = field(default_factory=list)  # (work id, ISCC) of image works
    list_licence: int = 0
    blanket_licence: int = 0
    open_licences: dict[str, int] = field(default_factory=dict)
    cmo: str = ""


def build_world(gov: Any, reg: Any, holder: Any, cmo: Any, licensee: str, sizes: dict[str, int], tag: str) -> World:
    """Register and license works on the chain (the ledgers sign as governor, registrar, the
    holder and the CMO). Reserved and listed works are images with ISCC codes."""
    from ledger.content.iscc import content_code

    w = World(cmo=cmo.require_signer().address)
    h_addr = holder.require_signer().address
    abi = load_artifact(gov.settings.build_dir, "LicenceRegistry").abi
    lic_at = gov.deployment.address("LicenceRegistry")
    lic = {x: x.w3.eth.contract(address=lic_at, abi=abi) for x in (gov, holder, cmo)}
    regs = []
    for cat in CATEGORIES:
        ids = []
        for i in range(sizes[cat]):
            if cat in ("reserved", "listed"):
                png, im = image(f"{tag}-{cat}-{i}")
                wid = "0x" + hashlib.sha256(png).hexdigest()
                w.images[wid] = im
                code = content_code(png, "work.png")
                assert code is not None
                w.codes.append((wid, code.iscc))
            else:
                wid = "0x" + hashlib.sha256(f"{tag}-{cat}-{i}".encode()).hexdigest()
            ids.append(wid)
            w.category[wid] = cat
            regs.append((bytes.fromhex(wid[2:]), CID36, 2, 1, [(h_addr, 10000)]))
        w.works[cat] = ids
    for s in range(0, len(regs), 200):
        holder.chain.transact(holder.registry.functions.registerBatch(regs[s:s + 200]), holder.signer)
    confirm = [bytes.fromhex(x[2:]) for x in w.category if w.category[x] != "pending"]
    for s in range(0, len(confirm), 200):
        reg.chain.transact(reg.registry.functions.confirmBatch(confirm[s:s + 200]), reg.signer)
    gov.chain.transact(lic[gov].functions.setTariff(AI, TARIFF, 86400 * 30, 1, 0), gov.signer)
    for wid in w.works["reserved"] + w.works["listed"] + w.works["blanket"]:
        holder.chain.transact(lic[holder].functions.mandate(bytes.fromhex(wid[2:]), w.cmo, AI), holder.signer)
    for wid in w.works["reserved"]:
        holder.chain.transact(holder.registry.functions.reserveUses(bytes.fromhex(wid[2:]), AI), holder.signer)
    # the list licence first (a lower id than the blanket one: the contract takes the licensee's
    # licences in id order), then the blanket licence over the CMO's mandated repertoire
    terms = (2, AI, 1, FOREVER, False, 0, LIST_RATE, b"", CID36)
    listed = [bytes.fromhex(x[2:]) for x in w.works["listed"]]
    cmo.chain.transact(lic[cmo].functions.grant(licensee, listed, terms), cmo.signer)
    w.list_licence = int(lic[cmo].functions.licenceCount().call())
    terms = (3, AI, 1, FOREVER, False, 0, BLANKET_RATE, b"", CID36)
    cmo.chain.transact(lic[cmo].functions.grant(licensee, [], terms), cmo.signer)
    w.blanket_licence = int(lic[cmo].functions.licenceCount().call())
    for wid in w.works["open"]:
        holder.chain.transact(lic[holder].functions.publishOpenLicence(
            bytes.fromhex(wid[2:]), AI, b"CC-BY-4.0".ljust(32, b"\0"), b""), holder.signer)
        w.open_licences[wid] = int(lic[holder].functions.licenceCount().call())
    gov.w3.provider.make_request("evm_increaseTime", [60])
    gov.w3.provider.make_request("evm_mine", [])
    return w


def corpus_rows(w: World, n: int, seed: int = 7) -> tuple[list[dict[str, str]], dict[int, tuple[str, str | None]]]:
    """n manifest rows (sha256 or iscc) and, per row, (what it is, the work it copies)."""
    import iscc_core

    rng = random.Random(seed)
    copies: dict[str, str] = {}  # work -> ISCC of its re-encoded copy
    from ledger.content.iscc import content_code

    for wid in w.works["reserved"] + w.works["listed"]:
        code = content_code(reencode(w.images[wid]), "copy.jpg")
        assert code is not None
        copies[wid] = code.iscc
    registered = list(w.category)
    rows: list[dict[str, str]] = []
    truth: dict[int, tuple[str, str | None]] = {}
    for i in range(n):
        r = i % 10
        if r < 5:  # an exact copy of any registered work
            wid = registered[rng.randrange(len(registered))]
            rows.append({"sha256": wid[2:]})
            truth[i] = ("exact", wid)
        elif r < 7:  # a re-encoded copy of a reserved work
            wid = w.works["reserved"][rng.randrange(len(w.works["reserved"]))]
            rows.append({"iscc": copies[wid]})
            truth[i] = ("near", wid)
        elif r == 7:  # a re-encoded copy of a listed work
            wid = w.works["listed"][rng.randrange(len(w.works["listed"]))]
            rows.append({"iscc": copies[wid]})
            truth[i] = ("near", wid)
        elif r == 8:
            rows.append({"sha256": hashlib.sha256(f"unregistered-{seed}-{i}".encode()).hexdigest()})
            truth[i] = ("unregistered", None)
        else:
            body = rng.getrandbits(64).to_bytes(8, "big")
            rows.append({"iscc": "ISCC:" + iscc_core.encode_component(iscc_core.MT.CONTENT, iscc_core.ST_CC.IMAGE,
                                                                      iscc_core.VS.V0, 64, body)})
            truth[i] = ("unregistered", None)
    return rows, truth


def write_manifest(path: Path, rows: list[dict[str, str]]) -> None:
    lines = ["sha256,iscc"] + [f"{r.get('sha256', '')},{r.get('iscc', '')}" for r in rows]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--works", type=int, default=600, help="registered works (split over the categories)")
    a = ap.parse_args(argv)
    from benchmarks.run import PASSWORD, bench_env, say
    from ledger.core.keystore import Keystore
    from ledger.domain import clearance as C
    from ledger.domain.works import Ledger

    per = max(2, a.works // len(CATEGORIES))
    sizes = dict.fromkeys(CATEGORIES, per)
    with bench_env(None) as env:
        ks = Keystore(env.settings.keys_dir)
        ks.create("licensee", PASSWORD)
        licensee_addr = ks.address_of("licensee")
        env.gov.grant_role("LICENSEE", licensee_addr)
        env.registrar.verify_holder(env.holder, "Ana Lima")
        holder = Ledger.open(env.settings, account="holder", password=PASSWORD)
        licensee = Ledger.open(env.settings, account="licensee", password=PASSWORD)
        t0 = time.perf_counter()
        world = build_world(env.gov, env.registrar, holder, env.cmo, licensee_addr, sizes, "bench")
        say(f"world: {len(world.category)} works in {time.perf_counter() - t0:.1f} s")
        rows, truth = corpus_rows(world, a.items)
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "corpus.csv"
            write_manifest(manifest, rows)
            t1 = time.perf_counter()
            registry = C.Registry.load(licensee, codes=world.codes)
            t_snapshot = time.perf_counter() - t1
            t2 = time.perf_counter()
            items = C.read_manifest(manifest)
            params = C.Clearance(licensee).params(items, manifest, licensee_addr, "ai-training", None, 12, registry)
            clearer = C.Clearer(registry, params.licensee, AI, params.at, 12)
            verdicts = C.run(items, clearer, params, Path(tmp) / "report.json.journal")
            doc = C.sign_report(C.build_report(verdicts, params, registry.attestation_registry),
                                licensee.require_signer().key)
            t_clear = time.perf_counter() - t2
            check = C.verify_report(doc)
        leaked = [v.index for v in verdicts if truth[v.index][1] is not None
                  and world.category[truth[v.index][1]] == "reserved" and v.verdict == 1]
        missed = [v.index for v in verdicts if truth[v.index][0] == "near" and v.match != 2]
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        say(f"registry snapshot (events replayed, {len(world.codes)} ISCC codes): {t_snapshot:.2f} s")
        say(f"clearance of {len(items)} items (read, decide, journal, Merkle root, EIP-712 signature): "
            f"{t_clear:.2f} s = {len(items) / t_clear:,.0f} items/s; peak RSS {rss_mb:.0f} MB")
        say(f"counts {doc['counts']}; fees {doc['fees']['total']}; report verifies: {check.ok}")
        say(f"reserved works cleared (exact or re-encoded): {len(leaked)}; re-encoded copies not matched: "
            f"{len(missed)}")
        return 0 if not leaked and not missed and check.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
