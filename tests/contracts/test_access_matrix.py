"""The access matrix: every state-changing function of every ledger contract, called as every
role and as an account with no role (SPECIFICATION.md, docs/spec-*.md; docs/SECURITY.md).

The expected matrix is data (`access_matrix_data.RULES`); this module holds one argument
builder per rule that prepares valid arguments and the state the call needs (a confirmed
work held by the caller when the rule is about holders, a licence granted by the caller
when it is about licensors, ...). A rule with a relation runs twice per caller: once where
the caller has the relation and once where it does not. Each call runs in its own chain
snapshot (the autouse `fn_isolation` of conftest: `chain.snapshot()` before the test,
`chain.revert()` after it), so no call sees another's effects.

An allowed call must succeed; any other call must revert with the exact refusal of the
rule (custom error and arguments). A function that appears in an ABI without a rule, a
rule without a builder, and a docs/SECURITY.md table that differs from the data all fail.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from brownie import (
    AttestationRegistry,
    CoverageLens,
    LedgerRoles,
    LicenceRegistry,
    RoyaltyPool,
    SettlementToken,
    WorkRegistry,
    chain,
)
from eth_utils import keccak, to_checksum_address

from ledger.content.merkle import MerkleTree, leaf_hash
from ledger.core.deploy import CONSTRUCTOR_ARGS
from ledger.core.types import USES
from ledger.domain.licensing import FOREVER, SCOPE_REPERTOIRE, SCOPE_WORK, Terms, sign_offer
from tests.contracts import access_matrix_data as M

ZERO = "0x0000000000000000000000000000000000000000"
WHOLE = 10_000
AI = USES["ai-training"]
REPRO = USES["reproduce"]
CID = b"\x01\x55\x12\x20" + b"\x33" * 32
KIND_STATUTORY = 4
OPEN_PERIOD, CLOSED_PERIOD, DISTRIBUTED_PERIOD = 1, 2, 3
CLAIM_AMOUNT, OTHER_CLAIM_AMOUNT = 100, 111
TARIFF = 5  # statutory amount per AI-training use (recordUsage's line owes 1 x TARIFF)
CLAIM_TYPES = ("address", "uint32", "address", "uint256")

ROLE_IDS = {
    "GOVERNOR_ROLE": "0x" + "00" * 32,
    **{
        name: "0x" + keccak(text=name).hex()
        for name in ("REGISTRAR_ROLE", "CMO_ROLE", "HOLDER_ROLE", "LICENSEE_ROLE", "AUDITOR_ROLE")
    },
}
#: The role each caller of the matrix holds (none for NONE).
CALLER_ROLE = {
    M.GOVERNOR: "GOVERNOR_ROLE", M.REGISTRAR: "REGISTRAR_ROLE", M.CMO: "CMO_ROLE",
    M.HOLDER: "HOLDER_ROLE", M.LICENSEE: "LICENSEE_ROLE", M.AUDITOR: "AUDITOR_ROLE", M.NONE: None,
}
CONTAINERS = {
    "LedgerRoles": LedgerRoles, "WorkRegistry": WorkRegistry, "LicenceRegistry": LicenceRegistry,
    "AttestationRegistry": AttestationRegistry, "SettlementToken": SettlementToken, "RoyaltyPool": RoyaltyPool,
    "CoverageLens": CoverageLens,
}
# Accounts that are never callers: a fresh grantee, and an account holding every role.
NEW_GRANTEE = to_checksum_address("0x" + keccak(text="access-matrix:new-grantee").hex()[-40:])
ALL_ROLES_ACCOUNT = to_checksum_address("0x" + keccak(text="access-matrix:all-roles").hex()[-40:])


def h(seed: str) -> str:
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()


def abi_signature(entry: dict[str, Any]) -> str:
    def typ(i: dict[str, Any]) -> str:
        t = i["type"]
        if t.startswith("tuple"):
            return "(" + ",".join(typ(c) for c in i["components"]) + ")" + t[len("tuple"):]
        return t

    return f"{entry['name']}({','.join(typ(i) for i in entry['inputs'])})"


def state_changing(abi: list[dict[str, Any]]) -> set[str]:
    return {
        abi_signature(e) for e in abi
        if e.get("type") == "function" and e.get("stateMutability") in ("nonpayable", "payable")
    }


# --- the deployed ledger and the state the builders draw on ------------------------------


@pytest.fixture(scope="module")
def world(governor, registrar, cmo, author, licensee, auditor, rando, spare, extra_accounts):
    """The six contracts deployed and wired as ledger/deploy.py does, plus shared state."""
    other, recipient = spare
    signer, licensee2 = extra_accounts(2)
    g = {"from": governor}
    roles = LedgerRoles.deploy(governor, g)
    registry = WorkRegistry.deploy(roles, ZERO, g)
    roles.addRoleListener(registry, g)
    licences = LicenceRegistry.deploy(roles, registry, g)
    lens = CoverageLens.deploy(licences, registry, g)
    attestations = AttestationRegistry.deploy(roles, registry, g)
    token = SettlementToken.deploy(roles, g)
    pool = RoyaltyPool.deploy(roles, token, 1000, lens, g)
    next_lens = CoverageLens.deploy(licences, registry, g)  # the lens `setLens` points the pool at
    listener2 = WorkRegistry.deploy(roles, ZERO, g)  # a registry not yet listening (addRoleListener)
    next_registry = WorkRegistry.deploy(roles, registry, g)  # the registry `retire` names

    callers = {
        M.GOVERNOR: governor, M.REGISTRAR: registrar, M.CMO: cmo, M.HOLDER: author,
        M.LICENSEE: licensee, M.AUDITOR: auditor, M.NONE: rando,
    }
    for name, acct in ((M.REGISTRAR, registrar), (M.CMO, cmo), (M.LICENSEE, licensee), (M.AUDITOR, auditor)):
        roles.grantRole(ROLE_IDS[CALLER_ROLE[name]], acct, g)
    roles.grantRole(ROLE_IDS["LICENSEE_ROLE"], licensee2, g)
    roles.verifyHolder(author, h("author|salt"), {"from": registrar})
    roles.verifyHolder(signer, h("signer|salt"), {"from": registrar})
    for name, role_id in ROLE_IDS.items():
        admin = registrar if name == "HOLDER_ROLE" else governor
        roles.grantRole(role_id, ALL_ROLES_ACCOUNT, {"from": admin})

    # Works: one confirmed work held by each caller, one held by someone else (`other`),
    # one mandated to the CMO, one held by the offer signer, a disputed and a pending one.
    works = {c: h(f"matrix:work:{c}") for c in M.CALLERS}
    other_work, mandated_work, signer_work = h("matrix:other"), h("matrix:mandated"), h("matrix:signer")
    disputed_work, pending_work, claimed_work = h("matrix:disputed"), h("matrix:pending"), h("matrix:claimed")
    holders = [
        *((works[c], callers[c]) for c in M.CALLERS),
        (other_work, other), (mandated_work, recipient), (signer_work, signer), (disputed_work, other),
    ]
    registry.registerSoleBatch(
        [(wid, h("meta:" + wid), str(acct), 2, 1)
         for wid, acct in [*holders, (pending_work, other), (claimed_work, other)]],
        {"from": cmo},
    )
    claim = (claimed_work, CID, 2, 1, [(str(author), WHOLE)])
    registry.fileClaim(claim, {"from": author})
    registry.confirmBatch([wid for wid, _ in holders], {"from": registrar})
    registry.openDispute(disputed_work, CID, {"from": cmo})
    licences.mandate(mandated_work, cmo, AI | REPRO, {"from": recipient})
    licences.setTariff(AI, TARIFF, 86400, 1, 0, g)  # statutory lines on the mandated work count

    # Licences: an active and a suspended open licence by each caller, and by `other`.
    def open_licences(acct, wid):
        active = licences.publishOpenLicence(wid, AI, b"CC-BY-4.0".ljust(32, b"\0"), b"", {"from": acct})
        suspended = licences.publishOpenLicence(wid, REPRO, b"CC0".ljust(32, b"\0"), b"", {"from": acct})
        licences.suspend(suspended.return_value, "paused", {"from": acct})
        return active.return_value, suspended.return_value

    licence_of = {c: open_licences(callers[c], works[c]) for c in M.CALLERS}
    other_licence = open_licences(other, other_work)

    # Attestations: one by each caller and one by `other`; accounts without a role are
    # given one for the attestation and lose it again (linking a timestamp needs none).
    def attest_as(acct, seed):
        temporary = not any(roles.hasRole(r, acct) for r in ROLE_IDS.values())
        if temporary:
            roles.grantRole(ROLE_IDS["AUDITOR_ROLE"], acct, g)
        attestations.attest(h(seed), 1, b"", b"", {"from": acct})
        if temporary:
            roles.revokeRole(ROLE_IDS["AUDITOR_ROLE"], acct, g)
        return h(seed)

    attested = {c: attest_as(callers[c], f"matrix:attested:{c}") for c in M.CALLERS}
    other_attested = attest_as(other, "matrix:attested:other")

    # Money: everyone holds tokens and has approved the pool; `other` approved every caller.
    for acct in [*callers.values(), other, recipient]:
        token.mint(acct, 10**12, g)
    for acct in callers.values():
        token.approve(pool, 2**255, {"from": acct})
        token.approve(acct, 10**9, {"from": other})
    token.approve(pool, 2**255, {"from": other})
    # Pools of the CMO: period 1 open, period 2 closed, period 3 distributed to every caller.
    pool.pay(cmo, CLOSED_PERIOD, 10_000, {"from": other})
    pool.closePeriod(CLOSED_PERIOD, {"from": cmo})
    entries = [(callers[c], CLAIM_AMOUNT) for c in M.CALLERS] + [(other, OTHER_CLAIM_AMOUNT)]
    tree = MerkleTree.build([leaf_hash(CLAIM_TYPES, (str(cmo), DISTRIBUTED_PERIOD, str(a), n)) for a, n in entries])
    pool.pay(cmo, DISTRIBUTED_PERIOD, 100_000, {"from": other})
    pool.closePeriod(DISTRIBUTED_PERIOD, {"from": cmo})
    pool.publishDistribution(DISTRIBUTED_PERIOD, tree.root, sum(n for _, n in entries), CID, {"from": cmo})
    claim_proof = {str(a): tree.proof(i) for i, (a, _) in enumerate(entries)}
    report_id = pool.recordReport(cmo, OPEN_PERIOD, h("refusable report"), (1, 1, 0), CID,
                                  {"from": licensee}).return_value
    other_report_id = pool.recordReport(ALL_ROLES_ACCOUNT, OPEN_PERIOD, h("another CMO's report"), (1, 1, 0), CID,
                                        {"from": licensee2}).return_value

    return SimpleNamespace(
        roles=roles, registry=registry, licences=licences, attestations=attestations, token=token, pool=pool,
        listener2=listener2, callers=callers, other=other, recipient=recipient, signer=signer,
        licensee2=licensee2, cmo=cmo, works=works, other_work=other_work, mandated_work=mandated_work,
        signer_work=signer_work, disputed_work=disputed_work, pending_work=pending_work,
        claimed_work=claimed_work, claim=claim, claimant=author, next_registry=next_registry,
        licence_of=licence_of, other_licence=other_licence, attested=attested, other_attested=other_attested,
        claim_proof=claim_proof, report_id=report_id, other_report_id=other_report_id, next_lens=next_lens,
    )


@pytest.fixture(scope="module", autouse=True)
def _fast_revert(world):
    """Brownie runs `gc.collect()` on every `chain.revert()`; with the session's objects
    frozen out of the collector's reach, the 500-odd reverts here cost milliseconds each."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


