// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {InvariantTest} from "../utils/InvariantTest.sol";
import {SuiteDeployment, Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {OracleHandler} from "./OracleHandler.sol";
import {OracleReportLogic} from "./OracleReportLogic.sol";
import {OracleDisputeLogic} from "./OracleDisputeLogic.sol";
import {OracleLawsLogic} from "./OracleLawsLogic.sol";
import {MockStablecoin} from "../../../contracts/mocks/MockStablecoin.sol";
import {MockNoReturnToken} from "../../../contracts/mocks/MockNoReturnToken.sol";

/// @notice Metrics oracle: bond-token conservation to the unit (ledger and the oracle's own
///         accounting), bonds/locks/exit times and configuration exactly the model's, slashes
///         and rewards of the documented amounts, latest epochs only increasing, voided reports
///         never served as valid, every stored report signed by a quorum of its configuration,
///         every broken batch refused with its own error, exits (withdrawals, resolution,
///         expiry) working while paused, and no privileged state changed by an outsider.
abstract contract OracleInvariants is InvariantTest, SuiteDeployment {
    OracleHandler internal handler;

    function paymentToken() internal virtual returns (IMintableToken);

    function setUp() public {
        IMintableToken token = paymentToken();
        deploySuite(address(token), block.timestamp, 1 days);
        // Assets 1..8: 1 (8 GPUs) and 7 (4 GPUs) share a latest-epoch word, 8 (16 GPUs) starts
        // the next one; 2 is registered but never synced; 3-6 are filler.
        uint256[3] memory ids;
        uint256[3] memory gpus = [uint256(8), 4, 16];
        for (uint256 id = 1; id <= 8; ++id) {
            uint32 count = id == 1 ? 8 : id == 7 ? 4 : id == 8 ? 16 : 2;
            (uint256 assetId,) = registerAsset(address(token), count, Actors.holder(0));
            require(assetId == id, "asset ids start at 1");
        }
        (ids[0], ids[1], ids[2]) = (1, 7, 8);
        uint256[] memory synced = new uint256[](3);
        (synced[0], synced[1], synced[2]) = (1, 7, 8);
        oracle.syncAssets(synced);
        handler = new OracleHandler(
            address(new OracleReportLogic()), address(new OracleDisputeLogic()), address(new OracleLawsLogic())
        );
        handler.init(oracle, registry, token, ids, gpus, 2);

        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = OracleHandler.submitValid.selector;
        selectors[1] = OracleHandler.submitInvalid.selector;
        selectors[2] = OracleHandler.updateInventory.selector;
        selectors[3] = OracleHandler.togglePause.selector;
        selectors[4] = OracleHandler.warp.selector;
        selectors[5] = OracleHandler.deposit.selector;
        selectors[6] = OracleHandler.withdraw.selector;
        selectors[7] = OracleHandler.challenge.selector;
        selectors[8] = OracleHandler.resolve.selector;
        selectors[9] = OracleHandler.expire.selector;
        selectors[10] = OracleHandler.setSigners.selector;
        selectors[11] = OracleHandler.setDisputeParams.selector;
        selectors[12] = OracleHandler.outsiderAttempts.selector;
        selectors[13] = OracleHandler.submitValid.selector; // twice: reports are the oracle's main traffic
        targetHandler(address(handler), selectors);
    }

    function invariant_oracleLaws() external {
        handler.checkLaws();
    }
}

contract OracleInvariants6Decimals is OracleInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("USD Coin", "USDC", 6)));
    }
}

contract OracleInvariants18Decimals is OracleInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("Dai", "DAI", 18)));
    }
}

/// @dev USDT-style bond token: transfer functions return nothing.
contract OracleInvariantsNoReturn is OracleInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockNoReturnToken()));
    }
}
