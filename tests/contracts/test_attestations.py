"""AttestationRegistry: attestations, RFC 3161 token links, AI generation records
(SPECIFICATION.md R100-R112)."""

import hashlib

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

NO_ROLE = "AttestationRegistry__NoLedgerRole(address)"
EMPTY = "AttestationRegistry__EmptyHash()"
ALREADY = "AttestationRegistry__AlreadyAttested(bytes32,address,uint40)"
NOT_ATTESTED = "AttestationRegistry__NotAttested(bytes32)"
LINKED = "AttestationRegistry__TimestampAlreadyLinked(bytes32)"
KIND = "AttestationRegistry__InvalidKind(uint8,uint8)"
CID = "AttestationRegistry__InvalidCid(uint256,uint256)"
MODEL = "AttestationRegistry__InvalidModel(uint256,uint256,uint256)"
NOT_ACTIVE = "AttestationRegistry__WorkNotActive(bytes32,uint8)"
NOT_HOLDER = "AttestationRegistry__NotHolderOrRegistrant(bytes32,address)"


def h(seed: str) -> str:
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()


@pytest.fixture(scope="module")
def attestations(roles, registry, governor):
    from brownie import AttestationRegistry

    return AttestationRegistry.deploy(roles, registry, {"from": governor})


# --- R100: any account holding a ledger role attests a hash ------------------------------------


@pytest.mark.parametrize("who", ["governor", "registrar", "cmo", "author", "licensee", "auditor"])
def test_attest_succeeds_for_every_role(attestations, kit, request, who, chain):
    sender = request.getfixturevalue(who)
    tx = attestations.attest(h(who), 1, kit.cid_for("doc"), b"", {"from": sender})

    a = kit.plain(attestations.attestationOf(h(who)))
    assert a == (str(sender), tx.timestamp, 1, False, tx.block_number)
    ev = tx.events["Attested"]
    assert ev["hash"] == h(who) and ev["attester"] == sender and ev["kind"] == 1
    assert bytes(ev["cid"]) == kit.cid_for("doc")
    assert not bytes(ev["tsaTokenCid"]).strip(b"\x00")  # Brownie shows empty bytes as 0x00


def test_attest_reverts_when_caller_has_no_role(attestations, err, rando, kit):
    with err.reverts_with(NO_ROLE, rando):
        attestations.attest(h("x"), 0, b"", b"", {"from": rando})
    assert kit.plain(attestations.attestationOf(h("x")))[0] == kit.ZERO


# --- R101: the first attestation stands -----------------------------------------------------------


def test_attest_records_first_attester_and_time(attestations, author, kit):
    tx = attestations.attest(h("first"), 0, b"", b"", {"from": author})
    assert kit.plain(attestations.attestationOf(h("first")))[:2] == (str(author), tx.timestamp)


def test_attest_reverts_when_already_attested_by_same_attester(attestations, author, err, kit):
    tx = attestations.attest(h("twice"), 0, b"", b"", {"from": author})
    with err.reverts_with(ALREADY, h("twice"), author, tx.timestamp):
        attestations.attest(h("twice"), 2, b"", b"", {"from": author})
    assert kit.plain(attestations.attestationOf(h("twice")))[:3] == (author, tx.timestamp, 0)


def test_attest_reverts_when_later_attester_attests_again(attestations, author, coauthor, err, kit):
    attestations.attest(h("twice"), 0, b"", b"", {"from": author})
    tx = attestations.attest(h("twice"), 1, b"", b"", {"from": coauthor})
    with err.reverts_with(ALREADY, h("twice"), coauthor, tx.timestamp):
        attestations.attest(h("twice"), 2, b"", b"", {"from": coauthor})
    assert kit.plain(attestations.attestationBy(h("twice"), coauthor))[:3] == (coauthor, tx.timestamp, 1)


# --- R102: hash non-zero, kind at most MAX_KIND, CIDs at most 128 bytes ----------------------------


def test_attest_accepts_max_kind_and_max_cid(attestations, author, kit):
    attestations.attest(h("max"), 5, b"\x01" * 128, b"\x02" * 128, {"from": author})
    assert kit.plain(attestations.attestationOf(h("max")))[2:4] == (5, True)


def test_attest_reverts_on_empty_hash(attestations, author, err):
    with err.reverts_with(EMPTY):
        attestations.attest("0x" + "00" * 32, 0, b"", b"", {"from": author})


def test_attest_reverts_on_invalid_kind(attestations, author, err):
    with err.reverts_with(KIND, 6, 5):
        attestations.attest(h("k"), 6, b"", b"", {"from": author})


