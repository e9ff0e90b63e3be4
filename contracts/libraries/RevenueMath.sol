// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title RevenueMath: the fee waterfall and the per-share accumulator
/// @notice Pure arithmetic shared by the share token and by tests' reference models.
library RevenueMath {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice Scale of the per-share accumulator: revenue per share unit times 1e36.
    /// @dev Decimal, so that a payment over whole shares (1e18 units each) of 2^a * 5^b GPUs
    ///      (1, 2, 4, 8, 10, 16, ...) divides exactly and leaves no remainder at all.
    uint256 internal constant PRECISION = 1e36;

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

    /// @notice Adds `amount` (plus the magnified remainder carried from earlier payments) to the
    ///         accumulator over `supply` share units.
    /// @dev Exact in magnified units: amount * 1e36 + carried == increase * supply + remainder.
    ///      The increase rounds down; the remainder (less than `supply`, i.e. less than one wei
    ///      per share unit) is carried to the next payment, so no fraction is ever lost.
    function accumulate(uint256 amount, uint256 carriedE36, uint256 supply)
        internal
        pure
        returns (uint256 increaseE36, uint256 remainderE36)
    {
        uint256 totalE36 = amount * PRECISION + carriedE36;
        increaseE36 = totalE36 / supply;
        remainderE36 = totalE36 % supply;
    }

    /// @notice Revenue owed to a holder from its balance, the accumulator and its correction.
    /// @dev Rounds down: favours the contract, so the sum over holders never exceeds the funds.
    function owed(uint256 revenuePerShareE36, uint256 balance, int256 correctionE36)
        internal
        pure
        returns (uint256)
    {
        int256 magnified = SafeCast.toInt256(revenuePerShareE36 * balance) + correctionE36;
        // Never negative: corrections only offset revenue the holder had already earned.
        return magnified <= 0 ? 0 : uint256(magnified) / PRECISION;
    }
}
