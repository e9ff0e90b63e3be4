// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {bound, assertEq, assertTrue} from "../utils/InvariantTest.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {AssetStatus} from "../../../contracts/libraries/AssetTypes.sol";

/// @notice Drives one asset's share token through random payments, transfers, claims, fee and
///         reserve payouts, fee changes, compliance actions, pauses, retirement and burns, and
///         keeps the ledger the invariants check the token against. Unprivileged attempts at
///         privileged calls are made too, and must fail without changing anything.
contract RevenueHandler {
    using SafeERC20 for IERC20;

    AssetRegistry public immutable registry;
    ShareToken public immutable shares;
    IMintableToken public immutable token;
    uint256 public immutable assetId;
    uint256 public immutable unit;

    // The ledger: every payment-token unit that entered the token and every one that left.
    uint256 public paidIn;
    uint256 public claimed;
    uint256 public feesPaidOut;
    uint256 public reservePaidOut;
    uint256 public burned;
    uint256 public unprivilegedRefused;
    bool public retired;

    constructor(AssetRegistry registry_, ShareToken shares_, IMintableToken token_, uint256 assetId_) {
        registry = registry_;
        shares = shares_;
        token = token_;
        assetId = assetId_;
        unit = 10 ** token_.decimals();
    }

    function actor(uint256 seed) public pure returns (address) {
        return Actors.holder(seed % Actors.HOLDERS);
    }

    /* REVENUE */

    function distribute(uint256 payerSeed, uint256 amount) external {
        amount = bound(amount, 1, 1_000_000 * unit);
        address payer = actor(payerSeed);
        token.mint(payer, amount);
        vm.startPrank(payer);
        IERC20(address(token)).forceApprove(address(shares), amount);
        if (registry.paused()) {
            try shares.distribute(amount) {
                revert("distribute while paused");
            } catch {}
            vm.stopPrank();
            return;
        }
        shares.distribute(amount);
        vm.stopPrank();
        paidIn += amount;
    }

    /// @dev A claim always pays what claimableOf said, paused or not: pausing never traps revenue.
    function claim(uint256 holderSeed, bool throughRegistry) external {
        address holder = actor(holderSeed);
        uint256 expected = shares.claimableOf(holder);
        uint256 before = token.balanceOf(holder);
        vm.prank(holder);
        if (throughRegistry) {
            uint256[] memory ids = new uint256[](1);
            ids[0] = assetId;
            registry.claimMany(ids);
        } else {
            shares.claim();
        }
        assertEq(token.balanceOf(holder) - before, expected, "claim pays what claimableOf says");
        assertEq(shares.claimableOf(holder), 0, "nothing claimable right after a claim");
        claimed += expected;
    }

    function withdrawFees(bool operatorFees) external {
        uint256 before = token.balanceOf(address(shares));
        vm.prank(Actors.holder(0)); // anyone may trigger; the recipient is fixed
        if (operatorFees) shares.withdrawOperatorFees();
        else shares.withdrawProtocolFees();
        feesPaidOut += before - token.balanceOf(address(shares));
    }

    function releaseReserve(uint256 amount) external {
        (,, uint256 reserve,) = shares.pools();
        if (reserve == 0 || shares.totalSupply() == 0) return;
        amount = bound(amount, 1, reserve);
        vm.prank(Actors.OPERATOR);
        shares.releaseReserve(amount);
    }

    function withdrawReserve(uint256 amount) external {
        (,, uint256 reserve,) = shares.pools();
        if (reserve == 0) return;
        amount = bound(amount, 1, reserve);
        vm.prank(Actors.ADMIN);
        shares.withdrawReserve(Actors.TREASURY, amount);
        reservePaidOut += amount;
    }

    function setFeeRates(uint16 operatorBps, uint16 reserveBps) external {
        operatorBps = uint16(bound(operatorBps, 0, shares.MAX_OPERATOR_FEE_BPS()));
        reserveBps = uint16(bound(reserveBps, 0, shares.MAX_RESERVE_BPS()));
        vm.prank(Actors.OPERATOR);
        shares.setFeeRates(operatorBps, reserveBps);
    }

    /* SHARES */

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = actor(fromSeed);
        address to = actor(toSeed);
        uint256 balance = shares.balanceOf(from);
        amount = bound(amount, 0, balance);
        uint256 earnedFrom = shares.claimableOf(from);
        uint256 earnedTo = shares.claimableOf(to);
        vm.prank(from);
        try shares.transfer(to, amount) {
            // Revenue already earned stays with whoever earned it.
            assertEq(shares.claimableOf(from), earnedFrom, "transfer keeps the sender's earnings");
            assertEq(shares.claimableOf(to), earnedTo, "transfer gives the receiver no past earnings");
        } catch {
            // Only compliance may refuse a transfer within the balance.
            assertTrue(!shares.canTransfer(from, to, amount) || shares.transfersPaused() || registry.paused(), "transfer refused without a rule");
        }
    }

    function forcedTransfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = actor(fromSeed);
        address to = actor(toSeed);
        amount = bound(amount, 0, shares.balanceOf(from));
        uint256 earnedFrom = shares.claimableOf(from);
        vm.prank(Actors.COMPLIANCE);
        try shares.forcedTransfer(from, to, amount) {
            assertEq(shares.claimableOf(from), earnedFrom, "forced transfer keeps the sender's earnings");
        } catch {
            assertTrue(!shares.canReceive(to), "forced transfer refused to an allowed receiver");
        }
    }

    function setCompliance(uint256 holderSeed, uint8 action, uint256 amount) external {
        address holder = actor(holderSeed);
        vm.startPrank(Actors.COMPLIANCE);
        action = action % 4;
        if (action == 0) {
            shares.setAllowListEnabled(!shares.allowListEnabled());
        } else if (action == 1) {
            address[] memory accounts = new address[](1);
            accounts[0] = holder;
            shares.setAllowed(accounts, !shares.isAllowed(holder));
        } else if (action == 2) {
            shares.setFrozenTokens(holder, bound(amount, 0, shares.balanceOf(holder)));
        } else {
            vm.stopPrank();
            vm.startPrank(Actors.PAUSER);
            shares.setTransfersPaused(!shares.transfersPaused());
        }
        vm.stopPrank();
    }

    function togglePause() external {
        bool paused = registry.paused(); // read first: a prank applies to the very next call
        vm.prank(Actors.PAUSER);
        if (paused) registry.unpause();
        else registry.pause();
    }

    /// @dev Retirement is rare and final; after it, holders may burn.
    function retireAndBurn(uint256 holderSeed, uint256 amount, uint8 roll) external {
        if (!retired) {
            if (roll % 16 != 0) return;
            vm.prank(Actors.OPERATOR);
            registry.setAssetStatus(assetId, AssetStatus.Retired);
            retired = true;
        }
        address holder = actor(holderSeed);
        amount = bound(amount, 0, shares.balanceOf(holder));
        uint256 earned = shares.claimableOf(holder);
        vm.prank(holder);
        try shares.burn(amount) {
            burned += amount;
            assertEq(shares.claimableOf(holder), earned, "burning keeps earned revenue");
        } catch {
            assertTrue(shares.transfersPaused() || shares.allowListEnabled() || shares.getFrozenTokens(holder) > 0, "burn refused without a rule");
        }
    }

    /* UNPRIVILEGED */

    /// @dev An outsider tries each privileged entry point; every one must revert, and the
    ///      privileged state (fees, pools, compliance, pauses, status) must be as before.
    function outsiderAttempts(uint8 which, uint256 amount) external {
        bytes32 before = privilegedState();
        address victim = Actors.holder(0);
        vm.startPrank(Actors.OUTSIDER);
        which = which % 10;
        bool ok;
        if (which == 0) (ok,) = address(shares).call(abi.encodeCall(shares.setFeeRates, (0, 0)));
        else if (which == 1) (ok,) = address(shares).call(abi.encodeCall(shares.setProtocolFeeBps, (0)));
        else if (which == 2) (ok,) = address(shares).call(abi.encodeCall(shares.withdrawReserve, (Actors.OUTSIDER, amount)));
        else if (which == 3) (ok,) = address(shares).call(abi.encodeCall(shares.releaseReserve, (amount)));
        else if (which == 4) (ok,) = address(shares).call(abi.encodeCall(shares.forcedTransfer, (victim, Actors.OUTSIDER, amount)));
        else if (which == 5) (ok,) = address(shares).call(abi.encodeCall(shares.setFrozenTokens, (victim, amount)));
        else if (which == 6) (ok,) = address(shares).call(abi.encodeCall(shares.setTransfersPaused, (true)));
        else if (which == 7) (ok,) = address(shares).call(abi.encodeCall(shares.payLeaseFunds, (Actors.OUTSIDER, amount)));
        else if (which == 8) (ok,) = address(shares).call(abi.encodeCall(shares.claimFor, (victim)));
        else (ok,) = address(registry).call(abi.encodeCall(registry.setAssetStatus, (assetId, AssetStatus.Retired)));
        vm.stopPrank();
        assertTrue(!ok, "an outsider's privileged call succeeded");
        assertEq(uint256(privilegedState()), uint256(before), "an outsider changed privileged state");
        ++unprivilegedRefused;
    }

    /// @notice A digest of everything only privileged roles may change.
    function privilegedState() public view returns (bytes32) {
        (uint256 a, uint256 b, uint256 c,) = shares.pools();
        (uint16 f0, uint16 f1, uint16 f2) = shares.feeRates();
        bytes memory frozen;
        for (uint256 i; i < Actors.HOLDERS; ++i) {
            address h = Actors.holder(i);
            frozen = abi.encodePacked(frozen, shares.getFrozenTokens(h), shares.isAllowed(h), shares.balanceOf(h));
        }
        return keccak256(
            abi.encodePacked(
                a, b, c, f0, f1, f2, frozen, shares.transfersPaused(), shares.allowListEnabled(),
                uint8(registry.assetStatus(assetId)), token.balanceOf(address(shares))
            )
        );
    }
}
