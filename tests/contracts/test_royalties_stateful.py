"""Invariant: money is conserved in every pool over random sequences of actions (R91, R91a, R90).

For every (cmo, period): what can ever be claimed (the published total) never exceeds
paidIn - commission + carriedIn, claims never exceed it, and paidIn + carriedIn = commission +
distributed + residue; the token balance of the contract is exactly what open and closed pools
hold, plus the unclaimed part of distributions, plus the CMO's carry (residues and sweeps, taken
into its next closed period): nothing paid in is unrecoverable. Nobody claims twice or above the
published total; a total above the net, or a sweep inside the claim window, reverts.
``ROYALTY_STATEFUL_EXAMPLES`` (default 30) and ``ROYALTY_STATEFUL_STEPS`` (default
20) size the run. Driven like tests/contracts/test_invariants_stateful.py: hypothesis'
RuleBasedStateMachine over one chain snapshot, because Brownie 1.22's mypyc-compiled
``state_machine`` rejects the subclass it generates.
"""

from __future__ import annotations

import os

import brownie
import pytest
from brownie import chain
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ledger.content.merkle import MerkleTree, leaf_hash
from tests.fixtures.stateful import fresh_example

CLAIM_TYPES = ("address", "uint32", "address", "uint256")
CID = b"\x01\x55\x12\x20" + b"\x22" * 32
PERIODS = (1, 2, 3)
PERIOD_IX = st.integers(0, len(PERIODS) - 1)


@pytest.fixture(scope="module")
def pool(roles, registry, token, governor):
    from brownie import CoverageLens, LicenceRegistry, RoyaltyPool

    licences = LicenceRegistry.deploy(roles, registry, {"from": governor})
    lens = CoverageLens.deploy(licences, registry, {"from": governor})
    return RoyaltyPool.deploy(roles, token, 1000, lens, {"from": governor})


