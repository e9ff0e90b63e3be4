// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface IHookable {
    function setHooked(bool on) external;
}

interface IMarketLike {
    function deposit(uint256 assets, address receiver) external returns (uint256);
    function redeem(uint256 shares, address receiver, address owner) external returns (uint256);
    function repay(uint256 assets, uint256 shares, address onBehalf) external returns (uint256, uint256);
    function supplyCollateral(uint256 assets, address onBehalf) external;
    function borrow(uint256 assets, address receiver) external returns (uint256);
    function totalAssets() external view returns (uint256);
    function totalSupply() external view returns (uint256);
}

/// @title ReentrantLender: test-only ERC-777-style attacker of a LendingMarket's deposit
/// @dev Hooked on a MockHookToken loan token. Armed, its `tokensToSend` (which the token calls
///      while the market pulls a deposit from it, before any balance moves) redeems `armedShares`
///      of its vault shares and repays its own debt with exactly what the redemption paid, so
///      that the market's token balance nets out and the deposit's balance check passes. If the
///      market counted the deposit's assets before pulling them, the redemption would be priced
///      with assets that are not there yet, against shares not yet minted.
contract ReentrantLender {
    IMarketLike public immutable market;
    uint256 public armedShares;
    uint256 public seenTotalAssets;
    uint256 public seenTotalSupply;
    uint256 public redeemed;

    constructor(address market_, address loanToken, address shareToken) {
        market = IMarketLike(market_);
        IHookable(loanToken).setHooked(true);
        IERC20(loanToken).approve(market_, type(uint256).max);
        IERC20(shareToken).approve(market_, type(uint256).max);
    }

    function deposit(uint256 assets) external returns (uint256) {
        return market.deposit(assets, address(this));
    }

    function postAndBorrow(uint256 collateral, uint256 assets) external {
        market.supplyCollateral(collateral, address(this));
        market.borrow(assets, address(this));
    }

    function arm(uint256 shares) external {
        armedShares = shares;
    }

    function tokensToSend(address, address to, uint256) external {
        uint256 shares = armedShares;
        if (shares == 0 || to != address(market)) return;
        armedShares = 0;
        (seenTotalAssets, seenTotalSupply) = (market.totalAssets(), market.totalSupply());
        uint256 got = market.redeem(shares, address(this), address(this));
        redeemed = got;
        market.repay(got, 0, address(this));
    }

    function tokensReceived(address, address, uint256) external {}
}
