// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The forge cheatcodes the campaigns use (forge-std's npm copy is too old for
///         invariant testing, so the few we need are declared here against forge's fixed address).
interface Vm {
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function prank(address caller) external;
    function startPrank(address caller) external;
    function stopPrank() external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function label(address account, string calldata name) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
