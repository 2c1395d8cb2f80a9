// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IRoleListener} from "../interfaces/IRoleListener.sol";

/// @title HostileRoleListener (tests only; never deployed by the ledger)
/// @notice A listener that declares IRoleListener and then fails on every call: mode 1
/// reverts, mode 2 burns all the gas it is given. Used to show that no listener can block
/// a role change (SPECIFICATION.md R8a).
contract HostileRoleListener is IRoleListener {
    /// @notice The roles contract this listener claims to follow.
    address public immutable roles;
    /// @notice 1 revert, 2 burn all gas.
    uint8 public immutable mode;

    /// @notice Fires on every callback in mode 1.
    error HostileRoleListener__Refused();

    /// @param roles_ The LedgerRoles it claims to follow.
    /// @param mode_ 1 revert, 2 burn all gas.
    constructor(address roles_, uint8 mode_) {
        roles = roles_;
        mode = mode_;
    }

    /// @inheritdoc IRoleListener
    function roleChanged(bytes32, address, bool) external view {
        _fail();
    }

    /// @inheritdoc IRoleListener
    function roleListenerRemoved() external view {
        _fail();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IRoleListener).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    function _fail() private view {
        if (mode == 1) revert HostileRoleListener__Refused();
        uint256 x;
        while (gasleft() > 0) {
            x = uint256(keccak256(abi.encode(x)));
        }
    }
}
