// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {ILedgerRoles} from "./interfaces/ILedgerRoles.sol";

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

    mapping(address account => bytes32 commitment) private _identityCommitments;

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
    function identityCommitment(address account) external view returns (bytes32) {
        return _identityCommitments[account];
    }
}
