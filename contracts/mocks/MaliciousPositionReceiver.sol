// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MaliciousPositionReceiver: test-only ERC-721 receiver of lease positions that misbehaves
/// @dev In `onERC721Received` it does what its mode says:
///      ACCEPT (0) returns the right selector; REENTER (1) makes the armed call (any target and
///      calldata: the lease manager's terminate, extend, settle, claim or open, the positions'
///      transferFrom...) once, then accepts; with `swallow` set it records a failed call's revert
///      data in `lastResult` and accepts anyway, otherwise it bubbles the revert up; REFUSE (2)
///      reverts; WRONG_SELECTOR (3) returns another selector; BURN_GAS (4) loops until it runs
///      out of gas. `execute` lets tests act as the contract (approve, open, transfer).
contract MaliciousPositionReceiver {
    uint8 public constant ACCEPT = 0;
    uint8 public constant REENTER = 1;
    uint8 public constant REFUSE = 2;
    uint8 public constant WRONG_SELECTOR = 3;
    uint8 public constant BURN_GAS = 4;

    uint8 public mode;
    bool public swallow;
    address public target;
    bytes public payload;

    uint256 public received;
    uint256 public lastTokenId;
    address public lastFrom;
    bool public lastOk;
    bytes public lastResult;

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function arm(address target_, bytes calldata payload_, bool swallow_) external {
        (mode, target, payload, swallow) = (REENTER, target_, payload_, swallow_);
    }

    function execute(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) _bubble(result);
    }

    function onERC721Received(address, address from, uint256 tokenId, bytes calldata) external returns (bytes4) {
        uint8 m = mode;
        if (m == REFUSE) revert("receiver refuses positions");
        if (m == WRONG_SELECTOR) return bytes4(0xdeadbeef);
        if (m == BURN_GAS) {
            uint256 sink;
            while (gasleft() > 0) sink = uint256(keccak256(abi.encode(sink)));
        }
        received += 1;
        (lastTokenId, lastFrom) = (tokenId, from);
        if (m == REENTER) {
            mode = ACCEPT;
            (bool ok, bytes memory result) = target.call(payload);
            (lastOk, lastResult) = (ok, result);
            if (!ok && !swallow) _bubble(result);
        }
        return this.onERC721Received.selector;
    }

    function _bubble(bytes memory data) private pure {
        assembly ("memory-safe") {
            revert(add(data, 32), mload(data))
        }
    }
}
