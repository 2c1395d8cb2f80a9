// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title A contract that mirrors role changes of LedgerRoles
/// @notice LedgerRoles calls every registered listener after each grant and revoke, so a hot
/// contract (the work registry) checks roles in its own storage instead of paying an
/// external call on every write.
interface IRoleListener {
    /// @notice Called by LedgerRoles only, after `role` was granted to or revoked from `account`.
    function roleChanged(bytes32 role, address account, bool granted) external;
}
