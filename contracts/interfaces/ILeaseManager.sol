// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {LeasePolicy} from "./ILeaseTerms.sol";


/// @notice Lifecycle of a lease. Running leases are `Active`, `Terminated` (ended early by the
///         lessee) or `Preempted` (ended early by the operator); they settle until their last
///         epoch and are then `Closed`.
enum LeaseStatus {
    None,
    Active,
    Terminated,
    Preempted,
    Closed
}

/// @notice A lease position's terms and state, as integrators read them.
/// @param assetId Leased asset.
/// @param gpus GPUs leased.
/// @param startEpoch First epoch of service (oracle epochs).
/// @param endEpoch First epoch after the service (shortened by termination or preemption).
/// @param nextEpoch First epoch not yet settled.
/// @param pricePerGpuHour Price locked when the lease opened, in payment-token units.
/// @param uptimeTargetBps SLA uptime target.
/// @param terminationFeeBps Fee on the unused escrow if the lessee terminates.
/// @param compensationBps Compensation rate if the operator preempts.
/// @param noticeEpochs Notice the operator owes before preempting.
/// @param status Lifecycle status.
/// @param capacityReleased Whether its GPUs were given back to the asset's free capacity.
/// @param handedOver GPUs passed on to a later lease that starts when this one ends.
/// @param escrow Payment still held for epochs not yet settled.
/// @param claimable Owed to the position's owner: SLA credits, refunds, compensation. (What was
///        paid is in `LeaseOpened` and `LeaseExtended`.)
struct LeaseView {
    uint256 assetId;
    uint32 gpus;
    uint32 startEpoch;
    uint32 endEpoch;
    uint32 nextEpoch;
    uint96 pricePerGpuHour;
    uint16 uptimeTargetBps;
    uint16 terminationFeeBps;
    uint16 compensationBps;
    uint32 noticeEpochs;
    LeaseStatus status;
    bool capacityReleased;
    uint32 handedOver;
    uint256 escrow;
    uint256 claimable;
}

/// @notice What a lessee asks for when opening a lease.
/// @param assetId Asset to lease.
/// @param gpus GPUs to lease (at most the asset's free capacity).
/// @param startEpoch First epoch of service; 0 means the next epoch. Never the current one (it
///        has begun) or one in the past.
/// @param epochs Length in epochs.
/// @param maxTotalPrice Most the lessee will pay; the call reverts if the quote is higher.
/// @param recipient Receives the lease position (ERC-721).
struct LeaseRequest {
    uint256 assetId;
    uint32 gpus;
    uint32 startEpoch;
    uint32 epochs;
    uint256 maxTotalPrice;
    address recipient;
}

/// @title ILeaseManager: leases of GPU capacity, escrowed and settled against measured uptime
/// @notice A lessee leases GPUs of an asset for whole oracle epochs and pays the whole price up
///         front in the asset's payment token; the payment is escrowed in the asset's share
///         token and accounted for here. Anyone may `settle` a lease: each ended epoch releases
///         its part of the escrow into the asset's revenue waterfall
///         (`IShareToken.receiveLeaseRevenue`), minus an SLA credit to the lessee when the oracle
///         reported uptime below the lease's target. Each lease is an ERC-721 token of
///         `positions()` whose owner holds the usage right, the credits and the refunds.
/// @dev Capacity: each asset keeps one counter of booked GPUs (GPUs of leases whose capacity is
///      not yet released). A lease's capacity is released once its last epoch has begun to pass
///      (`releaseCapacity`, by settlement, or named in `open`), so booked GPUs never exceed the
///      asset's GPU count at any instant and no call loops over leases. A future-dated lease may
///      take over the GPUs of leases that end no later than it starts (`predecessors`), so
///      forward bookings reuse capacity instead of waiting for it.
///
///      Settlement of epoch e (end time T = epoch end) uses the oracle's uptime for e when the
///      report was accepted by T + reportGrace and is `Final` (its dispute window closed with no
///      open challenge). It waits while such a report is still disputable or challenged. When no
///      usable report exists (none, voided, or accepted after T + reportGrace) and T + reportGrace
///      has passed, the epoch counts as fully down: the lessee is credited its whole charge.
///      Voided reports are never used. Reports live in the oracle's ring for RING_SIZE epochs:
///      settle within that horizon or the epoch counts as unreported.
interface ILeaseManager {
    /* EVENTS */

    /// @notice A lease opened; `total` was escrowed.
    event LeaseOpened(
        uint256 indexed leaseId,
        uint256 indexed assetId,
        address indexed lessee,
        uint32 gpus,
        uint32 startEpoch,
        uint32 endEpoch,
        uint96 pricePerGpuHour,
        uint256 total
    );

    /// @notice A lease was extended by `epochs`, paying `cost` more.
    event LeaseExtended(uint256 indexed leaseId, uint32 epochs, uint32 newEndEpoch, uint96 pricePerGpuHour, uint256 cost);

    /// @notice Epochs [fromEpoch, toEpoch) of a lease were settled.
    event LeaseSettled(uint256 indexed leaseId, uint32 fromEpoch, uint32 toEpoch, uint256 released, uint256 credited);

