"""Stateful test of LicenceRegistry with WorkRegistry (SPECIFICATION.md R66-R76, I1, I5).

Hypothesis drives random sequences of exclusive and non-exclusive grants (with and without
co-owner consent), suspend / resume / revoke (by the licensor or by someone else), share
transfers (WorkRegistry.transferShare, with and without consent), dispute open / resolve,
time passing and coverage questions, over a small universe:

- 4 CONFIRMED works: W0 author alone, W1 author 6000 + coauthor 4000, W2 author, coauthor
  and spare[0], W3 coauthor alone;
- licensors: author, coauthor, spare[0], spare[1] (whoever holds a share may grant);
  licensees: `licensee` and `rando` (given LICENSEE_ROLE here);
- uses {perform, ai-training, both}; territories {CN, worldwide, FR};
- terms from a small set of starts and ends relative to the chain time T0 at the start of
  each run; time moves on by 1300 s steps, so no end is ever within a few minutes of "now"
  and a grant's InvalidTerm / an exclusive licence's "ended" is predicted exactly.

A Python model predicts every outcome: an action the model allows must succeed, one it
forbids must revert with the exact custom error (a conflicting exclusive grant with
LicenceRegistry__ExclusiveConflict naming the licence the contract's live list finds first).
After every step:

1. no two live (not revoked, not ended) exclusive licences read through `licence(id)` for
   ids 1..licenceCount overlap in work, use, territory and time (R72), and every licence
   equals the model's;
2. the holder shares of every work sum to 10000 (I1);
3. `holdersOf` equals the model's holders, which only the transfer and resolve-dispute rules
   change (I5): granting and lifecycle changes never move ownership;
4. `coverage(work, licensee, use, territory, at)` equals the model of SPECIFICATION.md "How a
   coverage question is answered" for a few questions (targeted at the last licence touched,
   plus pseudo-random ones; times before, inside and after terms and around suspensions and
   revocations). A rule asks further hypothesis-chosen questions.

Size: LICENCE_STATEFUL_EXAMPLES (default 20) runs of LICENCE_STATEFUL_STEPS (default 15)
steps each, e.g. ``LICENCE_STATEFUL_EXAMPLES=200 LICENCE_STATEFUL_STEPS=40``.
LICENCE_STATEFUL_RANDOM=1 draws new sequences (by default they are derandomized, the same on every run).

Driven like tests/contracts/test_invariants_stateful.py: hypothesis' RuleBasedStateMachine
over one chain snapshot, reverted at the start of every run, because Brownie 1.22.2's
mypyc-compiled `state_machine` rejects the subclass it generates.
"""

import os
import random
from collections import Counter

from brownie import CoverageLens, LicenceRegistry, chain, web3
from hypothesis import HealthCheck, settings
from hypothesis import event as _hypothesis_event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from ledger.core.types import USES
from ledger.domain.licensing import FOREVER
from tests.fixtures.models import after_transfer
from tests.fixtures.stateful import fresh_example

