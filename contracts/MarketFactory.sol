// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibString} from "solady/utils/LibString.sol";

import {IShareToken} from "./interfaces/IShareToken.sol";
import {MarketConfig} from "./interfaces/ILendingMarket.sol";
import {LendingMarket} from "./LendingMarket.sol";

/// @title MarketFactory: creates isolated lending markets and lists them
/// @notice Anyone may create a market: each is isolated (its own collateral, loan token,
///         oracle, LLTV and rate curve, all immutable), so a badly chosen market risks only the
///         lenders who choose to deposit into it. Integrators find markets through
///         `MarketCreated` events or `marketsOf(shareToken)`.
contract MarketFactory {
    /// @notice Markets created for each share token, in creation order.
    mapping(address shareToken => address[]) internal _markets;
    /// @notice Whether an address is a market this factory created.
    mapping(address market => bool) public isMarket;

    /// @notice `creator` created `market` lending `loanToken` against `shareToken`.
    event MarketCreated(
        address indexed market,
        address indexed shareToken,
        address indexed loanToken,
        address oracle,
        uint256 lltv,
        uint256 minBorrow,
        address creator
    );

    /// @notice Creates a market; its vault is named "compute-rwa lending <share symbol>/<loan
    ///         symbol>" with symbol "lend-<share symbol>-<n>". Parameters are checked by the market.
    function createMarket(MarketConfig calldata config) external returns (address market) {
        string memory shareSymbol = IShareToken(config.shareToken).symbol();
        uint256 index = _markets[config.shareToken].length;
        string memory name = string.concat("compute-rwa lending ", shareSymbol, " #", LibString.toString(index));
        string memory symbol = string.concat("lend-", shareSymbol, "-", LibString.toString(index));
        market = address(new LendingMarket(config, name, symbol));
        _markets[config.shareToken].push(market);
        isMarket[market] = true;
        emit MarketCreated(
            market, config.shareToken, config.loanToken, config.oracle, config.lltv, config.minBorrow, msg.sender
        );
    }

    /// @notice Markets taking `shareToken` as collateral.
    function marketsOf(address shareToken) external view returns (address[] memory) {
        return _markets[shareToken];
    }
}
