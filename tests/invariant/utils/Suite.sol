// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {vm} from "./Vm.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {MetricsOracle} from "../../../contracts/MetricsOracle.sol";
import {LeaseTerms} from "../../../contracts/LeaseTerms.sol";
import {LeaseManager} from "../../../contracts/LeaseManager.sol";
import {AssetRegistration} from "../../../contracts/libraries/AssetTypes.sol";

/// @notice The roles of a deployed suite, as fixed addresses, so handlers can prank them and
///         invariants can tell privileged callers from everyone else.
library Actors {
    address internal constant ADMIN = address(0xAD);
    address internal constant OPERATOR = address(0x0E);
    address internal constant COMPLIANCE = address(0xC0);
    address internal constant PAUSER = address(0x9A);
    address internal constant TREASURY = address(0x7E);
    address internal constant ARBITER = address(0xA8);
    address internal constant OUTSIDER = address(0xBAD);
    uint256 internal constant HOLDERS = 5;

    /// @notice Holder `i` (0-based): plain accounts that own and trade shares.
    function holder(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }
}

/// @notice Deploys the suite the way `compute-rwa deploy` does (registry with its share-token
///         implementation, metrics oracle, lease terms and manager), with the admin's roles
///         handed to the fixed actors above.
contract SuiteDeployment {
    uint256 internal constant EPOCH = 3600;
    uint16 internal constant PROTOCOL_FEE_BPS = 500;

    AssetRegistry internal registry;
    MetricsOracle internal oracle;
    LeaseTerms internal leaseTerms;
    LeaseManager internal leaseManager;

    /// @dev `bondToken` also backs the oracle's signer and challenge bonds (100 / 500 / 1,000
    ///      whole tokens, as the deploy defaults). `genesis` is the start of epoch 0.
    function deploySuite(address paymentToken, uint256 genesis, uint256 reportGrace) internal {
        vm.startPrank(Actors.ADMIN);
        registry = new AssetRegistry(Actors.ADMIN, 0, address(new ShareToken()), Actors.TREASURY, PROTOCOL_FEE_BPS);
        uint256 unit = 10 ** ShareToken(paymentToken).decimals();
        oracle = new MetricsOracle(
            Actors.ADMIN,
            0,
            address(registry),
            paymentToken,
            EPOCH,
            genesis,
            MetricsOracle.DisputeParams(1 days, 7 days, uint96(100 * unit), uint96(500 * unit), uint96(1_000 * unit))
        );
        leaseTerms = new LeaseTerms(address(registry));
        leaseManager = new LeaseManager(address(registry), address(oracle), address(leaseTerms), reportGrace);
        registry.grantRole(registry.OPERATOR_ROLE(), Actors.OPERATOR);
        registry.grantRole(registry.COMPLIANCE_ROLE(), Actors.COMPLIANCE);
        registry.grantRole(registry.PAUSER_ROLE(), Actors.PAUSER);
        registry.setInventoryListener(address(oracle));
        registry.setLeaseManager(address(leaseManager));
        registry.setPaymentTokenAllowed(paymentToken, true);
        oracle.grantRole(oracle.ARBITER_ROLE(), Actors.ARBITER);
        oracle.grantRole(oracle.PAUSER_ROLE(), Actors.PAUSER);
        vm.stopPrank();
    }

    /// @notice Registers a `gpus`-GPU H100 node owned by `owner` (who receives every share).
    function registerAsset(address paymentToken, uint32 gpus, address owner) internal returns (uint256 assetId, ShareToken shares) {
        AssetRegistration memory r = AssetRegistration({
            gpuModel: "H100-SXM5-80GB",
            gpuCount: gpus,
            ratedTflops: 989,
            ratedPowerWatts: 700,
            region: "eu-west",
            operator: Actors.OPERATOR,
            inventoryHash: keccak256(abi.encode("inventory", gpus, owner)),
            paymentToken: paymentToken,
            owner: owner,
            operatorFeeBps: 1_000,
            reserveBps: 500
        });
        vm.prank(Actors.OPERATOR);
        address token;
        (assetId, token) = registry.registerAsset(r);
        shares = ShareToken(token);
    }
}
