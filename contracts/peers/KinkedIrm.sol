// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LendingMath, RateModel} from "../libraries/LendingMath.sol";

/// @notice Morpho Blue's MarketParams and Market, with its field order (morpho-blue/src/interfaces/IMorpho.sol).
struct MorphoMarketParams {
    address loanToken;
    address collateralToken;
    address oracle;
    address irm;
    uint256 lltv;
}

struct MorphoMarket {
    uint128 totalSupplyAssets;
    uint128 totalSupplyShares;
    uint128 totalBorrowAssets;
    uint128 totalBorrowShares;
    uint128 lastUpdate;
    uint128 fee;
}

/// @notice Morpho Blue's interest rate model interface (morpho-blue/src/interfaces/IIrm.sol).
interface IIrm {
    function borrowRate(MorphoMarketParams memory marketParams, MorphoMarket memory market) external returns (uint256);

    function borrowRateView(MorphoMarketParams memory marketParams, MorphoMarket memory market)
        external
        view
        returns (uint256);
}

/// @title KinkedIrm: our kinked rate curve as a Morpho Blue interest rate model
/// @notice Lets a Morpho Blue market charge exactly what a compute-rwa LendingMarket with the
///         same RateModel charges, so that the two can be compared like for like and shares can
///         be listed on Morpho with the curve their risk team chose.
contract KinkedIrm is IIrm {
    uint64 internal immutable _baseRate;
    uint64 internal immutable _slope1;
    uint64 internal immutable _slope2;
    uint64 internal immutable _kink;

    constructor(RateModel memory model) {
        (_baseRate, _slope1, _slope2, _kink) = (model.baseRate, model.slope1, model.slope2, model.kink);
    }

    function borrowRate(MorphoMarketParams memory, MorphoMarket memory market) external view returns (uint256) {
        return _rate(market);
    }

    function borrowRateView(MorphoMarketParams memory, MorphoMarket memory market) external view returns (uint256) {
        return _rate(market);
    }

    function rateModel() external view returns (RateModel memory) {
        return RateModel(_baseRate, _slope1, _slope2, _kink);
    }

    function _rate(MorphoMarket memory market) internal view returns (uint256) {
        uint256 utilization = LendingMath.utilization(market.totalBorrowAssets, market.totalSupplyAssets);
        return LendingMath.borrowRate(RateModel(_baseRate, _slope1, _slope2, _kink), utilization);
    }
}
