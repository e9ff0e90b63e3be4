"""Typed clients for lending: one LendingMarket (lenders' ERC-4626 vault and borrowers' book),
the MarketFactory that creates markets, and the ShareValuator that prices GPU shares.

Amounts are ints in token units (`loan` and `collateral` give each token's decimals and format
them). Every revert becomes the specific exception of `compute_rwa.market.errors` for its
custom error. Lists of borrowers come from `CollateralSupplied` / `Borrowed` events read in
bounded block ranges; positions are read in batched JSON-RPC round trips."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, Literal

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from compute_rwa.deploy import Deployment
from compute_rwa.errors import ContractRevertError, DeploymentError, InvalidInputError
from compute_rwa.lease.models import TokenInfo
from compute_rwa.market.errors import LendingError, PriceUnavailableError, lending_error
from compute_rwa.market.models import (
    BPS,
    DEFAULT_LIQUIDATION_MARGIN_BPS,
    MAX_UINT256,
    WAD,
    BorrowResult,
    CollateralResult,
    CreatedMarket,
    LenderPosition,
    LiquidationMode,
    LiquidationPlan,
    LiquidationResult,
    MarketConfig,
    MarketInfo,
    MarketPosition,
    RepayResult,
    RevenueResult,
    ValuationConfig,
    ValuationLegs,
    ValuationPreview,
    ValuationStatus,
    ValuationView,
    VaultResult,
    max_debt_of,
    mul_div_up,
    plan_liquidation,
    to_assets_up,
)
from compute_rwa.tx import Signer, TxSender, address_of, contract_at, guard


def _checksum(value: str, source: str, field: str) -> ChecksumAddress:
    if not isinstance(value, str) or not Web3.is_address(value):
        raise InvalidInputError(source, field, f"not an address: {value!r}")
    return Web3.to_checksum_address(value)


def _hash(receipt: TxReceipt) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


class _Chain:
    """Plumbing shared by the lending clients: token metadata, sends and calls that raise
    the lending exceptions, batched reads and chunked log scans."""

    label = "contract"

    def __init__(self, w3: Web3, sender: TxSender | None, log_chunk: int) -> None:
        self.w3 = w3
        self.sender = sender or TxSender(w3)
        self.log_chunk = log_chunk
        self._tokens: dict[str, TokenInfo] = {}

    def chain_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def token_info(self, address: str) -> TokenInfo:
        """An ERC-20's address, symbol and decimals (read once)."""
        key = Web3.to_checksum_address(address)
        if key not in self._tokens:
            token = contract_at(self.w3, "MockStablecoin", key)
            try:
                symbol = str(token.functions.symbol().call())
            except Exception:  # symbol() is optional in ERC-20
                symbol = "tokens"
            decimals = int(guard("ERC20", "decimals", token.functions.decimals().call))
            self._tokens[key] = TokenInfo(key, symbol, decimals)
        return self._tokens[key]

    def _translate(self, exc: ContractRevertError, moved: TokenInfo | None) -> ContractRevertError:
        return lending_error(exc, moved=moved)

    def _read(self, contract: Contract, label: str, name: str, *args: Any) -> Any:
        try:
            return guard(label, name, contract.functions[name](*args).call)
        except ContractRevertError as exc:
            raise self._translate(exc, None) from None

    def _transact(
        self, contract: Contract, label: str, signer: Signer, name: str, *args: Any, moved: TokenInfo | None = None
    ) -> TxReceipt:
        try:
            return self.sender.transact(contract.functions[name](*args), signer, label)
        except ContractRevertError as exc:
            raise self._translate(exc, moved) from None

    def _approve(self, token: TokenInfo, owner: Signer, spender: str, amount: int) -> None:
        """Approves `spender` for `amount` when the allowance is lower (exact amounts only)."""
        if amount == 0:
            return
        erc20 = contract_at(self.w3, "MockStablecoin", token.address)
        allowance = int(erc20.functions.allowance(address_of(owner), spender).call())
        if allowance < amount:
            self._transact(erc20, token.symbol, owner, "approve", spender, amount, moved=token)

    def _batch(self, calls: Sequence[ContractFunction]) -> list[Any]:
        """Contract reads in one JSON-RPC batch (one at a time where the node refuses batches)."""
        if not calls:
            return []
        try:
            with self.w3.batch_requests() as batch:
                for call in calls:
                    batch.add(call)
                return list(batch.execute())
        except Exception:  # a node without batches, or a reverted read: retry one by one
            out = []
            for call in calls:
                try:
                    out.append(guard(self.label, call.fn_name, call.call))
                except ContractRevertError as exc:
                    raise self._translate(exc, None) from None
            return out

    def _logs(
        self, contract: Contract, name: str, from_block: int, to_block: int | None = None, filters: Any = None
    ) -> list[EventData]:
        """`name` logs of `contract` in [from_block, to_block], `log_chunk` blocks per request."""
        latest = int(self.w3.eth.block_number) if to_block is None else to_block
        out: list[EventData] = []
        start = from_block
        while start <= latest:
            end = min(latest, start + self.log_chunk - 1)
            out += contract.events[name]().get_logs(from_block=start, to_block=end, argument_filters=filters)
            start = end + 1
        return out

    def _deployment_block(self, address: str) -> int:
        """The block that created `address` (bisecting eth_getCode), or 0 on nodes without the
        historical state to tell."""
        try:
            high = int(self.w3.eth.block_number)
            low = 0
            while low < high:
                mid = (low + high) // 2
                if self.w3.eth.get_code(Web3.to_checksum_address(address), block_identifier=mid):
                    high = mid
                else:
                    low = mid + 1
            return low
        except Exception:  # pruned nodes refuse old state
            return 0

    @staticmethod
    def _events(contract: Contract, receipt: TxReceipt, name: str) -> list[EventData]:
        return [
            e
            for e in contract.events[name]().process_receipt(receipt, errors=DISCARD)
            if e["address"] == contract.address
        ]


