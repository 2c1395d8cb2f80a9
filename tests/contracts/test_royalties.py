"""RoyaltyPool and SettlementToken: usage, payments, distribution, claims (R80-R99)."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from ledger.content.merkle import MerkleTree, leaf_hash, process_proof

PERIOD = 202501
LEAF_TYPES = ("uint32", "bytes32", "uint32", "uint64", "uint40", "uint64", "uint8", "uint128")
CLAIM_TYPES = ("address", "uint32", "address", "uint256")
WRONG_STATE = "RoyaltyPool__WrongPeriodState(address,uint32,uint8,uint8)"
CID = b"\x01\x55\x12\x20" + b"\x11" * 32


# The usage world of the pool fixture: a CONFIRMED work mandated by its holder to the CMO for
# use 4, the CMO's list licence of it to the licensee at RATE per use; uses at USED_AT count.
RATE = 100
WORLD: dict = {}


@pytest.fixture(scope="module")
def pool(roles, token, governor, lens, licences, confirmed_work, author, cmo, licensee):
    from brownie import RoyaltyPool, chain

    wid = confirmed_work("royalty-pool-work")
    chain.sleep(50)  # confirmed 50 s before it is mandated
    licences.mandate(wid, cmo, 4 | 1, {"from": author})
    terms = (2, 4, chain.time() - 10, 2**40 - 1, False, 0, RATE, b"", CID)
    lid = licences.grant(licensee, [wid], terms, {"from": cmo}).return_value
    chain.sleep(100)
    chain.mine()
    WORLD.update(work=wid, lid=lid, at=chain.time() - 50, mandated=licences.mandateOf(wid, cmo)[1])
    return RoyaltyPool.deploy(roles, token, 1000, lens, {"from": governor})


@pytest.fixture(scope="module")
def funded(token, pool, governor, licensee):
    token.mint(licensee, 10**12, {"from": governor})
    token.approve(pool, 2**255, {"from": licensee})
    return licensee


def line(i=0, work=None, use=4, qty=10, at=None, lid=None, kind=1, owed=None):
    """A usage line; by default one that counts in the pool fixture's world (owed = qty x RATE)."""
    work = WORLD.get("work", "0x" + "ab" * 32) if work is None else work
    at = WORLD.get("at", 1_700_000_000) if at is None else at
    lid = WORLD.get("lid", 1) if lid is None else lid
    owed = qty * RATE if owed is None else owed
    return (i, work, use, qty, at, lid, kind, owed)


def usage_tree(lines):
    return MerkleTree.build([leaf_hash(LEAF_TYPES, ln) for ln in lines])


def claim_tree(cmo, period, entries):
    return MerkleTree.build([leaf_hash(CLAIM_TYPES, (str(cmo), period, str(a), amt)) for a, amt in entries])


def distributed(pool, cmo, funded, entries, paid=10_000, period=PERIOD):
    """Pay, close and publish a distribution of `entries` [(account, amount)]; return the tree."""
    pool.pay(cmo, period, paid, {"from": funded})
    pool.closePeriod(period, {"from": cmo})
    tree = claim_tree(cmo, period, entries)
    pool.publishDistribution(period, tree.root, sum(a for _, a in entries), CID, {"from": cmo})
    return tree


# --- R80: settlement token --------------------------------------------------------------


def test_mint_by_governor(token, governor, rando):
    token.mint(rando, 5, {"from": governor})
    assert token.balanceOf(rando) == 5 and token.decimals() == 6


def test_mint_reverts_when_caller_not_governor(token, rando, role, err):
    with err.unauthorized(rando, role.GOVERNOR):
        token.mint(rando, 5, {"from": rando})


# --- R81: commission setting ------------------------------------------------------------


def test_set_commission_by_governor(pool, governor):
    tx = pool.setCommission(2500, {"from": governor})
    assert pool.commissionBps() == 2500 and tx.events["CommissionSet"]["commissionBps"] == 2500


