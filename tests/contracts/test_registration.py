"""WorkRegistry registration: who registers, what is checked, what is recorded
(SPECIFICATION.md R10-R19)."""

import pytest
from brownie import WorkRegistry, chain

ALREADY = "WorkRegistry__AlreadyRegistered(bytes32,uint8)"
NOT_A_HOLDER = "WorkRegistry__NotAHolder(bytes32,address)"
INVALID_CID = "WorkRegistry__InvalidCid(uint256)"
HOLDER_COUNT = "WorkRegistry__InvalidHolderCount(uint256,uint256)"
INVALID_HOLDER = "WorkRegistry__InvalidHolder(uint256,address,uint16)"
NOT_WHOLE = "WorkRegistry__SharesNotWhole(uint256)"
BATCH_SIZE = "WorkRegistry__InvalidBatchSize(uint256,uint256)"


def _addresses(n, start=1):
    """`n` distinct plain addresses (no keys needed: holders need not sign to be listed)."""
    return ["0x" + f"{start + i:040x}" for i in range(n)]


# --- the revert helper itself must be able to fail ---------------------------------------


def test_reverts_with_fails_when_arguments_differ(registry, author, err, make_registration, kit):
    r = make_registration("w", [(author, kit.WHOLE)])
    registry.register(r, {"from": author})

    with pytest.raises(AssertionError, match="expected"):
        with err.reverts_with(ALREADY, r[0], 2):  # the status is 1, not 2
            registry.register(r, {"from": author})
    with pytest.raises(AssertionError, match="expected"):
        with err.reverts_with("WorkRegistry__NotFound(bytes32)", r[0]):  # wrong error
            registry.register(r, {"from": author})
    with pytest.raises(AssertionError, match="did not revert"):
        with err.reverts_with(ALREADY, r[0], 1):
            registry.statusOf(r[0])


# --- R10: a listed HOLDER or a CMO registers ----------------------------------------------


def test_register_succeeds_for_listed_holder(registry, author, coauthor, make_registration, status):
    r = make_registration("song", [(author, 7000), (coauthor, 3000)])

    tx = registry.register(r, {"from": author})

    assert tx.return_value == r[0]
    assert registry.statusOf(r[0]) == status.PENDING


def test_register_succeeds_for_cmo_when_not_listed(registry, cmo, author, coauthor, make_registration, status):
    r = make_registration("catalogue-1", [(author, 5000), (coauthor, 5000)])

    registry.register(r, {"from": cmo})

    assert registry.statusOf(r[0]) == status.PENDING
    assert registry.shareOf(r[0], cmo) == 0


@pytest.mark.parametrize("caller", ["rando", "licensee", "auditor", "registrar", "governor"])
def test_register_reverts_when_caller_has_no_role(registry, role, err, make_registration, kit, status, request, caller):
    sender = request.getfixturevalue(caller)
    r = make_registration("w", [(sender, kit.WHOLE)])

    with err.unauthorized(sender, role.HOLDER):
        registry.register(r, {"from": sender})
    assert registry.statusOf(r[0]) == status.NONE


# --- R11: a HOLDER registers only works it is listed on ----------------------------------


def test_register_reverts_when_holder_not_listed(registry, author, coauthor, err, make_registration, kit, status):
    r = make_registration("w", [(author, kit.WHOLE)])

    with err.reverts_with(NOT_A_HOLDER, r[0], coauthor):
        registry.register(r, {"from": coauthor})
    assert registry.statusOf(r[0]) == status.NONE


def test_register_succeeds_when_coholder_unverified(registry, roles, author, spare, role, make_registration, status):
    unverified = spare[0]
    assert not roles.hasRole(role.HOLDER, unverified)
    r = make_registration("w", [(author, 5000), (unverified, 5000)])

    registry.register(r, {"from": author})

    assert registry.statusOf(r[0]) == status.PENDING
    assert registry.shareOf(r[0], unverified) == 5000