class MarketClient(_Chain):
    """One LendingMarket: lenders supply and withdraw (ERC-4626), borrowers post collateral,
    borrow, repay, and anyone liquidates unhealthy positions (planned by `plan_liquidation`).

    `from_block` bounds event scans from below (default: the market's deployment block, found
    by bisecting `eth_getCode`, else 0); `log_chunk` is the block range of one `eth_getLogs`."""

    label = "LendingMarket"

    def __init__(
        self,
        w3: Web3,
        market: str,
        sender: TxSender | None = None,
        *,
        from_block: int | None = None,
        log_chunk: int = 10_000,
    ) -> None:
        super().__init__(w3, sender, log_chunk)
        self.address = _checksum(market, "MarketClient", "market")
        self._from_block = from_block

    # ----------------------------------------------------------------- contracts, constants

    @cached_property
    def market(self) -> Contract:
        return contract_at(self.w3, "LendingMarket", self.address)

    @cached_property
    def config(self) -> MarketConfig:
        if not self.w3.eth.get_code(self.address):
            raise InvalidInputError("MarketClient", "market", f"no contract at {self.address}")
        return MarketConfig.from_abi(self._call("config"))

    @cached_property
    def share_token(self) -> Contract:
        return contract_at(self.w3, "ShareToken", self.config.share_token)

    @cached_property
    def loan_token(self) -> Contract:
        return contract_at(self.w3, "MockStablecoin", self.config.loan_token)

    @cached_property
    def oracle(self) -> Contract:
        return contract_at(self.w3, "IOracle", self.config.oracle)

    @cached_property
    def loan(self) -> TokenInfo:
        """The lent token: address, symbol, decimals."""
        return self.token_info(self.config.loan_token)

    @cached_property
    def collateral(self) -> TokenInfo:
        """The collateral: the asset's share token (18 decimals)."""
        return self.token_info(self.config.share_token)

    @cached_property
    def asset_id(self) -> int:
        return int(guard("ShareToken", "assetId", self.share_token.functions.assetId().call))

    @cached_property
    def incentive(self) -> int:
        return int(self._call("liquidationIncentive"))

    @cached_property
    def from_block(self) -> int:
        return self._deployment_block(self.address) if self._from_block is None else self._from_block

    def _translate(self, exc: ContractRevertError, moved: TokenInfo | None) -> ContractRevertError:
        return lending_error(exc, loan=self.loan, collateral=self.collateral, moved=moved)

    def _call(self, name: str, *args: Any) -> Any:
        return self._read(self.market, "LendingMarket", name, *args)

    def _send(self, signer: Signer, name: str, *args: Any, moved: TokenInfo | None = None) -> TxReceipt:
        return self._transact(self.market, "LendingMarket", signer, name, *args, moved=moved)

    def _market_events(self, receipt: TxReceipt, name: str) -> list[EventData]:
        return self._events(self.market, receipt, name)

    # ----------------------------------------------------------------- amounts

    def parse_loan(self, text: str, field: str = "amount") -> int:
        """Whole loan tokens ("2.5") as token units."""
        return self.loan.parse(text, field)

    def parse_collateral(self, text: str, field: str = "amount") -> int:
        """Whole shares ("1.5") as share units."""
        return self.collateral.parse(text, field)

    # ----------------------------------------------------------------- reads

    def price(self) -> int:
        """The oracle's price now (1e36 scale); raises PriceUnavailableError when it refuses."""
        try:
            return int(guard("IOracle", "price", self.oracle.functions.price().call))
        except ContractRevertError as exc:
            translated = self._translate(exc, None)
            if isinstance(translated, LendingError):
                raise translated from None
            raise PriceUnavailableError(exc, "the oracle refused to answer") from None

    def try_price(self) -> tuple[int | None, str | None]:
        """(price, None), or (None, why) when the oracle refuses to answer."""
        try:
            return self.price(), None
        except PriceUnavailableError as exc:
            return None, exc.hint or str(exc)

    def totals(self) -> tuple[int, int, int]:
        """(supply assets, borrow assets, borrow shares), interest accrued to the latest block."""
        supply, borrow, shares, _ = self._call("totals")
        return int(supply), int(borrow), int(shares)

    def liquidity(self) -> int:
        return int(self._call("liquidity"))

    def position(self, borrower: str) -> MarketPosition:
        (found,) = self.positions([borrower])
        return found

    def positions(self, borrowers: Sequence[str] | None = None) -> list[MarketPosition]:
        """Positions of `borrowers` (default: every borrower seen in the market's events), read in
        batches against one price."""
        who = self.borrowers() if borrowers is None else [_checksum(b, "MarketClient", "borrower") for b in borrowers]
        price, _ = self.try_price()
        return self._positions(who, price)

    def _positions(self, borrowers: Sequence[ChecksumAddress], price: int | None) -> list[MarketPosition]:
        out: list[MarketPosition] = []
        f = self.market.functions
        for start in range(0, len(borrowers), 50):
            page = list(borrowers[start : start + 50])
            calls: list[ContractFunction] = []
            for b in page:
                calls += [f.positionOf(b), f.debtOf(b), f.revenueOf(b), f.earningsOf(b)]
            raw = self._batch(calls)
            for i, b in enumerate(page):
                position, debt, revenue, earnings = raw[4 * i : 4 * i + 4]
                out.append(self._position(b, position, int(debt), int(revenue), earnings, price))
        return out

    def _position(
        self, borrower: ChecksumAddress, position: Any, debt: int, revenue: int, earnings: Any, price: int | None
    ) -> MarketPosition:
        shares, collateral = int(position[0]), int(position[1])
        max_debt = None if price is None else max_debt_of(collateral, price, self.config.lltv)
        if max_debt is None:
            health = None
        elif debt == 0:
            health = MAX_UINT256
        else:
            health = max_debt * WAD // debt
        return MarketPosition(
            market=self.address,
            borrower=borrower,
            collateral=collateral,
            borrow_shares=shares,
            debt=debt,
            max_debt=max_debt,
            health_factor=health,
            earned_revenue=revenue,
            auto_repay=bool(earnings[2]),
        )

    def health_factor(self, borrower: str) -> int:
        """The contract's healthFactor (WAD; 2**256 - 1 without debt); raises when no price."""
        return int(self._call("healthFactor", _checksum(borrower, "MarketClient", "borrower")))

    def borrowers(self, from_block: int | None = None, to_block: int | None = None) -> list[ChecksumAddress]:
        """Accounts that ever posted collateral or borrowed here (`CollateralSupplied.onBehalf`,
        `Borrowed.borrower`), first seen first, scanned in `log_chunk` block ranges."""
        start = self.from_block if from_block is None else from_block
        end = int(self.w3.eth.block_number) if to_block is None else to_block
        events = self._logs(self.market, "CollateralSupplied", start, end)
        events += self._logs(self.market, "Borrowed", start, end)
        events.sort(key=lambda e: (e["blockNumber"], e["logIndex"]))
        seen: dict[ChecksumAddress, None] = {}
        for e in events:
            account = e["args"]["onBehalf"] if e["event"] == "CollateralSupplied" else e["args"]["borrower"]
            seen.setdefault(Web3.to_checksum_address(account), None)
        return list(seen)

    def lender(self, owner: str) -> LenderPosition:
        """A lender's vault shares, their value and what can be taken out now."""
        who = _checksum(owner, "MarketClient", "owner")
        f = self.market.functions
        shares = int(f.balanceOf(who).call())
        assets, max_withdraw, max_redeem = self._batch(
            [f.convertToAssets(shares), f.maxWithdraw(who), f.maxRedeem(who)]
        )
        return LenderPosition(self.address, who, shares, int(assets), int(max_withdraw), int(max_redeem))

    def info(self) -> MarketInfo:
        f = self.market.functions
        name, symbol, totals, vault_shares, liquidity, rate = self._batch(
            [f.name(), f.symbol(), f.totals(), f.totalSupply(), f.liquidity(), f.borrowRate()]
        )
        price, price_error = self.try_price()
        return MarketInfo(
            address=self.address,
            name=str(name),
            symbol=str(symbol),
            config=self.config,
            collateral_token=self.collateral,
            asset_id=self.asset_id,
            loan_token=self.loan,
            liquidation_incentive=self.incentive,
            total_supply_assets=int(totals[0]),
            total_borrow_assets=int(totals[1]),
            total_borrow_shares=int(totals[2]),
            vault_shares=int(vault_shares),
            liquidity=int(liquidity),
            borrow_rate=int(rate[0]),
            utilization=int(rate[1]),
            price=price,
            price_error=price_error,
        )

    def plan_liquidation(self, borrower: str, margin_bps: int = DEFAULT_LIQUIDATION_MARGIN_BPS) -> LiquidationPlan:
        """Reads the position, the totals and the price, and plans its liquidation (see
        `compute_rwa.market.models.plan_liquidation`)."""
        who = _checksum(borrower, "MarketClient", "borrower")
        price = self.price()
        (position,) = self._positions([who], price)
        _supply, borrow_assets, borrow_shares = self.totals()
        return plan_liquidation(
            position,
            price,
            self.incentive,
            lltv=self.config.lltv,
            min_borrow=self.config.min_borrow,
            total_borrow_assets=borrow_assets,
            total_borrow_shares=borrow_shares,
            margin_bps=margin_bps,
        )

    # ----------------------------------------------------------------- lenders (ERC-4626)

    def supply(self, assets: int, signer: Signer, *, receiver: str | None = None, approve: bool = True) -> VaultResult:
        """Deposits `assets` loan tokens into the vault (approving it first when needed)."""
        self._positive(assets, "assets")
        to = self._receiver(receiver, signer)
        if approve:
            self._approve(self.loan, signer, self.address, assets)
        receipt = self._send(signer, "deposit", assets, to, moved=self.loan)
        return self._vault_result("supply", receipt, "Deposit")

    def withdraw(
        self, assets: int, signer: Signer, *, receiver: str | None = None, owner: str | None = None
    ) -> VaultResult:
        """Withdraws `assets` loan tokens, burning the vault shares they are worth."""
        self._positive(assets, "assets")
        to = self._receiver(receiver, signer)
        holder = self._receiver(owner, signer)
        receipt = self._send(signer, "withdraw", assets, to, holder, moved=self.loan)
        return self._vault_result("withdraw", receipt, "Withdraw")

    def redeem(
        self, shares: int, signer: Signer, *, receiver: str | None = None, owner: str | None = None
    ) -> VaultResult:
        """Redeems `shares` vault shares for the loan tokens they are worth."""
        self._positive(shares, "shares")
        to = self._receiver(receiver, signer)
        holder = self._receiver(owner, signer)
        receipt = self._send(signer, "redeem", shares, to, holder, moved=self.loan)
        return self._vault_result("redeem", receipt, "Withdraw")

    def withdraw_all(self, signer: Signer, *, receiver: str | None = None) -> VaultResult:
        """Redeems every vault share the signer holds (InsufficientLiquidityError when the
        market's idle liquidity does not cover them)."""
        shares = int(self.market.functions.balanceOf(address_of(signer)).call())
        if shares == 0:
            raise InvalidInputError("MarketClient", "shares", f"{address_of(signer)} holds no vault shares")
        return self.redeem(shares, signer, receiver=receiver)

    def _vault_result(self, action: str, receipt: TxReceipt, event_name: str) -> VaultResult:
        (event,) = self._market_events(receipt, event_name)
        a = event["args"]
        owner = a["owner"] if "owner" in a else a["sender"]
        return VaultResult(
            action,
            Web3.to_checksum_address(owner),
            Web3.to_checksum_address(a["receiver"] if "receiver" in a else a["owner"]),
            int(a["assets"]),
            int(a["shares"]),
            _hash(receipt),
        )

    # ----------------------------------------------------------------- borrowers

    def supply_collateral(
        self, assets: int, signer: Signer, *, on_behalf: str | None = None, approve: bool = True
    ) -> CollateralResult:
        """Posts `assets` share units as collateral of `on_behalf` (default: the signer)."""
        self._positive(assets, "assets")
        borrower = self._receiver(on_behalf, signer)
        if approve:
            self._approve(self.collateral, signer, self.address, assets)
        receipt = self._send(signer, "supplyCollateral", assets, borrower, moved=self.collateral)
        (event,) = self._market_events(receipt, "CollateralSupplied")
        return CollateralResult(
            "supply", Web3.to_checksum_address(event["args"]["onBehalf"]), int(event["args"]["assets"]), _hash(receipt)
        )

    def withdraw_collateral(
        self, assets: int | Literal["all"], signer: Signer, *, receiver: str | None = None
    ) -> CollateralResult:
        """Takes back `assets` share units (or "all") of the signer's collateral; the position
        must stay healthy (InsufficientCollateralError otherwise)."""
        if assets == "all":
            assets = self.position(address_of(signer)).collateral
            if assets == 0:
                raise InvalidInputError("MarketClient", "assets", f"{address_of(signer)} has no collateral posted")
        self._positive(assets, "assets")
        to = self._receiver(receiver, signer)
        receipt = self._send(signer, "withdrawCollateral", assets, to, moved=self.collateral)
        (event,) = self._market_events(receipt, "CollateralWithdrawn")
        return CollateralResult(
            "withdraw",
            Web3.to_checksum_address(event["args"]["borrower"]),
            int(event["args"]["assets"]),
            _hash(receipt),
        )

    def borrow(self, assets: int, signer: Signer, *, receiver: str | None = None) -> BorrowResult:
        """Borrows `assets` loan tokens against the signer's collateral."""
        self._positive(assets, "assets")
        to = self._receiver(receiver, signer)
        receipt = self._send(signer, "borrow", assets, to, moved=self.loan)
        (event,) = self._market_events(receipt, "Borrowed")
        a = event["args"]
        return BorrowResult(
            Web3.to_checksum_address(a["borrower"]),
            Web3.to_checksum_address(a["receiver"]),
            int(a["assets"]),
            int(a["shares"]),
            _hash(receipt),
        )

    def repay(
        self,
        amount: int | Literal["all"],
        signer: Signer,
        *,
        on_behalf: str | None = None,
        approve: bool = True,
        margin_bps: int = 10,
    ) -> RepayResult:
        """Repays `amount` loan tokens of `on_behalf`'s debt (default: the signer's), or with
        "all" every debt share (the exact debt with interest to the block; the approval adds
        `margin_bps` for the interest accruing until then)."""
        borrower = self._receiver(on_behalf, signer)
        if amount == "all":
            shares = self.position(borrower).borrow_shares
            if shares == 0:
                raise InvalidInputError("MarketClient", "amount", f"{borrower} has no debt")
            _supply, borrow_assets, borrow_shares = self.totals()
            due = to_assets_up(shares, borrow_assets, borrow_shares)
            allowance_needed = due + mul_div_up(due, margin_bps, BPS) + 1
            args = (0, shares)
        else:
            self._positive(amount, "amount")
            allowance_needed = amount
            args = (amount, 0)
        if approve:
            self._approve(self.loan, signer, self.address, allowance_needed)
        receipt = self._send(signer, "repay", args[0], args[1], borrower, moved=self.loan)
        (event,) = self._market_events(receipt, "Repaid")
        a = event["args"]
        return RepayResult(
            Web3.to_checksum_address(a["caller"]),
            Web3.to_checksum_address(a["onBehalf"]),
            int(a["assets"]),
            int(a["shares"]),
            _hash(receipt),
        )

    def set_auto_repay(self, enabled: bool, signer: Signer) -> bool:
        """Opts the signer in (or out) of repaying its debt from its collateral's revenue."""
        receipt = self._send(signer, "setAutoRepay", enabled)
        (event,) = self._market_events(receipt, "AutoRepaySet")
        return bool(event["args"]["enabled"])

    def harvest(self, borrower: str, signer: Signer) -> RevenueResult:
        """Applies an opted-in borrower's banked revenue to its debt (anyone may call)."""
        who = _checksum(borrower, "MarketClient", "borrower")
        receipt = self._send(signer, "harvest", who)
        repaid = sum(int(e["args"]["assets"]) for e in self._market_events(receipt, "RevenueRepaid"))
        return RevenueResult("harvest", who, repaid, _hash(receipt))

    def claim_revenue(self, signer: Signer, *, receiver: str | None = None) -> RevenueResult:
        """Pays the signer's revenue earned by its posted collateral to `receiver`."""
        to = self._receiver(receiver, signer)
        receipt = self._send(signer, "claimRevenue", to)
        (event,) = self._market_events(receipt, "RevenueClaimed")
        return RevenueResult(
            "claim", Web3.to_checksum_address(event["args"]["borrower"]), int(event["args"]["amount"]), _hash(receipt)
        )

    def accrue_interest(self, signer: Signer) -> TxReceipt:
        return self._send(signer, "accrueInterest")

    # ----------------------------------------------------------------- liquidators

    def liquidate(
        self,
        borrower: str,
        signer: Signer,
        *,
        plan: LiquidationPlan | None = None,
        margin_bps: int = DEFAULT_LIQUIDATION_MARGIN_BPS,
        approve: bool = True,
    ) -> LiquidationResult:
        """Liquidates `borrower` by `plan` (default: planned now), approving the loan tokens the
        repayment may pull. A HARVEST plan harvests instead (the position heals itself)."""
        who = _checksum(borrower, "MarketClient", "borrower")
        if plan is None:
            plan = self.plan_liquidation(who, margin_bps)
        if plan.mode is LiquidationMode.HARVEST:
            harvested = self.harvest(who, signer)
            return self._liquidation_result(who, plan.mode, harvested.amount, 0, 0, 0, 0, harvested.tx_hash)
        if approve:
            self._approve(self.loan, signer, self.address, plan.max_repaid_assets + 1)
        seized_arg, shares_arg = plan.call_args
        receipt = self._send(signer, "liquidate", who, seized_arg, shares_arg, moved=self.loan)
        (event,) = self._market_events(receipt, "Liquidated")
        a = event["args"]
        bad_assets = bad_shares = 0
        for e in self._market_events(receipt, "BadDebtWrittenOff"):
            bad_assets += int(e["args"]["assets"])
            bad_shares += int(e["args"]["shares"])
        return self._liquidation_result(
            who,
            plan.mode,
            int(a["repaidAssets"]),
            int(a["repaidShares"]),
            int(a["seizedCollateral"]),
            bad_assets,
            bad_shares,
            _hash(receipt),
        )

    def _liquidation_result(
        self,
        borrower: ChecksumAddress,
        mode: LiquidationMode,
        repaid_assets: int,
        repaid_shares: int,
        seized: int,
        bad_assets: int,
        bad_shares: int,
        tx_hash: str,
    ) -> LiquidationResult:
        price, _ = self.try_price()
        (after,) = self._positions([borrower], price)
        return LiquidationResult(
            market=self.address,
            borrower=borrower,
            mode=mode,
            repaid_assets=repaid_assets,
            repaid_shares=repaid_shares,
            seized_collateral=seized,
            bad_debt_assets=bad_assets,
            bad_debt_shares=bad_shares,
            collateral_after=after.collateral,
            debt_after=after.debt,
            health_factor_after=after.health_factor,
            tx_hash=tx_hash,
        )

    # ----------------------------------------------------------------- helpers

    @staticmethod
    def _positive(amount: int, field: str) -> None:
        if not isinstance(amount, int) or amount <= 0:
            raise InvalidInputError("MarketClient", field, f"must be a positive amount of token units: {amount!r}")

    @staticmethod
    def _receiver(value: str | None, signer: Signer) -> ChecksumAddress:
        return address_of(signer) if value is None else _checksum(value, "MarketClient", "receiver")


