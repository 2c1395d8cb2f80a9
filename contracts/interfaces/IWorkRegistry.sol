// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IRoleListener} from "./IRoleListener.sol";

/// @title Rights Ledger work registry
/// @notice Registration of works, confirmation of ownership by a registrar, holders and
/// their shares, reservations (opt-outs) of uses, and disputes.
/// @dev A work's id is the sha-256 of its content: the same bytes can be registered once.
/// Metadata lives in a content-addressed store; only its binary CID is on-chain, in the
/// WorkRegistered event. One packed storage slot holds a sole-held work. Every state
/// change emits an event that carries enough to replay it without reading storage.
interface IWorkRegistry is IRoleListener {
    /// @notice A rights holder and their share in basis points (shares of a work sum to 10000).
    struct Holder {
        address account;
        uint16 bps;
    }

    /// @notice What a registrant submits for one work.
    struct Registration {
        bytes32 contentHash; // sha-256 of the work's bytes; becomes the work id
        bytes metadataCid; // binary CID of the canonical metadata document
        uint8 workType; // 1 music, 2 text, 3 audiovisual, 4 image, 5 software, 6 other
        uint8 creationMode; // 1 human, 2 AI-assisted, 3 AI-generated
        Holder[] holders;
    }

    /// @notice A sole-held work whose metadata CID is a CIDv1 raw sha2-256 (`bafkrei...`,
    /// every document up to 256 KiB): only the 32-byte digest travels in calldata.
    struct SoleRegistration {
        bytes32 contentHash;
        bytes32 metadataDigest; // sha-256 of the metadata bytes; CID = 0x01551220 ++ digest
        address holder;
        uint8 workType;
        uint8 creationMode;
    }

    /// @notice A work as stored.
    struct WorkView {
        uint8 status;
        uint8 workType;
        uint8 creationMode;
        uint8 holderCount;
        uint40 registeredAt;
        uint32 reservedUses;
        uint64 openDispute;
    }

    event WorkRegistered(
        bytes32 indexed workId,
        address indexed registrant,
        uint8 workType,
        uint8 creationMode,
        bytes metadataCid,
        Holder[] holders
    );
    /// @notice The compact form for a sole-held work with a raw sha-256 metadata CID
    /// (`registerSole`, `registerSoleBatch`): the holder holds 10000 bps and the CID is
    /// 0x01551220 ++ metadataDigest. Readers treat it exactly as the long form.
    event WorkRegistered(
        bytes32 indexed workId,
        address indexed registrant,
        address indexed holder,
        uint8 workType,
        uint8 creationMode,
        bytes32 metadataDigest
    );
    event WorkConfirmed(bytes32 indexed workId, address indexed registrar);
    event WorkRejected(bytes32 indexed workId, address indexed registrar, uint16 reasonCode, bytes reasonCid);
    /// @notice A co-owner consented to an action on a work (a share transfer, an exclusive licence).
    event ActionConsented(bytes32 indexed workId, address indexed holder, bytes32 indexed actionHash);
    event ShareTransferred(bytes32 indexed workId, address indexed from, address indexed to, uint16 bps);
    /// @notice The holders of a work reserved (opted out of) these uses; the mask replaces the old one.
    event UsesReserved(bytes32 indexed workId, address indexed holder, uint32 reservedUses);
    event DisputeOpened(uint64 indexed disputeId, bytes32 indexed workId, address indexed claimant, bytes evidenceCid);
    /// @notice outcome: 1 dismissed (work confirmed again), 2 upheld with `holders` as the new
    /// holders, 3 upheld with the work revoked. `holders` is empty unless outcome is 2.
    event DisputeResolved(
        uint64 indexed disputeId,
        bytes32 indexed workId,
        address indexed registrar,
        uint8 outcome,
        uint16 reasonCode,
        bytes reasonCid,
        Holder[] holders
    );

    /// @notice This registry's copy of a LedgerRoles role changed (it mirrors REGISTRAR, CMO, HOLDER).
    event RoleMirrored(bytes32 indexed role, address indexed account, bool granted);

