"""Adversarial bond tokens and callers against every token-moving path of MetricsOracle:
depositBond, withdrawBond, challenge (the challenge bond), and the payouts of resolveChallenge
(upheld: slashed bonds and the challenge bond to the challenger; rejected: the bond shared among
the accused signers) and expireChallenge (the bond back to the challenger). Each test deploys an
oracle of its own whose bond token is the awkward one (the suite's oracle bonds in the plain
dUSD), with the five fixed signer keys bonded and 3 of 5 required, on the `asset` fixture.

The oracle has no ReentrancyGuard (docs/security.md, gap 12): these tests are its hook-token
tests. After each story: the oracle's token balance == every bond + every open challenge bond."""

from __future__ import annotations

import pytest

from compute_rwa.oracle.client import OracleClient
from tests.conftest import ORACLE_KEYS
from tests.helpers import reverts
from tests.security.adversarial_support import (
    AWKWARD,
    KINDS,
    MAX,
    act,
    balance,
    calldata,
    make_token,
    recorded,
    set_blocked,
    set_fee,
)
from tests.unit.metrics_oracle import conftest as oracle_fixtures
from tests.unit.metrics_oracle.conftest import (
    BOND,
    CHALLENGE_BOND,
    DAY,
    MIN_BOND,
    RESOLUTION_TIMEOUT,
    SLASH,
    make_report,
    submit_batch,
    warp_chain,
)

keys = oracle_fixtures.keys

SEND, RECEIVE = 1, 2  # HookedActor triggers
OPEN, UPHELD, REJECTED, EXPIRED = 1, 2, 3, 4  # challenge statuses
VOIDED, CHALLENGED = 1, 3  # report statuses


class Bonds:
    """An oracle bonding in `token`, and the accounts whose bonds it holds."""

    def __init__(self, suite, roles, token, asset_id):
        self.suite, self.roles, self.token, self.asset_id = suite, roles, token, asset_id
        w3 = suite.w3
        genesis = int(w3.eth.get_block("latest")["timestamp"]) - 1000 * 3600
        contract = suite.sender.deploy(
            "MetricsOracle",
            roles.admin,
            roles.admin,
            3600,
            suite.registry.address,
            token.address,
            3600,
            genesis,
            (DAY, RESOLUTION_TIMEOUT, CHALLENGE_BOND, SLASH, MIN_BOND),
        )
        self.oracle = OracleClient(w3, contract.address, suite.sender)
        self.contract = contract
        arbiter = contract.functions.ARBITER_ROLE().call()
        suite.sender.transact(contract.functions.grantRole(arbiter, roles.admin), roles.admin, "O")
        self.fund(roles.admin, 100 * BOND)
        self.keys = ORACLE_KEYS[:5]
        self.accounts = [k.address for k in ORACLE_KEYS]
        for key in ORACLE_KEYS:
            self.oracle.deposit_bond(key.address, BOND, roles.admin)
        self.oracle.set_signers([k.address for k in self.keys], 3, roles.admin)
        self.oracle.sync_assets([asset_id], roles.outsider)

    def fund(self, account, amount):
        self.suite.sender.transact(self.token.functions.mint(account, amount), self.roles.admin, "T")
        self.suite.sender.transact(self.token.functions.approve(self.oracle.address, MAX), account, "T")

    def report(self, *epochs, signers=None):
        reports = [make_report(self.asset_id, e) for e in epochs]
        submit_batch(self.oracle, reports, signers or self.keys[:3], self.roles.outsider)

    def challenge_of(self, epoch):
        return self.contract.functions.challengeOf(self.asset_id, epoch).call()

    def status(self, epoch):
        return self.contract.functions.reportStatus(self.asset_id, epoch).call()[0]

    def conserved(self, open_epochs=()):
        """The oracle holds exactly every bond plus the bonds of the open challenges."""
        bonds = sum(self.oracle.bond_of(a)[0] for a in self.accounts)
        pending = sum(self.challenge_of(e)[3] for e in open_epochs)
        assert balance(self.token, self.oracle.address) == bonds + pending


