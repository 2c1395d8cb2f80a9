// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Rights Ledger royalty pool
/// @notice Usage reports, payments of licence fees and statutory compensation into a CMO's
/// pool for a period, and the blanket distribution of each closed period to rights holders
/// by Merkle root (pull payments).
/// @dev A pool is one CMO's account of one period: `pool(cmo, period)`. Periods are chosen by
/// the CMO (e.g. 202501 for January 2025); a period is OPEN (usage and payments accepted),
/// CLOSED (the commission rate is fixed, nothing more comes in) and then DISTRIBUTED (one
/// Merkle root of (cmo, period, account, amount) leaves that holders claim against).
/// Usage lines are leaves of an OpenZeppelin StandardMerkleTree over
/// `abi.encode(uint32 index, bytes32 workId, uint32 use, uint64 quantity, uint40 usedAt,
/// uint64 licenceId, uint8 kind, uint128 owed)`; the report file (in the metadata store, its
/// CID in the event) lets anyone rebuild the tree. Money is conserved per pool:
/// paidIn == claimed + commission + held, and claims never exceed the published total.
/// Every state change emits an event that carries enough to replay it without storage.
interface IRoyaltyPool {
    /// @notice One usage line: `quantity` uses of `workId` for `use` (one bit) at `usedAt`,
    /// under licence `licenceId` (kind 1 work, 2 blanket, 3 open licence) or the statutory
    /// tariff (kind 4, licenceId 0), owing `owed` in the settlement token. `index` is the
    /// line's position in its report (0 for a single record).
    struct UsageLine {
        uint32 index;
        bytes32 workId;
        uint32 use;
        uint64 quantity;
        uint40 usedAt;
        uint64 licenceId;
        uint8 kind;
        uint128 owed;
    }

    /// @notice The totals of a report or a period: lines, uses, and money owed.
    struct Totals {
        uint64 lineCount;
        uint128 quantity;
        uint128 owed;
    }

    /// @notice A recorded report (a single record is a report of one line).
    struct Report {
        address licensee;
        address cmo;
        uint32 period;
        uint40 recordedAt;
        bytes32 root;
        Totals totals;
    }

    /// @notice One CMO's pool for one period.
    struct Pool {
        uint8 state; // 0 open, 1 closed, 2 distributed
        uint16 commissionBps; // fixed when the period closes
        uint40 closedAt;
        uint64 closedBlock;
        uint64 reportCount;
        Totals totals;
        uint256 paidIn;
        uint256 commission;
        uint256 distributed; // sum of the published holder amounts
        uint256 residue; // paidIn + carriedIn - commission - distributed, carried to the CMO's next period
        uint256 claimed;
        bytes32 root;
        uint256 carriedIn; // the CMO's carry, added when the period closed (no commission on it)
        uint40 publishedAt; // when the distribution was published (the claim window starts)
    }