    /// @notice An epoch delivered less than the SLA: the lessee was credited `credit`.
    /// @param uptimeBps Measured uptime; 0 with `reported` false under the no-report rule.
    event SlaCredit(uint256 indexed leaseId, uint32 indexed epoch, uint16 uptimeBps, bool reported, uint256 credit);

    /// @notice The lessee ended the lease early: service stops at `endEpoch`.
    event LeaseTerminated(uint256 indexed leaseId, uint32 endEpoch, uint256 refund, uint256 fee);

    /// @notice The operator reclaimed the GPUs: service stops at `endEpoch`.
    event LeasePreempted(uint256 indexed leaseId, uint32 endEpoch, uint256 refund, uint256 compensation);

    /// @notice Every epoch of the lease was settled.
    event LeaseClosed(uint256 indexed leaseId);

    /// @notice The lease's GPUs went back to the asset's free capacity.
    event CapacityReleased(uint256 indexed leaseId, uint256 indexed assetId, uint32 gpus, uint32 booked);

    /// @notice `gpus` of lease `fromLeaseId` pass to lease `toLeaseId` when the first ends.
    event CapacityHandedOver(uint256 indexed fromLeaseId, uint256 indexed toLeaseId, uint32 gpus);

    /// @notice `amount` owed to a lease position was paid to `to`.
    event LeaseClaimed(uint256 indexed leaseId, address indexed to, uint256 amount);

    /* ERRORS */

    /// @notice The asset is in maintenance or retired: no new leases or extensions.
    error LeaseAssetNotActive(uint256 assetId, uint8 status);
    /// @notice New leases and extensions are refused while the registry is paused.
    error LeasePaused();
    /// @notice The registry names another lease manager: this one takes no new leases or extensions.
    error LeaseManagerReplaced(address current);
    /// @notice `maxEpochs` is zero: nothing would be settled.
    error LeaseZeroMaxEpochs();
    /// @notice Not enough free GPUs: `requested` asked, `available` free.
    error LeaseInsufficientCapacity(uint256 assetId, uint256 requested, uint256 available);
    /// @notice The quote is above the lessee's maximum.
    error LeasePriceAboveMax(uint256 quote, uint256 maxTotalPrice);
    /// @notice The lease length is outside the asset's policy.
    error LeaseInvalidDuration(uint256 epochs, uint256 minEpochs, uint256 maxEpochs);
    /// @notice The start epoch has begun or passed; `earliest` is the first allowed.
    error LeaseInvalidStart(uint256 startEpoch, uint256 earliest);
    /// @notice The start epoch is further ahead than leases may be booked; `latest` is the last allowed.
    error LeaseStartTooLate(uint256 startEpoch, uint256 latest);
    /// @notice Zero GPUs were requested.
    error LeaseZeroGpus();
    /// @notice No lease has this id.
    error LeaseUnknown(uint256 leaseId);
    /// @notice The caller may not act for this lease position.
    error LeaseNotOwner(uint256 leaseId, address caller);
    /// @notice The caller is neither the asset's operator nor the admin.
    error LeaseUnauthorizedOperator(uint256 assetId, address caller);
    /// @notice The lease is not running (terminated, preempted or closed) for this action.
    error LeaseNotRunning(uint256 leaseId, LeaseStatus status);
    /// @notice The lease has already ended (its capacity may be gone): it cannot be extended.
    error LeaseAlreadyEnded(uint256 leaseId, uint256 endEpoch, uint256 currentEpoch);
    /// @notice The lease's GPUs are promised to a later lease: it cannot be extended.
    error LeaseCapacityPromised(uint256 leaseId, uint32 handedOver);
    /// @notice Nothing of the lease lies after `endEpoch`: there is nothing to end early.
    error LeaseNothingToEnd(uint256 leaseId, uint256 endEpoch);
    /// @notice Preemption needs notice: `effectiveEpoch` is before `earliest`.
    error LeaseNoticeTooShort(uint256 leaseId, uint256 effectiveEpoch, uint256 earliest);
    /// @notice No epoch of the lease can be settled yet; `epoch` waits until `readyAt`
    ///         (0 when it waits on an open challenge).
    error LeaseNothingToSettle(uint256 leaseId, uint256 epoch, uint256 readyAt);
    /// @notice The lease's capacity cannot be released before its end epoch begins.
    error LeaseCapacityInUse(uint256 leaseId, uint256 releasableAt);
    /// @notice The lease's capacity was released already.
    error LeaseCapacityAlreadyReleased(uint256 leaseId);
    /// @notice A predecessor cannot hand its GPUs to this lease (other asset, or it ends after
    ///         the new lease starts, or it has nothing left to hand over).
    error LeaseInvalidPredecessor(uint256 predecessorId, uint256 endEpoch, uint256 startEpoch);
    /// @notice The payment token delivered less than was sent (fee-on-transfer tokens are refused).
    error LeaseFeeOnTransferToken(address token, uint256 expected, uint256 received);
    /// @notice A constructor argument is zero or out of range.
    error LeaseInvalidConfig(bytes32 field, uint256 value);
    /// @notice A list is longer than the maximum.
    error LeaseBatchTooLarge(uint256 size, uint256 maxSize);
    /// @notice Nothing is owed to this position.
    error LeaseNothingToClaim(uint256 leaseId);
    /// @notice A value does not fit its storage type.
    error LeaseAmountOverflow(uint256 value);

