// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockBlocklistToken: test-only 6-decimal stablecoin with a USDC/USDT-style blocklist
/// @dev A transfer from or to a blocked account reverts, and so does a `transferFrom` whose
///      spender is blocked (as USDC's `notBlacklisted` modifiers). Like USDT it also has a fee
///      switch, off by default: once a test sets `feeBps`, every transfer burns that share of
///      the amount from the sender (the receiver gets the rest), so a token that was plain when
///      a lease or market opened can start taxing transfers mid-life. Blocking and the fee are
///      open to anyone: tests play the issuer. Reverts carry strings, which the client decodes
///      as `Error` with the reason.
contract MockBlocklistToken is ERC20 {
    mapping(address account => bool) public blocked;
    uint256 public feeBps;

    event Blocked(address indexed account, bool blocked);

    constructor() ERC20("Blocklist USD", "BLUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool on) external {
        blocked[account] = on;
        emit Blocked(account, on);
    }

    function setFeeBps(uint256 bps) external {
        require(bps <= 10_000, "fee above 100%");
        feeBps = bps;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        require(!blocked[msg.sender], "blocklist: spender blocked");
        return super.transferFrom(from, to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        require(!blocked[from], "blocklist: sender blocked");
        require(!blocked[to], "blocklist: receiver blocked");
        uint256 fee = from == address(0) || to == address(0) ? 0 : value * feeBps / 10_000;
        if (fee != 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
