// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICoverageLens} from "./interfaces/ICoverageLens.sol";
import {ILicenceRegistry} from "./interfaces/ILicenceRegistry.sol";
import {IWorkRegistry} from "./interfaces/IWorkRegistry.sol";
import "./types/LicenceTypes.sol" as T;

/// @title CoverageLens
/// @notice Read-only coverage and usage-line answers over the licence and work registries
/// (see ICoverageLens). Kept out of LicenceRegistry so that contract has headroom.
contract CoverageLens is ICoverageLens {
    /// @notice Version of this contract's interface.
    uint16 public constant VERSION = 2;

    /// @notice The licence registry whose licences, mandates and tariffs this reads.
    ILicenceRegistry public immutable licences;
    /// @notice The work registry whose work status and reservations this reads.
    IWorkRegistry public immutable works;

    /// @dev One coverage question, kept in memory to spare the stack.
    struct Query {
        bytes32 workId;
        uint32 use;
        bytes2 territory;
        uint40 at;
        bool disputed;
        bool reserved;
    }

    /// @param licences_ the LicenceRegistry
    /// @param works_ the WorkRegistry it uses
    constructor(ILicenceRegistry licences_, IWorkRegistry works_) {
        licences = licences_;
        works = works_;
    }

    /// @inheritdoc ICoverageLens
    function coverage(bytes32 workId, address licensee, uint32 use, bytes2 territory, uint40 at)
        external
        view
        returns (Coverage memory c)
    {
        _checkSingleUse(use);
        if (at == 0) at = uint40(block.timestamp);
        // slither-disable-next-line unused-return (registeredAt is not needed here)
        (uint8 status, uint32 reserved,) = works.workAt(workId, at);
        if (status != T.WORK_CONFIRMED && status != T.WORK_DISPUTED) {
            return Coverage(false, 0, T.REASON_WORK_NOT_CONFIRMED, 0);
        }
        c.reason = T.REASON_NONE;
        // slither-disable-next-line incorrect-equality (a status code, not a balance)
        Query memory q = Query(workId, use, territory, at, status == T.WORK_DISPUTED, reserved & use != 0);
        uint256 best = type(uint256).max;
        // The answer does not depend on the order the candidates are read in: the covering
        // licence with the lowest id (the licensee's own before open licences) wins; else the
        // closest reason, ties to the lowest id.
        best = _consider(c, best, licences.workLicencesOf(workId, licensee), q, 0);
        address[] memory cmos = licences.cmosOf(workId);
        for (uint256 i; i < cmos.length; ++i) {
            best = _consider(c, best, licences.blanketLicencesOf(licensee, cmos[i]), q, 0);
        }
        best = _consider(c, best, licences.openLicencesOf(workId), q, 1 << 64);
        if (c.covered) return c;
        ILicenceRegistry.Tariff memory t = licences.tariffAt(use, at);
        if (t.validUntil != 0) {
            uint8 reason = _timeReason(false, q.disputed, at, t.validFrom, t.validUntil);
            if (reason == 0 && q.reserved) reason = T.REASON_RESERVED;
            if (reason == 0) return Coverage(true, T.KIND_STATUTORY, 0, 0);
            if (reason > c.reason) c = Coverage(false, T.KIND_STATUTORY, reason, 0);
        }
    }

    /// @inheritdoc ICoverageLens
    function lineWeight(address cmo, address licensee, LineQuery calldata line)
        external
        view
        returns (uint8 reason, uint256 owed)
    {
        uint32 use = line.use;
        if (use == 0 || use & (use - 1) != 0 || line.quantity == 0 || line.usedAt > block.timestamp) {
            return (T.REASON_BAD_LINE, 0);
        }
        (uint8 status, uint32 reserved, uint40 registeredAt) = works.workAt(line.workId, line.usedAt);
        if (status == T.WORK_DISPUTED) return (T.REASON_SUSPENDED, 0);
        if (status != T.WORK_CONFIRMED || line.usedAt < registeredAt) return (T.REASON_WORK_NOT_CONFIRMED, 0);
        // slither-disable-next-line unused-return (everUses is not needed here)
        (uint32 mandated,) = licences.mandateAt(line.workId, cmo, line.usedAt);
        if (mandated & use == 0) return (T.REASON_NOT_MANDATED, 0);
        if (reserved & use != 0) return (T.REASON_RESERVED, 0);
        uint256 rate;
        if (line.kind == T.KIND_STATUTORY) {
            if (line.licenceId != 0) return (T.REASON_WRONG_LICENCE, 0);
            ILicenceRegistry.Tariff memory t = licences.tariffAt(use, line.usedAt);
            if (t.validUntil == 0) return (T.REASON_NONE, 0);
            reason = _timeReason(false, false, line.usedAt, t.validFrom, t.validUntil);
            rate = t.amountPerWork;
        } else {
            ILicenceRegistry.Licence memory l = licences.licenceAt(line.licenceId, line.usedAt);
            bool blanket = l.scope == T.SCOPE_REPERTOIRE;
            if (
                l.licensee != licensee || l.licensor != cmo || l.uses & use == 0
                    || line.kind != (blanket ? T.KIND_BLANKET : T.KIND_WORK)
                    || (!blanket && !licences.listsWork(line.licenceId, line.workId))
            ) return (T.REASON_WRONG_LICENCE, 0);
            if (l.state == T.STATE_REVOKED) return (T.REASON_REVOKED, 0);
            reason = _timeReason(l.state == T.STATE_SUSPENDED, false, line.usedAt, l.start, l.end);
            rate = l.ratePerUse;
        }
        if (reason != 0) return (reason, 0);
        owed = uint256(line.quantity) * rate;
    }

    /// @dev Evaluates each licence of `ids` and keeps the best answer in `c`; `order` ranks
    /// open licences after the licensee's own. Returns the rank of the answer kept.
    function _consider(Coverage memory c, uint256 best, uint64[] memory ids, Query memory q, uint256 order)
        internal
        view
        returns (uint256)
    {
        for (uint256 i; i < ids.length; ++i) {
            uint256 rank = order | ids[i];
            if (c.covered && rank >= best) continue;
            if (_take(c, ids[i], q, rank < best)) best = rank;
        }
        return best;
    }

    /// @dev Evaluates licence `id` and stores it in `c` when it is a better answer; `earlier`:
    /// it ranks before the answer kept so far. Returns true when it was stored.
    function _take(Coverage memory c, uint64 id, Query memory q, bool earlier) internal view returns (bool) {
        ILicenceRegistry.Licence memory l = licences.licenceAt(id, q.at);
        uint8 reason = _evaluate(l, q);
        if (reason == T.REASON_NONE) return false;
        if (reason != 0 && (c.covered || reason < c.reason || (reason == c.reason && !earlier))) return false;
        c.covered = reason == 0;
        // slither-disable-next-line incorrect-equality (state and scope codes, not balances)
        c.kind = l.licensee == address(0) ? T.KIND_OPEN : (l.scope == T.SCOPE_REPERTOIRE ? T.KIND_BLANKET : T.KIND_WORK);
        c.reason = reason;
        c.licenceId = id;
        return true;
    }

    /// @dev 0 when licence `l` (its state as at q.at) covers the query; otherwise the reason
    /// (REASON_NONE when the licence does not concern this work and use at all). The
    /// candidates come from the registry's index, so a work licence lists the work. Every
    /// fact is read as it was at q.at (ADR 009).
    function _evaluate(ILicenceRegistry.Licence memory l, Query memory q) internal view returns (uint8) {
        // slither-disable-next-line incorrect-equality (a use bitmask test, not a balance)
        if (l.uses & q.use == 0) return T.REASON_NONE;
        uint32 mandated = 0;
        uint32 everMandated = 0;
        if (l.collective) (mandated, everMandated) = licences.mandateAt(q.workId, l.licensor, q.at);
        // slither-disable-next-line incorrect-equality (a use bitmask test, not a balance)
        if (l.scope == T.SCOPE_REPERTOIRE && everMandated & q.use == 0) return T.REASON_NONE;
        // slither-disable-next-line incorrect-equality (state and scope codes, not balances)
        if (l.state == T.STATE_REVOKED) return T.REASON_REVOKED;
        // slither-disable-next-line incorrect-equality (state and scope codes, not balances)
        uint8 reason = _timeReason(l.state == T.STATE_SUSPENDED, q.disputed, q.at, l.start, l.end);
        if (reason != 0) return reason;
        if (!_inTerritory(l.territories, q.territory)) return T.REASON_WRONG_TERRITORY;
        if (l.collective) {
            // slither-disable-next-line incorrect-equality (a use bitmask test, not a balance)
            if (mandated & q.use == 0) return T.REASON_WITHDRAWN;
            if (q.reserved) return T.REASON_RESERVED;
        }
        return 0;
    }

    function _timeReason(bool suspended, bool disputed, uint40 at, uint40 start, uint40 end)
        internal
        pure
        returns (uint8)
    {
        if (suspended || disputed) return T.REASON_SUSPENDED;
        if (at < start) return T.REASON_NOT_YET_VALID;
        if (at >= end) return T.REASON_EXPIRED;
        return 0;
    }

    function _inTerritory(bytes memory c, bytes2 territory) internal pure returns (bool) {
        // slither-disable-next-line incorrect-equality (a length, not a balance)
        if (c.length == 0) return true;
        for (uint256 i; i < c.length; i += 2) {
            // slither-disable-next-line incorrect-equality (country codes are bytes, not balances)
            if (c[i] == territory[0] && c[i + 1] == territory[1]) return true;
        }
        return false;
    }

    function _checkSingleUse(uint32 use) internal pure {
        if (use == 0 || use & (use - 1) != 0) revert CoverageLens__InvalidUse(use);
    }
}