# --- argument builders ---------------------------------------------------------------------


@dataclass
class Call:
    """A prepared call: `fn(*args, {"from": caller, "value": value})`; `names` resolves the
    symbols of the rule's refusal (`workId`, `licenceId`, ...)."""

    fn: Any
    args: tuple
    names: dict[str, Any] = field(default_factory=dict)
    value: int = 0


Builder = Callable[[SimpleNamespace, str, Any, bool], Call]
BUILDERS: dict[str, Builder] = {}


def builds(*keys: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        for key in keys:
            if key in BUILDERS:
                raise ValueError(f"two builders for {key}")
            BUILDERS[key] = fn
        return fn

    return register


def own_work(w, caller, related):
    """The caller's own confirmed work, or one held by someone else."""
    return w.works[caller] if related else w.other_work


def terms(scope=SCOPE_WORK, uses=AI):
    return Terms(scope=scope, uses=uses, start=0, end=FOREVER, terms_cid=CID).as_tuple()


# LedgerRoles


def _grant_builder(role_name):
    def build(w, caller, acct, related):
        return Call(w.roles.grantRole, (ROLE_IDS[role_name], NEW_GRANTEE))

    return build


def _revoke_builder(role_name):
    def build(w, caller, acct, related):
        return Call(w.roles.revokeRole, (ROLE_IDS[role_name], ALL_ROLES_ACCOUNT))

    return build


for _role in ROLE_IDS:
    builds(f"LedgerRoles.grantRole[{_role}]")(_grant_builder(_role))
    builds(f"LedgerRoles.revokeRole[{_role}]")(_revoke_builder(_role))


@builds("LedgerRoles.renounceRole")
def _(w, caller, acct, related):
    own = CALLER_ROLE[caller] or "LICENSEE_ROLE"  # no role: renouncing one it lacks is a no-op
    return Call(w.roles.renounceRole, (ROLE_IDS[own], acct if related else w.other))


@builds("LedgerRoles.verifyHolder")
def _(w, caller, acct, related):
    return Call(w.roles.verifyHolder, (w.recipient, h("recipient|salt")))


@builds("LedgerRoles.addRoleListener")
def _(w, caller, acct, related):
    return Call(w.roles.addRoleListener, (w.listener2,))


@builds("LedgerRoles.removeRoleListener")
def _(w, caller, acct, related):
    return Call(w.roles.removeRoleListener, (w.registry,))


@builds("LedgerRoles.syncRoleListener")
def _(w, caller, acct, related):
    return Call(w.roles.syncRoleListener, (w.registry, ROLE_IDS["CMO_ROLE"], 0, 10))


# WorkRegistry


def _registration(w, caller, acct, related, tag):
    wid = h(f"matrix:{tag}:{caller}:{related}")
    holder = acct if related else w.other
    return wid, (wid, CID, 2, 1, [(str(holder), WHOLE)])


@builds("WorkRegistry.register")
def _(w, caller, acct, related):
    wid, r = _registration(w, caller, acct, related, "register")
    return Call(w.registry.register, (r,), {"workId": wid})


@builds("WorkRegistry.registerBatch")
def _(w, caller, acct, related):
    wid, r = _registration(w, caller, acct, related, "registerBatch")
    return Call(w.registry.registerBatch, ([r],), {"workId": wid})


@builds("WorkRegistry.registerSole")
def _(w, caller, acct, related):
    wid = h(f"matrix:registerSole:{caller}")
    return Call(w.registry.registerSole, (wid, h("meta"), 2, 1), {"workId": wid})


@builds("WorkRegistry.registerSoleBatch")
def _(w, caller, acct, related):
    wid = h(f"matrix:registerSoleBatch:{caller}:{related}")
    holder = acct if related else w.other
    return Call(w.registry.registerSoleBatch, ([(wid, h("meta"), str(holder), 2, 1)],), {"workId": wid})


@builds("WorkRegistry.confirm")
def _(w, caller, acct, related):
    return Call(w.registry.confirm, (w.pending_work,))


@builds("WorkRegistry.confirmBatch")
def _(w, caller, acct, related):
    return Call(w.registry.confirmBatch, ([w.pending_work],))


@builds("WorkRegistry.reject")
def _(w, caller, acct, related):
    return Call(w.registry.reject, (w.pending_work, 1, CID))


@builds("WorkRegistry.consent")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.registry.consent, (wid, h("some action")), {"workId": wid})


