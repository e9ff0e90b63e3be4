"""Deploying the suite with web3.py to any JSON-RPC endpoint, recording every step in
deployments/<chainId>.json so that an interrupted deployment resumes instead of redeploying."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TransactionNotFound

from compute_rwa.artifacts import PROJECT_ROOT
from compute_rwa.errors import DeploymentError
from compute_rwa.tx import SentDeployment, Signer, TxSender, address_of, contract_at


@dataclass
class Deployment:
    """Addresses of one deployment of the suite on one chain."""

    chain_id: int
    registry: ChecksumAddress
    share_token_implementation: ChecksumAddress
    payment_token: ChecksumAddress
    admin: ChecksumAddress
    oracle: ChecksumAddress | None = None
    lease_terms: ChecksumAddress | None = None
    lease_manager: ChecksumAddress | None = None
    lease_positions: ChecksumAddress | None = None
    valuator: ChecksumAddress | None = None
    market_factory: ChecksumAddress | None = None
    steps: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        data = json.loads(path.read_text())
        contracts = data["contracts"]
        return cls(
            chain_id=int(data["chain_id"]),
            registry=contracts["AssetRegistry"],
            share_token_implementation=contracts["ShareTokenImplementation"],
            payment_token=contracts["PaymentToken"],
            admin=data["admin"],
            oracle=contracts.get("MetricsOracle"),
            lease_terms=contracts.get("LeaseTerms"),
            lease_manager=contracts.get("LeaseManager"),
            lease_positions=contracts.get("LeasePositions"),
            valuator=contracts.get("ShareValuator"),
            market_factory=contracts.get("MarketFactory"),
            steps=data.get("steps", {}),
        )


def registry_path(chain_id: int, location: Path | None = None) -> Path:
    """The registry file of chain `chain_id`: <location>/<chainId>.json, where `location` is a
    folder (default deployments/), or `location` itself when it names a .json file. A file that
    records another chain is refused (DeploymentError naming both chains)."""
    location = location or PROJECT_ROOT / "deployments"
    path = location if location.suffix == ".json" and not location.is_dir() else location / f"{chain_id}.json"
    if path.is_file():
        try:
            recorded = json.loads(path.read_text()).get("chain_id")
        except (OSError, ValueError, AttributeError):
            raise DeploymentError(f"{path}: not a readable deployment registry") from None
        if recorded is not None and int(recorded) != chain_id:
            raise DeploymentError(f"{path} records chain {recorded}, but the node reports chain {chain_id}")
    return path


@dataclass
class OraclePlan:
    """The metrics oracle's parameters. Bond amounts are in whole tokens of the bond token (the
    payment token unless `bond_token` is given), scaled by its decimals at deployment. `genesis`
    defaults to the start of the current epoch on the chain's clock."""

    epoch_seconds: int = 3600
    genesis: int | None = None
    bond_token: ChecksumAddress | None = None
    signers: tuple[ChecksumAddress, ...] = ()
    threshold: int = 1
    arbiters: tuple[ChecksumAddress, ...] = ()
    dispute_window: int = 24 * 3600
    resolution_timeout: int = 7 * 24 * 3600
    challenge_bond_tokens: int = 100
    slash_tokens: int = 500
    min_signer_bond_tokens: int = 1_000


@dataclass
class DeployPlan:
    """What to deploy. Addresses default to the deployer; a payment token is deployed as a
    6-decimal mock stablecoin only when none is given (local chains)."""

    admin: ChecksumAddress | None = None
    treasury: ChecksumAddress | None = None
    operators: tuple[ChecksumAddress, ...] = ()
    compliance_agents: tuple[ChecksumAddress, ...] = ()
    pausers: tuple[ChecksumAddress, ...] = ()
    payment_token: ChecksumAddress | None = None
    protocol_fee_bps: int = 500
    admin_transfer_delay: int = 2 * 24 * 3600
    oracle: OraclePlan = field(default_factory=lambda: OraclePlan())
    #: Seconds after an epoch's end by which its oracle report must be accepted to settle a
    #: lease; later, the epoch counts as fully down (the lessee is credited in full).
    lease_report_grace: int = 24 * 3600


