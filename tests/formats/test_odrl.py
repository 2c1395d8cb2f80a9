"""ODRL 2.2 policies of licences: permissions, constraints (territory, period, purpose) and duties."""

from __future__ import annotations

import json

from ledger.domain.formats import odrl as ODRL
from tests.cli.test_licence_cli import run, works

# ODRL 2.2 Common Vocabulary terms the policies may use (W3C Recommendation, 2018-02-15, sections 2-4)
ODRL_ACTIONS = {"reproduce", "distribute", "present", "derive", "translate", "display", "use", "extract",
                "compensate", "ensureExclusivity"}
ODRL_OPERANDS = {"spatial", "dateTime", "purpose", "payAmount"}
ODRL_OPERATORS = {"eq", "gteq", "lt", "isAnyOf"}


def _walk_terms(policy):
    for p in policy["permission"]:
        yield "action", p["action"]
        for c in p["constraint"]:
            yield "operand", c["leftOperand"]
            yield "operator", c["operator"]
        for d in p.get("duty", []):
            for a in d["action"] if isinstance(d["action"], list) else [d["action"]]:
                if isinstance(a, str):
                    yield "action", a
                else:
                    yield "action", a["rdf:value"]["@id"].removeprefix("odrl:")
                    for r in a["refinement"]:
                        yield "operand", r["leftOperand"]
                        yield "operator", r["operator"]


def test_cli_policy_of_a_granted_licence(ledger_env, tmp_path):
    (wid,) = works(ledger_env, "odrl")
    p = run(ledger_env, "licence", "grant", "licensee", "--work", wid, "--use", "ai-training", "--use", "reproduce",
            "--use", "broadcast", "--territory", "CN,JP", "--start", "2020-01-01", "--end", "2100-01-01",
            "--rate", "7", "--exclusive", "--terms", "Training on the recordings only.", "--json", who="alice")
    assert p.returncode == 0, p.stderr
    lid = json.loads(p.stdout)["licenceId"]
    out = tmp_path / "policy.jsonld"
    p = run(ledger_env, "licence", "odrl", str(lid), "-o", str(out), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    policy = doc["policy"]
    assert json.loads(out.read_text()) == policy
    assert policy["@context"][0] == "http://www.w3.org/ns/odrl.jsonld" and policy["@type"] == "Agreement"
    assert policy["uid"].endswith(f":licence:{lid}") and policy["dct:source"].startswith("ipfs://")
    perms = {pm["rl:use"]: pm for pm in policy["permission"]}
    assert set(perms) == {"ai-training", "reproduce", "broadcast"}
    assert perms["reproduce"]["action"] == "reproduce" and perms["broadcast"]["action"] == "rl:broadcast"
    train = perms["ai-training"]
    assert train["action"] == "use" and train["target"] == f"urn:rights-ledger:work:{wid}"
    assert train["assigner"] == f"urn:rights-ledger:account:{ledger_env.addresses['alice']}"
    assert train["assignee"] == f"urn:rights-ledger:account:{ledger_env.addresses['licensee']}"
    cons = {(c["leftOperand"], c["operator"]): c["rightOperand"] for c in train["constraint"]}
    assert cons[("spatial", "isAnyOf")] == ["CN", "JP"]
    assert cons[("dateTime", "gteq")]["@value"] == "2020-01-01T00:00:00Z"
    assert cons[("dateTime", "lt")]["@value"] == "2100-01-01T00:00:00Z"
    assert cons[("purpose", "eq")] == "rl:ai-training"
    pay = train["duty"][0]["action"][0]["refinement"][0]
    assert pay["leftOperand"] == "payAmount" and pay["rightOperand"]["@value"] == "7" and pay["rl:perUse"]
    assert pay["rl:decimals"] == 6 and pay["unit"].startswith("urn:rights-ledger:")
    assert {"action": "ensureExclusivity"} in train["duty"]
    for kind, term in _walk_terms(policy):
        allowed = {"action": ODRL_ACTIONS, "operand": ODRL_OPERANDS, "operator": ODRL_OPERATORS}[kind]
        assert term in allowed or term.startswith("rl:"), (kind, term)
    assert sorted(ODRL.uses_of(policy)) == ["ai-training", "broadcast", "reproduce"]
    # published beside the terms document: the same bytes come back from the store under the CID
    from ledger.content.canonical import canonical_json

    assert ledger_env.ledger().store.cat(doc["cid"]) == canonical_json(policy)
    again = json.loads(run(ledger_env, "licence", "odrl", str(lid), "--json").stdout)
    assert again["cid"] == doc["cid"]  # deterministic: anyone can regenerate and compare


def test_unknown_licence_is_one_line_error(ledger_env):
    p = run(ledger_env, "licence", "odrl", "999999")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "no licence" in p.stderr
