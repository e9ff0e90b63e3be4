// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IMetricsOracle, Metric} from "./interfaces/IMetricsOracle.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {
    IShareValuator, Valuation, ValuationConfig, ValuationLegs, ValuationStatus
} from "./interfaces/IShareValuator.sol";
import {SharePriceFeed} from "./SharePriceFeed.sol";

/// @title ShareValuator: the lending value of one GPU share, computed from on-chain data only
/// @notice See IShareValuator. Both legs come from contracts of the suite: the hardware leg from
///         the admin's purchase record and the clock, the income leg from the share token's
///         revenue-per-share accumulator (checkpointed here) and the metrics oracle. The lower
///         leg is the price: revenue donated to pump the income leg cannot lift the price above
///         the depreciated hardware, and hardware idle for lack of lessees is worth its income.
contract ShareValuator is IShareValuator {
    using SafeCast for uint256;

    /// @notice Revenue checkpoints kept per asset (a ring). One is written per update at most
    ///         every revenueWindow / CHECKPOINTS_PER_WINDOW, so the ring spans four windows.
    uint256 public constant CHECKPOINTS = 32;
    uint256 public constant CHECKPOINTS_PER_WINDOW = 8;
    uint256 public constant YEAR = 365 days;
    uint256 internal constant BPS = 10_000;
    /// @notice Longest useful life and revenue window accepted (sanity bounds, not policy).
    uint256 public constant MAX_USEFUL_LIFE = 20 * 365 days;
    uint256 public constant MAX_REVENUE_WINDOW = 365 days;

    struct Checkpoint {
        uint40 timestamp;
        uint216 revenuePerShareE18;
    }

    /// @dev head = slot of the newest checkpoint; count = checkpoints held (at most CHECKPOINTS).
    struct CheckpointRing {
        uint8 head;
        uint8 count;
        Checkpoint[CHECKPOINTS] slots;
    }

    struct SequencerCheck {
        address feed;
        uint32 gracePeriod;
    }

    IAssetRegistry internal immutable _registry;
    IMetricsOracle internal immutable _oracle;

    SequencerCheck internal _sequencer;
    mapping(uint256 assetId => ValuationConfig) internal _configs;
    mapping(uint256 assetId => Valuation) internal _valuations;
    mapping(uint256 assetId => CheckpointRing) internal _rings;
    mapping(uint256 assetId => address) internal _feeds;

    constructor(IAssetRegistry registry_, IMetricsOracle oracle_) {
        _registry = registry_;
        _oracle = oracle_;
    }

    /* ADMIN */

    /// @inheritdoc IShareValuator
    function configure(uint256 assetId, ValuationConfig calldata config) external {
        _onlyAdmin();
        _registry.shareTokenOf(assetId); // reverts RegistryUnknownAsset for an unknown asset
        _checkConfig(config);
        _configs[assetId] = config;
        // New parameters take effect only through a fresh update; the round count goes on.
        _valuations[assetId] = Valuation(0, 0, 0, ValuationStatus.None, _valuations[assetId].round);
        emit ValuationConfigured(assetId, config);
        if (_feeds[assetId] == address(0)) {
            address feed = address(new SharePriceFeed(this, assetId));
            _feeds[assetId] = feed;
            emit PriceFeedCreated(assetId, feed);
        }
    }

    /// @inheritdoc IShareValuator
    function setSequencerFeed(address feed, uint32 gracePeriod) external {
        _onlyAdmin();
        _sequencer = SequencerCheck(feed, gracePeriod);
        emit SequencerFeedSet(feed, gracePeriod);
    }

    /* KEEPER */

    /// @inheritdoc IShareValuator
    function update(uint256 assetId) external returns (Valuation memory valuation) {
        ValuationConfig memory config = _configured(assetId);
        _checkpoint(assetId, config);
        (ValuationStatus status, uint256 price, ValuationLegs memory legs) = _compute(assetId, config);
        valuation = Valuation({
            price: price.toUint128(),
            updatedAt: uint40(block.timestamp),
            maxAge: config.maxPriceAge,
            status: status,
            round: _valuations[assetId].round + 1
        });
        _valuations[assetId] = valuation;
        emit ValuationUpdated(
            assetId, status, price, legs.hardwareValue, legs.incomeValue, legs.utilizationBps, valuation.round
        );
    }

    /* VIEWS */

    /// @inheritdoc IShareValuator
    function preview(uint256 assetId)
        external
        view
        returns (ValuationStatus status, uint256 price, ValuationLegs memory legs)
    {
        return _compute(assetId, _configured(assetId));
    }

    /// @inheritdoc IShareValuator
    function priceOf(uint256 assetId) external view returns (uint256) {
        Valuation memory valuation = okValuationOf(assetId);
        if (block.timestamp > uint256(valuation.updatedAt) + valuation.maxAge) {
            revert ValuationStale(assetId, valuation.updatedAt, valuation.maxAge);
        }
        _checkSequencer();
        return valuation.price;
    }

    /// @inheritdoc IShareValuator
    function okValuationOf(uint256 assetId) public view returns (Valuation memory valuation) {
        valuation = _valuations[assetId];
        if (valuation.status == ValuationStatus.Ok) return valuation;
        if (valuation.status == ValuationStatus.Zero) revert ValuationZero(assetId);
        if (valuation.status == ValuationStatus.OutOfBounds) {
            ValuationConfig storage config = _configs[assetId];
            revert ValuationOutOfBounds(assetId, valuation.price, config.minPrice, config.maxPrice);
        }
        revert ValuationUnavailable(assetId, valuation.status);
    }

    /// @inheritdoc IShareValuator
    function valuationOf(uint256 assetId) external view returns (Valuation memory) {
        return _valuations[assetId];
    }

    /// @inheritdoc IShareValuator
    function configOf(uint256 assetId) external view returns (ValuationConfig memory) {
        return _configs[assetId];
    }

    /// @inheritdoc IShareValuator
    function feedOf(uint256 assetId) external view returns (address) {
        return _feeds[assetId];
    }

    /// @inheritdoc IShareValuator
    function latestCheckpoint(uint256 assetId)
        external
        view
        returns (uint256 count, uint256 timestamp, uint256 revenuePerShareE18)
    {
        CheckpointRing storage ring = _rings[assetId];
        count = ring.count;
        if (count != 0) {
            Checkpoint memory newest = ring.slots[ring.head];
            (timestamp, revenuePerShareE18) = (newest.timestamp, newest.revenuePerShareE18);
        }
    }

    /// @notice The sequencer check in force: feed (address(0) = off) and grace period.
    function sequencerFeed() external view returns (address feed, uint32 gracePeriod) {
        return (_sequencer.feed, _sequencer.gracePeriod);
    }

    /// @inheritdoc IShareValuator
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IShareValuator
    function oracle() external view returns (address) {
        return address(_oracle);
    }

    /* INTERNAL */

    function _onlyAdmin() internal view {
        if (!_registry.hasRole(bytes32(0), msg.sender)) revert ValuationUnauthorized(msg.sender);
    }

    function _configured(uint256 assetId) internal view returns (ValuationConfig memory config) {
        config = _configs[assetId];
        if (config.usefulLife == 0) revert ValuationNotConfigured(assetId);
    }

    function _checkConfig(ValuationConfig calldata c) internal view {
        if (c.purchaseValue == 0) revert ValuationBadParameter("purchaseValue", 0);
        if (c.purchasedAt > block.timestamp) revert ValuationBadParameter("purchasedAt", c.purchasedAt);
        if (c.usefulLife == 0 || c.usefulLife > MAX_USEFUL_LIFE) revert ValuationBadParameter("usefulLife", c.usefulLife);
        if (c.salvageBps > BPS) revert ValuationBadParameter("salvageBps", c.salvageBps);
        if (c.capRateBps == 0 || c.capRateBps > BPS) revert ValuationBadParameter("capRateBps", c.capRateBps);
        if (c.utilizationWindow == 0 || c.utilizationWindow > _oracle.RING_SIZE()) {
            revert ValuationBadParameter("utilizationWindow", c.utilizationWindow);
        }
        if (c.revenueWindow < CHECKPOINTS_PER_WINDOW || c.revenueWindow > MAX_REVENUE_WINDOW) {
            revert ValuationBadParameter("revenueWindow", c.revenueWindow);
        }
        if (c.maxMetricsAge == 0) revert ValuationBadParameter("maxMetricsAge", 0);
        if (c.maxPriceAge == 0) revert ValuationBadParameter("maxPriceAge", 0);
        if (c.minPrice == 0) revert ValuationBadParameter("minPrice", 0);
        if (c.maxPrice < c.minPrice) revert ValuationBadParameter("maxPrice", c.maxPrice);
    }

    /// @dev Writes a checkpoint of the revenue accumulator when the ring is empty or the newest
    ///      one is at least revenueWindow / CHECKPOINTS_PER_WINDOW old.
    function _checkpoint(uint256 assetId, ValuationConfig memory config) internal {
        CheckpointRing storage ring = _rings[assetId];
        uint256 count = ring.count;
        uint256 head = ring.head;
        if (count != 0) {
            uint256 spacing = config.revenueWindow / CHECKPOINTS_PER_WINDOW;
            if (block.timestamp < uint256(ring.slots[head].timestamp) + spacing) return;
            head = (head + 1) % CHECKPOINTS;
        }
        uint256 rps = _revenuePerShare(assetId);
        ring.slots[head] = Checkpoint(uint40(block.timestamp), rps.toUint216());
        ring.head = uint8(head);
        if (count < CHECKPOINTS) ring.count = uint8(count + 1);
        emit RevenueCheckpointed(assetId, block.timestamp, rps);
    }

    function _compute(uint256 assetId, ValuationConfig memory config)
        internal
        view
        returns (ValuationStatus status, uint256 price, ValuationLegs memory legs)
    {
        legs.hardwareValue = _hardwareValue(config);
        bool found;
        (found, legs.annualIncome, legs.windowSeconds) = _annualIncome(assetId, config.revenueWindow);
        if (!found) return (ValuationStatus.HistoryTooShort, 0, legs);

        (bool exists, uint32 latest) = _oracle.latestEpoch(assetId);
        if (!exists) return (ValuationStatus.NoMetrics, 0, legs);
        if (block.timestamp > _oracle.epochStart(uint256(latest) + 1) + config.maxMetricsAge) {
            return (ValuationStatus.MetricsStale, 0, legs);
        }
        legs.utilizationBps = _trailingUtilization(assetId, latest, config.utilizationWindow);

        legs.incomeValue = legs.annualIncome * legs.utilizationBps / config.capRateBps;
        price = legs.hardwareValue < legs.incomeValue ? legs.hardwareValue : legs.incomeValue;
        if (price == 0) return (ValuationStatus.Zero, 0, legs);
        if (price < config.minPrice || price > config.maxPrice) return (ValuationStatus.OutOfBounds, price, legs);
        return (ValuationStatus.Ok, price, legs);
    }

    /// @dev Mean utilization over the `window` epochs that ended last. Epochs without a valid
    ///      report count as idle, and so do ended epochs after the newest report: withholding
    ///      the reports of a slump cannot keep the value up.
    function _trailingUtilization(uint256 assetId, uint256 latest, uint256 window) internal view returns (uint256) {
        uint256 current = _oracle.epochAt(block.timestamp);
        // Ended epochs not reported yet (reports exist only for ended epochs: latest < current).
        uint256 unreported = current - 1 - latest;
        if (unreported >= window) return 0;
        (uint256 average, uint256 count) = _oracle.trailingAverage(assetId, Metric.Utilization, window - unreported);
        return average * count / window;
    }

    /// @dev Straight-line depreciation from purchaseValue to the salvage value over the life.
    function _hardwareValue(ValuationConfig memory config) internal view returns (uint256) {
        uint256 age = block.timestamp - config.purchasedAt;
        uint256 salvage = uint256(config.purchaseValue) * config.salvageBps / BPS;
        if (age >= config.usefulLife) return salvage;
        return salvage + (uint256(config.purchaseValue) - salvage) * (config.usefulLife - age) / config.usefulLife;
    }

    /// @dev Revenue per whole share since the newest checkpoint at least `window` old, per year.
    ///      The share token's accumulator is scaled so that its increase is exactly the
    ///      payment-token amount one whole share (1e18 units) earned.
    function _annualIncome(uint256 assetId, uint256 window)
        internal
        view
        returns (bool found, uint256 annualIncome, uint256 elapsed)
    {
        (bool ok, Checkpoint memory start) = _checkpointAtOrBefore(assetId, block.timestamp - window);
        if (!ok) return (false, 0, 0);
        elapsed = block.timestamp - start.timestamp;
        uint256 earned = _revenuePerShare(assetId) - start.revenuePerShareE18;
        return (true, earned * YEAR / elapsed, elapsed);
    }

    /// @dev Binary search of the ring, oldest to newest, for the newest checkpoint at or before
    ///      `cutoff`.
    function _checkpointAtOrBefore(uint256 assetId, uint256 cutoff)
        internal
        view
        returns (bool found, Checkpoint memory result)
    {
        CheckpointRing storage ring = _rings[assetId];
        uint256 count = ring.count;
        if (count == 0) return (false, result);
        uint256 oldest = (ring.head + CHECKPOINTS + 1 - count) % CHECKPOINTS;
        uint256 low = 0;
        uint256 high = count; // search [low, high) for the first checkpoint after the cutoff
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (ring.slots[(oldest + mid) % CHECKPOINTS].timestamp <= cutoff) low = mid + 1;
            else high = mid;
        }
        if (low == 0) return (false, result);
        return (true, ring.slots[(oldest + low - 1) % CHECKPOINTS]);
    }

    function _revenuePerShare(uint256 assetId) internal view returns (uint256) {
        return IShareToken(_registry.shareTokenOf(assetId)).revenuePerShareE18();
    }

    /// @dev Chainlink's L2 sequencer uptime feed: answer 0 = up, 1 = down; startedAt = when the
    ///      status last changed. Prices wait out the grace period after the sequencer returns.
    function _checkSequencer() internal view {
        SequencerCheck memory check = _sequencer;
        if (check.feed == address(0)) return;
        (, int256 answer, uint256 startedAt,,) = AggregatorV3Interface(check.feed).latestRoundData();
        // startedAt 0 is an invalid round (Chainlink's guidance): no proof the sequencer is up.
        if (answer != 0 || startedAt == 0) revert ValuationSequencerDown();
        if (block.timestamp < startedAt + check.gracePeriod) {
            revert ValuationSequencerGracePeriod(startedAt, startedAt + check.gracePeriod);
        }
    }
}