def test_set_commission_reverts_when_caller_not_governor(pool, cmo, role, err):
    with err.unauthorized(cmo, role.GOVERNOR):
        pool.setCommission(100, {"from": cmo})


def test_set_commission_reverts_when_above_max(pool, governor, err):
    with err.reverts_with("RoyaltyPool__InvalidCommission(uint16,uint16)", 5001, 5000):
        pool.setCommission(5001, {"from": governor})


# --- R81b: the coverage lens ------------------------------------------------------------


def test_set_lens_by_governor_keeps_open_periods(pool, lens, roles, registry, governor, cmo, licensee, funded, err):
    """After an upgrade of the registries the pool keeps its open period (usage, payments) and weighs
    new lines with the new lens: here one over a new LicenceRegistry, where the work is not mandated."""
    from brownie import CoverageLens, LicenceRegistry

    pool.recordUsage(cmo, PERIOD, line(), {"from": licensee})
    pool.pay(cmo, PERIOD, 700, {"from": funded})
    new_lens = CoverageLens.deploy(LicenceRegistry.deploy(roles, registry, {"from": governor}), registry,
                                   {"from": governor})
    tx = pool.setLens(new_lens, {"from": governor})
    assert tx.events["LensChanged"]["oldLens"] == lens and tx.events["LensChanged"]["newLens"] == new_lens
    assert pool.lens() == new_lens
    p = pool.pool(cmo, PERIOD)
    assert p[0] == 0 and p[4] == 1 and p[6] == 700  # still OPEN, its report and payment kept
    assert tuple(pool.accountOf(cmo, PERIOD, licensee)) == (1000, 700)
    # the same line does not count under the new registries (the work is not mandated there)
    with err.reverts_with("RoyaltyPool__LineNotEligible(uint32,bytes32,uint8)", 1, WORLD["work"], 10):
        pool.recordUsage(cmo, PERIOD, line(i=1), {"from": licensee})
    pool.setLens(lens, {"from": governor})  # and back: the line counts again
    assert pool.recordUsage(cmo, PERIOD, line(i=1), {"from": licensee}).return_value == 2


def test_set_lens_reverts_when_caller_not_governor(pool, lens, cmo, role, err):
    with err.unauthorized(cmo, role.GOVERNOR):
        pool.setLens(lens, {"from": cmo})


def test_set_lens_reverts_for_no_contract_or_the_current_lens(pool, lens, governor, rando, err):
    for bad in (rando, "0x0000000000000000000000000000000000000000", lens):
        with err.reverts_with("RoyaltyPool__InvalidLens(address)", bad):
            pool.setLens(bad, {"from": governor})
    assert pool.lens() == lens


# --- R82: single usage record ------------------------------------------------------------


def test_record_usage_emits_line_and_counts(pool, cmo, licensee):
    tx = pool.recordUsage(cmo, PERIOD, line(), {"from": licensee})
    rid = tx.return_value
    ev = tx.events["UsageRecorded"]
    assert ev["reportId"] == rid == 1 and ev["licensee"] == licensee and ev["cmo"] == cmo
    assert pool.report(rid)[4] == "0x" + leaf_hash(LEAF_TYPES, line()).hex()
    p = pool.pool(cmo, PERIOD)
    assert p[4] == 1 and tuple(p[5]) == (1, 10, 1000)
    assert tuple(pool.accountOf(cmo, PERIOD, licensee)) == (1000, 0)


def test_record_usage_reverts_when_caller_not_licensee(pool, cmo, rando, role, err):
    with err.unauthorized(rando, role.LICENSEE):
        pool.recordUsage(cmo, PERIOD, line(), {"from": rando})


def test_record_usage_reverts_when_line_empty(pool, cmo, licensee, err):
    with err.reverts_with("RoyaltyPool__InvalidLine(uint32,bytes32,uint64)", 0, WORLD["work"], 0):
        pool.recordUsage(cmo, PERIOD, line(qty=0), {"from": licensee})


