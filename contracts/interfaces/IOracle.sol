// SPDX-License-Identifier: GPL-2.0-or-later
pragma solidity ^0.8.0;

/// @title IOracle, as Morpho Blue declares it (morpho-blue/src/interfaces/IOracle.sol)
/// @notice The price of 1 collateral token quoted in loan tokens, scaled by 1e36: a collateral
///         amount (in its smallest units) times `price()` divided by 1e36 is the loan-token
///         amount it is worth (in its smallest units). Declared here with Morpho's exact
///         signature so that a Morpho Blue market can use our adapter as its oracle.
interface IOracle {
    /// @notice Price of 1 collateral token quoted in 1 loan token, scaled by 1e36.
    /// @dev Reverts, rather than answering, when no trustworthy price exists.
    function price() external view returns (uint256);
}
