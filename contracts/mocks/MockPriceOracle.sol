// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOracle} from "../interfaces/IOracle.sol";

/// @notice Test double of a Morpho-style IOracle whose price a test sets directly, to move a
///         market's collateral value without replaying revenue history; a zero price reverts
///         like a valuator refusing to answer.
contract MockPriceOracle is IOracle {
    uint256 internal _price;

    error MockPriceUnavailable();

    constructor(uint256 price_) {
        _price = price_;
    }

    function setPrice(uint256 price_) external {
        _price = price_;
    }

    function price() external view returns (uint256) {
        if (_price == 0) revert MockPriceUnavailable();
        return _price;
    }
}
