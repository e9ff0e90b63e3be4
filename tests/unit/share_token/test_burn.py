from __future__ import annotations

from compute_rwa import AssetStatus
from tests.conftest import fund
from tests.helpers import reverts


def test_burn_after_retirement_keeps_earned_revenue(suite, asset, roles, tokens):
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**9, roles.lessee)
    suite.set_asset_status(asset, AssetStatus.RETIRED, roles.operator)
    token = suite.share_token(asset)
    suite.sender.transact(token.functions.burn(3 * 10**18), roles.holders[0], "S")
    assert token.functions.totalSupply().call() == 5 * 10**18
    assert suite.claim(asset, roles.holders[0]) == 800_000_000


def test_burn_reverts_before_retirement(suite, asset, roles):
    with reverts("ShareBurnBeforeRetirement", assetId=asset):
        suite.sender.transact(suite.share_token(asset).functions.burn(1), roles.holders[0], "S")
