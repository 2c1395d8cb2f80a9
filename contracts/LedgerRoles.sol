// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {ILedgerRoles} from "./interfaces/ILedgerRoles.sol";
import {IRoleListener} from "./interfaces/IRoleListener.sol";

/// @title LedgerRoles
/// @notice The roles of the permissioned ledger (see ILedgerRoles).
contract LedgerRoles is AccessControlEnumerable, ILedgerRoles {
    /// @notice The governor: admin of every role (OpenZeppelin's DEFAULT_ADMIN_ROLE).
    bytes32 public constant GOVERNOR_ROLE = 0x00;
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 public constant CMO_ROLE = keccak256("CMO_ROLE");
    bytes32 public constant HOLDER_ROLE = keccak256("HOLDER_ROLE");
    bytes32 public constant LICENSEE_ROLE = keccak256("LICENSEE_ROLE");
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    uint256 public constant MAX_LISTENERS = 16;

    mapping(address account => bytes32 commitment) private _identityCommitments;
    address[] private _listeners;

    constructor(address governor) {
        if (governor == address(0)) revert LedgerRoles__ZeroAccount();
        _grantRole(GOVERNOR_ROLE, governor);
        _setRoleAdmin(HOLDER_ROLE, REGISTRAR_ROLE);
    }

    /// @inheritdoc ILedgerRoles
    function verifyHolder(address account, bytes32 commitment) external onlyRole(REGISTRAR_ROLE) {
        if (account == address(0)) revert LedgerRoles__ZeroAccount();
        if (commitment == bytes32(0)) revert LedgerRoles__EmptyCommitment();
        _identityCommitments[account] = commitment;
        emit IdentityVerified(account, commitment, msg.sender);
        _grantRole(HOLDER_ROLE, account);
    }

    /// @inheritdoc ILedgerRoles
    function addRoleListener(address listener) external onlyRole(GOVERNOR_ROLE) {
        // A listener must be a contract built over these roles (it answers roles() == this):
        // one that reverted on roleChanged would block every later role change.
        (bool ok, bytes memory ret) = listener.staticcall(abi.encodeWithSignature("roles()"));
        if (!ok || ret.length != 32 || abi.decode(ret, (address)) != address(this)) {
            revert LedgerRoles__InvalidListener(listener);
        }
        uint256 n = _listeners.length;
        if (n >= MAX_LISTENERS) revert LedgerRoles__TooManyListeners(MAX_LISTENERS);
        for (uint256 i; i < n; ++i) {
            if (_listeners[i] == listener) revert LedgerRoles__InvalidListener(listener);
        }
        _listeners.push(listener);
        emit RoleListenerAdded(listener);
    }

    /// @inheritdoc ILedgerRoles
    function syncRoleListener(address listener, bytes32 role, uint256 start, uint256 count)
        external
        onlyRole(GOVERNOR_ROLE)
    {
        if (!_isListener(listener)) revert LedgerRoles__InvalidListener(listener);
        uint256 end = start + count;
        uint256 members = getRoleMemberCount(role);
        if (end > members) end = members;
        for (uint256 i = start; i < end; ++i) {
            IRoleListener(listener).roleChanged(role, getRoleMember(role, i), true);
        }
    }

    /// @inheritdoc ILedgerRoles
    function roleListeners() external view returns (address[] memory) {
        return _listeners;
    }

    /// @inheritdoc ILedgerRoles
    function identityCommitment(address account) external view returns (bytes32) {
        return _identityCommitments[account];
    }

    /// @dev Grants, then tells every listener (the role change itself emits RoleGranted).
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted) _notify(role, account, true);
    }

    /// @dev Revokes, then tells every listener (RoleRevoked is the event).
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked) _notify(role, account, false);
    }

    function _notify(bytes32 role, address account, bool granted) private {
        uint256 n = _listeners.length;
        for (uint256 i; i < n; ++i) {
            IRoleListener(_listeners[i]).roleChanged(role, account, granted);
        }
    }

    function _isListener(address listener) private view returns (bool) {
        uint256 n = _listeners.length;
        for (uint256 i; i < n; ++i) {
            if (_listeners[i] == listener) return true;
        }
        return false;
    }
}
