"""Claim a holder's revenue: what each asset owes it, one asset with `claim()`, the rest in one
transaction with `AssetRegistry.claimMany`.

What an integrator learns here:

- Every asset's revenue is paid in that asset's payment token into its share token, through the
  fee waterfall, and accrues to whoever holds the shares at the time (a transfer never moves
  revenue already earned). `ShareToken.claimableOf(holder)` is what the holder can take now, in
  payment-token units; find an asset's share token with `AssetRegistry.shareTokenOf(assetId)`,
  the assets with `assetCount()` (ids run from 1).
- `ShareToken.claim()` pays the caller (pull); it emits `RevenueClaimed(holder, amount)` on the
  share token. `AssetRegistry.claimMany(assetIds)` claims from many assets in one transaction,
  each paid in its own token, and returns the amounts in the order given (at most
  MAX_CLAIM_BATCH ids; an asset with nothing owed pays zero). Both work while paused.
- Index `RevenueClaimed` on the share tokens (not on the registry) to follow claims, and
  `RevenueDistributed` to follow payments in.

Signers: an address the node signs for (dev chains) or env:VAR, a private key in $VAR.

Run:
    python examples/claim_revenue.py --rpc http://127.0.0.1:8545 \\
        --deployment deployments/31337.json --holder 0xHOLDER [--assets 1,2,3]
"""

from __future__ import annotations

import sys

from web3.logs import DISCARD

from compute_rwa.integrator.scripting import SIGNER_HELP, example_parser, open_deployment, parse_signer
from compute_rwa.lease.models import format_units
from compute_rwa.tx import TxSender, address_of, contract_at


def main(argv: list[str] | None = None) -> int:
    parser = example_parser(__doc__)
    parser.add_argument("--holder", required=True, help=f"share holder who claims: {SIGNER_HELP}")
    parser.add_argument("--assets", help="comma-separated asset ids (default: every asset)")
    args = parser.parse_args(argv)
    w3, deployment = open_deployment(args.rpc, args.deployment)
    sender = TxSender(w3)
    holder = parse_signer(args.holder)
    me = address_of(holder)

    registry = contract_at(w3, "AssetRegistry", deployment.registry)
    ids = (
        [int(i) for i in args.assets.split(",")]
        if args.assets
        else list(range(1, registry.functions.assetCount().call() + 1))
    )

    # 1. What each asset owes the holder, in its own payment token.
    owed: dict[int, int] = {}
    tokens = {}
    for asset_id in ids:
        share = contract_at(w3, "ShareToken", registry.functions.shareTokenOf(asset_id).call())
        payment = contract_at(w3, "IERC20Metadata", share.functions.paymentToken().call())
        tokens[asset_id] = (share, payment, payment.functions.decimals().call(), payment.functions.symbol().call())
        owed[asset_id] = share.functions.claimableOf(me).call()
        _, _, decimals, symbol = tokens[asset_id]
        print(f"asset {asset_id}: claimable {format_units(owed[asset_id], decimals)} {symbol}")
    due = [asset_id for asset_id in ids if owed[asset_id] > 0]
    if not due:
        print("nothing to claim")
        return 0

    # 2. One asset: claim() on its share token pays the caller.
    first = due[0]
    share, payment, decimals, symbol = tokens[first]
    before = payment.functions.balanceOf(me).call()
    receipt = sender.transact(share.functions.claim(), holder, "ShareToken")
    (claimed,) = share.events.RevenueClaimed().process_receipt(receipt, errors=DISCARD)
    received = payment.functions.balanceOf(me).call() - before
    print(f"claim() on asset {first}: RevenueClaimed {format_units(claimed['args']['amount'], decimals)} {symbol}")
    assert received == claimed["args"]["amount"] == owed[first]

    # 3. The rest in one transaction through the registry.
    rest = due[1:]
    if rest:
        amounts = registry.functions.claimMany(rest).call({"from": me})  # what the transaction will pay
        receipt = sender.transact(registry.functions.claimMany(rest), holder, "AssetRegistry")
        for asset_id, amount in zip(rest, amounts, strict=True):
            share, _, decimals, symbol = tokens[asset_id]
            events = share.events.RevenueClaimed().process_receipt(receipt, errors=DISCARD)
            paid = sum(e["args"]["amount"] for e in events if e["address"] == share.address)
            print(f"claimMany: asset {asset_id} paid {format_units(paid, decimals)} {symbol}")
            assert paid == amount == owed[asset_id]
    left = {asset_id: tokens[asset_id][0].functions.claimableOf(me).call() for asset_id in ids}
    print(f"claimable now: {left}")
    return 0 if not any(left.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