class _StepLog:
    """The registry file, written after every step."""

    def __init__(self, path: Path, chain_id: int, fresh: bool) -> None:
        self.path = path
        self.data: dict[str, Any] = {"chain_id": chain_id, "contracts": {}, "steps": {}}
        if path.exists() and not fresh:
            self.data = json.loads(path.read_text())
            if int(self.data.get("chain_id", -1)) != chain_id:
                raise DeploymentError(
                    f"{path} records chain {self.data.get('chain_id')}, but the node reports chain {chain_id}"
                )

    def done(self, step: str) -> Any:
        return self.data["steps"].get(step)

    def pending(self, step: str) -> dict[str, str] | None:
        """A deployment of `step` that was sent but not seen confirmed: {"tx", "address"}."""
        found: dict[str, str] | None = self.data.get("pending", {}).get(step)
        return found

    def sent(self, step: str, tx_hash: str, address: str) -> None:
        self.data.setdefault("pending", {})[step] = {"tx": tx_hash, "address": address}
        self._write()

    def record(self, step: str, value: Any, contract: str | None = None) -> None:
        self.data["steps"][step] = value
        if contract is not None:
            self.data["contracts"][contract] = value
        pending = self.data.get("pending", {})
        pending.pop(step, None)
        if not pending:
            self.data.pop("pending", None)
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.path)  # atomic: a crash never leaves half a file


def deploy_suite(
    w3: Web3,
    deployer: Signer,
    plan: DeployPlan | None = None,
    *,
    sender: TxSender | None = None,
    directory: Path | None = None,
    fresh: bool = False,
    echo: Callable[[str], None] = print,
) -> Deployment:
    """Deploys (or resumes deploying) the suite and returns its addresses.

    Each step is recorded in deployments/<chainId>.json as soon as it is done, and each
    deployment as soon as it is sent (its transaction and the address it deploys to), so that a
    later call skips steps whose result is on chain, adopts a contract whose deployment was sent
    before an interruption, and deploys nothing twice. `fresh` ignores an existing file (local
    chains that were restarted).
    """
    plan = plan or DeployPlan()
    sender = sender or TxSender(w3)
    me = address_of(deployer)
    chain_id = w3.eth.chain_id
    log = _StepLog(registry_path(chain_id, directory), chain_id, fresh)
    admin = plan.admin or me

    def deployed(step: str, name: str, *args: Any) -> Contract:
        recorded = log.done(step)
        if recorded and w3.eth.get_code(recorded):
            echo(f"  = {step}: already at {recorded}")
            return contract_at(w3, name, recorded)
        sent = _sent_before(w3, step, name, log)
        if sent is not None:
            echo(f"  = {step}: its deployment {Web3.to_hex(sent.tx_hash)} was sent before; waiting for it")
        else:
            echo(f"  + {step}: deploying {name}")
            sent = sender.send_deployment(name, deployer, *args)
            log.sent(step, Web3.to_hex(sent.tx_hash), sent.address)
        contract = sender.finish_deployment(sent)
        log.record(step, contract.address, contract=step)
        echo(f"    {step} at {contract.address}")
        return contract

    echo(f"Deploying compute-rwa to chain {chain_id} from {me}")
    payment = plan.payment_token
    if payment is None:
        payment = deployed("PaymentToken", "MockStablecoin", "Demo USD", "dUSD", 6).address
    else:
        log.record("PaymentToken", payment, contract="PaymentToken")
    implementation = deployed("ShareTokenImplementation", "ShareToken")
    registry = deployed(
        "AssetRegistry",
        "AssetRegistry",
        admin,
        plan.admin_transfer_delay,
        implementation.address,
        plan.treasury or me,
        plan.protocol_fee_bps,
    )
    op = plan.oracle
    genesis = op.genesis
    if genesis is None:
        now = int(w3.eth.get_block("latest")["timestamp"])
        genesis = now - now % op.epoch_seconds
    bond_token = op.bond_token or payment
    unit = 10 ** int(contract_at(w3, "MockStablecoin", bond_token).functions.decimals().call())
    oracle = deployed(
        "MetricsOracle",
        "MetricsOracle",
        admin,
        plan.admin_transfer_delay,
        registry.address,
        bond_token,
        op.epoch_seconds,
        genesis,
        (
            op.dispute_window,
            op.resolution_timeout,
            op.challenge_bond_tokens * unit,
            op.slash_tokens * unit,
            op.min_signer_bond_tokens * unit,
        ),
    )
    lease_terms = deployed("LeaseTerms", "LeaseTerms", registry.address)
    manager = deployed(
        "LeaseManager", "LeaseManager", registry.address, oracle.address, lease_terms.address, plan.lease_report_grace
    )
    log.record("LeasePositions", manager.functions.positions().call(), contract="LeasePositions")
    deployed("ShareValuator", "ShareValuator", registry.address, oracle.address)
    deployed("MarketFactory", "MarketFactory")
    if admin == me:
        _grant_roles(registry, deployer, sender, plan, log, echo)
        _configure_oracle(registry, oracle, deployer, sender, plan, log, echo)
        if registry.functions.leaseManager().call() != manager.address:
            echo("  + registry lets the lease manager keep escrow in share tokens")
            sender.transact(registry.functions.setLeaseManager(manager.address), deployer, "AssetRegistry")
            log.record("lease-manager:" + manager.address, True)
        if not registry.functions.isPaymentTokenAllowed(payment).call():
            echo(f"  + allowing payment token {payment}")
            sender.transact(registry.functions.setPaymentTokenAllowed(payment, True), deployer, "AssetRegistry")
            log.record("allow:" + payment, True)
    else:
        echo("  ! admin is not the deployer: the admin grants roles and allows the payment token")
    log.data["admin"] = admin
    log.record("complete", True)
    return Deployment.load(log.path)


