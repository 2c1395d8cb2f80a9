"""A year of events on a real anvil node (issue 14): answers about the past never change.

Grants, reservations added and removed, disputes opened, dismissed and upheld, mandates changed
and withdrawn, tariff versions, a suspension, a resumption, a second suspension then a
revocation, spread over a year with ``evm_increaseTime`` / ``evm_mine``. One thousand questions
("is X covered to use W for U at t?") about dates of that year are each asked once as soon as
their date is past, and all again at the end of the year: every answer is the same, equal to
the independent model below (written from SPECIFICATION.md "Facts over time" over the facts as
this test recorded them, not from the SDK's copy of the rules), and equal to the SDK's event
index (``check_many``).

The year also has a real contract upgrade (ADR 002, ``deploy_all(previous=...)`` as
tests/integration/test_past_answers.py does it) on day 160, after which the works and licences of
v1 keep being reserved, disputed, mandated, suspended and revoked (through the v1 registries), a
work registered in v2 is licensed with a licence whose id is also a v1 licence's id, and tariffs
are changed in every version; and three node restarts: ``node stop`` / ``node start`` (CLI) on
days 120 and 320, and a SIGKILL of the node on day 290 followed by a start that replays the
write-ahead journal. The questions keep being asked after each, and at the end of the year.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import pytest

from ledger.core.deploy import deploy_all
from ledger.core.types import USES
from ledger.domain.licensing import FOREVER, Licensing
from tests.fixtures.chain import own_chain
from tests.integration.test_past_answers import restart


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory):
    """This module's own chain (statutory tariffs of other tests stay in force: TR5)."""
    yield from own_chain(tmp_path_factory)

DAY = 86_400
AI, REPRO, DISPLAY = USES["ai-training"], USES["reproduce"], USES["display"]
USE_NAMES = {AI: "ai-training", REPRO: "reproduce", DISPLAY: "display"}
CID = b"\x01\x55\x12\x20" + b"\x44" * 32
QUESTIONS = 1_000


# --- the independent model ---------------------------------------------------------------------


def _last(log: list[tuple[int, object]], at: int, default: object) -> object:
    """The value of the last entry at or before `at` (entries in time order; later wins)."""
    value = default
    for when, v in log:
        if when <= at:
            value = v
    return value


@dataclass
class Lic:
    id: int
    licensee: str | None  # None: an open licence
    work: str | None  # None: a repertoire licence
    uses: int
    start: int
    end: int
    licensor_cmo: str | None = None  # the CMO of a collective licence
    states: list[tuple[int, str]] = field(default_factory=list)  # (time, "suspended"|"active"|"revoked")


@dataclass
class Facts:
    """What the test did and when (block times read from its own receipts)."""

    licences: list[Lic] = field(default_factory=list)
    reservations: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    disputes: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # "open"|"clear"|"revoked"
    mandates: dict[tuple[str, str], list[tuple[int, int, int]]] = field(default_factory=dict)  # (t, uses, until)
    tariffs: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # use -> [(validFrom, validUntil)]

    def answer(self, work: str, who: str, use: int, at: int) -> tuple[bool, str | None, int | None, str | None]:
        dispute = _last(self.disputes.get(work, []), at, "clear")
        if dispute == "revoked":
            return (False, None, None, "work not confirmed")
        disputed = dispute == "open"
        reserved = bool(_last(self.reservations.get(work, []), at, 0) & use)
        rank = ["none", "revoked", "suspended", "not yet valid", "expired", "wrong territory", "mandate withdrawn",
                "reserved", "work not confirmed"]
        best: tuple[bool, str | None, int | None, str | None] = (False, None, None, "none")
        own = [x for x in self.licences if x.licensee == who and (x.work in (work, None))]
        open_ = [x for x in self.licences if x.licensee is None and x.work == work]
        for lic in sorted(own, key=lambda x: x.id) + sorted(open_, key=lambda x: x.id):
            kind = "open licence" if lic.licensee is None else ("blanket licence" if lic.work is None
                                                                 else "work licence")
            reason = self._reason(lic, work, use, at, disputed, reserved)
            if reason is None:
                return (True, kind, lic.id, None)
            if rank.index(reason) > rank.index(best[3] or "none"):
                best = (False, kind, lic.id, reason)
        until = _last(self.tariffs.get(use, []), at, None)  # the version in force: its validUntil
        if isinstance(until, int):
            reason = "suspended" if disputed else "expired" if at >= until else "reserved" if reserved else None
            if reason is None:
                return (True, "statutory tariff", None, None)
            if rank.index(reason) > rank.index(best[3] or "none"):
                best = (False, "statutory tariff", None, reason)
        return best

    def _mandated(self, work: str, cmo: str, at: int) -> tuple[int, int]:
        now_uses, ever = 0, 0
        for when, uses, until in self.mandates.get((work, cmo), []):
            if when <= at:
                ever |= uses
                now_uses = uses if at < until else 0
        return now_uses, ever

    def _reason(self, lic: Lic, work: str, use: int, at: int, disputed: bool, reserved: bool) -> str | None:
        if not lic.uses & use:
            return "none"
        mandated, ever = self._mandated(work, lic.licensor_cmo, at) if lic.licensor_cmo else (0, 0)
        if lic.work is None and not ever & use:
            return "none"
        state = _last(lic.states, at, "active")
        if state == "revoked":
            return "revoked"
        if state == "suspended" or disputed:
            return "suspended"
        if at < lic.start:
            return "not yet valid"
        if at >= lic.end:
            return "expired"
        if lic.licensor_cmo:
            if not mandated & use:
                return "mandate withdrawn"
            if reserved:
                return "reserved"
        return None


