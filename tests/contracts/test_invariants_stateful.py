"""Stateful test of WorkRegistry (SPECIFICATION.md I1, I2, I4, I5, I6).

Hypothesis drives random sequences of register / confirm / reject / transfer (with and
without co-owner consent) / dispute-open / dispute-resolve over a small pool of content
hashes and accounts. A Python model predicts every outcome: an action the model allows
must succeed, one it forbids must revert with the exact custom error. After every step
the invariants compare the model with the chain.

Size: STATEFUL_EXAMPLES (default 20) runs of STATEFUL_STEPS (default 20) steps each.

This is hypothesis' RuleBasedStateMachine driven the way `brownie.test.state_machine`
drives it (one chain snapshot, reverted at the start of every run). Brownie 1.22.2's own
`state_machine` cannot be used: its mypyc-compiled `_BrownieStateMachine` rejects the
subclass it generates ("_BrownieStateMachine object expected; got ...BrownieStateMachine").
"""

import os
from collections import Counter

from brownie import chain
from hypothesis import HealthCheck, settings
from hypothesis import event as _hypothesis_event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.fixtures.models import after_transfer
from tests.fixtures.stateful import fresh_example

N_WORKS = 3
N_PEOPLE = 4  # author, coauthor (verified holders), spare[0], spare[1] (no role)
WHOLE = 10_000
NONE, PENDING, CONFIRMED, REJECTED, DISPUTED, REVOKED = range(6)

SEEN: Counter = Counter()  # successful actions by kind over the whole run


def event(kind: str) -> None:
    SEEN[kind] += 1
    _hypothesis_event(kind)


EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("STATEFUL_STEPS", "20"))


@st.composite
def _splits(draw):
    """1..3 distinct people (indices) with shares that sum to 10000."""
    people = draw(st.lists(st.integers(0, N_PEOPLE - 1), min_size=1, max_size=3, unique=True))
    cuts = draw(st.lists(st.integers(1, WHOLE - 1), min_size=len(people) - 1, max_size=len(people) - 1, unique=True))
    bounds = [0, *sorted(cuts), WHOLE]
    return [(p, bounds[i + 1] - bounds[i]) for i, p in enumerate(people)]




seed = st.integers(0, 15)
aim = st.integers(0, 3)  # 0: any work (mostly invalid actions); 1-3: a work where the action fits
split = _splits()
person = st.integers(0, N_PEOPLE - 1)
other = st.integers(1, N_PEOPLE - 1)
amount = st.integers(1, WHOLE)
flag = st.booleans()
outcome_code = st.integers(0, 4)  # 0 and 4 are invalid


