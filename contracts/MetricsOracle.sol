// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EIP712} from "solady/utils/EIP712.sol";
import {SSTORE2} from "solady/utils/SSTORE2.sol";

import {IMetricsOracle, MetricsReport, Metric, ReportStatus} from "./interfaces/IMetricsOracle.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {AssetSpec} from "./libraries/AssetTypes.sol";
import {ReportPacking} from "./libraries/ReportPacking.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title MetricsOracle: quorum-signed per-epoch usage and efficiency of GPU assets
/// @notice Oracle operators measure their GPUs (NVML, nvidia-smi, DCGM) and agree off-chain on
///         one report per asset and epoch: the transmitter takes the per-field median of the
///         signers' observations, and each signer signs the batch only when every value lies
///         within its tolerance of its own observation (the OCR model). On-chain, the batch's
///         signatures are verified once, then each report costs one storage rewrite.
/// @dev EIP-712 via Solady (OpenZeppelin >= 5.2 needs Cancun's MCOPY, and the suite targets
///      Shanghai so that Ganache runs it); ECDSA and access control from OpenZeppelin.
///      Storage per asset: one word of cached attestation and ratings, one lane of a word
///      shared by eight assets for the latest epoch, and a ring of RING_SIZE report words.
contract MetricsOracle is IMetricsOracle, AccessControlDefaultAdminRules, EIP712 {
    using SafeERC20 for IERC20;
    using ReportPacking for uint256;

    /* CONSTANTS */

    /// @notice Resolves challenges.
    bytes32 public constant ARBITER_ROLE = Roles.ARBITER_ROLE;
    /// @notice Pauses report submission and new challenges.
    bytes32 public constant PAUSER_ROLE = Roles.PAUSER_ROLE;
    /// @inheritdoc IMetricsOracle
    uint256 public constant RING_SIZE = 168;
    /// @inheritdoc IMetricsOracle
    uint256 public constant MAX_BATCH_SIZE = 500;
    /// @inheritdoc IMetricsOracle
    uint256 public constant MAX_SIGNERS = 16;
    /// @inheritdoc IMetricsOracle
    uint256 public constant POWER_MARGIN_BPS = 1_000;
    /// @notice Bytes per packed report in calldata.
    uint256 public constant REPORT_BYTES = 61;
    /// @notice EIP-712 type of the signed batch.
    bytes32 public constant BATCH_TYPEHASH = keccak256("MetricsBatch(uint24 configVersion,bytes reports)");

    uint256 private constant _BPS = 10_000;
    uint256 private constant _SIGNATURE_BYTES = 65;

    /// @inheritdoc IMetricsOracle
    address public immutable registry;
    /// @inheritdoc IMetricsOracle
    address public immutable bondToken;
    uint256 private immutable _epochSeconds;
    uint256 private immutable _genesis;

    /* STORAGE */

    /// @dev Read once per batch: the whole signer check costs this word plus one code read.
    ///      `signerSet` is an SSTORE2 pointer holding the signers' addresses (20 bytes each);
    ///      bit i of `bondedMask` says signer i holds at least the minimum bond, kept current
    ///      by every deposit, slash and change of the minimum.
    struct State {
        address signerSet;
        uint24 configVersion;
        uint8 threshold;
        bool paused;
        uint16 bondedMask;
    }

    struct DisputeParams {
        uint40 disputeWindow;
        uint40 resolutionTimeout;
        uint96 challengeBond;
        uint96 slashAmount;
        uint96 minSignerBond;
    }

    /// @dev `index` is 1 + the signer's position in the current configuration, 0 when inactive.
    struct Signer {
        uint96 bond;
        uint96 locked;
        uint8 index;
        uint40 exitUnlocksAt;
    }

    enum ChallengeStatus {
        None,
        Open,
        Upheld,
        Rejected,
        Expired
    }

    struct Challenge {
        address challenger;
        uint40 openedAt;
        ChallengeStatus status;
        uint24 configVersion;
        uint16 signers;
        uint96 bond;
    }

    State private _state;
    DisputeParams private _dispute;
    mapping(address signer => Signer) private _signers;
    mapping(uint24 version => address signerSet) private _signerSetOf;
    /// @dev ReportPacking.packAsset: inventory-hash prefix, GPU count, rated power, rated TFLOPS.
    mapping(uint256 assetId => uint256) private _assets;
    /// @dev Eight 32-bit lanes per word, lane = assetId % 8, value = latest epoch + 1 (0: none).
    mapping(uint256 assetIdDiv8 => uint256) private _latest;
    /// @dev Key assetId x RING_SIZE + epoch % RING_SIZE.
    mapping(uint256 ringKey => uint256) private _ring;
    mapping(bytes32 reportKey => Challenge) private _challenges;
    mapping(bytes32 reportKey => mapping(address signer => uint96)) private _lockedFor;

    /* CONSTRUCTOR */

    /// @param admin Admin (DEFAULT_ADMIN_ROLE, two-step transfer with `adminTransferDelay`).
    /// @param registry_ Asset registry holding each asset's attestation and ratings.
    /// @param bondToken_ ERC-20 of signer bonds and challenge bonds (no fee on transfer).
    /// @param epochSeconds_ Epoch length in seconds (60 s to 1 day); an hour is the default.
    /// @param genesis_ Start of epoch 0 (a timestamp not after now).
    /// @param dispute Dispute window, resolution timeout, challenge bond, slash per signer, and
    ///        the bond a signer needs to count towards the quorum.
    constructor(
        address admin,
        uint48 adminTransferDelay,
        address registry_,
        address bondToken_,
        uint256 epochSeconds_,
        uint256 genesis_,
        DisputeParams memory dispute
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        if (registry_.code.length == 0) revert OracleZeroValue("registry");
        if (bondToken_.code.length == 0) revert OracleZeroValue("bondToken");
        if (epochSeconds_ < 60 || epochSeconds_ > 1 days) {
            revert OracleInvalidDisputeParams("epochSeconds", epochSeconds_);
        }
        if (genesis_ > block.timestamp) revert OracleInvalidDisputeParams("genesis", genesis_);
        registry = registry_;
        bondToken = bondToken_;
        _epochSeconds = epochSeconds_;
        _genesis = genesis_;
        _setDisputeParams(dispute);
    }

    /* REPORTS */

    /// @inheritdoc IMetricsOracle
    function submitReports(bytes calldata reports, bytes calldata signatures) external {
        State memory state = _state;
        if (state.paused) revert OraclePaused();
        uint256 count = reports.length / REPORT_BYTES;
        if (count == 0 || count * REPORT_BYTES != reports.length) revert OracleMalformedReports(reports.length);
        if (count > MAX_BATCH_SIZE) revert OracleBatchTooLarge(count, MAX_BATCH_SIZE);

        bytes32 reportsHash = _calldataHash(reports);
        uint256 signerBits = _verifyQuorum(_digestOf(state.configVersion, reportsHash), signatures, state);
        uint256 failed =
            _storeReports(reports, ReportPacking.stamp(block.timestamp, state.configVersion, signerBits));
        if (failed != 0) _revertFor(reports, failed - 1);
        emit ReportsAccepted(state.configVersion, uint16(signerBits), reportsHash);
    }

    /// @inheritdoc IMetricsOracle
    function batchDigest(bytes calldata reports) external view returns (bytes32) {
        return _digestOf(_state.configVersion, _calldataHash(reports));
    }

    /// @inheritdoc IMetricsOracle
    function batchDigestFor(uint24 configVersion, bytes calldata reports) external view returns (bytes32) {
        return _digestOf(configVersion, _calldataHash(reports));
    }

    /// @inheritdoc IMetricsOracle
    function syncAssets(uint256[] calldata assetIds) external {
        if (assetIds.length > MAX_BATCH_SIZE) revert OracleBatchTooLarge(assetIds.length, MAX_BATCH_SIZE);
        for (uint256 i; i < assetIds.length; ++i) {
            _syncAsset(assetIds[i]);
        }
    }

    /// @notice Called by the registry when an asset's inventory changes.
    function onInventoryUpdated(uint256 assetId, bytes32) external {
        if (msg.sender != registry) revert OracleOnlyRegistry(msg.sender);
        // Reload everything from the registry rather than trust the argument's copy.
        _syncAsset(assetId);
    }

    /* READS */

    /// @inheritdoc IMetricsOracle
    function getReport(uint256 assetId, uint256 epoch) public view returns (MetricsReport memory) {
        return _unpack(assetId, _heldWord(assetId, epoch));
    }

    /// @inheritdoc IMetricsOracle
    function latestReport(uint256 assetId) public view returns (MetricsReport memory) {
        (bool exists, uint32 epoch) = latestEpoch(assetId);
        if (!exists) revert OracleNoReport(assetId);
        return getReport(assetId, epoch);
    }

    /// @inheritdoc IMetricsOracle
    function latestReportChecked(uint256 assetId, uint256 maxAge) external view returns (MetricsReport memory report) {
        report = latestReport(assetId);
        if (report.voided) revert OracleReportVoided(assetId, report.epoch);
        if (block.timestamp - report.updatedAt > maxAge) revert OracleReportStale(assetId, report.updatedAt, maxAge);
    }

    /// @inheritdoc IMetricsOracle
    function reportStatus(uint256 assetId, uint256 epoch)
        external
        view
        returns (ReportStatus status, uint16 uptimeBps, uint40 updatedAt, uint40 finalAt)
    {
        uint256 word = _ring[_ringKey(assetId, epoch)];
        if (!word.holds(epoch)) return (ReportStatus.Missing, 0, 0, 0);
        updatedAt = uint40(word.updatedAt());
        finalAt = updatedAt + _dispute.disputeWindow;
        if (word.isVoided()) return (ReportStatus.Voided, 0, updatedAt, finalAt);
        uptimeBps = uint16(word.uptimeBps());
        if (_challenges[_reportKey(assetId, epoch)].status == ChallengeStatus.Open) {
            status = ReportStatus.Challenged;
        } else {
            status = block.timestamp > finalAt ? ReportStatus.Final : ReportStatus.Disputable;
        }
    }

    /// @inheritdoc IMetricsOracle
    function latestEpoch(uint256 assetId) public view returns (bool exists, uint32 epoch) {
        uint256 latestPlusOne = (_latest[assetId >> 3] >> ((assetId & 7) << 5)) & 0xffffffff;
        if (latestPlusOne == 0) return (false, 0);
        return (true, uint32(latestPlusOne - 1));
    }

    /// @inheritdoc IMetricsOracle
    function trailingAverage(uint256 assetId, Metric metric, uint256 window)
        external
        view
        returns (uint256 average, uint256 count)
    {
        if (window == 0 || window > RING_SIZE) revert OracleInvalidWindow(window, RING_SIZE);
        (bool exists, uint32 latest) = latestEpoch(assetId);
        if (!exists) return (0, 0);
        uint256 sum;
        uint256 oldest = latest + 1 > window ? latest + 1 - window : 0;
        for (uint256 epoch = oldest; epoch <= latest; ++epoch) {
            uint256 word = _ring[_ringKey(assetId, epoch)];
            if (!word.holds(epoch) || word.isVoided()) continue;
            sum += _metricOf(_unpack(assetId, word), metric);
            ++count;
        }
        if (count != 0) average = sum / count;
    }

    /// @inheritdoc IMetricsOracle
    function metricAt(uint256 assetId, uint256 epoch, Metric metric)
        external
        view
        returns (uint256 value, uint256 updatedAt)
    {
        MetricsReport memory report = getReport(assetId, epoch);
        if (report.voided) revert OracleReportVoided(assetId, epoch);
        return (_metricOf(report, metric), report.updatedAt);
    }

    /// @inheritdoc IMetricsOracle
    function epochAt(uint256 timestamp) public view returns (uint256) {
        if (timestamp < _genesis) revert OracleBeforeGenesis(timestamp, _genesis);
        return (timestamp - _genesis) / _epochSeconds;
    }

    /// @inheritdoc IMetricsOracle
    function epochStart(uint256 epoch) public view returns (uint256) {
        return _genesis + epoch * _epochSeconds;
    }

    /// @inheritdoc IMetricsOracle
    function epochSeconds() external view returns (uint256) {
        return _epochSeconds;
    }

    /// @inheritdoc IMetricsOracle
    function genesis() external view returns (uint256) {
        return _genesis;
    }

    /// @inheritdoc IMetricsOracle
    function signerConfig() external view returns (uint24 version, uint8 threshold, address[] memory signers) {
        State memory state = _state;
        return (state.configVersion, state.threshold, _readSigners(state.signerSet));
    }

    /// @inheritdoc IMetricsOracle
    function signersOf(uint24 version) public view returns (address[] memory) {
        return _readSigners(_signerSetOf[version]);
    }

    /// @inheritdoc IMetricsOracle
    function bondOf(address signer) external view returns (uint256 bond, uint256 locked, uint256 exitUnlocksAt) {
        Signer memory info = _signers[signer];
        return (info.bond, info.locked, info.exitUnlocksAt);
    }

    /// @notice Dispute parameters and the minimum signer bond.
    function disputeParams()
        external
        view
        returns (
            uint40 disputeWindow,
            uint40 resolutionTimeout,
            uint96 challengeBond,
            uint96 slashAmount,
            uint96 minSignerBond
        )
    {
        DisputeParams memory d = _dispute;
        return (d.disputeWindow, d.resolutionTimeout, d.challengeBond, d.slashAmount, d.minSignerBond);
    }

    /// @notice A report's challenge: who, when, and its status (0 none, 1 open, 2 upheld,
    ///         3 rejected, 4 expired).
    function challengeOf(uint256 assetId, uint256 epoch)
        external
        view
        returns (address challenger, uint40 openedAt, ChallengeStatus status, uint96 bond)
    {
        Challenge memory c = _challenges[_reportKey(assetId, epoch)];
        return (c.challenger, c.openedAt, c.status, c.bond);
    }

    /// @notice Cached attestation and ratings of an asset (zero until its first report or sync).
    function assetCache(uint256 assetId)
        external
        view
        returns (bytes20 inventoryPrefix, uint32 gpuCount, uint32 ratedPowerW, uint32 ratedTflops)
    {
        uint256 asset = _assets[assetId];
        return (
            bytes20(uint160(asset.inventoryPrefix())),
            uint32(asset.gpuCount()),
            uint32(asset.ratedPowerW()),
            uint32(asset.ratedTflops())
        );
    }

    /// @notice Whether submissions and new challenges are paused.
    function paused() external view returns (bool) {
        return _state.paused;
    }

    /* SIGNERS AND BONDS */

    /// @inheritdoc IMetricsOracle
    function setSigners(address[] calldata signers, uint8 threshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 n = signers.length;
        if (n == 0 || n > MAX_SIGNERS) revert OracleInvalidSignerConfig("signerCount", n);
        if (threshold == 0 || uint256(threshold) * 2 <= n || threshold > n) {
            revert OracleInvalidSignerConfig("threshold", threshold);
        }
        State memory state = _state;
        address[] memory previous = _readSigners(state.signerSet);
        uint40 unlocksAt = uint40(block.timestamp) + _dispute.disputeWindow;
        for (uint256 i; i < previous.length; ++i) {
            Signer storage old = _signers[previous[i]];
            old.index = 0;
            // Reports it signed can be challenged until one window after this moment.
            old.exitUnlocksAt = unlocksAt;
        }
        uint96 minBond = _dispute.minSignerBond;
        uint16 bondedMask;
        for (uint256 i; i < n; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert OracleInvalidSignerConfig("zeroSigner", i);
            Signer storage info = _signers[signer];
            if (info.index != 0) revert OracleInvalidSignerConfig("duplicateSigner", uint256(uint160(signer)));
            info.index = uint8(i + 1);
            if (info.bond >= minBond) bondedMask |= uint16(1 << i);
        }
        uint24 version = state.configVersion + 1;
        address pointer = SSTORE2.write(_packSigners(signers));
        _signerSetOf[version] = pointer;
        _state = State(pointer, version, threshold, state.paused, bondedMask);
        emit SignersUpdated(version, signers, threshold);
    }

    /// @inheritdoc IMetricsOracle
    function depositBond(address signer, uint256 amount) external {
        if (signer == address(0)) revert OracleZeroValue("signer");
        if (amount == 0) revert OracleZeroValue("amount");
        _pullExact(msg.sender, amount);
        Signer storage info = _signers[signer];
        uint256 bond = info.bond + amount;
        info.bond = SafeCast.toUint96(bond);
        _refreshBonded(info);
        emit BondDeposited(signer, amount, bond);
    }

    /// @inheritdoc IMetricsOracle
    function withdrawBond(uint256 amount, address to) external {
        if (amount == 0) revert OracleZeroValue("amount");
        if (to == address(0)) revert OracleZeroValue("to");
        Signer storage info = _signers[msg.sender];
        uint256 withdrawable = _withdrawable(info);
        if (amount > withdrawable) revert OracleBondLocked(msg.sender, amount, withdrawable);
        uint256 bond = info.bond - amount;
        info.bond = uint96(bond);
        IERC20(bondToken).safeTransfer(to, amount);
        emit BondWithdrawn(msg.sender, to, amount, bond);
    }

    /* DISPUTES */

    /// @inheritdoc IMetricsOracle
    function challenge(uint256 assetId, uint256 epoch) external {
        if (_state.paused) revert OraclePaused();
        uint256 word = _heldWord(assetId, epoch);
        bytes32 key = _reportKey(assetId, epoch);
        if (word.isVoided() || _challenges[key].status != ChallengeStatus.None) {
            revert OracleAlreadyChallenged(assetId, epoch);
        }
        DisputeParams memory d = _dispute;
        uint256 closesAt = word.updatedAt() + d.disputeWindow;
        if (block.timestamp > closesAt) revert OracleChallengeWindowClosed(assetId, epoch, closesAt);

        _pullExact(msg.sender, d.challengeBond);
        uint24 version = word.configVersion();
        uint16 signerBits = word.signerBits();
        address[] memory signers = signersOf(version);
        for (uint256 i; i < signers.length; ++i) {
            if (signerBits & (1 << i) == 0) continue;
            Signer storage info = _signers[signers[i]];
            uint96 free = info.bond - info.locked;
            uint96 amount = free < d.slashAmount ? free : d.slashAmount;
            info.locked += amount;
            _lockedFor[key][signers[i]] = amount;
        }
        _challenges[key] = Challenge({
            challenger: msg.sender,
            openedAt: uint40(block.timestamp),
            status: ChallengeStatus.Open,
            configVersion: version,
            signers: signerBits,
            bond: d.challengeBond
        });
        emit ReportChallenged(assetId, uint32(epoch), msg.sender, d.challengeBond);
    }

    /// @inheritdoc IMetricsOracle
    function resolveChallenge(uint256 assetId, uint256 epoch, bool upheld) external onlyRole(ARBITER_ROLE) {
        bytes32 key = _reportKey(assetId, epoch);
        Challenge storage c = _challenges[key];
        if (c.status != ChallengeStatus.Open) revert OracleNoOpenChallenge(assetId, epoch);
        address[] memory signers = signersOf(c.configVersion);
        uint16 signerBits = c.signers;
        uint256 payout;
        if (upheld) {
            c.status = ChallengeStatus.Upheld;
            for (uint256 i; i < signers.length; ++i) {
                if (signerBits & (1 << i) == 0) continue;
                uint96 amount = _release(key, signers[i]);
                Signer storage info = _signers[signers[i]];
                info.bond -= amount;
                _refreshBonded(info);
                payout += amount;
                emit SignerSlashed(signers[i], assetId, uint32(epoch), amount);
            }
            // Void the stored word if the ring still holds this epoch (readers then skip it).
            uint256 ringKey = _ringKey(assetId, epoch);
            uint256 word = _ring[ringKey];
            if (word.holds(epoch)) _ring[ringKey] = word.voided();
            payout += c.bond;
            _payChallenger(c.challenger, payout);
        } else {
            c.status = ChallengeStatus.Rejected;
            payout = c.bond;
            uint256 signerCount;
            for (uint256 i; i < signers.length; ++i) {
                if (signerBits & (1 << i) != 0) ++signerCount;
            }
            // A frivolous challenge's bond strengthens the bonds of the signers it accused.
            uint256 share = payout / signerCount;
            uint256 remainder = payout - share * signerCount;
            for (uint256 i; i < signers.length; ++i) {
                if (signerBits & (1 << i) == 0) continue;
                _release(key, signers[i]);
                Signer storage info = _signers[signers[i]];
                uint256 bond = info.bond + share + remainder;
                info.bond = SafeCast.toUint96(bond);
                _refreshBonded(info);
                emit BondDeposited(signers[i], share + remainder, bond);
                remainder = 0;
            }
        }
        emit ChallengeResolved(assetId, uint32(epoch), upheld, payout);
    }

    /// @inheritdoc IMetricsOracle
    function expireChallenge(uint256 assetId, uint256 epoch) external {
        bytes32 key = _reportKey(assetId, epoch);
        Challenge storage c = _challenges[key];
        if (c.status != ChallengeStatus.Open) revert OracleNoOpenChallenge(assetId, epoch);
        uint256 expiresAt = uint256(c.openedAt) + _dispute.resolutionTimeout;
        if (block.timestamp <= expiresAt) revert OracleChallengeNotExpired(assetId, epoch, expiresAt);
        c.status = ChallengeStatus.Expired;
        address[] memory signers = signersOf(c.configVersion);
        for (uint256 i; i < signers.length; ++i) {
            if (c.signers & (1 << i) != 0) _release(key, signers[i]);
        }
        _payChallenger(c.challenger, c.bond);
        emit ChallengeExpired(assetId, uint32(epoch), c.challenger);
    }

    /// @inheritdoc IMetricsOracle
    function setDisputeParams(
        uint40 disputeWindow,
        uint40 resolutionTimeout,
        uint96 challengeBond,
        uint96 slashAmount,
        uint96 minSignerBond
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDisputeParams(DisputeParams(disputeWindow, resolutionTimeout, challengeBond, slashAmount, minSignerBond));
        // The minimum may have moved past some signers' bonds.
        address[] memory signers = _readSigners(_state.signerSet);
        for (uint256 i; i < signers.length; ++i) {
            _refreshBonded(_signers[signers[i]]);
        }
    }

    /// @inheritdoc IMetricsOracle
    function setPaused(bool paused_) external onlyRole(PAUSER_ROLE) {
        _state.paused = paused_;
        emit SubmissionsPaused(msg.sender, paused_);
    }

    /* INTERNAL */

    function _digestOf(uint24 configVersion, bytes32 reportsHash) private view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(BATCH_TYPEHASH, configVersion, reportsHash)));
    }

    function _calldataHash(bytes calldata data) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, data.offset, data.length)
            hash := keccak256(ptr, data.length)
        }
    }

    /// @dev Returns the bitmap of signer positions; every signature must come from a distinct,
    ///      bonded signer of the current configuration.
    function _verifyQuorum(bytes32 digest, bytes calldata signatures, State memory state)
        private
        view
        returns (uint256 signerBits)
    {
        uint256 n = signatures.length / _SIGNATURE_BYTES;
        if (n * _SIGNATURE_BYTES != signatures.length) revert OracleMalformedSignatures(signatures.length);
        if (n < state.threshold) revert OracleQuorumNotMet(n, state.threshold);
        if (state.signerSet == address(0)) revert OracleNoSignerSet();
        bytes memory set = SSTORE2.read(state.signerSet);
        for (uint256 i; i < n; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let p := add(signatures.offset, mul(i, 65))
                r := calldataload(p)
                s := calldataload(add(p, 32))
                v := byte(0, calldataload(add(p, 64)))
            }
            address signer = ECDSA.recover(digest, v, r, s);
            uint256 position = _positionOf(set, signer);
            uint256 bit = 1 << position;
            if (signerBits & bit != 0) revert OracleDuplicateSigner(signer);
            signerBits |= bit;
            if (state.bondedMask & bit == 0) {
                revert OracleSignerBondTooLow(signer, _signers[signer].bond, _dispute.minSignerBond);
            }
        }
    }

    /// @dev Position of `signer` in the packed signer set (20 bytes each).
    function _positionOf(bytes memory set, address signer) private pure returns (uint256 position) {
        bool found;
        assembly ("memory-safe") {
            let n := div(mload(set), 20)
            let data := add(set, 32)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                if eq(shr(96, mload(add(data, mul(i, 20)))), signer) {
                    position := i
                    found := 1
                    break
                }
            }
        }
        if (!found) revert OracleUnknownSigner(signer);
    }

    /// @dev 20 bytes per signer (abi.encodePacked would pad array elements to 32).
    function _packSigners(address[] calldata signers) private pure returns (bytes memory packed) {
        packed = new bytes(signers.length * 20);
        for (uint256 i; i < signers.length; ++i) {
            address signer = signers[i];
            assembly ("memory-safe") {
                mstore(add(add(packed, 32), mul(i, 20)), shl(96, signer))
            }
        }
    }

    function _readSigners(address pointer) private view returns (address[] memory signers) {
        if (pointer == address(0)) return signers;
        bytes memory packed = SSTORE2.read(pointer);
        uint256 n = packed.length / 20;
        signers = new address[](n);
        for (uint256 i; i < n; ++i) {
            address signer;
            assembly ("memory-safe") {
                signer := shr(96, mload(add(add(packed, 32), mul(i, 20))))
            }
            signers[i] = signer;
        }
    }

    /// @dev Keeps `bondedMask` in step with an active signer's bond.
    function _refreshBonded(Signer storage info) private {
        uint256 index = info.index;
        if (index == 0) return;
        uint16 bit = uint16(1 << (index - 1));
        uint16 mask = _state.bondedMask;
        _state.bondedMask = info.bond >= _dispute.minSignerBond ? mask | bit : mask & ~bit;
    }

    /// @dev The hot loop, one pass per report: checks the epoch (ended, strictly increasing),
    ///      the attestation and the hard bounds, then writes the report word. Returns 0, or
    ///      1 + the index of the first report that fails (`_revertFor` names the failure); the
    ///      caller reverts, so partial writes never persist.
    ///      The latest-epoch word is shared by eight consecutive asset ids: it stays on the
    ///      stack while consecutive reports use it and is written back once.
    function _storeReports(bytes calldata reports, uint256 stamp) private returns (uint256 failed) {
        uint256 endedBefore = _currentEpoch();
        uint256 gpuHoursScale = _epochSeconds * 1000; // gpuHoursMilli x 3,600 <= gpuCount x this
        uint256 energyScale = _epochSeconds * (_BPS + POWER_MARGIN_BPS); // Wh x 3.6e7 <= W x this
        uint256 latestSlot;
        uint256 assetsSlot;
        uint256 ringSlot;
        assembly {
            latestSlot := _latest.slot
            assetsSlot := _assets.slot
            ringSlot := _ring.slot
        }
        assembly ("memory-safe") {
            let latestKey := not(0)
            let latestWord := 0
            let base := reports.offset
            let end := add(base, reports.length)
            for { let p := base } lt(p, end) { p := add(p, 61) } {
                let head := calldataload(p)
                let assetId := shr(192, head)
                let epoch := and(shr(160, head), 0xffffffff)
                if iszero(lt(epoch, endedBefore)) {
                    failed := p
                    break
                }
                let key := shr(3, assetId)
                if iszero(eq(key, latestKey)) {
                    if iszero(eq(latestKey, not(0))) {
                        mstore(0, latestKey)
                        mstore(32, latestSlot)
                        sstore(keccak256(0, 64), latestWord)
                    }
                    latestKey := key
                    mstore(0, key)
                    mstore(32, latestSlot)
                    latestWord := sload(keccak256(0, 64))
                }
                let lane := shl(5, and(assetId, 7))
                if lt(epoch, and(shr(lane, latestWord), 0xffffffff)) {
                    failed := p
                    break
                }
                latestWord := or(and(latestWord, not(shl(lane, 0xffffffff))), shl(lane, add(epoch, 1)))

                mstore(0, assetId)
                mstore(32, assetsSlot)
                let asset := sload(keccak256(0, 64))
                // Unsynced (zero word: checked on its own, a zero-prefix hash would match it) or
                // another inventory (the prefixes differ).
                if or(iszero(asset), iszero(eq(shr(96, calldataload(add(p, 12))), shr(96, asset)))) {
                    failed := p
                    break
                }
                let m := calldataload(add(p, 44))
                let ratedPower := and(shr(32, asset), 0xffffffff)
                if or(
                    or(gt(shr(240, m), _BPS), gt(and(shr(224, m), 0xffff), _BPS)),
                    or(
                        gt(mul(and(shr(192, m), 0xffffffff), 3600), mul(and(shr(64, asset), 0xffffffff), gpuHoursScale)),
                        or(
                            gt(mul(and(shr(120, m), 0xffffffff), _BPS), mul(ratedPower, add(_BPS, POWER_MARGIN_BPS))),
                            gt(mul(and(shr(152, m), 0xffffffffff), 36000000), mul(ratedPower, energyScale))
                        )
                    )
                ) {
                    failed := p
                    break
                }
                mstore(0, add(mul(assetId, RING_SIZE), mod(epoch, RING_SIZE)))
                mstore(32, ringSlot)
                sstore(keccak256(0, 64), or(or(shl(32, shr(120, m)), epoch), stamp))
            }
            switch failed
            case 0 {
                mstore(0, latestKey)
                mstore(32, latestSlot)
                sstore(keccak256(0, 64), latestWord)
            }
            default { failed := add(div(sub(failed, base), 61), 1) }
        }
    }

    /// @dev Slow path: re-examines report `index` and reverts with the error naming its fault.
    ///      Runs against the state the loop left (earlier reports of the batch already stored).
    function _revertFor(bytes calldata reports, uint256 index) private view {
        (uint256 assetId, uint256 epoch, uint256 inventoryHash, uint256 metrics) = ReportPacking.readReport(reports, index);
        if (epoch >= _currentEpoch()) revert OracleEpochNotEnded(assetId, epoch, epochStart(epoch + 1));
        (bool exists, uint32 latest) = latestEpoch(assetId);
        // The latest word of this asset may still sit in the loop's stack copy: re-derive from
        // earlier reports of the same batch.
        for (uint256 i; i < index; ++i) {
            (uint256 otherId, uint256 otherEpoch,,) = ReportPacking.readReport(reports, i);
            if (otherId == assetId && (!exists || otherEpoch > latest)) (exists, latest) = (true, uint32(otherEpoch));
        }
        if (exists && epoch == latest) revert OracleReportAlreadyAccepted(assetId, epoch);
        if (exists && epoch < latest) revert OracleEpochNotIncreasing(assetId, epoch, latest);
        uint256 asset = _assets[assetId];
        if (asset == 0) revert OracleAssetNotSynced(assetId);
        if (inventoryHash >> 96 != asset.inventoryPrefix()) {
            revert OracleInventoryMismatch(assetId, epoch, bytes32(inventoryHash), bytes32(asset.inventoryPrefix() << 96));
        }
        _checkBounds(assetId, epoch, metrics, asset);
        revert OracleMalformedReports(reports.length); // unreachable: the loop and this agree
    }

    /// @dev Hard physical bounds (security.md, oracle 5). Energy and power may exceed the rated
    ///      figure by POWER_MARGIN_BPS: boards draw above their limit in short excursions.
    function _checkBounds(uint256 assetId, uint256 epoch, uint256 metrics, uint256 asset) private view {
        uint256 utilization = metrics.utilizationBps();
        if (utilization > _BPS) revert OracleValueOutOfBounds(assetId, epoch, "utilizationBps", utilization, _BPS);
        uint256 uptime = metrics.uptimeBps();
        if (uptime > _BPS) revert OracleValueOutOfBounds(assetId, epoch, "uptimeBps", uptime, _BPS);
        uint256 gpuHours = metrics.gpuHoursMilli();
        // gpuHoursMilli / 1,000 <= gpuCount x epochSeconds / 3,600, kept exact in integers.
        if (gpuHours * 3600 > asset.gpuCount() * _epochSeconds * 1000) {
            revert OracleValueOutOfBounds(assetId, epoch, "gpuHoursMilli", gpuHours, asset.gpuCount() * _epochSeconds * 1000 / 3600);
        }
        uint256 ratedPower = asset.ratedPowerW();
        uint256 power = metrics.avgPowerW();
        if (power * _BPS > ratedPower * (_BPS + POWER_MARGIN_BPS)) {
            revert OracleValueOutOfBounds(assetId, epoch, "avgPowerW", power, ratedPower * (_BPS + POWER_MARGIN_BPS) / _BPS);
        }
        uint256 energy = metrics.energyWh();
        if (energy * 3600 * _BPS > ratedPower * _epochSeconds * (_BPS + POWER_MARGIN_BPS)) {
            revert OracleValueOutOfBounds(
                assetId, epoch, "energyWh", energy, ratedPower * _epochSeconds * (_BPS + POWER_MARGIN_BPS) / (3600 * _BPS)
            );
        }
    }

    function _syncAsset(uint256 assetId) private returns (uint256 asset) {
        AssetSpec memory spec = IAssetRegistry(registry).assetSpec(assetId);
        asset = ReportPacking.packAsset(spec.inventoryHash, spec.gpuCount, spec.ratedPowerWatts, spec.ratedTflops);
        _assets[assetId] = asset;
        emit AssetSynced(assetId, spec.inventoryHash, spec.gpuCount, spec.ratedPowerWatts, spec.ratedTflops);
    }

    function _currentEpoch() private view returns (uint256) {
        return block.timestamp < _genesis ? 0 : (block.timestamp - _genesis) / _epochSeconds;
    }

    function _ringKey(uint256 assetId, uint256 epoch) private pure returns (uint256) {
        return assetId * RING_SIZE + epoch % RING_SIZE;
    }

    function _heldWord(uint256 assetId, uint256 epoch) private view returns (uint256 word) {
        word = _ring[_ringKey(assetId, epoch)];
        if (!word.holds(epoch)) revert OracleReportNotFound(assetId, epoch);
    }

    function _unpack(uint256 assetId, uint256 word) private view returns (MetricsReport memory report) {
        report = word.unpack();
        if (report.avgPowerW != 0) {
            uint256 ratedTflops = _assets[assetId].ratedTflops();
            report.efficiencyGflopsPerW =
                uint32(ratedTflops * 1000 * report.utilizationBps / _BPS / report.avgPowerW);
        }
    }

    function _metricOf(MetricsReport memory report, Metric metric) private pure returns (uint256) {
        if (metric == Metric.Utilization) return report.utilizationBps;
        if (metric == Metric.Uptime) return report.uptimeBps;
        if (metric == Metric.GpuHours) return report.gpuHoursMilli;
        if (metric == Metric.Energy) return report.energyWh;
        if (metric == Metric.AvgPower) return report.avgPowerW;
        return report.efficiencyGflopsPerW;
    }

    function _reportKey(uint256 assetId, uint256 epoch) private pure returns (bytes32) {
        return keccak256(abi.encode(assetId, epoch));
    }

    function _release(bytes32 key, address signer) private returns (uint96 amount) {
        amount = _lockedFor[key][signer];
        delete _lockedFor[key][signer];
        _signers[signer].locked -= amount;
    }

    /// @dev Pays a challenger; when the bond token will not pay it (a blocklist, a hook that
    ///      reverts), credits the amount to its bond record instead, withdrawable to any address
    ///      with withdrawBond: an unpayable challenger must not block a ruling or an expiry.
    function _payChallenger(address challenger, uint256 amount) private {
        if (IERC20(bondToken).trySafeTransfer(challenger, amount)) return;
        Signer storage info = _signers[challenger];
        uint256 bond = info.bond + amount;
        info.bond = SafeCast.toUint96(bond);
        _refreshBonded(info);
        emit BondDeposited(challenger, amount, bond);
    }

    function _withdrawable(Signer storage info) private view returns (uint256) {
        uint256 bond = info.bond;
        uint256 locked = info.locked;
        if (info.index != 0) {
            uint256 minBond = _dispute.minSignerBond;
            uint256 kept = locked > minBond ? locked : minBond;
            return bond > kept ? bond - kept : 0;
        }
        // Its last reports stay challengeable through the second exitUnlocksAt itself.
        if (block.timestamp <= info.exitUnlocksAt) return 0;
        return bond - locked;
    }

    function _pullExact(address from, uint256 amount) private {
        IERC20 token = IERC20(bondToken);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert OracleBondTransferShortfall(amount, received);
    }

    function _setDisputeParams(DisputeParams memory d) private {
        uint96 minSignerBond = d.minSignerBond;
        // The window may shrink, never grow: a longer one would reopen reports that readers
        // (lease settlement) already relied on as final. The constructor starts from zero.
        uint40 window = _dispute.disputeWindow;
        if (d.disputeWindow == 0 || (window != 0 && d.disputeWindow > window)) {
            revert OracleInvalidDisputeParams("disputeWindow", d.disputeWindow);
        }
        if (d.resolutionTimeout == 0) revert OracleInvalidDisputeParams("resolutionTimeout", 0);
        if (d.challengeBond == 0) revert OracleInvalidDisputeParams("challengeBond", 0);
        if (d.slashAmount == 0) revert OracleInvalidDisputeParams("slashAmount", 0);
        if (minSignerBond < d.slashAmount) revert OracleInvalidDisputeParams("minSignerBond", minSignerBond);
        _dispute = d;
        emit DisputeParamsUpdated(
            d.disputeWindow, d.resolutionTimeout, d.challengeBond, d.slashAmount, minSignerBond
        );
    }

    function _domainNameAndVersion() internal pure override returns (string memory, string memory) {
        return ("compute-rwa MetricsOracle", "1");
    }

    /// @dev ERC-165 for AccessControl plus this oracle's interface.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IMetricsOracle).interfaceId || super.supportsInterface(interfaceId);
    }
}
