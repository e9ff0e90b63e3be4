// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice A kinked (two-slope) interest rate model, rates per second in WAD (1e18 = 100%).
/// @param baseRate Rate at 0% utilization.
/// @param slope1 Added linearly from 0% up to the kink.
/// @param slope2 Added linearly from the kink up to 100%.
/// @param kink Utilization (WAD) where the steep slope starts.
struct RateModel {
    uint64 baseRate;
    uint64 slope1;
    uint64 slope2;
    uint64 kink;
}

/// @title LendingMath: the fixed-point arithmetic of the lending market
/// @notice WAD (1e18) math, debt shares with a virtual offset, interest compounding and the
///         kinked rate curve. Every rounding direction is chosen to favour the protocol:
///         debt rounds up, collateral value and the caller's claims round down.
library LendingMath {
    uint256 internal constant WAD = 1e18;
    /// @notice Morpho's scale for `IOracle.price()`: collateral units x price / 1e36 = loan units.
    uint256 internal constant ORACLE_PRICE_SCALE = 1e36;
    /// @notice Virtual debt shares and assets (as Morpho's SharesMathLib): the first borrower
    ///         cannot set an extreme share price.
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    uint256 internal constant VIRTUAL_ASSETS = 1;

    function wMulDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD);
    }

    function wDivUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y, Math.Rounding.Ceil);
    }

    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return Math.mulDiv(x, y, d);
    }

    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return Math.mulDiv(x, y, d, Math.Rounding.Ceil);
    }

    function toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return mulDivDown(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    function toSharesUp(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return mulDivUp(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    function toAssetsDown(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return mulDivDown(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }

    function toAssetsUp(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return mulDivUp(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }

    /// @notice e^(rate x elapsed) - 1 by its first three Taylor terms (as Morpho Blue): exact
    ///         enough between accruals, and it never exceeds continuous compounding.
    function compoundedInterest(uint256 ratePerSecond, uint256 elapsed) internal pure returns (uint256) {
        uint256 first = ratePerSecond * elapsed;
        uint256 second = mulDivDown(first, first, 2 * WAD);
        uint256 third = mulDivDown(second, first, 3 * WAD);
        return first + second + third;
    }

    /// @notice Borrow rate per second at `utilization` (WAD, at most 1e18) on the kinked curve.
    function borrowRate(RateModel memory model, uint256 utilization) internal pure returns (uint256) {
        if (utilization <= model.kink) {
            return model.baseRate + mulDivDown(model.slope1, utilization, model.kink);
        }
        return model.baseRate + model.slope1 + mulDivDown(model.slope2, utilization - model.kink, WAD - model.kink);
    }

    /// @notice Borrowed over supplied, in WAD (0 when nothing is supplied).
    function utilization(uint256 totalBorrowAssets, uint256 totalSupplyAssets) internal pure returns (uint256) {
        if (totalSupplyAssets == 0) return 0;
        return mulDivDown(totalBorrowAssets, WAD, totalSupplyAssets);
    }

    /// @notice Morpho's liquidation incentive factor: min(maxFactor, 1 / (1 - cursor x (1 - lltv))).
    function liquidationIncentive(uint256 lltv, uint256 cursor, uint256 maxFactor) internal pure returns (uint256) {
        uint256 factor = Math.mulDiv(WAD, WAD, WAD - wMulDown(cursor, WAD - lltv));
        return factor < maxFactor ? factor : maxFactor;
    }
}