def test_record_usage_reverts_when_pool_not_a_cmo(pool, rando, licensee, err):
    with err.reverts_with("RoyaltyPool__NotACmo(address)", rando):
        pool.recordUsage(rando, PERIOD, line(), {"from": licensee})


# --- R83: usage report -------------------------------------------------------------------


def test_record_report_emits_root_totals_cid(pool, cmo, licensee):
    lines = [line(i, qty=i + 1, owed=100 * (i + 1)) for i in range(7)]
    tree = usage_tree(lines)
    tx = pool.recordReport(cmo, PERIOD, tree.root, (7, 28, 2800), CID, {"from": licensee})
    ev = tx.events["UsageReportRecorded"]
    assert ev["root"] == tree.root_hex and ev["lineCount"] == 7 and tuple(ev["totals"]) == (7, 28, 2800)
    assert ev["cid"] == "0x" + CID.hex() and ev["period"] == PERIOD and ev["cmo"] == cmo
    assert tuple(pool.accountOf(cmo, PERIOD, licensee)) == (2800, 0)


def test_record_report_reverts_when_empty(pool, cmo, licensee, err):
    with err.reverts_with("RoyaltyPool__EmptyReport(uint64)", 0):
        pool.recordReport(cmo, PERIOD, b"\x01" * 32, (0, 0, 0), CID, {"from": licensee})


def test_record_report_reverts_when_root_zero(pool, cmo, licensee, err):
    with err.reverts_with("RoyaltyPool__EmptyRoot()"):
        pool.recordReport(cmo, PERIOD, b"\x00" * 32, (1, 1, 0), CID, {"from": licensee})


def test_record_report_reverts_when_cid_missing(pool, cmo, licensee, err):
    with err.reverts_with("RoyaltyPool__InvalidCid(uint256)", 0):
        pool.recordReport(cmo, PERIOD, b"\x01" * 32, (1, 1, 0), b"", {"from": licensee})


def test_record_report_reverts_when_period_closed(pool, cmo, licensee, err):
    pool.closePeriod(PERIOD, {"from": cmo})
    with err.reverts_with(WRONG_STATE, cmo, PERIOD, 1, 0):
        pool.recordReport(cmo, PERIOD, b"\x01" * 32, (1, 1, 0), CID, {"from": licensee})


# --- R84: proving a usage line -----------------------------------------------------------


def test_verify_usage_line_accepts_every_line(pool, cmo, licensee):
    lines = [line(i, work="0x" + f"{i:064x}", owed=i) for i in range(13)]
    tree = usage_tree(lines)
    rid = pool.recordReport(cmo, PERIOD, tree.root, (13, 130, 78), CID, {"from": licensee}).return_value
    for i, ln in enumerate(lines):
        assert pool.verifyUsageLine(rid, ln, tree.proof(i))


def test_verify_usage_line_rejects_tampered_line(pool, cmo, licensee):
    lines = [line(i, work="0x" + f"{i:064x}") for i in range(5)]
    tree = usage_tree(lines)
    rid = pool.recordReport(cmo, PERIOD, tree.root, (5, 50, 5000), CID, {"from": licensee}).return_value
    tampered = line(2, work="0x" + f"{2:064x}", qty=11)
    assert not pool.verifyUsageLine(rid, tampered, tree.proof(2))
    assert not pool.verifyUsageLine(rid, lines[2], tree.proof(3))


def test_verify_usage_line_reverts_when_report_unknown(pool, err):
    with err.reverts_with("RoyaltyPool__ReportNotFound(uint64)", 99):
        pool.verifyUsageLine(99, line(), [])


def test_single_record_proves_with_empty_proof(pool, cmo, licensee):
    rid = pool.recordUsage(cmo, PERIOD, line(), {"from": licensee}).return_value
    assert pool.verifyUsageLine(rid, line(), [])
    assert not pool.verifyUsageLine(rid, line(owed=999), [])


