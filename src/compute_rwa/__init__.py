"""compute-rwa: GPU compute capacity as a real-world asset on EVM chains.

The package deploys and drives the Solidity suite (asset registry, share tokens with a revenue
waterfall, metrics oracle, GPU leases) through web3.py, starts local chains for demos and tests,
and loads real fleets.
"""

from compute_rwa.client import SuiteClient
from compute_rwa.deploy import Deployment, DeployPlan, deploy_suite
from compute_rwa.errors import (
    ArtifactNotFoundError,
    ChainStartError,
    ComputeRwaError,
    ContractRevertError,
    DeploymentError,
    InvalidInputError,
    ToolchainError,
)
from compute_rwa.lease import LeaseClient, LeasePolicy, LeasePricing, LeaseStatus
from compute_rwa.models import AssetRegistration, AssetSpec, AssetStatus, RevenuePools

__all__ = [
    "ArtifactNotFoundError",
    "AssetRegistration",
    "AssetSpec",
    "AssetStatus",
    "ChainStartError",
    "ComputeRwaError",
    "ContractRevertError",
    "DeployPlan",
    "Deployment",
    "DeploymentError",
    "InvalidInputError",
    "LeaseClient",
    "LeasePolicy",
    "LeasePricing",
    "LeaseStatus",
    "RevenuePools",
    "SuiteClient",
    "ToolchainError",
    "deploy_suite",
]

__version__ = "0.1.0"
