"""Attacks on MetricsOracle.submitReports, one protection each, each refused with its own error:
replays and stale epochs, signatures made for another domain, forged quorums, malformed
calldata, values outside the hard bounds, another inventory, and any byte changed after signing."""

from __future__ import annotations

import pytest

from compute_rwa.oracle.reports import OracleDomain, pack_reports, sign_batch
from tests.conftest import inventory_hash
from tests.helpers import b32, reverts
from tests.unit.metrics_oracle.conftest import (
    MAX_BPS,
    MAX_ENERGY_WH,
    MAX_GPU_HOURS_MILLI,
    MAX_POWER_W,
    NODE_1,
    make_report,
    recovered,
    sign,
    submit_batch,
)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# (field, bytes) of the 61-byte packed report, in calldata order.
LAYOUT = (
    ("asset_id", 8),
    ("epoch", 4),
    ("inventory_hash", 32),
    ("utilization_bps", 2),
    ("uptime_bps", 2),
    ("gpu_hours_milli", 4),
    ("energy_wh", 5),
    ("avg_power_w", 4),
)


@pytest.fixture
def synced(oracle, asset, roles):
    oracle.sync_assets([asset], roles.outsider)
    return asset


@pytest.fixture
def submit(oracle, oracle_setup, roles):
    def run(reports, keys=None, signatures=None):
        keys = oracle_setup.keys[:3] if keys is None else keys
        return submit_batch(oracle, reports, keys, roles.outsider, signatures)

    return run


def _recovers_to(oracle, data, signature):
    """Where a signature made over anything else lands when checked against this batch."""
    return recovered(oracle.contract.functions.batchDigest(data).call(), signature)


# ------------------------------------------------------------------ replays and epochs


def test_replay_of_an_accepted_batch(oracle, oracle_setup, synced, submit):
    data = pack_reports([make_report(synced, 10)])
    signatures = sign(oracle, data, oracle_setup.keys[:3])
    submit(data, signatures=signatures)
    with reverts("OracleReportAlreadyAccepted", assetId=synced, epoch=10):
        submit(data, signatures=signatures)
    with reverts("OracleReportAlreadyAccepted", assetId=synced, epoch=12):  # twice in one batch
        submit([make_report(synced, 12), make_report(synced, 12)])


def test_older_epochs_are_refused(oracle, synced, submit):
    submit([make_report(synced, 10)])
    with reverts("OracleEpochNotIncreasing", assetId=synced, epoch=9, latestEpoch=10):
        submit([make_report(synced, 9)])
    with reverts("OracleEpochNotIncreasing", assetId=synced, epoch=11, latestEpoch=12):  # out of order
        submit([make_report(synced, 12), make_report(synced, 11)])
    assert oracle.latest_epoch(synced) == 10  # a failing batch stores nothing


@pytest.mark.parametrize("ahead", [1, 2, 1000, 2**32 - 1])
def test_epochs_that_have_not_ended(oracle, synced, submit, ahead):
    current = oracle.last_ended_epoch() + 1
    epoch = min(current + ahead - 1, 2**32 - 1)
    with reverts("OracleEpochNotEnded", assetId=synced, epoch=epoch, endsAt=oracle.epoch_start(epoch + 1)):
        submit([make_report(synced, oracle.last_ended_epoch()), make_report(synced, epoch)])


# ------------------------------------------------------------------ signatures


def test_signatures_for_another_domain_recover_to_strangers(oracle, oracle_setup, synced, submit, roles):
    keys = oracle_setup.keys[:3]
    data = pack_reports([make_report(synced, 10)])
    mine = oracle.domain()
    for domain in (
        OracleDomain(mine.chain_id + 1, mine.oracle, mine.config_version),
        OracleDomain(mine.chain_id, roles.outsider, mine.config_version),
        OracleDomain(mine.chain_id, mine.oracle, mine.config_version + 1),
    ):
        signatures = sign(oracle, data, keys, domain)
        with reverts("OracleUnknownSigner", signer=_recovers_to(oracle, data, signatures[:65])):
            submit(data, signatures=signatures)

    # Same signers, new version: what they signed before the change no longer counts.
    old = sign(oracle, data, keys)
    oracle.set_signers([k.address for k in oracle_setup.keys], 3, roles.admin)
    with reverts("OracleUnknownSigner", signer=_recovers_to(oracle, data, old[:65])):
        submit(data, signatures=old)
    submit(data)  # signed afresh for version 2


