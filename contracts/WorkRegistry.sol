// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {RoleGated} from "./base/RoleGated.sol";
import {ILedgerRoles} from "./interfaces/ILedgerRoles.sol";
import {IRoleListener} from "./interfaces/IRoleListener.sol";
import {IWorkRegistry} from "./interfaces/IWorkRegistry.sol";
import {WorkStatus, DisputeOutcome, WorkType, CreationMode} from "./types/WorkTypes.sol";

/// @title WorkRegistry
/// @notice Works, holders, confirmation, competing claims, reservations and disputes (see IWorkRegistry).
contract WorkRegistry is RoleGated, IWorkRegistry {
    using Checkpoints for Checkpoints.Trace208;

    /// @dev One slot: sole holder (zero when co-owned) and the work's small fields.
    struct Work {
        address holder;
        uint8 status;
        uint8 workType;
        uint8 creationMode;
        uint8 holderCount;
        uint40 registeredAt;
        uint8 competingClaims;
    }

    /// @dev One slot: the open dispute and when it was opened.
    struct OpenDispute {
        uint64 id;
        uint40 openedAt;
    }

    uint8 public constant STATUS_NONE = uint8(WorkStatus.None);
    uint8 public constant STATUS_PENDING = uint8(WorkStatus.Pending);
    uint8 public constant STATUS_CONFIRMED = uint8(WorkStatus.Confirmed);
    uint8 public constant STATUS_REJECTED = uint8(WorkStatus.Rejected);
    uint8 public constant STATUS_DISPUTED = uint8(WorkStatus.Disputed);
    uint8 public constant STATUS_REVOKED = uint8(WorkStatus.Revoked);

    uint8 public constant OUTCOME_DISMISSED = uint8(DisputeOutcome.Dismissed);
    uint8 public constant OUTCOME_HOLDERS_CORRECTED = uint8(DisputeOutcome.HoldersCorrected);
    uint8 public constant OUTCOME_REVOKED = uint8(DisputeOutcome.Revoked);

    uint16 public constant WHOLE = 10_000;
    uint256 public constant MAX_HOLDERS = 16;
    uint256 public constant MAX_BATCH = 500;
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice How long the holders of a rejected registration (and dismissed claimants) must
    /// wait before they may claim the same content hash again.
    uint40 public constant RECLAIM_DELAY = 30 days;
    /// @notice Version of this contract's interface and storage; bumped by every new deployment.
    uint16 public constant VERSION = 2;

    /// @dev Mirror bits per account: 1 REGISTRAR, 2 CMO, 4 HOLDER; the same bit << 4 says the
    /// mirror heard a change of that role (only then is the value bit an answer).
    uint8 private constant _KNOWN_SHIFT = 4;

    /// @notice The registry this one succeeds (zero for the first): its works stay there and
    /// their content hashes cannot be registered again here while live anywhere in the chain.
    IWorkRegistry public immutable override predecessor;

    mapping(bytes32 workId => Work) private _works;
    mapping(bytes32 workId => Holder[]) private _coHolders;
    /// @dev The reserved-uses mask over time (key: block time of the change; ADR 009).
    mapping(bytes32 workId => Checkpoints.Trace208) private _reservations;
    /// @dev The dispute state over time (key: block time): 0 clear, 1 disputed, 2 revoked.
    mapping(bytes32 workId => Checkpoints.Trace208) private _disputeStates;
    mapping(bytes32 workId => OpenDispute) private _openDisputes;
    mapping(bytes32 workId => uint64 nonce) private _transferNonces;
    mapping(bytes32 workId => mapping(bytes32 actionHash => mapping(address holder => bool))) private _consents;
    mapping(bytes32 workId => mapping(address claimant => bytes32 digest)) private _claims;
    mapping(bytes32 workId => mapping(address account => uint40 until)) private _barredUntil;
    mapping(bytes32 workId => mapping(bytes32 evidenceHash => bool)) private _usedEvidence;
    /// @dev One slot, read once per write: dispute ids, the successor that retired this
    /// registry, whether this registry accepts new works, and whether its mirror is off.
    uint64 private _disputeCount;
    address private _successor;
    bool private _active;
    bool private _mirrorOff;
    /// @dev Mirror of LedgerRoles for the roles checked on every write, kept by LedgerRoles
    /// through roleChanged. A local read instead of an external call saves about 3,300 gas
    /// per transaction. Only what the mirror heard is answered from it; anything else (a
    /// role granted before this registry became a listener) is asked of LedgerRoles, and
    /// after LedgerRoles removed this listener everything is: the answer always equals LedgerRoles'.
    mapping(address account => uint8 bits) private _roleBits;

    constructor(IAccessControl roles_, IWorkRegistry predecessor_) RoleGated(roles_) {
        predecessor = predecessor_;
        _active = address(predecessor_) == address(0);
    }

    // --- registration ----------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function register(Registration calldata r) external returns (bytes32 workId) {
        _checkWritable();
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        workId = _register(r, isCmo, isHolder);
    }

    /// @inheritdoc IWorkRegistry
    function registerBatch(Registration[] calldata rs) external {
        _checkBatch(rs.length);
        _checkWritable();
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        for (uint256 i; i < rs.length; ++i) {
            _register(rs[i], isCmo, isHolder);
        }
    }

    /// @inheritdoc IWorkRegistry
    function registerSole(bytes32 contentHash, bytes32 metadataDigest, uint8 workType, uint8 creationMode)
        external
    {
        _checkWritable();
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        _registerSole(SoleRegistration(contentHash, metadataDigest, msg.sender, workType, creationMode), isCmo, isHolder);
    }

    /// @inheritdoc IWorkRegistry
    function registerSoleBatch(SoleRegistration[] calldata rs) external {
        _checkBatch(rs.length);
        _checkWritable();
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        for (uint256 i; i < rs.length; ++i) {
            _registerSole(rs[i], isCmo, isHolder);
        }
    }

    /// @inheritdoc IWorkRegistry
    function fileClaim(Registration calldata r) external {
        _checkWritable();
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        bytes32 workId = r.contentHash;
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
        _checkClaimFields(r, isCmo, isHolder);
        bytes32 digest = _claimDigest(r);
        if (_claims[workId][msg.sender] == digest) revert WorkRegistry__ClaimAlreadyFiled(workId, msg.sender);
        _claims[workId][msg.sender] = digest;
        if (w.competingClaims < type(uint8).max) w.competingClaims += 1;
        emit ClaimFiled(workId, msg.sender, r.workType, r.creationMode, r.metadataCid, r.holders);
    }

    /// @inheritdoc IWorkRegistry
    function awardClaim(address claimant, Registration calldata r) external onlyRole(_REGISTRAR_ROLE) {
        bytes32 workId = r.contentHash;
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
        _checkNotFlagged(workId, w);
        if (_claims[workId][claimant] != _claimDigest(r)) revert WorkRegistry__NoSuchClaim(workId, claimant);
        delete _claims[workId][claimant];
        _clearReservations(workId);
        _transferNonces[workId] += 1;
        w.status = STATUS_CONFIRMED;
        w.workType = r.workType;
        w.creationMode = r.creationMode;
        w.competingClaims = 0;
        _setHolders(workId, w, r.holders);
        emit ClaimAwarded(workId, claimant, msg.sender, r.workType, r.creationMode, r.metadataCid, r.holders);
    }

    /// @inheritdoc IWorkRegistry
    function dismissClaims(bytes32 workId, address[] calldata claimants, uint16 reasonCode, bytes calldata reasonCid)
        external
        onlyRole(_REGISTRAR_ROLE)
    {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
        if (w.competingClaims == 0) revert WorkRegistry__NoCompetingClaims(workId);
        if (claimants.length > MAX_BATCH) revert WorkRegistry__InvalidBatchSize(claimants.length, MAX_BATCH);
        _checkCid(reasonCid);
        uint40 until = uint40(block.timestamp) + RECLAIM_DELAY;
        for (uint256 i; i < claimants.length; ++i) {
            address c = claimants[i];
            if (_claims[workId][c] == bytes32(0)) revert WorkRegistry__NoSuchClaim(workId, c);
            delete _claims[workId][c];
            _barredUntil[workId][c] = until;
        }
        w.competingClaims = 0;
        _transferNonces[workId] += 1; // every claim filed so far is void
        emit ClaimsDismissed(workId, msg.sender, claimants, until, reasonCode, reasonCid);
    }

    /// @inheritdoc IWorkRegistry
    function confirm(bytes32 workId) external onlyRole(_REGISTRAR_ROLE) {
        _confirm(workId);
    }

    /// @inheritdoc IWorkRegistry
    function confirmBatch(bytes32[] calldata workIds) external onlyRole(_REGISTRAR_ROLE) {
        _checkBatch(workIds.length);
        for (uint256 i; i < workIds.length; ++i) {
            _confirm(workIds[i]);
        }
    }

    /// @inheritdoc IWorkRegistry
    function reject(bytes32 workId, uint16 reasonCode, bytes calldata reasonCid)
        external
        onlyRole(_REGISTRAR_ROLE)
    {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
        if (w.competingClaims != 0) revert WorkRegistry__ClaimsCompeting(workId, w.competingClaims);
        w.status = STATUS_REJECTED;
        uint40 until = uint40(block.timestamp) + RECLAIM_DELAY;
        Holder[] memory hs = _holdersOf(workId);
        for (uint256 i; i < hs.length; ++i) {
            _barredUntil[workId][hs[i].account] = until;
        }
        emit WorkRejected(workId, msg.sender, reasonCode, reasonCid);
    }

    // --- holders ---------------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function consent(bytes32 workId, bytes32 actionHash) external {
        _existing(workId);
        if (_shareOf(workId, msg.sender) == 0) revert WorkRegistry__NotAHolder(workId, msg.sender);
        _consents[workId][actionHash][msg.sender] = true;
        emit ActionConsented(workId, msg.sender, actionHash);
    }

    /// @inheritdoc IWorkRegistry
    function transferShare(bytes32 workId, address to, uint16 bps) external {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_CONFIRMED);
        uint16 held = _shareOf(workId, msg.sender);
        if (held == 0) revert WorkRegistry__NotAHolder(workId, msg.sender);
        if (to == address(0) || to == msg.sender || bps == 0) revert WorkRegistry__InvalidTransfer(to, bps);
        if (bps > held) revert WorkRegistry__InsufficientShare(workId, msg.sender, held, bps);
        if (w.holderCount > 1) {
            bytes32 action = transferActionHash(workId, msg.sender, to, bps);
            _requireAllConsents(workId, action, msg.sender);
        }
        _transferNonces[workId] += 1;

        Holder[] memory current = _holdersOf(workId);
        bool toFound;
        uint256 kept;
        Holder[] memory next = new Holder[](current.length + 1);
        for (uint256 i; i < current.length; ++i) {
            Holder memory h = current[i];
            if (h.account == msg.sender) h.bps -= bps;
            if (h.account == to) {
                h.bps += bps;
                toFound = true;
            }
            if (h.bps > 0) next[kept++] = h;
        }
        if (!toFound) next[kept++] = Holder(to, bps);
        assembly ("memory-safe") {
            mstore(next, kept)
        }
        if (next.length > MAX_HOLDERS) revert WorkRegistry__InvalidHolderCount(next.length, MAX_HOLDERS);
        _setHolders(workId, w, next);
        emit ShareTransferred(workId, msg.sender, to, bps);
    }

    /// @inheritdoc IWorkRegistry
    function reserveUses(bytes32 workId, uint32 reservedUses) external {
        _existing(workId);
        if (_shareOf(workId, msg.sender) == 0) revert WorkRegistry__NotAHolder(workId, msg.sender);
        // slither-disable-next-line unused-return (the old and new values are not needed)
        _reservations[workId].push(uint48(block.timestamp), reservedUses);
        emit UsesReserved(workId, msg.sender, reservedUses, uint40(block.timestamp));
    }

    // --- disputes --------------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function openDispute(bytes32 workId, bytes calldata evidenceCid) external returns (uint64 disputeId) {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_CONFIRMED);
        _checkCid(evidenceCid);
        if (!_mayDispute(workId, msg.sender)) revert WorkRegistry__NotEntitledToDispute(workId, msg.sender);
        bytes32 evidenceHash = keccak256(evidenceCid);
        if (_usedEvidence[workId][evidenceHash]) revert WorkRegistry__EvidenceUsed(workId, evidenceHash);
        _usedEvidence[workId][evidenceHash] = true;
        disputeId = ++_disputeCount;
        uint40 openedAt = uint40(block.timestamp);
        _openDisputes[workId] = OpenDispute(disputeId, openedAt);
        // slither-disable-next-line unused-return (the old and new values are not needed)
        _disputeStates[workId].push(openedAt, 1);
        w.status = STATUS_DISPUTED;
        emit DisputeOpened(disputeId, workId, msg.sender, evidenceCid, openedAt);
    }

    /// @inheritdoc IWorkRegistry
    function resolveDispute(
        bytes32 workId,
        uint8 outcome,
        Holder[] calldata newHolders,
        uint16 reasonCode,
        bytes calldata reasonCid
    ) external onlyRole(_REGISTRAR_ROLE) {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_DISPUTED);
        OpenDispute memory d = _openDisputes[workId];
        delete _openDisputes[workId];
        if (outcome == OUTCOME_DISMISSED || outcome == OUTCOME_HOLDERS_CORRECTED) {
            w.status = STATUS_CONFIRMED;
        } else if (outcome == OUTCOME_REVOKED) {
            w.status = STATUS_REVOKED;
        } else {
            revert WorkRegistry__InvalidOutcome(outcome);
        }
        // slither-disable-next-line unused-return (the old and new values are not needed)
        _disputeStates[workId].push(uint48(block.timestamp), outcome == OUTCOME_REVOKED ? 2 : 0);
        Holder[] memory hs = new Holder[](0);
        if (outcome == OUTCOME_HOLDERS_CORRECTED) {
            _validateHolders(newHolders);
            _transferNonces[workId] += 1;
            hs = newHolders;
            _setHolders(workId, w, hs);
        }
        emit DisputeResolved(
            d.id, workId, msg.sender, outcome, reasonCode, reasonCid, hs, d.openedAt, uint40(block.timestamp)
        );
    }

    // --- versions --------------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function retire(IWorkRegistry successor_) external onlyRole(_GOVERNOR_ROLE) {
        if (_successor != address(0)) revert WorkRegistry__Retired(_successor);
        if (address(successor_) == address(0) || address(successor_.predecessor()) != address(this)) {
            revert WorkRegistry__InvalidSuccessor(address(successor_));
        }
        _successor = address(successor_);
        emit RegistryRetired(address(successor_), msg.sender);
    }

    /// @inheritdoc IWorkRegistry
    function successor() external view returns (address) {
        return _successor;
    }

    /// @inheritdoc IWorkRegistry
    function chainStatusOf(bytes32 workId) public view returns (uint8 status) {
        status = _works[workId].status;
        // slither-disable-next-line incorrect-equality (status codes, not balances or time)
        if ((status == STATUS_NONE || status == STATUS_REJECTED) && address(predecessor) != address(0)) {
            uint8 old = predecessor.chainStatusOf(workId);
            if (old != STATUS_NONE && old != STATUS_REJECTED) status = old;
        }
    }

    // --- roles mirror ----------------------------------------------------------------

    /// @inheritdoc IRoleListener
    function roleChanged(bytes32 role, address account, bool granted) external {
        if (msg.sender != address(roles)) revert WorkRegistry__NotRolesContract(msg.sender);
        uint8 bit = _roleBit(role);
        if (bit == 0) return;
        uint8 bits = _roleBits[account] | (bit << _KNOWN_SHIFT);
        _roleBits[account] = granted ? bits | bit : bits & ~bit;
        emit RoleMirrored(role, account, granted);
    }

    /// @inheritdoc IRoleListener
    function roleListenerRemoved() external {
        if (msg.sender != address(roles)) revert WorkRegistry__NotRolesContract(msg.sender);
        _mirrorOff = true;
        emit RoleMirrorDisabled();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IRoleListener).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    /// @inheritdoc IWorkRegistry
    function mirroredRole(bytes32 role, address account) external view returns (bool) {
        return _hasRole(role, account);
    }

    // --- views -----------------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function getWork(bytes32 workId) external view returns (WorkView memory v) {
        Work storage w = _works[workId];
        OpenDispute storage d = _openDisputes[workId];
        v = WorkView({
            status: w.status,
            workType: w.workType,
            creationMode: w.creationMode,
            holderCount: w.holderCount,
            registeredAt: w.registeredAt,
            reservedUses: uint32(_reservations[workId].latest()),
            openDispute: d.id,
            disputeOpenedAt: d.openedAt,
            competingClaims: w.competingClaims
        });
    }

    /// @inheritdoc IWorkRegistry
    function workAt(bytes32 workId, uint40 at)
        external
        view
        returns (uint8 status, uint32 reservedUses, uint40 registeredAt)
    {
        Work storage w = _works[workId];
        status = w.status;
        registeredAt = w.registeredAt;
        if (status == STATUS_CONFIRMED || status == STATUS_DISPUTED || status == STATUS_REVOKED) {
            uint208 d = _disputeStates[workId].upperLookupRecent(at);
            status = d == 1 ? STATUS_DISPUTED : (d == 2 ? STATUS_REVOKED : STATUS_CONFIRMED);
        }
        reservedUses = uint32(_reservations[workId].upperLookupRecent(at));
    }

    /// @inheritdoc IWorkRegistry
    function reclaimBarredUntil(bytes32 workId, address account) external view returns (uint40) {
        return _barredUntil[workId][account];
    }

    /// @inheritdoc IWorkRegistry
    function hasClaim(address claimant, Registration calldata r) external view returns (bool) {
        return _claims[r.contentHash][claimant] == _claimDigest(r);
    }

    /// @inheritdoc IWorkRegistry
    function evidenceUsed(bytes32 workId, bytes calldata evidenceCid) external view returns (bool) {
        return _usedEvidence[workId][keccak256(evidenceCid)];
    }

    /// @inheritdoc IWorkRegistry
    function holdersOf(bytes32 workId) external view returns (Holder[] memory) {
        return _holdersOf(workId);
    }

    /// @inheritdoc IWorkRegistry
    function shareOf(bytes32 workId, address account) external view returns (uint16) {
        return _shareOf(workId, account);
    }

    /// @inheritdoc IWorkRegistry
    function statusOf(bytes32 workId) external view returns (uint8) {
        return _works[workId].status;
    }

    /// @inheritdoc IWorkRegistry
    function statusesOf(bytes32[] calldata workIds) external view returns (uint8[] memory statuses) {
        statuses = new uint8[](workIds.length);
        for (uint256 i; i < workIds.length; ++i) {
            statuses[i] = _works[workIds[i]].status;
        }
    }

    /// @inheritdoc IWorkRegistry
    function transferActionHash(bytes32 workId, address from, address to, uint16 bps)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode("TRANSFER", address(this), workId, from, to, bps, _transferNonces[workId]));
    }

    /// @inheritdoc IWorkRegistry
    function hasConsent(bytes32 workId, bytes32 actionHash, address holder) external view returns (bool) {
        return _consents[workId][actionHash][holder];
    }

    /// @inheritdoc IWorkRegistry
    function allCoOwnersConsented(bytes32 workId, bytes32 actionHash, address except)
        external
        view
        returns (bool)
    {
        Holder[] memory hs = _holdersOf(workId);
        for (uint256 i; i < hs.length; ++i) {
            if (hs[i].account != except && !_consents[workId][actionHash][hs[i].account]) return false;
        }
        return true;
    }

    // --- internal --------------------------------------------------------------------

    /// @dev A role the mirror heard a change of is answered from the mirror (LedgerRoles
    /// reports every later grant and revoke with enough gas, and a listener's roleChanged
    /// cannot fail); anything else, or everything once the mirror is off, asks LedgerRoles.
    function _hasRole(bytes32 role, address account) internal view override returns (bool) {
        uint8 bit = _roleBit(role);
        if (bit != 0 && !_mirrorOff) {
            uint8 bits = _roleBits[account];
            if (bits & (bit << _KNOWN_SHIFT) != 0) return (bits & bit) != 0;
        }
        return super._hasRole(role, account);
    }

    function _roleBit(bytes32 role) internal pure returns (uint8) {
        if (role == _REGISTRAR_ROLE) return 1;
        if (role == _CMO_ROLE) return 2;
        if (role == _HOLDER_ROLE) return 4;
        return 0;
    }

    /// @dev HOLDER is asked first: a HOLDER registering works it holds never needs the CMO
    /// answer (asked only when it names others: see _mayNameOthers). Returns isCmo = true only
    /// when the caller is a CMO and not a HOLDER.
    function _registrantRoles(address account) internal view returns (bool isCmo, bool isHolder) {
        isHolder = _hasRole(_HOLDER_ROLE, account);
        if (isHolder) return (false, true);
        isCmo = _hasRole(_CMO_ROLE, account);
        if (!isCmo) revert IAccessControl.AccessControlUnauthorizedAccount(account, _HOLDER_ROLE);
    }

    /// @dev Whether the caller may register a work it is not a holder of: a CMO.
    function _mayNameOthers(bool isCmo) internal view returns (bool) {
        return isCmo || _hasRole(_CMO_ROLE, msg.sender);
    }

    /// @dev New works are accepted by exactly one version at a time: not after this registry
    /// was retired, and (for a successor) not before its predecessor was retired in its favour.
    function _checkWritable() internal {
        if (_successor != address(0)) revert WorkRegistry__Retired(_successor);
        if (!_active) {
            if (predecessor.successor() != address(this)) {
                revert WorkRegistry__PredecessorNotRetired(address(predecessor));
            }
            _active = true;
        }
    }

    /// @dev The checks every new registration passes (register, registerSole and their
    /// batches): a non-zero hash live nowhere in the version chain, a known work type and
    /// creation mode, and no bar on the registrant. Returns the hash's status here.
    function _checkRegistrable(bytes32 workId, uint8 workType, uint8 creationMode)
        internal
        view
        returns (uint8 status)
    {
        if (workId == bytes32(0)) revert WorkRegistry__EmptyContentHash();
        status = _works[workId].status;
        if (status != STATUS_NONE && status != STATUS_REJECTED) revert WorkRegistry__AlreadyRegistered(workId, status);
        if (address(predecessor) != address(0)) {
            uint8 old = predecessor.chainStatusOf(workId);
            if (old != STATUS_NONE && old != STATUS_REJECTED) revert WorkRegistry__AlreadyRegistered(workId, old);
        }
        _checkKind(workType, creationMode);
        // slither-disable-next-line incorrect-equality (status codes, not balances or time)
        if (status == STATUS_REJECTED) _checkNotBarred(workId, msg.sender);
    }

    function _register(Registration calldata r, bool isCmo, bool isHolder) internal returns (bytes32 workId) {
        workId = r.contentHash;
        uint8 status = _checkRegistrable(workId, r.workType, r.creationMode);
        _checkCid(r.metadataCid);
        Holder[] calldata hs = r.holders;
        // slither-disable-next-line incorrect-equality (status codes, not balances or time)
        _checkHolderList(workId, hs, isCmo, isHolder, status == STATUS_REJECTED);
        // slither-disable-next-line incorrect-equality (status codes, not balances or time)
        if (status == STATUS_REJECTED) _clearRejected(workId);
        if (hs.length == 1) {
            _works[workId] =
                Work(hs[0].account, STATUS_PENDING, r.workType, r.creationMode, 1, uint40(block.timestamp), 0);
        } else {
            _works[workId] = Work(
                address(0), STATUS_PENDING, r.workType, r.creationMode, uint8(hs.length), uint40(block.timestamp), 0
            );
            for (uint256 i; i < hs.length; ++i) {
                _coHolders[workId].push(hs[i]);
            }
        }
        emit WorkRegistered(workId, msg.sender, r.workType, r.creationMode, r.metadataCid, hs);
    }

    function _registerSole(SoleRegistration memory r, bool isCmo, bool isHolder) internal {
        bytes32 workId = r.contentHash;
        uint8 status = _checkRegistrable(workId, r.workType, r.creationMode);
        if (r.metadataDigest == bytes32(0)) revert WorkRegistry__InvalidCid(0);
        if (r.holder == address(0)) revert WorkRegistry__InvalidHolder(0, r.holder, WHOLE);
        if (!(isHolder && r.holder == msg.sender) && !_mayNameOthers(isCmo)) {
            revert WorkRegistry__NotAHolder(workId, msg.sender);
        }
        // slither-disable-next-line incorrect-equality (status codes, not balances or time)
        if (status == STATUS_REJECTED) {
            _checkNotBarred(workId, r.holder);
            _clearRejected(workId);
        }
        _works[workId] = Work(r.holder, STATUS_PENDING, r.workType, r.creationMode, 1, uint40(block.timestamp), 0);
        emit WorkRegistered(workId, msg.sender, r.holder, r.workType, r.creationMode, r.metadataDigest);
    }

    /// @dev A claim's fields: as a registration's, and no claimant or named holder barred.
    function _checkClaimFields(Registration calldata r, bool isCmo, bool isHolder) internal view {
        _checkKind(r.workType, r.creationMode);
        _checkCid(r.metadataCid);
        _checkNotBarred(r.contentHash, msg.sender);
        _checkHolderList(r.contentHash, r.holders, isCmo, isHolder, true);
    }

    /// @dev Valid holders; a HOLDER (not CMO) registrant must be among them; with `barCheck`
    /// none of them may be barred from claiming the hash.
    function _checkHolderList(bytes32 workId, Holder[] calldata hs, bool isCmo, bool isHolder, bool barCheck)
        internal
        view
    {
        _validateHolders(hs);
        bool listed = false;
        for (uint256 i; i < hs.length; ++i) {
            if (hs[i].account == msg.sender) listed = true;
            if (barCheck) _checkNotBarred(workId, hs[i].account);
        }
        if (isHolder && !listed && !_mayNameOthers(isCmo)) revert WorkRegistry__NotAHolder(workId, msg.sender);
    }

    function _checkKind(uint8 workType, uint8 creationMode) internal pure {
        if (workType == 0 || workType > uint8(type(WorkType).max)) revert WorkRegistry__InvalidWorkType(workType);
        if (creationMode == 0 || creationMode > uint8(type(CreationMode).max)) {
            revert WorkRegistry__InvalidCreationMode(creationMode);
        }
    }

    function _checkNotBarred(bytes32 workId, address account) internal view {
        uint40 until = _barredUntil[workId][account];
        if (until > block.timestamp) revert WorkRegistry__ReclaimBarred(workId, account, until);
    }

    /// @dev A claim's identity: its fields and the work's current round (the nonce changes
    /// when claims are awarded, dismissed or a registration is rejected and made again).
    function _claimDigest(Registration calldata r) internal view returns (bytes32) {
        bytes32 workId = r.contentHash;
        return keccak256(
            abi.encode(workId, _transferNonces[workId], r.workType, r.creationMode, r.metadataCid, r.holders)
        );
    }

    /// @dev Who may open a dispute: a CMO, a REGISTRAR, or a HOLDER that either holds a share
    /// of the work or whose real name a registrar verified (so a claimant is always answerable).
    function _mayDispute(bytes32 workId, address account) internal view returns (bool) {
        if (_hasRole(_CMO_ROLE, account) || _hasRole(_REGISTRAR_ROLE, account)) return true;
        if (!_hasRole(_HOLDER_ROLE, account)) return false;
        return _shareOf(workId, account) != 0
            || ILedgerRoles(address(roles)).identityCommitment(account) != bytes32(0);
    }

    /// @dev A rejected claim leaves nothing behind for the next registrant: its co-holders,
    /// its reservations and any consents given (through the nonce) are gone.
    function _clearRejected(bytes32 workId) internal {
        delete _coHolders[workId];
        _clearReservations(workId);
        _transferNonces[workId] += 1;
    }

    /// @dev Lifts every reservation from now on (earlier times keep theirs), with the event
    /// that replays it (`holder`: the account whose action cleared them).
    function _clearReservations(bytes32 workId) internal {
        Checkpoints.Trace208 storage r = _reservations[workId];
        if (r.latest() != 0) {
            // slither-disable-next-line unused-return (the old and new values are not needed)
            r.push(uint48(block.timestamp), 0);
            emit UsesReserved(workId, msg.sender, 0, uint40(block.timestamp));
        }
    }

    function _confirm(bytes32 workId) internal {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
        if (w.competingClaims != 0) revert WorkRegistry__ClaimsCompeting(workId, w.competingClaims);
        _checkNotFlagged(workId, w);
        w.status = STATUS_CONFIRMED;
        emit WorkConfirmed(workId, msg.sender);
    }
    function _setHolders(bytes32 workId, Work storage w, Holder[] memory hs) internal {
        delete _coHolders[workId];
        if (hs.length == 1) {
            w.holder = hs[0].account;
        } else {
            w.holder = address(0);
            for (uint256 i; i < hs.length; ++i) {
                _coHolders[workId].push(hs[i]);
            }
        }
        w.holderCount = uint8(hs.length);
    }

    function _validateHolders(Holder[] calldata hs) internal pure {
        if (hs.length == 0 || hs.length > MAX_HOLDERS) revert WorkRegistry__InvalidHolderCount(hs.length, MAX_HOLDERS);
        uint256 total = 0;
        for (uint256 i; i < hs.length; ++i) {
            address a = hs[i].account;
            if (a == address(0) || hs[i].bps == 0) revert WorkRegistry__InvalidHolder(i, a, hs[i].bps);
            for (uint256 j; j < i; ++j) {
                if (hs[j].account == a) revert WorkRegistry__InvalidHolder(i, a, hs[i].bps);
            }
            total += hs[i].bps;
        }
        if (total != WHOLE) revert WorkRegistry__SharesNotWhole(total);
    }

    function _requireAllConsents(bytes32 workId, bytes32 action, address except) internal view {
        Holder[] storage hs = _coHolders[workId];
        for (uint256 i; i < hs.length; ++i) {
            address a = hs[i].account;
            if (a != except && !_consents[workId][action][a]) revert WorkRegistry__ConsentMissing(workId, a, action);
        }
    }

    function _holdersOf(bytes32 workId) internal view returns (Holder[] memory hs) {
        Work storage w = _works[workId];
        if (w.holderCount == 1) {
            hs = new Holder[](1);
            hs[0] = Holder(w.holder, WHOLE);
        } else {
            hs = _coHolders[workId];
        }
    }

    function _shareOf(bytes32 workId, address account) internal view returns (uint16) {
        Work storage w = _works[workId];
        if (w.holderCount == 1) return w.holder == account ? WHOLE : 0;
        Holder[] storage hs = _coHolders[workId];
        for (uint256 i; i < hs.length; ++i) {
            if (hs[i].account == account) return hs[i].bps;
        }
        return 0;
    }

    function _existing(bytes32 workId) internal view returns (Work storage w) {
        w = _works[workId];
        if (w.status == STATUS_NONE) revert WorkRegistry__NotFound(workId);
    }

    function _expectStatus(bytes32 workId, uint8 status, uint8 expected) internal pure {
        if (status != expected) revert WorkRegistry__WrongStatus(workId, status, expected);
    }

    function _checkCid(bytes calldata cid) internal pure {
        if (cid.length == 0 || cid.length > MAX_CID_LENGTH) revert WorkRegistry__InvalidCid(cid.length);
    }

    function _checkBatch(uint256 size) internal pure {
        if (size == 0 || size > MAX_BATCH) revert WorkRegistry__InvalidBatchSize(size, MAX_BATCH);
    }

    // --- near duplicates (issue 18: the registrar's desk) ------------------------------
    // A PENDING work flagged as a near-duplicate of a CONFIRMED work held by others is confirmed
    // only through confirmOverriding, with a reason recorded in NearDuplicateOverridden.

    /// @dev One flag per pending registration: valid while `registeredAt` equals the work's (a
    /// registration after a rejection starts unflagged).
    struct NearDuplicate {
        bytes32 ofWorkId;
        address flaggedBy;
        uint40 registeredAt;
        uint8 distance;
    }

    /// @notice Longest override reason, in bytes.
    uint256 public constant MAX_OVERRIDE_REASON = 280;

    mapping(bytes32 workId => NearDuplicate) private _nearDuplicates;

    /// @inheritdoc IWorkRegistry
    function flagNearDuplicate(bytes32 workId, bytes32 ofWorkId, uint8 distance) external {
        if (!_hasRole(_REGISTRAR_ROLE, msg.sender) && !_hasRole(_CMO_ROLE, msg.sender)
            && _shareOf(ofWorkId, msg.sender) == 0) revert WorkRegistry__NotEntitledToFlag(workId, msg.sender);
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
        _expectStatus(ofWorkId, _existing(ofWorkId).status, STATUS_CONFIRMED);
        if (distance > 64) revert WorkRegistry__InvalidDistance(distance);
        Holder[] memory hs = _holdersOf(workId);
        for (uint256 i; i < hs.length; ++i) {
            if (_shareOf(ofWorkId, hs[i].account) != 0) {
                revert WorkRegistry__SameHolder(workId, ofWorkId, hs[i].account);
            }
        }
        _nearDuplicates[workId] = NearDuplicate(ofWorkId, msg.sender, w.registeredAt, distance);
        emit NearDuplicateFlagged(workId, ofWorkId, msg.sender, distance);
    }

    /// @inheritdoc IWorkRegistry
    function confirmOverriding(bytes32 workId, string calldata reason) external onlyRole(_REGISTRAR_ROLE) {
        Work storage w = _existing(workId);
        NearDuplicate memory f = _nearDuplicates[workId];
        // slither-disable-next-line incorrect-equality (a stored timestamp compared for identity)
        if (f.ofWorkId == bytes32(0) || f.registeredAt != w.registeredAt) revert WorkRegistry__NotFlagged(workId);
        uint256 n = bytes(reason).length;
        if (n == 0 || n > MAX_OVERRIDE_REASON) revert WorkRegistry__InvalidOverrideReason(n, MAX_OVERRIDE_REASON);
        delete _nearDuplicates[workId];
        _confirm(workId);
        emit NearDuplicateOverridden(workId, f.ofWorkId, msg.sender, f.distance, reason);
    }

    /// @inheritdoc IWorkRegistry
    function nearDuplicateOf(bytes32 workId) external view returns (bytes32 ofWorkId, address flaggedBy, uint8 distance) {
        NearDuplicate memory f = _nearDuplicates[workId];
        // slither-disable-next-line incorrect-equality (a registration time stamps the flag, not a balance)
        if (f.ofWorkId != bytes32(0) && f.registeredAt == _works[workId].registeredAt) {
            return (f.ofWorkId, f.flaggedBy, f.distance);
        }
    }

    function _checkNotFlagged(bytes32 workId, Work storage w) internal view {
        NearDuplicate storage f = _nearDuplicates[workId];
        if (f.ofWorkId != bytes32(0) && f.registeredAt == w.registeredAt) {
            revert WorkRegistry__NearDuplicateFlagged(workId, f.ofWorkId, f.distance);
        }
    }
}
