// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @title NaiveWorkNFT
/// @notice The baseline the benchmarks compare against: what a developer would write
/// first, one OpenZeppelin ERC721URIStorage token per work with an `ipfs://` URI string.
/// Not part of the ledger.
contract NaiveWorkNFT is ERC721URIStorage {
    uint256 private _next;

    constructor() ERC721("Naive copyright registry", "WORK") {}

    function mint(address to, string calldata uri) external returns (uint256 tokenId) {
        tokenId = ++_next;
        _safeMint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }
}