@pytest.mark.parametrize("which", ["cid", "token"])
def test_attest_reverts_on_oversized_cid(attestations, author, err, which):
    big = b"\x01" * 129
    with err.reverts_with(CID, 129, 128):
        if which == "cid":
            attestations.attest(h("c"), 0, big, b"", {"from": author})
        else:
            attestations.attest(h("c"), 0, b"", big, {"from": author})


# --- R103: the attester links an RFC 3161 token once ------------------------------------------------


def test_link_timestamp_succeeds_for_attester(attestations, author, kit):
    attestations.attest(h("later"), 0, b"", b"", {"from": author})
    tx = attestations.linkTimestamp(h("later"), kit.cid_for("token"), {"from": author})
    assert kit.plain(attestations.attestationOf(h("later")))[3] is True
    ev = tx.events["TimestampLinked"]
    assert ev["hash"] == h("later") and bytes(ev["tsaTokenCid"]) == kit.cid_for("token")


def test_link_timestamp_reverts_when_not_attested(attestations, author, err, kit):
    with err.reverts_with(NOT_ATTESTED, h("none")):
        attestations.linkTimestamp(h("none"), kit.cid_for("token"), {"from": author})


def test_link_timestamp_reverts_when_caller_not_attester(attestations, author, coauthor, err, kit):
    attestations.attest(h("mine"), 0, b"", b"", {"from": author})
    with err.reverts_with(NOT_ATTESTED, h("mine")):
        attestations.linkTimestamp(h("mine"), kit.cid_for("token"), {"from": coauthor})
    assert kit.plain(attestations.attestationOf(h("mine")))[3] is False


def test_link_timestamp_reverts_when_already_timestamped(attestations, author, err, kit):
    attestations.attest(h("stamped"), 0, b"", kit.cid_for("t1"), {"from": author})
    with err.reverts_with(LINKED, h("stamped")):
        attestations.linkTimestamp(h("stamped"), kit.cid_for("t2"), {"from": author})


def test_link_timestamp_reverts_on_empty_cid(attestations, author, err):
    attestations.attest(h("e"), 0, b"", b"", {"from": author})
    with err.reverts_with(CID, 0, 128):
        attestations.linkTimestamp(h("e"), b"", {"from": author})


# --- R105: a holder of the work (or a CMO registrant) records a generation --------------------------


def _digest(work_id, generator, time, name, version, inputs, params, output):
    return "0x" + keccak(abi_encode(
        ["bytes32", "address", "uint40", "string", "string", "bytes32", "bytes", "bytes32"],
        [bytes.fromhex(work_id[2:]), str(generator), time, name, version, bytes.fromhex(inputs[2:]), params,
         bytes.fromhex(output[2:])],
    )).hex()


@pytest.mark.parametrize("who", ["author", "coauthor", "cmo"])
def test_record_generation_succeeds_for_holder_or_cmo(attestations, co_owned_work, kit, request, who):
    work_id = co_owned_work()
    sender = request.getfixturevalue(who)
    tx = attestations.recordGeneration(work_id, "diffusion", "2.1", h("inputs"), kit.cid_for("params"), h("out"),
                                       {"from": sender})
    assert tx.return_value == 1
    ev = tx.events["GenerationRecorded"]
    assert ev["recordId"] == 1 and ev["workId"] == work_id and ev["generator"] == sender
    assert ev["modelName"] == "diffusion" and ev["modelVersion"] == "2.1" and ev["time"] == tx.timestamp
    assert attestations.generationDigest(1) == _digest(work_id, sender, tx.timestamp, "diffusion", "2.1",
                                                       h("inputs"), kit.cid_for("params"), h("out"))
    assert attestations.generationCount(work_id) == 1 and attestations.generationTotal() == 1


@pytest.mark.parametrize("who", ["rando", "licensee", "registrar", "spare"])
def test_record_generation_reverts_for_non_holder(attestations, confirmed_work, err, request, who):
    work_id = confirmed_work()
    sender = request.getfixturevalue(who)
    sender = sender[0] if isinstance(sender, tuple) else sender
    with err.reverts_with(NOT_HOLDER, work_id, sender):
        attestations.recordGeneration(work_id, "m", "1", h("i"), b"", h("o"), {"from": sender})


# --- R106: the work must be PENDING, CONFIRMED or DISPUTED --------------------------------------------


