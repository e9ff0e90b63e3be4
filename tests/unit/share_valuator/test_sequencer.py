"""The optional L2 sequencer check (MockSequencerFeed: 0 = up, 1 = down, startedAt = last
change): prices are refused while it is down and during the grace period after it returns."""

from __future__ import annotations

import pytest

from tests.helpers import reverts
from tests.lending_support import DUSD, HOUR
from tests.unit.metrics_oracle.conftest import view
from tests.unit.share_valuator.conftest import ZERO, Status, logs, mine_at, send

GRACE = HOUR


@pytest.fixture
def sequencer(suite, roles):
    return suite.sender.deploy("MockSequencerFeed", roles.admin)


def set_sequencer(suite, sequencer, down: bool, started_at: int, sender: str) -> None:
    suite.sender.transact(sequencer.functions.set(down, started_at), sender, "MockSequencerFeed")


def test_only_the_admin_sets_the_sequencer_feed(suite, valuator, sequencer, roles):
    for caller in (roles.operator, roles.pauser, roles.outsider):
        with reverts("ValuationUnauthorized", caller=caller):
            send(suite, valuator.functions.setSequencerFeed(sequencer.address, GRACE), caller)
    receipt = send(suite, valuator.functions.setSequencerFeed(sequencer.address, GRACE), roles.admin)
    assert logs(valuator, receipt, "SequencerFeedSet") == [{"feed": sequencer.address, "gracePeriod": GRACE}]
    assert valuator.functions.sequencerFeed().call() == [sequencer.address, GRACE]
    receipt = send(suite, valuator.functions.setSequencerFeed(ZERO, 0), roles.admin)
    assert logs(valuator, receipt, "SequencerFeedSet") == [{"feed": ZERO, "gracePeriod": 0}]
    assert valuator.functions.sequencerFeed().call() == [ZERO, 0]


def test_prices_wait_for_the_sequencer_and_its_grace_period(suite, w3, valuator, asset, valued, sequencer, roles):
    v = valued(asset, revenue=2_000 * DUSD)
    price = view(valuator, "priceOf", asset)
    set_sequencer(suite, sequencer, False, v.updated_at - 10 * HOUR, roles.outsider)  # up for long
    send(suite, valuator.functions.setSequencerFeed(sequencer.address, GRACE), roles.admin)
    assert view(valuator, "priceOf", asset) == price
    assert view(v.feed, "price") == price * 10**18

    set_sequencer(suite, sequencer, True, v.updated_at + 5, roles.outsider)
    mine_at(w3, v.updated_at + 30)
    with reverts("ValuationSequencerDown"):
        view(valuator, "priceOf", asset)
    with reverts("ValuationSequencerDown"):
        view(v.feed, "price")
    # Chainlink readers get the stored round and judge the sequencer themselves.
    assert view(v.feed, "latestRoundData")[1] == price
    # Updates go on while the sequencer is down; readers are still refused.
    send(suite, valuator.functions.update(asset), roles.outsider)
    price, _, _, status, _ = view(valuator, "valuationOf", asset)
    assert status == Status.OK
    with reverts("ValuationSequencerDown"):
        view(valuator, "priceOf", asset)

    up = v.updated_at + 120
    set_sequencer(suite, sequencer, False, up, roles.outsider)
    for when in (up, up + GRACE - 1):
        mine_at(w3, when)
        with reverts("ValuationSequencerGracePeriod", upSince=up, usableFrom=up + GRACE):
            view(valuator, "priceOf", asset)
        with reverts("ValuationSequencerGracePeriod", upSince=up, usableFrom=up + GRACE):
            view(v.feed, "price")
    mine_at(w3, up + GRACE)
    assert view(valuator, "priceOf", asset) == price
    assert view(v.feed, "price") == price * 10**18


def test_a_zero_grace_period_and_switching_the_check_off(suite, w3, valuator, asset, valued, sequencer, roles):
    v = valued(asset, revenue=2_000 * DUSD)
    price = view(valuator, "priceOf", asset)
    send(suite, valuator.functions.setSequencerFeed(sequencer.address, 0), roles.admin)
    set_sequencer(suite, sequencer, False, v.updated_at + 60, roles.outsider)
    mine_at(w3, v.updated_at + 60)
    assert view(valuator, "priceOf", asset) == price  # back up, no grace to wait

    set_sequencer(suite, sequencer, True, v.updated_at + 70, roles.outsider)
    with reverts("ValuationSequencerDown"):
        view(valuator, "priceOf", asset)
    send(suite, valuator.functions.setSequencerFeed(ZERO, GRACE), roles.admin)
    assert view(valuator, "priceOf", asset) == price
    assert view(v.feed, "price") == price * 10**18


def test_other_refusals_come_before_the_sequencer_check(suite, w3, valuator, asset, valued, sequencer, roles):
    v = valued(asset, revenue=2_000 * DUSD)
    set_sequencer(suite, sequencer, True, v.updated_at, roles.outsider)
    send(suite, valuator.functions.setSequencerFeed(sequencer.address, GRACE), roles.admin)
    mine_at(w3, v.updated_at + v.config[8] + 1)
    with reverts("ValuationStale", assetId=asset, updatedAt=v.updated_at, maxAge=v.config[8]):
        view(valuator, "priceOf", asset)


def test_a_round_that_never_started_counts_as_down(suite, valuator, asset, valued, sequencer, roles):
    """startedAt 0 is an invalid round in Chainlink's guidance: no proof that the sequencer is up."""
    valued(asset, revenue=2_000 * DUSD)
    set_sequencer(suite, sequencer, False, 0, roles.outsider)
    send(suite, valuator.functions.setSequencerFeed(sequencer.address, 0), roles.admin)
    with reverts("ValuationSequencerDown"):
        view(valuator, "priceOf", asset)
