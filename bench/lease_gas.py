"""Gas of leasing, from receipts of real LeaseManager transactions on a local chain.

Steady state as the bench brief asks, on a suite of its own (3 of 5 oracle signers, default
lease policy: 99% uptime SLA, 10% termination fee; static price 2.00 dUSD per GPU-hour):

- `lease_open`: 1 GPU for 24 epochs on an 8-GPU asset that already has leases, by a lessee who
  already holds a position, with the payment token already held by the share token (escrow)
  and by the lessee, and the manager approved for the maximum (no allowance write);
- `lease_settle`: `settle(id, 1)` of one epoch whose report is Final with uptime at the SLA
  target (no credit), on an asset whose share token already received lease revenue;
- `lease_settle_with_credit`: the same with uptime below the target (the lease's first credit:
  its claimable slot goes from zero to non-zero, as for any lease whose owner has claimed);
- `lease_terminate`: the lessee ends a running 96-epoch lease mid-way (settled up to date);
  refund paid to the lessee, fee through the waterfall of a share token with revenue history;
- `lease_settle_per_epoch_by_epochs`: gas per epoch of `settle(id, n)`; "24" settles a whole
  24-epoch lease in one call, which closes it and releases its capacity;
- `lease_open_by_active_leases`: the `lease_open` above on a 1,024-GPU asset with 0, 10, 100
  and 1,000 other active (open, unexpired) leases. Before "0" the asset had one lease, ended
  and released, so its state is cached as it is for any asset that has been leased; the
  lessee holds positions on the 8-GPU asset throughout. The other leases are a second
  account's 1-GPU 24-epoch leases, plus the lessee's own earlier measured ones.

First-time costs go under `cold`. The bench moves the chain's clock forward (days): run it
after anything that depends on wall-clock time. `python bench/lease_gas.py` runs it alone on
its own anvil.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from compute_rwa import DeployPlan, SuiteClient, deploy_suite
from compute_rwa.deploy import OraclePlan
from compute_rwa.fleet import GPU_MODELS, GpuNode
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.reports import Report, join_signatures, pack_reports, sign_batch
from compute_rwa.tx import TxSender, contract_at

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oracle_gas import KEYS

USD = 10**6
MAX = 2**256 - 1
PRICE = 2 * USD  # per GPU-hour
AT_TARGET_BPS = 9_900  # the default policy's SLA target
BELOW_TARGET_BPS = 9_500
LEASE_EPOCHS = 24
ACTIVE_COUNTS = (0, 10, 100, 1000)
SCALING_GPUS = 1_024


class LeaseBench:
    """A suite with its oracle (3 of 5 bonded signers), a funded lessee and a second one."""

    def __init__(self, w3: Web3, progress: Callable[[str], None]) -> None:
        self.w3 = w3
        self.progress = progress
        a = w3.eth.accounts
        self.admin, self.operator, self.lessee, self.other, self.keeper = a[0], a[1], a[2], a[3], a[4]
        plan = DeployPlan(
            operators=(self.operator,),
            admin_transfer_delay=0,
            oracle=OraclePlan(signers=tuple(k.address for k in KEYS[:5]), threshold=3),
        )
        deployment = deploy_suite(w3, self.admin, plan, directory=Path(tempfile.mkdtemp()), echo=lambda _: None)
        self.suite = SuiteClient(w3, deployment, TxSender(w3))
        assert deployment.oracle and deployment.lease_manager and deployment.lease_terms
        self.oracle = OracleClient(w3, deployment.oracle, self.suite.sender)
        self.manager = contract_at(w3, "LeaseManager", deployment.lease_manager)
        self.terms = contract_at(w3, "LeaseTerms", deployment.lease_terms)
        self.usd = self.suite.payment_token
        self.tx(self.usd.functions.mint(self.admin, 10**15))
        self.tx(self.usd.functions.approve(self.oracle.address, MAX))
        for key in KEYS[:5]:
            self.oracle.deposit_bond(key.address, 5_000 * USD, self.admin)
        for account in (self.lessee, self.other):
            self.tx(self.usd.functions.mint(account, 10**15))
            self.tx(self.usd.functions.approve(self.manager.address, MAX), account)
        self.inventories: dict[int, bytes] = {}
        self.registrations = 0

    def tx(self, fn: Any, sender: str | None = None) -> TxReceipt:
        return self.suite.sender.transact(fn, sender or self.admin, "lease-bench")

    def asset(self, gpus: int) -> int:
        """A registered H100 asset of `gpus` GPUs, priced, synced in the oracle."""
        self.registrations += 1
        node = GpuNode(f"lease-bench-{self.registrations}", GPU_MODELS["H100"], gpus, "us-east-1")
        registration = node.registration(operator=self.operator, owner=self.admin, payment_token=self.usd.address)
        asset_id, _ = self.suite.register_asset(registration, self.operator)
        self.tx(self.terms.functions.setPricing(asset_id, (PRICE, False, 0, 0)), self.operator)
        self.oracle.sync_assets([asset_id], self.admin)
        self.inventories[asset_id] = registration.inventory_hash
        return asset_id

    def open(self, asset_id: int, lessee: str, epochs: int = LEASE_EPOCHS) -> tuple[int, int]:
        """Opens a 1-GPU lease starting next epoch; returns (lease id, gas)."""
        receipt = self.tx(self.manager.functions.open((asset_id, 1, 0, epochs, MAX, lessee), [], []), lessee)
        (opened,) = self.manager.events.LeaseOpened().process_receipt(receipt, errors=DISCARD)
        return int(opened["args"]["leaseId"]), int(receipt["gasUsed"])

    def open_many(self, asset_id: int, lessee: str, count: int) -> None:
        """Sends `count` 1-GPU lease openings back to back, then waits for the last one."""
        if count == 0:
            return
        fn = self.manager.functions.open((asset_id, 1, 0, LEASE_EPOCHS, MAX, lessee), [], [])
        gas = fn.estimate_gas({"from": lessee}) * 3 // 2
        tx = fn.build_transaction(
            {
                "from": lessee,
                "gas": gas,
                "gasPrice": 2 * self.w3.eth.gas_price,
                "chainId": self.w3.eth.chain_id,
                "nonce": 0,
            }
        )
        nonce = self.w3.eth.get_transaction_count(lessee, "pending")
        booked_before = self.capacity(asset_id)[0]
        hashes = [self.w3.eth.send_transaction({**tx, "nonce": nonce + i}) for i in range(count)]
        self.suite.sender.wait(hashes[-1])
        booked = self.capacity(asset_id)[0]
        if booked != booked_before + count:
            failed = sum(1 for h in hashes if self.w3.eth.get_transaction_receipt(h)["status"] != 1)
            raise RuntimeError(f"lease bench: {failed} of {count} batched lease openings failed")

    def capacity(self, asset_id: int) -> tuple[int, int]:
        booked, gpu_count = self.manager.functions.capacityOf(asset_id).call()
        return int(booked), int(gpu_count)

    def settle(self, lease_id: int, epochs: int) -> tuple[int, dict[str, Any]]:
        """settle(lease_id, epochs) from a keeper; returns (gas, the LeaseSettled event)."""
        receipt = self.tx(self.manager.functions.settle(lease_id, epochs), self.keeper)
        (settled,) = self.manager.events.LeaseSettled().process_receipt(receipt, errors=DISCARD)
        return int(receipt["gasUsed"]), dict(settled["args"])

    def report(self, uptimes: dict[int, Sequence[tuple[int, int]]]) -> None:
        """Submits one signed batch: {asset: [(epoch, uptime bps), ...]} for 8-GPU assets."""
        reports = [
            Report(
                asset_id=asset_id,
                epoch=epoch,
                inventory_hash=self.inventories[asset_id],
                utilization_bps=8_000,
                uptime_bps=uptime,
                gpu_hours_milli=6_400,
                energy_wh=4_960,
                avg_power_w=4_960,
            )
            for asset_id, epochs in uptimes.items()
            for epoch, uptime in epochs
        ]
        packed = pack_reports(reports)
        domain = self.oracle.domain()
        self.oracle.submit(packed, join_signatures([sign_batch(domain, packed, k) for k in KEYS[:3]]), self.admin)

    def warp_to(self, timestamp: int) -> None:
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        if timestamp > now:
            self.w3.provider.make_request("evm_increaseTime", [timestamp - now])  # type: ignore[arg-type]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def epoch_start(self, epoch: int) -> int:
        return int(self.manager.functions.epochStart(epoch).call())

    def lease(self, lease_id: int) -> dict[str, Any]:
        names = [c["name"] for c in self.manager.functions.lease(lease_id).abi["outputs"][0]["components"]]
        return dict(zip(names, self.manager.functions.lease(lease_id).call(), strict=True))


def measure_leases(w3: Web3, progress: Callable[[str], None], scaling: bool = True) -> dict[str, Any]:
    """Lease gas figures: {"gas": {...}, "scaling": {...}, "cold": {...}}. `scaling` False skips
    the 1,000-lease table (its figures come back as None)."""
    started = time.monotonic()
    progress("leases: open, settle, terminate")
    bench = LeaseBench(w3, progress)
    lessee, other = bench.lessee, bench.other
    gas: dict[str, int] = {}
    cold: dict[str, int] = {}
    asset = bench.asset(8)  # open, settle, terminate
    credit_asset = bench.asset(8)  # uptime below target

    # Opening. The asset's first lease caches its state; it is the lessee's first position and
    # the share token's first escrow.
    first, cold["lease_open_first"] = bench.open(asset, lessee)
    measured, gas["lease_open"] = bench.open(asset, lessee)
    terminated, _ = bench.open(asset, lessee, epochs=96)
    whole, _ = bench.open(asset, lessee)
    credited, _ = bench.open(credit_asset, other)
    start = bench.lease(first)["startEpoch"]
    assert all(bench.lease(i)["startEpoch"] == start for i in (measured, terminated, whole, credited))

    # Reports for all 24 epochs (at target) once they have ended, Final a dispute window later.
    bench.warp_to(bench.epoch_start(start + LEASE_EPOCHS) + 60)
    epochs = range(start, start + LEASE_EPOCHS)
    bench.report({asset: [(e, AT_TARGET_BPS) for e in epochs], credit_asset: [(start, 10_000), (start + 1, 9_500)]})
    final_at = bench.oracle.contract.functions.reportStatus(asset, start + LEASE_EPOCHS - 1).call()[3]
    bench.warp_to(int(final_at) + 1)

    # Settling. The first settlement is the share token's first lease revenue.
    cold["lease_settle_first_revenue"], event = bench.settle(first, 1)
    gas["lease_settle"], event = bench.settle(measured, 1)
    assert event["credited"] == 0 and event["released"] > 0, event
    bench.settle(credited, 1)
    gas["lease_settle_with_credit"], event = bench.settle(credited, 1)
    assert event["credited"] > 0, event
    per_epoch = {"1": gas["lease_settle"]}
    total, event = bench.settle(whole, LEASE_EPOCHS)
    assert event["toEpoch"] - event["fromEpoch"] == LEASE_EPOCHS and event["credited"] == 0, event
    per_epoch[str(LEASE_EPOCHS)] = total // LEASE_EPOCHS

    # Terminating mid-way: the 96-epoch lease, settled up to date, ends after this epoch.
    bench.settle(terminated, LEASE_EPOCHS)
    receipt = bench.tx(bench.manager.functions.terminate(terminated), lessee)
    (ended,) = bench.manager.events.LeaseTerminated().process_receipt(receipt, errors=DISCARD)
    assert ended["args"]["refund"] > 0 and ended["args"]["fee"] > 0, ended["args"]
    gas["lease_terminate"] = int(receipt["gasUsed"])
    for key in ("lease_open", "lease_settle", "lease_settle_with_credit", "lease_terminate"):
        progress(f"  {key}: {gas[key]:,} gas")
    progress(f"  settle 24 epochs in one call: {per_epoch['24']:,} gas per epoch")

    by_active: dict[str, int | None] = {str(n): None for n in ACTIVE_COUNTS}
    if scaling:
        progress(f"leases: open with 0 to 1,000 active leases on a {SCALING_GPUS:,}-GPU asset")
        big = bench.asset(SCALING_GPUS)
        # One lease that has come and gone, so that "0" is an asset with a lease history.
        gone, _ = bench.open(big, other, epochs=1)
        bench.warp_to(bench.epoch_start(bench.lease(gone)["endEpoch"]))
        bench.tx(bench.manager.functions.releaseCapacity([gone]), bench.keeper)
        active = 0
        for count in ACTIVE_COUNTS:
            bench.open_many(big, other, count - active)
            assert bench.capacity(big)[0] == count
            _, by_active[str(count)] = bench.open(big, lessee)
            active = count + 1
            progress(f"  {count:,} active leases: open {by_active[str(count)]:,} gas")
    progress(f"leases: done in {time.monotonic() - started:.0f} s")
    return {
        "gas": gas,
        "scaling": {"lease_open_by_active_leases": by_active, "lease_settle_per_epoch_by_epochs": per_epoch},
        "cold": cold,
    }


def main() -> int:
    """Runs the lease bench alone on its own anvil and prints the figures."""
    import json

    from compute_rwa.chain import LocalChain

    with LocalChain("anvil") as chain:
        results = measure_leases(chain.web3(), lambda message: print(message, flush=True))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
