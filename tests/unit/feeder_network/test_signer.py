"""A signer signs only what agrees with its own observation, and never two values for one key."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_utils import keccak

from compute_rwa.errors import QuorumError
from compute_rwa.oracle.network import SignerService, SigningRefusedError, Tolerances
from compute_rwa.oracle.reports import pack_reports, recover_signer
from tests.unit.feeder_network.support import ASSET, DOMAIN, EPOCH, SIGNER_KEYS, report, static_observer

OWN = report(utilization_bps=5_000, uptime_bps=9_000, gpu_hours_milli=4_000, energy_wh=3_000, avg_power_w=3_000)


@pytest.mark.parametrize(
    ("field", "accepted", "refused"),
    [
        ("utilization_bps", (4_800, 5_200), (4_799, 5_201)),  # +-200 bps absolute
        ("uptime_bps", (8_800, 9_200), (8_799, 9_201)),
        ("gpu_hours_milli", (3_800, 4_200), (3_799, 4_201)),  # +-5% of the own 4,000
        ("energy_wh", (2_850, 3_150), (2_849, 3_151)),
        ("avg_power_w", (2_850, 3_150), (2_849, 3_151)),
    ],
)
def test_each_field_within_tolerance_is_accepted_and_beyond_it_refused(field, accepted, refused):
    tolerances = Tolerances()
    for value in accepted:
        assert tolerances.check(replace(OWN, **{field: value}), OWN) == []
    for value in refused:
        (refusal,) = tolerances.check(replace(OWN, **{field: value}), OWN)
        assert (refusal.field, refusal.proposed, refusal.observed) == (field, value, getattr(OWN, field))
        assert (refusal.asset_id, refusal.epoch) == (ASSET, EPOCH)


def test_relative_fields_have_an_absolute_floor_near_zero():
    idle = replace(OWN, gpu_hours_milli=0, energy_wh=20, avg_power_w=0)
    tolerances = Tolerances()
    assert tolerances.check(replace(idle, gpu_hours_milli=10, energy_wh=30, avg_power_w=5), idle) == []
    fields = {r.field for r in tolerances.check(replace(idle, gpu_hours_milli=11, energy_wh=31, avg_power_w=6), idle)}
    assert fields == {"gpu_hours_milli", "energy_wh", "avg_power_w"}


def test_the_inventory_hash_must_be_identical():
    (refusal,) = Tolerances().check(replace(OWN, inventory_hash=keccak(text="other")), OWN)
    assert refusal.field == "inventory_hash"
    assert refusal.observed == "0x" + OWN.inventory_hash.hex()


def test_sign_within_tolerance_recovers_to_the_signer():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN))
    packed = pack_reports([replace(OWN, utilization_bps=5_150)])
    signature = service.sign(DOMAIN, packed)
    assert len(signature) == 65
    assert recover_signer(DOMAIN, packed, signature) == SIGNER_KEYS[0].address == service.address


def test_sign_refuses_naming_every_field_out_of_tolerance():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN))
    with pytest.raises(SigningRefusedError) as info:
        service.sign(DOMAIN, pack_reports([replace(OWN, utilization_bps=6_000, energy_wh=9_000)]))
    assert isinstance(info.value, QuorumError)
    assert {r.field for r in info.value.refusals} == {"utilization_bps", "energy_wh"}
    assert "utilization_bps: proposed 6000, observed 5000" in str(info.value)


def test_sign_refuses_keys_it_did_not_observe_or_could_not_measure():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN))
    with pytest.raises(SigningRefusedError) as info:
        service.sign(DOMAIN, pack_reports([OWN, replace(OWN, asset_id=ASSET + 1)]))
    assert [(r.asset_id, r.field) for r in info.value.refusals] == [(ASSET + 1, "observation")]

    def broken(epoch, asset_ids):
        raise OSError("telemetry down")

    with pytest.raises(SigningRefusedError, match="observation"):
        SignerService(SIGNER_KEYS[0], broken).sign(DOMAIN, pack_reports([OWN]))


def test_equivocation_guard_refuses_other_values_for_a_signed_key():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN))
    first, second = replace(OWN, utilization_bps=5_100), replace(OWN, utilization_bps=5_050)
    signature = service.sign(DOMAIN, pack_reports([first]))
    assert service.sign(DOMAIN, pack_reports([first])) == signature  # the same values again: fine
    with pytest.raises(SigningRefusedError) as info:
        service.sign(DOMAIN, pack_reports([second]))  # within tolerance, but not what it signed
    (refusal,) = info.value.refusals
    assert (refusal.field, refusal.proposed, refusal.observed) == ("utilization_bps", 5_050, 5_100)
    assert "equivocation" in refusal.reason
    # Another configuration version, chain or oracle is another key.
    service.sign(replace(DOMAIN, config_version=2), pack_reports([second]))
    service.sign(replace(DOMAIN, chain_id=1), pack_reports([second]))


def test_a_refused_batch_records_nothing():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN, replace(OWN, asset_id=ASSET + 1)))
    good, bad = OWN, replace(OWN, asset_id=ASSET + 1, utilization_bps=0)
    with pytest.raises(SigningRefusedError):
        service.sign(DOMAIN, pack_reports([good, bad]))
    service.sign(DOMAIN, pack_reports([replace(good, utilization_bps=5_100)]))


def test_equivocation_guard_survives_a_restart_through_its_sqlite_file(tmp_path):
    ledger = tmp_path / "signed.sqlite"
    first = SignerService(SIGNER_KEYS[0], static_observer(OWN), ledger_path=ledger)
    first.sign(DOMAIN, pack_reports([OWN]))
    first.close()
    again = SignerService(SIGNER_KEYS[0], static_observer(OWN), ledger_path=ledger)
    again.sign(DOMAIN, pack_reports([OWN]))
    with pytest.raises(SigningRefusedError, match="equivocation"):
        again.sign(DOMAIN, pack_reports([replace(OWN, avg_power_w=3_001)]))
    again.close()


def test_uint64_asset_ids_fit_the_ledger(tmp_path):
    big = replace(OWN, asset_id=2**64 - 1)
    service = SignerService(SIGNER_KEYS[0], static_observer(big), ledger_path=tmp_path / "l.sqlite")
    service.sign(DOMAIN, pack_reports([big]))
    with pytest.raises(SigningRefusedError, match="equivocation"):
        service.sign(DOMAIN, pack_reports([replace(big, uptime_bps=9_001)]))
    service.close()


def test_two_different_reports_for_one_key_in_a_batch_are_refused():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN))
    with pytest.raises(SigningRefusedError, match="duplicate"):
        service.sign(DOMAIN, pack_reports([OWN, replace(OWN, uptime_bps=9_001)]))


def test_a_signer_bound_to_a_chain_and_oracle_refuses_other_domains():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN), chain_id=DOMAIN.chain_id, oracle=DOMAIN.oracle)
    service.sign(DOMAIN, pack_reports([OWN]))
    with pytest.raises(SigningRefusedError) as info:
        service.sign(replace(DOMAIN, chain_id=1, oracle="0x" + "11" * 20), pack_reports([OWN]))
    assert {r.field for r in info.value.refusals} == {"chain_id", "oracle"}


def test_the_key_never_shows():
    service = SignerService(SIGNER_KEYS[0], static_observer(OWN))
    secret = SIGNER_KEYS[0].key.hex().removeprefix("0x")
    assert secret not in repr(service)
    with pytest.raises(SigningRefusedError) as info:
        service.sign(DOMAIN, pack_reports([replace(OWN, utilization_bps=0)]))
    assert secret not in str(info.value)