class Conservation(RuleBasedStateMachine):
    """Bind the contracts and accounts with `bind(...)` before running."""

    @classmethod
    def bind(cls, pool, token, governor, cmo, payers, holders):
        cls.pool, cls.token, cls.governor, cls.cmo = pool, token, governor, cmo
        cls.payers, cls.holders = payers, holders

    def __init__(self):
        super().__init__()
        fresh_example()  # every run starts from the snapshot taken by the test
        self.trees: dict[int, tuple[MerkleTree | None, list[tuple[str, int]]]] = {}
        self.claimed: set[tuple[int, str]] = set()
        self.paid_total = 0  # every token ever paid in
        self.commission_total = 0
        self.claimed_total = 0

    def _state(self, period):
        return int(self.pool.pool(self.cmo, period)[0])

    @rule(period=PERIOD_IX, amount=st.integers(1, 10**9), payer=st.integers(0, 1))
    def pay(self, period, amount, payer):
        p = PERIODS[period]
        if self._state(p) == 0:
            self.pool.pay(self.cmo, p, amount, {"from": self.payers[payer]})
            self.paid_total += amount
        else:
            with brownie.reverts():
                self.pool.pay(self.cmo, p, amount, {"from": self.payers[payer]})

    @rule(bps=st.integers(0, 5000))
    def set_commission(self, bps):
        self.pool.setCommission(bps, {"from": self.governor})

    @rule(period=PERIOD_IX)
    def close(self, period):
        p = PERIODS[period]
        if self._state(p) == 0:
            self.pool.closePeriod(p, {"from": self.cmo})

    @rule(period=PERIOD_IX, split=st.integers(0, 10_000))
    def publish(self, period, split):
        p = PERIODS[period]
        if self._state(p) != 1:
            return
        view = self.pool.pool(self.cmo, p)
        commission = int(view[6]) * int(view[1]) // 10_000
        net = int(view[6]) - commission + int(view[12])
        with brownie.reverts():  # more than paid in - commission + carried in can never be published
            self.pool.publishDistribution(p, b"\x01" * 32, net + 1, CID, {"from": self.cmo})
        a = net * split // 10_000
        b = (net - a) * 2 // 3  # leaves a residue on purpose
        entries = [(str(h), amt) for h, amt in zip(self.holders, (a, b), strict=False) if amt > 0]
        tree = (MerkleTree.build([leaf_hash(CLAIM_TYPES, (str(self.cmo), p, h, amt)) for h, amt in entries])
                if entries else None)
        self.pool.publishDistribution(p, tree.root if tree else b"\x00" * 32, a + b, CID, {"from": self.cmo})
        self.trees[p] = (tree, entries)
        self.commission_total += commission

    @rule(period=PERIOD_IX, wait=st.booleans())
    def sweep(self, period, wait):
        p = PERIODS[period]
        if self._state(p) != 2:
            return
        if wait:
            chain.sleep(int(self.pool.CLAIM_WINDOW()) + 1)
            chain.mine()
        opens = int(self.pool.pool(self.cmo, p)[13]) + int(self.pool.CLAIM_WINDOW())
        if chain.time() < opens - 5:
            with brownie.reverts():
                self.pool.sweepUnclaimed(p, {"from": self.cmo})
        elif chain.time() >= opens:
            self.pool.sweepUnclaimed(p, {"from": self.cmo})

    @rule(period=PERIOD_IX, entry=st.integers(0, 1), who=st.integers(0, 2))
    def claim(self, period, entry, who):
        p = PERIODS[period]
        if p not in self.trees or self.trees[p][0] is None:
            return
        tree, entries = self.trees[p]
        i = entry % len(entries)
        account, amount = entries[i]
        sender = self.holders[who] if who < len(self.holders) else self.payers[1]
        if str(sender) != account or (p, account) in self.claimed:
            with brownie.reverts():  # another's amount, or a second claim
                self.pool.claim(self.cmo, p, amount, tree.proof(i), {"from": sender})
            return
        if self._state(p) != 2:  # swept: claims are closed
            with brownie.reverts():
                self.pool.claim(self.cmo, p, amount, tree.proof(i), {"from": sender})
            return
        self.pool.claim(self.cmo, p, amount, tree.proof(i), {"from": sender})
        self.claimed.add((p, account))
        self.claimed_total += amount

    @invariant()
    def invariant_money_conserved(self):
        recoverable = int(self.pool.carryOf(self.cmo))
        for p in PERIODS:
            v = self.pool.pool(self.cmo, p)
            state = int(v[0])
            paid_in, commission, distributed, residue, claimed = (int(v[i]) for i in (6, 7, 8, 9, 10))
            carried_in = int(v[12])
            assert claimed <= distributed
            if state >= 2:  # what can ever be claimed is bounded by what came in, minus commission
                assert distributed <= paid_in - commission + carried_in
                assert commission + distributed + residue == paid_in + carried_in
            recoverable += (paid_in + carried_in if state < 2 else distributed - claimed if state == 2 else 0)
        balance = int(self.token.balanceOf(self.pool))
        # every token in the contract is either still to be distributed, claimable, or the CMO's carry
        assert balance == recoverable
        # and every token ever paid in is in the contract, went to the CMO as commission, or was claimed
        assert self.paid_total == balance + self.commission_total + self.claimed_total


def test_money_conserved_under_random_actions(pool, token, governor, cmo, licensee, rando, author, coauthor):
    for payer in (licensee, rando):
        token.mint(payer, 10**15, {"from": governor})
        token.approve(pool, 2**255, {"from": payer})
    Conservation.bind(pool, token, governor, cmo, (licensee, rando), (author, coauthor))
    chain.snapshot()
    run_state_machine_as_test(
        Conservation,
        settings=settings(
            max_examples=int(os.environ.get("ROYALTY_STATEFUL_EXAMPLES", "30")),
            stateful_step_count=int(os.environ.get("ROYALTY_STATEFUL_STEPS", "20")),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
