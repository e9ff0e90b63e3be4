"""Where a command sends its JSON-RPC requests: an http(s) URL as given, or a brownie network id
looked up the way `brownie networks list` shows it.

Network ids come from ~/.brownie/network-config.yaml (brownie's packaged defaults until brownie
has run once), then from the project's brownie-config.yaml `networks:` section, which may add a
network with its own `host` and `chainid` or, as brownie itself does, change a development
network's `cmd_settings` (its port). Environment variables in a host (`$WEB3_INFURA_PROJECT_ID`)
are expanded; the chain id the configuration names is checked against the node's.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]

from compute_rwa.artifacts import PROJECT_ROOT
from compute_rwa.errors import NetworkError

_SCHEMES = ("http://", "https://")
_ENV_VAR = re.compile(r"\$\{?(\w+)\}?")


@dataclass(frozen=True)
class Endpoint:
    """A JSON-RPC endpoint: its URL and, when it came from a network id, the id and the chain id
    the configuration gives it."""

    url: str
    network: str | None = None
    chain_id: int | None = None

    def describe(self) -> str:
        """The endpoint without path, query or credentials (hosted RPC URLs carry API keys)."""
        parts = urlsplit(self.url)
        where = f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        return f"{self.network} ({where})" if self.network else where


def user_network_config() -> Path:
    """brownie's network list: ~/.brownie/network-config.yaml."""
    return Path.home() / ".brownie" / "network-config.yaml"


def project_config() -> Path:
    return PROJECT_ROOT / "brownie-config.yaml"


def _packaged_network_config() -> Path | None:
    # find_spec locates the package without importing it (importing brownie sets up its data folder).
    spec = importlib.util.find_spec("brownie")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "data" / "network-config.yaml"
        if candidate.exists():
            return candidate
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise NetworkError(f"{path}: not a readable YAML file ({exc.__class__.__name__})") from None
    return data if isinstance(data, dict) else {}


def load_networks(user_config: Path | None = None, project: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every network id known to brownie's configuration and the project's, with its settings."""
    networks: dict[str, dict[str, Any]] = {}
    source = user_config or user_network_config()
    if not source.exists():
        source = _packaged_network_config() or source
    if source.exists():
        data = _read_yaml(source)
        for entry in data.get("development") or []:
            networks[str(entry["id"])] = {**entry, "source": str(source)}
        for group in data.get("live") or []:
            for entry in group.get("networks") or []:
                networks[str(entry["id"])] = {**entry, "source": str(source)}
    project = project or project_config()
    section = _read_yaml(project).get("networks") if project.exists() else None
    if not isinstance(section, dict):
        return networks
    development = section.get("development")
    if isinstance(development, dict) and isinstance(development.get("cmd_settings"), dict):
        for entry in networks.values():
            if "cmd" in entry:
                entry["cmd_settings"] = {**(entry.get("cmd_settings") or {}), **development["cmd_settings"]}
    for network_id, values in section.items():
        if network_id == "default" or not isinstance(values, dict):
            continue
        if "host" in values:
            networks[network_id] = {**networks.get(network_id, {}), **values, "id": network_id, "source": str(project)}
        elif network_id in networks and isinstance(values.get("cmd_settings"), dict):
            entry = networks[network_id]
            entry["cmd_settings"] = {**(entry.get("cmd_settings") or {}), **values["cmd_settings"]}
    return networks


def resolve(target: str, *, user_config: Path | None = None, project: Path | None = None) -> Endpoint:
    """The endpoint that `target` (an http(s) URL or a brownie network id) names."""
    if "://" in target:
        if not target.startswith(_SCHEMES):
            raise NetworkError(f"{target.split('://')[0]}:// endpoints are not supported: give an http(s) URL")
        return Endpoint(target)
    networks = load_networks(user_config, project)
    entry = networks.get(target)
    if entry is None:
        raise NetworkError(
            f"{target!r} is neither an http(s) URL nor a network id in brownie's network list "
            f"({user_config or user_network_config()}) or {project or project_config()}: "
            "see `brownie networks list`"
        )
    host = entry.get("host")
    if not isinstance(host, str) or not host:
        raise NetworkError(f"network {target} ({entry['source']}) has no host")
    url = os.path.expandvars(host)
    missing = sorted({name for name in _ENV_VAR.findall(url)})
    if missing:
        names = ", ".join("$" + name for name in missing)
        raise NetworkError(f"network {target}: its host needs {names}, which is not set in the environment")
    raw_settings = entry.get("cmd_settings")
    settings: dict[str, Any] = raw_settings if isinstance(raw_settings, dict) else {}
    if ":" not in url.split("//", maxsplit=1)[-1] and "port" in settings:
        url += f":{settings['port']}"  # development networks keep their port apart, as brownie does
    return Endpoint(url, target, _chain_id(entry, settings, networks))


def _chain_id(entry: dict[str, Any], settings: dict[str, Any], networks: dict[str, dict[str, Any]]) -> int | None:
    if "chainid" in entry:
        return int(entry["chainid"])
    if "chain_id" in settings:
        return int(settings["chain_id"])
    forked = networks.get(str(settings.get("fork")))  # a fork keeps the chain id of what it forks
    if forked is not None and "chainid" in forked:
        return int(forked["chainid"])
    return None


def check_chain_id(endpoint: Endpoint, actual: int) -> None:
    """Refuses a node whose chain id is not the one its network configuration gives."""
    if endpoint.chain_id is not None and endpoint.chain_id != actual:
        raise NetworkError(
            f"network {endpoint.network} is chain {endpoint.chain_id} in brownie's configuration, "
            f"but the node at {Endpoint(endpoint.url).describe()} reports chain {actual}"
        )