@pytest.fixture
def bonds_in(suite, roles, tokens, asset, keys):
    def make(kind):
        return Bonds(suite, roles, make_token(suite, roles, tokens, kind), asset)

    return make


@pytest.mark.parametrize("kind", KINDS)
def test_every_bond_path_moves_exact_amounts(suite, roles, bonds_in, w3, kind):
    b = bonds_in(kind)
    o, token, challenger = b.oracle, b.token, roles.lessee
    b.fund(challenger, 10 * CHALLENGE_BOND)
    signers = [k.address for k in b.keys[:3]]
    b.report(10, 11, 12)
    start = balance(token, challenger)

    o.challenge(b.asset_id, 10, challenger)
    assert balance(token, challenger) == start - CHALLENGE_BOND
    assert [o.bond_of(s)[1] for s in signers] == [SLASH] * 3
    b.conserved([10])
    o.resolve(b.asset_id, 10, True, roles.admin)
    payout = 3 * SLASH + CHALLENGE_BOND
    assert balance(token, challenger) == start + 3 * SLASH
    assert [o.bond_of(s)[:2] for s in signers] == [(BOND - SLASH, 0)] * 3
    assert b.status(10) == VOIDED
    b.conserved()

    o.challenge(b.asset_id, 11, challenger)
    o.resolve(b.asset_id, 11, False, roles.admin)
    share = CHALLENGE_BOND // 3
    assert [o.bond_of(s)[:2] for s in signers] == [
        (BOND - SLASH + share + 1, 0),
        (BOND - SLASH + share, 0),
        (BOND - SLASH + share, 0),
    ]
    assert balance(token, challenger) == start + payout - 2 * CHALLENGE_BOND
    b.conserved()

    o.challenge(b.asset_id, 12, challenger)
    warp_chain(w3, RESOLUTION_TIMEOUT + 1)
    suite.sender.transact(b.contract.functions.expireChallenge(b.asset_id, 12), roles.outsider, "O")
    assert balance(token, challenger) == start + payout - 2 * CHALLENGE_BOND
    assert b.challenge_of(12)[2] == EXPIRED
    b.conserved()

    # An active signer keeps the minimum; one outside the set takes everything.
    active, outside = ORACLE_KEYS[3], ORACLE_KEYS[5]
    before = balance(token, roles.treasury)
    o.withdraw_bond(BOND - MIN_BOND, roles.treasury, active)
    o.withdraw_bond(BOND, roles.treasury, outside)
    assert balance(token, roles.treasury) == before + 2 * BOND - MIN_BOND
    assert (o.bond_of(active.address)[0], o.bond_of(outside.address)[0]) == (MIN_BOND, 0)
    b.conserved()


# ------------------------------------------------------------------ ERC-777-style hooks


def _actor(suite, roles, b, funds=10 * CHALLENGE_BOND):
    actor = suite.sender.deploy("HookedActor", roles.admin)
    suite.sender.transact(actor.functions.hook(b.token.address), roles.admin, "A")
    suite.sender.transact(b.token.functions.mint(actor.address, funds), roles.admin, "T")
    act(suite, actor, b.token, "approve", b.oracle.address, MAX, sender=roles.admin)
    b.accounts.append(actor.address)
    return actor


def test_a_bond_withdrawn_to_a_re_entering_receiver_is_paid_once(suite, roles, bonds_in):
    b = bonds_in("hook")
    actor = _actor(suite, roles, b)
    b.oracle.deposit_bond(actor.address, 1_000, roles.admin)
    again = calldata(b.contract, "withdrawBond", 600, actor.address)
    suite.sender.transact(actor.functions.arm(RECEIVE, b.oracle.address, again, True), roles.admin, "A")
    before = balance(b.token, actor.address)

    act(suite, actor, b.contract, "withdrawBond", 600, actor.address, sender=roles.admin)

    assert recorded(actor) == (
        False,
        "OracleBondLocked",
        {"signer": actor.address, "requested": 600, "withdrawable": 400},
    )
    assert balance(b.token, actor.address) == before + 600
    assert b.oracle.bond_of(actor.address)[0] == 400
    b.conserved()


