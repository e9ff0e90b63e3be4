// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Lease pricing and settlement arithmetic
/// @notice Pure functions, so that quotes, opening and settlement use one formula each.
library LeaseMath {
    uint256 internal constant BPS = 10_000;

    /// @notice Mean price per GPU-hour over the booked range [booked0, booked1] of an asset with
    ///         `gpuCount` GPUs. The premium is linear in booked utilization above the target:
    ///         price(u) = base x (1 + maxPremium x max(0, u - target) / (1 - target)).
    ///         A lease pays the curve's mean over the GPUs it books, so one lessee booking the
    ///         last GPUs pays what a series of small lessees would have paid together.
    /// @dev With booked0 == booked1 (an extension, which books nothing new) it is the point
    ///      price. Rounds up, by at most one unit.
    function meanPrice(
        uint256 base,
        bool dynamic,
        uint256 targetBps,
        uint256 maxPremiumBps,
        uint256 gpuCount,
        uint256 booked0,
        uint256 booked1
    ) internal pure returns (uint256) {
        if (!dynamic || maxPremiumBps == 0) return base;
        uint256 kink = targetBps * gpuCount; // in GPU x bps
        uint256 span = BPS * gpuCount - kink; // from the kink to a fully booked asset
        if (span == 0) return base;
        uint256 x0 = booked0 * BPS;
        uint256 x1 = booked1 * BPS;
        uint256 above0 = x0 > kink ? x0 - kink : 0;
        uint256 above1 = x1 > kink ? x1 - kink : 0;
        if (above1 == 0) return base;
        // No overflow: base < 2^96, maxPremiumBps <= 1e5 (< 2^17) and above < 1e10 (< 2^34), so
        // the largest product, base x premium x above^2, stays below 2^181.
        if (x1 == x0) return base + Math.ceilDiv(base * maxPremiumBps * above1, BPS * span);
        // Mean of a linear ramp over [x0, x1]: integral (above1^2 - above0^2) / 2 / (x1 - x0).
        return base
            + Math.ceilDiv(base * maxPremiumBps * (above1 * above1 - above0 * above0), 2 * BPS * span * (x1 - x0));
    }

    /// @notice Charge of one epoch for `gpus` GPUs at `pricePerGpuHour`, rounded down.
    function epochCharge(uint256 gpus, uint256 pricePerGpuHour, uint256 epochSeconds) internal pure returns (uint256) {
        return gpus * pricePerGpuHour * epochSeconds / 3600;
    }

    /// @notice SLA credit for an epoch charged `charge` whose measured uptime is below target:
    ///         the shortfall's share of the target, rounded up (a lessee never pays for service
    ///         it did not get). Zero when the target is met.
    function slaCredit(uint256 charge, uint256 uptimeBps, uint256 targetBps) internal pure returns (uint256) {
        if (uptimeBps >= targetBps) return 0;
        // charge < 2^128 (escrow is stored in 128 bits): the product cannot overflow.
        return Math.ceilDiv(charge * (targetBps - uptimeBps), targetBps);
    }
}
