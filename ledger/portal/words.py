"""The chain's codes in words (translated where they are shown): work types, creation modes,
uses, statuses, licence scopes and states, reasons, event names and their argument names."""

from __future__ import annotations

from ledger.core.i18n import N_, gettext
from ledger.core.types import USES, mask_to_uses

WORK_TYPES = {1: N_("music"), 2: N_("text"), 3: N_("audiovisual"), 4: N_("image"), 5: N_("software"),
              6: N_("other")}  # fmt: skip
WORK_TYPE_LABELS = {"music": 1, "text": 2, "audiovisual": 3, "image": 4, "software": 5, "other": 6}
CREATION_MODES = {1: N_("human"), 2: N_("AI-assisted"), 3: N_("AI-generated")}
CREATION_LABELS = {"human": 1, "ai-assisted": 2, "ai-generated": 3}
USE_WORDS = {
    "reproduce": N_("reproduction"),
    "distribute": N_("distribution of copies"),
    "perform": N_("performance"),
    "broadcast": N_("broadcasting"),
    "adapt": N_("adaptation"),
    "ai-training": N_("AI training"),
    "text-and-data-mining": N_("text and data mining"),
    "communicate": N_("communication to the public"),
    "translate": N_("translation"),
    "display": N_("display"),
}
assert set(USE_WORDS) == set(USES)
STATUSES = {"NONE": N_("not registered"), "PENDING": N_("pending confirmation"), "CONFIRMED": N_("confirmed"),
            "REJECTED": N_("rejected"), "DISPUTED": N_("disputed"), "REVOKED": N_("revoked")}  # fmt: skip
LICENCE_STATES = {"active": N_("active"), "suspended": N_("suspended"), "revoked": N_("revoked"),
                  "expired": N_("expired"), "not yet valid": N_("not yet valid"),
                  "reserved": N_("reserved by the holder")}  # fmt: skip
SCOPES = {"work": N_("this work"), "list": N_("a list of works"), "repertoire": N_("blanket licence (repertoire)")}
GRANTS = {"work licence": N_("work licence"), "blanket licence": N_("blanket licence"),
          "open licence": N_("open licence"), "statutory tariff": N_("statutory licence (tariff)")}  # fmt: skip
REASONS = {"none": N_("no licence covers this use"), "revoked": N_("the licence is revoked"),
           "suspended": N_("the licence is suspended"), "not yet valid": N_("the licence is not yet valid"),
           "expired": N_("the licence has expired"), "wrong territory": N_("not licensed in this territory"),
           "mandate withdrawn": N_("the holder withdrew the CMO's mandate"),
           "reserved": N_("the holder reserved this use (opt-out)"),
           "work not confirmed": N_("the work is not confirmed")}  # fmt: skip

# Event types, grouped by what they are about (one colour per group in the charts).
EVENT_GROUPS = {
    "works": (N_("Registration and confirmation"), ("WorkRegistered", "WorkConfirmed", "WorkRejected",
                                                     "ShareTransferred", "ActionConsented", "UsesReserved",
                                                     "ClaimFiled", "ClaimAwarded", "ClaimsDismissed",
                                                     "RegistryRetired", "NearDuplicateFlagged",
                                                     "NearDuplicateOverridden")),
    "disputes": (N_("Disputes"), ("DisputeOpened", "DisputeResolved")),
    "licences": (N_("Licences"), ("LicenceGranted", "OpenLicencePublished", "LicenceSuspended", "LicenceResumed",
                                  "LicenceRevoked", "OfferAccepted", "OfferCancelled", "MandateGranted",
                                  "MandateWithdrawn", "TariffSet", "SettlementTokenSet")),
    "usage": (N_("Usage reports and royalties"), ("UsageRecorded", "UsageReportRecorded", "Paid", "PeriodClosed",
                                                  "DistributionPublished", "Claimed", "CommissionSet", "ReportRefused",
                                                  "CarryApplied", "UnclaimedSwept", "Transfer", "Approval",
                                                  "LensChanged")),
    "attestations": (N_("Attestations and AI provenance"), ("Attested", "TimestampLinked", "GenerationRecorded")),
    "roles": (N_("Roles and identities"), ("RoleGranted", "RoleRevoked", "RoleAdminChanged", "RoleMirrored",
                                           "RoleListenerAdded", "IdentityVerified", "RoleListenerRemoved",
                                           "RoleListenerFailed", "RoleMirrorDisabled")),
}
GROUP_OF = {ev: g for g, (_label, evs) in EVENT_GROUPS.items() for ev in evs}
GROUP_COLOURS = {"works": "#2b6cb0", "disputes": "#c53030", "licences": "#2f855a", "usage": "#b7791f",
                 "attestations": "#6b46c1", "roles": "#4a5568", "other": "#a0aec0"}  # fmt: skip
