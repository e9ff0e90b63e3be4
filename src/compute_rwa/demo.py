"""`make demo`: the foundation's story on a fresh local anvil, start to finish.

Deploys the suite, registers GPU nodes taken from Alibaba's 2026 spot-GPU fleet list as
assets (each with its own ERC-20 share token and hardware inventory hash), sells shares to
investors, pays a month of lease revenue through the fee waterfall, lets every holder claim
from all assets in one transaction, and prints what happened and where every unit went. Then
the oracle feeder replays a real GPU trace on the H800 nodes and puts a day of hourly usage
and efficiency reports on-chain, signed by a quorum of bonded signers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from web3.logs import DISCARD

from compute_rwa import DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain
from compute_rwa.demo_lease import run_lease_chapter
from compute_rwa.demo_market import run_lending_chapter, start_valuation
from compute_rwa.demo_oracle import DEMO_SIGNER_KEYS, DEMO_THRESHOLD, run_oracle_chapter
from compute_rwa.deploy import OraclePlan, registry_path
from compute_rwa.fleet import GpuNode, demo_fleet
from compute_rwa.oracle.client import OracleClient
from compute_rwa.tx import TxSender

USD = 10**6  # the demo stablecoin has 6 decimals, like USDC

#: Illustrative on-demand prices per GPU-hour (USD) for the month of revenue the first chapter
#: pays in directly; the leasing chapter prices H800 hours on-chain.
PRICE_PER_GPU_HOUR = {
    "NVIDIA A100-SXM4-80GB": 1.29,
    "NVIDIA A800-SXM4-80GB": 1.19,
    "NVIDIA H800 SXM5 80GB": 2.19,
}
HOURS_IN_MONTH = 30 * 24
BOOKED_SHARE = 0.72  # share of GPU-hours sold during the month


@dataclass
class DemoAsset:
    asset_id: int
    node: GpuNode
    revenue: int = 0


def usd(amount: int) -> str:
    return f"${amount / USD:,.2f}"


def run(console: Console, directory: Path | None = None) -> dict[str, int]:
    with LocalChain("anvil") as chain:
        console.print(f"[bold]compute-rwa demo[/bold] — local anvil on {chain.url}")
        w3 = chain.web3()
        a = list(w3.eth.accounts)
        admin, operator, compliance, pauser, treasury, fleet_owner, lessee = a[0], a[1], a[2], a[3], a[4], a[5], a[9]
        investors = [a[6], a[7], a[8]]
        sender = TxSender(w3)
        plan = DeployPlan(
            treasury=treasury,
            operators=(operator,),
            compliance_agents=(compliance,),
            pausers=(pauser,),
            protocol_fee_bps=500,
            admin_transfer_delay=3600,
            # Epoch 0 of the oracle began a day ago: the replayed trace fills the hours since.
            oracle=OraclePlan(
                genesis=int(w3.eth.get_block("latest")["timestamp"]) // 3600 * 3600 - 24 * 3600,
                signers=tuple(k.address for k in DEMO_SIGNER_KEYS),
                threshold=DEMO_THRESHOLD,
            ),
        )
        deployment = deploy_suite(
            w3, admin, plan, sender=sender, directory=directory, fresh=True, echo=lambda s: console.print(s)
        )
        suite = SuiteClient(w3, deployment, sender)

        console.print("\n[bold]Registering GPU nodes from Alibaba's 2026 spot-GPU fleet list[/bold]")
        assets: list[DemoAsset] = []
        register_gas = []
        for node in demo_fleet():
            registration = node.registration(
                operator=operator,
                owner=fleet_owner,
                payment_token=deployment.payment_token,
                operator_fee_bps=1000,
                reserve_bps=500,
            )
            receipt = sender.transact(suite.registry.functions.registerAsset(registration.to_abi()), operator, "R")
            (event,) = suite.registry.events.AssetRegistered().process_receipt(receipt, errors=DISCARD)
            assets.append(DemoAsset(int(event["args"]["assetId"]), node))
            register_gas.append(int(receipt["gasUsed"]))
        fleet_table = Table(title="Fleet on-chain", show_lines=False)
        for column in ("asset", "share token", "node (trace id)", "model", "GPUs", "TFLOPS", "power", "inventory hash"):
            fleet_table.add_column(column)
        for item in assets:
            spec = suite.asset(item.asset_id)
            token = suite.share_token(item.asset_id)
            fleet_table.add_row(
                str(item.asset_id),
                token.functions.symbol().call(),
                item.node.node_name,
                spec.gpu_model,
                str(spec.gpu_count),
                f"{spec.rated_tflops:,}",
                f"{spec.rated_power_watts:,} W",
                "0x" + spec.inventory_hash.hex()[:12] + "…",
            )
        console.print(fleet_table)

        console.print("\n[bold]Investors buy shares (1 share = 1 GPU)[/bold]")
        for index, item in enumerate(assets):
            buyer = investors[index % len(investors)]
            gpus = item.node.gpu_count // 2
            suite.transfer_shares(item.asset_id, fleet_owner, buyer, gpus * 10**18)
            console.print(f"  investor {buyer[:10]}… bought {gpus} GPU shares of asset {item.asset_id}")
            if index == 0:  # a second investor takes a quarter of the first node
                suite.transfer_shares(item.asset_id, fleet_owner, investors[2], 2 * 10**18)
                console.print(f"  investor {investors[2][:10]}… bought 2 GPU shares of asset {item.asset_id}")

        console.print("\n[bold]A month of lease revenue flows through each asset's waterfall[/bold]")
        suite.sender.transact(suite.payment_token.functions.mint(lessee, 10**15), admin, "USD")
        waterfall = Table(title="Revenue waterfall (10% operator, 5% protocol, 5% reserve)")
        for column in ("asset", "model", "revenue", "operator", "protocol", "reserve", "to holders"):
            waterfall.add_column(column, justify="right")
        for item in assets:
            price = PRICE_PER_GPU_HOUR[item.node.model.name]
            item.revenue = round(item.node.gpu_count * HOURS_IN_MONTH * BOOKED_SHARE * price * USD)
            receipt = suite.distribute(item.asset_id, item.revenue, lessee)
            token = suite.share_token(item.asset_id)
            (event,) = token.events.RevenueDistributed().process_receipt(receipt, errors=DISCARD)
            args = event["args"]
            waterfall.add_row(
                str(item.asset_id),
                item.node.model.name.replace("NVIDIA ", ""),
                usd(args["amount"]),
                usd(args["operatorFee"]),
                usd(args["protocolFee"]),
                usd(args["toReserve"]),
                usd(args["toHolders"]),
            )
        console.print(waterfall)

        console.print("\n[bold]Every holder claims from all assets in one transaction[/bold]")
        ids = [item.asset_id for item in assets]
        claims = Table(title="Claims")
        claims.add_column("holder")
        claims.add_column("claimed", justify="right")
        claims.add_column("gas", justify="right")
        total_claimed = 0
        for holder in [fleet_owner, *investors]:
            receipt = sender.transact(suite.registry.functions.claimMany(ids), holder, "R")
            paid = suite.payment_token.functions.balanceOf(holder).call()
            total_claimed += paid
            claims.add_row(holder, usd(paid), f"{receipt['gasUsed']:,}")
        console.print(claims)

        for item in assets:
            token = suite.share_token(item.asset_id)
            sender.transact(token.functions.withdrawOperatorFees(), operator, "S")
            sender.transact(token.functions.withdrawProtocolFees(), treasury, "S")
        paid_in = sum(item.revenue for item in assets)
        reserves = sum(suite.pools(i).reserve for i in ids)
        left_in_tokens = sum(suite.payment_token.functions.balanceOf(suite.share_token(i).address).call() for i in ids)
        operator_got = suite.payment_token.functions.balanceOf(operator).call()
        treasury_got = suite.payment_token.functions.balanceOf(treasury).call()
        unclaimed = left_in_tokens - reserves
        console.print(
            f"\n[bold]Conservation[/bold]: paid in {usd(paid_in)} = holders {usd(total_claimed)} + operator "
            f"{usd(operator_got)} + treasury {usd(treasury_got)} + reserves {usd(reserves)}"
            f" + carried remainder {unclaimed} units"
        )
        if paid_in != total_claimed + operator_got + treasury_got + reserves + unclaimed or unclaimed < 0:
            raise SystemExit("conservation check failed")
        console.print(
            f"Registration gas per asset: {min(register_gas):,}–{max(register_gas):,} "
            "(a clone of one share-token implementation).\n"
            f"Deployment registry: {registry_path(w3.eth.chain_id, directory)}"
        )
        assert deployment.oracle is not None
        oracle = OracleClient(w3, deployment.oracle, sender)
        suite.sender.transact(suite.payment_token.functions.mint(admin, 10**12), admin, "USD")
        suite.sender.transact(suite.payment_token.functions.approve(oracle.address, 2**256 - 1), admin, "USD")
        for key in DEMO_SIGNER_KEYS:  # signers post bonds before they count towards the quorum
            oracle.deposit_bond(key.address, 2_000 * USD, admin)
        h800 = [(a.asset_id, a.node) for a in assets if "H800" in a.node.model.name]
        oracle_counts = run_oracle_chapter(console, suite, oracle, h800, admin=admin, challenger=a[10])
        start_valuation(console, suite, h800[0][0], admin=admin, keeper=a[16])
        lease_counts = run_lease_chapter(
            console,
            suite,
            oracle,
            h800,
            operator=operator,
            admin=admin,
            lessees=(a[11], a[12], a[13], a[14]),
            buyer=a[15],
            keeper=a[16],
        )
        lending_counts = run_lending_chapter(
            console, suite, oracle, h800, asset_id=h800[0][0], admin=admin, borrower=fleet_owner, lender=a[17],
            keeper=a[16],
        )  # fmt: skip
        from compute_rwa.artifacts import PROJECT_ROOT
        from compute_rwa.report import collect, write_report

        console.print("\n[bold]Dashboard[/bold]: everything above, read back from the chain (compute-rwa report)")
        dashboard = collect(w3, deployment)
        report = write_report(dashboard, (directory or PROJECT_ROOT / "reports") / "dashboard")
        console.print(f"Dashboard written to [bold]{report.html}[/bold] (charts beside it): open it in a browser.")
        return {
            "paid_in": paid_in, "claimed": total_claimed, "reserves": reserves,
            **oracle_counts, **lease_counts, **lending_counts, "report_charts": len(report.charts),
        }  # fmt: skip


def main() -> int:
    console = Console(width=120)
    run(console, directory=None if len(sys.argv) < 2 else Path(sys.argv[1]))
    console.print("\n[green]Demo complete.[/green] The local chain has been stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
