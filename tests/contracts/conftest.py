"""Brownie fixtures for the contract tests (LedgerRoles, WorkRegistry).

These tests need Brownie's pytest plugin (``brownie test tests/contracts``, or plain
``pytest tests/contracts`` from the project root). Under ``pytest -p no:brownie`` this
folder is skipped at collection, so the SDK and CLI tests still run without a chain.

Account fixtures are named by role (STYLE.md): ``governor`` is accounts[0]; ``author``
and ``coauthor`` are verified holders (HOLDER_ROLE with a real-name commitment);
``rando`` has no role. ``spare`` accounts have no role either and are used as
recipients and unverified co-holders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import pytest

try:  # only the plugin run needs Brownie; keep `-p no:brownie` collections importable
    from brownie.exceptions import VirtualMachineError, decode_typed_error
except Exception:  # pragma: no cover - Brownie missing entirely
    VirtualMachineError = None  # type: ignore[assignment,misc]
    decode_typed_error = None  # type: ignore[assignment]


def pytest_ignore_collect(collection_path, config):
    """Skip this folder when Brownie's plugin is not active (``-p no:brownie``)."""
    if not config.pluginmanager.hasplugin("pytest-brownie") or VirtualMachineError is None:
        return True
    return None


# --- constants -------------------------------------------------------------------------

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
WHOLE = 10_000

NONE, PENDING, CONFIRMED, REJECTED, DISPUTED, REVOKED = range(6)
DISMISSED, HOLDERS_CORRECTED, OUTCOME_REVOKED = 1, 2, 3

GOVERNOR_ROLE = "0x" + "00" * 32


def _keccak(text: str) -> bytes:
    from eth_utils import keccak

    return keccak(text=text)


REGISTRAR_ROLE = "0x" + _keccak("REGISTRAR_ROLE").hex()
CMO_ROLE = "0x" + _keccak("CMO_ROLE").hex()
HOLDER_ROLE = "0x" + _keccak("HOLDER_ROLE").hex()
LICENSEE_ROLE = "0x" + _keccak("LICENSEE_ROLE").hex()
AUDITOR_ROLE = "0x" + _keccak("AUDITOR_ROLE").hex()


def content_hash(seed: str | bytes) -> str:
    """The work id of a work whose bytes are `seed`: sha-256, as a 0x hex string."""
    data = seed.encode() if isinstance(seed, str) else seed
    return "0x" + hashlib.sha256(data).hexdigest()


def cid_for(seed: str | bytes) -> bytes:
    """A binary CIDv1 (raw codec, sha2-256 multihash) of `seed`: 36 bytes."""
    data = seed.encode() if isinstance(seed, str) else seed
    return b"\x01\x55\x12\x20" + hashlib.sha256(data).digest()


def commitment_for(name: str) -> str:
    """A real-name commitment as a registrar would compute it (name + salt)."""
    return "0x" + hashlib.sha256(f"{name}|salt".encode()).hexdigest()


def holders_list(holders: Sequence[tuple[Any, int]]) -> list[tuple[str, int]]:
    """[(account, bps)] with accounts as checksum strings."""
    return [(str(a), int(b)) for a, b in holders]


def plain(value: Any) -> Any:
    """A Brownie return value as plain Python (tuples of int/str/bytes).

    Brownie 1.22's compiled ReturnValue.__eq__ raises TypeError against plain ints, so
    compare `plain(x)` rather than `x` itself.
    """
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes):
        return bytes(value)
    return str(value) if isinstance(value, str) else value


def as_holder_set(holders: Sequence[Sequence[Any]]) -> set[tuple[str, int]]:
    """A holdersOf(...) result (or event field) as a set of (address, bps)."""
    return {(str(h[0]), int(h[1])) for h in holders}


# --- custom errors ---------------------------------------------------------------------

_SIG = re.compile(r"^(\w+)\((.*)\)$")


def encode_error(signature: str, *args: Any) -> str:
    """Revert data of custom error `signature` ("Name(type,...)") with `args`, 0x hex."""
    from eth_abi import encode

    match = _SIG.match(signature.replace(" ", ""))
    if not match:
        raise ValueError(f"not an error signature: {signature!r}")
    types = [t for t in match.group(2).split(",") if t]
    if len(types) != len(args):
        raise ValueError(f"{signature} takes {len(types)} arguments, got {len(args)}")
    values = [_abi_value(t, a) for t, a in zip(types, args, strict=True)]
    selector = _keccak(signature.replace(" ", ""))[:4]
    return "0x" + (selector + encode(types, values)).hex()


