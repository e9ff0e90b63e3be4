"""ERC-7943 compliance: allow list, frozen amounts, forced transfers, transfer pause."""

from __future__ import annotations

from tests.conftest import fund
from tests.helpers import reverts

ZERO = "0x0000000000000000000000000000000000000000"


def _tx(suite, fn, sender):
    return suite.sender.transact(fn, sender, "ShareToken")


def test_compliance_is_off_by_default(suite, asset, roles):
    token = suite.share_token(asset)
    assert token.functions.allowListEnabled().call() is False
    assert token.functions.canSend(roles.outsider).call() is True
    assert token.functions.canReceive(roles.outsider).call() is True
    assert token.functions.canTransfer(roles.holders[0], roles.outsider, 10**18).call() is True


def test_allow_list_blocks_senders_and_receivers_not_on_it(suite, asset, roles):
    token = suite.share_token(asset)
    a, b = roles.holders[0], roles.holders[1]
    receipt = _tx(suite, token.functions.setAllowListEnabled(True), roles.compliance)
    assert token.events.AllowListEnabled().process_receipt(receipt)[0]["args"]["enabled"] is True
    with reverts("ERC7943CannotSend", account=a):
        suite.transfer_shares(asset, a, b, 1)
    receipt = _tx(suite, token.functions.setAllowed([a], True), roles.compliance)
    (event,) = token.events.AllowListUpdated().process_receipt(receipt)
    assert (event["args"]["account"], event["args"]["allowed"]) == (a, True)
    with reverts("ERC7943CannotReceive", account=b):
        suite.transfer_shares(asset, a, b, 1)
    assert token.functions.canTransfer(a, b, 1).call() is False
    _tx(suite, token.functions.setAllowed([b], True), roles.compliance)
    assert token.functions.canTransfer(a, b, 1).call() is True
    suite.transfer_shares(asset, a, b, 1)
    assert token.functions.isAllowed(b).call() is True
    _tx(suite, token.functions.setAllowListEnabled(False), roles.compliance)
    suite.transfer_shares(asset, b, roles.outsider, 1)


def test_set_allowed_reverts_for_batch_over_maximum(suite, asset, roles):
    accounts = [roles.outsider] * 201
    with reverts("ShareBatchTooLarge", size=201, maxSize=200):
        _tx(suite, suite.share_token(asset).functions.setAllowed(accounts, True), roles.compliance)


def test_frozen_tokens_cannot_be_sent(suite, asset, roles):
    token = suite.share_token(asset)
    a, b = roles.holders[0], roles.holders[1]
    receipt = _tx(suite, token.functions.setFrozenTokens(a, 6 * 10**18), roles.compliance)
    (event,) = token.events.Frozen().process_receipt(receipt)
    assert (event["args"]["account"], event["args"]["amount"]) == (a, 6 * 10**18)
    assert token.functions.getFrozenTokens(a).call() == 6 * 10**18
    suite.transfer_shares(asset, a, b, 2 * 10**18)
    with reverts("ERC7943InsufficientUnfrozenBalance", account=a, amount=1, unfrozen=0):
        suite.transfer_shares(asset, a, b, 1)
    assert token.functions.canTransfer(a, b, 1).call() is False
    # Above the balance, the ERC-20 error is the one that explains it.
    with reverts("ERC20InsufficientBalance"):
        suite.transfer_shares(asset, a, b, 7 * 10**18)
    _tx(suite, token.functions.setFrozenTokens(a, 0), roles.compliance)
    suite.transfer_shares(asset, a, b, 1)


def test_frozen_amount_may_exceed_the_balance(suite, asset, roles):
    token = suite.share_token(asset)
    _tx(suite, token.functions.setFrozenTokens(roles.outsider, 10**30), roles.compliance)
    assert token.functions.getFrozenTokens(roles.outsider).call() == 10**30
    assert token.functions.canTransfer(roles.outsider, roles.holders[0], 0).call() is True


def test_set_frozen_tokens_reverts_for_amount_beyond_storage(suite, asset, roles):
    with reverts("ShareAmountOverflow", amount=2**248):
        _tx(suite, suite.share_token(asset).functions.setFrozenTokens(roles.outsider, 2**248), roles.compliance)


