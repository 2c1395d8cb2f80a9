// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {RoleGated} from "./base/RoleGated.sol";
import {ILicenceRegistry} from "./interfaces/ILicenceRegistry.sol";
import {IWorkRegistry} from "./interfaces/IWorkRegistry.sol";
import {PackedIds} from "./types/PackedIds.sol";
import "./types/LicenceTypes.sol" as T;

/// @title LicenceRegistry
/// @notice Mandates, licences, offers, open licences and statutory tariffs (see ILicenceRegistry).
contract LicenceRegistry is RoleGated, ILicenceRegistry {
    using SafeERC20 for IERC20;
    using PackedIds for mapping(uint256 => uint256);
    using Checkpoints for Checkpoints.Trace208;

    uint256 public constant MAX_BATCH = 500;
    uint256 internal constant MAX_TERRITORIES = 32;
    uint256 internal constant MAX_CID_LENGTH = 128;
    uint256 internal constant MAX_LIVE_EXCLUSIVE = 16;
    /// @notice At most this many licences per (work, licensee) and per (licensee, CMO) blanket
    /// index, and open licences per work: coverage reads a bounded number of slots.
    uint256 public constant MAX_PER_KEY = 64;
    /// @notice At most this many CMOs a work is ever mandated to.
    uint256 public constant MAX_CMOS = 8;
    /// @notice Version of this contract's interface and storage.
    uint16 public constant VERSION = 2;

    bytes32 private constant _TERMS_TYPE = keccak256(
        "LicenceTerms(uint8 scope,uint32 uses,uint40 start,uint40 end,bool exclusive,uint96 flatFee,"
        "uint96 ratePerUse,bytes territories,bytes termsCid)"
    );
    bytes32 private constant _OFFER_TYPE = keccak256(
        "Offer(address licensor,address licensee,bytes32[] workIds,LicenceTerms terms,address token,uint256 nonce,"
        "uint256 deadline)"
        "LicenceTerms(uint8 scope,uint32 uses,uint40 start,uint40 end,bool exclusive,uint96 flatFee,"
        "uint96 ratePerUse,bytes territories,bytes termsCid)"
    );

    /// @notice The EIP-712 domain separator of offers: name "RightsLedger LicenceRegistry",
    /// version "1", this chain, this contract (a permissioned chain does not change its id).
    bytes32 public immutable DOMAIN_SEPARATOR;
    /// @notice The work registry whose works, holders, reservations and consents this uses.
    IWorkRegistry public immutable registry;

    uint64 private _licenceCount;
    mapping(uint64 licenceId => Licence) private _licences;
    // The coverage index: licences of scope 1 and 2 by (work, licensee), open licences under
    // licensee zero, blanket licences by (licensee, CMO); PackedIds lists of at most MAX_PER_KEY.
    mapping(bytes32 workId => mapping(address licensee => mapping(uint256 => uint256))) private _workIdx;
    mapping(address licensee => mapping(address cmo => mapping(uint256 => uint256))) private _blanketIdx;
    // slither-disable-next-line uninitialized-state (written through a storage pointer in mandate)
    mapping(bytes32 workId => address[] cmos) private _cmosOf;
    // slither-disable-next-line uninitialized-state (written through storage pointers in _claimExclusive)
    mapping(bytes32 workId => uint64[] licenceIds) private _liveExclusive;
    mapping(bytes32 workId => uint64 nonce) private _exclusiveNonces;
    mapping(bytes32 workId => mapping(address cmo => Mandate)) private _mandates;
    /// @dev Every tariff version of a use, keyed by its validFrom (never before it was set):
    /// amountPerWork | period << 96 | validFrom << 128 | validUntil << 168 (ADR 009).
    mapping(uint32 use => Checkpoints.Trace208) private _tariffs;
    /// @dev A licence's state over time (key: block time of suspend, resume or revoke); no
    /// checkpoint means active since the grant.
    mapping(uint64 licenceId => Checkpoints.Trace208) private _states;
    /// @dev A work's mandate to a CMO over time (key: block time of the change): uses |
    /// until << 32 | every use mandated so far << 72.
    mapping(bytes32 workId => mapping(address cmo => Checkpoints.Trace208)) private _mandateHistory;
    mapping(address licensor => mapping(uint256 nonce => uint8 state)) private _offerNonces;
    address private _settlementToken;

    constructor(IAccessControl roles_, IWorkRegistry registry_)
        RoleGated(roles_)
    {
        DOMAIN_SEPARATOR = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("RightsLedger LicenceRegistry"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
        registry = registry_;
    }

    // --- mandates ----------------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function mandate(bytes32 workId, address cmo, uint32 uses) external {
        _requireLicensable(workId);
        _requireHolder(workId, msg.sender);
        if (!_hasRole(_CMO_ROLE, cmo)) revert LicenceRegistry__NotACmo(cmo);
        if (uses == 0) revert LicenceRegistry__InvalidUses(uses);
        _checkNotExcluded(workId, address(0), uses, uint40(block.timestamp), T.FOREVER, "");
        Mandate storage m = _mandates[workId][cmo];
        if (m.uses == 0) {
            address[] storage cmos = _cmosOf[workId];
            if (cmos.length >= MAX_CMOS) revert LicenceRegistry__IndexFull(workId, cmo, MAX_CMOS);
            cmos.push(cmo);
        }
        uint40 now_ = uint40(block.timestamp);
        uint40 from = (m.uses != 0 && m.until > now_) ? m.from : now_;
        _mandates[workId][cmo] = Mandate(uses, from, T.FOREVER);
        _pushMandate(workId, cmo, uses, T.FOREVER);
        emit MandateGranted(workId, cmo, msg.sender, uses, from, now_);
    }

    /// @inheritdoc ILicenceRegistry
    function withdrawMandate(bytes32 workId, address cmo, uint40 effectiveAt) external {
        _requireHolder(workId, msg.sender);
        Mandate storage m = _mandates[workId][cmo];
        if (m.uses == 0 || m.until <= block.timestamp) revert LicenceRegistry__NoMandate(workId, cmo, 0);
        uint40 now_ = uint40(block.timestamp);
        if (effectiveAt == 0) effectiveAt = now_;
        if (effectiveAt < now_) revert LicenceRegistry__InvalidDate(effectiveAt, now_);
        m.until = effectiveAt;
        _pushMandate(workId, cmo, m.uses, effectiveAt);
        emit MandateWithdrawn(workId, cmo, msg.sender, effectiveAt, now_);
    }

    // --- licences ----------------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function grant(address licensee, bytes32[] calldata workIds, LicenceTerms calldata terms)
        external
        returns (uint64 licenceId)
    {
        licenceId = _grant(msg.sender, licensee, workIds, terms);
    }

    /// @inheritdoc ILicenceRegistry
    function publishOpenLicence(bytes32 workId, uint32 uses, bytes32 code, bytes calldata termsCid)
        external
        returns (uint64 licenceId)
    {
        _requireLicensable(workId);
        _requireHolder(workId, msg.sender);
        if (uses == 0) revert LicenceRegistry__InvalidUses(uses);
        if (termsCid.length > MAX_CID_LENGTH) revert LicenceRegistry__InvalidCid(termsCid.length);
        uint40 now_ = uint40(block.timestamp);
        _checkNotExcluded(workId, address(0), uses, now_, T.FOREVER, "");
        licenceId = ++_licenceCount;
        Licence storage l = _licences[licenceId];
        l.licensor = msg.sender;
        l.uses = uses;
        l.start = now_;
        l.scope = T.SCOPE_WORK;
        l.state = T.STATE_ACTIVE;
        l.end = T.FOREVER;
        _push(_workIdx[workId][address(0)], licenceId, workId, address(0));
        emit OpenLicencePublished(licenceId, workId, msg.sender, uses, now_, code, termsCid);
    }

    /// @inheritdoc ILicenceRegistry
    function accept(Offer calldata offer, bytes calldata signature) external payable returns (uint64 licenceId) {
        if (block.timestamp > offer.deadline) revert LicenceRegistry__OfferExpired(offer.deadline, block.timestamp);
        uint8 used = _offerNonces[offer.licensor][offer.nonce];
        if (used == 1) revert LicenceRegistry__OfferUsed(offer.licensor, offer.nonce);
        if (used == 2) revert LicenceRegistry__OfferCancelled(offer.licensor, offer.nonce);
        if (offer.licensee != address(0) && offer.licensee != msg.sender) {
            revert LicenceRegistry__OfferNotForCaller(offer.licensee, msg.sender);
        }
        // slither-disable-next-line unused-return (the third value only details recoverError)
        (address signer, ECDSA.RecoverError recoverError,) =
            ECDSA.tryRecover(MessageHashUtils.toTypedDataHash(DOMAIN_SEPARATOR, _offerHash(offer)), signature);
        if (recoverError != ECDSA.RecoverError.NoError || signer != offer.licensor || signer == address(0)) {
            revert LicenceRegistry__BadSignature(offer.licensor, signer);
        }
        uint256 fee = offer.terms.flatFee;
        address token = _settlementToken;
        if (offer.token != token) revert LicenceRegistry__WrongToken(offer.token, token);
        if (msg.value != (token == address(0) ? fee : 0)) {
            revert LicenceRegistry__WrongPayment(token == address(0) ? fee : 0, msg.value);
        }
        _offerNonces[offer.licensor][offer.nonce] = 1;
        licenceId = _grant(offer.licensor, msg.sender, offer.workIds, offer.terms);
        emit OfferAccepted(licenceId, offer.licensor, offer.nonce, fee);
        if (fee > 0) {
            if (token == address(0)) {
                (bool ok,) = offer.licensor.call{value: fee}("");
                if (!ok) revert LicenceRegistry__PaymentFailed(offer.licensor, fee);
            } else {
                IERC20(token).safeTransferFrom(msg.sender, offer.licensor, fee);
            }
        }
    }

    /// @inheritdoc ILicenceRegistry
    function setSettlementToken(address token) external onlyRole(_GOVERNOR_ROLE) {
        _settlementToken = token;
        emit SettlementTokenSet(token, msg.sender);
    }

    /// @inheritdoc ILicenceRegistry
    function settlementToken() external view returns (address) {
        return _settlementToken;
    }

    /// @inheritdoc ILicenceRegistry
    function cancelOffer(uint256 nonce) external {
        uint8 used = _offerNonces[msg.sender][nonce];
        if (used == 1) revert LicenceRegistry__OfferUsed(msg.sender, nonce);
        if (used == 2) revert LicenceRegistry__OfferCancelled(msg.sender, nonce);
        _offerNonces[msg.sender][nonce] = 2;
        emit OfferCancelled(msg.sender, nonce);
    }

    /// @inheritdoc ILicenceRegistry
    function suspend(uint64 licenceId, string calldata reason) external {
        Licence storage l = _ownLicence(licenceId, T.STATE_ACTIVE);
        uint40 now_ = uint40(block.timestamp);
        l.state = T.STATE_SUSPENDED;
        l.suspendedAt = now_;
        // slither-disable-next-line unused-return (the old and new values are not needed)
        _states[licenceId].push(now_, T.STATE_SUSPENDED);
        emit LicenceSuspended(licenceId, msg.sender, now_, reason);
    }

    /// @inheritdoc ILicenceRegistry
    function resume(uint64 licenceId) external {
        Licence storage l = _ownLicence(licenceId, T.STATE_SUSPENDED);
        l.state = T.STATE_ACTIVE;
        l.suspendedAt = 0;
        // slither-disable-next-line unused-return (the old and new values are not needed)
        _states[licenceId].push(uint48(block.timestamp), T.STATE_ACTIVE);
        emit LicenceResumed(licenceId, msg.sender, uint40(block.timestamp));
    }

    /// @inheritdoc ILicenceRegistry
    function revoke(uint64 licenceId, string calldata reason) external {
        Licence storage l = _ownLicence(licenceId, 0);
        if (l.state == T.STATE_REVOKED) revert LicenceRegistry__WrongState(licenceId, l.state);
        uint40 now_ = uint40(block.timestamp);
        l.state = T.STATE_REVOKED;
        l.revokedAt = now_;
        // slither-disable-next-line unused-return (the old and new values are not needed)
        _states[licenceId].push(now_, T.STATE_REVOKED);
        emit LicenceRevoked(licenceId, msg.sender, now_, reason);
    }

    // --- statutory licences ------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function setTariff(uint32 use, uint96 amountPerWork, uint32 period, uint40 validFrom, uint40 validUntil)
        external
        onlyRole(_GOVERNOR_ROLE)
    {
        _checkSingleUse(use);
        if (validUntil == 0) validUntil = T.FOREVER;
        if (period == 0 || validFrom >= validUntil) revert LicenceRegistry__InvalidTariff(period, validFrom, validUntil);
        // A version never applies before it was set, nor before the latest version's start.
        if (validFrom < block.timestamp) validFrom = uint40(block.timestamp);
        Checkpoints.Trace208 storage h = _tariffs[use];
        // slither-disable-next-line unused-return (only the key is compared)
        (bool exists, uint48 last,) = h.latestCheckpoint();
        if (validFrom >= validUntil || (exists && validFrom < last)) {
            revert LicenceRegistry__InvalidTariff(period, validFrom, validUntil);
        }
        // slither-disable-next-line unused-return (the old and new values are not needed)
        h.push(
            validFrom,
            uint208(amountPerWork) | (uint208(period) << 96) | (uint208(validFrom) << 128) | (uint208(validUntil) << 168)
        );
        emit TariffSet(use, msg.sender, amountPerWork, period, validFrom, validUntil);
    }

    // --- views -------------------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function licence(uint64 licenceId) external view returns (Licence memory) {
        return _licences[licenceId];
    }

    /// @inheritdoc ILicenceRegistry
    function licenceCount() external view returns (uint64) {
        return _licenceCount;
    }

    /// @inheritdoc ILicenceRegistry
    function listsWork(uint64 licenceId, bytes32 workId) external view returns (bool) {
        Licence storage l = _licences[licenceId];
        if (l.state == 0 || l.scope == T.SCOPE_REPERTOIRE) return false;
        return _workIdx[workId][l.licensee].contains(licenceId);
    }

    /// @inheritdoc ILicenceRegistry
    function workLicencesOf(bytes32 workId, address licensee) external view returns (uint64[] memory) {
        return _workIdx[workId][licensee].read();
    }

    /// @inheritdoc ILicenceRegistry
    function blanketLicencesOf(address licensee, address cmo) external view returns (uint64[] memory) {
        return _blanketIdx[licensee][cmo].read();
    }

    /// @inheritdoc ILicenceRegistry
    function cmosOf(bytes32 workId) external view returns (address[] memory) {
        return _cmosOf[workId];
    }

    /// @inheritdoc ILicenceRegistry
    function openLicencesOf(bytes32 workId) external view returns (uint64[] memory) {
        return _workIdx[workId][address(0)].read();
    }

    /// @inheritdoc ILicenceRegistry
    function mandateOf(bytes32 workId, address cmo) external view returns (Mandate memory) {
        return _mandates[workId][cmo];
    }

    /// @inheritdoc ILicenceRegistry
    function tariffOf(uint32 use) external view returns (Tariff memory) {
        return _tariff(_tariffs[use].latest());
    }

    /// @inheritdoc ILicenceRegistry
    function tariffAt(uint32 use, uint40 at) external view returns (Tariff memory) {
        return _tariff(_tariffs[use].upperLookupRecent(at));
    }

    /// @inheritdoc ILicenceRegistry
    function licenceAt(uint64 licenceId, uint40 at) external view returns (Licence memory l) {
        l = _licences[licenceId];
        if (l.state != 0) {
            uint208 s = _states[licenceId].upperLookupRecent(at);
            l.state = s == 0 ? T.STATE_ACTIVE : uint8(s);
        }
    }

    /// @inheritdoc ILicenceRegistry
    function mandateAt(bytes32 workId, address cmo, uint40 at) external view returns (uint32 uses, uint32 everUses) {
        uint208 v = _mandateHistory[workId][cmo].upperLookupRecent(at);
        everUses = uint32(v >> 72);
        if (uint40(v >> 32) > at) uses = uint32(v);
    }

    /// @inheritdoc ILicenceRegistry
    function offerNonceState(address licensor, uint256 nonce) external view returns (uint8) {
        return _offerNonces[licensor][nonce];
    }

    /// @inheritdoc ILicenceRegistry
    function exclusiveActionHash(bytes32 workId, address licensor, address licensee, LicenceTerms calldata terms)
        public
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                "EXCLUSIVE_LICENCE",
                address(this),
                workId,
                licensor,
                licensee,
                _termsHash(terms),
                _exclusiveNonces[workId]
            )
        );
    }

    // --- internal ----------------------------------------------------------------------

    function _grant(address licensor, address licensee, bytes32[] calldata workIds, LicenceTerms calldata t)
        internal
        returns (uint64 licenceId)
    {
        if (licensee == address(0) || licensee == licensor) revert LicenceRegistry__InvalidLicensee(licensee);
        _checkRole(_LICENSEE_ROLE, licensee);
        bool collective = _hasRole(_CMO_ROLE, licensor);
        _checkTerms(t, workIds.length, collective);
        licenceId = ++_licenceCount;
        for (uint256 i; i < workIds.length; ++i) {
            bytes32 workId = workIds[i];
            _requireLicensable(workId);
            if (collective) {
                Mandate storage m = _mandates[workId][licensor];
                if (m.uses & t.uses != t.uses || m.from > block.timestamp || m.until <= block.timestamp) {
                    revert LicenceRegistry__NoMandate(workId, licensor, t.uses);
                }
            } else {
                _requireHolder(workId, licensor);
            }
            mapping(uint256 => uint256) storage idx = _workIdx[workId][licensee];
            if (idx.last() == licenceId) revert LicenceRegistry__DuplicateWork(workId);
            if (!t.exclusive) _checkNotExcluded(workId, licensee, t.uses, t.start, t.end, t.territories);
            _push(idx, licenceId, workId, licensee);
        }
        if (t.scope == T.SCOPE_REPERTOIRE) _push(_blanketIdx[licensee][licensor], licenceId, bytes32(0), licensee);
        if (t.exclusive) _claimExclusive(workIds[0], licensor, licensee, licenceId, t);
        Licence storage l = _licences[licenceId];
        l.licensor = licensor;
        l.uses = t.uses;
        l.start = t.start;
        l.scope = t.scope;
        l.state = T.STATE_ACTIVE;
        l.exclusive = t.exclusive;
        l.licensee = licensee;
        l.end = t.end;
        l.collective = collective;
        l.flatFee = t.flatFee;
        l.ratePerUse = t.ratePerUse;
        if (t.territories.length != 0) l.territories = t.territories;
        emit LicenceGranted(licenceId, licensor, licensee, collective, workIds, t);
    }

    function _checkTerms(LicenceTerms calldata t, uint256 count, bool collective) internal view {
        if (t.scope == T.SCOPE_WORK ? count != 1 : t.scope == T.SCOPE_LIST ? (count == 0 || count > MAX_BATCH)
                : t.scope != T.SCOPE_REPERTOIRE || count != 0) {
            revert LicenceRegistry__InvalidScope(t.scope, count);
        }
        if (t.scope == T.SCOPE_REPERTOIRE && !collective) revert LicenceRegistry__NotACmo(msg.sender);
        if (t.uses == 0) revert LicenceRegistry__InvalidUses(t.uses);
        if (t.start >= t.end || t.end <= block.timestamp) revert LicenceRegistry__InvalidTerm(t.start, t.end);
        if (t.exclusive && (t.scope != T.SCOPE_WORK || collective)) {
            revert LicenceRegistry__ExclusiveNotAllowed(t.scope, collective);
        }
        bytes calldata codes = t.territories;
        if (codes.length % 2 != 0 || codes.length > 2 * MAX_TERRITORIES) {
            revert LicenceRegistry__InvalidTerritories(codes);
        }
        for (uint256 i; i < codes.length; ++i) {
            if (codes[i] < 0x41 || codes[i] > 0x5a) revert LicenceRegistry__InvalidTerritories(codes);
        }
        if (t.termsCid.length == 0 || t.termsCid.length > MAX_CID_LENGTH) {
            revert LicenceRegistry__InvalidCid(t.termsCid.length);
        }
    }

    function _claimExclusive(
        bytes32 workId,
        address licensor,
        address licensee,
        uint64 licenceId,
        LicenceTerms calldata t
    ) internal {
        if (registry.getWork(workId).holderCount > 1) {
            bytes32 action = exclusiveActionHash(workId, licensor, licensee, t);
            if (!registry.allCoOwnersConsented(workId, action, licensor)) {
                revert LicenceRegistry__ConsentMissing(workId, action);
            }
        }
        _checkNoOtherGrant(workId, t.uses, t.start);
        _exclusiveNonces[workId] += 1;
        uint64[] storage live = _liveExclusive[workId];
        uint256 i;
        while (i < live.length) {
            Licence storage o = _licences[live[i]];
            if (o.state == T.STATE_REVOKED || o.end <= block.timestamp) {
                live[i] = live[live.length - 1];
                live.pop();
                continue;
            }
            if (o.uses & t.uses != 0 && o.start < t.end && t.start < o.end && _territoriesOverlap(o.territories, t.territories)) {
                revert LicenceRegistry__ExclusiveConflict(workId, live[i]);
            }
            ++i;
        }
        if (live.length >= MAX_LIVE_EXCLUSIVE) revert LicenceRegistry__TooManyExclusive(workId, MAX_LIVE_EXCLUSIVE);
        live.push(licenceId);
    }

    /// @dev Reverts when a live exclusive licence of `workId` to someone other than `licensee`
    /// overlaps (uses, [start, end), territories). `licensee` zero: everyone (open licence, mandate).
    function _checkNotExcluded(
        bytes32 workId,
        address licensee,
        uint32 uses,
        uint40 start,
        uint40 end,
        bytes memory territories
    ) internal view {
        uint64[] storage live = _liveExclusive[workId];
        for (uint256 i; i < live.length; ++i) {
            Licence storage o = _licences[live[i]];
            if (o.state == T.STATE_REVOKED || o.end <= block.timestamp || o.licensee == licensee) continue;
            if (o.uses & uses != 0 && o.start < end && start < o.end && _territoriesOverlap(o.territories, territories)) {
                revert LicenceRegistry__ExclusiveConflict(workId, live[i]);
            }
        }
    }

    /// @dev Before an exclusive grant: no mandate in force at or after its start and no live
    /// open licence of the work may share a use with it.
    function _checkNoOtherGrant(bytes32 workId, uint32 uses, uint40 start) internal view {
        uint40 from = start > block.timestamp ? start : uint40(block.timestamp);
        address[] storage cmos = _cmosOf[workId];
        for (uint256 i; i < cmos.length; ++i) {
            Mandate storage m = _mandates[workId][cmos[i]];
            if (m.uses & uses != 0 && m.until > from) revert LicenceRegistry__ExclusiveBlocked(workId, uses);
        }
        uint64[] memory open = _workIdx[workId][address(0)].read();
        for (uint256 i; i < open.length; ++i) {
            Licence storage o = _licences[open[i]];
            if (o.uses & uses != 0 && o.state != T.STATE_REVOKED) revert LicenceRegistry__ExclusiveBlocked(workId, uses);
        }
    }

    /// @dev Records a work's mandate to `cmo` from now on: `uses` until `until`.
    function _pushMandate(bytes32 workId, address cmo, uint32 uses, uint40 until) internal {
        Checkpoints.Trace208 storage h = _mandateHistory[workId][cmo];
        uint208 ever = (h.latest() >> 72) | uses;
        // slither-disable-next-line unused-return (the old and new values are not needed)
        h.push(uint48(block.timestamp), uint208(uses) | (uint208(until) << 32) | (ever << 72));
    }

    function _tariff(uint208 v) internal pure returns (Tariff memory) {
        return Tariff(uint96(v), uint32(v >> 96), uint40(v >> 128), uint40(v >> 168));
    }

    function _push(mapping(uint256 => uint256) storage list, uint64 licenceId, bytes32 workId, address who) internal {
        if (!list.push(licenceId, MAX_PER_KEY)) revert LicenceRegistry__IndexFull(workId, who, MAX_PER_KEY);
    }

    function _territoriesOverlap(bytes storage a, bytes memory b) internal view returns (bool) {
        bytes memory am = a;
        if (am.length == 0 || b.length == 0) return true;
        for (uint256 i; i < am.length; i += 2) {
            for (uint256 j; j < b.length; j += 2) {
                if (am[i] == b[j] && am[i + 1] == b[j + 1]) return true;
            }
        }
        return false;
    }

    function _ownLicence(uint64 licenceId, uint8 expected) internal view returns (Licence storage l) {
        l = _licences[licenceId];
        if (l.state == 0) revert LicenceRegistry__LicenceNotFound(licenceId);
        if (l.licensor != msg.sender) revert LicenceRegistry__NotLicensor(licenceId, msg.sender);
        if (expected != 0 && l.state != expected) revert LicenceRegistry__WrongState(licenceId, l.state);
    }

    function _requireLicensable(bytes32 workId) internal view {
        uint8 s = registry.statusOf(workId);
        if (s != T.WORK_CONFIRMED) revert LicenceRegistry__WorkNotLicensable(workId, s);
    }

    function _requireHolder(bytes32 workId, address account) internal view {
        if (registry.shareOf(workId, account) == 0) revert LicenceRegistry__NotAHolder(workId, account);
    }

    function _checkSingleUse(uint32 use) internal pure {
        if (use == 0 || use & (use - 1) != 0) revert LicenceRegistry__InvalidUses(use);
    }

    function _termsHash(LicenceTerms calldata t) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _TERMS_TYPE,
                t.scope,
                t.uses,
                t.start,
                t.end,
                t.exclusive,
                t.flatFee,
                t.ratePerUse,
                keccak256(t.territories),
                keccak256(t.termsCid)
            )
        );
    }

    function _offerHash(Offer calldata o) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _OFFER_TYPE,
                o.licensor,
                o.licensee,
                keccak256(abi.encodePacked(o.workIds)),
                _termsHash(o.terms),
                o.token,
                o.nonce,
                o.deadline
            )
        );
    }
}
