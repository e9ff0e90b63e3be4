// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Asset types shared by the registry, the share tokens and integrators
/// @notice A GPU asset is a node or a cluster of identical GPUs, operated by one operator.

/// @notice Lifecycle of an asset. `Retired` is final.
/// @dev Active: leasable and earning. Maintenance: temporarily out of service (no new leases).
///      Retired: decommissioned; its shares may be burned by their holders.
enum AssetStatus {
    Active,
    Maintenance,
    Retired
}

/// @notice The on-chain specification of a GPU asset, packed into five storage slots.
/// @param shareToken The asset's ERC-20 share token (1 share = 1 GPU, 18 decimals).
/// @param gpuCount Number of GPUs in the asset.
/// @param ratedPowerWatts Rated power of the whole asset in watts (sum of GPU board power limits).
/// @param status Lifecycle status.
/// @param operator The operator that runs the hardware and receives the operator fee.
/// @param ratedTflops Rated dense BF16 throughput of the whole asset, in TFLOPS.
/// @param registeredAt Block timestamp of registration.
/// @param inventoryHash keccak256 of the canonical hardware inventory (GPU UUIDs and serials),
///        binding the token to the hardware; the oracle rejects reports against any other hash.
/// @param gpuModel GPU model as a short string (at most 32 bytes), e.g. "NVIDIA H100 80GB HBM3".
/// @param region Location as a short string (at most 32 bytes), e.g. "us-east-1".
struct AssetSpec {
    address shareToken;
    uint32 gpuCount;
    uint32 ratedPowerWatts;
    AssetStatus status;
    address operator;
    uint32 ratedTflops;
    uint40 registeredAt;
    bytes32 inventoryHash;
    bytes32 gpuModel;
    bytes32 region;
}

/// @notice What an operator supplies to register an asset.
/// @param gpuModel GPU model as a short string (non-empty).
/// @param gpuCount Number of GPUs (1 to MAX_GPU_COUNT); that many whole shares are minted.
/// @param ratedTflops Rated dense BF16 throughput of the whole asset in TFLOPS (non-zero).
/// @param ratedPowerWatts Rated power of the whole asset in watts (non-zero).
/// @param region Location as a short string (non-empty).
/// @param operator Operator of the hardware; must hold OPERATOR_ROLE.
/// @param inventoryHash Hash of the hardware inventory (non-zero).
/// @param paymentToken Stablecoin the asset earns in; must be allowed by the admin.
/// @param owner Receives all shares at registration.
/// @param operatorFeeBps Operator fee taken from every revenue payment, in basis points.
/// @param reserveBps Part of every revenue payment kept as the asset's reserve, in basis points.
struct AssetRegistration {
    bytes32 gpuModel;
    uint32 gpuCount;
    uint32 ratedTflops;
    uint32 ratedPowerWatts;
    bytes32 region;
    address operator;
    bytes32 inventoryHash;
    address paymentToken;
    address owner;
    uint16 operatorFeeBps;
    uint16 reserveBps;
}

/// @notice Kinds of fee in the revenue waterfall, used in errors and events.
enum FeeKind {
    Operator,
    Protocol,
    Reserve
}
