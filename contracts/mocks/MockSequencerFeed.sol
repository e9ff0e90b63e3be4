// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";

/// @notice Test double of Chainlink's L2 sequencer uptime feed (answer 0 = up, 1 = down;
///         startedAt = when the status last changed). No such feed exists on a local chain.
contract MockSequencerFeed is AggregatorV3Interface {
    int256 internal _answer;
    uint256 internal _startedAt;
    uint80 internal _round;

    function set(bool down, uint256 startedAt) external {
        (_answer, _startedAt) = (down ? int256(1) : int256(0), startedAt);
        ++_round;
    }

    function decimals() external pure returns (uint8) {
        return 0;
    }

    function description() external pure returns (string memory) {
        return "L2 sequencer uptime (test)";
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    function getRoundData(uint80) external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_round, _answer, _startedAt, _startedAt, _round);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_round, _answer, _startedAt, _startedAt, _round);
    }
}
