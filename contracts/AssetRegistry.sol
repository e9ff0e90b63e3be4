// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {IInventoryListener} from "./interfaces/IInventoryListener.sol";
import {AssetSpec, AssetRegistration, AssetStatus} from "./libraries/AssetTypes.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title AssetRegistry: GPU assets, their hardware attestation, their share tokens, the roles
/// @notice Operators register GPU assets; each gets an ERC-20 share token that is a clone of one
///         implementation, so registering costs a fraction of a token deployment. The admin
///         role is handed over in two steps with a delay (OpenZeppelin
///         AccessControlDefaultAdminRules).
contract AssetRegistry is IAssetRegistry, AccessControlDefaultAdminRules, Pausable {
    /* CONSTANTS */

    /// @inheritdoc IAssetRegistry
    bytes32 public constant OPERATOR_ROLE = Roles.OPERATOR_ROLE;
    /// @inheritdoc IAssetRegistry
    bytes32 public constant COMPLIANCE_ROLE = Roles.COMPLIANCE_ROLE;
    /// @inheritdoc IAssetRegistry
    bytes32 public constant PAUSER_ROLE = Roles.PAUSER_ROLE;
    /// @inheritdoc IAssetRegistry
    uint32 public constant MAX_GPU_COUNT = 1_000_000;
    /// @inheritdoc IAssetRegistry
    uint256 public constant MAX_CLAIM_BATCH = 64;
    /// @notice Cap of the protocol fee (the share token enforces the same cap).
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 1_000;

    /// @inheritdoc IAssetRegistry
    address public immutable shareTokenImplementation;

    /* STORAGE */

    /// @dev Read together on every registration: one slot.
    struct Config {
        address treasury;
        uint16 defaultProtocolFeeBps;
        uint64 assetCount;
    }

    Config private _config;
    mapping(uint256 assetId => AssetSpec) private _assets;
    mapping(address token => bool) private _paymentTokenAllowed;
    /// @dev Told of every inventory change (the metrics oracle caches attestations).
    address private _inventoryListener;
    address private _leaseManager;

    /* CONSTRUCTOR */

    /// @param admin Initial admin (DEFAULT_ADMIN_ROLE).
    /// @param adminTransferDelay Seconds a new admin must wait before accepting the role.
    /// @param shareTokenImplementation_ The ShareToken implementation to clone.
    /// @param treasury_ Receiver of protocol fees.
    /// @param defaultProtocolFeeBps_ Protocol fee given to new assets.
    constructor(
        address admin,
        uint48 adminTransferDelay,
        address shareTokenImplementation_,
        address treasury_,
        uint16 defaultProtocolFeeBps_
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        if (shareTokenImplementation_.code.length == 0) revert RegistryZeroAddress("shareTokenImplementation");
        if (treasury_ == address(0)) revert RegistryZeroAddress("treasury");
        if (defaultProtocolFeeBps_ > MAX_PROTOCOL_FEE_BPS) {
            revert RegistryProtocolFeeAboveCap(defaultProtocolFeeBps_, MAX_PROTOCOL_FEE_BPS);
        }
        shareTokenImplementation = shareTokenImplementation_;
        _config = Config(treasury_, defaultProtocolFeeBps_, 0);
        emit TreasuryUpdated(address(0), treasury_);
        emit DefaultProtocolFeeUpdated(0, defaultProtocolFeeBps_);
    }

    /* ASSETS */

    /// @inheritdoc IAssetRegistry
    function registerAsset(AssetRegistration calldata r)
        external
        onlyRole(OPERATOR_ROLE)
        whenNotPaused
        returns (uint256 assetId, address shareToken)
    {
        _validate(r);
        Config memory config = _config;
        assetId = uint256(config.assetCount) + 1;
        _config.assetCount = uint64(assetId);

        shareToken =
            Clones.cloneWithImmutableArgs(shareTokenImplementation, abi.encodePacked(address(this), r.paymentToken, uint64(assetId)));
        _assets[assetId] = AssetSpec({
            shareToken: shareToken,
            gpuCount: r.gpuCount,
            ratedPowerWatts: r.ratedPowerWatts,
            status: AssetStatus.Active,
            operator: r.operator,
            ratedTflops: r.ratedTflops,
            registeredAt: uint40(block.timestamp),
            inventoryHash: r.inventoryHash,
            gpuModel: r.gpuModel,
            region: r.region
        });
        // Our own freshly created clone: it calls nothing back.
        IShareToken(shareToken).initialize(
            r.owner, r.gpuCount, r.operatorFeeBps, config.defaultProtocolFeeBps, r.reserveBps
        );
        emit AssetRegistered(
            assetId,
            shareToken,
            r.operator,
            r.owner,
            r.paymentToken,
            r.gpuModel,
            r.gpuCount,
            r.ratedTflops,
            r.ratedPowerWatts,
            r.region,
            r.inventoryHash
        );
    }

    /// @inheritdoc IAssetRegistry
    function setAssetStatus(uint256 assetId, AssetStatus newStatus) external {
        AssetSpec storage asset = _assetOrRevert(assetId);
        _checkAssetOperatorOrAdmin(assetId, asset.operator);
        AssetStatus previous = asset.status;
        if (previous == AssetStatus.Retired || previous == newStatus) {
            revert RegistryInvalidStatusTransition(assetId, previous, newStatus);
        }
        asset.status = newStatus;
        emit AssetStatusChanged(assetId, previous, newStatus);
    }

    /// @inheritdoc IAssetRegistry
    function updateInventory(uint256 assetId, bytes32 newInventoryHash) external {
        AssetSpec storage asset = _assetOrRevert(assetId);
        _checkAssetOperatorOrAdmin(assetId, asset.operator);
        bytes32 previous = asset.inventoryHash;
        if (newInventoryHash == bytes32(0) || newInventoryHash == previous) {
            revert RegistryInvalidInventoryHash(assetId, newInventoryHash);
        }
        asset.inventoryHash = newInventoryHash;
        emit InventoryUpdated(assetId, previous, newInventoryHash);
        address listener = _inventoryListener;
        // The oracle must stop accepting reports against the old inventory in this same block.
        if (listener != address(0)) IInventoryListener(listener).onInventoryUpdated(assetId, newInventoryHash);
    }

    /// @inheritdoc IAssetRegistry
    function setInventoryListener(address listener) external onlyRole(DEFAULT_ADMIN_ROLE) {
        address previous = _inventoryListener;
        _inventoryListener = listener;
        emit InventoryListenerUpdated(previous, listener);
    }

    /// @inheritdoc IAssetRegistry
    function inventoryListener() external view returns (address) {
        return _inventoryListener;
    }

    /// @inheritdoc IAssetRegistry
    function setLeaseManager(address manager) external onlyRole(DEFAULT_ADMIN_ROLE) {
        address previous = _leaseManager;
        _leaseManager = manager;
        emit LeaseManagerUpdated(previous, manager);
    }

    /// @inheritdoc IAssetRegistry
    function leaseManager() external view returns (address) {
        return _leaseManager;
    }

    /* REVENUE */

    /// @inheritdoc IAssetRegistry
    function claimMany(uint256[] calldata assetIds) external returns (uint256[] memory amounts) {
        uint256 count = assetIds.length;
        if (count > MAX_CLAIM_BATCH) revert RegistryBatchTooLarge(count, MAX_CLAIM_BATCH);
        amounts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            amounts[i] = IShareToken(_assetOrRevert(assetIds[i]).shareToken).claimFor(msg.sender);
        }
    }

    /* ADMIN */

    /// @inheritdoc IAssetRegistry
    function setPaymentTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token.code.length == 0) revert RegistryZeroAddress("paymentToken");
        _paymentTokenAllowed[token] = allowed;
        emit PaymentTokenAllowed(token, allowed);
    }

    /// @inheritdoc IAssetRegistry
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert RegistryZeroAddress("treasury");
        address previous = _config.treasury;
        _config.treasury = newTreasury;
        emit TreasuryUpdated(previous, newTreasury);
    }

    /// @inheritdoc IAssetRegistry
    function setDefaultProtocolFeeBps(uint16 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bps > MAX_PROTOCOL_FEE_BPS) revert RegistryProtocolFeeAboveCap(bps, MAX_PROTOCOL_FEE_BPS);
        uint16 previous = _config.defaultProtocolFeeBps;
        _config.defaultProtocolFeeBps = bps;
        emit DefaultProtocolFeeUpdated(previous, bps);
    }

    /// @inheritdoc IAssetRegistry
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IAssetRegistry
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /* VIEWS */

    /// @inheritdoc IAssetRegistry
    function assetSpec(uint256 assetId) external view returns (AssetSpec memory) {
        return _assetOrRevert(assetId);
    }

    /// @inheritdoc IAssetRegistry
    function shareTokenOf(uint256 assetId) external view returns (address) {
        return _assetOrRevert(assetId).shareToken;
    }

    /// @inheritdoc IAssetRegistry
    function assetOperator(uint256 assetId) external view returns (address) {
        return _assetOrRevert(assetId).operator;
    }

    /// @inheritdoc IAssetRegistry
    function assetStatus(uint256 assetId) external view returns (AssetStatus) {
        return _assetOrRevert(assetId).status;
    }

    /// @inheritdoc IAssetRegistry
    function inventoryHashOf(uint256 assetId) external view returns (bytes32) {
        return _assetOrRevert(assetId).inventoryHash;
    }

    /// @inheritdoc IAssetRegistry
    function assetCount() external view returns (uint256) {
        return _config.assetCount;
    }

    /// @inheritdoc IAssetRegistry
    function isPaymentTokenAllowed(address token) external view returns (bool) {
        return _paymentTokenAllowed[token];
    }

    /// @inheritdoc IAssetRegistry
    function treasury() external view returns (address) {
        return _config.treasury;
    }

    /// @inheritdoc IAssetRegistry
    function defaultProtocolFeeBps() external view returns (uint16) {
        return _config.defaultProtocolFeeBps;
    }

    /// @inheritdoc IAssetRegistry
    function paused() public view override(IAssetRegistry, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IAssetRegistry
    function hasRole(bytes32 role, address account)
        public
        view
        override(IAssetRegistry, AccessControl, IAccessControl)
        returns (bool)
    {
        return super.hasRole(role, account);
    }

    /* INTERNAL */

    function _validate(AssetRegistration calldata r) private view {
        if (r.gpuModel == bytes32(0)) revert RegistryInvalidSpec("gpuModel", 0);
        if (r.gpuCount == 0 || r.gpuCount > MAX_GPU_COUNT) revert RegistryInvalidSpec("gpuCount", r.gpuCount);
        if (r.ratedTflops == 0) revert RegistryInvalidSpec("ratedTflops", 0);
        if (r.ratedPowerWatts == 0) revert RegistryInvalidSpec("ratedPowerWatts", 0);
        if (r.region == bytes32(0)) revert RegistryInvalidSpec("region", 0);
        if (r.inventoryHash == bytes32(0)) revert RegistryInvalidSpec("inventoryHash", 0);
        if (r.owner == address(0)) revert RegistryZeroAddress("owner");
        if (!hasRole(OPERATOR_ROLE, r.operator)) revert RegistryOperatorLacksRole(r.operator);
        if (!_paymentTokenAllowed[r.paymentToken]) revert RegistryPaymentTokenNotAllowed(r.paymentToken);
    }

    function _assetOrRevert(uint256 assetId) private view returns (AssetSpec storage asset) {
        asset = _assets[assetId];
        if (asset.shareToken == address(0)) revert RegistryUnknownAsset(assetId);
    }

    function _checkAssetOperatorOrAdmin(uint256 assetId, address operator) private view {
        if (msg.sender == operator && hasRole(OPERATOR_ROLE, operator)) return;
        if (hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) return;
        revert RegistryUnauthorizedAssetOperator(assetId, msg.sender);
    }
}
