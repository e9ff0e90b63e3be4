// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {assertTrue} from "../utils/InvariantTest.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {IMetricsOracle} from "../../../contracts/interfaces/IMetricsOracle.sol";
import {OracleHandlerState} from "./OracleHandlerState.sol";

/// @notice Report actions of the oracle campaign (run by OracleHandler through delegatecall):
///         valid batches signed by a random bonded quorum, batches broken in one way each (every
///         one must be refused with its own error and change nothing), inventory updates,
///         pauses and clock warps. Every submission's outcome, success or the exact revert
///         data, is predicted from the model first, in the contract's order of checks.
contract OracleReportLogic is OracleHandlerState {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant BATCH_TYPEHASH = keccak256("MetricsBatch(uint24 configVersion,bytes reports)");
    uint256 private constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /* ACTIONS */

    /// @notice A valid batch: 1-3 assets at their next epochs (sometimes two epochs of one),
    ///         signed by >= threshold bonded signers in random order. While paused it is refused
    ///         (OraclePaused) first, then the pauser resumes and it is accepted.
    function submitValid(uint256 seed) external {
        _sync();
        _ensureQuorum(seed);
        _makeEligible(seed);
        bytes memory reports = _validBatch(seed);
        bytes memory sigs = _sign(_digestFor(version, reports), _quorum(seed));
        if (paused) {
            assertTrue(!_send(reports, sigs), "a batch is refused while paused");
            _setPaused(false);
        }
        assertTrue(_send(reports, sigs), "a valid batch is accepted");
    }

    /// @notice A batch with one fault (`kind`): 0 the last accepted batch byte for byte, 1 a
    ///         held epoch again, 2 an older epoch, 3 an epoch not ended, 4 one signature short,
    ///         5 a duplicate signature, 6 a signer outside the set, 7 signed for an older
    ///         configuration, 8 a value out of bounds, 9 another inventory, 10 an unsynced asset,
    ///         11 an under-bonded signer, 12 a truncated report, 13 a padded signature. Half the
    ///         time behind a valid report of another asset: the whole batch must revert.
    function submitInvalid(uint256 seed, uint8 kind) external {
        _sync();
        if (paused) _setPaused(false);
        _ensureQuorum(seed);
        _makeEligible(seed);
        kind = uint8(_rand(seed, kind) % 14); // uniform over the kinds, whatever values the fuzzer favours
        // An under-bonded signer: when every signer is bonded, the minimum first moves one unit
        // above one signer's bond (the others stay bonded: threshold - 1 of them sign).
        if (kind == 11 && !_hasUnderBonded()) {
            uint256 k = members[_rand(seed, 19) % members.length];
            _setMinBond(bond[k] + 1 > slash ? bond[k] + 1 : slash);
            uint256 have;
            for (uint256 i; i < members.length; ++i) {
                if (bond[members[i]] >= minBond) ++have;
            }
            for (uint256 i; i < members.length && have + 1 < threshold; ++i) {
                uint256 other = members[i];
                if (other != k && bond[other] < minBond) {
                    _deposit(other, minBond - bond[other]);
                    ++have;
                }
            }
        }
        if (kind == 0) {
            if (lastReports.length != 0 && lastVersion == version) {
                _cover(2);
                assertTrue(!_send(lastReports, lastSigs), "a replayed batch is refused");
                return;
            }
            kind = 1;
        }
        uint256 current = _currentEpoch();
        Rep memory bad = _badReport(seed, kind, current);
        bytes memory reports = _pack(bad);
        if (kind != 12 && _rand(seed, 8) % 2 == 0) {
            (bool found, uint256 other) = _otherEligible(bad.asset, current, seed);
            if (found) {
                Rep memory ok = _validRep(other, _nextEpoch(other, current, _rand(seed, 9)), _rand(seed, 10));
                reports = bytes.concat(_pack(ok), reports);
            }
        }
        (uint24 signVersion, uint8[] memory signers) = _badSigners(seed, kind);
        if (signVersion != version) _cover(41);
        bytes memory sigs = _sign(_digestFor(signVersion, reports), signers);
        if (kind == 12) reports = bytes.concat(reports, hex"00");
        if (kind == 13) sigs = bytes.concat(sigs, hex"00");
        assertTrue(!_send(reports, sigs), "an invalid batch is refused");
    }

    /// @notice The operator replaces an asset's inventory; the registry resyncs the oracle in
    ///         the same call (reports against the old inventory are then refused: kind 9).
    function updateInventory(uint256 assetSeed, uint256 salt) external {
        _sync();
        uint256 idx = assetSeed % ASSETS;
        bytes32 next = keccak256(abi.encode("inventory", salt, ++inventoryNonce));
        bytes memory data = abi.encodeCall(AssetRegistry.updateInventory, (assetIds[idx], next));
        vm.prank(Actors.OPERATOR);
        _call(address(registry), data, "", "updateInventory");
        _cover(34);
        previousInventory[idx] = inventory[idx];
        inventory[idx] = next;
        (bytes20 prefix,,,) = oracle.assetCache(assetIds[idx]);
        assertTrue(prefix == bytes20(next), "the oracle holds the new attestation at once");
    }

    function togglePause() external {
        _sync();
        _setPaused(!paused);
    }

    function warp(uint256 seconds_, uint8 mode) external {
        _sync();
        mode %= 4;
        uint256 most = mode == 0 ? 600 : mode == 1 ? 6 hours : mode == 2 ? 2 days : 8 days;
        _advance(1 + seconds_ % most);
    }

    /* SUBMISSION */

    /// @dev Predicts, transmits, checks the outcome; records an accepted batch.
    function _send(bytes memory reports, bytes memory sigs) internal returns (bool) {
        bytes32 digest = _digestFor(version, reports);
        assertTrue(oracle.batchDigest(reports) == digest, "the EIP-712 digest binds chain, oracle, version, bytes");
        (bytes memory expected, uint256 bits) = _expectSubmit(reports, sigs, digest);
        bytes memory data = abi.encodeCall(IMetricsOracle.submitReports, (reports, sigs));
        vm.prank(TRANSMITTER);
        _call(address(oracle), data, expected, "submitReports");
        _coverSubmit(expected);
        if (expected.length != 0) return false;
        _record(reports, bits);
        lastReports = reports;
        lastSigs = sigs;
        lastVersion = version;
        return true;
    }

    function _record(bytes memory reports, uint256 bits) internal {
        uint256 n = reports.length / 61;
        for (uint256 i; i < n; ++i) {
            Rep memory r = _decode(reports, i);
            uint256 idx = _assetIndex(r.asset);
            assertTrue(!hasLatest[idx] || r.epoch > latest[idx], "accepted epochs strictly increase");
            hasLatest[idx] = true;
            latest[idx] = uint32(r.epoch);
            if (ringEpochPlusOne[r.asset * RING + r.epoch % RING] != 0) _cover(36); // a report rotated out
            ringEpochPlusOne[r.asset * RING + r.epoch % RING] = r.epoch + 1;
            held[_key(r.asset, r.epoch)] = Held({
                updatedAt: uint40(clock),
                version: version,
                bits: uint16(bits),
                voided: false,
                util: uint16(r.util),
                uptime: uint16(r.uptime),
                gpuHours: uint32(r.gpuHours),
                energy: uint40(r.energy),
                power: uint32(r.power)
            });
            reportList.push((r.asset << 32) | r.epoch);
        }
    }

    /// @dev Coverage bits 0-14: accepted, then each refusal by its error.
    function _coverSubmit(bytes memory expected) internal {
        if (expected.length == 0) {
            _cover(0);
            return;
        }
        bytes4 s = bytes4(expected);
        if (s == IMetricsOracle.OraclePaused.selector) _cover(1);
        else if (s == IMetricsOracle.OracleReportAlreadyAccepted.selector) _cover(3);
        else if (s == IMetricsOracle.OracleEpochNotIncreasing.selector) _cover(4);
        else if (s == IMetricsOracle.OracleEpochNotEnded.selector) _cover(5);
        else if (s == IMetricsOracle.OracleQuorumNotMet.selector) _cover(6);
        else if (s == IMetricsOracle.OracleDuplicateSigner.selector) _cover(7);
        else if (s == IMetricsOracle.OracleUnknownSigner.selector) _cover(8);
        else if (s == IMetricsOracle.OracleSignerBondTooLow.selector) _cover(9);
        else if (s == IMetricsOracle.OracleValueOutOfBounds.selector) _cover(10);
        else if (s == IMetricsOracle.OracleInventoryMismatch.selector) _cover(11);
        else if (s == IMetricsOracle.OracleAssetNotSynced.selector) _cover(12);
        else if (s == IMetricsOracle.OracleMalformedReports.selector) _cover(13);
        else if (s == IMetricsOracle.OracleMalformedSignatures.selector) _cover(14);
    }

    /* PREDICTION: the contract's checks, in its order */

    function _expectSubmit(bytes memory reports, bytes memory sigs, bytes32 digest)
        internal
        view
        returns (bytes memory, uint256 bits)
    {
        if (paused) return (abi.encodeWithSelector(IMetricsOracle.OraclePaused.selector), 0);
        uint256 count = reports.length / 61;
        if (count == 0 || count * 61 != reports.length) {
            return (abi.encodeWithSelector(IMetricsOracle.OracleMalformedReports.selector, reports.length), 0);
        }
        if (sigs.length % 65 != 0) {
            return (abi.encodeWithSelector(IMetricsOracle.OracleMalformedSignatures.selector, sigs.length), 0);
        }
        uint256 n = sigs.length / 65;
        if (n < threshold) {
            return (abi.encodeWithSelector(IMetricsOracle.OracleQuorumNotMet.selector, n, uint256(threshold)), 0);
        }
        for (uint256 i; i < n; ++i) {
            (address signer, bytes memory err) = _recover(digest, sigs, i);
            if (err.length != 0) return (err, 0);
            uint256 k = _keyIndex(signer);
            uint256 pos = k < KEYS ? _position(k) : members.length;
            if (pos == members.length) {
                return (abi.encodeWithSelector(IMetricsOracle.OracleUnknownSigner.selector, signer), 0);
            }
            if (bits & (1 << pos) != 0) {
                return (abi.encodeWithSelector(IMetricsOracle.OracleDuplicateSigner.selector, signer), 0);
            }
            bits |= 1 << pos;
            if (bond[k] < minBond) {
                return (abi.encodeWithSelector(IMetricsOracle.OracleSignerBondTooLow.selector, signer, bond[k], minBond), 0);
            }
        }
        bytes memory failure = _expectReports(reports, count);
        return (failure, failure.length == 0 ? bits : 0);
    }

    function _recover(bytes32 digest, bytes memory sigs, uint256 i)
        internal
        pure
        returns (address signer, bytes memory err)
    {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            let p := add(add(sigs, 32), mul(i, 65))
            r := mload(p)
            s := mload(add(p, 32))
            v := byte(0, mload(add(p, 64)))
        }
        if (uint256(s) > HALF_ORDER) return (address(0), abi.encodeWithSignature("ECDSAInvalidSignatureS(bytes32)", s));
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) return (address(0), abi.encodeWithSignature("ECDSAInvalidSignature()"));
    }

    function _expectReports(bytes memory reports, uint256 count) internal view returns (bytes memory) {
        uint256 current = _currentEpoch();
        bool[3] memory exists = hasLatest;
        uint32[3] memory last = latest;
        for (uint256 i; i < count; ++i) {
            Rep memory r = _decode(reports, i);
            if (r.epoch >= current) {
                return abi.encodeWithSelector(
                    IMetricsOracle.OracleEpochNotEnded.selector, r.asset, r.epoch, genesis + (r.epoch + 1) * EPOCH
                );
            }
            uint256 idx = _assetIndex(r.asset);
            if (idx < ASSETS && exists[idx] && r.epoch == last[idx]) {
                return abi.encodeWithSelector(IMetricsOracle.OracleReportAlreadyAccepted.selector, r.asset, r.epoch);
            }
            if (idx < ASSETS && exists[idx] && r.epoch < last[idx]) {
                return abi.encodeWithSelector(
                    IMetricsOracle.OracleEpochNotIncreasing.selector, r.asset, r.epoch, uint256(last[idx])
                );
            }
            if (idx == ASSETS) return abi.encodeWithSelector(IMetricsOracle.OracleAssetNotSynced.selector, r.asset);
            uint256 prefix = uint256(inventory[idx]) >> 96;
            if (uint256(r.inventory) >> 96 != prefix) {
                return abi.encodeWithSelector(
                    IMetricsOracle.OracleInventoryMismatch.selector, r.asset, r.epoch, r.inventory, bytes32(prefix << 96)
                );
            }
            bytes memory failure = _expectBounds(r, gpusOf[idx]);
            if (failure.length != 0) return failure;
            exists[idx] = true;
            last[idx] = uint32(r.epoch);
        }
        return "";
    }

    function _expectBounds(Rep memory r, uint256 gpus) internal pure returns (bytes memory) {
        bytes4 sel = IMetricsOracle.OracleValueOutOfBounds.selector;
        if (r.util > MAX_BPS) return abi.encodeWithSelector(sel, r.asset, r.epoch, bytes32("utilizationBps"), r.util, MAX_BPS);
        if (r.uptime > MAX_BPS) return abi.encodeWithSelector(sel, r.asset, r.epoch, bytes32("uptimeBps"), r.uptime, MAX_BPS);
        if (r.gpuHours > gpus * 1000) {
            return abi.encodeWithSelector(sel, r.asset, r.epoch, bytes32("gpuHoursMilli"), r.gpuHours, gpus * 1000);
        }
        if (r.power > MAX_POWER) return abi.encodeWithSelector(sel, r.asset, r.epoch, bytes32("avgPowerW"), r.power, MAX_POWER);
        if (r.energy > MAX_ENERGY) {
            return abi.encodeWithSelector(sel, r.asset, r.epoch, bytes32("energyWh"), r.energy, MAX_ENERGY);
        }
        return "";
    }

    /* BATCHES */

    function _digestFor(uint24 v, bytes memory reports) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("compute-rwa MetricsOracle"), keccak256("1"), block.chainid, address(oracle)
            )
        );
        bytes32 structHash = keccak256(abi.encode(BATCH_TYPEHASH, v, keccak256(reports)));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _sign(bytes32 digest, uint8[] memory keys) internal pure returns (bytes memory sigs) {
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(uint256(keys[i]) + 1, digest);
            sigs = abi.encodePacked(sigs, r, s, v);
        }
    }

    function _pack(Rep memory r) internal pure returns (bytes memory) {
        return abi.encodePacked(
            uint64(r.asset),
            uint32(r.epoch),
            r.inventory,
            uint16(r.util),
            uint16(r.uptime),
            uint32(r.gpuHours),
            uint40(r.energy),
            uint32(r.power)
        );
    }

    function _decode(bytes memory reports, uint256 i) internal pure returns (Rep memory r) {
        uint256 head;
        bytes32 inv;
        uint256 m;
        assembly ("memory-safe") {
            let p := add(add(reports, 32), mul(i, 61))
            head := mload(p)
            inv := mload(add(p, 12))
            m := mload(add(p, 44))
        }
        r.asset = head >> 192;
        r.epoch = (head >> 160) & 0xffffffff;
        r.inventory = inv;
        r.util = m >> 240;
        r.uptime = (m >> 224) & 0xffff;
        r.gpuHours = (m >> 192) & 0xffffffff;
        r.energy = (m >> 152) & 0xffffffffff;
        r.power = (m >> 120) & 0xffffffff;
    }

    function _validBatch(uint256 seed) internal view returns (bytes memory reports) {
        uint256 current = _currentEpoch();
        uint256[3] memory order = [uint256(0), 1, 2];
        for (uint256 i = 2; i > 0; --i) {
            uint256 j = _rand(seed, 50 + i) % (i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        uint256 wanted = 1 + _rand(seed, 1) % ASSETS;
        uint256 taken;
        bytes memory later;
        for (uint256 j; j < ASSETS && taken < wanted; ++j) {
            uint256 idx = order[j];
            if (!_eligible(idx, current)) continue;
            uint256 epoch = _nextEpoch(idx, current, _rand(seed, 10 + j));
            reports = bytes.concat(reports, _pack(_validRep(idx, epoch, _rand(seed, 20 + j))));
            if (epoch + 1 < current && _rand(seed, 30 + j) % 3 == 0) {
                later = bytes.concat(later, _pack(_validRep(idx, epoch + 1, _rand(seed, 40 + j))));
            }
            ++taken;
        }
        reports = bytes.concat(reports, later);
    }

    /// @dev A report within every bound (a fifth of them at every bound exactly).
    function _validRep(uint256 idx, uint256 epoch, uint256 rnd) internal view returns (Rep memory r) {
        bool edge = rnd % 5 == 0;
        uint256 maxHours = gpusOf[idx] * 1000;
        r.asset = assetIds[idx];
        r.epoch = epoch;
        r.inventory = inventory[idx];
        r.util = edge ? MAX_BPS : _rand(rnd, 1) % (MAX_BPS + 1);
        r.uptime = edge ? MAX_BPS : _rand(rnd, 2) % (MAX_BPS + 1);
        r.gpuHours = edge ? maxHours : _rand(rnd, 3) % (maxHours + 1);
        r.energy = edge ? MAX_ENERGY : _rand(rnd, 4) % (MAX_ENERGY + 1);
        r.power = edge ? MAX_POWER : _rand(rnd, 5) % (MAX_POWER + 1);
    }

    function _eligible(uint256 idx, uint256 current) internal view returns (bool) {
        return hasLatest[idx] ? uint256(latest[idx]) + 1 < current : current >= 1;
    }

    function _nextEpoch(uint256 idx, uint256 current, uint256 rnd) internal view returns (uint256) {
        if (!hasLatest[idx]) {
            uint256 back = rnd % (current < 6 ? current : 6);
            return current - 1 - back;
        }
        uint256 room = current - latest[idx] - 1;
        return latest[idx] + 1 + rnd % (room < 3 ? room : 3);
    }

    /// @dev Moves the clock two to four epochs on when no asset's next epoch has ended.
    function _makeEligible(uint256 seed) internal {
        uint256 current = _currentEpoch();
        for (uint256 i; i < ASSETS; ++i) {
            if (_eligible(i, current)) return;
        }
        _advance(EPOCH * (2 + seed % 3));
    }

    function _eligibleAsset(uint256 seed, uint256 current) internal view returns (uint256) {
        for (uint256 j; j < ASSETS; ++j) {
            uint256 idx = (seed % ASSETS + j) % ASSETS;
            if (_eligible(idx, current)) return idx;
        }
        revert("no eligible asset after _makeEligible");
    }

    function _otherEligible(uint256 asset, uint256 current, uint256 seed) internal view returns (bool, uint256) {
        for (uint256 j; j < ASSETS; ++j) {
            uint256 idx = (seed / 7 + j) % ASSETS;
            if (assetIds[idx] != asset && _eligible(idx, current)) return (true, idx);
        }
        return (false, 0);
    }

    /// @dev Tops up under-bonded signers until `threshold` of them are bonded.
    function _ensureQuorum(uint256 seed) internal {
        uint256 have;
        for (uint256 i; i < members.length; ++i) {
            if (bond[members[i]] >= minBond) ++have;
        }
        for (uint256 i; i < members.length && have < threshold; ++i) {
            uint256 k = members[i];
            if (bond[k] < minBond) {
                _deposit(k, minBond - bond[k] + _rand(seed, 60 + i) % (100 * unit));
                ++have;
            }
        }
    }

    /// @dev A random number (>= threshold) of bonded signers, in random order.
    function _quorum(uint256 seed) internal view returns (uint8[] memory) {
        uint8[] memory bonded = _bondedShuffled(seed);
        return _truncate(bonded, threshold + _rand(seed, 2) % (bonded.length - threshold + 1));
    }

    /// @dev The bonded signers, in random order.
    function _bondedShuffled(uint256 seed) internal view returns (uint8[] memory bonded) {
        uint256 n;
        for (uint256 i; i < members.length; ++i) {
            if (bond[members[i]] >= minBond) ++n;
        }
        bonded = new uint8[](n);
        n = 0;
        for (uint256 i; i < members.length; ++i) {
            if (bond[members[i]] >= minBond) bonded[n++] = members[i];
        }
        for (uint256 i = n; i > 1; --i) {
            uint256 j = _rand(seed, 70 + i) % i;
            (bonded[i - 1], bonded[j]) = (bonded[j], bonded[i - 1]);
        }
    }

    /* BROKEN BATCHES */

    function _badReport(uint256 seed, uint8 kind, uint256 current) internal returns (Rep memory bad) {
        if (kind == 1 || kind == 2) {
            uint256 idx = _reportedAsset(seed);
            uint256 last = latest[idx];
            uint256 epoch = kind == 2 && last != 0 ? last - 1 - _rand(seed, 5) % last : last;
            return _validRep(idx, epoch, _rand(seed, 6));
        }
        if (kind == 3) return _validRep(seed % ASSETS, current + _rand(seed, 5) % 4, _rand(seed, 6));
        if (kind == 10) {
            bad = _validRep(0, current - 1, _rand(seed, 6));
            bad.asset = unsyncedAsset;
            return bad;
        }
        uint256 i = _eligibleAsset(seed, current);
        bad = _validRep(i, _nextEpoch(i, current, _rand(seed, 5)), _rand(seed, 6));
        if (kind == 8) {
            uint256 field = _rand(seed, 7) % 5;
            uint256 rnd = _rand(seed, 11);
            bool justOver = rnd % 2 == 0;
            if (field == 0) bad.util = justOver ? MAX_BPS + 1 : MAX_BPS + 1 + rnd % (type(uint16).max - MAX_BPS);
            else if (field == 1) bad.uptime = justOver ? MAX_BPS + 1 : MAX_BPS + 1 + rnd % (type(uint16).max - MAX_BPS);
            else if (field == 2) bad.gpuHours = justOver ? gpusOf[i] * 1000 + 1 : gpusOf[i] * 1000 + 1 + rnd % (1 << 31);
            else if (field == 3) bad.power = justOver ? MAX_POWER + 1 : MAX_POWER + 1 + rnd % (1 << 31);
            else bad.energy = justOver ? MAX_ENERGY + 1 : MAX_ENERGY + 1 + rnd % (1 << 39);
        } else if (kind == 9) {
            bytes32 previous = previousInventory[i];
            bad.inventory = previous != 0 ? previous : keccak256(abi.encode("another inventory", seed));
        }
    }

    /// @dev An asset with a report (a valid batch is accepted first when none has one).
    function _reportedAsset(uint256 seed) internal returns (uint256) {
        for (uint256 j; j < ASSETS; ++j) {
            uint256 idx = (seed % ASSETS + j) % ASSETS;
            if (hasLatest[idx]) return idx;
        }
        bytes memory reports = _validBatch(seed);
        assertTrue(_send(reports, _sign(_digestFor(version, reports), _quorum(seed))), "a valid batch is accepted");
        return _reportedAsset(seed);
    }

    function _badSigners(uint256 seed, uint8 kind) internal view returns (uint24 signVersion, uint8[] memory signers) {
        signVersion = version;
        uint256 t = threshold;
        if (kind == 11) {
            signers = _truncate(_bondedShuffled(seed), t - 1);
            (bool found, uint8 under) = _underBonded(seed);
            if (found) signers = _insert(signers, under, _rand(seed, 16) % (signers.length + 1));
            return (signVersion, signers);
        }
        signers = _quorum(seed);
        if (kind == 7 && version > 1) {
            signVersion = uint24(1 + _rand(seed, 12) % (version - 1));
            signers = membersOf[signVersion];
        } else if (kind == 4) {
            signers = _truncate(signers, t - 1);
        } else if (kind == 5) {
            signers = _truncate(signers, t > 1 ? t - 1 : 1);
            uint256 j = _rand(seed, 13) % signers.length;
            uint256 at = j + 1 + _rand(seed, 14) % (signers.length - j);
            signers = _insert(signers, signers[j], at);
        } else if (kind == 6 || kind == 7) {
            signers = _truncate(signers, t - 1);
            signers = _insert(signers, _outsiderKey(seed), _rand(seed, 15) % (signers.length + 1));
        }
    }

    function _hasUnderBonded() internal view returns (bool) {
        for (uint256 i; i < members.length; ++i) {
            if (bond[members[i]] < minBond) return true;
        }
        return false;
    }

    function _setMinBond(uint256 minimum) internal {
        bytes memory data = abi.encodeCall(
            IMetricsOracle.setDisputeParams,
            (uint40(window), uint40(timeout), uint96(cbond), uint96(slash), uint96(minimum))
        );
        vm.prank(Actors.ADMIN);
        _call(address(oracle), data, "", "setDisputeParams (minimum)");
        minBond = minimum;
    }

    /// @dev A key outside the current set: a former signer's or one that never joined.
    function _outsiderKey(uint256 seed) internal view returns (uint8) {
        uint8[] memory outside = new uint8[](KEYS);
        uint256 n;
        for (uint256 k; k < KEYS; ++k) {
            if (_position(k) == members.length) outside[n++] = uint8(k);
        }
        return outside[_rand(seed, 17) % n];
    }

    function _underBonded(uint256 seed) internal view returns (bool, uint8) {
        uint256 start = _rand(seed, 18);
        for (uint256 j; j < members.length; ++j) {
            uint8 k = members[(start % members.length + j) % members.length];
            if (bond[k] < minBond) return (true, k);
        }
        return (false, 0);
    }
}
