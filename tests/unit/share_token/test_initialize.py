from __future__ import annotations

from eth_utils import function_signature_to_4byte_selector as sel

from compute_rwa.tx import contract_at
from tests.helpers import reverts


def _clone_played_by(suite, roles, registry_account):
    cloner = suite.sender.deploy("ShareTokenCloner", roles.admin)
    receipt = suite.sender.transact(
        cloner.functions.clone(
            suite.deployment.share_token_implementation, registry_account, suite.deployment.payment_token, 77
        ),
        roles.admin,
        "Cloner",
    )
    (event,) = cloner.events.Cloned().process_receipt(receipt)
    return contract_at(suite.w3, "ShareToken", event["args"]["clone"])


def test_initialize_mints_and_sets_fees_once(suite, roles):
    token = _clone_played_by(suite, roles, roles.outsider)
    suite.sender.transact(token.functions.initialize(roles.holders[0], 4, 100, 200, 300), roles.outsider, "S")
    assert token.functions.totalSupply().call() == 4 * 10**18
    assert token.functions.feeRates().call() == [100, 200, 300]
    assert token.functions.assetId().call() == 77
    with reverts("ShareAlreadyInitialized"):
        suite.sender.transact(token.functions.initialize(roles.holders[0], 4, 0, 0, 0), roles.outsider, "S")


def test_initialize_with_zero_fees_leaves_the_fee_slot_empty(suite, roles):
    token = _clone_played_by(suite, roles, roles.outsider)
    suite.sender.transact(token.functions.initialize(roles.holders[0], 1, 0, 0, 0), roles.outsider, "S")
    assert token.functions.feeRates().call() == [0, 0, 0]


def test_initialize_reverts_for_anyone_but_the_registry(suite, asset, roles):
    token = suite.share_token(asset)
    with reverts("ShareOnlyRegistry", caller=roles.operator):
        suite.sender.transact(token.functions.initialize(roles.operator, 8, 0, 0, 0), roles.operator, "S")


def test_initialize_reverts_for_protocol_fee_above_cap(suite, roles):
    token = _clone_played_by(suite, roles, roles.outsider)
    with reverts("ShareFeeAboveCap", kind=1, bps=1001, capBps=1000):
        suite.sender.transact(token.functions.initialize(roles.holders[0], 1, 0, 1001, 0), roles.outsider, "S")


def test_implementation_cannot_be_initialized(suite, roles):
    implementation = contract_at(suite.w3, "ShareToken", suite.deployment.share_token_implementation)
    with reverts("ShareOnlyRegistry"):
        suite.sender.transact(implementation.functions.initialize(roles.admin, 1, 0, 0, 0), roles.admin, "S")


def test_share_token_supports_erc7943_and_erc165(suite, asset):
    token = suite.share_token(asset)
    computed = 0  # type(IERC7943Fungible).interfaceId: XOR of its function selectors
    for signature in (
        "forcedTransfer(address,address,uint256)",
        "setFrozenTokens(address,uint256)",
        "canSend(address)",
        "canReceive(address)",
        "getFrozenTokens(address)",
        "canTransfer(address,address,uint256)",
    ):
        computed ^= int.from_bytes(sel(signature), "big")
    erc7943 = computed.to_bytes(4, "big")
    assert token.functions.supportsInterface(erc7943).call() is True
    assert token.functions.supportsInterface(bytes.fromhex("01ffc9a7")).call() is True
    assert token.functions.supportsInterface(bytes.fromhex("ffffffff")).call() is False


def test_registration_announces_the_initial_fee_rates(suite, make_registration, roles):
    from compute_rwa.models import FeeKind

    receipt = suite.sender.transact(
        suite.registry.functions.registerAsset(make_registration(reserve_bps=0).to_abi()), roles.operator, "R"
    )
    (registered,) = suite.registry.events.AssetRegistered().process_receipt(receipt)
    token = suite.share_token(registered["args"]["assetId"])
    events = token.events.FeeRateUpdated().process_receipt(receipt)
    assert [(e["args"]["kind"], e["args"]["previousBps"], e["args"]["newBps"]) for e in events] == [
        (FeeKind.OPERATOR, 0, 1000),
        (FeeKind.PROTOCOL, 0, 500),
    ]
