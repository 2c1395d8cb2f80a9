from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.chain import (
    LedgerEnv,
    ledger_env,  # noqa: F401  (fixture)
    make_env,
)


@pytest.fixture
def own_env(tmp_path: Path) -> Iterator[LedgerEnv]:
    """A fresh home with its own embedded node, stopped at the end (restart and past-answer tests)."""
    env = make_env(tmp_path / "home")
    try:
        yield env
    finally:
        env.node.stop()
