"""Network resolution: URLs as given, brownie network ids from brownie's network list and the
project's brownie-config.yaml, environment variables in hosts, and chain ids checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compute_rwa.chain import connect
from compute_rwa.errors import NetworkError
from compute_rwa.networks import Endpoint, load_networks, resolve

#: A user config that does not exist: brownie's packaged network list is read instead.
NO_USER_CONFIG = Path("/nonexistent/.brownie/network-config.yaml")


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    path = tmp_path / "brownie-config.yaml"
    path.write_text("compiler: {}\n")
    return path


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def test_an_http_url_is_used_as_given():
    assert resolve("https://rpc.example.org/v1/key") == Endpoint("https://rpc.example.org/v1/key")


def test_other_schemes_are_refused():
    with pytest.raises(NetworkError, match="ws:// endpoints are not supported"):
        resolve("ws://127.0.0.1:8546")


def test_development_network_takes_its_port_from_cmd_settings(empty_project):
    endpoint = resolve("development", user_config=NO_USER_CONFIG, project=empty_project)
    assert endpoint == Endpoint("http://127.0.0.1:8545", "development", None)


def test_mainnet_fork_resolves_to_its_local_host_with_the_forked_chain_id(empty_project):
    endpoint = resolve("mainnet-fork", user_config=NO_USER_CONFIG, project=empty_project)
    assert endpoint == Endpoint("http://127.0.0.1:8545", "mainnet-fork", 1)


def test_live_network_host_expands_environment_variables(empty_project, monkeypatch):
    monkeypatch.setenv("WEB3_INFURA_PROJECT_ID", "abc123")
    endpoint = resolve("sepolia", user_config=NO_USER_CONFIG, project=empty_project)
    assert endpoint == Endpoint("https://sepolia.infura.io/v3/abc123", "sepolia", 11155111)
    assert endpoint.describe() == "sepolia (https://sepolia.infura.io)"  # the key stays out of logs


def test_live_network_host_with_an_unset_variable_is_refused_naming_it(empty_project, monkeypatch):
    monkeypatch.delenv("WEB3_INFURA_PROJECT_ID", raising=False)
    with pytest.raises(NetworkError, match=r"network sepolia: its host needs \$WEB3_INFURA_PROJECT_ID"):
        resolve("sepolia", user_config=NO_USER_CONFIG, project=empty_project)


def test_unknown_network_id_is_refused(empty_project):
    with pytest.raises(NetworkError, match="'nosuchnet' is neither an http.s. URL nor a network id"):
        resolve("nosuchnet", user_config=NO_USER_CONFIG, project=empty_project)


def test_user_network_list_is_brownies_format(tmp_path, empty_project):
    user = _write(
        tmp_path / "home/.brownie/network-config.yaml",
        {
            "development": [
                {
                    "name": "Anvil",
                    "id": "dev",
                    "cmd": "anvil",
                    "host": "http://10.0.0.2",
                    "cmd_settings": {"port": 9545},
                }
            ],
            "live": [
                {
                    "name": "Lab",
                    "networks": [{"name": "Remote", "id": "lab", "chainid": 4242, "host": "http://10.0.0.3:8545"}],
                }
            ],
        },
    )
    assert resolve("dev", user_config=user, project=empty_project) == Endpoint("http://10.0.0.2:9545", "dev", None)
    assert resolve("lab", user_config=user, project=empty_project) == Endpoint("http://10.0.0.3:8545", "lab", 4242)
    assert "sepolia" not in load_networks(user, empty_project)  # the user's list replaces brownie's defaults


def test_project_config_adds_networks_and_changes_development_ports(tmp_path):
    project = _write(
        tmp_path / "brownie-config.yaml",
        {
            "networks": {
                "default": "development",
                "development": {"cmd_settings": {"port": 9999}},
                "anvil": {"cmd_settings": {"port": 7777}},
                "lab": {"host": "http://10.0.0.9:8545", "chainid": 4242},
            }
        },
    )
    assert resolve("development", user_config=NO_USER_CONFIG, project=project).url == "http://127.0.0.1:9999"
    assert resolve("anvil", user_config=NO_USER_CONFIG, project=project).url == "http://127.0.0.1:7777"
    assert resolve("lab", user_config=NO_USER_CONFIG, project=project) == Endpoint("http://10.0.0.9:8545", "lab", 4242)


def test_the_projects_own_brownie_config_resolves_brownies_ids():
    assert resolve("mainnet-fork", user_config=NO_USER_CONFIG).url.startswith("http://127.0.0.1:")


def test_connect_checks_the_configured_chain_id_against_the_node(chain, tmp_path, monkeypatch):
    _write(
        tmp_path / ".brownie/network-config.yaml",
        {
            "development": [],
            "live": [
                {
                    "name": "Lab",
                    "networks": [
                        {"name": "Right", "id": "right", "chainid": 31337, "host": chain.url},
                        {"name": "Wrong", "id": "wrong", "chainid": 4242, "host": chain.url},
                    ],
                }
            ],
        },
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    assert connect("right").eth.chain_id == 31337
    with pytest.raises(NetworkError, match=r"network wrong is chain 4242 .* reports chain 31337"):
        connect("wrong")
