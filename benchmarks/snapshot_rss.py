"""``python -m benchmarks.snapshot_rss --keep DIR --size N``: peak memory of the embedded node's snapshot.

Opens a ledger built by ``python -m benchmarks.scaling --keep DIR`` (its ``DIR/N`` home) and
measures, each in a fresh process under ``/usr/bin/time`` (``ru_maxrss`` is kept across
``execve``, so a child of this process would report this process's peak):

1. the snapshot read whole: ``anvil_dumpState``'s answer in memory, hex-decoded and gunzipped at
   once (how ``EmbeddedNode.persist`` worked before it was streamed), written to a scratch file;
2. ``EmbeddedNode.persist()``: the streamed snapshot;
3. one write (``registerBatch`` of one work) that takes the periodic snapshot
   (``SNAPSHOT_EVERY`` set to 1 in that process).

Prints peak RSS, wall time and the state file's size. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

PRELUDE = (
    "import resource, sys\nfrom pathlib import Path\nfrom ledger.core.config import load_settings, local_profile\n"
    "s = load_settings(home=Path({home!r}), network='local').with_network(local_profile(port={port}))\n"
)
WHOLE = PRELUDE + (
    "import gzip\nfrom ledger.core.rpc import Rpc\n"
    "raw = bytes.fromhex(Rpc(s.network.rpc_url, 600).request('anvil_dumpState')[2:])\n"
    "data = gzip.decompress(raw) if raw[:2] == b'\\x1f\\x8b' else raw\n"
    "Path({scratch!r}).write_bytes(data)\n"
)
STREAMED = PRELUDE + "from ledger.core.node import EmbeddedNode\nEmbeddedNode(s.network, s.chain_dir).persist()\n"
WRITE = PRELUDE + (
    "import hashlib, time\nfrom ledger.core import node\nnode.SNAPSHOT_EVERY = 1\n"
    "from ledger.domain.works import Ledger\n"
    "led = Ledger.open(s, account='alice', password={password!r})\n"
    "h = hashlib.sha256(f'snapshot-rss:{{time.time()}}'.encode()).digest()\n"
    "led.chain.transact(led.registry.functions.registerBatch([(h, {cid!r}, 2, 1, [(led.signer.address, 10000)])]), "
    "led.signer)\n"
)


def measure(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of ``python -c code`` in a fresh process."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", sys.executable, "-c", code], capture_output=True,
                       text=True, env=env, timeout=3600, cwd="/")
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return int(p.stderr.rsplit("MAXRSS", 1)[1]) / 1024, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--keep", type=Path, required=True, help="the --keep folder of benchmarks.scaling")
    p.add_argument("--size", type=int, default=10000, help="ledger size N (KEEP/N must be built)")
    args = p.parse_args(argv)
    from benchmarks.scaling import CID, _open_env, env_password

    home = args.keep / str(args.size)
    env, *_ = _open_env(home, args.size)
    scratch = home / "snapshot-whole.tmp"
    try:
        fmt = {"home": str(home), "port": env.port, "scratch": str(scratch), "password": env_password(), "cid": CID}
        run_env = {**env.env(), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        for label, code in (("snapshot read whole (before)", WHOLE), ("persist(), streamed", STREAMED),
                            ("one write taking the snapshot, streamed", WRITE)):
            rss, wall = measure(code.format(**fmt), run_env)
            size = (home / "chain" / "local" / "state.json").stat().st_size / 1e6
            print(f"{label}: peak RSS {rss:,.0f} MB, {wall:.1f} s, state file {size:,.0f} MB", flush=True)
    finally:
        scratch.unlink(missing_ok=True)
        env.node.stop(timeout=900)
    return 0


if __name__ == "__main__":
    sys.exit(main())
