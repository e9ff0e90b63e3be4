// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice An asset's price list, set by its operator.
/// @param basePricePerGpuHour Price of one GPU for one hour, in payment-token units.
/// @param dynamic Whether the premium curve applies.
/// @param targetUtilizationBps Booked share of the asset's GPUs above which the premium starts.
/// @param maxPremiumBps Premium over the base price when every GPU is booked (linear in between).
struct LeasePricing {
    uint96 basePricePerGpuHour;
    bool dynamic;
    uint16 targetUtilizationBps;
    uint32 maxPremiumBps;
}

/// @notice An asset's lease policy, set by its operator; copied into each lease when it opens.
/// @param uptimeTargetBps SLA: uptime below this in an epoch credits the lessee pro rata.
/// @param terminationFeeBps Part of the unused escrow paid to holders when a lessee terminates.
/// @param compensationBps Paid by the operator on top of the refund when it preempts, as a part
///        of the unused escrow.
/// @param noticeEpochs Whole epochs of notice the operator must give before preemption.
/// @param minEpochs Shortest lease (and shortest extension), in epochs.
/// @param maxEpochs Longest lease, in epochs, extensions included.
struct LeasePolicy {
    uint16 uptimeTargetBps;
    uint16 terminationFeeBps;
    uint16 compensationBps;
    uint32 noticeEpochs;
    uint32 minEpochs;
    uint32 maxEpochs;
}

/// @notice What a lease of given size costs now, with the policy it would be opened under.
/// @param paymentToken The asset's stablecoin.
/// @param total Price of the whole lease: epochs x floor(gpus x price x epochSeconds / 3600).
/// @param pricePerGpuHour Mean price per GPU-hour over the GPUs the lease books.
/// @param policy The asset's current lease policy.
struct LeaseQuote {
    address paymentToken;
    uint256 total;
    uint96 pricePerGpuHour;
    LeasePolicy policy;
}

/// @title ILeaseTerms: each asset's price list, lease policy and lessee allow list
/// @notice Operators set the price list (base price per GPU-hour and an optional premium curve
///         above a target booked utilization) and the policy (SLA uptime target, termination
///         fee, preemption notice and compensation, lease length bounds). The compliance role
///         keeps an optional per-asset allow list of lessees (renter compliance, ERC-7943 style).
///         The lease manager prices and checks every lease here.
/// @dev Pricing: utilization is the booked share of the asset's GPUs (the lease manager's
///      capacity counter), not the oracle's measured utilization: it is known exactly when the
///      lessee signs, cannot move between quote and payment except by other bookings, and
///      cannot be pushed by reports. A lease pays the curve's mean over the GPUs it books:
///      price(u) = base x (1 + maxPremium x max(0, u - target) / (1 - target)).
interface ILeaseTerms {
    /* EVENTS */

    /// @notice An asset's price list changed (applies to leases and extensions from now on).
    event PricingUpdated(uint256 indexed assetId, LeasePricing pricing);

    /// @notice An asset's lease policy changed (applies to leases opened from now on).
    event PolicyUpdated(uint256 indexed assetId, LeasePolicy policy);

    /// @notice The lessee allow list of an asset was switched on or off.
    event LesseeAllowListEnabled(uint256 indexed assetId, bool enabled);

    /// @notice `account` was added to or removed from an asset's lessee allow list.
    event LesseeAllowed(uint256 indexed assetId, address indexed account, bool allowed);

    /* ERRORS */

    /// @notice The asset has no price list yet (its operator must set one).
    error LeaseAssetNotConfigured(uint256 assetId);
    /// @notice The price works out to nothing (price too low for the epoch length).
    error LeaseZeroPrice(uint256 assetId);
    /// @notice The lessee (or position recipient) is not on the asset's allow list.
    error LeaseLesseeNotAllowed(uint256 assetId, address account);
    /// @notice The caller is neither the asset's operator nor the admin.
    error LeaseUnauthorizedOperator(uint256 assetId, address caller);
    /// @notice The caller lacks the role this call needs.
    error LeaseUnauthorized(address caller, bytes32 role);
    /// @notice A policy or pricing field is out of range.
    error LeaseInvalidConfig(bytes32 field, uint256 value);
    /// @notice A list is longer than the maximum.
    error LeaseBatchTooLarge(uint256 size, uint256 maxSize);
    /// @notice A value does not fit its storage type.
    error LeaseAmountOverflow(uint256 value);

    /* OPERATORS */

    /// @notice Sets an asset's price list; the first one enables leasing the asset (with the
    ///         default policy until `setPolicy`). Asset operator or admin.
    function setPricing(uint256 assetId, LeasePricing calldata pricing) external;

    /// @notice Sets an asset's lease policy for leases opened from now on. Asset operator or admin.
    function setPolicy(uint256 assetId, LeasePolicy calldata policy) external;

    /* COMPLIANCE */

    /// @notice Switches an asset's lessee allow list on or off. Compliance role.
    function setLesseeAllowListEnabled(uint256 assetId, bool enabled) external;

    /// @notice Adds accounts to or removes them from an asset's lessee allow list. Compliance
    ///         role; at most MAX_BATCH accounts.
    function setLesseeAllowed(uint256 assetId, address[] calldata accounts, bool allowed) external;

    /* PRICING */

    /// @notice Prices `gpus` GPUs for `epochs` epochs of `epochSeconds` when the asset's booked
    ///         GPUs go from `booked0` to `booked1` (equal for an extension) out of `gpuCount`,
    ///         and checks that `lessee` may lease (skipped for the zero address).
    /// @dev Reverts for an unconfigured asset, a lessee not allowed, a zero price (for a positive
    ///      number of epochs) or overflow. Durations are the lease manager's to check.
    function quote(
        uint256 assetId,
        address lessee,
        uint256 gpus,
        uint256 epochs,
        uint256 epochSeconds,
        uint256 booked0,
        uint256 booked1,
        uint256 gpuCount
    ) external view returns (LeaseQuote memory);

    /* VIEWS */

    /// @notice An asset's price list.
    function pricingOf(uint256 assetId) external view returns (LeasePricing memory);

    /// @notice An asset's lease policy.
    function policyOf(uint256 assetId) external view returns (LeasePolicy memory);

    /// @notice Whether the asset has a price list (may be leased).
    function isConfigured(uint256 assetId) external view returns (bool);

    /// @notice The asset's payment token, cached when its first price list was set.
    function paymentTokenOf(uint256 assetId) external view returns (address);

    /// @notice Whether `account` may hold leases of the asset (true when its allow list is off).
    function isLesseeAllowed(uint256 assetId, address account) external view returns (bool);

    /// @notice Whether the asset's lessee allow list is on.
    function lesseeAllowListEnabled(uint256 assetId) external view returns (bool);

    /// @notice The registry whose roles and assets these terms follow.
    function registry() external view returns (address);

    /// @notice Longest list a batch call takes.
    function MAX_BATCH() external view returns (uint256);
}