# --- the year ----------------------------------------------------------------------------------


NAMES = ("alice", "bob", "cmo", "licensee", "governor", "registrar")


@pytest.fixture(scope="module")
def year(ledger_env):
    leds = {n: ledger_env.ledger(n) for n in NAMES}
    lic = {n: Licensing(led) for n, led in leds.items()}
    return ledger_env, leds, lic


def _hashes(tags) -> list[bytes]:
    return [hashlib.sha256(f"year-of-events:{t}".encode()).digest() for t in tags]


def _works(env, leds, tags) -> list[str]:
    alice, reg = leds["alice"], leds["registrar"]
    addr = env.addresses["alice"]
    hashes = _hashes(tags)
    alice.chain.transact(alice.registry.functions.registerBatch([(h, CID, 2, 1, [(addr, 10_000)]) for h in hashes]),
                         alice.signer)
    reg.chain.transact(reg.registry.functions.confirmBatch(hashes), reg.signer)
    return ["0x" + h.hex() for h in hashes]


def test_a_year_of_events_never_changes_an_answer_about_the_past(year):
    env, leds, lic = year
    w3 = leds["alice"].w3
    who, bob, cmo = env.addresses["licensee"], env.addresses["bob"], env.addresses["cmo"]
    w1, w2, w3_, w4 = _works(env, leds, range(4))
    w5 = "0x" + _hashes(["v2"])[0].hex()  # registered in WorkRegistry v2, after the upgrade
    facts = Facts()
    log: list[str] = []  # what happened to the node and the contracts (for the failure messages)

    def block_time(result) -> int:
        number = getattr(result, "block", None) or result.block_number
        return int(w3.eth.get_block(number)["timestamp"])

    def latest() -> int:
        return int(w3.eth.get_block("latest")["timestamp"])

    t0 = latest()

    def move_to(day: float) -> None:
        target = t0 + int(day * DAY)
        gap = target - latest()
        if gap > 0:
            w3.provider.make_request("evm_increaseTime", [gap])
        w3.provider.make_request("evm_mine", [])

    def dispute(work: str, evidence: bytes) -> int:
        b = leds["bob"]
        return block_time(b.chain.transact(
            b.registry_for(work).functions.openDispute(bytes.fromhex(work[2:]), evidence), b.signer))

    def resolve(work: str, outcome: int) -> int:
        r = leds["registrar"]
        return block_time(r.chain.transact(
            r.registry_for(work).functions.resolveDispute(bytes.fromhex(work[2:]), outcome, [], 0, CID), r.signer))

    def reserve(work: str, mask: int) -> None:
        uses = [n for b, n in USE_NAMES.items() if mask & b]
        t = block_time(leds["alice"].reserve_uses(work, uses))
        facts.reservations.setdefault(work, []).append((t, mask))

    def mandate(work: str, mask: int) -> None:
        t = block_time(lic["alice"].mandate(work, cmo, [n for b, n in USE_NAMES.items() if mask & b]))
        facts.mandates.setdefault((work, cmo), []).append((t, mask, FOREVER))

    def set_tariff(use: int, valid_from: int, valid_until: int) -> None:
        t = block_time(lic["governor"].set_tariff(USE_NAMES[use], 5, DAY, valid_from, valid_until))
        facts.tariffs.setdefault(use, []).append((max(valid_from, t), valid_until or FOREVER))

    def state(licence: Lic, what: str, t: int) -> None:
        licence.states.append((t, what))

    def reopen() -> None:
        """New connections, as a new CLI run would open them (the deployment file changed)."""
        leds.update({n: env.ledger(n) for n in NAMES})
        lic.update({n: Licensing(led) for n, led in leds.items()})

    def upgrade() -> None:
        gov = leds["governor"]
        old = gov.deployment
        new = deploy_all(gov.chain, gov.signer, env.settings.build_dir, env.settings.deployments_file, previous=old)
        assert new.address("WorkRegistry") != old.address("WorkRegistry")
        assert new.address("LicenceRegistry") != old.address("LicenceRegistry")
        reopen()
        log.append(f"upgrade at day {(latest() - t0) / DAY:.1f}")
        # the tariff in force is carried into the new LicenceRegistry by the upgrade (TR5a): the
        # v2 work (day 165 on) is covered by it without the governor setting it again
        v2 = Licensing(leds["governor"]).contract
        assert tuple(leds["governor"].call(v2.functions.tariffAt(DISPLAY, latest())))[::3] == (5, t0 + 300 * DAY)

    def after_upgrade() -> None:
        """A work of v2, licensed in the v2 LicenceRegistry with an id a v1 licence also has."""
        assert _works(env, leds, ["v2"]) == [w5]
        assert leds["alice"].registry_for(w5).address == leds["alice"].deployment.address("WorkRegistry")
        _, l5_id = lic["alice"].grant(who, [w5], lic["alice"].terms(["reproduce"], start=latest() - 5,
                                                                    end=t0 + 340 * DAY))
        assert l5_id == l1.id, (l5_id, l1.id)  # licence ids are per LicenceRegistry version
        facts.licences.append(Lic(l5_id, who, w5, REPRO, latest() - 5, t0 + 340 * DAY))

    def node_restart() -> None:
        restart(env)  # `node stop` and `node start` through the CLI
        log.append(f"node stop/start at day {(latest() - t0) / DAY:.1f}")

    def node_crash() -> None:
        pending = len(env.node.journal())
        assert pending > 0  # writes since the last snapshot, which only the journal's replay restores
        day = (latest() - t0) / DAY
        env.node.kill()
        env.node.start()  # replays the write-ahead journal
        # the empty blocks mined since the last write are gone; the replayed writes keep their times
        log.append(f"SIGKILL at day {day:.1f}, start + replay of {pending} journal entries: head at day "
                   f"{(latest() - t0) / DAY:.1f}")

    # day 0: the grants
    alice = lic["alice"]
    _, l1_id = alice.grant(who, [w1], alice.terms(["ai-training", "reproduce"], start=t0, end=t0 + 300 * DAY))
    l1 = Lic(l1_id, who, w1, AI | REPRO, t0, t0 + 300 * DAY)
    _, l3_id = alice.grant(who, [w4], alice.terms(["ai-training"], start=t0))
    l3 = Lic(l3_id, who, w4, AI, t0, FOREVER)
    mandate(w2, AI | REPRO)
    mandate(w4, AI)
    _, l2_id = lic["cmo"].grant(who, [], lic["cmo"].terms(["ai-training", "reproduce"], scope="repertoire",
                                                          start=t0 - 5))
    l2 = Lic(l2_id, who, None, AI | REPRO, t0 - 5, FOREVER, licensor_cmo=cmo)
    result, o1_id = alice.publish_open(w3_, ["reproduce"], "CC-BY-4.0")
    o1 = Lic(o1_id, None, w3_, REPRO, block_time(result), FOREVER)
    facts.licences += [l1, l2, l3, o1]
    set_tariff(DISPLAY, 0, 0)

    def lifecycle(licence: Lic, what: str, reason: str = "") -> None:
        a = lic["alice"]  # the licence lives in the v1 LicenceRegistry: named through its work
        fn = {"suspended": lambda: a.suspend(licence.id, reason, work=licence.work),
              "active": lambda: a.resume(licence.id, work=licence.work),
              "revoked": lambda: a.revoke(licence.id, reason, work=licence.work)}[what]
        state(licence, what, block_time(fn()))

    schedule = [
        (20, lambda: reserve(w2, AI)),
        (40, lambda: facts.disputes.setdefault(w1, []).append((dispute(w1, CID[:-1] + b"\x01"), "open"))),
        (55, lambda: facts.disputes[w1].append((resolve(w1, 1), "clear"))),
        (70, lambda: reserve(w2, 0)),
        (90, lambda: set_tariff(DISPLAY, t0 + 120 * DAY, t0 + 300 * DAY)),
        (100, lambda: lifecycle(l1, "suspended", "late report")),
        (120, node_restart),
        (130, lambda: lifecycle(l1, "active")),
        (150, lambda: mandate(w2, REPRO)),
        (160, upgrade),
        (165, after_upgrade),
        (170, lambda: reserve(w4, REPRO)),
        (180, lambda: set_tariff(AI, 0, t0 + 250 * DAY)),
        (200, lambda: facts.disputes.setdefault(w4, []).append((dispute(w4, CID[:-1] + b"\x02"), "open"))),
        (230, lambda: facts.disputes[w4].append((resolve(w4, 1), "clear"))),
        (240, lambda: facts.disputes[w4].append((dispute(w4, CID[:-1] + b"\x03"), "open"))),
        (260, lambda: facts.disputes[w4].append((resolve(w4, 3), "revoked"))),
        (280, lambda: _withdraw(lic["alice"], facts, w2, cmo, t0 + 300 * DAY, block_time)),
        (290, node_crash),
        (310, lambda: lifecycle(l1, "suspended", "late again")),
        (320, node_restart),
        (330, lambda: lifecycle(l1, "revoked", "never paid")),
        (340, lambda: mandate(w2, AI)),
        (350, lambda: reserve(w2, REPRO)),
        (365, lambda: None),
    ]

    # 42 dates (one before the year, one inside every span between two events, a few at random)
    # x 4 works x 2 people x 3 uses = 1,008 questions about the works of v1, and the dates after
    # day 166 x 2 people x 3 uses about the work of v2
    rng = random.Random(14)
    days = [-3, 1, 10, 25, 45, 50, 60, 80, 95, 105, 115, 125, 135, 145, 155, 165, 175, 185, 195, 205, 215, 225,
            235, 245, 255, 265, 275, 285, 295, 302, 305, 315, 325, 335, 345, 355, 360, 364]
    days += [rng.uniform(0, 365) for _ in range(42 - len(days))]
    dates = sorted(t0 + int(d * DAY) + rng.randrange(0, 3_600) for d in days)
    questions = [(w, p, u, at) for at in dates for w in (w1, w2, w3_, w4) for p in (who, bob)
                 for u in (AI, REPRO, DISPLAY)]
    questions += [(w5, p, u, at) for at in dates if at > t0 + 166 * DAY for p in (who, bob)
                  for u in (AI, REPRO, DISPLAY)]
    first: dict[int, tuple] = {}
    asked_when: dict[int, str] = {}

    def ask(q: tuple) -> tuple:
        work, person, use, at = q
        c = lic["licensee"].status(work, person, USE_NAMES[use], None, at)
        return (c.covered, c.kind, c.licence_id, c.reason)

    def ask_what_is_past(day: float) -> None:
        now = latest()
        for i, q in enumerate(questions):
            if i not in first and q[3] < now:
                first[i] = ask(q)
                asked_when[i] = f"day {day}"

    for day, act in schedule:
        move_to(day)
        ask_what_is_past(day)  # every question whose date is now past, before the next event
        act()
    move_to(366)
    ask_what_is_past(366)
    assert len(first) == len(questions) >= QUESTIONS + 100
    # the restarts and the upgrade fell between first answers: asked before and after each
    for day in (120, 160, 290, 320):
        assert any(asked_when[i] == f"day {day}" for i in first), day
    assert any(int(asked_when[i].split()[1]) > 320 and q[0] in (w1, w2, w3_, w4) for i, q in enumerate(questions))

    # the end of the year: the same questions, the same answers, and the model's
    index = lic["licensee"].index()
    seen = set()
    tally = {True: 0, False: 0}
    for i, q in enumerate(questions):
        work, person, use, at = q
        again = ask(q)
        model = facts.answer(work, person, use, at)
        assert again == first[i], (q, first[i], asked_when[i], again, log)
        assert again == model, (q, again, model, log)
        sdk = next(lic["licensee"].check_many([(work, USE_NAMES[use], None, at)], licensee=person, index=index))
        assert (sdk.covered, sdk.kind, sdk.licence_id, sdk.reason) == again, (q, sdk, again)
        seen.add((again[0], again[1], again[3]))
        tally[again[0]] += 1
    # the answers are not trivial: both kinds, in numbers
    assert tally[True] >= len(questions) // 5 and tally[False] >= len(questions) // 5, tally
    # the year exercised every kind of answer the facts can give
    for expected in [(True, "work licence", None), (True, "blanket licence", None), (True, "open licence", None),
                     (True, "statutory tariff", None), (False, "work licence", "suspended"),
                     (False, "work licence", "revoked"), (False, "blanket licence", "reserved"),
                     (False, "blanket licence", "mandate withdrawn"), (False, None, "work not confirmed"),
                     (False, "work licence", "expired")]:
        assert expected in seen, (expected, sorted(seen, key=str))
    # the v1 licence and the v2 licence with the same id each answer for their own work
    l5 = facts.licences[-1]
    assert any(q[0] == w5 and first[i] == (True, "work licence", l5.id, None) for i, q in enumerate(questions))
    assert any(q[0] == w1 and first[i] == (False, "work licence", l1.id, "revoked") for i, q in enumerate(questions))


def _withdraw(alice, facts: Facts, work: str, cmo: str, effective: int, block_time) -> None:
    t = block_time(alice.withdraw_mandate(work, cmo, effective))
    uses = facts.mandates[(work, cmo)][-1][1]
    facts.mandates[(work, cmo)].append((t, uses, effective))
