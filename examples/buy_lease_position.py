"""Lease GPUs and pass the lease on: quote, open with a price ceiling, read the position's
tokenURI, and transfer the ERC-721 position to a buyer.

What an integrator learns here:

- `LeaseManager.quote(assetId, gpus, epochs)` gives the total to escrow and the price per
  GPU-hour it locks (one epoch is one hour on an hourly oracle). Prices can move between quote
  and transaction (dynamic pricing rises with bookings), so `open` takes `maxTotalPrice`: the
  call reverts rather than charge more. Pay with the asset's payment token: approve the
  LeaseManager for that ceiling first; only the actual total is pulled.
- `open(LeaseRequest(assetId, gpus, startEpoch = 0 for the next epoch, epochs, maxTotalPrice,
  recipient), releaseFirst, predecessors)` mints a position, an ERC-721 of `LeasePositions`
  whose token id is the lease id (`LeaseOpened` carries it). Whoever owns the position holds the
  usage right and everything the lease is owed (SLA credits, refunds).
- Positions are ordinary ERC-721s: `tokenURI` is a base64 JSON data URI with the lease's terms,
  and `safeTransferFrom` moves the position. When the asset keeps a lessee allow list, only
  allowed accounts may receive it: check `LeaseManager.canTransfer(from, to, leaseId)` first
  (the transfer reverts with PositionsTransferNotAllowed otherwise). This script transfers for
  free; a sale settles the payment wherever the position is traded.

Signers: an address the node signs for (dev chains) or env:VAR, a private key in $VAR.

Run:
    python examples/buy_lease_position.py --rpc http://127.0.0.1:8545 \\
        --deployment deployments/31337.json --asset 1 --gpus 2 --hours 24 \\
        --lessee 0xLESSEE --buyer 0xBUYER [--slippage-bps 100]
"""

from __future__ import annotations

import base64
import json
import sys

from web3.logs import DISCARD

from compute_rwa.integrator.scripting import SIGNER_HELP, example_parser, open_deployment, parse_signer
from compute_rwa.lease.models import format_units
from compute_rwa.tx import TxSender, address_of, contract_at


def main(argv: list[str] | None = None) -> int:
    parser = example_parser(__doc__)
    parser.add_argument("--asset", type=int, required=True, help="asset id to lease GPUs of")
    parser.add_argument("--gpus", type=int, default=1, help="GPUs to lease")
    parser.add_argument("--hours", type=int, default=24, help="lease length in oracle epochs (hours)")
    parser.add_argument("--lessee", required=True, help=f"who pays and first owns the position: {SIGNER_HELP}")
    parser.add_argument("--buyer", required=True, help="address the position is transferred to")
    parser.add_argument("--slippage-bps", type=int, default=100, help="tolerance over the quote, basis points")
    args = parser.parse_args(argv)
    w3, deployment = open_deployment(args.rpc, args.deployment)
    sender = TxSender(w3)
    lessee = parse_signer(args.lessee)
    buyer = w3.to_checksum_address(args.buyer)
    assert deployment.lease_manager is not None

    manager = contract_at(w3, "LeaseManager", deployment.lease_manager)
    positions = contract_at(w3, "LeasePositions", manager.functions.positions().call())
    registry = contract_at(w3, "AssetRegistry", deployment.registry)
    share = contract_at(w3, "ShareToken", registry.functions.shareTokenOf(args.asset).call())
    token = contract_at(w3, "IERC20Metadata", share.functions.paymentToken().call())
    decimals, symbol = token.functions.decimals().call(), token.functions.symbol().call()

    # 1. Quote, and the ceiling the lessee accepts.
    booked, gpu_count = manager.functions.capacityOf(args.asset).call()
    total, per_gpu_hour = manager.functions.quote(args.asset, args.gpus, args.hours).call()
    ceiling = total * (10_000 + args.slippage_bps) // 10_000
    print(f"asset {args.asset}: {booked} of {gpu_count} GPUs booked")
    print(
        f"quote: {args.gpus} GPUs x {args.hours} h at {format_units(per_gpu_hour, decimals)} {symbol} per GPU-hour"
        f" = {format_units(total, decimals)} {symbol}; ceiling {format_units(ceiling, decimals)} {symbol}"
    )

    # 2. Approve the ceiling and open; the position is minted to the lessee.
    sender.transact(token.functions.approve(manager.address, ceiling), lessee, "PaymentToken")
    request = (args.asset, args.gpus, 0, args.hours, ceiling, address_of(lessee))
    receipt = sender.transact(manager.functions.open(request, [], []), lessee, "LeaseManager")
    (opened,) = manager.events.LeaseOpened().process_receipt(receipt, errors=DISCARD)
    lease_id = opened["args"]["leaseId"]
    print(
        f"lease {lease_id} opened: epochs {opened['args']['startEpoch']} to {opened['args']['endEpoch']}, "
        f"escrowed {format_units(opened['args']['total'], decimals)} {symbol}"
    )

    # 3. The position as wallets and marketplaces see it.
    uri = positions.functions.tokenURI(lease_id).call()
    metadata = json.loads(base64.b64decode(uri.removeprefix("data:application/json;base64,")))
    print(f"position {lease_id} of {positions.address}, owner {positions.functions.ownerOf(lease_id).call()}")
    print(f"  {metadata['name']}: {metadata['description']}")
    for attribute in metadata["attributes"]:
        print(f"    {attribute['trait_type']}: {attribute['value']}")

    # 4. Hand it to the buyer: an ERC-721 transfer, allowed only where the asset allows the buyer.
    if not manager.functions.canTransfer(address_of(lessee), buyer, lease_id).call():
        print(f"REFUSED: asset {args.asset} does not allow {buyer} to hold its leases")
        return 1
    transfer = positions.functions.safeTransferFrom(address_of(lessee), buyer, lease_id)
    sender.transact(transfer, lessee, "LeasePositions")
    owner = positions.functions.ownerOf(lease_id).call()
    view = manager.functions.lease(lease_id)
    lease = dict(zip([c["name"] for c in view.abi["outputs"][0]["components"]], view.call(), strict=True))
    print(f"position {lease_id} now owned by {owner}; escrow {format_units(lease['escrow'], decimals)} {symbol}")
    return 0 if owner == buyer else 1


if __name__ == "__main__":
    sys.exit(main())
