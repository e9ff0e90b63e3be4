"""End to end on the session chain: three operators observe one asset through their own
(simulated) telemetry, the transmitter takes the median, a 3-of-5 remote quorum signs it with
the on-chain domain, and the oracle stores exactly the medians."""

from __future__ import annotations

from compute_rwa.oracle.network import RemoteQuorum, SignerService, Transmitter, median_reports
from compute_rwa.oracle.reports import pack_reports, recover_signer
from compute_rwa.telemetry import AssetInventory
from tests.unit.feeder_network.support import simulated_operator

GPUS = tuple(f"GPU-net-{i}" for i in range(8))
INTERVAL = 60


def test_three_operators_median_is_signed_by_a_remote_quorum_and_accepted(
    suite, oracle_setup, make_registration, roles
):
    client = oracle_setup.client
    probe = AssetInventory(0, GPUS, rated_tflops=7912)
    registration = make_registration(inventory_hash=probe.inventory_hash, gpu_count=8, rated_power_watts=5600)
    asset_id, _ = suite.register_asset(registration, roles.operator)
    inventory = AssetInventory(asset_id, GPUS, rated_tflops=7912)
    epoch = client.last_ended_epoch()
    services = [
        SignerService(
            key,
            simulated_operator(seed, [inventory], client, INTERVAL, gpu_spread_bps=0),
            chain_id=client.chain_id,
            oracle=client.address,
        )
        for seed, key in zip((11, 22, 33), oracle_setup.keys[:3], strict=True)
    ]
    try:
        for service in services:
            service.start(port=0)
        urls = [s.url for s in services]
        observed = [s.observations(epoch, [asset_id]) for s in services]
        assert len({o[0] for o in observed}) == 3  # slightly different values each
        (median,) = Transmitter(urls, 3).round(epoch, [asset_id])
        assert [median] == median_reports(observed)

        domain = client.domain()
        packed = pack_reports([median])
        signatures = RemoteQuorum(urls, 3, signers=client.signer_config().signers).signatures(domain, packed)
        recovered = {recover_signer(domain, packed, signatures[i : i + 65]) for i in range(0, len(signatures), 65)}
        assert recovered == {k.address for k in oracle_setup.keys[:3]}

        client.sync_assets([asset_id], roles.admin)
        client.submit(packed, signatures, roles.admin)
    finally:
        for service in services:
            service.close()

    stored = client.report(asset_id, epoch)
    assert (stored.epoch, stored.config_version) == (epoch, domain.config_version)
    assert (stored.utilization_bps, stored.uptime_bps) == (median.utilization_bps, median.uptime_bps)
    assert (stored.gpu_hours_milli, stored.energy_wh, stored.avg_power_w) == (
        median.gpu_hours_milli,
        median.energy_wh,
        median.avg_power_w,
    )
    assert stored.efficiency_gflops_per_w == median.efficiency_gflops_per_w(7912)
    assert bin(stored.signers).count("1") == 3 and not stored.voided
