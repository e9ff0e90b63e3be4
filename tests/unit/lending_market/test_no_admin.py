"""A LendingMarket has no privileged function at all (docs/security.md, gap 9: "rests on the
interface, not a test").

From the compiled ABI: no AccessControl, Ownable, pause or upgrade surface, and the
state-changing functions are exactly the reviewed list below (a new one fails this test until
someone looks at who may call it). On chain: each of them, called by an outsider with no
position, either goes through or is refused for a reason of the position or of the ERC-20
rules, never for lack of a role (checked with dry runs, each from the same state)."""

from __future__ import annotations

from compute_rwa import ContractRevertError
from compute_rwa.artifacts import load_artifact
from tests.lending_support import DUSD
from tests.unit.lending_market.support import SHARE, call, decoded, fund, give_shares

ABI = load_artifact("LendingMarket").abi

#: Every function that writes, as reviewed: lenders' ERC-4626 vault and its ERC-20 shares,
#: borrowers' book, revenue on posted collateral, and the interest poke.
STATE_CHANGING = {
    # ERC-20 (the vault's shares)
    "approve", "transfer", "transferFrom",
    # ERC-4626 (lenders)
    "deposit", "mint", "withdraw", "redeem",
    # borrowers
    "supplyCollateral", "withdrawCollateral", "borrow", "repay", "liquidate",
    # revenue on posted collateral
    "setAutoRepay", "harvest", "claimRevenue",
    # anyone
    "accrueInterest",
}  # fmt: skip

#: What the usual admin bases expose (OpenZeppelin AccessControl, its default-admin rules,
#: Ownable and Ownable2Step, Pausable, UUPS), none of which a market may have.
ADMIN_SURFACE = {
    "owner", "pendingOwner", "transferOwnership", "acceptOwnership", "renounceOwnership",
    "DEFAULT_ADMIN_ROLE", "hasRole", "getRoleAdmin", "grantRole", "revokeRole", "renounceRole",
    "defaultAdmin", "beginDefaultAdminTransfer", "acceptDefaultAdminTransfer",
    "pause", "unpause", "paused", "upgradeTo", "upgradeToAndCall", "proxiableUUID",
}  # fmt: skip


def _is_access_error(name: str) -> bool:
    """OpenZeppelin's (AccessControlUnauthorizedAccount, OwnableUnauthorizedAccount, ...) and
    the suite's own (ShareUnauthorized, LeaseUnauthorized, ...) refusals for lack of a role."""
    return any(word in name for word in ("Unauthorized", "AccessControl", "Ownable", "OnlyOwner"))


def test_the_abi_has_no_admin_surface():
    names = {item["name"] for item in ABI if item["type"] in ("function", "event", "error")}
    assert names & ADMIN_SURFACE == set()
    assert not any(name.endswith("_ROLE") for name in names)
    assert not any(_is_access_error(i["name"]) for i in ABI if i["type"] == "error")
    # No event of ownership or roles changing hands either.
    events = {item["name"] for item in ABI if item["type"] == "event"}
    assert events & {"OwnershipTransferred", "RoleGranted", "RoleRevoked", "RoleAdminChanged", "Paused"} == set()


def test_the_state_changing_functions_are_the_reviewed_list():
    writes = {i["name"] for i in ABI if i["type"] == "function" and i["stateMutability"] not in ("view", "pure")}
    assert writes == STATE_CHANGING
    # Nothing takes ether, and there is no fallback to route calls elsewhere.
    assert not any(i.get("stateMutability") == "payable" for i in ABI)
    assert not any(i["type"] in ("fallback", "receive") for i in ABI)
    # The only setter is the caller's own auto-repay switch; parameters are immutable.
    assert {name for name in writes if name.startswith("set")} == {"setAutoRepay"}


def _outcome(lending, name, args, sender):
    """'ok' if the call from `sender` would succeed now, else the decoded error's name."""
    try:
        call(lending, name, *args, sender=sender)
    except ContractRevertError as error:
        return decoded(error)[0]
    return "ok"


def test_an_outsider_with_no_position_is_never_refused_for_lack_of_a_role(suite, roles, opened):
    lending, outsider, borrower, lender = opened, roles.outsider, roles.borrower, roles.lender
    # Funds and allowances, so that refusals are about the position, not an empty wallet.
    fund(suite, lending.loan, outsider, 10_000 * DUSD, lending.address, roles.admin)
    give_shares(suite, lending, roles.holders[0], outsider, SHARE)
    assert lending.market.functions.positionOf(outsider).call() == (0, 0)
    assert lending.market.functions.balanceOf(outsider).call() == 0

    calls = {
        "approve": (lender, 1),
        "transfer": (lender, 1),
        "transferFrom": (lender, outsider, 1),
        "deposit": (1_000 * DUSD, outsider),
        "mint": (10**12, outsider),
        "withdraw": (1, outsider, outsider),
        "redeem": (1, outsider, lender),  # someone else's vault shares
        "supplyCollateral": (SHARE, borrower),  # on someone else's behalf
        "withdrawCollateral": (SHARE, outsider),
        "borrow": (1_000 * DUSD, outsider),
        "repay": (1_000 * DUSD, 0, borrower),  # someone else's debt
        "liquidate": (borrower, SHARE, 0),
        "setAutoRepay": (True,),
        "harvest": (borrower,),
        "claimRevenue": (outsider,),
        "accrueInterest": (),
    }
    assert set(calls) == STATE_CHANGING
    outcomes = {name: _outcome(lending, name, args, outsider) for name, args in calls.items()}

    assert not [name for name, outcome in outcomes.items() if _is_access_error(outcome)], outcomes
    # And each outcome as reviewed: what is refused is refused for the caller's own position,
    # someone else's healthy position, or the ERC-20 rules on balances and allowances.
    assert outcomes == {
        "approve": "ok",
        "transfer": "ERC20InsufficientBalance",
        "transferFrom": "ERC20InsufficientAllowance",
        "deposit": "ok",
        "mint": "ok",
        "withdraw": "ERC4626ExceededMaxWithdraw",
        "redeem": "ERC20InsufficientAllowance",
        "supplyCollateral": "ok",
        "withdrawCollateral": "MarketWithdrawExceedsCollateral",
        "borrow": "MarketInsufficientCollateral",
        "repay": "ok",
        "liquidate": "MarketPositionHealthy",
        "setAutoRepay": "ok",
        "harvest": "MarketAutoRepayOff",
        "claimRevenue": "MarketNothingToClaim",
        "accrueInterest": "ok",
    }


def test_the_factory_has_no_admin_either():
    # Markets come from MarketFactory, which anyone may call: no owner there to configure them.
    abi = load_artifact("MarketFactory").abi
    names = {item["name"] for item in abi if item["type"] in ("function", "event", "error")}
    assert names & ADMIN_SURFACE == set()
    writes = {i["name"] for i in abi if i["type"] == "function" and i["stateMutability"] not in ("view", "pure")}
    assert writes == {"createMarket"}