EXAMPLES = int(os.environ.get("LICENCE_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("LICENCE_STATEFUL_STEPS", "15"))

WHOLE = 10_000
NONE_, PENDING, CONFIRMED, REJECTED, DISPUTED, REVOKED_WORK = range(6)
ACTIVE, SUSPENDED, REVOKED = 1, 2, 3
PERFORM, AI = USES["perform"], USES["ai-training"]
USE_MASKS = (PERFORM, AI, PERFORM | AI)
TERRITORIES = (b"CN", b"", b"FR")  # b"" is worldwide
QUESTION_TERRITORIES = (b"CN", b"FR", b"\x00\x00")  # 0x0000: unspecified
STARTS = (-500, 0, 1000, 2000)  # relative to T0
ENDS = (1000, 2000, 3000, None)  # relative to T0; None: FOREVER
SLEEP = 1300
QUESTION_TIMES = (-200, 500, 1500, 2500, 3500)  # relative to T0
MAX_LIVE_EXCLUSIVE = 16
CID = b"\x01\x55\x12\x20" + b"\x33" * 32
W_COVERED, K_WORK = 0, 1
R_NONE, R_REVOKED, R_SUSPENDED, R_NOT_YET, R_EXPIRED, R_TERRITORY, R_NOT_CONFIRMED = 1, 2, 3, 4, 5, 6, 9

EXCL_CONFLICT = "LicenceRegistry__ExclusiveConflict(bytes32,uint64)"

SEEN: Counter = Counter()  # successful actions by kind over the whole run


def event(kind: str) -> None:
    SEEN[kind] += 1
    _hypothesis_event(kind)




def _codes(territories: bytes) -> set:
    return {territories[i : i + 2] for i in range(0, len(territories), 2)}


def _at(log: list, at: int, default: int) -> int:
    """The value of the last (time, value) at or before `at` (later entries win)."""
    value = default
    for when, v in log:
        if when <= at:
            value = v
    return value


def _territories_overlap(a: bytes, b: bytes) -> bool:
    return not a or not b or bool(_codes(a) & _codes(b))


@st.composite
def _splits(draw):
    """1..3 distinct people (indices) with shares that sum to 10000."""
    people = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True))
    cuts = draw(st.lists(st.integers(1, WHOLE - 1), min_size=len(people) - 1, max_size=len(people) - 1, unique=True))
    bounds = [0, *sorted(cuts), WHOLE]
    return [(p, bounds[i + 1] - bounds[i]) for i, p in enumerate(people)]


seed = st.integers(0, 15)
aim = st.integers(0, 3)  # 0: any choice (often invalid); 1-3: a choice where the action fits
flag = st.booleans()
work_ix = st.integers(0, 3)
person = st.integers(0, 3)
licensee_ix = st.integers(0, 1)
uses_ix = st.integers(0, len(USE_MASKS) - 1)
territory_ix = st.integers(0, len(TERRITORIES) - 1)
start_ix = st.integers(0, len(STARTS) - 1)
end_ix = st.integers(0, len(ENDS) - 1)
amount = st.integers(1, WHOLE)
outcome_code = st.sampled_from([1, 1, 2, 2, 3])
split = _splits()