    /// @notice A single usage line, recorded as report `reportId` of one line (root = its leaf).
    event UsageRecorded(
        uint64 indexed reportId, address indexed licensee, address indexed cmo, uint32 period, UsageLine line
    );
    /// @notice A usage report: `lineCount` lines under Merkle `root`, the file at `cid`.
    event UsageReportRecorded(
        uint64 indexed reportId,
        address indexed licensee,
        uint32 indexed period,
        address cmo,
        bytes32 root,
        uint64 lineCount,
        Totals totals,
        bytes cid
    );
    /// @notice `payer` paid `amount` of the settlement token into `cmo`'s pool for `period`.
    event Paid(address indexed cmo, uint32 indexed period, address indexed payer, uint256 amount);
    /// @notice The CMO closed a period: no more usage nor payments; `commissionBps` is fixed.
    event PeriodClosed(
        address indexed cmo, uint32 indexed period, uint256 paidIn, uint16 commissionBps, Totals totals
    );
    /// @notice The CMO published the period's distribution: holders claim `total` under `root`,
    /// the CMO took `commission`, `residue` (rounding) stays in the pool.
    event DistributionPublished(
        address indexed cmo,
        uint32 indexed period,
        bytes32 root,
        uint256 total,
        uint256 commission,
        uint256 residue,
        bytes cid
    );
    event Claimed(address indexed cmo, uint32 indexed period, address indexed account, uint256 amount);
    /// @notice The CMO refused report `reportId` of its OPEN period: its lines no longer count.
    event ReportRefused(
        uint64 indexed reportId, address indexed cmo, uint32 indexed period, address licensee, string reason
    );
    /// @notice Closing `period` took the CMO's carry (residues and swept claims) into it.
    event CarryApplied(address indexed cmo, uint32 indexed period, uint256 amount);
    /// @notice After the claim window, the CMO moved what holders left unclaimed into its carry.
    event UnclaimedSwept(address indexed cmo, uint32 indexed period, uint256 amount);
    /// @notice The governor set the commission rate applied to periods closed from now on.
    event CommissionSet(address indexed governor, uint16 commissionBps);
    /// @notice The governor pointed the pool at another coverage lens (after an upgrade of the
    /// registries the lens reads); lines recorded from now on are weighed by `newLens`.
    event LensChanged(address indexed oldLens, address indexed newLens);

    error RoyaltyPool__InvalidCommission(uint16 bps, uint16 max);
    error RoyaltyPool__NotACmo(address cmo);
    error RoyaltyPool__WrongPeriodState(address cmo, uint32 period, uint8 state, uint8 expected);
    error RoyaltyPool__EmptyReport(uint64 lineCount);
    error RoyaltyPool__EmptyRoot();
    error RoyaltyPool__InvalidCid(uint256 length);
    error RoyaltyPool__InvalidLine(uint32 index, bytes32 workId, uint64 quantity);
    error RoyaltyPool__ZeroAmount();
    error RoyaltyPool__DistributionMismatch(uint256 paidIn, uint256 commission, uint256 total, uint256 residue);
    error RoyaltyPool__AlreadyClaimed(address cmo, uint32 period, address account);
    error RoyaltyPool__InvalidProof(address cmo, uint32 period, address account, uint256 amount);
    error RoyaltyPool__ClaimExceedsTotal(uint256 claimed, uint256 amount, uint256 total);
    error RoyaltyPool__ReportNotFound(uint64 reportId);
    /// @notice A recorded line does not count for this CMO (ICoverageLens.lineWeight `reason`).
    error RoyaltyPool__LineNotEligible(uint32 index, bytes32 workId, uint8 reason);
    /// @notice A line's `owed` is not quantity x the licence's (or tariff's) rate.
    error RoyaltyPool__OwedMismatch(uint32 index, uint256 expected, uint256 given);
    /// @notice A report (or line) exceeds MAX_REPORT_LINES, MAX_REPORT_QUANTITY or MAX_REPORT_OWED.
    error RoyaltyPool__ReportTooLarge(uint64 lineCount, uint128 quantity, uint128 owed);
    /// @notice Only the report's CMO may refuse it.
    error RoyaltyPool__NotReportCmo(uint64 reportId, address caller);
    /// @notice The report was refused already.
    error RoyaltyPool__ReportRefused(uint64 reportId);
    /// @notice Unclaimed money can be swept only from `opensAt`.
    error RoyaltyPool__ClaimWindowOpen(address cmo, uint32 period, uint40 opensAt);
    /// @notice A lens must be a contract (`lens` has no code), other than the current one.
    error RoyaltyPool__InvalidLens(address lens);

    /// @notice The GOVERNOR sets the CMO commission in basis points (at most MAX_COMMISSION_BPS)
    /// for periods closed from now on.
    function setCommission(uint16 bps) external;

    /// @notice The GOVERNOR points the pool at another coverage lens, e.g. the one deployed with
    /// upgraded registries, so the pool keeps its open periods, payments and claims.
    /// @param newLens The CoverageLens that weighs lines recorded from now on.
    function setLens(address newLens) external;