# --- R82a: only lines that count for the CMO can be recorded (issue 12, finding 1) ---------

LINE_NOT_ELIGIBLE = "RoyaltyPool__LineNotEligible(uint32,bytes32,uint8)"
R_NOT_CONFIRMED, R_NOT_MANDATED, R_WRONG_LICENCE = 9, 10, 11


def test_record_usage_reverts_when_owed_is_typed_higher(pool, cmo, licensee, err):
    """The attack: a licensee inflates `owed` to steer the distribution. Now refused."""
    with err.reverts_with("RoyaltyPool__OwedMismatch(uint32,uint256,uint256)", 0, 10 * RATE, 10**18):
        pool.recordUsage(cmo, PERIOD, line(owed=10**18), {"from": licensee})


def test_record_usage_reverts_for_pending_unmandated_work(pool, cmo, licensee, register_work, err):
    """The attack: weight sent to an accomplice's PENDING, unmandated work. Now refused."""
    pending = register_work("accomplice-pending")
    with err.reverts_with(LINE_NOT_ELIGIBLE, 0, pending, R_NOT_CONFIRMED):
        pool.recordUsage(cmo, PERIOD, line(work=pending), {"from": licensee})


def test_record_usage_reverts_for_confirmed_work_not_mandated(pool, cmo, licensee, confirmed_work, err):
    from brownie import chain

    other = confirmed_work("not-mandated")
    with err.reverts_with(LINE_NOT_ELIGIBLE, 0, other, R_NOT_MANDATED):
        pool.recordUsage(cmo, PERIOD, line(work=other, at=chain.time()), {"from": licensee})


def test_record_usage_reverts_when_licence_not_held_from_cmo(pool, cmo, roles, rando, role, governor, err):
    """A licensee with no licence from the CMO cannot weigh in its pool, even with a real id."""
    roles.grantRole(role.LICENSEE, rando, {"from": governor})
    with err.reverts_with(LINE_NOT_ELIGIBLE, 0, WORLD["work"], R_WRONG_LICENCE):
        pool.recordUsage(cmo, PERIOD, line(), {"from": rando})


def test_record_usage_reverts_for_use_before_the_mandate(pool, cmo, licensee, err):
    with err.reverts_with(LINE_NOT_ELIGIBLE, 0, WORLD["work"], R_NOT_MANDATED):
        pool.recordUsage(cmo, PERIOD, line(at=WORLD["mandated"] - 10), {"from": licensee})


# --- R83a: bounded reports; the CMO refuses a report (issue 12, findings 1 and 2) ---------------


def test_record_report_reverts_when_totals_unbounded(pool, cmo, licensee, err):
    """The attack: totals near the type maxima freeze the period. Now refused at the bound."""
    huge = (1, 1, 2**128 - 1)
    with err.reverts_with("RoyaltyPool__ReportTooLarge(uint64,uint128,uint128)", *huge):
        pool.recordReport(cmo, 202601, b"\x01" * 32, huge, CID, {"from": licensee})


def test_reports_at_the_bounds_never_block_other_members(pool, cmo, licensee, funded):
    """Reports at the bounds still leave room: another member's record goes through."""
    top = (pool.MAX_REPORT_LINES(), pool.MAX_REPORT_QUANTITY(), pool.MAX_REPORT_OWED())
    for _ in range(3):
        pool.recordReport(cmo, 202602, b"\x01" * 32, top, CID, {"from": licensee})
    rid = pool.recordUsage(cmo, 202602, line(), {"from": licensee}).return_value
    assert pool.report(rid)[0] == licensee
    assert tuple(pool.pool(cmo, 202602)[5]) == (3 * top[0] + 1, 3 * top[1] + 10, 3 * top[2] + 10 * RATE)


