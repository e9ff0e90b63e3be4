"""Several operators through the feeder itself: three signer services, each measuring the same
GPUs through its own (simulated) telemetry; the transmitter's feeder queues the per-field
median of their observations, collects a 3-of-5 remote quorum and submits; the chain holds
exactly the medians, once."""

from __future__ import annotations

from compute_rwa.oracle.feeder import Feeder
from compute_rwa.oracle.network import RemoteQuorum, SignerService, Transmitter, median_reports
from compute_rwa.oracle.outbox import Outbox
from compute_rwa.oracle.submitter import Submitter
from compute_rwa.telemetry import AssetInventory
from compute_rwa.telemetry.simulator import Fault
from tests.unit.feeder_network.support import simulated_operator

INTERVAL = 60


def test_the_feeder_queues_the_signers_median_and_a_remote_quorum_lands_it(
    suite, oracle_setup, make_registration, roles, tmp_path
):
    client = oracle_setup.client
    inventories = []
    for n in range(2):
        gpus = tuple(f"GPU-operators-{n}-{i}" for i in range(8))
        probe = AssetInventory(0, gpus, rated_tflops=7912)
        asset_id, _ = suite.register_asset(make_registration(inventory_hash=probe.inventory_hash), roles.operator)
        inventories.append(AssetInventory(asset_id, gpus, rated_tflops=7912))
    epoch = client.last_ended_epoch()
    start = client.epoch_start(epoch)
    # All three read the same GPUs (same simulated telemetry); the third lost one GPU's samples
    # for five minutes, so its uptime is ~1% lower. Within tolerance: it still signs the median.
    lost = Fault(inventories[0].gpu_uuids[0], start + 600, start + 900)
    services = [
        SignerService(
            key,
            simulated_operator(seed, inventories, client, INTERVAL, faults=faults),
            chain_id=client.chain_id,
            oracle=client.address,
        )
        for seed, key, faults in zip((7, 7, 7), oracle_setup.keys[:3], ((), (), (lost,)), strict=True)
    ]
    ids = [i.asset_id for i in inventories]
    try:
        urls = [s.start(port=0) for s in services]
        transmitter = Transmitter(urls, 3)
        outbox = Outbox(tmp_path / "transmitter.sqlite")
        quorum = RemoteQuorum(urls, 3, signers=client.signer_config().signers)
        feeder = Feeder(
            client,
            outbox,
            Submitter(client, outbox, quorum, roles.admin),
            inventories,
            observer=lambda e: transmitter.round(e, ids),
        )
        queued = feeder.measure(epoch)
        result = feeder.submit()
        expected = median_reports([s.observations(epoch, ids) for s in services])
    finally:
        for service in services:
            service.close()

    assert sorted(queued, key=lambda r: r.asset_id) == sorted(expected, key=lambda r: r.asset_id)
    assert expected[0].uptime_bps == 10_000  # the median, not the operator that missed samples
    assert result is not None and result.confirmed == 2 and result.batches_sent == 1
    assert feeder.measure(epoch) == []  # measured once
    for report in expected:
        held = client.report(report.asset_id, epoch)
        assert (held.utilization_bps, held.uptime_bps, held.gpu_hours_milli) == (
            report.utilization_bps,
            report.uptime_bps,
            report.gpu_hours_milli,
        )
        assert (held.energy_wh, held.avg_power_w) == (report.energy_wh, report.avg_power_w)
        assert bin(held.signers).count("1") == 3