def test_register_succeeds_for_cmo_that_is_also_holder(registry, roles, registrar, cmo, author, make_registration, kit,
                                                       status):
    roles.verifyHolder(cmo, kit.commitment_for("cmo"), {"from": registrar})
    r = make_registration("repertoire-work", [(author, kit.WHOLE)])

    registry.register(r, {"from": cmo})

    assert registry.statusOf(r[0]) == status.PENDING


# --- R12: what a registration records ------------------------------------------------------


def test_register_records_pending_work(registry, author, coauthor, spare, make_registration, status, kit):
    holders = [(coauthor, 2500), (author, 5000), (spare[0], 2500)]
    r = make_registration("film", holders, work_type=3, creation_mode=2)

    tx = registry.register(r, {"from": author})

    work_id = r[0]
    assert work_id == kit.content_hash("film")
    view = registry.getWork(work_id)
    assert view["status"] == status.PENDING
    assert view["workType"] == 3
    assert view["creationMode"] == 2
    assert view["holderCount"] == 3
    assert view["registeredAt"] == chain[tx.block_number].timestamp
    assert view["reservedUses"] == 0
    assert view["openDispute"] == 0
    assert [(h[0], h[1]) for h in registry.holdersOf(work_id)] == [(str(a), b) for a, b in holders]
    assert registry.shareOf(work_id, author) == 5000
    assert registry.shareOf(work_id, spare[1]) == 0


def test_register_records_sole_holder_with_whole_share(registry, author, make_registration, kit):
    r = make_registration("poem", [(author, kit.WHOLE)])

    registry.register(r, {"from": author})

    assert registry.getWork(r[0])["holderCount"] == 1
    assert [tuple(h) for h in registry.holdersOf(r[0])] == [(author, kit.WHOLE)]
    assert registry.shareOf(r[0], author) == kit.WHOLE


def test_register_reverts_leaves_no_record_when_shares_not_whole(registry, author, coauthor, err, make_registration,
                                                                 status, kit):
    r = make_registration("w", [(author, 5000), (coauthor, 4000)])

    with err.reverts_with(NOT_WHOLE, 9000):
        registry.register(r, {"from": author})

    assert registry.statusOf(r[0]) == status.NONE
    assert kit.plain(registry.getWork(r[0])) == (0,) * 9
    assert registry.holdersOf(r[0]) == ()


# --- R13: a content hash is required -----------------------------------------------------


def test_register_reverts_when_content_hash_empty(registry, author, err, make_registration, kit):
    r = make_registration("w", [(author, kit.WHOLE)], content="0x" + "00" * 32)
    with err.reverts_with("WorkRegistry__EmptyContentHash()"):
        registry.register(r, {"from": author})


# --- R14: metadata CID 1..128 bytes ------------------------------------------------------


@pytest.mark.parametrize("length", [1, 36, 128])
def test_register_succeeds_when_cid_length_in_bounds(registry, author, make_registration, kit, status, length):
    r = make_registration("w", [(author, kit.WHOLE)], cid=b"\x01" * length)
    registry.register(r, {"from": author})
    assert registry.statusOf(r[0]) == status.PENDING


@pytest.mark.parametrize("length", [0, 129])
def test_register_reverts_when_cid_length_out_of_bounds(registry, author, err, make_registration, kit, length):
    r = make_registration("w", [(author, kit.WHOLE)], cid=b"\x01" * length)
    with err.reverts_with(INVALID_CID, length):
        registry.register(r, {"from": author})


# --- R15: work type 1..6, creation mode 1..3 ---------------------------------------------


@pytest.mark.parametrize("work_type", [1, 2, 3, 4, 5, 6])
def test_register_succeeds_for_each_work_type(registry, author, make_registration, kit, work_type):
    r = make_registration("w", [(author, kit.WHOLE)], work_type=work_type)
    registry.register(r, {"from": author})
    assert registry.getWork(r[0])["workType"] == work_type


