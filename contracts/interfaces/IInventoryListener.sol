// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IInventoryListener: told by the registry when an asset's hardware inventory changes
interface IInventoryListener {
    /// @notice The registry replaced `assetId`'s inventory hash with `newInventoryHash`.
    /// @dev Must only accept calls from the registry.
    function onInventoryUpdated(uint256 assetId, bytes32 newInventoryHash) external;
}