@builds("WorkRegistry.transferShare")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.registry.transferShare, (wid, w.recipient, 100), {"workId": wid})


@builds("WorkRegistry.reserveUses")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.registry.reserveUses, (wid, AI), {"workId": wid})


@builds("WorkRegistry.flagNearDuplicate")
def _(w, caller, acct, related):
    # the pending work is held by `other`; the mandated work (held by `recipient`) is the unrelated original
    of = w.works[caller] if related else w.mandated_work
    return Call(w.registry.flagNearDuplicate, (w.pending_work, of, 3), {"workId": w.pending_work})


@builds("WorkRegistry.confirmOverriding")
def _(w, caller, acct, related):
    w.registry.flagNearDuplicate(w.pending_work, w.mandated_work, 3, {"from": w.callers[M.REGISTRAR]})
    return Call(w.registry.confirmOverriding, (w.pending_work, "a different photograph of the same place"))


@builds("WorkRegistry.openDispute")
def _(w, caller, acct, related):
    return Call(w.registry.openDispute, (w.other_work, CID), {"workId": w.other_work})


@builds("WorkRegistry.resolveDispute")
def _(w, caller, acct, related):
    return Call(w.registry.resolveDispute, (w.disputed_work, 1, [], 1, CID))


@builds("WorkRegistry.roleChanged")
def _(w, caller, acct, related):
    return Call(w.registry.roleChanged, (ROLE_IDS["CMO_ROLE"], w.other, True))