@pytest.mark.parametrize("mode", [1, 2, 3])
def test_register_succeeds_for_each_creation_mode(registry, author, make_registration, kit, mode):
    r = make_registration("w", [(author, kit.WHOLE)], creation_mode=mode)
    registry.register(r, {"from": author})
    assert registry.getWork(r[0])["creationMode"] == mode


@pytest.mark.parametrize("work_type", [0, 7, 255])
def test_register_reverts_when_work_type_invalid(registry, author, err, make_registration, kit, work_type):
    r = make_registration("w", [(author, kit.WHOLE)], work_type=work_type)
    with err.reverts_with("WorkRegistry__InvalidWorkType(uint8)", work_type):
        registry.register(r, {"from": author})


@pytest.mark.parametrize("mode", [0, 4, 255])
def test_register_reverts_when_creation_mode_invalid(registry, author, err, make_registration, kit, mode):
    r = make_registration("w", [(author, kit.WHOLE)], creation_mode=mode)
    with err.reverts_with("WorkRegistry__InvalidCreationMode(uint8)", mode):
        registry.register(r, {"from": author})


# --- R16: 1..16 distinct non-zero holders whose shares sum to 10000 ----------------------


def test_register_succeeds_with_max_holders(registry, cmo, make_registration, kit, status):
    holders = [(a, 625) for a in _addresses(16)]
    r = make_registration("anthology", holders)

    registry.register(r, {"from": cmo})

    assert registry.statusOf(r[0]) == status.PENDING
    assert len(registry.holdersOf(r[0])) == 16
    assert sum(h[1] for h in registry.holdersOf(r[0])) == kit.WHOLE


def test_register_reverts_when_no_holders(registry, cmo, err, make_registration):
    r = make_registration("w", [])
    with err.reverts_with(HOLDER_COUNT, 0, 16):
        registry.register(r, {"from": cmo})


def test_register_reverts_when_too_many_holders(registry, cmo, err, make_registration):
    addrs = _addresses(17)
    holders = [(a, 588) for a in addrs[:16]] + [(addrs[16], 10_000 - 588 * 16)]
    r = make_registration("w", holders)
    with err.reverts_with(HOLDER_COUNT, 17, 16):
        registry.register(r, {"from": cmo})


def test_register_reverts_when_holder_is_zero_address(registry, author, err, make_registration, kit):
    r = make_registration("w", [(author, 5000), (kit.ZERO, 5000)])
    with err.reverts_with(INVALID_HOLDER, 1, kit.ZERO, 5000):
        registry.register(r, {"from": author})


def test_register_reverts_when_holder_share_is_zero(registry, author, coauthor, err, make_registration, kit):
    r = make_registration("w", [(author, kit.WHOLE), (coauthor, 0)])
    with err.reverts_with(INVALID_HOLDER, 1, coauthor, 0):
        registry.register(r, {"from": author})


def test_register_reverts_when_holder_listed_twice(registry, author, coauthor, err, make_registration):
    r = make_registration("w", [(author, 4000), (coauthor, 2000), (author, 4000)])
    with err.reverts_with(INVALID_HOLDER, 2, author, 4000):
        registry.register(r, {"from": author})


@pytest.mark.parametrize("second", [4999, 5001, 60000])
def test_register_reverts_when_shares_not_whole(registry, author, coauthor, err, make_registration, second):
    r = make_registration("w", [(author, 5000), (coauthor, second)])
    with err.reverts_with(NOT_WHOLE, 5000 + second):
        registry.register(r, {"from": author})


# --- R17: one live registration per content hash; REJECTED can be registered again -------


