"""Competing claims on a content hash (SPECIFICATION.md R24-R26; issue 12 finding 6).

First come is not first served: a claim filed against a PENDING registration reaches the
registrar as a competing claim, the work cannot be confirmed or rejected until the
registrar awards one claim or dismisses the competing ones, and a rejected or dismissed
claimant may not claim the same hash again for RECLAIM_DELAY.
"""

import pytest
from brownie import AttestationRegistry, chain

ALREADY = "WorkRegistry__AlreadyRegistered(bytes32,uint8)"
COMPETING = "WorkRegistry__ClaimsCompeting(bytes32,uint8)"
NO_CLAIMS = "WorkRegistry__NoCompetingClaims(bytes32)"
NO_SUCH_CLAIM = "WorkRegistry__NoSuchClaim(bytes32,address)"
FILED = "WorkRegistry__ClaimAlreadyFiled(bytes32,address)"
BARRED = "WorkRegistry__ReclaimBarred(bytes32,address,uint40)"
WRONG_STATUS = "WorkRegistry__WrongStatus(bytes32,uint8,uint8)"
NOT_A_HOLDER = "WorkRegistry__NotAHolder(bytes32,address)"


@pytest.fixture
def squatter(accounts, roles, registrar, kit):
    """A verified HOLDER who watches the pending transactions."""
    acct = accounts[8]
    roles.verifyHolder(acct, kit.commitment_for("squatter"), {"from": registrar})
    return acct


def _claim(holder, kit, seed="song", work_type=1, meta="author"):
    return (kit.content_hash(seed), kit.cid_for(f"meta:{seed}:{meta}"), work_type, 1, [(str(holder), kit.WHOLE)])


def test_squatter_who_front_runs_the_author_does_not_get_the_work(registry, roles, governor, registrar, author,
                                                                  squatter, err, status, kit):
    """The attack: the squatter sees the author's pending registration and attestation of the
    hash and sends both first. Before: the squatter's registration was confirmed first come,
    the author's attestation reverted forever. Now the author still attests and still gets
    the work."""
    wid = kit.content_hash("song")
    att = AttestationRegistry.deploy(roles, registry, {"from": governor})
    att.attest(wid, 1, b"", b"", {"from": squatter})  # front-run attestation
    att.attest(wid, 1, b"", b"", {"from": author})  # the author's own attestation stands too
    assert kit.plain(att.attestationBy(wid, author))[0] == author

    registry.registerSole(wid, kit.content_hash("squat-meta"), 1, 1, {"from": squatter})  # front-run
    registry.reserveUses(wid, 0xFF, {"from": squatter})
    with err.reverts_with(ALREADY, wid, status.PENDING):
        registry.registerSole(wid, kit.content_hash("author-meta"), 1, 1, {"from": author})
    tx = registry.fileClaim(_claim(author, kit), {"from": author})  # the author's claim competes
    assert tx.events["ClaimFiled"]["claimant"] == author

    with err.reverts_with(COMPETING, wid, 1):  # the registrar cannot confirm first come
        registry.confirm(wid, {"from": registrar})
    tx = registry.awardClaim(author, _claim(author, kit), {"from": registrar})

    assert registry.statusOf(wid) == status.CONFIRMED
    assert registry.shareOf(wid, author) == kit.WHOLE
    assert registry.shareOf(wid, squatter) == 0
    assert registry.getWork(wid)["reservedUses"] == 0
    assert registry.getWork(wid)["competingClaims"] == 0
    ev = tx.events["ClaimAwarded"]
    assert (ev["claimant"], ev["registrar"], ev["workType"]) == (author, registrar, 1)


def test_award_claim_replaces_co_holders_with_the_claims(registry, registrar, author, coauthor, cmo, status, kit):
    wid = kit.content_hash("co")
    registry.register((wid, kit.cid_for("m1"), 2, 1, [(str(author), 5000), (str(coauthor), 5000)]), {"from": cmo})
    claim = (wid, kit.cid_for("m2"), 2, 2, [(str(coauthor), kit.WHOLE)])
    registry.fileClaim(claim, {"from": coauthor})

    registry.awardClaim(coauthor, claim, {"from": registrar})

    assert [tuple(h) for h in registry.holdersOf(wid)] == [(coauthor, kit.WHOLE)]
    assert registry.getWork(wid)["creationMode"] == 2


def test_reject_reverts_when_claims_compete(registry, registrar, author, squatter, err, status, kit):
    wid = kit.content_hash("song")
    registry.register(_claim(squatter, kit, meta="squat"), {"from": squatter})
    registry.fileClaim(_claim(author, kit), {"from": author})
    with err.reverts_with(COMPETING, wid, 1):
        registry.reject(wid, 1, kit.cid_for("r"), {"from": registrar})
    with err.reverts_with(COMPETING, wid, 1):
        registry.confirmBatch([wid], {"from": registrar})
    assert registry.statusOf(wid) == status.PENDING


def test_file_claim_reverts_when_work_not_pending(registry, confirmed_work, coauthor, err, status, kit):
    wid = confirmed_work("song")
    with err.reverts_with(WRONG_STATUS, wid, status.CONFIRMED, status.PENDING):
        registry.fileClaim(_claim(coauthor, kit), {"from": coauthor})


def test_file_claim_reverts_when_filed_twice(registry, author, squatter, err, kit):
    registry.register(_claim(squatter, kit, meta="squat"), {"from": squatter})
    registry.fileClaim(_claim(author, kit), {"from": author})
    with err.reverts_with(FILED, kit.content_hash("song"), author):
        registry.fileClaim(_claim(author, kit), {"from": author})