@builds("WorkRegistry.roleListenerRemoved")
def _(w, caller, acct, related):
    return Call(w.registry.roleListenerRemoved, ())


@builds("WorkRegistry.fileClaim")
def _(w, caller, acct, related):
    holder = acct if related else w.other
    return Call(w.registry.fileClaim, ((w.pending_work, CID, 3, 1, [(str(holder), WHOLE)]),),
                {"workId": w.pending_work})


@builds("WorkRegistry.awardClaim")
def _(w, caller, acct, related):
    return Call(w.registry.awardClaim, (w.claimant, w.claim))


@builds("WorkRegistry.dismissClaims")
def _(w, caller, acct, related):
    return Call(w.registry.dismissClaims, (w.claimed_work, [w.claimant], 1, CID))


@builds("WorkRegistry.retire")
def _(w, caller, acct, related):
    return Call(w.registry.retire, (w.next_registry,))


# LicenceRegistry


@builds("LicenceRegistry.mandate")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.licences.mandate, (wid, w.cmo, AI), {"workId": wid})


@builds("LicenceRegistry.withdrawMandate")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    w.licences.mandate(wid, w.cmo, AI, {"from": acct if related else w.other})
    return Call(w.licences.withdrawMandate, (wid, w.cmo, 0), {"workId": wid})


