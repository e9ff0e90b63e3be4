"""The lending keeper: refreshes the valuations that markets price collateral with, finds
unhealthy positions among each market's borrowers, and liquidates them as `plan_liquidation`
plans (or harvests an opted-in borrower whose own revenue heals the position).

One round is `Keeper.run_once()`; `Keeper.run(interval)` repeats it. Borrowers are found from
the markets' events, scanned incrementally (each round reads only the new blocks)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from web3 import Web3

from compute_rwa.errors import ChainUnavailableError, ComputeRwaError, ContractRevertError
from compute_rwa.market.client import MarketClient, ValuationClient
from compute_rwa.market.models import (
    DEFAULT_LIQUIDATION_MARGIN_BPS,
    KeeperFailure,
    KeeperReport,
    LiquidationMode,
    LiquidationResult,
    MarketPosition,
    ValuationView,
)
from compute_rwa.tx import Signer, address_of, contract_at

#: A stored valuation older than this is refreshed before positions are checked (seconds).
DEFAULT_REFRESH_AFTER = 3_600


@dataclass
class _Seen:
    borrowers: dict[ChecksumAddress, None] = field(default_factory=dict)
    next_block: int | None = None


class Keeper:
    """Keeps `markets` safe with `signer`'s loan tokens.

    - `valuation`: the ShareValuator client; with `update_valuations`, each round first updates
      the valuation of every asset whose feed a market reads (plus `valuation_assets`) when it is
      not usable or older than `refresh_after` seconds (0: every round).
    - `margin_bps`: the health buffer liquidations leave (see `plan_liquidation`).
    - `on_event`: called with a line for each thing done (for a live log)."""

    def __init__(
        self,
        markets: Sequence[MarketClient],
        signer: Signer,
        *,
        valuation: ValuationClient | None = None,
        update_valuations: bool = True,
        valuation_assets: Sequence[int] = (),
        refresh_after: int = DEFAULT_REFRESH_AFTER,
        margin_bps: int = DEFAULT_LIQUIDATION_MARGIN_BPS,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        if not markets and not valuation_assets:
            raise ValueError("a keeper needs at least one market or valuation asset")
        self.markets = list(markets)
        self.signer = signer
        self.valuation = valuation
        self.update_valuations = update_valuations and valuation is not None
        self.valuation_assets = list(valuation_assets)
        self.refresh_after = refresh_after
        self.margin_bps = margin_bps
        self.on_event = on_event or (lambda _line: None)
        self._seen: dict[ChecksumAddress, _Seen] = {}
        self._fed_assets: list[int] | None = None

    @property
    def w3(self) -> Web3:
        return self.markets[0].w3 if self.markets else self._valuation().w3

    def _valuation(self) -> ValuationClient:
        assert self.valuation is not None
        return self.valuation

    # ----------------------------------------------------------------- one round

    def run_once(self) -> KeeperReport:
        """One round: valuations, then every market's unhealthy positions. Failures (a price
        that is unavailable, a liquidation refused, too few loan tokens) are reported and the
        round goes on; only an unreachable chain stops it."""
        failures: list[KeeperFailure] = []
        valuations = self._refresh_valuations(failures) if self.update_valuations else []
        checked = unhealthy = 0
        liquidations: list[LiquidationResult] = []
        for market in self.markets:
            try:
                positions = self._positions(market)
            except ChainUnavailableError:
                raise
            except ComputeRwaError as exc:
                failures.append(_failure("read", market.address, market.address, exc))
                continue
            indebted = [p for p in positions if p.has_debt]
            checked += len(indebted)
            if indebted and indebted[0].max_debt is None:
                _price, why = market.try_price()
                failures.append(
                    KeeperFailure("price", market.address, market.config.oracle, why or "price unavailable", None)
                )
                continue
            for position in indebted:
                if not position.liquidatable:
                    continue
                unhealthy += 1
                result = self._liquidate(market, position, failures)
                if result is not None:
                    liquidations.append(result)
        return KeeperReport(
            chain_time=int(self.w3.eth.get_block("latest")["timestamp"]),
            valuations=tuple(valuations),
            markets=len(self.markets),
            positions_checked=checked,
            unhealthy=unhealthy,
            liquidations=tuple(liquidations),
            failures=tuple(failures),
        )

    def run(
        self,
        interval: float,
        *,
        rounds: int | None = None,
        on_report: Callable[[KeeperReport], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> int:
        """Runs rounds every `interval` seconds (forever, or `rounds` of them); an unreachable
        chain skips a round instead of stopping. Returns the number of rounds run."""
        done = 0
        while rounds is None or done < rounds:
            try:
                report = self.run_once()
            except ChainUnavailableError as exc:
                self.on_event(f"chain unavailable ({exc}); retrying in {interval:g} s")
            else:
                if on_report is not None:
                    on_report(report)
            done += 1
            if rounds is None or done < rounds:
                sleep(interval)
        return done

    # ----------------------------------------------------------------- valuations

    def assets_to_value(self) -> list[int]:
        """`valuation_assets` plus the assets whose valuator feed a market uses as its oracle."""
        if self._fed_assets is None:
            fed: list[int] = []
            if self.valuation is not None:
                for market in self.markets:
                    try:
                        if self.valuation.feed(market.asset_id) == market.config.oracle:
                            fed.append(market.asset_id)
                    except ComputeRwaError:
                        continue
            self._fed_assets = fed
        return list(dict.fromkeys([*self.valuation_assets, *self._fed_assets]))

    def _refresh_valuations(self, failures: list[KeeperFailure]) -> list[ValuationView]:
        valuation = self._valuation()
        out: list[ValuationView] = []
        for asset_id in self.assets_to_value():
            try:
                current = valuation.show(asset_id)
                fresh = current.usable and current.now - current.updated_at < self.refresh_after
                if fresh:
                    continue
                view = valuation.update(asset_id, self.signer)
            except ChainUnavailableError:
                raise
            except ComputeRwaError as exc:
                failures.append(_failure("valuation", None, f"asset {asset_id}", exc))
                continue
            out.append(view)
            price = valuation.token(asset_id).format(view.price)
            self.on_event(f"asset {asset_id}: valuation round {view.round} {view.status_name}, {price} per share")
            if view.status.name != "OK":
                failures.append(
                    KeeperFailure(
                        "valuation", None, f"asset {asset_id}", f"valuation is {view.status_name}", view.status.name
                    )
                )
        return out

    # ----------------------------------------------------------------- positions

    def _positions(self, market: MarketClient) -> list[MarketPosition]:
        seen = self._seen.setdefault(market.address, _Seen())
        latest = int(market.w3.eth.block_number)
        start = market.from_block if seen.next_block is None else seen.next_block
        if start <= latest:
            for borrower in market.borrowers(start, latest):
                seen.borrowers.setdefault(borrower, None)
            seen.next_block = latest + 1
        return market.positions(list(seen.borrowers))

    def _liquidate(
        self, market: MarketClient, position: MarketPosition, failures: list[KeeperFailure]
    ) -> LiquidationResult | None:
        loan = market.loan
        try:
            plan = market.plan_liquidation(position.borrower, self.margin_bps)
            if plan.mode is not LiquidationMode.HARVEST:
                token = contract_at(market.w3, "MockStablecoin", loan.address)
                balance = int(token.functions.balanceOf(address_of(self.signer)).call())
                if balance < plan.max_repaid_assets + 1:
                    failures.append(
                        KeeperFailure(
                            "funds",
                            market.address,
                            position.borrower,
                            f"liquidating needs up to {loan.format(plan.max_repaid_assets + 1)}, the keeper holds "
                            f"{loan.format(balance)}",
                        )
                    )
                    return None
            result = market.liquidate(position.borrower, self.signer, plan=plan)
        except ChainUnavailableError:
            raise
        except ComputeRwaError as exc:
            failures.append(_failure("liquidation", market.address, position.borrower, exc))
            return None
        if result.mode is LiquidationMode.HARVEST:
            repaid = loan.format(result.repaid_assets)
            self.on_event(f"{position.borrower}: harvested {repaid} of revenue into its debt")
        else:
            extra = f", wrote off {loan.format(result.bad_debt_assets)} of bad debt" if result.bad_debt_assets else ""
            self.on_event(
                f"{position.borrower}: liquidated ({result.mode.value}), repaid {loan.format(result.repaid_assets)}, "
                f"seized {market.collateral.format(result.seized_collateral)}{extra}"
            )
        return result


def _failure(stage: str, market: ChecksumAddress | None, subject: str, exc: Exception) -> KeeperFailure:
    name = exc.error_name if isinstance(exc, ContractRevertError) else None
    return KeeperFailure(stage, market, subject, str(exc), name)
