"""The integrator kit: NatSpec read from the artifacts' ASTs (tags, lists, @inheritdoc through
the C3 linearization, interfaces filled from implementations), the committed contract reference
(regenerated here: it must equal docs/reference), and the ABI export with its index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account import Account

from compute_rwa.artifacts import load_artifact
from compute_rwa.cli import main
from compute_rwa.errors import InvalidInputError
from compute_rwa.integrator import ArtifactSet, build_docs, export_abis, parse_natspec, suite_contracts
from compute_rwa.integrator.natspec import abi_key
from compute_rwa.integrator.scripting import parse_signer
from tests.conftest import ROOT

REFERENCE = ROOT / "docs" / "reference"

SUITE_CONTRACTS = {
    "AssetRegistry",
    "ShareToken",
    "MetricsOracle",
    "MetricFeed",
    "LeaseManager",
    "LeaseTerms",
    "LeasePositions",
    "ShareValuator",
    "SharePriceFeed",
    "LendingMarket",
    "MarketFactory",
    "KinkedIrm",
}
SUITE_INTERFACES = {p.stem for p in (ROOT / "contracts" / "interfaces").glob("*.sol")} | {"IIrm"}


@pytest.fixture(scope="module")
def artifacts() -> ArtifactSet:
    return ArtifactSet()


def entry(artifacts: ArtifactSet, contract: str, kind: str, name: str, implementers: tuple[str, ...] = ()) -> Any:
    (found,) = [e for e in artifacts.contract_doc(contract, implementers).entries if e.kind == kind and e.name == name]
    return found


# ------------------------------------------------------------------------ natspec


def test_parse_natspec_reads_tags_params_returns_and_untagged_notice():
    doc = parse_natspec(
        " @title T: a thing\n @notice Does it\n         in two lines.\n @dev Beware.\n"
        " @param amount How much,\n        in units.\n @return paid What was paid.\n @custom:security none"
    )
    assert doc.title == "T: a thing"
    assert doc.notice == "Does it in two lines."
    assert doc.dev == "Beware."
    assert doc.params == {"amount": "How much, in units."}
    assert doc.returns == ("paid What was paid.",)
    assert doc.custom == {"security": "none"}
    assert parse_natspec(" Plain text is a notice.").notice == "Plain text is a notice."
    assert parse_natspec("@inheritdoc IThing").inheritdoc == "IThing"


def test_parse_natspec_keeps_list_items_and_ends_a_list_at_its_indentation():
    doc = parse_natspec(
        " @notice Two faces:\n         - first, which\n           goes on;\n"
        "         - second.\n         After the list."
    )
    assert doc.notice == "Two faces:\n- first, which goes on;\n- second.\n\nAfter the list."


def test_inheritdoc_is_followed_to_the_interface(artifacts):
    register = entry(artifacts, "AssetRegistry", "function", "registerAsset")
    assert register.origin == "IAssetRegistry"
    assert register.doc == entry(artifacts, "IAssetRegistry", "function", "registerAsset").doc
    assert register.doc.notice and register.doc.returns
    # Dependencies' comments are left out (two OpenZeppelin copies word them differently and
    # brownie keeps either): an @inheritdoc into OpenZeppelin resolves to nothing, not to text
    # that would change from build to build.
    inherited = entry(artifacts, "LeasePositions", "function", "supportsInterface")
    assert inherited.origin == "IERC165" and inherited.doc.empty
    assert not artifacts.is_ours("IERC165") and artifacts.is_ours("LeasePositions")


def test_events_keep_both_their_notice_and_their_params(artifacts):
    """brownie's merged `natspec` keeps one of devdoc and userdoc for events; the AST has both."""
    resolved = entry(artifacts, "IMetricsOracle", "event", "ChallengeResolved").doc
    assert resolved.notice and set(resolved.params) == {"upheld", "payout"}
    merged = artifacts.raw("IMetricsOracle")["natspec"]["events"]["ChallengeResolved(uint256,uint32,bool,uint256)"]
    assert "notice" not in merged  # what brownie kept