def test_cmo_refuses_report_and_its_totals_leave(pool, cmo, licensee):
    rid = pool.recordReport(cmo, 202603, b"\x01" * 32, (5, 50, 5000), CID, {"from": licensee}).return_value
    tx = pool.refuseReport(rid, "lines not covered", {"from": cmo})
    ev = tx.events["ReportRefused"]
    assert ev["reportId"] == rid and ev["cmo"] == cmo and ev["licensee"] == licensee
    assert pool.isRefused(rid) and tuple(pool.pool(cmo, 202603)[5]) == (0, 0, 0)
    assert tuple(pool.accountOf(cmo, 202603, licensee)) == (0, 0)


def test_refuse_report_reverts_when_caller_not_its_cmo(pool, cmo, licensee, rando, err):
    rid = pool.recordReport(cmo, 202604, b"\x01" * 32, (1, 1, 1), CID, {"from": licensee}).return_value
    with err.reverts_with("RoyaltyPool__NotReportCmo(uint64,address)", rid, rando):
        pool.refuseReport(rid, "no", {"from": rando})


def test_refuse_report_reverts_after_close(pool, cmo, licensee, err):
    rid = pool.recordReport(cmo, 202605, b"\x01" * 32, (1, 1, 1), CID, {"from": licensee}).return_value
    pool.closePeriod(202605, {"from": cmo})
    with err.reverts_with(WRONG_STATE, cmo, 202605, 1, 0):
        pool.refuseReport(rid, "late", {"from": cmo})


def test_refuse_report_reverts_when_refused_twice(pool, cmo, licensee, err):
    rid = pool.recordReport(cmo, 202606, b"\x01" * 32, (1, 1, 1), CID, {"from": licensee}).return_value
    pool.refuseReport(rid, "once", {"from": cmo})
    with err.reverts_with("RoyaltyPool__ReportRefused(uint64)", rid):
        pool.refuseReport(rid, "twice", {"from": cmo})


# --- R85: payments ----------------------------------------------------------------------


def test_pay_moves_tokens_and_counts(pool, token, cmo, funded):
    tx = pool.pay(cmo, PERIOD, 700, {"from": funded})
    assert tx.events["Paid"]["amount"] == 700
    assert token.balanceOf(pool) == 700 and pool.pool(cmo, PERIOD)[6] == 700
    assert tuple(pool.accountOf(cmo, PERIOD, funded)) == (0, 700)


def test_pay_reverts_when_zero(pool, cmo, funded, err):
    with err.reverts_with("RoyaltyPool__ZeroAmount()"):
        pool.pay(cmo, PERIOD, 0, {"from": funded})


def test_pay_reverts_when_period_closed(pool, cmo, funded, err):
    pool.closePeriod(PERIOD, {"from": cmo})
    with err.reverts_with(WRONG_STATE, cmo, PERIOD, 1, 0):
        pool.pay(cmo, PERIOD, 5, {"from": funded})


def test_pay_reverts_without_allowance(pool, token, cmo, governor, rando):
    from brownie import reverts

    token.mint(rando, 100, {"from": governor})
    with reverts():
        pool.pay(cmo, PERIOD, 100, {"from": rando})


# --- R86: closing a period ----------------------------------------------------------------


def test_close_period_fixes_commission(pool, cmo, governor, funded):
    pool.pay(cmo, PERIOD, 100, {"from": funded})
    tx = pool.closePeriod(PERIOD, {"from": cmo})
    pool.setCommission(4000, {"from": governor})
    assert tx.events["PeriodClosed"]["paidIn"] == 100 and tx.events["PeriodClosed"]["commissionBps"] == 1000
    assert pool.pool(cmo, PERIOD)[1] == 1000


def test_close_period_reverts_when_caller_not_cmo(pool, rando, role, err):
    with err.unauthorized(rando, role.CMO):
        pool.closePeriod(PERIOD, {"from": rando})


