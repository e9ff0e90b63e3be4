// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice What forge reads from an invariant test contract to pick the calls of a campaign:
///         the handler contracts it calls, the functions of each, and the accounts it calls
///         from. Written here because forge-std's npm copy predates StdInvariant; the function
///         names and return shapes are the ones forge looks for.
abstract contract InvariantTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;
    address[] private _targetSenders;

    /// @notice Campaign calls go to `handler`'s `selectors` only.
    function targetHandler(address handler, bytes4[] memory selectors) internal {
        _targetContracts.push(handler);
        _targetSelectors.push(FuzzSelector(handler, selectors));
    }

    function targetSender(address sender) internal {
        _targetSenders.push(sender);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetSenders;
    }
}

/// @notice A broken invariant: which law, and the two sides that should have been equal (or
///         ordered). forge reports the revert data with the failing call sequence.
error InvariantBroken(string law, uint256 left, uint256 right);

function assertEq(uint256 left, uint256 right, string memory law) pure {
    if (left != right) revert InvariantBroken(law, left, right);
}

function assertLe(uint256 left, uint256 right, string memory law) pure {
    if (left > right) revert InvariantBroken(law, left, right);
}

function assertTrue(bool condition, string memory law) pure {
    if (!condition) revert InvariantBroken(law, 0, 1);
}

/// @notice `value` mapped into [min, max] (inclusive), so fuzzed inputs stay meaningful.
function bound(uint256 value, uint256 min, uint256 max) pure returns (uint256) {
    if (max <= min) return min;
    return min + value % (max - min + 1);
}
