"""``rights-ledger serve`` as a real subprocess: the embedded default, a remote RPC URL, and
a stopped embedded node (which the read-only portal must not start)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from ledger.core.node import rpc_alive
from tests.fixtures.chain import free_port

RL = [str(Path(sys.executable).with_name("rights-ledger"))]
if not Path(RL[0]).exists():
    RL = [sys.executable, "-c", "from ledger.cli import main; main()"]


@contextmanager
def serving(env: dict[str, str], *extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([*RL, *extra, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read()}")
            try:
                requests.get(url + "/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_over_the_embedded_node(ledger_env, works):
    with serving(ledger_env.env()) as url:
        r = requests.get(f"{url}/api/works/{works.confirmed}", timeout=30)
        assert r.status_code == 200 and r.json()["title"] == works.confirmed_title


def test_serve_over_a_remote_rpc_url(ledger_env, works):
    env = {**ledger_env.env(), "RIGHTS_LEDGER_PORT": str(free_port())}  # the local profile points elsewhere
    with serving(env, "--rpc-url", ledger_env.settings.network.rpc_url) as url:
        r = requests.get(f"{url}/api/works/by-hash/{works.confirmed[2:]}", timeout=30)
        assert r.status_code == 200 and r.json()["workId"] == works.confirmed


def test_serve_never_starts_a_stopped_embedded_node(ledger_env):
    port = free_port()
    env = {**ledger_env.env(), "RIGHTS_LEDGER_PORT": str(port)}
    with serving(env) as url:
        r = requests.get(f"{url}/works/0x{'ab' * 32}", timeout=30)
        assert r.status_code == 503
        assert "not reachable" in r.text and "rights-ledger node start" in r.text
    assert rpc_alive(f"http://127.0.0.1:{port}") is None
