// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IHookRegistration {
    function setHooked(bool on) external;
}

/// @title HookedActor: test-only account that re-enters from ERC-777-style token hooks
/// @dev Registers with a MockHookToken (`hook`), then acts through `execute` (approve, open a
///      lease, deposit a bond, challenge, withdraw...). The armed call (any target and calldata)
///      runs once from `tokensToSend` (trigger SEND: while the actor pays, before its balance
///      moves) or `tokensReceived` (trigger RECEIVE: after it was paid). With `swallow` set, a
///      failed re-entry is recorded in `lastOk` / `lastResult` and the payment goes on;
///      otherwise its revert bubbles up and undoes the payment. With `refuse` set, the actor
///      reverts every payment to it (an account that cannot be paid). Holds ERC-721 positions.
contract HookedActor {
    uint8 public constant NONE = 0;
    uint8 public constant SEND = 1;
    uint8 public constant RECEIVE = 2;

    uint8 public trigger;
    bool public swallow;
    bool public refuse;
    address public target;
    bytes public payload;

    uint256 public reentries;
    bool public lastOk;
    bytes public lastResult;

    function hook(address token) external {
        IHookRegistration(token).setHooked(true);
    }

    function arm(uint8 trigger_, address target_, bytes calldata payload_, bool swallow_) external {
        (trigger, target, payload, swallow) = (trigger_, target_, payload_, swallow_);
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) _bubble(result);
    }

    function tokensToSend(address, address, uint256) external {
        if (trigger == SEND) _fire();
    }

    function tokensReceived(address, address, uint256) external {
        if (refuse) revert("actor refuses payment");
        if (trigger == RECEIVE) _fire();
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    function _fire() private {
        trigger = NONE;
        reentries += 1;
        (bool ok, bytes memory result) = target.call(payload);
        (lastOk, lastResult) = (ok, result);
        if (!ok && !swallow) _bubble(result);
    }

    function _bubble(bytes memory data) private pure {
        assembly ("memory-safe") {
            revert(add(data, 32), mload(data))
        }
    }
}
