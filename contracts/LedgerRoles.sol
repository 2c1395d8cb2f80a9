// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
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
    /// @notice Gas each listener gets per notification; a listener that needs more fails
    /// (RoleListenerFailed) and the role change goes through all the same.
    uint256 public constant LISTENER_GAS = 60_000;
    /// @dev What must be left before a notification so that the listener really gets
    /// LISTENER_GAS (EIP-150 forwards at most 63/64 of what is left) plus the call's own cost.
    uint256 private constant _GAS_NEEDED = (LISTENER_GAS * 64) / 63 + 10_000;

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
        if (!ERC165Checker.supportsInterface(listener, type(IRoleListener).interfaceId)) {
            revert LedgerRoles__InvalidListener(listener);
        }
        // Bound to these roles: a listener of another LedgerRoles would refuse our calls.
        (bool ok, bytes memory ret) = listener.staticcall{gas: 30_000}(abi.encodeWithSignature("roles()"));
        if (!ok || ret.length != 32 || abi.decode(ret, (address)) != address(this)) {
            revert LedgerRoles__InvalidListener(listener);
        }
        uint256 n = _listeners.length;
        if (n >= MAX_LISTENERS) revert LedgerRoles__TooManyListeners(MAX_LISTENERS);
        if (_indexOf(listener) != type(uint256).max) revert LedgerRoles__InvalidListener(listener);
        _listeners.push(listener);
        emit RoleListenerAdded(listener);
    }

    /// @inheritdoc ILedgerRoles
    function removeRoleListener(address listener) external onlyRole(GOVERNOR_ROLE) {
        uint256 i = _indexOf(listener);
        if (i == type(uint256).max) revert LedgerRoles__InvalidListener(listener);
        _listeners[i] = _listeners[_listeners.length - 1];
        _listeners.pop();
        emit RoleListenerRemoved(listener);
        _checkGas(listener);
        try IRoleListener(listener).roleListenerRemoved{gas: LISTENER_GAS}() {} catch {}
    }

    /// @inheritdoc ILedgerRoles
    function syncRoleListener(address listener, bytes32 role, uint256 start, uint256 count)
        external
        onlyRole(GOVERNOR_ROLE)
    {
        if (_indexOf(listener) == type(uint256).max) revert LedgerRoles__InvalidListener(listener);
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

    /// @dev Each listener gets exactly LISTENER_GAS; a failing one is reported and skipped,
    /// so no listener can block a role change (a revocation above all).
    function _notify(bytes32 role, address account, bool granted) private {
        uint256 n = _listeners.length;
        for (uint256 i; i < n; ++i) {
            address listener = _listeners[i];
            _checkGas(listener);
            try IRoleListener(listener).roleChanged{gas: LISTENER_GAS}(role, account, granted) {}
            catch {
                emit RoleListenerFailed(listener, role, account, granted);
            }
        }
    }

    function _checkGas(address listener) private view {
        if (gasleft() < _GAS_NEEDED) revert LedgerRoles__NotEnoughGasForListener(listener, gasleft(), _GAS_NEEDED);
    }

    function _indexOf(address listener) private view returns (uint256) {
        uint256 n = _listeners.length;
        for (uint256 i; i < n; ++i) {
            if (_listeners[i] == listener) return i;
        }
        return type(uint256).max;
    }
}
