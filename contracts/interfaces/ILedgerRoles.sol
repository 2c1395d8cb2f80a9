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

    /// @notice The governor removed `listener`: it no longer hears role changes.
    event RoleListenerRemoved(address indexed listener);

    /// @notice `listener` failed (reverted or ran out of its LISTENER_GAS) when told that
    /// `role` changed for `account`; the role change itself went through.
    event RoleListenerFailed(address indexed listener, bytes32 indexed role, address indexed account, bool granted);

    /// @notice Fires when the account is the zero address.
    error LedgerRoles__ZeroAccount();
    /// @notice Fires when a real-name commitment is zero.
    error LedgerRoles__EmptyCommitment();
    /// @notice Fires when a listener is added twice, does not declare IRoleListener through
    /// ERC-165, does not answer `roles()` with this contract, or is removed without being one.
    error LedgerRoles__InvalidListener(address listener);
    /// @notice Fires when a listener would be the (MAX_LISTENERS + 1)th.
    error LedgerRoles__TooManyListeners(uint256 max);
    /// @notice Fires when a role change is sent with too little gas left to give a listener its
    /// full LISTENER_GAS (so nobody can make a listener miss a change by starving it).
    error LedgerRoles__NotEnoughGasForListener(address listener, uint256 gasLeft, uint256 needed);

    /// @notice Records a real-name verification of `account` and grants it HOLDER_ROLE.
    /// @dev Only REGISTRAR_ROLE. A later verification replaces the commitment.
    /// @param account The verified account.
    /// @param commitment Hash of the real name and a salt the registrar keeps; not zero.
    function verifyHolder(address account, bytes32 commitment) external;

    /// @notice GOVERNOR registers a contract that mirrors role changes from now on. It must
    /// declare IRoleListener through ERC-165 and answer `roles()` with this contract.
    /// @param listener The listener contract.
    function addRoleListener(address listener) external;

    /// @notice GOVERNOR removes a listener. It is told (`roleListenerRemoved`, failure
    /// caught), so a WorkRegistry stops trusting its mirror and asks LedgerRoles from then on.
    /// @param listener A registered listener.
    function removeRoleListener(address listener) external;

    /// @notice GOVERNOR replays the current members `start`..`start+count` of `role` to
    /// `listener` (optional: a listener falls back to LedgerRoles for what it never heard;
    /// replaying only saves that listener gas later); bounded per call.
    /// @param listener A registered listener.
    /// @param role The role whose members are replayed.
    /// @param start Index of the first member (AccessControlEnumerable order).
    /// @param count How many members at most.
    function syncRoleListener(address listener, bytes32 role, uint256 start, uint256 count) external;

    /// @notice The registered listeners.
    /// @return The listener addresses, in no particular order.
    function roleListeners() external view returns (address[] memory);

    /// @notice The real-name commitment recorded for `account` (zero when none).
    /// @param account The account.
    /// @return The commitment, or zero.
    function identityCommitment(address account) external view returns (bytes32);
}
