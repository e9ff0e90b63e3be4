"""LocalQuorum: signs with the keys it holds, only those in the signer set when it knows the set,
and refuses (naming how many signers are missing) below the threshold (no chain needed)."""

from __future__ import annotations

import pytest
from web3 import Web3

from compute_rwa.errors import InvalidInputError, QuorumError
from compute_rwa.oracle.client import SignerConfig
from compute_rwa.oracle.quorum import LocalQuorum
from compute_rwa.oracle.reports import OracleDomain, Report, pack_reports, recover_signer
from tests.conftest import ORACLE_KEYS

SIGNERS, OUTSIDERS = ORACLE_KEYS[:5], ORACLE_KEYS[5:]
DOMAIN = OracleDomain(31337, Web3.to_checksum_address("0x" + "11" * 20), 2)
CONFIG = SignerConfig(2, 3, tuple(k.address for k in SIGNERS))
PACKED = pack_reports([Report(1, 7, b"\x01" * 32, 5000, 9000, 100, 200, 300)])


def signers_of(signatures: bytes) -> list[str]:
    return [recover_signer(DOMAIN, PACKED, signatures[i : i + 65]) for i in range(0, len(signatures), 65)]


def test_without_a_configuration_every_key_signs():
    keys = [*SIGNERS[:2], OUTSIDERS[0]]
    assert signers_of(LocalQuorum(keys).signatures(DOMAIN, PACKED)) == [k.address for k in keys]


def test_with_a_configuration_only_its_signers_sign():
    quorum = LocalQuorum([OUTSIDERS[0], *SIGNERS[:3], OUTSIDERS[1]], CONFIG)
    assert signers_of(quorum.signatures(DOMAIN, PACKED)) == [k.address for k in SIGNERS[:3]]
    every = LocalQuorum(SIGNERS, lambda: CONFIG).signatures(DOMAIN, PACKED)  # a callable: read when signing
    assert signers_of(every) == [k.address for k in SIGNERS]


def test_below_the_threshold_it_names_the_missing_count():
    with pytest.raises(QuorumError, match="2 more signer"):
        LocalQuorum([SIGNERS[0], *OUTSIDERS], CONFIG).signatures(DOMAIN, PACKED)


def test_a_stale_configuration_is_refused():
    with pytest.raises(QuorumError, match="version 1"):
        LocalQuorum(SIGNERS, SignerConfig(1, 3, CONFIG.signers)).signatures(DOMAIN, PACKED)


def test_keys_are_checked():
    with pytest.raises(InvalidInputError, match="no signer keys"):
        LocalQuorum([])
    with pytest.raises(InvalidInputError, match="twice"):
        LocalQuorum([SIGNERS[0], SIGNERS[0]])
    assert LocalQuorum(SIGNERS[:2]).addresses == tuple(k.address for k in SIGNERS[:2])
