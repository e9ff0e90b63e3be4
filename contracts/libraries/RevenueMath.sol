// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title RevenueMath: the fee waterfall and the per-share accumulator
/// @notice Pure arithmetic shared by the share token and by tests' reference models.
library RevenueMath {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice Scale of the per-share accumulator: revenue per share unit times 1e18.
    /// @dev With shares of 1e18 units, a payment of d units over g GPUs adds d / g per share
    ///      exactly when g divides d; any remainder is carried exactly (see `accumulate`). The
    ///      scale keeps a holder's magnified correction within 176 bits for up to 4.8e34
    ///      payment-token units of lifetime revenue per asset.
    uint256 internal constant PRECISION = 1e18;

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
    /// @dev Exact in magnified units: amount * 1e18 + carried == increase * supply + remainder.
    ///      The increase rounds down; the remainder (less than `supply`, i.e. less than one wei
    ///      per share unit) is carried to the next payment, so no fraction is ever lost.
    function accumulate(uint256 amount, uint256 carriedE18, uint256 supply)
        internal
        pure
        returns (uint256 increaseE18, uint256 remainderE18)
    {
        uint256 totalE18 = amount * PRECISION + carriedE18;
        increaseE18 = totalE18 / supply;
        remainderE18 = totalE18 % supply;
    }

    /// @notice Revenue owed to a holder from its balance, the accumulator and its correction.
    /// @dev Rounds down: favours the contract, so the sum over holders never exceeds the funds.
    function owed(uint256 revenuePerShareE18, uint256 balance, int256 correctionE18)
        internal
        pure
        returns (uint256)
    {
        int256 magnified = SafeCast.toInt256(revenuePerShareE18 * balance) + correctionE18;
        // Never negative: corrections only offset revenue the holder had already earned.
        return magnified <= 0 ? 0 : uint256(magnified) / PRECISION;
    }

    /// @notice Packs a holder's share-balance copy (low 80 bits) and magnified correction (high
    ///         176 bits, signed) into one storage word; zero means "not tracked yet".
    /// @dev `shares` is at most the supply (MAX_GPU_COUNT * 1e18 < 2**80); the correction is
    ///      range-checked (SafeCast), which bounds an asset's lifetime revenue to 4.8e34 units.
    function packHolder(uint256 shares, int256 correctionE18) internal pure returns (uint256) {
        return uint256(int256(SafeCast.toInt176(correctionE18))) << 80 | shares;
    }

    /// @notice Inverse of `packHolder`.
    function unpackHolder(uint256 word) internal pure returns (uint256 shares, int256 correctionE18) {
        shares = uint80(word);
        // Arithmetic shift: sign-extends the 176-bit correction.
        correctionE18 = int256(word) >> 80;
    }
}