EVENTS = {
    "WorkRegistered": N_("work registered"),
    "WorkConfirmed": N_("registration confirmed"),
    "WorkRejected": N_("registration rejected"),
    "ShareTransferred": N_("share transferred"),
    "ActionConsented": N_("holder consented"),
    "UsesReserved": N_("uses reserved (opt-out)"),
    "ClaimFiled": N_("competing claim filed"),
    "ClaimAwarded": N_("competing claim awarded"),
    "ClaimsDismissed": N_("competing claims dismissed"),
    "RegistryRetired": N_("registry retired for a successor"),
    "NearDuplicateFlagged": N_("flagged as a near-duplicate"),
    "NearDuplicateOverridden": N_("confirmed despite a near-duplicate"),
    "RoleListenerRemoved": N_("role listener removed"),
    "RoleListenerFailed": N_("role listener failed"),
    "RoleMirrorDisabled": N_("role mirror disabled"),
    "DisputeOpened": N_("dispute opened"),
    "DisputeResolved": N_("dispute resolved"),
    "LicenceGranted": N_("licence granted"),
    "OpenLicencePublished": N_("open licence published"),
    "LicenceSuspended": N_("licence suspended"),
    "LicenceResumed": N_("licence resumed"),
    "LicenceRevoked": N_("licence revoked"),
    "OfferAccepted": N_("licence offer accepted"),
    "OfferCancelled": N_("licence offer cancelled"),
    "MandateGranted": N_("CMO mandate granted"),
    "MandateWithdrawn": N_("CMO mandate withdrawn"),
    "TariffSet": N_("statutory tariff set"),
    "SettlementTokenSet": N_("settlement token set"),
    "UsageRecorded": N_("usage recorded"),
    "UsageReportRecorded": N_("usage report recorded"),
    "Paid": N_("royalties paid"),
    "PeriodClosed": N_("period closed"),
    "DistributionPublished": N_("distribution published"),
    "Claimed": N_("royalties claimed"),
    "CommissionSet": N_("CMO commission set"),
    "LensChanged": N_("royalty pool's coverage lens changed"),
    "ReportRefused": N_("usage report refused"),
    "CarryApplied": N_("carry applied to the next period"),
    "UnclaimedSwept": N_("unclaimed royalties swept"),
    "Transfer": N_("tokens transferred"),
    "Approval": N_("token allowance approved"),
    "EIP712DomainChanged": N_("signing domain changed"),
    "Attested": N_("hash attested"),
    "TimestampLinked": N_("timestamp linked"),
    "GenerationRecorded": N_("AI generation recorded"),
    "RoleGranted": N_("role granted"),
    "RoleRevoked": N_("role revoked"),
    "RoleAdminChanged": N_("role admin changed"),
    "RoleMirrored": N_("role mirrored"),
    "RoleListenerAdded": N_("role listener added"),
    "IdentityVerified": N_("identity verified"),
}
ARGS = {
    "holder": N_("holder"), "holders": N_("holders"), "registrant": N_("registrant"), "registrar": N_("registrar"),
    "cmo": N_("CMO"), "licensor": N_("licensor"), "licensee": N_("licensee"), "account": N_("account"),
    "claimant": N_("claimant"), "from": N_("from"), "to": N_("to"), "by": N_("by"), "payer": N_("payer"),
    "governor": N_("governor"), "attester": N_("attester"), "generator": N_("generator"), "sender": N_("sender"),
    "workType": N_("type"), "creationMode": N_("creation"), "reservedUses": N_("reserved"), "uses": N_("uses"),
    "bps": N_("share"), "shares": N_("shares"), "metadataCid": N_("metadata"), "licenceId": N_("licence"),
    "disputeId": N_("dispute"), "period": N_("period"), "amount": N_("amount"), "at": N_("at"),
    "reason": N_("reason"), "role": N_("role"), "granted": N_("granted"), "evidenceCid": N_("evidence"),
    "actionHash": N_("action hash"), "amountPerWork": N_("amount per work"), "cid": N_("document"),
    "code": N_("open licence code"), "collective": N_("collective (CMO)"), "commission": N_("commission"),
    "commissionBps": N_("commission"), "commitment": N_("real-name commitment"), "effectiveAt": N_("effective"),
    "hash": N_("hash"), "inputsRoot": N_("inputs root"), "kind": N_("kind"), "line": N_("line"),
    "lineCount": N_("lines"), "listener": N_("listener"), "metadataDigest": N_("metadata digest"),
    "modelName": N_("model"), "modelVersion": N_("model version"), "newAdminRole": N_("new admin role"),
    "nonce": N_("nonce"), "outcome": N_("ruling"), "outputHash": N_("output hash"), "paid": N_("paid"),
    "paidIn": N_("paid in"), "paramsCid": N_("parameters"), "previousAdminRole": N_("previous admin role"),
    "reasonCid": N_("reason document"), "reasonCode": N_("reason code"), "recordId": N_("record"),
    "reportId": N_("usage report"), "residue": N_("residue"), "root": N_("Merkle root"), "start": N_("start"),
    "terms": N_("terms"), "termsCid": N_("terms document"), "time": N_("time"), "token": N_("token"),
    "total": N_("total"), "totals": N_("totals"), "tsaTokenCid": N_("timestamp token"), "use": N_("use"),
    "validFrom": N_("valid from"), "validUntil": N_("valid until"), "value": N_("value"), "workIds": N_("works"),
    "claimants": N_("claimants"), "barredUntil": N_("barred until"), "openedAt": N_("opened"),
    "resolvedAt": N_("resolved"), "successor": N_("successor"), "operator": N_("operator"), "owner": N_("owner"),
    "spender": N_("spender"), "approved": N_("approved"),
}  # fmt: skip
ADDRESS_ARGS = {"holder", "registrant", "registrar", "cmo", "licensor", "licensee", "account", "claimant", "from",
                "to", "by", "payer", "governor", "attester", "generator", "sender", "listener", "token",
                "admin"}  # fmt: skip


def t(table: dict, key: object) -> str:
    """``key`` in words in the language in force (the key itself when the table lacks it)."""
    word = table.get(key)  # type: ignore[call-overload]
    return gettext(word) if word else str(key)


def uses_in_words(uses: list[str] | tuple[str, ...] | int) -> str:
    names = mask_to_uses(uses) if isinstance(uses, int) else uses
    return gettext(", ").join(t(USE_WORDS, u) for u in names) if names else gettext("none")


def work_summary(work_type: int, creation_mode: int, reserved: list[str] | tuple[str, ...]) -> str:
    """``music, human, reserved: AI training``."""
    parts = [t(WORK_TYPES, work_type), t(CREATION_MODES, creation_mode)]
    if reserved:
        parts.append(gettext("reserved: {uses}").format(uses=uses_in_words(reserved)))
    return gettext(", ").join(parts)