@pytest.mark.parametrize("name", ["PENDING", "CONFIRMED", "DISPUTED", "REVOKED"])
def test_register_reverts_when_already_registered(registry, cmo, author, coauthor, err, status, kit,
                                                  make_registration, work_in_status, name):
    work_id = work_in_status(name)
    expected = getattr(status, name)
    assert registry.statusOf(work_id) == expected

    with err.reverts_with(ALREADY, work_id, expected):
        registry.register(make_registration("w", [(coauthor, kit.WHOLE)]), {"from": coauthor})
    with err.reverts_with(ALREADY, work_id, expected):
        registry.register(make_registration("w", [(coauthor, kit.WHOLE)]), {"from": cmo})
    assert registry.shareOf(work_id, author) == kit.WHOLE


def test_register_succeeds_when_previously_rejected(registry, registrar, cmo, author, coauthor, spare,
                                                    make_registration, status, kit):
    first = make_registration("w", [(author, 5000), (spare[0], 5000)])
    registry.register(first, {"from": cmo})
    registry.reject(first[0], 7, kit.cid_for("conflict"), {"from": registrar})
    assert registry.statusOf(first[0]) == status.REJECTED

    second = make_registration("w", [(coauthor, 6000), (spare[1], 4000)], work_type=4)
    tx = registry.register(second, {"from": coauthor})

    assert second[0] == first[0]
    view = registry.getWork(second[0])
    assert view["status"] == status.PENDING
    assert view["workType"] == 4
    assert view["registeredAt"] == chain[tx.block_number].timestamp
    assert [tuple(h) for h in registry.holdersOf(second[0])] == [(coauthor, 6000), (spare[1], 4000)]
    assert registry.shareOf(second[0], author) == 0
    assert registry.shareOf(second[0], spare[0]) == 0


def test_register_succeeds_when_rejected_sole_work_registered_as_co_owned(registry, registrar, author, coauthor,
                                                                          make_registration, status, kit):
    registry.register(make_registration("w", [(author, kit.WHOLE)]), {"from": author})
    registry.reject(kit.content_hash("w"), 1, kit.cid_for("r"), {"from": registrar})
    chain.sleep(registry.RECLAIM_DELAY())  # the rejected holder (author) is named again: wait out the bar

    registry.register(make_registration("w", [(coauthor, 9000), (author, 1000)]), {"from": coauthor})

    assert [tuple(h) for h in registry.holdersOf(kit.content_hash("w"))] == [(coauthor, 9000), (author, 1000)]
    assert registry.getWork(kit.content_hash("w"))["holderCount"] == 2


def test_register_succeeds_when_rejected_co_owned_work_registered_as_sole(registry, registrar, author, coauthor,
                                                                          make_registration, kit):
    registry.register(make_registration("w", [(author, 5000), (coauthor, 5000)]), {"from": author})
    registry.reject(kit.content_hash("w"), 1, kit.cid_for("r"), {"from": registrar})
    chain.sleep(registry.RECLAIM_DELAY())

    registry.register(make_registration("w", [(coauthor, kit.WHOLE)]), {"from": coauthor})

    assert [tuple(h) for h in registry.holdersOf(kit.content_hash("w"))] == [(coauthor, kit.WHOLE)]
    assert registry.shareOf(kit.content_hash("w"), author) == 0


# --- R18: a successor registry honours its predecessor ----------------------------------


@pytest.fixture
def make_successor(roles, registry, governor):
    """Deploy the next registry version and retire this one in its favour (call it after
    the works the test needs in the predecessor exist: a retired registry takes no new ones)."""

    def make():
        nxt = WorkRegistry.deploy(roles, registry, {"from": governor})
        registry.retire(nxt, {"from": governor})
        return nxt

    return make


def test_predecessor_is_recorded(make_successor, registry, kit):
    successor = make_successor()
    assert successor.predecessor() == registry.address
    assert registry.predecessor() == kit.ZERO


