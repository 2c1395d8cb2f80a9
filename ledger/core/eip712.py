"""EIP-712 typed-data documents: the one shape shared by licence offers and clearance reports."""

from __future__ import annotations

from typing import Any

#: The domain fields every signed message of the ledger uses (name, version, chain, contract).
DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data(name: str, version: str, chain_id: int, contract: str, types: dict[str, Any], primary: str,
               message: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 document (for eth_account's ``encode_typed_data(full_message=...)``)."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **types},
        "primaryType": primary,
        "domain": {"name": name, "version": version, "chainId": chain_id, "verifyingContract": contract},
        "message": message,
    }
