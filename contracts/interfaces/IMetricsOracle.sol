// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IInventoryListener} from "./IInventoryListener.sol";

/// @notice The metrics an oracle report carries, one Chainlink-style feed each.
/// @dev Units: Utilization and Uptime in basis points (10,000 = 100%); GpuHours in
///      milli-GPU-hours of busy GPU time; Energy in watt-hours; AvgPower in watts (mean power of
///      the whole asset); Efficiency in GFLOPS per watt (rated TFLOPS x 1,000 x utilization /
///      average power, derived on-chain from the reported utilization and power).
enum Metric {
    Utilization,
    Uptime,
    GpuHours,
    Energy,
    AvgPower,
    Efficiency
}

/// @notice Where a report stands for readers who must never use a report that may still be voided
///         (lease settlement).
/// @dev Missing: the ring holds no report for that epoch (never sent, or overwritten after
///      RING_SIZE epochs). Voided: an upheld challenge voided it. Disputable: its challenge window
///      is still open. Challenged: a challenge awaits the arbiter. Final: the window closed and no
///      challenge is open; it can no longer be voided.
enum ReportStatus {
    Missing,
    Voided,
    Disputable,
    Challenged,
    Final
}

/// @notice One asset's metrics for one epoch, as readers see them.
/// @param epoch Epoch index: the epoch covers [genesis + epoch x epochSeconds, + epochSeconds).
/// @param utilizationBps Time-weighted mean GPU utilization over the slots that reported one.
/// @param uptimeBps Share of expected GPU samples that came back healthy (missing = down).
/// @param gpuHoursMilli Busy GPU time delivered, in milli-GPU-hours.
/// @param energyWh Energy drawn by the asset's GPUs over the epoch, in watt-hours.
/// @param avgPowerW Mean power of the asset's GPUs, in watts.
/// @param efficiencyGflopsPerW Rated TFLOPS x 1,000 x utilization / 10,000 / avgPowerW (0 when
///        no power was reported).
/// @param updatedAt Block timestamp at which the report was accepted.
/// @param configVersion Signer configuration the report was verified against.
/// @param signers Bitmap of the signers (indices in that configuration) who signed it.
/// @param voided True once an upheld challenge voided the report: readers must not use it.
struct MetricsReport {
    uint32 epoch;
    uint16 utilizationBps;
    uint16 uptimeBps;
    uint32 gpuHoursMilli;
    uint40 energyWh;
    uint32 avgPowerW;
    uint32 efficiencyGflopsPerW;
    uint40 updatedAt;
    uint24 configVersion;
    uint16 signers;
    bool voided;
}

/// @title IMetricsOracle: signed per-epoch usage and efficiency reports of GPU assets
/// @notice A quorum of bonded signers signs one batch of reports (EIP-712); anyone may transmit
///         it. The contract checks each report against the registry's hardware attestation and
///         hard physical bounds, keeps a ring of recent epochs per asset, and lets anyone
///         challenge a report within a window.
/// @dev Signed message: EIP-712 domain {name "compute-rwa MetricsOracle", version "1", chainId,
///      verifyingContract} and struct `MetricsBatch(uint24 configVersion,bytes reports)`. The
///      `reports` bytes are the calldata itself: 61 bytes per report, no padding, big-endian:
///      assetId uint64 | epoch uint32 | inventoryHash bytes32 | utilizationBps uint16 |
///      uptimeBps uint16 | gpuHoursMilli uint32 | energyWh uint40 | avgPowerW uint32.
///      Signatures are 65 bytes each (r | s | v), concatenated, any order, each from a distinct
///      signer of the current configuration.
interface IMetricsOracle is IInventoryListener {
    /* EVENTS */

    /// @notice A batch of reports was verified and stored.
    /// @param configVersion Configuration the signatures were verified against.
    /// @param signers Bitmap of the signers (indices in that configuration) who signed.
    /// @param reportsHash keccak256 of the packed reports. The reports themselves (61 bytes each)
    ///        are in the transaction's calldata: indexers decode them from there (the Python
    ///        client's `decode_batch` does), which keeps the event at three words.
    event ReportsAccepted(uint24 configVersion, uint16 signers, bytes32 reportsHash);

