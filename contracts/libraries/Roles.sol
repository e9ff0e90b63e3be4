// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Role identifiers of the suite (OpenZeppelin AccessControl, held by the registry)
/// @dev DEFAULT_ADMIN_ROLE (bytes32(0)) is the admin, handed over in two steps with a delay.
library Roles {
    /// @notice Registers assets and runs the assets it operates (status, inventory, fees).
    bytes32 internal constant OPERATOR_ROLE = keccak256("compute-rwa.role.operator");
    /// @notice Runs per-asset compliance: allow lists, frozen amounts, forced transfers.
    bytes32 internal constant COMPLIANCE_ROLE = keccak256("compute-rwa.role.compliance");
    /// @notice Pauses and unpauses new risk (registrations, revenue inflow, share transfers).
    bytes32 internal constant PAUSER_ROLE = keccak256("compute-rwa.role.pauser");
    /// @notice Resolves challenges against oracle reports (uphold voids the report and slashes).
    bytes32 internal constant ARBITER_ROLE = keccak256("compute-rwa.role.arbiter");
}
