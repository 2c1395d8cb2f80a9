// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title PackedIds
/// @notice A bounded list of uint64 ids in as few storage slots as possible: slot 0 holds the
/// count (low 64 bits) and the first three ids, each further slot four ids. A first id costs
/// one fresh slot, like a single bool flag would.
library PackedIds {
    /// @dev Appends `id`; false (and nothing written) when the list holds `max` ids already.
    function push(mapping(uint256 => uint256) storage s, uint64 id, uint256 max) internal returns (bool) {
        uint256 head = s[0];
        uint256 n = uint64(head);
        if (n >= max) return false;
        if (n < 3) {
            s[0] = (head + 1) | (uint256(id) << (64 * (n + 1)));
        } else {
            uint256 k = n - 3;
            s[1 + k / 4] |= uint256(id) << (64 * (k % 4));
            s[0] = head + 1;
        }
        return true;
    }

    /// @dev The number of ids.
    function length(mapping(uint256 => uint256) storage s) internal view returns (uint256) {
        return uint64(s[0]);
    }

    /// @dev The last id appended (0 when empty).
    function last(mapping(uint256 => uint256) storage s) internal view returns (uint64) {
        uint256 head = s[0];
        uint256 n = uint64(head);
        if (n == 0) return 0;
        if (n <= 3) return uint64(head >> (64 * n));
        uint256 k = n - 4;
        return uint64(s[1 + k / 4] >> (64 * (k % 4)));
    }

    /// @dev Every id, in the order appended.
    function read(mapping(uint256 => uint256) storage s) internal view returns (uint64[] memory ids) {
        uint256 head = s[0];
        uint256 n = uint64(head);
        ids = new uint64[](n);
        // slither-disable-next-line uninitialized-local (read only after the first further slot loads it)
        uint256 word;
        for (uint256 i; i < n; ++i) {
            if (i < 3) {
                ids[i] = uint64(head >> (64 * (i + 1)));
            } else {
                uint256 k = i - 3;
                if (k % 4 == 0) word = s[1 + k / 4];
                ids[i] = uint64(word >> (64 * (k % 4)));
            }
        }
    }

    /// @dev True when `id` is in the list.
    function contains(mapping(uint256 => uint256) storage s, uint64 id) internal view returns (bool) {
        uint64[] memory ids = read(s);
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == id) return true;
        }
        return false;
    }
}
