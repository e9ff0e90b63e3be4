"""Shared set-up of the adversarial-token tests (test_adversarial_tokens_*.py): the awkward
payment tokens by name, the blocklist and fee switches of MockBlocklistToken, calldata for the
re-entering mocks and decoding what they recorded, and the lease books (escrow and token
conservation, from the events and the chain's views, to the wei).

Token kinds:
- "usdc6": the suite's plain 6-decimal MockStablecoin (the control);
- "usdt_noreturn": MockNoReturnToken, transfer functions without a return value (USDT);
- "hook": MockHookToken, ERC-777-style hooks on accounts that opt in (none do unless a test
  registers a HookedActor / ReentrantLender);
- "blocklist": MockBlocklistToken, USDC/USDT-style blocklist and a fee switch, both off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3.contract import Contract

from compute_rwa.artifacts import decode_error
from compute_rwa.tx import contract_at
from tests.unit.lease_manager.conftest import Leasing, configure_asset, fund_and_approve, manager_contracts

MAX = 2**256 - 1
PRECISION = 10**18
#: Every payment-token shape the suite accepts, plus the hook and blocklist tokens.
KINDS = ("usdc6", "usdt_noreturn", "hook", "blocklist")
#: The ones with a quirk (the plain token is covered everywhere else).
AWKWARD = ("usdt_noreturn", "hook", "blocklist")


def make_token(suite: Any, roles: Any, tokens: Any, kind: str) -> Contract:
    """The payment token of `kind`, allowed by the registry."""
    if kind in ("usdc6", "usdt_noreturn"):
        token: Contract = getattr(tokens, kind)
        return token
    name = {"hook": "MockHookToken", "blocklist": "MockBlocklistToken"}[kind]
    token = suite.sender.deploy(name, roles.admin)
    suite.sender.transact(suite.registry.functions.setPaymentTokenAllowed(token.address, True), roles.admin, "R")
    return token


def set_blocked(suite: Any, token: Contract, account: str, on: bool, issuer: str) -> None:
    suite.sender.transact(token.functions.setBlocked(account, on), issuer, "MockBlocklistToken")


def set_fee(suite: Any, token: Contract, bps: int, issuer: str) -> None:
    suite.sender.transact(token.functions.setFeeBps(bps), issuer, "MockBlocklistToken")


def balance(token: Contract, account: str) -> int:
    return int(token.functions.balanceOf(account).call())


def calldata(contract: Contract, name: str, *args: Any) -> bytes:
    return bytes.fromhex(contract.encode_abi(name, args=list(args))[2:])


def recorded(mock: Contract) -> tuple[bool, str, dict[str, Any]]:
    """(ok, error name, arguments) of the last call a re-entering mock made ("" when it succeeded)."""
    ok = bool(mock.functions.lastOk().call())
    data = bytes(mock.functions.lastResult().call())
    if ok:
        return True, "", {}
    name, args = decode_error(data)
    return False, name, args


def act(suite: Any, actor: Contract, target: Contract, name: str, *args: Any, sender: str) -> Any:
    """Makes `actor` (HookedActor / MaliciousPositionReceiver) call target.name(*args)."""
    return suite.sender.transact(
        actor.functions.execute(target.address, calldata(target, name, *args)), sender, "Actor"
    )


# ------------------------------------------------------------------ leasing


def lease_asset(suite: Any, make_registration: Any, oracle: Any, roles: Any, token: Contract) -> Leasing:
    """An 8-GPU asset paying in `token` (all shares with holders[0]), priced at 2 units per
    GPU-hour with the lease_manager POLICY, synced in the suite's oracle; roles.lessee funded
    with 10**12 and approved; the operator funded too (preemption compensation)."""
    asset_id, share_address = suite.register_asset(make_registration(payment_token=token.address), roles.operator)
    manager, terms, positions = manager_contracts(suite)
    configure_asset(suite, asset_id, roles.operator)
    oracle.sync_assets([asset_id], roles.outsider)
    for account in (roles.lessee, roles.operator):
        fund_and_approve(suite, token, account, 10**12, manager.address, roles.admin)
    share = contract_at(suite.w3, "ShareToken", share_address)
    return Leasing(manager, terms, positions, token, asset_id, share)


@dataclass(frozen=True)
class LeaseBooks:
    paid: int
    compensation: int
    released: int
    credited: int
    refunded: int
    fees: int
    paid_out: int
    escrow: int
    claimable: int


def lease_books(lm: Leasing, from_block: int, lease_ids: list[int], holders: list[str]) -> LeaseBooks:
    """Checks, to the wei, from the manager's and the share token's events since `from_block`
    and the chain's views of `lease_ids` (every lease of the asset since then):
    released to the waterfall == settled releases + termination fees;
    paid == released + credited + refunded + escrow;
    paid + compensation == released + escrow + claimable + paid out to positions;
    and the share token's balance == escrow + claimable + fee pools + reserve + what `holders`
    (every holder, whole shares each) can claim + the carried remainder."""
    m, share = lm.manager, lm.share_token

    def logs(contract: Contract, name: str) -> list[dict[str, Any]]:
        return [dict(e["args"]) for e in contract.events[name]().get_logs(from_block=from_block)]

    mine = set(lease_ids)
    paid = sum(e["total"] for e in logs(m, "LeaseOpened") if e["leaseId"] in mine)
    paid += sum(e["cost"] for e in logs(m, "LeaseExtended") if e["leaseId"] in mine)
    settled = [e for e in logs(m, "LeaseSettled") if e["leaseId"] in mine]
    terminated = [e for e in logs(m, "LeaseTerminated") if e["leaseId"] in mine]
    preempted = [e for e in logs(m, "LeasePreempted") if e["leaseId"] in mine]
    fees = sum(e["fee"] for e in terminated)
    released = sum(e["amount"] for e in logs(share, "RevenueDistributed") if e["payer"] == m.address)
    assert released == sum(e["released"] for e in settled) + fees
    views = [m.functions.lease(i).call() for i in lease_ids]
    books = LeaseBooks(
        paid=paid,
        compensation=sum(e["compensation"] for e in preempted),
        released=released,
        credited=sum(e["credited"] for e in settled),
        refunded=sum(e["refund"] for e in terminated) + sum(e["refund"] for e in preempted),
        fees=fees,
        paid_out=sum(e["amount"] for e in logs(m, "LeaseClaimed") if e["leaseId"] in mine),
        escrow=sum(v[13] for v in views),
        claimable=sum(v[14] for v in views),
    )
    assert books.paid == books.released + books.credited + books.refunded + books.escrow, books
    assert books.paid + books.compensation == books.released + books.escrow + books.claimable + books.paid_out, books
    operator_fees, protocol_fees, reserve, dust = share.functions.pools().call()
    assert dust % PRECISION == 0
    owed_to_holders = sum(int(share.functions.claimableOf(h).call()) for h in holders)
    assert sum(int(share.functions.balanceOf(h).call()) for h in holders) == share.functions.totalSupply().call()
    owed = (
        books.escrow + books.claimable + operator_fees + protocol_fees + reserve + owed_to_holders + dust // PRECISION
    )
    assert balance(lm.token, share.address) == owed, (balance(lm.token, share.address), owed, books)
    return books
