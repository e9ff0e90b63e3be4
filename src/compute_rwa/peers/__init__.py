"""Peer protocols deployed beside the suite for like-for-like comparison (tests and benchmark),
built from their own published sources with the compiler and settings they ship with."""

from compute_rwa.peers.morpho_blue import (
    Liquidation,
    Market,
    MarketParams,
    MorphoBlue,
    Moved,
    Position,
    compile_morpho,
    liquidation_incentive,
)

__all__ = [
    "Liquidation",
    "Market",
    "MarketParams",
    "MorphoBlue",
    "Moved",
    "Position",
    "compile_morpho",
    "liquidation_incentive",
]
