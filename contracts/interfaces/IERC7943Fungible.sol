// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title ERC-7943 (uRWA) interface for ERC-20 based tokens, as published in the final ERC
/// @notice Compliance checks, frozen amounts and forced transfers for real-world-asset tokens.
interface IERC7943Fungible is IERC165 {
    /// @notice Emitted when tokens are taken from one address and transferred to another.
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount);

    /// @notice Emitted when the frozen amount of `account` is set; `amount` is the new total.
    event Frozen(address indexed account, uint256 amount);

    /// @notice `account` may not send tokens.
    error ERC7943CannotSend(address account);
    /// @notice `account` may not receive tokens.
    error ERC7943CannotReceive(address account);
    /// @notice A transfer is not allowed by the token's rules.
    error ERC7943CannotTransfer(address from, address to, uint256 amount);
    /// @notice `amount` is within the balance of `account` but above its unfrozen part.
    error ERC7943InsufficientUnfrozenBalance(address account, uint256 amount, uint256 unfrozen);

    /// @notice Takes `amount` from `from` and gives it to `to` (regulatory enforcement, recovery).
    /// @dev Requires specific authorization. May reduce the frozen amount of `from` if needed.
    function forcedTransfer(address from, address to, uint256 amount) external returns (bool result);

    /// @notice Sets the frozen amount of `account` (overwrites, like `approve`); may exceed its balance.
    /// @dev Requires specific authorization.
    function setFrozenTokens(address account, uint256 amount) external returns (bool result);

    /// @notice Whether `account` may send tokens under the token's rules.
    function canSend(address account) external view returns (bool allowed);

    /// @notice Whether `account` may receive tokens under the token's rules.
    function canReceive(address account) external view returns (bool allowed);

    /// @notice The amount of `account`'s tokens that are frozen (may exceed its balance).
    function getFrozenTokens(address account) external view returns (uint256 amount);

    /// @notice Whether a transfer would pass the token's rules now, frozen amounts included.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed);
}
