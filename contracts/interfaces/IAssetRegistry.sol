// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AssetSpec, AssetRegistration, AssetStatus} from "../libraries/AssetTypes.sol";

/// @title IAssetRegistry: GPU assets and their share tokens
/// @notice The registry records each GPU asset's specification and hardware attestation, creates
///         its ERC-20 share token (a clone of one implementation), holds the suite's roles, and
///         lets a holder claim revenue from many assets in one call.
interface IAssetRegistry {
    /* EVENTS */

    /// @notice A GPU asset was registered and its shares minted to `owner`.
    event AssetRegistered(
        uint256 indexed assetId,
        address indexed shareToken,
        address indexed operator,
        address owner,
        address paymentToken,
        bytes32 gpuModel,
        uint32 gpuCount,
        uint32 ratedTflops,
        uint32 ratedPowerWatts,
        bytes32 region,
        bytes32 inventoryHash
    );

    /// @notice An asset's lifecycle status changed.
    event AssetStatusChanged(uint256 indexed assetId, AssetStatus previousStatus, AssetStatus newStatus);

    /// @notice An asset's hardware inventory changed (GPUs swapped or re-attested).
    event InventoryUpdated(uint256 indexed assetId, bytes32 previousHash, bytes32 newHash);

    /// @notice The contract told of inventory changes (the metrics oracle) was replaced.
    event InventoryListenerUpdated(address indexed previousListener, address indexed newListener);

    /// @notice The lease manager, which keeps lease escrow in the share tokens, was replaced.
    event LeaseManagerUpdated(address indexed previousManager, address indexed newManager);

    /// @notice The admin allowed or disallowed a payment token for new assets.
    event PaymentTokenAllowed(address indexed token, bool allowed);

    /// @notice The admin set the treasury that receives protocol fees.
    event TreasuryUpdated(address indexed previousTreasury, address indexed newTreasury);

    /// @notice The admin set the protocol fee given to newly registered assets.
    event DefaultProtocolFeeUpdated(uint16 previousBps, uint16 newBps);

    /* ERRORS */

    /// @notice No asset has this id.
    error RegistryUnknownAsset(uint256 assetId);
    /// @notice A registration field is out of range; `field` names it, `value` is what was given.
    error RegistryInvalidSpec(bytes32 field, uint256 value);
    /// @notice An address argument is the zero address; `field` names it.
    error RegistryZeroAddress(bytes32 field);
    /// @notice The payment token is not on the admin's allow list.
    error RegistryPaymentTokenNotAllowed(address token);
    /// @notice The named operator does not hold OPERATOR_ROLE.
    error RegistryOperatorLacksRole(address operator);
    /// @notice The caller is neither the asset's operator (holding OPERATOR_ROLE) nor the admin.
    error RegistryUnauthorizedAssetOperator(uint256 assetId, address caller);
    /// @notice The status change is not allowed (retired is final; no-op changes are refused).
    error RegistryInvalidStatusTransition(uint256 assetId, AssetStatus from, AssetStatus to);
    /// @notice The inventory hash is zero or unchanged.
    error RegistryInvalidInventoryHash(uint256 assetId, bytes32 inventoryHash);
    /// @notice A batch is larger than the maximum.
    error RegistryBatchTooLarge(uint256 size, uint256 maxSize);
    /// @notice The protocol fee is above its cap.
    error RegistryProtocolFeeAboveCap(uint256 bps, uint256 capBps);

    /* ASSETS */

    /// @notice Registers a GPU asset, creates its share token and mints `gpuCount` whole shares
    ///         to `registration.owner`.
    /// @dev Caller must hold OPERATOR_ROLE; the registry must not be paused.
    /// @return assetId The new asset's id (ids start at 1).
    /// @return shareToken The new share token.
    function registerAsset(AssetRegistration calldata registration)
        external
        returns (uint256 assetId, address shareToken);

    /// @notice Changes an asset's status. Retired is final.
    /// @dev Caller must be the asset's operator (still holding OPERATOR_ROLE) or the admin.
    function setAssetStatus(uint256 assetId, AssetStatus newStatus) external;

    /// @notice Replaces the hash binding the asset to its hardware inventory.
    /// @dev Caller must be the asset's operator or the admin. Later oracle reports must carry the
    ///      new hash.
    function updateInventory(uint256 assetId, bytes32 newInventoryHash) external;

