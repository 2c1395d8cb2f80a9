"""``python -m benchmarks.scaling [--sizes 0,1000,10000] [--runs 5]``: how one question scales.

For each ledger size N it starts a fresh embedded node (temporary home), builds N confirmed
works and N licences directly through the SDK (registerBatch / confirmBatch of 200, list
licences of one work each sent pipelined to a bulk licensee, at most 200 in flight), then
times each single question as the median of ``--runs`` runs, in-process after the ledger is
open (what a command or the portal does after start-up):

  work show (Ledger.work), verify (hash a file, status + work), licence status (the
  contract's coverage view), licence list for a licensee (the read index), portal work page
  (Reader.work: record, holders, licences of the work, protection), portal licence check
  (Reader.licence_status), one register, one grant (duplicate check + grant, as the CLI does).

Then the peak RSS of a process that opens the ledger and makes one write. It prints a
table with the ratio largest/smallest per question. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.domain.licensing import Licensing
from ledger.portal.service import Reader
from tests.fixtures.chain import make_env

CID = b"\x01\x55\x12\x20" + b"\x66" * 32
CHUNK = 200


def _ids(seed: str, n: int) -> list[bytes]:
    return [hashlib.sha256(f"scale:{seed}:{i}".encode()).digest() for i in range(n)]


def _pipelined(led: Any, fns: list[Any]) -> None:
    """Send the calls pipelined (gas from the first simulation), at most CHUNK in flight."""
    if not fns:
        return
    tx0 = led.chain.build(fns[0], led.signer)
    for start in range(0, len(fns), CHUNK):
        last = None
        for fn in fns[start:start + CHUNK]:
            tx = {**tx0, "data": led.chain.calldata(fn)}
            tx.pop("nonce", None)
            last = led.chain.send(tx, led.signer)
        led.chain.wait(last)
    led.chain.make_durable()


def build(env: Any, n: int) -> tuple[str, str]:
    """N confirmed works held by alice, N list licences to a bulk licensee; returns a sample work
    and the licensee whose few licences are listed."""
    alice, reg = env.ledger("alice"), env.ledger("registrar")
    addr = env.addresses["alice"]
    ids = _ids("bulk", n)
    regs = [(h, CID, 2, 1, [(addr, 10000)]) for h in ids]
    _pipelined(alice, [alice.registry.functions.registerBatch(regs[i:i + CHUNK]) for i in range(0, n, CHUNK)])
    _pipelined(reg, [reg.registry.functions.confirmBatch(ids[i:i + 500]) for i in range(0, n, 500)])
    lic = Licensing(alice)
    bulk = env.addresses["bob"]
    env.ledger("governor").grant_role("LICENSEE", bulk)
    now = lic.now()
    terms = lic.terms(["reproduce"], scope="list", start=now)
    fns = [lic.contract.functions.grant(bulk, [h], terms.as_tuple()) for h in ids]
    _pipelined(alice, fns)
    # the sample: one work with a handful of licences, to the measured licensee
    (sample,) = _ids("sample", 1)
    alice.chain.transact(alice.registry.functions.registerBatch([(sample, CID, 2, 1, [(addr, 10000)])]), alice.signer)
    reg.chain.transact(reg.registry.functions.confirmBatch([sample]), reg.signer)
    wid = "0x" + sample.hex()
    for use in ("reproduce", "perform", "ai-training"):
        lic.grant(env.addresses["licensee"], [wid], lic.terms([use], start=now))
    return wid, env.addresses["licensee"]


def median_time(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm (opens connections, syncs the read index)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_of_one_write(env: Any, seed: str) -> float:
    """MB: a fresh process opens the ledger as alice and registers one work."""
    code = (
        "import hashlib, resource\nfrom pathlib import Path\n"
        "from ledger.core.config import load_settings, local_profile\n"
        "from ledger.domain.works import Ledger\n"
        f"s = load_settings(home=Path({str(env.home)!r}), network='local')\n"
        f"s = s.with_network(local_profile(port={env.port}))\n"
        f"led = Ledger.open(s, account='alice', password={env_password()!r})\n"
        f"h = hashlib.sha256({seed!r}.encode()).digest()\n"
        f"led.chain.transact(led.registry.functions.registerBatch([(h, {CID!r}, 2, 1, "
        "[(led.signer.address, 10000)])]), led.signer)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env.env(), timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"the one-write process failed: {p.stderr[-800:]}")
    return int(p.stdout.strip().splitlines()[-1]) / 1024


def env_password() -> str:
    from tests.fixtures.chain import PASSWORD

    return PASSWORD


def measure(n: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        env = make_env(Path(tmp) / "home")
        try:
            t0 = time.monotonic()
            wid, who = build(env, n)
            print(f"  built {n:,} works + {n:,} licences in {time.monotonic() - t0:.0f} s", file=sys.stderr)
            alice = env.ledger("alice")
            lic = Licensing(alice)
            reader = Reader(env.settings)
            sample_file = Path(tmp) / "sample.txt"
            sample_file.write_text("a work on disk")
            from ledger.domain.works import sha256_of_file

            counter = iter(range(10**9))

            def verify() -> None:
                digest = sha256_of_file(sample_file)
                alice.status_of("0x" + digest)
                alice.work(wid)

            def register() -> None:
                h = hashlib.sha256(f"scale:one:{n}:{next(counter)}".encode()).digest()
                alice.chain.transact(alice.registry.functions.registerBatch(
                    [(h, CID, 2, 1, [(alice.signer.address, 10000)])]), alice.signer)

            def grant() -> None:
                terms = lic.terms(["perform"], start=lic.now() + next(counter) + 10)
                if lic.identical_licence(who, [wid], terms) is None:
                    lic.grant(who, [wid], terms)

            questions = {
                "work show": lambda: alice.work(wid),
                "verify": verify,
                "licence status": lambda: lic.status(wid, who, "reproduce"),
                "licence list (licensee)": lambda: lic.licences_for(licensee=who),
                "portal work page": lambda: reader.work(wid),
                "portal licence check": lambda: reader.licence_status(wid, who, "reproduce"),
                "one register": register,
                "one grant": grant,
            }
            out = {name: median_time(fn, runs) for name, fn in questions.items()}
            out["peak RSS of one write (MB)"] = peak_rss_of_one_write(env, f"rss:{n}")
            return out
        finally:
            env.node.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="0,1000,10000", help="ledger sizes, comma-separated")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        print(f"ledger of {n:,} works and licences", file=sys.stderr)
        results[n] = measure(n, args.runs)
        print("  " + ", ".join(f"{k}: {v:.3f}" for k, v in results[n].items()), file=sys.stderr)
    names = list(results[sizes[0]])
    head = "| question | " + " | ".join(f"{n:,}" for n in sizes) + " | ratio largest/smallest |"
    print(head)
    print("|" + " --- |" * (len(sizes) + 2))
    for name in names:
        vals = [results[n][name] for n in sizes]
        cells = [f"{v:.0f}" if "MB" in name else f"{v * 1000:.0f} ms" for v in vals]
        ratio = vals[-1] / vals[0] if vals[0] else float("nan")
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    print(f"(peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
