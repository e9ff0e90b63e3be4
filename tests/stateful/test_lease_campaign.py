"""Stateful campaign over GPU leases: opens (with ended leases released first and predecessors
taking over capacity), position transfers and approvals, extensions, terminations,
preemptions, clock jumps with oracle reports (some skipped, some late, some challenged and
voided or upheld), settlements, capacity releases, claims, and the registry's pause and an
asset's maintenance (no opening or extending, every exit still open), on two 6-GPU assets
paying in a 6- and an 18-decimal token (one priced dynamically, so prices move with
bookings).

A Python model (`tests/stateful/lease_model.py`) holds the manager's state, the oracle's
report ring and challenges and each share token's waterfall. Every transaction's outcome is
predicted from it first (success, or the exact custom error with its arguments); blocks come
exactly one second apart (anvil's timestamp interval), so the model knows each transaction's
time to the second and clock boundaries (epoch starts, report deadlines, dispute windows) are
hit exactly, not avoided: settlements one second before and at the second an epoch becomes
settleable, extensions at the last and first second of a lease's end epoch, terminations
at its start. After every step, reading the chain, per asset and to the wei:

1. every lease's view and position owner equal the model's;
2. capacity: booked (capacityOf) == the model's, == the GPUs (less those handed over) of
   leases whose capacity is not released, <= the GPU count; and in each of the next 200
   epochs the GPUs of the leases covering it are <= the GPU count;
3. escrow conservation, from the events since the run began (LeaseOpened, LeaseExtended,
   LeaseSettled, LeaseTerminated, LeasePreempted, LeaseClaimed, and the share token's
   RevenueDistributed with the manager as payer) and the chain's lease views:
   released to the waterfall == settled releases + termination fees;
   paid == released + credited + refunded + sum(escrow);
   paid + compensation == released + sum(escrow) + sum(claimable) + paid out to positions;
   and each of these equals the model's;
4. token conservation: the share token's payment-token balance == sum(escrow) +
   sum(claimable) of its asset's leases + operator and protocol fee pools + reserve + the
   holder's claimableOf + the accumulator's carried remainder (whole units: one holder owns
   every share); pools and claimableOf equal the model's;
5. each lease: its escrow never grew except by an extension in that step; nextEpoch <=
   endEpoch; a closed lease holds no escrow; its SLA credits <= what it was charged (from its
   LeaseSettled events, equal to the model's);
6. the lessees', the operator's and the holder's token balances moved exactly as the model
   says (payments, refunds, claims, compensation);
7. quote() for 1, 3 and 6 GPUs is the model's price at the current booking.

The campaign runs on a chain of its own (the `lease_chain` fixture: the suite deployed as in
tests/conftest.py, anvil started with --prune-history), so that its tens of thousands of
blocks leave no state on disk and its one-second block interval touches no other test.

LEASE_CAMPAIGN_RUNS (default 50) and LEASE_CAMPAIGN_STEPS (default 30) size it, per
parametrization. At the default size or above the campaign asserts that every rule ran with
the outcomes it is there for (REQUIRED); it prints how often each action ran, and which of
the rarer paths (EXPECTED) a campaign happened to miss.
"""

from __future__ import annotations

import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import Web3

from compute_rwa import AssetRegistration, DeployPlan, SuiteClient, deploy_suite
from compute_rwa.chain import LocalChain
from compute_rwa.deploy import OraclePlan
from compute_rwa.oracle.client import OracleClient
from compute_rwa.oracle.reports import OracleDomain, Report, pack_reports
from compute_rwa.tx import TxSender, contract_at
from tests.conftest import GENESIS_EPOCHS_AGO, ORACLE_BOND, ORACLE_KEYS, Roles
from tests.helpers import report_figures
from tests.stateful.lease_model import (
    ACTIVE,
    CLOSED,
    DISPUTABLE,
    MAX_UINT,
    MISSING,
    PRECISION,
    PREEMPTED,
    READY,
    AssetM,
    Chain,
    Revert,
    World,
)
from tests.unit.lease_manager.conftest import configure_asset, fund_and_approve, manager_contracts
from tests.unit.metrics_oracle.conftest import CHALLENGE_BOND, NODE_1

DEFAULT_RUNS, DEFAULT_STEPS = 50, 30
RUNS = int(os.environ.get("LEASE_CAMPAIGN_RUNS", str(DEFAULT_RUNS)))
STEPS = int(os.environ.get("LEASE_CAMPAIGN_STEPS", str(DEFAULT_STEPS)))

GPUS = 6
QUOTED = (1, 3, 6)  # GPUs the invariant quotes (for two epochs) against the model
HORIZON = 200  # epochs ahead in which the per-epoch capacity bound is checked
#: Per token: base price per GPU-hour (odd, so that charges round), SLA target, termination
#: fee, compensation, notice, min and max epochs.
PRICES = {"usdc6": 1_999_999, "dai18": 2 * 10**18 + 123_456_789}
POLICIES = {"usdc6": (9_900, 1_000, 2_000, 2, 1, 200), "dai18": (9_500, 2_500, 5_000, 1, 1, 120)}
#: Dynamic pricing: the premium starts at half the GPUs booked and reaches 75% when all are.
TARGET_UTILIZATION, MAX_PREMIUM = 5_000, 7_500
#: Actions every campaign of the default size (or larger) must have taken: every rule, and
#: the outcomes the rules are there for.
REQUIRED = (
    "open:ok",
    "open:release_first",
    "open:predecessor",
    "open:LeaseInsufficientCapacity",
    "open:LeasePaused",
    "open:LeaseAssetNotActive",
    "transfer",
    "approve",
    "extend:ok",
    "extend:LeaseCapacityPromised",
    "extend:LeaseAlreadyEnded",
    "terminate:ok",
    "preempt:ok",
    "warp",
    "report",
    "report:on_time",
    "report:late",
    "report:skipped_epoch",
    "challenge",
    "resolve:upheld",
    "settle:ok",
    "settle:credit",
    "settle:no_report",
    "settle:LeaseNothingToSettle",
    "settle_many",
    "release:ok",
    "claim:ok",
    "holder_claim",
    "while_paused",
    "in_maintenance",
)
#: Rarer paths, usually taken too: listed when a campaign missed one, not a failure.
EXPECTED = (
    "open:LeasePriceAboveMax",
    "open:LeaseInvalidStart",
    "open:LeaseInvalidPredecessor",
    "open:LeaseCapacityInUse",
    "acted_by_approved",
    "extend:at_end",
    "extend:LeaseNotRunning",
    "extend:LeaseInvalidDuration",
    "extend:LeaseNotOwner",
    "extend:LeasePaused",
    "extend:LeaseAssetNotActive",
    "terminate:started",
    "terminate:unstarted",
    "terminate:at_start",
    "terminate:LeaseNothingToEnd",
    "terminate:LeaseNotOwner",
    "preempt:LeaseNoticeTooShort",
    "preempt:LeaseNotRunning",
    "preempt:LeaseUnauthorizedOperator",
    "resolve:rejected",
    "settle:one_second_early",
    "settle:challenged_wait",
    "settle:closed_by_settlement",
    "settle:closed",
    "release:LeaseCapacityInUse",
    "release:LeaseCapacityAlreadyReleased",
    "claim:LeaseNothingToClaim",
    "claim:LeaseNotOwner",
)


