"""LeaseTerms: price lists, policies and lessee allow lists; every revert path; the lease
manager's constructor checks; overflow of prices and totals."""

from __future__ import annotations

import pytest

from tests.helpers import b32, reverts
from tests.unit.lease_manager.conftest import manager_contracts
from tests.unit.metrics_oracle.conftest import events, view

DEFAULT_POLICY = [9_900, 1_000, 1_000, 24, 1, 8_760]
ZERO = "0x0000000000000000000000000000000000000000"
U96_MAX = 2**96 - 1


@pytest.fixture
def terms(suite):
    return manager_contracts(suite)[1]


def send(suite, fn, sender):
    return suite.sender.transact(fn, sender, "LeaseTerms")


def test_first_price_list_enables_leasing_with_the_default_policy(suite, terms, asset, roles):
    assert view(terms, "isConfigured", asset) is False
    assert view(terms, "paymentTokenOf", asset) == ZERO
    receipt = send(suite, terms.functions.setPricing(asset, (2_000_000, True, 7_500, 5_000)), roles.operator)
    (pricing,) = events(terms, receipt, "PricingUpdated")
    (policy,) = events(terms, receipt, "PolicyUpdated")
    assert (pricing["assetId"], list(pricing["pricing"].values())) == (asset, [2_000_000, True, 7_500, 5_000])
    assert (policy["assetId"], list(policy["policy"].values())) == (asset, DEFAULT_POLICY)
    assert view(terms, "isConfigured", asset) is True
    assert view(terms, "paymentTokenOf", asset) == suite.deployment.payment_token
    assert list(view(terms, "pricingOf", asset)) == [2_000_000, True, 7_500, 5_000]
    assert list(view(terms, "policyOf", asset)) == DEFAULT_POLICY

    # Later price lists change the price only; the policy is not reset.
    send(suite, terms.functions.setPolicy(asset, (9_500, 0, 0, 0, 2, 10)), roles.operator)
    receipt = send(suite, terms.functions.setPricing(asset, (3_000_000, False, 0, 0)), roles.admin)
    assert events(terms, receipt, "PolicyUpdated") == []
    assert list(view(terms, "pricingOf", asset)) == [3_000_000, False, 0, 0]
    assert list(view(terms, "policyOf", asset)) == [9_500, 0, 0, 0, 2, 10]


def test_a_policy_set_before_the_first_price_list_is_kept(suite, terms, asset, roles):
    send(suite, terms.functions.setPolicy(asset, (9_000, 100, 200, 3, 1, 48)), roles.operator)
    receipt = send(suite, terms.functions.setPricing(asset, (1, False, 0, 0)), roles.operator)
    assert events(terms, receipt, "PolicyUpdated") == []
    assert list(view(terms, "policyOf", asset)) == [9_000, 100, 200, 3, 1, 48]


@pytest.mark.parametrize(
    ("pricing", "field", "value"),
    [
        ((0, False, 0, 0), "basePricePerGpuHour", 0),
        ((1, True, 10_001, 0), "targetUtilizationBps", 10_001),
        ((1, True, 8_000, 100_001), "maxPremiumBps", 100_001),
    ],
)
def test_invalid_price_lists_are_refused(suite, terms, asset, roles, pricing, field, value):
    with reverts("LeaseInvalidConfig", field=b32(field), value=value):
        send(suite, terms.functions.setPricing(asset, pricing), roles.operator)
    assert view(terms, "isConfigured", asset) is False


def test_price_list_bounds_are_inclusive(suite, terms, asset, roles):
    send(suite, terms.functions.setPricing(asset, (U96_MAX, True, 10_000, 100_000)), roles.operator)
    assert list(view(terms, "pricingOf", asset)) == [U96_MAX, True, 10_000, 100_000]