@pytest.mark.parametrize("reentry", ["depositBond", "challenge"])
def test_a_payer_re_entering_while_it_pays_is_caught_by_the_balance_check(suite, roles, bonds_in, reentry):
    """depositBond and challenge read the oracle's balance, pull, and compare: a nested payment
    from the payer's tokensToSend (which lands first) makes the outer one see twice the amount,
    and the whole call reverts."""
    b = bonds_in("hook")
    b.report(10)
    actor = _actor(suite, roles, b)
    amount = CHALLENGE_BOND
    outer = {
        "depositBond": ("depositBond", actor.address, amount),
        "challenge": ("challenge", b.asset_id, 10),
    }[reentry]
    suite.sender.transact(
        actor.functions.arm(SEND, b.oracle.address, calldata(b.contract, *outer), True), roles.admin, "A"
    )
    held = balance(b.token, b.oracle.address)

    with reverts("OracleBondTransferShortfall", expected=amount, received=2 * amount):
        act(suite, actor, b.contract, *outer, sender=roles.admin)

    assert balance(b.token, b.oracle.address) == held
    assert b.oracle.bond_of(actor.address)[0] == 0
    assert b.challenge_of(10)[2] == 0
    assert [b.oracle.bond_of(k.address)[1] for k in b.keys] == [0] * 5
    b.conserved()


@pytest.mark.parametrize("ending", ["upheld", "expired"])
@pytest.mark.parametrize("reentry", ["expireChallenge", "challenge", "resolveChallenge"])
def test_a_challenger_re_entering_while_it_is_paid_is_paid_once(suite, roles, bonds_in, w3, ending, reentry):
    b = bonds_in("hook")
    b.report(10)
    actor = _actor(suite, roles, b)
    act(suite, actor, b.contract, "challenge", b.asset_id, 10, sender=roles.admin)
    args = (b.asset_id, 10, True) if reentry == "resolveChallenge" else (b.asset_id, 10)
    data = calldata(b.contract, reentry, *args)
    suite.sender.transact(actor.functions.arm(RECEIVE, b.oracle.address, data, True), roles.admin, "A")
    before = balance(b.token, actor.address)

    if ending == "upheld":
        b.oracle.resolve(b.asset_id, 10, True, roles.admin)
        paid = 3 * SLASH + CHALLENGE_BOND
    else:
        warp_chain(w3, RESOLUTION_TIMEOUT + 1)
        suite.sender.transact(b.contract.functions.expireChallenge(b.asset_id, 10), roles.outsider, "O")
        paid = CHALLENGE_BOND

    ok, error, _ = recorded(actor)
    assert not ok
    assert (
        error
        == {
            "expireChallenge": "OracleNoOpenChallenge",
            "challenge": "OracleAlreadyChallenged",
            "resolveChallenge": "AccessControlUnauthorizedAccount",
        }[reentry]
    )
    assert balance(b.token, actor.address) == before + paid
    assert b.challenge_of(10)[2] == (UPHELD if ending == "upheld" else EXPIRED)
    assert [b.oracle.bond_of(k.address)[1] for k in b.keys] == [0] * 5
    b.conserved()


# ------------------------------------------------------------------ unpayable challengers


def _unpayable_challenger(suite, roles, b, how):
    """A challenger of report 10 that cannot be paid any more: blocked by the bond token, or a
    hook-token contract that refuses payments. Returns it and a function that makes it withdraw
    its bond record to another address."""
    if how == "blocked":
        b.fund(roles.lessee, CHALLENGE_BOND)
        b.oracle.challenge(b.asset_id, 10, roles.lessee)
        set_blocked(suite, b.token, roles.lessee, True, roles.admin)
        b.accounts.append(roles.lessee)

        def withdraw(amount, to):
            suite.sender.transact(b.contract.functions.withdrawBond(amount, to), roles.lessee, "O")

        return roles.lessee, withdraw
    actor = _actor(suite, roles, b)
    act(suite, actor, b.contract, "challenge", b.asset_id, 10, sender=roles.admin)
    suite.sender.transact(actor.functions.setRefuse(True), roles.admin, "A")

    def withdraw_through_actor(amount, to):
        act(suite, actor, b.contract, "withdrawBond", amount, to, sender=roles.admin)

    return actor.address, withdraw_through_actor