    /* LESSEES */

    /// @notice The price of a lease now: total to escrow and the price per GPU-hour it locks.
    /// @dev Reverts as `open` would for an unconfigured asset, zero GPUs or a bad duration; does
    ///      not check capacity beyond the asset's size, status or allow list.
    function quote(uint256 assetId, uint32 gpus, uint32 epochs)
        external
        view
        returns (uint256 total, uint96 pricePerGpuHour);

    /// @notice Opens a lease, pulling the quoted total (approve first) and minting the position.
    /// @param request What to lease; see `LeaseRequest`.
    /// @param releaseFirst Ended leases of the asset whose capacity to release first (at most
    ///        MAX_BATCH); needed only when the asset looks full because of them.
    /// @param predecessors Leases of the asset ending no later than `request.startEpoch` whose
    ///        GPUs this lease takes over (at most MAX_BATCH); the rest comes from free capacity.
    /// @return leaseId The new lease and position token id.
    function open(LeaseRequest calldata request, uint256[] calldata releaseFirst, uint256[] calldata predecessors)
        external
        returns (uint256 leaseId);

    /// @notice Extends a running lease by `epochs` at the current price, pulling the cost.
    /// @dev Position owner or approved. Not after the lease ended, nor when its GPUs are promised
    ///      to a later lease. Refused while the asset is not active or the registry is paused.
    function extend(uint256 leaseId, uint32 epochs, uint256 maxCost) external returns (uint256 cost);

    /// @notice Ends the lease early. Service runs to the end of the current epoch (or never
    ///         starts); the escrow of later epochs is refunded minus the termination fee, which
    ///         goes to holders. Pays the position everything it is owed.
    /// @dev Position owner or approved. Works while paused (an exit).
    function terminate(uint256 leaseId) external returns (uint256 refund, uint256 fee);

    /// @notice Pays the position's owner what it is owed (credits, refunds, compensation).
    /// @dev Position owner or approved; pays the owner. Works while paused.
    function claim(uint256 leaseId) external returns (uint256 amount);

    /* ANYONE */

    /// @notice Settles up to `maxEpochs` ended epochs of a lease (see the contract's settlement
    ///         rule), releasing the charge into the asset's revenue waterfall minus SLA credits.
    /// @dev Reverts with `LeaseNothingToSettle` when the next epoch is not ready. Closes the lease
    ///      and releases its capacity when its last epoch is settled.
    /// @return settled Epochs settled.
    function settle(uint256 leaseId, uint256 maxEpochs) external returns (uint256 settled);

    /// @notice Settles several leases, skipping those with nothing ready (for keepers).
    /// @return settled Epochs settled per lease, in the order given.
    function settleMany(uint256[] calldata leaseIds, uint256 maxEpochsEach) external returns (uint256[] memory settled);

    /// @notice Releases the capacity of leases whose last epoch has begun.
    function releaseCapacity(uint256[] calldata leaseIds) external;

    /* OPERATORS */

    /// @notice Reclaims a lease's GPUs from `effectiveEpoch` on, with at least the lease's notice.
    ///         The lessee gets the escrow of the lost epochs back plus compensation at the
    ///         lease's rate, which the caller pays (approve first).
    /// @dev Asset operator or admin. Running leases only.
    function preempt(uint256 leaseId, uint32 effectiveEpoch)
        external
        returns (uint256 refund, uint256 compensation);

    /* VIEWS */

    /// @notice A lease's terms and state.
    function lease(uint256 leaseId) external view returns (LeaseView memory);

    /// @notice Booked and total GPUs of an asset (reverts for an unknown asset).
    function capacityOf(uint256 assetId) external view returns (uint32 booked, uint32 gpuCount);

    /// @notice Whether a position may move from `from` to `to` (ERC-7943 style check).
    function canTransfer(address from, address to, uint256 leaseId) external view returns (bool);

    /// @notice The epoch running now.
    function currentEpoch() external view returns (uint32);

    /// @notice Start time of an epoch.
    function epochStart(uint256 epoch) external view returns (uint256);

    /// @notice The ERC-721 contract of lease positions (token id = lease id), created with this one.
    function positions() external view returns (address);

    /// @notice The price lists, policies and lessee allow lists of assets.
    function terms() external view returns (address);

    /// @notice The registry of assets.
    function registry() external view returns (address);

    /// @notice The metrics oracle whose uptime settles leases.
    function oracle() external view returns (address);

    /// @notice Seconds after an epoch's end by which its report must be accepted to count.
    function reportGrace() external view returns (uint256);

    /// @notice Oracle epoch length in seconds.
    function epochSeconds() external view returns (uint256);

    /// @notice Number of leases ever opened (ids run from 1 to this number).
    function leaseCount() external view returns (uint256);

    /// @notice Longest list a batch call takes.
    function MAX_BATCH() external view returns (uint256);
}
