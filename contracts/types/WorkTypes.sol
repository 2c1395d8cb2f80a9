// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Shared types of the Rights Ledger contracts
/// @notice One place for the enums every ledger contract and the SDK agree on. ABIs and
/// storage keep `uint8` (events and views are read by tools that predate these enums):
/// convert with `uint8(WorkStatus.Confirmed)`; the numbers never change.

/// @notice Status of a work in a WorkRegistry.
enum WorkStatus {
    None, // 0: never registered here
    Pending, // 1: registered, waiting for a registrar
    Confirmed, // 2: a registrar confirmed ownership
    Rejected, // 3: a registrar rejected the claim; the hash may be claimed again (see RECLAIM_DELAY)
    Disputed, // 4: a dispute is open on a confirmed work
    Revoked // 5: a dispute was upheld and the work revoked
}

/// @notice Outcome of a dispute (DisputeResolved.outcome).
enum DisputeOutcome {
    None, // 0: not a valid outcome
    Dismissed, // 1: the work is confirmed again, holders unchanged
    HoldersCorrected, // 2: upheld: the holders are replaced
    Revoked // 3: upheld: the work is revoked
}

/// @notice Kind of work (Registration.workType); 0 is not a valid kind.
enum WorkType {
    None,
    Music,
    Text,
    Audiovisual,
    Image,
    Software,
    Other
}

/// @notice How a work was created (Registration.creationMode); 0 is not valid.
enum CreationMode {
    None,
    Human,
    AiAssisted,
    AiGenerated
}

/// @notice What an attested hash is (Attested.kind).
enum AttestationKind {
    Unspecified,
    Content,
    Inputs,
    Output,
    Params,
    Evidence
}