    /* REVENUE */

    /// @notice Claims the caller's revenue from every listed asset, each paid in its own token.
    /// @dev Never paused. At most MAX_CLAIM_BATCH ids. An asset with nothing to claim pays zero.
    /// @return amounts The amount paid for each asset, in the order given.
    function claimMany(uint256[] calldata assetIds) external returns (uint256[] memory amounts);

    /* ADMIN */

    /// @notice Allows or disallows a stablecoin as payment token for new assets.
    /// @dev Admin only. Allow only plain ERC-20s: fee-on-transfer tokens are refused at payment.
    function setPaymentTokenAllowed(address token, bool allowed) external;

    /// @notice Sets the treasury that receives protocol fees. Admin only.
    function setTreasury(address newTreasury) external;

    /// @notice Sets the protocol fee copied into newly registered assets. Admin only.
    function setDefaultProtocolFeeBps(uint16 bps) external;

    /// @notice Pauses new risk: registrations and revenue inflow. Claims and fee payouts stay
    ///         open. Share transfers are paused per asset (`IShareToken.setTransfersPaused`) so
    ///         that a transfer never pays for a registry call.
    /// @dev PAUSER_ROLE only.
    function pause() external;

    /// @notice Lifts a pause.
    function unpause() external;

    /* VIEWS */

    /// @notice Role that registers assets and runs the assets it operates.
    function OPERATOR_ROLE() external view returns (bytes32);

    /// @notice Role that runs per-asset compliance (allow lists, freezes, forced transfers).
    function COMPLIANCE_ROLE() external view returns (bytes32);

    /// @notice Role that pauses new risk.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Most GPUs one asset may have.
    function MAX_GPU_COUNT() external view returns (uint32);

    /// @notice Most assets one `claimMany` call may name.
    function MAX_CLAIM_BATCH() external view returns (uint256);

    /// @notice The full specification of an asset; reverts for an unknown id.
    function assetSpec(uint256 assetId) external view returns (AssetSpec memory);

    /// @notice The share token of an asset; reverts for an unknown id.
    function shareTokenOf(uint256 assetId) external view returns (address);

    /// @notice The operator of an asset; reverts for an unknown id.
    function assetOperator(uint256 assetId) external view returns (address);

    /// @notice The status of an asset; reverts for an unknown id.
    function assetStatus(uint256 assetId) external view returns (AssetStatus);

    /// @notice Sets the contract told of every inventory change (admin; zero to unset).
    /// @dev The metrics oracle caches each asset's inventory hash; this hook voids its cache in
    ///      the same transaction, so a report against the replaced inventory never verifies.
    function setInventoryListener(address listener) external;

    /// @notice The contract told of inventory changes.
    function inventoryListener() external view returns (address);

    /// @notice Sets the lease manager (admin; zero to unset). Share tokens hold lease escrow for
    ///         it and let it release escrow into their waterfall or pay lessees from it.
    /// @dev Replace it only when it holds no escrow: funds it accounted for stay in the share
    ///      tokens, reachable only through it.
    function setLeaseManager(address manager) external;

    /// @notice The lease manager share tokens take lease revenue and payouts from.
    function leaseManager() external view returns (address);

    /// @notice The hardware inventory hash of an asset; reverts for an unknown id.
    function inventoryHashOf(uint256 assetId) external view returns (bytes32);

    /// @notice Number of registered assets (ids run from 1 to this number).
    function assetCount() external view returns (uint256);

    /// @notice Whether a token may be chosen as payment token for new assets.
    function isPaymentTokenAllowed(address token) external view returns (bool);

    /// @notice Receiver of protocol fees.
    function treasury() external view returns (address);

    /// @notice Protocol fee given to newly registered assets, in basis points.
    function defaultProtocolFeeBps() external view returns (uint16);

    /// @notice The share token implementation every asset's token is a clone of.
    function shareTokenImplementation() external view returns (address);

    /// @notice Whether the registry is paused.
    function paused() external view returns (bool);

    /// @notice Whether `account` holds `role` (OpenZeppelin AccessControl).
    function hasRole(bytes32 role, address account) external view returns (bool);
}
