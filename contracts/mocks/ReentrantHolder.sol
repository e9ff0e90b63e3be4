// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface IHookToken {
    function setHooked(bool on) external;
}

interface IShareTokenLike {
    function claim() external returns (uint256);
    function distribute(uint256 amount) external;
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title ReentrantHolder: test-only attacker that re-enters a share token from token hooks
/// @dev Modes: 1 = claim again on receiving, 2 = distribute again while sending,
///      3 = move its shares away on receiving.
contract ReentrantHolder {
    IShareTokenLike public immutable shares;
    IERC20 public immutable payment;
    uint8 public mode;
    address public accomplice;
    uint256 public reentrantClaims;
    uint256 public reentrantPaid;

    constructor(address shares_, address payment_) {
        shares = IShareTokenLike(shares_);
        payment = IERC20(payment_);
        IHookToken(payment_).setHooked(true);
    }

    function arm(uint8 mode_, address accomplice_) external {
        mode = mode_;
        accomplice = accomplice_;
    }

    function claim() external returns (uint256) {
        return shares.claim();
    }

    function pay(uint256 amount) external {
        payment.approve(address(shares), type(uint256).max);
        shares.distribute(amount);
    }

    function tokensToSend(address, address, uint256 amount) external {
        if (mode == 2) {
            mode = 0;
            shares.distribute(amount);
        }
    }

    function tokensReceived(address, address, uint256) external {
        if (mode == 1) {
            mode = 0;
            reentrantClaims += 1;
            reentrantPaid += shares.claim();
        } else if (mode == 3) {
            mode = 0;
            IERC20(address(shares)).transfer(accomplice, IERC20(address(shares)).balanceOf(address(this)));
        }
    }
}
