// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC7943Fungible} from "./IERC7943Fungible.sol";
import {FeeKind} from "../libraries/AssetTypes.sol";

/// @title IShareToken: an asset's ERC-20 shares, its revenue waterfall, and its compliance
/// @notice One share (1e18 units) stands for one GPU of the asset's capacity. Revenue paid into
///         the token in the asset's payment token passes a fee waterfall (operator fee, protocol
///         fee, reserve); the rest accrues to holders pro rata through a per-share accumulator
///         with per-holder corrections, so a transfer never moves revenue already earned.
///         Holders pull what they earned with `claim`. Compliance (ERC-7943) is per asset and
///         off by default.
/// @dev Warning: revenue accrues to whoever holds shares when it is paid. A buyer who acquires
///      shares just before a large payment earns its share of it (just-in-time buying); lease
///      income is released gradually (epoch by epoch), which limits the gain from such timing.
interface IShareToken is IERC20Metadata, IERC7943Fungible {
    /* EVENTS */

    /// @notice Revenue was paid in and split; `toHolders` was added to the per-share accumulator.
    event RevenueDistributed(
        address indexed payer,
        uint256 amount,
        uint256 operatorFee,
        uint256 protocolFee,
        uint256 toReserve,
        uint256 toHolders
    );

    /// @notice `holder` was paid `amount` of the revenue it had earned.
    event RevenueClaimed(address indexed holder, uint256 amount);

    /// @notice The lease manager paid `amount` of lease escrow to `to` (refund, credit, compensation).
    event LeaseFundsPaid(address indexed to, uint256 amount);

    /// @notice Accrued fees were paid out to `recipient`.
    event FeesWithdrawn(FeeKind indexed kind, address indexed recipient, uint256 amount);

    /// @notice `amount` of the reserve was released to holders through the accumulator.
    event ReserveReleased(address indexed caller, uint256 amount);

    /// @notice `amount` of the reserve was paid to `recipient` by the admin.
    event ReserveWithdrawn(address indexed recipient, uint256 amount);

    /// @notice A fee rate of the waterfall changed.
    event FeeRateUpdated(FeeKind indexed kind, uint16 previousBps, uint16 newBps);

    /// @notice Holder allow list switched on or off.
    event AllowListEnabled(bool enabled);

    /// @notice `account` was added to or removed from the holder allow list.
    event AllowListUpdated(address indexed account, bool allowed);

    /// @notice Share transfers of this asset were paused or unpaused.
    event TransfersPaused(bool paused);

    /* ERRORS */

    /// @notice Only the registry may call this.
    error ShareOnlyRegistry(address caller);
    /// @notice Only the registry's lease manager may call this.
    error ShareOnlyLeaseManager(address caller);
    /// @notice The token was already initialized.
    error ShareAlreadyInitialized();
    /// @notice The caller lacks the role this call needs.
    error ShareUnauthorized(address caller, bytes32 role);
    /// @notice The caller is neither the asset's operator nor the admin.
    error ShareUnauthorizedOperator(address caller, address assetOperator);
    /// @notice A fee rate is above its cap.
    error ShareFeeAboveCap(FeeKind kind, uint256 bps, uint256 capBps);
    /// @notice The payment token delivered less than was sent (fee-on-transfer tokens are refused).
    error ShareFeeOnTransferToken(address token, uint256 expected, uint256 received);
    /// @notice A zero amount was given where a positive one is needed.
    error ShareZeroAmount();
    /// @notice New revenue is refused while the registry is paused.
    error ShareRevenuePaused();
    /// @notice Share transfers of this asset are paused (the registry or the asset is paused).
    error ShareTransfersArePaused(uint256 assetId);
    /// @notice The reserve holds less than requested.
    error ShareInsufficientReserve(uint256 requested, uint256 available);
    /// @notice No shares exist to receive a release of the reserve.
    error ShareNoShares(uint256 assetId);
    /// @notice Shares may only be burned once the asset is retired.
    error ShareBurnBeforeRetirement(uint256 assetId);
    /// @notice An address argument is the zero address.
    error ShareZeroAddress();
    /// @notice A batch is larger than the maximum.
    error ShareBatchTooLarge(uint256 size, uint256 maxSize);
    /// @notice An amount does not fit the storage type that holds it.
    error ShareAmountOverflow(uint256 amount);

    /* SET-UP */

