"""The Ledger facade against a real anvil node (session fixture ``ledger_env``).

The chain is shared by every test of the session, so each test registers content with a
fresh random hash and checks only the works it made.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from ledger.content.metadata import build_work_metadata
from ledger.core import errors as E
from ledger.core.types import Holder, WorkStatus
from ledger.domain.works import Ledger
from tests.fixtures.chain import PASSWORD, free_port

# --- helpers -------------------------------------------------------------------------


def new_doc(title: str = "A work", **kwargs: object) -> dict:
    """A valid metadata document for fresh, random content."""
    return build_work_metadata(
        title=title,
        creators=[{"name": "Alice Author", "role": "author"}],
        work_type=kwargs.pop("work_type", "text"),
        content_sha256=os.urandom(32).hex(),
        **kwargs,  # type: ignore[arg-type]
    )


def wid_of(doc: dict) -> str:
    return "0x" + doc["contentSha256"]


def store_files(ledger_env) -> set[Path]:
    root = ledger_env.home / "store" / "blocks"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def events(record) -> list[str]:
    return [h.event for h in record.history]


# --- accounts as ledgers -------------------------------------------------------------


@pytest.fixture(scope="module")
def addr(ledger_env) -> dict[str, str]:
    return ledger_env.addresses


@pytest.fixture(scope="module")
def alice(ledger_env) -> Ledger:
    return ledger_env.ledger("alice")


@pytest.fixture(scope="module")
def bob(ledger_env) -> Ledger:
    return ledger_env.ledger("bob")


@pytest.fixture(scope="module")
def registrar(ledger_env) -> Ledger:
    return ledger_env.ledger("registrar")


@pytest.fixture(scope="module")
def cmo(ledger_env) -> Ledger:
    return ledger_env.ledger("cmo")


@pytest.fixture(scope="module")
def rando(ledger_env) -> Ledger:
    return ledger_env.ledger("rando")


@pytest.fixture(scope="module")
def reader(ledger_env) -> Ledger:
    return ledger_env.ledger()


@pytest.fixture
def confirmed_sole(alice, registrar, addr) -> str:
    """A CONFIRMED work held wholly by alice."""
    doc = new_doc("Sole")
    r = alice.register_work(doc, [Holder(addr["alice"], 10000)])
    registrar.confirm_work(r.work_id)
    return r.work_id


@pytest.fixture
def confirmed_co_owned(alice, registrar, addr) -> str:
    """A CONFIRMED work held 6000 by alice and 4000 by bob."""
    doc = new_doc("Co-owned")
    r = alice.register_work(doc, [Holder(addr["alice"], 6000), Holder(addr["bob"], 4000)])
    registrar.confirm_work(r.work_id)
    return r.work_id


# --- register ------------------------------------------------------------------------


def test_register_sole_holder_records_pending_work(alice, reader, addr):
    doc = new_doc("Sole registration", language="en")
    r = alice.register_work(doc, [Holder(addr["alice"], 10000)])

    assert r.work_id == wid_of(doc)
    assert r.block > 0 and r.gas_used > 0 and r.tx_hash.startswith("0x")
    assert reader.status_of(r.work_id) == WorkStatus.PENDING
    rec = reader.work(r.work_id)
    assert rec.work_id == r.work_id
    assert rec.status == WorkStatus.PENDING
    assert rec.holders == (Holder(addr["alice"], 10000),)
    assert rec.registrant == addr["alice"]
    assert rec.metadata_cid == r.metadata_cid
    assert (rec.work_type, rec.creation_mode) == (2, 1)  # text, human
    assert rec.registered_at > 0
    assert rec.reserved_uses == () and rec.open_dispute == 0
    assert events(rec) == ["WorkRegistered"]
    entry = rec.history[0]
    assert (entry.block, entry.tx_hash, entry.actor) == (r.block, r.tx_hash, addr["alice"])
    assert entry.details["metadataCid"] == r.metadata_cid
    assert entry.details["holders"] == [{"account": addr["alice"], "bps": 10000}]
    assert rec.confirmed is None and rec.registered == entry
    # the stored document is the one registered, read back and checked against its CID
    assert reader.metadata(rec.metadata_cid) == doc


def test_register_co_owned_records_every_holder_in_order(alice, reader, addr):
    doc = new_doc("Co-owned registration", work_type="music")
    holders = [Holder(addr["alice"], 6000), Holder(addr["bob"], 4000)]
    r = alice.register_work(doc, holders)

    rec = reader.work(r.work_id)
    assert rec.holders == tuple(holders)
    assert rec.work_type == 1  # music
    assert rec.registrant == addr["alice"]
    assert rec.history[0].details["holders"] == [
        {"account": addr["alice"], "bps": 6000},
        {"account": addr["bob"], "bps": 4000},
    ]


def test_register_by_cmo_for_a_holder(cmo, reader, addr):
    doc = new_doc("Registered by the CMO")
    r = cmo.register_work(doc, [Holder(addr["alice"], 10000)])
    rec = reader.work(r.work_id)
    assert rec.registrant == addr["cmo"]
    assert rec.holders == (Holder(addr["alice"], 10000),)


def test_register_reverts_when_caller_lacks_holder_role(rando, reader, addr):
    doc = new_doc("By rando")
    before = reader.chain.block_number()
    with pytest.raises(E.NotAuthorized) as info:
        rando.register_work(doc, [Holder(addr["rando"], 10000)])
    assert info.value.name == "AccessControlUnauthorizedAccount"
    assert "HOLDER" in info.value.message
    assert reader.chain.block_number() == before
    assert reader.status_of(wid_of(doc)) == WorkStatus.NONE


def test_register_refused_by_contract_leaves_no_store_block(rando, ledger_env, addr):
    doc = new_doc("Refused, nothing stored")
    before = store_files(ledger_env)
    with pytest.raises(E.NotAuthorized):
        rando.register_work(doc, [Holder(addr["rando"], 10000)])
    assert store_files(ledger_env) == before


def test_register_reverts_when_registrant_not_among_holders(alice, reader, addr):
    doc = new_doc("For bob only")
    before = reader.chain.block_number()
    with pytest.raises(E.NotAuthorized) as info:
        alice.register_work(doc, [Holder(addr["bob"], 10000)])
    assert info.value.name == "WorkRegistry__NotAHolder"
    assert reader.chain.block_number() == before
    assert reader.status_of(wid_of(doc)) == WorkStatus.NONE


def test_register_invalid_metadata_raises_before_anything_is_written(alice, reader, ledger_env, addr):
    doc = {**new_doc("Bad"), "title": "   "}
    before_block, before_files = reader.chain.block_number(), store_files(ledger_env)
    with pytest.raises(E.MetadataInvalid) as info:
        alice.register_work(doc, [Holder(addr["alice"], 10000)])
    assert "title" in info.value.message
    assert reader.chain.block_number() == before_block
    assert store_files(ledger_env) == before_files
    assert reader.status_of(wid_of(doc)) == WorkStatus.NONE


def test_register_invalid_metadata_names_every_missing_field(alice, addr):
    doc = new_doc("Missing fields")
    del doc["creators"], doc["workType"]
    with pytest.raises(E.MetadataInvalid) as info:
        alice.register_work(doc, [Holder(addr["alice"], 10000)])
    text = str(info.value)
    assert "creators" in text and "workType" in text


def test_register_without_signer_raises_keystore_error(reader, addr):
    with pytest.raises(E.KeystoreError):
        reader.register_work(new_doc(), [Holder(addr["alice"], 10000)])


def test_register_duplicate_raises_with_existing_work_id(alice, bob, registrar, reader, addr):
    doc = new_doc("Original")
    r = alice.register_work(doc, [Holder(addr["alice"], 10000)])
    before = reader.chain.block_number()

    copy = {**doc, "title": "A copy"}
    with pytest.raises(E.WorkAlreadyRegistered) as info:
        bob.register_work(copy, [Holder(addr["bob"], 10000)])
    assert info.value.args_by_name["workId"] == r.work_id
    assert info.value.args_by_name["status"] == WorkStatus.PENDING
    assert r.work_id in info.value.message and "PENDING" in info.value.message

    registrar.confirm_work(r.work_id)
    before = reader.chain.block_number()
    with pytest.raises(E.WorkAlreadyRegistered) as info:
        bob.register_work(copy, [Holder(addr["bob"], 10000)])
    assert info.value.args_by_name["status"] == WorkStatus.CONFIRMED
    assert reader.chain.block_number() == before
    rec = reader.work(r.work_id)
    assert rec.holders == (Holder(addr["alice"], 10000),) and rec.registrant == addr["alice"]


def test_register_duplicate_error_has_existing_work_id_attribute(alice, bob, addr):
    doc = new_doc("Original 2")
    r = alice.register_work(doc, [Holder(addr["alice"], 10000)])
    with pytest.raises(E.WorkAlreadyRegistered) as info:
        bob.register_work(doc, [Holder(addr["bob"], 10000)])
    assert info.value.existing_work_id == r.work_id


def test_register_with_store_down_raises_and_registers_nothing(ledger_env, reader, addr):
    closed = free_port()
    settings = dataclasses.replace(ledger_env.settings, store=f"kubo:http://127.0.0.1:{closed}")
    down = Ledger.open(settings, account="alice", password=PASSWORD)
    doc = new_doc("Store down")
    before = reader.chain.block_number()
    with pytest.raises(E.StoreUnavailable) as info:
        down.register_work(doc, [Holder(addr["alice"], 10000)])
    assert isinstance(info.value, E.StoreError)
    assert str(closed) in info.value.message
    assert reader.chain.block_number() == before
    assert reader.status_of(wid_of(doc)) == WorkStatus.NONE


# --- confirm and reject --------------------------------------------------------------


def test_confirm_by_registrar_confirms_work(alice, registrar, reader, addr):
    r = alice.register_work(new_doc("To confirm"), [Holder(addr["alice"], 10000)])
    result = registrar.confirm_work(r.work_id)

    rec = reader.work(r.work_id)
    assert rec.status == WorkStatus.CONFIRMED
    assert events(rec) == ["WorkRegistered", "WorkConfirmed"]
    assert rec.confirmed is not None
    assert (rec.confirmed.actor, rec.confirmed.tx_hash, rec.confirmed.block) == (
        addr["registrar"],
        result.tx_hash,
        result.block,
    )
    assert rec.confirmed.timestamp >= rec.history[0].timestamp > 0


def test_confirm_reverts_when_caller_not_registrar(alice, reader, addr):
    r = alice.register_work(new_doc("Self-confirm"), [Holder(addr["alice"], 10000)])
    before = reader.chain.block_number()
    with pytest.raises(E.NotAuthorized) as info:
        alice.confirm_work(r.work_id)
    assert info.value.name == "AccessControlUnauthorizedAccount"
    assert "REGISTRAR" in info.value.message
    assert reader.chain.block_number() == before
    assert reader.status_of(r.work_id) == WorkStatus.PENDING


def test_role_error_names_account_by_checksummed_address(alice, addr):
    r = alice.register_work(new_doc("Checksum"), [Holder(addr["alice"], 10000)])
    with pytest.raises(E.NotAuthorized) as info:
        alice.confirm_work(r.work_id)
    assert info.value.args_by_name["account"] == addr["alice"]
    assert addr["alice"] in info.value.message


def test_confirm_reverts_when_work_unknown(registrar, reader):
    before = reader.chain.block_number()
    with pytest.raises(E.WorkNotFound):
        registrar.confirm_work(os.urandom(32).hex())
    assert reader.chain.block_number() == before


def test_confirm_reverts_when_work_confirmed_already(registrar, confirmed_sole):
    with pytest.raises(E.InvalidState) as info:
        registrar.confirm_work(confirmed_sole)
    assert info.value.name == "WorkRegistry__WrongStatus"
    assert "CONFIRMED" in info.value.message


def test_reject_stores_reason_document_and_records_its_cid(alice, registrar, reader, addr):
    r = alice.register_work(new_doc("To reject"), [Holder(addr["alice"], 10000)])
    result, cid = registrar.reject_work(r.work_id, "  the content is not original  ", code=7)

    rec = reader.work(r.work_id)
    assert rec.status == WorkStatus.REJECTED
    assert events(rec) == ["WorkRegistered", "WorkRejected"]
    rejected = rec.history[-1]
    assert rejected.actor == addr["registrar"]
    assert rejected.tx_hash == result.tx_hash
    assert rejected.details["reasonCid"] == cid
    assert rejected.details["reasonCode"] == 7
    reason = reader.metadata(cid)  # fetched from the store, checked against the CID
    assert reason == {"type": "rejection", "workId": r.work_id, "code": 7, "reason": "the content is not original"}


def test_reject_reverts_when_caller_not_registrar_and_stores_nothing(alice, reader, ledger_env, addr):
    r = alice.register_work(new_doc("Self-reject"), [Holder(addr["alice"], 10000)])
    before_block, before_files = reader.chain.block_number(), store_files(ledger_env)
    with pytest.raises(E.NotAuthorized) as info:
        alice.reject_work(r.work_id, "mine, and I reject it")
    assert "REGISTRAR" in info.value.message
    assert reader.chain.block_number() == before_block
    assert store_files(ledger_env) == before_files
    assert reader.status_of(r.work_id) == WorkStatus.PENDING


@pytest.mark.parametrize(("reason", "code"), [("   ", 1), ("why", 70000), ("why", -1)])
def test_reject_bad_input_raises_input_error(alice, registrar, reader, addr, reason, code):
    r = alice.register_work(new_doc("Bad reject"), [Holder(addr["alice"], 10000)])
    before = reader.chain.block_number()
    with pytest.raises(E.InputError):
        registrar.reject_work(r.work_id, reason, code=code)
    assert reader.chain.block_number() == before
    assert reader.status_of(r.work_id) == WorkStatus.PENDING


def test_register_again_after_reject_makes_a_new_pending_registration(alice, bob, registrar, reader, addr):
    doc = new_doc("Rejected, then claimed by bob")
    # bob is not among the rejected holders: those may not claim the hash for 30 days (R26)
    first = alice.register_work(doc, [Holder(addr["alice"], 10000)])
    registrar.reject_work(first.work_id, "wrong holders")

    again = {**doc, "title": "Claimed by bob"}
    second = bob.register_work(again, [Holder(addr["bob"], 10000)])
    assert second.work_id == first.work_id
    assert second.metadata_cid != first.metadata_cid

    rec = reader.work(second.work_id)
    assert rec.status == WorkStatus.PENDING
    assert rec.holders == (Holder(addr["bob"], 10000),)  # the rejected co-holders are gone
    assert rec.registrant == addr["bob"]
    assert rec.metadata_cid == second.metadata_cid
    assert events(rec) == ["WorkRegistered", "WorkRejected", "WorkRegistered"]
    assert reader.metadata(rec.metadata_cid)["title"] == "Claimed by bob"
    registrar.confirm_work(second.work_id)
    assert reader.status_of(second.work_id) == WorkStatus.CONFIRMED


def test_register_again_after_reject_starts_without_reservations(alice, bob, registrar, reader, addr):
    doc = new_doc("Reserved, rejected, re-registered")
    r = alice.register_work(doc, [Holder(addr["alice"], 10000)])
    alice.reserve_uses(r.work_id, ["ai-training"])
    registrar.reject_work(r.work_id, "not original")
    bob.register_work(doc, [Holder(addr["bob"], 10000)])
    # the rejected registrant's reservations do not carry over to the new registrant
    assert reader.work(r.work_id).reserved_uses == ()


# --- transfers and consent -----------------------------------------------------------


def test_transfer_sole_holder_moves_part_of_share(alice, reader, addr, confirmed_sole):
    result = alice.transfer_share(confirmed_sole, addr["bob"], 2500)

    rec = reader.work(confirmed_sole)
    assert rec.holders == (Holder(addr["alice"], 7500), Holder(addr["bob"], 2500))
    assert sum(h.bps for h in rec.holders) == 10000
    assert events(rec) == ["WorkRegistered", "WorkConfirmed", "ShareTransferred"]
    moved = rec.history[-1]
    assert moved.tx_hash == result.tx_hash
    assert moved.actor == addr["alice"]
    assert moved.details == {"from": addr["alice"], "to": addr["bob"], "bps": 2500}


def test_transfer_reverts_when_work_pending(alice, reader, addr):
    r = alice.register_work(new_doc("Pending transfer"), [Holder(addr["alice"], 10000)])
    before = reader.chain.block_number()
    with pytest.raises(E.InvalidState):
        alice.transfer_share(r.work_id, addr["bob"], 100)
    assert reader.chain.block_number() == before


def test_transfer_reverts_when_share_insufficient(alice, reader, addr, confirmed_co_owned):
    with pytest.raises(E.InvalidShares) as info:
        alice.transfer_share(confirmed_co_owned, addr["licensee"], 6001)
    assert info.value.name == "WorkRegistry__InsufficientShare"
    assert reader.work(confirmed_co_owned).holders == (Holder(addr["alice"], 6000), Holder(addr["bob"], 4000))


def test_transfer_reverts_when_caller_not_a_holder(rando, reader, addr, confirmed_sole):
    with pytest.raises(E.NotAuthorized) as info:
        rando.transfer_share(confirmed_sole, addr["rando"], 100)
    assert info.value.name == "WorkRegistry__NotAHolder"
    assert reader.work(confirmed_sole).holders == (Holder(addr["alice"], 10000),)


@pytest.mark.parametrize("bps", [0, 10001, -5])
def test_transfer_bad_bps_raises_input_error(alice, reader, addr, confirmed_sole, bps):
    before = reader.chain.block_number()
    with pytest.raises(E.InputError):
        alice.transfer_share(confirmed_sole, addr["bob"], bps)
    assert reader.chain.block_number() == before


def test_transfer_malformed_address_raises_input_error(alice, reader, confirmed_sole):
    before = reader.chain.block_number()
    with pytest.raises(E.InputError):
        alice.transfer_share(confirmed_sole, "0x1234", 100)
    assert reader.chain.block_number() == before


def test_transfer_co_owned_needs_consent_of_co_owner(alice, bob, reader, addr, confirmed_co_owned):
    wid, to = confirmed_co_owned, addr["licensee"]
    before = reader.chain.block_number()
    with pytest.raises(E.NotAuthorized) as info:
        alice.transfer_share(wid, to, 1000)
    assert info.value.name == "WorkRegistry__ConsentMissing"
    assert info.value.args_by_name["coOwner"].lower() == addr["bob"].lower()
    assert "consent" in info.value.message
    assert reader.chain.block_number() == before

    # a consent to another amount does not authorise this one
    bob.consent(wid, alice.transfer_action_hash(wid, addr["alice"], to, 500))
    with pytest.raises(E.NotAuthorized):
        alice.transfer_share(wid, to, 1000)

    action = alice.transfer_action_hash(wid, addr["alice"], to, 1000)
    assert action.startswith("0x") and len(action) == 66
    bob.consent(wid, action)
    alice.transfer_share(wid, to, 1000)

    rec = reader.work(wid)
    assert rec.holders == (Holder(addr["alice"], 5000), Holder(addr["bob"], 4000), Holder(to, 1000))
    assert events(rec) == [
        "WorkRegistered",
        "WorkConfirmed",
        "ActionConsented",
        "ActionConsented",
        "ShareTransferred",
    ]
    consented = rec.history[3]
    assert consented.actor == addr["bob"] and consented.details["actionHash"] == action

    # the consent was used up: the same transfer again needs a new one
    with pytest.raises(E.NotAuthorized) as info:
        alice.transfer_share(wid, to, 1000)
    assert info.value.name == "WorkRegistry__ConsentMissing"


def test_consent_reverts_when_caller_not_a_holder(rando, alice, reader, addr, confirmed_co_owned):
    action = alice.transfer_action_hash(confirmed_co_owned, addr["alice"], addr["rando"], 1)
    before = reader.chain.block_number()
    with pytest.raises(E.NotAuthorized) as info:
        rando.consent(confirmed_co_owned, action)
    assert info.value.name == "WorkRegistry__NotAHolder"
    assert reader.chain.block_number() == before


# --- reservations --------------------------------------------------------------------


def test_reserve_uses_records_mask_and_event(alice, reader, addr, confirmed_sole):
    alice.reserve_uses(confirmed_sole, ["text-and-data-mining", "ai-training"])
    rec = reader.work(confirmed_sole)
    assert rec.reserved_uses == ("ai-training", "text-and-data-mining")
    assert events(rec)[-1] == "UsesReserved"
    assert rec.history[-1].actor == addr["alice"]
    assert rec.history[-1].details["reservedUses"] == (1 << 5) | (1 << 6)

    alice.reserve_uses(confirmed_sole, [])  # lifts every reservation
    assert reader.work(confirmed_sole).reserved_uses == ()


def test_reserve_uses_reverts_when_caller_not_a_holder(bob, reader, confirmed_sole):
    before = reader.chain.block_number()
    with pytest.raises(E.NotAuthorized):
        bob.reserve_uses(confirmed_sole, ["ai-training"])
    assert reader.chain.block_number() == before
    assert reader.work(confirmed_sole).reserved_uses == ()


def test_reserve_unknown_use_raises_input_error(alice, reader, confirmed_sole):
    before = reader.chain.block_number()
    with pytest.raises(E.InputError) as info:
        alice.reserve_uses(confirmed_sole, ["world-domination"])
    assert "ai-training" in (info.value.hint or "")
    assert reader.chain.block_number() == before


# --- reads ---------------------------------------------------------------------------


def test_work_unknown_id_raises_work_not_found(reader):
    wid = "0x" + os.urandom(32).hex()
    with pytest.raises(E.WorkNotFound) as info:
        reader.work(wid)
    assert wid in info.value.message
    assert reader.status_of(wid) == WorkStatus.NONE


@pytest.mark.parametrize("bad", ["", "0x1234", "zz" * 32, "0x" + "ab" * 33])
def test_work_malformed_id_raises_input_error(reader, bad):
    with pytest.raises(E.InputError):
        reader.work(bad)


def test_members_lists_role_holders(reader, addr):
    assert reader.members("REGISTRAR") == [addr["registrar"]]
    assert reader.members("auditor") == [addr["auditor"]]
    assert reader.members("GOVERNOR") == [addr["governor"]]
    holders = reader.members("HOLDER")
    assert addr["alice"] in holders and addr["bob"] in holders and addr["rando"] not in holders
    with pytest.raises(E.InputError):
        reader.members("PIRATE")


def test_roles_of_names_each_account_roles(reader, addr):
    assert reader.roles_of(addr["alice"]) == ["HOLDER"]
    assert reader.roles_of(addr["registrar"]) == ["REGISTRAR"]
    assert reader.roles_of(addr["cmo"]) == ["CMO"]
    assert reader.roles_of(addr["licensee"]) == ["LICENSEE"]
    assert reader.roles_of(addr["auditor"]) == ["AUDITOR"]
    assert reader.roles_of(addr["governor"]) == ["GOVERNOR"]
    assert reader.roles_of(addr["rando"]) == []
    assert reader.roles_of(addr["alice"].lower()) == ["HOLDER"]
    with pytest.raises(E.InputError):
        reader.roles_of("0xnot-an-address")
