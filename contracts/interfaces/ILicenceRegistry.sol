// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Rights Ledger licence registry
/// @notice Mandates of works to collective management organisations (CMOs), licences from
/// a licensor to a licensee (one work, a list of works, or a CMO's whole repertoire),
/// signed licence offers, open (public-interest) licences and statutory tariffs, and the
/// licensee's question "am I covered to use work W for use U in territory T at time t?".
/// @dev Uses are one bit each (see ledger/types.py USES). Territories are ISO 3166 alpha-2
/// codes, two ASCII capitals each, concatenated in a `bytes`; an empty `bytes` means
/// worldwide. Times are unix seconds. Fees are integers in the settlement token's smallest
/// unit (the native currency's wei while the governor has set no token).
/// Every state change emits an event that carries enough to replay it without storage:
/// an auditor rebuilds every licence, mandate and tariff from the events alone.
interface ILicenceRegistry {
    /// @notice The terms of a licence as a licensor grants (or offers) it.
    struct LicenceTerms {
        uint8 scope; // 1 one work, 2 a list of works, 3 the licensor CMO's whole repertoire
        uint32 uses; // bitmask of uses
        uint40 start; // first second covered
        uint40 end; // first second no longer covered (type(uint40).max: no end)
        bool exclusive; // only for scope 1, granted by a holder
        uint96 flatFee; // paid once (on accepting an offer)
        uint96 ratePerUse; // owed per reported use
        bytes territories; // 2-byte ISO 3166 alpha-2 codes; empty = worldwide
        bytes termsCid; // binary CID of the terms document
    }

    /// @notice A licence as stored. `licensee` is zero for an open licence (everyone).
    /// `collective` is true when the licensor is a CMO acting under mandates: its coverage
    /// of a work then also needs the work's mandate at the time of use and no reservation.
    struct Licence {
        address licensor;
        uint32 uses;
        uint40 start;
        uint8 scope;
        uint8 state; // 1 active, 2 suspended, 3 revoked (expiry is by time, not a state)
        bool exclusive;
        address licensee;
        uint40 end;
        uint40 revokedAt;
        bool collective;
        uint40 suspendedAt;
        uint96 flatFee;
        uint96 ratePerUse;
        bytes territories;
    }

    /// @notice A work's mandate to one CMO: the uses it manages, from `from` until `until`.
    struct Mandate {
        uint32 uses;
        uint40 from;
        uint40 until;
    }

    /// @notice A statutory tariff for one use, set by the governor: `amountPerWork` per work
    /// used per `period` seconds, valid from `validFrom` until `validUntil`.
    struct Tariff {
        uint96 amountPerWork;
        uint32 period;
        uint40 validFrom;
        uint40 validUntil;
    }

    /// @notice A licence offer a licensor signs off-chain (EIP-712) and a licensee submits.
    /// `licensee` zero: any account with LICENSEE_ROLE may accept it. `token` is the currency
    /// of the fee `terms.flatFee` (zero: the native currency); both are signed, and `accept`
    /// refuses an offer whose token is not the settlement token in force.
    struct Offer {
        address licensor;
        address licensee;
        bytes32[] workIds;
        LicenceTerms terms;
        address token;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice A holder mandated a CONFIRMED work to a CMO for `uses`, effective from `from`.
    /// A new mandate of the same work to the same CMO replaces the old one (keeping its
    /// `from` while it is in force). The uses change at block time `at`: earlier times keep
    /// the uses mandated then (see `mandateAt`).
    event MandateGranted(
        bytes32 indexed workId, address indexed cmo, address indexed holder, uint32 uses, uint40 from, uint40 at
    );
    /// @notice A holder withdrew a work's mandate to a CMO at block time `at`, effective from
    /// `effectiveAt` (never before `at`).
    event MandateWithdrawn(
        bytes32 indexed workId, address indexed cmo, address indexed holder, uint40 effectiveAt, uint40 at
    );
    /// @notice A licence was granted. `workIds` lists the works of scope 1 and 2 (empty for a
    /// repertoire licence).
    event LicenceGranted(
        uint64 indexed licenceId,
        address indexed licensor,
        address indexed licensee,
        bool collective,
        bytes32[] workIds,
        LicenceTerms terms
    );
    /// @notice An open (public-interest) licence, e.g. "CC-BY-4.0", covering everyone for
    /// `uses`, worldwide, from `start` with no end. Stored as a scope-1 licence whose
    /// licensee is zero; it emits no LicenceGranted.
    event OpenLicencePublished(
        uint64 indexed licenceId,
        bytes32 indexed workId,
        address indexed licensor,
        uint32 uses,
        uint40 start,
        bytes32 code,
        bytes termsCid
    );
    event LicenceSuspended(uint64 indexed licenceId, address indexed by, uint40 at, string reason);
    event LicenceResumed(uint64 indexed licenceId, address indexed by, uint40 at);
    event LicenceRevoked(uint64 indexed licenceId, address indexed by, uint40 at, string reason);
    /// @notice A licensee accepted a signed offer (nonce now used) and paid `paid`.
    event OfferAccepted(uint64 indexed licenceId, address indexed licensor, uint256 indexed nonce, uint256 paid);
    /// @notice A licensor cancelled an offer: its nonce can no longer be used.
    event OfferCancelled(address indexed licensor, uint256 indexed nonce);
    /// @notice The governor chose the ERC-20 token flat fees are paid in (zero: native currency).
    event SettlementTokenSet(address indexed token, address indexed governor);
    /// @notice The governor set the statutory tariff of a use (validUntil max: no end).
    event TariffSet(
        uint32 indexed use,
        address indexed governor,
        uint96 amountPerWork,
        uint32 period,
        uint40 validFrom,
        uint40 validUntil
    );