def test_close_period_reverts_when_closed_twice(pool, cmo, err):
    pool.closePeriod(PERIOD, {"from": cmo})
    with err.reverts_with(WRONG_STATE, cmo, PERIOD, 1, 0):
        pool.closePeriod(PERIOD, {"from": cmo})


# --- R87: publishing a distribution -------------------------------------------------------


def test_publish_pays_commission_and_shows_residue(pool, token, cmo, funded, author, coauthor):
    distributed(pool, cmo, funded, [(author, 5000), (coauthor, 3999)], paid=10_000)
    p = pool.pool(cmo, PERIOD)
    assert p[0] == 2 and p[7] == 1000 and p[8] == 8999 and p[9] == 1  # commission, total, residue
    assert token.balanceOf(cmo) == 1000 and token.balanceOf(pool) == 9000
    assert pool.carryOf(cmo) == 1  # the residue carries into the CMO's next period


def test_publish_reverts_when_total_exceeds_net(pool, cmo, funded, err):
    pool.pay(cmo, PERIOD, 10_000, {"from": funded})
    pool.closePeriod(PERIOD, {"from": cmo})
    with err.reverts_with("RoyaltyPool__DistributionMismatch(uint256,uint256,uint256,uint256)", 10_000, 1000, 9001, 0):
        pool.publishDistribution(PERIOD, b"\x01" * 32, 9001, CID, {"from": cmo})


def test_publish_reverts_when_period_open(pool, cmo, err):
    with err.reverts_with(WRONG_STATE, cmo, PERIOD, 0, 1):
        pool.publishDistribution(PERIOD, b"\x01" * 32, 0, CID, {"from": cmo})


def test_publish_reverts_when_caller_not_cmo(pool, rando, role, err):
    with err.unauthorized(rando, role.CMO):
        pool.publishDistribution(PERIOD, b"\x01" * 32, 0, CID, {"from": rando})


def test_publish_reverts_when_root_zero_with_total(pool, cmo, funded, err):
    pool.pay(cmo, PERIOD, 100, {"from": funded})
    pool.closePeriod(PERIOD, {"from": cmo})
    with err.reverts_with("RoyaltyPool__EmptyRoot()"):
        pool.publishDistribution(PERIOD, b"\x00" * 32, 50, CID, {"from": cmo})


# --- R88-R90: claims ----------------------------------------------------------------------


def test_claim_pays_holder(pool, token, cmo, funded, author, coauthor):
    tree = distributed(pool, cmo, funded, [(author, 6000), (coauthor, 3000)])
    tx = pool.claim(cmo, PERIOD, 6000, tree.proof(0), {"from": author})
    assert tx.events["Claimed"]["amount"] == 6000 and token.balanceOf(author) == 6000
    assert pool.isClaimed(cmo, PERIOD, author) and pool.pool(cmo, PERIOD)[10] == 6000
    assert pool.verifyClaim(cmo, PERIOD, coauthor, 3000, tree.proof(1))


def test_claim_reverts_when_claimed_twice(pool, cmo, funded, author, coauthor, err):
    tree = distributed(pool, cmo, funded, [(author, 6000), (coauthor, 3000)])
    pool.claim(cmo, PERIOD, 6000, tree.proof(0), {"from": author})
    with err.reverts_with("RoyaltyPool__AlreadyClaimed(address,uint32,address)", cmo, PERIOD, author):
        pool.claim(cmo, PERIOD, 6000, tree.proof(0), {"from": author})


def test_claim_reverts_when_claiming_anothers_amount(pool, cmo, funded, author, coauthor, rando, err):
    tree = distributed(pool, cmo, funded, [(author, 6000), (coauthor, 3000)])
    with err.reverts_with("RoyaltyPool__InvalidProof(address,uint32,address,uint256)", cmo, PERIOD, rando, 6000):
        pool.claim(cmo, PERIOD, 6000, tree.proof(0), {"from": rando})
    with err.reverts_with("RoyaltyPool__InvalidProof(address,uint32,address,uint256)", cmo, PERIOD, coauthor, 6000):
        pool.claim(cmo, PERIOD, 6000, tree.proof(0), {"from": coauthor})


