// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/IAccessControlEnumerable.sol";

/// @title Rights Ledger roles
/// @notice One place that says who may write to the ledger. Every other ledger contract
/// asks this contract (`hasRole`) before it changes state, so roles outlive contract
/// versions and an auditor lists every role holder here.
/// @dev GOVERNOR_ROLE is OpenZeppelin's DEFAULT_ADMIN_ROLE: the admin of every role except
/// HOLDER_ROLE, whose admin is REGISTRAR_ROLE (a registrar admits a verified rights holder).
interface ILedgerRoles is IAccessControlEnumerable {
    /// @notice A registrar recorded that `account`'s real name was verified. Only a
    /// commitment (a hash of the name with a salt the registrar keeps) goes on-chain.
    event IdentityVerified(address indexed account, bytes32 commitment, address indexed registrar);

    /// @notice `listener` now mirrors role changes (see IRoleListener).
    event RoleListenerAdded(address indexed listener);

    /// @notice The account is the zero address.
    error LedgerRoles__ZeroAccount();
    /// @notice The commitment is zero.
    error LedgerRoles__EmptyCommitment();
    /// @notice The listener is already registered, or is not a contract whose roles() is this contract.
    error LedgerRoles__InvalidListener(address listener);
    /// @notice At most MAX_LISTENERS listeners.
    error LedgerRoles__TooManyListeners(uint256 max);

    /// @notice Records a real-name verification of `account` and grants it HOLDER_ROLE.
    /// @dev Only REGISTRAR_ROLE. A later verification replaces the commitment.
    function verifyHolder(address account, bytes32 commitment) external;

    /// @notice GOVERNOR registers a contract that mirrors role changes from now on. It must
    /// answer `roles()` with this contract. Listeners are never removed: a retired registry
    /// still manages its works and needs fresh roles.
    function addRoleListener(address listener) external;

    /// @notice GOVERNOR replays the current members `start`..`start+count` of `role` to
    /// `listener` (for a listener added after members existed); bounded per call.
    function syncRoleListener(address listener, bytes32 role, uint256 start, uint256 count) external;

    /// @notice The registered listeners.
    function roleListeners() external view returns (address[] memory);

    /// @notice The real-name commitment recorded for `account` (zero when none).
    function identityCommitment(address account) external view returns (bytes32);
}