def test_forced_transfer_moves_frozen_shares_and_keeps_revenue(suite, asset, roles, tokens):
    token = suite.share_token(asset)
    a, b = roles.holders[0], roles.holders[1]
    fund(suite, tokens.usdc6, roles.lessee, 10**9, roles.admin)
    suite.distribute(asset, 10**9, roles.lessee)
    _tx(suite, token.functions.setFrozenTokens(a, 8 * 10**18), roles.compliance)
    receipt = _tx(suite, token.functions.forcedTransfer(a, b, 3 * 10**18), roles.compliance)
    (forced,) = token.events.ForcedTransfer().process_receipt(receipt)
    assert (forced["args"]["from"], forced["args"]["to"], forced["args"]["amount"]) == (a, b, 3 * 10**18)
    # The frozen amount shrinks to what remains.
    assert token.functions.getFrozenTokens(a).call() == 5 * 10**18
    assert token.events.Frozen().process_receipt(receipt)[0]["args"]["amount"] == 5 * 10**18
    assert token.functions.balanceOf(b).call() == 3 * 10**18
    assert suite.claimable(asset, a) == 800_000_000
    assert suite.claimable(asset, b) == 0


def test_forced_transfer_ignores_sender_allow_list_and_pause_but_not_receiver(suite, asset, roles):
    token = suite.share_token(asset)
    a, b = roles.holders[0], roles.holders[1]
    _tx(suite, token.functions.setAllowListEnabled(True), roles.compliance)
    _tx(suite, token.functions.setTransfersPaused(True), roles.pauser)
    with reverts("ERC7943CannotReceive", account=b):
        _tx(suite, token.functions.forcedTransfer(a, b, 1), roles.compliance)
    _tx(suite, token.functions.setAllowed([b], True), roles.compliance)
    _tx(suite, token.functions.forcedTransfer(a, b, 1), roles.compliance)
    assert token.functions.balanceOf(b).call() == 1


def test_forced_transfer_reverts_for_zero_addresses_and_excess(suite, asset, roles):
    token = suite.share_token(asset)
    with reverts("ShareZeroAddress"):
        _tx(suite, token.functions.forcedTransfer(ZERO, roles.holders[1], 1), roles.compliance)
    with reverts("ShareZeroAddress"):
        _tx(suite, token.functions.forcedTransfer(roles.holders[0], ZERO, 1), roles.compliance)
    with reverts("ERC20InsufficientBalance"):
        _tx(suite, token.functions.forcedTransfer(roles.holders[1], roles.holders[0], 1), roles.compliance)


def test_transfers_pause_blocks_transfers_not_claims(suite, asset, roles, tokens):
    token = suite.share_token(asset)
    receipt = _tx(suite, token.functions.setTransfersPaused(True), roles.pauser)
    assert token.events.TransfersPaused().process_receipt(receipt)[0]["args"]["paused"] is True
    assert token.functions.transfersPaused().call() is True
    assert token.functions.canTransfer(roles.holders[0], roles.holders[1], 1).call() is False
    with reverts("ShareTransfersArePaused", assetId=asset):
        suite.transfer_shares(asset, roles.holders[0], roles.holders[1], 1)
    fund(suite, tokens.usdc6, roles.lessee, 10**6, roles.admin)
    suite.distribute(asset, 10**6, roles.lessee)
    assert suite.claim(asset, roles.holders[0]) == 800_000
    _tx(suite, token.functions.setTransfersPaused(False), roles.pauser)
    suite.transfer_shares(asset, roles.holders[0], roles.holders[1], 1)


def test_compliance_functions_refuse_callers_without_the_role(suite, asset, roles):
    token = suite.share_token(asset)
    compliance_role = suite.registry.functions.COMPLIANCE_ROLE().call()
    pauser_role = suite.registry.functions.PAUSER_ROLE().call()
    calls = [
        (token.functions.setAllowListEnabled(True), compliance_role),
        (token.functions.setAllowed([roles.outsider], True), compliance_role),
        (token.functions.setFrozenTokens(roles.holders[0], 1), compliance_role),
        (token.functions.forcedTransfer(roles.holders[0], roles.outsider, 1), compliance_role),
        (token.functions.setTransfersPaused(True), pauser_role),
    ]
    for fn, role in calls:
        with reverts("ShareUnauthorized", caller=roles.operator, role=role):
            _tx(suite, fn, roles.operator)
