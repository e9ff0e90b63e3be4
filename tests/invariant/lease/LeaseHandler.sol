// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {bound, assertEq, assertLe, assertTrue, InvariantBroken} from "../utils/InvariantTest.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {ShareToken} from "../../../contracts/ShareToken.sol";
import {MetricsOracle} from "../../../contracts/MetricsOracle.sol";
import {LeaseTerms} from "../../../contracts/LeaseTerms.sol";
import {LeaseManager} from "../../../contracts/LeaseManager.sol";
import {LeasePositions} from "../../../contracts/LeasePositions.sol";
import {ILeaseManager, LeaseStatus, LeaseView, LeaseRequest} from "../../../contracts/interfaces/ILeaseManager.sol";
import {ILeaseTerms, LeasePricing, LeasePolicy} from "../../../contracts/interfaces/ILeaseTerms.sol";
import {ILeasePositions} from "../../../contracts/interfaces/ILeasePositions.sol";
import {LeaseMath} from "../../../contracts/libraries/LeaseMath.sol";
import {AssetStatus} from "../../../contracts/libraries/AssetTypes.sol";

/// @notice The deployed suite a lease campaign drives (two assets of one payment token).
struct LeaseSuite {
    AssetRegistry registry;
    MetricsOracle oracle;
    LeaseTerms terms;
    LeaseManager manager;
    IMintableToken token;
    uint256[2] assetIds;
    ShareToken[2] shares;
    uint32[2] gpuCount;
    uint256 genesis;
    uint256 grace;
}

