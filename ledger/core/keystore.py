"""Accounts: private keys in encrypted keystore files (Web3 Secret Storage, eth-account).

Keys never leave this machine: transactions are signed here and sent raw, so the same
code runs against a node that holds no keys (Besu/QBFT, GoQuorum). One file per account,
``<home>/keys/<name>.json``, written with mode 0600.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.core.errors import InputError, KeystoreError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def kdf_n() -> int:
    """scrypt cost of new keystores (2**17); tests lower it through RIGHTS_LEDGER_KDF_N."""
    return int(os.environ.get("RIGHTS_LEDGER_KDF_N", 2**17))


@dataclass(frozen=True)
class AccountInfo:
    name: str
    address: str
    path: str


class Keystore:
    """Named accounts in one folder."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self._unlocked: dict[str, LocalAccount] = {}

    def _path(self, name: str) -> Path:
        if not NAME_RE.match(name):
            raise InputError(
                f"invalid account name {name!r}",
                hint="use 1-40 lowercase letters, digits, '-' or '_'",
            )
        return self.dir / f"{name}.json"

    def create(self, name: str, password: str, private_key: str | None = None) -> AccountInfo:
        path = self._path(name)
        if path.exists():
            raise KeystoreError(f"account {name!r} exists already ({path})")
        if not password:
            raise InputError("a password is required to encrypt the new key")
        acct = Account.from_key(private_key) if private_key else Account.create()
        data = Account.encrypt(acct.key, password, kdf="scrypt", iterations=kdf_n())
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return AccountInfo(name, acct.address, str(path))

    def list(self) -> list[AccountInfo]:
        if not self.dir.exists():
            return []
        out = []
        for p in sorted(self.dir.glob("*.json")):
            try:
                address = "0x" + json.loads(p.read_text())["address"].removeprefix("0x")
            except (OSError, ValueError, KeyError) as exc:
                raise KeystoreError(f"{p}: not a keystore file ({exc})") from exc
            from eth_utils import to_checksum_address

            out.append(AccountInfo(p.stem, to_checksum_address(address), str(p)))
        return out

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def address_of(self, name: str) -> str:
        for info in self.list():
            if info.name == name:
                return info.address
        raise KeystoreError(f"no account named {name!r}", hint="create it with `rights-ledger account new NAME`")

    def unlock(self, name: str, password: str | None) -> LocalAccount:
        if name in self._unlocked:
            return self._unlocked[name]
        path = self._path(name)
        if not path.exists():
            raise KeystoreError(
                f"no account named {name!r} in {self.dir}",
                hint="list accounts with `rights-ledger account list` or create one with `account new`",
            )
        if password is None:
            raise KeystoreError(
                f"account {name!r} is locked", hint="set RIGHTS_LEDGER_PASSWORD or pass --password"
            )
        try:
            key = Account.decrypt(json.loads(path.read_text()), password)
        except ValueError as exc:
            raise KeystoreError(f"cannot unlock account {name!r}: wrong password") from exc
        except (OSError, KeyError, TypeError) as exc:
            raise KeystoreError(f"{path}: unreadable keystore ({exc})") from exc
        acct: LocalAccount = Account.from_key(key)
        self._unlocked[name] = acct
        return acct
