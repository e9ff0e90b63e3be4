// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {InvariantTest, assertEq, assertLe} from "../utils/InvariantTest.sol";
import {SuiteDeployment, Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {RevenueHandler} from "./RevenueHandler.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {MockStablecoin} from "../../../contracts/mocks/MockStablecoin.sol";
import {MockNoReturnToken} from "../../../contracts/mocks/MockNoReturnToken.sol";

/// @notice Shares and revenue: conservation of the payment token through the waterfall, shares
///         conserved (only burns after retirement shrink the supply), earned revenue never moved
///         by transfers, claims always possible (pausing traps nothing), and no privileged state
///         changed by anyone unprivileged.
abstract contract RevenueInvariants is InvariantTest, SuiteDeployment {
    uint32 internal constant GPUS = 8;
    RevenueHandler internal handler;
    ShareToken internal shares;
    IMintableToken internal token;

    function paymentToken() internal virtual returns (IMintableToken);

    function setUp() public {
        token = paymentToken();
        deploySuite(address(token), block.timestamp, 1 days);
        uint256 assetId;
        (assetId, shares) = registerAsset(address(token), GPUS, Actors.holder(0));
        handler = new RevenueHandler(registry, shares, token, assetId);
        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = RevenueHandler.distribute.selector;
        selectors[1] = RevenueHandler.claim.selector;
        selectors[2] = RevenueHandler.withdrawFees.selector;
        selectors[3] = RevenueHandler.releaseReserve.selector;
        selectors[4] = RevenueHandler.withdrawReserve.selector;
        selectors[5] = RevenueHandler.setFeeRates.selector;
        selectors[6] = RevenueHandler.transfer.selector;
        selectors[7] = RevenueHandler.forcedTransfer.selector;
        selectors[8] = RevenueHandler.setCompliance.selector;
        selectors[9] = RevenueHandler.togglePause.selector;
        selectors[10] = RevenueHandler.retireAndBurn.selector;
        selectors[11] = RevenueHandler.outsiderAttempts.selector;
        targetHandler(address(handler), selectors);
    }

    function invariant_revenueConservation() external view {
        uint256 balance = token.balanceOf(address(shares));
        assertEq(
            balance,
            handler.paidIn() - handler.claimed() - handler.feesPaidOut() - handler.reservePaidOut(),
            "token balance = paid in - claimed - fees paid - reserve paid"
        );
        uint256 owed;
        uint256 supply;
        for (uint256 i; i < Actors.HOLDERS; ++i) {
            owed += shares.claimableOf(Actors.holder(i));
            supply += shares.balanceOf(Actors.holder(i));
        }
        (uint256 operatorFees, uint256 protocolFees, uint256 reserve, uint256 dustE18) = shares.pools();
        owed += operatorFees + protocolFees + reserve;
        // Rounding is always in the token's favour: what it holds covers everything it owes,
        // and the excess is the carried remainder plus under one unit per holder.
        assertLe(owed, balance, "balance covers claimable + fees + reserve");
        assertLe(balance - owed, dustE18 / 1e18 + Actors.HOLDERS + 1, "excess is only rounding dust");
        assertEq(supply, shares.totalSupply(), "shares are held only by the holders");
        assertEq(supply + handler.burned(), uint256(GPUS) * 1e18, "shares are conserved: one per GPU, minus burns");
    }
}

contract RevenueInvariants6Decimals is RevenueInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("USD Coin", "USDC", 6)));
    }
}

contract RevenueInvariants18Decimals is RevenueInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("Dai", "DAI", 18)));
    }
}

/// @dev USDT-style: transfer functions return nothing.
contract RevenueInvariantsNoReturn is RevenueInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockNoReturnToken()));
    }
}