    /// @notice The signer set or quorum changed; `version` is what signers sign from now on.
    event SignersUpdated(uint24 indexed version, address[] signers, uint8 threshold);

    /// @notice Dispute parameters changed.
    event DisputeParamsUpdated(
        uint40 disputeWindow, uint40 resolutionTimeout, uint96 challengeBond, uint96 slashAmount, uint96 minSignerBond
    );

    /// @notice An asset's cached attestation and ratings were (re)loaded from the registry.
    event AssetSynced(uint256 indexed assetId, bytes32 inventoryHash, uint32 gpuCount, uint32 ratedPowerW, uint32 ratedTflops);

    /// @notice A signer's bond changed.
    event BondDeposited(address indexed signer, uint256 amount, uint256 bond);
    /// @notice A signer withdrew part or all of its bond.
    event BondWithdrawn(address indexed signer, address indexed to, uint256 amount, uint256 bond);

    /// @notice A report was challenged.
    event ReportChallenged(uint256 indexed assetId, uint32 indexed epoch, address indexed challenger, uint256 bond);
    /// @notice The arbiter resolved a challenge.
    /// @param upheld True: the report is void and the challenger was paid `payout`.
    /// @param payout Paid to the challenger (upheld) or added to the signers' bonds (rejected).
    event ChallengeResolved(uint256 indexed assetId, uint32 indexed epoch, bool upheld, uint256 payout);
    /// @notice A challenge the arbiter left unresolved past the timeout was closed; bond returned.
    event ChallengeExpired(uint256 indexed assetId, uint32 indexed epoch, address indexed challenger);
    /// @notice A signer's bond was slashed for an upheld challenge.
    event SignerSlashed(address indexed signer, uint256 indexed assetId, uint32 indexed epoch, uint256 amount);

    /// @notice Report submission and challenges were paused or resumed.
    event SubmissionsPaused(address indexed by, bool paused);

    /* ERRORS */

    /// @notice `reports` is not a whole number of 61-byte records, or is empty.
    error OracleMalformedReports(uint256 length);
    /// @notice More reports than MAX_BATCH_SIZE.
    error OracleBatchTooLarge(uint256 count, uint256 maxCount);
    /// @notice `signatures` is not a whole number of 65-byte signatures.
    error OracleMalformedSignatures(uint256 length);
    /// @notice Fewer signatures than the quorum.
    error OracleQuorumNotMet(uint256 signatures, uint256 threshold);
    /// @notice A signature recovered to an address outside the current signer set.
    error OracleUnknownSigner(address signer);
    /// @notice Two signatures from the same signer.
    error OracleDuplicateSigner(address signer);
    /// @notice A signer's bond is below the minimum; it cannot count towards the quorum.
    error OracleSignerBondTooLow(address signer, uint256 bond, uint256 minBond);
    /// @notice The report's epoch has not ended yet (or lies in the future).
    error OracleEpochNotEnded(uint256 assetId, uint256 epoch, uint256 endsAt);
    /// @notice This exact epoch is already stored for the asset (a replay).
    error OracleReportAlreadyAccepted(uint256 assetId, uint256 epoch);
    /// @notice The epoch is older than the asset's latest report: epochs strictly increase.
    error OracleEpochNotIncreasing(uint256 assetId, uint256 epoch, uint256 latestEpoch);
    /// @notice The report was made against an inventory the registry no longer holds.
    error OracleInventoryMismatch(uint256 assetId, uint256 epoch, bytes32 reported, bytes32 attestedPrefix);
    /// @notice The asset's attestation was never loaded from the registry: call syncAssets.
    error OracleAssetNotSynced(uint256 assetId);
    /// @notice A metric lies outside its hard bound (`field` names it).
    error OracleValueOutOfBounds(uint256 assetId, uint256 epoch, bytes32 field, uint256 value, uint256 bound);
    /// @notice No report for this asset and epoch is held (never reported or rotated out).
    error OracleReportNotFound(uint256 assetId, uint256 epoch);
    /// @notice The asset has no report yet.
    error OracleNoReport(uint256 assetId);
    /// @notice The latest report is older than the caller accepts.
    error OracleReportStale(uint256 assetId, uint256 updatedAt, uint256 maxAge);
    /// @notice The report was voided by an upheld challenge.
    error OracleReportVoided(uint256 assetId, uint256 epoch);
    /// @notice Signer configuration invalid (`reason` names the rule).
    error OracleInvalidSignerConfig(bytes32 reason, uint256 value);
    /// @notice Dispute parameter invalid.
    error OracleInvalidDisputeParams(bytes32 field, uint256 value);
    /// @notice The challenge window of the report has closed.
    error OracleChallengeWindowClosed(uint256 assetId, uint256 epoch, uint256 closedAt);
    /// @notice The report already has an open or resolved challenge.
    error OracleAlreadyChallenged(uint256 assetId, uint256 epoch);
    /// @notice No open challenge for this report.
    error OracleNoOpenChallenge(uint256 assetId, uint256 epoch);
    /// @notice The arbiter still has time to resolve this challenge.
    error OracleChallengeNotExpired(uint256 assetId, uint256 epoch, uint256 expiresAt);
    /// @notice The bond token charged a fee on transfer (bonds must arrive whole).
    error OracleBondTransferShortfall(uint256 expected, uint256 received);
    /// @notice A withdrawal larger than the free bond, or that leaves an active signer under the minimum.
    error OracleBondLocked(address signer, uint256 requested, uint256 withdrawable);
    /// @notice Submissions and challenges are paused.
    error OraclePaused();
    /// @notice Only the asset registry may call this.
    error OracleOnlyRegistry(address caller);
    /// @notice Zero amount or address.
    error OracleZeroValue(bytes32 field);
    /// @notice No signer set has been configured yet.
    error OracleNoSignerSet();
    /// @notice A timestamp before epoch 0.
    error OracleBeforeGenesis(uint256 timestamp, uint256 genesis);
    /// @notice Averaging window outside 1..RING_SIZE.
    error OracleInvalidWindow(uint256 window, uint256 maxWindow);

