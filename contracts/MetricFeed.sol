// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LibString} from "solady/utils/LibString.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IMetricsOracle, MetricsReport, Metric} from "./interfaces/IMetricsOracle.sol";

/// @title MetricFeed: one (asset, metric) of the metrics oracle as a Chainlink price feed
/// @notice Integrators read `latestRoundData()` exactly as from any Chainlink feed. A round is an
///         epoch: roundId = epoch + 1 (round 0 never exists), startedAt = the epoch's first
///         second, updatedAt = when its report was accepted, answeredInRound = roundId.
///         Voided (successfully challenged) reports are never answered: `latestRoundData`
///         returns the newest valid report, whose older `updatedAt` the reader's staleness check
///         then judges; `getRoundData` of a voided round reverts.
/// @dev Decimals: Utilization and Uptime 4 (10,000 = 1.0, i.e. basis points), GpuHours 3
///      (milli-GPU-hours), Energy 0 (Wh), AvgPower 0 (W), Efficiency 0 (GFLOPS per watt).
contract MetricFeed is AggregatorV3Interface {
    /// @notice The oracle this feed reads.
    IMetricsOracle public immutable oracle;
    /// @notice The asset this feed reports on.
    uint256 public immutable assetId;
    /// @notice The metric this feed reports.
    Metric public immutable metric;

    /// @notice No valid report is held for the asset.
    error FeedNoValidReport(uint256 assetId);
    /// @notice roundId 0 never exists (round = epoch + 1).
    error FeedUnknownRound(uint80 roundId);

    constructor(IMetricsOracle oracle_, uint256 assetId_, Metric metric_) {
        oracle = oracle_;
        assetId = assetId_;
        metric = metric_;
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        if (metric == Metric.Utilization || metric == Metric.Uptime) return 4;
        if (metric == Metric.GpuHours) return 3;
        return 0;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return string.concat("compute-rwa asset ", LibString.toString(assetId), " ", _metricName());
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (roundId == 0) revert FeedUnknownRound(roundId);
        uint256 epoch = roundId - 1;
        (uint256 value, uint256 at) = oracle.metricAt(assetId, epoch, metric);
        return (roundId, int256(value), oracle.epochStart(epoch), at, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        (bool exists, uint32 latest) = oracle.latestEpoch(assetId);
        if (!exists) revert FeedNoValidReport(assetId);
        uint256 ring = oracle.RING_SIZE();
        uint256 oldest = latest + 1 > ring ? latest + 1 - ring : 0;
        // Bounded walk back past voided or missing epochs (at most RING_SIZE reads).
        for (uint256 epoch = latest + 1; epoch > oldest; --epoch) {
            try oracle.metricAt(assetId, epoch - 1, metric) returns (uint256 value, uint256 at) {
                roundId = uint80(epoch);
                return (roundId, int256(value), oracle.epochStart(epoch - 1), at, roundId);
            } catch {
                continue;
            }
        }
        revert FeedNoValidReport(assetId);
    }

    function _metricName() private view returns (string memory) {
        if (metric == Metric.Utilization) return "utilization";
        if (metric == Metric.Uptime) return "uptime";
        if (metric == Metric.GpuHours) return "GPU-hours";
        if (metric == Metric.Energy) return "energy Wh";
        if (metric == Metric.AvgPower) return "average power W";
        return "efficiency GFLOPS/W";
    }
}
