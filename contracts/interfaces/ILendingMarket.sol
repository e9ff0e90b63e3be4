// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RateModel} from "../libraries/LendingMath.sol";

/// @notice What defines an isolated market; fixed at creation.
/// @param shareToken Collateral: one asset's GPU share token (18 decimals).
/// @param loanToken Lent and borrowed stablecoin.
/// @param oracle Morpho-style IOracle: share units x price / 1e36 = loan units.
/// @param lltv Liquidation loan-to-value (WAD): a position whose debt exceeds collateral value
///        x lltv can be liquidated; borrowing stops at it.
/// @param rateModel Kinked borrow rate curve (per second, WAD).
/// @param minBorrow Smallest debt a position may carry (loan-token units); no dust positions.
struct MarketConfig {
    address shareToken;
    address loanToken;
    address oracle;
    uint256 lltv;
    RateModel rateModel;
    uint256 minBorrow;
}

/// @notice One borrower's position: debt shares and posted collateral (share units).
struct Position {
    uint128 borrowShares;
    uint128 collateral;
}

/// @notice A borrower's share-token revenue earned while posted, not yet paid out or applied.
struct Earnings {
    uint128 earned;
    uint120 revenuePerShareSnapshot;
    bool autoRepay;
}

/// @title ILendingMarket: an isolated market lending a stablecoin against GPU shares
/// @notice Lenders deposit the loan token into this contract, an ERC-4626 vault whose shares
///         grow with interest (virtual shares offset the donation attack; idle cash is tracked
///         internally, so donations do not move the share price). Borrowers post shares and
///         borrow up to collateral value x LLTV; debt accrues on a kinked utilization curve;
///         unhealthy positions are liquidated by others at a capped incentive; collateral that
///         runs out leaves bad debt, written off against lenders with an event. Posted shares
///         keep earning: their revenue is the borrower's to claim, or repays the debt when the
///         borrower opts in. Liquidations move shares only; leases of the asset run on.
interface ILendingMarket {
    /// @notice Interest accrued since the last accrual at `borrowRate` (per second, WAD); the
    ///         new totals include it (no fee is taken: all of it goes to lenders).
    event InterestAccrued(uint256 borrowRate, uint256 interest, uint256 totalBorrowAssets, uint256 totalSupplyAssets);
    /// @notice `caller` posted `assets` share units as collateral of `onBehalf`.
    event CollateralSupplied(address indexed caller, address indexed onBehalf, uint256 assets);
    /// @notice `borrower` took `assets` share units of collateral back, sent to `receiver`.
    event CollateralWithdrawn(address indexed borrower, address indexed receiver, uint256 assets);
    /// @notice `borrower` borrowed `assets` loan tokens (`shares` debt shares), sent to `receiver`.
    event Borrowed(address indexed borrower, address indexed receiver, uint256 assets, uint256 shares);
    /// @notice `caller` repaid `assets` loan tokens (`shares` debt shares) of `onBehalf`'s debt.
    event Repaid(address indexed caller, address indexed onBehalf, uint256 assets, uint256 shares);
    /// @notice `liquidator` repaid `repaidAssets` (`repaidShares`) of `borrower`'s debt and
    ///         received `seizedCollateral` share units.
    event Liquidated(
        address indexed liquidator,
        address indexed borrower,
        uint256 repaidAssets,
        uint256 repaidShares,
        uint256 seizedCollateral
    );
    /// @notice `borrower` ran out of collateral: its remaining debt (`assets`, `shares`) was
    ///         written off against lenders (`totalAssets` fell by `assets`).
    event BadDebtWrittenOff(address indexed borrower, uint256 assets, uint256 shares);
    /// @notice `borrower` opted in (or out) of repaying its debt from its collateral's revenue.
    event AutoRepaySet(address indexed borrower, bool enabled);
    /// @notice `amount` of revenue earned by `borrower`'s posted shares was banked for it.
    event RevenueBanked(address indexed borrower, uint256 amount);
    /// @notice `borrower` claimed `amount` of banked revenue, paid to `receiver`.
    event RevenueClaimed(address indexed borrower, address indexed receiver, uint256 amount);
    /// @notice `assets` of `borrower`'s banked revenue repaid `shares` of its debt (auto-repay).
    event RevenueRepaid(address indexed borrower, uint256 assets, uint256 shares);

