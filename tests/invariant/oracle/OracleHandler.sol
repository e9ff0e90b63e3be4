// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IMintableToken} from "../utils/Tokens.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {MetricsOracle} from "../../../contracts/MetricsOracle.sol";

/// @notice The oracle campaign's handler: holds the model's storage (OracleHandlerState's
///         layout) and runs each action in one of three logic contracts by delegatecall, so
///         the campaign's code fits the EIP-170 size limit. forge calls the actions below;
///         `init` and `checkLaws` are for the test contract only.
contract OracleHandler {
    address private immutable reports;
    address private immutable disputes;
    address private immutable laws;

    constructor(address reports_, address disputes_, address laws_) {
        reports = reports_;
        disputes = disputes_;
        laws = laws_;
    }

    /* SET-UP AND LAWS (not campaign targets) */

    function init(MetricsOracle, AssetRegistry, IMintableToken, uint256[3] calldata, uint256[3] calldata, uint256)
        external
    {
        _delegate(disputes);
    }

    function checkLaws() external {
        _delegate(laws);
    }

    /// @dev Coverage bitmap and action count of the current run (delegated: not a view).
    function coverage() external returns (uint256, uint256) {
        (bool ok, bytes memory ret) = laws.delegatecall(msg.data);
        require(ok, "coverage");
        return abi.decode(ret, (uint256, uint256));
    }

    /* REPORTS */

    function submitValid(uint256) external {
        _delegate(reports);
    }

    function submitInvalid(uint256, uint8) external {
        _delegate(reports);
    }

    function updateInventory(uint256, uint256) external {
        _delegate(reports);
    }

    function togglePause() external {
        _delegate(reports);
    }

    function warp(uint256, uint8) external {
        _delegate(reports);
    }

    /* BONDS, DISPUTES, ADMINISTRATION */

    function deposit(uint256, uint256) external {
        _delegate(disputes);
    }

    function withdraw(uint256, uint256, uint8) external {
        _delegate(disputes);
    }

    function challenge(uint256, uint8) external {
        _delegate(disputes);
    }

    function resolve(uint256, bool, uint8) external {
        _delegate(disputes);
    }

    function expire(uint256, uint8) external {
        _delegate(disputes);
    }

    function setSigners(uint8, uint8, uint8) external {
        _delegate(disputes);
    }

    function setDisputeParams(uint256, uint256, uint8) external {
        _delegate(disputes);
    }

    function outsiderAttempts(uint8, uint256) external {
        _delegate(disputes);
    }

    function _delegate(address logic) private {
        (bool ok, bytes memory ret) = logic.delegatecall(msg.data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
