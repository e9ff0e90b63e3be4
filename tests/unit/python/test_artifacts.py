from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from compute_rwa import ArtifactNotFoundError
from compute_rwa.artifacts import decode_error, load_artifact


def test_decode_error_names_a_custom_error_and_its_values():
    data = function_signature_to_4byte_selector("ShareInsufficientReserve(uint256,uint256)") + encode(
        ["uint256", "uint256"], [5, 3]
    )
    assert decode_error(data) == ("ShareInsufficientReserve", {"requested": 5, "available": 3})


def test_decode_error_checksums_addresses():
    address = "0x" + "ab" * 20
    data = function_signature_to_4byte_selector("RegistryOperatorLacksRole(address)") + encode(["address"], [address])
    name, args = decode_error(data)
    assert args["operator"] == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"


def test_decode_error_reads_plain_revert_strings_and_unknown_data():
    data = bytes.fromhex("08c379a0") + encode(["string"], ["allowance"])
    assert decode_error(data) == ("Error", {"reason": "allowance"})
    assert decode_error(b"\xde\xad\xbe\xef")[0] == "UnknownError"


def test_missing_artifact_raises_a_file_not_found_error(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPUTE_RWA_BUILD_DIR", str(tmp_path))
    load_artifact.cache_clear()
    try:
        with pytest.raises(ArtifactNotFoundError) as info:
            load_artifact("AssetRegistry")
        assert isinstance(info.value, FileNotFoundError)
        assert "make build" in str(info.value)
    finally:
        load_artifact.cache_clear()