def test_file_claim_reverts_for_holder_not_listed(registry, author, squatter, coauthor, err, kit):
    registry.register(_claim(squatter, kit, meta="squat"), {"from": squatter})
    with err.reverts_with(NOT_A_HOLDER, kit.content_hash("song"), coauthor):
        registry.fileClaim(_claim(author, kit), {"from": coauthor})


def test_file_claim_reverts_without_role(registry, author, squatter, rando, err, role, kit):
    registry.register(_claim(squatter, kit, meta="squat"), {"from": squatter})
    with err.unauthorized(rando, role.HOLDER):
        registry.fileClaim(_claim(rando, kit), {"from": rando})


def test_award_claim_reverts_when_claim_differs_from_the_filed_one(registry, registrar, author, squatter, err,
                                                                   status, kit):
    registry.register(_claim(squatter, kit, meta="squat"), {"from": squatter})
    registry.fileClaim(_claim(author, kit), {"from": author})
    with err.reverts_with(NO_SUCH_CLAIM, kit.content_hash("song"), author):
        registry.awardClaim(author, _claim(author, kit, work_type=3), {"from": registrar})
    with err.reverts_with(NO_SUCH_CLAIM, kit.content_hash("song"), squatter):
        registry.awardClaim(squatter, _claim(squatter, kit, meta="squat"), {"from": registrar})
    assert registry.statusOf(kit.content_hash("song")) == status.PENDING


def test_award_claim_reverts_when_caller_not_registrar(registry, author, squatter, cmo, err, role, kit):
    registry.register(_claim(squatter, kit, meta="squat"), {"from": squatter})
    registry.fileClaim(_claim(author, kit), {"from": author})
    with err.unauthorized(cmo, role.REGISTRAR):
        registry.awardClaim(author, _claim(author, kit), {"from": cmo})


def test_dismiss_claims_bars_the_claimant_and_lets_the_registrar_confirm(registry, registrar, author, squatter, err,
                                                                          status, kit):
    wid = kit.content_hash("song")
    registry.register(_claim(author, kit), {"from": author})
    registry.fileClaim(_claim(squatter, kit, meta="squat"), {"from": squatter})  # the squatter competes

    tx = registry.dismissClaims(wid, [squatter], 7, kit.cid_for("why"), {"from": registrar})
    until = tx.timestamp + registry.RECLAIM_DELAY()
    assert tx.events["ClaimsDismissed"]["barredUntil"] == until
    assert registry.reclaimBarredUntil(wid, squatter) == until

    with err.reverts_with(BARRED, wid, squatter, until):  # no immediate re-claim
        registry.fileClaim(_claim(squatter, kit, meta="squat2"), {"from": squatter})
    registry.confirm(wid, {"from": registrar})
    assert registry.statusOf(wid) == status.CONFIRMED


def test_dismiss_claims_reverts_when_none_compete(registry, registrar, register_work, err, kit):
    wid = register_work("song")
    with err.reverts_with(NO_CLAIMS, wid):
        registry.dismissClaims(wid, [], 1, kit.cid_for("why"), {"from": registrar})


def test_dismiss_claims_reverts_for_an_account_without_a_claim(registry, registrar, author, squatter, coauthor, err,
                                                               kit):
    wid = kit.content_hash("song")
    registry.register(_claim(author, kit), {"from": author})
    registry.fileClaim(_claim(squatter, kit, meta="squat"), {"from": squatter})
    with err.reverts_with(NO_SUCH_CLAIM, wid, coauthor):
        registry.dismissClaims(wid, [coauthor], 1, kit.cid_for("why"), {"from": registrar})


# --- R26: a rejected claimant waits RECLAIM_DELAY ------------------------------------------


def test_rejected_registrant_cannot_reclaim_at_once(registry, registrar, squatter, err, status, kit):
    """The attack: a squatter re-registered right after every rejection."""
    wid = kit.content_hash("song")
    registry.registerSole(wid, kit.content_hash("m"), 1, 1, {"from": squatter})
    tx = registry.reject(wid, 1, kit.cid_for("r"), {"from": registrar})
    until = tx.timestamp + registry.RECLAIM_DELAY()

    with err.reverts_with(BARRED, wid, squatter, until):
        registry.registerSole(wid, kit.content_hash("m"), 1, 1, {"from": squatter})
    with err.reverts_with(BARRED, wid, squatter, until):
        registry.register(_claim(squatter, kit), {"from": squatter})
    assert registry.statusOf(wid) == status.REJECTED


def test_cmo_cannot_register_a_rejected_hash_for_a_barred_holder(registry, registrar, cmo, squatter, err, kit):
    wid = kit.content_hash("song")
    registry.registerSole(wid, kit.content_hash("m"), 1, 1, {"from": squatter})
    tx = registry.reject(wid, 1, kit.cid_for("r"), {"from": registrar})
    with err.reverts_with(BARRED, wid, squatter, tx.timestamp + registry.RECLAIM_DELAY()):
        registry.registerSoleBatch([(wid, kit.content_hash("m"), str(squatter), 1, 1)], {"from": cmo})


def test_rejected_hash_is_open_to_others_at_once_and_to_the_rejected_after_the_delay(registry, registrar, author,
                                                                                     squatter, status, kit):
    wid = kit.content_hash("song")
    registry.registerSole(wid, kit.content_hash("m"), 1, 1, {"from": squatter})
    registry.reject(wid, 1, kit.cid_for("r"), {"from": registrar})
    registry.registerSole(wid, kit.content_hash("m"), 1, 1, {"from": author})  # the author at once
    registry.reject(wid, 1, kit.cid_for("r2"), {"from": registrar})

    chain.sleep(registry.RECLAIM_DELAY() + 1)
    registry.registerSole(wid, kit.content_hash("m"), 1, 1, {"from": squatter})

    assert registry.statusOf(wid) == status.PENDING