def test_claim_reverts_when_amount_tampered(pool, cmo, funded, author, coauthor, err):
    tree = distributed(pool, cmo, funded, [(author, 6000), (coauthor, 3000)])
    with err.reverts_with("RoyaltyPool__InvalidProof(address,uint32,address,uint256)", cmo, PERIOD, author, 6001):
        pool.claim(cmo, PERIOD, 6001, tree.proof(0), {"from": author})


def test_claim_reverts_when_not_distributed(pool, cmo, author, err):
    with err.reverts_with(WRONG_STATE, cmo, PERIOD, 0, 2):
        pool.claim(cmo, PERIOD, 1, [], {"from": author})


def test_claim_reverts_when_exceeding_published_total(pool, cmo, funded, author, coauthor, err):
    # a (wrong) root whose leaves sum above the published total cannot drain other pools
    pool.pay(cmo, PERIOD, 10_000, {"from": funded})
    pool.closePeriod(PERIOD, {"from": cmo})
    tree = claim_tree(cmo, PERIOD, [(author, 6000), (coauthor, 3000)])
    pool.publishDistribution(PERIOD, tree.root, 7000, CID, {"from": cmo})
    pool.claim(cmo, PERIOD, 6000, tree.proof(0), {"from": author})
    with err.reverts_with("RoyaltyPool__ClaimExceedsTotal(uint256,uint256,uint256)", 6000, 3000, 7000):
        pool.claim(cmo, PERIOD, 3000, tree.proof(1), {"from": coauthor})


def test_claim_leaf_matches_python(pool, cmo, author):
    expected = leaf_hash(CLAIM_TYPES, (str(cmo), PERIOD, str(author), 77))
    assert pool.claimLeaf(cmo, PERIOD, author, 77) == "0x" + expected.hex()


def test_usage_leaf_matches_python(pool):
    ln = line(3, qty=2**63, owed=2**127)
    assert pool.usageLeaf(ln) == "0x" + leaf_hash(LEAF_TYPES, ln).hex()


def test_merkle_single_and_odd_trees_match_openzeppelin():
    one = MerkleTree.build([b"\x01" * 32])
    assert one.root == b"\x01" * 32 and one.proof(0) == []
    leaves = [keccak(bytes([i])) for i in range(7)]
    tree = MerkleTree.build(leaves)
    for i, leaf in enumerate(leaves):
        assert process_proof(leaf, tree.proof(i)) == tree.root


# --- R91: conservation (example; the stateful test covers random sequences) ---------------


def test_money_conserved_after_claims(pool, token, cmo, funded, author, coauthor):
    tree = distributed(pool, cmo, funded, [(author, 4500), (coauthor, 4499)], paid=10_000)
    pool.claim(cmo, PERIOD, 4500, tree.proof(0), {"from": author})
    p = pool.pool(cmo, PERIOD)
    held = p[6] - p[10] - p[7]
    assert token.balanceOf(pool) == held == 4499 + 1
    assert p[6] == p[10] + p[7] + held
    assert held == (p[8] - p[10]) + pool.carryOf(cmo)  # unclaimed + carry: nothing is locked


def test_periods_are_separate_pools(pool, cmo, funded, author, err):
    tree = distributed(pool, cmo, funded, [(author, 900)], paid=1000, period=1)
    pool.pay(cmo, 2, 1000, {"from": funded})
    with err.reverts_with(WRONG_STATE, cmo, 2, 0, 2):
        pool.claim(cmo, 2, 900, tree.proof(0), {"from": author})
    # a proof for period 1 does not verify as period 2 (the leaf binds the period)
    pool.closePeriod(2, {"from": cmo})
    pool.publishDistribution(2, tree.root, 900, CID, {"from": cmo})
    with err.reverts_with("RoyaltyPool__InvalidProof(address,uint32,address,uint256)", cmo, 2, author, 900):
        pool.claim(cmo, 2, 900, tree.proof(0), {"from": author})


