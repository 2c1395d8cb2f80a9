// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IRoleListener} from "./IRoleListener.sol";

/// @title Rights Ledger work registry
/// @notice Registration of works, confirmation of ownership by a registrar, competing
/// claims on a content hash, holders and their shares, reservations (opt-outs) of uses,
/// and disputes.
/// @dev A work's id is the sha-256 of its content: the same bytes are live at most once
/// across the whole chain of registry versions (see `chainStatusOf`). Metadata lives in a
/// content-addressed store; only its binary CID is on-chain, in the events. One packed
/// storage slot holds a sole-held work. Statuses and outcomes are the enums of
/// types/WorkTypes.sol as uint8. Every state change emits an event that carries enough to
/// replay it without reading storage.
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
        uint8 workType; // WorkType: 1 music, 2 text, 3 audiovisual, 4 image, 5 software, 6 other
        uint8 creationMode; // CreationMode: 1 human, 2 AI-assisted, 3 AI-generated
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
        uint40 disputeOpenedAt; // block time the open dispute was opened (0 when none)
        uint8 competingClaims; // claims filed against the PENDING registration (saturates at 255)
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
    /// @notice The PENDING registration was rejected; its holders may not claim the hash
    /// again before the block time + RECLAIM_DELAY.
    event WorkRejected(bytes32 indexed workId, address indexed registrar, uint16 reasonCode, bytes reasonCid);
    /// @notice `claimant` filed a claim competing with the PENDING registration of `workId`.
    /// The work stays PENDING; it cannot be confirmed or rejected until a registrar awards
    /// one claim (`awardClaim`) or dismisses the competing ones (`dismissClaims`).
    event ClaimFiled(
        bytes32 indexed workId,
        address indexed claimant,
        uint8 workType,
        uint8 creationMode,
        bytes metadataCid,
        Holder[] holders
    );
    /// @notice A registrar awarded the work to `claimant`'s competing claim: the work is
    /// CONFIRMED with these fields and holders; reservations made by the displaced claim are cleared.
    event ClaimAwarded(
        bytes32 indexed workId,
        address indexed claimant,
        address indexed registrar,
        uint8 workType,
        uint8 creationMode,
        bytes metadataCid,
        Holder[] holders
    );
    /// @notice A registrar dismissed every competing claim on `workId`; `claimants` may not
    /// claim it again before `barredUntil`.
    event ClaimsDismissed(
        bytes32 indexed workId,
        address indexed registrar,
        address[] claimants,
        uint40 barredUntil,
        uint16 reasonCode,
        bytes reasonCid
    );
    /// @notice A co-owner consented to an action on a work (a share transfer, an exclusive licence).
    event ActionConsented(bytes32 indexed workId, address indexed holder, bytes32 indexed actionHash);
    event ShareTransferred(bytes32 indexed workId, address indexed from, address indexed to, uint16 bps);
    /// @notice From block time `at` on, the work's reserved (opted-out) uses are `reservedUses`
    /// (the mask replaces the old one; times before `at` keep theirs). `holder` set it; a zero
    /// mask is also emitted when an awarded claim or a new registration of a rejected hash
    /// clears the reservations (then `holder` is the registrar or the registrant).
    event UsesReserved(bytes32 indexed workId, address indexed holder, uint32 reservedUses, uint40 at);
    /// @notice A dispute was opened at `openedAt` (block time): from then until it is
    /// resolved the work reads as disputed; before `openedAt` it did not.
    event DisputeOpened(
        uint64 indexed disputeId, bytes32 indexed workId, address indexed claimant, bytes evidenceCid, uint40 openedAt
    );
    /// @notice outcome: 1 dismissed (work confirmed again), 2 upheld with `holders` as the new
    /// holders, 3 upheld with the work revoked. `holders` is empty unless outcome is 2. The
    /// work was disputed from `openedAt` to `resolvedAt` (block times).
    event DisputeResolved(
        uint64 indexed disputeId,
        bytes32 indexed workId,
        address indexed registrar,
        uint8 outcome,
        uint16 reasonCode,
        bytes reasonCid,
        Holder[] holders,
        uint40 openedAt,
        uint40 resolvedAt
    );
    /// @notice The governor retired this registry in favour of `successor`: it refuses new
    /// registrations and claims from now on; its works stay here and are managed here.
    event RegistryRetired(address indexed successor, address indexed governor);

    /// @notice This registry's copy of a LedgerRoles role changed (it mirrors REGISTRAR, CMO, HOLDER).
    event RoleMirrored(bytes32 indexed role, address indexed account, bool granted);
    /// @notice LedgerRoles removed this registry as a listener: it asks LedgerRoles for every role from now on.
    event RoleMirrorDisabled();

    /// @notice Fires when someone other than LedgerRoles calls a listener callback.
    error WorkRegistry__NotRolesContract(address caller);
    /// @notice Fires when the content hash is live (not NONE, not REJECTED) here or in a
    /// predecessor; `status` is its status there.
    error WorkRegistry__AlreadyRegistered(bytes32 workId, uint8 status);
    /// @notice Fires when no work with this id was ever registered here.
    error WorkRegistry__NotFound(bytes32 workId);
    /// @notice Fires when the work is in `status` and the call needs `expected`.
    error WorkRegistry__WrongStatus(bytes32 workId, uint8 status, uint8 expected);
    /// @notice Fires when the content hash is zero.
    error WorkRegistry__EmptyContentHash();
    /// @notice Fires when a CID (or metadata digest) is empty or longer than MAX_CID_LENGTH.
    error WorkRegistry__InvalidCid(uint256 length);
    /// @notice Fires when the work type is not 1..6.
    error WorkRegistry__InvalidWorkType(uint8 workType);
    /// @notice Fires when the creation mode is not 1..3.
    error WorkRegistry__InvalidCreationMode(uint8 creationMode);
    /// @notice Fires when a holder list is empty or longer than `max`.
    error WorkRegistry__InvalidHolderCount(uint256 count, uint256 max);
    /// @notice Fires when a holder is the zero address, holds 0 bps or appears twice.
    error WorkRegistry__InvalidHolder(uint256 index, address account, uint16 bps);
    /// @notice Fires when holder shares do not sum to 10000.
    error WorkRegistry__SharesNotWhole(uint256 total);
    /// @notice Fires when the account holds no share of the work (or, registering as a
    /// HOLDER, is not among the holders it names).
    error WorkRegistry__NotAHolder(bytes32 workId, address account);
    /// @notice Fires when a holder transfers more than it holds.
    error WorkRegistry__InsufficientShare(bytes32 workId, address holder, uint16 held, uint16 requested);
    /// @notice Fires when a transfer goes to zero, to the sender, or moves 0 bps.
    error WorkRegistry__InvalidTransfer(address to, uint16 bps);
    /// @notice Fires when a co-owner has not consented to the action.
    error WorkRegistry__ConsentMissing(bytes32 workId, address coOwner, bytes32 actionHash);
    /// @notice Fires when a dispute is already open on the work.
    error WorkRegistry__DisputeOpen(bytes32 workId, uint64 disputeId);
    /// @notice Fires when a dispute outcome is not 1..3.
    error WorkRegistry__InvalidOutcome(uint8 outcome);
    /// @notice Fires when a batch is empty or longer than `max`.
    error WorkRegistry__InvalidBatchSize(uint256 size, uint256 max);
    /// @notice Fires on a registration or claim in a registry retired in favour of `successor`.
    error WorkRegistry__Retired(address successor);
    /// @notice Fires on a registration or claim before the predecessor was retired in favour
    /// of this registry (only one version accepts new works at any time).
    error WorkRegistry__PredecessorNotRetired(address predecessor);
    /// @notice Fires when `retire` names a successor whose predecessor is not this registry.
    error WorkRegistry__InvalidSuccessor(address successor);
    /// @notice Fires when a registrar confirms or rejects a PENDING work that has competing claims.
    error WorkRegistry__ClaimsCompeting(bytes32 workId, uint8 count);
    /// @notice Fires when a registrar dismisses claims on a work that has none.
    error WorkRegistry__NoCompetingClaims(bytes32 workId);
    /// @notice Fires when `claimant` has no current claim on the work with exactly these fields.
    error WorkRegistry__NoSuchClaim(bytes32 workId, address claimant);
    /// @notice Fires when `claimant` files the same claim twice.
    error WorkRegistry__ClaimAlreadyFiled(bytes32 workId, address claimant);
    /// @notice Fires when `account` (registrant or named holder) was rejected or dismissed on
    /// this content hash and may not claim it again before `until`.
    error WorkRegistry__ReclaimBarred(bytes32 workId, address account, uint40 until);
    /// @notice Fires when the caller may not dispute the work (see `openDispute`).
    error WorkRegistry__NotEntitledToDispute(bytes32 workId, address account);
    /// @notice Fires when the evidence (keccak256 of its CID) was already used in a dispute on the work.
    error WorkRegistry__EvidenceUsed(bytes32 workId, bytes32 evidenceHash);

    /// @notice Registers a work as PENDING. Caller: a HOLDER who is among `r.holders`, or a CMO.
    /// A content hash live here or in any predecessor reverts with AlreadyRegistered (a
    /// PENDING one can be contested with `fileClaim`); a rejected one may be claimed again,
    /// except by the rejected claim's holders before RECLAIM_DELAY has passed.
    /// @param r The registration.
    /// @return workId The work id (`r.contentHash`).
    function register(Registration calldata r) external returns (bytes32 workId);

    /// @notice Registers up to MAX_BATCH works in one call; all or none.
    /// @param rs The registrations.
    function registerBatch(Registration[] calldata rs) external;

    /// @notice Registers a work held wholly by the caller, with a raw sha-256 metadata CID.
    /// The cheapest path: the same WorkRegistered event as `register`, with the full CID.
    /// @param contentHash sha-256 of the work's bytes.
    /// @param metadataDigest sha-256 of the metadata document.
    /// @param workType See WorkType.
    /// @param creationMode See CreationMode.
    function registerSole(bytes32 contentHash, bytes32 metadataDigest, uint8 workType, uint8 creationMode)
        external;

    /// @notice Registers up to MAX_BATCH sole-held works in one call; all or none. A HOLDER
    /// may register only works it holds; a CMO may name any holder.
    /// @param rs The registrations.
    function registerSoleBatch(SoleRegistration[] calldata rs) external;

    /// @notice Files a claim competing with the PENDING registration of `r.contentHash`
    /// (a HOLDER among `r.holders`, or a CMO). First come is not first served: the work
    /// cannot be confirmed or rejected until a registrar awards one claim or dismisses the
    /// competing ones. One claim per claimant and round; a new, different claim replaces it.
    /// @param r The competing registration (same content hash).
    function fileClaim(Registration calldata r) external;

    /// @notice A REGISTRAR awards a PENDING work to `claimant`'s competing claim, which must
    /// equal `r` exactly: the work becomes CONFIRMED with `r`'s fields and holders.
    /// @param claimant Who filed the claim.
    /// @param r The claim as filed (see ClaimFiled).
    function awardClaim(address claimant, Registration calldata r) external;

    /// @notice A REGISTRAR dismisses every competing claim on a PENDING work (the pending
    /// registration stands, to be confirmed or rejected). Each of `claimants` may not claim
    /// the hash again for RECLAIM_DELAY.
    /// @param workId The work.
    /// @param claimants The claimants to bar (each must have a claim on the work).
    /// @param reasonCode A reason code.
    /// @param reasonCid CID of the reason document.
    function dismissClaims(bytes32 workId, address[] calldata claimants, uint16 reasonCode, bytes calldata reasonCid)
        external;

    /// @notice A REGISTRAR confirms a PENDING work's ownership (none of its claims competing).
    /// @param workId The work.
    function confirm(bytes32 workId) external;

    /// @notice A REGISTRAR confirms up to MAX_BATCH PENDING works; all or none.
    /// @param workIds The works.
    function confirmBatch(bytes32[] calldata workIds) external;

    /// @notice A REGISTRAR rejects a PENDING work (none of its claims competing) with a reason
    /// code and a reason document. Its holders may claim the hash again after RECLAIM_DELAY;
    /// anyone else at once.
    /// @param workId The work.
    /// @param reasonCode A reason code.
    /// @param reasonCid CID of the reason document.
    function reject(bytes32 workId, uint16 reasonCode, bytes calldata reasonCid) external;

    /// @notice A holder of the work consents to an action (see transferActionHash).
    /// @param workId The work.
    /// @param actionHash The action consented to.
    function consent(bytes32 workId, bytes32 actionHash) external;

    /// @notice A holder of a CONFIRMED work transfers `bps` of their share to `to`. On a
    /// co-owned work every other co-owner must first consent to transferActionHash(...).
    /// @param workId The work.
    /// @param to The recipient.
    /// @param bps The share moved, in basis points.
    function transferShare(bytes32 workId, address to, uint16 bps) external;

    /// @notice A holder of the work sets the uses reserved from blanket and statutory licences,
    /// from now on (the reservations in force at earlier times are kept: see `workAt`).
    /// @param workId The work.
    /// @param reservedUses Bit mask of reserved uses; replaces the old mask.
    function reserveUses(bytes32 workId, uint32 reservedUses) external;

    /// @notice Contests a CONFIRMED work; it becomes DISPUTED until resolved. Caller: a CMO,
    /// a REGISTRAR, or a HOLDER that holds a share of the work or whose real name is verified
    /// (a commitment in LedgerRoles). The evidence must be new: a CID used in an
    /// earlier dispute on the work is refused, so a dismissed dispute is reopened only with
    /// new evidence.
    /// @param workId The work.
    /// @param evidenceCid CID of the evidence document (kept in the metadata store).
    /// @return disputeId The new dispute's id.
    function openDispute(bytes32 workId, bytes calldata evidenceCid) external returns (uint64 disputeId);

    /// @notice A REGISTRAR resolves the open dispute on a work (see DisputeResolved).
    /// @param workId The work.
    /// @param outcome See DisputeOutcome.
    /// @param newHolders The corrected holders (outcome 2 only; empty otherwise).
    /// @param reasonCode A reason code.
    /// @param reasonCid CID of the ruling document.
    function resolveDispute(
        bytes32 workId,
        uint8 outcome,
        Holder[] calldata newHolders,
        uint16 reasonCode,
        bytes calldata reasonCid
    ) external;

    /// @notice GOVERNOR retires this registry in favour of `next` (whose predecessor must
    /// be this registry), once. From then on this registry refuses registrations and claims,
    /// and `next` accepts them; works here stay readable and managed here.
    /// @param next The next registry version.
    function retire(IWorkRegistry next) external;

    /// @notice The registry this one succeeds (zero for the first).
    /// @return The predecessor.
    function predecessor() external view returns (IWorkRegistry);

    /// @notice The registry that retired this one (zero while this one is current).
    /// @return The successor.
    function successor() external view returns (address);

    /// @notice The status of `workId` here or, when it is not live here (NONE or REJECTED),
    /// its live status in the nearest predecessor that has it live (walking the whole chain).
    /// @param workId The work.
    /// @return status The status (0 when live nowhere and never registered here).
    function chainStatusOf(bytes32 workId) external view returns (uint8 status);

    /// @notice Whether `account` holds `role` as this registry answers it: from its mirror of
    /// LedgerRoles for what the mirror heard, from LedgerRoles for anything else. It always
    /// equals `LedgerRoles.hasRole(role, account)`.
    /// @param role The role.
    /// @param account The account.
    /// @return Whether the account holds the role.
    function mirroredRole(bytes32 role, address account) external view returns (bool);

    /// @notice The work's facts as they were at block time `at` (ADR 009): its status (a
    /// CONFIRMED, DISPUTED or REVOKED work reads CONFIRMED, DISPUTED or REVOKED as its
    /// disputes stood at `at`; any other status is the current one), the uses reserved at
    /// `at`, and when it was registered. What happens after `at` never changes the answer.
    /// @param workId The work.
    /// @param at A block time.
    /// @return status The status at `at`.
    /// @return reservedUses The reserved-uses mask in force at `at`.
    /// @return registeredAt When the current registration was made.
    function workAt(bytes32 workId, uint40 at)
        external
        view
        returns (uint8 status, uint32 reservedUses, uint40 registeredAt);

    /// @notice When `account` may claim `workId` again (0 when it is not barred).
    /// @param workId The work.
    /// @param account The account.
    /// @return until Block time from which the account may claim again.
    function reclaimBarredUntil(bytes32 workId, address account) external view returns (uint40 until);

    /// @notice Whether `claimant` has a current competing claim on `workId` equal to `r`.
    /// @param claimant Who filed the claim.
    /// @param r The claim.
    /// @return Whether it is on file.
    function hasClaim(address claimant, Registration calldata r) external view returns (bool);

    /// @notice Whether `evidenceCid` was used in a dispute on `workId` already.
    /// @param workId The work.
    /// @param evidenceCid The evidence CID.
    /// @return Whether it was used.
    function evidenceUsed(bytes32 workId, bytes calldata evidenceCid) external view returns (bool);

    /// @notice The work as stored (all zero when unknown).
    /// @param workId The work.
    /// @return The work.
    function getWork(bytes32 workId) external view returns (WorkView memory);

    /// @notice The holders of a work and their shares.
    /// @param workId The work.
    /// @return The holders.
    function holdersOf(bytes32 workId) external view returns (Holder[] memory);

    /// @notice The share of `account` in a work, in basis points.
    /// @param workId The work.
    /// @param account The account.
    /// @return The share (0 when none).
    function shareOf(bytes32 workId, address account) external view returns (uint16);

    /// @notice The status of a work in this registry (see WorkStatus).
    /// @param workId The work.
    /// @return The status.
    function statusOf(bytes32 workId) external view returns (uint8);

    /// @notice The statuses of several works in this registry.
    /// @param workIds The works.
    /// @return The statuses, in order.
    function statusesOf(bytes32[] calldata workIds) external view returns (uint8[] memory);

    /// @notice The hash co-owners consent to for a share transfer (changes after every transfer).
    /// @param workId The work.
    /// @param from The holder transferring.
    /// @param to The recipient.
    /// @param bps The share moved.
    /// @return The action hash.
    function transferActionHash(bytes32 workId, address from, address to, uint16 bps)
        external
        view
        returns (bytes32);

    /// @notice Whether `holder` consented to `actionHash` on `workId`.
    /// @param workId The work.
    /// @param actionHash The action.
    /// @param holder The holder.
    /// @return Whether the consent is recorded.
    function hasConsent(bytes32 workId, bytes32 actionHash, address holder) external view returns (bool);

    /// @notice True when every holder of the work other than `except` consented to `actionHash`.
    /// @param workId The work.
    /// @param actionHash The action.
    /// @param except A holder left out (the one acting).
    /// @return Whether every other holder consented.
    function allCoOwnersConsented(bytes32 workId, bytes32 actionHash, address except)
        external
        view
        returns (bool);

    // --- near duplicates (issue 18) ------------------------------------------------------

    /// @notice A PENDING work was flagged as a near-duplicate (ISCC content code within
    /// `distance` bits) of a CONFIRMED work held by others.
    event NearDuplicateFlagged(
        bytes32 indexed workId, bytes32 indexed ofWorkId, address indexed flaggedBy, uint8 distance
    );
    /// @notice A registrar confirmed a flagged work anyway, for `reason`.
    event NearDuplicateOverridden(
        bytes32 indexed workId, bytes32 indexed ofWorkId, address indexed registrar, uint8 distance, string reason
    );

    error WorkRegistry__NotEntitledToFlag(bytes32 workId, address caller);
    error WorkRegistry__InvalidDistance(uint8 distance);
    error WorkRegistry__SameHolder(bytes32 workId, bytes32 ofWorkId, address holder);
    error WorkRegistry__NearDuplicateFlagged(bytes32 workId, bytes32 ofWorkId, uint8 distance);
    error WorkRegistry__NotFlagged(bytes32 workId);
    error WorkRegistry__InvalidOverrideReason(uint256 length, uint256 max);

    /// @notice Flag a PENDING work as a near-duplicate of a CONFIRMED work: from then on it is
    /// confirmed only by `confirmOverriding` (plain `confirm`, `confirmBatch` and `awardClaim`
    /// revert `WorkRegistry__NearDuplicateFlagged`). Caller: a REGISTRAR, a CMO, or a holder of
    /// `ofWorkId`. No holder of `workId` may hold a share of `ofWorkId` (a copy of one's own work
    /// is no one else's). A later flag replaces an earlier one.
    /// @param workId The pending work.
    /// @param ofWorkId The confirmed work it is near.
    /// @param distance Hamming distance of their ISCC content codes, 0..64 bits.
    function flagNearDuplicate(bytes32 workId, bytes32 ofWorkId, uint8 distance) external;

    /// @notice As a REGISTRAR: confirm a flagged work anyway, recording why.
    /// @param workId The flagged pending work.
    /// @param reason Why it is no copy (1..280 bytes of UTF-8), kept in the event.
    function confirmOverriding(bytes32 workId, string calldata reason) external;

    /// @notice The standing near-duplicate flag on a work (zeros when none).
    /// @param workId The work.
    /// @return ofWorkId The confirmed work it was flagged against.
    /// @return flaggedBy Who flagged it.
    /// @return distance The distance given.
    function nearDuplicateOf(bytes32 workId) external view returns (bytes32 ofWorkId, address flaggedBy, uint8 distance);
}