@builds("LicenceRegistry.grant[works, licensor without CMO_ROLE]")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.licences.grant, (w.licensee2, [wid], terms()), {"workId": wid, "uses": AI})


@builds("LicenceRegistry.grant[works, licensor with CMO_ROLE]")
def _(w, caller, acct, related):
    wid = w.mandated_work if related else w.other_work  # mandated to the CMO, or to nobody
    return Call(w.licences.grant, (w.licensee2, [wid], terms()), {"workId": wid, "uses": AI})


@builds("LicenceRegistry.grant[repertoire]")
def _(w, caller, acct, related):
    return Call(w.licences.grant, (w.licensee2, [], terms(scope=SCOPE_REPERTOIRE)))


@builds("LicenceRegistry.publishOpenLicence")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.licences.publishOpenLicence, (wid, AI, b"CC-BY-4.0".ljust(32, b"\0"), b""), {"workId": wid})


@builds("LicenceRegistry.accept")
def _(w, caller, acct, related):
    named = acct if related else w.licensee2
    offer = sign_offer(
        w.signer.private_key, chain.id, w.licences.address, w.signer.address, str(named), [w.signer_work],
        Terms(scope=SCOPE_WORK, uses=AI, start=0, end=FOREVER, terms_cid=CID), 1, chain.time() + 3600,
    )
    return Call(w.licences.accept, (offer.as_tuple(), offer.signature), {"offerLicensee": named})


@builds("LicenceRegistry.setSettlementToken")
def _(w, caller, acct, related):
    return Call(w.licences.setSettlementToken, (w.token,))


@builds("LicenceRegistry.cancelOffer")
def _(w, caller, acct, related):
    return Call(w.licences.cancelOffer, (77,))


def _licence(w, caller, related, suspended=False):
    pair = w.licence_of[caller] if related else w.other_licence
    return pair[1] if suspended else pair[0]


@builds("LicenceRegistry.suspend")
def _(w, caller, acct, related):
    lid = _licence(w, caller, related)
    return Call(w.licences.suspend, (lid, "audit"), {"licenceId": lid})


