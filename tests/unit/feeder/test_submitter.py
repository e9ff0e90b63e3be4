"""Submitter against the session chain's oracle: every pending report lands exactly once, a second
run sends nothing, reports already on chain are settled without a transaction, refused reports are
rejected while the rest go through, assets are synced, batches are sized, and dropped, replaced,
reverted and half-sent transactions (a crash between recording and broadcasting) are finished
from the outbox without a second acceptance."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from web3.exceptions import Web3RPCError

from compute_rwa.errors import InvalidInputError
from compute_rwa.oracle.reports import join_signatures, pack_reports, sign_batch
from compute_rwa.oracle.submitter import Fees, Submitter, bump_fees
from tests.unit.feeder.conftest import EPOCH, assert_on_chain, landed_since, make_report


def nonce_of(w3, address: str) -> int:
    return int(w3.eth.get_transaction_count(address, "pending"))


def sign_and_submit(oracle_setup, reports, transmitter: str) -> None:
    """Someone else (another transmitter) lands `reports`."""
    client = oracle_setup.client
    packed = pack_reports(reports)
    sigs = join_signatures([sign_batch(client.domain(), packed, k) for k in oracle_setup.keys[:3]])
    client.submit(packed, sigs, transmitter)


def test_every_pending_report_is_confirmed_exactly_once(oracle, register, outbox, make_submitter, w3, roles):
    first_block = w3.eth.block_number + 1
    assets = register(3)
    reports = [make_report(a, e) for a in assets for e in (EPOCH, EPOCH + 1)]
    outbox.add(reports)

    result = make_submitter().run_once()

    assert result.confirmed == 6 and result.pending == 0 and result.in_flight == 0
    assert result.batches_sent == 1  # both epochs of every asset in one batch, ascending per asset
    assert result.synced == 3  # new assets were synced first
    assert result.rejected == 0 and result.already_on_chain == 0
    assert len(result.tx_hashes) == 2 and result.gas_used > 0  # the sync and the batch
    assert outbox.counts() == {"pending": 0, "sent": 0, "done": 6, "rejected": 0}
    assert landed_since(oracle, first_block) == {r.key: 1 for r in reports}
    assert_on_chain(oracle, reports)
    for row in outbox.rows():
        assert row.tx_hash in result.tx_hashes and row.attempts == 1

    nonce = nonce_of(w3, roles.outsider)
    again = make_submitter().run_once()
    assert again.idle and again.tx_hashes == [] and again.rebroadcasts == 0
    assert nonce_of(w3, roles.outsider) == nonce


def test_reports_already_on_chain_are_marked_done_without_a_transaction(
    oracle_setup, oracle, register, outbox, make_submitter, w3, roles
):
    assets = register(2)
    oracle.sync_assets(assets, roles.admin)
    theirs = [make_report(a, EPOCH) for a in assets]
    sign_and_submit(oracle_setup, theirs, roles.admin)
    # Ours: the same epochs (other values: another transmitter's median), and an older epoch
    # of the first asset that the chain never took and never will (epochs strictly increase).
    ours = [make_report(a, EPOCH, utilization_bps=7_000) for a in assets]
    outbox.add([*ours, make_report(assets[0], EPOCH - 1)])
    nonce = nonce_of(w3, roles.outsider)

    result = make_submitter().run_once()

    assert result.already_on_chain == 2 and result.batches_sent == 0 and result.tx_hashes == []
    assert result.rejected == 1
    assert nonce_of(w3, roles.outsider) == nonce
    for r in ours:
        row = outbox.get(r.key)
        assert row is not None and row.state == "done" and row.tx_hash is None
    superseded = outbox.get((assets[0], EPOCH - 1))
    assert superseded is not None and superseded.state == "rejected" and "superseded" in (superseded.error or "")


def test_an_out_of_bounds_report_is_rejected_and_the_rest_confirmed(oracle, register, outbox, make_submitter, w3):
    # A LocalAccount transmitter: signed here, not by the node.
    transmitter = Account.from_key(keccak(text="feeder-transmitter"))
    w3.provider.make_request("anvil_setBalance", [transmitter.address, hex(10**20)])
    first_block = w3.eth.block_number + 1
    a, b, c = register(3)
    bad = make_report(b, EPOCH, avg_power_w=7_000)  # over 5,600 W + 10%
    good = [make_report(a, EPOCH), make_report(c, EPOCH), make_report(b, EPOCH + 1)]
    outbox.add([bad, *good])

    result = make_submitter(account=transmitter).run_once()

    assert result.rejected == 1 and result.confirmed == 3
    row = outbox.get(bad.key)
    assert row is not None and row.state == "rejected"
    assert "OracleValueOutOfBounds" in (row.error or "") and "avgPowerW" in (row.error or "")
    assert landed_since(oracle, first_block) == {r.key: 1 for r in good}
    # Found by gas estimation: no transaction reverted.
    for tx_hash in result.tx_hashes:
        assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
        assert w3.eth.get_transaction(tx_hash)["from"] == transmitter.address


def test_in_a_backfill_the_bad_epoch_is_named_not_its_asset_s_good_one(oracle, register, outbox, make_submitter):
    # Two epochs of one asset in one batch: the revert carries the epoch, so only the bad one goes.
    (a,) = register(1)
    good, bad = make_report(a, EPOCH), make_report(a, EPOCH + 1, gpu_hours_milli=9_000)  # 8 GPUs: <= 8,000
    outbox.add([good, bad])

    result = make_submitter().run_once()

    assert (result.confirmed, result.rejected) == (1, 1)
    assert outbox.get(good.key).state == "done"  # type: ignore[union-attr]
    rejected = outbox.get(bad.key)
    assert rejected is not None and rejected.state == "rejected" and "gpuHoursMilli" in (rejected.error or "")
    assert oracle.latest_epoch(a) == EPOCH


def test_an_inventory_mismatch_is_rejected(oracle, register, outbox, make_submitter):
    (a, b) = register(2)
    stale = make_report(a, EPOCH, inventory_hash=keccak(text="old inventory"))
    outbox.add([stale, make_report(b, EPOCH)])

    result = make_submitter().run_once()

    assert result.rejected == 1 and result.confirmed == 1
    row = outbox.get(stale.key)
    assert row is not None and "OracleInventoryMismatch" in (row.error or "")


def test_epochs_not_ended_wait_for_a_later_run(oracle, register, outbox, make_submitter):
    (a,) = register(1)
    current = oracle.epoch_at(oracle.chain_time())
    outbox.add([make_report(a, EPOCH), make_report(a, current)])

    result = make_submitter().run_once()

    assert result.confirmed == 1 and result.pending == 1
    assert outbox.pending()[0].key == (a, current)


def test_unsynced_assets_are_synced_once(oracle, register, outbox, make_submitter):
    assets = register(3)
    assert oracle.unsynced(assets) == assets
    outbox.add([make_report(a, EPOCH) for a in assets])
    submitter = make_submitter()

    assert submitter.run_once().synced == 3
    assert oracle.unsynced(assets) == []
    outbox.add([make_report(a, EPOCH + 1) for a in assets])
    result = submitter.run_once()
    assert result.synced == 0 and result.confirmed == 3


def test_batches_respect_max_batch(register, outbox, make_submitter, oracle, w3):
    first_block = w3.eth.block_number + 1
    assets = register(5)
    reports = [make_report(a, EPOCH) for a in assets]
    outbox.add(reports)
    result = make_submitter(max_batch=2).run_once()
    assert result.batches_sent == 3 and result.confirmed == 5
    assert landed_since(oracle, first_block) == {r.key: 1 for r in reports}


def test_batches_are_halved_to_fit_the_gas_budget(register, outbox, make_submitter, oracle, roles, w3):
    assets = register(4)
    oracle.sync_assets(assets, roles.admin)
    reports = [make_report(a, EPOCH) for a in assets]
    outbox.add(reports)
    # Budget: what a two-report batch needs, measured on a scratch submitter.
    probe = make_submitter()
    domain = oracle.domain()
    _, _, two = probe._fit(reports[:2], domain)
    _, _, four = probe._fit(reports, domain)
    assert four > two
    limit = w3.eth.get_block("latest")["gasLimit"]
    fraction = (two / probe.gas_margin + 1) / limit

    result = make_submitter(block_gas_fraction=fraction).run_once()

    assert result.batches_sent == 2 and result.confirmed == 4


def test_a_batch_above_the_block_gas_limit_is_halved(register, outbox, make_submitter, oracle, roles, w3):
    # Nodes do not estimate a call that needs more gas than a block holds ("gas required exceeds
    # allowance"): such a batch must be halved like one over the budget, not end the run.
    assets = register(4)
    oracle.sync_assets(assets, roles.admin)
    reports = [make_report(a, EPOCH) for a in assets]
    outbox.add(reports)
    probe = make_submitter()
    domain = oracle.domain()
    _, _, two = probe._fit(reports[:2], domain)
    _, _, four = probe._fit(reports, domain)
    normal = w3.eth.get_block("latest")["gasLimit"]
    # A block that holds a two-report batch but not a four-report one (estimates, without margin).
    small = int((two + four) / 2 / probe.gas_margin)
    try:
        w3.provider.make_request("evm_setBlockGasLimit", [hex(small)])
        w3.provider.make_request("evm_mine", [])
        result = make_submitter(block_gas_fraction=1.0).run_once()
    finally:
        w3.provider.make_request("evm_setBlockGasLimit", [hex(normal)])
        w3.provider.make_request("evm_mine", [])

    assert result.batches_sent == 2 and result.confirmed == 4


def test_a_budget_no_single_report_fits_is_refused(register, outbox, make_submitter, oracle, roles):
    (a,) = register(1)
    oracle.sync_assets([a], roles.admin)
    outbox.add([make_report(a, EPOCH)])
    with pytest.raises(InvalidInputError, match="block_gas_fraction"):
        make_submitter(block_gas_fraction=1e-6).run_once()
    assert outbox.counts()["pending"] == 1


def test_without_eth_sign_transaction_the_node_sends_itself(register, outbox, make_submitter, oracle, monkeypatch):
    manager = oracle.w3.manager
    forward = manager.request_blocking

    def node(method: str, params: Any, *args: Any, **kw: Any) -> Any:
        if method == "eth_signTransaction":  # as geth with no keystore, or a hosted endpoint
            error = {"code": -32601, "message": "the method eth_signTransaction does not exist/is not available"}
            raise Web3RPCError(error["message"], rpc_response={"error": error})
        return forward(method, params, *args, **kw)

    monkeypatch.setattr(manager, "request_blocking", node)
    (a,) = register(1)
    outbox.add([make_report(a, EPOCH)])
    result = make_submitter().run_once()
    assert result.confirmed == 1
    (tx,) = [t for t in outbox.transactions()]
    assert tx.raw_tx == b"" and tx.tx_hash in result.tx_hashes


def test_a_crash_between_recording_and_broadcasting_is_finished_by_the_next_run(
    register, outbox, make_submitter, oracle, roles, w3, monkeypatch
):
    first_block = w3.eth.block_number + 1
    assets = register(2)
    oracle.sync_assets(assets, roles.admin)
    reports = [make_report(a, EPOCH) for a in assets]
    outbox.add(reports)
    crashing = make_submitter()

    def crash(_raw: bytes) -> str:
        raise RuntimeError("power cut")

    monkeypatch.setattr(crashing, "_broadcast", crash)
    nonce = nonce_of(w3, roles.outsider)
    with pytest.raises(RuntimeError, match="power cut"):
        crashing.run_once()
    (batch,) = outbox.in_flight()
    assert batch.raw_tx and outbox.counts()["sent"] == 2
    assert nonce_of(w3, roles.outsider) == nonce  # it never left

    result = make_submitter().run_once()  # the restarted daemon

    assert result.rebroadcasts == 1 and result.batches_sent == 0 and result.confirmed == 2
    assert result.tx_hashes == [batch.tx_hash]
    assert landed_since(oracle, first_block) == {r.key: 1 for r in reports}


def test_a_crash_after_broadcasting_is_settled_from_the_receipt(
    register, outbox, make_submitter, oracle, roles, w3, monkeypatch
):
    assets = register(2)
    oracle.sync_assets(assets, roles.admin)
    outbox.add([make_report(a, EPOCH) for a in assets])
    crashing = make_submitter()

    def crash(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("killed")

    monkeypatch.setattr(crashing, "_confirm", crash)
    with pytest.raises(RuntimeError, match="killed"):
        crashing.run_once()
    (batch,) = outbox.in_flight()

    result = make_submitter().run_once()

    assert result.rebroadcasts == 0 and result.batches_sent == 0 and result.confirmed == 2
    assert result.tx_hashes == [batch.tx_hash]
    assert outbox.counts()["done"] == 2


def test_a_dropped_transaction_is_replaced_then_rebroadcast_and_lands_once(
    register, outbox, make_submitter, oracle, roles, w3, manual_mining
):
    first_block = w3.eth.block_number + 1
    assets = register(2)
    oracle.sync_assets(assets, roles.admin)
    reports = [make_report(a, EPOCH) for a in assets]
    outbox.add(reports)
    manual_mining.stop()  # from here on nothing is mined unless asked

    stuck = make_submitter(confirm_timeout=0.2, max_replacements=1).run_once()

    assert stuck.batches_sent == 1 and stuck.replacements == 1 and stuck.confirmed == 0 and stuck.in_flight == 2
    (batch,) = outbox.in_flight()
    original, replacement = batch.txs
    assert original.nonce == replacement.nonce and original.replaced_by == replacement.tx_hash
    assert original.tip is not None and replacement.tip is not None
    assert replacement.tip >= original.tip * 1.1 and replacement.max_fee >= original.max_fee * 1.1  # type: ignore[operator]

    # The pool loses the transaction (a node restart, eviction); a block passes without it.
    w3.provider.make_request("anvil_dropTransaction", ["0x" + replacement.tx_hash.hex()])
    manual_mining.mine()
    assert landed_since(oracle, first_block) == {}
    w3.provider.make_request("evm_setAutomine", [True])

    result = make_submitter().run_once()

    assert result.rebroadcasts == 1 and result.batches_sent == 0 and result.confirmed == 2
    assert result.tx_hashes == [replacement.tx_hash]
    assert landed_since(oracle, first_block) == {r.key: 1 for r in reports}
    assert {row.tx_hash for row in outbox.rows()} == {replacement.tx_hash}


def test_whichever_transaction_of_a_nonce_is_mined_settles_the_batch(
    register, outbox, make_submitter, oracle, roles, w3, manual_mining
):
    first_block = w3.eth.block_number + 1
    (a,) = register(1)
    oracle.sync_assets([a], roles.admin)
    outbox.add([make_report(a, EPOCH)])
    manual_mining.stop()

    make_submitter(confirm_timeout=0.1, max_replacements=1).run_once()
    (batch,) = outbox.in_flight()
    original, replacement = batch.txs
    # The replacement never spreads; the original, still in another node's pool, is mined.
    w3.provider.make_request("anvil_dropTransaction", ["0x" + replacement.tx_hash.hex()])
    w3.eth.send_raw_transaction(original.raw_tx)
    manual_mining.mine()

    result = make_submitter().run_once()

    assert result.confirmed == 1 and result.tx_hashes == [original.tx_hash] and result.rebroadcasts == 0
    assert outbox.get((a, EPOCH)).tx_hash == original.tx_hash  # type: ignore[union-attr]
    assert landed_since(oracle, first_block) == {(a, EPOCH): 1}


def test_a_transaction_reverted_by_a_competitor_is_settled_and_the_rest_resent(
    oracle_setup, register, outbox, make_submitter, oracle, roles, w3, manual_mining
):
    first_block = w3.eth.block_number + 1
    a, b = register(2)
    oracle.sync_assets([a, b], roles.admin)
    reports = [make_report(a, EPOCH), make_report(b, EPOCH)]
    outbox.add(reports)
    manual_mining.stop()
    make_submitter(confirm_timeout=0.1, max_replacements=0).run_once()
    (batch,) = outbox.in_flight()

    # Another transmitter's batch with the first report, paying more, is mined first.
    client = oracle_setup.client
    packed = pack_reports(reports[:1])
    sigs = join_signatures([sign_batch(client.domain(), packed, k) for k in oracle_setup.keys[:3]])
    tip = 100 * 10**9
    w3.eth.send_transaction(
        {
            "from": roles.admin,
            "to": client.address,
            "data": client.contract.encode_abi("submitReports", args=[packed, sigs]),
            "gas": 500_000,
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": 2 * tip,
        }
    )
    manual_mining.mine()
    assert w3.eth.get_transaction_receipt(batch.tx_hash)["status"] == 0
    w3.provider.make_request("evm_setAutomine", [True])

    result = make_submitter().run_once()

    assert result.already_on_chain == 1 and result.confirmed == 1 and result.batches_sent == 1
    assert result.tx_hashes[0] == batch.tx_hash  # the reverted one, counted for its gas
    row = outbox.get(reports[1].key)
    assert row is not None and row.state == "done" and row.attempts == 2
    assert landed_since(oracle, first_block) == {r.key: 1 for r in reports}


def test_bump_fees_adds_at_least_ten_percent_and_follows_the_chain():
    old = Fees(max_fee=100, tip=10)
    assert bump_fees(old, Fees(max_fee=50, tip=1), 1.0) == Fees(max_fee=111, tip=12)
    assert bump_fees(old, Fees(max_fee=50, tip=1), 1.5) == Fees(max_fee=150, tip=15)
    assert bump_fees(old, Fees(max_fee=500, tip=20), 1.125) == Fees(max_fee=500, tip=20)
    assert bump_fees(Fees(gas_price=100), Fees(gas_price=90), 1.125) == Fees(gas_price=113)
    assert bump_fees(Fees(gas_price=100), Fees(gas_price=300), 1.125) == Fees(gas_price=300)


def test_the_fee_cap_stops_replacements(register, outbox, make_submitter, oracle, roles, w3, manual_mining):
    (a,) = register(1)
    oracle.sync_assets([a], roles.admin)
    outbox.add([make_report(a, EPOCH)])
    manual_mining.stop()
    tip = 10**9
    cap = 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + tip  # the first bid, exactly
    submitter = make_submitter(confirm_timeout=0.05, max_replacements=3, max_fee_cap=cap, priority_fee=tip)
    result = submitter.run_once()
    assert result.batches_sent == 1 and result.replacements == 0 and result.in_flight == 1
    assert outbox.transactions()[0].max_fee == cap


def test_a_report_for_an_asset_the_registry_does_not_know_is_rejected(register, outbox, make_submitter):
    (a,) = register(1)
    outbox.add([make_report(a, EPOCH), make_report(a + 1000, EPOCH)])
    result = make_submitter().run_once()
    assert result.confirmed == 1 and result.rejected == 1 and result.synced == 1
    row = outbox.get((a + 1000, EPOCH))
    assert row is not None and row.state == "rejected" and (row.error or "").startswith("syncAssets failed")


def test_invalid_settings_are_refused(make_submitter):
    with pytest.raises(InvalidInputError, match="block_gas_fraction"):
        make_submitter(block_gas_fraction=0)
    with pytest.raises(InvalidInputError, match="max_batch"):
        make_submitter(max_batch=0)
    assert isinstance(make_submitter(), Submitter)
