// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ILeaseManager, LeaseStatus, LeaseView, LeaseRequest} from "./interfaces/ILeaseManager.sol";
import {ILeaseTerms, LeasePolicy, LeaseQuote} from "./interfaces/ILeaseTerms.sol";
import {ILeasePositions} from "./interfaces/ILeasePositions.sol";
import {LeasePositions} from "./LeasePositions.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {IMetricsOracle, ReportStatus} from "./interfaces/IMetricsOracle.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {AssetStatus} from "./libraries/AssetTypes.sol";
import {LeaseMath} from "./libraries/LeaseMath.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title LeaseManager: GPU capacity leases as ERC-721 positions, settled against oracle uptime
/// @notice See `ILeaseManager` for the capacity, settlement and no-report rules. Positions are
///         tokens of a `LeasePositions` contract this one creates and alone may mint.
/// @dev Storage is laid out for the hot paths: settling an epoch at or above target touches one
///      lease slot; opening writes three. Pricing and policy are copied into each lease, so an
///      operator's later changes never alter a running lease.
contract LeaseManager is ILeaseManager, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @inheritdoc ILeaseManager
    uint256 public constant MAX_BATCH = 50;
    /// @notice Furthest advance booking, in epochs (10 years of hours).
    uint32 public constant MAX_LEASE_EPOCHS = 87_600;

    /// @dev Read and written by every settlement: one slot.
    struct LeaseHot {
        uint32 assetId;
        uint32 endEpoch;
        uint32 nextEpoch;
        uint16 uptimeTargetBps;
        LeaseStatus status;
        bool capacityReleased;
        uint128 escrow;
    }

    /// @dev Fixed at opening except `handedOver`: one slot.
    struct LeaseTerms {
        uint32 gpus;
        uint32 startEpoch;
        uint32 handedOver;
        uint96 pricePerGpuHour;
        uint16 terminationFeeBps;
        uint16 compensationBps;
        uint32 noticeEpochs;
    }


    /// @dev Per asset, read by opening and settlement: one slot. Cached from the registry on
    ///      the asset's first lease (GPU count and share token never change).
    struct AssetState {
        address shareToken;
        uint32 booked;
        uint32 gpuCount;
        bool cached;
    }

    ILeasePositions private immutable _positions;
    ILeaseTerms private immutable _terms_;
    IAssetRegistry private immutable _registry;
    IMetricsOracle private immutable _oracle;
    uint256 private immutable _epochSeconds;
    uint256 private immutable _genesis;
    uint256 private immutable _reportGrace;

    uint256 private _leaseCount;
    mapping(uint256 leaseId => LeaseHot) private _hot;
    mapping(uint256 leaseId => LeaseTerms) private _terms;
    /// @dev Owed to the position (credits, refunds, compensation); written only when non-zero,
    ///      so opening a lease writes two slots. What was paid is in the events.
    mapping(uint256 leaseId => uint256) private _claimable;
    mapping(uint256 assetId => AssetState) private _assets;

    /// @param registry_ The asset registry (roles, statuses, share tokens, pause).
    /// @param oracle_ The metrics oracle whose uptime settles leases; its epochs are lease epochs.
    /// @param terms_ Price lists, policies and lessee allow lists (`LeaseTerms`).
    /// @param reportGrace_ Seconds after an epoch's end within which its report must be accepted
    ///        to count; later, an unreported epoch counts as fully down.
    constructor(address registry_, address oracle_, address terms_, uint256 reportGrace_) {
        if (registry_ == address(0)) revert LeaseInvalidConfig("registry", 0);
        if (oracle_ == address(0)) revert LeaseInvalidConfig("oracle", 0);
        if (terms_ == address(0)) revert LeaseInvalidConfig("terms", 0);
        if (reportGrace_ == 0) revert LeaseInvalidConfig("reportGrace", 0);
        _registry = IAssetRegistry(registry_);
        _oracle = IMetricsOracle(oracle_);
        _epochSeconds = IMetricsOracle(oracle_).epochSeconds();
        _genesis = IMetricsOracle(oracle_).genesis();
        _reportGrace = reportGrace_;
        _terms_ = ILeaseTerms(terms_);
        _positions = new LeasePositions(address(this));
    }

    /* LESSEES */

    /// @inheritdoc ILeaseManager
    function quote(uint256 assetId, uint32 gpus, uint32 epochs)
        external
        view
        returns (uint256 total, uint96 pricePerGpuHour)
    {
        AssetState memory asset = _assets[assetId];
        if (!asset.cached) asset.gpuCount = _registry.assetSpec(assetId).gpuCount;
        if (gpus == 0) revert LeaseZeroGpus();
        if (gpus > asset.gpuCount) revert LeaseInsufficientCapacity(assetId, gpus, asset.gpuCount - asset.booked);
        uint256 booked1 = uint256(asset.booked) + gpus;
        if (booked1 > asset.gpuCount) booked1 = asset.gpuCount;
        LeaseQuote memory q = _terms_.quote(
            assetId, address(0), gpus, epochs, _epochSeconds, asset.booked, booked1, asset.gpuCount
        );
        _checkDuration(epochs, q.policy);
        return (q.total, q.pricePerGpuHour);
    }

    /// @inheritdoc ILeaseManager
    function open(LeaseRequest calldata request, uint256[] calldata releaseFirst, uint256[] calldata predecessors)
        external
        nonReentrant
        returns (uint256 leaseId)
    {
        uint256 assetId = request.assetId;
        _checkOpenForBusiness(assetId);
        if (request.gpus == 0) revert LeaseZeroGpus();
        uint32 startEpoch = _checkStart(request.startEpoch);
        AssetState storage asset = _cachedAsset(assetId);
        leaseId = ++_leaseCount;

        if (releaseFirst.length > MAX_BATCH) revert LeaseBatchTooLarge(releaseFirst.length, MAX_BATCH);
        for (uint256 i; i < releaseFirst.length; ++i) {
            _releaseCapacity(releaseFirst[i], assetId);
        }
        uint32 fromFree = request.gpus - _takeOver(predecessors, assetId, leaseId, startEpoch, request.gpus);

        uint32 booked = asset.booked;
        uint32 gpuCount = asset.gpuCount;
        if (uint256(booked) + fromFree > gpuCount) {
            revert LeaseInsufficientCapacity(assetId, fromFree, gpuCount - booked);
        }
        uint256 booked1 = uint256(booked) + request.gpus;
        if (booked1 > gpuCount) booked1 = gpuCount;
        LeaseQuote memory q = _terms_.quote(
            assetId, request.recipient, request.gpus, request.epochs, _epochSeconds, booked, booked1, gpuCount
        );
        LeasePolicy memory policy = q.policy;
        _checkDuration(request.epochs, policy);
        uint256 total = q.total;
        uint96 price = q.pricePerGpuHour;
        if (total > request.maxTotalPrice) revert LeasePriceAboveMax(total, request.maxTotalPrice);
        asset.booked = booked + fromFree;

        uint32 endEpoch = startEpoch + request.epochs;
        _hot[leaseId] = LeaseHot({
            assetId: uint32(assetId),
            endEpoch: endEpoch,
            nextEpoch: startEpoch,
            uptimeTargetBps: policy.uptimeTargetBps,
            status: LeaseStatus.Active,
            capacityReleased: false,
            escrow: uint128(total)
        });
        _terms[leaseId] = LeaseTerms({
            gpus: request.gpus,
            startEpoch: startEpoch,
            handedOver: 0,
            pricePerGpuHour: price,
            terminationFeeBps: policy.terminationFeeBps,
            compensationBps: policy.compensationBps,
            noticeEpochs: policy.noticeEpochs
        });

        _pullExact(q.paymentToken, msg.sender, asset.shareToken, total);
        emit LeaseOpened(leaseId, assetId, request.recipient, request.gpus, startEpoch, endEpoch, price, total);
        // Last: the recipient's onERC721Received sees a complete lease (and the guard is held).
        _positions.mint(request.recipient, leaseId);
    }

    /// @inheritdoc ILeaseManager
    function extend(uint256 leaseId, uint32 epochs, uint256 maxCost) external nonReentrant returns (uint256 cost) {
        LeaseHot memory hot = _lease(leaseId);
        _checkAuthorized(leaseId);
        if (hot.status != LeaseStatus.Active) revert LeaseNotRunning(leaseId, hot.status);
        uint256 assetId = hot.assetId;
        _checkOpenForBusiness(assetId);
        uint32 current = currentEpoch();
        if (hot.endEpoch <= current || hot.capacityReleased) revert LeaseAlreadyEnded(leaseId, hot.endEpoch, current);
        LeaseTerms memory terms = _terms[leaseId];
        if (terms.handedOver != 0) revert LeaseCapacityPromised(leaseId, terms.handedOver);

        AssetState memory asset = _assets[assetId];
        // The lease's GPUs are booked already: it pays the point price at today's booking.
        LeaseQuote memory q = _terms_.quote(
            assetId, address(0), terms.gpus, epochs, _epochSeconds, asset.booked, asset.booked, asset.gpuCount
        );
        uint256 length = uint256(hot.endEpoch) - terms.startEpoch;
        if (epochs < q.policy.minEpochs || length + epochs > q.policy.maxEpochs) {
            // The bounds reported are those of the extension: at least minEpochs, at most what
            // keeps the whole lease within maxEpochs.
            uint256 room = q.policy.maxEpochs > length ? q.policy.maxEpochs - length : 0;
            revert LeaseInvalidDuration(epochs, q.policy.minEpochs, room);
        }
        cost = q.total;
        if (cost > maxCost) revert LeasePriceAboveMax(cost, maxCost);

        hot.endEpoch += epochs;
        hot.escrow = _toUint128(hot.escrow + cost);
        _hot[leaseId] = hot;
        _pullExact(q.paymentToken, msg.sender, _assets[assetId].shareToken, cost);
        emit LeaseExtended(leaseId, epochs, hot.endEpoch, q.pricePerGpuHour, cost);
    }

    /// @inheritdoc ILeaseManager
    function terminate(uint256 leaseId) external nonReentrant returns (uint256 refund, uint256 fee) {
        LeaseHot memory hot = _lease(leaseId);
        address owner = _checkAuthorized(leaseId);
        if (hot.status != LeaseStatus.Active && hot.status != LeaseStatus.Preempted) {
            revert LeaseNotRunning(leaseId, hot.status);
        }
        LeaseTerms memory terms = _terms[leaseId];
        uint32 newEnd = currentEpoch() + 1;
        if (newEnd < terms.startEpoch) newEnd = terms.startEpoch;
        uint256 unused = _shorten(leaseId, hot, newEnd, LeaseStatus.Terminated);
        fee = unused * terms.terminationFeeBps / LeaseMath.BPS;
        refund = unused - fee;

        uint256 owed = _claimable[leaseId] + refund;
        if (owed != refund) _claimable[leaseId] = 0;
        emit LeaseTerminated(leaseId, newEnd, refund, fee);
        IShareToken shareToken = IShareToken(_assets[hot.assetId].shareToken);
        if (fee != 0) shareToken.receiveLeaseRevenue(fee);
        if (owed != 0) {
            emit LeaseClaimed(leaseId, owner, owed);
            shareToken.payLeaseFunds(owner, owed);
        }
    }

    /// @inheritdoc ILeaseManager
    function claim(uint256 leaseId) external nonReentrant returns (uint256 amount) {
        LeaseHot memory hot = _lease(leaseId);
        address owner = _checkAuthorized(leaseId);
        amount = _claimable[leaseId];
        if (amount == 0) revert LeaseNothingToClaim(leaseId);
        _claimable[leaseId] = 0;
        emit LeaseClaimed(leaseId, owner, amount);
        IShareToken(_assets[hot.assetId].shareToken).payLeaseFunds(owner, amount);
    }

    /* ANYONE */

    /// @inheritdoc ILeaseManager
    /// @dev No reentrancy guard: the only calls are the oracle's view and the share token's
    ///      waterfall, which moves no tokens, and every write precedes the latter.
    function settle(uint256 leaseId, uint256 maxEpochs) external returns (uint256 settled) {
        return _settle(leaseId, maxEpochs, true);
    }

    /// @inheritdoc ILeaseManager
    function settleMany(uint256[] calldata leaseIds, uint256 maxEpochsEach)
        external
        returns (uint256[] memory settled)
    {
        if (leaseIds.length > MAX_BATCH) revert LeaseBatchTooLarge(leaseIds.length, MAX_BATCH);
        settled = new uint256[](leaseIds.length);
        for (uint256 i; i < leaseIds.length; ++i) {
            settled[i] = _settle(leaseIds[i], maxEpochsEach, false);
        }
    }

    /// @inheritdoc ILeaseManager
    function releaseCapacity(uint256[] calldata leaseIds) external nonReentrant {
        if (leaseIds.length > MAX_BATCH) revert LeaseBatchTooLarge(leaseIds.length, MAX_BATCH);
        for (uint256 i; i < leaseIds.length; ++i) {
            _releaseCapacity(leaseIds[i], _lease(leaseIds[i]).assetId);
        }
    }

    /* OPERATORS */

    /// @inheritdoc ILeaseManager
    function preempt(uint256 leaseId, uint32 effectiveEpoch)
        external
        nonReentrant
        returns (uint256 refund, uint256 compensation)
    {
        LeaseHot memory hot = _lease(leaseId);
        _checkOperator(hot.assetId);
        if (hot.status != LeaseStatus.Active) revert LeaseNotRunning(leaseId, hot.status);
        LeaseTerms memory terms = _terms[leaseId];
        uint256 earliest = uint256(currentEpoch()) + 1 + terms.noticeEpochs;
        if (effectiveEpoch < earliest) revert LeaseNoticeTooShort(leaseId, effectiveEpoch, earliest);
        uint32 newEnd = effectiveEpoch < terms.startEpoch ? terms.startEpoch : effectiveEpoch;
        refund = _shorten(leaseId, hot, newEnd, LeaseStatus.Preempted);
        compensation = refund * terms.compensationBps / LeaseMath.BPS;

        _claimable[leaseId] += refund + compensation;
        emit LeasePreempted(leaseId, newEnd, refund, compensation);
        if (compensation != 0) {
            address shareToken = _assets[hot.assetId].shareToken;
            _pullExact(IShareToken(shareToken).paymentToken(), msg.sender, shareToken, compensation);
        }
    }

    /* VIEWS */

    /// @inheritdoc ILeaseManager
    function lease(uint256 leaseId) external view returns (LeaseView memory view_) {
        LeaseHot memory hot = _lease(leaseId);
        LeaseTerms memory terms = _terms[leaseId];
        view_ = LeaseView({
            assetId: hot.assetId,
            gpus: terms.gpus,
            startEpoch: terms.startEpoch,
            endEpoch: hot.endEpoch,
            nextEpoch: hot.nextEpoch,
            pricePerGpuHour: terms.pricePerGpuHour,
            uptimeTargetBps: hot.uptimeTargetBps,
            terminationFeeBps: terms.terminationFeeBps,
            compensationBps: terms.compensationBps,
            noticeEpochs: terms.noticeEpochs,
            status: hot.status,
            capacityReleased: hot.capacityReleased,
            handedOver: terms.handedOver,
            escrow: hot.escrow,
            claimable: _claimable[leaseId]
        });
    }

    /// @inheritdoc ILeaseManager
    function capacityOf(uint256 assetId) external view returns (uint32 booked, uint32 gpuCount) {
        AssetState memory asset = _assets[assetId];
        if (!asset.cached) return (0, _registry.assetSpec(assetId).gpuCount);
        return (asset.booked, asset.gpuCount);
    }

    /// @inheritdoc ILeaseManager
    function canTransfer(address from, address to, uint256 leaseId) external view returns (bool) {
        if (to == address(0) || _positions.ownerOf(leaseId) != from) return false;
        return _terms_.isLesseeAllowed(_hot[leaseId].assetId, to);
    }

    /// @inheritdoc ILeaseManager
    function currentEpoch() public view returns (uint32) {
        if (block.timestamp < _genesis) return 0;
        return uint32((block.timestamp - _genesis) / _epochSeconds);
    }

    /// @inheritdoc ILeaseManager
    function epochStart(uint256 epoch) public view returns (uint256) {
        return _genesis + epoch * _epochSeconds;
    }

    /// @inheritdoc ILeaseManager
    function positions() external view returns (address) {
        return address(_positions);
    }

    /// @inheritdoc ILeaseManager
    function terms() external view returns (address) {
        return address(_terms_);
    }

    /// @inheritdoc ILeaseManager
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ILeaseManager
    function oracle() external view returns (address) {
        return address(_oracle);
    }

    /// @inheritdoc ILeaseManager
    function reportGrace() external view returns (uint256) {
        return _reportGrace;
    }

    /// @inheritdoc ILeaseManager
    function epochSeconds() external view returns (uint256) {
        return _epochSeconds;
    }

    /// @inheritdoc ILeaseManager
    function leaseCount() external view returns (uint256) {
        return _leaseCount;
    }

    /* INTERNAL: settlement */

    function _settle(uint256 leaseId, uint256 maxEpochs, bool strict) private returns (uint256 settled) {
        if (maxEpochs == 0) revert LeaseZeroMaxEpochs();
        LeaseHot memory hot = _lease(leaseId);
        if (hot.status == LeaseStatus.Closed) {
            if (strict) revert LeaseNotRunning(leaseId, hot.status);
            return 0;
        }
        uint256 epoch = hot.nextEpoch;
        uint256 end = hot.endEpoch;
        uint256 limit = end - epoch < maxEpochs ? end : epoch + maxEpochs;
        uint256 escrow = hot.escrow;
        uint256 released;
        uint256 credited;
        uint256 readyAt;
        for (; epoch < limit; ++epoch) {
            uint256 uptime;
            bool reported;
            (readyAt, uptime, reported) = _measuredUptime(hot.assetId, epoch);
            if (readyAt != type(uint256).max) break;
            uint256 charge = escrow / (end - epoch);
            uint256 credit = LeaseMath.slaCredit(charge, uptime, hot.uptimeTargetBps);
            if (credit != 0) {
                emit SlaCredit(leaseId, uint32(epoch), uint16(uptime), reported, credit);
                credited += credit;
            }
            escrow -= charge;
            released += charge - credit;
        }
        settled = epoch - hot.nextEpoch;
        if (settled == 0) {
            if (strict) revert LeaseNothingToSettle(leaseId, epoch, readyAt);
            return 0;
        }
        emit LeaseSettled(leaseId, hot.nextEpoch, uint32(epoch), released, credited);
        hot.nextEpoch = uint32(epoch);
        hot.escrow = uint128(escrow);
        bool closing = epoch == end;
        if (closing) hot.status = LeaseStatus.Closed;
        _hot[leaseId] = hot;
        if (credited != 0) _claimable[leaseId] += credited;
        if (closing) {
            emit LeaseClosed(leaseId);
            if (!hot.capacityReleased) _releaseCapacity(leaseId, hot.assetId);
        }
        if (released != 0) IShareToken(_assets[hot.assetId].shareToken).receiveLeaseRevenue(released);
    }

    /// @dev Uptime that settles `epoch`, by the rule in `ILeaseManager`. `readyAt` is
    ///      type(uint256).max when the epoch can be settled now; otherwise when it can be
    ///      (0 while a challenge is open).
    function _measuredUptime(uint256 assetId, uint256 epoch)
        private
        view
        returns (uint256 readyAt, uint256 uptime, bool reported)
    {
        uint256 epochEnd = _genesis + (epoch + 1) * _epochSeconds;
        if (block.timestamp < epochEnd) return (epochEnd, 0, false);
        (ReportStatus status, uint16 uptimeBps, uint40 updatedAt, uint40 finalAt) = _oracle.reportStatus(assetId, epoch);
        uint256 deadline = epochEnd + _reportGrace;
        bool onTime = status >= ReportStatus.Disputable && updatedAt <= deadline;
        if (onTime) {
            if (status == ReportStatus.Final) return (type(uint256).max, uptimeBps, true);
            return (status == ReportStatus.Challenged ? 0 : uint256(finalAt) + 1, 0, false);
        }
        // No usable report: once the grace period is over, the epoch counts as fully down.
        if (block.timestamp <= deadline) return (deadline + 1, 0, false);
        return (type(uint256).max, 0, false);
    }

    /// @dev Moves the lease's end to `newEnd` and takes the escrow of the epochs cut off.
    function _shorten(uint256 leaseId, LeaseHot memory hot, uint32 newEnd, LeaseStatus status)
        private
        returns (uint256 unused)
    {
        if (newEnd >= hot.endEpoch) revert LeaseNothingToEnd(leaseId, hot.endEpoch);
        // nextEpoch <= newEnd: settlement never passes the current epoch, and an unstarted lease
        // has nextEpoch == startEpoch <= newEnd.
        unused = uint256(hot.escrow) * (hot.endEpoch - newEnd) / (hot.endEpoch - hot.nextEpoch);
        hot.escrow -= uint128(unused);
        hot.endEpoch = newEnd;
        hot.status = hot.nextEpoch == newEnd ? LeaseStatus.Closed : status;
        _hot[leaseId] = hot;
        if (hot.status == LeaseStatus.Closed) emit LeaseClosed(leaseId);
    }

    /* INTERNAL: capacity */

    function _releaseCapacity(uint256 leaseId, uint256 assetId) private {
        LeaseHot storage hot = _hot[leaseId];
        if (hot.status == LeaseStatus.None || hot.assetId != assetId) revert LeaseUnknown(leaseId);
        if (hot.capacityReleased) revert LeaseCapacityAlreadyReleased(leaseId);
        uint256 releasableAt = epochStart(hot.endEpoch);
        if (block.timestamp < releasableAt) revert LeaseCapacityInUse(leaseId, releasableAt);
        hot.capacityReleased = true;
        LeaseTerms memory terms = _terms[leaseId];
        AssetState storage asset = _assets[assetId];
        uint32 booked = asset.booked - (terms.gpus - terms.handedOver);
        asset.booked = booked;
        emit CapacityReleased(leaseId, assetId, terms.gpus - terms.handedOver, booked);
    }

    /// @dev Takes GPUs from leases that end no later than `startEpoch`; returns how many.
    function _takeOver(
        uint256[] calldata predecessors,
        uint256 assetId,
        uint256 leaseId,
        uint32 startEpoch,
        uint32 wanted
    ) private returns (uint32 taken) {
        if (predecessors.length > MAX_BATCH) revert LeaseBatchTooLarge(predecessors.length, MAX_BATCH);
        for (uint256 i; i < predecessors.length && taken < wanted; ++i) {
            uint256 id = predecessors[i];
            LeaseHot memory hot = _hot[id];
            LeaseTerms storage terms = _terms[id];
            uint32 available = terms.gpus - terms.handedOver;
            if (
                hot.assetId != assetId || hot.status == LeaseStatus.None || hot.capacityReleased
                    || hot.endEpoch > startEpoch || available == 0
            ) revert LeaseInvalidPredecessor(id, hot.endEpoch, startEpoch);
            uint32 take = available < wanted - taken ? available : wanted - taken;
            terms.handedOver += take;
            taken += take;
            emit CapacityHandedOver(id, leaseId, take);
        }
    }

    /* INTERNAL: checks and helpers */

    function _checkOpenForBusiness(uint256 assetId) private view {
        if (_registry.paused()) revert LeasePaused();
        // A manager the registry replaced could take payments into escrow it can no longer move.
        if (_registry.leaseManager() != address(this)) revert LeaseManagerReplaced(_registry.leaseManager());
        AssetStatus status = _registry.assetStatus(assetId);
        if (status != AssetStatus.Active) revert LeaseAssetNotActive(assetId, uint8(status));
    }

    function _checkStart(uint32 requested) private view returns (uint32 startEpoch) {
        uint256 earliest = uint256(currentEpoch()) + 1;
        uint256 start = requested == 0 ? earliest : requested;
        if (start < earliest) revert LeaseInvalidStart(start, earliest);
        uint256 latest = earliest + MAX_LEASE_EPOCHS;
        if (start > latest) revert LeaseStartTooLate(start, latest);
        return uint32(start);
    }

    function _checkDuration(uint256 epochs, LeasePolicy memory policy) private pure {
        if (epochs < policy.minEpochs || epochs > policy.maxEpochs) {
            revert LeaseInvalidDuration(epochs, policy.minEpochs, policy.maxEpochs);
        }
    }

    /// @dev The asset's cached state; the first lease of an asset caches it.
    function _cachedAsset(uint256 assetId) private returns (AssetState storage asset) {
        asset = _assets[assetId];
        if (asset.cached) return asset;
        asset.shareToken = _registry.shareTokenOf(assetId);
        asset.gpuCount = _registry.assetSpec(assetId).gpuCount;
        asset.cached = true;
    }

    function _lease(uint256 leaseId) private view returns (LeaseHot memory hot) {
        hot = _hot[leaseId];
        if (hot.status == LeaseStatus.None) revert LeaseUnknown(leaseId);
    }

    function _checkAuthorized(uint256 leaseId) private view returns (address owner) {
        bool authorized;
        (owner, authorized) = _positions.authorizedOwner(msg.sender, leaseId);
        if (!authorized) revert LeaseNotOwner(leaseId, msg.sender);
    }

    function _checkOperator(uint256 assetId) private view {
        address operator = _registry.assetOperator(assetId);
        if (msg.sender == operator && _registry.hasRole(Roles.OPERATOR_ROLE, operator)) return;
        if (_registry.hasRole(bytes32(0), msg.sender)) return;
        revert LeaseUnauthorizedOperator(assetId, msg.sender);
    }

    /// @dev Payments are escrowed in the asset's share token, which pays them out on the
    ///      manager's word: settling then moves no tokens.
    function _pullExact(address token, address from, address to, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(to);
        IERC20(token).safeTransferFrom(from, to, amount);
        uint256 received = IERC20(token).balanceOf(to) - before;
        if (received != amount) revert LeaseFeeOnTransferToken(token, amount, received);
    }

    function _toUint128(uint256 value) private pure returns (uint128) {
        if (value > type(uint128).max) revert LeaseAmountOverflow(value);
        return uint128(value);
    }
}
