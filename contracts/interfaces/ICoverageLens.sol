// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Rights Ledger coverage lens
/// @notice Read-only answers over the LicenceRegistry and the WorkRegistry: "is this licensee
/// covered to use work W for use U in territory T at time t?" and "does this usage line count
/// in this CMO's distribution, and with what weight?". It holds no state of its own.
/// @dev Every answer reads a bounded number of slots, whatever the number of licences a
/// licensee holds: the licensee's licences of the work (at most MAX_PER_KEY), the work's open
/// licences (at most MAX_PER_KEY), the blanket licences of each CMO the work was ever
/// mandated to (at most MAX_CMOS x MAX_PER_KEY) and the use's tariff.
interface ICoverageLens {
    /// @notice The answer to "am I covered?". `covered` with the grant that covers (`kind`
    /// 1 work licence, 2 blanket licence, 3 open licence, 4 statutory tariff; `licenceId`
    /// zero for a tariff), or not covered with the closest `reason` and the licence it
    /// concerns: 1 none, 2 revoked, 3 suspended, 4 not yet valid, 5 expired,
    /// 6 wrong territory, 7 mandate withdrawn, 8 use reserved, 9 work not confirmed.
    struct Coverage {
        bool covered;
        uint8 kind;
        uint8 reason;
        uint64 licenceId;
    }

    /// @notice A usage line as a CMO's distribution weighs it: `quantity` uses of `workId`
    /// for `use` (one bit) at `usedAt` under licence `licenceId` of `kind` (1 work, 2 blanket,
    /// 4 statutory tariff with licenceId 0).
    struct LineQuery {
        bytes32 workId;
        uint32 use;
        uint64 quantity;
        uint40 usedAt;
        uint64 licenceId;
        uint8 kind;
    }

    /// @notice `use` is not a single bit.
    error CoverageLens__InvalidUse(uint32 use);

    /// @notice Is `licensee` covered to use `workId` for `use` (one bit) in `territory`
    /// (0x0000: unspecified, only worldwide grants cover it) at time `at` (0: now)?
    function coverage(bytes32 workId, address licensee, uint32 use, bytes2 territory, uint40 at)
        external
        view
        returns (Coverage memory);

    /// @notice Whether a line reported by `licensee` counts in `cmo`'s distribution, and what
    /// it owes. `reason` 0: it counts and `owed` = quantity x the licence's ratePerUse (or the
    /// tariff's amountPerWork for kind 4). It counts only when the work is CONFIRMED, was
    /// mandated to `cmo` for the use at `usedAt` (and the use is not reserved), and the line's
    /// licence is held by `licensee`, granted by `cmo`, lists the work (or is `cmo`'s blanket
    /// licence) and was in force at `usedAt`; a kind-4 line needs the use's tariff in force
    /// at `usedAt`. Otherwise `reason` says why (coverage reasons, or 10 not mandated to
    /// `cmo`, 11 not a licence `licensee` holds from `cmo`, 12 malformed line).
    function lineWeight(address cmo, address licensee, LineQuery calldata line)
        external
        view
        returns (uint8 reason, uint256 owed);
}
