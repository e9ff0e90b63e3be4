// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ILendingMarket, MarketConfig, Position, Earnings} from "./interfaces/ILendingMarket.sol";
import {IOracle} from "./interfaces/IOracle.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {LendingMath, RateModel} from "./libraries/LendingMath.sol";

/// @title LendingMarket: one isolated market, lending a stablecoin against one asset's shares
/// @notice See ILendingMarket. The contract is the lenders' ERC-4626 vault (OpenZeppelin) and
///         the borrowers' book. Parameters are immutable; accounting is Morpho Blue's (supply
///         and borrow assets tracked internally, debt in shares with a virtual offset), so that
///         the vault's share price moves only with interest and written-off bad debt.
contract LendingMarket is ERC4626, ILendingMarket {
    using LendingMath for uint256;
    using SafeCast for uint256;
    using SafeERC20 for IERC20;

    /// @notice Liquidation incentive: min(1.15, 1 / (1 - 0.3 x (1 - LLTV))), as Morpho Blue.
    uint256 public constant LIQUIDATION_CURSOR = 0.3e18;
    uint256 public constant MAX_LIQUIDATION_INCENTIVE = 1.15e18;
    /// @notice Highest LLTV accepted: some margin must remain for the incentive.
    uint256 public constant MAX_LLTV = 0.98e18;
    /// @notice Highest borrow rate the curve may reach: 1,000% a year, per second.
    uint256 public constant MAX_RATE_PER_SECOND = uint256(10e18) / 365 days;
    /// @notice Virtual vault shares: 10**6 per unit of the loan token (ERC-4626 decimals offset).
    uint8 public constant DECIMALS_OFFSET = 6;

    IERC20 internal immutable _shareToken;
    IERC20 internal immutable _loanToken;
    IOracle internal immutable _oracle;
    uint256 internal immutable _lltv;
    uint256 internal immutable _minBorrow;
    uint256 internal immutable _incentive;
    uint64 internal immutable _baseRate;
    uint64 internal immutable _slope1;
    uint64 internal immutable _slope2;
    uint64 internal immutable _kink;
    /// @dev Whether revenue (in the share token's payment token) can repay debt directly.
    bool internal immutable _revenueIsLoanToken;

    /// @dev Loan-token amounts owed to lenders (deposits plus interest minus bad debt) and owed
    ///      by borrowers (with interest), both accrued to `_lastUpdate`.
    uint128 internal _totalSupplyAssets;
    uint128 internal _totalBorrowAssets;
    uint128 internal _totalBorrowShares;
    uint64 internal _lastUpdate;

    mapping(address borrower => Position) internal _positions;
    mapping(address borrower => Earnings) internal _earnings;

    constructor(MarketConfig memory config_, string memory name_, string memory symbol_)
        ERC4626(IERC20(config_.loanToken))
        ERC20(name_, symbol_)
    {
        if (config_.shareToken == address(0) || config_.loanToken == address(0) || config_.oracle == address(0)) {
            revert MarketZeroAddress();
        }
        if (config_.lltv == 0 || config_.lltv > MAX_LLTV) revert MarketInvalidParameter("lltv", config_.lltv);
        RateModel memory model = config_.rateModel;
        if (model.kink == 0 || model.kink >= LendingMath.WAD) revert MarketInvalidParameter("kink", model.kink);
        uint256 maxRate = uint256(model.baseRate) + model.slope1 + model.slope2;
        if (maxRate > MAX_RATE_PER_SECOND) revert MarketInvalidParameter("maxRate", maxRate);
        if (config_.minBorrow == 0) revert MarketInvalidParameter("minBorrow", 0);
        _shareToken = IERC20(config_.shareToken);
        _loanToken = IERC20(config_.loanToken);
        _oracle = IOracle(config_.oracle);
        _lltv = config_.lltv;
        _minBorrow = config_.minBorrow;
        _incentive = LendingMath.liquidationIncentive(config_.lltv, LIQUIDATION_CURSOR, MAX_LIQUIDATION_INCENTIVE);
        (_baseRate, _slope1, _slope2, _kink) = (model.baseRate, model.slope1, model.slope2, model.kink);
        _revenueIsLoanToken = IShareToken(config_.shareToken).paymentToken() == config_.loanToken;
        _lastUpdate = uint64(block.timestamp);
    }

    /* BORROWERS */

    /// @inheritdoc ILendingMarket
    function supplyCollateral(uint256 assets, address onBehalf) external {
        if (assets == 0) revert MarketZeroAmount();
        if (onBehalf == address(0)) revert MarketZeroAddress();
        Position memory position = _positions[onBehalf];
        _bank(onBehalf, position.collateral);
        position.collateral = (uint256(position.collateral) + assets).toUint128();
        _positions[onBehalf] = position;
        emit CollateralSupplied(msg.sender, onBehalf, assets);
        // Our own share token: no hooks, no fee on transfer.
        _shareToken.safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @inheritdoc ILendingMarket
    function withdrawCollateral(uint256 assets, address receiver) external {
        if (assets == 0) revert MarketZeroAmount();
        if (receiver == address(0)) revert MarketZeroAddress();
        _accrue();
        Position memory position = _positions[msg.sender];
        if (assets > position.collateral) {
            revert MarketWithdrawExceedsCollateral(msg.sender, assets, position.collateral);
        }
        _bank(msg.sender, position.collateral);
        position.collateral -= uint128(assets);
        if (position.borrowShares != 0) _requireHealthy(msg.sender, position, _oracle.price());
        _positions[msg.sender] = position;
        emit CollateralWithdrawn(msg.sender, receiver, assets);
        _shareToken.safeTransfer(receiver, assets);
    }

    /// @inheritdoc ILendingMarket
    function borrow(uint256 assets, address receiver) external returns (uint256 shares) {
        if (assets == 0) revert MarketZeroAmount();
        if (receiver == address(0)) revert MarketZeroAddress();
        _accrue();
        uint256 totalBorrowAssets = _totalBorrowAssets;
        uint256 totalBorrowShares = _totalBorrowShares;
        shares = assets.toSharesUp(totalBorrowAssets, totalBorrowShares);
        Position memory position = _positions[msg.sender];
        position.borrowShares = (uint256(position.borrowShares) + shares).toUint128();
        totalBorrowAssets += assets;
        totalBorrowShares += shares;
        uint256 supplied = _totalSupplyAssets;
        if (totalBorrowAssets > supplied) {
            revert MarketInsufficientLiquidity(assets, supplied + assets - totalBorrowAssets);
        }
        uint256 debt = uint256(position.borrowShares).toAssetsUp(totalBorrowAssets, totalBorrowShares);
        if (debt < _minBorrow) revert MarketBelowMinBorrow(msg.sender, debt, _minBorrow);
        uint256 maxDebt = _maxDebt(position.collateral, _oracle.price());
        if (debt > maxDebt) revert MarketInsufficientCollateral(msg.sender, debt, maxDebt);
        _positions[msg.sender] = position;
        _totalBorrowAssets = uint128(totalBorrowAssets);
        _totalBorrowShares = totalBorrowShares.toUint128();
        emit Borrowed(msg.sender, receiver, assets, shares);
        _loanToken.safeTransfer(receiver, assets);
    }

    /// @inheritdoc ILendingMarket
    function repay(uint256 assets, uint256 shares, address onBehalf)
        external
        returns (uint256 assetsRepaid, uint256 sharesRepaid)
    {
        if ((assets == 0) == (shares == 0)) revert MarketInconsistentInput(assets, shares);
        if (onBehalf == address(0)) revert MarketZeroAddress();
        _accrue();
        uint256 totalBorrowAssets = _totalBorrowAssets;
        uint256 totalBorrowShares = _totalBorrowShares;
        if (assets != 0) shares = assets.toSharesDown(totalBorrowAssets, totalBorrowShares);
        else assets = shares.toAssetsUp(totalBorrowAssets, totalBorrowShares);
        Position memory position = _positions[onBehalf];
        if (shares > position.borrowShares) revert MarketRepayExceedsDebt(onBehalf, shares, position.borrowShares);
        position.borrowShares -= uint128(shares);
        totalBorrowShares -= shares;
        // Rounding can leave the last repayment a unit above the total: floor at zero.
        totalBorrowAssets = totalBorrowAssets > assets ? totalBorrowAssets - assets : 0;
        _requireNoDust(onBehalf, position.borrowShares, totalBorrowAssets, totalBorrowShares);
        _positions[onBehalf] = position;
        _totalBorrowAssets = uint128(totalBorrowAssets);
        _totalBorrowShares = uint128(totalBorrowShares);
        emit Repaid(msg.sender, onBehalf, assets, shares);
        _pullLoanToken(msg.sender, assets);
        return (assets, shares);
    }

    /// @inheritdoc ILendingMarket
    function liquidate(address borrower, uint256 seizedAssets, uint256 repaidShares)
        external
        returns (uint256, uint256)
    {
        if (borrower == msg.sender) revert MarketSelfLiquidation(borrower);
        if ((seizedAssets == 0) == (repaidShares == 0)) revert MarketInconsistentInput(seizedAssets, repaidShares);
        _accrue();
        Position memory position = _positions[borrower];
        Earnings memory earnings = _bank(borrower, position.collateral);
        uint256 price = _oracle.price();
        {
            uint256 debt = uint256(position.borrowShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
            uint256 maxDebt = _maxDebt(position.collateral, price);
            if (debt <= maxDebt) revert MarketPositionHealthy(borrower, debt, maxDebt);
        }
        // An opted-in borrower's revenue repays first: it may be all the rescue it needs.
        uint256 applied;
        if (earnings.autoRepay && earnings.earned != 0) {
            applied = _applyRevenue(borrower, position, earnings);
            uint256 debt = uint256(position.borrowShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
            if (debt <= _maxDebt(position.collateral, price)) {
                // Rescued by its own revenue: the repayment stands, nothing is seized.
                _positions[borrower] = position;
                _collectRevenue();
                return (0, 0);
            }
        }
        uint256 totalBorrowAssets = _totalBorrowAssets;
        uint256 totalBorrowShares = _totalBorrowShares;
        if (seizedAssets != 0) {
            uint256 quoted = seizedAssets.mulDivUp(price, LendingMath.ORACLE_PRICE_SCALE);
            repaidShares = quoted.wDivUp(_incentive).toSharesUp(totalBorrowAssets, totalBorrowShares);
        } else {
            seizedAssets = repaidShares.toAssetsDown(totalBorrowAssets, totalBorrowShares).wMulDown(_incentive)
                .mulDivDown(LendingMath.ORACLE_PRICE_SCALE, price);
        }
        uint256 repaidAssets = repaidShares.toAssetsUp(totalBorrowAssets, totalBorrowShares);
        if (repaidShares > position.borrowShares) {
            revert MarketRepayExceedsDebt(borrower, repaidShares, position.borrowShares);
        }
        if (seizedAssets > position.collateral) {
            revert MarketSeizeExceedsCollateral(borrower, seizedAssets, position.collateral);
        }
        position.borrowShares -= uint128(repaidShares);
        position.collateral -= uint128(seizedAssets);
        totalBorrowShares -= repaidShares;
        totalBorrowAssets = totalBorrowAssets > repaidAssets ? totalBorrowAssets - repaidAssets : 0;

        if (position.borrowShares != 0) {
            if (position.collateral == 0) {
                // Out of collateral: what is left is bad debt, written off against lenders.
                uint256 badShares = position.borrowShares;
                uint256 badAssets = Math.min(totalBorrowAssets, badShares.toAssetsUp(totalBorrowAssets, totalBorrowShares));
                totalBorrowAssets -= badAssets;
                totalBorrowShares -= badShares;
                _totalSupplyAssets -= uint128(badAssets);
                position.borrowShares = 0;
                emit BadDebtWrittenOff(borrower, badAssets, badShares);
            } else {
                uint256 debt = uint256(position.borrowShares).toAssetsUp(totalBorrowAssets, totalBorrowShares);
                if (debt < _minBorrow) revert MarketBelowMinBorrow(borrower, debt, _minBorrow);
                uint256 maxDebt = _maxDebt(position.collateral, price);
                if (debt > maxDebt) revert MarketStillUnhealthy(borrower, debt, maxDebt);
            }
        }
        _positions[borrower] = position;
        _totalBorrowAssets = uint128(totalBorrowAssets);
        _totalBorrowShares = uint128(totalBorrowShares);
        emit Liquidated(msg.sender, borrower, repaidAssets, repaidShares, seizedAssets);
        if (applied != 0) _collectRevenue();
        _shareToken.safeTransfer(msg.sender, seizedAssets);
        _pullLoanToken(msg.sender, repaidAssets);
        return (seizedAssets, repaidAssets);
    }

    /* REVENUE ON POSTED COLLATERAL */

    /// @inheritdoc ILendingMarket
    function setAutoRepay(bool enabled) external {
        if (enabled && !_revenueIsLoanToken) {
            revert MarketAutoRepayUnsupported(address(_loanToken), IShareToken(address(_shareToken)).paymentToken());
        }
        _earnings[msg.sender].autoRepay = enabled;
        emit AutoRepaySet(msg.sender, enabled);
    }

    /// @inheritdoc ILendingMarket
    function harvest(address borrower) external returns (uint256 assetsRepaid) {
        _accrue();
        Position memory position = _positions[borrower];
        Earnings memory earnings = _bank(borrower, position.collateral);
        if (!earnings.autoRepay) revert MarketAutoRepayOff(borrower);
        if (earnings.earned == 0 || position.borrowShares == 0) return 0;
        assetsRepaid = _applyRevenue(borrower, position, earnings);
        _positions[borrower] = position;
        if (assetsRepaid != 0) _collectRevenue();
    }

    /// @inheritdoc ILendingMarket
    function claimRevenue(address receiver) external returns (uint256 amount) {
        if (receiver == address(0)) revert MarketZeroAddress();
        Earnings memory earnings = _bank(msg.sender, _positions[msg.sender].collateral);
        amount = earnings.earned;
        if (amount == 0) revert MarketNothingToClaim(msg.sender);
        _earnings[msg.sender].earned = 0;
        emit RevenueClaimed(msg.sender, receiver, amount);
        IShareToken shareToken = IShareToken(address(_shareToken));
        // Everything the market's shares earned so far: at least what this borrower is owed.
        shareToken.claim();
        IERC20(shareToken.paymentToken()).safeTransfer(receiver, amount);
    }

    /// @inheritdoc ILendingMarket
    function accrueInterest() external {
        // A poke that would accrue less than a unit leaves the clock where it was, so frequent
        // pokes cannot round lenders' interest away. Calls that change the totals cannot wait.
        (,,, uint256 interest) = _accrued();
        if (interest != 0) _accrue();
    }

    /* LENDERS (ERC-4626) */

    /// @notice Lenders' assets: supplied plus interest accrued to now, minus bad debt. Idle cash
    ///         is tracked, not read from the balance, so donations do not move it.
    function totalAssets() public view override returns (uint256) {
        (uint256 supplyAssets,,,) = _accrued();
        return supplyAssets;
    }

    /// @notice What `owner` can withdraw now: its assets, up to the idle liquidity.
    function maxWithdraw(address owner) public view override returns (uint256) {
        return Math.min(super.maxWithdraw(owner), liquidity());
    }

    /// @notice What `owner` can redeem now: all its shares if the idle liquidity pays them,
    ///         else the shares the liquidity buys back.
    function maxRedeem(address owner) public view override returns (uint256) {
        uint256 shares = balanceOf(owner);
        uint256 available = liquidity();
        if (_convertToAssets(shares, Math.Rounding.Floor) <= available) return shares;
        return _convertToShares(available, Math.Rounding.Floor);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev Pulls before counting (OpenZeppelin's order): a token hook that runs during the pull
    ///      (ERC-777 tokensToSend) must find the vault as it was, not assets counted that are not
    ///      here yet against shares not yet minted (it could redeem at that inflated price).
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        _accrue();
        _pullLoanToken(caller, assets);
        _totalSupplyAssets = (uint256(_totalSupplyAssets) + assets).toUint128();
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    function _withdraw(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        override
    {
        _accrue();
        uint256 available = _totalSupplyAssets - _totalBorrowAssets;
        if (assets > available) revert MarketInsufficientLiquidity(assets, available);
        _totalSupplyAssets -= uint128(assets);
        super._withdraw(caller, receiver, owner, assets, shares);
    }

    /* VIEWS */

    /// @inheritdoc ILendingMarket
    function config() external view returns (MarketConfig memory) {
        return MarketConfig({
            shareToken: address(_shareToken),
            loanToken: address(_loanToken),
            oracle: address(_oracle),
            lltv: _lltv,
            rateModel: _rateModel(),
            minBorrow: _minBorrow
        });
    }

    /// @inheritdoc ILendingMarket
    function positionOf(address borrower) external view returns (Position memory) {
        return _positions[borrower];
    }

    /// @inheritdoc ILendingMarket
    function earningsOf(address borrower) external view returns (Earnings memory) {
        return _earnings[borrower];
    }

    /// @inheritdoc ILendingMarket
    function revenueOf(address borrower) external view returns (uint256) {
        Earnings memory earnings = _earnings[borrower];
        uint256 rps = IShareToken(address(_shareToken)).revenuePerShareE18();
        return earnings.earned + _accruedRevenue(_positions[borrower].collateral, rps, earnings);
    }

    /// @inheritdoc ILendingMarket
    function debtOf(address borrower) public view returns (uint256) {
        (, uint256 borrowAssets, uint256 borrowShares,) = _accrued();
        return uint256(_positions[borrower].borrowShares).toAssetsUp(borrowAssets, borrowShares);
    }

    /// @inheritdoc ILendingMarket
    function maxDebtOf(address borrower) public view returns (uint256) {
        return _maxDebt(_positions[borrower].collateral, _oracle.price());
    }

    /// @inheritdoc ILendingMarket
    function healthFactor(address borrower) external view returns (uint256) {
        uint256 debt = debtOf(borrower);
        if (debt == 0) return type(uint256).max;
        return maxDebtOf(borrower).mulDivDown(LendingMath.WAD, debt);
    }

    /// @inheritdoc ILendingMarket
    function totals() external view returns (uint256, uint256, uint256, uint256) {
        (uint256 supplyAssets, uint256 borrowAssets, uint256 borrowShares,) = _accrued();
        return (supplyAssets, borrowAssets, borrowShares, block.timestamp);
    }

    /// @inheritdoc ILendingMarket
    function borrowRate() external view returns (uint256 ratePerSecond, uint256 utilizationWad) {
        (uint256 supplyAssets, uint256 borrowAssets,,) = _accrued();
        utilizationWad = borrowAssets.utilization(supplyAssets);
        ratePerSecond = LendingMath.borrowRate(_rateModel(), utilizationWad);
    }

    /// @inheritdoc ILendingMarket
    function liquidity() public view returns (uint256) {
        // Interest raises both totals alike: the stored difference is current.
        return _totalSupplyAssets - _totalBorrowAssets;
    }

    /// @inheritdoc ILendingMarket
    function liquidationIncentive() external view returns (uint256) {
        return _incentive;
    }

    /* INTERNAL */

    function _rateModel() internal view returns (RateModel memory) {
        return RateModel(_baseRate, _slope1, _slope2, _kink);
    }

    /// @dev Totals with interest accrued to now; the rate is the one of the utilization since
    ///      the last accrual (as Morpho Blue).
    function _accrued()
        internal
        view
        returns (uint256 supplyAssets, uint256 borrowAssets, uint256 borrowShares, uint256 interest)
    {
        (supplyAssets, borrowAssets, borrowShares) = (_totalSupplyAssets, _totalBorrowAssets, _totalBorrowShares);
        (interest,) = _interest(supplyAssets, borrowAssets, block.timestamp - _lastUpdate);
        return (supplyAssets + interest, borrowAssets + interest, borrowShares, interest);
    }

    function _interest(uint256 supplyAssets, uint256 borrowAssets, uint256 elapsed)
        internal
        view
        returns (uint256 interest, uint256 rate)
    {
        if (elapsed == 0 || borrowAssets == 0) return (0, 0);
        rate = LendingMath.borrowRate(_rateModel(), borrowAssets.utilization(supplyAssets));
        interest = borrowAssets.wMulDown(LendingMath.compoundedInterest(rate, elapsed));
    }

    function _accrue() internal {
        uint256 elapsed = block.timestamp - _lastUpdate;
        if (elapsed == 0) return;
        // The clock always moves, even when the interest rounds to zero (as Morpho Blue): the
        // caller is about to change the totals, and interest held back would later be charged
        // at the new totals' rate over time that passed before them, so a borrow to the limit
        // could be liquidatable in its own block.
        _lastUpdate = uint64(block.timestamp);
        uint256 borrowAssets = _totalBorrowAssets;
        if (borrowAssets == 0) return;
        uint256 supplyAssets = _totalSupplyAssets;
        (uint256 interest, uint256 rate) = _interest(supplyAssets, borrowAssets, elapsed);
        if (interest == 0) return;
        supplyAssets += interest;
        borrowAssets += interest;
        _totalSupplyAssets = supplyAssets.toUint128();
        _totalBorrowAssets = borrowAssets.toUint128();
        emit InterestAccrued(rate, interest, borrowAssets, supplyAssets);
    }

    /// @dev collateral x price / 1e36 x LLTV, rounded down (collateral value favours the market).
    function _maxDebt(uint256 collateral, uint256 price) internal view returns (uint256) {
        return collateral.mulDivDown(price, LendingMath.ORACLE_PRICE_SCALE).wMulDown(_lltv);
    }

    function _requireHealthy(address borrower, Position memory position, uint256 price) internal view {
        uint256 debt = uint256(position.borrowShares).toAssetsUp(_totalBorrowAssets, _totalBorrowShares);
        uint256 maxDebt = _maxDebt(position.collateral, price);
        if (debt > maxDebt) revert MarketInsufficientCollateral(borrower, debt, maxDebt);
    }

    function _requireNoDust(address borrower, uint256 borrowShares, uint256 totalBorrowAssets, uint256 totalBorrowShares)
        internal
        view
    {
        if (borrowShares == 0) return;
        uint256 debt = borrowShares.toAssetsUp(totalBorrowAssets, totalBorrowShares);
        if (debt < _minBorrow) revert MarketBelowMinBorrow(borrower, debt, _minBorrow);
    }

    /// @dev Banks the revenue `borrower`'s collateral earned since its snapshot and moves the
    ///      snapshot to now. The share token's accumulator rises by the payment-token amount one
    ///      whole share (1e18 units) earned, so collateral x increase / 1e18 is exact (floored:
    ///      the sum over borrowers never exceeds what the market's shares earned).
    function _bank(address borrower, uint256 collateral) internal returns (Earnings memory earnings) {
        earnings = _earnings[borrower];
        uint256 rps = IShareToken(address(_shareToken)).revenuePerShareE18();
        uint256 accrued = _accruedRevenue(collateral, rps, earnings);
        if (accrued == 0 && earnings.revenuePerShareSnapshot == rps) return earnings;
        earnings.earned = (uint256(earnings.earned) + accrued).toUint128();
        earnings.revenuePerShareSnapshot = rps.toUint120();
        _earnings[borrower] = earnings;
        if (accrued != 0) emit RevenueBanked(borrower, accrued);
    }

    function _accruedRevenue(uint256 collateral, uint256 rps, Earnings memory earnings)
        internal
        pure
        returns (uint256)
    {
        if (collateral == 0) return 0;
        return collateral * (rps - earnings.revenuePerShareSnapshot) / 1e18;
    }

    /// @dev Repays `borrower`'s debt from its banked revenue (interest already accrued), in
    ///      storage for the totals and earnings, in `position` for the caller to store. Never
    ///      leaves dust: it clears the debt or keeps at least minBorrow of it. The caller then
    ///      collects the revenue's tokens with `_collectRevenue`.
    function _applyRevenue(address borrower, Position memory position, Earnings memory earnings)
        internal
        returns (uint256 assets)
    {
        uint256 totalBorrowAssets = _totalBorrowAssets;
        uint256 totalBorrowShares = _totalBorrowShares;
        uint256 debt = uint256(position.borrowShares).toAssetsUp(totalBorrowAssets, totalBorrowShares);
        uint256 shares;
        if (earnings.earned >= debt) {
            (assets, shares) = (debt, position.borrowShares);
        } else {
            assets = debt - earnings.earned >= _minBorrow ? earnings.earned : (debt > _minBorrow ? debt - _minBorrow : 0);
            shares = assets.toSharesDown(totalBorrowAssets, totalBorrowShares);
        }
        if (assets == 0) return 0;
        earnings.earned -= uint128(assets);
        position.borrowShares -= uint128(shares);
        _earnings[borrower].earned = earnings.earned;
        _totalBorrowShares = uint128(totalBorrowShares - shares);
        _totalBorrowAssets = uint128(totalBorrowAssets > assets ? totalBorrowAssets - assets : 0);
        emit RevenueRepaid(borrower, assets, shares);
    }

    /// @dev Brings in what the market's shares earned (at least the revenue just applied to
    ///      debt, which must now be idle cash); called after every state change of the caller.
    function _collectRevenue() internal {
        IShareToken(address(_shareToken)).claim();
    }

    /// @dev Pulls loan tokens and refuses tokens that deliver less than was sent.
    function _pullLoanToken(address from, uint256 amount) internal {
        uint256 before = _loanToken.balanceOf(address(this));
        _loanToken.safeTransferFrom(from, address(this), amount);
        uint256 received = _loanToken.balanceOf(address(this)) - before;
        if (received != amount) revert MarketFeeOnTransfer(address(_loanToken), amount, received);
    }
}
