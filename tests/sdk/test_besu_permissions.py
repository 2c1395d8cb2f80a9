"""The Besu accounts allowlist is derived from the on-chain roles and follows every change."""

import subprocess
import sys
import tomllib

import pytest
from eth_account import Account

from ledger.core.errors import InputError
from ledger.core.types import ROLES
from ledger.domain.besu import permissions_toml


def _allowlist(text: str) -> set[str]:
    return set(tomllib.loads(text)["accounts-allowlist"])


def test_allowlist_equals_union_of_role_members(ledger_env):
    ledger = ledger_env.ledger()
    expected = {a.lower() for role in ROLES for a in ledger.members(role)}
    assert _allowlist(permissions_toml(ledger)) == expected
    for name in ("governor", "registrar", "cmo", "alice", "bob", "licensee", "auditor"):
        assert ledger_env.addresses[name].lower() in expected
    assert ledger_env.addresses["rando"].lower() not in expected


def test_allowlist_follows_grant_and_revoke(ledger_env):
    gov = ledger_env.ledger("governor")
    newcomer = Account.create().address
    assert newcomer.lower() not in _allowlist(permissions_toml(gov))
    gov.grant_role("LICENSEE", newcomer)
    assert newcomer.lower() in _allowlist(permissions_toml(gov))
    gov.revoke_role("LICENSEE", newcomer)
    assert newcomer.lower() not in _allowlist(permissions_toml(gov))


def test_nodes_allowlist_is_validated(ledger_env):
    ledger = ledger_env.ledger()
    enode = "enode://" + "ab" * 64 + "@127.0.0.1:30303"
    assert tomllib.loads(permissions_toml(ledger, [enode]))["nodes-allowlist"] == [enode]
    with pytest.raises(InputError, match="not an enode URL"):
        permissions_toml(ledger, ["enode://nothex@127.0.0.1:30303"])


def test_cli_writes_the_file(ledger_env, tmp_path):
    out = tmp_path / "permissions_config.toml"
    proc = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "network", "besu-permissions", "-o", str(out)],
        env=ledger_env.env(), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    members = {a.lower() for role in ROLES for a in ledger_env.ledger().members(role)}
    assert _allowlist(out.read_text()) == members