def test_linearization_puts_the_most_derived_base_first(artifacts):
    order = artifacts.linearization("ShareToken")
    assert order[0] == "ShareToken"
    assert order.index("ERC20Upgradeable") < order.index("IERC20")
    # transfer is implemented by ERC20Upgradeable, first declared by IERC20.
    assert entry(artifacts, "ShareToken", "function", "transfer").origin == "IERC20"


def test_library_errors_in_an_abi_name_their_library(artifacts):
    assert entry(artifacts, "LendingMarket", "error", "SafeERC20FailedOperation").origin == "SafeERC20"


def test_structs_and_enums_of_an_abi_are_documented_even_from_a_file_of_types_only(artifacts):
    types = {t.name: t for t in artifacts.contract_doc("AssetRegistry").types}
    # contracts/libraries/AssetTypes.sol declares only types: no artifact covers it.
    assert types["AssetStatus"].members == ("Active", "Maintenance", "Retired")
    assert types["AssetRegistration"].doc.params["gpuCount"].startswith("Number of GPUs")


def fake_artifact(directory: Path, name: str, kind: str, nodes: list[dict[str, Any]], bases: list[str]) -> None:
    abi = [
        {"type": "function", "name": n["name"], "inputs": [], "outputs": [], "stateMutability": "view"} for n in nodes
    ]
    for node, item in zip(nodes, abi, strict=True):
        node.update(nodeType="FunctionDefinition", functionSelector=abi_key(item), src="0:0:0", kind="function")
    definition = {
        "nodeType": "ContractDefinition",
        "name": name,
        "contractKind": kind,
        "baseContracts": [{"baseName": {"name": b}} for b in bases],
        "nodes": nodes,
    }
    artifact = {
        "abi": abi,
        "type": kind,
        "sourcePath": f"contracts/{name}.sol",
        "bytecode": "0x00" if kind == "contract" else "",
    }
    artifact["ast"] = {"absolutePath": f"contracts/{name}.sol", "nodes": [definition]}
    (directory / f"{name}.json").write_text(json.dumps(artifact))


def test_an_interface_member_without_a_comment_takes_its_implementation_s(tmp_path):
    fake_artifact(tmp_path, "IThing", "interface", [{"name": "size"}, {"name": "shape", "documentation": None}], [])
    documented = {"name": "size", "documentation": {"text": " @notice How big."}}
    fake_artifact(tmp_path, "Thing", "contract", [documented, {"name": "shape"}], ["IThing"])
    artifacts = ArtifactSet(tmp_path, source_root=tmp_path)
    interface = artifacts.contract_doc("IThing", ["Thing"])
    docs = {e.name: e.doc for e in interface.entries}
    assert (docs["size"].notice, docs["shape"].empty) == ("How big.", True)
    assert artifacts.contract_doc("IThing").entries[0].doc.empty  # without implementers: nothing


# ---------------------------------------------------------------------- reference


def test_committed_reference_equals_the_pages_the_artifacts_generate(tmp_path):
    """docs/reference never goes stale: `make docs` after changing NatSpec or an ABI."""
    build_docs(tmp_path)
    generated = {p.name: p.read_text() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_text() for p in REFERENCE.iterdir()}
    assert sorted(committed) == sorted(generated), "run `make docs`"
    stale = [name for name in generated if committed[name] != generated[name]]
    assert not stale, f"docs/reference is out of date ({', '.join(stale)}): run `make docs`"


def test_reference_pages_cover_every_function_event_and_error_with_its_notice():
    text = (REFERENCE / "IShareToken.md").read_text()
    for item in load_artifact("IShareToken").abi:
        if item["type"] in ("function", "event", "error"):
            assert f"### `{item['name']}" in text, item["name"]
    assert "selector `0x" in text and "topic 0 `0x" in text
    # A custom error's parameters and notice, and a function's @return.
    claim = text.split("### `claim`", 1)[1].split("### ", 1)[0]
    assert (
        "function claim() external returns (uint256 amount)" in claim and "Amount paid, in the payment token." in claim
    )
    index = (REFERENCE / "README.md").read_text()
    assert all(f"[`{name}`]({name}.md)" in index for name in SUITE_CONTRACTS | SUITE_INTERFACES)


