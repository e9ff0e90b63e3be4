"""The signer HTTP API and the remote quorum, against real servers on free ports."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from compute_rwa import __version__
from compute_rwa.errors import QuorumError
from compute_rwa.oracle.network import (
    QuorumShortfallError,
    RemoteQuorum,
    SignerService,
    Transmitter,
    health,
    median_reports,
)
from compute_rwa.oracle.reports import Report, pack_reports, recover_signer
from tests.unit.feeder_network.support import ASSET, DOMAIN, EPOCH, SIGNER_KEYS, own_view, static_observer

ADDRESSES = [k.address for k in SIGNER_KEYS]


def post(url, body, *, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def sign_body(batch, **overrides):
    body = {
        "chain_id": DOMAIN.chain_id,
        "oracle": DOMAIN.oracle,
        "config_version": DOMAIN.config_version,
        "reports": "0x" + pack_reports(batch).hex(),
    }
    body.update(overrides)
    return body


def agreed(services):
    return median_reports([s.observations(EPOCH, [ASSET]) for s in services])


def signers_of(packed, signatures):
    chunks = [signatures[i : i + 65] for i in range(0, len(signatures), 65)]
    return [recover_signer(DOMAIN, packed, c) for c in chunks]


def test_health_observe_and_sign(services):
    service = services[0]
    assert health(service.url) == {"address": SIGNER_KEYS[0].address, "version": __version__}
    status, body = post(service.url + "/observe", {"epoch": EPOCH, "asset_ids": [ASSET, 99]})
    assert status == 200
    assert [Report.unpack(bytes.fromhex(h[2:])) for h in body["reports"]] == [own_view(0)]
    packed = pack_reports(agreed(services))
    status, body = post(service.url + "/sign", sign_body(agreed(services)))
    assert status == 200
    assert body["signer"] == SIGNER_KEYS[0].address
    assert recover_signer(DOMAIN, packed, bytes.fromhex(body["signature"][2:])) == SIGNER_KEYS[0].address


def test_sign_outside_tolerance_is_409_with_the_reasons(services):
    far = replace(own_view(0), utilization_bps=9_000)
    status, body = post(services[0].url + "/sign", sign_body([far]))
    assert status == 409
    assert body["signer"] == SIGNER_KEYS[0].address
    (refusal,) = body["refused"]
    assert {k: refusal[k] for k in ("asset_id", "epoch", "field", "proposed", "observed")} == {
        "asset_id": ASSET,
        "epoch": EPOCH,
        "field": "utilization_bps",
        "proposed": 9_000,
        "observed": 5_000,
    }


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/observe", {"asset_ids": [1]}, "epoch"),
        ("/observe", {"epoch": "5", "asset_ids": [1]}, "epoch"),
        ("/observe", {"epoch": True, "asset_ids": [1]}, "epoch"),
        ("/observe", {"epoch": -1, "asset_ids": [1]}, "epoch"),
        ("/observe", {"epoch": 5, "asset_ids": "1"}, "asset_ids"),
        ("/observe", {"epoch": 5, "asset_ids": [1, 2**64]}, "asset_ids"),
        ("/sign", {"chain_id": 0}, "chain_id"),
        ("/sign", {"oracle": "0x1234"}, "oracle"),
        ("/sign", {"oracle": "0x5fbdb2315678afecb367f032d93F642f64180aa3"}, "oracle"),  # bad checksum
        ("/sign", {"config_version": 2**24}, "config_version"),
        ("/sign", {"reports": "0xzz"}, "reports"),
        ("/sign", {"reports": "0x" + "00" * 60}, "reports"),
        ("/sign", {"reports": ""}, "reports"),
        ("/sign", {"reports": None}, "reports"),
    ],
)
def test_malformed_requests_are_400_naming_the_field(services, path, body, field):
    if path == "/sign":
        body = sign_body([own_view(0)], **body)
    status, answer = post(services[0].url + path, body)
    assert status == 400, answer
    assert answer["field"] == field
    assert field in answer["error"]


def test_a_body_that_is_not_a_json_object_is_400(services):
    assert post(services[0].url + "/sign", None, raw=b"{not json")[0] == 400
    status, answer = post(services[0].url + "/observe", [1, 2])
    assert (status, answer["field"]) == (400, "body")
    assert post(services[0].url + "/nowhere", {})[0] == 404


def test_remote_quorum_collects_all_five_distinct_signers(services):
    packed = pack_reports(agreed(services))
    quorum = RemoteQuorum([s.url for s in services], 3)
    signatures = quorum.signatures(DOMAIN, packed)
    assert len(signatures) == 5 * 65
    assert sorted(signers_of(packed, signatures)) == sorted(ADDRESSES)


def test_remote_quorum_can_stop_at_max_signatures(services):
    packed = pack_reports(agreed(services))
    signatures = RemoteQuorum([s.url for s in services], 3, max_signatures=3).signatures(DOMAIN, packed)
    recovered = signers_of(packed, signatures)
    assert len(recovered) == 3 == len(set(recovered))


def test_two_signers_down_still_reach_three_of_five(services):
    urls = [s.url for s in services]
    packed = pack_reports(agreed(services))
    for service in services[:2]:
        service.stop()
    signatures = RemoteQuorum(urls, 3, timeout=5).signatures(DOMAIN, packed)
    assert sorted(signers_of(packed, signatures)) == sorted(ADDRESSES[2:])


def test_three_signers_down_raise_quorum_error_naming_them(services):
    urls = [s.url for s in services]
    packed = pack_reports(agreed(services))
    for service in services[:3]:
        service.stop()
    with pytest.raises(QuorumError) as info:
        RemoteQuorum(urls, 3, timeout=5).signatures(DOMAIN, packed)
    assert isinstance(info.value, QuorumShortfallError)
    assert info.value.signed == 2
    assert sorted(info.value.failures) == sorted(urls[:3])
    for url in urls[:3]:
        assert url in str(info.value)
        assert "unreachable" in info.value.failures[url]
    for url in urls[3:]:
        assert url not in str(info.value)


def test_a_disagreeing_signer_refuses_and_the_quorum_forms_from_the_others(services):
    urls = [s.url for s in services]
    services[4].stop()
    dissenter = SignerService(SIGNER_KEYS[4], static_observer(replace(own_view(4), avg_power_w=4_000)))
    with dissenter:
        urls[4] = dissenter.url
        median = agreed(services[:4])
        status, body = post(dissenter.url + "/sign", sign_body(median))
        assert status == 409
        assert [r["field"] for r in body["refused"]] == ["avg_power_w"]
        packed = pack_reports(median)
        signatures = RemoteQuorum(urls, 3).signatures(DOMAIN, packed)
        assert sorted(signers_of(packed, signatures)) == sorted(ADDRESSES[:4])


def test_refusals_are_named_with_their_reasons_when_the_quorum_fails(services):
    packed = pack_reports([replace(own_view(0), uptime_bps=5_000)])  # every signer saw 9,900
    with pytest.raises(QuorumShortfallError) as info:
        RemoteQuorum([s.url for s in services], 3).signatures(DOMAIN, packed)
    assert info.value.signed == 0
    for service in services:
        assert "refused" in info.value.failures[service.url]
        assert "uptime_bps: proposed 5000, observed 9900" in info.value.failures[service.url]


def test_signatures_from_unconfigured_or_duplicate_signers_do_not_count(services):
    packed = pack_reports(agreed(services))
    urls = [s.url for s in services]
    only_three = RemoteQuorum(urls, 3, signers=ADDRESSES[:3]).signatures(DOMAIN, packed)
    assert sorted(signers_of(packed, only_three)) == sorted(ADDRESSES[:3])
    twin = SignerService(SIGNER_KEYS[0], static_observer(own_view(0)))
    with twin, pytest.raises(QuorumShortfallError) as info:
        RemoteQuorum([urls[0], twin.url], 2).signatures(DOMAIN, packed)
    assert "duplicate signer" in " ".join(info.value.failures.values())


def test_transmitter_medians_the_observations_and_tolerates_failures(services):
    urls = [s.url for s in services]
    handed: list[list[Report]] = []
    transmitter = Transmitter(urls, 3, handed.append, timeout=5)
    (median,) = transmitter.round(EPOCH, [ASSET])
    assert median == median_reports([[own_view(i)] for i in range(5)])[0]
    assert median.utilization_bps == own_view(2).utilization_bps  # the middle of 5,000..5,040
    assert handed == [[median]]
    for service in services[:2]:
        service.stop()
    (again,) = transmitter.round(EPOCH, [ASSET, 99])
    assert again == median_reports([[own_view(i)] for i in range(2, 5)])[0]
    assert sorted(transmitter.last_failures) == sorted(urls[:2])
    assert (99, EPOCH) in transmitter.last_dropped
    services[2].stop()
    assert transmitter.round(EPOCH, [ASSET]) == []  # two observers cannot reach a quorum of three
    assert transmitter.last_dropped == {(ASSET, EPOCH): "2 observer(s), 3 needed"}
