// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {RoleGated} from "./base/RoleGated.sol";
import {IAttestationRegistry} from "./interfaces/IAttestationRegistry.sol";
import {IWorkRegistry} from "./interfaces/IWorkRegistry.sol";
import {AttestationKind, WorkStatus} from "./types/WorkTypes.sol";

/// @title AttestationRegistry
/// @notice Proof of existence for hashes and AI generation records (see IAttestationRegistry).
contract AttestationRegistry is RoleGated, IAttestationRegistry {
    uint8 public constant KIND_UNSPECIFIED = uint8(AttestationKind.Unspecified);
    uint8 public constant KIND_CONTENT = uint8(AttestationKind.Content);
    uint8 public constant KIND_INPUTS = uint8(AttestationKind.Inputs);
    uint8 public constant KIND_OUTPUT = uint8(AttestationKind.Output);
    uint8 public constant KIND_PARAMS = uint8(AttestationKind.Params);
    uint8 public constant KIND_EVIDENCE = uint8(AttestationKind.Evidence);
    uint8 public constant MAX_KIND = uint8(type(AttestationKind).max);
    uint256 public constant MAX_CID_LENGTH = 128;
    uint256 public constant MAX_MODEL_LENGTH = 64;
    /// @notice Version of this contract's interface and storage; bumped by every new deployment.
    uint16 public constant VERSION = 2;

    uint8 private constant _STATUS_PENDING = uint8(WorkStatus.Pending);
    uint8 private constant _STATUS_CONFIRMED = uint8(WorkStatus.Confirmed);
    uint8 private constant _STATUS_DISPUTED = uint8(WorkStatus.Disputed);

    /// @notice The work registry whose works generation records describe.
    IWorkRegistry public immutable works;

    /// @dev The earliest attestation of each hash (one slot, as the common case is one attester).
    mapping(bytes32 hash => Attestation) private _attestations;
    /// @dev The earliest attestation of each further attester of a hash.
    mapping(bytes32 hash => mapping(address attester => Attestation)) private _laterAttestations;
    mapping(uint64 recordId => bytes32 digest) private _generationDigests;
    mapping(bytes32 workId => uint32 count) private _generationCounts;
    uint64 private _generationTotal;

    constructor(IAccessControl roles_, IWorkRegistry works_) RoleGated(roles_) {
        works = works_;
    }

    // --- attestations ----------------------------------------------------------------

    /// @inheritdoc IAttestationRegistry
    function attest(bytes32 hash, uint8 kind, bytes calldata cid, bytes calldata tsaTokenCid) external {
        _checkAnyRole(msg.sender);
        if (hash == bytes32(0)) revert AttestationRegistry__EmptyHash();
        if (kind > MAX_KIND) revert AttestationRegistry__InvalidKind(kind, MAX_KIND);
        _checkOptionalCid(cid);
        _checkOptionalCid(tsaTokenCid);
        Attestation memory a =
            Attestation(msg.sender, uint40(block.timestamp), kind, tsaTokenCid.length != 0, uint40(block.number));
        address first = _attestations[hash].attester;
        if (first == address(0)) {
            _attestations[hash] = a;
        } else {
            Attestation storage mine = first == msg.sender ? _attestations[hash] : _laterAttestations[hash][msg.sender];
            if (mine.attester != address(0)) {
                revert AttestationRegistry__AlreadyAttested(hash, mine.attester, mine.attestedAt);
            }
            _laterAttestations[hash][msg.sender] = a;
        }
        emit Attested(hash, msg.sender, kind, cid, tsaTokenCid);
    }

    /// @inheritdoc IAttestationRegistry
    function linkTimestamp(bytes32 hash, bytes calldata tsaTokenCid) external {
        Attestation storage a = _attestationBy(hash, msg.sender);
        if (a.attester == address(0)) revert AttestationRegistry__NotAttested(hash);
        if (a.timestamped) revert AttestationRegistry__TimestampAlreadyLinked(hash);
        if (tsaTokenCid.length == 0 || tsaTokenCid.length > MAX_CID_LENGTH) {
            revert AttestationRegistry__InvalidCid(tsaTokenCid.length, MAX_CID_LENGTH);
        }
        a.timestamped = true;
        emit TimestampLinked(hash, msg.sender, tsaTokenCid);
    }

    // --- generation records ----------------------------------------------------------

    /// @inheritdoc IAttestationRegistry
    function recordGeneration(
        bytes32 workId,
        string calldata modelName,
        string calldata modelVersion,
        bytes32 inputsRoot,
        bytes calldata paramsCid,
        bytes32 outputHash
    ) external returns (uint64 recordId) {
        _checkGenerator(workId);
        _checkGeneration(modelName, modelVersion, inputsRoot, paramsCid, outputHash);
        recordId = ++_generationTotal;
        _generationCounts[workId] += 1;
        _generationDigests[recordId] = keccak256(
            abi.encode(
                workId, msg.sender, uint40(block.timestamp), modelName, modelVersion, inputsRoot, paramsCid, outputHash
            )
        );
        emit GenerationRecorded(
            recordId,
            workId,
            msg.sender,
            modelName,
            modelVersion,
            inputsRoot,
            paramsCid,
            outputHash,
            uint40(block.timestamp)
        );
    }

    // --- views -----------------------------------------------------------------------

    /// @inheritdoc IAttestationRegistry
    function attestationOf(bytes32 hash) external view returns (Attestation memory) {
        return _attestations[hash];
    }

    /// @inheritdoc IAttestationRegistry
    function attestationBy(bytes32 hash, address attester) external view returns (Attestation memory) {
        return _attestationBy(hash, attester);
    }

    /// @inheritdoc IAttestationRegistry
    function generationDigest(uint64 recordId) external view returns (bytes32) {
        return _generationDigests[recordId];
    }

    /// @inheritdoc IAttestationRegistry
    function generationCount(bytes32 workId) external view returns (uint32) {
        return _generationCounts[workId];
    }

    /// @inheritdoc IAttestationRegistry
    function generationTotal() external view returns (uint64) {
        return _generationTotal;
    }

    // --- internal --------------------------------------------------------------------

    function _attestationBy(bytes32 hash, address attester) internal view returns (Attestation storage) {
        Attestation storage first = _attestations[hash];
        return first.attester == attester ? first : _laterAttestations[hash][attester];
    }

    function _checkAnyRole(address account) internal view {
        if (
            _hasRole(_HOLDER_ROLE, account) || _hasRole(_REGISTRAR_ROLE, account) || _hasRole(_CMO_ROLE, account)
                || _hasRole(_LICENSEE_ROLE, account) || _hasRole(_AUDITOR_ROLE, account)
                || _hasRole(_GOVERNOR_ROLE, account)
        ) return;
        revert AttestationRegistry__NoLedgerRole(account);
    }

    function _checkGenerator(bytes32 workId) internal view {
        uint8 status = works.statusOf(workId);
        if (status != _STATUS_PENDING && status != _STATUS_CONFIRMED && status != _STATUS_DISPUTED) {
            revert AttestationRegistry__WorkNotActive(workId, status);
        }
        if (works.shareOf(workId, msg.sender) == 0 && !_hasRole(_CMO_ROLE, msg.sender)) {
            revert AttestationRegistry__NotHolderOrRegistrant(workId, msg.sender);
        }
    }

    function _checkGeneration(
        string calldata modelName,
        string calldata modelVersion,
        bytes32 inputsRoot,
        bytes calldata paramsCid,
        bytes32 outputHash
    ) internal pure {
        uint256 nameLength = bytes(modelName).length;
        uint256 versionLength = bytes(modelVersion).length;
        if (nameLength == 0 || nameLength > MAX_MODEL_LENGTH || versionLength > MAX_MODEL_LENGTH) {
            revert AttestationRegistry__InvalidModel(nameLength, versionLength, MAX_MODEL_LENGTH);
        }
        if (inputsRoot == bytes32(0) || outputHash == bytes32(0)) revert AttestationRegistry__EmptyHash();
        _checkOptionalCid(paramsCid);
    }

    function _checkOptionalCid(bytes calldata cid) internal pure {
        if (cid.length > MAX_CID_LENGTH) revert AttestationRegistry__InvalidCid(cid.length, MAX_CID_LENGTH);
    }
}
