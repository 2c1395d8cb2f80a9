// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {RoleGated} from "./base/RoleGated.sol";
import {ILicenceRegistry} from "./interfaces/ILicenceRegistry.sol";
import {IWorkRegistry} from "./interfaces/IWorkRegistry.sol";

/// @title LicenceRegistry
/// @notice Mandates, licences, offers, open licences and statutory tariffs (see ILicenceRegistry).
contract LicenceRegistry is RoleGated, EIP712, ILicenceRegistry {
    uint8 internal constant SCOPE_WORK = 1;
    uint8 internal constant SCOPE_LIST = 2;
    uint8 internal constant SCOPE_REPERTOIRE = 3;

    uint8 internal constant STATE_ACTIVE = 1;
    uint8 internal constant STATE_SUSPENDED = 2;
    uint8 internal constant STATE_REVOKED = 3;

    uint8 internal constant KIND_WORK = 1;
    uint8 internal constant KIND_BLANKET = 2;
    uint8 internal constant KIND_OPEN = 3;
    uint8 internal constant KIND_STATUTORY = 4;

    uint8 internal constant REASON_NONE = 1;
    uint8 internal constant REASON_REVOKED = 2;
    uint8 internal constant REASON_SUSPENDED = 3;
    uint8 internal constant REASON_NOT_YET_VALID = 4;
    uint8 internal constant REASON_EXPIRED = 5;
    uint8 internal constant REASON_WRONG_TERRITORY = 6;
    uint8 internal constant REASON_WITHDRAWN = 7;
    uint8 internal constant REASON_RESERVED = 8;
    uint8 internal constant REASON_WORK_NOT_CONFIRMED = 9;

    uint256 public constant MAX_BATCH = 500;
    uint256 internal constant MAX_TERRITORIES = 32;
    uint256 internal constant MAX_CID_LENGTH = 128;
    uint256 internal constant MAX_LIVE_EXCLUSIVE = 16;
    uint40 internal constant FOREVER = type(uint40).max;
    /// @notice Version of this contract's interface and storage.
    uint16 public constant VERSION = 1;

    uint8 private constant _CONFIRMED = 2;
    uint8 private constant _DISPUTED = 4;

    bytes32 private constant _TERMS_TYPE = keccak256(
        "LicenceTerms(uint8 scope,uint32 uses,uint40 start,uint40 end,bool exclusive,uint96 flatFee,"
        "uint96 ratePerUse,bytes territories,bytes termsCid)"
    );
    bytes32 private constant _OFFER_TYPE = keccak256(
        "Offer(address licensor,address licensee,bytes32[] workIds,LicenceTerms terms,uint256 nonce,uint256 deadline)"
        "LicenceTerms(uint8 scope,uint32 uses,uint40 start,uint40 end,bool exclusive,uint96 flatFee,"
        "uint96 ratePerUse,bytes territories,bytes termsCid)"
    );

    /// @notice The work registry whose works, holders, reservations and consents this uses.
    IWorkRegistry public immutable registry;

    uint64 private _licenceCount;
    mapping(uint64 licenceId => Licence) private _licences;
    mapping(uint64 licenceId => mapping(bytes32 workId => bool)) private _listed;
    mapping(address licensee => uint64[] licenceIds) private _licencesOf;
    mapping(bytes32 workId => uint64[] licenceIds) private _openOf;
    // slither-disable-next-line uninitialized-state (written through storage pointers in _claimExclusive)
    mapping(bytes32 workId => uint64[] licenceIds) private _liveExclusive;
    mapping(bytes32 workId => uint64 nonce) private _exclusiveNonces;
    mapping(bytes32 workId => mapping(address cmo => Mandate)) private _mandates;
    mapping(uint32 use => Tariff) private _tariffs;
    mapping(address licensor => mapping(uint256 nonce => uint8 state)) private _offerNonces;
    address private _settlementToken;

    constructor(IAccessControl roles_, IWorkRegistry registry_)
        RoleGated(roles_)
        EIP712("RightsLedger LicenceRegistry", "1")
    {
        registry = registry_;
    }

    // --- mandates ----------------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function mandate(bytes32 workId, address cmo, uint32 uses) external {
        _requireLicensable(workId);
        _requireHolder(workId, msg.sender);
        if (!_hasRole(_CMO_ROLE, cmo)) revert LicenceRegistry__NotACmo(cmo);
        if (uses == 0) revert LicenceRegistry__InvalidUses(uses);
        Mandate storage m = _mandates[workId][cmo];
        uint40 from = (m.uses != 0 && m.until > block.timestamp) ? m.from : uint40(block.timestamp);
        _mandates[workId][cmo] = Mandate(uses, from, FOREVER);
        emit MandateGranted(workId, cmo, msg.sender, uses, from);
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
        emit MandateWithdrawn(workId, cmo, msg.sender, effectiveAt);
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
        licenceId = ++_licenceCount;
        uint40 now_ = uint40(block.timestamp);
        Licence storage l = _licences[licenceId];
        l.licensor = msg.sender;
        l.uses = uses;
        l.start = now_;
        l.scope = SCOPE_WORK;
        l.state = STATE_ACTIVE;
        l.end = FOREVER;
        _listed[licenceId][workId] = true;
        _openOf[workId].push(licenceId);
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
            ECDSA.tryRecover(_hashTypedDataV4(_offerHash(offer)), signature);
        if (recoverError != ECDSA.RecoverError.NoError || signer != offer.licensor || signer == address(0)) {
            revert LicenceRegistry__BadSignature(offer.licensor, signer);
        }
        uint256 fee = offer.terms.flatFee;
        address token = _settlementToken;
        if (msg.value != (token == address(0) ? fee : 0)) {
            revert LicenceRegistry__WrongPayment(token == address(0) ? fee : 0, msg.value);
        }
        _offerNonces[offer.licensor][offer.nonce] = 1;
        licenceId = _grant(offer.licensor, msg.sender, offer.workIds, offer.terms);
        emit OfferAccepted(licenceId, offer.licensor, offer.nonce, fee);
        if (fee > 0) {
            bool ok;
            if (token == address(0)) {
                (ok,) = offer.licensor.call{value: fee}("");
            } else {
                bytes memory ret;
                (ok, ret) = token.call(abi.encodeWithSelector(0x23b872dd, msg.sender, offer.licensor, fee));
                ok = ok && (ret.length == 0 ? token.code.length > 0 : abi.decode(ret, (bool)));
            }
            if (!ok) revert LicenceRegistry__PaymentFailed(offer.licensor, fee);
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
        Licence storage l = _ownLicence(licenceId, STATE_ACTIVE);
        uint40 now_ = uint40(block.timestamp);
        l.state = STATE_SUSPENDED;
        l.suspendedAt = now_;
        emit LicenceSuspended(licenceId, msg.sender, now_, reason);
    }

    /// @inheritdoc ILicenceRegistry
    function resume(uint64 licenceId) external {
        Licence storage l = _ownLicence(licenceId, STATE_SUSPENDED);
        l.state = STATE_ACTIVE;
        l.suspendedAt = 0;
        emit LicenceResumed(licenceId, msg.sender, uint40(block.timestamp));
    }

    /// @inheritdoc ILicenceRegistry
    function revoke(uint64 licenceId, string calldata reason) external {
        Licence storage l = _ownLicence(licenceId, 0);
        if (l.state == STATE_REVOKED) revert LicenceRegistry__WrongState(licenceId, l.state);
        uint40 now_ = uint40(block.timestamp);
        l.state = STATE_REVOKED;
        l.revokedAt = now_;
        emit LicenceRevoked(licenceId, msg.sender, now_, reason);
    }

    // --- statutory licences ------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function setTariff(uint32 use, uint96 amountPerWork, uint32 period, uint40 validFrom, uint40 validUntil)
        external
        onlyRole(_GOVERNOR_ROLE)
    {
        _checkSingleUse(use);
        if (validUntil == 0) validUntil = FOREVER;
        if (period == 0 || validFrom >= validUntil) revert LicenceRegistry__InvalidTariff(period, validFrom, validUntil);
        _tariffs[use] = Tariff(amountPerWork, period, validFrom, validUntil);
        emit TariffSet(use, msg.sender, amountPerWork, period, validFrom, validUntil);
    }

    // --- views -------------------------------------------------------------------------

    /// @inheritdoc ILicenceRegistry
    function coverage(bytes32 workId, address licensee, uint32 use, bytes2 territory, uint40 at)
        external
        view
        returns (Coverage memory c)
    {
        _checkSingleUse(use);
        if (at == 0) at = uint40(block.timestamp);
        IWorkRegistry.WorkView memory w = registry.getWork(workId);
        if (w.status != _CONFIRMED && w.status != _DISPUTED) {
            return Coverage(false, 0, REASON_WORK_NOT_CONFIRMED, 0);
        }
        c.reason = REASON_NONE;
        Query memory q = Query(workId, use, territory, at, w.status == _DISPUTED, w.reservedUses & use != 0);
        uint64[] storage ids = _licencesOf[licensee];
        for (uint256 i; i < ids.length + _openOf[workId].length; ++i) {
            uint64 id = i < ids.length ? ids[i] : _openOf[workId][i - ids.length];
            Licence storage l = _licences[id];
            uint8 reason = _evaluate(id, l, q);
            uint8 kind = l.licensee == address(0) ? KIND_OPEN : (l.scope == SCOPE_REPERTOIRE ? KIND_BLANKET : KIND_WORK);
            if (reason == 0) return Coverage(true, kind, 0, id);
            if (reason > c.reason) c = Coverage(false, kind, reason, id);
        }
        Tariff storage t = _tariffs[use];
        if (t.validUntil != 0) {
            uint8 reason = _timeReason(false, q.disputed, at, t.validFrom, t.validUntil);
            if (reason == 0 && q.reserved) reason = REASON_RESERVED;
            if (reason == 0) return Coverage(true, KIND_STATUTORY, 0, 0);
            if (reason > c.reason) c = Coverage(false, KIND_STATUTORY, reason, 0);
        }
    }

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
        return _listed[licenceId][workId];
    }

    /// @inheritdoc ILicenceRegistry
    function licencesOf(address licensee) external view returns (uint64[] memory) {
        return _licencesOf[licensee];
    }

    /// @inheritdoc ILicenceRegistry
    function openLicencesOf(bytes32 workId) external view returns (uint64[] memory) {
        return _openOf[workId];
    }

    /// @inheritdoc ILicenceRegistry
    function mandateOf(bytes32 workId, address cmo) external view returns (Mandate memory) {
        return _mandates[workId][cmo];
    }

    /// @inheritdoc ILicenceRegistry
    function tariffOf(uint32 use) external view returns (Tariff memory) {
        return _tariffs[use];
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

    /// @dev One coverage question, kept in memory to spare the stack.
    struct Query {
        bytes32 workId;
        uint32 use;
        bytes2 territory;
        uint40 at;
        bool disputed;
        bool reserved;
    }

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
            if (_listed[licenceId][workId]) revert LicenceRegistry__DuplicateWork(workId);
            _listed[licenceId][workId] = true;
        }
        if (t.exclusive) _claimExclusive(workIds[0], licensor, licensee, licenceId, t);
        Licence storage l = _licences[licenceId];
        l.licensor = licensor;
        l.uses = t.uses;
        l.start = t.start;
        l.scope = t.scope;
        l.state = STATE_ACTIVE;
        l.exclusive = t.exclusive;
        l.licensee = licensee;
        l.end = t.end;
        l.collective = collective;
        l.flatFee = t.flatFee;
        l.ratePerUse = t.ratePerUse;
        if (t.territories.length != 0) l.territories = t.territories;
        _licencesOf[licensee].push(licenceId);
        emit LicenceGranted(licenceId, licensor, licensee, collective, workIds, t);
    }

    function _checkTerms(LicenceTerms calldata t, uint256 count, bool collective) internal view {
        if (t.scope == SCOPE_WORK ? count != 1 : t.scope == SCOPE_LIST ? (count == 0 || count > MAX_BATCH)
                : t.scope != SCOPE_REPERTOIRE || count != 0) {
            revert LicenceRegistry__InvalidScope(t.scope, count);
        }
        if (t.scope == SCOPE_REPERTOIRE && !collective) revert LicenceRegistry__NotACmo(msg.sender);
        if (t.uses == 0) revert LicenceRegistry__InvalidUses(t.uses);
        if (t.start >= t.end || t.end <= block.timestamp) revert LicenceRegistry__InvalidTerm(t.start, t.end);
        if (t.exclusive && (t.scope != SCOPE_WORK || collective)) {
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
        _exclusiveNonces[workId] += 1;
        uint64[] storage live = _liveExclusive[workId];
        uint256 i;
        while (i < live.length) {
            Licence storage o = _licences[live[i]];
            if (o.state == STATE_REVOKED || o.end <= block.timestamp) {
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

    function _territoriesOverlap(bytes storage a, bytes calldata b) internal view returns (bool) {
        bytes memory am = a;
        if (am.length == 0 || b.length == 0) return true;
        for (uint256 i; i < am.length; i += 2) {
            for (uint256 j; j < b.length; j += 2) {
                if (am[i] == b[j] && am[i + 1] == b[j + 1]) return true;
            }
        }
        return false;
    }

    /// @dev 0 when licence `l` covers the query; otherwise the reason (REASON_NONE when the
    /// licence does not concern this work and use at all).
    function _evaluate(uint64 id, Licence storage l, Query memory q) internal view returns (uint8) {
        // slither-disable-next-line incorrect-equality (a use bitmask test, not a balance)
        if (l.uses & q.use == 0) return REASON_NONE;
        // slither-disable-next-line uninitialized-local (an all-zero Mandate means "no mandate")
        Mandate memory m;
        if (l.collective) m = _mandates[q.workId][l.licensor];
        if (l.scope == SCOPE_REPERTOIRE) {
            // slither-disable-next-line incorrect-equality (a use bitmask test, not a balance)
            if (m.uses & q.use == 0 || m.from > q.at) return REASON_NONE;
        } else if (!_listed[id][q.workId]) {
            return REASON_NONE;
        }
        uint8 state = l.state;
        if (state == STATE_REVOKED && q.at >= l.revokedAt) return REASON_REVOKED;
        bool suspended = state == STATE_SUSPENDED && q.at >= l.suspendedAt;
        uint8 reason = _timeReason(suspended, q.disputed, q.at, l.start, l.end);
        if (reason != 0) return reason;
        if (!_inTerritory(l.territories, q.territory)) return REASON_WRONG_TERRITORY;
        if (l.collective) {
            // slither-disable-next-line incorrect-equality (a use bitmask test, not a balance)
            if (m.uses & q.use == 0 || m.from > q.at || m.until <= q.at) return REASON_WITHDRAWN;
            if (q.reserved) return REASON_RESERVED;
        }
        return 0;
    }

    function _timeReason(bool suspended, bool disputed, uint40 at, uint40 start, uint40 end)
        internal
        pure
        returns (uint8)
    {
        if (suspended || disputed) return REASON_SUSPENDED;
        if (at < start) return REASON_NOT_YET_VALID;
        if (at >= end) return REASON_EXPIRED;
        return 0;
    }

    function _inTerritory(bytes storage codes, bytes2 territory) internal view returns (bool) {
        bytes memory c = codes;
        if (c.length == 0) return true;
        for (uint256 i; i < c.length; i += 2) {
            // slither-disable-next-line incorrect-equality (country codes are bytes, not balances)
            if (c[i] == territory[0] && c[i + 1] == territory[1]) return true;
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
        if (s != _CONFIRMED) revert LicenceRegistry__WorkNotLicensable(workId, s);
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
                o.nonce,
                o.deadline
            )
        );
    }
}
