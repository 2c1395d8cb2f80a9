// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {RoleGated} from "./base/RoleGated.sol";
import {IRoleListener} from "./interfaces/IRoleListener.sol";
import {IWorkRegistry} from "./interfaces/IWorkRegistry.sol";

/// @title WorkRegistry
/// @notice Works, holders, confirmation, reservations and disputes (see IWorkRegistry).
contract WorkRegistry is RoleGated, IWorkRegistry {
    /// @dev One slot: sole holder (zero when co-owned) and the work's small fields.
    struct Work {
        address holder;
        uint8 status;
        uint8 workType;
        uint8 creationMode;
        uint8 holderCount;
        uint40 registeredAt;
    }

    uint8 public constant STATUS_NONE = 0;
    uint8 public constant STATUS_PENDING = 1;
    uint8 public constant STATUS_CONFIRMED = 2;
    uint8 public constant STATUS_REJECTED = 3;
    uint8 public constant STATUS_DISPUTED = 4;
    uint8 public constant STATUS_REVOKED = 5;

    uint8 public constant OUTCOME_DISMISSED = 1;
    uint8 public constant OUTCOME_HOLDERS_CORRECTED = 2;
    uint8 public constant OUTCOME_REVOKED = 3;

    uint16 public constant WHOLE = 10_000;
    uint256 public constant MAX_HOLDERS = 16;
    uint256 public constant MAX_BATCH = 500;
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Version of this contract's interface and storage; bumped by every new deployment.
    uint16 public constant VERSION = 1;

    /// @notice The registry this one succeeds (zero for the first): its works stay there and
    /// their content hashes cannot be registered again here.
    IWorkRegistry public immutable predecessor;

    mapping(bytes32 workId => Work) private _works;
    mapping(bytes32 workId => Holder[]) private _coHolders;
    mapping(bytes32 workId => uint32 mask) private _reservedUses;
    mapping(bytes32 workId => uint64 disputeId) private _openDisputes;
    mapping(bytes32 workId => uint64 nonce) private _transferNonces;
    mapping(bytes32 workId => mapping(bytes32 actionHash => mapping(address holder => bool))) private _consents;
    uint64 private _disputeCount;
    /// @dev Mirror of LedgerRoles for the roles checked on every write (bit 1 REGISTRAR,
    /// 2 CMO, 4 HOLDER), kept by LedgerRoles through roleChanged. A local read instead of
    /// an external call saves about 3,300 gas per transaction. Revocations are mirrored
    /// too, so the mirror never says yes wrongly; an account it does not know (or a
    /// registry that is not a listener) is checked with LedgerRoles.
    mapping(address account => uint8 bits) private _roleBits;

    constructor(IAccessControl roles_, IWorkRegistry predecessor_) RoleGated(roles_) {
        predecessor = predecessor_;
    }

    // --- registration ----------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function register(Registration calldata r) external returns (bytes32 workId) {
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        workId = _register(r, isCmo, isHolder);
    }

    /// @inheritdoc IWorkRegistry
    function registerBatch(Registration[] calldata rs) external {
        _checkBatch(rs.length);
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        for (uint256 i; i < rs.length; ++i) {
            _register(rs[i], isCmo, isHolder);
        }
    }

    /// @inheritdoc IWorkRegistry
    function registerSole(bytes32 contentHash, bytes32 metadataDigest, uint8 workType, uint8 creationMode)
        external
    {
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        _registerSole(SoleRegistration(contentHash, metadataDigest, msg.sender, workType, creationMode), isCmo, isHolder);
    }

    /// @inheritdoc IWorkRegistry
    function registerSoleBatch(SoleRegistration[] calldata rs) external {
        _checkBatch(rs.length);
        (bool isCmo, bool isHolder) = _registrantRoles(msg.sender);
        for (uint256 i; i < rs.length; ++i) {
            _registerSole(rs[i], isCmo, isHolder);
        }
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
        w.status = STATUS_REJECTED;
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
        _reservedUses[workId] = reservedUses;
        emit UsesReserved(workId, msg.sender, reservedUses);
    }

    // --- disputes --------------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function openDispute(bytes32 workId, bytes calldata evidenceCid) external returns (uint64 disputeId) {
        if (!_hasRole(_HOLDER_ROLE, msg.sender)) _checkRole(_CMO_ROLE, msg.sender);
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_CONFIRMED);
        _checkCid(evidenceCid);
        disputeId = ++_disputeCount;
        _openDisputes[workId] = disputeId;
        w.status = STATUS_DISPUTED;
        emit DisputeOpened(disputeId, workId, msg.sender, evidenceCid);
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
        uint64 disputeId = _openDisputes[workId];
        delete _openDisputes[workId];
        if (outcome == OUTCOME_DISMISSED || outcome == OUTCOME_HOLDERS_CORRECTED) {
            w.status = STATUS_CONFIRMED;
        } else if (outcome == OUTCOME_REVOKED) {
            w.status = STATUS_REVOKED;
        } else {
            revert WorkRegistry__InvalidOutcome(outcome);
        }
        if (outcome == OUTCOME_HOLDERS_CORRECTED) {
            _validateHolders(newHolders);
            _transferNonces[workId] += 1;
            _setHolders(workId, w, newHolders);
            emit DisputeResolved(disputeId, workId, msg.sender, outcome, reasonCode, reasonCid, newHolders);
        } else {
            emit DisputeResolved(disputeId, workId, msg.sender, outcome, reasonCode, reasonCid, new Holder[](0));
        }
    }

    // --- roles mirror ----------------------------------------------------------------

    /// @inheritdoc IRoleListener
    function roleChanged(bytes32 role, address account, bool granted) external {
        if (msg.sender != address(roles)) revert WorkRegistry__NotRolesContract(msg.sender);
        uint8 bit = _roleBit(role);
        if (bit == 0) return;
        uint8 bits = _roleBits[account];
        _roleBits[account] = granted ? bits | bit : bits & ~bit;
        emit RoleMirrored(role, account, granted);
    }

    /// @inheritdoc IWorkRegistry
    function mirroredRole(bytes32 role, address account) external view returns (bool) {
        uint8 bit = _roleBit(role);
        return bit != 0 && (_roleBits[account] & bit) != 0;
    }

    // --- views -----------------------------------------------------------------------

    /// @inheritdoc IWorkRegistry
    function getWork(bytes32 workId) external view returns (WorkView memory v) {
        Work storage w = _works[workId];
        v = WorkView({
            status: w.status,
            workType: w.workType,
            creationMode: w.creationMode,
            holderCount: w.holderCount,
            registeredAt: w.registeredAt,
            reservedUses: _reservedUses[workId],
            openDispute: _openDisputes[workId]
        });
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

    /// @dev An account with any mirrored role is answered from the mirror alone (it is
    /// complete for that account: LedgerRoles reports every grant and revoke); any other
    /// account, or a registry that is not a listener, asks LedgerRoles.
    function _hasRole(bytes32 role, address account) internal view override returns (bool) {
        uint8 bit = _roleBit(role);
        uint8 bits = _roleBits[account];
        if (bit != 0 && bits != 0) return (bits & bit) != 0;
        return super._hasRole(role, account);
    }

    function _roleBit(bytes32 role) internal pure returns (uint8) {
        if (role == _REGISTRAR_ROLE) return 1;
        if (role == _CMO_ROLE) return 2;
        if (role == _HOLDER_ROLE) return 4;
        return 0;
    }

    function _registrantRoles(address account) internal view returns (bool isCmo, bool isHolder) {
        isCmo = _hasRole(_CMO_ROLE, account);
        isHolder = _hasRole(_HOLDER_ROLE, account);
        if (!isCmo && !isHolder) revert IAccessControl.AccessControlUnauthorizedAccount(account, _HOLDER_ROLE);
    }

    function _register(Registration calldata r, bool isCmo, bool isHolder) internal returns (bytes32 workId) {
        workId = r.contentHash;
        if (workId == bytes32(0)) revert WorkRegistry__EmptyContentHash();
        Work storage w = _works[workId];
        uint8 status = w.status;
        if (status != STATUS_NONE && status != STATUS_REJECTED) revert WorkRegistry__AlreadyRegistered(workId, status);
        if (address(predecessor) != address(0)) {
            uint8 old = predecessor.statusOf(workId);
            if (old != STATUS_NONE && old != STATUS_REJECTED) revert WorkRegistry__AlreadyRegistered(workId, old);
        }
        _checkCid(r.metadataCid);
        if (r.workType == 0 || r.workType > 6) revert WorkRegistry__InvalidWorkType(r.workType);
        if (r.creationMode == 0 || r.creationMode > 3) revert WorkRegistry__InvalidCreationMode(r.creationMode);
        Holder[] calldata hs = r.holders;
        _validateHolders(hs);
        if (isHolder && !isCmo) {
            bool listed = false;
            for (uint256 i; i < hs.length; ++i) {
                if (hs[i].account == msg.sender) listed = true;
            }
            if (!listed) revert WorkRegistry__NotAHolder(workId, msg.sender);
        }
        if (status == STATUS_REJECTED) _clearRejected(workId);
        if (hs.length == 1) {
            _works[workId] = Work(hs[0].account, STATUS_PENDING, r.workType, r.creationMode, 1, uint40(block.timestamp));
        } else {
            _works[workId] =
                Work(address(0), STATUS_PENDING, r.workType, r.creationMode, uint8(hs.length), uint40(block.timestamp));
            for (uint256 i; i < hs.length; ++i) {
                _coHolders[workId].push(hs[i]);
            }
        }
        emit WorkRegistered(workId, msg.sender, r.workType, r.creationMode, r.metadataCid, hs);
    }

    function _registerSole(SoleRegistration memory r, bool isCmo, bool isHolder) internal {
        bytes32 workId = r.contentHash;
        if (workId == bytes32(0)) revert WorkRegistry__EmptyContentHash();
        Work storage w = _works[workId];
        uint8 status = w.status;
        if (status != STATUS_NONE && status != STATUS_REJECTED) revert WorkRegistry__AlreadyRegistered(workId, status);
        if (address(predecessor) != address(0)) {
            uint8 old = predecessor.statusOf(workId);
            if (old != STATUS_NONE && old != STATUS_REJECTED) revert WorkRegistry__AlreadyRegistered(workId, old);
        }
        if (r.metadataDigest == bytes32(0)) revert WorkRegistry__InvalidCid(0);
        if (r.workType == 0 || r.workType > 6) revert WorkRegistry__InvalidWorkType(r.workType);
        if (r.creationMode == 0 || r.creationMode > 3) revert WorkRegistry__InvalidCreationMode(r.creationMode);
        if (r.holder == address(0)) revert WorkRegistry__InvalidHolder(0, r.holder, WHOLE);
        if (!isCmo && !(isHolder && r.holder == msg.sender)) revert WorkRegistry__NotAHolder(workId, msg.sender);
        if (status == STATUS_REJECTED) _clearRejected(workId);
        _works[workId] = Work(r.holder, STATUS_PENDING, r.workType, r.creationMode, 1, uint40(block.timestamp));
        emit WorkRegistered(workId, msg.sender, r.holder, r.workType, r.creationMode, r.metadataDigest);
    }

    /// @dev A rejected claim leaves nothing behind for the next registrant: its co-holders,
    /// its reservations and any consents given (through the nonce) are gone.
    function _clearRejected(bytes32 workId) internal {
        delete _coHolders[workId];
        delete _reservedUses[workId];
        _transferNonces[workId] += 1;
    }

    function _confirm(bytes32 workId) internal {
        Work storage w = _existing(workId);
        _expectStatus(workId, w.status, STATUS_PENDING);
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
}