    error WorkRegistry__NotRolesContract(address caller);
    error WorkRegistry__AlreadyRegistered(bytes32 workId, uint8 status);
    error WorkRegistry__NotFound(bytes32 workId);
    error WorkRegistry__WrongStatus(bytes32 workId, uint8 status, uint8 expected);
    error WorkRegistry__EmptyContentHash();
    error WorkRegistry__InvalidCid(uint256 length);
    error WorkRegistry__InvalidWorkType(uint8 workType);
    error WorkRegistry__InvalidCreationMode(uint8 creationMode);
    error WorkRegistry__InvalidHolderCount(uint256 count, uint256 max);
    error WorkRegistry__InvalidHolder(uint256 index, address account, uint16 bps);
    error WorkRegistry__SharesNotWhole(uint256 total);
    error WorkRegistry__NotAHolder(bytes32 workId, address account);
    error WorkRegistry__InsufficientShare(bytes32 workId, address holder, uint16 held, uint16 requested);
    error WorkRegistry__InvalidTransfer(address to, uint16 bps);
    error WorkRegistry__ConsentMissing(bytes32 workId, address coOwner, bytes32 actionHash);
    error WorkRegistry__DisputeOpen(bytes32 workId, uint64 disputeId);
    error WorkRegistry__InvalidOutcome(uint8 outcome);
    error WorkRegistry__InvalidBatchSize(uint256 size, uint256 max);

    /// @notice Registers a work as PENDING. Caller: a HOLDER who is among `r.holders`, or a CMO.
    /// A content hash registered before (and not rejected) reverts with AlreadyRegistered.
    function register(Registration calldata r) external returns (bytes32 workId);

    /// @notice Registers up to MAX_BATCH works in one call; all or none.
    function registerBatch(Registration[] calldata rs) external;

    /// @notice Whether `account` holds `role` in this registry's mirror of LedgerRoles
    /// (REGISTRAR, CMO, HOLDER; false for other roles: ask LedgerRoles).
    function mirroredRole(bytes32 role, address account) external view returns (bool);

    /// @notice Registers a work held wholly by the caller, with a raw sha-256 metadata CID.
    /// The cheapest path: the same WorkRegistered event as `register`, with the full CID.
    function registerSole(bytes32 contentHash, bytes32 metadataDigest, uint8 workType, uint8 creationMode)
        external;

    /// @notice Registers up to MAX_BATCH sole-held works in one call; all or none. A HOLDER
    /// may register only works it holds; a CMO may name any holder.
    function registerSoleBatch(SoleRegistration[] calldata rs) external;

    /// @notice A REGISTRAR confirms a PENDING work's ownership.
    function confirm(bytes32 workId) external;

    /// @notice A REGISTRAR confirms up to MAX_BATCH PENDING works; all or none.
    function confirmBatch(bytes32[] calldata workIds) external;

    /// @notice A REGISTRAR rejects a PENDING work with a reason code and a reason document.
    /// A rejected content hash can be registered again.
    function reject(bytes32 workId, uint16 reasonCode, bytes calldata reasonCid) external;

    /// @notice A holder of the work consents to an action (see transferActionHash).
    function consent(bytes32 workId, bytes32 actionHash) external;

    /// @notice A holder of a CONFIRMED work transfers `bps` of their share to `to`. On a
    /// co-owned work every other co-owner must first consent to transferActionHash(...).
    function transferShare(bytes32 workId, address to, uint16 bps) external;

    /// @notice A holder of the work sets the uses reserved from blanket and statutory licences.
    function reserveUses(bytes32 workId, uint32 reservedUses) external;

    /// @notice A HOLDER or CMO contests a CONFIRMED work; it becomes DISPUTED until resolved.
    function openDispute(bytes32 workId, bytes calldata evidenceCid) external returns (uint64 disputeId);

    /// @notice A REGISTRAR resolves the open dispute on a work (see DisputeResolved).
    function resolveDispute(
        bytes32 workId,
        uint8 outcome,
        Holder[] calldata newHolders,
        uint16 reasonCode,
        bytes calldata reasonCid
    ) external;

    function getWork(bytes32 workId) external view returns (WorkView memory);
    function holdersOf(bytes32 workId) external view returns (Holder[] memory);
    function shareOf(bytes32 workId, address account) external view returns (uint16);
    function statusOf(bytes32 workId) external view returns (uint8);
    function statusesOf(bytes32[] calldata workIds) external view returns (uint8[] memory);
    function transferActionHash(bytes32 workId, address from, address to, uint16 bps)
        external
        view
        returns (bytes32);
    function hasConsent(bytes32 workId, bytes32 actionHash, address holder) external view returns (bool);
    /// @notice True when every holder of the work other than `except` consented to `actionHash`.
    function allCoOwnersConsented(bytes32 workId, bytes32 actionHash, address except)
        external
        view
        returns (bool);
}