class LicenceMachine(RuleBasedStateMachine):
    """Set the class attributes with `bind(...)` before running."""

    @classmethod
    def bind(cls, licences, registry, registrar, cmo, people, licensees, works, err, kit):
        cls.licences = licences
        cls.registry = registry
        cls.registrar = registrar
        cls.cmo = cmo
        cls.people = people  # author, coauthor, spare[0], spare[1]
        cls.licensees = licensees
        cls.by_address = {str(a): a for a in [*people, *licensees, cmo, registrar]}
        cls.works = works  # [(workId, [(address, bps)])], all CONFIRMED at the snapshot
        cls.ids = [w for w, _ in works]
        cls.err = err
        cls.kit = kit

    def __init__(self):
        fresh_example()  # every run starts from the snapshot taken by the test
        super().__init__()
        self.t0 = chain.time()
        self.status = {wid: CONFIRMED for wid in self.ids}
        self.status_log = {wid: [] for wid in self.ids}  # [(block time, status)]: the status over time
        self.holders = {wid: list(h) for wid, h in self.works}  # [(address, bps)] in contract order
        self.lic = {}  # id -> dict(work, licensor, licensee, uses, start, end, exclusive, terr, state, ...)
        self.live = {wid: [] for wid in self.ids}  # the contract's _liveExclusive, swap-and-pop order kept
        self.consents = set()  # (workId, actionHash, address)
        self.last_touched = None
        self.steps = 0

    # --- helpers ----------------------------------------------------------------------

    def _now(self) -> int:
        return chain.time()

    def _latest(self) -> int:
        return web3.eth.get_block("latest").timestamp

    def _share(self, wid, acct) -> int:
        return dict(self.holders[wid]).get(str(acct), 0)

    def _terms(self, uses, start, end, exclusive, territories):
        return (1, uses, start, end, exclusive, 0, 0, territories, CID)

    def _expect_work_status(self, wid, expected):
        current = self.status[wid]
        if current == expected:
            return None
        return self.err.reverts_with("WorkRegistry__WrongStatus(bytes32,uint8,uint8)", wid, current, expected)

    def _coverage_model(self, wid, licensee, use, territory, at):
        """SPECIFICATION.md 'How a coverage question is answered' for this universe
        (no open licences, no tariffs, no CMOs, no reservations), every fact as it was at `at`."""
        status = _at(self.status_log[wid], at, CONFIRMED)
        if status not in (CONFIRMED, DISPUTED):
            return (False, 0, R_NOT_CONFIRMED, 0)
        best = (False, 0, R_NONE, 0)
        for lid in sorted(self.lic):
            lic = self.lic[lid]
            if lic["licensee"] != str(licensee):
                continue
            if lic["uses"] & use == 0 or lic["work"] != wid:
                reason = R_NONE
            elif _at(lic["states"], at, ACTIVE) == REVOKED:
                reason = R_REVOKED
            elif _at(lic["states"], at, ACTIVE) == SUSPENDED or status == DISPUTED:
                reason = R_SUSPENDED
            elif at < lic["start"]:
                reason = R_NOT_YET
            elif at >= lic["end"]:
                reason = R_EXPIRED
            elif lic["terr"] and territory not in _codes(lic["terr"]):
                reason = R_TERRITORY
            else:
                return (True, K_WORK, W_COVERED, lid)
            if reason > best[2]:
                best = (False, K_WORK, reason, lid)
        return best

    def _ask(self, wid, licensee, use, territory, at):
        got = self.kit.plain(self.lens.coverage(wid, licensee, use, "0x" + territory.hex(), at))
        want = self._coverage_model(wid, licensee, use, territory, at)
        assert got == want, (self.ids.index(wid), str(licensee), use, territory, at - self.t0, got, want)
        SEEN["coverage: covered" if got[0] else f"coverage: reason {got[2]}"] += 1
        return got

    # --- rules ------------------------------------------------------------------------

    grant_args = dict(
        w=work_ix,
        who=person,
        aim=aim,
        lee=licensee_ix,
        u=uses_ix,
        tr=territory_ix,
        s=start_ix,
        e=end_ix,
        consent=flag,
    )

    @rule(**grant_args)
    def rule_grant_exclusive(self, w, who, aim, lee, u, tr, s, e, consent):
        self._grant(w, who, aim, lee, u, tr, s, e, True, consent)

    @rule(**grant_args)
    def rule_grant_exclusive_rival(self, w, who, aim, lee, u, tr, s, e, consent):
        """An exclusive grant, with consent, on a work that already has a live exclusive licence."""
        self._grant(w, who, 3, lee, u, tr, s, e, True, consent)

    @rule(**grant_args)
    def rule_grant_non_exclusive(self, w, who, aim, lee, u, tr, s, e, consent):
        self._grant(w, who, aim, lee, u, tr, s, e, False, consent)

    @initialize(**grant_args, exclusive=flag)
    def init_grant(self, w, who, aim, lee, u, tr, s, e, consent, exclusive):
        """Start every run with one attempt aimed at success, so lifecycle rules have a target."""
        self._grant(w, who, max(aim, 2), lee, u, tr, s, e, exclusive, consent)

    def _grant(self, w, who, aim, lee, u, tr, s, e, exclusive, consent):
        now = self._now()
        wid = self.ids[w]
        if aim:  # aim at a CONFIRMED work when there is one
            confirmed = [x for x in self.ids if self.status[x] == CONFIRMED]
            wid = confirmed[w % len(confirmed)] if confirmed else wid
        rivals = [lic["work"] for lic in self.lic.values() if lic["exclusive"] and lic["state"] != REVOKED]
        if exclusive and aim == 3 and rivals:  # aim at a work that already has an exclusive licence
            wid = rivals[w % len(rivals)]
        licensor = self.people[who]
        if aim and self.holders[wid]:  # aim at a real holder of the work
            licensor = self.by_address[self.holders[wid][who % len(self.holders[wid])][0]]
        licensee = self.licensees[lee]
        start = self.t0 + STARTS[s]
        end = FOREVER if ENDS[e] is None else self.t0 + ENDS[e]
        if aim > 1 and (start >= end or end <= now):
            end = FOREVER
        terms = self._terms(USE_MASKS[u], start, end, exclusive, TERRITORIES[tr])
        others = [a for a, _ in self.holders[wid] if a != str(licensor)]

        expected, new_live = None, None
        if start >= end or end <= now:
            expected = self.err.reverts_with("LicenceRegistry__InvalidTerm(uint40,uint40)", start, end)
        elif self.status[wid] != CONFIRMED:
            expected = self.err.reverts_with("LicenceRegistry__WorkNotLicensable(bytes32,uint8)", wid, self.status[wid])
        elif not self._share(wid, licensor):
            expected = self.err.reverts_with("LicenceRegistry__NotAHolder(bytes32,address)", wid, licensor)
        elif exclusive:
            if others:
                action = str(self.licences.exclusiveActionHash(wid, licensor, licensee, terms))
                if consent or aim > 2:
                    for acct in others:
                        self.registry.consent(wid, action, {"from": self.by_address[acct]})
                        self.consents.add((wid, action, acct))
                if any((wid, action, acct) not in self.consents for acct in others):
                    expected = self.err.reverts_with("LicenceRegistry__ConsentMissing(bytes32,bytes32)", wid, action)
            if expected is None:
                live = list(self.live[wid])
                i = 0
                while i < len(live):
                    o = self.lic[live[i]]
                    if o["state"] == REVOKED or o["end"] <= now:
                        live[i] = live[-1]
                        live.pop()
                        continue
                    if (
                        o["uses"] & terms[1]
                        and o["start"] < end
                        and start < o["end"]
                        and _territories_overlap(o["terr"], terms[7])
                    ):
                        expected = self.err.reverts_with(EXCL_CONFLICT, wid, live[i])
                        event("grant: exclusive conflict")
                        break
                    i += 1
                if expected is None and len(live) >= MAX_LIVE_EXCLUSIVE:
                    expected = self.err.reverts_with(
                        "LicenceRegistry__TooManyExclusive(bytes32,uint256)", wid, MAX_LIVE_EXCLUSIVE
                    )
                new_live = live
        else:  # an active exclusive licence to someone else excludes an overlapping grant (R69a)
            for lid in self.live[wid]:
                o = self.lic[lid]
                if o["state"] == REVOKED or o["end"] <= now or o["licensee"] == str(licensee):
                    continue
                if o["uses"] & terms[1] and o["start"] < end and start < o["end"] and _territories_overlap(
                        o["terr"], terms[7]):
                    expected = self.err.reverts_with(EXCL_CONFLICT, wid, lid)
                    event("grant: non-exclusive excluded")
                    break

        if expected is not None:
            with expected:
                self.licences.grant(licensee, [wid], terms, {"from": licensor})
            return
        tx = self.licences.grant(licensee, [wid], terms, {"from": licensor})
        lid = len(self.lic) + 1
        assert tx.return_value == lid
        self.lic[lid] = dict(
            work=wid,
            licensor=str(licensor),
            licensee=str(licensee),
            uses=terms[1],
            start=start,
            end=end,
            exclusive=exclusive,
            terr=terms[7],
            state=ACTIVE,
            revokedAt=0,
            suspendedAt=0,
            states=[],  # [(block time, state)]: the state over time (ADR 009)
        )
        if exclusive:
            new_live.append(lid)
            self.live[wid] = new_live
        self.last_touched = lid
        event(f"grant: ok, {'exclusive' if exclusive else 'non-exclusive'}{', co-owned' if others else ''}")

    def _lifecycle_target(self, seed, aim, flag):
        count = len(self.lic)
        lid = 1 + seed % count if aim and count else seed % (count + 2)
        lic = self.lic.get(lid)
        if lic is not None and flag:
            sender = self.by_address[lic["licensor"]]
        else:
            sender = self.people[seed % 4]
        if lic is None:
            return lid, sender, self.err.reverts_with("LicenceRegistry__LicenceNotFound(uint64)", lid)
        if str(sender) != lic["licensor"]:
            return lid, sender, self.err.reverts_with("LicenceRegistry__NotLicensor(uint64,address)", lid, sender)
        return lid, sender, None

    @rule(seed=seed, aim=aim, flag=flag)
    def rule_suspend(self, seed, aim, flag):
        lid, sender, expected = self._lifecycle_target(seed, aim, flag)
        if expected is None and self.lic[lid]["state"] != ACTIVE:
            expected = self.err.reverts_with("LicenceRegistry__WrongState(uint64,uint8)", lid, self.lic[lid]["state"])
        if expected is not None:
            with expected:
                self.licences.suspend(lid, "stateful", {"from": sender})
            return
        tx = self.licences.suspend(lid, "stateful", {"from": sender})
        self.lic[lid].update(state=SUSPENDED, suspendedAt=tx.timestamp)
        self.lic[lid]["states"].append((tx.timestamp, SUSPENDED))
        self.last_touched = lid
        event("suspend: ok")

    @rule(seed=seed, aim=aim, flag=flag)
    def rule_resume(self, seed, aim, flag):
        lid, sender, expected = self._lifecycle_target(seed, aim, flag)
        if expected is None and self.lic[lid]["state"] != SUSPENDED:
            expected = self.err.reverts_with("LicenceRegistry__WrongState(uint64,uint8)", lid, self.lic[lid]["state"])
        if expected is not None:
            with expected:
                self.licences.resume(lid, {"from": sender})
            return
        tx = self.licences.resume(lid, {"from": sender})
        self.lic[lid].update(state=ACTIVE, suspendedAt=0)
        self.lic[lid]["states"].append((tx.timestamp, ACTIVE))
        self.last_touched = lid
        event("resume: ok")

    @rule(seed=seed, aim=aim, flag=flag)
    def rule_revoke(self, seed, aim, flag):
        lid, sender, expected = self._lifecycle_target(seed, aim, flag)
        if expected is None and self.lic[lid]["state"] == REVOKED:
            expected = self.err.reverts_with("LicenceRegistry__WrongState(uint64,uint8)", lid, REVOKED)
        if expected is not None:
            with expected:
                self.licences.revoke(lid, "stateful", {"from": sender})
            return
        tx = self.licences.revoke(lid, "stateful", {"from": sender})
        event("revoke: ok" + (" (was suspended)" if self.lic[lid]["state"] == SUSPENDED else ""))
        self.lic[lid].update(state=REVOKED, revokedAt=tx.timestamp)
        self.lic[lid]["states"].append((tx.timestamp, REVOKED))
        self.last_touched = lid

    @rule(w=work_ix, who=person, aim=aim, other=st.integers(1, 3), amount=amount, flag=flag)
    def rule_transfer(self, w, who, aim, other, amount, flag):
        wid = self.ids[w]
        sender = self.people[who]
        if aim and self.holders[wid]:
            sender = self.by_address[self.holders[wid][who % len(self.holders[wid])][0]]
        to = self.people[(self.people.index(sender) + other) % 4]
        held = self._share(wid, sender)
        bps = held if amount > WHOLE // 2 and held else (1 + (amount - 1) % held if held else amount)
        expected = self._expect_work_status(wid, CONFIRMED)
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
        if expected is not None:
            with expected:
                self.registry.transferShare(wid, to, bps, {"from": sender})
            return
        self.registry.transferShare(wid, to, bps, {"from": sender})
        self.holders[wid] = after_transfer(self.holders[wid], str(sender), str(to), bps)
        event("transfer: ok")

    @rule(w=work_ix, aim=aim, flag=flag, outcome=outcome_code, split=split)
    def rule_dispute(self, w, aim, flag, outcome, split):
        """Resolve a disputed work (most of the time when one exists), else open a dispute."""
        if aim and any(self.status[x] == DISPUTED for x in self.ids):
            self._resolve_dispute(w, aim, outcome, split)
        else:
            self._open_dispute(w, flag)

    def _open_dispute(self, w, flag):
        wid = self.ids[w]
        claimant = self.cmo if flag else self.people[1]
        expected = self._expect_work_status(wid, CONFIRMED)
        evidence = self.kit.cid_for(f"evidence-{self.steps}")
        if expected is not None:
            with expected:
                self.registry.openDispute(wid, evidence, {"from": claimant})
            return
        tx = self.registry.openDispute(wid, evidence, {"from": claimant})
        self.status[wid] = DISPUTED
        self.status_log[wid].append((tx.timestamp, DISPUTED))
        event("dispute: opened")

    def _resolve_dispute(self, w, aim, outcome, split):
        wid = self.ids[w]
        if aim:
            disputed = [x for x in self.ids if self.status[x] == DISPUTED]
            wid = disputed[w % len(disputed)] if disputed else wid
        new_holders = [(self.people[p], bps) for p, bps in split]
        args = (wid, outcome, new_holders, 1, self.kit.cid_for("ruling"), {"from": self.registrar})
        expected = self._expect_work_status(wid, DISPUTED)
        if expected is not None:
            with expected:
                self.registry.resolveDispute(*args)
            return
        tx = self.registry.resolveDispute(*args)
        self.status[wid] = REVOKED_WORK if outcome == 3 else CONFIRMED
        self.status_log[wid].append((tx.timestamp, self.status[wid]))
        if outcome == 2:
            self.holders[wid] = [(str(a), bps) for a, bps in new_holders]
        event(f"dispute: resolved with outcome {outcome}")

    @rule()
    def rule_time_passes(self):
        chain.sleep(SLEEP)
        chain.mine()
        event("time: +1300 s")

    @rule(w=work_ix, lee=licensee_ix, use=st.sampled_from([PERFORM, AI]), tr=st.integers(0, 2), at=st.integers(0, 5))
    def rule_ask_coverage(self, w, lee, use, tr, at):
        when = self._latest() if at == 5 else self.t0 + QUESTION_TIMES[at]
        got = self._ask(self.ids[w], self.licensees[lee], use, QUESTION_TERRITORIES[tr], when)
        event("ask: covered" if got[0] else f"ask: not covered, reason {got[2]}")

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def invariant_licences_match_model_and_live_exclusives_never_overlap(self):
        self.steps += 1
        count = int(self.licences.licenceCount())
        assert count == len(self.lic)
        now = self._latest()
        views = {}
        for lid in range(1, count + 1):
            v = list(self.kit.plain(self.licences.licence(lid)))
            v[13] = bytes.fromhex(str(v[13])[2:]) if isinstance(v[13], str) else bytes(v[13])
            m = self.lic[lid]
            assert (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[13]) == (
                m["licensor"],
                m["uses"],
                m["start"],
                1,
                m["state"],
                m["exclusive"],
                m["licensee"],
                m["end"],
                m["revokedAt"],
                False,
                m["suspendedAt"],
                m["terr"],
            ), lid
            assert self.licences.listsWork(lid, m["work"]), lid
            views[lid] = v
        live = [lid for lid, v in views.items() if v[5] and v[4] != REVOKED and v[7] > now]
        for i, a in enumerate(live):
            for b in live[i + 1 :]:
                va, vb = views[a], views[b]
                same_work = self.lic[a]["work"] == self.lic[b]["work"]
                if same_work:
                    SEEN["invariant: two live exclusive licences of one work"] += 1
                assert not (
                    same_work
                    and va[1] & vb[1]
                    and va[2] < vb[7]
                    and vb[2] < va[7]
                    and _territories_overlap(va[13], vb[13])
                ), f"live exclusive licences {a} and {b} overlap"

    @invariant()
    def invariant_holders_match_model_and_sum_to_whole(self):
        for wid in self.ids:
            on_chain = [(str(h[0]), int(h[1])) for h in self.registry.holdersOf(wid)]
            assert sum(bps for _, bps in on_chain) == WHOLE, wid
            assert on_chain == self.holders[wid], wid

    @invariant()
    def invariant_coverage_matches_model(self):
        rng = random.Random(self.steps)
        questions = []
        lic = self.lic.get(self.last_touched)
        if lic is not None:
            use = PERFORM if lic["uses"] & PERFORM else AI
            terr = rng.choice(sorted(_codes(lic["terr"])) or [rng.choice(QUESTION_TERRITORIES)])
            lee = self.by_address[lic["licensee"]]
            times = {self._latest(), lic["start"], lic["start"] - 1}
            if lic["end"] != FOREVER:
                times |= {lic["end"], lic["end"] - 1}
            for t, _ in lic["states"]:  # every suspension, resumption and revocation, and just before it
                times |= {t, t - 1}
            questions += [(lic["work"], lee, use, terr, t) for t in sorted(times)]
        for _ in range(4):
            when = rng.choice([self._latest(), *(self.t0 + q for q in QUESTION_TIMES)])
            questions.append(
                (
                    rng.choice(self.ids),
                    rng.choice(self.licensees),
                    rng.choice([PERFORM, AI]),
                    rng.choice(QUESTION_TERRITORIES),
                    when,
                )
            )
        for q in questions:
            self._ask(*q)