    /* REPORTS */

    /// @notice Verifies a quorum of signatures over `reports` once, then stores each report.
    /// @dev Reverts as a whole on the first bad report, naming it. Gas does not depend on how
    ///      many reports the oracle already holds.
    /// @param reports Packed reports (61 bytes each, see the interface documentation).
    /// @param signatures Packed 65-byte signatures over the EIP-712 digest of the batch.
    function submitReports(bytes calldata reports, bytes calldata signatures) external;

    /// @notice The EIP-712 digest signers sign for `reports` under the current configuration.
    function batchDigest(bytes calldata reports) external view returns (bytes32);

    /// @notice The EIP-712 digest for `reports` under configuration `configVersion`.
    function batchDigestFor(uint24 configVersion, bytes calldata reports) external view returns (bytes32);

    /// @notice (Re)loads assets' attestations and ratings from the registry. Anyone may call;
    ///         an asset must be synced once before its first report (the feeder does it).
    function syncAssets(uint256[] calldata assetIds) external;

    /* READS */

    /// @notice The report held for `epoch`; reverts if not held. Voided reports are returned
    ///         with `voided` set (the raw read).
    function getReport(uint256 assetId, uint256 epoch) external view returns (MetricsReport memory);

    /// @notice The newest report, raw: no age or void check (check `updatedAt`, `voided`).
    function latestReport(uint256 assetId) external view returns (MetricsReport memory);

    /// @notice The newest report; reverts if it is older than `maxAge` seconds or voided.
    function latestReportChecked(uint256 assetId, uint256 maxAge) external view returns (MetricsReport memory);

    /// @notice A report's uptime and whether it can still be voided, in one read (for settlement).
    /// @return status See `ReportStatus`; only `Final` reports can never be voided.
    /// @return uptimeBps Reported uptime (zero unless the report is held and not voided).
    /// @return updatedAt When the report was accepted (zero when missing).
    /// @return finalAt When its challenge window closes (updatedAt + dispute window; zero when missing).
    function reportStatus(uint256 assetId, uint256 epoch)
        external
        view
        returns (ReportStatus status, uint16 uptimeBps, uint40 updatedAt, uint40 finalAt);

    /// @notice Whether the asset has a report, and the newest epoch.
    function latestEpoch(uint256 assetId) external view returns (bool exists, uint32 epoch);

