// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {vm} from "../utils/Vm.sol";
import {Actors} from "../utils/Suite.sol";
import {IMintableToken} from "../utils/Tokens.sol";
import {assertEq} from "../utils/InvariantTest.sol";
import {AssetRegistry} from "../../../contracts/AssetRegistry.sol";
import {MetricsOracle} from "../../../contracts/MetricsOracle.sol";
import {IMetricsOracle} from "../../../contracts/interfaces/IMetricsOracle.sol";

/// @notice A call whose outcome differs from the model's prediction: `expected` is the exact
///         revert data predicted (empty: success), `actual` what came back.
error UnexpectedOutcome(string call, bytes expected, bytes actual);

/// @notice The storage of the oracle campaign's handler and the helpers its logic contracts
///         share. The handler (OracleHandler) holds this storage and delegates each action to
///         one of three logic contracts that inherit this same layout (reports, bonds and
///         disputes, laws), which keeps each part of the campaign's code to one concern and
///         under ~30 KB. Logic contracts declare no storage of their own.
/// @dev The model: every signer key's bond, locked part and exit time; the signer
///      configuration of every version; the dispute parameters; each asset's latest epoch,
///      ring occupancy and held reports (values, acceptance time, version, signer bits,
///      voided); each challenge (challenger, time, status, bond, lock per key); the ledger of
///      every bond-token unit that entered or left the oracle.
abstract contract OracleHandlerState {
    /// @dev Private keys 1..6; key index 5 (private key 6) never joins a signer set.
    uint256 internal constant KEYS = 6;
    uint256 internal constant SIGNER_KEYS = 5;
    uint256 internal constant ASSETS = 3;
    uint256 internal constant EPOCH = 3600;
    uint256 internal constant RING = 168;
    uint256 internal constant MAX_BPS = 10_000;
    /// @dev Suite.registerAsset rates every asset at 700 W and 989 TFLOPS: average power and
    ///      energy per hour-long epoch are bounded by 700 x 1.10 = 770.
    uint256 internal constant MAX_POWER = 770;
    uint256 internal constant MAX_ENERGY = 770;
    uint256 internal constant RATED_TFLOPS = 989;
    /// @dev Reads check at most this many of the newest reports and challenges after each call.
    uint256 internal constant RECENT = 24;
    uint256 internal constant AVERAGE_WINDOW = 24;

    address internal constant CHALLENGER_A = address(0x1000);
    address internal constant CHALLENGER_B = address(0x1001);
    address internal constant FUNDER = address(0x1002);
    address internal constant TRANSMITTER = address(0x1003);
    address internal constant RECEIVER = address(0x1004);

    uint8 internal constant NONE = 0;
    uint8 internal constant OPEN = 1;
    uint8 internal constant UPHELD = 2;
    uint8 internal constant REJECTED = 3;
    uint8 internal constant EXPIRED = 4;

    struct Held {
        uint40 updatedAt;
        uint24 version;
        uint16 bits;
        bool voided;
        uint16 util;
        uint16 uptime;
        uint32 gpuHours;
        uint40 energy;
        uint32 power;
    }

    struct Dispute {
        address challenger;
        uint40 openedAt;
        uint8 status;
        uint96 bond;
        uint24 version;
        uint16 bits;
        uint96 slashAt; // the slash amount in force when it was opened
        uint96[6] locks; // per key index
    }

    struct Rep {
        uint256 asset;
        uint256 epoch;
        bytes32 inventory;
        uint256 util;
        uint256 uptime;
        uint256 gpuHours;
        uint256 energy;
        uint256 power;
    }

    MetricsOracle internal oracle;
    AssetRegistry internal registry;
    IMintableToken internal token;
    uint256 internal unit;
    uint256 internal genesis;
    /// @dev The campaign's clock: every action starts with vm.warp(clock).
    uint256 internal clock;
    address[6] internal keyAddr;
    uint256[3] internal assetIds;
    uint256[3] internal gpusOf;
    uint256 internal unsyncedAsset;

    // Ledger of the bond token: everything that entered the oracle and everything that left.
    uint256 internal deposited;
    uint256 internal challengeBondsIn;
    uint256 internal withdrawn;
    uint256 internal paidToChallengers;
    uint256 internal refundedToChallengers;
    uint256 internal unprivilegedRefused;
    /// @dev Which outcomes the run has reached (bit per outcome, see `coverage()`), and how many
    ///      actions it has taken.
    uint256 internal covered;
    uint256 internal actions;

    // Bonds.
    uint256[6] internal bond;
    uint256[6] internal locked;
    uint256[6] internal exitAt;

    // Signer configuration.
    uint24 internal version;
    uint8 internal threshold;
    uint8[] internal members; // key indices, in configuration order
    mapping(uint24 => uint8[]) internal membersOf;
    mapping(uint24 => uint8) internal thresholdOf;

    // Dispute parameters and pause.
    uint256 internal window;
    uint256 internal timeout;
    uint256 internal cbond;
    uint256 internal slash;
    uint256 internal minBond;
    bool internal paused;

    // Attestations.
    bytes32[3] internal inventory;
    bytes32[3] internal previousInventory;
    uint256 internal inventoryNonce;

    // Reports.
    bool[3] internal hasLatest;
    uint32[3] internal latest;
    mapping(uint256 => uint256) internal ringEpochPlusOne; // asset x RING + epoch % RING
    mapping(bytes32 => Held) internal held;
    uint256[] internal reportList; // asset << 32 | epoch, in acceptance order
    bytes internal lastReports;
    bytes internal lastSigs;
    uint24 internal lastVersion;

    // Challenges.
    mapping(bytes32 => Dispute) internal disputes;
    uint256[] internal openList; // asset << 32 | epoch
    uint256[] internal challengedList;

    /* SHARED HELPERS */

    function _sync() internal {
        vm.warp(clock);
        ++actions;
    }

    function _cover(uint256 bit) internal {
        covered |= 1 << bit;
    }

    function _advance(uint256 seconds_) internal {
        clock += seconds_;
        vm.warp(clock);
    }

    function _rand(uint256 seed, uint256 salt) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, salt)));
    }

    function _key(uint256 asset, uint256 epoch) internal pure returns (bytes32) {
        return keccak256(abi.encode(asset, epoch));
    }

    function _currentEpoch() internal view returns (uint256) {
        return (clock - genesis) / EPOCH;
    }

    function _isHeld(uint256 asset, uint256 epoch) internal view returns (bool) {
        return ringEpochPlusOne[asset * RING + epoch % RING] == epoch + 1;
    }

    function _assetIndex(uint256 asset) internal view returns (uint256) {
        for (uint256 i; i < ASSETS; ++i) {
            if (assetIds[i] == asset) return i;
        }
        return ASSETS;
    }

    function _keyIndex(address a) internal view returns (uint256) {
        for (uint256 k; k < KEYS; ++k) {
            if (keyAddr[k] == a) return k;
        }
        return KEYS;
    }

    /// @dev Position of key `k` in the current configuration, or members.length.
    function _position(uint256 k) internal view returns (uint256) {
        for (uint256 i; i < members.length; ++i) {
            if (members[i] == k) return i;
        }
        return members.length;
    }

    function _popcount(uint256 bits) internal pure returns (uint256 n) {
        for (; bits != 0; bits &= bits - 1) ++n;
    }

    function _removeOpen(uint256 packed) internal {
        for (uint256 i; i < openList.length; ++i) {
            if (openList[i] == packed) {
                openList[i] = openList[openList.length - 1];
                openList.pop();
                return;
            }
        }
    }

    function _truncate(uint8[] memory a, uint256 n) internal pure returns (uint8[] memory out) {
        out = new uint8[](n);
        for (uint256 i; i < n; ++i) {
            out[i] = a[i];
        }
    }

    function _insert(uint8[] memory a, uint8 k, uint256 at) internal pure returns (uint8[] memory out) {
        out = new uint8[](a.length + 1);
        for (uint256 i; i < out.length; ++i) {
            out[i] = i < at ? a[i] : i == at ? k : a[i - 1];
        }
    }

    /// @dev Calls `target` and checks the outcome is exactly the predicted one (empty: success).
    function _call(address target, bytes memory data, bytes memory expected, string memory what)
        internal
        returns (bytes memory ret)
    {
        bool ok;
        (ok, ret) = target.call(data);
        if (expected.length == 0) {
            if (!ok) revert UnexpectedOutcome(what, expected, ret);
        } else if (ok || keccak256(ret) != keccak256(expected)) {
            revert UnexpectedOutcome(what, expected, ret);
        }
    }

    /// @dev `FUNDER` mints and deposits `amount` to key `k`'s bond.
    function _deposit(uint256 k, uint256 amount) internal {
        token.mint(FUNDER, amount);
        bytes memory data = abi.encodeCall(IMetricsOracle.depositBond, (keyAddr[k], amount));
        uint256 before = token.balanceOf(address(oracle));
        vm.prank(FUNDER);
        _call(address(oracle), data, "", "depositBond");
        assertEq(token.balanceOf(address(oracle)) - before, amount, "a deposit arrives whole");
        deposited += amount;
        bond[k] += amount;
    }

    function _setPaused(bool p) internal {
        bytes memory data = abi.encodeCall(IMetricsOracle.setPaused, (p));
        vm.prank(Actors.PAUSER);
        _call(address(oracle), data, "", "setPaused");
        paused = p;
    }
}

/// @notice The handler's actions, as the logic contracts call them back through the handler.
interface IOracleActions {
    function submitValid(uint256 seed) external;
}
