"""Stateful campaign over registrations, payments, transfers, claims, fee payouts, reserve
releases, retirements and burns, with 6- and 18-decimal payment tokens. After every step:

- the token's balance covers everything owed: claimable + fees + reserve (never negative);
- nothing is lost: paid in == claimed + claimable + fees (accrued and paid) + reserve
  (kept and paid) + carried remainder: the dust carried to the next payment plus under one
  unit per holder;
- a claim pays exactly what claimableOf reported, and transfers never move earned revenue.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from compute_rwa import AssetStatus
from compute_rwa.fleet import GPU_MODELS, GpuNode
from tests.conftest import fund
from tests.helpers import report_figures

MAX_ASSETS = 3


@dataclass
class AssetModel:
    asset_id: int
    paid_in: int = 0
    claimed: int = 0
    fees_paid_out: int = 0
    reserve_paid_out: int = 0
    retired: bool = False
    holders: set[str] = field(default_factory=set)


def make_machine(suite, roles, token, w3, campaign):
    unit = 10 ** token.functions.decimals().call()
    people = list(roles.holders[:5])

    class RevenueMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            campaign["runs"] += 1
            self.snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
            self.assets: list[AssetModel] = []
            fund(suite, token, roles.lessee, 10**12 * unit, roles.admin)
            self._register(8, 0)

        def teardown(self) -> None:
            w3.provider.make_request("evm_revert", [self.snapshot])

        def _register(self, gpus: int, owner: int) -> None:
            node = GpuNode(f"stateful-{len(self.assets)}", GPU_MODELS["H100"], gpus, "us-east-1")
            registration = node.registration(operator=roles.operator, owner=people[owner], payment_token=token.address)
            asset_id, _ = suite.register_asset(registration, roles.operator)
            self.assets.append(AssetModel(asset_id, holders={people[owner]}))

        def _pick(self, index: int) -> AssetModel:
            return self.assets[index % len(self.assets)]

        @precondition(lambda self: len(self.assets) < MAX_ASSETS)
        @rule(gpus=st.sampled_from([1, 3, 7, 8, 16]), owner=st.integers(0, 4))
        def register(self, gpus: int, owner: int) -> None:
            self._register(gpus, owner)

        @rule(index=st.integers(0, 9), amount=st.integers(1, 10**6 * 10**6))
        def distribute(self, index: int, amount: int) -> None:
            model = self._pick(index)
            amount = amount * unit // 10**6 or 1
            suite.distribute(model.asset_id, amount, roles.lessee)
            model.paid_in += amount

        @rule(index=st.integers(0, 9), sender=st.integers(0, 4), to=st.integers(0, 4), share=st.integers(1, 10**6))
        def transfer(self, index: int, sender: int, to: int, share: int) -> None:
            model = self._pick(index)
            if model.retired:
                return
            source, target = people[sender], people[to]
            balance = suite.share_balance(model.asset_id, source)
            amount = balance * share // 10**6
            if amount == 0:
                return
            before = (suite.claimable(model.asset_id, source), suite.claimable(model.asset_id, target))
            suite.transfer_shares(model.asset_id, source, target, amount)
            model.holders.add(target)
            after = (suite.claimable(model.asset_id, source), suite.claimable(model.asset_id, target))
            assert after == before, "a transfer moved revenue already earned"

        @rule(index=st.integers(0, 9), holder=st.integers(0, 4))
        def claim(self, index: int, holder: int) -> None:
            model = self._pick(index)
            owed = suite.claimable(model.asset_id, people[holder])
            balance_before = token.functions.balanceOf(people[holder]).call()
            paid = suite.claim(model.asset_id, people[holder])
            assert paid == owed
            assert token.functions.balanceOf(people[holder]).call() - balance_before == owed
            model.claimed += paid

        @rule(holder=st.integers(0, 4))
        def claim_many(self, holder: int) -> None:
            ids = [m.asset_id for m in self.assets]
            owed = {m.asset_id: suite.claimable(m.asset_id, people[holder]) for m in self.assets}
            paid = suite.claim_many(ids, people[holder])
            assert paid == owed
            for model in self.assets:
                model.claimed += paid[model.asset_id]

        @rule(index=st.integers(0, 9))
        def withdraw_fees(self, index: int) -> None:
            model = self._pick(index)
            shares = suite.share_token(model.asset_id)
            pools = suite.pools(model.asset_id)
            suite.sender.transact(shares.functions.withdrawOperatorFees(), roles.outsider, "S")
            suite.sender.transact(shares.functions.withdrawProtocolFees(), roles.outsider, "S")
            model.fees_paid_out += pools.operator_fees + pools.protocol_fees

        @rule(index=st.integers(0, 9), share=st.integers(1, 100), to_holders=st.booleans())
        def use_reserve(self, index: int, share: int, to_holders: bool) -> None:
            model = self._pick(index)
            reserve = suite.pools(model.asset_id).reserve
            amount = reserve * share // 100
            supply = suite.share_token(model.asset_id).functions.totalSupply().call()
            if amount == 0 or (to_holders and supply == 0):
                return
            shares = suite.share_token(model.asset_id)
            if to_holders:
                suite.sender.transact(shares.functions.releaseReserve(amount), roles.operator, "S")
            else:
                suite.sender.transact(shares.functions.withdrawReserve(roles.treasury, amount), roles.admin, "S")
                model.reserve_paid_out += amount

        @rule(index=st.integers(0, 9))
        def retire(self, index: int) -> None:
            model = self._pick(index)
            if not model.retired:
                suite.set_asset_status(model.asset_id, AssetStatus.RETIRED, roles.operator)
                model.retired = True

        @rule(index=st.integers(0, 9), holder=st.integers(0, 4), share=st.integers(1, 100))
        def burn(self, index: int, holder: int, share: int) -> None:
            model = self._pick(index)
            if not model.retired:
                return
            amount = suite.share_balance(model.asset_id, people[holder]) * share // 100
            if amount:
                before = suite.claimable(model.asset_id, people[holder])
                shares = suite.share_token(model.asset_id)
                suite.sender.transact(shares.functions.burn(amount), people[holder], "S")
                assert suite.claimable(model.asset_id, people[holder]) == before

        @invariant()
        def conservation(self) -> None:
            campaign["checks"] += 1
            for model in getattr(self, "assets", []):
                shares = suite.share_token(model.asset_id)
                # One JSON-RPC batch per asset keeps the campaign fast.
                with w3.batch_requests() as batch:
                    for holder in people:
                        batch.add(shares.functions.claimableOf(holder))
                    batch.add(shares.functions.pools())
                    batch.add(token.functions.balanceOf(shares.address))
                    results = batch.execute()
                claimable = sum(results[: len(people)])
                operator_fees, protocol_fees, reserve, dust_e18 = results[len(people)]
                held = results[len(people) + 1]
                owed = claimable + operator_fees + protocol_fees + reserve
                slack = held - owed
                assert slack >= 0, f"asset {model.asset_id}: owes {owed} but holds {held}"
                # What is held beyond what is owed is the carried remainder (exact, in 1e18
                # units) plus each holder's own sub-unit remainder: below one unit per holder.
                carried = dust_e18 // 10**18
                assert carried <= slack <= carried + len(people), f"asset {model.asset_id}: {slack} units unaccounted"
                accounted = (
                    model.claimed
                    + claimable
                    + operator_fees
                    + protocol_fees
                    + model.fees_paid_out
                    + reserve
                    + model.reserve_paid_out
                    + slack
                )
                assert accounted == model.paid_in

    return RevenueMachine


@pytest.mark.parametrize("token_name", ["usdc6", "dai18"])
def test_revenue_is_conserved_over_random_sequences(suite, roles, tokens, w3, token_name):
    campaign = {"runs": 0, "checks": 0}
    machine = make_machine(suite, roles, getattr(tokens, token_name), w3, campaign)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=int(os.environ.get("REVENUE_CAMPAIGN_RUNS", "30")),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    report_figures(f"\nrevenue campaign ({token_name}): {campaign['runs']} runs, {campaign['checks']} invariant checks")