def _address_from(value: Deployment | str, attribute: str, name: str) -> ChecksumAddress:
    if isinstance(value, str):
        return _checksum(value, name, "address")
    address: ChecksumAddress | None = getattr(value, attribute)
    if address is None:
        raise DeploymentError(f"deployment on chain {value.chain_id} has no {name} (redeploy to add lending)")
    return address


class MarketFactoryClient(_Chain):
    """The MarketFactory: creates isolated markets and lists them."""

    label = "MarketFactory"

    def __init__(
        self,
        w3: Web3,
        deployment_or_address: Deployment | str,
        sender: TxSender | None = None,
        *,
        from_block: int | None = None,
        log_chunk: int = 10_000,
    ) -> None:
        super().__init__(w3, sender, log_chunk)
        self.address = _address_from(deployment_or_address, "market_factory", "MarketFactory")
        self._from_block = from_block

    @cached_property
    def factory(self) -> Contract:
        return contract_at(self.w3, "MarketFactory", self.address)

    @cached_property
    def from_block(self) -> int:
        return self._deployment_block(self.address) if self._from_block is None else self._from_block

    def create(self, config: MarketConfig, signer: Signer) -> CreatedMarket:
        """Creates a market (anyone may); the market checks the parameters and refuses bad ones
        with MarketParameterError naming the field."""
        receipt = self._transact(self.factory, "MarketFactory", signer, "createMarket", config.to_abi())
        (event,) = self._events(self.factory, receipt, "MarketCreated")
        return self._created(event)

    def markets_of(self, share_token: str) -> list[ChecksumAddress]:
        """Markets taking `share_token` as collateral, in creation order."""
        token = _checksum(share_token, "MarketFactoryClient", "share_token")
        return [Web3.to_checksum_address(m) for m in self._read(self.factory, "MarketFactory", "marketsOf", token)]

    def is_market(self, address: str) -> bool:
        return bool(
            self._read(self.factory, "MarketFactory", "isMarket", _checksum(address, "MarketFactoryClient", "market"))
        )

    def created(self) -> list[CreatedMarket]:
        """Every market this factory created (`MarketCreated` events), oldest first."""
        return [self._created(e) for e in self._logs(self.factory, "MarketCreated", self.from_block)]

    def markets(self) -> list[ChecksumAddress]:
        return [m.market for m in self.created()]

    @staticmethod
    def _created(event: EventData) -> CreatedMarket:
        a = event["args"]
        return CreatedMarket(
            market=Web3.to_checksum_address(a["market"]),
            share_token=Web3.to_checksum_address(a["shareToken"]),
            loan_token=Web3.to_checksum_address(a["loanToken"]),
            oracle=Web3.to_checksum_address(a["oracle"]),
            lltv=int(a["lltv"]),
            min_borrow=int(a["minBorrow"]),
            creator=Web3.to_checksum_address(a["creator"]),
            tx_hash="0x" + bytes(event["transactionHash"]).hex(),
        )


