// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Rights Ledger attestations and AI generation records
/// @notice Proof of existence for a hash (the block time of the attestation, optionally
/// backed by an RFC 3161 timestamp token kept in the metadata store), and provenance
/// records of AI-generated content: model, inputs, parameters and output of a generation.
/// @dev Hashes are sha-256 digests (a work id, a file, a Merkle root of inputs). CIDs are
/// binary CIDv1 and live in events only; storage keeps what a contract or an auditor needs
/// to check: one packed slot per attestation, one digest per generation record.
/// Every state change emits an event that carries enough to replay it without storage.
interface IAttestationRegistry {
    /// @notice An attestation as stored: an attester's earliest attestation of a hash, and when.
    struct Attestation {
        address attester;
        uint40 attestedAt; // block time: the proof that the hash existed then
        uint8 kind; // see KIND_* constants; 0 unspecified
        bool timestamped; // an RFC 3161 token CID was linked (in Attested or TimestampLinked)
        uint40 blockNumber;
    }

    /// @notice A hash was attested by `attester` at the block's time. `cid` (optional) names a
    /// document about it; `tsaTokenCid` (optional) names the RFC 3161 token over the same hash.
    event Attested(bytes32 indexed hash, address indexed attester, uint8 kind, bytes cid, bytes tsaTokenCid);
    /// @notice The attester linked an RFC 3161 token to an attestation made without one.
    event TimestampLinked(bytes32 indexed hash, address indexed attester, bytes tsaTokenCid);
    /// @notice A generation of AI content for a work was recorded by `generator` at `time`.
    event GenerationRecorded(
        uint64 indexed recordId,
        bytes32 indexed workId,
        address indexed generator,
        string modelName,
        string modelVersion,
        bytes32 inputsRoot,
        bytes paramsCid,
        bytes32 outputHash,
        uint40 time
    );

    /// @notice Fires when the caller holds no ledger role at all.
    error AttestationRegistry__NoLedgerRole(address account);
    /// @notice Fires when a hash (or a generation's inputs root or output hash) is zero.
    error AttestationRegistry__EmptyHash();
    /// @notice Fires when `attester` attests `hash` a second time (its earliest time stands).
    error AttestationRegistry__AlreadyAttested(bytes32 hash, address attester, uint40 attestedAt);
    /// @notice Fires when the caller has not attested `hash`.
    error AttestationRegistry__NotAttested(bytes32 hash);
    /// @notice Fires when the caller's attestation of `hash` already has a token.
    error AttestationRegistry__TimestampAlreadyLinked(bytes32 hash);
    /// @notice Fires when `kind` is above `max`.
    error AttestationRegistry__InvalidKind(uint8 kind, uint8 max);
    /// @notice Fires when a CID is longer than `max` (or, for a linked token, empty).
    error AttestationRegistry__InvalidCid(uint256 length, uint256 max);
    /// @notice Fires when a model name is empty or a name or version is longer than `max`.
    error AttestationRegistry__InvalidModel(uint256 nameLength, uint256 versionLength, uint256 max);
    /// @notice Fires when the work is not PENDING, CONFIRMED or DISPUTED.
    error AttestationRegistry__WorkNotActive(bytes32 workId, uint8 status);
    /// @notice Fires when the caller is neither a holder of the work nor a CMO.
    error AttestationRegistry__NotHolderOrRegistrant(bytes32 workId, address account);

    /// @notice Any account holding any ledger role attests `hash`. Every account may attest
    /// any hash; each attester's earliest attestation of a hash stands (attesting it again
    /// reverts with AlreadyAttested: its time cannot move), so nobody who attests first can
    /// keep the author from attesting their own file. `cid` and `tsaTokenCid` may be empty;
    /// `kind` is at most MAX_KIND.
    /// @param hash The sha-256 attested.
    /// @param kind See AttestationKind.
    /// @param cid Optional CID of a document about the hash.
    /// @param tsaTokenCid Optional CID of an RFC 3161 token over the hash.
    function attest(bytes32 hash, uint8 kind, bytes calldata cid, bytes calldata tsaTokenCid) external;

    /// @notice An attester of `hash` links an RFC 3161 token over it to its own attestation,
    /// once, when that attestation was made without one.
    /// @param hash The attested hash.
    /// @param tsaTokenCid CID of the token.
    function linkTimestamp(bytes32 hash, bytes calldata tsaTokenCid) external;

    /// @notice A holder of the work, or a CMO (the only registrant that need not be a holder),
    /// records how AI content for the work was generated. The work must be PENDING, CONFIRMED
    /// or DISPUTED. `inputsRoot` is the sha-256 of the single input or the Merkle root of the
    /// inputs (prompts, source files); `outputHash` the sha-256 of what the model produced.
    /// @param workId The work.
    /// @param modelName The model's name (1..MAX_MODEL_LENGTH bytes).
    /// @param modelVersion The model's version (at most MAX_MODEL_LENGTH bytes).
    /// @param inputsRoot sha-256 of the input, or Merkle root of the inputs.
    /// @param paramsCid Optional CID of the generation parameters.
    /// @param outputHash sha-256 of the output.
    /// @return recordId The new record's id.
    function recordGeneration(
        bytes32 workId,
        string calldata modelName,
        string calldata modelVersion,
        bytes32 inputsRoot,
        bytes calldata paramsCid,
        bytes32 outputHash
    ) external returns (uint64 recordId);

    /// @notice The earliest attestation of `hash` by anyone (attester zero when none).
    /// @param hash The hash.
    /// @return The attestation.
    function attestationOf(bytes32 hash) external view returns (Attestation memory);

    /// @notice The earliest attestation of `hash` by `attester` (attester zero when none).
    /// @param hash The hash.
    /// @param attester The attester.
    /// @return The attestation.
    function attestationBy(bytes32 hash, address attester) external view returns (Attestation memory);

    /// @notice keccak256(abi.encode(workId, generator, time, modelName, modelVersion, inputsRoot,
    /// paramsCid, outputHash)) of a generation record; zero when there is none.
    /// @param recordId The record.
    /// @return The digest.
    function generationDigest(uint64 recordId) external view returns (bytes32);

    /// @notice How many generation records a work has.
    /// @param workId The work.
    /// @return The count.
    function generationCount(bytes32 workId) external view returns (uint32);

    /// @notice How many generation records there are (ids run from 1 to this).
    /// @return The total.
    function generationTotal() external view returns (uint64);
}
