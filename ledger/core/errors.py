"""One root exception, :class:`LedgerError`, and the domain errors under it.

Every error a user can cause or meet carries a one-line message that says what went
wrong and, where there is one, what to do next (``hint``). The CLI prints
``error: <message>`` (and the hint) and exits with :attr:`LedgerError.exit_code`; it
never shows a traceback for one of these.

Solidity custom errors are decoded into :class:`ContractError` subclasses by
``ledger.chain`` (see ``CONTRACT_ERRORS`` there), keeping the error's name and
arguments.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Root of every error the SDK raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


# --- configuration and local input -------------------------------------------------


class ConfigError(LedgerError):
    """A setting is missing or malformed (network, deployments file, data directory)."""


class InputError(LedgerError):
    """User input is malformed: a file, a field, an address, an id, a date.

    ``where`` names the place (``file:line:field``) when it is known.
    """

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.where = where


class MetadataInvalid(InputError):
    """A metadata document does not satisfy the work metadata schema."""


class KeystoreError(LedgerError):
    """An account is unknown, or its keystore cannot be read or decrypted."""


# --- the metadata store ------------------------------------------------------------


class StoreError(LedgerError):
    """The metadata store failed."""


class StoreUnavailable(StoreError):
    """The metadata store cannot be reached or cannot be written (down, full, read-only)."""


class ContentNotFound(StoreError):
    """No bytes are stored under the CID (a command checking a blob the chain names exits 1)."""


class MetadataMismatch(StoreError):
    """Bytes read for a CID do not hash to that CID, or metadata disagrees with the chain (exit 1)."""

    exit_code = 1


# --- the chain ---------------------------------------------------------------------


class ChainUnavailable(LedgerError):
    """The JSON-RPC node cannot be reached."""


class NotDeployed(ConfigError):
    """No deployment of the contracts is recorded for this network."""


class TransactionFailed(LedgerError):
    """A transaction was refused by the node or reverted without a known reason."""


class ContractError(TransactionFailed):
    """A Solidity custom error, decoded: ``name`` and ``args`` (by parameter name)."""

    def __init__(self, name: str, args: dict[str, Any], message: str, *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.name = name
        self.args_by_name = args


class NotAuthorized(ContractError):
    """The signer lacks the role or the holding the action needs."""


class WorkNotFound(ContractError):
    """No work is registered under the id."""


class WorkAlreadyRegistered(ContractError):
    """The content hash is registered already; ``existing_work_id`` says by which work."""

    @property
    def existing_work_id(self) -> str:
        """The existing work's id as ``0x`` + 64 hex digits."""
        wid = self.args_by_name.get("workId")
        return "0x" + wid.hex() if isinstance(wid, bytes) else str(wid).lower()


class InvalidShares(ContractError):
    """Holder shares are malformed (not summing to 10000, zero, duplicated)."""


class InvalidState(ContractError):
    """The work, licence or dispute is not in a state that allows the action."""


class LicenceInvalid(ContractError):
    """A licence or licence offer is malformed, used, expired, revoked or conflicting."""


class SignatureInvalid(ContractError):
    """A signed offer does not verify (wrong signer, chain, contract, nonce or deadline)."""
