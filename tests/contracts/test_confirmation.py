"""WorkRegistry confirmation and rejection by a registrar (SPECIFICATION.md R20-R23)."""

import pytest

WRONG_STATUS = "WorkRegistry__WrongStatus(bytes32,uint8,uint8)"
NOT_FOUND = "WorkRegistry__NotFound(bytes32)"
BATCH_SIZE = "WorkRegistry__InvalidBatchSize(uint256,uint256)"
NOT_REGISTRARS = ["governor", "cmo", "author", "auditor", "rando"]
NOT_PENDING = ["CONFIRMED", "REJECTED", "DISPUTED", "REVOKED"]


# --- R20: only a REGISTRAR confirms or rejects -------------------------------------------


def test_confirm_succeeds_for_registrar(registry, registrar, register_work, status):
    work_id = register_work()

    registry.confirm(work_id, {"from": registrar})

    assert registry.statusOf(work_id) == status.CONFIRMED


def test_confirm_succeeds_for_cmo_registered_work(registry, registrar, cmo, author, coauthor, register_work, status):
    work_id = register_work("w", [(author, 5000), (coauthor, 5000)], sender=cmo)

    registry.confirm(work_id, {"from": registrar})

    assert registry.statusOf(work_id) == status.CONFIRMED


@pytest.mark.parametrize("caller", NOT_REGISTRARS)
def test_confirm_reverts_when_caller_not_registrar(registry, role, err, register_work, status, request, caller):
    work_id = register_work()
    sender = request.getfixturevalue(caller)

    with err.unauthorized(sender, role.REGISTRAR):
        registry.confirm(work_id, {"from": sender})
    assert registry.statusOf(work_id) == status.PENDING


@pytest.mark.parametrize("caller", NOT_REGISTRARS)
def test_reject_reverts_when_caller_not_registrar(registry, role, err, kit, register_work, status, request, caller):
    work_id = register_work()
    sender = request.getfixturevalue(caller)

    with err.unauthorized(sender, role.REGISTRAR):
        registry.reject(work_id, 1, kit.cid_for("r"), {"from": sender})
    assert registry.statusOf(work_id) == status.PENDING


@pytest.mark.parametrize("caller", ["cmo", "author"])
def test_confirm_batch_reverts_when_caller_not_registrar(registry, role, err, register_work, status, request, caller):
    work_id = register_work()
    sender = request.getfixturevalue(caller)

    with err.unauthorized(sender, role.REGISTRAR):
        registry.confirmBatch([work_id], {"from": sender})
    assert registry.statusOf(work_id) == status.PENDING


def test_confirm_reverts_when_caller_not_registrar_checked_before_status(registry, rando, role, err, kit):
    # the role check comes first: an unknown work still answers "unauthorized" to a stranger
    with err.unauthorized(rando, role.REGISTRAR):
        registry.confirm(kit.content_hash("nothing"), {"from": rando})


# --- R21: confirm moves PENDING to CONFIRMED, nothing else -------------------------------


def test_confirm_keeps_work_record(registry, registrar, author, coauthor, register_work, kit):
    work_id = register_work("w", [(author, 7000), (coauthor, 3000)], work_type=5, creation_mode=3)
    before = kit.plain(registry.getWork(work_id))

    registry.confirm(work_id, {"from": registrar})

    after = kit.plain(registry.getWork(work_id))
    assert after[0] == 2
    assert after[1:] == before[1:]
    assert kit.plain(registry.holdersOf(work_id)) == ((str(author), 7000), (str(coauthor), 3000))


def test_confirm_reverts_when_work_unknown(registry, registrar, err, kit):
    work_id = kit.content_hash("never registered")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.confirm(work_id, {"from": registrar})


@pytest.mark.parametrize("name", NOT_PENDING)
def test_confirm_reverts_when_not_pending(registry, registrar, err, status, work_in_status, name):
    work_id = work_in_status(name)
    with err.reverts_with(WRONG_STATUS, work_id, getattr(status, name), status.PENDING):
        registry.confirm(work_id, {"from": registrar})
    assert registry.statusOf(work_id) == getattr(status, name)


