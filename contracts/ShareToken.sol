// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @dev Solady, not OpenZeppelin 5.7 Strings: that imports Bytes, which needs Cancun's MCOPY,
///      and the suite targets Shanghai so that Ganache 7.9 runs it.
import {LibString} from "solady/utils/LibString.sol";
import {IShareToken} from "./interfaces/IShareToken.sol";
import {IERC7943Fungible} from "./interfaces/IERC7943Fungible.sol";
import {IAssetRegistry} from "./interfaces/IAssetRegistry.sol";
import {AssetStatus, FeeKind} from "./libraries/AssetTypes.sol";
import {RevenueMath} from "./libraries/RevenueMath.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title ShareToken: one GPU asset's shares, revenue waterfall and compliance
/// @notice Deployed once as an implementation; every asset gets a clone of it (EIP-1167 with
///         immutable arguments: registry, payment token, asset id) created by the registry.
/// @dev Storage is packed for the hot paths: a transfer reads one slot for the accumulator and
///      the compliance flags, and writes one revenue word per party; compliance slots are read
///      only when the asset turned compliance on.
/// @dev Warning: a holder's correction is kept in 176 bits, which bounds an asset's lifetime
///      revenue to about 4.8e34 payment-token units (4.8e16 whole units of an 18-decimal token);
///      beyond it, transfers and claims revert with a SafeCast error rather than miscount.
/// @dev Transfers refused by compliance revert with the specific ERC-7943 errors
///      (ERC7943CannotSend, ERC7943CannotReceive, ERC7943InsufficientUnfrozenBalance) or
///      ShareTransfersArePaused; the generic ERC7943CannotTransfer is declared by the
///      standard's interface and not used.
contract ShareToken is ERC20Upgradeable, ReentrancyGuard, ERC165, IShareToken {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /* CONSTANTS */

    /// @notice Caps of the fee waterfall, in basis points; holders keep at least 55%.
    uint16 public constant MAX_OPERATOR_FEE_BPS = 2_500;
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 1_000;
    uint16 public constant MAX_RESERVE_BPS = 1_000;
    /// @notice Most accounts one `setAllowed` call may name.
    uint256 public constant MAX_ALLOW_LIST_BATCH = 200;

    /// @dev Offsets of the immutable arguments in the clone's code: the EIP-1167 proxy is 0x2d
    ///      bytes, followed by abi.encodePacked(registry, paymentToken, uint64 assetId).
    uint256 private constant ARG_REGISTRY = 0x2d;
    uint256 private constant ARG_PAYMENT_TOKEN = 0x2d + 20;
    uint256 private constant ARG_ASSET_ID = 0x2d + 40;

    uint8 private constant FLAG_ALLOW_LIST = 1;
    uint8 private constant FLAG_FREEZES = 2; // set once any account was frozen
    uint8 private constant FLAG_TRANSFERS_PAUSED = 4;

    /* STORAGE */

    /// @dev Read on every transfer and claim: cumulative revenue per share unit (x 1e18), flags.
    struct HotState {
        uint248 revenuePerShareE18;
        uint8 flags;
    }

    struct FeeState {
        uint16 operatorFeeBps;
        uint16 protocolFeeBps;
        uint16 reserveBps;
        uint208 dustE18; // magnified remainder carried to the next distribution; < supply
    }

    struct FeePools {
        uint128 operatorFees;
        uint128 protocolFees;
    }

    struct HolderCompliance {
        uint248 frozen;
        bool allowed;
    }

    HotState private _hot;
    FeeState private _fees;
    FeePools private _feePools;
    uint256 private _reserve;
    /// @dev One slot per holder, read and written by transfers and claims: a copy of the
    ///      holder's share balance (so a claim need not read ERC-20 storage too) and the
    ///      magnified (x 1e18) correction that keeps earned revenue with the holder across
    ///      mints, burns, transfers and claims. An all-zero slot means "not tracked yet": the
    ///      balance is then read from ERC-20 storage (the owner minted at registration, before
    ///      any revenue, starts that way; registering stays cheap).
    ///      Packed by RevenueMath.packHolder: shares in the low 80 bits, correction above.
    mapping(address holder => uint256 word) private _holders;
    mapping(address holder => HolderCompliance) private _compliance;

    /* SET-UP */

    constructor() {
        // The implementation itself is never used as a token.
        _disableInitializers();
    }

    /// @inheritdoc IShareToken
    function initialize(address owner, uint32 gpuCount, uint16 operatorFeeBps, uint16 protocolFeeBps, uint16 reserveBps)
        external
    {
        if (msg.sender != registry()) revert ShareOnlyRegistry(msg.sender);
        // The registry initializes each clone once, right after creating it; a positive supply
        // marks an initialized token (gpuCount is at least 1).
        if (totalSupply() != 0) revert ShareAlreadyInitialized();
        _checkFeeCap(FeeKind.Operator, operatorFeeBps, MAX_OPERATOR_FEE_BPS);
        _checkFeeCap(FeeKind.Protocol, protocolFeeBps, MAX_PROTOCOL_FEE_BPS);
        _checkFeeCap(FeeKind.Reserve, reserveBps, MAX_RESERVE_BPS);
        if (operatorFeeBps | protocolFeeBps | reserveBps != 0) {
            _fees = FeeState(operatorFeeBps, protocolFeeBps, reserveBps, 0);
            // Indexers learn the initial waterfall from these; zero rates are the default.
            if (operatorFeeBps != 0) emit FeeRateUpdated(FeeKind.Operator, 0, operatorFeeBps);
            if (protocolFeeBps != 0) emit FeeRateUpdated(FeeKind.Protocol, 0, protocolFeeBps);
            if (reserveBps != 0) emit FeeRateUpdated(FeeKind.Reserve, 0, reserveBps);
        }
        _mint(owner, uint256(gpuCount) * 1e18);
    }

    /* ERC-20 METADATA */

    /// @notice "compute-rwa GPU share #<assetId>"; derived, not stored, to keep registration cheap.
    function name() public view override(ERC20Upgradeable, IERC20Metadata) returns (string memory) {
        return string.concat("compute-rwa GPU share #", LibString.toString(assetId()));
    }

    /// @notice "GPU<assetId>".
    function symbol() public view override(ERC20Upgradeable, IERC20Metadata) returns (string memory) {
        return string.concat("GPU", LibString.toString(assetId()));
    }

    /* REVENUE */

    /// @inheritdoc IShareToken
    function distribute(uint256 amount) external nonReentrant {
        if (amount == 0) revert ShareZeroAmount();
        if (_registry().paused()) revert ShareRevenuePaused();
        IERC20 token = IERC20(paymentToken());
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert ShareFeeOnTransferToken(address(token), amount, received);
        _split(amount);
    }

    /// @inheritdoc IShareToken
    function receiveLeaseRevenue(uint256 amount) external {
        _checkLeaseManager();
        if (amount == 0) revert ShareZeroAmount();
        // The tokens are here already (lease escrow): only the waterfall runs. No pause check:
        // releasing escrow for service delivered is not new money coming in.
        _split(amount);
    }

    /// @inheritdoc IShareToken
    function payLeaseFunds(address to, uint256 amount) external nonReentrant {
        _checkLeaseManager();
        emit LeaseFundsPaid(to, amount);
        IERC20(paymentToken()).safeTransfer(to, amount);
    }

    /// @dev Splits `amount`, already held, through the waterfall.
    function _split(uint256 amount) private {
        FeeState memory fees = _fees;
        (uint256 operatorFee, uint256 protocolFee, uint256 toReserve, uint256 toHolders) =
            RevenueMath.split(amount, fees.operatorFeeBps, fees.protocolFeeBps, fees.reserveBps);
        FeePools memory pools_ = _feePools;
        _feePools = FeePools(
            (uint256(pools_.operatorFees) + operatorFee).toUint128(), (uint256(pools_.protocolFees) + protocolFee).toUint128()
        );
        uint256 unreceivable = _accrueToHolders(toHolders, fees.dustE18);
        _reserve += toReserve + unreceivable;
        emit RevenueDistributed(
            msg.sender, amount, operatorFee, protocolFee, toReserve + unreceivable, toHolders - unreceivable
        );
    }

    /// @inheritdoc IShareToken
    function claim() external returns (uint256) {
        return _claim(msg.sender);
    }

    /// @inheritdoc IShareToken
    function claimFor(address holder) external returns (uint256) {
        if (msg.sender != registry()) revert ShareOnlyRegistry(msg.sender);
        return _claim(holder);
    }

    /// @inheritdoc IShareToken
    function claimableOf(address holder) public view returns (uint256) {
        (uint256 shares, int256 correction) = _holderState(holder);
        return RevenueMath.owed(_hot.revenuePerShareE18, shares, correction);
    }

    /// @inheritdoc IShareToken
    function withdrawOperatorFees() external returns (uint256 amount) {
        amount = _feePools.operatorFees;
        if (amount == 0) return 0;
        _feePools.operatorFees = 0;
        address recipient = _registry().assetOperator(assetId());
        emit FeesWithdrawn(FeeKind.Operator, recipient, amount);
        IERC20(paymentToken()).safeTransfer(recipient, amount);
    }

    /// @inheritdoc IShareToken
    function withdrawProtocolFees() external returns (uint256 amount) {
        amount = _feePools.protocolFees;
        if (amount == 0) return 0;
        _feePools.protocolFees = 0;
        address recipient = _registry().treasury();
        emit FeesWithdrawn(FeeKind.Protocol, recipient, amount);
        IERC20(paymentToken()).safeTransfer(recipient, amount);
    }

    /// @inheritdoc IShareToken
    function releaseReserve(uint256 amount) external {
        _checkOperatorOrAdmin();
        if (totalSupply() == 0) revert ShareNoShares(assetId());
        _takeFromReserve(amount);
        _accrueToHolders(amount, _fees.dustE18);
        emit ReserveReleased(msg.sender, amount);
    }

    /// @inheritdoc IShareToken
    function withdrawReserve(address recipient, uint256 amount) external {
        _checkRole(bytes32(0));
        if (recipient == address(0)) revert ShareZeroAddress();
        _takeFromReserve(amount);
        emit ReserveWithdrawn(recipient, amount);
        IERC20(paymentToken()).safeTransfer(recipient, amount);
    }

    /// @inheritdoc IShareToken
    function setFeeRates(uint16 operatorFeeBps, uint16 reserveBps) external {
        _checkOperatorOrAdmin();
        _checkFeeCap(FeeKind.Operator, operatorFeeBps, MAX_OPERATOR_FEE_BPS);
        _checkFeeCap(FeeKind.Reserve, reserveBps, MAX_RESERVE_BPS);
        FeeState memory fees = _fees;
        _fees.operatorFeeBps = operatorFeeBps;
        _fees.reserveBps = reserveBps;
        emit FeeRateUpdated(FeeKind.Operator, fees.operatorFeeBps, operatorFeeBps);
        emit FeeRateUpdated(FeeKind.Reserve, fees.reserveBps, reserveBps);
    }

    /// @inheritdoc IShareToken
    function setProtocolFeeBps(uint16 protocolFeeBps) external {
        _checkRole(bytes32(0));
        _checkFeeCap(FeeKind.Protocol, protocolFeeBps, MAX_PROTOCOL_FEE_BPS);
        uint16 previous = _fees.protocolFeeBps;
        _fees.protocolFeeBps = protocolFeeBps;
        emit FeeRateUpdated(FeeKind.Protocol, previous, protocolFeeBps);
    }

    /// @inheritdoc IShareToken
    function burn(uint256 amount) external {
        if (_registry().assetStatus(assetId()) != AssetStatus.Retired) revert ShareBurnBeforeRetirement(assetId());
        _burn(msg.sender, amount);
    }

    /* COMPLIANCE */

    /// @inheritdoc IShareToken
    function setAllowListEnabled(bool enabled) external {
        _checkRole(Roles.COMPLIANCE_ROLE);
        _setFlag(FLAG_ALLOW_LIST, enabled);
        emit AllowListEnabled(enabled);
    }

    /// @inheritdoc IShareToken
    function setAllowed(address[] calldata accounts, bool allowed) external {
        _checkRole(Roles.COMPLIANCE_ROLE);
        if (accounts.length > MAX_ALLOW_LIST_BATCH) revert ShareBatchTooLarge(accounts.length, MAX_ALLOW_LIST_BATCH);
        for (uint256 i; i < accounts.length; ++i) {
            _compliance[accounts[i]].allowed = allowed;
            emit AllowListUpdated(accounts[i], allowed);
        }
    }

    /// @inheritdoc IERC7943Fungible
    function setFrozenTokens(address account, uint256 amount) external returns (bool) {
        _checkRole(Roles.COMPLIANCE_ROLE);
        if (amount > type(uint248).max) revert ShareAmountOverflow(amount);
        _compliance[account].frozen = uint248(amount);
        if (amount != 0) _setFlag(FLAG_FREEZES, true);
        emit Frozen(account, amount);
        return true;
    }

    /// @inheritdoc IERC7943Fungible
    /// @dev Bypasses the sender's allow-list status, its frozen amount and the transfer pause;
    ///      the receiver must still be allowed. The frozen amount shrinks to what remains.
    function forcedTransfer(address from, address to, uint256 amount) external returns (bool) {
        _checkRole(Roles.COMPLIANCE_ROLE);
        if (from == address(0) || to == address(0)) revert ShareZeroAddress();
        HotState memory hot = _hot;
        if (hot.flags & FLAG_ALLOW_LIST != 0 && !_compliance[to].allowed) revert ERC7943CannotReceive(to);
        uint256 balance = balanceOf(from);
        uint256 frozen = _compliance[from].frozen;
        if (balance >= amount && frozen > balance - amount) {
            _compliance[from].frozen = uint248(balance - amount);
            emit Frozen(from, balance - amount);
        }
        // The parent's _update moves the balance without this contract's compliance checks.
        ERC20Upgradeable._update(from, to, amount);
        _retrack(hot.revenuePerShareE18, from, to, amount);
        emit ForcedTransfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IShareToken
    function setTransfersPaused(bool paused_) external {
        _checkRole(Roles.PAUSER_ROLE);
        _setFlag(FLAG_TRANSFERS_PAUSED, paused_);
        emit TransfersPaused(paused_);
    }

    /// @inheritdoc IERC7943Fungible
    function canSend(address account) public view returns (bool) {
        return _hot.flags & FLAG_ALLOW_LIST == 0 || _compliance[account].allowed;
    }

    /// @inheritdoc IERC7943Fungible
    function canReceive(address account) public view returns (bool) {
        return _hot.flags & FLAG_ALLOW_LIST == 0 || _compliance[account].allowed;
    }

    /// @inheritdoc IERC7943Fungible
    function getFrozenTokens(address account) external view returns (uint256) {
        return _compliance[account].frozen;
    }

    /// @inheritdoc IERC7943Fungible
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        if (_hot.flags & FLAG_TRANSFERS_PAUSED != 0) return false;
        if (!canSend(from) || !canReceive(to)) return false;
        uint256 balance = balanceOf(from);
        uint256 frozen = _compliance[from].frozen;
        return amount <= balance && amount <= balance - (frozen < balance ? frozen : balance);
    }

    /* VIEWS */

    /// @inheritdoc IShareToken
    function registry() public view returns (address) {
        return address(bytes20(_cloneArg(ARG_REGISTRY)));
    }

    /// @inheritdoc IShareToken
    function paymentToken() public view returns (address) {
        return address(bytes20(_cloneArg(ARG_PAYMENT_TOKEN)));
    }

    /// @inheritdoc IShareToken
    function assetId() public view returns (uint256) {
        return uint64(bytes8(_cloneArg(ARG_ASSET_ID)));
    }

    /// @inheritdoc IShareToken
    function feeRates() external view returns (uint16, uint16, uint16) {
        FeeState memory fees = _fees;
        return (fees.operatorFeeBps, fees.protocolFeeBps, fees.reserveBps);
    }

    /// @inheritdoc IShareToken
    function pools() external view returns (uint256, uint256, uint256, uint256) {
        return (_feePools.operatorFees, _feePools.protocolFees, _reserve, _fees.dustE18);
    }

    /// @inheritdoc IShareToken
    function revenuePerShareE18() external view returns (uint256) {
        return _hot.revenuePerShareE18;
    }

    /// @inheritdoc IShareToken
    function allowListEnabled() external view returns (bool) {
        return _hot.flags & FLAG_ALLOW_LIST != 0;
    }

    /// @inheritdoc IShareToken
    function isAllowed(address account) external view returns (bool) {
        return _compliance[account].allowed;
    }

    /// @inheritdoc IShareToken
    function transfersPaused() external view returns (bool) {
        return _hot.flags & FLAG_TRANSFERS_PAUSED != 0;
    }

    /// @inheritdoc ERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return interfaceId == type(IERC7943Fungible).interfaceId || super.supportsInterface(interfaceId);
    }

    /* INTERNAL */

    /// @dev Every balance change (mint, burn, transfer) passes here: compliance first, then the
    ///      correction that keeps revenue already earned with the account that earned it.
    function _update(address from, address to, uint256 value) internal override {
        HotState memory hot = _hot;
        if (hot.flags != 0) _checkTransferRules(hot.flags, from, to, value);
        super._update(from, to, value);
        _retrack(hot.revenuePerShareE18, from, to, value);
    }

    /// @dev After a balance change: the moved shares carry the revenue per share already paid,
    ///      which the sender keeps and the receiver must not get (corrections), and the copies
    ///      of both balances follow ERC-20 storage.
    function _retrack(uint256 revenuePerShareE18_, address from, address to, uint256 value) private {
        // A transfer to oneself changes neither the balance nor the revenue owed.
        if (from == to) return;
        int256 carried = (revenuePerShareE18_ * value).toInt256();
        if (from != address(0)) {
            uint256 word = _holders[from];
            if (word != 0) {
                (uint256 shares, int256 correction) = RevenueMath.unpackHolder(word);
                // Cannot underflow: the copy equals the balance ERC-20 just checked against value.
                unchecked {
                    shares -= value;
                }
                _holders[from] = RevenueMath.packHolder(shares, correction + carried);
            } else if (carried != 0) {
                _holders[from] = RevenueMath.packHolder(balanceOf(from), carried);
            }
        }
        if (to != address(0)) {
            uint256 word = _holders[to];
            if (word != 0) {
                (uint256 shares, int256 correction) = RevenueMath.unpackHolder(word);
                _holders[to] = RevenueMath.packHolder(shares + value, correction - carried);
            } else if (carried != 0) {
                _holders[to] = RevenueMath.packHolder(balanceOf(to), -carried);
            }
            // Untracked and nothing to correct: ERC-20 storage stays the source of the balance.
        }
    }

    /// @dev The holder's balance and correction: the tracked copy, or ERC-20 storage while
    ///      untracked (then the correction is zero).
    function _holderState(address holder) private view returns (uint256 shares, int256 correctionE18) {
        uint256 word = _holders[holder];
        if (word == 0) return (balanceOf(holder), 0);
        return RevenueMath.unpackHolder(word);
    }

    function _checkTransferRules(uint8 flags, address from, address to, uint256 value) private view {
        if (flags & FLAG_TRANSFERS_PAUSED != 0) revert ShareTransfersArePaused(assetId());
        if (flags & FLAG_ALLOW_LIST != 0) {
            if (from != address(0) && !_compliance[from].allowed) revert ERC7943CannotSend(from);
            if (to != address(0) && !_compliance[to].allowed) revert ERC7943CannotReceive(to);
        }
        if (flags & FLAG_FREEZES != 0 && from != address(0)) {
            uint256 balance = balanceOf(from);
            uint256 frozen = _compliance[from].frozen;
            uint256 unfrozen = frozen < balance ? balance - frozen : 0;
            // Above the balance, ERC-20's own insufficient-balance error is the clearer one.
            if (value > unfrozen && value <= balance) revert ERC7943InsufficientUnfrozenBalance(from, value, unfrozen);
        }
    }

    /// @dev Adds `amount` to the holders' accumulator, carrying the magnified remainder. Returns
    ///      the part nobody can receive because no shares exist; the caller reserves it.
    function _accrueToHolders(uint256 amount, uint256 carriedE18) private returns (uint256 unreceivable) {
        uint256 supply = totalSupply();
        if (supply == 0) return amount;
        (uint256 increaseE18, uint256 remainderE18) = RevenueMath.accumulate(amount, carriedE18, supply);
        _hot.revenuePerShareE18 = (uint256(_hot.revenuePerShareE18) + increaseE18).toUint248();
        // Cannot truncate: the remainder is below the supply, far below 2**208.
        _fees.dustE18 = uint208(remainderE18);
        return 0;
    }

    function _claim(address holder) private returns (uint256 amount) {
        (uint256 shares, int256 correction) = _holderState(holder);
        amount = RevenueMath.owed(_hot.revenuePerShareE18, shares, correction);
        if (amount == 0) return 0;
        // Effects before the transfer: a re-entrant claim finds nothing left to pay. Cannot
        // overflow: amount * 1e18 is at most the magnified value it was derived from.
        unchecked {
            _holders[holder] = RevenueMath.packHolder(shares, correction - int256(amount * RevenueMath.PRECISION));
        }
        emit RevenueClaimed(holder, amount);
        IERC20(paymentToken()).safeTransfer(holder, amount);
    }

    function _takeFromReserve(uint256 amount) private {
        if (amount == 0) revert ShareZeroAmount();
        uint256 available = _reserve;
        if (amount > available) revert ShareInsufficientReserve(amount, available);
        // Cannot underflow: checked just above.
        unchecked {
            _reserve = available - amount;
        }
    }

    function _setFlag(uint8 flag, bool on) private {
        uint8 flags = _hot.flags;
        _hot.flags = on ? flags | flag : flags & ~flag;
    }

    function _checkFeeCap(FeeKind kind, uint16 bps, uint16 capBps) private pure {
        if (bps > capBps) revert ShareFeeAboveCap(kind, bps, capBps);
    }

    function _checkRole(bytes32 role) private view {
        if (!_registry().hasRole(role, msg.sender)) revert ShareUnauthorized(msg.sender, role);
    }

    function _checkOperatorOrAdmin() private view {
        IAssetRegistry registry_ = _registry();
        address operator = registry_.assetOperator(assetId());
        if (msg.sender == operator && registry_.hasRole(Roles.OPERATOR_ROLE, operator)) return;
        if (registry_.hasRole(bytes32(0), msg.sender)) return;
        revert ShareUnauthorizedOperator(msg.sender, operator);
    }

    /// @dev Reads one word of the clone's immutable arguments straight from its code; cheaper
    ///      than Clones.fetchCloneArgs, which copies all of them into a new bytes array. On the
    ///      implementation itself this reads its own bytecode, so no caller ever matches it.
    function _cloneArg(uint256 offset) private view returns (bytes32 word) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            extcodecopy(address(), ptr, offset, 0x20)
            word := mload(ptr)
        }
    }

    function _checkLeaseManager() private view {
        if (msg.sender != _registry().leaseManager()) revert ShareOnlyLeaseManager(msg.sender);
    }

    function _registry() private view returns (IAssetRegistry) {
        return IAssetRegistry(registry());
    }
}
