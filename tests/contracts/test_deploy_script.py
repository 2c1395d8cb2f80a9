"""scripts/deploy.py deploys through the SDK on Brownie's network and records the addresses."""

import json

from brownie import web3

from scripts.deploy import main


def test_deploy_script_records_addresses_with_code(tmp_path, monkeypatch):
    monkeypatch.setenv("RIGHTS_LEDGER_HOME", str(tmp_path))
    addresses = main(name="brownie-dev")
    recorded = json.loads((tmp_path / "deployments" / "brownie-dev.json").read_text())
    assert recorded["chainId"] == web3.eth.chain_id
    for name in ("LedgerRoles", "WorkRegistry"):
        assert recorded["contracts"][name]["address"] == addresses[name]
        assert len(web3.eth.get_code(addresses[name])) > 0


def test_deploy_script_upgrade_keeps_roles_and_links_predecessor(tmp_path, monkeypatch):
    monkeypatch.setenv("RIGHTS_LEDGER_HOME", str(tmp_path))
    first = main(name="brownie-dev")
    monkeypatch.setenv("RIGHTS_LEDGER_UPGRADE", "1")
    second = main(name="brownie-dev")
    recorded = json.loads((tmp_path / "deployments" / "brownie-dev.json").read_text())
    assert second["LedgerRoles"] == first["LedgerRoles"]
    assert second["WorkRegistry"] != first["WorkRegistry"]
    # the registry and the contracts built on it are new; the token and the royalty pool keep their
    # state (the pool, with its open periods, payments and claims, is pointed at the new coverage lens)
    renewed = {"WorkRegistry", "LicenceRegistry", "AttestationRegistry", "CoverageLens"}
    assert {h["name"] for h in recorded["history"]} == renewed
    assert {h["address"] for h in recorded["history"]} == {first[n] for n in renewed}
    assert second["SettlementToken"] == first["SettlementToken"]
    assert second["RoyaltyPool"] == first["RoyaltyPool"]
    pool_abi = json.loads(open("build/contracts/RoyaltyPool.json").read())["abi"]
    pool = web3.eth.contract(address=second["RoyaltyPool"], abi=pool_abi)
    assert pool.functions.lens().call() == second["CoverageLens"] != first["CoverageLens"]
    abi = json.loads(open("build/contracts/WorkRegistry.json").read())["abi"]
    new = web3.eth.contract(address=second["WorkRegistry"], abi=abi)
    assert new.functions.predecessor().call() == first["WorkRegistry"]
    roles_abi = json.loads(open("build/contracts/LedgerRoles.json").read())["abi"]
    roles = web3.eth.contract(address=second["LedgerRoles"], abi=roles_abi)
    assert roles.functions.roleListeners().call() == [first["WorkRegistry"], second["WorkRegistry"]]
