// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title RevenueMath: the fee waterfall and the per-share accumulator
/// @notice Pure arithmetic shared by the share token and by tests' reference models.
library RevenueMath {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice Scale of the per-share accumulator: revenue per share unit times 2**128.
    uint256 internal constant MAGNITUDE = 1 << 128;

    /// @notice Splits a payment into operator fee, protocol fee, reserve and the holders' part.
    /// @dev Each fee rounds down: the rounding remainder goes to holders, never to a fee.
    function split(uint256 amount, uint256 operatorFeeBps, uint256 protocolFeeBps, uint256 reserveBps)
        internal
        pure
        returns (uint256 operatorFee, uint256 protocolFee, uint256 toReserve, uint256 toHolders)
    {
        operatorFee = amount * operatorFeeBps / BPS;
        protocolFee = amount * protocolFeeBps / BPS;
        toReserve = amount * reserveBps / BPS;
        // Cannot underflow: the three rates are capped well below 100% in total.
        toHolders = amount - operatorFee - protocolFee - toReserve;
    }

    /// @notice The accumulator increase for `distributable` over `supply` share units, and the
    ///         dust that the increase does not cover (carried to the next distribution).
    /// @dev The increase rounds down and the covered amount rounds up, so holders are never
    ///      owed more than was paid in; `dust` is at most what one accumulator step is worth.
    function accumulate(uint256 distributable, uint256 supply)
        internal
        pure
        returns (uint256 increaseX128, uint256 dust)
    {
        increaseX128 = Math.mulDiv(distributable, MAGNITUDE, supply);
        uint256 covered = Math.mulDiv(increaseX128, supply, MAGNITUDE, Math.Rounding.Ceil);
        dust = distributable - covered;
    }

    /// @notice Revenue owed to a holder from its balance, the accumulator and its correction.
    /// @dev Rounds down: favours the contract, so the sum over holders never exceeds the funds.
    function owed(uint256 revenuePerShareX128, uint256 balance, int256 correctionX128)
        internal
        pure
        returns (uint256)
    {
        int256 magnified = SafeCast.toInt256(revenuePerShareX128 * balance) + correctionX128;
        // Never negative: corrections only offset revenue the holder had already earned.
        return magnified <= 0 ? 0 : uint256(magnified) / MAGNITUDE;
    }
}