@builds("LicenceRegistry.resume")
def _(w, caller, acct, related):
    lid = _licence(w, caller, related, suspended=True)
    return Call(w.licences.resume, (lid,), {"licenceId": lid})


@builds("LicenceRegistry.revoke")
def _(w, caller, acct, related):
    lid = _licence(w, caller, related)
    return Call(w.licences.revoke, (lid, "withdrawn"), {"licenceId": lid})


@builds("LicenceRegistry.setTariff")
def _(w, caller, acct, related):
    return Call(w.licences.setTariff, (AI, 100, 86_400, 0, 0))


# AttestationRegistry


@builds("AttestationRegistry.attest")
def _(w, caller, acct, related):
    return Call(w.attestations.attest, (h(f"matrix:attest:{caller}"), 1, CID, b""))


@builds("AttestationRegistry.linkTimestamp")
def _(w, caller, acct, related):
    digest = w.attested[caller] if related else w.other_attested
    attester = acct if related else w.other
    return Call(w.attestations.linkTimestamp, (digest, CID), {"hash": digest, "attester": attester})


@builds("AttestationRegistry.recordGeneration")
def _(w, caller, acct, related):
    wid = own_work(w, caller, related)
    return Call(w.attestations.recordGeneration, (wid, "model", "1", h("inputs"), b"", h("output")), {"workId": wid})


# SettlementToken


@builds("SettlementToken.mint")
def _(w, caller, acct, related):
    return Call(w.token.mint, (w.recipient, 1000))


@builds("SettlementToken.approve")
def _(w, caller, acct, related):
    return Call(w.token.approve, (w.recipient, 1000))


@builds("SettlementToken.transfer")
def _(w, caller, acct, related):
    return Call(w.token.transfer, (w.recipient, 1000))


@builds("SettlementToken.transferFrom")
def _(w, caller, acct, related):
    owner = w.other if related else w.recipient  # `other` approved every caller; `recipient` nobody
    return Call(w.token.transferFrom, (owner, w.licensee2, 1000), {"amount": 1000})


# RoyaltyPool


@builds("RoyaltyPool.setCommission")
def _(w, caller, acct, related):
    return Call(w.pool.setCommission, (2000,))


@builds("RoyaltyPool.setLens")
def _(w, caller, acct, related):
    return Call(w.pool.setLens, (w.next_lens,))


@builds("RoyaltyPool.recordUsage")
def _(w, caller, acct, related):
    # a use at the latest block's time: inside the mandate, never after the block that records it
    # (brownie's chain.time() can run ahead of the chain after an earlier test's sleep and revert)
    line = (0, w.mandated_work, AI, 1, chain[-1].timestamp, 0, KIND_STATUTORY, TARIFF)
    return Call(w.pool.recordUsage, (w.cmo, OPEN_PERIOD, line))


@builds("RoyaltyPool.refuseReport")
def _(w, caller, acct, related):
    rid = w.report_id if related else w.other_report_id
    return Call(w.pool.refuseReport, (rid, "not covered"), {"reportId": rid})


@builds("RoyaltyPool.sweepUnclaimed")
def _(w, caller, acct, related):
    chain.sleep(w.pool.CLAIM_WINDOW() + 1)
    chain.mine()
    return Call(w.pool.sweepUnclaimed, (DISTRIBUTED_PERIOD,), {"period": DISTRIBUTED_PERIOD})


@builds("RoyaltyPool.recordReport")
def _(w, caller, acct, related):
    return Call(w.pool.recordReport, (w.cmo, OPEN_PERIOD, h("report root"), (1, 1, 0), CID))


@builds("RoyaltyPool.pay")
def _(w, caller, acct, related):
    return Call(w.pool.pay, (w.cmo, OPEN_PERIOD, 1000))


@builds("RoyaltyPool.closePeriod")
def _(w, caller, acct, related):
    return Call(w.pool.closePeriod, (OPEN_PERIOD,))


@builds("RoyaltyPool.publishDistribution")
def _(w, caller, acct, related):
    return Call(w.pool.publishDistribution, (CLOSED_PERIOD, h("distribution root"), 100, CID))