def make_machine(ctx: dict[str, Any], campaign: dict[str, Any]) -> type[RuleBasedStateMachine]:
    chain: Chain = ctx["chain"]
    manager, positions, oracle = ctx["manager"], ctx["positions"], ctx["oracle"]
    assets: dict[int, AssetM] = ctx["assets"]
    asset_ids = sorted(assets)
    tokens = {a.id: ctx["token_contracts"][a.token] for a in assets.values()}
    shares = {a.id: ctx["share_contracts"][a.id] for a in assets.values()}
    lessees: list[str] = ctx["lessees"]
    stranger, operator, admin, holder = ctx["stranger"], ctx["operator"], ctx["admin"], ctx["holder"]
    registry, pauser = ctx["registry"], ctx["pauser"]
    transmitter, challenger = ctx["transmitter"], ctx["challenger"]
    keys: tuple[LocalAccount, ...] = ctx["keys"]
    domain: OracleDomain = ctx["domain"]
    tracked = [*lessees, operator, holder]  # accounts whose token balances the model follows
    genesis, epoch_seconds = ctx["genesis"], ctx["epoch_seconds"]
    names = {a.id: ctx["token_names"][a.token] for a in assets.values()}

    class LeaseMachine(RuleBasedStateMachine):
        # ------------------------------------------------------------ set-up

        @initialize(offset=st.integers(0, epoch_seconds - 1))
        def start(self, offset: int) -> None:
            campaign["runs"] += 1
            self.steps, self.kinds = -1, set()
            self.snapshot = chain.rpc("evm_snapshot", [])
            now = chain.now()
            # Each run starts at a random second of a fresh epoch.
            start = genesis + ((now - genesis) // epoch_seconds + 1) * epoch_seconds + offset
            self.now = chain.warp_to(start)
            self.world = World(genesis, epoch_seconds, ctx["grace"], ctx["window"], ctx["ring_size"], admin)
            self.world.assets = {i: AssetM(**{**a.__dict__}) for i, a in assets.items()}
            self.first_epoch = self.world.epoch(self.now)  # reports start here
            self.log_block = int(chain.rpc("eth_blockNumber", []), 16) + 1
            self.ev: dict[int, Counter[str]] = {i: Counter() for i in asset_ids}
            self.ev_lease: dict[int, Counter[str]] = defaultdict(Counter)
            self.lease_asset: dict[int, int] = {}
            self.prev_escrow: dict[int, int] = {}
            calls = [(tokens[i], "balanceOf", (acct,)) for i in asset_ids for acct in tracked]
            calls += [(tokens[i], "balanceOf", (shares[i].address,)) for i in asset_ids]
            results = chain.calls(calls)
            self.base_balances = {
                (assets[i].token, acct): results[k * len(tracked) + j]
                for k, i in enumerate(asset_ids)
                for j, acct in enumerate(tracked)
            }
            # The assets are fresh: their share tokens hold nothing before the campaign.
            assert results[len(asset_ids) * len(tracked) :] == [0] * len(asset_ids)

        def teardown(self) -> None:
            if hasattr(self, "snapshot"):
                reverted = chain.rpc("evm_revert", [self.snapshot])
                assert reverted is True, f"evm_revert {self.snapshot}: {reverted}"
                campaign["steps"].append(self.steps)
                campaign["runs with"].update(self.kinds)

        # ------------------------------------------------------------ helpers

        def _count(self, kind: str) -> None:
            campaign["actions"][kind] += 1
            self.kinds.add(kind)

        @property
        def t(self) -> int:
            """The timestamp of the next transaction's block."""
            return self.now + 1

        def _tx(self, sender: str, contract: Any, name: str, args: tuple[Any, ...], op: Any) -> tuple[Any, Any]:
            """Predicts the call with `op(world, t)` on a copy of the model, sends it, and checks
            the outcome: success (the copy becomes the model) or the exact custom error (the
            model stays). Returns (error or None, op's result)."""
            t = self.t
            trial = self.world.clone()
            try:
                result, expected = op(trial, t), None
            except Revert as r:
                result, expected = None, r.error
            tx = chain.send(sender, contract, name, *args)
            assert tx.timestamp == t, f"block time {tx.timestamp}, expected {t}"
            self.now = t
            if expected is None:
                assert tx.status == 1, f"{name}{args} at {t}: reverted with {tx.error}; the model expected success"
                self.world = trial
            else:
                assert tx.status == 0, f"{name}{args} at {t}: succeeded; the model expected {expected}"
                assert tx.error == expected, f"{name}{args} at {t}: reverted with {tx.error}, model {expected}"
            return expected, result

        def _outcome(self, action: str, error: Any) -> None:
            self._count(f"{action}:ok" if error is None else f"{action}:{error[0]}")

        def _leases(self, asset: int | None = None, where: Any = None) -> list[int]:
            return sorted(
                i
                for i, x in self.world.leases.items()
                if (asset is None or x.asset == asset) and (where is None or where(x))
            )

        def _releasable(self, x: Any) -> bool:
            return not x.released and self.world.epoch_start(x.end) <= self.t

        # ------------------------------------------------------------ lessees

        @rule(data=st.data())
        def open_lease(self, data: Any) -> None:
            """A lease of random size, length and start, naming ended leases to release first
            and leases ending by its start as predecessors now and then."""
            asset = data.draw(st.sampled_from(asset_ids), label="asset")
            current = self.world.epoch(self.t)
            when = data.draw(st.sampled_from(["next", "next", "explicit", "ahead", "ahead", "ahead", "past"]))
            start = {
                "next": 0,
                "explicit": current + 1,
                "ahead": current + 1 + data.draw(st.integers(1, 72), label="ahead"),
                "past": current,
            }[when]
            self._open(data, asset, start, [])

        @precondition(lambda self: self._leases(where=self._releasable))
        @rule(data=st.data())
        def open_releasing(self, data: Any) -> None:
            """A lease on an asset with ended leases whose capacity is still booked: naming them
            frees it first."""
            asset = self.world.leases[data.draw(st.sampled_from(self._leases(where=self._releasable)))].asset
            self._open(data, asset, 0, [], release=True)

        def _successors(self) -> list[int]:
            return self._leases(where=lambda x: not x.released and x.gpus > x.handed)

        @precondition(lambda self: self._successors())
        @rule(data=st.data())
        def open_successor(self, data: Any) -> None:
            """A forward booking taking over the GPUs of a lease that ends by its start."""
            candidates = self._successors()
            # Mostly one still running: its GPUs get promised before it ends.
            running = [i for i in candidates if self.world.leases[i].end > self.world.epoch(self.t)]
            if running and data.draw(st.integers(0, 2), label="a running one"):
                candidates = running
            first = self.world.leases[data.draw(st.sampled_from(candidates), label="predecessor")]
            start = max(first.end, self.world.epoch(self.t) + 1) + data.draw(st.integers(0, 2), label="gap")
            self._open(data, first.asset, start, [first.id])
            first = self.world.leases[first.id]
            if first.handed and first.status == ACTIVE and data.draw(st.integers(0, 3), label="extend it"):
                # Its GPUs are promised now: it may not run longer (LeaseCapacityPromised).
                self._extend(data, first.id, first.owner)

        def _open(self, data: Any, asset: int, start: int, predecessors: list[int], release: bool = False) -> None:
            w, t = self.world, self.t
            current = w.epoch(t)
            a = w.assets[asset]
            lessee = data.draw(st.sampled_from(lessees), label="lessee")
            free = a.gpu_count - a.booked
            gpus = data.draw(
                st.one_of(st.integers(1, 3), st.integers(1, GPUS + 1), st.just(max(1, free)), st.just(free + 1)),
                label="gpus",
            )
            epochs = data.draw(st.one_of(st.integers(1, 6), st.integers(1, 48), st.integers(24, 130)), label="epochs")
            effective_start = start or current + 1
            # Ended leases released first; now and then one that cannot be (an error).
            releasable = self._leases(asset, self._releasable)
            release_first: list[int] = []
            if releasable and (release or data.draw(st.integers(0, 3), label="release first")):
                release_first = data.draw(st.lists(st.sampled_from(releasable), unique=True, min_size=1, max_size=4))
            if not data.draw(st.integers(0, 9), label="bad release"):
                wrong = self._leases(asset, lambda x: x.released or not self._releasable(x))
                if wrong:
                    release_first.append(data.draw(st.sampled_from(wrong), label="unreleasable"))
            # Predecessors: leases ending by the start, with GPUs left to hand over.
            handing = self._leases(
                asset,
                lambda x: not x.released
                and x.end <= effective_start
                and x.gpus > x.handed
                and x.id not in predecessors,
            )
            if handing and data.draw(st.integers(0, 2), label="name predecessors"):
                predecessors = predecessors + data.draw(st.lists(st.sampled_from(handing), unique=True, max_size=3))
            request = [asset, gpus, start, epochs, MAX_UINT, lessee]
            price_kind = data.draw(st.sampled_from(["max", "max", "max", "exact", "below"]), label="max price")
            if price_kind != "max":
                # The exact quote as the maximum (succeeds), or one unit less (LeasePriceAboveMax).
                probe = w.clone()
                try:
                    paid = probe.leases[probe.open(lessee, tuple(request), release_first, predecessors, t)].paid
                    request[4] = paid if price_kind == "exact" else paid - 1
                except Revert:
                    pass
            req = tuple(request)

            def op(world: World, at: int) -> int:
                return world.open(lessee, req, list(release_first), list(predecessors), at)

            error, _ = self._tx(lessee, manager, "open", (req, release_first, predecessors), op)
            self._outcome("open", error)
            if error is None and release_first:
                self._count("open:release_first")
            if error is None and predecessors:
                self._count("open:predecessor")

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def transfer(self, data: Any) -> None:
            lease_id = data.draw(st.sampled_from(self._leases()), label="lease")
            owner = self.world.leases[lease_id].owner
            to = data.draw(st.sampled_from([x for x in lessees if x != owner]), label="to")

            def op(world: World, at: int) -> None:
                world.transfer(lease_id, to)

            self._tx(owner, positions, "transferFrom", (owner, to, lease_id), op)
            self._count("transfer")

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def approve(self, data: Any) -> None:
            """The owner lets another lessee act for the position (the owner still gets paid)."""
            lease_id = data.draw(st.sampled_from(self._leases()), label="lease")
            owner = self.world.leases[lease_id].owner
            spender = data.draw(st.sampled_from([x for x in lessees if x != owner]), label="spender")

            def op(world: World, at: int) -> None:
                world.approved[lease_id] = spender

            self._tx(owner, positions, "approve", (spender, lease_id), op)
            self._count("approve")

        def _exit(self, data: Any) -> None:
            """One of the ways out of a lease (or a settlement), when there are leases."""
            if not self.world.leases:
                return
            exit_rule = data.draw(
                st.sampled_from(["terminate", "claim", "settle", "preempt", "transfer"]), label="exit"
            )
            getattr(self, exit_rule)(data)

        @rule(data=st.data())
        def while_paused(self, data: Any) -> None:
            """The registry paused: opening and extending revert (LeasePaused); terminations,
            claims, settlements, preemptions and transfers still work. Then unpaused."""

            def pause(paused: bool) -> None:
                def op(world: World, at: int) -> None:
                    world.paused = paused

                self._tx(pauser, registry, "pause" if paused else "unpause", (), op)

            pause(True)
            self.open_lease(data)
            if self.world.leases:
                self.extend(data)
            self._exit(data)
            pause(False)
            self._count("while_paused")

        @rule(data=st.data())
        def in_maintenance(self, data: Any) -> None:
            """An asset in maintenance: no new leases or extensions (LeaseAssetNotActive), exits
            still work. Then active again."""
            asset = data.draw(st.sampled_from(asset_ids), label="asset")

            def status(value: int) -> None:
                def op(world: World, at: int) -> None:
                    world.assets[asset].status = value

                self._tx(operator, registry, "setAssetStatus", (asset, value), op)

            status(1)
            self.open_lease(data)
            if self.world.leases:
                self.extend(data)
            self._exit(data)
            status(0)
            self._count("in_maintenance")

        def _pick(self, data: Any, groups: dict[str, list[int]], label: str) -> int:
            """A lease from one of the non-empty groups (each group equally likely)."""
            kind = data.draw(st.sampled_from(sorted(k for k, v in groups.items() if v)), label=f"{label} kind")
            return data.draw(st.sampled_from(groups[kind]), label=label)

        def _sender(self, data: Any, lease_id: int) -> str:
            """The position's owner, or its approved spender, now and then a stranger (LeaseNotOwner)."""
            who = data.draw(st.integers(0, 11), label="sender")
            approved = self.world.approved.get(lease_id)
            if who == 0:
                return stranger
            if who <= 3 and approved is not None:
                self._count("acted_by_approved")
                return approved
            return self.world.leases[lease_id].owner

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def extend(self, data: Any) -> None:
            w, t = self.world, self.t
            current = w.epoch(t)
            groups = {
                "running": self._leases(where=lambda x: x.status == ACTIVE and x.end > current and not x.handed),
                "promised": self._leases(where=lambda x: x.status == ACTIVE and x.end > current and x.handed),
                "ended": self._leases(where=lambda x: x.status == ACTIVE and x.end <= current),
                "stopped": self._leases(where=lambda x: x.status != ACTIVE),
            }
            lease_id = self._pick(data, groups, "lease")
            if lease_id in groups["running"] and not data.draw(st.integers(0, 3), label="at its end"):
                # The last second before the lease's end epoch (extends) or its first (too late).
                target = w.epoch_start(w.leases[lease_id].end) - 1 - data.draw(st.integers(0, 1), label="early")
                if target > self.now:
                    self.now = chain.warp_to(target)
                    t = self.t
                    self._count("extend:at_end")
            self._extend(data, lease_id, self._sender(data, lease_id))

        def _extend(self, data: Any, lease_id: int, sender: str) -> None:
            w, t = self.world, self.t
            epochs = data.draw(
                st.one_of(st.integers(1, 12), st.integers(1, 160), st.integers(100, 250)), label="epochs"
            )
            max_cost = MAX_UINT
            if not data.draw(st.integers(0, 4), label="exact cost"):
                try:
                    probe = w.clone()
                    cost = probe.extend(sender, lease_id, epochs, MAX_UINT, t)
                    max_cost = cost - data.draw(st.integers(0, 1), label="below")
                except Revert:
                    pass

            def op(world: World, at: int) -> int:
                return world.extend(sender, lease_id, epochs, max_cost, at)

            error, _ = self._tx(sender, manager, "extend", (lease_id, epochs, max_cost), op)
            self._outcome("extend", error)

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def terminate(self, data: Any) -> None:
            current = self.world.epoch(self.t)

            def bucket(x: Any) -> str:
                if x.status not in (ACTIVE, PREEMPTED):
                    return "other"
                if x.end - 1 <= current:
                    return "ending"  # nothing after the current epoch: LeaseNothingToEnd
                return "unstarted" if x.start > current else "running"

            groups = {
                k: self._leases(where=lambda x, k=k: bucket(x) == k)
                for k in ("running", "unstarted", "ending", "other")
            }
            lease_id = self._pick(data, groups, "lease")
            lease = self.world.leases[lease_id]
            if lease_id in groups["unstarted"] and not data.draw(st.integers(0, 2), label="at its start"):
                # The last second before the lease starts (never served) or its first (one epoch).
                target = self.world.epoch_start(lease.start) - 1 - data.draw(st.integers(0, 1), label="early")
                if target > self.now:
                    self.now = chain.warp_to(target)
                    self._count("terminate:at_start")
            sender = self._sender(data, lease_id)
            unstarted = lease.start > self.world.epoch(self.t)

            def op(world: World, at: int) -> tuple[int, int]:
                return world.terminate(sender, lease_id, at)

            error, _ = self._tx(sender, manager, "terminate", (lease_id,), op)
            self._outcome("terminate", error)
            if error is None:
                self._count("terminate:unstarted" if unstarted else "terminate:started")

        # ------------------------------------------------------------ operator

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def preempt(self, data: Any) -> None:
            current = self.world.epoch(self.t)
            groups = {
                "room": self._leases(where=lambda x: x.status == ACTIVE and x.end > current + 1 + x.notice),
                "active": self._leases(where=lambda x: x.status == ACTIVE),
                "other": self._leases(where=lambda x: x.status != ACTIVE),
            }
            lease_id = self._pick(data, groups, "lease")
            lease = self.world.leases[lease_id]
            room = lease.end - (self.world.epoch(self.t) + 1 + lease.notice)
            k = data.draw(
                st.one_of(st.integers(0, max(0, room - 1)), st.integers(-2, -1), st.integers(0, 30)),
                label="extra notice",
            )
            effective = max(0, self.world.epoch(self.t) + 1 + lease.notice + k)
            sender = data.draw(st.sampled_from([operator, operator, operator, admin, lessees[0]]), label="caller")

            def op(world: World, at: int) -> tuple[int, int]:
                return world.preempt(sender, lease_id, effective, at)

            error, _ = self._tx(sender, manager, "preempt", (lease_id, effective), op)
            self._outcome("preempt", error)

        # ------------------------------------------------------------ clock and oracle

        @rule(data=st.data())
        def advance(self, data: Any) -> None:
            """Moves the clock by one to three jumps of hours, reporting after most of them."""
            jumps = data.draw(
                st.lists(st.one_of(st.integers(1, 6), st.integers(1, 30), st.integers(1, 80)), min_size=1, max_size=3),
                label="hours",
            )
            for hours in jumps:
                how = data.draw(st.sampled_from(["plain", "plain", "boundary", "jitter"]), label="landing")
                target = self.now + hours * 3600
                if how == "boundary":
                    # The next transaction lands on the first second of an epoch.
                    target = self.world.epoch_start(self.world.epoch(target)) - 1
                elif how == "jitter":
                    target += data.draw(st.integers(-1800, 1800), label="seconds")
                self.now = chain.warp_to(max(target, self.now + 1))
                self._count("warp")
                if data.draw(st.integers(0, 3), label="report after"):
                    self._report(data)

        def _unreported(self, asset: int) -> list[int]:
            a = self.world.assets[asset]
            first = self.first_epoch if a.latest is None else a.latest + 1
            return list(range(max(first, self.world.epoch(self.t) - 150), self.world.epoch(self.t)))

        @precondition(lambda self: any(self._unreported(a) for a in asset_ids))
        @rule(data=st.data())
        def report(self, data: Any) -> None:
            self._report(data)

        def _report(self, data: Any) -> None:
            """Reports the ended epochs not reported yet, skipping some (they stay missing)."""
            t, w = self.t, self.world
            # One seed and one mix per batch rather than a draw per epoch: a long jump has
            # hundreds of epochs to report, more than hypothesis's buffer for a whole run.
            mix = data.draw(st.sampled_from(["perfect", "mostly", "mostly", "mixed", "poor", "patchy"]), label="mix")
            rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
            reports: list[Report] = []
            for asset in asset_ids:
                target = w.assets[asset].policy[0]
                for e in self._unreported(asset):
                    roll = rng.random()
                    if mix != "perfect" and roll < {"patchy": 0.4}.get(mix, 0.08):
                        self._count("report:skipped_epoch")
                        continue
                    if mix == "perfect" or (mix == "mostly" and roll < 0.85):
                        uptime = 10_000
                    elif mix == "poor":
                        uptime = rng.randint(0, target)
                    else:
                        uptime = rng.choice([0, target - 1, target, 9_999, 10_000, rng.randint(0, 10_000)])
                    self._count("report:late" if t > w.epoch_start(e + 1) + w.grace else "report:on_time")
                    # utilization, uptime, GPU-hours, energy, power: within the 6-GPU bounds
                    reports.append(Report(asset, e, NODE_1, 8_000, uptime, 4_000, 4_000, 4_000))
            if not reports:
                return
            packed = pack_reports(reports)
            digest = domain.digest(packed)
            signatures = b""
            for key in keys:
                signed = key.unsafe_sign_hash(digest)
                signatures += signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])

            def op(world: World, at: int) -> None:
                for r in reports:
                    world.store_report(r.asset_id, r.epoch, r.uptime_bps, at)

            error, _ = self._tx(transmitter, oracle, "submitReports", (packed, signatures), op)
            assert error is None
            self._count("report")

        def _challengeable(self) -> list[tuple[int, int]]:
            t, w = self.t, self.world
            return sorted(
                (a.id, r.epoch)
                for a in w.assets.values()
                for r in a.ring.values()
                if not r.voided and r.epoch not in a.challenges and t <= r.updated_at + w.window
            )

        @precondition(lambda self: self._challengeable())
        @rule(data=st.data())
        def challenge(self, data: Any) -> None:
            """Challenges a report in its dispute window, mostly one a lease still has to settle."""
            candidates = self._challengeable()
            pending = [
                (a, e)
                for a, e in candidates
                if any(x.asset == a and x.next == e and x.status != CLOSED for x in self.world.leases.values())
            ]
            if pending and data.draw(st.integers(0, 3), label="the next epoch of a lease"):
                candidates = pending
            asset, epoch = data.draw(st.sampled_from(candidates), label="report")
            self._challenge(asset, epoch)
            # Settling a lease whose next epoch this was now waits on the arbiter (readyAt 0).
            waiting = self._leases(where=lambda x: x.asset == asset and x.next == epoch and x.status != CLOSED)
            if waiting and data.draw(st.integers(0, 3), label="settle it"):
                self._settle(data, data.draw(st.sampled_from(waiting), label="waiting lease"))

        def _challenge(self, asset: int, epoch: int) -> None:
            def op(world: World, at: int) -> None:
                world.assets[asset].challenges[epoch] = "open"

            error, _ = self._tx(challenger, oracle, "challenge", (asset, epoch), op)
            assert error is None
            self._count("challenge")

        def _open_challenges(self) -> list[tuple[int, int]]:
            return sorted((a.id, e) for a in self.world.assets.values() for e, s in a.challenges.items() if s == "open")

        @precondition(lambda self: self._open_challenges())
        @rule(data=st.data())
        def resolve(self, data: Any) -> None:
            asset, epoch = data.draw(st.sampled_from(self._open_challenges()), label="challenge")
            upheld = data.draw(st.sampled_from([True, True, False]), label="upheld")

            def op(world: World, at: int) -> None:
                a = world.assets[asset]
                a.challenges[epoch] = "upheld" if upheld else "rejected"
                held = world.held(a, epoch)
                if upheld and held is not None:
                    held.voided = True

            error, _ = self._tx(admin, oracle, "resolveChallenge", (asset, epoch, upheld), op)
            assert error is None
            self._count("resolve:upheld" if upheld else "resolve:rejected")
            if upheld:
                # Restore the slashed signers' bonds so that reports keep their quorum.
                for key, bond in zip(keys, chain.calls([(oracle, "bondOf", (k.address,)) for k in keys]), strict=True):
                    if bond[0] < ORACLE_BOND:
                        tx = chain.send(admin, oracle, "depositBond", key.address, ORACLE_BOND - bond[0])
                        assert tx.status == 1
                        self.now = tx.timestamp

        # ------------------------------------------------------------ anyone

        def _waits_for(self, lease: Any) -> int | None:
            """When the lease's next epoch can be settled (READY: now; 0: after a challenge)."""
            return None if lease.status == CLOSED else self.world.measured(lease.asset, lease.next, self.t)[0]

        def _ready(self) -> list[int]:
            return self._leases(where=lambda x: self._waits_for(x) == READY)

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def settle(self, data: Any) -> None:
            """Settles a lease that is ready, waiting (for an epoch's end, a dispute window, a
            challenge or the report grace) or closed."""
            groups = {
                "ready": self._ready(),
                "waiting": self._leases(where=lambda x: self._waits_for(x) not in (None, 0, READY)),
                "challenged": self._leases(where=lambda x: self._waits_for(x) == 0),
                "closed": self._leases(where=lambda x: x.status == CLOSED),
            }
            self._settle(data, self._pick(data, groups, "lease"))

        @precondition(lambda self: self._ready())
        @rule(data=st.data())
        def settle_ready(self, data: Any) -> None:
            self._settle(data, data.draw(st.sampled_from(self._ready()), label="ready lease"))

        @precondition(lambda self: self._leases(where=lambda x: x.status != CLOSED))
        @rule(data=st.data())
        def settle_on_time(self, data: Any) -> None:
            """Moves the clock to the very second a lease's next epoch can be settled (its end,
            its dispute window's close, or the report grace's end), reporting the epoch when it
            has just ended (mostly), and settles there; now and then one second early first,
            which must revert with LeaseNothingToSettle naming that second. Sometimes its
            report is challenged instead while disputable: the settlement waits (readyAt 0)."""
            lease_id = data.draw(st.sampled_from(self._leases(where=lambda x: x.status != CLOSED)), label="lease")
            for _ in range(4):
                lease = self.world.leases[lease_id]
                ready_at = self._waits_for(lease)
                if ready_at in (READY, 0) or ready_at - self.t > 10 * 24 * 3600:
                    break
                w = self.world
                status, _, updated_at, _ = w.report_status(lease.asset, lease.next, self.t)
                if (
                    status == DISPUTABLE
                    and updated_at <= w.epoch_start(lease.next + 1) + w.grace
                    and lease.next not in w.assets[lease.asset].challenges
                    and not data.draw(st.integers(0, 3), label="challenge it")
                ):
                    self._challenge(lease.asset, lease.next)  # now it waits on the arbiter
                    break
                if ready_at - 2 >= self.now and not data.draw(st.integers(0, 4), label="one second early"):
                    if ready_at - 2 > self.now:
                        self.now = chain.warp_to(ready_at - 2)
                    error = self._settle(data, lease_id)
                    assert error is not None and error[1]["readyAt"] == ready_at, error
                    self._count("settle:one_second_early")
                if ready_at - 1 > self.now:
                    self.now = chain.warp_to(ready_at - 1)
                    self._count("warp")
                status = self.world.report_status(lease.asset, lease.next, self.t)[0]
                if status == MISSING and self._unreported(lease.asset) and data.draw(st.integers(0, 3), label="report"):
                    self._report(data)
            self._settle(data, lease_id)

        def _settle(self, data: Any, lease_id: int) -> Any:
            """Settles the lease (anyone may); returns the error, if it reverted."""
            w, t = self.world, self.t
            max_epochs = data.draw(st.one_of(st.just(1), st.integers(1, 6), st.just(10_000)), label="max epochs")
            lease = w.leases[lease_id]
            # Whether an epoch about to be settled falls under the no-report rule (for the counts).
            no_report = False
            for e in range(lease.next, min(lease.end, lease.next + max_epochs)):
                ready_at, _, reported = w.measured(lease.asset, e, t)
                if ready_at != READY:
                    break
                no_report = no_report or not reported
            before = lease.credited

            def op(world: World, at: int) -> int:
                return world.settle(lease_id, max_epochs, at)

            error, _ = self._tx(manager_caller(data), manager, "settle", (lease_id, max_epochs), op)
            if error is not None and error[0] == "LeaseNotRunning":
                self._count("settle:closed")
                return error
            self._outcome("settle", error)
            if error is not None and error[1]["readyAt"] == 0:
                self._count("settle:challenged_wait")
            if error is None:
                if self.world.leases[lease_id].credited > before:
                    self._count("settle:credit")
                if no_report:
                    self._count("settle:no_report")
                if self.world.leases[lease_id].status == CLOSED:
                    self._count("settle:closed_by_settlement")
            return error

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def settle_many(self, data: Any) -> None:
            ids = data.draw(st.lists(st.sampled_from(self._leases()), min_size=1, max_size=8), label="leases")
            max_each = data.draw(st.one_of(st.integers(1, 5), st.just(10_000)), label="max each")

            def op(world: World, at: int) -> list[int]:
                return world.settle_many(ids, max_each, at)

            error, _ = self._tx(manager_caller(data), manager, "settleMany", (ids, max_each), op)
            assert error is None
            self._count("settle_many")

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def release_capacity(self, data: Any) -> None:
            releasable = self._leases(where=self._releasable)
            ids = (
                data.draw(st.lists(st.sampled_from(releasable), unique=True, min_size=1, max_size=4))
                if releasable
                else []
            )
            if not ids or not data.draw(st.integers(0, 4), label="bad one"):
                ids.append(data.draw(st.sampled_from(self._leases()), label="any lease"))

            def op(world: World, at: int) -> None:
                world.release_many(ids, at)

            error, _ = self._tx(manager_caller(data), manager, "releaseCapacity", (ids,), op)
            self._outcome("release", error)

        @precondition(lambda self: self.world.leases)
        @rule(data=st.data())
        def claim(self, data: Any) -> None:
            groups = {
                "owed": self._leases(where=lambda x: x.claimable > 0),
                "any": self._leases(),
            }
            lease_id = self._pick(data, groups, "lease")
            sender = self._sender(data, lease_id)

            def op(world: World, at: int) -> int:
                return world.claim(sender, lease_id)

            error, _ = self._tx(sender, manager, "claim", (lease_id,), op)
            self._outcome("claim", error)

        @precondition(lambda self: any(a.holder_claimable() for a in self.world.assets.values()))
        @rule(data=st.data())
        def holder_claim(self, data: Any) -> None:
            """The holder of every share claims an asset's revenue from its share token."""
            asset = data.draw(st.sampled_from(asset_ids), label="asset")

            def op(world: World, at: int) -> int:
                a = world.assets[asset]
                amount = a.holder_claimable()
                a.holders_claimed += amount
                world._pay(a.token, holder, amount)
                return amount

            error, _ = self._tx(holder, shares[asset], "claim", (), op)
            assert error is None
            self._count("holder_claim")

        # ------------------------------------------------------------ invariants

        @invariant()
        def chain_matches_model(self) -> None:
            if not hasattr(self, "snapshot"):
                return  # before the initialize rule
            campaign["checks"] += 1
            self.steps += 1
            w = self.world
            ids = self._leases()
            block = int(chain.rpc("eth_blockNumber", []), 16)
            logs = (
                chain.logs([manager.address, *(s.address for s in shares.values())], self.log_block)
                if (block >= self.log_block)
                else []
            )
            self.log_block = block + 1
            calls: list[tuple[Any, str, tuple[Any, ...]]] = []
            calls += [(manager, "lease", (i,)) for i in ids]
            calls += [(positions, "ownerOf", (i,)) for i in ids]
            calls += [(manager, "capacityOf", (a,)) for a in asset_ids]
            calls += [(tokens[a], "balanceOf", (shares[a].address,)) for a in asset_ids]
            calls += [(shares[a], "pools", ()) for a in asset_ids]
            calls += [(shares[a], "claimableOf", (holder,)) for a in asset_ids]
            calls += [(tokens[a], "balanceOf", (acct,)) for a in asset_ids for acct in tracked]
            calls += [(manager, "leaseCount", ())]
            calls += [(manager, "quote", (a, g, 2)) for a in asset_ids for g in QUOTED]
            results = iter(chain.calls(calls))
            views = {i: tuple(next(results)) for i in ids}
            owners = {i: next(results) for i in ids}
            capacity = {a: tuple(next(results)) for a in asset_ids}
            held = {a: next(results) for a in asset_ids}
            pools = {a: tuple(next(results)) for a in asset_ids}
            holder_owed = {a: next(results) for a in asset_ids}
            balances = {(assets[a].token, acct): next(results) for a in asset_ids for acct in tracked}
            count = next(results)
            quotes = {(a, g): tuple(next(results)) for a in asset_ids for g in QUOTED}

            # Events since the last check: the chain's own ledger.
            extended: Counter[int] = Counter()
            for address, name, args in logs:
                if name == "RevenueDistributed":
                    if args["payer"] != manager.address:
                        continue
                    a = next(i for i in asset_ids if shares[i].address == address)
                    e = self.ev[a]
                    e["waterfall"] += args["amount"]
                    e["operator_fee"] += args["operatorFee"]
                    e["protocol_fee"] += args["protocolFee"]
                    e["reserve"] += args["toReserve"]
                    e["holders"] += args["toHolders"]
                    continue
                if address != manager.address or "leaseId" not in args:
                    continue
                lease_id = args["leaseId"]
                if name == "LeaseOpened":
                    self.lease_asset[lease_id] = args["assetId"]
                e, el = self.ev[self.lease_asset[lease_id]], self.ev_lease[lease_id]
                if name == "LeaseOpened":
                    e["paid"] += args["total"]
                elif name == "LeaseExtended":
                    e["paid"] += args["cost"]
                    extended[lease_id] += args["cost"]
                elif name == "LeaseSettled":
                    campaign["actions"]["epochs settled"] += args["toEpoch"] - args["fromEpoch"]
                    e["settled"] += args["released"]
                    e["credited"] += args["credited"]
                    el["charged"] += args["released"] + args["credited"]
                    el["credited"] += args["credited"]
                elif name == "LeaseTerminated":
                    e["refunded"] += args["refund"]
                    e["fees"] += args["fee"]
                elif name == "LeasePreempted":
                    e["refunded"] += args["refund"]
                    e["compensation"] += args["compensation"]
                elif name == "LeaseClaimed":
                    e["paid_out"] += args["amount"]

            # (1) every lease as the model has it.
            assert count == w.count, f"leaseCount {count}, model {w.count}"
            for i in ids:
                assert views[i] == w.leases[i].view(), f"lease {i}: chain {views[i]}\n  model {w.leases[i].view()}"
                assert owners[i] == w.leases[i].owner, f"lease {i}: owner {owners[i]}, model {w.leases[i].owner}"

            current = w.epoch(self.now)
            for a in asset_ids:
                m, e, token = w.assets[a], self.ev[a], names[a]
                mine = [views[i] for i in ids if w.leases[i].asset == a]
                # (2) capacity.
                booked, gpu_count = capacity[a]
                # (An asset without a lease yet may report a GPU count of 0: the manager reads it
                # from the registry on the first lease.)
                assert booked == m.booked, f"{token}: booked {booked}, model {m.booked}"
                assert gpu_count == m.gpu_count or (gpu_count == 0 and not m.cached), f"{token}: {capacity[a]}"
                assert booked == w.booked_by_leases(a), f"{token}: booked {booked} != leases {w.booked_by_leases(a)}"
                assert booked <= m.gpu_count
                for g in QUOTED:  # the price a lessee reads first is the one open charges
                    assert quotes[(a, g)] == w.quote(a, g, 2, m.booked, min(m.booked + g, m.gpu_count)), (a, g)
                peak, at = w.peak_use(a, current, current + HORIZON)
                assert peak <= m.gpu_count, f"{token}: {peak} GPUs leased in epoch {at} of {gpu_count}"
                # (3) escrow conservation, to the wei.
                escrow = sum(v[13] for v in mine)
                claimable = sum(v[14] for v in mine)
                released = e["waterfall"]
                assert released == e["settled"] + e["fees"], f"{token}: waterfall got {released}, {e}"
                assert e["paid"] == released + e["credited"] + e["refunded"] + escrow, f"{token}: {e}, escrow {escrow}"
                assert (
                    e["paid"] + e["compensation"] == released + escrow + claimable + e["paid_out"]
                ), f"{token}: {e}, escrow {escrow}, claimable {claimable}"
                model = (m.paid, m.compensation, m.released, m.credited, m.refunded, m.paid_out)
                got = (e["paid"], e["compensation"], released, e["credited"], e["refunded"], e["paid_out"])
                assert got == model, f"{token}: ledger {got}, model {model}"
                # (4) the share token holds exactly what it owes.
                operator_fees, protocol_fees, reserve, dust = pools[a]
                assert dust % PRECISION == 0, f"{token}: dust {dust}"
                owed = escrow + claimable + operator_fees + protocol_fees + reserve + holder_owed[a] + dust // PRECISION
                assert held[a] == owed, f"{token}: share token holds {held[a]}, owes {owed} ({pools[a]})"
                assert (operator_fees, protocol_fees, reserve) == (e["operator_fee"], e["protocol_fee"], e["reserve"])
                assert pools[a] == (m.operator_fees, m.protocol_fees, m.reserve, m.dust), f"{token}: pools {pools[a]}"
                assert holder_owed[a] == m.holder_claimable(), f"{token}: holder {holder_owed[a]}"
                assert e["holders"] == m.holders_in
            # (5) each lease.
            for i in ids:
                v, x, el = views[i], w.leases[i], self.ev_lease[i]
                escrow, next_epoch, end, status = v[13], v[4], v[3], v[10]
                previous = self.prev_escrow.get(i)
                if previous is not None:
                    assert escrow <= previous + extended[i], f"lease {i}: escrow {previous} -> {escrow}"
                self.prev_escrow[i] = escrow
                assert next_epoch <= end, f"lease {i}: next {next_epoch} > end {end}"
                if status == CLOSED:
                    assert escrow == 0 and next_epoch == end, f"lease {i}: closed with {v}"
                else:
                    assert next_epoch < end, f"lease {i}: running with nothing left: {v}"
                assert (
                    el["credited"] <= el["charged"]
                ), f"lease {i}: credited {el['credited']} > charged {el['charged']}"
                assert (el["charged"], el["credited"]) == (x.charged, x.credited), f"lease {i}: {el}"
                if v[11]:
                    assert w.epoch_start(end) <= self.now, f"lease {i}: capacity released before its end"
            # (6) token flows of the lessees, the operator and the holder.
            for key, got_balance in balances.items():
                expected = self.base_balances[key] + w.balances.get(key, 0)
                assert got_balance == expected, f"{key}: balance {got_balance}, model {expected}"

    def manager_caller(data: Any) -> str:
        """Anyone may settle and release: a lessee, the operator or a stranger."""
        return data.draw(st.sampled_from([stranger, *lessees[:1], operator]), label="caller")

    return LeaseMachine