def test_docs_build_check_fails_on_a_stale_directory(tmp_path):
    runner = CliRunner()
    stale = runner.invoke(main, ["docs", "build", str(tmp_path), "--check"])
    assert stale.exit_code != 0 and "out of date" in stale.output
    assert runner.invoke(main, ["docs", "build", str(tmp_path)]).exit_code == 0
    fresh = runner.invoke(main, ["docs", "build", str(tmp_path), "--check"])
    assert fresh.exit_code == 0, fresh.output


# ---------------------------------------------------------------------------- abi


def test_suite_contracts_are_the_deployable_contracts_and_interfaces_without_mocks(artifacts):
    found = {c.name: c.kind for c in suite_contracts(artifacts)}
    assert {n for n, k in found.items() if k == "contract"} == SUITE_CONTRACTS
    assert {n for n, k in found.items() if k == "interface"} == SUITE_INTERFACES


def test_abi_export_writes_one_abi_per_contract_and_an_index(tmp_path):
    result = export_abis(tmp_path / "abi")
    written = {p.stem for p in (tmp_path / "abi").glob("*.json")}
    assert written == SUITE_CONTRACTS | SUITE_INTERFACES | {"IERC20Metadata", "index"}
    assert len(result.files) == len(written)
    assert json.loads((tmp_path / "abi" / "LendingMarket.json").read_text()) == load_artifact("LendingMarket").abi
    index = json.loads((tmp_path / "abi" / "index.json").read_text())
    assert "chain_id" not in index and "addresses" not in index
    assert index["contracts"]["AssetRegistry"] == {
        "abi": "AssetRegistry.json",
        "kind": "contract",
        "source": "contracts/AssetRegistry.sol",
    }
    assert "shareTokenOf" in index["contracts"]["ShareToken"]["instances"]


def test_abi_export_with_a_deployment_file_records_addresses(tmp_path):
    registry = {
        "chain_id": 8453,
        "admin": "0x" + "11" * 20,
        "contracts": {"AssetRegistry": "0x" + "22" * 20, "ShareTokenImplementation": "0x" + "33" * 20},
    }
    registry["contracts"]["PaymentToken"] = "0x" + "44" * 20
    (tmp_path / "8453.json").write_text(json.dumps(registry))
    result = CliRunner().invoke(
        main, ["abi", "export", str(tmp_path / "out"), "--deployment", str(tmp_path / "8453.json")]
    )
    assert result.exit_code == 0, result.output
    assert "with addresses on chain 8453" in result.output
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["chain_id"] == 8453
    assert index["contracts"]["AssetRegistry"]["address"] == "0x" + "22" * 20
    assert index["contracts"]["ShareToken"]["implementation"] == "0x" + "33" * 20
    assert index["contracts"]["IERC20Metadata"]["payment_token"] == "0x" + "44" * 20
    assert index["addresses"] == registry["contracts"]


def test_abi_export_refuses_bad_registries_and_conflicting_options(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"contracts": {}}))
    runner = CliRunner()
    bad = runner.invoke(main, ["abi", "export", str(tmp_path / "out"), "--deployment", str(tmp_path / "bad.json")])
    assert bad.exit_code != 0 and "chain_id" in str(bad.exception)
    both = runner.invoke(
        main, ["abi", "export", str(tmp_path), "--deployment", str(tmp_path / "bad.json"), "--rpc", "http://x"]
    )
    assert both.exit_code == 2 and "not both" in both.output


# ---------------------------------------------------------------------- scripting


def test_example_signers_are_node_accounts_or_keys_from_the_environment(monkeypatch):
    assert parse_signer("0x" + "ab" * 20) == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"
    key = Account.create()
    monkeypatch.setenv("EXAMPLE_KEY", key.key.hex())
    assert parse_signer("env:EXAMPLE_KEY").address == key.address
    with pytest.raises(InvalidInputError):
        parse_signer("alice")
