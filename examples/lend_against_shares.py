"""List a GPU asset's shares as collateral: read its price through our IOracle adapter, create an
isolated lending market for it with MarketFactory.createMarket, lend into it and borrow from it.

What an integrator learns here:

- Where the price comes from: `ShareValuator.feedOf(assetId)` is the asset's `SharePriceFeed`,
  one contract with two faces. As Morpho Blue's `IOracle`, `price()` is the value of ONE SHARE
  UNIT (1e-18 share) in loan-token units, scaled by 1e36, so
  `collateral units x price() / 1e36 = loan-token units`. As a Chainlink feed, the answer is
  the price of one whole share with the payment token's decimals; the two agree:
  `price() = answer x 1e18`. `price()` reverts (ValuationUnavailable, ValuationStale, ...)
  rather than answer a price that is not Ok, fresh, and, on an L2, backed by a live sequencer.
- A market is one immutable `MarketConfig` (share token, loan token = the asset's payment token,
  oracle = the feed, LLTV in WAD, a kinked rate curve per second in WAD, a minimum borrow); anyone
  creates one and finds it again through `MarketCreated` or `marketsOf(shareToken)`.
- Lenders use the market as an ERC-4626 vault (`deposit`, `redeem`, `convertToAssets`).
  Borrowers approve the share token, `supplyCollateral`, read `maxDebtOf`, `borrow`, and watch
  `healthFactor` (WAD; below 1e18 the position can be liquidated).
- Morpho Blue takes the same feed address as a market's `oracle`, with `peers/KinkedIrm` as its
  IRM: MarketParams(loanToken, collateralToken = share token, oracle = feed, irm, lltv). See
  tests/integration/test_morpho_peer.py for that flow against a local Morpho Blue.

Amounts on the command line are in whole tokens. Signers: an address the node signs for (dev
chains) or env:VAR, a private key in $VAR.

Run:
    python examples/lend_against_shares.py --rpc http://127.0.0.1:8545 \\
        --deployment deployments/31337.json --asset 1 --lender 0xLENDER --borrower 0xBORROWER \\
        --supply 50000 --collateral 4 [--borrow 10000] [--market 0xMARKET]
"""

from __future__ import annotations

import sys
from decimal import Decimal

from web3.logs import DISCARD

from compute_rwa.integrator.scripting import SIGNER_HELP, example_parser, open_deployment, parse_signer
from compute_rwa.lease.models import format_units, parse_units
from compute_rwa.tx import TxSender, address_of, contract_at

