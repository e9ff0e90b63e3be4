// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {bound, assertEq, assertLe, assertTrue} from "../utils/InvariantTest.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {IShareToken} from "../../../contracts/interfaces/IShareToken.sol";
import {LendingMarket} from "../../../contracts/LendingMarket.sol";
import {ILendingMarket, Position, Earnings} from "../../../contracts/interfaces/ILendingMarket.sol";
import {MockPriceOracle} from "../../../contracts/mocks/MockPriceOracle.sol";

/// @notice Drives one LendingMarket (lending the asset's own payment token against its shares)
///         through lenders' deposits, mints, withdrawals and redemptions, borrowers' collateral,
///         borrows, repays, auto-repay and revenue claims, liquidations after price moves,
///         revenue paid into the share token, donations, clock jumps, pauses of the registry and
///         of share transfers, and outsiders' attempts at what is not theirs. Every refusal is
///         checked against the rule that justifies it; the ledger it keeps is what the
///         invariants hold the market to.
contract LendingHandler {
    using SafeERC20 for IERC20;

    uint256 internal constant WAD = 1e18;
    uint256 internal constant ORACLE_SCALE = 1e36;
    uint256 internal constant VIRTUAL_SHARES = 1e6;
    uint256 internal constant BORROWERS = 3;
    uint256 internal constant LENDERS = 2;

    LendingMarket public immutable market;
    ShareToken public immutable shares;
    IMintableToken public immutable token;
    MockPriceOracle public immutable oracle;
    AssetRegistry public immutable registry;
    uint256 public immutable unit;
    uint256 public immutable minBorrow;
    uint256 public immutable lltv;
    uint256 public immutable incentive;

    address public constant LIQUIDATOR = address(0x3001);
    address public constant PAYER = address(0x4001);

    /// @notice Price of one whole share in cents of the loan token.
    uint256 public priceCents = 2_000_000;

    // Loan-token ledger of the market: every unit in and out, from the payer's side.
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public borrowed;
    uint256 public repaid;
    uint256 public liquidationRepaid;
    uint256 public donated;
    uint256 public collected; // revenue the share token paid the market (its claimableOf drop)
    uint256 public revenueClaimed; // paid to borrowers by claimRevenue
    uint256 public revenueApplied; // borrowers' revenue applied to their debt (auto-repay)
    uint256 public badDebt; // written off against lenders
    uint256 public sharesDonated; // share units sent straight to the market

    // Revenue ledger per borrower, kept the way the documentation says it accrues:
    // collateral x (accumulator now - snapshot) / 1e18, banked at every collateral change.
    mapping(address => uint256) public banked;
    mapping(address => uint256) public snapshotOf;
    mapping(address => uint256) public paidTo;
    mapping(address => uint256) public appliedFor;

    // What happened (for the campaign report and to show real calls were made).
    mapping(bytes32 => uint256) public count;
    uint256 public unprivilegedRefused;

    uint256 internal _stepWrittenOff;
    bool internal _stepDistributed;

    constructor(
        LendingMarket market_,
        ShareToken shares_,
        IMintableToken token_,
        MockPriceOracle oracle_,
        AssetRegistry registry_
    ) {
        market = market_;
        shares = shares_;
        token = token_;
        oracle = oracle_;
        registry = registry_;
        unit = 10 ** token_.decimals();
        minBorrow = market_.config().minBorrow;
        lltv = market_.config().lltv;
        incentive = market_.liquidationIncentive();
    }

    /* ACTORS */

    function lender(uint256 i) public pure returns (address) {
        return address(uint160(0x2001 + i % LENDERS));
    }

    function borrower(uint256 i) public pure returns (address) {
        return Actors.holder(1 + i % BORROWERS);
    }

    function priceOf(uint256 cents) public view returns (uint256) {
        return cents * unit * 1e16; // dollars x 10**decimals x 1e18, in 1e36 scale per share unit
    }

    /// @notice Approvals and the opening book: a lent market with posted collateral.
    function seed() external {
        address[] memory accounts = new address[](8);
        accounts[0] = lender(0);
        accounts[1] = lender(1);
        accounts[2] = borrower(0);
        accounts[3] = borrower(1);
        accounts[4] = borrower(2);
        accounts[5] = LIQUIDATOR;
        accounts[6] = PAYER;
        accounts[7] = Actors.holder(0);
        for (uint256 i; i < accounts.length; ++i) {
            vm.startPrank(accounts[i]);
            IERC20(address(token)).forceApprove(address(market), type(uint256).max);
            shares.approve(address(market), type(uint256).max);
            vm.stopPrank();
        }
        vm.prank(PAYER);
        IERC20(address(token)).forceApprove(address(shares), type(uint256).max);
        oracle.setPrice(priceOf(priceCents));
        this.deposit(0, 60_000 * unit);
        for (uint256 i; i < BORROWERS; ++i) {
            this.supplyCollateral(i, 1e18);
        }
    }

    /* STEP CHECKS */

    /// @dev Around every action: revenue the market collected from the share token enters the
    ///      ledger, and the vault's share price ((totalAssets + 1) / (totalSupply + 10**6)) never
    ///      falls, except by the bad debt a liquidation wrote off.
    modifier step() {
        uint256 claimable0 = shares.claimableOf(address(market));
        uint256 assets0 = market.totalAssets();
        uint256 supply0 = market.totalSupply();
        _stepWrittenOff = 0;
        _stepDistributed = false;
        _;
        uint256 claimable1 = shares.claimableOf(address(market));
        if (claimable1 <= claimable0) collected += claimable0 - claimable1;
        else assertTrue(_stepDistributed, "the market's claimable revenue rose without a distribution");
        uint256 assets1 = market.totalAssets();
        uint256 supply1 = market.totalSupply();
        assertLe(
            (assets0 + 1) * (supply1 + VIRTUAL_SHARES),
            (assets1 + _stepWrittenOff + 1) * (supply0 + VIRTUAL_SHARES),
            "vault share price fell without bad debt"
        );
    }

    function _sel(bytes memory err) internal pure returns (bytes4 s) {
        if (err.length < 4) return bytes4(0);
        assembly {
            s := mload(add(err, 32))
        }
    }

    /// @dev Argument `i` (0-based) of an error with static arguments.
    function _arg(bytes memory err, uint256 i) internal pure returns (uint256 v) {
        if (err.length < 36 + 32 * i) return 0;
        assembly {
            v := mload(add(add(err, 36), mul(i, 32)))
        }
    }

    function _paused() internal view returns (bool) {
        return registry.paused() || shares.transfersPaused();
    }

    function _bankLedger(address b, uint256 collateralBefore) internal {
        uint256 rps = shares.revenuePerShareE18();
        banked[b] += collateralBefore * (rps - snapshotOf[b]) / 1e18;
        snapshotOf[b] = rps;
    }

    function _maxDebt(uint256 collateral, uint256 price) internal view returns (uint256) {
        return Math.mulDiv(Math.mulDiv(collateral, price, ORACLE_SCALE), lltv, WAD);
    }

    function _topUp(address account, uint256 amount) internal {
        uint256 balance = token.balanceOf(account);
        if (balance < amount) token.mint(account, amount - balance);
    }

    /* LENDERS */

    function deposit(uint256 lenderSeed, uint256 assets) external step {
        address l = lender(lenderSeed);
        assets = bound(assets, 1, 200_000 * unit);
        token.mint(l, assets);
        uint256 expected = market.previewDeposit(assets);
        uint256 balance = token.balanceOf(l);
        uint256 vault = market.balanceOf(l);
        vm.prank(l);
        uint256 minted = market.deposit(assets, l);
        assertEq(minted, expected, "deposit mints previewDeposit");
        assertEq(market.balanceOf(l) - vault, minted, "deposit credits the shares it reports");
        assertEq(balance - token.balanceOf(l), assets, "deposit takes the assets");
        deposited += assets;
        ++count["deposit"];
    }

    function mint(uint256 lenderSeed, uint256 vaultShares) external step {
        address l = lender(lenderSeed);
        vaultShares = bound(vaultShares, 1, 100_000 * unit * VIRTUAL_SHARES);
        uint256 expected = market.previewMint(vaultShares);
        token.mint(l, expected);
        uint256 balance = token.balanceOf(l);
        vm.prank(l);
        uint256 assets = market.mint(vaultShares, l);
        assertEq(assets, expected, "mint takes previewMint");
        assertEq(balance - token.balanceOf(l), assets, "mint takes the assets it reports");
        deposited += assets;
        ++count["mint"];
    }

    /// @dev Part of what the lender owns, exactly maxWithdraw, or one above: within maxWithdraw it must succeed (paused or
    ///      not: pausing traps nothing), above it the refusal is ERC-4626's.
    function withdraw(uint256 lenderSeed, uint256 fractionBps) external step {
        address l = lender(lenderSeed);
        uint256 owned = market.previewRedeem(market.balanceOf(l));
        uint256 max = market.maxWithdraw(l);
        uint256 assets = owned * bound(fractionBps, 1, 6_000) / 10_000;
        if (fractionBps % 8 == 0) assets = max + 1; // just above: refused
        else if (fractionBps % 8 == 1) assets = max; // exactly the max: paid
        if (assets == 0) assets = 1;
        uint256 liquidity = market.liquidity();
        uint256 balance = token.balanceOf(l);
        uint256 vault = market.balanceOf(l);
        bool paused = _paused();
        vm.prank(l);
        try market.withdraw(assets, l, l) returns (uint256 burned) {
            assertTrue(assets <= max, "withdrew above maxWithdraw");
            assertEq(token.balanceOf(l) - balance, assets, "withdraw pays the assets");
            assertEq(vault - market.balanceOf(l), burned, "withdraw burns the shares it reports");
            assertEq(liquidity - market.liquidity(), assets, "withdraw takes from liquidity");
            withdrawn += assets;
            ++count["withdraw"];
            if (paused) ++count["exit while paused"];
        } catch (bytes memory err) {
            assertTrue(
                _sel(err) == ERC4626.ERC4626ExceededMaxWithdraw.selector && assets > max,
                "withdraw refused within maxWithdraw"
            );
            assertLe(max, liquidity, "maxWithdraw above liquidity");
            ++count["withdraw refused"];
        }
    }

    function redeem(uint256 lenderSeed, uint256 fractionBps) external step {
        address l = lender(lenderSeed);
        uint256 owned = market.balanceOf(l);
        uint256 max = market.maxRedeem(l);
        uint256 vaultShares = owned * bound(fractionBps, 1, 6_000) / 10_000;
        if (fractionBps % 8 == 0) vaultShares = max + 1; // just above: refused
        else if (fractionBps % 8 == 1) vaultShares = max; // exactly the max: paid
        if (vaultShares == 0) vaultShares = 1;
        uint256 expected = market.previewRedeem(vaultShares);
        uint256 balance = token.balanceOf(l);
        bool paused = _paused();
        vm.prank(l);
        try market.redeem(vaultShares, l, l) returns (uint256 assets) {
            assertTrue(vaultShares <= max, "redeemed above maxRedeem");
            assertEq(assets, expected, "redeem pays previewRedeem");
            assertEq(token.balanceOf(l) - balance, assets, "redeem pays the assets it reports");
            withdrawn += assets;
            ++count["redeem"];
            if (paused) ++count["exit while paused"];
        } catch (bytes memory err) {
            assertTrue(
                _sel(err) == ERC4626.ERC4626ExceededMaxRedeem.selector && vaultShares > max,
                "redeem refused within maxRedeem"
            );
            ++count["redeem refused"];
        }
    }

    /// @dev Loan tokens sent straight to the vault move neither liquidity nor totalAssets.
    function donate(uint256 amount) external step {
        amount = bound(amount, 1, 10_000 * unit);
        token.mint(PAYER, amount);
        uint256 liquidity = market.liquidity();
        uint256 assets = market.totalAssets();
        vm.prank(PAYER);
        IERC20(address(token)).safeTransfer(address(market), amount);
        donated += amount;
        assertEq(market.liquidity(), liquidity, "a donation moved liquidity");
        assertEq(market.totalAssets(), assets, "a donation moved totalAssets");
        ++count["donate"];
    }

    /* BORROWERS */

    function supplyCollateral(uint256 borrowerSeed, uint256 amount) external step {
        address b = borrower(borrowerSeed);
        // The borrower posts its own shares; once it has none, the holder or the liquidator
        // (who collects seized shares) posts on its behalf.
        address from = b;
        if (shares.balanceOf(from) == 0) from = Actors.holder(0);
        if (shares.balanceOf(from) == 0) from = LIQUIDATOR;
        uint256 available = shares.balanceOf(from);
        if (available == 0) {
            ++count["supplyCollateral: no shares left"];
            return;
        }
        amount = bound(amount, 1, available);
        uint256 collateral = market.positionOf(b).collateral;
        vm.prank(from);
        try market.supplyCollateral(amount, b) {
            _bankLedger(b, collateral);
            assertEq(market.positionOf(b).collateral, collateral + amount, "supplyCollateral credits the position");
            ++count["supplyCollateral"];
        } catch (bytes memory err) {
            assertTrue(
                _sel(err) == IShareToken.ShareTransfersArePaused.selector && shares.transfersPaused(),
                "supplyCollateral refused without a rule"
            );
            ++count["supplyCollateral refused: paused"];
        }
    }

    function withdrawCollateral(uint256 borrowerSeed, uint256 fractionBps) external step {
        address b = borrower(borrowerSeed);
        uint256 collateral = market.positionOf(b).collateral;
        uint256 assets = collateral * bound(fractionBps, 1, 12_000) / 10_000;
        if (assets == 0) assets = 1;
        uint256 price = oracle.price();
        uint256 held = shares.balanceOf(b);
        vm.prank(b);
        try market.withdrawCollateral(assets, b) {
            _bankLedger(b, collateral);
            assertEq(market.positionOf(b).collateral, collateral - assets, "withdrawCollateral debits the position");
            assertEq(shares.balanceOf(b) - held, assets, "withdrawCollateral pays the shares");
            assertLe(market.debtOf(b), market.maxDebtOf(b), "withdrawCollateral left the position unhealthy");
            ++count["withdrawCollateral"];
        } catch (bytes memory err) {
            bytes4 s = _sel(err);
            if (s == ILendingMarket.MarketWithdrawExceedsCollateral.selector) {
                assertTrue(assets > collateral, "withdrawCollateral refused within the collateral");
                ++count["withdrawCollateral refused: over"];
            } else if (s == ILendingMarket.MarketInsufficientCollateral.selector) {
                uint256 maxDebt = _maxDebt(collateral - assets, price);
                assertEq(_arg(err, 2), maxDebt, "withdrawCollateral refusal quotes the wrong maxDebt");
                assertTrue(_arg(err, 1) > maxDebt, "withdrawCollateral refused a healthy result");
                ++count["withdrawCollateral refused: sick"];
            } else {
                assertTrue(
                    s == IShareToken.ShareTransfersArePaused.selector && shares.transfersPaused(),
                    "withdrawCollateral refused without a rule"
                );
                ++count["withdrawCollateral refused: paus"];
            }
        }
    }

    /// @dev From 60% to 115% of the room left (at least 150 units): over the room must fail.
    function borrow(uint256 borrowerSeed, uint256 fractionPct) external step {
        address b = borrower(borrowerSeed);
        uint256 debt = market.debtOf(b);
        uint256 maxDebt = market.maxDebtOf(b);
        uint256 room = maxDebt > debt ? maxDebt - debt : 0;
        uint256 assets = Math.max(room, 150 * unit) * bound(fractionPct, 60, 115) / 100;
        uint256 liquidity = market.liquidity();
        uint256 balance = token.balanceOf(b);
        vm.prank(b);
        try market.borrow(assets, b) {
            assertEq(token.balanceOf(b) - balance, assets, "borrow pays the assets");
            assertEq(liquidity - market.liquidity(), assets, "borrow takes from liquidity");
            uint256 debtAfter = market.debtOf(b);
            assertLe(debtAfter, market.maxDebtOf(b), "borrow left the position unhealthy");
            assertLe(minBorrow, debtAfter, "borrow left a dust debt");
            borrowed += assets;
            ++count["borrow"];
        } catch (bytes memory err) {
            bytes4 s = _sel(err);
            if (s == ILendingMarket.MarketInsufficientLiquidity.selector) {
                assertEq(_arg(err, 1), liquidity, "borrow refusal quotes the wrong liquidity");
                assertTrue(assets > liquidity, "borrow refused within liquidity");
                ++count["borrow refused: liquidity"];
            } else if (s == ILendingMarket.MarketBelowMinBorrow.selector) {
                assertTrue(_arg(err, 1) < minBorrow, "borrow refused a debt above minBorrow");
                ++count["borrow refused: min borrow"];
            } else {
                assertTrue(s == ILendingMarket.MarketInsufficientCollateral.selector, "borrow refused without a rule");
                assertEq(_arg(err, 2), maxDebt, "borrow refusal quotes the wrong maxDebt");
                assertTrue(_arg(err, 1) > maxDebt, "borrow refused a healthy debt");
                ++count["borrow refused: collateral"];
            }
        }
    }

    /// @dev By assets or by debt shares, by the borrower or a third party; never refused for a pause.
    function repay(uint256 borrowerSeed, uint256 fractionBps, bool byShares, bool thirdParty) external step {
        address b = borrower(borrowerSeed);
        address payer = thirdParty ? LIQUIDATOR : b;
        uint256 debtShares = market.positionOf(b).borrowShares;
        uint256 debt = market.debtOf(b);
        fractionBps = bound(fractionBps, 1, 10_000);
        uint256 assetsIn;
        uint256 sharesIn;
        if (byShares || debtShares == 0) sharesIn = Math.max(1, debtShares * fractionBps / 10_000);
        else assetsIn = Math.max(1, debt * fractionBps / 10_000);
        _topUp(payer, 2 * debt + 1);
        uint256 balance = token.balanceOf(payer);
        bool paused = _paused();
        vm.prank(payer);
        try market.repay(assetsIn, sharesIn, b) returns (uint256 assetsRepaid, uint256 sharesRepaid) {
            if (sharesIn != 0) assertEq(sharesRepaid, sharesIn, "repay by shares repays those shares");
            else assertEq(assetsRepaid, assetsIn, "repay by assets repays those assets");
            assertEq(balance - token.balanceOf(payer), assetsRepaid, "repay takes the assets it reports");
            assertEq(debtShares - market.positionOf(b).borrowShares, sharesRepaid, "repay removes the shares it reports");
            assertLe(assetsRepaid, debt, "repaid more than the debt");
            uint256 left = market.debtOf(b);
            assertTrue(left == 0 || left >= minBorrow, "repay left a dust debt");
            repaid += assetsRepaid;
            ++count["repay"];
            if (paused) ++count["exit while paused"];
        } catch (bytes memory err) {
            bytes4 s = _sel(err);
            if (s == ILendingMarket.MarketRepayExceedsDebt.selector) {
                assertTrue(_arg(err, 1) > debtShares, "repay refused within the debt");
                ++count["repay refused: exceeds"];
            } else {
                assertTrue(s == ILendingMarket.MarketBelowMinBorrow.selector, "repay refused without a rule");
                assertTrue(_arg(err, 1) < minBorrow && _arg(err, 1) > 0, "repay refused a non-dust remainder");
                ++count["repay refused: dust"];
            }
        }
    }

    function setAutoRepay(uint256 borrowerSeed, bool enabled) external step {
        address b = borrower(borrowerSeed);
        vm.prank(b);
        market.setAutoRepay(enabled);
        assertTrue(market.earningsOf(b).autoRepay == enabled, "setAutoRepay did not set");
        ++count["setAutoRepay"];
    }

    /// @dev Anyone may apply an opted-in borrower's revenue to its debt; never leaves dust.
    function harvest(uint256 borrowerSeed) external step {
        address b = borrower(borrowerSeed);
        bool autoRepay = market.earningsOf(b).autoRepay;
        uint256 revenue = market.revenueOf(b);
        uint256 collateral = market.positionOf(b).collateral;
        uint256 debtShares = market.positionOf(b).borrowShares;
        uint256 debt = market.debtOf(b);
        vm.prank(LIQUIDATOR);
        try market.harvest(b) returns (uint256 applied) {
            assertTrue(autoRepay, "harvest of a borrower who did not opt in");
            _bankLedger(b, collateral);
            assertEq(revenue - market.revenueOf(b), applied, "harvest applies exactly the revenue it reports");
            assertLe(applied, debt, "harvest applied more than the debt");
            uint256 left = market.debtOf(b);
            assertTrue(left == 0 || left >= minBorrow, "auto-repay left a dust debt");
            if (applied != 0) assertTrue(market.positionOf(b).borrowShares < debtShares, "harvest repaid no shares");
            appliedFor[b] += applied;
            revenueApplied += applied;
            ++count[applied != 0 ? bytes32("harvest") : bytes32("harvest: nothing")];
        } catch (bytes memory err) {
            assertTrue(
                _sel(err) == ILendingMarket.MarketAutoRepayOff.selector && !autoRepay, "harvest refused without a rule"
            );
            ++count["harvest refused: off"];
        }
    }

    /// @dev Revenue banked for a borrower's collateral goes to that borrower, and only to it;
    ///      claims work paused or not.
    function claimRevenue(uint256 borrowerSeed) external step {
        address b = borrower(borrowerSeed);
        uint256 revenue = market.revenueOf(b);
        uint256 collateral = market.positionOf(b).collateral;
        uint256[BORROWERS] memory others;
        for (uint256 i; i < BORROWERS; ++i) {
            others[i] = market.revenueOf(borrower(i));
        }
        uint256 balance = token.balanceOf(b);
        bool paused = _paused();
        vm.prank(b);
        try market.claimRevenue(b) returns (uint256 amount) {
            assertEq(amount, revenue, "claimRevenue pays revenueOf");
            assertEq(token.balanceOf(b) - balance, amount, "claimRevenue pays the borrower");
            assertEq(market.revenueOf(b), 0, "revenue left after a claim");
            for (uint256 i; i < BORROWERS; ++i) {
                if (borrower(i) != b) assertEq(market.revenueOf(borrower(i)), others[i], "a claim moved another's revenue");
            }
            _bankLedger(b, collateral);
            paidTo[b] += amount;
            revenueClaimed += amount;
            ++count["claimRevenue"];
            if (paused) ++count["exit while paused"];
        } catch (bytes memory err) {
            assertTrue(
                _sel(err) == ILendingMarket.MarketNothingToClaim.selector && revenue == 0, "claimRevenue refused with revenue"
            );
            ++count["claimRevenue refused: nothing"];
        }
    }

    /* LIQUIDATORS */

    struct Liq {
        address b;
        uint256 debtShares;
        uint256 collateral;
        uint256 debt;
        uint256 maxDebt;
        uint256 price;
        uint256 revenue;
        uint256 seizeIn;
        uint256 repayIn;
        uint256 assets0;
        uint256 tokens0;
        uint256 shares0;
        bool healthy;
        bool autoApplies;
        bool plan;
    }

    /// @dev modes 0-3 are the documented plan (repay everything if the collateral covers it with the
    ///      incentive, else seize everything), which must always work on an unhealthy position
    ///      (unless transfers are paused or auto-repay changes the debt first); 4-7 are partial or
    ///      total repays and seizures, refused only for the documented reasons. One call in eight
    ///      is the borrower liquidating itself, always refused.
    function liquidate(uint256 borrowerSeed, uint8 mode, uint8 roll) external step {
        Liq memory q;
        q.b = borrower(borrowerSeed);
        // Liquidators look for unhealthy positions: take the first from the seed on, if any.
        for (uint256 i; i < BORROWERS; ++i) {
            address candidate = borrower(borrowerSeed % BORROWERS + i);
            if (market.debtOf(candidate) > market.maxDebtOf(candidate)) {
                q.b = candidate;
                break;
            }
        }
        if (roll % 8 == 0) {
            vm.prank(q.b);
            try market.liquidate(q.b, 0, 1) {
                assertTrue(false, "a borrower liquidated itself");
            } catch (bytes memory err) {
                assertTrue(_sel(err) == ILendingMarket.MarketSelfLiquidation.selector, "self-liquidation refused wrongly");
            }
            ++count["liquidate refused: self"];
            return;
        }
        Position memory position = market.positionOf(q.b);
        q.debtShares = position.borrowShares;
        q.collateral = position.collateral;
        q.debt = market.debtOf(q.b);
        q.maxDebt = market.maxDebtOf(q.b);
        q.price = oracle.price();
        q.healthy = q.debt <= q.maxDebt;
        q.revenue = market.revenueOf(q.b);
        q.autoApplies = market.earningsOf(q.b).autoRepay && q.revenue != 0;
        mode = mode % 8;
        q.plan = mode < 4;
        if (q.plan) {
            (, uint256 totalBorrowAssets, uint256 totalBorrowShares,) = market.totals();
            uint256 debtDown = Math.mulDiv(q.debtShares, totalBorrowAssets + 1, totalBorrowShares + VIRTUAL_SHARES);
            uint256 seizeAll = Math.mulDiv(Math.mulDiv(debtDown, incentive, WAD), ORACLE_SCALE, q.price);
            if (seizeAll <= q.collateral) q.repayIn = q.debtShares;
            else q.seizeIn = q.collateral;
        } else if (mode == 4) {
            q.repayIn = q.debtShares;
        } else if (mode == 5) {
            q.seizeIn = q.collateral;
        } else if (mode == 6) {
            q.repayIn = q.debtShares / 2;
        } else {
            q.seizeIn = q.collateral / 2;
        }
        if (q.seizeIn == 0 && q.repayIn == 0) q.repayIn = 1;
        _topUp(LIQUIDATOR, 2 * q.debt + 1);
        q.assets0 = market.totalAssets();
        q.tokens0 = token.balanceOf(LIQUIDATOR);
        q.shares0 = shares.balanceOf(LIQUIDATOR);
        vm.prank(LIQUIDATOR);
        try market.liquidate(q.b, q.seizeIn, q.repayIn) returns (uint256 seized, uint256 repaidAssets) {
            _liquidated(q, seized, repaidAssets);
        } catch (bytes memory err) {
            _liquidationRefused(q, _sel(err));
        }
    }

    function _liquidated(Liq memory q, uint256 seized, uint256 repaidAssets) internal {
        assertTrue(!q.healthy, "a healthy position was liquidated");
        _bankLedger(q.b, q.collateral);
        uint256 applied = q.revenue - market.revenueOf(q.b);
        appliedFor[q.b] += applied;
        revenueApplied += applied;
        assertEq(q.tokens0 - token.balanceOf(LIQUIDATOR), repaidAssets, "liquidator paid other than reported");
        assertEq(shares.balanceOf(LIQUIDATOR) - q.shares0, seized, "liquidator got other collateral than reported");
        Position memory after_ = market.positionOf(q.b);
        assertEq(q.collateral - after_.collateral, seized, "seized collateral left the position");
        assertTrue(after_.collateral != 0 || after_.borrowShares == 0, "liquidation left debt without collateral");
        if (after_.borrowShares != 0) {
            assertLe(market.debtOf(q.b), market.maxDebtOf(q.b), "liquidation left the position unhealthy");
            uint256 left = market.debtOf(q.b);
            assertTrue(left >= minBorrow, "liquidation left a dust debt");
        }
        // The liquidator gets at most the repayment x the incentive in collateral value.
        assertLe(
            Math.mulDiv(seized, q.price, ORACLE_SCALE),
            Math.mulDiv(repaidAssets, incentive, WAD, Math.Rounding.Ceil),
            "liquidator seized more than the incentive"
        );
        uint256 assets1 = market.totalAssets();
        assertLe(assets1, q.assets0, "a liquidation raised totalAssets");
        uint256 writtenOff = q.assets0 - assets1;
        if (writtenOff != 0) {
            assertTrue(after_.collateral == 0 && after_.borrowShares == 0, "written off while collateral is left");
            assertLe(writtenOff, q.debt, "wrote off more than the debt");
            badDebt += writtenOff;
            _stepWrittenOff = writtenOff;
            ++count["liquidate: bad debt"];
        }
        if (seized == 0 && repaidAssets == 0) {
            assertTrue(q.autoApplies && applied != 0, "a liquidation did nothing");
            ++count["liquidate: rescued by revenue"];
        }
        liquidationRepaid += repaidAssets;
        ++count["liquidate"];
    }

    function _liquidationRefused(Liq memory q, bytes4 s) internal {
        if (q.healthy) {
            assertTrue(s == ILendingMarket.MarketPositionHealthy.selector, "healthy position refused wrongly");
            ++count["liquidate refused: healthy"];
            return;
        }
        assertTrue(s != ILendingMarket.MarketPositionHealthy.selector, "unhealthy position called healthy");
        if (s == IShareToken.ShareTransfersArePaused.selector) {
            assertTrue(shares.transfersPaused(), "transfers-paused refusal while not paused");
            ++count["liquidate refused: paused"];
            return;
        }
        assertTrue(
            !q.plan || q.autoApplies || shares.transfersPaused(),
            "an unhealthy position could not be liquidated (repay all, or seize all)"
        );
        assertTrue(
            s == ILendingMarket.MarketStillUnhealthy.selector || s == ILendingMarket.MarketBelowMinBorrow.selector
                || s == ILendingMarket.MarketSeizeExceedsCollateral.selector
                || s == ILendingMarket.MarketRepayExceedsDebt.selector,
            "liquidation refused without a rule"
        );
        ++count["liquidate refused: partial"];
    }

    /* THE WORLD */

    function distribute(uint256 amount) external step {
        amount = bound(amount, 1, 50_000 * unit);
        token.mint(PAYER, amount);
        bool paused = registry.paused();
        vm.prank(PAYER);
        try shares.distribute(amount) {
            assertTrue(!paused, "distribute while paused");
            _stepDistributed = true;
            ++count["distribute"];
        } catch (bytes memory err) {
            assertTrue(paused && _sel(err) == IShareToken.ShareRevenuePaused.selector, "distribute refused without a pause");
            ++count["distribute refused: paused"];
        }
    }

    /// @dev Levels around the opening price (20,000 a share): crashes that make positions
    ///      unhealthy or underwater, and recoveries.
    function movePrice(uint8 levelIndex) external step {
        uint16[10] memory levels = [uint16(20), 40, 60, 75, 85, 95, 100, 110, 130, 160];
        uint256 cents = 2_000_000 * uint256(levels[levelIndex % 10]) / 100;
        priceCents = cents;
        oracle.setPrice(priceOf(cents));
        ++count["movePrice"];
    }

    function warp(uint8 index) external step {
        uint32[5] memory steps = [uint32(1), 1 hours, 1 days, 30 days, 365 days];
        vm.warp(block.timestamp + steps[index % 5]);
        ++count["warp"];
    }

    function accrueInterest() external step {
        (uint256 s0, uint256 b0, uint256 sh0,) = market.totals();
        market.accrueInterest();
        (uint256 s1, uint256 b1, uint256 sh1,) = market.totals();
        assertTrue(s0 == s1 && b0 == b1 && sh0 == sh1, "accrual changed the accrued totals");
        ++count["accrueInterest"];
    }

    /// @dev Shares sent straight to the market stay there, outside every position.
    function donateShares(uint256 amount) external step {
        address from = Actors.holder(0);
        uint256 held = shares.balanceOf(from);
        if (held == 0) {
            ++count["donateShares: none left"];
            return;
        }
        amount = bound(amount, 1, Math.min(held, 1e15));
        vm.prank(from);
        try shares.transfer(address(market), amount) {
            sharesDonated += amount;
            ++count["donateShares"];
        } catch (bytes memory err) {
            assertTrue(
                _sel(err) == IShareToken.ShareTransfersArePaused.selector && shares.transfersPaused(),
                "share transfer refused without a rule"
            );
            ++count["donateShares refused: paused"];
        }
    }

    /// @dev The registry's pause (stops revenue coming in) or the share token's transfer pause
    ///      (stops collateral moving); neither may stop lenders' exits, repays or claims.
    ///      A pause is lifted whenever drawn; set one time in three, so most of the campaign runs
    ///      unpaused (otherwise the pauser re-affirms the transfer flag as it is).
    function togglePause(bool transfers, uint8 roll) external step {
        bool pause = roll % 3 == 0;
        if (transfers) {
            bool paused = shares.transfersPaused(); // read first: a prank applies to the very next call
            vm.prank(Actors.PAUSER);
            shares.setTransfersPaused(paused ? false : pause);
        } else {
            bool paused = registry.paused();
            bool transfersPaused = shares.transfersPaused();
            vm.prank(Actors.PAUSER);
            if (paused) registry.unpause();
            else if (pause) registry.pause();
            else shares.setTransfersPaused(transfersPaused);
        }
        ++count["togglePause"];
    }

    /* UNPRIVILEGED */

    /// @dev An outsider (no collateral, no vault shares, no role) tries to take what is
    ///      someone else's or to change what only roles may: every attempt must fail and leave
    ///      the positions, the vault, the market's holdings and the pauses as they were.
    function outsiderAttempts(uint8 which, uint256 amount) external step {
        amount = bound(amount, 1, 1e24);
        bytes32 before = privilegedState();
        address victim = lender(0);
        address m = address(market);
        address o = Actors.OUTSIDER;
        bool paused = shares.transfersPaused();
        bool registryPaused = registry.paused();
        which = which % 12;
        bool ok;
        vm.startPrank(o);
        if (which == 0) (ok,) = m.call(abi.encodeCall(market.withdraw, (amount, o, victim)));
        else if (which == 1) (ok,) = m.call(abi.encodeCall(market.redeem, (amount, o, victim)));
        else if (which == 2) (ok,) = m.call(abi.encodeCall(market.transferFrom, (victim, o, amount)));
        else if (which == 3) (ok,) = m.call(abi.encodeCall(market.withdrawCollateral, (amount, o)));
        else if (which == 4) (ok,) = m.call(abi.encodeCall(market.borrow, (amount, o)));
        else if (which == 5) (ok,) = m.call(abi.encodeCall(market.claimRevenue, (o)));
        else if (which == 6) (ok,) = address(shares).call(abi.encodeCall(shares.transferFrom, (m, o, amount)));
        else if (which == 7) (ok,) = address(shares).call(abi.encodeCall(shares.forcedTransfer, (m, o, amount)));
        else if (which == 8) (ok,) = address(shares).call(abi.encodeCall(shares.setFrozenTokens, (m, amount)));
        else if (which == 9) (ok,) = address(shares).call(abi.encodeCall(shares.claimFor, (m)));
        else if (which == 10) (ok,) = address(shares).call(abi.encodeCall(shares.setTransfersPaused, (!paused)));
        else if (registryPaused) (ok,) = address(registry).call(abi.encodeCall(registry.unpause, ()));
        else (ok,) = address(registry).call(abi.encodeCall(registry.pause, ()));
        vm.stopPrank();
        assertTrue(!ok, "an outsider's call succeeded");
        assertEq(uint256(privilegedState()), uint256(before), "an outsider changed privileged state");
        ++unprivilegedRefused;
        ++count["outsiderAttempts"];
    }

    /// @notice A digest of what only its owners or roles may change: positions and earnings,
    ///         lenders' vault shares and allowances, totals, the market's holdings, freezes, pauses.
    function privilegedState() public view returns (bytes32) {
        bytes memory state;
        for (uint256 i; i < BORROWERS; ++i) {
            address b = borrower(i);
            Position memory p = market.positionOf(b);
            Earnings memory e = market.earningsOf(b);
            state = abi.encodePacked(state, p.borrowShares, p.collateral, e.earned, e.revenuePerShareSnapshot, e.autoRepay);
        }
        for (uint256 i; i < LENDERS; ++i) {
            address l = lender(i);
            state = abi.encodePacked(state, market.balanceOf(l), market.allowance(l, Actors.OUTSIDER));
        }
        (uint256 supplyAssets, uint256 borrowAssets, uint256 borrowShares,) = market.totals();
        return keccak256(
            abi.encodePacked(
                state,
                supplyAssets,
                borrowAssets,
                borrowShares,
                market.totalSupply(),
                token.balanceOf(address(market)),
                shares.balanceOf(address(market)),
                shares.claimableOf(address(market)),
                shares.getFrozenTokens(address(market)),
                shares.transfersPaused(),
                registry.paused()
            )
        );
    }
}
