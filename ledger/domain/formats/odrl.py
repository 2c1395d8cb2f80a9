"""ODRL 2.2 (W3C Open Digital Rights Language) policies for licences, beside the project's terms document.

:func:`licence_policy` renders a recorded licence as an ODRL 2.2 ``Agreement`` (an open licence:
a ``Set`` with no assignee) in JSON-LD, deterministically from what the chain records, so a
licensee's tooling can read the permissions, constraints and duties and anyone can regenerate
and compare it. One ``permission`` per licensed use:

* **target**: the work (``urn:rights-ledger:work:0x...``) or, for a list or blanket licence, an
  ``AssetCollection`` (the listed works / the licensor's repertoire);
* **assigner / assignee**: ``urn:rights-ledger:account:0x...``;
* **action** (ODRL Common Vocabulary where it has one): reproduce->``reproduce``,
  distribute->``distribute``, perform->``present`` (publicly perform), adapt->``derive``,
  translate->``translate``, display->``display``, ai-training->``use``,
  text-and-data-mining->``extract``; broadcast and communicate have no ODRL action and use the
  profile's ``rl:broadcast`` / ``rl:communicate`` (both narrower than ``distribute``);
* **constraints**: ``spatial`` isAnyOf the ISO 3166 codes (none: worldwide), ``dateTime`` gteq
  the start and lt the end (ISO 8601 UTC), and ``purpose`` for ai-training / text-and-data-mining;
* **duties**: ``compensate`` with ``payAmount`` (the flat fee, and the rate per use with
  ``rl:perUse``) in the smallest unit of the token they are paid in (``unit``: the settlement token
for flat fees, or the native currency; the royalty token for per-use amounts; ``rl:decimals``),
  ``ensureExclusivity`` for an exclusive licence.

The policy's ``dct:source`` is the project's terms document (``ipfs://<terms CID>``); the policy
is stored in the same content-addressed store, so it is published beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
PROFILE = "urn:rights-ledger:odrl-profile:1"
ACTIONS = {
    "reproduce": "reproduce", "distribute": "distribute", "perform": "present", "adapt": "derive",
    "translate": "translate", "display": "display", "ai-training": "use", "text-and-data-mining": "extract",
    "broadcast": "rl:broadcast", "communicate": "rl:communicate",
}  # fmt: skip
PURPOSES = {"ai-training": "rl:ai-training", "text-and-data-mining": "rl:text-and-data-mining"}


def iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def account(addr: str) -> str:
    return f"urn:rights-ledger:account:{addr}"


def licence_policy(rec: Any, *, chain_id: int, registry: str, fee_token: str | None = None,
                   rate_token: str | None = None, rate_decimals: int | None = None,
                   repertoire_of: str | None = None) -> dict[str, Any]:
    """``fee_token``: the ERC-20 flat fees are paid in (None: the chain's native currency, 18 decimals);
    ``rate_token`` / ``rate_decimals``: the royalty token per-use amounts are owed in."""
    """The ODRL 2.2 policy (JSON-LD object) of one :class:`~ledger.domain.licensing.LicenceRecord`."""
    uid = f"urn:rights-ledger:{chain_id}:{registry}:licence:{rec.licence_id}"
    if rec.scope == "work" and len(rec.work_ids) == 1:
        target: Any = f"urn:rights-ledger:work:{rec.work_ids[0]}"
    elif rec.work_ids:
        target = {"@type": "AssetCollection", "uid": f"{uid}:works",
                  "rl:members": [f"urn:rights-ledger:work:{w}" for w in rec.work_ids]}
    else:
        target = {"@type": "AssetCollection", "uid": f"urn:rights-ledger:repertoire:{repertoire_of or rec.licensor}"}
    common: list[dict[str, Any]] = []
    if rec.territories:
        common.append({"leftOperand": "spatial", "operator": "isAnyOf", "rightOperand": list(rec.territories),
                       "rl:codes": "ISO 3166-1 alpha-2"})
    common.append({"leftOperand": "dateTime", "operator": "gteq",
                   "rightOperand": {"@value": iso(rec.start), "@type": "xsd:dateTime"}})
    if rec.end is not None:
        common.append({"leftOperand": "dateTime", "operator": "lt",
                       "rightOperand": {"@value": iso(rec.end), "@type": "xsd:dateTime"}})
    duties: list[dict[str, Any]] = []
    fee_unit = {"unit": f"urn:rights-ledger:{chain_id}:token:{fee_token}"} if fee_token else \
        {"unit": f"urn:rights-ledger:{chain_id}:native", "rl:decimals": 18}
    rate_unit = {"unit": f"urn:rights-ledger:{chain_id}:token:{rate_token}"} if rate_token else {}
    if rate_decimals is not None:
        rate_unit["rl:decimals"] = rate_decimals
    if rec.flat_fee:
        duties.append({"action": [{"rdf:value": {"@id": "odrl:compensate"}, "refinement": [
            {"leftOperand": "payAmount", "operator": "eq",
             "rightOperand": {"@value": str(rec.flat_fee), "@type": "xsd:decimal"}, **fee_unit}]}]})
    if rec.rate_per_use:
        duties.append({"action": [{"rdf:value": {"@id": "odrl:compensate"}, "refinement": [
            {"leftOperand": "payAmount", "operator": "eq",
             "rightOperand": {"@value": str(rec.rate_per_use), "@type": "xsd:decimal"}, **rate_unit,
             "rl:perUse": True}]}]})
    if rec.exclusive:
        duties.append({"action": "ensureExclusivity"})
    permissions = []
    for use in rec.uses:
        constraints = list(common)
        if use in PURPOSES:
            constraints.append({"leftOperand": "purpose", "operator": "eq", "rightOperand": PURPOSES[use]})
        p: dict[str, Any] = {"target": target, "assigner": account(rec.licensor), "action": ACTIONS[use],
                             "rl:use": use, "constraint": constraints}
        if rec.licensee:
            p["assignee"] = account(rec.licensee)
        if duties:
            p["duty"] = duties
        permissions.append(p)
    policy: dict[str, Any] = {
        "@context": [ODRL_CONTEXT, {"rl": "urn:rights-ledger:vocab:", "dct": "http://purl.org/dc/terms/",
                                    "xsd": "http://www.w3.org/2001/XMLSchema#",
                                    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}],
        "@type": "Agreement" if rec.licensee else "Set",
        "uid": uid,
        "profile": PROFILE,
        "permission": permissions,
        "rl:state": rec.state,
    }
    if rec.terms_cid:
        policy["dct:source"] = f"ipfs://{rec.terms_cid}"
    if rec.open_code:
        policy["rl:openLicence"] = rec.open_code
    return policy


def uses_of(policy: dict[str, Any]) -> Sequence[str]:
    """The project's uses a policy permits (what a reader of the policy gets back)."""
    back = {v: k for k, v in ACTIONS.items()}
    out = []
    for p in policy.get("permission", []):
        use = back.get(p["action"]) if isinstance(p.get("action"), str) else None
        purpose = next((c["rightOperand"] for c in p.get("constraint", []) if c.get("leftOperand") == "purpose"), None)
        if purpose:
            use = next(k for k, v in PURPOSES.items() if v == purpose)
        if use:
            out.append(use)
    return out


__all__ = ["ACTIONS", "licence_policy", "uses_of"]
