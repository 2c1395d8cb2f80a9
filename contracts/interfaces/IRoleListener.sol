// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title A contract that mirrors role changes of LedgerRoles
/// @notice LedgerRoles calls every registered listener after each grant and revoke, so a hot
/// contract (the work registry) checks roles in its own storage instead of paying an
/// external call on every write. A listener declares itself through ERC-165
/// (`supportsInterface(type(IRoleListener).interfaceId)`); LedgerRoles refuses any other.
/// @dev LedgerRoles calls with a fixed gas stipend (LISTENER_GAS) and catches a failure:
/// a listener can never block a grant or a revocation. A listener whose mirror could be
/// stale after a missed call must therefore fall back to LedgerRoles (WorkRegistry does).
interface IRoleListener is IERC165 {
    /// @notice Called by LedgerRoles only, after `role` was granted to or revoked from `account`.
    /// @param role The role that changed.
    /// @param account The account it changed for.
    /// @param granted True for a grant, false for a revocation or renouncement.
    function roleChanged(bytes32 role, address account, bool granted) external;

    /// @notice Called by LedgerRoles only, when the governor removed this listener: from now
    /// on no change reaches it, so it must stop answering from its mirror.
    function roleListenerRemoved() external;
}