UNPAYABLE = [("blocklist", "blocked"), ("hook", "refusing")]


def _credited_and_withdrawn(suite, roles, b, challenger, withdraw, held, payout):
    """The payout the token would not deliver waits in the challenger's bond record (the
    oracle's balance is unchanged), and the challenger takes it out to an address it names."""
    assert balance(b.token, b.oracle.address) == held
    assert b.oracle.bond_of(challenger) == (payout, 0, 0)
    b.conserved()
    before = balance(b.token, roles.treasury)
    withdraw(payout, roles.treasury)
    assert balance(b.token, roles.treasury) == before + payout
    assert b.oracle.bond_of(challenger) == (0, 0, 0)
    b.conserved()


@pytest.mark.parametrize(("kind", "how"), UNPAYABLE)
def test_an_unpayable_challenger_cannot_stop_an_upheld_challenge(suite, roles, bonds_in, kind, how):
    """Found by this campaign: the payout used to be pushed, so a challenger the token would not
    pay made upholding impossible (and lease settlement of the asset stopped at that epoch). A
    failed payment is now credited to the challenger's bond record."""
    b = bonds_in(kind)
    b.report(10)
    challenger, withdraw = _unpayable_challenger(suite, roles, b, how)
    held = balance(b.token, b.oracle.address)

    b.oracle.resolve(b.asset_id, 10, True, roles.admin)

    assert b.challenge_of(10)[2] == UPHELD
    assert b.status(10) == VOIDED
    assert [b.oracle.bond_of(k.address)[:2] for k in b.keys[:3]] == [(BOND - SLASH, 0)] * 3
    _credited_and_withdrawn(suite, roles, b, challenger, withdraw, held, 3 * SLASH + CHALLENGE_BOND)


@pytest.mark.parametrize(("kind", "how"), UNPAYABLE)
def test_an_unpayable_challenger_cannot_stop_expiry(suite, roles, bonds_in, w3, kind, how):
    b = bonds_in(kind)
    b.report(10)
    challenger, withdraw = _unpayable_challenger(suite, roles, b, how)
    held = balance(b.token, b.oracle.address)
    warp_chain(w3, RESOLUTION_TIMEOUT + 1)

    suite.sender.transact(b.contract.functions.expireChallenge(b.asset_id, 10), roles.outsider, "O")

    assert b.challenge_of(10)[2] == EXPIRED
    assert [b.oracle.bond_of(k.address)[1] for k in b.keys] == [0] * 5
    _credited_and_withdrawn(suite, roles, b, challenger, withdraw, held, CHALLENGE_BOND)


@pytest.mark.parametrize(("kind", "how"), UNPAYABLE)
def test_rejection_needs_no_payment_to_the_challenger(suite, roles, bonds_in, kind, how):
    """While open, the report waits as Challenged (lease settlement waits there) and the accused
    signers' slash is locked; rejecting pays the challenger nothing, so it needs no credit."""
    b = bonds_in(kind)
    b.report(10)
    _unpayable_challenger(suite, roles, b, how)
    assert b.status(10) == CHALLENGED
    assert [b.oracle.bond_of(k.address)[1] for k in b.keys] == [SLASH] * 3 + [0, 0]
    b.conserved([10])

    b.oracle.resolve(b.asset_id, 10, False, roles.admin)

    assert b.challenge_of(10)[2] == REJECTED
    share = CHALLENGE_BOND // 3
    assert [b.oracle.bond_of(k.address)[:2] for k in b.keys[:3]] == [
        (BOND + share + 1, 0),
        (BOND + share, 0),
        (BOND + share, 0),
    ]
    assert b.status(10) != CHALLENGED
    b.conserved()


