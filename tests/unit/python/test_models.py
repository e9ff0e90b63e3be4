from __future__ import annotations

import pytest

from compute_rwa import InvalidInputError
from compute_rwa.models import AssetRegistration, from_bytes32, to_bytes32


def test_short_strings_round_trip_through_bytes32():
    assert from_bytes32(to_bytes32("NVIDIA H100 80GB HBM3")) == "NVIDIA H100 80GB HBM3"
    assert len(to_bytes32("x")) == 32


@pytest.mark.parametrize("text", ["", "a" * 33, "é" * 17])
def test_bytes32_rejects_empty_and_too_long_text_naming_the_field(text):
    with pytest.raises(InvalidInputError) as info:
        to_bytes32(text, "region")
    assert info.value.field == "region"
    assert isinstance(info.value, ValueError)


def test_registration_abi_order_matches_the_solidity_struct():
    registration = AssetRegistration(
        gpu_model="A",
        gpu_count=2,
        rated_tflops=3,
        rated_power_watts=4,
        region="R",
        operator="0x" + "11" * 20,
        inventory_hash=b"\x01" * 32,
        payment_token="0x" + "22" * 20,
        owner="0x" + "33" * 20,
        operator_fee_bps=5,
        reserve_bps=6,
    )
    abi = registration.to_abi()
    assert abi[1:4] == (2, 3, 4)
    assert abi[5] == "0x" + "11" * 20
    assert abi[-2:] == (5, 6)
