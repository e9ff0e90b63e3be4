// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {LibString} from "solady/utils/LibString.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IOracle} from "./interfaces/IOracle.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {IShareValuator, Valuation} from "./interfaces/IShareValuator.sol";

/// @title SharePriceFeed: one asset's share price for other protocols
/// @notice The valuator's price of one whole share of `assetId`, in the asset's payment token,
///         through the two interfaces lending markets read:
///         - Chainlink `AggregatorV3Interface`: answer in payment-token units (`decimals()` of
///           that token), one round per valuation update; stale rounds are answered with their
///           real `updatedAt` for the reader to judge, rounds that are not Ok revert.
///         - Morpho Blue `IOracle.price()`: the 1e36-scaled price of one share unit in payment
///           token units; reverts when the valuation is not Ok, stale, or the sequencer is down,
///           because Morpho takes whatever the oracle answers.
///         A market using this feed must lend the asset's payment token itself.
contract SharePriceFeed is AggregatorV3Interface, IOracle {
    /// @notice Share tokens have 18 decimals; IOracle prices one smallest unit of collateral.
    uint256 internal constant SHARE_UNIT = 1e18;
    uint256 internal constant ORACLE_PRICE_SCALE = 1e36;

    IShareValuator public immutable valuator;
    uint256 public immutable assetId;
    uint8 internal immutable _decimals;

    /// @notice Only the latest round is held.
    error FeedUnknownRound(uint80 roundId);

    constructor(IShareValuator valuator_, uint256 assetId_) {
        valuator = valuator_;
        assetId = assetId_;
        address shareToken = IAssetRegistry(valuator_.registry()).shareTokenOf(assetId_);
        _decimals = IERC20Metadata(IShareToken(shareToken).paymentToken()).decimals();
    }

    /// @inheritdoc IOracle
    function price() external view returns (uint256) {
        // price per 1e18 share units in payment units, times 1e36 / 1e18.
        return valuator.priceOf(assetId) * (ORACLE_PRICE_SCALE / SHARE_UNIT);
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return string.concat("compute-rwa GPU share #", LibString.toString(assetId), " value");
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        Valuation memory valuation = valuator.okValuationOf(assetId);
        if (roundId != valuation.round) revert FeedUnknownRound(roundId);
        return _round(valuation);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _round(valuator.okValuationOf(assetId));
    }

    function _round(Valuation memory valuation) internal pure returns (uint80, int256, uint256, uint256, uint80) {
        uint80 round = valuation.round;
        return (round, int256(uint256(valuation.price)), valuation.updatedAt, valuation.updatedAt, round);
    }
}
