// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {RoleGated} from "./base/RoleGated.sol";
import {ICoverageLens} from "./interfaces/ICoverageLens.sol";
import {IRoyaltyPool} from "./interfaces/IRoyaltyPool.sol";
import "./types/LicenceTypes.sol" as T;

/// @title RoyaltyPool
/// @notice Usage reports, payments and blanket distributions by Merkle root (see IRoyaltyPool).
/// @dev No loop here grows with state: the only loop is MerkleProof's walk over a calldata proof.
contract RoyaltyPool is RoleGated, IRoyaltyPool {
    using SafeERC20 for IERC20;

    /// @dev What one licensee owes and has paid in one pool.
    struct Account {
        uint256 owed;
        uint256 paid;
    }

    uint8 public constant STATE_OPEN = T.POOL_OPEN;
    uint8 public constant STATE_CLOSED = T.POOL_CLOSED;
    uint8 public constant STATE_DISTRIBUTED = T.POOL_DISTRIBUTED;
    uint8 public constant STATE_SWEPT = T.POOL_SWEPT;
    uint16 public constant WHOLE = 10_000;
    /// @notice At most this many lines in one report.
    uint64 public constant MAX_REPORT_LINES = 1 << 24;
    /// @notice At most this many uses in one report (or line).
    uint128 public constant MAX_REPORT_QUANTITY = type(uint64).max;
    /// @notice At most this much owed by one report (or line).
    uint128 public constant MAX_REPORT_OWED = type(uint96).max;
    /// @notice How long holders can claim a distribution before the CMO may sweep what is
    /// left into its carry (which flows into its next closed period).
    uint40 public constant CLAIM_WINDOW = 3 * 365 days;
    uint16 public constant MAX_COMMISSION_BPS = 5_000;
    uint256 public constant MAX_CID_LENGTH = 128;
    /// @notice Version of this contract's interface and storage.
    uint16 public constant VERSION = 3;

    /// @notice The lens that decides whether a recorded usage line counts, and what it owes
    /// (the governor may point the pool at a new one: setLens).
    ICoverageLens public lens;
    IERC20 private immutable _token;
    uint16 private _commissionBps;
    uint64 private _reportCount;
    mapping(uint64 reportId => Report) private _reports;
    mapping(address cmo => mapping(uint32 period => Pool)) private _pools;
    mapping(address cmo => mapping(uint32 period => mapping(address licensee => Account))) private _accounts;
    mapping(address cmo => mapping(uint32 period => mapping(address account => bool))) private _claimed;
    mapping(uint64 reportId => bool) private _refused;
    mapping(address cmo => uint256) private _carry;

    constructor(IAccessControl roles_, IERC20 token_, uint16 commissionBps_, ICoverageLens lens_) RoleGated(roles_) {
        if (commissionBps_ > MAX_COMMISSION_BPS) revert RoyaltyPool__InvalidCommission(commissionBps_, MAX_COMMISSION_BPS);
        lens = lens_;
        _token = token_;
        _commissionBps = commissionBps_;
    }

    // --- settings ------------------------------------------------------------------------

    /// @inheritdoc IRoyaltyPool
    function setCommission(uint16 bps) external onlyRole(_GOVERNOR_ROLE) {
        if (bps > MAX_COMMISSION_BPS) revert RoyaltyPool__InvalidCommission(bps, MAX_COMMISSION_BPS);
        _commissionBps = bps;
        emit CommissionSet(msg.sender, bps);
    }

    /// @inheritdoc IRoyaltyPool
    function setLens(address newLens) external onlyRole(_GOVERNOR_ROLE) {
        address old = address(lens);
        if (newLens.code.length == 0 || newLens == old) revert RoyaltyPool__InvalidLens(newLens);
        lens = ICoverageLens(newLens);
        emit LensChanged(old, newLens);
    }

    // --- usage ---------------------------------------------------------------------------

    /// @inheritdoc IRoyaltyPool
    function recordUsage(address cmo, uint32 period, UsageLine calldata line)
        external
        onlyRole(_LICENSEE_ROLE)
        returns (uint64 reportId)
    {
        Pool storage p = _openPool(cmo, period);
        if (line.workId == bytes32(0) || line.quantity == 0 || line.use == 0) {
            revert RoyaltyPool__InvalidLine(line.index, line.workId, line.quantity);
        }
        (uint8 reason, uint256 owed) = lens.lineWeight(
            cmo,
            msg.sender,
            ICoverageLens.LineQuery(line.workId, line.use, line.quantity, line.usedAt, line.licenceId, line.kind)
        );
        if (reason != 0) revert RoyaltyPool__LineNotEligible(line.index, line.workId, reason);
        if (owed != line.owed) revert RoyaltyPool__OwedMismatch(line.index, owed, line.owed);
        if (owed > MAX_REPORT_OWED) revert RoyaltyPool__ReportTooLarge(1, line.quantity, line.owed);
        Totals memory t = Totals(1, line.quantity, line.owed);
        reportId = _addReport(p, cmo, period, _usageLeaf(line), t);
        emit UsageRecorded(reportId, msg.sender, cmo, period, line);
    }

    /// @inheritdoc IRoyaltyPool
    function recordReport(address cmo, uint32 period, bytes32 root, Totals calldata totals, bytes calldata cid)
        external
        onlyRole(_LICENSEE_ROLE)
        returns (uint64 reportId)
    {
        Pool storage p = _openPool(cmo, period);
        if (totals.lineCount == 0) revert RoyaltyPool__EmptyReport(totals.lineCount);
        if (root == bytes32(0)) revert RoyaltyPool__EmptyRoot();
        if (totals.lineCount > MAX_REPORT_LINES || totals.quantity > MAX_REPORT_QUANTITY || totals.owed > MAX_REPORT_OWED) {
            revert RoyaltyPool__ReportTooLarge(totals.lineCount, totals.quantity, totals.owed);
        }
        _checkCid(cid);
        reportId = _addReport(p, cmo, period, root, totals);
        emit UsageReportRecorded(reportId, msg.sender, period, cmo, root, totals.lineCount, totals, cid);
    }

    /// @inheritdoc IRoyaltyPool
    function refuseReport(uint64 reportId, string calldata reason) external {
        Report storage r = _reports[reportId];
        if (r.licensee == address(0)) revert RoyaltyPool__ReportNotFound(reportId);
        if (r.cmo != msg.sender) revert RoyaltyPool__NotReportCmo(reportId, msg.sender);
        if (_refused[reportId]) revert RoyaltyPool__ReportRefused(reportId);
        uint32 period = r.period;
        Pool storage p = _pools[msg.sender][period];
        _expectState(msg.sender, period, p.state, STATE_OPEN);
        _refused[reportId] = true;
        Totals memory t = r.totals;
        p.reportCount -= 1;
        p.totals.lineCount -= t.lineCount;
        p.totals.quantity -= t.quantity;
        p.totals.owed -= t.owed;
        _accounts[msg.sender][period][r.licensee].owed -= t.owed;
        emit ReportRefused(reportId, msg.sender, period, r.licensee, reason);
    }

    // --- money ---------------------------------------------------------------------------

    /// @inheritdoc IRoyaltyPool
    function pay(address cmo, uint32 period, uint256 amount) external {
        Pool storage p = _openPool(cmo, period);
        if (amount == 0) revert RoyaltyPool__ZeroAmount();
        p.paidIn += amount;
        _accounts[cmo][period][msg.sender].paid += amount;
        emit Paid(cmo, period, msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IRoyaltyPool
    function closePeriod(uint32 period) external onlyRole(_CMO_ROLE) {
        Pool storage p = _pools[msg.sender][period];
        _expectState(msg.sender, period, p.state, STATE_OPEN);
        p.state = STATE_CLOSED;
        p.commissionBps = _commissionBps;
        p.closedAt = uint40(block.timestamp);
        p.closedBlock = uint64(block.number);
        uint256 carried = _carry[msg.sender];
        if (carried != 0) {
            _carry[msg.sender] = 0;
            p.carriedIn = carried;
            emit CarryApplied(msg.sender, period, carried);
        }
        emit PeriodClosed(msg.sender, period, p.paidIn, p.commissionBps, p.totals);
    }

    /// @inheritdoc IRoyaltyPool
    function publishDistribution(uint32 period, bytes32 root, uint256 total, bytes calldata cid)
        external
        onlyRole(_CMO_ROLE)
    {
        Pool storage p = _pools[msg.sender][period];
        _expectState(msg.sender, period, p.state, STATE_CLOSED);
        if (root == bytes32(0) && total != 0) revert RoyaltyPool__EmptyRoot();
        _checkCid(cid);
        uint256 paidIn = p.paidIn;
        uint256 commission = paidIn * p.commissionBps / WHOLE;
        uint256 net = paidIn - commission + p.carriedIn;
        if (total > net) {
            revert RoyaltyPool__DistributionMismatch(paidIn, commission, total, 0);
        }
        uint256 residue = net - total;
        p.state = STATE_DISTRIBUTED;
        p.root = root;
        p.distributed = total;
        p.commission = commission;
        p.residue = residue;
        p.publishedAt = uint40(block.timestamp);
        _carry[msg.sender] += residue;
        emit DistributionPublished(msg.sender, period, root, total, commission, residue, cid);
        if (commission != 0) _token.safeTransfer(msg.sender, commission);
    }

    /// @inheritdoc IRoyaltyPool
    function claim(address cmo, uint32 period, uint256 amount, bytes32[] calldata proof) external {
        Pool storage p = _pools[cmo][period];
        _expectState(cmo, period, p.state, STATE_DISTRIBUTED);
        if (_claimed[cmo][period][msg.sender]) revert RoyaltyPool__AlreadyClaimed(cmo, period, msg.sender);
        if (amount == 0) revert RoyaltyPool__ZeroAmount();
        if (!MerkleProof.verifyCalldata(proof, p.root, _claimLeaf(cmo, period, msg.sender, amount))) {
            revert RoyaltyPool__InvalidProof(cmo, period, msg.sender, amount);
        }
        uint256 claimed = p.claimed;
        if (claimed + amount > p.distributed) revert RoyaltyPool__ClaimExceedsTotal(claimed, amount, p.distributed);
        _claimed[cmo][period][msg.sender] = true;
        p.claimed = claimed + amount;
        emit Claimed(cmo, period, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IRoyaltyPool
    function sweepUnclaimed(uint32 period) external {
        Pool storage p = _pools[msg.sender][period];
        _expectState(msg.sender, period, p.state, STATE_DISTRIBUTED);
        uint40 opensAt = p.publishedAt + CLAIM_WINDOW;
        if (block.timestamp < opensAt) revert RoyaltyPool__ClaimWindowOpen(msg.sender, period, opensAt);
        uint256 unclaimed = p.distributed - p.claimed;
        p.state = STATE_SWEPT;
        _carry[msg.sender] += unclaimed;
        emit UnclaimedSwept(msg.sender, period, unclaimed);
    }

    // --- views ---------------------------------------------------------------------------

    /// @inheritdoc IRoyaltyPool
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IRoyaltyPool
    function commissionBps() external view returns (uint16) {
        return _commissionBps;
    }

    /// @inheritdoc IRoyaltyPool
    function reportCount() external view returns (uint64) {
        return _reportCount;
    }

    /// @inheritdoc IRoyaltyPool
    function report(uint64 reportId) external view returns (Report memory) {
        return _reports[reportId];
    }

    /// @inheritdoc IRoyaltyPool
    function pool(address cmo, uint32 period) external view returns (Pool memory) {
        return _pools[cmo][period];
    }

    /// @inheritdoc IRoyaltyPool
    function accountOf(address cmo, uint32 period, address licensee) external view returns (uint256 owed, uint256 paid) {
        Account storage a = _accounts[cmo][period][licensee];
        return (a.owed, a.paid);
    }

    /// @inheritdoc IRoyaltyPool
    function isRefused(uint64 reportId) external view returns (bool) {
        return _refused[reportId];
    }

    /// @inheritdoc IRoyaltyPool
    function carryOf(address cmo) external view returns (uint256) {
        return _carry[cmo];
    }

    /// @inheritdoc IRoyaltyPool
    function isClaimed(address cmo, uint32 period, address account) external view returns (bool) {
        return _claimed[cmo][period][account];
    }

    /// @inheritdoc IRoyaltyPool
    function usageLeaf(UsageLine calldata line) external pure returns (bytes32) {
        return _usageLeaf(line);
    }

    /// @inheritdoc IRoyaltyPool
    function verifyUsageLine(uint64 reportId, UsageLine calldata line, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Report storage r = _reports[reportId];
        if (r.licensee == address(0)) revert RoyaltyPool__ReportNotFound(reportId);
        if (line.index >= r.totals.lineCount) return false;
        return MerkleProof.verifyCalldata(proof, r.root, _usageLeaf(line));
    }

    /// @inheritdoc IRoyaltyPool
    function claimLeaf(address cmo, uint32 period, address account, uint256 amount) external pure returns (bytes32) {
        return _claimLeaf(cmo, period, account, amount);
    }

    /// @inheritdoc IRoyaltyPool
    function verifyClaim(address cmo, uint32 period, address account, uint256 amount, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Pool storage p = _pools[cmo][period];
        if (p.state != STATE_DISTRIBUTED) return false;
        return MerkleProof.verifyCalldata(proof, p.root, _claimLeaf(cmo, period, account, amount));
    }

    // --- internal ------------------------------------------------------------------------

    function _openPool(address cmo, uint32 period) internal view returns (Pool storage p) {
        if (!_hasRole(_CMO_ROLE, cmo)) revert RoyaltyPool__NotACmo(cmo);
        p = _pools[cmo][period];
        _expectState(cmo, period, p.state, STATE_OPEN);
    }

    function _addReport(Pool storage p, address cmo, uint32 period, bytes32 root, Totals memory t)
        internal
        returns (uint64 reportId)
    {
        reportId = ++_reportCount;
        _reports[reportId] = Report(msg.sender, cmo, period, uint40(block.timestamp), root, t);
        p.reportCount += 1;
        p.totals.lineCount += t.lineCount;
        p.totals.quantity += t.quantity;
        p.totals.owed += t.owed;
        _accounts[cmo][period][msg.sender].owed += t.owed;
    }

    function _usageLeaf(UsageLine calldata l) internal pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(abi.encode(l.index, l.workId, l.use, l.quantity, l.usedAt, l.licenceId, l.kind, l.owed))
            )
        );
    }

    function _claimLeaf(address cmo, uint32 period, address account, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(cmo, period, account, amount))));
    }

    function _expectState(address cmo, uint32 period, uint8 state, uint8 expected) internal pure {
        if (state != expected) revert RoyaltyPool__WrongPeriodState(cmo, period, state, expected);
    }

    function _checkCid(bytes calldata cid) internal pure {
        if (cid.length == 0 || cid.length > MAX_CID_LENGTH) revert RoyaltyPool__InvalidCid(cid.length);
    }
}
