"""EIP-1559 fee caps: the fees a capped sender offers, and its refusal to send when the base fee
alone is above the cap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compute_rwa.errors import FeeCapExceededError
from compute_rwa.tx import GWEI, FeeCaps, TxSender, fee_fields


def test_caps_are_given_in_gwei_and_kept_in_wei():
    assert FeeCaps.from_gwei(Decimal("30"), Decimal("1.5")) == FeeCaps(30 * GWEI, 1_500_000_000)
    assert FeeCaps.from_gwei(Decimal("0.000000001"), None) == FeeCaps(1, None)
    assert not FeeCaps().active and FeeCaps(max_priority_fee=1).active


def test_uncapped_fees_leave_room_for_the_base_fee_to_double():
    fields = fee_fields(FeeCaps(max_priority_fee=10 * GWEI), 20 * GWEI, 2 * GWEI, 0, "T.f")
    assert fields == {"maxFeePerGas": 42 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}


def test_max_fee_cap_bounds_the_offer_below_twice_the_base_fee():
    fields = fee_fields(FeeCaps(max_fee=30 * GWEI), 20 * GWEI, 2 * GWEI, 0, "T.f")
    assert fields == {"maxFeePerGas": 30 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}


def test_priority_cap_lowers_the_suggested_tip():
    fields = fee_fields(FeeCaps(max_fee=30 * GWEI, max_priority_fee=GWEI // 2), 20 * GWEI, 2 * GWEI, 0, "T.f")
    assert fields == {"maxFeePerGas": 30 * GWEI, "maxPriorityFeePerGas": GWEI // 2}


def test_tip_never_exceeds_the_max_fee():
    fields = fee_fields(FeeCaps(max_fee=GWEI), GWEI, 3 * GWEI, 0, "T.f")
    assert fields == {"maxFeePerGas": GWEI, "maxPriorityFeePerGas": GWEI}


def test_base_fee_above_the_cap_is_refused_with_both_figures():
    with pytest.raises(
        FeeCapExceededError, match=r"AssetRegistry.constructor: .*base fee is 35.5 gwei, above the cap of 30 gwei"
    ):
        fee_fields(FeeCaps(max_fee=30 * GWEI), 35_500_000_000, GWEI, 0, "AssetRegistry.constructor")


def test_legacy_chain_uses_the_gas_price_under_the_cap():
    assert fee_fields(FeeCaps(max_fee=30 * GWEI), None, 0, 25 * GWEI, "T.f") == {"gasPrice": 25 * GWEI}
    with pytest.raises(FeeCapExceededError, match="gas price is 31 gwei"):
        fee_fields(FeeCaps(max_fee=30 * GWEI), None, 0, 31 * GWEI, "T.f")


def test_capped_sender_sends_type_2_transactions_within_its_caps(w3, suite, roles):
    caps = FeeCaps(max_fee=5 * GWEI, max_priority_fee=GWEI // 10)
    sender = TxSender(w3, fees=caps)
    receipt = sender.transact(suite.payment_token.functions.mint(roles.outsider, 1), roles.admin, "USD")
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["type"] == 2
    assert tx["maxFeePerGas"] <= caps.max_fee and tx["maxPriorityFeePerGas"] <= caps.max_priority_fee
    contract = sender.deploy("MarketFactory", roles.admin)
    creation = w3.eth.get_transaction(w3.eth.get_block("latest")["transactions"][0])
    assert creation["to"] is None and creation["maxFeePerGas"] <= caps.max_fee
    assert w3.eth.get_code(contract.address)


def test_capped_sender_refuses_below_the_base_fee_and_sends_nothing(w3, suite, roles):
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    nonce = w3.eth.get_transaction_count(roles.admin)
    sender = TxSender(w3, fees=FeeCaps(max_fee=base_fee - 1))
    with pytest.raises(FeeCapExceededError, match=r"USD.mint: the network's base fee is .* above the cap"):
        sender.transact(suite.payment_token.functions.mint(roles.outsider, 1), roles.admin, "USD")
    with pytest.raises(FeeCapExceededError, match=r"MarketFactory.constructor"):
        sender.deploy("MarketFactory", roles.admin)
    assert w3.eth.get_transaction_count(roles.admin) == nonce


def test_confirmations_wait_for_later_blocks(w3, suite, roles):
    """anvil mines only on transactions here: the wait ends once other blocks arrive."""
    import threading

    sender = TxSender(w3, confirmations=3, poll_interval=0.05, timeout=10)
    mine = threading.Timer(0.3, lambda: w3.provider.make_request("anvil_mine", [2]))  # type: ignore[arg-type]
    mine.start()
    receipt = sender.transact(suite.payment_token.functions.mint(roles.outsider, 1), roles.admin, "USD")
    mine.join()
    assert w3.eth.block_number >= receipt["blockNumber"] + 2


def test_confirmations_that_never_come_time_out_with_a_clear_error(w3, suite, roles):
    from compute_rwa.errors import TransactionTimeoutError

    sender = TxSender(w3, confirmations=2, poll_interval=0.05, timeout=0.3)
    with pytest.raises(TransactionTimeoutError, match="mined, but fewer than 2 confirmations within 0.3 s"):
        sender.transact(suite.payment_token.functions.mint(roles.outsider, 1), roles.admin, "USD")