# ------------------------------------------------------------------ blocklists


def test_a_blocked_signer_keeps_its_bond_and_may_name_another_receiver(suite, roles, bonds_in, keys):
    b = bonds_in("blocklist")
    outside = ORACLE_KEYS[5]  # bonded, not in the set: everything is withdrawable
    set_blocked(suite, b.token, outside.address, True, roles.admin)
    with reverts("Error", reason="blocklist: receiver blocked"):
        b.oracle.withdraw_bond(BOND, outside.address, outside)
    assert b.oracle.bond_of(outside.address)[0] == BOND
    # The oracle pays whoever the signer names; the token decides whom it may pay.
    b.oracle.withdraw_bond(BOND, roles.treasury, outside)
    assert balance(b.token, roles.treasury) == BOND
    b.conserved()


def test_blocked_signers_are_still_slashed_and_the_challenger_paid(suite, roles, bonds_in):
    b = bonds_in("blocklist")
    b.fund(roles.lessee, CHALLENGE_BOND)
    b.report(10)
    for key in b.keys[:3]:
        set_blocked(suite, b.token, key.address, True, roles.admin)
    before = balance(b.token, roles.lessee)
    b.oracle.challenge(b.asset_id, 10, roles.lessee)
    b.oracle.resolve(b.asset_id, 10, True, roles.admin)
    assert balance(b.token, roles.lessee) == before + 3 * SLASH
    assert [b.oracle.bond_of(k.address)[0] for k in b.keys[:3]] == [BOND - SLASH] * 3
    b.conserved()


def test_a_fee_switched_on_mid_life_is_refused_on_pulls_and_exact_on_payouts(suite, roles, bonds_in, keys, w3):
    b = bonds_in("blocklist")
    b.fund(roles.lessee, 10 * CHALLENGE_BOND)
    b.report(10, 11)
    b.oracle.challenge(b.asset_id, 10, roles.lessee)
    set_fee(suite, b.token, 100, roles.admin)

    with reverts("OracleBondTransferShortfall", expected=BOND, received=BOND - BOND // 100):
        b.oracle.deposit_bond(b.keys[0].address, BOND, roles.admin)
    with reverts("OracleBondTransferShortfall", expected=CHALLENGE_BOND, received=CHALLENGE_BOND * 99 // 100):
        b.oracle.challenge(b.asset_id, 11, roles.lessee)

    held, before = balance(b.token, b.oracle.address), balance(b.token, roles.lessee)
    payout = 3 * SLASH + CHALLENGE_BOND
    b.oracle.resolve(b.asset_id, 10, True, roles.admin)
    assert balance(b.token, b.oracle.address) == held - payout
    assert balance(b.token, roles.lessee) == before + payout - payout // 100
    outside = ORACLE_KEYS[5]
    held = balance(b.token, b.oracle.address)
    b.oracle.withdraw_bond(BOND, roles.treasury, outside)
    assert balance(b.token, b.oracle.address) == held - BOND
    assert balance(b.token, roles.treasury) == BOND - BOND // 100
    b.conserved()


@pytest.mark.parametrize("kind", AWKWARD)
def test_a_challenge_without_allowance_leaves_no_trace(suite, roles, bonds_in, kind):
    b = bonds_in(kind)
    b.report(10)
    suite.sender.transact(b.token.functions.mint(roles.outsider, CHALLENGE_BOND), roles.admin, "T")
    held = balance(b.token, b.oracle.address)
    error = "Error" if kind == "usdt_noreturn" else "ERC20InsufficientAllowance"
    with reverts(error):
        b.oracle.challenge(b.asset_id, 10, roles.outsider)
    assert b.challenge_of(10)[2] == 0
    assert [b.oracle.bond_of(k.address)[1] for k in b.keys] == [0] * 5
    assert balance(b.token, b.oracle.address) == held
