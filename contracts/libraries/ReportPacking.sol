// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {MetricsReport} from "../interfaces/IMetricsOracle.sol";

/// @title ReportPacking: the oracle's calldata and storage layouts
/// @notice Calldata report (61 bytes, big-endian, no padding):
///         assetId uint64 | epoch uint32 | inventoryHash bytes32 | utilizationBps uint16 |
///         uptimeBps uint16 | gpuHoursMilli uint32 | energyWh uint40 | avgPowerW uint32.
///         Stored report word (bit 0 first): epoch 0-31 | avgPowerW 32-63 | energyWh 64-103 |
///         gpuHoursMilli 104-135 | uptimeBps 136-151 | utilizationBps 152-167 |
///         updatedAt 168-207 | configVersion 208-231 | signers 232-247 | voided 248.
///         The five metrics sit in the word in calldata order, so storing a report is two
///         shifts: no field is decoded on the hot path except to check its bound.
///         Asset word: inventory-hash prefix (160 bits) 96-255 | gpuCount 64-95 |
///         ratedPowerW 32-63 | ratedTflops 0-31.
library ReportPacking {
    uint256 internal constant REPORT_BYTES = 61;
    uint256 private constant _M32 = 0xffffffff;
    uint256 private constant _VOIDED = 1 << 248;

    /// @dev Reads report `i` of packed calldata. `metrics` is already in its stored position.
    function readReport(bytes calldata reports, uint256 i)
        internal
        pure
        returns (uint256 assetId, uint256 epoch, uint256 inventoryHash, uint256 metrics)
    {
        assembly ("memory-safe") {
            let p := add(reports.offset, mul(i, REPORT_BYTES))
            let head := calldataload(p)
            assetId := shr(192, head)
            epoch := and(shr(160, head), _M32)
            inventoryHash := calldataload(add(p, 12))
            // 136 bits of metrics at the top of this word; bits below belong to the next report.
            metrics := shl(32, shr(120, calldataload(add(p, 44))))
        }
    }

    /// @dev The part of a report word set at acceptance: time, configuration, signers.
    function stamp(uint256 timestamp, uint256 version, uint256 bits) internal pure returns (uint256) {
        return (timestamp << 168) | (version << 208) | (bits << 232);
    }

    function packAsset(bytes32 inventoryHash, uint256 gpus, uint256 powerW, uint256 tflops)
        internal
        pure
        returns (uint256)
    {
        return ((uint256(inventoryHash) >> 96) << 96) | (gpus << 64) | (powerW << 32) | tflops;
    }

    function inventoryPrefix(uint256 asset) internal pure returns (uint256) {
        return asset >> 96;
    }

    function gpuCount(uint256 asset) internal pure returns (uint256) {
        return (asset >> 64) & _M32;
    }

    function ratedPowerW(uint256 asset) internal pure returns (uint256) {
        return (asset >> 32) & _M32;
    }

    function ratedTflops(uint256 asset) internal pure returns (uint256) {
        return asset & _M32;
    }

    function avgPowerW(uint256 word) internal pure returns (uint256) {
        return (word >> 32) & _M32;
    }

    function energyWh(uint256 word) internal pure returns (uint256) {
        return (word >> 64) & 0xffffffffff;
    }

    function gpuHoursMilli(uint256 word) internal pure returns (uint256) {
        return (word >> 104) & _M32;
    }

    function uptimeBps(uint256 word) internal pure returns (uint256) {
        return (word >> 136) & 0xffff;
    }

    function utilizationBps(uint256 word) internal pure returns (uint256) {
        return (word >> 152) & 0xffff;
    }

    function updatedAt(uint256 word) internal pure returns (uint256) {
        return (word >> 168) & 0xffffffffff;
    }

    function configVersion(uint256 word) internal pure returns (uint24) {
        return uint24(word >> 208);
    }

    function signerBits(uint256 word) internal pure returns (uint16) {
        return uint16(word >> 232);
    }

    function isVoided(uint256 word) internal pure returns (bool) {
        return word & _VOIDED != 0;
    }

    function voided(uint256 word) internal pure returns (uint256) {
        return word | _VOIDED;
    }

    /// @dev Whether the word is a report for exactly `epoch` (ring slots are reused).
    function holds(uint256 word, uint256 epoch) internal pure returns (bool) {
        return updatedAt(word) != 0 && (word & _M32) == epoch;
    }

    /// @dev All stored fields; efficiency is derived by the oracle (it needs the asset's rating).
    function unpack(uint256 word) internal pure returns (MetricsReport memory report) {
        report.epoch = uint32(word);
        report.avgPowerW = uint32(avgPowerW(word));
        report.energyWh = uint40(energyWh(word));
        report.gpuHoursMilli = uint32(gpuHoursMilli(word));
        report.uptimeBps = uint16(uptimeBps(word));
        report.utilizationBps = uint16(utilizationBps(word));
        report.updatedAt = uint40(updatedAt(word));
        report.configVersion = configVersion(word);
        report.signers = signerBits(word);
        report.voided = isVoided(word);
    }
}
