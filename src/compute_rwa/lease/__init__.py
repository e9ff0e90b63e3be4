"""GPU leases: a typed client for LeaseManager, LeaseTerms and LeasePositions, and the values
they exchange. See docs/leasing.md for the rules."""

from compute_rwa.lease.client import DEFAULT_MAX_EPOCHS_EACH, DEFAULT_SLIPPAGE_BPS, LeaseAddresses, LeaseClient
from compute_rwa.lease.models import (
    Capacity,
    ExtendResult,
    Lease,
    LeasePolicy,
    LeasePricing,
    LeaseStatus,
    OpenResult,
    PreemptResult,
    Quote,
    Readiness,
    ReadinessReason,
    ReportStatus,
    SettleResult,
    SlaCredit,
    TerminateResult,
    TokenInfo,
    format_units,
    parse_units,
)

__all__ = [
    "DEFAULT_MAX_EPOCHS_EACH",
    "DEFAULT_SLIPPAGE_BPS",
    "Capacity",
    "ExtendResult",
    "Lease",
    "LeaseAddresses",
    "LeaseClient",
    "LeasePolicy",
    "LeasePricing",
    "LeaseStatus",
    "OpenResult",
    "PreemptResult",
    "Quote",
    "Readiness",
    "ReadinessReason",
    "ReportStatus",
    "SettleResult",
    "SlaCredit",
    "TerminateResult",
    "TokenInfo",
    "format_units",
    "parse_units",
]