@pytest.mark.parametrize(
    ("policy", "field", "value"),
    [
        ((10_001, 0, 0, 0, 1, 1), "uptimeTargetBps", 10_001),
        ((9_900, 5_001, 0, 0, 1, 1), "terminationFeeBps", 5_001),
        ((9_900, 0, 10_001, 0, 1, 1), "compensationBps", 10_001),
        ((9_900, 0, 0, 87_601, 1, 1), "noticeEpochs", 87_601),
        ((9_900, 0, 0, 0, 0, 1), "minEpochs", 0),
        ((9_900, 0, 0, 0, 5, 4), "maxEpochs", 4),
        ((9_900, 0, 0, 0, 1, 87_601), "maxEpochs", 87_601),
    ],
)
def test_invalid_policies_are_refused(suite, terms, asset, roles, policy, field, value):
    with reverts("LeaseInvalidConfig", field=b32(field), value=value):
        send(suite, terms.functions.setPolicy(asset, policy), roles.operator)


def test_policy_bounds_are_inclusive(suite, terms, asset, roles):
    receipt = send(
        suite, terms.functions.setPolicy(asset, (10_000, 5_000, 10_000, 87_600, 87_600, 87_600)), roles.admin
    )
    (event,) = events(terms, receipt, "PolicyUpdated")
    assert list(event["policy"].values()) == [10_000, 5_000, 10_000, 87_600, 87_600, 87_600]


def test_operator_setters_refuse_strangers_and_other_operators(suite, terms, asset, roles):
    for caller in (roles.second_operator, roles.outsider, roles.compliance):
        with reverts("LeaseUnauthorizedOperator", assetId=asset, caller=caller):
            send(suite, terms.functions.setPricing(asset, (1, False, 0, 0)), caller)
        with reverts("LeaseUnauthorizedOperator", assetId=asset, caller=caller):
            send(suite, terms.functions.setPolicy(asset, tuple(DEFAULT_POLICY)), caller)


def test_an_operator_who_lost_its_role_is_refused(suite, terms, asset, roles):
    role = suite.registry.functions.OPERATOR_ROLE().call()
    suite.sender.transact(suite.registry.functions.revokeRole(role, roles.operator), roles.admin, "R")
    with reverts("LeaseUnauthorizedOperator", assetId=asset, caller=roles.operator):
        send(suite, terms.functions.setPricing(asset, (1, False, 0, 0)), roles.operator)


def test_unknown_assets_are_refused(suite, terms, roles):
    with reverts("RegistryUnknownAsset", assetId=99):
        send(suite, terms.functions.setPricing(99, (1, False, 0, 0)), roles.admin)
    with reverts("RegistryUnknownAsset", assetId=99):
        send(suite, terms.functions.setPolicy(99, tuple(DEFAULT_POLICY)), roles.admin)
    with reverts("RegistryUnknownAsset", assetId=99):
        send(suite, terms.functions.setLesseeAllowListEnabled(99, True), roles.compliance)
    with reverts("RegistryUnknownAsset", assetId=99):
        send(suite, terms.functions.setLesseeAllowed(99, [roles.lessee], True), roles.compliance)


def test_lessee_allow_list(suite, terms, asset, roles):
    assert view(terms, "lesseeAllowListEnabled", asset) is False
    assert view(terms, "isLesseeAllowed", asset, roles.lessee) is True  # off: everyone
    receipt = send(suite, terms.functions.setLesseeAllowListEnabled(asset, True), roles.compliance)
    assert events(terms, receipt, "LesseeAllowListEnabled") == [{"assetId": asset, "enabled": True}]
    assert view(terms, "isLesseeAllowed", asset, roles.lessee) is False
    receipt = send(
        suite, terms.functions.setLesseeAllowed(asset, [roles.lessee, roles.outsider], True), roles.compliance
    )
    assert events(terms, receipt, "LesseeAllowed") == [
        {"assetId": asset, "account": roles.lessee, "allowed": True},
        {"assetId": asset, "account": roles.outsider, "allowed": True},
    ]
    assert view(terms, "isLesseeAllowed", asset, roles.lessee) is True
    send(suite, terms.functions.setLesseeAllowed(asset, [roles.lessee], False), roles.compliance)
    assert view(terms, "isLesseeAllowed", asset, roles.lessee) is False
    assert view(terms, "isLesseeAllowed", asset, roles.outsider) is True
    with reverts("LeaseBatchTooLarge", size=51, maxSize=50):
        send(suite, terms.functions.setLesseeAllowed(asset, [roles.lessee] * 51, True), roles.compliance)
    send(suite, terms.functions.setLesseeAllowed(asset, [roles.lessee] * 50, True), roles.compliance)