    /// @notice A LICENSEE records one usage line in `cmo`'s OPEN period `period`. The line must
    /// count for `cmo` (ICoverageLens.lineWeight: work confirmed and mandated to `cmo` for the
    /// use at `usedAt`, licence held by the caller from `cmo`, or the tariff) and its `owed`
    /// must equal quantity x the licence's (or tariff's) rate.
    function recordUsage(address cmo, uint32 period, UsageLine calldata line) external returns (uint64 reportId);

    /// @notice A LICENSEE records a usage report: its Merkle `root`, its `totals` and the CID
    /// of the report file, in `cmo`'s OPEN period `period`. One transaction per report. Totals
    /// are bounded (MAX_REPORT_LINES, MAX_REPORT_QUANTITY, MAX_REPORT_OWED). The lines are not
    /// checked here: the CMO's distribution weighs only eligible lines (lineWeight), and the
    /// CMO may refuse the report while the period is open.
    function recordReport(address cmo, uint32 period, bytes32 root, Totals calldata totals, bytes calldata cid)
        external
        returns (uint64 reportId);

    /// @notice The report's CMO refuses it while its period is OPEN: its totals leave the pool
    /// and the licensee's account, and its lines never weigh in the distribution.
    function refuseReport(uint64 reportId, string calldata reason) external;

    /// @notice Anyone pays `amount` of the settlement token (approved first) into `cmo`'s OPEN
    /// period `period`; it counts against what the payer owes there.
    function pay(address cmo, uint32 period, uint256 amount) external;

    /// @notice The CMO closes its OPEN period: the commission rate is fixed from the setting, and
    /// the CMO's carry (earlier residues and swept claims) is added to the period (carriedIn).
    function closePeriod(uint32 period) external;

    /// @notice The CMO publishes the distribution of its CLOSED period: `total` for holders
    /// under `root`, at most paidIn - commission + carriedIn; the commission (on paidIn only) goes
    /// to the CMO; the residue (net - total) goes to the CMO's carry, i.e. into its next period.
    function publishDistribution(uint32 period, bytes32 root, uint256 total, bytes calldata cid) external;

    /// @notice The caller claims `amount` from `cmo`'s distributed `period` with a proof of the
    /// leaf (cmo, period, caller, amount). Once per account and period.
    function claim(address cmo, uint32 period, uint256 amount, bytes32[] calldata proof) external;

    /// @notice The CMO, CLAIM_WINDOW after publishing `period`'s distribution, moves what holders
    /// left unclaimed into its carry; the period is then SWEPT (3) and claims are closed.
    function sweepUnclaimed(uint32 period) external;

    /// @notice True when the report's CMO refused it.
    function isRefused(uint64 reportId) external view returns (bool);
    /// @notice What flows into `cmo`'s next closed period (residues and swept claims).
    function carryOf(address cmo) external view returns (uint256);
    function token() external view returns (address);
    function commissionBps() external view returns (uint16);
    function reportCount() external view returns (uint64);
    function report(uint64 reportId) external view returns (Report memory);
    function pool(address cmo, uint32 period) external view returns (Pool memory);
    /// @notice What `licensee` owes (from its usage) and has paid in `cmo`'s `period`.
    function accountOf(address cmo, uint32 period, address licensee) external view returns (uint256 owed, uint256 paid);
    function isClaimed(address cmo, uint32 period, address account) external view returns (bool);
    /// @notice The leaf of a usage line (double keccak of its ABI encoding, StandardMerkleTree).
    function usageLeaf(UsageLine calldata line) external pure returns (bytes32);
    /// @notice True when `line` belongs to report `reportId` by `proof`.
    function verifyUsageLine(uint64 reportId, UsageLine calldata line, bytes32[] calldata proof)
        external
        view
        returns (bool);
    /// @notice The leaf of a distribution entry.
    function claimLeaf(address cmo, uint32 period, address account, uint256 amount) external pure returns (bytes32);
    /// @notice True when (cmo, period, account, amount) belongs to the period's published root.
    function verifyClaim(address cmo, uint32 period, address account, uint256 amount, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
