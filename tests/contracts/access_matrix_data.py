"""The access matrix of the ledger contracts, as data.

One `Rule` per external state-changing function (a function whose arguments select
different rules, like `grantRole`, has one rule per variant). A rule says which callers
pass its role gate and, where the rule is about a relation rather than a role ("holder of
the work", "licensor of the licence", ...), which relation the caller must also have.

The same data drives:

- `tests/contracts/test_access_matrix.py`, which calls every rule as every role (and as an
  account with no role), with and without the relation, and checks that exactly the
  allowed calls succeed and every other one reverts with the refusal named here, with its
  exact arguments;
- `scripts/access_matrix.py`, which renders the table in `docs/SECURITY.md` (a test checks
  that the document holds exactly the rendered table).

Pure Python: no Brownie import (the contract list comes from ledger.core.artifacts), so the
script runs without a chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ledger.core.artifacts import LEDGER_CONTRACTS

# --- callers -----------------------------------------------------------------------------

GOVERNOR = "GOVERNOR"
REGISTRAR = "REGISTRAR"
CMO = "CMO"
HOLDER = "HOLDER"
LICENSEE = "LICENSEE"
AUDITOR = "AUDITOR"
NONE = "none"

#: Every caller the test uses: one account per role holding exactly that role, and one
#: account with no role. Column order of the table.
CALLERS: tuple[str, ...] = (GOVERNOR, REGISTRAR, CMO, HOLDER, LICENSEE, AUDITOR, NONE)
ROLES: tuple[str, ...] = CALLERS[:-1]

ANYONE = frozenset(CALLERS)
ANY_ROLE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()

#: The contracts the ledger deploys (ledger/core/deploy.py), in deployment order: the one list in
#: ledger/core/artifacts.py (pure Python too).
CONTRACTS: tuple[str, ...] = LEDGER_CONTRACTS

# --- errors ------------------------------------------------------------------------------

_ERROR = re.compile(r"^(\w+)\((.*)\)$")


@dataclass(frozen=True)
class Refusal:
    """A custom error with symbolic arguments: `"Name(address caller, bytes32 CMO_ROLE)"`.

    An argument is `type symbol`. Symbols: `caller`; a role constant (`CMO_ROLE`, ...);
    a decimal literal; or a value the test's argument builder names (`workId`, ...).
    """

    spec: str

    @property
    def name(self) -> str:
        return self._parts()[0]

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """((abi type, symbol), ...)."""
        return self._parts()[1]

    @property
    def signature(self) -> str:
        """The ABI signature, e.g. `AccessControlUnauthorizedAccount(address,bytes32)`."""
        return f"{self.name}({','.join(t for t, _ in self.params)})"

    def render(self) -> str:
        """As the document shows it: `Name(caller, CMO_ROLE)`."""
        return f"{self.name}({', '.join(s for _, s in self.params)})"

    def _parts(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        match = _ERROR.match(self.spec.strip())
        if not match:
            raise ValueError(f"not an error spec: {self.spec!r}")
        args = [a.strip() for a in match.group(2).split(",") if a.strip()]
        params = []
        for arg in args:
            abi_type, _, symbol = arg.partition(" ")
            if not symbol:
                raise ValueError(f"argument without a symbol in {self.spec!r}: {arg!r}")
            params.append((abi_type, symbol.strip()))
        return match.group(1), tuple(params)


def unauthorized(role: str) -> Refusal:
    """OpenZeppelin's AccessControlUnauthorizedAccount(caller, `role`)."""
    return Refusal(f"AccessControlUnauthorizedAccount(address caller, bytes32 {role})")


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may call one function (or one variant of it).

    A call by `caller` is allowed when `caller in roles` and, if the rule has a
    `relation`, the caller has it (or `caller in relation_exempt`). Otherwise it reverts
    with `role_refusal` when the role gate fails, `relation_refusal` when the relation is
    missing; when both fail, the contract's check order decides (`relation_first`).
    """

    contract: str
    signature: str  # canonical ABI signature, e.g. "transferShare(bytes32,address,uint16)"
    spec: str  # the rules of SPECIFICATION.md / docs/spec-*.md it implements
    roles: frozenset[str]
    role_refusal: Refusal | None = None
    relation: str | None = None
    relation_refusal: Refusal | None = None
    relation_exempt: frozenset[str] = field(default_factory=frozenset)
    relation_first: bool = False
    variant: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return self.signature.split("(", 1)[0]

    @property
    def key(self) -> str:
        """Unique id: `Contract.function` or `Contract.function[variant]`."""
        return f"{self.contract}.{self.name}" + (f"[{self.variant}]" if self.variant else "")

    def needs_relation(self, caller: str) -> bool:
        return self.relation is not None and caller not in self.relation_exempt

    def outcome(self, caller: str, related: bool) -> Refusal | None:
        """None when the call is allowed, else the refusal it must revert with."""
        role_ok = caller in self.roles
        relation_ok = related or not self.needs_relation(caller)
        if role_ok and relation_ok:
            return None
        if not role_ok and not relation_ok:
            return self.relation_refusal if self.relation_first else self.role_refusal
        return self.role_refusal if not role_ok else self.relation_refusal

    def contexts(self) -> tuple[bool, ...]:
        """The relation contexts the test runs: with and without it, or just one."""
        return (True, False) if self.relation is not None else (True,)


_ADMIN_ROLES = ("REGISTRAR_ROLE", "CMO_ROLE", "LICENSEE_ROLE", "AUDITOR_ROLE", "GOVERNOR_ROLE")

_HOLDER_OF_WORK = "holder of the work"
_WR_NOT_HOLDER = Refusal("WorkRegistry__NotAHolder(bytes32 workId, address caller)")
_LR_NOT_HOLDER = Refusal("LicenceRegistry__NotAHolder(bytes32 workId, address caller)")
_NOT_LICENSOR = Refusal("LicenceRegistry__NotLicensor(uint64 licenceId, address caller)")


def _role_admin_rules() -> list[Rule]:
    out = []
    for fn in ("grantRole", "revokeRole"):
        for role in _ADMIN_ROLES:
            out.append(
                Rule("LedgerRoles", f"{fn}(bytes32,address)", "R1", frozenset({GOVERNOR}),
                     unauthorized("GOVERNOR_ROLE"), variant=role)
            )
        out.append(
            Rule("LedgerRoles", f"{fn}(bytes32,address)", "R2", frozenset({REGISTRAR}),
                 unauthorized("REGISTRAR_ROLE"), variant="HOLDER_ROLE",
                 note="HOLDER is administered by REGISTRAR, not by GOVERNOR")
        )
    return out


_REGISTER_REL = dict(
    relation="listed among the work's holders",
    relation_refusal=_WR_NOT_HOLDER,
    relation_exempt=frozenset({CMO}),
)

RULES: tuple[Rule, ...] = (
    # --- LedgerRoles ---------------------------------------------------------------------
    *_role_admin_rules(),
    Rule("LedgerRoles", "renounceRole(bytes32,address)", "R5", ANYONE,
         relation="the account named is the caller",
         relation_refusal=Refusal("AccessControlBadConfirmation()"),
         note="an account renounces only its own roles"),
    Rule("LedgerRoles", "verifyHolder(address,bytes32)", "R3", frozenset({REGISTRAR}),
         unauthorized("REGISTRAR_ROLE")),
    Rule("LedgerRoles", "addRoleListener(address)", "R8", frozenset({GOVERNOR}),
         unauthorized("GOVERNOR_ROLE")),
    Rule("LedgerRoles", "syncRoleListener(address,bytes32,uint256,uint256)", "R8", frozenset({GOVERNOR}),
         unauthorized("GOVERNOR_ROLE")),
    Rule("LedgerRoles", "removeRoleListener(address)", "R8a", frozenset({GOVERNOR}),
         unauthorized("GOVERNOR_ROLE")),
    # --- WorkRegistry --------------------------------------------------------------------
    Rule("WorkRegistry", "register((bytes32,bytes,uint8,uint8,(address,uint16)[]))", "R10, R11",
         frozenset({CMO, HOLDER}), unauthorized("HOLDER_ROLE"), **_REGISTER_REL,
         note="a CMO registers for anyone"),
    Rule("WorkRegistry", "registerBatch((bytes32,bytes,uint8,uint8,(address,uint16)[])[])", "R19",
         frozenset({CMO, HOLDER}), unauthorized("HOLDER_ROLE"), **_REGISTER_REL),
    Rule("WorkRegistry", "registerSole(bytes32,bytes32,uint8,uint8)", "R9", frozenset({CMO, HOLDER}),
         unauthorized("HOLDER_ROLE"), note="the caller is always the sole holder"),
    Rule("WorkRegistry", "registerSoleBatch((bytes32,bytes32,address,uint8,uint8)[])", "R9",
         frozenset({CMO, HOLDER}), unauthorized("HOLDER_ROLE"),
         relation="the work's holder", relation_refusal=_WR_NOT_HOLDER, relation_exempt=frozenset({CMO})),
    Rule("WorkRegistry", "fileClaim((bytes32,bytes,uint8,uint8,(address,uint16)[]))", "R24",
         frozenset({CMO, HOLDER}), unauthorized("HOLDER_ROLE"), **_REGISTER_REL,
         note="a competing claim on a PENDING work"),
    Rule("WorkRegistry", "awardClaim(address,(bytes32,bytes,uint8,uint8,(address,uint16)[]))", "R25",
         frozenset({REGISTRAR}), unauthorized("REGISTRAR_ROLE")),
    Rule("WorkRegistry", "dismissClaims(bytes32,address[],uint16,bytes)", "R25", frozenset({REGISTRAR}),
         unauthorized("REGISTRAR_ROLE")),
    Rule("WorkRegistry", "retire(address)", "R18a", frozenset({GOVERNOR}), unauthorized("GOVERNOR_ROLE")),
    Rule("WorkRegistry", "confirm(bytes32)", "R20", frozenset({REGISTRAR}), unauthorized("REGISTRAR_ROLE")),
    Rule("WorkRegistry", "confirmBatch(bytes32[])", "R20, R23", frozenset({REGISTRAR}),
         unauthorized("REGISTRAR_ROLE")),
    Rule("WorkRegistry", "reject(bytes32,uint16,bytes)", "R20, R22", frozenset({REGISTRAR}),
         unauthorized("REGISTRAR_ROLE")),
    Rule("WorkRegistry", "consent(bytes32,bytes32)", "R34", ANYONE,
         relation=_HOLDER_OF_WORK, relation_refusal=_WR_NOT_HOLDER, note="no role needed"),
    Rule("WorkRegistry", "transferShare(bytes32,address,uint16)", "R30, R33", ANYONE,
         relation=_HOLDER_OF_WORK, relation_refusal=_WR_NOT_HOLDER,
         note="no role needed; co-owners' consent on a co-owned work"),
    Rule("WorkRegistry", "reserveUses(bytes32,uint32)", "R40", ANYONE,
         relation=_HOLDER_OF_WORK, relation_refusal=_WR_NOT_HOLDER, note="no role needed"),
    Rule("WorkRegistry", "openDispute(bytes32,bytes)", "R50", frozenset({HOLDER, CMO, REGISTRAR}),
         Refusal("WorkRegistry__NotEntitledToDispute(bytes32 workId, address caller)"),
         note="a HOLDER that holds a share or whose real name is verified"),
    Rule("WorkRegistry", "resolveDispute(bytes32,uint8,(address,uint16)[],uint16,bytes)", "R53",
         frozenset({REGISTRAR}), unauthorized("REGISTRAR_ROLE")),
    Rule("WorkRegistry", "flagNearDuplicate(bytes32,bytes32,uint8)", "R27", ANYONE,
         relation="holder of the confirmed work", relation_exempt=frozenset({REGISTRAR, CMO}),
         relation_refusal=Refusal("WorkRegistry__NotEntitledToFlag(bytes32 workId, address caller)"),
         note="a REGISTRAR, a CMO, or a holder of the confirmed work it copies"),
    Rule("WorkRegistry", "confirmOverriding(bytes32,string)", "R27", frozenset({REGISTRAR}),
         unauthorized("REGISTRAR_ROLE"), note="only a flagged work; the reason goes in the event"),
    Rule("WorkRegistry", "roleChanged(bytes32,address,bool)", "R8", NOBODY,
         Refusal("WorkRegistry__NotRolesContract(address caller)"),
         note="only the LedgerRoles contract (the role mirror)"),
    Rule("WorkRegistry", "roleListenerRemoved()", "R8a", NOBODY,
         Refusal("WorkRegistry__NotRolesContract(address caller)"),
         note="only the LedgerRoles contract"),
    # --- LicenceRegistry -----------------------------------------------------------------
    Rule("LicenceRegistry", "mandate(bytes32,address,uint32)", "R60", ANYONE,
         relation=_HOLDER_OF_WORK, relation_refusal=_LR_NOT_HOLDER, note="to an account holding CMO_ROLE"),
    Rule("LicenceRegistry", "withdrawMandate(bytes32,address,uint40)", "R62", ANYONE,
         relation=_HOLDER_OF_WORK, relation_refusal=_LR_NOT_HOLDER),
    Rule("LicenceRegistry", "grant(address,bytes32[],(uint8,uint32,uint40,uint40,bool,uint96,uint96,bytes,bytes))",
         "R66, R67", ANYONE - {CMO},
         Refusal("LicenceRegistry__NoMandate(bytes32 workId, address caller, uint32 uses)"),
         relation="holder of every listed work", relation_refusal=_LR_NOT_HOLDER,
         variant="works, licensor without CMO_ROLE",
         note="a CMO licensor always acts collectively, under mandate (next row)"),
    Rule("LicenceRegistry", "grant(address,bytes32[],(uint8,uint32,uint40,uint40,bool,uint96,uint96,bytes,bytes))",
         "R65", frozenset({CMO}), _LR_NOT_HOLDER,
         relation="mandate in force for every licensed use of every work",
         relation_refusal=Refusal("LicenceRegistry__NoMandate(bytes32 workId, address caller, uint32 uses)"),
         variant="works, licensor with CMO_ROLE",
         note="other licensors are checked as holders, and do not hold the work"),
    Rule("LicenceRegistry", "grant(address,bytes32[],(uint8,uint32,uint40,uint40,bool,uint96,uint96,bytes,bytes))",
         "R63", frozenset({CMO}), Refusal("LicenceRegistry__NotACmo(address caller)"),
         variant="repertoire"),
    Rule("LicenceRegistry", "publishOpenLicence(bytes32,uint32,bytes32,bytes)", "R78", ANYONE,
         relation=_HOLDER_OF_WORK, relation_refusal=_LR_NOT_HOLDER),
    Rule("LicenceRegistry",
         "accept((address,address,bytes32[],(uint8,uint32,uint40,uint40,bool,uint96,uint96,bytes,bytes),"
         "address,uint256,uint256),bytes)",
         "R67, R77", frozenset({LICENSEE}), unauthorized("LICENSEE_ROLE"),
         relation="named by the offer (or the offer names nobody)",
         relation_refusal=Refusal("LicenceRegistry__OfferNotForCaller(address offerLicensee, address caller)"),
         relation_first=True, note="the licensor is whoever signed the offer (a holder)"),
    Rule("LicenceRegistry", "setSettlementToken(address)", "R77", frozenset({GOVERNOR}),
         unauthorized("GOVERNOR_ROLE")),
    Rule("LicenceRegistry", "cancelOffer(uint256)", "R77", ANYONE, note="cancels the caller's own nonce only"),
    Rule("LicenceRegistry", "suspend(uint64,string)", "R73", ANYONE,
         relation="licensor of the licence", relation_refusal=_NOT_LICENSOR),
    Rule("LicenceRegistry", "resume(uint64)", "R73", ANYONE,
         relation="licensor of the licence", relation_refusal=_NOT_LICENSOR),
    Rule("LicenceRegistry", "revoke(uint64,string)", "R73, R78", ANYONE,
         relation="licensor of the licence", relation_refusal=_NOT_LICENSOR),
    Rule("LicenceRegistry", "setTariff(uint32,uint96,uint32,uint40,uint40)", "R79", frozenset({GOVERNOR}),
         unauthorized("GOVERNOR_ROLE")),
    # --- AttestationRegistry -------------------------------------------------------------
    Rule("AttestationRegistry", "attest(bytes32,uint8,bytes,bytes)", "R100", ANY_ROLE,
         Refusal("AttestationRegistry__NoLedgerRole(address caller)"), note="any ledger role"),
    Rule("AttestationRegistry", "linkTimestamp(bytes32,bytes)", "R103", ANYONE,
         relation="attester of the hash",
         relation_refusal=Refusal("AttestationRegistry__NotAttested(bytes32 hash)"),
         note="no role needed once attested"),
    Rule("AttestationRegistry", "recordGeneration(bytes32,string,string,bytes32,bytes,bytes32)", "R105", ANYONE,
         relation=_HOLDER_OF_WORK,
         relation_refusal=Refusal("AttestationRegistry__NotHolderOrRegistrant(bytes32 workId, address caller)"),
         relation_exempt=frozenset({CMO}), note="a CMO records for any work"),
    # --- SettlementToken -----------------------------------------------------------------
    Rule("SettlementToken", "mint(address,uint256)", "R80", frozenset({GOVERNOR}), unauthorized("GOVERNOR_ROLE")),
    Rule("SettlementToken", "approve(address,uint256)", "ERC-20", ANYONE),
    Rule("SettlementToken", "transfer(address,uint256)", "ERC-20", ANYONE, note="from the caller's own balance"),
    Rule("SettlementToken", "transferFrom(address,address,uint256)", "ERC-20", ANYONE,
         relation="allowance from the owner",
         relation_refusal=Refusal("ERC20InsufficientAllowance(address caller, uint256 0, uint256 amount)")),
    # --- RoyaltyPool ---------------------------------------------------------------------
    Rule("RoyaltyPool", "setCommission(uint16)", "R81", frozenset({GOVERNOR}), unauthorized("GOVERNOR_ROLE")),
    Rule("RoyaltyPool", "setLens(address)", "R81b", frozenset({GOVERNOR}), unauthorized("GOVERNOR_ROLE")),
    Rule("RoyaltyPool", "recordUsage(address,uint32,(uint32,bytes32,uint32,uint64,uint40,uint64,uint8,uint128))",
         "R82, R82a", frozenset({LICENSEE}), unauthorized("LICENSEE_ROLE"),
         note="the line must count for the CMO (CoverageLens.lineWeight)"),
    Rule("RoyaltyPool", "recordReport(address,uint32,bytes32,(uint64,uint128,uint128),bytes)", "R83, R95",
         frozenset({LICENSEE}), unauthorized("LICENSEE_ROLE")),
    Rule("RoyaltyPool", "refuseReport(uint64,string)", "R83a", frozenset({CMO}),
         Refusal("RoyaltyPool__NotReportCmo(uint64 reportId, address caller)"),
         relation="the report's CMO", relation_refusal=Refusal("RoyaltyPool__NotReportCmo(uint64 reportId, "
                                                                "address caller)"),
         note="while the period is open"),
    Rule("RoyaltyPool", "pay(address,uint32,uint256)", "R85", ANYONE),
    Rule("RoyaltyPool", "closePeriod(uint32)", "R86", frozenset({CMO}), unauthorized("CMO_ROLE"),
         note="the caller's own period"),
    Rule("RoyaltyPool", "publishDistribution(uint32,bytes32,uint256,bytes)", "R87", frozenset({CMO}),
         unauthorized("CMO_ROLE"), note="the caller's own period"),
    Rule("RoyaltyPool", "claim(address,uint32,uint256,bytes32[])", "R88", ANYONE,
         relation="listed in the published distribution",
         relation_refusal=Refusal("RoyaltyPool__InvalidProof(address cmo, uint32 period, address caller, "
                                  "uint256 amount)"),
         note="the leaf binds the caller"),
    Rule("RoyaltyPool", "sweepUnclaimed(uint32)", "R99a", frozenset({CMO}),
         Refusal("RoyaltyPool__WrongPeriodState(address caller, uint32 period, uint8 0, uint8 2)"),
         note="the caller's own distributed period, after CLAIM_WINDOW"),
)

RULES_BY_KEY: dict[str, Rule] = {r.key: r for r in RULES}
if len(RULES_BY_KEY) != len(RULES):  # pragma: no cover - a data error
    raise ValueError("two rules share a key")


def signatures() -> set[tuple[str, str]]:
    """{(contract, signature)} the matrix knows."""
    return {(r.contract, r.signature) for r in RULES}


# --- the Markdown table ------------------------------------------------------------------

ALLOWED, RELATED, DENIED = "✓", "✓*", "—"


def cell(rule: Rule, caller: str) -> str:
    """What the table says for `caller`: ✓ always, ✓* only with the rule's relation, — never."""
    if rule.outcome(caller, True) is not None:
        return DENIED
    return ALLOWED if rule.outcome(caller, False) is None else RELATED


def _refusals(rule: Rule) -> str:
    out = []
    for refusal in (rule.role_refusal, rule.relation_refusal):
        if refusal is not None:
            text = f"`{refusal.render()}`"
            if text not in out:
                out.append(text)
    return "<br>".join(out) if out else "(none: open to all)"


def markdown_table() -> str:
    """The access matrix as a Markdown table (docs/SECURITY.md)."""
    head = ["Contract", "Function", *CALLERS, "✓* = only when the caller is", "Refused with", "Spec", "Note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in RULES:
        fn = f"`{r.name}`" + (f" ({r.variant})" if r.variant else "")
        cells = [cell(r, c) for c in CALLERS]
        relation = r.relation if RELATED in cells else ""
        row = [r.contract, fn, *cells, relation, _refusals(r), r.spec, r.note]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def summary() -> str:
    """One line: how many functions, rules and cells the matrix holds."""
    calls = sum(len(r.contexts()) for r in RULES) * len(CALLERS)
    return (
        f"{len(signatures())} functions in {len(CONTRACTS)} contracts, {len(RULES)} rules, "
        f"{len(CALLERS)} callers: {len(RULES) * len(CALLERS)} cells, {calls} calls tested "
        "(rules with a relation are called with and without it)."
    )