WAD = 10**18
ORACLE_PRICE_SCALE = 10**36
YEAR = 365 * 24 * 3600
#: Kinked curve (per second, WAD): 0% base, +4%/year up to 80% utilization, +100%/year above.
RATE_MODEL = (0, 4 * WAD // 100 // YEAR, WAD // YEAR, 8 * WAD // 10)


def main(argv: list[str] | None = None) -> int:
    parser = example_parser(__doc__)
    parser.add_argument("--asset", type=int, required=True, help="asset id whose shares are the collateral")
    parser.add_argument("--lender", required=True, help=f"lender: {SIGNER_HELP}")
    parser.add_argument("--borrower", required=True, help=f"borrower, holding the shares: {SIGNER_HELP}")
    parser.add_argument("--supply", required=True, help="loan tokens the lender deposits (whole tokens)")
    parser.add_argument("--collateral", required=True, help="shares the borrower posts (whole shares)")
    parser.add_argument("--borrow", help="loan tokens to borrow (default: half of what the collateral allows)")
    parser.add_argument("--market", help="an existing LendingMarket to use instead of creating one")
    parser.add_argument("--lltv", default="0.8", help="liquidation loan-to-value of a new market")
    parser.add_argument("--min-borrow", default="100", help="smallest debt in a new market (whole tokens)")
    args = parser.parse_args(argv)
    w3, deployment = open_deployment(args.rpc, args.deployment)
    sender = TxSender(w3)
    lender, borrower = parse_signer(args.lender), parse_signer(args.borrower)

    registry = contract_at(w3, "AssetRegistry", deployment.registry)
    share = contract_at(w3, "ShareToken", registry.functions.shareTokenOf(args.asset).call())
    loan = contract_at(w3, "IERC20Metadata", share.functions.paymentToken().call())
    loan_decimals, symbol = loan.functions.decimals().call(), loan.functions.symbol().call()
    assert deployment.valuator is not None and deployment.market_factory is not None

    # 1. The price, both ways, from the asset's SharePriceFeed.
    valuator = contract_at(w3, "ShareValuator", deployment.valuator)
    feed = valuator.functions.feedOf(args.asset).call()
    price = contract_at(w3, "IOracle", feed).functions.price().call()
    chainlink = contract_at(w3, "AggregatorV3Interface", feed)
    round_id, answer, _, updated_at, _ = chainlink.functions.latestRoundData().call()
    assert price == answer * 10**18, "IOracle.price() = Chainlink answer x 1e18"
    print(f"feed {feed}: price() = {price} (1e36 x {symbol} units per share unit)")
    print(f"  one whole share = {format_units(price * WAD // ORACLE_PRICE_SCALE, loan_decimals)} {symbol}")
    print(f"  as Chainlink: round {round_id}, answer {answer} ({loan_decimals} decimals), updatedAt {updated_at}")
    collateral = parse_units(args.collateral, 18, "collateral")
    print(
        f"  {args.collateral} shares are worth {format_units(collateral * price // ORACLE_PRICE_SCALE, loan_decimals)}"
    )

    # 2. The market: an existing one, or a new one from the factory.
    factory = contract_at(w3, "MarketFactory", deployment.market_factory)
    if args.market:
        market = contract_at(w3, "LendingMarket", args.market)
        assert factory.functions.isMarket(market.address).call(), "not a market of this deployment's factory"
    else:
        lltv = int(Decimal(args.lltv) * WAD)
        config = (share.address, loan.address, feed, lltv, RATE_MODEL, parse_units(args.min_borrow, loan_decimals))
        receipt = sender.transact(factory.functions.createMarket(config), lender, "MarketFactory")
        (created,) = factory.events.MarketCreated().process_receipt(receipt, errors=DISCARD)
        market = contract_at(w3, "LendingMarket", created["args"]["market"])
        print(f"created market {market.address} ({market.functions.name().call()}), LLTV {args.lltv}")
    print(f"  markets for {share.address}: {factory.functions.marketsOf(share.address).call()}")

    # 3. The lender deposits into the ERC-4626 vault.
    supply = parse_units(args.supply, loan_decimals, "supply")
    sender.transact(loan.functions.approve(market.address, supply), lender, "LoanToken")
    sender.transact(market.functions.deposit(supply, address_of(lender)), lender, "LendingMarket")
    vault_shares = market.functions.balanceOf(address_of(lender)).call()
    worth = market.functions.convertToAssets(vault_shares).call()
    print(f"lender deposited {args.supply} {symbol}: {vault_shares} vault shares")
    print(f"  worth {format_units(worth, loan_decimals)} {symbol} (convertToAssets)")

    # 4. The borrower posts shares and borrows.
    me = address_of(borrower)
    sender.transact(share.functions.approve(market.address, collateral), borrower, "ShareToken")
    sender.transact(market.functions.supplyCollateral(collateral, me), borrower, "LendingMarket")
    max_debt = market.functions.maxDebtOf(me).call()
    amount = parse_units(args.borrow, loan_decimals, "borrow") if args.borrow else max_debt // 2
    receipt = sender.transact(market.functions.borrow(amount, me), borrower, "LendingMarket")
    (borrowed,) = market.events.Borrowed().process_receipt(receipt, errors=DISCARD)
    health = market.functions.healthFactor(me).call()
    rate, utilization = market.functions.borrowRate().call()
    print(
        f"borrower posted {args.collateral} shares (max debt {format_units(max_debt, loan_decimals)} {symbol}) and "
        f"borrowed {format_units(borrowed['args']['assets'], loan_decimals)} {symbol}"
    )
    print(
        f"  debt {format_units(market.functions.debtOf(me).call(), loan_decimals)} {symbol}, health {health / WAD:.3f}"
    )
    print(f"  borrow rate {rate * YEAR / WAD:.2%} a year at {utilization / WAD:.1%} utilization")
    print(f"Morpho Blue MarketParams: ({loan.address}, {share.address}, {feed}, <KinkedIrm>, {args.lltv} x 1e18)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
