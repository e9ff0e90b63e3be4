"""`compute-rwa abi export DIR --rpc URL`: the index takes the addresses of the registry of the
chain the endpoint serves."""

from __future__ import annotations

import json

from click.testing import CliRunner

from compute_rwa.cli import main


def test_abi_export_with_rpc_takes_the_registry_of_the_chain_it_serves(suite, chain, tmp_path):
    d = suite.deployment
    contracts = {"AssetRegistry": d.registry, "PaymentToken": d.payment_token, "LeaseManager": d.lease_manager}
    (tmp_path / f"{d.chain_id}.json").write_text(json.dumps({"chain_id": d.chain_id, "contracts": contracts}))
    out = tmp_path / "abi"

    result = CliRunner().invoke(main, ["abi", "export", str(out), "--rpc", chain.url, "--deployments", str(tmp_path)])

    assert result.exit_code == 0, result.output
    index = json.loads((out / "index.json").read_text())
    assert index["chain_id"] == d.chain_id
    assert index["contracts"]["AssetRegistry"]["address"] == d.registry
    assert index["contracts"]["LeaseManager"]["address"] == d.lease_manager
    assert "address" not in index["contracts"]["MarketFactory"]  # not in this registry


def test_abi_export_with_rpc_refuses_a_chain_without_a_registry(chain, tmp_path):
    result = CliRunner().invoke(
        main, ["abi", "export", str(tmp_path / "abi"), "--rpc", chain.url, "--deployments", str(tmp_path)]
    )
    assert result.exit_code != 0 and "no deployment recorded for chain" in str(result.exception)
