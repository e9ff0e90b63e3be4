// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice How an asset's shares are valued (one set per asset, by the admin).
/// @param purchaseValue Hardware value of one whole share when bought, in the asset's payment
///        token's smallest units.
/// @param purchasedAt When the hardware was bought (unix seconds); depreciation starts there.
/// @param usefulLife Seconds over which the hardware depreciates linearly to its salvage value.
/// @param salvageBps Value left at the end of the useful life, in basis points of purchaseValue.
/// @param capRateBps Annual capitalization rate of income: income value = annual income / rate.
/// @param utilizationWindow Ended oracle epochs of trailing utilization that scale the income
///        value; epochs without a valid report (missing, voided, not yet reported) count as idle.
/// @param revenueWindow Seconds of trailing revenue per share annualized into income (at least).
/// @param maxMetricsAge Seconds after the end of the newest reported epoch before metrics count
///        as stale.
/// @param maxPriceAge Seconds a stored valuation stays usable for lending.
/// @param minPrice Lowest acceptable price per whole share (at least 1).
/// @param maxPrice Highest acceptable price per whole share.
struct ValuationConfig {
    uint128 purchaseValue;
    uint40 purchasedAt;
    uint40 usefulLife;
    uint16 salvageBps;
    uint16 capRateBps;
    uint16 utilizationWindow;
    uint40 revenueWindow;
    uint40 maxMetricsAge;
    uint40 maxPriceAge;
    uint128 minPrice;
    uint128 maxPrice;
}

/// @notice Outcome of the latest valuation of an asset. Only `Ok` prices are ever answered.
enum ValuationStatus {
    None,
    Ok,
    HistoryTooShort,
    NoMetrics,
    MetricsStale,
    Zero,
    OutOfBounds
}

/// @notice The stored valuation of one asset (price per whole share in payment-token units).
struct Valuation {
    uint128 price;
    uint40 updatedAt;
    uint40 maxAge;
    ValuationStatus status;
    uint32 round;
}

/// @notice What one valuation computed, leg by leg.
/// @param hardwareValue Depreciated hardware value per share.
/// @param incomeValue Capitalized trailing income per share, scaled by utilization.
/// @param annualIncome Trailing revenue per share, annualized.
/// @param utilizationBps Trailing mean utilization from the oracle.
/// @param windowSeconds Length of the revenue window actually used.
struct ValuationLegs {
    uint256 hardwareValue;
    uint256 incomeValue;
    uint256 annualIncome;
    uint256 utilizationBps;
    uint256 windowSeconds;
}

/// @title IShareValuator: on-chain value of one GPU share
/// @notice price = min(hardware value depreciating over its life, income value), where income
///         value = trailing net revenue per share (from the share token's revenue accumulator,
///         over at least `revenueWindow`) annualized, capitalized at `capRateBps`, and scaled by
///         the oracle's trailing utilization. `update` (anyone, e.g. a keeper) computes and
///         stores it and checkpoints the revenue accumulator; readers get the stored price,
///         refused when it is not Ok, stale, or while an L2 sequencer is down.
interface IShareValuator {
    /// @notice The admin set the asset's valuation parameters.
    event ValuationConfigured(uint256 indexed assetId, ValuationConfig config);
    /// @notice A valuation was computed and stored, with both legs and the utilization used.
    event ValuationUpdated(
        uint256 indexed assetId,
        ValuationStatus status,
        uint256 price,
        uint256 hardwareValue,
        uint256 incomeValue,
        uint256 utilizationBps,
        uint32 round
    );
    /// @notice The share token's revenue accumulator was checkpointed.
    event RevenueCheckpointed(uint256 indexed assetId, uint256 timestamp, uint256 revenuePerShareE18);
    /// @notice The asset's SharePriceFeed was created.
    event PriceFeedCreated(uint256 indexed assetId, address feed);
    /// @notice The L2 sequencer uptime feed (address(0) = off) and grace period were set.
    event SequencerFeedSet(address feed, uint32 gracePeriod);

    /// @notice Only the registry's admin may do this.
    error ValuationUnauthorized(address caller);
    /// @notice The asset has no valuation parameters.
    error ValuationNotConfigured(uint256 assetId);
    /// @notice A parameter (`field`) outside its bounds.
    error ValuationBadParameter(bytes32 field, uint256 value);
    /// @notice The stored valuation is not usable (`status`: none yet, history too short, no
    ///         or stale metrics).
    error ValuationUnavailable(uint256 assetId, ValuationStatus status);
    /// @notice The stored valuation is zero (no revenue or no utilization).
    error ValuationZero(uint256 assetId);
    /// @notice The stored price is outside the admin's bounds.
    error ValuationOutOfBounds(uint256 assetId, uint256 price, uint256 minPrice, uint256 maxPrice);
    /// @notice The stored valuation is older than `maxAge` seconds.
    error ValuationStale(uint256 assetId, uint256 updatedAt, uint256 maxAge);
    /// @notice The L2 sequencer is down (or its status round never started).
    error ValuationSequencerDown();
    /// @notice The sequencer came back at `upSince`; prices are usable from `usableFrom`.
    error ValuationSequencerGracePeriod(uint256 upSince, uint256 usableFrom);

    /// @notice Sets an asset's valuation parameters (admin). Resets its stored valuation, so
    ///         the new parameters take effect only through `update`; creates its price feed the
    ///         first time. An unknown asset reverts with the registry's RegistryUnknownAsset.
    function configure(uint256 assetId, ValuationConfig calldata config) external;

    /// @notice Optional L2 sequencer uptime feed (Chainlink layout; 0 = up, 1 = down; a round
    ///         with startedAt 0 counts as down) and the grace period after it comes back;
    ///         address(0) switches the check off (admin). Checked by `priceOf` (and so by the
    ///         feed's Morpho `price()`), not by the Chainlink reads, whose readers check it.
    function setSequencerFeed(address feed, uint32 gracePeriod) external;

    /// @notice Checkpoints the revenue accumulator, computes the valuation and stores it. Never
    ///         reverts for missing data: the status says what is missing and readers refuse it.
    function update(uint256 assetId) external returns (Valuation memory);

    /// @notice What `update` would compute now (without storing).
    function preview(uint256 assetId) external view returns (ValuationStatus status, uint256 price, ValuationLegs memory legs);

    /// @notice The stored price per whole share, checked: Ok status, not stale, sequencer up.
    function priceOf(uint256 assetId) external view returns (uint256 price);

    /// @notice The stored valuation as is, unchecked.
    function valuationOf(uint256 assetId) external view returns (Valuation memory);

    /// @notice The stored valuation when its status is Ok, whatever its age (for Chainlink
    ///         readers, who judge `updatedAt` themselves).
    function okValuationOf(uint256 assetId) external view returns (Valuation memory);

    /// @notice The asset's valuation parameters.
    function configOf(uint256 assetId) external view returns (ValuationConfig memory);

    /// @notice The asset's price feed (AggregatorV3Interface and Morpho IOracle).
    function feedOf(uint256 assetId) external view returns (address);

    /// @notice Number of revenue checkpoints held (at most CHECKPOINTS) and the newest one.
    function latestCheckpoint(uint256 assetId) external view returns (uint256 count, uint256 timestamp, uint256 revenuePerShareE18);

    /// @notice The asset registry (shares, admin role).
    function registry() external view returns (address);

    /// @notice The metrics oracle (utilization).
    function oracle() external view returns (address);
}
