"""Smoke: open, report, settle, with the gas of each step."""

from __future__ import annotations

from tests.unit.lease_manager.conftest import (
    DISPUTE_WINDOW,
    epoch_end,
    open_lease,
    report_uptime,
    warp_to,
)


def test_open_report_settle(leasing, suite, oracle, oracle_setup, roles, w3, lease_view):
    m = leasing.manager
    lease_id, receipt = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=2, epochs=3)
    print("open gas", receipt["gasUsed"])
    lv = lease_view(lease_id)
    print(lv)
    start = lv["startEpoch"]
    warp_to(w3, epoch_end(m, start + 1))
    r = report_uptime(oracle, oracle_setup.keys, roles.outsider, leasing.asset_id, [start, start + 1], [10_000, 5_000])
    print("report gas", r["gasUsed"])
    warp_to(w3, int(w3.eth.get_block("latest")["timestamp"]) + DISPUTE_WINDOW + 1)
    receipt = suite.sender.transact(m.functions.settle(lease_id, 1), roles.outsider, "LM")
    print("settle 1 gas", receipt["gasUsed"])
    receipt = suite.sender.transact(m.functions.settle(lease_id, 1), roles.outsider, "LM")
    print("settle 1 (credit) gas", receipt["gasUsed"])
    print(lease_view(lease_id))
    assert lease_view(lease_id)["claimable"] > 0


def test_steady_state_gas(leasing, suite, oracle, oracle_setup, roles, w3, lease_view):
    m = leasing.manager
    ids = []
    for _ in range(3):
        lease_id, receipt = open_lease(m, suite.sender, roles.lessee, leasing.asset_id, gpus=1, epochs=4)
        print("open gas", receipt["gasUsed"])
        ids.append(lease_id)
    start = lease_view(ids[0])["startEpoch"]
    warp_to(w3, epoch_end(m, start + 3))
    report_uptime(oracle, oracle_setup.keys, roles.outsider, leasing.asset_id, list(range(start, start + 4)))
    warp_to(w3, int(w3.eth.get_block("latest")["timestamp"]) + DISPUTE_WINDOW + 1)
    for lease_id in ids:
        for _ in range(2):
            receipt = suite.sender.transact(m.functions.settle(lease_id, 1), roles.outsider, "LM")
            print("settle gas", lease_id, receipt["gasUsed"])