class ValuationClient(_Chain):
    """The ShareValuator: configures assets' valuations (admin), updates them (anyone: a
    keeper), previews and shows them, and names each asset's price feed."""

    label = "ShareValuator"

    def __init__(self, w3: Web3, deployment_or_address: Deployment | str, sender: TxSender | None = None) -> None:
        super().__init__(w3, sender, 10_000)
        self.address = _address_from(deployment_or_address, "valuator", "ShareValuator")
        self._asset_tokens: dict[int, TokenInfo] = {}

    @cached_property
    def valuator(self) -> Contract:
        return contract_at(self.w3, "ShareValuator", self.address)

    @cached_property
    def registry(self) -> Contract:
        return contract_at(self.w3, "AssetRegistry", self._call("registry"))

    def _call(self, name: str, *args: Any) -> Any:
        return self._read(self.valuator, "ShareValuator", name, *args)

    def token(self, asset_id: int) -> TokenInfo:
        """The asset's payment token, in which prices are given."""
        if asset_id not in self._asset_tokens:
            share = guard("AssetRegistry", "shareTokenOf", self.registry.functions.shareTokenOf(asset_id).call)
            if int(share, 16) == 0:
                raise InvalidInputError("ValuationClient", "asset_id", f"asset {asset_id} is not registered")
            payment = contract_at(self.w3, "ShareToken", share).functions.paymentToken().call()
            self._asset_tokens[asset_id] = self.token_info(payment)
        return self._asset_tokens[asset_id]

    def configure(self, asset_id: int, config: ValuationConfig, signer: Signer) -> ValuationConfig:
        """Sets the asset's valuation parameters (the registry's admin). The stored valuation is
        reset: the new parameters count from the next `update`. Returns them as stored."""
        abi = config.to_abi(self.token(asset_id).decimals)
        self._transact(self.valuator, "ShareValuator", signer, "configure", asset_id, abi)
        stored = self.config(asset_id)
        assert stored is not None
        return stored

    def config(self, asset_id: int) -> ValuationConfig | None:
        """The asset's parameters, or None when it has none."""
        raw = self._call("configOf", asset_id)
        if int(raw[2]) == 0:  # usefulLife 0: never configured
            return None
        return ValuationConfig.from_abi(raw, self.token(asset_id).decimals)

    def update(self, asset_id: int, signer: Signer) -> ValuationView:
        """Computes and stores the asset's valuation now (anyone). The status says what is
        missing when it is not Ok; it never reverts for missing data."""
        receipt = self._transact(self.valuator, "ShareValuator", signer, "update", asset_id)
        (event,) = self._events(self.valuator, receipt, "ValuationUpdated")
        a = event["args"]
        block = self.w3.eth.get_block(receipt["blockNumber"])
        stored = self._call("valuationOf", asset_id)
        return ValuationView(
            asset_id=asset_id,
            status=ValuationStatus(int(a["status"])),
            price=int(a["price"]),
            updated_at=int(block["timestamp"]),
            max_age=int(stored[2]),
            round=int(a["round"]),
            legs=ValuationLegs(int(a["hardwareValue"]), int(a["incomeValue"]), int(a["utilizationBps"])),
            feed=self.feed(asset_id),
            now=int(block["timestamp"]),
        )

    def preview(self, asset_id: int) -> ValuationPreview:
        """What `update` would store now."""
        status, price, legs = self._call("preview", asset_id)
        return ValuationPreview(asset_id, ValuationStatus(int(status)), int(price), _legs(legs))

    def show(self, asset_id: int) -> ValuationView:
        """The stored valuation, with the legs and outcome an update would compute now."""
        stored = self._call("valuationOf", asset_id)
        try:
            preview: ValuationPreview | None = self.preview(asset_id)
        except LendingError:  # not configured: nothing to preview
            preview = None
        return ValuationView(
            asset_id=asset_id,
            status=ValuationStatus(int(stored[3])),
            price=int(stored[0]),
            updated_at=int(stored[1]),
            max_age=int(stored[2]),
            round=int(stored[4]),
            legs=None if preview is None else preview.legs,
            feed=self.feed(asset_id),
            now=self.chain_time(),
            preview_status=None if preview is None else preview.status,
            preview_price=None if preview is None else preview.price,
        )

    def price(self, asset_id: int) -> int:
        """The stored price per whole share, checked (PriceUnavailableError when not usable)."""
        return int(self._call("priceOf", asset_id))

    def feed(self, asset_id: int) -> ChecksumAddress | None:
        """The asset's SharePriceFeed (AggregatorV3 and Morpho IOracle), once configured."""
        address = self._call("feedOf", asset_id)
        return None if int(address, 16) == 0 else Web3.to_checksum_address(address)

    def latest_checkpoint(self, asset_id: int) -> tuple[int, int, int]:
        """(checkpoints held, newest one's time, its revenue per share E18)."""
        count, timestamp, rps = self._call("latestCheckpoint", asset_id)
        return int(count), int(timestamp), int(rps)


def _legs(raw: Sequence[Any]) -> ValuationLegs:
    v = [int(x) for x in raw]
    return ValuationLegs(
        hardware_value=v[0], income_value=v[1], utilization_bps=v[3], annual_income=v[2], window_seconds=v[4]
    )
