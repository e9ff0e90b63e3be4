// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ILeaseTerms, LeasePricing, LeasePolicy, LeaseQuote} from "./interfaces/ILeaseTerms.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {LeaseMath} from "./libraries/LeaseMath.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title LeaseTerms: price lists, lease policies and lessee allow lists of assets
/// @notice See `ILeaseTerms`. Kept apart from the lease manager, which reads it once per lease.
contract LeaseTerms is ILeaseTerms {
    /// @inheritdoc ILeaseTerms
    uint256 public constant MAX_BATCH = 50;
    /// @notice Longest lease, in epochs (10 years of hours).
    uint32 public constant MAX_LEASE_EPOCHS = 87_600;
    /// @notice Cap on the termination fee.
    uint16 public constant MAX_TERMINATION_FEE_BPS = 5_000;
    /// @notice Cap on the premium of the dynamic curve (10x the base price at full booking).
    uint32 public constant MAX_PREMIUM_BPS = 100_000;

    /// @dev Three slots per asset; `quote` reads all three.
    struct AssetTerms {
        address paymentToken;
        uint96 basePricePerGpuHour;
        bool configured;
        bool dynamic;
        bool allowListEnabled;
        uint16 targetUtilizationBps;
        uint32 maxPremiumBps;
        LeasePolicy policy;
    }

    IAssetRegistry private immutable _registry;
    mapping(uint256 assetId => AssetTerms) private _terms;
    mapping(uint256 assetId => mapping(address account => bool)) private _allowed;

    constructor(address registry_) {
        if (registry_ == address(0)) revert LeaseInvalidConfig("registry", 0);
        _registry = IAssetRegistry(registry_);
    }

    /* OPERATORS */

    /// @inheritdoc ILeaseTerms
    function setPricing(uint256 assetId, LeasePricing calldata pricing) external {
        _checkOperator(assetId);
        if (pricing.basePricePerGpuHour == 0) revert LeaseInvalidConfig("basePricePerGpuHour", 0);
        if (pricing.targetUtilizationBps > LeaseMath.BPS) {
            revert LeaseInvalidConfig("targetUtilizationBps", pricing.targetUtilizationBps);
        }
        if (pricing.maxPremiumBps > MAX_PREMIUM_BPS) revert LeaseInvalidConfig("maxPremiumBps", pricing.maxPremiumBps);
        AssetTerms storage terms = _terms[assetId];
        terms.basePricePerGpuHour = pricing.basePricePerGpuHour;
        terms.dynamic = pricing.dynamic;
        terms.targetUtilizationBps = pricing.targetUtilizationBps;
        terms.maxPremiumBps = pricing.maxPremiumBps;
        emit PricingUpdated(assetId, pricing);
        if (terms.configured) return;
        terms.configured = true;
        terms.paymentToken = IShareToken(_registry.shareTokenOf(assetId)).paymentToken();
        if (terms.policy.maxEpochs == 0) {
            // Until the operator sets its own: a 99% uptime SLA, 10% termination fee, 10%
            // preemption compensation, 24 epochs of notice, leases of 1 epoch to 8,760 epochs.
            LeasePolicy memory policy = LeasePolicy(9_900, 1_000, 1_000, 24, 1, 8_760);
            terms.policy = policy;
            emit PolicyUpdated(assetId, policy);
        }
    }

    /// @inheritdoc ILeaseTerms
    function setPolicy(uint256 assetId, LeasePolicy calldata policy) external {
        _checkOperator(assetId);
        if (policy.uptimeTargetBps > LeaseMath.BPS) revert LeaseInvalidConfig("uptimeTargetBps", policy.uptimeTargetBps);
        if (policy.terminationFeeBps > MAX_TERMINATION_FEE_BPS) {
            revert LeaseInvalidConfig("terminationFeeBps", policy.terminationFeeBps);
        }
        if (policy.compensationBps > LeaseMath.BPS) revert LeaseInvalidConfig("compensationBps", policy.compensationBps);
        if (policy.noticeEpochs > MAX_LEASE_EPOCHS) revert LeaseInvalidConfig("noticeEpochs", policy.noticeEpochs);
        if (policy.minEpochs == 0) revert LeaseInvalidConfig("minEpochs", 0);
        if (policy.maxEpochs < policy.minEpochs || policy.maxEpochs > MAX_LEASE_EPOCHS) {
            revert LeaseInvalidConfig("maxEpochs", policy.maxEpochs);
        }
        _terms[assetId].policy = policy;
        emit PolicyUpdated(assetId, policy);
    }

    /* COMPLIANCE */

    /// @inheritdoc ILeaseTerms
    function setLesseeAllowListEnabled(uint256 assetId, bool enabled) external {
        _checkCompliance(assetId);
        _terms[assetId].allowListEnabled = enabled;
        emit LesseeAllowListEnabled(assetId, enabled);
    }

    /// @inheritdoc ILeaseTerms
    function setLesseeAllowed(uint256 assetId, address[] calldata accounts, bool allowed) external {
        _checkCompliance(assetId);
        if (accounts.length > MAX_BATCH) revert LeaseBatchTooLarge(accounts.length, MAX_BATCH);
        mapping(address => bool) storage list = _allowed[assetId];
        for (uint256 i; i < accounts.length; ++i) {
            list[accounts[i]] = allowed;
            emit LesseeAllowed(assetId, accounts[i], allowed);
        }
    }

    /* PRICING */

    /// @inheritdoc ILeaseTerms
    function quote(
        uint256 assetId,
        address lessee,
        uint256 gpus,
        uint256 epochs,
        uint256 epochSeconds,
        uint256 booked0,
        uint256 booked1,
        uint256 gpuCount
    ) external view returns (LeaseQuote memory q) {
        AssetTerms storage terms = _terms[assetId];
        if (!terms.configured) revert LeaseAssetNotConfigured(assetId);
        if (lessee != address(0) && terms.allowListEnabled && !_allowed[assetId][lessee]) {
            revert LeaseLesseeNotAllowed(assetId, lessee);
        }
        uint256 mean = LeaseMath.meanPrice(
            terms.basePricePerGpuHour,
            terms.dynamic,
            terms.targetUtilizationBps,
            terms.maxPremiumBps,
            gpuCount,
            booked0,
            booked1
        );
        if (mean > type(uint96).max) revert LeaseAmountOverflow(mean);
        q.total = LeaseMath.epochCharge(gpus, mean, epochSeconds) * epochs;
        // Zero epochs is a bad duration, which the lease manager reports with the policy's bounds.
        if (q.total == 0 && epochs != 0) revert LeaseZeroPrice(assetId);
        if (q.total > type(uint128).max) revert LeaseAmountOverflow(q.total);
        q.paymentToken = terms.paymentToken;
        q.pricePerGpuHour = uint96(mean);
        q.policy = terms.policy;
    }

    /* VIEWS */

    /// @inheritdoc ILeaseTerms
    function pricingOf(uint256 assetId) external view returns (LeasePricing memory) {
        AssetTerms storage terms = _terms[assetId];
        return LeasePricing(terms.basePricePerGpuHour, terms.dynamic, terms.targetUtilizationBps, terms.maxPremiumBps);
    }

    /// @inheritdoc ILeaseTerms
    function policyOf(uint256 assetId) external view returns (LeasePolicy memory) {
        return _terms[assetId].policy;
    }

    /// @inheritdoc ILeaseTerms
    function isConfigured(uint256 assetId) external view returns (bool) {
        return _terms[assetId].configured;
    }

    /// @inheritdoc ILeaseTerms
    function paymentTokenOf(uint256 assetId) external view returns (address) {
        return _terms[assetId].paymentToken;
    }

    /// @inheritdoc ILeaseTerms
    function isLesseeAllowed(uint256 assetId, address account) external view returns (bool) {
        return !_terms[assetId].allowListEnabled || _allowed[assetId][account];
    }

    /// @inheritdoc ILeaseTerms
    function lesseeAllowListEnabled(uint256 assetId) external view returns (bool) {
        return _terms[assetId].allowListEnabled;
    }

    /// @inheritdoc ILeaseTerms
    function registry() external view returns (address) {
        return address(_registry);
    }

    /* INTERNAL */

    function _checkOperator(uint256 assetId) private view {
        address operator = _registry.assetOperator(assetId); // reverts for an unknown asset
        if (msg.sender == operator && _registry.hasRole(Roles.OPERATOR_ROLE, operator)) return;
        if (_registry.hasRole(bytes32(0), msg.sender)) return;
        revert LeaseUnauthorizedOperator(assetId, msg.sender);
    }

    function _checkCompliance(uint256 assetId) private view {
        if (!_registry.hasRole(Roles.COMPLIANCE_ROLE, msg.sender)) {
            revert LeaseUnauthorized(msg.sender, Roles.COMPLIANCE_ROLE);
        }
        _registry.assetStatus(assetId); // reverts for an unknown asset
    }
}
