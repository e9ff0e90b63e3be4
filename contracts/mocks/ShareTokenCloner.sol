// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

/// @title ShareTokenCloner: test-only factory making share-token clones with a chosen "registry"
/// @dev Lets a test play the registry (an EOA) to prove that initialize runs only once.
contract ShareTokenCloner {
    event Cloned(address clone);

    function clone(address implementation, address registry, address paymentToken, uint64 assetId)
        external
        returns (address instance)
    {
        instance = Clones.cloneWithImmutableArgs(implementation, abi.encodePacked(registry, paymentToken, assetId));
        emit Cloned(instance);
    }
}
