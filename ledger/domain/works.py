"""The ``Ledger``: one object for reading and writing the rights ledger.

Reads (``work``, ``find_by_hash``, ``roles_of`` ...) need no key. Writes need a signer
(``Ledger.open(..., account=NAME, password=...)``) and follow one order: validate
locally, simulate the call (a revert raises a typed error and nothing is stored or sent),
store any document in the metadata store, then sign, send raw and wait for the receipt
(:meth:`Ledger.transact`, with the receipt's events decoded). A store that is down
therefore stops a write before anything reaches the chain.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.content.cid import CODEC_RAW, chain_cid, cid_for_bytes, cid_to_bytes, names_no_cid, parse_cid
from ledger.content.metadata import encode_work_metadata
from ledger.content.store import MetadataStore, open_store
from ledger.core import abicodec
from ledger.core import errors as E
from ledger.core.abicodec import checksum as to_checksum_address
from ledger.core.artifacts import all_abis, load_artifact
from ledger.core.calls import LightContract
from ledger.core.chain import Chain, ErrorDecoder, TxResult
from ledger.core.config import Settings
from ledger.core.deployments import Deployment, load_deployment
from ledger.core.events import Event, EventDecoder
from ledger.core.inputs import MAX_JSON_DEPTH, _depth_error, file_sha256, lone_surrogate
from ledger.core.keystore import Keystore
from ledger.core.node import EmbeddedNode
from ledger.core.parsing import ROLE_IDS, parse_address, parse_holders, parse_work_id  # noqa: F401  (re-exported)
from ledger.core.rpc import Rpc
from ledger.core.types import (
    HistoryEntry,
    Holder,
    Registered,
    WorkRecord,
    WorkStatus,
    WriteResult,
    mask_to_uses,
    uses_to_mask,
)

if TYPE_CHECKING:  # web3 and eth-account load with the first write, never for a read (issue 15)
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.contract import Contract

GOVERNOR_ACCOUNT = "governor"

#: the JSON type every field a reader uses must have in a work's metadata document (work-metadata
#: schema): ``str``, ``dict`` or ``list`` of the inner shape; a field may be absent (older documents)
_OBJ, _STR = ("obj", {}), ("str", None)
_SHAPES: dict[str, Any] = {
    "title": _STR, "description": _STR, "creationDate": _STR, "language": _STR, "workType": _STR,
    "creationMode": _STR, "schemaVersion": _STR,
    "creators": ("list", ("obj", {"name": _STR, "role": _STR, "realNameCommitment": _STR})),
    "identifiers": ("obj", {"iswc": _STR, "isrc": _STR, "isbn": _STR, "dci": _STR}),
    "aiDeclaration": ("obj", {"models": ("list", ("obj", {"name": _STR, "version": _STR})),
                              "tools": ("list", _STR), "description": _STR}),
    "cwr": ("obj", {"sender": _STR, "workNumber": _STR,
                    "alternateTitles": ("list", ("obj", {"title": _STR, "type": _STR})),
                    "parties": ("list", ("obj", {"record": _STR, "ip": _STR, "name": _STR, "role": _STR,
                                                 "ipi": _STR}))}),
    "contentCode": ("obj", {"kind": _STR, "iscc": _STR}),
}


def malformed_field(doc: dict[str, Any], shapes: dict[str, Any] = _SHAPES, path: str = "") -> str | None:
    """The first field of a metadata document (another client's: any JSON) whose JSON type is not
    the schema's, as a path like ``creators[0].name``; None when every known field has its type.
    Readers (the desk's index, `work show`, the portal, certificates) rely on these types."""
    for key, (kind, inner) in shapes.items():
        if key not in doc:
            continue
        value, where = doc[key], f"{path}{key}"
        if kind == "str":
            if not isinstance(value, str):
                return where
        elif kind == "obj":
            if not isinstance(value, dict):
                return where
            wrong = malformed_field(value, inner, where + ".")
            if wrong is not None:
                return wrong
        else:  # a list whose items have the inner shape
            if not isinstance(value, list):
                return where
            for i, item in enumerate(value):
                wrong = malformed_field({f"[{i}]": item}, {f"[{i}]": inner}, where)
                if wrong is not None:
                    return wrong
    return None


def sha256_of_file(path: Path) -> str:
    return file_sha256(path)



def _check_node_is_this_homes(chain: Chain, node: EmbeddedNode, settings: Settings) -> None:
    """Refuse an embedded node on the port that another data directory started.

    Each anvil node has its own genesis block; the first time this home sees its node the
    genesis hash is written beside the state file, and afterwards the node on the port must
    have the same one. A node that was never this home's (no record, no deployment) is refused
    instead of receiving a second set of contracts.
    """
    genesis = str(chain.request("eth_getBlockByNumber", ["0x0", False])["hash"]).lower()
    record = node.dir / "genesis-hash"
    known = record.read_text().strip() if record.exists() else None
    if known == genesis:
        return
    if known is not None:
        raise E.ChainUnavailable(
            f"the node on {settings.network.rpc_url} is not this data directory's node ({settings.home})",
            hint="stop the other node, or set RIGHTS_LEDGER_PORT to a free port for this home",
        )
    if node.status().pid is None and not settings.deployments_file.exists():
        raise E.ChainUnavailable(
            f"port {node.port} is taken by a node that {settings.home} did not start",
            hint="stop the other node, or set RIGHTS_LEDGER_PORT to a free port for this home",
        )
    node.dir.mkdir(parents=True, exist_ok=True)
    record.write_text(genesis + "\n")


class Ledger:
    """A connection to one deployment of the ledger, optionally with a signer."""

    def __init__(
        self,
        settings: Settings,
        chain: Chain,
        deployment: Deployment,
        store: MetadataStore,
        keystore: Keystore,
        signer: LocalAccount | None = None,
    ) -> None:
        self.settings = settings
        self.chain = chain
        self.deployment = deployment
        self.store = store
        self.keystore = keystore
        self.signer = signer
        self.events = chain.events if chain.events is not None else EventDecoder(all_abis(settings.build_dir))
        self._contracts: dict[str, Contract] = {}
        self.roles: Contract = self.contract("LedgerRoles")
        self.registry: Contract = self.contract("WorkRegistry")

    @property
    def w3(self) -> Web3:
        """web3 on the node (made on first use: writes; reads use plain JSON-RPC)."""
        return self.chain.w3

    # --- the contract-access layer -----------------------------------------------------

    def contract(self, name: str, address: str | None = None) -> Contract:
        """The contract ``name`` of this deployment (its compiled ABI), or of that ABI at
        ``address``; NotDeployed when the deployment has no such contract. Its view calls are
        plain JSON-RPC (:class:`~ledger.core.calls.LightContract`); anything else is web3's."""
        key = f"{name}@{address}" if address else name
        if key not in self._contracts:
            at = to_checksum_address(address) if address else self.deployment.address(name)
            abi = load_artifact(self.settings.build_dir, name).abi
            chain = self.chain
            self._contracts[key] = LightContract(  # type: ignore[assignment]
                at, abi, lambda: chain.rpc, lambda: chain.w3.eth.contract(address=at, abi=abi))
        return self._contracts[key]

    def call(self, fn: Any, **kwargs: Any) -> Any:
        """A view call; a revert raises its typed error, an unreachable node ChainUnavailable."""
        return self.chain.call(lambda: fn.call(**kwargs))

    def transact(self, fn: Any, value: int = 0, signer: LocalAccount | None = None) -> TxResult:
        """Simulate, sign locally, send raw and wait: the receipt with its decoded events."""
        return self.chain.transact(fn, signer or self.require_signer(), value)

    def simulate(self, fn: Any, signer: LocalAccount | None = None) -> dict[str, Any]:
        """The signed-to-be transaction of ``fn``: a revert raises here, before anything is stored."""
        return self.chain.build(fn, signer or self.require_signer())

    @property
    def rpc(self) -> Rpc:
        """Plain JSON-RPC to the node, for bulk reads (batched calls, logs in chunks)."""
        return Rpc(self.settings.network.rpc_url, self.settings.network.rpc_timeout)

    def read_events(
        self, addresses: Sequence[str], topics: list[Any] | None = None, from_block: int | None = None,
        to_block: int | None = None,
    ) -> list[Event]:
        """The decoded ledger events these contracts emitted, oldest first."""
        first = self.deployment.first_block if from_block is None else from_block
        head = self.chain.block_number() if to_block is None else to_block
        out: list[Event] = []
        for _end, logs in self.rpc.get_logs(list(addresses), first, head, chunk=self.settings.network.log_chunk,
                                            topics=topics):
            out += [ev for ev in map(self.events.decode, logs) if ev is not None]
        out.sort(key=lambda e: (e.block, e.log_index))
        return out

    # --- opening ---------------------------------------------------------------------

    @staticmethod
    def connect_chain(settings: Settings) -> Chain:
        abis = all_abis(settings.build_dir)
        return Chain(settings.network, ErrorDecoder(abis), EventDecoder(abis))

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        account: str | None = None,
        password: str | None = None,
        start_node: bool = True,
        log: Callable[[str], None] = lambda _m: None,
    ) -> Ledger:
        """Connect, starting and deploying the embedded node on first use when allowed."""
        keystore = Keystore(settings.keys_dir)
        chain = cls.connect_chain(settings)
        if settings.network.embedded:
            node = EmbeddedNode(settings.network, settings.chain_dir)
            node.settled()  # a start replaying the journal (another command's) ends first
            if not node.status().running:
                if not start_node:
                    raise chain.unavailable()
                if node.stopped_marker.exists():
                    raise E.ChainUnavailable(
                        f"the embedded node on {settings.network.rpc_url} was stopped with `node stop`",
                        hint="start it again with `rights-ledger node start`",
                    )
                node.refuse_a_second_node()
                log(f"starting the embedded chain node on {settings.network.rpc_url}")
                node.start()
                if node.replay_lost:
                    log(f"warning: {len(node.replay_lost)} acknowledged transaction(s) of the node's journal could "
                        f"not be replayed, so the chain lacks those writes (first {node.replay_lost[0]}); a "
                        f"transaction of the same account sent by another tool leaves such a gap. Details: "
                        f"{node.log_file}")
            _check_node_is_this_homes(chain, node, settings)
            chain.on_durable = node.durable  # acknowledged writes survive a crash of the node (journal)
            if not settings.deployments_file.exists():
                password = password if password is not None else os.environ.get("RIGHTS_LEDGER_PASSWORD")
                if not keystore.exists(GOVERNOR_ACCOUNT):
                    if not password:
                        raise E.KeystoreError(
                            "the first start creates the governor account and needs a password",
                            hint="set RIGHTS_LEDGER_PASSWORD or pass --password",
                        )
                    keystore.create(GOVERNOR_ACCOUNT, password)
                    log("created the governor account")
                governor = keystore.unlock(GOVERNOR_ACCOUNT, password)
                from ledger.core.deploy import deploy_all

                deploy_all(chain, governor, settings.build_dir, settings.deployments_file, log=log)
        node_chain_id = chain.chain_id  # an unreachable node says so (with a retry hint) first
        deployment = load_deployment(settings.deployments_file, settings.network.name)
        if node_chain_id != deployment.chain_id:
            raise E.ConfigError(
                f"the deployments file is for chain {deployment.chain_id}, the node is chain {chain.chain_id}"
            )
        code = chain.request("eth_getCode", [deployment.address("WorkRegistry"), "latest"])
        if not code or code in ("0x", "0x0"):
            raise E.ConfigError(
                f"no contract at the recorded WorkRegistry address on {settings.network.rpc_url}",
                hint=f"the chain was reset; move {settings.deployments_file} aside to deploy afresh",
            )
        store = open_store(settings.store, settings.home)
        signer = keystore.unlock(account, password) if account else None
        return cls(settings, chain, deployment, store, keystore, signer)

    # --- helpers ---------------------------------------------------------------------

    def require_signer(self) -> LocalAccount:
        if self.signer is None:
            raise E.KeystoreError("this action needs a signer", hint="pass --as ACCOUNT (see `account list`)")
        return self.signer

    def write(self, fn: Any, value: int = 0) -> WriteResult:
        """:meth:`transact` as the signer, returning what was mined."""
        return self.transact(fn, value).written

    def _store_document(self, doc: dict[str, Any]) -> str:
        from ledger.content.canonical import canonical_json

        return self.store.add(canonical_json(doc))

    # --- roles -----------------------------------------------------------------------

    @staticmethod
    def role_id(name: str) -> bytes:
        try:
            return ROLE_IDS[name.upper()]
        except KeyError:
            raise E.InputError(f"unknown role {name!r}", hint="one of: " + ", ".join(ROLE_IDS)) from None

    def grant_role(self, role: str, account: str) -> WriteResult:
        return self.write(self.roles.functions.grantRole(self.role_id(role), parse_address(account)))

    def revoke_role(self, role: str, account: str) -> WriteResult:
        return self.write(self.roles.functions.revokeRole(self.role_id(role), parse_address(account)))

    def verify_holder(self, account: str, real_name: str, salt: bytes | None = None) -> tuple[WriteResult, str, str]:
        """Record a real-name verification; returns (result, commitment, salt) — keep the salt."""
        if not real_name.strip():
            raise E.InputError("the real name is empty")
        import secrets

        from ledger.core.abicodec import keccak256

        salt = salt or secrets.token_bytes(32)
        commitment = keccak256(salt + real_name.strip().encode("utf-8"))
        result = self.write(self.roles.functions.verifyHolder(parse_address(account), commitment))
        return result, "0x" + commitment.hex(), "0x" + salt.hex()

    def roles_of(self, account: str) -> list[str]:
        address = parse_address(account)
        has = self.roles.functions.hasRole
        return [n for n, rid in ROLE_IDS.items() if self.call(has(rid, address))]

    def members(self, role: str) -> list[str]:
        rid = self.role_id(role)
        count = self.call(self.roles.functions.getRoleMemberCount(rid))
        return [self.call(self.roles.functions.getRoleMember(rid, i)) for i in range(count)]

    # --- works: writes ---------------------------------------------------------------

    def register_work(self, metadata: dict[str, Any], holders: Sequence[Holder]) -> Registered:
        """Validate the metadata, store it, then register the work (PENDING)."""
        signer = self.require_signer()
        body = encode_work_metadata(metadata)  # raises MetadataInvalid before anything is stored
        work_id = parse_work_id(metadata["contentSha256"])
        status = self.status_of(work_id)
        if status not in (WorkStatus.NONE, WorkStatus.REJECTED):
            raise E.WorkAlreadyRegistered(
                "WorkRegistry__AlreadyRegistered",
                {"workId": work_id, "status": int(status)},
                f"this content is registered already as work {work_id} ({status.name})",
                hint="see it with `rights-ledger work show ID`" + (
                    "; while it is PENDING you may file a competing claim (Ledger.file_claim)"
                    if status == WorkStatus.PENDING else ""),
            )
        cid = cid_for_bytes(body)  # the CID the store will give: simulate before storing anything
        sole = self._sole_registration(work_id, cid, metadata, holders)
        if sole is not None and sole[2] == signer.address:
            fn = self.registry.functions.registerSole(sole[0], sole[1], sole[3], sole[4])
        else:
            fn = self.registry.functions.register(self._registration(work_id, cid, metadata, holders))
        return self._simulate_store_send(fn, signer, work_id, body, cid)  # a refused registration stores nothing

    def file_claim(self, metadata: dict[str, Any], holders: Sequence[Holder]) -> Registered:
        """File a claim competing with the PENDING registration of the same content
        (SPECIFICATION.md R24): a registrar then awards one claim or dismisses the others."""
        signer = self.require_signer()
        body = encode_work_metadata(metadata)
        work_id = parse_work_id(metadata["contentSha256"])
        cid = cid_for_bytes(body)
        fn = self.registry.functions.fileClaim(self._registration(work_id, cid, metadata, holders))
        return self._simulate_store_send(fn, signer, work_id, body, cid)  # a refused claim stores nothing

    def _simulate_store_send(self, fn: Any, signer: LocalAccount, work_id: str, body: bytes, cid: str) -> Registered:
        """The write order of a registration: simulate (a refusal raises here), store the metadata
        document (its CID must be the one computed locally), then send and wait."""
        tx = self.chain.build(fn, signer)
        stored = self.store.add(body)
        if stored != cid:
            raise E.MetadataMismatch(f"the store returned CID {stored} for a document whose CID is {cid}")
        r = self.chain.wait(self.chain.send(tx, signer))
        self.chain.make_durable()
        return Registered(work_id, cid, r.tx_hash, r.block_number, r.gas_used)

    def award_claim(self, claimant: str, metadata: dict[str, Any], holders: Sequence[Holder]) -> WriteResult:
        """As a REGISTRAR: award a PENDING work to ``claimant``'s competing claim (R25)."""
        work_id = parse_work_id(metadata["contentSha256"])
        cid = cid_for_bytes(encode_work_metadata(metadata))
        return self.write(self.registry.functions.awardClaim(
            claimant, self._registration(work_id, cid, metadata, holders)))

    def dismiss_claims(self, work_id: str, claimants: Sequence[str], reason: str, code: int = 1) -> WriteResult:
        """As a REGISTRAR: dismiss the competing claims on a PENDING work; ``claimants`` are
        barred from claiming it again for 30 days (R25, R26)."""
        wid = parse_work_id(work_id)
        if not reason.strip():
            raise E.InputError("a dismissal needs a reason", hint="pass a reason text")
        cid = self._store_document({"type": "claims-dismissal", "workId": wid, "reason": reason.strip()})
        return self.write(self.registry.functions.dismissClaims(
            bytes.fromhex(wid[2:]), list(claimants), code, cid_to_bytes(cid)))

    @staticmethod
    def _registration(work_id: str, cid: str, metadata: dict[str, Any], holders: Sequence[Holder]) -> tuple[Any, ...]:
        from ledger.content.metadata import CreationMode, WorkType

        return (
            bytes.fromhex(work_id[2:]),
            cid_to_bytes(cid),
            int(WorkType.parse(metadata["workType"])),
            int(CreationMode.parse(metadata["creationMode"])),
            [(h.account, h.bps) for h in holders],
        )

    @staticmethod
    def _sole_registration(
        work_id: str, cid: str, metadata: dict[str, Any], holders: Sequence[Holder]
    ) -> tuple[Any, ...] | None:
        """The compact SoleRegistration tuple, when the work has one holder and a raw CID."""
        from ledger.content.metadata import CreationMode, WorkType

        parsed = parse_cid(cid)
        if len(holders) != 1 or parsed.codec != CODEC_RAW:
            return None
        return (
            bytes.fromhex(work_id[2:]),
            parsed.digest,
            holders[0].account,
            int(WorkType.parse(metadata["workType"])),
            int(CreationMode.parse(metadata["creationMode"])),
        )

    def confirm_work(self, work_id: str) -> WriteResult:
        return self.write(self.registry_for(work_id).functions.confirm(bytes.fromhex(parse_work_id(work_id)[2:])))

    def reject_work(self, work_id: str, reason: str, code: int = 1) -> tuple[WriteResult, str]:
        """Reject a pending work; the reason text is stored as a document and its CID sent."""
        wid = parse_work_id(work_id)
        if not reason.strip():
            raise E.InputError("a rejection needs a reason", hint="pass --reason TEXT")
        if not 0 <= code <= 65535:
            raise E.InputError(f"reason code {code} is out of range 0..65535")
        registry = self.registry_for(wid)
        fn_check = registry.functions.reject(bytes.fromhex(wid[2:]), code, b"\x01")
        self.simulate(fn_check)  # simulate before storing anything
        cid = self._store_document({"type": "rejection", "workId": wid, "code": code, "reason": reason.strip()})
        result = self.write(registry.functions.reject(bytes.fromhex(wid[2:]), code, cid_to_bytes(cid)))
        return result, cid

    def transfer_share(self, work_id: str, to: str, bps: int) -> WriteResult:
        wid = parse_work_id(work_id)
        if not 0 < bps <= 10000:
            raise E.InputError(f"basis points must be between 1 and 10000, got {bps}")
        registry = self.registry_for(wid)
        return self.write(registry.functions.transferShare(bytes.fromhex(wid[2:]), parse_address(to), bps))

    def transfer_action_hash(self, work_id: str, sender: str, to: str, bps: int) -> str:
        wid = bytes.fromhex(parse_work_id(work_id)[2:])
        h = self.call(self.registry_for(work_id).functions.transferActionHash(
            wid, parse_address(sender), parse_address(to), bps))
        return "0x" + bytes(h).hex()

    def consent(self, work_id: str, action_hash: str) -> WriteResult:
        wid = bytes.fromhex(parse_work_id(work_id)[2:])
        ah = action_hash.strip().lower().removeprefix("0x")
        if len(ah) != 64 or any(c not in "0123456789abcdef" for c in ah):
            raise E.InputError(f"action hash {action_hash!r} is malformed: expected 32 bytes as 64 hex digits")
        return self.write(self.registry_for(work_id).functions.consent(wid, bytes.fromhex(ah)))

    def reserve_uses(self, work_id: str, uses: Sequence[str]) -> WriteResult:
        wid = bytes.fromhex(parse_work_id(work_id)[2:])
        return self.write(self.registry_for(work_id).functions.reserveUses(wid, uses_to_mask(tuple(uses))))

    # --- works: reads ----------------------------------------------------------------

    def registry_versions(self) -> list[str]:
        """Every WorkRegistry of this network, oldest first (ADR 002: retired ones keep their works)."""
        return self.deployment.versions("WorkRegistry")

    def registry_for(self, work_id: str) -> Contract:
        """The WorkRegistry version that holds ``work_id`` (ADR 002): the current one when it knows
        the work, else the newest older version where the work is live, else the newest where it
        was ever recorded; the current one for an unknown work (new works go there)."""
        return self.registries_for([work_id])[work_id]

    def registries_for(self, work_ids: Sequence[str]) -> dict[str, Contract]:
        """:meth:`registry_for` of many works at once, keyed by the ids as given: each version's
        ``statusOf`` of the works not yet placed in one batched ``eth_call`` round, newest version
        first, so the rounds are at most the number of versions, whatever the number of works.
        No call at all while there is one version (every work is then in the current one)."""
        current = self.registry
        wids = {w: bytes.fromhex(parse_work_id(w)[2:]) for w in work_ids}
        older = [a for a in reversed(self.registry_versions()) if a.lower() != current.address.lower()]
        if not older or not wids:
            return dict.fromkeys(wids, current)
        rpc, sel = self.rpc, abicodec.selector("statusOf(bytes32)")
        live: dict[str, str] = {}
        recorded: dict[str, str] = {}
        todo = list(dict.fromkeys(wids.values()))
        for address in [current.address, *older]:  # newest first
            if not todo:
                break
            raw = rpc.eth_call_many([(address, sel + w) for w in todo], strict=True)
            for w, r in zip(todo, raw, strict=True):
                status = int.from_bytes(r or b"", "big")
                if status not in (WorkStatus.NONE, WorkStatus.REJECTED):
                    live[w] = address
                elif status and w not in recorded:
                    recorded[w] = address
            todo = [w for w in todo if w not in live]
        contracts = {current.address: current}
        out = {}
        for w, wid in wids.items():
            address = live.get(wid) or recorded.get(wid) or current.address
            if address not in contracts:
                contracts[address] = self.contract("WorkRegistry", address)
            out[w] = contracts[address]
        return out

    def status_of(self, work_id: str) -> WorkStatus:
        wid = bytes.fromhex(parse_work_id(work_id)[2:])
        return WorkStatus(self.call(self.registry_for(work_id).functions.statusOf(wid)))

    @property
    def index_note(self) -> str | None:
        """What this thread's last history read should tell the user (the read index was behind
        the chain, so the newest blocks' events were read from the chain), or None."""
        return getattr(self._notes(), "note", None)

    @index_note.setter
    def index_note(self, value: str | None) -> None:
        self._notes().note = value

    def _notes(self) -> threading.local:
        notes = self.__dict__.get("_index_notes")
        if notes is None:  # per thread: the portal answers from several threads with one Ledger
            notes = self.__dict__.setdefault("_index_notes", threading.local())
        return notes

    def read_index(self) -> Any:
        """The local read index (``ledger.domain.index``, one per Ledger), or None when it is
        switched off (``RIGHTS_LEDGER_INDEX=off``) or cannot be opened: then reads scan the chain."""
        if os.environ.get("RIGHTS_LEDGER_INDEX", "").lower() in ("off", "0", "no"):
            return None
        idx = getattr(self, "_read_index", None)
        if idx is None:
            import sqlite3

            from ledger.domain.index import ReadIndex

            try:
                idx = self._read_index = ReadIndex(self)
            except (sqlite3.Error, OSError):  # an unwritable home: answer from the chain
                return None
        return idx

    def work_events(self, work_id: str) -> list[Event]:
        """Every event about one work, oldest first: from the read index (synced first, its
        work's rows read by key; blocks it has not reached are read from the chain), or, with
        the index off, by :meth:`work_events_from_chain`. The answers are the same; the index's
        does not grow with the chain. :attr:`index_note` says when the index was behind."""
        import sqlite3

        wid = parse_work_id(work_id)
        idx = self.read_index()
        self.index_note = None
        if idx is not None:
            try:
                events, state = idx.work_events(wid)
            except sqlite3.Error:
                pass  # a damaged index file: the chain answers (deleting the file rebuilds it)
            else:
                if state.behind:
                    self.index_note = (f"the read index is {state.behind} blocks behind the chain (head {state.head});"
                                       " the newer blocks' events were read from the chain")
                return events
        return self.work_events_from_chain(wid)

    def work_events_from_chain(self, work_id: str) -> list[Event]:
        """Every event about one work, oldest first, by ``eth_getLogs`` with a topic filter on the
        indexed work id over the whole chain (the node checks every block: its cost follows the chain)."""
        wid = parse_work_id(work_id)
        topic = "0x" + wid[2:]
        addresses = self.registry_versions()
        head = self.chain.block_number()
        out: list[Event] = []
        for topics in ([None, topic], [None, None, topic]):  # workId is topic 1, or 2 for disputes
            out += [ev for ev in self.read_events(addresses, topics, to_block=head)
                    if ("0x" + bytes(ev.args.get("workId", b"")).hex()) == wid]
        out.sort(key=lambda e: (e.block, e.log_index))
        return out

    def work(self, work_id: str) -> WorkRecord:
        wid = parse_work_id(work_id)
        raw = bytes.fromhex(wid[2:])
        registry = self.registry_for(wid)
        view = self.call(registry.functions.getWork(raw))
        status, work_type, mode, _count, registered_at, reserved, dispute = view[:7]
        if status == 0:
            raise E.WorkNotFound(
                "WorkRegistry__NotFound",
                {"workId": wid},
                f"no work {wid} is registered",
                hint="check the id, or find a file's work with `rights-ledger verify FILE`",
            )
        holders = tuple(
            Holder(a, int(b)) for a, b in self.call(registry.functions.holdersOf(raw))
        )
        events = self.work_events(wid)
        stamps = self.rpc.block_timestamps(e.block for e in events)
        history = []
        cid = registrant = None
        for ev in events:
            details: dict[str, object] = {}
            for k, v in ev.args.items():
                if k == "workId":
                    continue
                if k.endswith("Cid") and isinstance(v, bytes):
                    details[k] = chain_cid(v) if v else ""
                elif isinstance(v, bytes):
                    details[k] = "0x" + v.hex()
                elif k == "holders":
                    details[k] = [{"account": a, "bps": b} for a, b in v]
                else:
                    details[k] = v
            if ev.name == "WorkRegistered":
                cid = str(details["metadataCid"])
                registrant = ev.args["registrant"]
            elif ev.name == "ClaimAwarded":  # a competing claim won: its metadata and claimant stand
                cid = str(details["metadataCid"])
                registrant = ev.args["claimant"]
            actor = next(
                (ev.args[k] for k in ("registrant", "registrar", "holder", "from", "claimant") if k in ev.args), None
            )
            history.append(HistoryEntry(ev.name, ev.block, stamps.get(ev.block, 0), ev.tx_hash, actor, details))
        return WorkRecord(
            work_id=wid,
            status=WorkStatus(status),
            work_type=work_type,
            creation_mode=mode,
            holders=holders,
            registered_at=registered_at,
            reserved_uses=mask_to_uses(reserved),
            open_dispute=dispute,
            metadata_cid=cid,
            registrant=registrant,
            history=tuple(history),
        )

    def verified_metadata(self, rec: WorkRecord) -> dict[str, Any] | None:
        """The work's metadata document, verified against its CID and against the work id.

        Raises :class:`~ledger.core.errors.ContentNotFound` when the blob is gone and
        :class:`~ledger.core.errors.MetadataMismatch` when it does not hash to the CID or names
        another content hash (both exit 1 in the CLI); ``None`` when the work has no metadata.
        """
        return self.work_document(rec.work_id, rec.metadata_cid) if rec.metadata_cid else None

    def work_document(self, work_id: str, cid: str) -> dict[str, Any]:
        """The metadata document under ``cid`` as work ``work_id``'s: verified against the CID, and
        naming this work's content (a registrant may cite another work's document). Raises
        :class:`~ledger.core.errors.MetadataMismatch` or :class:`~ledger.core.errors.ContentNotFound`."""
        if names_no_cid(cid):
            raise E.MetadataMismatch(f"the chain names no valid CID for this work's metadata: {cid[:80]}")
        doc = self.metadata(cid)
        said = doc.get("contentSha256") if isinstance(doc, dict) else None
        if said != work_id[2:]:
            raise E.MetadataMismatch(f"the document under {cid} names content {said}, not the work {work_id}")
        wrong = malformed_field(doc)
        if wrong is not None:
            raise E.MetadataMismatch(f"the document under {cid} is malformed: its field {wrong} is not of the "
                                     "schema's type")
        return doc

    def work_metadata(self, rec: WorkRecord) -> tuple[dict[str, Any] | None, str | None]:
        """The work's verified metadata document and None, or None and why it cannot be shown (a
        document that does not hash to its CID, or that describes another work, is not shown)."""
        if not rec.metadata_cid:
            return None, "no metadata CID is recorded for this work"
        try:
            return self.verified_metadata(rec), None
        except E.LedgerError as exc:
            return None, exc.message

    def metadata(self, cid: str) -> dict[str, Any]:
        """The metadata document under ``cid``, verified against the CID."""
        data = self.store.cat(cid)
        text = data.decode("utf-8", "replace")  # (for the scans; the bytes themselves are parsed)
        # a document nested hundreds deep parses, then every reader that walks it recursively (the JSON
        # output, the portal's response) hits the recursion limit: the schema's documents nest 4 deep
        if _depth_error(text, MAX_JSON_DEPTH) is not None:
            raise E.MetadataMismatch(f"the document under {cid} nests too deep")
        try:
            doc: dict[str, Any] = json.loads(data)
        except ValueError as exc:
            raise E.MetadataMismatch(f"the document under {cid} is not JSON text") from exc
        # a "\ud800" escape decodes to a lone surrogate: no text, and no SQLite, terminal or web page
        # takes it (another client's document in the read index stopped every desk read)
        if lone_surrogate(text, doc):
            raise E.MetadataMismatch(f"the document under {cid} is not JSON text")
        return doc