@dataclass(frozen=True)
class LeaseChain:
    """The campaign's own chain: the suite deployed, 3-of-5 oracle signers bonded, and a
    6- and an 18-decimal payment token."""

    w3: Web3
    suite: SuiteClient
    roles: Roles
    oracle: OracleClient
    keys: tuple[LocalAccount, ...]
    tokens: dict[str, Any]


@pytest.fixture(scope="module")
def lease_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeaseChain]:
    """A chain of the campaign's own, deployed as the session's is (tests/conftest.py).

    Its own because anvil keeps every block's state, spilling to ~/.foundry/anvil/tmp past 500
    blocks and leaving it there: the campaign mines tens of thousands of blocks, which on the
    session's chain would take gigabytes of disk. `--prune-history` keeps the last states in
    memory only (enough to trace the transaction just mined), and snapshots still work."""
    with LocalChain("anvil", accounts=30, extra_args=("--prune-history", "64")) as local:
        w3 = local.web3()
        a = w3.eth.accounts
        roles = Roles(
            admin=a[0],
            operator=a[1],
            compliance=a[2],
            pauser=a[3],
            treasury=a[4],
            lessee=a[5],
            lender=a[6],
            borrower=a[7],
            holders=tuple(a[8:14]),
            outsider=a[14],
            second_operator=a[15],
            oracle_signers=tuple(a[16:21]),
        )
        now = int(w3.eth.get_block("latest")["timestamp"])
        plan = DeployPlan(
            treasury=roles.treasury,
            operators=(roles.operator, roles.second_operator),
            compliance_agents=(roles.compliance,),
            pausers=(roles.pauser,),
            protocol_fee_bps=500,
            admin_transfer_delay=3600,
            oracle=OraclePlan(genesis=now - GENESIS_EPOCHS_AGO * 3600),
        )
        sender = TxSender(w3)
        deployment = deploy_suite(
            w3,
            roles.admin,
            plan,
            sender=sender,
            directory=tmp_path_factory.mktemp("lease-campaign"),
            echo=lambda _: None,
        )
        suite = SuiteClient(w3, deployment, sender)
        assert deployment.oracle is not None
        oracle = OracleClient(w3, deployment.oracle, sender)
        keys = ORACLE_KEYS[:5]
        usdc6 = suite.payment_token
        sender.transact(usdc6.functions.mint(roles.admin, 100 * ORACLE_BOND), roles.admin, "Token")
        sender.transact(usdc6.functions.approve(oracle.address, 2**256 - 1), roles.admin, "Token")
        for key in ORACLE_KEYS:
            oracle.deposit_bond(key.address, ORACLE_BOND, roles.admin)
        oracle.set_signers([k.address for k in keys], 3, roles.admin)
        dai18 = sender.deploy("MockStablecoin", roles.admin, "Dai-like", "DAI18", 18)
        sender.transact(suite.registry.functions.setPaymentTokenAllowed(dai18.address, True), roles.admin, "R")
        # Blocks exactly one second apart: the model knows every transaction's timestamp.
        w3.provider.make_request("anvil_setBlockTimestampInterval", [1])  # type: ignore[arg-type]
        yield LeaseChain(w3, suite, roles, oracle, keys, {"usdc6": usdc6, "dai18": dai18})