    /// @notice An amount of zero.
    error MarketZeroAmount();
    /// @notice A zero address where an account or contract is needed.
    error MarketZeroAddress();
    /// @notice Exactly one of the two amounts must be non-zero.
    error MarketInconsistentInput(uint256 assets, uint256 shares);
    /// @notice A market parameter (`field`) outside its bounds.
    error MarketInvalidParameter(bytes32 field, uint256 value);
    /// @notice The position would carry `debt` above `maxDebt` (collateral value x LLTV).
    error MarketInsufficientCollateral(address borrower, uint256 debt, uint256 maxDebt);
    /// @notice `requested` loan tokens asked for, only `available` idle.
    error MarketInsufficientLiquidity(uint256 requested, uint256 available);
    /// @notice A non-zero debt below the market's minimum borrow (no dust positions).
    error MarketBelowMinBorrow(address borrower, uint256 debt, uint256 minBorrow);
    /// @notice More debt shares repaid than the position owes (repay all by shares).
    error MarketRepayExceedsDebt(address borrower, uint256 shares, uint256 debtShares);
    /// @notice More collateral asked back than the position holds.
    error MarketWithdrawExceedsCollateral(address borrower, uint256 assets, uint256 collateral);
    /// @notice A borrower may not liquidate itself.
    error MarketSelfLiquidation(address borrower);
    /// @notice The position is healthy (`debt` <= `maxDebt`): nothing to liquidate.
    error MarketPositionHealthy(address borrower, uint256 debt, uint256 maxDebt);
    /// @notice The liquidation would leave collateral and a debt above `maxDebt`: repay more, or
    ///         seize all the collateral.
    error MarketStillUnhealthy(address borrower, uint256 debt, uint256 maxDebt);
    /// @notice More collateral to seize than the position holds.
    error MarketSeizeExceedsCollateral(address borrower, uint256 seized, uint256 collateral);
    /// @notice The loan token delivered `received` instead of `expected` (fee-on-transfer).
    error MarketFeeOnTransfer(address token, uint256 expected, uint256 received);
    /// @notice Auto-repay needs the loan token to be the share token's payment token.
    error MarketAutoRepayUnsupported(address loanToken, address paymentToken);
    /// @notice The borrower has not opted in to auto-repay.
    error MarketAutoRepayOff(address borrower);
    /// @notice The borrower has no banked revenue to claim.
    error MarketNothingToClaim(address borrower);

    /// @notice Posts `assets` share units as collateral of `onBehalf` (pulled from the caller).
    function supplyCollateral(uint256 assets, address onBehalf) external;

    /// @notice Takes back the caller's collateral to `receiver`; the position must stay healthy.
    function withdrawCollateral(uint256 assets, address receiver) external;

    /// @notice Borrows `assets` loan tokens against the caller's collateral, sent to `receiver`.
    ///         The debt must stay within collateral value x LLTV and be at least `minBorrow`.
    function borrow(uint256 assets, address receiver) external returns (uint256 shares);

    /// @notice Repays `onBehalf`'s debt by exactly one of `assets` or `shares` (the other 0);
    ///         what is left must be 0 or at least `minBorrow`. Tokens come from the caller.
    function repay(uint256 assets, uint256 shares, address onBehalf)
        external
        returns (uint256 assetsRepaid, uint256 sharesRepaid);

    /// @notice Liquidates an unhealthy position by exactly one of `seizedAssets` (collateral to
    ///         take) or `repaidShares` (debt to repay). The liquidator repays loan tokens and
    ///         receives the collateral worth the repayment times the incentive. Afterwards the
    ///         position is healthy, debt-free, or out of collateral with its debt written off.
    ///         An opted-in borrower's revenue is applied first; if that alone restores health,
    ///         the call succeeds seizing nothing and returns (0, 0).
    function liquidate(address borrower, uint256 seizedAssets, uint256 repaidShares)
        external
        returns (uint256 seized, uint256 repaidAssets);

    /// @notice Opts the caller in or out of repaying its debt from its collateral's revenue.
    function setAutoRepay(bool enabled) external;

    /// @notice Applies `borrower`'s banked revenue to its debt (anyone; borrower opted in).
    function harvest(address borrower) external returns (uint256 assetsRepaid);

    /// @notice Pays the caller's earned revenue (from posted collateral) to `receiver`.
    function claimRevenue(address receiver) external returns (uint256 amount);

    /// @notice Accrues interest up to now. While the interest since the last accrual is under
    ///         one unit it does nothing and keeps the clock, so frequent pokes cannot round it
    ///         away; every call that changes the totals accrues first and moves the clock.
    function accrueInterest() external;

    /* VIEWS */

    /// @notice The market's immutable parameters.
    function config() external view returns (MarketConfig memory);

    /// @notice A borrower's debt shares and posted collateral.
    function positionOf(address borrower) external view returns (Position memory);

    /// @notice A borrower's banked revenue, snapshot of the accumulator, and auto-repay choice.
    function earningsOf(address borrower) external view returns (Earnings memory);

    /// @notice Revenue earned by the borrower's collateral so far (banked plus accrued).
    function revenueOf(address borrower) external view returns (uint256);

    /// @notice Debt with interest accrued to now, rounded up.
    function debtOf(address borrower) external view returns (uint256);

    /// @notice Largest debt the position may carry at the current price (collateral value x
    ///         LLTV, rounded down). Reverts when the price is unavailable.
    function maxDebtOf(address borrower) external view returns (uint256);

    /// @notice maxDebt / debt in WAD (type(uint256).max without debt); below 1e18 = liquidatable.
    function healthFactor(address borrower) external view returns (uint256);

    /// @notice Totals with interest accrued to now (`asOf`, the current block's timestamp).
    function totals()
        external
        view
        returns (uint256 totalSupplyAssets, uint256 totalBorrowAssets, uint256 totalBorrowShares, uint256 asOf);

    /// @notice Current borrow rate per second (WAD) and utilization (WAD).
    function borrowRate() external view returns (uint256 ratePerSecond, uint256 utilizationWad);

    /// @notice Loan tokens available to borrow or withdraw now.
    function liquidity() external view returns (uint256);

    /// @notice Collateral paid per unit of repaid value (WAD), e.g. 1.05e18 = 5% incentive.
    function liquidationIncentive() external view returns (uint256);
}
