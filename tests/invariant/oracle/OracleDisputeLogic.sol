// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {bound, assertEq, assertLe, assertTrue} from "../utils/InvariantTest.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {MetricsOracle} from "../../../contracts/MetricsOracle.sol";
import {IMetricsOracle} from "../../../contracts/interfaces/IMetricsOracle.sol";
import {Roles} from "../../../contracts/libraries/Roles.sol";
import {OracleHandlerState, IOracleActions} from "./OracleHandlerState.sol";

/// @notice Bond, dispute and administration actions of the oracle campaign (run by
///         OracleHandler through delegatecall): deposits, withdrawals (a signer that leaves
///         waits one dispute window), challenges and their three ends (upheld, rejected,
///         expired), signer-set and dispute-parameter changes, and an outsider trying every
///         privileged entry point. Refusals are predicted to the exact revert data.
contract OracleDisputeLogic is OracleHandlerState {
    using SafeERC20 for IERC20;

    /// @notice One-time set-up: the model starts from the deployed oracle; signers keys 1-5,
    ///         3 of 5, each bonded 1,500 tokens; the clock two days after genesis.
    function init(
        MetricsOracle oracle_,
        AssetRegistry registry_,
        IMintableToken token_,
        uint256[3] calldata assets_,
        uint256[3] calldata gpus_,
        uint256 unsynced_
    ) external {
        require(clock == 0, "init once");
        oracle = oracle_;
        registry = registry_;
        token = token_;
        unit = 10 ** token_.decimals();
        genesis = oracle_.genesis();
        for (uint256 k; k < KEYS; ++k) {
            keyAddr[k] = vm.addr(k + 1);
        }
        for (uint256 i; i < ASSETS; ++i) {
            assetIds[i] = assets_[i];
            gpusOf[i] = gpus_[i];
            inventory[i] = registry_.inventoryHashOf(assets_[i]);
        }
        unsyncedAsset = unsynced_;
        (uint40 w, uint40 t, uint96 c, uint96 s, uint96 m) = oracle_.disputeParams();
        (window, timeout, cbond, slash, minBond) = (w, t, c, s, m);
        address[3] memory payers = [CHALLENGER_A, CHALLENGER_B, FUNDER];
        for (uint256 i; i < payers.length; ++i) {
            vm.startPrank(payers[i]);
            IERC20(address(token_)).forceApprove(address(oracle_), type(uint256).max);
            vm.stopPrank();
        }
        clock = genesis + 2 days;
        vm.warp(clock);
        uint8[] memory first = new uint8[](SIGNER_KEYS);
        for (uint256 k; k < SIGNER_KEYS; ++k) {
            first[k] = uint8(k);
        }
        _applySigners(first, 3);
        for (uint256 k; k < SIGNER_KEYS; ++k) {
            _deposit(k, 1_500 * unit);
        }
    }

    /* BONDS */

    /// @notice Anyone funds a key's bond (any key, in the set or not); now and then a zero
    ///         deposit, refused.
    function deposit(uint256 keySeed, uint256 amount) external {
        _sync();
        uint256 k = keySeed % KEYS;
        if (amount % 64 == 0) {
            bytes memory data = abi.encodeCall(IMetricsOracle.depositBond, (keyAddr[k], 0));
            vm.prank(FUNDER);
            _call(address(oracle), data, abi.encodeWithSelector(IMetricsOracle.OracleZeroValue.selector, bytes32("amount")), "depositBond(0)");
            _cover(42);
            return;
        }
        _deposit(k, bound(amount, 1, 3_000 * unit));
    }

    /// @notice A key withdraws: exactly its free bond, one unit more (refused), or a random
    ///         amount. A quarter of the time it leaves the signer set first, and it mostly
    ///         waits past its exit time. Works while paused (withdrawals keep working).
    function withdraw(uint256 keySeed, uint256 amountSeed, uint8 mode) external {
        _sync();
        uint256 k = keySeed % KEYS;
        if (mode % 4 == 0 && _position(k) < members.length && members.length > 1) {
            uint8[] memory staying = new uint8[](members.length - 1);
            uint256 j;
            for (uint256 i; i < members.length; ++i) {
                if (members[i] != k) staying[j++] = members[i];
            }
            _applySigners(staying, uint8(staying.length / 2 + 1));
        }
        bool member = _position(k) < members.length;
        if (!member && clock <= exitAt[k] && mode % 3 != 0) _advance(exitAt[k] - clock + 1 + amountSeed % 1 days);
        uint256 free = _withdrawable(k);
        uint256 pick = (mode / 4) % 4;
        uint256 amount;
        if (pick == 0) amount = free == 0 ? 1 : free;
        else if (pick == 1) amount = free + 1;
        else if (pick == 2) amount = bound(amountSeed, 1, free == 0 ? 1 : free);
        else amount = bound(amountSeed, 1, bond[k] + 1);
        bytes memory expected = amount <= free
            ? bytes("")
            : abi.encodeWithSelector(IMetricsOracle.OracleBondLocked.selector, keyAddr[k], amount, free);
        uint256 before = token.balanceOf(RECEIVER);
        bytes memory data = abi.encodeCall(IMetricsOracle.withdrawBond, (amount, RECEIVER));
        vm.prank(keyAddr[k]);
        _call(address(oracle), data, expected, "withdrawBond");
        if (expected.length != 0) {
            assertEq(token.balanceOf(RECEIVER), before, "a refused withdrawal moves nothing");
            _cover(26);
            return;
        }
        _cover(member ? 25 : 27);
        if (paused) _cover(38);
        assertEq(token.balanceOf(RECEIVER) - before, amount, "a withdrawal pays exactly the amount");
        bond[k] -= amount;
        withdrawn += amount;
    }

    /// @dev Active: all above max(locked, minimum). Removed: bond - locked once past its exit.
    function _withdrawable(uint256 k) internal view returns (uint256) {
        if (_position(k) < members.length) {
            uint256 kept = locked[k] > minBond ? locked[k] : minBond;
            return bond[k] > kept ? bond[k] - kept : 0;
        }
        return clock <= exitAt[k] ? 0 : bond[k] - locked[k];
    }

    /* DISPUTES */

    /// @notice Modes 0-1 a valid challenge (of a fresh report a third of the time; while paused
    ///         refused first, then resumed); 2 after the window (refused); 3 a report already
    ///         challenged or voided, or never held (refused).
    function challenge(uint256 seed, uint8 mode) external {
        _sync();
        mode %= 4;
        if (mode < 2) {
            _challengeValid(seed);
            return;
        }
        if (paused) _setPaused(false);
        uint256 packed = mode == 2 ? _closedTarget(seed) : _usedOrMissingTarget(seed);
        (uint256 asset, uint256 epoch) = (packed >> 32, packed & 0xffffffff);
        bytes memory expected = _expectChallenge(asset, epoch);
        assertTrue(expected.length != 0, "generated a refused challenge");
        address challenger = seed % 2 == 0 ? CHALLENGER_A : CHALLENGER_B;
        token.mint(challenger, cbond);
        uint256 before = token.balanceOf(address(oracle));
        bytes memory data = abi.encodeCall(IMetricsOracle.challenge, (asset, epoch));
        vm.prank(challenger);
        _call(address(oracle), data, expected, "challenge (refused)");
        bytes4 refusal = bytes4(expected);
        _cover(refusal == IMetricsOracle.OracleChallengeWindowClosed.selector ? 17 : refusal == IMetricsOracle.OracleAlreadyChallenged.selector ? 18 : 19);
        assertEq(token.balanceOf(address(oracle)), before, "a refused challenge takes no bond");
    }

    /// @notice The arbiter upholds or rejects an open challenge (one is opened first when none
    ///         is); works while paused. Mode 0 (a fifth): a report with no open challenge,
    ///         refused. The challenger and every signer's bond move by exactly the documented
    ///         amounts.
    function resolve(uint256 seed, bool upheld, uint8 mode) external {
        _sync();
        if (mode % 5 == 0) {
            _refuseSettle(seed, true);
            return;
        }
        uint256 packed = openList.length == 0 ? _challengeValid(seed) : openList[seed % openList.length];
        (uint256 asset, uint256 epoch) = (packed >> 32, packed & 0xffffffff);
        bytes32 key = _key(asset, epoch);
        Dispute storage d = disputes[key];
        uint256[6] memory before = _chainBonds();
        uint256 challengerBefore = token.balanceOf(d.challenger);
        bytes memory data = abi.encodeCall(IMetricsOracle.resolveChallenge, (asset, epoch, upheld));
        vm.prank(Actors.ARBITER);
        _call(address(oracle), data, "", "resolveChallenge");
        if (paused) _cover(37);
        uint256[6] memory afterwards = _chainBonds();
        uint8[] storage signers = membersOf[d.version];
        uint256 payout;
        if (upheld) {
            for (uint256 k; k < KEYS; ++k) {
                uint256 lock = d.locks[k];
                assertEq(before[k] - afterwards[k], lock, "upheld: a signer loses exactly its locked slash");
                assertLe(lock, d.slashAt, "upheld: a signer loses at most the slash amount");
                bond[k] -= lock;
                locked[k] -= lock;
                payout += lock;
            }
            payout += d.bond;
            if (_isHeld(asset, epoch)) held[key].voided = true;
            _cover(_isHeld(asset, epoch) ? 20 : 35);
            paidToChallengers += payout;
            d.status = UPHELD;
        } else {
            uint256 count = _popcount(d.bits);
            uint256 share = d.bond / count;
            uint256 remainder = d.bond - share * count;
            for (uint256 i; i < signers.length; ++i) {
                if (d.bits & (1 << i) == 0) continue;
                uint256 k = signers[i];
                assertEq(afterwards[k] - before[k], share + remainder, "rejected: each accused signer gets its share of the bond");
                locked[k] -= d.locks[k];
                bond[k] += share + remainder;
                remainder = 0;
            }
            d.status = REJECTED;
            _cover(21);
        }
        assertEq(token.balanceOf(d.challenger) - challengerBefore, payout, "the challenger is paid exactly what the ruling says");
        _removeOpen(packed);
    }

    /// @notice Anyone closes a challenge left past the resolution timeout (the clock moves past
    ///         it when needed); the challenger gets its bond back, locks are released, no bond
    ///         moves; works while paused. Mode 0: nothing open (refused); mode 1 before the
    ///         timeout: refused.
    function expire(uint256 seed, uint8 mode) external {
        _sync();
        mode %= 4;
        if (mode == 0) {
            _refuseSettle(seed, false);
            return;
        }
        uint256 packed = openList.length == 0 ? _challengeValid(seed) : openList[seed % openList.length];
        (uint256 asset, uint256 epoch) = (packed >> 32, packed & 0xffffffff);
        Dispute storage d = disputes[_key(asset, epoch)];
        uint256 expiresAt = uint256(d.openedAt) + timeout;
        bytes memory data = abi.encodeCall(IMetricsOracle.expireChallenge, (asset, epoch));
        if (clock <= expiresAt) {
            if (mode == 1) {
                bytes memory early =
                    abi.encodeWithSelector(IMetricsOracle.OracleChallengeNotExpired.selector, asset, epoch, expiresAt);
                vm.prank(TRANSMITTER);
                _call(address(oracle), data, early, "expireChallenge (early)");
                _cover(23);
                return;
            }
            _advance(expiresAt - clock + 1 + seed % 1 hours);
        }
        uint256[6] memory before = _chainBonds();
        uint256 challengerBefore = token.balanceOf(d.challenger);
        vm.prank(TRANSMITTER);
        _call(address(oracle), data, "", "expireChallenge");
        uint256[6] memory afterwards = _chainBonds();
        for (uint256 k; k < KEYS; ++k) {
            assertEq(afterwards[k], before[k], "expiry moves no bond");
            locked[k] -= d.locks[k];
        }
        assertEq(token.balanceOf(d.challenger) - challengerBefore, d.bond, "expiry refunds exactly the challenge bond");
        refundedToChallengers += d.bond;
        _cover(paused ? 39 : 22);
        d.status = EXPIRED;
        _removeOpen(packed);
    }

    function _challengeValid(uint256 seed) internal returns (uint256 packed) {
        packed = _challengeable(seed);
        if (paused && packed != 0) {
            // Refused while paused, then the pauser resumes.
            (uint256 a, uint256 e) = (packed >> 32, packed & 0xffffffff);
            bytes memory refused = abi.encodeCall(IMetricsOracle.challenge, (a, e));
            vm.prank(CHALLENGER_A);
            _call(address(oracle), refused, _expectChallenge(a, e), "challenge (paused)");
            _cover(16);
            _setPaused(false);
        }
        if (packed == 0 || _rand(seed, 1) % 3 == 0) {
            IOracleActions(address(this)).submitValid(seed);
            packed = reportList[reportList.length - 1];
        }
        (uint256 asset, uint256 epoch) = (packed >> 32, packed & 0xffffffff);
        address challenger = _rand(seed, 2) % 2 == 0 ? CHALLENGER_A : CHALLENGER_B;
        token.mint(challenger, cbond);
        bytes memory data = abi.encodeCall(IMetricsOracle.challenge, (asset, epoch));
        if (paused) {
            vm.prank(challenger);
            _call(address(oracle), data, abi.encodeWithSelector(IMetricsOracle.OraclePaused.selector), "challenge (paused)");
            _cover(16);
            _setPaused(false);
        }
        assertEq(_expectChallenge(asset, epoch).length, 0, "generated a valid challenge");
        uint256 before = token.balanceOf(challenger);
        vm.prank(challenger);
        _call(address(oracle), data, "", "challenge");
        assertEq(before - token.balanceOf(challenger), cbond, "a challenge posts exactly the challenge bond");
        challengeBondsIn += cbond;
        _cover(15);
        bytes32 key = _key(asset, epoch);
        Held storage h = held[key];
        Dispute storage d = disputes[key];
        d.challenger = challenger;
        d.openedAt = uint40(clock);
        d.status = OPEN;
        d.bond = uint96(cbond);
        d.version = h.version;
        d.bits = h.bits;
        d.slashAt = uint96(slash);
        uint8[] storage signers = membersOf[h.version];
        for (uint256 i; i < signers.length; ++i) {
            if (h.bits & (1 << i) == 0) continue;
            uint256 k = signers[i];
            uint256 free = bond[k] - locked[k];
            uint256 amount = free < slash ? free : slash;
            locked[k] += amount;
            d.locks[k] = uint96(amount);
        }
        openList.push(packed);
        challengedList.push(packed);
    }

    /// @dev A recent report that can be challenged now (pause aside), or 0.
    function _challengeable(uint256 seed) internal view returns (uint256) {
        uint256 n = reportList.length;
        uint256 span = n < 40 ? n : 40;
        uint256 start = span == 0 ? 0 : seed % span;
        for (uint256 j; j < span; ++j) {
            uint256 packed = reportList[n - 1 - (start + j) % span];
            (uint256 asset, uint256 epoch) = (packed >> 32, packed & 0xffffffff);
            bytes32 key = _key(asset, epoch);
            // Open to a challenge but for a pause (the caller handles the pause).
            if (
                _isHeld(asset, epoch) && !held[key].voided && disputes[key].status == NONE
                    && clock <= uint256(held[key].updatedAt) + window
            ) return packed;
        }
        return 0;
    }

    /// @dev A held, unchallenged report whose window the clock is then moved past.
    function _closedTarget(uint256 seed) internal returns (uint256 packed) {
        uint256 n = reportList.length;
        uint256 span = n < 40 ? n : 40;
        for (uint256 j; j < span; ++j) {
            uint256 candidate = reportList[n - 1 - (seed % span + j) % span];
            (uint256 asset, uint256 epoch) = (candidate >> 32, candidate & 0xffffffff);
            bytes32 key = _key(asset, epoch);
            if (_isHeld(asset, epoch) && !held[key].voided && disputes[key].status == NONE) {
                packed = candidate;
                break;
            }
        }
        if (packed == 0) {
            IOracleActions(address(this)).submitValid(seed);
            packed = reportList[reportList.length - 1];
        }
        uint256 closes = uint256(held[_key(packed >> 32, packed & 0xffffffff)].updatedAt) + window;
        if (clock <= closes) _advance(closes - clock + 1 + seed % 1 hours);
    }

    /// @dev A report already challenged (or voided), or an epoch never reported.
    function _usedOrMissingTarget(uint256 seed) internal view returns (uint256) {
        if (challengedList.length != 0 && seed % 3 != 0) return challengedList[seed % challengedList.length];
        uint256 idx = seed % ASSETS;
        uint256 epoch = hasLatest[idx] ? uint256(latest[idx]) + 1 + seed % 50 : _currentEpoch();
        return (seed % 7 == 0 ? unsyncedAsset : assetIds[idx]) << 32 | epoch;
    }

    function _expectChallenge(uint256 asset, uint256 epoch) internal view returns (bytes memory) {
        if (paused) return abi.encodeWithSelector(IMetricsOracle.OraclePaused.selector);
        if (!_isHeld(asset, epoch)) return abi.encodeWithSelector(IMetricsOracle.OracleReportNotFound.selector, asset, epoch);
        bytes32 key = _key(asset, epoch);
        if (held[key].voided || disputes[key].status != NONE) {
            return abi.encodeWithSelector(IMetricsOracle.OracleAlreadyChallenged.selector, asset, epoch);
        }
        uint256 closes = uint256(held[key].updatedAt) + window;
        if (clock > closes) {
            return abi.encodeWithSelector(IMetricsOracle.OracleChallengeWindowClosed.selector, asset, epoch, closes);
        }
        return "";
    }

    /// @dev Resolving or expiring a report with no open challenge: OracleNoOpenChallenge.
    function _refuseSettle(uint256 seed, bool resolving) internal {
        uint256 packed;
        if (challengedList.length != 0 && seed % 2 == 0) packed = challengedList[seed % challengedList.length];
        if (packed == 0 && reportList.length != 0) packed = reportList[(seed / 3) % reportList.length];
        (uint256 asset, uint256 epoch) = (packed >> 32, packed & 0xffffffff);
        if (packed == 0 || disputes[_key(asset, epoch)].status == OPEN) {
            (asset, epoch) = (assetIds[seed % ASSETS], _currentEpoch() + 1);
        }
        bytes memory expected = abi.encodeWithSelector(IMetricsOracle.OracleNoOpenChallenge.selector, asset, epoch);
        _cover(24);
        if (resolving) {
            bytes memory data = abi.encodeCall(IMetricsOracle.resolveChallenge, (asset, epoch, seed % 2 == 0));
            vm.prank(Actors.ARBITER);
            _call(address(oracle), data, expected, "resolveChallenge (nothing open)");
        } else {
            bytes memory data = abi.encodeCall(IMetricsOracle.expireChallenge, (asset, epoch));
            vm.prank(TRANSMITTER);
            _call(address(oracle), data, expected, "expireChallenge (nothing open)");
        }
    }

    function _chainBonds() internal view returns (uint256[6] memory bonds) {
        for (uint256 k; k < KEYS; ++k) {
            (bonds[k],,) = oracle.bondOf(keyAddr[k]);
        }
    }

    /* ADMINISTRATION */

    /// @notice The admin replaces the signer set (a non-empty subset of keys 1-5 in rotated
    ///         order, a majority threshold); mode 0 a minority or oversized threshold, mode 1 a
    ///         signer listed twice: both refused.
    function setSigners(uint8 mask, uint8 thrSeed, uint8 mode) external {
        _sync();
        uint256 m = 1 + uint256(mask) % 31;
        uint256 n = _popcount(m);
        uint8[] memory list = new uint8[](n);
        uint256 j;
        for (uint256 k; k < SIGNER_KEYS; ++k) {
            if (m & (1 << k) != 0) list[(j++ + thrSeed) % n] = uint8(k);
        }
        bytes4 sel = IMetricsOracle.OracleInvalidSignerConfig.selector;
        mode %= 6;
        if (mode == 0) {
            uint8 bad = thrSeed % 2 == 0 ? uint8(thrSeed % (n / 2 + 1)) : uint8(n + 1 + thrSeed % (255 - n));
            _callSetSigners(list, bad, abi.encodeWithSelector(sel, bytes32("threshold"), uint256(bad)));
            _cover(29);
        } else if (mode == 1) {
            uint256 dup = thrSeed % n;
            uint256 at = dup + 1 + (thrSeed / 7) % (n - dup);
            list = _insert(list, list[dup], at);
            uint256 size = list.length;
            uint8 thr = uint8(size / 2 + 1 + thrSeed % (size - size / 2));
            _callSetSigners(list, thr, abi.encodeWithSelector(sel, bytes32("duplicateSigner"), uint256(uint160(keyAddr[list[at]]))));
            _cover(30);
        } else {
            _applySigners(list, uint8(n / 2 + 1 + thrSeed % (n - n / 2)));
            _cover(28);
        }
    }

    function _applySigners(uint8[] memory list, uint8 thr) internal {
        _callSetSigners(list, thr, "");
        for (uint256 i; i < members.length; ++i) {
            exitAt[members[i]] = clock + window;
        }
        members = list;
        ++version;
        membersOf[version] = list;
        thresholdOf[version] = thr;
        threshold = thr;
    }

    function _callSetSigners(uint8[] memory list, uint8 thr, bytes memory expected) internal {
        address[] memory addrs = new address[](list.length);
        for (uint256 i; i < list.length; ++i) {
            addrs[i] = keyAddr[list[i]];
        }
        bytes memory data = abi.encodeCall(IMetricsOracle.setSigners, (addrs, thr));
        vm.prank(Actors.ADMIN);
        _call(address(oracle), data, expected, "setSigners");
    }

    /// @notice The admin moves the slash, minimum bond, challenge bond and timeout (and now and
    ///         then shortens the window); mode 1 a minimum below the slash, mode 2 a longer
    ///         window: both refused.
    function setDisputeParams(uint256 s1, uint256 s2, uint8 mode) external {
        _sync();
        uint256 newSlash = bound(s1, 2, 800 * unit);
        uint256 newMin = bound(s2, newSlash, 3_000 * unit);
        uint256 newBond = bound(_rand(s1, s2), 1, 300 * unit);
        uint256 newTimeout = bound(_rand(s2, s1), 1 hours, 10 days);
        uint256 newWindow = mode % 16 == 0 ? bound(_rand(s1, 1), 2 hours, window) : window;
        bytes4 sel = IMetricsOracle.OracleInvalidDisputeParams.selector;
        bytes memory expected;
        if (mode % 7 == 1) {
            newMin = newSlash - 1;
            expected = abi.encodeWithSelector(sel, bytes32("minSignerBond"), newMin);
        } else if (mode % 7 == 2) {
            newWindow = window + 1 + s2 % 1 days;
            expected = abi.encodeWithSelector(sel, bytes32("disputeWindow"), newWindow);
        }
        bytes memory data = abi.encodeCall(
            IMetricsOracle.setDisputeParams,
            (uint40(newWindow), uint40(newTimeout), uint96(newBond), uint96(newSlash), uint96(newMin))
        );
        vm.prank(Actors.ADMIN);
        _call(address(oracle), data, expected, "setDisputeParams");
        _cover(expected.length != 0 ? 32 : 31);
        if (expected.length != 0) return;
        (window, timeout, cbond, slash, minBond) = (newWindow, newTimeout, newBond, newSlash, newMin);
    }

    /* UNPRIVILEGED */

    /// @notice An outsider tries each privileged entry point of the oracle (and the registry's
    ///         path into it); every one must revert and leave the privileged state as it was.
    function outsiderAttempts(uint8 which, uint256 amount) external {
        _sync();
        bytes32 before = _privilegedDigest();
        uint256 asset = assetIds[amount % ASSETS];
        uint256 epoch = latest[amount % ASSETS];
        if (openList.length != 0) (asset, epoch) = (openList[amount % openList.length] >> 32, openList[amount % openList.length] & 0xffffffff);
        address target = address(oracle);
        bytes memory data;
        which %= 12;
        if (which == 0) {
            address[] memory one = new address[](1);
            one[0] = Actors.OUTSIDER;
            data = abi.encodeCall(IMetricsOracle.setSigners, (one, 1));
        } else if (which == 1) {
            data = abi.encodeCall(IMetricsOracle.setDisputeParams, (uint40(1 hours), uint40(1 hours), uint96(1), uint96(1), uint96(1)));
        } else if (which == 2) {
            data = abi.encodeCall(IMetricsOracle.resolveChallenge, (asset, epoch, amount % 2 == 0));
        } else if (which == 3) {
            data = abi.encodeCall(IMetricsOracle.setPaused, (!paused));
        } else if (which == 4) {
            data = abi.encodeCall(MetricsOracle.onInventoryUpdated, (asset, keccak256(abi.encode(amount))));
        } else if (which == 5) {
            data = abi.encodeCall(IAccessControl.grantRole, (Roles.ARBITER_ROLE, Actors.OUTSIDER));
        } else if (which == 6) {
            data = abi.encodeWithSignature("beginDefaultAdminTransfer(address)", Actors.OUTSIDER);
        } else if (which == 7) {
            data = abi.encodeCall(IMetricsOracle.withdrawBond, (bound(amount, 1, type(uint96).max), Actors.OUTSIDER));
        } else if (which == 8) {
            target = address(registry);
            data = abi.encodeCall(AssetRegistry.updateInventory, (asset, keccak256(abi.encode(amount))));
        } else if (which == 9) {
            target = address(registry);
            data = abi.encodeCall(AssetRegistry.setInventoryListener, (Actors.OUTSIDER));
        } else if (which == 10) {
            data = abi.encodeCall(IAccessControl.revokeRole, (Roles.ARBITER_ROLE, Actors.ARBITER));
        } else {
            data = abi.encodeWithSignature("changeDefaultAdminDelay(uint48)", uint48(0));
        }
        vm.prank(Actors.OUTSIDER);
        (bool ok,) = target.call(data);
        assertTrue(!ok, "an outsider's privileged call succeeded");
        assertTrue(_privilegedDigest() == before, "an outsider changed privileged state");
        ++unprivilegedRefused;
        _cover(33);
    }

    /// @notice A digest of everything only privileged roles (or bond owners) may change.
    function _privilegedDigest() internal view returns (bytes32) {
        (uint24 v, uint8 t, address[] memory s) = oracle.signerConfig();
        (uint40 w, uint40 to, uint96 c, uint96 sl, uint96 m) = oracle.disputeParams();
        bytes memory acc = abi.encode(v, t, s, w, to, c, sl, m, oracle.paused(), token.balanceOf(address(oracle)));
        acc = bytes.concat(acc, _rolesDigest());
        for (uint256 k; k < KEYS; ++k) {
            (uint256 b, uint256 l, uint256 e) = oracle.bondOf(keyAddr[k]);
            acc = abi.encodePacked(acc, b, l, e);
        }
        (uint256 ob,,) = oracle.bondOf(Actors.OUTSIDER);
        acc = abi.encodePacked(acc, ob, registry.inventoryListener());
        for (uint256 i; i < ASSETS; ++i) {
            (bytes20 prefix,,,) = oracle.assetCache(assetIds[i]);
            (bool exists, uint32 e) = oracle.latestEpoch(assetIds[i]);
            acc = abi.encodePacked(acc, prefix, registry.inventoryHashOf(assetIds[i]), exists, e);
        }
        for (uint256 i; i < openList.length; ++i) {
            (address ch, uint40 at, MetricsOracle.ChallengeStatus st, uint96 b) =
                oracle.challengeOf(openList[i] >> 32, openList[i] & 0xffffffff);
            acc = abi.encodePacked(acc, ch, at, uint8(st), b);
        }
        return keccak256(acc);
    }

    function _rolesDigest() internal view returns (bytes memory) {
        (address pending, uint48 schedule) = oracle.pendingDefaultAdmin();
        return abi.encodePacked(
            oracle.hasRole(Roles.ARBITER_ROLE, Actors.OUTSIDER),
            oracle.hasRole(Roles.ARBITER_ROLE, Actors.ARBITER),
            oracle.hasRole(Roles.PAUSER_ROLE, Actors.OUTSIDER),
            oracle.hasRole(bytes32(0), Actors.OUTSIDER),
            oracle.defaultAdmin(),
            pending,
            schedule,
            oracle.defaultAdminDelay()
        );
    }
}
