"""LeaseClient against the session chain: quotes equal the contract's, the lessee's and the
operator's flows move exact amounts, the keeper settles every ready lease (and nothing else),
readiness names each waiting reason with the contract's own `readyAt`, and lists follow
positions through transfers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from web3 import Web3

from compute_rwa.errors import DeploymentError, InvalidInputError
from compute_rwa.lease import (
    Capacity,
    LeaseAddresses,
    LeaseClient,
    LeasePolicy,
    LeasePricing,
    LeaseStatus,
    ReadinessReason,
    ReportStatus,
    SlaCredit,
    format_units,
    parse_units,
)
from tests.helpers import holders_part, reverts
from tests.unit.lease_manager.conftest import (
    DISPUTE_WINDOW,
    POLICY,
    PRICE,
    REPORT_GRACE,
    configure_asset,
    epoch_end,
    report_uptime,
    warp_to,
)

EPOCH_CHARGE_PER_GPU = PRICE  # one-hour epochs: one GPU-hour
FUNDS = 10**12


@pytest.fixture
def client(suite) -> LeaseClient:
    return LeaseClient(suite.w3, suite.deployment, suite.sender)


@pytest.fixture
def leasable(suite, asset, oracle, roles) -> int:
    """The 8-GPU `asset` priced at 2 dUSD per GPU-hour with POLICY, synced in the oracle;
    roles.lessee holds 1,000,000 dUSD and has approved nothing (the client approves)."""
    configure_asset(suite, asset, roles.operator)
    oracle.sync_assets([asset], roles.outsider)
    suite.sender.transact(suite.payment_token.functions.mint(roles.lessee, FUNDS), roles.admin, "Token")
    return asset


@pytest.fixture
def balance(suite) -> Callable[[str], int]:
    return lambda account: int(suite.payment_token.functions.balanceOf(account).call())


def now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def final(w3: Web3) -> None:
    """Past the dispute window of every report sent so far."""
    warp_to(w3, now(w3) + DISPUTE_WINDOW + 1)


# ----------------------------------------------------------------- construction, units


def test_addresses_come_from_the_deployment_or_the_manager(suite, client):
    by_manager = LeaseClient(suite.w3, suite.deployment.lease_manager)
    assert by_manager.terms.address == client.terms.address == suite.deployment.lease_terms
    assert by_manager.positions.address == suite.deployment.lease_positions
    assert LeaseClient(suite.w3, LeaseAddresses(suite.deployment.lease_manager)).report_grace == REPORT_GRACE
    with pytest.raises(DeploymentError, match="no LeaseManager"):
        LeaseClient(suite.w3, replace(suite.deployment, lease_manager=None))
    with pytest.raises(InvalidInputError):
        LeaseClient(suite.w3, "0x1234")


def test_amounts_parse_and_format_with_the_token_decimals():
    assert parse_units("2.5", 6) == 2_500_000
    assert parse_units("1,000", 6) == 1_000 * 10**6
    assert parse_units("0.000001", 6) == 1
    assert parse_units("1.5", 18) == 15 * 10**17
    assert format_units(2_500_000, 6) == "2.5"
    assert format_units(40 * 10**6, 6) == "40"
    assert format_units(1, 18) == "0." + "0" * 17 + "1"
    assert format_units(1_234_567_000_000, 6) == "1,234,567"
    for bad in ("0.0000001", "-1", "abc", "nan"):
        with pytest.raises(InvalidInputError):
            parse_units(bad, 6)


def test_token_decimals_follow_the_asset(client, leasable, suite, tokens, make_registration, roles):
    token = client.token(leasable)
    assert (token.address, token.symbol, token.decimals) == (suite.deployment.payment_token, "dUSD", 6)
    assert client.format_amount(leasable, 40_000_000) == "40 dUSD"
    dai_asset, _ = suite.register_asset(make_registration(payment_token=tokens.dai18.address), roles.operator)
    assert client.token(dai_asset).decimals == 18  # before its first price list: the share token's
    assert client.parse_amount(dai_asset, "2.5") == 25 * 10**17


# ----------------------------------------------------------------- reads


def test_quote_equals_the_contract_quote(client, leasable, suite, roles):
    quote = client.quote(leasable, 2, 10)
    total, price = client.manager.functions.quote(leasable, 2, 10).call()
    assert (quote.total, quote.price_per_gpu_hour) == (total, price) == (10 * 2 * PRICE, PRICE)
    assert quote.epoch_charge == 2 * EPOCH_CHARGE_PER_GPU
    assert quote.max_total(100) == quote.total + quote.total // 100
    # Dynamic pricing: the mean of the curve over the GPUs booked, as the contract computes it.
    configure_asset(suite, leasable, roles.operator, dynamic=True, target_bps=5_000, max_premium_bps=10_000)
    client.open(leasable, 4, 2, roles.lessee)
    dynamic = client.quote(leasable, 3, 5)
    assert (dynamic.total, dynamic.price_per_gpu_hour) == tuple(client.manager.functions.quote(leasable, 3, 5).call())
    assert dynamic.price_per_gpu_hour > PRICE
    assert client.pricing(leasable).price_at(4, 8) == PRICE  # the kink: no premium yet


def test_pricing_policy_capacity_and_epochs(client, leasable, asset, suite, roles):
    assert client.pricing(leasable) == LeasePricing(PRICE, False, 8_000, 5_000)
    assert client.policy(leasable) == LeasePolicy(*POLICY)
    # Before its first lease the manager has not cached the asset: the registry's count is used.
    assert client.capacity(leasable) == Capacity(0, 8)
    client.open(leasable, 3, 2, roles.lessee)
    assert client.capacity(leasable) == (3, 8) and client.capacity(leasable).free == 5
    current = client.current_epoch()
    assert client.epoch_start(current) <= now(suite.w3) < client.epoch_start(current + 1)
    assert client.epoch_start(current) == client.manager.functions.epochStart(current).call()


def test_lists_follow_positions_through_transfers(client, leasable, roles, suite):
    first = client.open(leasable, 1, 5, roles.lessee)
    second = client.open(leasable, 2, 5, roles.lessee, recipient=roles.holders[2])
    assert [x.lease_id for x in client.leases()] == [first.lease_id, second.lease_id]
    assert [x.lease_id for x in client.leases_of(roles.lessee)] == [first.lease_id]

    client.transfer(first.lease_id, roles.holders[2], roles.lessee)

    assert client.leases_of(roles.lessee) == []
    held = client.leases_of(roles.holders[2])
    assert [x.lease_id for x in held] == [first.lease_id, second.lease_id]
    assert {x.owner for x in held} == {roles.holders[2]}
    assert client.lease(first.lease_id).owner == roles.holders[2]
    # Opening events still name the first recipient; asset filters narrow the list.
    assert client.lease_ids(lessee=roles.lessee) == [first.lease_id]
    assert client.lease_ids(asset_id=leasable) == [first.lease_id, second.lease_id]
    assert client.leases(asset_id=leasable + 1000) == []
    # A client scanning logs one block at a time finds the same leases.
    narrow = LeaseClient(suite.w3, suite.deployment, suite.sender, log_chunk=1)
    assert narrow.lease_ids() == [first.lease_id, second.lease_id]


# ----------------------------------------------------------------- lessee flows


def test_open_approves_and_pays_exactly_the_quote(client, leasable, roles, balance, suite):
    quote = client.quote(leasable, 2, 10)
    before = balance(roles.lessee)

    opened = client.open(leasable, 2, 10, roles.lessee, slippage_bps=250)

    assert balance(roles.lessee) == before - quote.total
    # Approved the quote plus 2.5%, of which only the quote was pulled.
    allowance = suite.payment_token.functions.allowance(roles.lessee, client.manager.address).call()
    assert allowance == quote.max_total(250) - quote.total
    lease = client.lease(opened.lease_id)
    assert (opened.total, opened.gpus, opened.recipient) == (quote.total, 2, roles.lessee)
    assert lease.start_epoch == client.current_epoch() + 1 == opened.start_epoch
    assert (lease.end_epoch, lease.next_epoch, lease.epochs) == (lease.start_epoch + 10, lease.start_epoch, 10)
    assert (lease.status, lease.escrow, lease.claimable, lease.owner) == (
        LeaseStatus.ACTIVE,
        quote.total,
        0,
        roles.lessee,
    )
    assert (lease.uptime_target_bps, lease.termination_fee_bps, lease.compensation_bps, lease.notice_epochs) == (
        POLICY[:4]
    )


def test_open_refuses_a_total_above_the_maximum(client, leasable, roles):
    with reverts("LeasePriceAboveMax", quote=2 * PRICE, maxTotalPrice=2 * PRICE - 1):
        client.open(leasable, 1, 2, roles.lessee, max_total=2 * PRICE - 1)


def test_open_takes_over_a_predecessor_and_releases_ended_leases(client, leasable, roles, w3):
    full = client.open(leasable, 8, 2, roles.lessee)
    with reverts("LeaseInsufficientCapacity"):
        client.open(leasable, 1, 2, roles.lessee)
    # A forward booking takes the GPUs that the running lease frees when it ends.
    follow = client.open(leasable, 8, 3, roles.lessee, start_epoch=full.end_epoch, predecessors=[full.lease_id])
    assert client.lease(full.lease_id).handed_over == 8 and client.capacity(leasable).booked == 8
    warp_to(w3, client.epoch_start(follow.end_epoch))
    assert client.releasable(leasable) == [full.lease_id, follow.lease_id]
    client.release_capacity(client.releasable(leasable), roles.outsider)
    assert client.capacity(leasable).booked == 0 and client.releasable() == []


def test_extend_pays_the_point_price_for_the_new_epochs(client, leasable, roles, balance):
    opened = client.open(leasable, 2, 5, roles.lessee)
    before = balance(roles.lessee)
    assert client.extension_quote(opened.lease_id, 3).total == 3 * 2 * PRICE

    extended = client.extend(opened.lease_id, 3, roles.lessee)

    assert (extended.cost, extended.end_epoch, extended.epochs) == (3 * 2 * PRICE, opened.end_epoch + 3, 3)
    assert balance(roles.lessee) == before - extended.cost
    assert client.lease(opened.lease_id).escrow == opened.total + extended.cost
    with reverts("LeasePriceAboveMax"):
        client.extend(opened.lease_id, 1, roles.lessee, max_cost=1)


def test_terminate_refunds_the_unused_escrow_minus_the_fee(client, leasable, roles, balance, suite, w3):
    opened = client.open(leasable, 2, 10, roles.lessee)
    warp_to(w3, client.epoch_start(opened.start_epoch + 3))  # epochs start..start+2 ended, +3 runs
    before = balance(roles.lessee)

    ended = client.terminate(opened.lease_id, roles.lessee)

    # Service runs to the end of the current epoch: 6 of 10 epochs are cut off.
    unused = opened.total * 6 // 10
    fee = unused * POLICY[1] // 10_000
    assert (ended.end_epoch, ended.refund, ended.fee, ended.paid) == (
        opened.start_epoch + 4,
        unused - fee,
        fee,
        unused - fee,
    )
    assert balance(roles.lessee) == before + unused - fee
    lease = client.lease(opened.lease_id)
    assert (lease.status, lease.escrow, lease.claimable) == (LeaseStatus.TERMINATED, opened.total - unused, 0)
    share = suite.share_token(leasable)
    assert share.functions.claimableOf(roles.holders[0]).call() == holders_part(fee)


def test_terminating_before_the_start_closes_the_lease(client, leasable, roles):
    opened = client.open(leasable, 1, 4, roles.lessee)
    ended = client.terminate(opened.lease_id, roles.lessee)
    assert ended.end_epoch == opened.start_epoch and ended.refund + ended.fee == opened.total
    assert client.lease(opened.lease_id).status is LeaseStatus.CLOSED
    assert client.readiness(opened.lease_id).reason is ReadinessReason.CLOSED


def test_preempt_with_notice_then_claim(client, leasable, roles, balance, suite):
    opened = client.open(leasable, 2, 10, roles.lessee)
    suite.sender.transact(suite.payment_token.functions.mint(roles.operator, FUNDS), roles.admin, "Token")
    earliest = client.earliest_preemption(opened.lease_id)
    assert earliest == client.current_epoch() + 1 + POLICY[3]
    with reverts("LeaseNoticeTooShort", earliest=earliest):
        client.preempt(opened.lease_id, roles.operator, earliest - 1)
    refund, compensation = client.preemption_cost(opened.lease_id, earliest)
    operator_before = balance(roles.operator)

    preempted = client.preempt(opened.lease_id, roles.operator)  # approves the compensation itself

    lost = opened.end_epoch - earliest
    assert (preempted.end_epoch, preempted.refund) == (earliest, opened.total * lost // 10) == (earliest, refund)
    assert preempted.compensation == refund * POLICY[2] // 10_000 == compensation
    assert balance(roles.operator) == operator_before - compensation
    lease = client.lease(opened.lease_id)
    assert (lease.status, lease.claimable) == (LeaseStatus.PREEMPTED, refund + compensation)

    # The claim pays the position's owner, whoever holds it now.
    client.transfer(opened.lease_id, roles.holders[3], roles.lessee)
    with reverts("LeaseNotOwner"):
        client.claim(opened.lease_id, roles.lessee)
    assert client.claim(opened.lease_id, roles.holders[3]) == refund + compensation
    assert balance(roles.holders[3]) == refund + compensation
    with reverts("LeaseNothingToClaim"):
        client.claim(opened.lease_id, roles.holders[3])


# ----------------------------------------------------------------- settlement


def test_settle_ready_settles_every_ready_lease_with_exact_credits(client, leasable, roles, oracle, oracle_setup, w3):
    a = client.open(leasable, 2, 3, roles.lessee)
    b = client.open(leasable, 1, 2, roles.lessee)
    s = a.start_epoch
    warp_to(w3, epoch_end(client.manager, s + 2))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s, s + 1], [10_000, 5_000])  # s+2: none
    final(w3)  # also past the report grace of s + 2
    later = client.open(leasable, 1, 2, roles.lessee)  # starts in the future: not ready, not sent

    results = client.settle_ready(roles.outsider)

    by_lease = {r.lease_id: r for r in results}
    assert set(by_lease) == {a.lease_id, b.lease_id}
    assert by_lease[a.lease_id].tx_hash == by_lease[b.lease_id].tx_hash  # one settleMany
    charge_a, charge_b = 2 * PRICE, PRICE
    credit_a = -(-charge_a * 4_900 // 9_900)  # ceil: 1,979,798
    credit_b = -(-charge_b * 4_900 // 9_900)  # 989,899
    ra, rb = by_lease[a.lease_id], by_lease[b.lease_id]
    assert (ra.from_epoch, ra.to_epoch, ra.settled_epochs, ra.closed) == (s, s + 3, 3, True)
    assert ra.credits == (
        SlaCredit(a.lease_id, s + 1, 5_000, True, credit_a),
        SlaCredit(a.lease_id, s + 2, 0, False, charge_a),  # no report: credited in full
    )
    assert (ra.released, ra.credited) == (3 * charge_a - credit_a - charge_a, credit_a + charge_a)
    assert rb.credits == (SlaCredit(b.lease_id, s + 1, 5_000, True, credit_b),)
    assert (rb.released, rb.credited, rb.closed) == (2 * charge_b - credit_b, credit_b, True)
    for lease_id, credited in ((a.lease_id, ra.credited), (b.lease_id, rb.credited)):
        lease = client.lease(lease_id)
        assert (lease.status, lease.escrow, lease.claimable, lease.capacity_released) == (
            LeaseStatus.CLOSED,
            0,
            credited,
            True,
        )
    assert client.lease(later.lease_id).next_epoch == later.start_epoch
    assert client.claim(a.lease_id, roles.lessee) == ra.credited
    assert client.settle_ready(roles.outsider) == []  # nothing left that is ready


def test_keeper_rounds_and_batches(client, leasable, roles, oracle, oracle_setup, w3):
    ids = [client.open(leasable, 1, 3, roles.lessee).lease_id for _ in range(3)]
    s = client.lease(ids[0]).start_epoch
    warp_to(w3, epoch_end(client.manager, s + 2))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s, s + 1, s + 2])
    final(w3)
    client.max_batch = 2  # type: ignore[misc]  # batches of two leases: two transactions a round
    seen: list[int] = []

    results = client.settle_ready(roles.outsider, leasable, max_epochs_each=2, on_batch=lambda r: seen.append(len(r)))

    # Round 1 settles two epochs of each lease (two batches), round 2 the last one.
    assert seen == [2, 1, 2, 1]
    assert len({r.tx_hash for r in results}) == 4
    assert sorted((r.lease_id, r.settled_epochs) for r in results) == sorted(
        [(i, 2) for i in ids] + [(i, 1) for i in ids]
    )
    assert all(client.lease(i).status is LeaseStatus.CLOSED for i in ids)


def test_settle_one_lease_and_the_nothing_to_settle_revert(client, leasable, roles, oracle, oracle_setup, w3):
    opened = client.open(leasable, 2, 4, roles.lessee)
    s = opened.start_epoch
    warp_to(w3, epoch_end(client.manager, s + 1))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s, s + 1], [9_900, 9_000])
    final(w3)

    first = client.settle(opened.lease_id, roles.outsider, max_epochs=1)
    assert (first.settled_epochs, first.released, first.credits, first.closed) == (1, 2 * PRICE, (), False)
    rest = client.settle(opened.lease_id, roles.outsider)
    credit = -(-2 * PRICE * 900 // 9_900)
    assert (rest.from_epoch, rest.to_epoch, rest.credited) == (s + 1, s + 2, credit)
    readiness = client.readiness(opened.lease_id)
    with reverts("LeaseNothingToSettle", leaseId=opened.lease_id, epoch=s + 2, readyAt=readiness.ready_at):
        client.settle(opened.lease_id, roles.outsider)


# ----------------------------------------------------------------- readiness


def test_readiness_names_each_reason_with_the_contracts_ready_at(
    client, leasable, roles, oracle, oracle_setup, suite, w3
):
    opened = client.open(leasable, 1, 6, roles.lessee)
    lease_id, s = opened.lease_id, opened.start_epoch

    def check(reason: ReadinessReason, ready_at: int | None, report: ReportStatus | None = None) -> None:
        r = client.readiness(lease_id)
        assert (r.reason, r.ready_at, r.report_status, r.can_settle) == (reason, ready_at, report, False)
        with reverts("LeaseNothingToSettle", epoch=r.next_epoch, readyAt=0 if ready_at is None else ready_at):
            client.settle(lease_id, roles.outsider)

    # Not started / not ended: ready at the epoch's end at the earliest.
    check(ReadinessReason.NOT_ENDED, epoch_end(client.manager, s))
    # Ended, no report yet: waits for the report until the grace has passed.
    warp_to(w3, epoch_end(client.manager, s + 3))
    check(ReadinessReason.AWAITING_REPORT, epoch_end(client.manager, s) + REPORT_GRACE + 1, ReportStatus.MISSING)
    # Reported on time: waits for the dispute window to close.
    receipt = report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s, s + 1, s + 2])
    accepted = int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    check(ReadinessReason.REPORT_DISPUTABLE, accepted + DISPUTE_WINDOW + 1, ReportStatus.DISPUTABLE)
    # Challenged: waits for the arbiter, no time known (the contract's readyAt 0).
    suite.sender.transact(suite.payment_token.functions.mint(roles.outsider, 10**9), roles.admin, "Token")
    suite.sender.transact(suite.payment_token.functions.approve(oracle.address, 10**9), roles.outsider, "Token")
    oracle.challenge(leasable, s, roles.outsider)
    check(ReadinessReason.REPORT_CHALLENGED, None, ReportStatus.CHALLENGED)
    # Rejected challenge, window closed: ready, with the next two; and s + 3, never reported, is
    # past its grace by now (counted fully down), while s + 4 is still within its grace.
    oracle.resolve(leasable, s, False, roles.admin)
    warp_to(w3, accepted + DISPUTE_WINDOW + 1)
    ready = client.readiness(lease_id)
    assert (ready.reason, ready.can_settle, ready.report_status, ready.ready_epochs) == (
        ReadinessReason.READY,
        True,
        ReportStatus.FINAL,
        4,
    )
    assert ready.ready_at == ready.now
    settled = client.settle(lease_id, roles.outsider)
    assert settled.settled_epochs == 4
    assert settled.credits == (SlaCredit(lease_id, s + 3, 0, False, PRICE),)
    assert client.readiness(lease_id).reason is ReadinessReason.AWAITING_REPORT


def test_readiness_of_an_unreported_epoch_after_the_grace_and_a_voided_report(
    client, leasable, roles, oracle, oracle_setup, suite, w3
):
    opened = client.open(leasable, 1, 3, roles.lessee)
    s = opened.start_epoch
    warp_to(w3, epoch_end(client.manager, s))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasable, [s])
    suite.sender.transact(suite.payment_token.functions.mint(roles.outsider, 10**9), roles.admin, "Token")
    suite.sender.transact(suite.payment_token.functions.approve(oracle.address, 10**9), roles.outsider, "Token")
    oracle.challenge(leasable, s, roles.outsider)
    oracle.resolve(leasable, s, True, roles.admin)  # voided: never used
    r = client.readiness(opened.lease_id)
    deadline = epoch_end(client.manager, s) + REPORT_GRACE
    assert (r.reason, r.report_status, r.ready_at) == (
        ReadinessReason.AWAITING_REPORT,
        ReportStatus.VOIDED,
        deadline + 1,
    )
    # At the deadline itself it still waits; one second later the no-report rule applies.
    assert client.readiness(opened.lease_id, now=deadline).reason is ReadinessReason.AWAITING_REPORT
    assert client.readiness(opened.lease_id, now=deadline + 1).reason is ReadinessReason.READY
    warp_to(w3, deadline + 1)
    assert client.readiness(opened.lease_id).can_settle
    settled = client.settle(opened.lease_id, roles.outsider)
    assert settled.credits == (SlaCredit(opened.lease_id, s, 0, False, PRICE),)


def test_allow_list_and_operator_settings(client, leasable, roles):
    client.set_pricing(leasable, LeasePricing(3 * 10**6, True, 5_000, 2_000), roles.operator)
    assert client.pricing(leasable) == LeasePricing(3 * 10**6, True, 5_000, 2_000)
    policy = LeasePolicy(9_500, 500, 1_500, 4, 2, 100)
    client.set_policy(leasable, policy, roles.operator)
    assert client.policy(leasable) == policy
    with reverts("LeaseUnauthorizedOperator"):
        client.set_policy(leasable, policy, roles.outsider)

    client.set_lessee_allow_list(leasable, True, roles.compliance)
    assert client.lessee_allow_list_enabled(leasable)
    with reverts("LeaseLesseeNotAllowed", account=roles.lessee):
        client.open(leasable, 1, 2, roles.lessee)
    client.set_lessee_allowed(leasable, [roles.lessee], True, roles.compliance)
    opened = client.open(leasable, 1, 2, roles.lessee)
    assert client.lease(opened.lease_id).uptime_target_bps == 9_500
    assert not client.can_transfer(roles.lessee, roles.holders[1], opened.lease_id)
    with reverts("PositionsTransferNotAllowed"):
        client.transfer(opened.lease_id, roles.holders[1], roles.lessee)