/// @notice Drives the lease manager through opens (next epoch, future-dated, with ended leases
///         released first and predecessors handing over their GPUs), extensions, terminations,
///         preemptions, settlements (one lease or many), capacity releases, claims, position
///         transfers and approvals, signed oracle reports (some epochs skipped, some late, some
///         below the SLA), clock jumps, the registry's pause, maintenance, term changes and the
///         lessee allow list. It keeps a mirror of every lease and a ledger per asset, predicts
///         each call's outcome (the amounts, or the exact custom error) and checks it.
contract LeaseHandler {
    using SafeERC20 for IERC20;

    uint256 internal constant EPOCH = 3600;
    uint256 internal constant RING = 168;
    uint256 internal constant WINDOW = 1 days; // the oracle's dispute window (Suite)
    uint256 internal constant SIGNER_KEY = 0x51C4E5;
    uint256 internal constant MAX_RELEASE_FIRST = 6;

    /// @dev The handler's copy of a lease (index = lease id - 1).
    struct Mirror {
        uint8 a;
        uint32 gpus;
        uint32 start;
        uint32 end;
        uint32 next;
        uint32 handed;
        uint96 price;
        uint16 target;
        uint16 feeBps;
        uint16 compBps;
        uint32 notice;
        LeaseStatus status;
        bool released;
        address owner;
        uint256 escrow;
        uint256 claimable;
    }

    /// @dev Per asset: every payment-token unit that entered or left the share token for leases,
    ///      and where the escrow went.
    struct Ledger {
        uint256 paidIn; // opens + extensions
        uint256 compIn; // preemption compensation
        uint256 paidOut; // claims + termination payouts
        uint256 released; // settled charges - credits + termination fees (the waterfall)
        uint256 credited; // SLA credits
        uint256 refunded; // termination and preemption refunds
        uint32 booked; // GPUs of leases whose capacity is not released, less those handed over
    }

    struct Report {
        uint16 uptime;
        uint40 at;
    }

    struct OpenPlan {
        uint8 a;
        address payer;
        address recipient;
        uint32 requestStart;
        uint32 start;
        uint32 gpus;
        uint32 epochs;
        uint32 booked; // after the releases
        uint32 fromFree;
        uint256 total;
        uint96 price;
        uint256 maxTotal;
        uint256[] releaseFirst;
        uint256[] predecessors;
        uint32[] takes;
    }

    struct SettleOut {
        uint256 settled;
        uint256 released;
        uint256 credited;
        uint256 escrow;
        uint32 next;
    }

    AssetRegistry public immutable registry;
    MetricsOracle public immutable oracle;
    LeaseTerms public immutable terms;
    LeaseManager public immutable manager;
    LeasePositions public immutable positions;
    IMintableToken public immutable token;
    uint256 public immutable unit;
    uint256 public immutable genesis;
    uint256 public immutable grace;
    address public immutable signer;

    uint256[2] public assetIds;
    ShareToken[2] public shares;
    uint32[2] public gpuCount;

    Mirror[] internal _leases;
    Ledger[2] internal _ledger;
    mapping(uint256 a => mapping(uint256 epoch => Report)) internal _reports;
    mapping(uint256 a => mapping(uint256 slot => uint256 epochPlusOne)) internal _ring;
    uint256[2] internal _latestPlusOne;

    /// @notice The campaign's clock (forge may reset block.timestamp between calls).
    uint256 public time;
    uint256 public blockNumber;

    // Outcome counters, for the report.
    mapping(bytes32 => uint256) public hits;

    constructor(LeaseSuite memory s) {
        registry = s.registry;
        oracle = s.oracle;
        terms = s.terms;
        manager = s.manager;
        positions = LeasePositions(s.manager.positions());
        token = s.token;
        unit = 10 ** s.token.decimals();
        genesis = s.genesis;
        grace = s.grace;
        assetIds = s.assetIds;
        shares = s.shares;
        gpuCount = s.gpuCount;
        time = block.timestamp;
        blockNumber = block.number;
        signer = vm.addr(SIGNER_KEY);

        // Terms: asset 0 priced dynamically, asset 1 flat.
        _setPricing(0, 0);
        _setPolicy(0, 0);
        _setPricing(1, 0);
        _setPolicy(1, 0);

        // Oracle: one bonded signer, threshold 1; both assets synced.
        uint256 bond = 1_000 * unit;
        token.mint(Actors.ADMIN, bond);
        vm.startPrank(Actors.ADMIN);
        IERC20(address(token)).forceApprove(address(oracle), bond);
        oracle.depositBond(signer, bond);
        address[] memory signers = new address[](1);
        signers[0] = signer;
        oracle.setSigners(signers, 1);
        vm.stopPrank();
        uint256[] memory ids = new uint256[](2);
        ids[0] = assetIds[0];
        ids[1] = assetIds[1];
        oracle.syncAssets(ids);

        // Lessees, the operator and the admin pay the manager (approve once, exact mints later).
        for (uint256 i; i < Actors.HOLDERS; ++i) _approveManager(Actors.holder(i));
        _approveManager(Actors.OPERATOR);
        _approveManager(Actors.ADMIN);
    }

    modifier synced() {
        if (block.timestamp != time) vm.warp(time);
        if (block.number != blockNumber) vm.roll(blockNumber);
        _;
    }

    function actor(uint256 seed) public pure returns (address) {
        return Actors.holder(seed % Actors.HOLDERS);
    }

    function leaseCount() external view returns (uint256) {
        return _leases.length;
    }

    function ledger(uint256 a) external view returns (Ledger memory) {
        return _ledger[a];
    }

    function hit(string memory what) public view returns (uint256) {
        return hits[keccak256(bytes(what))];
    }

    /* LESSEES */

    function openLease(
        uint256 assetSeed,
        uint256 payerSeed,
        uint256 recipientSeed,
        uint256 gpusSeed,
        uint256 aheadSeed,
        uint256 epochsSeed,
        uint256 flags
    ) public synced {
        OpenPlan memory p = _plan(assetSeed, payerSeed, recipientSeed, gpusSeed, aheadSeed, epochsSeed, flags);
        LeaseRequest memory request = LeaseRequest({
            assetId: assetIds[p.a],
            gpus: p.gpus,
            startEpoch: p.requestStart,
            epochs: p.epochs,
            maxTotalPrice: p.maxTotal,
            recipient: p.recipient
        });
        bytes4 expected = _openRefusal(p);
        token.mint(p.payer, p.total);
        if (expected != bytes4(0)) {
            _expectRevert(
                p.payer,
                address(manager),
                abi.encodeCall(manager.open, (request, p.releaseFirst, p.predecessors)),
                expected,
                "open refused with the predicted error"
            );
            _count(_openRefusalName(expected));
            _reopenIfClosed(p.a, expected);
            return;
        }
        if (p.releaseFirst.length == 0) {
            (uint256 quoted, uint96 quotedPrice) = manager.quote(assetIds[p.a], p.gpus, p.epochs);
            assertEq(quoted, p.total, "quote() is what open charges");
            assertEq(quotedPrice, p.price, "quote() price is the locked price");
        }
        uint256 before = token.balanceOf(address(shares[p.a]));
        uint256 payerBefore = token.balanceOf(p.payer);
        vm.prank(p.payer);
        uint256 id = manager.open(request, p.releaseFirst, p.predecessors);
        assertEq(id, _leases.length + 1, "lease ids run from 1");
        assertEq(token.balanceOf(address(shares[p.a])) - before, p.total, "open escrows the quoted total in the share token");
        assertEq(payerBefore - token.balanceOf(p.payer), p.total, "the payer pays the total");
        assertTrue(positions.ownerOf(id) == p.recipient, "the recipient owns the position");
        _applyOpen(p);
        _count("open:ok");
        if (p.releaseFirst.length != 0) _count("open:releaseFirst");
        if (p.predecessors.length != 0) _count("open:predecessors");
        if (p.requestStart > _current() + 1) _count("open:futureDated");
    }

    function extendLease(uint256 leaseSeed, uint256 senderSeed, uint256 epochsSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, senderSeed, senderSeed >> 8, epochsSeed, 0, epochsSeed >> 8, 0);
            return;
        }
        uint256 id = _pickFor(leaseSeed, 0);
        Mirror memory m = _leases[id - 1];
        (address sender, bool stranger) = _sender(id, senderSeed);
        LeasePolicy memory policy = terms.policyOf(assetIds[m.a]);
        uint32 epochs = uint32(bound(epochsSeed, 1, 48));
        if (epochsSeed % 16 == 0) epochs = policy.maxEpochs + 1; // too long
        uint32 current = _current();
        bytes4 expected;
        if (stranger) expected = ILeaseManager.LeaseNotOwner.selector;
        else if (m.status != LeaseStatus.Active) expected = ILeaseManager.LeaseNotRunning.selector;
        else if (registry.paused()) expected = ILeaseManager.LeasePaused.selector;
        else if (registry.assetStatus(assetIds[m.a]) != AssetStatus.Active) expected = ILeaseManager.LeaseAssetNotActive.selector;
        else if (m.end <= current || m.released) expected = ILeaseManager.LeaseAlreadyEnded.selector;
        else if (m.handed != 0) expected = ILeaseManager.LeaseCapacityPromised.selector;
        else if (epochs < policy.minEpochs || uint256(m.end - m.start) + epochs > policy.maxEpochs) {
            expected = ILeaseManager.LeaseInvalidDuration.selector;
        }
        uint256 cost;
        if (expected == bytes4(0)) {
            LeasePricing memory pricing = terms.pricingOf(assetIds[m.a]);
            uint32 booked = _ledger[m.a].booked;
            uint256 price = LeaseMath.meanPrice(
                pricing.basePricePerGpuHour, pricing.dynamic, pricing.targetUtilizationBps, pricing.maxPremiumBps,
                gpuCount[m.a], booked, booked
            );
            cost = LeaseMath.epochCharge(m.gpus, price, EPOCH) * epochs;
        }
        token.mint(sender, cost);
        if (expected != bytes4(0)) {
            _expectRevert(sender, address(manager), abi.encodeCall(manager.extend, (id, epochs, type(uint256).max)), expected, "extend refused with the predicted error");
            _count(expected == ILeaseManager.LeasePaused.selector ? "extend:paused" : "extend:refused");
            _reopenIfClosed(m.a, expected);
            return;
        }
        uint256 before = token.balanceOf(address(shares[m.a]));
        vm.prank(sender);
        uint256 paid = manager.extend(id, epochs, cost);
        assertEq(paid, cost, "extend charges the point price at today's booking");
        assertEq(token.balanceOf(address(shares[m.a])) - before, cost, "extend escrows its cost");
        Mirror storage s = _leases[id - 1];
        s.end += epochs;
        s.escrow += cost;
        _ledger[m.a].paidIn += cost;
        _count("extend:ok");
    }

    function terminateLease(uint256 leaseSeed, uint256 senderSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, senderSeed, senderSeed >> 8, leaseSeed >> 8, 0, senderSeed >> 16, 0);
            return;
        }
        uint256 id = _pickFor(leaseSeed, 1);
        Mirror memory m = _leases[id - 1];
        (address sender, bool stranger) = _sender(id, senderSeed);
        uint32 newEnd = _current() + 1;
        if (newEnd < m.start) newEnd = m.start;
        bytes4 expected;
        if (stranger) expected = ILeaseManager.LeaseNotOwner.selector;
        else if (m.status != LeaseStatus.Active && m.status != LeaseStatus.Preempted) expected = ILeaseManager.LeaseNotRunning.selector;
        else if (newEnd >= m.end) expected = ILeaseManager.LeaseNothingToEnd.selector;
        _noteExit();
        if (expected != bytes4(0)) {
            _expectRevert(sender, address(manager), abi.encodeCall(manager.terminate, (id)), expected, "terminate refused with the predicted error");
            _count("terminate:refused");
            return;
        }
        uint256 unused = m.escrow * (m.end - newEnd) / (m.end - m.next);
        uint256 fee = unused * m.feeBps / LeaseMath.BPS;
        uint256 refund = unused - fee;
        uint256 owed = m.claimable + refund;
        uint256 ownerBefore = token.balanceOf(m.owner);
        uint256 senderBefore = token.balanceOf(sender);
        vm.prank(sender);
        (uint256 gotRefund, uint256 gotFee) = manager.terminate(id);
        assertEq(gotRefund, refund, "termination refund = unused escrow - fee");
        assertEq(gotFee, fee, "termination fee = unused escrow x fee rate");
        assertEq(token.balanceOf(m.owner) - ownerBefore, owed, "termination pays the position's owner all it is owed");
        if (sender != m.owner) assertEq(token.balanceOf(sender), senderBefore, "an approved caller receives nothing");
        Mirror storage s = _leases[id - 1];
        s.escrow -= unused;
        s.end = newEnd;
        s.status = s.next == newEnd ? LeaseStatus.Closed : LeaseStatus.Terminated;
        s.claimable = 0;
        Ledger storage l = _ledger[m.a];
        l.released += fee;
        l.refunded += refund;
        l.paidOut += owed;
        _count(m.start > _current() ? "terminate:unstarted" : "terminate:started");
        if (sender != m.owner) _count("acted:approved");
    }

    function claimLease(uint256 leaseSeed, uint256 senderSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, senderSeed, senderSeed >> 8, leaseSeed >> 8, 0, senderSeed >> 16, 0);
            return;
        }
        uint256 id = _pickOwed(leaseSeed);
        Mirror memory m = _leases[id - 1];
        (address sender, bool stranger) = _sender(id, senderSeed);
        _noteExit();
        if (stranger || m.claimable == 0) {
            bytes4 expected = stranger ? ILeaseManager.LeaseNotOwner.selector : ILeaseManager.LeaseNothingToClaim.selector;
            _expectRevert(sender, address(manager), abi.encodeCall(manager.claim, (id)), expected, "claim refused with the predicted error");
            _count("claim:refused");
            return;
        }
        uint256 ownerBefore = token.balanceOf(m.owner);
        uint256 senderBefore = token.balanceOf(sender);
        vm.prank(sender);
        uint256 amount = manager.claim(id);
        assertEq(amount, m.claimable, "claim pays what the position is owed");
        assertEq(token.balanceOf(m.owner) - ownerBefore, m.claimable, "claim pays the position's owner");
        if (sender != m.owner) assertEq(token.balanceOf(sender), senderBefore, "an approved caller receives nothing");
        _leases[id - 1].claimable = 0;
        _ledger[m.a].paidOut += amount;
        _count("claim:ok");
    }

    /* ANYONE */

    function settleLease(uint256 leaseSeed, uint256 maxSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, maxSeed, maxSeed >> 8, leaseSeed >> 8, 0, maxSeed >> 16, 0);
            return;
        }
        uint256 id = _pickLive(leaseSeed);
        uint256 maxEpochs = bound(maxSeed, 1, 60);
        Mirror memory m = _leases[id - 1];
        address keeper = actor(maxSeed >> 8);
        _noteExit();
        if (m.status == LeaseStatus.Closed) {
            _expectRevert(keeper, address(manager), abi.encodeCall(manager.settle, (id, maxEpochs)), ILeaseManager.LeaseNotRunning.selector, "settling a closed lease is refused");
            _count("settle:closed");
            return;
        }
        SettleOut memory out = _settlePreview(id, maxEpochs);
        if (out.settled == 0) {
            _expectRevert(keeper, address(manager), abi.encodeCall(manager.settle, (id, maxEpochs)), ILeaseManager.LeaseNothingToSettle.selector, "nothing ready: settle refused");
            _count("settle:nothingReady");
            return;
        }
        vm.prank(keeper);
        uint256 settled = manager.settle(id, maxEpochs);
        assertEq(settled, out.settled, "settle settles every ready epoch up to the maximum");
        _settleApply(id, out);
        _count(out.credited != 0 ? "settle:credit" : "settle:ok");
    }

    function settleMany(uint256 seed, uint256 maxSeed) external synced {
        if (_leases.length == 0) {
            openLease(seed, maxSeed, maxSeed >> 8, seed >> 8, 0, maxSeed >> 16, 0);
            return;
        }
        uint256 n = bound(seed, 1, 5);
        uint256[] memory ids = new uint256[](n);
        for (uint256 i; i < n; ++i) ids[i] = _pick(uint256(keccak256(abi.encode(seed, i))));
        uint256 maxEach = bound(maxSeed, 1, 100);
        _noteExit();
        vm.prank(actor(maxSeed >> 8));
        uint256[] memory settled = manager.settleMany(ids, maxEach);
        for (uint256 i; i < n; ++i) {
            uint256 want;
            if (_leases[ids[i] - 1].status != LeaseStatus.Closed) {
                SettleOut memory out = _settlePreview(ids[i], maxEach);
                want = out.settled;
                if (want != 0) _settleApply(ids[i], out);
            }
            assertEq(settled[i], want, "settleMany settles each ready lease, skips the rest");
        }
        _count("settleMany");
    }

    function releaseCapacity(uint256 leaseSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, leaseSeed >> 8, leaseSeed >> 16, leaseSeed >> 24, 0, leaseSeed >> 32, 0);
            return;
        }
        uint256 id = _pickReleasable(leaseSeed);
        Mirror memory m = _leases[id - 1];
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        address caller = actor(leaseSeed >> 8);
        _noteExit();
        bytes4 expected;
        if (m.released) expected = ILeaseManager.LeaseCapacityAlreadyReleased.selector;
        else if (time < _epochStart(m.end)) expected = ILeaseManager.LeaseCapacityInUse.selector;
        if (expected != bytes4(0)) {
            _expectRevert(caller, address(manager), abi.encodeCall(manager.releaseCapacity, (ids)), expected, "release refused with the predicted error");
            _count("release:refused");
            return;
        }
        vm.prank(caller);
        manager.releaseCapacity(ids);
        _release(id);
        _count("release:ok");
    }

    /* POSITIONS */

    function transferPosition(uint256 leaseSeed, uint256 toSeed, bool viaApproved) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, toSeed, toSeed >> 8, leaseSeed >> 8, 0, toSeed >> 16, 0);
            return;
        }
        uint256 id = _pick(leaseSeed);
        Mirror memory m = _leases[id - 1];
        address to = actor(toSeed);
        if (to == m.owner) to = actor(toSeed % Actors.HOLDERS + 1);
        address approved = positions.getApproved(id);
        address caller = viaApproved && approved != address(0) ? approved : m.owner;
        bool allowed = terms.isLesseeAllowed(assetIds[m.a], to);
        _noteExit();
        if (!allowed) {
            _expectRevert(caller, address(positions), abi.encodeCall(positions.transferFrom, (m.owner, to, id)), ILeasePositions.PositionsTransferNotAllowed.selector, "a position moves only to an allowed lessee");
            _count("transfer:notAllowed");
            return;
        }
        vm.prank(caller);
        positions.transferFrom(m.owner, to, id);
        assertTrue(positions.ownerOf(id) == to, "the position moved");
        assertTrue(positions.getApproved(id) == address(0), "a transfer clears the approval");
        _leases[id - 1].owner = to;
        _count("transfer:ok");
    }

    function approvePosition(uint256 leaseSeed, uint256 spenderSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, spenderSeed, spenderSeed >> 8, leaseSeed >> 8, 0, spenderSeed >> 16, 0);
            return;
        }
        uint256 id = _pick(leaseSeed);
        address owner = _leases[id - 1].owner;
        address spender = actor(spenderSeed);
        if (spender == owner) spender = actor(spenderSeed % Actors.HOLDERS + 1);
        vm.prank(owner);
        positions.approve(spender, id);
        _count("approve");
    }

    /* OPERATOR */

    function preemptLease(uint256 leaseSeed, uint256 extraSeed) external synced {
        if (_leases.length == 0) {
            openLease(leaseSeed, extraSeed, extraSeed >> 8, leaseSeed >> 8, 0, extraSeed >> 16, 0);
            return;
        }
        uint256 id = _pickFor(leaseSeed, 2);
        Mirror memory m = _leases[id - 1];
        address caller = extraSeed % 5 == 0 ? Actors.ADMIN : Actors.OPERATOR;
        uint32 earliest = _current() + 1 + m.notice;
        uint32 effective = extraSeed % 8 == 1 ? earliest - 1 : earliest + uint32(bound(extraSeed >> 8, 0, 30));
        uint32 newEnd = effective < m.start ? m.start : effective;
        _noteExit();
        bytes4 expected;
        if (m.status != LeaseStatus.Active) expected = ILeaseManager.LeaseNotRunning.selector;
        else if (effective < earliest) expected = ILeaseManager.LeaseNoticeTooShort.selector;
        else if (newEnd >= m.end) expected = ILeaseManager.LeaseNothingToEnd.selector;
        if (expected != bytes4(0)) {
            _expectRevert(caller, address(manager), abi.encodeCall(manager.preempt, (id, effective)), expected, "preempt refused with the predicted error");
            _count("preempt:refused");
            return;
        }
        uint256 refund = m.escrow * (m.end - newEnd) / (m.end - m.next);
        uint256 compensation = refund * m.compBps / LeaseMath.BPS;
        token.mint(caller, compensation);
        uint256 callerBefore = token.balanceOf(caller);
        uint256 before = token.balanceOf(address(shares[m.a]));
        vm.prank(caller);
        (uint256 gotRefund, uint256 gotComp) = manager.preempt(id, effective);
        assertEq(gotRefund, refund, "preemption refunds the lost epochs' escrow");
        assertEq(gotComp, compensation, "preemption compensation = refund x rate");
        assertEq(callerBefore - token.balanceOf(caller), compensation, "the preempting operator pays the compensation");
        assertEq(token.balanceOf(address(shares[m.a])) - before, compensation, "compensation is held for the position");
        Mirror storage s = _leases[id - 1];
        s.escrow -= refund;
        s.end = newEnd;
        s.status = s.next == newEnd ? LeaseStatus.Closed : LeaseStatus.Preempted;
        s.claimable += refund + compensation;
        Ledger storage l = _ledger[m.a];
        l.refunded += refund;
        l.compIn += compensation;
        _count("preempt:ok");
    }

    /// @dev Maintenance on (then an exit, which must still work, and back to active three times
    ///      in four), or off.
    function toggleMaintenance(uint256 assetSeed) external synced {
        uint256 a = assetSeed % 2;
        AssetStatus status = registry.assetStatus(assetIds[a]);
        vm.prank(Actors.OPERATOR);
        registry.setAssetStatus(assetIds[a], status == AssetStatus.Active ? AssetStatus.Maintenance : AssetStatus.Active);
        _count("maintenance");
        if (status != AssetStatus.Active) return;
        _exitCall(assetSeed >> 8);
        // (An exit that found no lease opened one instead, whose refusal reopened already.)
        if ((assetSeed >> 4) % 4 != 0 && registry.assetStatus(assetIds[a]) != AssetStatus.Active) {
            vm.prank(Actors.OPERATOR);
            registry.setAssetStatus(assetIds[a], AssetStatus.Active);
        }
    }

    /// @dev The registry paused (then an exit, which must still work, and unpaused three times
    ///      in four), or unpaused.
    function togglePause(uint256 seed) external synced {
        bool paused = registry.paused();
        vm.prank(Actors.PAUSER);
        if (paused) registry.unpause();
        else registry.pause();
        _count("pause");
        if (paused) return;
        _exitCall(seed >> 8);
        if ((seed >> 4) % 4 != 0 && registry.paused()) {
            vm.prank(Actors.PAUSER);
            registry.unpause();
        }
    }

    /// @dev One of the exits (settle, terminate, claim, preempt, release, transfer) through this
    ///      handler's own checked entry points.
    function _exitCall(uint256 seed) internal {
        uint256 k = seed % 6;
        uint256 s1 = uint256(keccak256(abi.encode(seed, 1)));
        uint256 s2 = uint256(keccak256(abi.encode(seed, 2)));
        if (k == 0) this.settleLease(s1, s2);
        else if (k == 1) this.terminateLease(s1, s2);
        else if (k == 2) this.claimLease(s1, s2);
        else if (k == 3) this.preemptLease(s1, s2);
        else if (k == 4) this.releaseCapacity(s1);
        else this.transferPosition(s1, s2, false);
    }

    function setTerms(uint256 assetSeed, uint256 preset) external synced {
        uint8 a = uint8(assetSeed % 2);
        if (preset % 2 == 0) _setPricing(a, (preset >> 1) % 2);
        else _setPolicy(a, (preset >> 1) % 2);
        _count("terms");
    }

    function setAllowList(uint256 assetSeed, uint256 holderSeed, uint8 action) external synced {
        uint256 assetId = assetIds[assetSeed % 2];
        bool enabled = terms.lesseeAllowListEnabled(assetId);
        if (action % 4 == 0 && (enabled || action % 16 == 0)) {
            // The list goes on now and then (one toggle in four when off), off again soon.
            vm.prank(Actors.COMPLIANCE);
            terms.setLesseeAllowListEnabled(assetId, !enabled);
        } else {
            address[] memory accounts = new address[](1);
            accounts[0] = actor(holderSeed);
            vm.prank(Actors.COMPLIANCE);
            terms.setLesseeAllowed(assetId, accounts, action % 4 != 1);
        }
        _count("allowList");
    }

    /* ORACLE AND TIME */

    /// @dev A signed report for the asset's next reportable epoch, after `skip` unreported ones.
    function submitReport(uint256 assetSeed, uint256 skip, uint256 uptimeSeed) external synced {
        uint8 a = uint8(assetSeed % 2);
        uint256 epoch = _latestPlusOne[a];
        // Mostly a recent epoch (on time); the epochs jumped over stay unreported.
        uint32 current = _current();
        if (current >= 3 && epoch < current - 3 && skip % 4 != 0) epoch = current - 3;
        epoch += skip % 3;
        if (epoch >= _current()) _warpTo(_epochStart(epoch + 1) + 1); // the epoch must have ended
        uint16[8] memory choices = [uint16(10_000), 10_000, 9_990, 9_900, 9_899, 9_500, 5_000, 0];
        uint16 uptime = choices[uptimeSeed % 8];
        bytes32 inventoryHash = registry.assetSpec(assetIds[a]).inventoryHash;
        bytes memory report = abi.encodePacked(
            uint64(assetIds[a]), uint32(epoch), inventoryHash, uint16(5_000), uptime, uint32(0), uint40(0), uint32(0)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, oracle.batchDigest(report));
        vm.prank(Actors.TREASURY);
        oracle.submitReports(report, abi.encodePacked(r, s, v));
        _reports[a][epoch] = Report(uptime, uint40(time));
        _ring[a][epoch % RING] = epoch + 1;
        _latestPlusOne[a] = epoch + 1;
        _count(time > _epochStart(epoch + 1) + grace ? "report:late" : "report:onTime");
        if (skip % 3 != 0) _count("report:skipped");
    }

    function warp(uint256 seconds_) external synced {
        _warpTo(time + bound(seconds_, 60, 26 hours));
        _count("warp");
    }

    /* UNPRIVILEGED */

    /// @dev An outsider tries each privileged entry point; every one must revert, and the
    ///      privileged state (terms, allow lists, pause, statuses, leases, positions, escrow,
    ///      signers) must be as before.
    function outsiderAttempts(uint8 which, uint256 leaseSeed, uint256 amount) external synced {
        bytes32 before = privilegedState();
        uint256 assetId = assetIds[leaseSeed % 2];
        ShareToken share = shares[leaseSeed % 2];
        uint256 id = _leases.length == 0 ? 1 : _pick(leaseSeed);
        address owner = _leases.length == 0 ? Actors.holder(0) : _leases[id - 1].owner;
        amount = bound(amount, 1, token.balanceOf(address(share)) + 1);
        address[] memory accounts = new address[](1);
        accounts[0] = Actors.OUTSIDER;
        bool paused = registry.paused();
        AssetStatus status = registry.assetStatus(assetId);
        bool listOn = terms.lesseeAllowListEnabled(assetId);
        uint32 far = _current() + 500;
        which = which % 16;
        bytes memory data;
        address target = address(manager);
        if (which == 0) (target, data) = (address(terms), abi.encodeCall(terms.setPricing, (assetId, LeasePricing(1, false, 0, 0))));
        else if (which == 1) (target, data) = (address(terms), abi.encodeCall(terms.setPolicy, (assetId, LeasePolicy(0, 5_000, 0, 0, 1, 87_600))));
        else if (which == 2) (target, data) = (address(terms), abi.encodeCall(terms.setLesseeAllowListEnabled, (assetId, !listOn)));
        else if (which == 3) (target, data) = (address(terms), abi.encodeCall(terms.setLesseeAllowed, (assetId, accounts, true)));
        else if (which == 4) data = abi.encodeCall(manager.preempt, (id, far));
        else if (which == 5) data = abi.encodeCall(manager.terminate, (id));
        else if (which == 6) data = abi.encodeCall(manager.extend, (id, 1, type(uint256).max));
        else if (which == 7) data = abi.encodeCall(manager.claim, (id));
        else if (which == 8) (target, data) = (address(positions), abi.encodeCall(positions.transferFrom, (owner, Actors.OUTSIDER, id)));
        else if (which == 9) (target, data) = (address(positions), abi.encodeCall(positions.mint, (Actors.OUTSIDER, 1_000_000)));
        else if (which == 10) (target, data) = (address(registry), paused ? abi.encodeCall(registry.unpause, ()) : abi.encodeCall(registry.pause, ()));
        else if (which == 11) (target, data) = (address(registry), abi.encodeCall(registry.setAssetStatus, (assetId, status == AssetStatus.Active ? AssetStatus.Maintenance : AssetStatus.Active)));
        else if (which == 12) (target, data) = (address(share), abi.encodeCall(share.payLeaseFunds, (Actors.OUTSIDER, amount)));
        else if (which == 13) (target, data) = (address(share), abi.encodeCall(share.receiveLeaseRevenue, (amount)));
        else if (which == 14) (target, data) = (address(oracle), abi.encodeCall(oracle.setSigners, (accounts, 1)));
        else (target, data) = (address(positions), abi.encodeCall(positions.approve, (Actors.OUTSIDER, id)));
        vm.prank(Actors.OUTSIDER);
        (bool ok,) = target.call(data);
        assertTrue(!ok, "an outsider's privileged call succeeded");
        assertEq(uint256(privilegedState()), uint256(before), "an outsider changed privileged state");
        _count("outsider");
    }

    /// @notice A digest of everything only privileged roles or position owners may change.
    function privilegedState() public view returns (bytes32 digest) {
        for (uint256 a; a < 2; ++a) {
            uint256 assetId = assetIds[a];
            (uint32 booked, uint32 count) = manager.capacityOf(assetId);
            digest = keccak256(
                abi.encode(
                    digest,
                    terms.pricingOf(assetId),
                    terms.policyOf(assetId),
                    terms.lesseeAllowListEnabled(assetId),
                    terms.isLesseeAllowed(assetId, Actors.OUTSIDER),
                    registry.assetStatus(assetId),
                    booked,
                    count,
                    token.balanceOf(address(shares[a]))
                )
            );
        }
        (uint24 version,,) = oracle.signerConfig();
        digest = keccak256(abi.encode(digest, registry.paused(), version, positions.balanceOf(Actors.OUTSIDER)));
        for (uint256 id = 1; id <= _leases.length; ++id) {
            digest = keccak256(abi.encode(digest, manager.lease(id), positions.ownerOf(id), positions.getApproved(id)));
        }
    }

    /* LAWS (read by the invariant) */

    /// @notice Every law of the family, against the chain; reverts with InvariantBroken.
    function checkLaws() external view {
        uint256[2] memory escrow;
        uint256[2] memory claimable;
        uint32[2] memory booked;
        for (uint256 id = 1; id <= _leases.length; ++id) {
            Mirror memory m = _leases[id - 1];
            LeaseView memory v = manager.lease(id);
            assertEq(v.assetId, assetIds[m.a], "lease asset");
            assertEq(v.gpus, m.gpus, "lease gpus");
            assertEq(v.startEpoch, m.start, "lease start");
            assertEq(v.endEpoch, m.end, "lease end = model");
            assertEq(v.nextEpoch, m.next, "settled epochs = model (forward only, none twice)");
            assertLe(v.nextEpoch, v.endEpoch, "nothing settled past the end");
            assertEq(v.pricePerGpuHour, m.price, "locked price never changes");
            assertEq(v.uptimeTargetBps, m.target, "locked SLA target");
            assertEq(v.terminationFeeBps, m.feeBps, "locked termination fee");
            assertEq(v.compensationBps, m.compBps, "locked compensation");
            assertEq(v.noticeEpochs, m.notice, "locked notice");
            assertEq(uint8(v.status), uint8(m.status), "lease status = model");
            assertTrue(v.capacityReleased == m.released, "capacity released = model");
            assertEq(v.handedOver, m.handed, "GPUs handed over = model");
            assertLe(v.handedOver, v.gpus, "never hands over more than it has");
            assertEq(v.escrow, m.escrow, "lease escrow = model (to the wei)");
            assertEq(v.claimable, m.claimable, "lease claimable = model (to the wei)");
            if (m.status == LeaseStatus.Closed) assertEq(v.escrow, 0, "a closed lease holds no escrow");
            assertTrue(positions.ownerOf(id) == m.owner, "position owner = model");
            escrow[m.a] += m.escrow;
            claimable[m.a] += m.claimable;
            if (!m.released) booked[m.a] += m.gpus - m.handed;
        }
        for (uint256 a; a < 2; ++a) {
            Ledger memory l = _ledger[a];
            (uint32 b, uint32 count) = manager.capacityOf(assetIds[a]);
            assertEq(b, l.booked, "booked counter = model");
            assertEq(b, booked[a], "booked counter = GPUs of unreleased leases (less handed over)");
            assertEq(count, gpuCount[a], "GPU count");
            assertLe(b, count, "booked GPUs never exceed the asset's GPUs");
            ShareToken share = shares[a];
            uint256 balance = token.balanceOf(address(share));
            assertEq(balance + l.paidOut, l.paidIn + l.compIn, "share token balance = paid in + compensation - paid out");
            assertEq(l.paidIn, l.released + l.credited + l.refunded + escrow[a], "paid = released + credited + refunded + escrowed");
            assertEq(
                l.paidIn + l.compIn,
                l.released + l.paidOut + escrow[a] + claimable[a],
                "paid + compensation = released + paid out + escrowed + claimable"
            );
            // The waterfall got exactly what was released (nobody withdraws in this campaign):
            // fee pools + reserve + the holder's claimable, short of it by rounding dust only.
            (uint256 opFees, uint256 protFees, uint256 reserve, uint256 dustE18) = share.pools();
            uint256 owed = opFees + protFees + reserve + share.claimableOf(_owner());
            assertLe(owed, l.released, "waterfall never owes more than was released");
            assertLe(l.released - owed, dustE18 / 1e18 + 1, "waterfall keeps all but rounding dust");
            assertLe(owed + escrow[a] + claimable[a], balance, "balance covers claimable + fees + reserve + escrow");
        }
        _checkPeakUse();
    }

    /// @dev In every epoch from now on, the GPUs of the leases covering it fit the asset. The
    ///      use is piecewise constant and rises only where a lease starts: checking now and
    ///      each start ahead covers every epoch.
    function _checkPeakUse() internal view {
        uint32 current = _current();
        uint256 n = _leases.length;
        for (uint256 i; i <= n; ++i) {
            uint32 e = i == n ? current : _leases[i].start;
            if (e < current) continue;
            uint256[2] memory use;
            for (uint256 j; j < n; ++j) {
                Mirror storage m = _leases[j];
                if (m.start <= e && e < m.end) use[m.a] += m.gpus;
            }
            assertLe(use[0], gpuCount[0], "GPUs in use in an epoch fit the asset (0)");
            assertLe(use[1], gpuCount[1], "GPUs in use in an epoch fit the asset (1)");
        }
    }

    /* INTERNAL: opening */

    function _plan(
        uint256 assetSeed,
        uint256 payerSeed,
        uint256 recipientSeed,
        uint256 gpusSeed,
        uint256 aheadSeed,
        uint256 epochsSeed,
        uint256 flags
    ) internal view returns (OpenPlan memory p) {
        // Hashed: the fuzzer's favourite inputs (0, 1, max) must not all select the refusals.
        flags = uint256(keccak256(abi.encode(flags, gpusSeed, epochsSeed)));
        p.a = uint8(assetSeed % 2);
        p.payer = actor(payerSeed);
        p.recipient = (flags >> 4) % 3 == 0 ? actor(recipientSeed) : p.payer;
        uint32 current = _current();
        p.start = current + 1;
        uint256 mode = flags % 4;
        p.predecessors = new uint256[](0);
        p.takes = new uint32[](0);
        if (mode == 3) _planSuccessor(p, aheadSeed, current);
        if (p.predecessors.length == 0 && mode >= 2) {
            p.requestStart = current + 1 + uint32(bound(aheadSeed, 0, 48));
            p.start = p.requestStart;
        }
        // Ended leases released first: when asked, or when the asset looks full.
        Ledger memory l = _ledger[p.a];
        p.booked = l.booked;
        uint32 taken;
        for (uint256 i; i < p.takes.length; ++i) taken += p.takes[i];
        if ((flags >> 2) % 2 == 1 || uint256(gpuCount[p.a]) - p.booked + taken < 3) _planReleases(p);
        uint256 available = uint256(gpuCount[p.a]) - p.booked + taken;
        // Mostly small leases (1-3 GPUs), so that the assets take several at once.
        uint256 most = available == 0 ? 1 : available;
        if (most > 3 && gpusSeed % 4 != 0) most = 3;
        p.gpus = uint32(bound(gpusSeed >> 2, 1, most));
        if ((flags >> 6) % 10 == 0) p.gpus = uint32(available + 1); // more than is free: refused
        // What the predecessors hand over (the loop stops once the lease has its GPUs).
        taken = 0;
        uint256 used;
        for (uint256 i; i < p.takes.length && taken < p.gpus; ++i) {
            uint32 take = p.takes[i] < p.gpus - taken ? p.takes[i] : p.gpus - taken;
            p.takes[i] = take;
            taken += take;
            used = i + 1;
        }
        for (uint256 i = used; i < p.takes.length; ++i) p.takes[i] = 0;
        p.fromFree = p.gpus - taken;
        LeasePolicy memory policy = terms.policyOf(assetIds[p.a]);
        // Mostly short leases (up to 12 epochs), one in four up to 72: capacity keeps turning over.
        uint256 longest = (epochsSeed >> 128) % 4 == 0 ? 72 : 12;
        if (policy.maxEpochs < longest) longest = policy.maxEpochs;
        p.epochs = uint32(bound(epochsSeed, policy.minEpochs, longest));
        if ((flags >> 10) % 20 == 0) p.epochs = policy.maxEpochs + 1; // too long: refused
        LeasePricing memory pricing = terms.pricingOf(assetIds[p.a]);
        uint256 booked1 = uint256(p.booked) + p.gpus;
        if (booked1 > gpuCount[p.a]) booked1 = gpuCount[p.a];
        p.price = uint96(
            LeaseMath.meanPrice(
                pricing.basePricePerGpuHour, pricing.dynamic, pricing.targetUtilizationBps, pricing.maxPremiumBps,
                gpuCount[p.a], p.booked, booked1
            )
        );
        p.total = LeaseMath.epochCharge(p.gpus, p.price, EPOCH) * p.epochs;
        p.maxTotal = (flags >> 15) % 12 == 0 ? p.total - 1 : p.total; // one unit short: refused
    }

    /// @dev A forward booking taking over the GPUs of a lease (and maybe two more) that ends
    ///      by its start.
    function _planSuccessor(OpenPlan memory p, uint256 seed, uint32 current) internal view {
        uint256 n = _leases.length;
        uint256[] memory candidates = new uint256[](n);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            Mirror storage m = _leases[i];
            if (m.a == p.a && !m.released && m.gpus > m.handed) candidates[k++] = i + 1;
        }
        if (k == 0) return;
        uint256 first = candidates[seed % k];
        uint32 start = _leases[first - 1].end;
        if (start < current + 1) start = current + 1;
        start += uint32((seed >> 8) % 3);
        p.requestStart = start;
        p.start = start;
        uint256[] memory preds = new uint256[](3);
        uint32[] memory takes = new uint32[](3);
        uint256 count;
        preds[count] = first;
        takes[count++] = _leases[first - 1].gpus - _leases[first - 1].handed;
        for (uint256 j; j < k && count < 3; ++j) {
            uint256 id = candidates[((seed >> 16) + j) % k];
            if (id == first || _leases[id - 1].end > start) continue;
            preds[count] = id;
            takes[count++] = _leases[id - 1].gpus - _leases[id - 1].handed;
        }
        assembly ("memory-safe") {
            mstore(preds, count)
            mstore(takes, count)
        }
        p.predecessors = preds;
        p.takes = takes;
    }

    /// @dev Every releasable lease of the asset (not a predecessor), at most MAX_RELEASE_FIRST.
    function _planReleases(OpenPlan memory p) internal view {
        uint256[] memory ids = new uint256[](MAX_RELEASE_FIRST);
        uint256 count;
        for (uint256 i; i < _leases.length && count < MAX_RELEASE_FIRST; ++i) {
            Mirror storage m = _leases[i];
            if (m.a != p.a || m.released || time < _epochStart(m.end)) continue;
            bool isPredecessor;
            for (uint256 j; j < p.predecessors.length; ++j) if (p.predecessors[j] == i + 1) isPredecessor = true;
            if (isPredecessor) continue;
            ids[count++] = i + 1;
            p.booked -= m.gpus - m.handed;
        }
        assembly ("memory-safe") {
            mstore(ids, count)
        }
        p.releaseFirst = ids;
    }

    /// @dev The error `open` must revert with, in the order the manager checks; 0 for success.
    function _openRefusal(OpenPlan memory p) internal view returns (bytes4) {
        uint256 assetId = assetIds[p.a];
        if (registry.paused()) return ILeaseManager.LeasePaused.selector;
        if (registry.assetStatus(assetId) != AssetStatus.Active) return ILeaseManager.LeaseAssetNotActive.selector;
        if (uint256(p.booked) + p.fromFree > gpuCount[p.a]) return ILeaseManager.LeaseInsufficientCapacity.selector;
        if (!terms.isLesseeAllowed(assetId, p.recipient)) return ILeaseTerms.LeaseLesseeNotAllowed.selector;
        LeasePolicy memory policy = terms.policyOf(assetId);
        if (p.epochs < policy.minEpochs || p.epochs > policy.maxEpochs) return ILeaseManager.LeaseInvalidDuration.selector;
        if (p.total > p.maxTotal) return ILeaseManager.LeasePriceAboveMax.selector;
        return bytes4(0);
    }

    function _openRefusalName(bytes4 e) internal pure returns (string memory) {
        if (e == ILeaseManager.LeasePaused.selector) return "open:paused";
        if (e == ILeaseManager.LeaseAssetNotActive.selector) return "open:maintenance";
        if (e == ILeaseManager.LeaseInsufficientCapacity.selector) return "open:capacity";
        if (e == ILeaseTerms.LeaseLesseeNotAllowed.selector) return "open:notAllowed";
        if (e == ILeaseManager.LeaseInvalidDuration.selector) return "open:duration";
        return "open:price";
    }

    function _applyOpen(OpenPlan memory p) internal {
        for (uint256 i; i < p.releaseFirst.length; ++i) _release(p.releaseFirst[i]);
        for (uint256 i; i < p.predecessors.length; ++i) _leases[p.predecessors[i] - 1].handed += p.takes[i];
        _ledger[p.a].booked += p.fromFree;
        _ledger[p.a].paidIn += p.total;
        LeasePolicy memory policy = terms.policyOf(assetIds[p.a]);
        _leases.push(
            Mirror({
                a: p.a,
                gpus: p.gpus,
                start: p.start,
                end: p.start + p.epochs,
                next: p.start,
                handed: 0,
                price: p.price,
                target: policy.uptimeTargetBps,
                feeBps: policy.terminationFeeBps,
                compBps: policy.compensationBps,
                notice: policy.noticeEpochs,
                status: LeaseStatus.Active,
                released: false,
                owner: p.recipient,
                escrow: p.total,
                claimable: 0
            })
        );
    }

    /// @dev After a refusal for the pause or maintenance, the pauser or operator reopens, so
    ///      that pauses stay short and leases keep opening.
    function _reopenIfClosed(uint8 a, bytes4 refusal) internal {
        if (refusal == ILeaseManager.LeasePaused.selector) {
            vm.prank(Actors.PAUSER);
            registry.unpause();
        } else if (refusal == ILeaseManager.LeaseAssetNotActive.selector) {
            vm.prank(Actors.OPERATOR);
            registry.setAssetStatus(assetIds[a], AssetStatus.Active);
        }
    }

    /* INTERNAL: settlement model */

    /// @dev Whether epoch `e` of asset `a` settles now, and with what uptime (the rule in
    ///      ILeaseManager: a report accepted by the epoch's end + grace counts once final;
    ///      otherwise the epoch counts as fully down once the grace has passed).
    function _ready(uint8 a, uint256 e) internal view returns (bool, uint256) {
        uint256 epochEnd = _epochStart(e + 1);
        if (time < epochEnd) return (false, 0);
        uint256 deadline = epochEnd + grace;
        Report memory r = _reports[a][e];
        bool held = _ring[a][e % RING] == e + 1 && r.at != 0;
        if (held && r.at <= deadline) return (time > uint256(r.at) + WINDOW, r.uptime);
        return (time > deadline, 0);
    }

    function _settlePreview(uint256 id, uint256 maxEpochs) internal view returns (SettleOut memory out) {
        Mirror storage m = _leases[id - 1];
        uint256 epoch = m.next;
        uint256 end = m.end;
        uint256 limit = end - epoch < maxEpochs ? end : epoch + maxEpochs;
        uint256 escrow = m.escrow;
        uint8 a = m.a;
        uint256 target = m.target;
        for (; epoch < limit; ++epoch) {
            (bool ready, uint256 uptime) = _ready(a, epoch);
            if (!ready) break;
            uint256 charge = escrow / (end - epoch);
            uint256 credit = uptime >= target ? 0 : (charge * (target - uptime) + target - 1) / target;
            out.credited += credit;
            out.released += charge - credit;
            escrow -= charge;
        }
        out.settled = epoch - m.next;
        out.escrow = escrow;
        out.next = uint32(epoch);
    }

    function _settleApply(uint256 id, SettleOut memory out) internal {
        Mirror storage m = _leases[id - 1];
        assertTrue(out.next > m.next, "settlement moves forward");
        m.next = out.next;
        m.escrow = out.escrow;
        m.claimable += out.credited;
        Ledger storage l = _ledger[m.a];
        l.released += out.released;
        l.credited += out.credited;
        if (out.next == m.end) {
            m.status = LeaseStatus.Closed;
            if (!m.released) _release(id);
            _count("settle:closedLease");
        }
    }

    function _release(uint256 id) internal {
        Mirror storage m = _leases[id - 1];
        m.released = true;
        _ledger[m.a].booked -= m.gpus - m.handed;
    }

    /* INTERNAL: helpers */

    function _current() internal view returns (uint32) {
        return time < genesis ? 0 : uint32((time - genesis) / EPOCH);
    }

    function _epochStart(uint256 epoch) internal view returns (uint256) {
        return genesis + epoch * EPOCH;
    }

    function _warpTo(uint256 t) internal {
        time = t;
        blockNumber += 1;
        vm.warp(t);
        vm.roll(blockNumber);
    }

    function _pick(uint256 seed) internal view returns (uint256) {
        return seed % _leases.length + 1;
    }

    /// @dev Mostly (7 calls in 8) a lease the action can succeed on: 0 extendable (active, not
    ///      ended, nothing handed over), 1 terminable (running past the next epoch), 2
    ///      preemptable (active, running past the notice); otherwise any lease.
    function _pickFor(uint256 seed, uint256 kind) internal view returns (uint256) {
        uint256 id = _pick(seed);
        if (seed % 8 == 0) return id;
        uint32 current = _current();
        for (uint256 i; i < _leases.length; ++i) {
            uint256 j = (id - 1 + i) % _leases.length;
            Mirror storage m = _leases[j];
            bool fits;
            if (kind == 0) fits = m.status == LeaseStatus.Active && m.end > current && !m.released && m.handed == 0;
            else if (kind == 1) fits = (m.status == LeaseStatus.Active || m.status == LeaseStatus.Preempted) && m.end > current + 1 && (m.start <= current || seed % 4 == 1);
            else fits = m.status == LeaseStatus.Active && m.end > current + 1 + m.notice;
            if (fits) return j + 1;
        }
        return id;
    }

    /// @dev Mostly a lease that is not closed (settling and preempting closed ones only tests refusals).
    function _pickLive(uint256 seed) internal view returns (uint256) {
        uint256 id = _pick(seed);
        if (seed % 8 == 0) return id;
        for (uint256 i; i < _leases.length; ++i) {
            uint256 j = (id - 1 + i) % _leases.length;
            if (_leases[j].status != LeaseStatus.Closed) return j + 1;
        }
        return id;
    }

    /// @dev Mostly a lease that is owed something.
    function _pickOwed(uint256 seed) internal view returns (uint256) {
        uint256 id = _pick(seed);
        if (seed % 6 == 0) return id;
        for (uint256 i; i < _leases.length; ++i) {
            uint256 j = (id - 1 + i) % _leases.length;
            if (_leases[j].claimable != 0) return j + 1;
        }
        return id;
    }

    /// @dev Mostly a lease whose capacity can be released now.
    function _pickReleasable(uint256 seed) internal view returns (uint256) {
        uint256 id = _pick(seed);
        if (seed % 6 == 0) return id;
        for (uint256 i; i < _leases.length; ++i) {
            uint256 j = (id - 1 + i) % _leases.length;
            if (!_leases[j].released && time >= _epochStart(_leases[j].end)) return j + 1;
        }
        return id;
    }

    /// @dev The position's owner, its approved spender, or (one call in eight) a stranger.
    function _sender(uint256 id, uint256 seed) internal view returns (address, bool) {
        address owner = _leases[id - 1].owner;
        address approved = positions.getApproved(id);
        uint256 k = seed % 8;
        if (k == 0) {
            for (uint256 i; i < Actors.HOLDERS; ++i) {
                address h = actor((seed >> 8) + i);
                if (h != owner && h != approved) return (h, true);
            }
        }
        if (k <= 3 && approved != address(0)) return (approved, false);
        return (owner, false);
    }

    function _expectRevert(address from, address target, bytes memory data, bytes4 selector, string memory law) internal {
        vm.prank(from);
        (bool ok, bytes memory ret) = target.call(data);
        assertTrue(!ok, law);
        bytes4 got = ret.length >= 4 ? bytes4(ret) : bytes4(0);
        if (got != selector) revert InvariantBroken(law, uint32(got), uint32(selector));
    }

    function _noteExit() internal {
        if (registry.paused()) _count("exitWhilePaused");
        bool maintenance;
        for (uint256 a; a < 2; ++a) if (registry.assetStatus(assetIds[a]) != AssetStatus.Active) maintenance = true;
        if (maintenance) _count("exitInMaintenance");
    }

    function _count(string memory what) internal {
        ++hits[keccak256(bytes(what))];
    }

    function _owner() internal view returns (address) {
        return address(0x0A55E7);
    }

    function _approveManager(address account) internal {
        vm.prank(account);
        IERC20(address(token)).forceApprove(address(manager), type(uint256).max);
    }

    /* TERMS PRESETS */

    function _setPricing(uint8 a, uint256 preset) internal {
        LeasePricing memory pricing;
        if (a == 0) {
            pricing = preset == 0
                ? LeasePricing(uint96(2 * unit - 1), true, 5_000, 7_500)
                : LeasePricing(uint96(3 * unit + 7), true, 0, 100_000);
        } else {
            pricing = preset == 0
                ? LeasePricing(uint96(unit + unit / 3), false, 0, 0)
                : LeasePricing(uint96(unit / 2 + 1), true, 7_500, 20_000);
        }
        vm.prank(Actors.OPERATOR);
        terms.setPricing(assetIds[a], pricing);
    }

    function _setPolicy(uint8 a, uint256 preset) internal {
        LeasePolicy memory policy;
        if (a == 0) {
            policy = preset == 0 ? LeasePolicy(9_900, 1_000, 2_000, 2, 1, 200) : LeasePolicy(9_500, 2_500, 5_000, 1, 2, 120);
        } else {
            policy = preset == 0 ? LeasePolicy(9_500, 2_500, 5_000, 1, 1, 120) : LeasePolicy(10_000, 0, 0, 0, 1, 300);
        }
        vm.prank(Actors.OPERATOR);
        terms.setPolicy(assetIds[a], policy);
    }
}