def _abi_value(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return str(value)
    if abi_type.startswith("bytes") and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    if abi_type.startswith("uint") or abi_type.startswith("int"):
        return int(value)
    return value


class RevertsWith:
    """Context manager: the block must revert with exactly this custom error and arguments.

    Brownie decodes revert data with the ABIs of loaded contracts into a string
    ("Name: arg, arg"), or "Unknown typed error: 0x<data>" for an unknown selector.
    The expected string is made by decoding the expected revert data the same way, so
    the comparison is exact on the selector and on every ABI-encoded argument.
    """

    def __init__(self, signature: str, *args: Any) -> None:
        self.signature = signature
        self.args = args
        self.data = encode_error(signature, *args)

    def __enter__(self) -> RevertsWith:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        expected = decode_typed_error(self.data)
        if exc_type is None:
            raise AssertionError(f"did not revert; expected {self.signature} {self.args}")
        if not issubclass(exc_type, VirtualMachineError):
            return False
        if exc.revert_msg != expected:
            raise AssertionError(
                f"reverted with {exc.revert_msg!r}; expected {expected!r} "
                f"({self.signature} {self.args})"
            )
        return True


def reverts_with(signature: str, *args: Any) -> RevertsWith:
    return RevertsWith(signature, *args)


def unauthorized(account: Any, role: str) -> RevertsWith:
    """OpenZeppelin's AccessControlUnauthorizedAccount(account, neededRole)."""
    return RevertsWith("AccessControlUnauthorizedAccount(address,bytes32)", account, role)


# --- constants and helpers as fixtures (test modules do not import conftest) ----------


@pytest.fixture(scope="session")
def status():
    """Work statuses: NONE, PENDING, CONFIRMED, REJECTED, DISPUTED, REVOKED."""
    return SimpleNamespace(
        NONE=NONE, PENDING=PENDING, CONFIRMED=CONFIRMED,
        REJECTED=REJECTED, DISPUTED=DISPUTED, REVOKED=REVOKED,
    )


@pytest.fixture(scope="session")
def outcome():
    """Dispute outcomes: DISMISSED, HOLDERS_CORRECTED, REVOKED."""
    return SimpleNamespace(
        DISMISSED=DISMISSED, HOLDERS_CORRECTED=HOLDERS_CORRECTED, REVOKED=OUTCOME_REVOKED
    )


@pytest.fixture(scope="session")
def role():
    """Role ids as 0x hex: GOVERNOR (OZ DEFAULT_ADMIN_ROLE), REGISTRAR, CMO, HOLDER, ..."""
    return SimpleNamespace(
        GOVERNOR=GOVERNOR_ROLE, REGISTRAR=REGISTRAR_ROLE, CMO=CMO_ROLE,
        HOLDER=HOLDER_ROLE, LICENSEE=LICENSEE_ROLE, AUDITOR=AUDITOR_ROLE,
    )


@pytest.fixture(scope="session")
def err():
    """Revert assertions: err.reverts_with(signature, *args), err.unauthorized(acct, role)."""
    return SimpleNamespace(reverts_with=reverts_with, unauthorized=unauthorized)


@pytest.fixture(scope="session")
def kit():
    """Pure helpers: content_hash, cid_for, commitment_for, as_holder_set, WHOLE, ZERO."""
    return SimpleNamespace(
        content_hash=content_hash, cid_for=cid_for, commitment_for=commitment_for,
        as_holder_set=as_holder_set, encode_error=encode_error, plain=plain,
        WHOLE=WHOLE, ZERO=ZERO_ADDRESS,
    )


# --- isolation and accounts ------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Each test runs on the snapshot, and ends once Brownie's receipt threads are done: one that
    finished late, after the revert, marked the next test's transaction of the same sender and nonce
    as dropped ("Tx dropped without known replacement", seen once under load in an access-matrix cell)."""
    from tests.fixtures.stateful import receipts_settled

    yield
    receipts_settled()


@pytest.fixture(scope="module")
def governor(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def registrar(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def cmo(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def author(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def coauthor(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def licensee(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def auditor(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def rando(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def spare(accounts):
    """Two accounts with no role: recipients, unverified co-holders."""
    return accounts[8], accounts[9]


# --- contracts -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def roles(governor, registrar, cmo, author, coauthor, licensee, auditor):
    from brownie import LedgerRoles

    r = LedgerRoles.deploy(governor, {"from": governor})
    r.grantRole(REGISTRAR_ROLE, registrar, {"from": governor})
    r.grantRole(CMO_ROLE, cmo, {"from": governor})
    r.grantRole(LICENSEE_ROLE, licensee, {"from": governor})
    r.grantRole(AUDITOR_ROLE, auditor, {"from": governor})
    r.verifyHolder(author, commitment_for("author"), {"from": registrar})
    r.verifyHolder(coauthor, commitment_for("coauthor"), {"from": registrar})
    return r


@pytest.fixture(scope="module")
def registry(roles, governor):
    from brownie import WorkRegistry

    return WorkRegistry.deploy(roles, ZERO_ADDRESS, {"from": governor})


@pytest.fixture(scope="module")
def keyed_holder(roles, registrar, governor):
    """A factory: ``make(seed, name)`` is a funded, verified holder whose private key (the sha-256 of
    ``seed``) the test holds, so that it can sign EIP-712 offers off-chain."""
    from brownie import accounts

    def make(seed: str, name: str):
        acct = accounts.add("0x" + hashlib.sha256(seed.encode()).hexdigest())
        if acct.balance() < 10**18:
            governor.transfer(acct, "5 ether")
        roles.verifyHolder(acct, commitment_for(name), {"from": registrar})
        return acct

    return make


@pytest.fixture(scope="module")
def licences(roles, registry, governor):
    """A LicenceRegistry over this module's roles and works (shared by the licensing and royalty tests)."""
    from brownie import LicenceRegistry

    return LicenceRegistry.deploy(roles, registry, {"from": governor})


@pytest.fixture(scope="module")
def lens(licences, registry, governor):
    """The read-only CoverageLens over ``licences`` and ``registry``."""
    from brownie import CoverageLens

    return CoverageLens.deploy(licences, registry, {"from": governor})


@pytest.fixture(scope="module")
def token(roles, governor):
    """The settlement token (its minter is the GOVERNOR)."""
    from brownie import SettlementToken

    return SettlementToken.deploy(roles, {"from": governor})


# --- helpers as fixtures ---------------------------------------------------------------


@pytest.fixture(scope="module")
def make_registration() -> Callable[..., tuple]:
    """Build a Registration tuple: (contentHash, metadataCid, workType, creationMode, holders)."""

    def build(
        seed: str = "work",
        holders: Sequence[tuple[Any, int]] = (),
        *,
        work_type: int = 2,
        creation_mode: int = 1,
        content: str | None = None,
        cid: bytes | None = None,
    ) -> tuple:
        return (
            content if content is not None else content_hash(seed),
            cid if cid is not None else cid_for("meta:" + seed),
            work_type,
            creation_mode,
            holders_list(holders),
        )

    return build


@pytest.fixture(scope="module")
def register_work(registry, make_registration, author):
    """Register a work (PENDING); returns its id. Default: `author` alone, by `author`."""

    def register(seed: str = "work", holders=None, sender=None, **kwargs) -> str:
        holders = holders if holders is not None else [(author, WHOLE)]
        sender = sender or author
        r = make_registration(seed, holders, **kwargs)
        registry.register(r, {"from": sender})
        return r[0]

    return register


@pytest.fixture(scope="module")
def confirmed_work(registry, register_work, registrar):
    """Register and confirm a work; returns its id."""

    def register_and_confirm(seed: str = "work", holders=None, sender=None, **kwargs) -> str:
        work_id = register_work(seed, holders, sender, **kwargs)
        registry.confirm(work_id, {"from": registrar})
        return work_id

    return register_and_confirm


@pytest.fixture(scope="module")
def co_owned_work(confirmed_work, author, coauthor):
    """A CONFIRMED work held 6000 by `author` and 4000 by `coauthor`."""

    def make(seed: str = "co-owned") -> str:
        return confirmed_work(seed, [(author, 6000), (coauthor, 4000)])

    return make


@pytest.fixture(scope="module")
def disputed_work(registry, confirmed_work, coauthor):
    """A DISPUTED work (sole holder `author`), opened by `coauthor`; returns (workId, disputeId)."""

    def make(seed: str = "disputed", holders=None) -> tuple[str, int]:
        work_id = confirmed_work(seed, holders)
        tx = registry.openDispute(work_id, cid_for("evidence:" + seed), {"from": coauthor})
        return work_id, tx.return_value

    return make


@pytest.fixture(scope="module")
def extra_accounts(accounts, governor):
    """`n` more local accounts with no role (deterministic keys), funded for gas."""

    def make(n: int) -> list:
        made = []
        for i in range(n):
            key = "0x" + hashlib.sha256(f"rights-ledger-extra-{i}".encode()).hexdigest()
            acct = accounts.add(key)
            if acct.balance() == 0:
                governor.transfer(acct, "1 ether")
            made.append(acct)
        return made

    return make


@pytest.fixture(scope="module")
def work_in_status(registry, registrar, coauthor, register_work, confirmed_work):
    """A work brought to status `name` (PENDING, CONFIRMED, REJECTED, DISPUTED, REVOKED).

    Default holder: `author` alone; disputes are opened by `coauthor`. Returns the id.
    """

    def make(name: str, seed: str = "w", holders=None) -> str:
        if name in ("PENDING", "REJECTED"):
            work_id = register_work(seed, holders)
            if name == "REJECTED":
                registry.reject(work_id, 1, cid_for("reason:" + seed), {"from": registrar})
            return work_id
        work_id = confirmed_work(seed, holders)
        if name in ("DISPUTED", "REVOKED"):
            registry.openDispute(work_id, cid_for("evidence:" + seed), {"from": coauthor})
        if name == "REVOKED":
            registry.resolveDispute(
                work_id, OUTCOME_REVOKED, [], 9, cid_for("ruling:" + seed), {"from": registrar}
            )
        if name not in ("CONFIRMED", "DISPUTED", "REVOKED"):
            raise ValueError(name)
        return work_id

    return make
