"""Machinery of the input fuzzer (tests/fuzz): the world, the CLI runner, the per-case checks.

The CLI runs in-process with click's CliRunner through ``ledger.cli.cli``, the same group
(and so the same error handling and last line of defence) as the ``rights-ledger`` entry
point, against the session's real anvil node (``ledger_env``). Each case has a time limit
(SIGALRM raises :class:`CaseTimeout`, a BaseException that no ``except Exception`` of the
CLI can swallow).

Case counts: ``RIGHTS_LEDGER_FUZZ_SCALE`` (default 1) multiplies every format's examples;
``RIGHTS_LEDGER_FUZZ_SEED`` fixes Hypothesis' seed. The terminal summary prints
``fuzz: N cases (E exit 0, F exit 1, R refused) in S s``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.badinput.conftest import Snapshot, World
from tests.fixtures.chain import LedgerEnv, ledger_env  # noqa: F401  (fixture)
from tests.fuzz.harness import summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    line = summary()
    if line:
        terminalreporter.write_sep("-", line)


@pytest.fixture(scope="session", autouse=True)
def reuse_connections(ledger_env: LedgerEnv) -> Iterator[None]:  # noqa: F811
    """Reuse one connected Ledger per account of the session's home across cases.

    Connecting (chain id, deployment, code check, contract objects) costs more than most
    cases. Only the session's own home is cached: the cases that fuzz settings, networks.toml
    or keystores run with homes of their own and always connect afresh. Everything the CLI
    does with the Ledger (parsing, simulation, error mapping) still runs per case.
    ``RIGHTS_LEDGER_FUZZ_FRESH=1`` turns the cache off.
    """
    from ledger.domain.works import Ledger

    if os.environ.get("RIGHTS_LEDGER_FUZZ_FRESH"):
        yield
        return
    original = Ledger.open.__func__  # type: ignore[attr-defined]
    cache: dict[tuple[str, ...], Any] = {}

    def open_cached(cls: type, settings: Any, *, account: str | None = None, **kw: Any) -> Any:
        if settings.home != ledger_env.home or settings.network.rpc_url != ledger_env.settings.network.rpc_url \
                or os.environ.get("RIGHTS_LEDGER_KDF_N", "1024") != "1024":
            return original(cls, settings, account=account, **kw)
        key = (str(settings.home), settings.network.name, str(settings.store), str(account))
        if key not in cache:
            cache[key] = original(cls, settings, account=account, **kw)
        return copy.copy(cache[key])  # a command that sets its signer sets it on its own copy

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Ledger, "open", classmethod(open_cached))
        yield


@pytest.fixture(scope="session")
def world(ledger_env: LedgerEnv) -> World:  # noqa: F811
    from tests.sdk.test_usage import world as usage_world

    w = usage_world(ledger_env, "fuzz", n_works=6)
    return World(ledger_env, w["works"], w["licence"], dict(ledger_env.addresses), w["clock"]() - 60)


@pytest.fixture(scope="session")
def reader(ledger_env: LedgerEnv) -> Any:  # noqa: F811
    return ledger_env.ledger()


@pytest.fixture(scope="session")
def state(ledger_env: LedgerEnv, reader: Any) -> Iterator[Snapshot]:  # noqa: F811
    yield Snapshot(ledger_env, reader)
