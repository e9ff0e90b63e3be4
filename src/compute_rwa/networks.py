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

import requests
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
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:  # ValueError: not UTF-8
        raise NetworkError(f"{path}: not a readable YAML file ({exc.__class__.__name__})") from None
    return data if isinstance(data, dict) else {}


def _entries(value: Any, where: str) -> list[dict[str, Any]]:
    """A configuration's list of network entries, each a mapping with an `id`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise NetworkError(f"{where}: expected a list of networks, got {type(value).__name__}")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or entry.get("id") is None:
            raise NetworkError(f"{where}[{index}]: expected a network with an `id`")
    return value


def load_networks(user_config: Path | None = None, project: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every network id known to brownie's configuration and the project's, with its settings."""
    networks: dict[str, dict[str, Any]] = {}
    source = user_config or user_network_config()
    if not source.exists():
        source = _packaged_network_config() or source
    if source.exists():
        data = _read_yaml(source)
        for entry in _entries(data.get("development"), f"{source}: development"):
            networks[str(entry["id"])] = {**entry, "source": str(source)}
        live = data.get("live") or []
        for index, group in enumerate(live if isinstance(live, list) else [live]):
            if not isinstance(group, dict):
                raise NetworkError(f"{source}: live[{index}]: expected a group with `networks`")
            for entry in _entries(group.get("networks"), f"{source}: live[{index}].networks"):
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
        return Endpoint(_checked_url(target, "--rpc"))
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
    where = f"network {target} ({entry['source']})"
    if ":" not in url.split("//", maxsplit=1)[-1] and "port" in settings:
        port = _integer(settings["port"], f"{where}: cmd_settings.port")
        if not 0 < port < 65536:
            raise NetworkError(f"{where}: cmd_settings.port {port} is not a TCP port")
        url += f":{port}"  # development networks keep their port apart, as brownie does
    if not url.startswith(_SCHEMES):
        raise NetworkError(f"{where}: host {url!r} is not an http(s) URL")
    return Endpoint(_checked_url(url, where), target, _chain_id(entry, settings, networks, where))


def _integer(value: Any, where: str) -> int:
    """A whole number from a YAML value (an int, or digits in a string); anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise NetworkError(f"{where}: expected a whole number, got {value!r:.80}")


def _chain_id(
    entry: dict[str, Any], settings: dict[str, Any], networks: dict[str, dict[str, Any]], where: str
) -> int | None:
    raw: Any = None
    if "chainid" in entry:
        raw, name = entry["chainid"], "chainid"
    elif "chain_id" in settings:
        raw, name = settings["chain_id"], "cmd_settings.chain_id"
    else:
        forked = networks.get(str(settings.get("fork")))  # a fork keeps the chain id of what it forks
        if forked is None or "chainid" not in forked:
            return None
        raw, name = forked["chainid"], f"chainid of the forked network {forked.get('id')}"
    chain_id = _integer(raw, f"{where}: {name}")
    if not 0 < chain_id < 1 << 256:
        raise NetworkError(f"{where}: {name} {chain_id} is not a chain id")
    return chain_id


def _checked_url(url: str, where: str) -> str:
    """`url` if requests can send to it (a host, a valid port, an encodable name)."""
    try:
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(url, None)
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
    except (requests.exceptions.RequestException, ValueError, UnicodeError) as exc:
        raise NetworkError(f"{where}: {url!r:.200} is not a usable http(s) URL ({exc.__class__.__name__})") from None
    if not parts.hostname or port == 0:
        raise NetworkError(f"{where}: {url!r:.200} has no host (or port 0)")
    return url


def check_chain_id(endpoint: Endpoint, actual: int) -> None:
    """Refuses a node whose chain id is not the one its network configuration gives."""
    if endpoint.chain_id is not None and endpoint.chain_id != actual:
        raise NetworkError(
            f"network {endpoint.network} is chain {endpoint.chain_id} in brownie's configuration, "
            f"but the node at {Endpoint(endpoint.url).describe()} reports chain {actual}"
        )
