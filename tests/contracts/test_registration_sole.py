"""R18: the compact registration of sole-held works with a raw sha-256 metadata CID."""

RAW_PREFIX = "01551220"


def test_register_sole_succeeds_for_holder(registry, author, kit, status):
    wid, digest = kit.content_hash("solo"), kit.content_hash("solo-meta")

    tx = registry.registerSole(wid, digest, 1, 2, {"from": author})

    assert registry.statusOf(wid) == status.PENDING
    assert kit.as_holder_set(registry.holdersOf(wid)) == {(author.address, kit.WHOLE)}
    view = registry.getWork(wid)
    assert (view["workType"], view["creationMode"], view["holderCount"]) == (1, 2, 1)
    ev = tx.events["WorkRegistered"]
    assert ev["workId"] == wid and ev["registrant"] == author and ev["holder"] == author
    assert ev["metadataDigest"] == digest and ev["workType"] == 1 and ev["creationMode"] == 2


def test_register_sole_reverts_when_caller_has_no_role(registry, rando, err, role, kit):
    with err.unauthorized(rando, role.HOLDER):
        registry.registerSole(kit.content_hash("x"), kit.content_hash("m"), 1, 1, {"from": rando})


def test_register_sole_reverts_when_already_registered(registry, author, coauthor, err, kit, status):
    wid = kit.content_hash("dup")
    registry.registerSole(wid, kit.content_hash("m1"), 2, 1, {"from": author})
    with err.reverts_with("WorkRegistry__AlreadyRegistered(bytes32,uint8)", wid, status.PENDING):
        registry.registerSole(wid, kit.content_hash("m2"), 2, 1, {"from": coauthor})


def test_register_sole_reverts_on_empty_digest_and_bad_kind(registry, author, err, kit):
    wid = kit.content_hash("bad")
    with err.reverts_with("WorkRegistry__InvalidCid(uint256)", 0):
        registry.registerSole(wid, "0x" + "00" * 32, 2, 1, {"from": author})
    with err.reverts_with("WorkRegistry__InvalidWorkType(uint8)", 7):
        registry.registerSole(wid, kit.content_hash("m"), 7, 1, {"from": author})
    with err.reverts_with("WorkRegistry__InvalidCreationMode(uint8)", 0):
        registry.registerSole(wid, kit.content_hash("m"), 2, 0, {"from": author})


def test_register_sole_batch_succeeds_for_cmo_naming_holders(registry, cmo, author, coauthor, kit, status):
    rows = [
        (kit.content_hash(f"cat-{i}"), kit.content_hash(f"cat-meta-{i}"), (author, coauthor)[i % 2].address, 1, 1)
        for i in range(6)
    ]
    tx = registry.registerSoleBatch(rows, {"from": cmo})
    assert [registry.statusOf(r[0]) for r in rows] == [status.PENDING] * 6
    assert registry.holdersOf(rows[1][0])[0][0] == coauthor
    assert len(tx.events["WorkRegistered"]) == 6


def test_register_sole_batch_reverts_when_holder_registers_for_another(registry, author, coauthor, err, kit):
    rows = [(kit.content_hash("mine"), kit.content_hash("m1"), author.address, 1, 1),
            (kit.content_hash("theirs"), kit.content_hash("m2"), coauthor.address, 1, 1)]
    with err.reverts_with("WorkRegistry__NotAHolder(bytes32,address)", rows[1][0], author):
        registry.registerSoleBatch(rows, {"from": author})
    assert registry.statusOf(rows[0][0]) == 0  # all or none


def test_register_sole_batch_reverts_on_empty_batch(registry, cmo, err):
    with err.reverts_with("WorkRegistry__InvalidBatchSize(uint256,uint256)", 0, 500):
        registry.registerSoleBatch([], {"from": cmo})
