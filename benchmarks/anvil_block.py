"""``python -m benchmarks.anvil_block --state FILE [--runs 6] [--prune-history]``: how long the
embedded node (anvil) takes to mine one empty block on a given state (issue 15: every write waits
for one block, so a write cannot be faster than this).

It starts anvil on a free port on 127.0.0.1 with ``--load-state FILE`` (read only: nothing is
dumped back), with the embedded node's other settings, times the start, then times ``--runs``
``evm_mine`` calls and reports anvil's peak RSS (VmHWM). ``--prune-history`` keeps no past
states in memory. A state file of a ledger kept by ``python -m benchmarks.scaling --keep DIR`` is
``DIR/N/chain/local/state.json``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ledger.core.node import anvil_binary
from tests.fixtures.chain import free_port


def _rpc(port: int, method: str) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())["result"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--runs", type=int, default=6)
    p.add_argument("--prune-history", action="store_true")
    args = p.parse_args(argv)
    port = free_port()
    cmd = [anvil_binary(), "--host", "127.0.0.1", "--port", str(port), "--chain-id", "31337", "--load-state",
           str(args.state), "--gas-limit", "30000000", "--base-fee", "0", "--gas-price", "0", "--accounts", "1",
           "--hardfork", "cancun", *(["--prune-history"] if args.prune_history else [])]
    t0 = time.monotonic()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                tail = log.read()[-600:].decode(errors="replace")
                raise SystemExit(f"anvil exited with code {proc.returncode}: {tail}")
            try:
                head = int(str(_rpc(port, "eth_blockNumber")), 16)
                break
            except OSError:
                time.sleep(0.5)
        started = time.monotonic() - t0
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            _rpc(port, "evm_mine")
            times.append((time.perf_counter() - t) * 1000)
        hwm = next((ln.split()[1] for ln in open(f"/proc/{proc.pid}/status") if ln.startswith("VmHWM:")), "0")
    finally:
        proc.kill()
        proc.wait()
    size = args.state.stat().st_size / 1e6
    print(f"{args.state} ({size:,.0f} MB, head block {head}){' --prune-history' if args.prune_history else ''}: "
          f"started in {started:.1f} s; one empty block: median {statistics.median(times):,.0f} ms "
          f"(min {min(times):,.0f}, max {max(times):,.0f}, {args.runs} blocks); "
          f"anvil peak RSS {int(hwm) / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