# --- R22: reject moves PENDING to REJECTED with a reason ----------------------------------


def test_reject_succeeds_for_registrar(registry, registrar, author, register_work, status, kit):
    work_id = register_work()

    tx = registry.reject(work_id, 42, kit.cid_for("conflicting claim"), {"from": registrar})

    assert registry.statusOf(work_id) == status.REJECTED
    assert tx.events["WorkRejected"]["reasonCode"] == 42
    # the rejected claim stays readable for the audit trail until a re-registration
    assert kit.plain(registry.holdersOf(work_id)) == ((str(author), kit.WHOLE),)


def test_reject_succeeds_with_empty_reason_cid(registry, registrar, register_work, status):
    work_id = register_work()
    registry.reject(work_id, 0, b"", {"from": registrar})
    assert registry.statusOf(work_id) == status.REJECTED


def test_reject_reverts_when_work_unknown(registry, registrar, err, kit):
    work_id = kit.content_hash("never registered")
    with err.reverts_with(NOT_FOUND, work_id):
        registry.reject(work_id, 1, kit.cid_for("r"), {"from": registrar})


@pytest.mark.parametrize("name", NOT_PENDING)
def test_reject_reverts_when_not_pending(registry, registrar, err, status, kit, work_in_status, name):
    work_id = work_in_status(name)
    with err.reverts_with(WRONG_STATUS, work_id, getattr(status, name), status.PENDING):
        registry.reject(work_id, 1, kit.cid_for("r"), {"from": registrar})
    assert registry.statusOf(work_id) == getattr(status, name)


# --- R23: confirmBatch, 1..500 ids, all or none ------------------------------------------


def test_confirm_batch_succeeds_for_registrar(registry, registrar, register_work, status, kit):
    ids = [register_work(f"w{i}") for i in range(4)]

    tx = registry.confirmBatch(ids, {"from": registrar})

    assert kit.plain(registry.statusesOf(ids)) == (status.CONFIRMED,) * 4
    assert [e["workId"] for e in tx.events["WorkConfirmed"]] == ids


def test_confirm_batch_reverts_when_empty(registry, registrar, err):
    with err.reverts_with(BATCH_SIZE, 0, 500):
        registry.confirmBatch([], {"from": registrar})


def test_confirm_batch_reverts_when_too_large(registry, registrar, err, register_work, status):
    work_id = register_work()
    with err.reverts_with(BATCH_SIZE, 501, 500):
        registry.confirmBatch([work_id] * 501, {"from": registrar})
    assert registry.statusOf(work_id) == status.PENDING


def test_confirm_batch_reverts_all_when_one_not_pending(registry, registrar, err, register_work, work_in_status,
                                                        status, kit):
    fresh = register_work("fresh")
    rejected = work_in_status("REJECTED", "old")

    with err.reverts_with(WRONG_STATUS, rejected, status.REJECTED, status.PENDING):
        registry.confirmBatch([fresh, rejected], {"from": registrar})
    assert registry.statusOf(fresh) == status.PENDING


def test_confirm_batch_reverts_when_id_repeated(registry, registrar, err, register_work, status):
    work_id = register_work()
    with err.reverts_with(WRONG_STATUS, work_id, status.CONFIRMED, status.PENDING):
        registry.confirmBatch([work_id, work_id], {"from": registrar})
    assert registry.statusOf(work_id) == status.PENDING


def test_confirm_batch_reverts_when_one_unknown(registry, registrar, err, register_work, status, kit):
    work_id = register_work()
    unknown = kit.content_hash("unknown")
    with err.reverts_with(NOT_FOUND, unknown):
        registry.confirmBatch([work_id, unknown], {"from": registrar})
    assert registry.statusOf(work_id) == status.PENDING
