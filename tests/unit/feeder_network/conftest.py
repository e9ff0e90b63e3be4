"""Signer services on free ports, started by the test and stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compute_rwa.oracle.network import SignerService
from tests.unit.feeder_network.support import SIGNER_KEYS, own_view, static_observer


@pytest.fixture
def services() -> Iterator[list[SignerService]]:
    """Five signer services serving on free ports; signer i observes `own_view(i)`."""
    started = [SignerService(key, static_observer(own_view(i))) for i, key in enumerate(SIGNER_KEYS)]
    for service in started:
        service.start(port=0)
    yield started
    for service in started:
        service.close()
