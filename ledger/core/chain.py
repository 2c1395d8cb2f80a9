"""The chain connection: local signing, raw transactions, receipts, decoded reverts.

Nothing here asks the node to sign: every transaction is built, signed with the local key
(eth-account) and sent with ``eth_sendRawTransaction``, as a permissioned Besu/QBFT or
GoQuorum network requires. Legacy (type 0) transactions with the configured gas price
work on all of them, including free-gas networks (gas price 0).

A revert is decoded against every custom error of the ledger's ABIs and raised as the
matching :mod:`ledger.errors` class, keeping the error's name and arguments.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.core import abicodec
from ledger.core import errors as E
from ledger.core.calls import CallReverted, revert_of
from ledger.core.config import NetworkProfile
from ledger.core.events import Event, EventDecoder
from ledger.core.parsing import ROLE_OF_ID
from ledger.core.rpc import Rpc, RpcRefused, connection_failure
from ledger.core.types import WriteResult

if TYPE_CHECKING:  # web3 and eth-account are imported by the first write, never by a read (issue 15)
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.contract.contract import ContractFunction

GAS_MARGIN = 1.25
# Added to every estimate: a write that records a time-ranged fact (ADR 009) stores a new
# history slot (~25k gas) when its block's time differs from the last entry's, but only updates
# the last entry when the times are equal, and the estimate runs at the latest block's time.
GAS_HEADROOM = 35_000
JOURNAL_LIMIT = 256  # raw transactions kept for the node's journal between two durable points

_ROLE_NAMES = ROLE_OF_ID  # role id (0x + 64 hex) -> name, defined once in ledger.core.parsing

STATUS_NAMES = {0: "NONE", 1: "PENDING", 2: "CONFIRMED", 3: "REJECTED", 4: "DISPUTED", 5: "REVOKED"}


def role_name(role: bytes | str) -> str:
    key = role if isinstance(role, str) else "0x" + role.hex()
    return _ROLE_NAMES.get(key.lower(), key)


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


# error name -> (exception class, message builder, hint)
def _msg_unauthorized(a: dict[str, Any]) -> str:
    return f"account {a['account']} lacks the {role_name(a['neededRole'])} role"


_ERRORS: dict[str, tuple[type[E.ContractError], Callable[[dict[str, Any]], str], str | None]] = {
    "AccessControlUnauthorizedAccount": (
        E.NotAuthorized,
        _msg_unauthorized,
        "ask the governor (or, for HOLDER, a registrar) to grant it",
    ),
    "WorkRegistry__AlreadyRegistered": (
        E.WorkAlreadyRegistered,
        lambda a: f"this content is registered already as work {_short(a['workId'])} "
        f"({STATUS_NAMES.get(a['status'], a['status'])})",
        "see it with `rights-ledger work show ID`",
    ),
    "WorkRegistry__NotFound": (
        E.WorkNotFound,
        lambda a: f"no work {_short(a['workId'])} is registered",
        "check the id, or find a file's work with `rights-ledger verify FILE`",
    ),
    "WorkRegistry__WrongStatus": (
        E.InvalidState,
        lambda a: f"work {_short(a['workId'])} is {STATUS_NAMES.get(a['status'], a['status'])}, "
        f"this needs it {STATUS_NAMES.get(a['expected'], a['expected'])}",
        None,
    ),
    "WorkRegistry__NotAHolder": (
        E.NotAuthorized,
        lambda a: f"account {a['account']} is not a holder of work {_short(a['workId'])}",
        None,
    ),
    "WorkRegistry__SharesNotWhole": (
        E.InvalidShares,
        lambda a: f"holder shares sum to {a['total']} basis points, they must sum to 10000",
        None,
    ),
    "WorkRegistry__InvalidHolder": (
        E.InvalidShares,
        lambda a: f"holder #{a['index']} ({a['account']}, {a['bps']} bps) is invalid: "
        "zero address, zero share or listed twice",
        None,
    ),
    "WorkRegistry__InsufficientShare": (
        E.InvalidShares,
        lambda a: f"{a['holder']} holds {a['held']} bps of the work, cannot transfer {a['requested']}",
        None,
    ),
    "WorkRegistry__ConsentMissing": (
        E.NotAuthorized,
        lambda a: f"co-owner {a['coOwner']} has not consented to this action",
        "each co-owner consents first with `rights-ledger work consent`",
    ),
    "WorkRegistry__NotEntitledToDispute": (
        E.NotAuthorized,
        lambda a: f"{a['account']} may not dispute work {_short(a['workId'])}: a CMO, a registrar, or a HOLDER "
        "with a share of it or a verified real name may",
        "ask a registrar to verify your real name (`rights-ledger account verify-holder`)",
    ),
    "WorkRegistry__EvidenceUsed": (
        E.InvalidState,
        lambda a: f"this evidence was used in a dispute over work {_short(a['workId'])} already",
        "a dismissed dispute is reopened only with new evidence",
    ),
    "WorkRegistry__ReclaimBarred": (
        E.NotAuthorized,
        lambda a: f"{a['account']} was rejected on work {_short(a['workId'])} and may claim it again only "
        f"from unix time {a['until']}",
        None,
    ),
    "WorkRegistry__ClaimsCompeting": (
        E.InvalidState,
        lambda a: f"work {_short(a['workId'])} has {a['count']} competing claim(s)",
        "award one claim or dismiss the competing ones first",
    ),
    "WorkRegistry__Retired": (
        E.InvalidState,
        lambda a: f"this registry was retired in favour of {a['successor']}",
        "update the deployments file (`rights-ledger node status`)",
    ),
    "LicenceRegistry__BadSignature": (
        E.SignatureInvalid,
        lambda a: f"the offer is not signed by its licensor {a['licensor']} (recovered {a['recovered']}): "
        "wrong key, chain, contract or altered terms",
        "ask the licensor for a fresh offer",
    ),
    "LicenceRegistry__OfferUsed": (
        E.LicenceInvalid,
        lambda a: f"offer nonce {a['nonce']} of {a['licensor']} was used already",
        None,
    ),
    "LicenceRegistry__OfferCancelled": (
        E.LicenceInvalid,
        lambda a: f"offer nonce {a['nonce']} of {a['licensor']} was cancelled",
        None,
    ),
    "LicenceRegistry__OfferExpired": (
        E.LicenceInvalid,
        lambda a: f"the offer's deadline {a['deadline']} has passed",
        "ask the licensor for a fresh offer",
    ),
    "LicenceRegistry__NotAHolder": (
        E.NotAuthorized,
        lambda a: f"account {a['account']} is not a holder of work {_short(a['workId'])}",
        None,
    ),
    "LicenceRegistry__NotLicensor": (
        E.NotAuthorized,
        lambda a: f"account {a['account']} is not the licensor of licence #{a['licenceId']}",
        None,
    ),
    "LicenceRegistry__NoMandate": (
        E.NotAuthorized,
        lambda a: f"work {_short(a['workId'])} is not mandated to {a['cmo']} for these uses",
        "the holder mandates it first with `rights-ledger mandate add`",
    ),
    "LicenceRegistry__WorkNotLicensable": (
        E.InvalidState,
        lambda a: f"work {_short(a['workId'])} is {STATUS_NAMES.get(a['status'], a['status'])}; "
        "only CONFIRMED works are licensed",
        None,
    ),
    "LicenceRegistry__ExclusiveConflict": (
        E.LicenceInvalid,
        lambda a: f"exclusive licence #{a['licenceId']} already covers this work, use, territory and time",
        None,
    ),
    "LicenceRegistry__ConsentMissing": (
        E.NotAuthorized,
        lambda a: f"not every co-owner of work {_short(a['workId'])} consented to this exclusive licence "
        f"(action {_short(a['actionHash'])})",
        "each co-owner consents first: `rights-ledger work consent` with that action hash",
    ),
    "WorkRegistry__DisputeOpen": (
        E.InvalidState,
        lambda a: f"work {_short(a['workId'])} has open dispute {a['disputeId']}",
        None,
    ),
    "AttestationRegistry__NoLedgerRole": (
        E.NotAuthorized,
        lambda a: f"account {a['account']} holds no ledger role, so it cannot attest",
        "any role will do: ask the governor (or a registrar, for HOLDER)",
    ),
    "AttestationRegistry__AlreadyAttested": (
        E.ContractError,
        lambda a: f"{_short(a['hash'])} was attested already by {a['attester']} at unix time {a['attestedAt']}",
        "each attester's earliest attestation stands; see it with `rights-ledger attest verify HASH`",
    ),
    "AttestationRegistry__NotHolderOrRegistrant": (
        E.NotAuthorized,
        lambda a: f"account {a['account']} is neither a holder nor the registrant of work {_short(a['workId'])}",
        None,
    ),
    "AttestationRegistry__WorkNotActive": (
        E.InvalidState,
        lambda a: f"work {_short(a['workId'])} is {STATUS_NAMES.get(a['status'], a['status'])}: generation "
        "records need it PENDING, CONFIRMED or DISPUTED",
        None,
    ),
}


def _exception_class(name: str) -> type[E.ContractError]:
    if name in _ERRORS:
        return _ERRORS[name][0]
    if "Licen" in name or "Offer" in name:
        return E.LicenceInvalid
    if "Signature" in name or "Signer" in name or "ECDSA" in name:
        return E.SignatureInvalid
    if "Status" in name or "Dispute" in name or "State" in name:
        return E.InvalidState
    return E.ContractError


class ErrorDecoder:
    """Maps revert data to typed exceptions using the custom errors in the given ABIs."""

    def __init__(self, abi_entries: Iterable[dict[str, Any]]) -> None:
        self._entries = [e for e in abi_entries if e.get("type") == "error"]
        self._table: dict[bytes, tuple[str, list[str], list[abicodec.AbiType]]] | None = None

    @property
    def _by_selector(self) -> dict[bytes, tuple[str, list[str], list[abicodec.AbiType]]]:
        if self._table is None:  # built on the first revert (selectors precomputed in the slim ABI files)
            self._table = {}
            for entry in self._entries:
                types = [abicodec.parse_param(i) for i in entry["inputs"]]
                sig = f"{entry['name']}({','.join(t.text for t in types)})"
                self._table[abicodec.selector(sig)] = (entry["name"], [i["name"] for i in entry["inputs"]], types)
        return self._table

    def decode(self, data: bytes) -> E.ContractError | None:
        if len(data) < 4:
            return None
        known = self._by_selector.get(data[:4])
        if known is None:
            if data[:4] == bytes.fromhex("08c379a0"):  # Error(string)
                try:
                    (reason,) = abicodec.decode([abicodec.parse_type("string")], data[4:])
                except abicodec.DecodeError:
                    return None
                return E.ContractError("Error", {"reason": reason}, f"reverted: {reason}")
            return None
        name, names, types = known
        try:
            values: Iterable[Any] = abicodec.decode(types, data[4:])  # addresses checksummed
        except Exception:  # malformed revert data: report the name only
            values = [None] * len(types)
        args = dict(zip(names, values, strict=True))
        cls = _exception_class(name)
        builder = _ERRORS.get(name)
        if builder:
            message, hint = builder[1](args), builder[2]
        else:
            rendered = ", ".join(f"{k}={_short(v)}" for k, v in args.items())
            message, hint = f"refused by the contract: {name}({rendered})", None
        return cls(name, args, message, hint=hint)


@dataclass(frozen=True)
class TxResult:
    """A mined transaction, with the ledger events its receipt carries (decoded)."""

    tx_hash: str
    block_number: int
    gas_used: int
    logs: tuple[Any, ...]
    events: tuple[Event, ...] = ()

    @property
    def written(self) -> WriteResult:
        return WriteResult(self.tx_hash, self.block_number, self.gas_used)

    def event(self, *names: str) -> Event:
        """The first event of one of these names; TransactionFailed when there is none."""
        for ev in self.events:
            if ev.name in names:
                return ev
        raise E.TransactionFailed(f"the transaction was mined but emitted no {' or '.join(names)} event")


def _provider(chain: Chain, *args: Any, **kwargs: Any) -> Any:
    """web3's HTTP provider, with a node that does not answer raised as ChainUnavailable."""
    from web3 import Web3

    class _Provider(Web3.HTTPProvider):
        def make_request(self, method: Any, params: Any) -> Any:
            try:
                return super().make_request(method, params)
            except Exception as exc:
                if connection_failure(exc):
                    raise chain.unavailable(exc) from exc
                raise

    return _Provider(*args, **kwargs)