    error LicenceRegistry__WorkNotLicensable(bytes32 workId, uint8 status);
    error LicenceRegistry__NotAHolder(bytes32 workId, address account);
    error LicenceRegistry__NotACmo(address account);
    error LicenceRegistry__NoMandate(bytes32 workId, address cmo, uint32 uses);
    error LicenceRegistry__InvalidUses(uint32 uses);
    error LicenceRegistry__InvalidScope(uint8 scope, uint256 workCount);
    error LicenceRegistry__InvalidTerm(uint40 start, uint40 end);
    error LicenceRegistry__InvalidDate(uint40 date, uint40 now_);
    error LicenceRegistry__InvalidTerritories(bytes territories);
    error LicenceRegistry__InvalidCid(uint256 length);
    error LicenceRegistry__InvalidLicensee(address licensee);
    error LicenceRegistry__DuplicateWork(bytes32 workId);
    error LicenceRegistry__ExclusiveNotAllowed(uint8 scope, bool collective);
    error LicenceRegistry__ExclusiveConflict(bytes32 workId, uint64 licenceId);
    error LicenceRegistry__TooManyExclusive(bytes32 workId, uint256 max);
    error LicenceRegistry__ConsentMissing(bytes32 workId, bytes32 actionHash);
    error LicenceRegistry__LicenceNotFound(uint64 licenceId);
    error LicenceRegistry__NotLicensor(uint64 licenceId, address account);
    error LicenceRegistry__WrongState(uint64 licenceId, uint8 state);
    error LicenceRegistry__OfferExpired(uint256 deadline, uint256 now_);
    error LicenceRegistry__OfferUsed(address licensor, uint256 nonce);
    error LicenceRegistry__OfferCancelled(address licensor, uint256 nonce);
    error LicenceRegistry__OfferNotForCaller(address licensee, address caller);
    error LicenceRegistry__BadSignature(address licensor, address recovered);
    error LicenceRegistry__WrongPayment(uint256 expected, uint256 sent);
    error LicenceRegistry__PaymentFailed(address licensor, uint256 amount);
    error LicenceRegistry__InvalidTariff(uint32 period, uint40 validFrom, uint40 validUntil);
    /// @notice The offer was signed for fees in `signed`, but the settlement token is `current`.
    error LicenceRegistry__WrongToken(address signed, address current);
    /// @notice An exclusive licence of `workId` cannot be granted: a mandate in force or a live
    /// open licence of the work already shares one of `uses`.
    error LicenceRegistry__ExclusiveBlocked(bytes32 workId, uint32 uses);
    /// @notice A bounded index is full: MAX_PER_KEY licences of `workId` (zero: blanket
    /// licences) for `account` (zero: open licences), or MAX_CMOS mandates of `workId`.
    error LicenceRegistry__IndexFull(bytes32 workId, address account, uint256 max);

    // --- mandates ---------------------------------------------------------------------

    /// @notice A holder of a CONFIRMED work mandates it to `cmo` (which has CMO_ROLE) for `uses`.
    function mandate(bytes32 workId, address cmo, uint32 uses) external;

    /// @notice A holder withdraws a work's mandate to `cmo` from `effectiveAt` (0: now; never
    /// in the past). Blanket licences of that CMO stop covering the work from then.
    function withdrawMandate(bytes32 workId, address cmo, uint40 effectiveAt) external;

    // --- licences ---------------------------------------------------------------------

    /// @notice Grants a licence to `licensee` (who has LICENSEE_ROLE). Scope 1: one work;
    /// scope 2: 1..MAX_BATCH distinct works; scope 3: the caller CMO's repertoire (no works).
    /// A caller with CMO_ROLE grants collectively and needs a mandate for every use of every
    /// listed work; any other caller must hold a share of every listed work. Works must be
    /// CONFIRMED. An exclusive licence (scope 1, by a holder) needs every other co-owner's
    /// consent to exclusiveActionHash(...) and must not overlap another live exclusive
    /// licence of the work in use, territory and time, nor share a use with a mandate in
    /// force at or after its start or a live open licence of the work. While
    /// an exclusive licence is live, no other licence, open licence or mandate of the work
    /// overlapping it (use, territory, time) can be granted to anyone but its licensee.
    function grant(address licensee, bytes32[] calldata workIds, LicenceTerms calldata terms)
        external
        returns (uint64 licenceId);