def test_forged_quorums(oracle, oracle_setup, synced, submit, roles):
    keys, outsider = oracle_setup.keys, oracle_setup.outsiders[0]  # the outsider is bonded
    report = [make_report(synced, 10)]
    with reverts("OracleDuplicateSigner", signer=keys[0].address):
        submit(report, [keys[0], keys[1], keys[0]])
    with reverts("OracleUnknownSigner", signer=outsider.address):
        submit(report, [keys[0], outsider, keys[1]])
    with reverts("OracleQuorumNotMet", signatures=2, threshold=3):
        submit(report, keys[:2])
    with reverts("OracleQuorumNotMet", signatures=0, threshold=3):
        submit(report, [])
    oracle.set_signers([k.address for k in keys[:4]], 3, roles.admin)
    with reverts("OracleUnknownSigner", signer=keys[4].address):  # removed
        submit(report, [keys[4], keys[1], keys[2]])


def test_malleable_and_invalid_signatures(oracle, oracle_setup, synced, submit):
    data = pack_reports([make_report(synced, 10)])
    good = [sign_batch(oracle.domain(), data, k) for k in oracle_setup.keys[:3]]
    r, s, v = good[0][:32], int.from_bytes(good[0][32:64], "big"), good[0][64]
    flipped = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # same signer, high s
    with reverts("ECDSAInvalidSignatureS", s=(SECP256K1_N - s).to_bytes(32, "big")):
        submit(data, signatures=flipped + good[1] + good[2])
    with reverts("ECDSAInvalidSignature"):
        submit(data, signatures=r + good[0][32:64] + b"\x00" + good[1] + good[2])


def test_a_fresh_oracle_accepts_nothing_before_its_signers_are_set(suite, roles, asset, w3):
    # Threshold 0 and no signer set: even zero signatures must not pass, with a named error.
    genesis = w3.eth.get_block("latest")["timestamp"] - 10 * 3600
    fresh = suite.sender.deploy(
        "MetricsOracle", roles.admin, roles.admin, 3600, suite.registry.address, suite.payment_token.address,
        3600, genesis, (86400, 7 * 86400, 1, 1, 1),
    )  # fmt: skip
    suite.sender.transact(fresh.functions.syncAssets([asset]), roles.outsider, "O")
    data = pack_reports([make_report(asset, 1)])
    with reverts("OracleNoSignerSet"):
        suite.sender.transact(fresh.functions.submitReports(data, b""), roles.outsider, "MetricsOracle")
    assert fresh.functions.latestEpoch(asset).call() == [False, 0]


# ------------------------------------------------------------------ malformed calldata


@pytest.mark.parametrize("length", [0, 1, 60, 62, 2 * 61 - 1, 2 * 61 + 1])
def test_malformed_reports(oracle, synced, submit, length):
    data = (pack_reports([make_report(synced, 10), make_report(synced, 11)]) + b"\0")[:length]
    with reverts("OracleMalformedReports", length=length):
        submit(data)


@pytest.mark.parametrize("cut", [-1, 1, -64])
def test_malformed_signatures(oracle, oracle_setup, synced, submit, cut):
    data = pack_reports([make_report(synced, 10)])
    signatures = sign(oracle, data, oracle_setup.keys[:3])
    signatures = signatures[:cut] if cut < 0 else signatures + b"\0" * cut
    with reverts("OracleMalformedSignatures", length=len(signatures)):
        submit(data, signatures=signatures)