def registration(roles: Roles, token: str) -> AssetRegistration:
    """An asset of GPUS GPUs paying in `token`, every share with holders[0]."""
    return AssetRegistration(
        gpu_model="NVIDIA H100 80GB HBM3",
        gpu_count=GPUS,
        rated_tflops=7912,
        rated_power_watts=5600,
        region="us-east-1",
        operator=roles.operator,
        inventory_hash=NODE_1,
        payment_token=token,
        owner=roles.holders[0],
        operator_fee_bps=1000,
        reserve_bps=500,
    )


@pytest.mark.parametrize("dynamic_token", ["usdc6", "dai18"])
def test_leases_conserve_escrow_and_bound_capacity(lease_chain: LeaseChain, dynamic_token: str) -> None:
    w3, suite, roles, oracle = lease_chain.w3, lease_chain.suite, lease_chain.roles, lease_chain.oracle
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        run_campaign(lease_chain, w3, suite, roles, oracle, dynamic_token)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def run_campaign(
    lease_chain: LeaseChain, w3: Web3, suite: SuiteClient, roles: Roles, oracle: OracleClient, dynamic_token: str
) -> None:
    manager, _, positions = manager_contracts(suite)
    token_contracts = lease_chain.tokens
    lessees = [roles.lessee, *roles.holders[1:4]]
    holder = roles.holders[0]
    assets: dict[int, AssetM] = {}
    share_contracts = {}
    for name, token in token_contracts.items():
        asset_id, share_address = suite.register_asset(registration(roles, token.address), roles.operator)
        dynamic = name == dynamic_token
        configure_asset(
            suite,
            asset_id,
            roles.operator,
            price=PRICES[name],
            dynamic=dynamic,
            target_bps=TARGET_UTILIZATION,
            max_premium_bps=MAX_PREMIUM,
            policy=POLICIES[name],
        )
        share = contract_at(w3, "ShareToken", share_address)
        share_contracts[asset_id] = share
        unit = 10 ** token.functions.decimals().call()
        for account in (*lessees, roles.operator, roles.admin):
            fund_and_approve(suite, token, account, 10**9 * unit, manager.address, roles.admin)
        assets[asset_id] = AssetM(
            id=asset_id,
            token=token.address,
            share=share_address,
            gpu_count=GPUS,
            operator=roles.operator,
            pricing=(PRICES[name], dynamic, TARGET_UTILIZATION, MAX_PREMIUM),
            policy=POLICIES[name],
            fee_rates=tuple(share.functions.feeRates().call()),
            supply=share.functions.totalSupply().call(),
        )
        assert share.functions.balanceOf(holder).call() == assets[asset_id].supply
    oracle.sync_assets(sorted(assets), roles.outsider)
    # The challenger's bonds, in the oracle's bond token.
    bond_token = suite.payment_token
    suite.sender.transact(bond_token.functions.mint(roles.borrower, 10**6 * CHALLENGE_BOND), roles.admin, "Token")
    suite.sender.transact(bond_token.functions.approve(oracle.address, 2**256 - 1), roles.borrower, "Token")

    config = oracle.signer_config()
    chain = Chain(
        w3, manager, positions, oracle.contract, suite.registry, *token_contracts.values(), *share_contracts.values()
    )
    dispute = oracle.contract.functions.disputeParams().call()
    ctx = {
        "chain": chain,
        "manager": manager,
        "positions": positions,
        "oracle": oracle.contract,
        "assets": assets,
        "token_contracts": {t.address: t for t in token_contracts.values()},
        "token_names": {t.address: n for n, t in token_contracts.items()},
        "share_contracts": share_contracts,
        "lessees": lessees,
        "stranger": roles.outsider,
        "operator": roles.operator,
        "admin": roles.admin,
        "registry": suite.registry,
        "pauser": roles.pauser,
        "holder": holder,
        "transmitter": roles.outsider,
        "challenger": roles.borrower,
        "keys": tuple(k for k in lease_chain.keys if k.address in config.signers[: config.threshold]),
        "domain": OracleDomain(w3.eth.chain_id, oracle.address, config.version),
        "genesis": oracle.genesis,
        "epoch_seconds": oracle.epoch_seconds,
        "grace": manager.functions.reportGrace().call(),
        "window": dispute[0],
        "ring_size": oracle.ring_size,
    }
    assert manager.functions.epochSeconds().call() == oracle.epoch_seconds
    campaign: dict[str, Any] = {"runs": 0, "checks": 0, "steps": [], "actions": Counter(), "runs with": Counter()}
    run_state_machine_as_test(
        make_machine(ctx, campaign),
        settings=settings(
            max_examples=RUNS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # No Phase.target: its pareto optimisation re-runs the most varied runs.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        ),
    )
    actions, steps = campaign["actions"], campaign["steps"]
    report_figures(
        f"\nlease campaign ({dynamic_token} dynamic): {campaign['runs']} runs, {sum(steps)} rule steps, "
        f"{campaign['checks']} invariant checks; steps per run {sorted(steps)}"
    )
    print(f"  {'action':40} {'times':>6} {'runs':>5}")
    for kind, n in sorted(actions.items()):
        print(f"  {kind:40} {n:6} {campaign['runs with'][kind]:5}")
    if RUNS >= DEFAULT_RUNS and STEPS >= DEFAULT_STEPS:
        rare = [kind for kind in EXPECTED if actions[kind] == 0]
        if rare:
            print(f"  not taken this time (rare paths): {rare}")
        missing = [kind for kind in REQUIRED if actions[kind] == 0]
        assert not missing, f"the campaign never exercised: {missing}"
