// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Shared value types of licences, coverage answers and royalty pools, one place for
// LicenceRegistry, CoverageLens and RoyaltyPool (the ABI keeps them as uint8).

// Licence scope.
uint8 constant SCOPE_WORK = 1;
uint8 constant SCOPE_LIST = 2;
uint8 constant SCOPE_REPERTOIRE = 3;

// Licence state (expiry is by time, not a state).
uint8 constant STATE_ACTIVE = 1;
uint8 constant STATE_SUSPENDED = 2;
uint8 constant STATE_REVOKED = 3;

// Kind of grant that covers a use (coverage answers, usage lines).
uint8 constant KIND_WORK = 1;
uint8 constant KIND_BLANKET = 2;
uint8 constant KIND_OPEN = 3;
uint8 constant KIND_STATUTORY = 4;

// Why a use is not covered (higher is closer to covered).
uint8 constant REASON_NONE = 1;
uint8 constant REASON_REVOKED = 2;
uint8 constant REASON_SUSPENDED = 3;
uint8 constant REASON_NOT_YET_VALID = 4;
uint8 constant REASON_EXPIRED = 5;
uint8 constant REASON_WRONG_TERRITORY = 6;
uint8 constant REASON_WITHDRAWN = 7;
uint8 constant REASON_RESERVED = 8;
uint8 constant REASON_WORK_NOT_CONFIRMED = 9;
// Why a usage line does not count in a CMO's distribution (lineWeight), beyond the above.
uint8 constant REASON_NOT_MANDATED = 10;
uint8 constant REASON_WRONG_LICENCE = 11;
uint8 constant REASON_BAD_LINE = 12;

// Work status in WorkRegistry.
uint8 constant WORK_CONFIRMED = 2;
uint8 constant WORK_DISPUTED = 4;

// Royalty pool state.
uint8 constant POOL_OPEN = 0;
uint8 constant POOL_CLOSED = 1;
uint8 constant POOL_DISTRIBUTED = 2;
uint8 constant POOL_SWEPT = 3;

uint40 constant FOREVER = type(uint40).max;
