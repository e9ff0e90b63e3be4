"""The integrator kit: the suite's ABIs as JSON files (`abi`), the contract reference generated
from NatSpec (`docs`, `natspec`), and the small helpers the scripts in examples/ share
(`scripting`). See docs/integrator-guide.md."""

from compute_rwa.integrator.abi import SuiteContract, export_abis, read_registry, suite_contracts
from compute_rwa.integrator.docs import build_docs, build_pages, stale_pages
from compute_rwa.integrator.natspec import ArtifactSet, NatSpec, parse_natspec

__all__ = [
    "ArtifactSet",
    "NatSpec",
    "SuiteContract",
    "build_docs",
    "build_pages",
    "export_abis",
    "parse_natspec",
    "read_registry",
    "stale_pages",
    "suite_contracts",
]
