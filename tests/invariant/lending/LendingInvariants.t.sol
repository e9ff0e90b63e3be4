// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {InvariantTest, assertEq, assertLe, assertTrue} from "../utils/InvariantTest.sol";
import {vm} from "../utils/Vm.sol";
import {SuiteDeployment, Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {LendingHandler} from "./LendingHandler.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {LendingMarket} from "../../../contracts/LendingMarket.sol";
import {MarketConfig, Position} from "../../../contracts/interfaces/ILendingMarket.sol";
import {RateModel} from "../../../contracts/libraries/LendingMath.sol";
import {MockPriceOracle} from "../../../contracts/mocks/MockPriceOracle.sol";
import {MockStablecoin} from "../../../contracts/mocks/MockStablecoin.sol";
import {MockNoReturnToken} from "../../../contracts/mocks/MockNoReturnToken.sol";

/// @notice One lending market lending the asset's own payment token against its shares (so
///         posted shares' revenue is claimable and can auto-repay), driven by LendingHandler.
///         Laws: the loan token is conserved to the wei against the handler's ledger; the
///         market's cash (liquidity) plus borrows is totalAssets; the idle tokens cover the cash,
///         donations and the revenue held for borrowers; debt shares add up and debts cover
///         them; no debt without collateral and no dust debt; collateral is conserved; the vault
///         never promises more than it has; every borrower's revenue is what its collateral
///         earned, less what it was paid and what repaid its debt. Per action (in the handler):
///         borrower actions leave positions healthy, liquidations leave them healthy, debt-free
///         or written off, self-liquidation is refused, the vault's share price falls only by
///         written-off bad debt, pauses never block exits, and outsiders change nothing.
abstract contract LendingInvariants is InvariantTest, SuiteDeployment {
    uint32 internal constant GPUS = 8;
    uint256 internal constant YEAR = 365 days;
    LendingHandler internal handler;
    LendingMarket internal market;
    ShareToken internal shares;
    IMintableToken internal token;
    MockPriceOracle internal priceOracle;

    function paymentToken() internal virtual returns (IMintableToken);

    function setUp() public {
        token = paymentToken();
        deploySuite(address(token), block.timestamp, 1 days);
        (, shares) = registerAsset(address(token), GPUS, Actors.holder(0));
        uint256 unit = 10 ** token.decimals();
        priceOracle = new MockPriceOracle(2_000_000 * unit * 1e16); // 20,000 per whole share
        // The demo's market: LLTV 0.8; 0% base, +4%/year to 80% utilization, +100%/year above.
        MarketConfig memory config = MarketConfig({
            shareToken: address(shares),
            loanToken: address(token),
            oracle: address(priceOracle),
            lltv: 0.8e18,
            rateModel: RateModel(0, uint64(uint256(4e16) / YEAR), uint64(uint256(1e18) / YEAR), 0.8e18),
            minBorrow: 100 * unit
        });
        market = new LendingMarket(config, "compute-rwa lending GPU #0", "lend-GPU-0");
        handler = new LendingHandler(market, shares, token, priceOracle, registry);
        vm.startPrank(Actors.holder(0));
        for (uint256 i = 1; i <= 3; ++i) {
            shares.transfer(Actors.holder(i), 2e18);
        }
        vm.stopPrank();
        handler.seed();

        bytes4[] memory selectors = new bytes4[](20);
        selectors[0] = LendingHandler.deposit.selector;
        selectors[1] = LendingHandler.mint.selector;
        selectors[2] = LendingHandler.withdraw.selector;
        selectors[3] = LendingHandler.redeem.selector;
        selectors[4] = LendingHandler.donate.selector;
        selectors[5] = LendingHandler.supplyCollateral.selector;
        selectors[6] = LendingHandler.withdrawCollateral.selector;
        selectors[7] = LendingHandler.borrow.selector;
        selectors[8] = LendingHandler.repay.selector;
        selectors[9] = LendingHandler.setAutoRepay.selector;
        selectors[10] = LendingHandler.harvest.selector;
        selectors[11] = LendingHandler.claimRevenue.selector;
        selectors[12] = LendingHandler.liquidate.selector;
        selectors[13] = LendingHandler.distribute.selector;
        selectors[14] = LendingHandler.movePrice.selector;
        selectors[15] = LendingHandler.warp.selector;
        selectors[16] = LendingHandler.accrueInterest.selector;
        selectors[17] = LendingHandler.donateShares.selector;
        selectors[18] = LendingHandler.togglePause.selector;
        selectors[19] = LendingHandler.outsiderAttempts.selector;
        targetHandler(address(handler), selectors);
    }

    function invariant_lendingBooks() external view {
        _cash();
        _borrowers();
        _collateral();
        _vault();
    }

    /// @dev The loan token, to the wei, and the market's cash accounting.
    function _cash() internal view {
        LendingHandler h = handler;
        uint256 balance = token.balanceOf(address(market));
        assertEq(
            balance + h.withdrawn() + h.borrowed() + h.revenueClaimed(),
            h.deposited() + h.repaid() + h.liquidationRepaid() + h.donated() + h.collected(),
            "loan-token balance = deposits - withdrawals - borrows + repays + liquidations + donations + revenue in - out"
        );
        (uint256 supplyAssets, uint256 borrowAssets,,) = market.totals();
        uint256 liquidity = market.liquidity();
        assertEq(market.totalAssets(), supplyAssets, "totalAssets = supplied assets with interest");
        assertLe(borrowAssets, supplyAssets, "borrows within supply");
        assertEq(supplyAssets, liquidity + borrowAssets, "totalAssets = cash + borrows");
        assertLe(
            liquidity + h.donated() + h.collected(),
            balance + h.revenueClaimed() + h.revenueApplied(),
            "idle tokens cover cash + donations + revenue held for borrowers"
        );
    }

    /// @dev Debt shares, debts, dust, and each borrower's revenue against the ledger.
    function _borrowers() internal view {
        LendingHandler h = handler;
        (, uint256 borrowAssets, uint256 borrowShares,) = market.totals();
        uint256 rps = shares.revenuePerShareE18();
        uint256 minBorrow = h.minBorrow();
        uint256 sumShares;
        uint256 sumDebtDown;
        uint256 sumDebt;
        uint256 sumRevenue;
        for (uint256 i; i < 3; ++i) {
            address b = h.borrower(i);
            Position memory p = market.positionOf(b);
            sumShares += p.borrowShares;
            sumDebtDown += Math.mulDiv(p.borrowShares, borrowAssets + 1, borrowShares + 1e6);
            uint256 debt = market.debtOf(b);
            sumDebt += debt;
            assertTrue(p.borrowShares == 0 || p.collateral != 0, "debt without collateral");
            assertTrue(debt == 0 || debt >= minBorrow, "a debt below minBorrow");
            uint256 revenue = market.revenueOf(b);
            sumRevenue += revenue;
            assertEq(
                revenue + h.paidTo(b) + h.appliedFor(b),
                h.banked(b) + uint256(p.collateral) * (rps - h.snapshotOf(b)) / 1e18,
                "borrower's revenue = what its collateral earned - paid to it - applied to its debt"
            );
            assertEq(market.earningsOf(b).revenuePerShareSnapshot, h.snapshotOf(b), "revenue snapshot off the ledger");
        }
        assertEq(sumShares, borrowShares, "borrowers' debt shares add up to the total");
        assertLe(sumDebtDown, borrowAssets, "total borrows cover every debt (rounded down)");
        assertLe(sumDebt, borrowAssets + 3, "debts (rounded up) exceed total borrows by at most a unit each");
        assertLe(
            sumRevenue + market.liquidity() + h.donated(),
            token.balanceOf(address(market)) + shares.claimableOf(address(market)),
            "borrowers' revenue is covered beyond the lenders' cash"
        );
    }

    function _collateral() internal view {
        LendingHandler h = handler;
        uint256 posted;
        uint256 held = shares.balanceOf(Actors.holder(0)) + shares.balanceOf(h.LIQUIDATOR());
        for (uint256 i; i < 3; ++i) {
            address b = h.borrower(i);
            posted += market.positionOf(b).collateral;
            held += shares.balanceOf(b);
        }
        uint256 inMarket = shares.balanceOf(address(market));
        assertEq(inMarket, posted + h.sharesDonated(), "market holds the posted collateral (+ donated shares)");
        assertEq(held + inMarket, uint256(GPUS) * 1e18, "shares are conserved");
        assertEq(shares.totalSupply(), uint256(GPUS) * 1e18, "share supply unchanged");
    }

    function _vault() internal view {
        LendingHandler h = handler;
        uint256 supply = market.totalSupply();
        uint256 totalAssets = market.totalAssets();
        uint256 liquidity = market.liquidity();
        assertLe(market.convertToAssets(supply), totalAssets, "convertToAssets(totalSupply) <= totalAssets");
        uint256 owned;
        uint256 redeemable;
        for (uint256 i; i < 2; ++i) {
            address l = h.lender(i);
            uint256 balance = market.balanceOf(l);
            owned += balance;
            redeemable += market.previewRedeem(balance);
            assertLe(market.maxWithdraw(l), liquidity, "maxWithdraw within liquidity");
            assertLe(market.maxRedeem(l), balance, "maxRedeem within balance");
        }
        assertEq(owned, supply, "only lenders hold vault shares");
        assertLe(redeemable, totalAssets, "lenders can redeem at most totalAssets");
    }

    /// @dev What the run did (forge shows it with -vv); logged, never asserted.
    function afterInvariant() external view {
        bytes32[24] memory keys = [
            bytes32("borrow"),
            "borrow refused: collateral",
            "repay",
            "withdrawCollateral",
            "withdrawCollateral refused: sick",
            "liquidate",
            "liquidate refused: healthy",
            "liquidate refused: partial",
            "liquidate refused: paused",
            "liquidate refused: self",
            "liquidate: bad debt",
            "liquidate: rescued by revenue",
            "claimRevenue",
            "claimRevenue refused: nothing",
            "harvest",
            "harvest: nothing",
            "harvest refused: off",
            "distribute",
            "distribute refused: paused",
            "exit while paused",
            "withdraw",
            "redeem",
            "borrow refused: liquidity",
            "outsiderAttempts"
        ];
        for (uint256 i; i < keys.length; ++i) {
            _log(string(abi.encodePacked(keys[i])), handler.count(keys[i]));
        }
    }

    function _log(string memory label, uint256 value) internal view {
        (bool ok,) = address(0x000000000000000000636F6e736F6c652e6c6f67).staticcall(
            abi.encodeWithSignature("log(string,uint256)", label, value)
        );
        ok;
    }
}

contract LendingInvariants6Decimals is LendingInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("USD Coin", "USDC", 6)));
    }
}

contract LendingInvariants18Decimals is LendingInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("Dai", "DAI", 18)));
    }
}

/// @dev USDT-style: transfer functions return nothing.
contract LendingInvariantsNoReturn is LendingInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockNoReturnToken()));
    }
}
