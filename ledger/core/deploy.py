"""Deploying the ledger contracts with a local key, and recording their addresses.

Used by ``rights-ledger node start`` (embedded node, first start) and by the Brownie
script ``scripts/deploy.py`` (any network Brownie knows), so there is one deployment path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.core.artifacts import LEDGER_CONTRACTS, load_artifact
from ledger.core.chain import Chain
from ledger.core.deployments import ContractRecord, Deployment, save_deployment

ZERO = "0x0000000000000000000000000000000000000000"
DEFAULT_COMMISSION_BPS = 1000  # RoyaltyPool: the CMO keeps 10% (a setting: RoyaltyPool.setCommission)

# Constructor arguments of each contract, from the addresses deployed before it.
CONSTRUCTOR_ARGS: dict[str, Callable[[dict[str, str], str, dict[str, str]], list[Any]]] = {
    "LedgerRoles": lambda done, governor, prev: [governor],
    "WorkRegistry": lambda done, governor, prev: [done["LedgerRoles"], prev.get("WorkRegistry", ZERO)],
    "LicenceRegistry": lambda done, governor, prev: [done["LedgerRoles"], done["WorkRegistry"]],
    "CoverageLens": lambda done, governor, prev: [done["LicenceRegistry"], done["WorkRegistry"]],
    "AttestationRegistry": lambda done, governor, prev: [done["LedgerRoles"], done["WorkRegistry"]],
    "SettlementToken": lambda done, governor, prev: [done["LedgerRoles"]],
    "RoyaltyPool": lambda done, governor, prev: [done["LedgerRoles"], done["SettlementToken"], DEFAULT_COMMISSION_BPS,
                                                 done["CoverageLens"]],
}


# What each contract's constructor refers to: replacing one replaces its dependents too.
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "LedgerRoles": (),
    "WorkRegistry": ("LedgerRoles",),
    "LicenceRegistry": ("LedgerRoles", "WorkRegistry"),
    "CoverageLens": ("LicenceRegistry", "WorkRegistry"),
    "AttestationRegistry": ("LedgerRoles", "WorkRegistry"),
    "SettlementToken": ("LedgerRoles",),
    "RoyaltyPool": ("LedgerRoles", "SettlementToken"),  # a new CoverageLens is set on it (setLens, VERSION 3)
}
POOL_SETS_LENS = 3  # RoyaltyPool's VERSION from which the governor can point it at a new CoverageLens
# Contracts that keep a mirror of LedgerRoles (IRoleListener) and the roles they mirror.
ROLE_LISTENERS = {"WorkRegistry": ("REGISTRAR_ROLE", "CMO_ROLE", "HOLDER_ROLE")}
SYNC_PAGE = 200


def to_replace(requested: tuple[str, ...]) -> set[str]:
    """The requested contracts and every contract that depends on one of them."""
    out = set(requested)
    changed = True
    while changed:
        changed = False
        for name, deps in DEPENDS_ON.items():
            if name not in out and out.intersection(deps):
                out.add(name)
                changed = True
    return out


def deploy_all(
    chain: Chain,
    signer: LocalAccount,
    build_dir: Path,
    deployments_file: Path,
    *,
    governor: str | None = None,
    previous: Deployment | None = None,
    replace: tuple[str, ...] = ("WorkRegistry",),
    log: Callable[[str], None] = lambda _msg: None,
) -> Deployment:
    """Deploy every ledger contract in order and record them in ``deployments_file``.

    A fresh deployment makes the signer the governor while it wires the contracts (role
    listeners), then hands GOVERNOR to ``governor`` and renounces it. With ``previous``,
    only ``replace`` and the contracts depending on them are deployed anew (roles, the
    token and the pools keep their addresses and balances); the new WorkRegistry names the
    old one as its predecessor and the old records move to ``history``
    (docs/adr/002-contract-evolution.md).
    """
    governor = governor or signer.address
    prev_addresses = {k: v.address for k, v in previous.contracts.items()} if previous else {}
    renew = to_replace(replace) if previous else set(LEDGER_CONTRACTS)
    old_pool = previous.contracts.get("RoyaltyPool") if previous else None
    if "CoverageLens" in renew and old_pool is not None and old_pool.version < POOL_SETS_LENS:
        renew.add("RoyaltyPool")  # an older pool has its lens fixed at construction
    done: dict[str, str] = {}
    records: dict[str, ContractRecord] = {}
    for name in LEDGER_CONTRACTS:
        if previous and name not in renew and name in previous.contracts:
            done[name] = previous.contracts[name].address
            records[name] = previous.contracts[name]
            continue
        art = load_artifact(build_dir, name)
        first_governor = signer.address if name == "LedgerRoles" else governor
        args = CONSTRUCTOR_ARGS[name](done, first_governor, prev_addresses)
        address, result = chain.deploy(art.abi, art.bytecode, args, signer)
        version = int(chain.w3.eth.contract(address=address, abi=art.abi).functions.VERSION().call()) if any(
            e.get("name") == "VERSION" for e in art.abi
        ) else 1
        done[name] = address
        records[name] = ContractRecord(name, address, result.block_number, version, result.tx_hash)
        log(f"deployed {name} at {address} (block {result.block_number}, gas {result.gas_used})")
        if name in ROLE_LISTENERS:
            _add_listener(chain, signer, build_dir, done["LedgerRoles"], address, ROLE_LISTENERS[name], log)
        if name == "WorkRegistry" and prev_addresses.get(name):
            _retire(chain, signer, build_dir, done["LedgerRoles"], prev_addresses[name], address, log)
    if previous and "CoverageLens" in renew and "RoyaltyPool" not in renew:
        _set_lens(chain, signer, build_dir, done, log)
    if previous and "LicenceRegistry" in renew and prev_addresses.get("LicenceRegistry"):
        _carry_tariffs(chain, signer, build_dir, done, prev_addresses["LicenceRegistry"], log)
    if not previous and governor != signer.address:
        roles = chain.w3.eth.contract(address=done["LedgerRoles"], abi=load_artifact(build_dir, "LedgerRoles").abi)
        chain.transact(roles.functions.grantRole(b"\x00" * 32, governor), signer)
        chain.transact(roles.functions.renounceRole(b"\x00" * 32, signer.address), signer)
        log(f"handed GOVERNOR to {governor}")
    history: tuple[ContractRecord, ...] = ()
    if previous:
        replaced = tuple(c for n, c in previous.contracts.items() if records[n].address != c.address)
        history = previous.history + replaced
    chain.make_durable()
    deployment = Deployment(chain.profile.name, chain.chain_id, records, history)
    save_deployment(deployments_file, deployment)
    return deployment


def _retire(chain: Chain, signer: LocalAccount, build_dir: Path, roles_address: str, old: str, new: str,
            log: Callable[[str], None]) -> None:
    """Retire the previous WorkRegistry in favour of ``new``: until then ``new`` takes no new works."""
    roles = chain.w3.eth.contract(address=roles_address, abi=load_artifact(build_dir, "LedgerRoles").abi)
    if not roles.functions.hasRole(b"\x00" * 32, signer.address).call():
        log(f"the deployer is not GOVERNOR: the governor must call retire({new}) on WorkRegistry {old}")
        return
    registry = chain.w3.eth.contract(address=old, abi=load_artifact(build_dir, "WorkRegistry").abi)
    chain.transact(registry.functions.retire(new), signer)
    log(f"retired WorkRegistry {old} in favour of {new}")


def _set_lens(chain: Chain, signer: LocalAccount, build_dir: Path, done: dict[str, str],
              log: Callable[[str], None]) -> None:
    """Point the kept RoyaltyPool at the new CoverageLens: its open periods and balances stay."""
    roles = chain.w3.eth.contract(address=done["LedgerRoles"], abi=load_artifact(build_dir, "LedgerRoles").abi)
    if not roles.functions.hasRole(b"\x00" * 32, signer.address).call():
        log(f"the deployer is not GOVERNOR: the governor must call setLens({done['CoverageLens']}) on "
            f"RoyaltyPool {done['RoyaltyPool']}")
        return
    pool = chain.w3.eth.contract(address=done["RoyaltyPool"], abi=load_artifact(build_dir, "RoyaltyPool").abi)
    chain.transact(pool.functions.setLens(done["CoverageLens"]), signer)
    log(f"RoyaltyPool {done['RoyaltyPool']} now weighs usage with CoverageLens {done['CoverageLens']}")


def _carry_tariffs(chain: Chain, signer: LocalAccount, build_dir: Path, done: dict[str, str], old: str,
                   log: Callable[[str], None]) -> None:
    """Set, in a new LicenceRegistry, each use's statutory tariff version in force now in the old
    one, and a later version already scheduled there (TR5a): a tariff is the use's, not a
    contract version's, and works of the new version must not lose it. In the new registry the
    carried version starts at the upgrade's block (a version never applies before it was set);
    works of the old version keep reading the old registry, where nothing changes."""
    from ledger.core.types import USES

    roles = chain.w3.eth.contract(address=done["LedgerRoles"], abi=load_artifact(build_dir, "LedgerRoles").abi)
    abi = load_artifact(build_dir, "LicenceRegistry").abi
    if not roles.functions.hasRole(b"\x00" * 32, signer.address).call():
        log("the deployer is not GOVERNOR: the governor must set the tariffs in force again in LicenceRegistry "
            f"{done['LicenceRegistry']}")
        return
    before = chain.w3.eth.contract(address=old, abi=abi)
    after = chain.w3.eth.contract(address=done["LicenceRegistry"], abi=abi)
    now = int(chain.w3.eth.get_block("latest")["timestamp"])
    for name, bit in USES.items():
        in_force = tuple(before.functions.tariffAt(bit, now).call())
        latest = tuple(before.functions.tariffOf(bit).call())
        versions = [t for t in (in_force, latest) if t[3] and t[3] > now]  # (amount, period, from, until)
        if len(versions) == 2 and versions[0][2] == versions[1][2]:
            versions.pop()
        for amount, period, valid_from, valid_until in versions:
            chain.transact(after.functions.setTariff(bit, amount, period, valid_from, valid_until), signer)
            log(f"carried the {name} tariff ({amount} per work per {period} s, from {valid_from}) to "
                f"LicenceRegistry {done['LicenceRegistry']}")


def _add_listener(
    chain: Chain,
    signer: LocalAccount,
    build_dir: Path,
    roles_address: str,
    listener: str,
    role_names: tuple[str, ...],
    log: Callable[[str], None],
) -> None:
    """Register ``listener`` with LedgerRoles and replay the current members to it."""
    roles = chain.w3.eth.contract(address=roles_address, abi=load_artifact(build_dir, "LedgerRoles").abi)
    if not roles.functions.hasRole(b"\x00" * 32, signer.address).call():
        log(f"the deployer is not GOVERNOR: the governor must call addRoleListener({listener}) on LedgerRoles")
        return
    chain.transact(roles.functions.addRoleListener(listener), signer)
    for role_name in role_names:
        role = getattr(roles.functions, role_name)().call()
        members = roles.functions.getRoleMemberCount(role).call()
        for start in range(0, members, SYNC_PAGE):
            chain.transact(roles.functions.syncRoleListener(listener, role, start, SYNC_PAGE), signer)
    log(f"{listener} mirrors roles {', '.join(role_names)}")