@pytest.mark.parametrize("caller", ["admin", "operator", "outsider", "pauser"])
def test_allow_list_is_the_compliance_roles(suite, terms, asset, roles, caller):
    account = getattr(roles, caller)
    role = suite.registry.functions.COMPLIANCE_ROLE().call()
    with reverts("LeaseUnauthorized", caller=account, role=role):
        send(suite, terms.functions.setLesseeAllowListEnabled(asset, True), account)
    with reverts("LeaseUnauthorized", caller=account, role=role):
        send(suite, terms.functions.setLesseeAllowed(asset, [account], True), account)


def test_quote_checks_the_allow_list_only_for_a_named_lessee(suite, terms, asset, roles):
    send(suite, terms.functions.setPricing(asset, (2_000_000, False, 0, 0)), roles.operator)
    send(suite, terms.functions.setLesseeAllowListEnabled(asset, True), roles.compliance)
    quote = view(terms, "quote", asset, ZERO, 2, 3, 3600, 0, 2, 8)
    assert (quote[0], quote[1], quote[2]) == (suite.deployment.payment_token, 12_000_000, 2_000_000)
    with reverts("LeaseLesseeNotAllowed", assetId=asset, account=roles.lessee):
        view(terms, "quote", asset, roles.lessee, 2, 3, 3600, 0, 2, 8)


def test_quote_of_an_unconfigured_asset(terms, asset):
    with reverts("LeaseAssetNotConfigured", assetId=asset):
        view(terms, "quote", asset, ZERO, 1, 1, 3600, 0, 1, 8)


def test_prices_and_totals_that_do_not_fit_are_refused(suite, terms, asset, roles):
    # The premium takes the mean price past 96 bits.
    send(suite, terms.functions.setPricing(asset, (U96_MAX, True, 0, 100_000)), roles.operator)
    mean = U96_MAX + -(-U96_MAX * 100_000 * 80_000 // (10_000 * 80_000))  # fully booked: base x (1 + 10)
    with reverts("LeaseAmountOverflow", value=mean):
        view(terms, "quote", asset, ZERO, 8, 1, 3600, 8, 8, 8)
    # A flat price fits, but not the total of enough GPU-epochs in 128 bits.
    send(suite, terms.functions.setPricing(asset, (U96_MAX, False, 0, 0)), roles.operator)
    total = 10_000 * U96_MAX * 1_000_000
    with reverts("LeaseAmountOverflow", value=total):
        view(terms, "quote", asset, ZERO, 10_000, 1_000_000, 3600, 0, 8, 8)
    manager = manager_contracts(suite)[0]
    epochs = 600_000_000
    with reverts("LeaseAmountOverflow", value=8 * U96_MAX * epochs):
        view(manager, "quote", asset, 8, epochs)


def test_terms_and_manager_constructors_refuse_zero_arguments(suite, roles):
    deploy = suite.sender.deploy
    with reverts("LeaseInvalidConfig", field=b32("registry"), value=0):
        deploy("LeaseTerms", roles.admin, ZERO)
    registry, oracle = suite.deployment.registry, suite.deployment.oracle
    terms = suite.deployment.lease_terms
    for args, field in (
        ((ZERO, oracle, terms, 1), "registry"),
        ((registry, ZERO, terms, 1), "oracle"),
        ((registry, oracle, ZERO, 1), "terms"),
        ((registry, oracle, terms, 0), "reportGrace"),
    ):
        with reverts("LeaseInvalidConfig", field=b32(field), value=0):
            deploy("LeaseManager", roles.admin, *args)


def test_views(suite, terms):
    assert view(terms, "registry") == suite.deployment.registry
    assert view(terms, "MAX_BATCH") == 50
    assert view(terms, "MAX_LEASE_EPOCHS") == 87_600
    assert view(terms, "MAX_TERMINATION_FEE_BPS") == 5_000
    assert view(terms, "MAX_PREMIUM_BPS") == 100_000
