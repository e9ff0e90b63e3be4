// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC721Metadata} from "@openzeppelin/contracts-erc721-shanghai/token/ERC721/extensions/IERC721Metadata.sol";

/// @title ILeasePositions: lease positions as ERC-721 tokens (token id = lease id)
/// @notice The owner of a position holds the lease's usage right and everything the lease is
///         owed (SLA credits, refunds, compensation). Positions transfer like any ERC-721, so
///         compute rights can trade; when the lease's asset has a lessee allow list, a position
///         moves only to allowed accounts. Terms are read from `ILeaseManager.lease(id)`, and
///         `tokenURI` renders them as JSON for wallets and marketplaces.
interface ILeasePositions is IERC721Metadata {
    /// @notice Only the lease manager may mint.
    error PositionsOnlyManager(address caller);
    /// @notice The lease's asset does not allow `to` to hold its leases.
    error PositionsTransferNotAllowed(address from, address to, uint256 leaseId);

    /// @notice Mints position `leaseId` to `to` (safe mint). Lease manager only.
    function mint(address to, uint256 leaseId) external;

    /// @notice The owner of `leaseId` and whether `spender` may act for it (owner, approved, or
    ///         operator), in one call.
    function authorizedOwner(address spender, uint256 leaseId) external view returns (address owner, bool authorized);

    /// @notice The lease manager that mints positions and holds their terms.
    function manager() external view returns (address);
}
