// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {assertEq, assertLe, assertTrue} from "../utils/InvariantTest.sol";
import {MetricsOracle} from "../../../contracts/MetricsOracle.sol";
import {
    IMetricsOracle, MetricsReport, Metric, ReportStatus
} from "../../../contracts/interfaces/IMetricsOracle.sol";
import {OracleHandlerState} from "./OracleHandlerState.sol";

/// @notice The oracle family's laws, checked against the chain after every campaign call (run
///         by OracleHandler.checkLaws through delegatecall, so it reads the handler's model).
contract OracleLawsLogic is OracleHandlerState {
    function checkLaws() external {
        vm.warp(clock);
        _checkConservation();
        _checkBondsAndConfig();
        for (uint256 i; i < ASSETS; ++i) {
            _checkAsset(i);
        }
        _checkRecentReports();
        _checkRecentChallenges();
    }

    /// @notice Which outcomes this run reached (bit i: see the _cover calls) and its action count.
    function coverage() external view returns (uint256, uint256) {
        return (covered, actions);
    }

    /// @dev Bond-token conservation, to the unit, two ways: the ledger of transfers in and
    ///      out, and the oracle's own accounting (bonds + open challenge bonds).
    function _checkConservation() internal view {
        uint256 balance = token.balanceOf(address(oracle));
        assertEq(
            balance,
            deposited + challengeBondsIn - withdrawn - paidToChallengers - refundedToChallengers,
            "oracle balance = deposits + challenge bonds - withdrawals - payouts - refunds"
        );
        uint256 bonds;
        for (uint256 k; k < KEYS; ++k) {
            (uint256 b,,) = oracle.bondOf(keyAddr[k]);
            bonds += b;
        }
        (uint256 outsiderBond,,) = oracle.bondOf(Actors.OUTSIDER);
        assertEq(outsiderBond, 0, "nobody bonded the outsider");
        uint256 open;
        for (uint256 i; i < openList.length; ++i) {
            (,,, uint96 b) = oracle.challengeOf(openList[i] >> 32, openList[i] & 0xffffffff);
            open += b;
        }
        assertEq(balance, bonds + open, "oracle balance = signers' bonds + open challenge bonds");
    }

    function _checkBondsAndConfig() internal view {
        for (uint256 k; k < KEYS; ++k) {
            (uint256 b, uint256 l, uint256 e) = oracle.bondOf(keyAddr[k]);
            assertEq(b, bond[k], "bond = model");
            assertEq(l, locked[k], "locked = model");
            assertEq(e, exitAt[k], "exit time = model");
            assertLe(l, b, "locked <= bond");
        }
        (uint24 v, uint8 t, address[] memory s) = oracle.signerConfig();
        assertEq(v, version, "config version = model (every change bumps it)");
        assertEq(t, threshold, "threshold = model");
        assertEq(s.length, members.length, "signer count = model");
        for (uint256 i; i < s.length; ++i) {
            assertTrue(s[i] == keyAddr[members[i]], "signer set = model");
        }
        assertTrue(t >= 1 && t <= s.length && 2 * uint256(t) > s.length, "the threshold is a majority of the set");
        (uint40 w, uint40 to, uint96 c, uint96 sl, uint96 m) = oracle.disputeParams();
        assertEq(w, window, "dispute window = model");
        assertEq(to, timeout, "resolution timeout = model");
        assertEq(c, cbond, "challenge bond = model");
        assertEq(sl, slash, "slash = model");
        assertEq(m, minBond, "minimum bond = model");
        assertLe(sl, m, "slash <= minimum bond");
        assertTrue(oracle.paused() == paused, "paused = model");
    }

    /// @dev Latest epoch (only increases: the model's), the latest report raw and checked (a
    ///      voided one never served), the trailing average skipping exactly the voided reports.
    function _checkAsset(uint256 i) internal view {
        uint256 asset = assetIds[i];
        (bool exists, uint32 epoch) = oracle.latestEpoch(asset);
        assertTrue(exists == hasLatest[i], "an asset has a latest epoch iff the model has one");
        if (!exists) return;
        assertEq(epoch, latest[i], "latest epoch = model (it only increases)");
        _checkReport(asset, epoch, oracle.latestReport(asset));
        if (held[_key(asset, epoch)].voided) {
            try oracle.latestReportChecked(asset, type(uint256).max) {
                assertTrue(false, "a voided latest report is served by the checked read");
            } catch (bytes memory err) {
                bytes memory voided = abi.encodeWithSelector(IMetricsOracle.OracleReportVoided.selector, asset, uint256(epoch));
                assertTrue(keccak256(err) == keccak256(voided), "the checked read of a voided report reverts OracleReportVoided");
            }
        } else {
            MetricsReport memory checked = oracle.latestReportChecked(asset, type(uint256).max);
            assertEq(checked.epoch, epoch, "the checked read serves the latest report");
        }
        (uint256 average, uint256 count) = oracle.trailingAverage(asset, Metric.Utilization, AVERAGE_WINDOW);
        uint256 oldest = uint256(epoch) + 1 > AVERAGE_WINDOW ? uint256(epoch) + 1 - AVERAGE_WINDOW : 0;
        uint256 sum;
        uint256 n;
        for (uint256 e = oldest; e <= epoch; ++e) {
            if (!_isHeld(asset, e)) continue;
            Held storage h = held[_key(asset, e)];
            if (h.voided) continue;
            sum += h.util;
            ++n;
        }
        assertEq(count, n, "the trailing average counts exactly the held, unvoided reports");
        assertEq(average, n == 0 ? 0 : sum / n, "trailing average = model");
    }

    /// @dev A report read back: the model's values, time, version and signers; signed by a
    ///      quorum of the configuration it names, and only by its members.
    function _checkReport(uint256 asset, uint256 epoch, MetricsReport memory r) internal view {
        Held storage h = held[_key(asset, epoch)];
        assertEq(r.epoch, epoch, "report epoch");
        assertEq(r.utilizationBps, h.util, "report utilization = model");
        assertEq(r.uptimeBps, h.uptime, "report uptime = model");
        assertEq(r.gpuHoursMilli, h.gpuHours, "report GPU-hours = model");
        assertEq(r.energyWh, h.energy, "report energy = model");
        assertEq(r.avgPowerW, h.power, "report power = model");
        assertEq(r.updatedAt, h.updatedAt, "report time = model");
        assertEq(r.configVersion, h.version, "report version = the configuration in force when accepted");
        assertEq(r.signers, h.bits, "report signers = the signatures sent");
        assertTrue(r.voided == h.voided, "report voided = model");
        uint256 efficiency = r.avgPowerW == 0 ? 0 : RATED_TFLOPS * 1000 * r.utilizationBps / MAX_BPS / r.avgPowerW;
        assertEq(r.efficiencyGflopsPerW, efficiency, "efficiency derived from utilization and power");
        uint256 size = membersOf[r.configVersion].length;
        assertTrue(r.configVersion >= 1 && r.configVersion <= version, "a report names a configuration that existed");
        assertTrue(r.signers != 0 && uint256(r.signers) >> size == 0, "a report is signed only by members of its configuration");
        assertLe(thresholdOf[r.configVersion], _popcount(r.signers), "a report is signed by a quorum of its configuration");
    }

    /// @dev The newest reports: status (Missing once rotated out, Voided, Challenged,
    ///      Disputable, Final), and a voided one never readable as valid.
    function _checkRecentReports() internal view {
        uint256 n = reportList.length;
        for (uint256 j = n > RECENT ? n - RECENT : 0; j < n; ++j) {
            (uint256 asset, uint256 epoch) = (reportList[j] >> 32, reportList[j] & 0xffffffff);
            (ReportStatus status, uint16 uptime, uint40 updatedAt, uint40 finalAt) = oracle.reportStatus(asset, epoch);
            if (!_isHeld(asset, epoch)) {
                assertTrue(status == ReportStatus.Missing, "a rotated-out report is Missing");
                assertEq(uint256(uptime) + updatedAt + finalAt, 0, "a Missing report reads zero");
                continue;
            }
            bytes32 key = _key(asset, epoch);
            Held storage h = held[key];
            assertEq(updatedAt, h.updatedAt, "status: accepted at");
            assertEq(finalAt, uint256(h.updatedAt) + window, "status: final at = accepted + window");
            if (h.voided) {
                assertTrue(status == ReportStatus.Voided, "a voided report's status is Voided");
                assertEq(uptime, 0, "a voided report reads no uptime");
                try oracle.metricAt(asset, epoch, Metric.Uptime) {
                    assertTrue(false, "metricAt serves a voided report");
                } catch (bytes memory err) {
                    bytes memory voided = abi.encodeWithSelector(IMetricsOracle.OracleReportVoided.selector, asset, epoch);
                    assertTrue(keccak256(err) == keccak256(voided), "metricAt of a voided report reverts OracleReportVoided");
                }
                assertTrue(oracle.getReport(asset, epoch).voided, "the raw read flags a voided report");
                continue;
            }
            assertEq(uptime, h.uptime, "status: uptime = model");
            ReportStatus expected = disputes[key].status == OPEN
                ? ReportStatus.Challenged
                : clock > finalAt ? ReportStatus.Final : ReportStatus.Disputable;
            assertEq(uint8(status), uint8(expected), "status = model (Challenged, Disputable or Final)");
            _checkReport(asset, epoch, oracle.getReport(asset, epoch));
        }
    }

    function _checkRecentChallenges() internal view {
        uint256 n = challengedList.length;
        for (uint256 j = n > RECENT ? n - RECENT : 0; j < n; ++j) {
            (uint256 asset, uint256 epoch) = (challengedList[j] >> 32, challengedList[j] & 0xffffffff);
            Dispute storage d = disputes[_key(asset, epoch)];
            (address challenger, uint40 openedAt, MetricsOracle.ChallengeStatus status, uint96 b) =
                oracle.challengeOf(asset, epoch);
            assertTrue(challenger == d.challenger, "challenger = model");
            assertEq(openedAt, d.openedAt, "challenge opened at = model");
            assertEq(uint8(status), d.status, "challenge status = model");
            assertEq(b, d.bond, "challenge bond = model");
        }
    }
}