class RegistryMachine(RuleBasedStateMachine):
    """Set the class attributes with `bind(...)` before running."""

    @classmethod
    def bind(cls, registry, registrar, cmo, people, err, kit):
        cls.registry = registry
        cls.registrar = registrar
        cls.cmo = cmo
        cls.people = people
        cls.by_address = {str(p): p for p in people}
        cls.err = err
        cls.kit = kit
        cls.ids = [kit.content_hash(f"stateful-work-{i}") for i in range(N_WORKS)]

    def __init__(self):
        fresh_example()  # every run starts from the snapshot taken by the test
        super().__init__()
        self.status = {wid: NONE for wid in self.ids}
        self.holders = {wid: [] for wid in self.ids}  # [(address, bps)] in contract order
        self.dispute = {wid: 0 for wid in self.ids}
        self.disputes_opened = 0
        self.claims = {wid: 0 for wid in self.ids}  # competing claims on the PENDING registration
        self.claim = {wid: None for wid in self.ids}  # the CMO's current claim (a registration tuple)
        self.barred = {wid: {} for wid in self.ids}  # {address: until} after a rejection or dismissal

    # --- helpers ----------------------------------------------------------------------

    def _pick(self, seed, aim, *statuses):
        """A work in one of `statuses` when `aim` is non-zero and one exists; else any work."""
        if aim:
            candidates = [w for w in self.ids if self.status[w] in statuses]
            if candidates:
                return candidates[seed % len(candidates)]
        return self.ids[seed % N_WORKS]

    def _registration(self, wid, split):
        i = self.ids.index(wid)
        holders = [(self.people[p], bps) for p, bps in split]
        return (wid, self.kit.cid_for(f"meta-{i}"), 1 + i % 6, 1 + i % 3, holders)

    def _expect_status(self, wid, expected):
        """Revert expected when `wid` is not in status `expected` (None when it is)."""
        current = self.status[wid]
        if current == expected:
            return None
        if current == NONE:
            return self.err.reverts_with("WorkRegistry__NotFound(bytes32)", wid)
        return self.err.reverts_with("WorkRegistry__WrongStatus(bytes32,uint8,uint8)", wid, current, expected)

    def _expect_bar(self, wid, accounts):
        """ReclaimBarred for the first barred account (no time passes in a run: bars hold)."""
        for a in accounts:
            if str(a) in self.barred[wid]:
                return self.err.reverts_with("WorkRegistry__ReclaimBarred(bytes32,address,uint40)", wid, a,
                                             self.barred[wid][str(a)])
        return None

    def _expect_uncontested(self, wid):
        if self.claims[wid]:
            return self.err.reverts_with("WorkRegistry__ClaimsCompeting(bytes32,uint8)", wid, self.claims[wid])
        return None

    # --- rules ------------------------------------------------------------------------

    @initialize(split=split)
    def init_confirmed_work(self, split):
        """Start every run with one CONFIRMED work so transfers and disputes happen early."""
        wid = self.ids[0]
        self.registry.register(self._registration(wid, split), {"from": self.cmo})
        self.registry.confirm(wid, {"from": self.registrar})
        self.status[wid] = CONFIRMED
        self.holders[wid] = [(str(self.people[p]), bps) for p, bps in split]

    @rule(seed=seed, aim=aim, split=split, flag=flag)
    def rule_register(self, seed, aim, split, flag):
        wid = self._pick(seed, aim, NONE, REJECTED)
        r = self._registration(wid, split)
        listed = [str(a) for a, _ in r[4]]
        sender = self.people[0] if flag and str(self.people[0]) in listed else self.cmo
        barred = self._expect_bar(wid, [sender, *[a for a, _ in r[4]]]) if self.status[wid] == REJECTED else None
        if barred is not None:
            with barred:
                self.registry.register(r, {"from": sender})
            event("register: refused, barred after rejection")
        elif self.status[wid] in (NONE, REJECTED):
            self.registry.register(r, {"from": sender})
            event("register: ok" if self.status[wid] == NONE else "register: ok after rejection")
            self.status[wid] = PENDING
            self.holders[wid] = [(str(a), bps) for a, bps in r[4]]
        else:
            with self.err.reverts_with("WorkRegistry__AlreadyRegistered(bytes32,uint8)", wid, self.status[wid]):
                self.registry.register(r, {"from": sender})

    @rule(seed=seed, aim=aim)
    def rule_confirm(self, seed, aim):
        wid = self._pick(seed, aim, PENDING)
        expected = self._expect_status(wid, PENDING) or self._expect_uncontested(wid)
        if expected is None:
            self.registry.confirm(wid, {"from": self.registrar})
            event("confirm: ok")
            self.status[wid] = CONFIRMED
        else:
            with expected:
                self.registry.confirm(wid, {"from": self.registrar})

    @rule(seed=seed, aim=aim, amount=amount)
    def rule_reject(self, seed, aim, amount):
        wid = self._pick(seed, aim, PENDING)
        expected = self._expect_status(wid, PENDING) or self._expect_uncontested(wid)
        reason = self.kit.cid_for(f"reason-{amount}")
        if expected is None:
            tx = self.registry.reject(wid, amount % 2**16, reason, {"from": self.registrar})
            event("reject: ok")
            self.status[wid] = REJECTED
            until = tx.timestamp + self.registry.RECLAIM_DELAY()
            self.barred[wid].update({a: until for a, _ in self.holders[wid]})
            self.claim[wid] = None
        else:
            with expected:
                self.registry.reject(wid, amount % 2**16, reason, {"from": self.registrar})

    @rule(seed=seed, aim=aim, split=split, flag=flag, amount=amount)
    def rule_file_claim(self, seed, aim, split, flag, amount):
        """The CMO files a competing claim; then the registrar awards it (flag), dismisses it
        (aim > 1) or leaves the work contested."""
        wid = self._pick(seed, aim, PENDING)
        i = self.ids.index(wid)
        r = (wid, self.kit.cid_for(f"claim-{i}-{amount % 3}"), 1 + i % 6, 1 + i % 3,
             [(self.people[p], bps) for p, bps in split])
        expected = self._expect_status(wid, PENDING)
        if expected is None:
            expected = self._expect_bar(wid, [self.cmo, *[a for a, _ in r[4]]])
        if expected is None and self.claim[wid] == r:
            expected = self.err.reverts_with("WorkRegistry__ClaimAlreadyFiled(bytes32,address)", wid, self.cmo)
        if expected is not None:
            with expected:
                self.registry.fileClaim(r, {"from": self.cmo})
            return
        self.registry.fileClaim(r, {"from": self.cmo})
        self.claims[wid] = min(self.claims[wid] + 1, 255)
        self.claim[wid] = r
        if flag:
            self.registry.awardClaim(self.cmo, r, {"from": self.registrar})
            event("claim: filed and awarded")
            self.status[wid] = CONFIRMED
            self.holders[wid] = [(str(a), bps) for a, bps in r[4]]
            self.claims[wid], self.claim[wid] = 0, None
        elif aim > 1:
            tx = self.registry.dismissClaims(wid, [self.cmo], 1, self.kit.cid_for("why"), {"from": self.registrar})
            event("claim: filed and dismissed")
            self.barred[wid][str(self.cmo)] = tx.timestamp + self.registry.RECLAIM_DELAY()
            self.claims[wid], self.claim[wid] = 0, None
        else:
            event("claim: filed, work contested")

    @rule(seed=seed, aim=aim, person=person, other=other, amount=amount, flag=flag)
    def rule_transfer(self, seed, aim, person, other, amount, flag):
        wid = self._pick(seed, aim, CONFIRMED)
        sender = self.people[person]
        if aim and self.status[wid] == CONFIRMED:  # aim at a real holder of the work
            holder = self.holders[wid][person % len(self.holders[wid])][0]
            sender = self.by_address[holder]
        to = self.people[(self.people.index(sender) + other) % N_PEOPLE]
        held = dict(self.holders[wid]).get(str(sender), 0) if self.status[wid] != NONE else 0
        bps = 1 + (amount - 1) % held if held else amount
        if amount > WHOLE // 2 and held:
            bps = held  # give the whole share away half the time
        expected = self._expect_status(wid, CONFIRMED)
        if expected is None and not held:
            expected = self.err.reverts_with("WorkRegistry__NotAHolder(bytes32,address)", wid, sender)
        others = [a for a, _ in self.holders[wid] if a != str(sender)]
        if expected is None and others:
            action = self.registry.transferActionHash(wid, sender, to, bps)
            if flag or aim > 1:
                for acct in others:
                    self.registry.consent(wid, action, {"from": self.by_address[acct]})
            else:
                expected = self.err.reverts_with(
                    "WorkRegistry__ConsentMissing(bytes32,address,bytes32)", wid, others[0], action
                )
        if expected is None:
            self.registry.transferShare(wid, to, bps, {"from": sender})
            event("transfer: ok, co-owned" if others else "transfer: ok, sole holder")
            self.holders[wid] = after_transfer(self.holders[wid], str(sender), str(to), bps)
        else:
            with expected:
                self.registry.transferShare(wid, to, bps, {"from": sender})

    @rule(seed=seed, aim=aim, flag=flag)
    def rule_open_dispute(self, seed, aim, flag):
        wid = self._pick(seed, aim, CONFIRMED)
        claimant = self.cmo if flag else self.people[1]
        expected = self._expect_status(wid, CONFIRMED)
        evidence = self.kit.cid_for(f"evidence-{self.disputes_opened}")
        if expected is None:
            tx = self.registry.openDispute(wid, evidence, {"from": claimant})
            self.disputes_opened += 1
            assert tx.return_value == self.disputes_opened
            event("dispute: opened")
            self.status[wid] = DISPUTED
            self.dispute[wid] = self.disputes_opened
        else:
            with expected:
                self.registry.openDispute(wid, evidence, {"from": claimant})

    @rule(seed=seed, aim=aim, outcome_code=outcome_code, split=split)
    def rule_resolve_dispute(self, seed, aim, outcome_code, split):
        wid = self._pick(seed, aim, DISPUTED)
        new_holders = [(self.people[p], bps) for p, bps in split]
        args = (wid, outcome_code, new_holders, 1, self.kit.cid_for("ruling"), {"from": self.registrar})
        expected = self._expect_status(wid, DISPUTED)
        if expected is None and outcome_code not in (1, 2, 3):
            expected = self.err.reverts_with("WorkRegistry__InvalidOutcome(uint8)", outcome_code)
        if expected is None:
            self.registry.resolveDispute(*args)
            event(f"dispute: resolved with outcome {outcome_code}")
            self.status[wid] = REVOKED if outcome_code == 3 else CONFIRMED
            self.dispute[wid] = 0
            if outcome_code == 2:
                self.holders[wid] = [(str(a), bps) for a, bps in new_holders]
        else:
            with expected:
                self.registry.resolveDispute(*args)

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def invariant_status_matches_model(self):
        assert [int(s) for s in self.registry.statusesOf(self.ids)] == [self.status[w] for w in self.ids]

    @invariant()
    def invariant_holders_match_model_and_sum_to_whole(self):
        for wid in self.ids:
            if self.status[wid] == NONE:
                continue
            on_chain = [(str(h[0]), int(h[1])) for h in self.registry.holdersOf(wid)]
            assert set(on_chain) == set(self.holders[wid]), wid
            assert sum(bps for _, bps in on_chain) == WHOLE, wid
            assert len({a for a, _ in on_chain}) == len(on_chain), wid
            assert all(bps > 0 for _, bps in on_chain), wid

    @invariant()
    def invariant_work_view_consistent(self):
        for wid in self.ids:
            view = self.registry.getWork(wid)
            assert view["holderCount"] == len(self.holders[wid]), wid
            assert view["openDispute"] == self.dispute[wid], wid
            assert (view["openDispute"] != 0) == (self.status[wid] == DISPUTED), wid
            assert view["competingClaims"] == self.claims[wid], wid
            assert (view["disputeOpenedAt"] != 0) == (self.status[wid] == DISPUTED), wid


def test_registry_invariants_hold_under_random_actions(registry, registrar, cmo, author, coauthor, spare, err, kit):
    RegistryMachine.bind(registry, registrar, cmo, [author, coauthor, spare[0], spare[1]], err, kit)
    chain.snapshot()
    run_state_machine_as_test(
        RegistryMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    print("successful actions:", dict(SEEN))
