from tests.fixtures.chain import ledger_env  # noqa: F401  (fixture)
