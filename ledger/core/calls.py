"""Contract objects whose view calls need neither web3 nor eth-abi (issue 15: read start-up).

:class:`LightContract` has the surface of a web3 contract that the SDK uses:
``contract.functions.NAME(*args)`` gives a :class:`LightFunction` whose ``call()`` is one
plain ``eth_call`` (:mod:`ledger.core.rpc`), encoded and decoded by :mod:`ledger.core.abicodec`
into the values web3 would return. Everything else (``estimate_gas``, ``build_transaction``,
``contract.events``, an overloaded function, arguments the light encoder does not take) is
handed to the web3 object, built on first use: writes still go through web3 and eth-account
exactly as before, and a read command never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.core.abicodec import AbiFunction, EncodeError, functions_of
from ledger.core.rpc import Rpc, RpcRefused


class CallReverted(Exception):
    """An ``eth_call`` reverted; ``data`` is the revert data (custom error), if the node gave it."""

    def __init__(self, data: bytes | None, message: str) -> None:
        super().__init__(message)
        self.data = data
        self.message = message


def revert_of(exc: RpcRefused) -> CallReverted | None:
    """The revert in a node's error answer to ``eth_call`` / ``eth_estimateGas``, or None."""
    err = exc.error if isinstance(exc.error, dict) else {}
    message = str(err.get("message", ""))
    data = err.get("data")
    if isinstance(data, dict):  # some nodes nest it
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return CallReverted(bytes.fromhex(data[2:]), message)
        except ValueError:
            pass
    if err.get("code") == 3 or "revert" in message.lower():
        return CallReverted(None, message)
    return None


class LightFunction:
    """One bound call ``NAME(*args)`` of a contract."""

    def __init__(self, contract: LightContract, fn: AbiFunction, args: tuple[Any, ...], calldata: bytes) -> None:
        self.contract = contract
        self.fn = fn
        self.args = args
        self.data = calldata
        self._web3: Any = None

    @property
    def address(self) -> str:
        return self.contract.address

    @property
    def fn_name(self) -> str:
        return self.fn.name

    def call(self, transaction: dict[str, Any] | None = None, block_identifier: Any = "latest", **kwargs: Any) -> Any:
        """The function's result at ``block_identifier``, as web3's ``call()`` returns it."""
        if kwargs or (transaction and set(transaction) - {"from"}):
            return self.web3().call(transaction, block_identifier=block_identifier, **kwargs)
        params: dict[str, Any] = {"to": self.contract.address, "data": "0x" + self.data.hex()}
        if transaction and transaction.get("from"):
            params["from"] = transaction["from"]
        tag = hex(block_identifier) if isinstance(block_identifier, int) else block_identifier
        try:
            raw = self.contract.rpc().request("eth_call", [params, tag])
        except RpcRefused as exc:
            reverted = revert_of(exc)
            if reverted is not None:
                raise reverted from None
            raise
        return self.fn.result(bytes.fromhex(raw[2:]))

    def web3(self) -> Any:
        """The same call as web3's ContractFunction (for gas estimates and transactions)."""
        if self._web3 is None:
            self._web3 = getattr(self.contract.web3().functions, self.fn.name)(*self.args)
        return self._web3

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.web3(), name)


class _Functions:
    def __init__(self, contract: LightContract) -> None:
        self._contract = contract

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        c = self._contract
        entries = c.entries.get(name)
        if entries is None:
            return getattr(c.web3().functions, name)  # web3 raises its own error for an unknown name
        if len(entries) != 1:  # overloaded: web3 picks the entry by the arguments
            return getattr(c.web3().functions, name)

        def bound(*args: Any, **kwargs: Any) -> Any:
            if kwargs:
                return getattr(c.web3().functions, name)(*args, **kwargs)
            fn = c.function(name)
            try:
                data = fn.calldata(args)
            except (EncodeError, ValueError, TypeError):  # web3 validates and explains
                return getattr(c.web3().functions, name)(*args)
            return LightFunction(c, fn, args, data)

        return bound


class LightContract:
    """A contract at ``address`` with ``abi``: light view calls, web3 for the rest."""

    def __init__(self, address: str, abi: list[dict[str, Any]], rpc: Callable[[], Rpc],
                 web3_contract: Callable[[], Any]) -> None:
        self.address = address
        self.abi = abi
        self.entries = functions_of(abi)
        self._fns: dict[str, AbiFunction] = {}
        self.rpc = rpc
        self._web3_factory = web3_contract
        self._web3: Any = None
        self.functions = _Functions(self)

    def function(self, name: str) -> AbiFunction:
        fn = self._fns.get(name)
        if fn is None:
            fn = self._fns[name] = AbiFunction(self.entries[name][0])
        return fn

    def web3(self) -> Any:
        if self._web3 is None:
            self._web3 = self._web3_factory()
        return self._web3

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_web3", "_web3_factory"):
            raise AttributeError(name)
        return getattr(self.web3(), name)
