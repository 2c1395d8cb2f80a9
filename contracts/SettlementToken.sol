// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {RoleGated} from "./base/RoleGated.sol";

/// @title SettlementToken
/// @notice A test settlement token (6 decimals, like a stablecoin) for the demo and tests:
/// an OpenZeppelin ERC20 that only the ledger's GOVERNOR mints. A real deployment points
/// the RoyaltyPool at its own settlement token instead.
contract SettlementToken is ERC20, RoleGated {
    constructor(IAccessControl roles_) ERC20("Rights Ledger Settlement", "RLS") RoleGated(roles_) {}

    /// @notice The GOVERNOR mints `amount` to `to` (emits ERC20 Transfer from zero).
    function mint(address to, uint256 amount) external onlyRole(_GOVERNOR_ROLE) {
        _mint(to, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
