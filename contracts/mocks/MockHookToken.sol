// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Hooks an ERC-777-style token calls on registered accounts.
interface ITokenHooks {
    function tokensToSend(address from, address to, uint256 amount) external;
    function tokensReceived(address from, address to, uint256 amount) external;
}

/// @title MockHookToken: test-only 6-decimal token that calls ERC-777-style hooks
/// @dev Accounts opt in with `setHooked`; the token then calls them before sending and after
///      receiving, so a test can re-enter the suite from inside a token movement.
contract MockHookToken is ERC20 {
    mapping(address => bool) public hooked;

    constructor() ERC20("Hook USD", "HUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHooked(bool on) external {
        hooked[msg.sender] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && hooked[from]) ITokenHooks(from).tokensToSend(from, to, value);
        super._update(from, to, value);
        if (to != address(0) && hooked[to]) ITokenHooks(to).tokensReceived(from, to, value);
    }
}
