// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {InvariantTest} from "../utils/InvariantTest.sol";
import {SuiteDeployment, Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {LeaseHandler, LeaseSuite} from "./LeaseHandler.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {MockStablecoin} from "../../../contracts/mocks/MockStablecoin.sol";
import {MockNoReturnToken} from "../../../contracts/mocks/MockNoReturnToken.sol";

/// @dev forge's console (for the outcome counts after each run, shown with -vv).
interface Console {
    function log(string calldata label, uint256 value) external view;
}

/// @notice Leases: escrow conservation to the wei (paid = released + credited + refunded +
///         escrowed; paid + compensation = released + paid out + escrowed + claimable; the share
///         token's balance is exactly that ledger and covers the waterfall's debts too), capacity
///         (booked counter = GPUs of unreleased leases <= GPU count, and in every epoch ahead the
///         GPUs of the leases covering it fit the asset), settlement only forward and exactly as
///         the rule says (reports, grace, SLA credits), every lease's view equal to the model's,
///         refunds and credits paid to the position's owner, exits open while paused or in
///         maintenance, and no privileged state changed by anyone unprivileged.
abstract contract LeaseInvariants is InvariantTest, SuiteDeployment {
    uint256 internal constant REPORT_GRACE = 2 hours;
    address internal constant OWNER = address(0x0A55E7); // holds every share of both assets

    LeaseHandler internal handler;

    function paymentToken() internal virtual returns (IMintableToken);

    function setUp() public {
        IMintableToken token = paymentToken();
        deploySuite(address(token), block.timestamp, REPORT_GRACE);
        LeaseSuite memory s;
        s.registry = registry;
        s.oracle = oracle;
        s.terms = leaseTerms;
        s.manager = leaseManager;
        s.token = token;
        s.genesis = block.timestamp;
        s.grace = REPORT_GRACE;
        s.gpuCount = [uint32(8), uint32(4)];
        (s.assetIds[0], s.shares[0]) = registerAsset(address(token), 8, OWNER);
        (s.assetIds[1], s.shares[1]) = registerAsset(address(token), 4, OWNER);
        handler = new LeaseHandler(s);
        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = LeaseHandler.openLease.selector;
        selectors[1] = LeaseHandler.openLease.selector; // opening three times as often
        selectors[18] = LeaseHandler.openLease.selector;
        selectors[2] = LeaseHandler.extendLease.selector;
        selectors[3] = LeaseHandler.terminateLease.selector;
        selectors[4] = LeaseHandler.claimLease.selector;
        selectors[5] = LeaseHandler.settleLease.selector;
        selectors[6] = LeaseHandler.settleMany.selector;
        selectors[7] = LeaseHandler.releaseCapacity.selector;
        selectors[8] = LeaseHandler.transferPosition.selector;
        selectors[9] = LeaseHandler.approvePosition.selector;
        selectors[10] = LeaseHandler.preemptLease.selector;
        selectors[11] = LeaseHandler.toggleMaintenance.selector;
        selectors[12] = LeaseHandler.togglePause.selector;
        selectors[13] = LeaseHandler.setTerms.selector;
        selectors[14] = LeaseHandler.setAllowList.selector;
        selectors[15] = LeaseHandler.submitReport.selector;
        selectors[16] = LeaseHandler.warp.selector;
        selectors[17] = LeaseHandler.outsiderAttempts.selector;
        targetHandler(address(handler), selectors);
    }

    function invariant_leaseConservation() external view virtual {
        handler.checkLaws();
    }

    function afterInvariant() external view {
        address console = address(0x000000000000000000636F6e736F6c652e6c6f67);
        string[30] memory names = [
            "open:ok", "open:capacity", "open:notAllowed", "open:duration", "open:price", "open:paused", "open:maintenance", "open:releaseFirst", "open:predecessors",
            "open:futureDated", "extend:ok", "extend:refused", "terminate:started", "terminate:unstarted",
            "preempt:ok", "settle:credit", "settle:ok", "settle:nothingReady", "settle:closed", "settle:closedLease", "terminate:refused", "claim:refused", "release:ok",
            "claim:ok", "transfer:ok", "report:late", "report:onTime", "exitWhilePaused", "exitInMaintenance", "acted:approved"
        ];
        for (uint256 i; i < names.length; ++i) {
            (bool ok,) = console.staticcall(abi.encodeCall(Console.log, (names[i], handler.hit(names[i]))));
            ok;
        }
    }
}

contract LeaseInvariants6Decimals is LeaseInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("USD Coin", "USDC", 6)));
    }
}

contract LeaseInvariants18Decimals is LeaseInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockStablecoin("Dai", "DAI", 18)));
    }
}

/// @dev USDT-style: transfer functions return nothing (SafeERC20 throughout).
contract LeaseInvariantsNoReturn is LeaseInvariants {
    function paymentToken() internal override returns (IMintableToken) {
        return IMintableToken(address(new MockNoReturnToken()));
    }
}