    /// @notice Mean of `metric` over the valid (held, not voided) reports among the `window`
    ///         epochs ending with the latest one; `count` is how many were valid.
    function trailingAverage(uint256 assetId, Metric metric, uint256 window)
        external
        view
        returns (uint256 average, uint256 count);

    /// @notice One metric of one epoch's report; reverts if not held or voided.
    function metricAt(uint256 assetId, uint256 epoch, Metric metric)
        external
        view
        returns (uint256 value, uint256 updatedAt);

    /// @notice The epoch containing `timestamp`.
    function epochAt(uint256 timestamp) external view returns (uint256);

    /// @notice First second of `epoch`.
    function epochStart(uint256 epoch) external view returns (uint256);

    /// @notice Seconds per epoch.
    function epochSeconds() external view returns (uint256);

    /// @notice Timestamp where epoch 0 begins.
    function genesis() external view returns (uint256);

    /// @notice Epochs kept per asset.
    function RING_SIZE() external view returns (uint256);

    /// @notice Most reports in one batch.
    function MAX_BATCH_SIZE() external view returns (uint256);

    /// @notice Most signers in a configuration.
    function MAX_SIGNERS() external view returns (uint256);

    /// @notice Allowance above rated power for energy and average power, in basis points.
    function POWER_MARGIN_BPS() external view returns (uint256);

    /// @notice Current configuration: version, quorum, signers.
    function signerConfig() external view returns (uint24 version, uint8 threshold, address[] memory signers);

    /// @notice Signers of a past or current configuration version.
    function signersOf(uint24 version) external view returns (address[] memory);

    /// @notice A signer's bond, the part locked by open challenges and the time its exit unlocks.
    function bondOf(address signer) external view returns (uint256 bond, uint256 locked, uint256 exitUnlocksAt);

    /// @notice The asset registry whose attestations reports are checked against.
    function registry() external view returns (address);

    /// @notice The ERC-20 bonds and challenge bonds are posted in.
    function bondToken() external view returns (address);

    /* SIGNERS AND BONDS */

    /// @notice Replaces the signer set and quorum; bumps the configuration version (admin).
    /// @dev Threshold must be a majority of the set (2 x threshold > signers), at least 1 and at
    ///      most the number of signers.
    function setSigners(address[] calldata signers, uint8 threshold) external;

    /// @notice Adds `amount` of the bond token to `signer`'s bond (anyone may fund it).
    function depositBond(address signer, uint256 amount) external;

    /// @notice Withdraws free bond. An active signer keeps at least the minimum; a removed
    ///         signer's bond unlocks one dispute window after its removal. A challenger whose
    ///         payout the bond token refused withdraws it here (it was credited as its bond).
    function withdrawBond(uint256 amount, address to) external;

    /* DISPUTES */

    /// @notice Challenges a held report within the dispute window, posting the challenge bond.
    ///         Locks up to `slashAmount` of each of the report's signers' bonds.
    function challenge(uint256 assetId, uint256 epoch) external;

    /// @notice Arbiter decision. Upheld: the report is void; the challenger gets its bond back
    ///         plus the locked bonds. Rejected: locked bonds are released and the challenge bond
    ///         is shared among the report's signers' bonds. A payout the bond token will not
    ///         deliver (a blocklisted challenger, a hook that reverts) is credited to the
    ///         challenger's bond record instead (BondDeposited), withdrawable with withdrawBond.
    function resolveChallenge(uint256 assetId, uint256 epoch, bool upheld) external;

    /// @notice Closes a challenge the arbiter left unresolved past the resolution timeout,
    ///         returning the challenger's bond (credited, as on resolution, if the token will not
    ///         pay it) and releasing the signers' locks. Anyone may call.
    function expireChallenge(uint256 assetId, uint256 epoch) external;

    /// @notice Sets the dispute parameters (admin). The dispute window may only shrink: a longer
    ///         window would make challengeable again reports that readers already treat as final
    ///         (`ReportStatus.Final`, which lease settlement relies on).
    function setDisputeParams(
        uint40 disputeWindow,
        uint40 resolutionTimeout,
        uint96 challengeBond,
        uint96 slashAmount,
        uint96 minSignerBond
    ) external;

    /// @notice Pauses or resumes report submission and new challenges (pauser). Bond
    ///         withdrawals and challenge resolution keep working.
    function setPaused(bool paused) external;
}
