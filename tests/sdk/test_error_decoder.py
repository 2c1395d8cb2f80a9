"""The revert decoder (``ledger.core.chain.ErrorDecoder``): revert data to typed errors.

Pure tests (no node): revert data is built with eth-abi the way the EVM returns it,
``selector ++ abi.encode(args)``, and decoded back into the exception class, the error's
name, its arguments by name, and the one-line message.
"""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from eth_utils.abi import collapse_if_tuple

from ledger.core import errors as E
from ledger.core.artifacts import all_abis
from ledger.core.chain import ErrorDecoder
from ledger.core.config import REPO_ROOT

ALICE = "0x" + "ab" * 20
WID = bytes.fromhex("11" * 32)


def error(name: str, *inputs: tuple[str, str] | dict) -> dict:
    params = [i if isinstance(i, dict) else {"name": i[0], "type": i[1]} for i in inputs]
    return {"type": "error", "name": name, "inputs": params}


ABI = [
    error("WorkRegistry__NotFound", ("workId", "bytes32")),
    error("WorkRegistry__WrongStatus", ("workId", "bytes32"), ("status", "uint8"), ("expected", "uint8")),
    error("AccessControlUnauthorizedAccount", ("account", "address"), ("neededRole", "bytes32")),
    error("LicenceRegistry__OfferExpired", ("deadline", "uint256")),
    error("Pool__Closed", ("period", "uint32")),  # not in the message table: generic message
    error("Offer__Odd", ("n", "uint8")),  # not in the table: the class is guessed from the name
    error("Batch__Bad", {"name": "line", "type": "tuple", "components": [
        {"name": "id", "type": "uint32"}, {"name": "who", "type": "address"}]}),
    {"type": "event", "name": "WorkConfirmed", "inputs": [], "anonymous": False},  # not an error: ignored
]


def revert(signature: str, types: list[str], values: list) -> bytes:
    return function_signature_to_4byte_selector(signature) + abi_encode(types, values)


@pytest.fixture(scope="module")
def decoder() -> ErrorDecoder:
    return ErrorDecoder(ABI)


def test_a_known_error_becomes_its_class_with_named_arguments_and_a_message(decoder):
    exc = decoder.decode(revert("WorkRegistry__NotFound(bytes32)", ["bytes32"], [WID]))
    assert type(exc) is E.WorkNotFound
    assert exc.name == "WorkRegistry__NotFound" and exc.args_by_name == {"workId": WID}
    assert exc.message == f"no work 0x{'11' * 32} is registered"
    assert exc.hint and "verify FILE" in exc.hint


def test_status_numbers_are_named(decoder):
    exc = decoder.decode(revert("WorkRegistry__WrongStatus(bytes32,uint8,uint8)", ["bytes32", "uint8", "uint8"],
                                [WID, 1, 2]))
    assert type(exc) is E.InvalidState and "is PENDING, this needs it CONFIRMED" in exc.message


def test_a_missing_role_names_the_role_and_checksums_the_account(decoder):
    role = keccak(text="REGISTRAR_ROLE")
    exc = decoder.decode(revert("AccessControlUnauthorizedAccount(address,bytes32)", ["address", "bytes32"],
                                [ALICE, role]))
    assert type(exc) is E.NotAuthorized
    checksummed = to_checksum_address(ALICE)
    assert checksummed != ALICE and exc.args_by_name["account"] == checksummed
    assert exc.message == f"account {checksummed} lacks the REGISTRAR role"


def test_an_error_outside_the_table_gets_a_generic_message_and_a_guessed_class(decoder):
    exc = decoder.decode(revert("Pool__Closed(uint32)", ["uint32"], [202501]))
    assert type(exc) is E.ContractError and exc.message == "refused by the contract: Pool__Closed(period=202501)"
    odd = decoder.decode(revert("Offer__Odd(uint8)", ["uint8"], [3]))
    assert type(odd) is E.LicenceInvalid and odd.args_by_name == {"n": 3}


def test_tuple_arguments_are_decoded_by_their_canonical_signature(decoder):
    exc = decoder.decode(revert("Batch__Bad((uint32,address))", ["(uint32,address)"], [(7, ALICE)]))
    assert exc is not None and exc.name == "Batch__Bad"
    assert exc.args_by_name["line"][0] == 7
    assert collapse_if_tuple(ABI[6]["inputs"][0]) == "(uint32,address)"


def test_a_require_message_is_an_error_with_its_reason(decoder):
    exc = decoder.decode(revert("Error(string)", ["string"], ["too late"]))
    assert type(exc) is E.ContractError and exc.name == "Error" and exc.message == "reverted: too late"


def test_unknown_or_short_revert_data_is_not_decoded(decoder):
    assert decoder.decode(b"") is None
    assert decoder.decode(b"\x12\x34") is None
    assert decoder.decode(revert("Unknown(uint256)", ["uint256"], [1])) is None


def test_malformed_arguments_keep_the_error_name(decoder):
    selector = function_signature_to_4byte_selector("LicenceRegistry__OfferExpired(uint256)")
    exc = decoder.decode(selector + b"\x01")  # truncated: not a whole word
    assert type(exc) is E.LicenceInvalid and exc.name == "LicenceRegistry__OfferExpired"
    assert exc.args_by_name == {"deadline": None}


def test_every_custom_error_of_the_compiled_contracts_decodes_to_its_name():
    entries = all_abis(REPO_ROOT / "build" / "contracts")
    decoder = ErrorDecoder(entries)
    errors = [e for e in entries if e.get("type") == "error"]
    assert len(errors) > 30
    for entry in errors:
        types = [collapse_if_tuple(dict(i)) for i in entry["inputs"]]
        data = function_signature_to_4byte_selector(f"{entry['name']}({','.join(types)})") + b"\0" * 32 * len(types)
        exc = decoder.decode(data)
        assert exc is not None and exc.name == entry["name"], entry["name"]
        assert isinstance(exc, E.ContractError) and exc.message