def test_batch_larger_than_the_maximum(oracle, synced, submit):
    assert oracle.max_batch_size == 500
    with reverts("OracleBatchTooLarge", count=501, maxCount=500):
        submit([make_report(synced, e) for e in range(501)], signatures=b"")


# ------------------------------------------------------------------ values and attestation

BOUNDS = [
    ("utilizationBps", "utilization_bps", MAX_BPS),
    ("uptimeBps", "uptime_bps", MAX_BPS),
    ("gpuHoursMilli", "gpu_hours_milli", MAX_GPU_HOURS_MILLI),
    ("avgPowerW", "avg_power_w", MAX_POWER_W),
    ("energyWh", "energy_wh", MAX_ENERGY_WH),
]


@pytest.mark.parametrize(("field", "attr", "bound"), BOUNDS)
def test_values_at_the_bound_pass_and_above_fail(oracle, synced, submit, field, attr, bound):
    submit([make_report(synced, 10, **{attr: bound})])
    assert getattr(oracle.report(synced, 10), attr) == bound
    with reverts("OracleValueOutOfBounds", assetId=synced, epoch=12, field=b32(field), value=bound + 1, bound=bound):
        submit([make_report(synced, 11), make_report(synced, 12, **{attr: bound + 1})])
    assert oracle.latest_epoch(synced) == 10


@pytest.mark.parametrize(
    ("attr", "field", "bound"),
    [("gpu_hours_milli", "gpuHoursMilli", 3000), ("avg_power_w", "avgPowerW", 6165), ("energy_wh", "energyWh", 6165)],
)
def test_bounds_round_down_for_odd_ratings(oracle, suite, make_registration, roles, submit, attr, field, bound):
    # 3 GPUs and 5,605 W: 5,605 x 1.1 = 6,165.5 W (and Wh over the hour).
    asset_id, _ = suite.register_asset(make_registration(gpu_count=3, rated_power_watts=5605), roles.operator)
    oracle.sync_assets([asset_id], roles.outsider)
    fits = {"gpu_hours_milli": 2000, attr: bound}
    submit([make_report(asset_id, 10, **fits)])
    with reverts("OracleValueOutOfBounds", assetId=asset_id, field=b32(field), value=bound + 1, bound=bound):
        submit([make_report(asset_id, 11, **{**fits, attr: bound + 1})])


def test_report_for_another_inventory(oracle, synced, submit):
    other = inventory_hash("node-7")
    with reverts("OracleInventoryMismatch", assetId=synced, reported=other, attestedPrefix=NODE_1[:20] + b"\0" * 12):
        submit([make_report(synced, 10), make_report(synced, 11, inventory_hash=other)])


# ------------------------------------------------------------------ tampering after signing


def test_the_python_digest_is_the_contracts(oracle, synced):
    data = pack_reports([make_report(synced, e, utilization_bps=e) for e in (3, 5, 8)])
    assert oracle.contract.functions.batchDigest(data).call() == oracle.domain().digest(data)
    assert oracle.contract.functions.batchDigestFor(7, data).call() == OracleDomain(
        oracle.chain_id, oracle.address, 7
    ).digest(data)


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("field", [name for name, _ in LAYOUT])
def test_changing_any_field_after_signing_breaks_every_signature(oracle, oracle_setup, synced, submit, index, field):
    data = pack_reports([make_report(synced, 10), make_report(synced, 11)])
    signatures = sign(oracle, data, oracle_setup.keys[:3])
    offset = 61 * index
    for name, size in LAYOUT:
        if name == field:
            break
        offset += size
    last = offset + size - 1  # flip the lowest bit: the smallest possible change
    tampered = data[:last] + bytes([data[last] ^ 1]) + data[last + 1 :]

    with reverts("OracleUnknownSigner", signer=_recovers_to(oracle, tampered, signatures[:65])):
        submit(tampered, signatures=signatures)
    submit(data, signatures=signatures)  # the batch as signed verifies
    assert oracle.latest_epoch(synced) == 11