class Chain:
    """One JSON-RPC endpoint, with local signing and nonce tracking per sender."""

    def __init__(self, profile: NetworkProfile, decoder: ErrorDecoder, events: EventDecoder | None = None) -> None:
        self.profile = profile
        self.decoder = decoder
        self.events = events
        self._w3: Web3 | None = None
        self._rpc: Rpc | None = None
        self._nonces: dict[str, int] = {}
        self._chain_id: int | None = None
        # Called after an acknowledged write so it survives a node crash (the embedded node's
        # write-ahead journal): after every single write, and at the end of a batch run (whose
        # own journal covers a crash in the middle). It receives the raw signed transactions
        # sent since the last durable point ({"hash", "raw"}), or None when there were more
        # than JOURNAL_LIMIT of them (then the node takes a snapshot instead).
        self.on_durable: Callable[[list[dict[str, str]] | None], None] | None = None
        self._sent: list[dict[str, str]] | None = []

    # --- connection ------------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        """web3 on this node, made on first use (writes; reads go through :attr:`rpc`)."""
        if self._w3 is None:
            from web3 import Web3

            self._w3 = Web3(_provider(self, self.profile.rpc_url, request_kwargs={"timeout": self.profile.rpc_timeout}))
        return self._w3

    @property
    def rpc(self) -> Rpc:
        """Plain JSON-RPC on one kept-alive connection (the read path)."""
        if self._rpc is None:
            self._rpc = Rpc(self.profile.rpc_url, self.profile.rpc_timeout)
        return self._rpc

    def request(self, method: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
        """One JSON-RPC call; an unreachable node is ChainUnavailable with this network's hint."""
        return self.call(lambda: self.rpc.request(method, list(params)))

    def unavailable(self, exc: BaseException | None = None) -> E.ChainUnavailable:
        hint = (
            "start it with `rights-ledger node start`"
            if self.profile.embedded
            else "check that the node is running and the RPC URL is right, then retry"
        )
        cause = f": {type(exc).__name__}" if exc else ""
        return E.ChainUnavailable(f"the chain node at {self.profile.rpc_url} is not reachable{cause}", hint=hint)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run a read, turning connection failures into ChainUnavailable and reverts into errors."""
        try:
            return fn()
        except CallReverted as exc:  # a light call (ledger.core.calls)
            raise self._decode_revert(exc.data, exc.message) from None
        except E.ChainUnavailable as exc:
            if exc.hint is None:  # from the plain JSON-RPC module: add this network's hint
                raise self.unavailable(exc.__cause__) from exc.__cause__
            raise
        except RpcRefused as exc:
            reverted = revert_of(exc)
            if reverted is not None:
                raise self._decode_revert(reverted.data, reverted.message) from None
            raise E.TransactionFailed(f"the node refused the read: {exc.message}") from None
        except E.LedgerError:
            raise
        except Exception as exc:
            if "web3" not in sys.modules:
                raise
            from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

            if isinstance(exc, ContractLogicError):
                raise self._decode(exc) from exc
            if isinstance(exc, TransactionNotFound):  # an answer ("no such transaction"): batch resume asks
                raise
            if isinstance(exc, Web3RPCError):  # e.g. a view out of gas: an error (exit 2), never a "no"
                raise E.TransactionFailed(f"the node refused the read: {exc}") from None
            raise

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            cid = int(self.request("eth_chainId"), 16)
            if self.profile.chain_id is not None and cid != self.profile.chain_id:
                raise E.ConfigError(
                    f"the node at {self.profile.rpc_url} has chain id {cid}, "
                    f"network {self.profile.name!r} expects {self.profile.chain_id}"
                )
            self._chain_id = cid
        return self._chain_id

    def block_number(self) -> int:
        return int(self.request("eth_blockNumber"), 16)

    # --- transactions ----------------------------------------------------------------

    def _decode(self, exc: Any) -> E.LedgerError:
        """A web3 ContractLogicError as the ledger's typed error."""
        raw = exc.data
        data = bytes.fromhex(raw[2:]) if isinstance(raw, str) and raw.startswith("0x") else None
        return self._decode_revert(data, str(exc.message or exc))

    def _decode_revert(self, data: bytes | None, message: str) -> E.LedgerError:
        if data:
            decoded = self.decoder.decode(data)
            if decoded is not None:
                return decoded
        return E.TransactionFailed(f"the transaction would revert: {message}")

    def gas_price(self) -> int:
        """The configured gas price, else the node's."""
        if self.profile.gas_price is not None:
            return self.profile.gas_price
        return int(self.call(lambda: self.w3.eth.gas_price))

    def next_nonce(self, address: str) -> int:
        if address not in self._nonces:
            self._nonces[address] = int(self.call(lambda: self.w3.eth.get_transaction_count(address, "pending")))
        return self._nonces[address]

    def reset_nonce(self, address: str) -> None:
        self._nonces.pop(address, None)

    @staticmethod
    def calldata(fn: ContractFunction) -> str:
        """The ABI-encoded call (selector and arguments) as 0x hex."""
        data = getattr(fn, "data", None)
        if isinstance(data, bytes):  # a LightFunction: encoded already
            return "0x" + data.hex()
        return str(fn.build_transaction({"gas": 0, "gasPrice": 0, "chainId": 0, "value": 0, "nonce": 0})["data"])

    def build(
        self, fn: ContractFunction, signer: LocalAccount, *, gas: int | None = None, value: int = 0
    ) -> dict[str, Any]:
        """The unsigned transaction for a call, gas estimated (simulated) unless given."""
        sender = signer.address
        if gas is None:
            gas = int(self.call(lambda: fn.estimate_gas({"from": sender, "value": value})) * GAS_MARGIN) + GAS_HEADROOM
        return {
            "to": fn.address,
            "data": self.calldata(fn),
            "gas": gas,
            "gasPrice": self.gas_price(),
            "chainId": self.chain_id,
            "value": value,
        }

    def send(self, tx: dict[str, Any], signer: LocalAccount) -> str:
        """Sign locally and send raw; return the transaction hash without waiting."""
        from web3.exceptions import Web3RPCError

        sender = signer.address
        tx = {**tx, "nonce": self.next_nonce(sender)}
        signed = signer.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except E.ChainUnavailable:  # the provider maps every connection failure to it
            self.reset_nonce(sender)
            raise
        except Web3RPCError as exc:
            self.reset_nonce(sender)
            raise E.TransactionFailed(f"the node refused the transaction: {exc}") from exc
        self._nonces[sender] = tx["nonce"] + 1
        tx_hex = "0x" + bytes(tx_hash).hex()
        self.sent_raw(tx_hex, bytes(signed.raw_transaction))
        return tx_hex

    def sent_raw(self, tx_hash: str, raw: bytes) -> None:
        """Remember a transaction this process sent, for the next :meth:`make_durable` (the embedded
        node's journal). Every sender of raw transactions calls it: a transaction the journal misses
        is lost in a crash, and with it every later journaled one of its sender (a nonce gap: the
        replayed transactions wait in the node's queue forever)."""
        if self.on_durable is not None and self._sent is not None:
            if len(self._sent) >= JOURNAL_LIMIT:
                self._sent = None  # too many to journal one by one: the node snapshots instead
            else:
                self._sent.append({"hash": tx_hash, "raw": "0x" + raw.hex()})

    def wait(self, tx_hash: str, timeout: float | None = None) -> TxResult:
        from web3.exceptions import TimeExhausted

        try:
            receipt = self.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=timeout or self.profile.receipt_timeout, poll_latency=0.05
            )
        except TimeExhausted as exc:
            raise E.TransactionFailed(
                f"transaction {tx_hash} was not mined in time",
                hint="it may still be mined; check it later or rerun (writes are idempotent)",
            ) from exc
        if receipt["status"] != 1:
            raise E.TransactionFailed(f"transaction {tx_hash} reverted in block {receipt['blockNumber']}")
        logs = tuple(receipt["logs"])
        events = tuple(self.events.decode_receipt(logs)) if self.events is not None else ()
        return TxResult(tx_hash, receipt["blockNumber"], receipt["gasUsed"], logs, events)

    def make_durable(self) -> None:
        """Ask the node to keep what was mined (no-op unless a hook is set, e.g. the embedded node)."""
        sent, self._sent = self._sent, []
        if self.on_durable is not None:
            self.on_durable(sent)

    def transact(
        self, fn: ContractFunction, signer: LocalAccount, value: int = 0, *, gas: int | None = None
    ) -> TxResult:
        """Simulate, sign locally, send raw, wait and make durable: a revert is raised before
        anything is sent, and what returns (with its decoded events) survives a crash of the
        embedded node. ``value`` is native currency sent along (wei)."""
        result = self.wait(self.send(self.build(fn, signer, gas=gas, value=value), signer))
        self.make_durable()
        return result

    def deploy(
        self, abi: list[dict[str, Any]], bytecode: str, args: list[Any], signer: LocalAccount
    ) -> tuple[str, TxResult]:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        gas = int(self.call(lambda: self.w3.eth.estimate_gas({"from": signer.address, "data": data})) * GAS_MARGIN)
        tx = {"data": data, "gas": gas, "gasPrice": self.gas_price(), "chainId": self.chain_id, "value": 0}
        result = self.wait(self.send(tx, signer))
        receipt = self.w3.eth.get_transaction_receipt(result.tx_hash)
        return abicodec.checksum(receipt["contractAddress"]), result


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