    /// @notice A holder of a CONFIRMED work publishes an open licence for `uses` that covers
    /// everyone, worldwide, from now on; `code` names it (e.g. "CC-BY-4.0").
    function publishOpenLicence(bytes32 workId, uint32 uses, bytes32 code, bytes calldata termsCid)
        external
        returns (uint64 licenceId);

    /// @notice The licensee accepts an offer signed by its licensor and pays its flat fee to
    /// the licensor: in the settlement token when one is set, else as msg.value. The licence
    /// is granted as if by the licensor.
    function accept(Offer calldata offer, bytes calldata signature) external payable returns (uint64 licenceId);

    /// @notice The GOVERNOR sets the ERC-20 settlement token flat fees of offers are paid in
    /// (`transferFrom` licensee to licensor: the licensee approves this contract first);
    /// zero: fees are paid in the native currency (msg.value).
    function setSettlementToken(address token) external;

    /// @notice The licensor cancels an unused offer nonce.
    function cancelOffer(uint256 nonce) external;

    /// @notice The licensor suspends an active licence from now.
    function suspend(uint64 licenceId, string calldata reason) external;

    /// @notice The licensor lifts a suspension.
    function resume(uint64 licenceId) external;

    /// @notice The licensor revokes an active or suspended licence from now; uses before
    /// stay covered.
    function revoke(uint64 licenceId, string calldata reason) external;

    // --- statutory licences -----------------------------------------------------------

    /// @notice The GOVERNOR sets a new version of the statutory tariff of one use (a single
    /// bit), in force from `validFrom` until `validUntil` (0: no end) or until the next
    /// version's `validFrom`. Earlier versions stay in force for the times before it: a
    /// `validFrom` in the past is taken as now (TariffSet carries the effective one), and a
    /// `validFrom` before the latest version's reverts InvalidTariff (the same `validFrom`
    /// replaces that version, which is not in force yet).
    function setTariff(uint32 use, uint96 amountPerWork, uint32 period, uint40 validFrom, uint40 validUntil) external;

    // --- views ------------------------------------------------------------------------

    function licence(uint64 licenceId) external view returns (Licence memory);
    function licenceCount() external view returns (uint64);
    /// @notice True when licence `licenceId` of scope 1 or 2 lists `workId`.
    function listsWork(uint64 licenceId, bytes32 workId) external view returns (bool);
    function openLicencesOf(bytes32 workId) external view returns (uint64[] memory);
    /// @notice The licences of scope 1 and 2 that list `workId` granted to `licensee` (coverage index).
    function workLicencesOf(bytes32 workId, address licensee) external view returns (uint64[] memory);
    /// @notice The repertoire (blanket) licences `cmo` granted to `licensee` (coverage index).
    function blanketLicencesOf(address licensee, address cmo) external view returns (uint64[] memory);
    /// @notice Every CMO `workId` was ever mandated to (at most MAX_CMOS).
    function cmosOf(bytes32 workId) external view returns (address[] memory);
    function mandateOf(bytes32 workId, address cmo) external view returns (Mandate memory);
    /// @notice The latest tariff version of `use` (all zero when none was set).
    function tariffOf(uint32 use) external view returns (Tariff memory);
    /// @notice The tariff version of `use` in force at `at`: the latest whose validFrom ≤ `at`
    /// (all zero when none; its window may have ended: compare `at` with validUntil).
    function tariffAt(uint32 use, uint40 at) external view returns (Tariff memory);
    /// @notice The licence as stored, with `state` as it was at `at` (1 active, 2 suspended,
    /// 3 revoked; 0 when there is no such licence). A span it was suspended in stays
    /// suspended whatever follows (resumption, revocation).
    function licenceAt(uint64 licenceId, uint40 at) external view returns (Licence memory);
    /// @notice The uses of `workId` mandated to `cmo` at `at` (0 none) and every use mandated
    /// to it at or before `at` (`everUses`), from the mandate history.
    function mandateAt(bytes32 workId, address cmo, uint40 at) external view returns (uint32 uses, uint32 everUses);
    function settlementToken() external view returns (address);
    /// @notice 0 unused, 1 used, 2 cancelled.
    function offerNonceState(address licensor, uint256 nonce) external view returns (uint8);
    /// @notice The action every other co-owner of `workId` consents to (WorkRegistry.consent)
    /// before `licensor` grants `licensee` this exclusive licence; includes the work's nonce,
    /// which every exclusive grant of the work increments.
    function exclusiveActionHash(bytes32 workId, address licensor, address licensee, LicenceTerms calldata terms)
        external
        view
        returns (bytes32);
}
