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
from typing import TYPE_CHECKING

from ledger.core.abicodec import checksum
from ledger.core.errors import ConfigError, InputError, KeystoreError
from ledger.core.inputs import read_json
from ledger.core.parsing import parse_uint

if TYPE_CHECKING:  # eth-account is imported when a key is made or unlocked, not by a read (issue 15)
    from eth_account.signers.local import LocalAccount

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def kdf_n() -> int:
    """scrypt cost of new keystores (2**17); tests lower it through RIGHTS_LEDGER_KDF_N (a power of two 2..2**20)."""
    raw = os.environ.get("RIGHTS_LEDGER_KDF_N")
    if raw is None or raw == "":
        return 2**17
    try:
        n = parse_uint(raw, "scrypt cost", bits=32, minimum=2, maximum=2**20)
    except InputError as exc:
        raise ConfigError(f"RIGHTS_LEDGER_KDF_N={raw[:40]!r}: {exc.message}", hint="e.g. 131072, or unset it") from None
    if n & (n - 1):
        raise ConfigError(f"RIGHTS_LEDGER_KDF_N={n}: the scrypt cost must be a power of two", hint="e.g. 131072")
    return n


_HEX = re.compile(r"(0x)?[0-9a-fA-F]*")


def _check_keystore(doc: object, path: Path) -> dict:
    """A Web3 Secret Storage (v3) document of the right shape; raises KeystoreError naming the field."""
    def bad(field: str, why: str) -> KeystoreError:
        return KeystoreError(f"{path}: not a valid keystore file: {field} {why}",
                             hint="restore the file from a backup, or import the key again")

    if not isinstance(doc, dict):
        raise bad("the document", "must be a JSON object")
    if doc.get("version") != 3 or isinstance(doc.get("version"), bool):
        raise bad("version", "must be 3 (Web3 Secret Storage)")
    address = doc.get("address")
    if not isinstance(address, str) or not re.fullmatch(r"(0x)?[0-9a-fA-F]{40}", address):
        raise bad("address", "must be 40 hex digits")
    crypto = doc.get("crypto", doc.get("Crypto"))
    if not isinstance(crypto, dict):
        raise bad("crypto", "is missing")
    for key in ("ciphertext", "mac"):
        if not isinstance(crypto.get(key), str) or not _HEX.fullmatch(crypto[key]) or len(crypto[key]) % 2:
            raise bad(f"crypto.{key}", "must be hex")
    iv = (crypto.get("cipherparams") or {}).get("iv") if isinstance(crypto.get("cipherparams"), dict) else None
    if crypto.get("cipher") != "aes-128-ctr" or not isinstance(iv, str) or not _HEX.fullmatch(iv) or len(iv) % 2:
        raise bad("crypto.cipher", "must be aes-128-ctr with a hex iv")
    kdf, params = crypto.get("kdf"), crypto.get("kdfparams")
    if kdf not in ("scrypt", "pbkdf2") or not isinstance(params, dict):
        raise bad("crypto.kdf", "must be scrypt or pbkdf2 with kdfparams")
    ints = ("dklen", "n", "r", "p") if kdf == "scrypt" else ("dklen", "c")
    for key in ints:
        v = params.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < (1 << 32):
            raise bad(f"crypto.kdfparams.{key}", "must be a positive whole number")
    # bounds keep a hostile file from asking for gigabytes of memory or minutes of CPU
    if kdf == "scrypt" and (params["n"] & (params["n"] - 1) or params["n"] < 2 or params["n"] > 2**18):
        raise bad("crypto.kdfparams.n", "must be a power of two 2..2**18")
    if kdf == "scrypt" and (params["r"] > 16 or params["p"] > 4):
        raise bad("crypto.kdfparams", "r must be at most 16 and p at most 4")
    if kdf == "pbkdf2" and (params.get("prf") != "hmac-sha256" or params["c"] > 2**21):
        raise bad("crypto.kdfparams", "must use hmac-sha256 and at most 2**21 rounds")
    if params["dklen"] < 32 or params["dklen"] > 64:
        raise bad("crypto.kdfparams.dklen", "must be 32..64")
    salt = params.get("salt")
    if not isinstance(salt, str) or not _HEX.fullmatch(salt) or len(salt) % 2:
        raise bad("crypto.kdfparams.salt", "must be hex")
    return doc


def read_keystore(path: Path) -> dict:
    """The keystore document of a file, checked for shape (a truncated file is not a wrong password)."""
    try:
        doc = read_json(path, what="keystore file", limit=1 << 16, expect=None)
    except InputError as exc:
        raise KeystoreError(f"unreadable keystore: {exc.message}",
                            hint="restore the file from a backup, or import the key again") from None
    return _check_keystore(doc, path)


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
        if private_key is not None and not re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", private_key.strip()):
            raise InputError("the private key must be 64 hex digits (with or without 0x)")
        try:
            from eth_account import Account

            acct = Account.from_key(private_key.strip()) if private_key else Account.create()
        except (ValueError, TypeError) as exc:
            raise InputError(f"not a valid private key ({' '.join(str(exc).split())[:80]})") from None
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
            address = "0x" + read_keystore(p)["address"].removeprefix("0x")
            out.append(AccountInfo(p.stem, checksum(address), str(p)))
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
        doc = read_keystore(path)
        from eth_account import Account

        try:
            key = Account.decrypt(doc, password)
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise KeystoreError(f"cannot unlock account {name!r}: wrong password") from None
            raise KeystoreError(f"{path}: unreadable keystore ({' '.join(str(exc).split())[:120]})",
                                hint="restore the file from a backup, or import the key again") from None
        except (KeyError, TypeError, OverflowError, MemoryError, NotImplementedError) as exc:
            raise KeystoreError(f"{path}: unreadable keystore ({type(exc).__name__})",
                                hint="restore the file from a backup, or import the key again") from None
        acct: LocalAccount = Account.from_key(key)
        self._unlocked[name] = acct
        return acct