@builds("RoyaltyPool.claim")
def _(w, caller, acct, related):
    # Without the relation the caller presents `other`'s entry: its own leaf differs.
    owner, amount = (acct, CLAIM_AMOUNT) if related else (w.other, OTHER_CLAIM_AMOUNT)
    return Call(
        w.pool.claim, (w.cmo, DISTRIBUTED_PERIOD, amount, w.claim_proof[str(owner)]),
        {"cmo": w.cmo, "period": DISTRIBUTED_PERIOD, "amount": amount},
    )


# --- the matrix --------------------------------------------------------------------------


def resolve(refusal: M.Refusal, caller_account: Any, names: dict[str, Any]) -> list[Any]:
    """The refusal's arguments: `caller`, role constants, literals, or the builder's names."""
    out = []
    for _, symbol in refusal.params:
        if symbol == "caller":
            out.append(caller_account)
        elif symbol in ROLE_IDS:
            out.append(ROLE_IDS[symbol])
        elif symbol.isdigit():
            out.append(int(symbol))
        elif symbol in names:
            out.append(names[symbol])
        else:
            raise KeyError(f"{refusal.spec}: the builder names no value for {symbol!r}")
    return out


def _case_id(rule: M.Rule, caller: str, related: bool) -> str:
    context = "" if rule.relation is None else ("-related" if related else "-unrelated")
    return f"{rule.key}-{caller}{context}"


CASES = [
    pytest.param(rule.key, caller, related, id=_case_id(rule, caller, related))
    for rule in M.RULES
    for related in rule.contexts()
    for caller in M.CALLERS
]


@pytest.mark.parametrize("key,caller,related", CASES)
def test_access_matrix_cell(key, caller, related, world, err):
    rule = M.RULES_BY_KEY[key]
    acct = world.callers[caller]
    call = BUILDERS[key](world, caller, acct, related)
    refusal = rule.outcome(caller, related)
    params = {"from": acct, "value": call.value}
    if refusal is None:
        tx = call.fn(*call.args, params)
        assert tx.status == 1, f"{key} as {caller}: expected success"
        return
    with err.reverts_with(refusal.signature, *resolve(refusal, acct, call.names)):
        call.fn(*call.args, params)


def test_matrix_knows_every_state_changing_function():
    """A function added to any ledger contract fails here until the matrix has a rule for it."""
    assert set(CONSTRUCTOR_ARGS) == set(M.CONTRACTS), "ledger/core/deploy.py deploys other contracts"
    in_abis = {(name, sig) for name in M.CONTRACTS for sig in state_changing(CONTAINERS[name].abi)}
    known = M.signatures()
    assert in_abis - known == set(), "state-changing functions without a rule in access_matrix_data.RULES"
    assert known - in_abis == set(), "rules for functions no contract has"


def test_every_rule_has_an_argument_builder():
    assert set(BUILDERS) == set(M.RULES_BY_KEY)


def test_every_refusal_is_a_declared_error():
    """Each refusal of the matrix is an error some ledger contract's ABI declares."""
    declared = set()
    for name in M.CONTRACTS:
        declared |= {abi_signature(e) for e in CONTAINERS[name].abi if e.get("type") == "error"}
    for rule in M.RULES:
        for refusal in (rule.role_refusal, rule.relation_refusal):
            if refusal is not None:
                assert refusal.signature in declared, f"{rule.key}: {refusal.signature} is not declared"
        if rule.roles != M.ANYONE:
            assert rule.role_refusal is not None, f"{rule.key} refuses some callers but names no refusal"
        if rule.relation is not None:
            assert rule.relation_refusal is not None, f"{rule.key} has a relation but no refusal for it"


def test_each_caller_holds_exactly_its_role(world):
    for caller, acct in world.callers.items():
        held = {name for name, role_id in ROLE_IDS.items() if world.roles.hasRole(role_id, acct)}
        assert held == ({CALLER_ROLE[caller]} if CALLER_ROLE[caller] else set()), caller


def test_security_doc_holds_the_generated_matrix():
    from scripts.access_matrix import DOC, current_block, generated_block

    assert current_block(DOC.read_text(encoding="utf-8")) == generated_block(), (
        "docs/SECURITY.md is out of date: run python scripts/access_matrix.py --write"
    )