@pytest.mark.parametrize("name", ["PENDING", "CONFIRMED", "DISPUTED", "REVOKED"])
def test_register_reverts_when_live_in_predecessor(make_successor, author, err, status, kit, make_registration,
                                                   work_in_status, name):
    work_id = work_in_status(name)
    successor = make_successor()

    with err.reverts_with(ALREADY, work_id, getattr(status, name)):
        successor.register(make_registration("w", [(author, kit.WHOLE)]), {"from": author})
    assert successor.statusOf(work_id) == status.NONE


def test_register_succeeds_when_rejected_in_predecessor(make_successor, registry, registrar, author,
                                                        make_registration, register_work, status, kit):
    work_id = register_work("w")
    registry.reject(work_id, 1, kit.cid_for("r"), {"from": registrar})
    successor = make_successor()

    successor.register(make_registration("w", [(author, kit.WHOLE)]), {"from": author})

    assert successor.statusOf(work_id) == status.PENDING


def test_register_succeeds_when_unknown_to_predecessor(make_successor, registry, author, make_registration, status,
                                                       kit):
    successor = make_successor()
    successor.register(make_registration("new", [(author, kit.WHOLE)]), {"from": author})
    assert successor.statusOf(kit.content_hash("new")) == status.PENDING
    assert registry.statusOf(kit.content_hash("new")) == status.NONE


# --- R19: batches of 1..500, all or none ------------------------------------------------


def test_register_batch_succeeds_for_cmo(registry, cmo, author, coauthor, make_registration, status, kit):
    rs = [make_registration(f"b{i}", [(author, 5000 + i), (coauthor, 5000 - i)]) for i in range(3)]

    tx = registry.registerBatch(rs, {"from": cmo})

    assert kit.plain(registry.statusesOf([r[0] for r in rs])) == (status.PENDING,) * 3
    assert len(tx.events["WorkRegistered"]) == 3
    assert registry.shareOf(rs[2][0], author) == 5002


def test_register_batch_succeeds_for_listed_holder(registry, author, make_registration, status, kit):
    rs = [make_registration(f"b{i}", [(author, kit.WHOLE)]) for i in range(2)]
    registry.registerBatch(rs, {"from": author})
    assert kit.plain(registry.statusesOf([r[0] for r in rs])) == (status.PENDING,) * 2


def test_register_batch_reverts_when_empty(registry, cmo, err):
    with err.reverts_with(BATCH_SIZE, 0, 500):
        registry.registerBatch([], {"from": cmo})


def test_register_batch_reverts_when_too_large(registry, cmo, author, err, make_registration, kit):
    r = make_registration("w", [(author, kit.WHOLE)], cid=b"\x01")
    with err.reverts_with(BATCH_SIZE, 501, 500):
        registry.registerBatch([r] * 501, {"from": cmo})


def test_register_batch_reverts_all_when_one_duplicate(registry, cmo, author, err, make_registration, status, kit):
    a = make_registration("a", [(author, kit.WHOLE)])
    b = make_registration("b", [(author, kit.WHOLE)])

    with err.reverts_with(ALREADY, a[0], status.PENDING):
        registry.registerBatch([a, b, a], {"from": cmo})
    assert kit.plain(registry.statusesOf([a[0], b[0]])) == (status.NONE, status.NONE)


def test_register_batch_reverts_when_holder_not_listed_in_one(registry, author, coauthor, err, make_registration,
                                                               status, kit):
    mine = make_registration("mine", [(author, kit.WHOLE)])
    theirs = make_registration("theirs", [(coauthor, kit.WHOLE)])

    with err.reverts_with(NOT_A_HOLDER, theirs[0], author):
        registry.registerBatch([mine, theirs], {"from": author})
    assert registry.statusOf(mine[0]) == status.NONE


def test_register_batch_reverts_when_caller_has_no_role(registry, rando, role, err, make_registration, kit):
    with err.unauthorized(rando, role.HOLDER):
        registry.registerBatch([make_registration("w", [(rando, kit.WHOLE)])], {"from": rando})
