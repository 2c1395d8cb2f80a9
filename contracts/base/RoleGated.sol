// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title RoleGated
/// @notice Base for ledger contracts whose roles live in the shared LedgerRoles contract.
/// A missing role reverts with OpenZeppelin's `AccessControlUnauthorizedAccount`.
abstract contract RoleGated {
    bytes32 internal constant _GOVERNOR_ROLE = 0x00;
    bytes32 internal constant _REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 internal constant _CMO_ROLE = keccak256("CMO_ROLE");
    bytes32 internal constant _HOLDER_ROLE = keccak256("HOLDER_ROLE");
    bytes32 internal constant _LICENSEE_ROLE = keccak256("LICENSEE_ROLE");
    bytes32 internal constant _AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    /// @notice The LedgerRoles contract consulted for every write.
    IAccessControl public immutable roles;

    modifier onlyRole(bytes32 role) {
        _checkRole(role, msg.sender);
        _;
    }

    constructor(IAccessControl roles_) {
        roles = roles_;
    }

    function _hasRole(bytes32 role, address account) internal view virtual returns (bool) {
        return roles.hasRole(role, account);
    }

    function _checkRole(bytes32 role, address account) internal view {
        if (!_hasRole(role, account)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(account, role);
        }
    }
}