def test_licence_invariants_hold_under_random_actions(
    roles, registry, governor, registrar, cmo, author, coauthor, licensee, rando, spare, role, err, kit
):
    licences = LicenceRegistry.deploy(roles, registry, {"from": governor})
    roles.grantRole(role.LICENSEE, rando, {"from": governor})
    people = [author, coauthor, spare[0], spare[1]]
    layouts = [
        [(author, WHOLE)],
        [(author, 6000), (coauthor, 4000)],
        [(author, 5000), (coauthor, 3000), (spare[0], 2000)],
        [(coauthor, WHOLE)],
    ]
    works = []
    for i, holders in enumerate(layouts):
        wid = kit.content_hash(f"licence-stateful-work-{i}")
        registry.register((wid, kit.cid_for(f"meta-{i}"), 2, 1, holders), {"from": cmo})
        registry.confirm(wid, {"from": registrar})
        works.append((wid, [(str(a), bps) for a, bps in holders]))
    LicenceMachine.bind(licences, registry, registrar, cmo, people, [licensee, rando], works, err, kit)
    LicenceMachine.lens = CoverageLens.deploy(licences, registry, {"from": governor})
    chain.snapshot()
    run_state_machine_as_test(
        LicenceMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            # the same sequences on every CI run (the reach check below must not flake);
            # LICENCE_STATEFUL_RANDOM=1 explores new ones
            derandomize=os.environ.get("LICENCE_STATEFUL_RANDOM") != "1",
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    print("successful actions:", dict(SEEN))
    for kind in (
        "grant: ok, exclusive",
        "grant: ok, non-exclusive",
        "suspend: ok",
        "revoke: ok",
        "transfer: ok",
        "coverage: covered",
        "grant: exclusive conflict",
        "invariant: two live exclusive licences of one work",
    ):
        assert any(k.startswith(kind) for k in SEEN), f"never reached {kind!r}: {dict(SEEN)}"