def _sent_before(w3: Web3, step: str, name: str, log: _StepLog) -> SentDeployment | None:
    """The recorded deployment of `step` if the node knows its transaction (mined or still
    pending), else None: it was dropped, and the step is deployed anew."""
    pending = log.pending(step)
    if pending is None:
        return None
    tx_hash = HexBytes(pending["tx"])
    try:
        w3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return None
    return SentDeployment(name, tx_hash, Web3.to_checksum_address(pending["address"]))


def _grant_roles(
    registry: Contract,
    deployer: Signer,
    sender: TxSender,
    plan: DeployPlan,
    log: _StepLog,
    echo: Callable[[str], None],
) -> None:
    me = address_of(deployer)
    holders = {
        "OPERATOR_ROLE": plan.operators or (me,),
        "COMPLIANCE_ROLE": plan.compliance_agents or (me,),
        "PAUSER_ROLE": plan.pausers or (me,),
    }
    _grant(registry, "AssetRegistry", holders, deployer, sender, log, echo)


def _grant(
    contract: Contract,
    label: str,
    holders: dict[str, tuple[ChecksumAddress, ...]],
    deployer: Signer,
    sender: TxSender,
    log: _StepLog,
    echo: Callable[[str], None],
) -> None:
    """Grants each role to its accounts on `contract`, skipping grants already on chain."""
    for role_name, accounts in holders.items():
        role = contract.functions[role_name]().call()
        for account in accounts:
            if contract.functions.hasRole(role, account).call():
                continue
            echo(f"  + granting {label} {role_name} to {account}")
            sender.transact(contract.functions.grantRole(role, account), deployer, label)
            log.record(f"grant:{label}:{role_name}:{account}", True)


def _configure_oracle(
    registry: Contract,
    oracle: Contract,
    deployer: Signer,
    sender: TxSender,
    plan: DeployPlan,
    log: _StepLog,
    echo: Callable[[str], None],
) -> None:
    me = address_of(deployer)
    if registry.functions.inventoryListener().call() != oracle.address:
        echo("  + registry tells the oracle of inventory changes")
        sender.transact(registry.functions.setInventoryListener(oracle.address), deployer, "AssetRegistry")
        log.record("listener:" + oracle.address, True)
    oracle_roles = {"ARBITER_ROLE": plan.oracle.arbiters or (me,), "PAUSER_ROLE": plan.pausers or (me,)}
    _grant(oracle, "MetricsOracle", oracle_roles, deployer, sender, log, echo)
    signers = list(plan.oracle.signers)
    if signers:
        _version, threshold, current = oracle.functions.signerConfig().call()
        if list(current) != signers or threshold != plan.oracle.threshold:
            echo(f"  + oracle signers: {plan.oracle.threshold} of {len(signers)}")
            sender.transact(oracle.functions.setSigners(signers, plan.oracle.threshold), deployer, "MetricsOracle")
            log.record("oracle-signers", signers)