    /// @notice Mints `gpuCount` whole shares to `owner` and sets the fee rates. Registry only, once.
    function initialize(address owner, uint32 gpuCount, uint16 operatorFeeBps, uint16 protocolFeeBps, uint16 reserveBps)
        external;

    /* REVENUE */

    /// @notice Pays `amount` of the payment token into the asset's revenue waterfall.
    /// @dev Anyone may pay. Pulls with transferFrom (approve first). Refused while the registry
    ///      is paused, and for tokens that deliver less than `amount`. When no shares exist the
    ///      holders' part goes to the reserve. The rounding remainder is carried, magnified, to
    ///      the next payment: no fraction is lost.
    function distribute(uint256 amount) external;

    /// @notice Runs `amount` of lease escrow this token already holds through the waterfall.
    /// @dev The registry's lease manager only. Lease payments are escrowed here, in the asset's
    ///      token, so that settling an epoch moves no tokens; the lease manager accounts for
    ///      the escrow. Not paused: escrow released for service delivered is not new inflow.
    ///      Emits `RevenueDistributed` with the lease manager as payer.
    function receiveLeaseRevenue(uint256 amount) external;

    /// @notice Pays `amount` of lease escrow to `to`. The registry's lease manager only.
    function payLeaseFunds(address to, uint256 amount) external;

    /// @notice Pays the caller everything it has earned. Never paused.
    /// @return amount Amount paid, in the payment token.
    function claim() external returns (uint256 amount);

    /// @notice Pays `holder` everything it has earned. Registry only (for multi-asset claims).
    function claimFor(address holder) external returns (uint256 amount);

    /// @notice What `holder` could claim now, in the payment token.
    function claimableOf(address holder) external view returns (uint256);

    /// @notice Pays accrued operator fees to the asset's operator. Anyone may trigger it.
    function withdrawOperatorFees() external returns (uint256 amount);

    /// @notice Pays accrued protocol fees to the registry's treasury. Anyone may trigger it.
    function withdrawProtocolFees() external returns (uint256 amount);

    /// @notice Releases `amount` of the reserve to holders. Asset operator or admin; needs shares.
    function releaseReserve(uint256 amount) external;

    /// @notice Pays `amount` of the reserve to `recipient` (e.g. to fund repairs). Admin only.
    function withdrawReserve(address recipient, uint256 amount) external;

    /// @notice Sets the operator fee and the reserve rate. Asset operator or admin; capped.
    function setFeeRates(uint16 operatorFeeBps, uint16 reserveBps) external;

    /// @notice Sets the protocol fee rate of this asset. Admin only; capped.
    function setProtocolFeeBps(uint16 protocolFeeBps) external;

    /// @notice Burns the caller's shares once the asset is retired (after the hardware is gone).
    function burn(uint256 amount) external;

    /* COMPLIANCE */

    /// @notice Switches the holder allow list on or off. Compliance role.
    function setAllowListEnabled(bool enabled) external;

    /// @notice Adds accounts to or removes them from the allow list. Compliance role; bounded batch.
    function setAllowed(address[] calldata accounts, bool allowed) external;

    /// @notice Pauses or unpauses transfers of this asset's shares. Pauser role. Claims stay open.
    function setTransfersPaused(bool paused) external;

    /* VIEWS */

    /// @notice The registry that created this token.
    function registry() external view returns (address);

    /// @notice The asset this token represents.
    function assetId() external view returns (uint256);

    /// @notice The stablecoin revenue is paid in.
    function paymentToken() external view returns (address);

    /// @notice Fee rates: operator fee, protocol fee, reserve, in basis points.
    function feeRates() external view returns (uint16 operatorFeeBps, uint16 protocolFeeBps, uint16 reserveBps);

    /// @notice Balances held for the waterfall: operator fees, protocol fees and reserve in the
    ///         payment token, and the remainder carried to the next distribution, magnified by
    ///         1e18 (always below one payment-token unit per share unit).
    function pools()
        external
        view
        returns (uint256 operatorFees, uint256 protocolFees, uint256 reserve, uint256 dustE18);

    /// @notice Cumulative revenue per share unit, scaled by 1e18.
    function revenuePerShareE18() external view returns (uint256);

    /// @notice Whether the holder allow list is on.
    function allowListEnabled() external view returns (bool);

    /// @notice Whether `account` is on the allow list.
    function isAllowed(address account) external view returns (bool);

    /// @notice Whether transfers of this asset are paused by the pauser.
    function transfersPaused() external view returns (bool);
}