# --- R99a: nothing paid in is ever locked (issue 12, finding 1) ----------------------------------


def test_residue_carries_into_the_cmos_next_period(pool, token, cmo, funded, author):
    """The attack: a period's whole net sent into the residue, locked. Now it carries on."""
    before = pool.carryOf(cmo)
    pool.pay(cmo, 202701, 10_000, {"from": funded})
    pool.closePeriod(202701, {"from": cmo})
    pool.publishDistribution(202701, b"\x00" * 32, 0, CID, {"from": cmo})  # nothing eligible: all residue
    assert pool.carryOf(cmo) == before + 9000
    pool.pay(cmo, 202702, 1000, {"from": funded})
    tx = pool.closePeriod(202702, {"from": cmo})
    assert tx.events["CarryApplied"]["amount"] == before + 9000 and pool.carryOf(cmo) == 0
    p = pool.pool(cmo, 202702)
    assert p[12] == before + 9000  # carriedIn
    net = 1000 - 100 + before + 9000
    tree = claim_tree(cmo, 202702, [(author, net)])
    pool.publishDistribution(202702, tree.root, net, CID, {"from": cmo})
    bal = token.balanceOf(author)
    pool.claim(cmo, 202702, net, tree.proof(0), {"from": author})
    assert token.balanceOf(author) == bal + net


def test_publish_reverts_when_total_exceeds_net_with_carry(pool, cmo, funded, err):
    pool.pay(cmo, 202703, 1000, {"from": funded})
    pool.closePeriod(202703, {"from": cmo})
    carried = pool.pool(cmo, 202703)[12]
    with err.reverts_with("RoyaltyPool__DistributionMismatch(uint256,uint256,uint256,uint256)", 1000, 100,
                          900 + carried + 1, 0):
        pool.publishDistribution(202703, b"\x01" * 32, 900 + carried + 1, CID, {"from": cmo})


def test_sweep_reverts_inside_the_claim_window(pool, cmo, funded, author, err):
    distributed(pool, cmo, funded, [(author, 100)], paid=1000, period=202704)
    opens = pool.pool(cmo, 202704)[13] + pool.CLAIM_WINDOW()
    with err.reverts_with("RoyaltyPool__ClaimWindowOpen(address,uint32,uint40)", cmo, 202704, opens):
        pool.sweepUnclaimed(202704, {"from": cmo})


def test_sweep_after_the_window_moves_unclaimed_to_carry_and_closes_claims(pool, cmo, funded, author, err):
    from brownie import chain

    distributed(pool, cmo, funded, [(author, 100)], paid=1000, period=202704)
    chain.sleep(pool.CLAIM_WINDOW() + 1)
    chain.mine()
    before = pool.carryOf(cmo)
    tx = pool.sweepUnclaimed(202704, {"from": cmo})
    assert tx.events["UnclaimedSwept"]["amount"] == 100 and pool.carryOf(cmo) == before + 100
    assert before == 1000 - 100 - 100  # this period's residue was carried at publish
    assert pool.pool(cmo, 202704)[0] == 3
    tree = claim_tree(cmo, 202704, [(author, 100)])
    with err.reverts_with(WRONG_STATE, cmo, 202704, 3, 2):
        pool.claim(cmo, 202704, 100, tree.proof(0), {"from": author})


def test_sweep_reverts_when_caller_has_no_distributed_period(pool, rando, err):
    with err.reverts_with(WRONG_STATE, rando, 202704, 0, 2):
        pool.sweepUnclaimed(202704, {"from": rando})