@pytest.mark.parametrize("state", ["PENDING", "CONFIRMED", "DISPUTED"])
def test_record_generation_succeeds_on_active_work(attestations, work_in_status, author, state):
    work_id = work_in_status(state)
    attestations.recordGeneration(work_id, "m", "", h("i"), b"", h("o"), {"from": author})
    assert attestations.generationCount(work_id) == 1


@pytest.mark.parametrize("state", ["REJECTED", "REVOKED"])
def test_record_generation_reverts_on_inactive_work(attestations, work_in_status, author, err, status, state):
    work_id = work_in_status(state)
    with err.reverts_with(NOT_ACTIVE, work_id, getattr(status, state)):
        attestations.recordGeneration(work_id, "m", "1", h("i"), b"", h("o"), {"from": author})


def test_record_generation_reverts_on_unknown_work(attestations, author, err):
    with err.reverts_with(NOT_ACTIVE, h("nothing"), 0):
        attestations.recordGeneration(h("nothing"), "m", "1", h("i"), b"", h("o"), {"from": author})


# --- R107: model name 1..64 bytes, version at most 64, hashes non-zero, params CID at most 128 --------


@pytest.mark.parametrize("name,version", [("", "1"), ("x" * 65, "1"), ("m", "v" * 65)])
def test_record_generation_reverts_on_invalid_model(attestations, confirmed_work, author, err, name, version):
    work_id = confirmed_work()
    with err.reverts_with(MODEL, len(name), len(version), 64):
        attestations.recordGeneration(work_id, name, version, h("i"), b"", h("o"), {"from": author})


@pytest.mark.parametrize("which", ["inputs", "output"])
def test_record_generation_reverts_on_empty_hash(attestations, confirmed_work, author, err, which):
    work_id = confirmed_work()
    zero = "0x" + "00" * 32
    with err.reverts_with(EMPTY):
        attestations.recordGeneration(work_id, "m", "1", zero if which == "inputs" else h("i"), b"",
                                      zero if which == "output" else h("o"), {"from": author})


def test_record_generation_accepts_max_lengths(attestations, confirmed_work, author):
    work_id = confirmed_work()
    attestations.recordGeneration(work_id, "x" * 64, "v" * 64, h("i"), b"\x01" * 128, h("o"), {"from": author})
    assert attestations.generationTotal() == 1


def test_record_generation_reverts_on_oversized_params_cid(attestations, confirmed_work, author, err):
    work_id = confirmed_work()
    with err.reverts_with(CID, 129, 128):
        attestations.recordGeneration(work_id, "m", "1", h("i"), b"\x01" * 129, h("o"), {"from": author})


def test_record_generation_numbers_records_across_works(attestations, confirmed_work, author):
    a, b = confirmed_work("a"), confirmed_work("b")
    assert attestations.recordGeneration(a, "m", "1", h("i"), b"", h("o"), {"from": author}).return_value == 1
    assert attestations.recordGeneration(b, "m", "1", h("i"), b"", h("o"), {"from": author}).return_value == 2
    assert attestations.recordGeneration(a, "m", "2", h("i"), b"", h("o"), {"from": author}).return_value == 3
    assert attestations.generationCount(a) == 2 and attestations.generationCount(b) == 1
    assert attestations.generationDigest(4) == "0x" + "00" * 32


# --- R100a: every attester keeps its own earliest attestation (finding 6) ------------------


def test_author_attests_after_a_front_runner(attestations, author, coauthor, kit):
    """The attack: a member saw the author's pending attestation and attested the hash first;
    the author could then never attest their own file. Now both attestations stand."""
    first = attestations.attest(h("file"), 1, b"", b"", {"from": coauthor})  # the front-runner
    mine = attestations.attest(h("file"), 1, kit.cid_for("doc"), b"", {"from": author})

    assert kit.plain(attestations.attestationOf(h("file")))[:2] == (coauthor, first.timestamp)
    assert kit.plain(attestations.attestationBy(h("file"), author))[:2] == (author, mine.timestamp)
    assert kit.plain(attestations.attestationBy(h("file"), coauthor))[:2] == (coauthor, first.timestamp)
    assert mine.events["Attested"]["attester"] == author


def test_later_attester_links_its_own_timestamp(attestations, author, coauthor, kit):
    attestations.attest(h("file"), 1, b"", b"", {"from": coauthor})
    attestations.attest(h("file"), 1, b"", b"", {"from": author})

    attestations.linkTimestamp(h("file"), kit.cid_for("token"), {"from": author})

    assert kit.plain(attestations.attestationBy(h("file"), author))[3] is True
    assert kit.plain(attestations.attestationBy(h("file"), coauthor))[3] is False
