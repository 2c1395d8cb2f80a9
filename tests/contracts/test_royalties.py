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


@pytest.fixture(scope="module")
def token(roles, governor):
    from brownie import SettlementToken

    return SettlementToken.deploy(roles, {"from": governor})


@pytest.fixture(scope="module")
def pool(roles, token, governor):
    from brownie import RoyaltyPool

    return RoyaltyPool.deploy(roles, token, 1000, {"from": governor})


@pytest.fixture(scope="module")
def funded(token, pool, governor, licensee):
    token.mint(licensee, 10**12, {"from": governor})
    token.approve(pool, 2**255, {"from": licensee})
    return licensee


def line(i=0, work="0x" + "ab" * 32, use=4, qty=10, at=1_700_000_000, lid=1, kind=1, owed=1000):
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
    with err.reverts_with("RoyaltyPool__InvalidLine(uint32,bytes32,uint64)", 0, "0x" + "ab" * 32, 0):
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
