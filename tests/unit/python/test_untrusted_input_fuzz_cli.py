"""Fuzzing of untrusted input, part 2: the command line and the files it is given. Addresses,
amounts, asset ids, epochs, durations, dates, LLTVs and --rpc endpoints typed by a user, GPU
lists given to `asset register`, telemetry files given to `telemetry read`, inventory and trace
files given to the feeder, keystores, and brownie's network configuration.

Commands run in-process through the real entry point (`compute_rwa.cli.run`, which maps the
project's errors to exit codes as the README says) against a closed local port: bad input must
end with exit status 2 and a message naming the option or argument, before anything connects;
good input gets as far as the chain (exit status 3, chain unavailable). A Python traceback, an
exception other than SystemExit, or exit status 1 fails the property. Part 1 (telemetry and the
signer service): test_untrusted_input_fuzz_telemetry.py.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from click.testing import CliRunner
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from compute_rwa.cli import run
from compute_rwa.cli_assets import read_gpu_ids
from compute_rwa.cli_oracle import MAX_CONFIRM_TIMEOUT, MAX_RPC_TIMEOUT
from compute_rwa.errors import InvalidInputError, NetworkError
from compute_rwa.keys import KEY_ENV, KEYSTORE_DIR_ENV, PASSWORD_ENV, load_signer
from compute_rwa.lease.models import parse_units
from compute_rwa.networks import load_networks, resolve
from compute_rwa.oracle.inventory import parse_inventory_file
from compute_rwa.telemetry.traces import read_duty_cycle_trace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telemetry"
VALID = "0x" + "ab" * 20
KEY = "0x" + "5a" * 32
PASSWORD = "pw-Zq9#k"


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


@pytest.fixture(autouse=True)
def isolation():
    """No chain needed here (the root conftest's isolation would start one)."""
    yield


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CLOSED = f"http://127.0.0.1:{_closed_port()}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("cli-fuzz")


def invoke(args: list[str], scratch: Path, **env: str | None) -> tuple[int, str]:
    """`compute-rwa ARGS` through `cli.run()`; (exit status, stdout + stderr). An exception that
    escapes run() other than SystemExit is a crash and propagates (failing the property)."""
    environment = {
        KEY_ENV: KEY,  # a sender, so that commands get as far as the chain
        PASSWORD_ENV: PASSWORD,
        KEYSTORE_DIR_ENV: str(scratch / "no-keystores"),
        "COMPUTE_RWA_RPC": None,
        "COMPUTE_RWA_SIGNER_KEY": None,
        **env,
    }
    runner = CliRunner(mix_stderr=False)
    argv = sys.argv
    with runner.isolation(env=environment) as (out, err):
        sys.argv = ["compute-rwa", *args]
        try:
            run()
            code: Any = 0
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.argv = argv
        text = out.getvalue().decode(errors="replace") + err.getvalue().decode(errors="replace")
    assert "Traceback" not in text, text
    assert isinstance(code, int), (code, text)
    return code, text


def _bad_input(code: int, text: str, name: str) -> None:
    """Exit status 2 with a message that names `name`."""
    assert code == 2, (code, text)
    assert name in text, (name, text)


def _reached_the_chain(code: int, text: str) -> None:
    assert code == 3 and "chain unavailable" in text, (code, text)


# ------------------------------------------------------------------------------ junk

near_addresses = st.one_of(
    st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex().upper()),
    st.binary(min_size=20, max_size=20).map(lambda b: Web3.to_checksum_address(b)),
    st.binary(min_size=20, max_size=20).map(lambda b: "0x" + "".join(c.upper() if i % 3 else c for i, c in enumerate(b.hex()))),  # noqa: E501
    st.binary(min_size=19, max_size=21).map(lambda b: "0x" + b.hex()),
    st.binary(min_size=20, max_size=20).map(lambda b: b.hex()),
    st.binary(min_size=20, max_size=20).map(lambda b: "0X" + b.hex()),
    st.binary(min_size=20, max_size=20).map(lambda b: " 0x" + b.hex() + " "),
    st.sampled_from(["", "0x", "0x" + "g" * 40, "0x" + "0" * 40, "vitalik.eth", "0x" + "ab" * 20 + "\x00"]),
)  # fmt: skip
addresses = st.one_of(near_addresses, st.text(max_size=45))

numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from(
        [
            "1e999999999", "-0", "0", "1,000", "1_000", "1,0,0", "١٢", "²", "0x10", "1e-30", "1" * 5000,
            "115792089237316195423570985008687907853269984665640564039457584007913129639936", "sNaN", "all",
            " 5 ", "+5", "5.", ".5", "1e78", "1e77", "1234567890123456789012345.6789012", "nan", "inf", "-inf",
        ]
    ),
    st.text(max_size=12),
)  # fmt: skip


def _decimal_ok(text: str) -> bool:
    """Whether `text` is an amount the CLI can take before knowing the token: a finite,
    non-negative, ASCII decimal below 10^78 (commas and underscores as separators)."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned.isascii():
        return False
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return False
    return value.is_finite() and value >= 0 and (value.is_zero() or value.adjusted() < 78)


# ------------------------------------------------------------------------------ addresses

ADDRESS_SLOTS = [
    (["asset", "balance", "--rpc", CLOSED, "--", "1", "{}"], "HOLDER"),
    (["revenue", "claimable", "--rpc", CLOSED, "--", "{}"], "HOLDER"),
    (["asset", "list", "--operator={}", "--rpc", CLOSED], "--operator"),
    (["asset", "transfer", "--rpc", CLOSED, "--", "1", "{}", "1"], "TO"),
    (["oracle", "bond", "--rpc", CLOSED, "--", "{}", "5"], "SIGNER"),
    (["oracle", "withdraw-bond", "5", "--to={}", "--rpc", CLOSED], "--to"),
    (["oracle", "sync", "1", "--from={}", "--rpc", CLOSED], "--from"),
    (["lease", "show", "--owner={}", "--rpc", CLOSED], "--owner"),
    (["lease", "open", "1", "1", "1", "--recipient={}", "--rpc", CLOSED], "--recipient"),
    (["lease", "allow", "--rpc", CLOSED, "--", "1", "{}"], "ACCOUNTS"),
    (["market", "show", "--rpc", CLOSED, "--", "{}"], "MARKET"),
    (["market", "borrow", "--rpc", CLOSED, "--", "{}", "1"], "MARKET"),
    (["market", "positions", "--rpc", CLOSED, "--", VALID, "{}"], "BORROWERS"),
    (["market", "liquidate", "--rpc", CLOSED, "--", VALID, "{}"], "BORROWER"),
    (["market", "supply", "--receiver={}", "--rpc", CLOSED, "--", VALID, "1"], "--receiver"),
    (["market", "repay", "--on-behalf={}", "--rpc", CLOSED, "--", VALID, "all"], "--on-behalf"),
    (["market", "create", "1", "--oracle={}", "--rpc", CLOSED], "--oracle"),
    (["market", "keep", "--once", "--rpc", CLOSED, "--", "{}"], "MARKETS"),
    (["deploy", "--treasury={}", "--rpc", CLOSED], "--treasury"),
    (["asset", "register", "--model", "H100", "--gpus", "1", "--region", "r", "--inventory-hash", "0x" + "11" * 32,
      "--owner={}", "--rpc", CLOSED], "--owner"),
]  # fmt: skip


def _fill(template: list[str], value: str) -> list[str]:
    return [part.replace("{}", value) if "{}" in part else part for part in template]


@fuzz(250)
@given(st.sampled_from(ADDRESS_SLOTS), addresses)
def test_addresses_are_checked_before_connecting(scratch, slot, value):
    template, name = slot
    code, text = invoke(_fill(template, value), scratch)
    if Web3.is_address(value):
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, name)


# ------------------------------------------------------------------------------ amounts

AMOUNT_SLOTS = [
    (["asset", "transfer", "--rpc", CLOSED, "--", "1", VALID, "{}"], "AMOUNT", False),
    (["revenue", "distribute", "--rpc", CLOSED, "--", "1", "{}"], "AMOUNT", False),
    (["market", "supply", "--rpc", CLOSED, "--", VALID, "{}"], "AMOUNT", False),
    (["market", "borrow", "--rpc", CLOSED, "--", VALID, "{}"], "AMOUNT", False),
    (["market", "supply-collateral", "--rpc", CLOSED, "--", VALID, "{}"], "AMOUNT", False),
    (["market", "withdraw", "--rpc", CLOSED, "--", VALID, "{}"], "AMOUNT", True),
    (["market", "withdraw-collateral", "--rpc", CLOSED, "--", VALID, "{}"], "AMOUNT", True),
    (["market", "repay", "--rpc", CLOSED, "--", VALID, "{}"], "AMOUNT", True),
    (["market", "create", "1", "--min-borrow={}", "--rpc", CLOSED], "--min-borrow", False),
    (["lease", "open", "1", "1", "1", "--max-total={}", "--rpc", CLOSED], "--max-total", False),
    (["lease", "extend", "1", "1", "--max-cost={}", "--rpc", CLOSED], "--max-cost", False),
    (["lease", "pricing", "1", "--base-price={}", "--rpc", CLOSED], "--base-price", False),
    (["deploy", "--max-fee-gwei={}", "--rpc", CLOSED], "--max-fee-gwei", False),
    (["lease", "terminate", "1", "--max-priority-fee-gwei={}", "--rpc", CLOSED], "--max-priority-fee-gwei", False),
]


@fuzz(250)
@given(st.sampled_from(AMOUNT_SLOTS), numbers)
def test_amounts_are_checked_before_connecting(scratch, slot, value):
    template, name, all_too = slot
    code, text = invoke(_fill(template, value), scratch)
    if "gwei" in name:  # a fee cap: a finite, non-negative decimal
        try:
            ok = Decimal(value).is_finite() and Decimal(value) >= 0
        except InvalidOperation:
            ok = False
    else:
        ok = _decimal_ok(value) or (all_too and value.strip().lower() == "all")
    if ok:
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, name)


@fuzz(300)
@given(numbers, st.integers(0, 36))
def test_token_amounts_are_exact_or_refused(text, decimals):
    try:
        units = parse_units(text, decimals, "AMOUNT")
    except InvalidInputError as exc:
        assert (exc.source, exc.field) == ("amount", "AMOUNT")
        if _decimal_ok(text):  # well formed: refused only for its precision or its size
            value = Decimal(text.strip().replace(",", "").replace("_", ""))
            exponent = value.as_tuple().exponent
            assert isinstance(exponent, int)
            if exponent < -100:  # 1e-999999999: a nonzero speck, never whole units
                assert not value.is_zero()
                return
            exact = Fraction(value) * 10**decimals
            assert exact.denominator != 1 or exact >= 2**256, (text, decimals)
        return
    exact = Fraction(Decimal(text.strip().replace(",", "").replace("_", ""))) * 10**decimals
    assert exact == units and 0 <= units < 2**256, (text, decimals, units)


# ------------------------------------------------------------------------------ integers

INT_SLOTS = [
    (["asset", "show", "--rpc", CLOSED, "--", "{}"], "ASSET_ID", 1, None),
    (["oracle", "show", "--rpc", CLOSED, "--", "{}"], "ASSET_ID", 1, None),
    (["oracle", "challenge", "--rpc", CLOSED, "--", "1", "{}"], "EPOCH", 0, None),
    (["lease", "quote", "--rpc", CLOSED, "--", "1", "{}", "1"], "GPUS", 1, None),
    (["lease", "open", "--rpc", CLOSED, "--", "1", "1", "{}"], "EPOCHS", 1, None),
    (["lease", "settle", "--all", "--asset={}", "--rpc", CLOSED], "--asset", 1, None),
    (["revenue", "claim", "--rpc", CLOSED, "--", "1", "{}"], "ASSET_IDS", 1, None),
    (["deploy", "--epoch-seconds={}", "--rpc", CLOSED], "--epoch-seconds", 60, 86400),
    (["deploy", "--protocol-fee-bps={}", "--rpc", CLOSED], "--protocol-fee-bps", 0, 1000),
    (["lease", "policy", "1", "--termination-fee-bps={}", "--rpc", CLOSED], "--termination-fee-bps", 0, 5000),
    (["oracle", "show", "1", "--epochs={}", "--rpc", CLOSED], "--epochs", 1, 168),
    (["lease", "terminate", "1", "--confirmations={}", "--rpc", CLOSED], "--confirmations", 1, None),
]
integers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "1", "60", "86400", "86401", "1000", "1001", "168", "169", "5000", "-1", "1.5", "1e3"]),
    numbers,
)


def _click_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@fuzz(250)
@given(st.sampled_from(INT_SLOTS), integers)
def test_ids_counts_and_durations_are_checked_before_connecting(scratch, slot, value):
    template, name, low, high = slot
    code, text = invoke(_fill(template, value), scratch)
    number = _click_int(value)
    if number is not None and number >= low and (high is None or number <= high):
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, name)


@fuzz(100)
@given(st.one_of(numbers, st.floats().map(str)))
def test_keeper_interval_is_a_finite_number_of_seconds(scratch, value):
    code, text = invoke(["market", "keep", "--once", f"--interval={value}", "--rpc", CLOSED], scratch)
    try:
        ok = float(value) >= 0.1 and float(value) != float("inf")
    except ValueError:
        ok = False
    if ok:
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, "--interval")


# ------------------------------------------------------------------------------ dates, decimals, LLTV

dates = st.one_of(
    numbers,
    st.datetimes().map(datetime.isoformat),
    st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    st.dates().map(str),
    st.integers(0, 2**45).map(str),
    st.sampled_from(["2025-06-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "²", "1969-12-31"]),
)


def _date_ok(text: str) -> bool:
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit():
        return int(cleaned) < 2**40
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return False
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return 0 <= int(moment.timestamp()) < 2**40


@fuzz(200)
@given(dates)
def test_purchase_dates_are_checked_before_connecting(scratch, value):
    code, text = invoke(["valuation", "configure", "1", f"--purchased-at={value}", "--rpc", CLOSED], scratch)
    if _date_ok(value):
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, "--purchased-at")


@fuzz(150)
@given(
    st.sampled_from(["--purchase-value", "--useful-life-years", "--salvage-pct", "--cap-rate-pct", "--max-price"]),
    numbers,
)
def test_valuation_numbers_are_checked_before_connecting(scratch, option, value):
    code, text = invoke(["valuation", "configure", "1", f"{option}={value}", "--rpc", CLOSED], scratch)
    if _decimal_ok(value):
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, option)


def _lltv_ok(text: str) -> bool:
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    if not _decimal_ok(cleaned.removesuffix("%")):
        return False
    value = Fraction(Decimal(cleaned.removesuffix("%").strip().replace(",", "").replace("_", "")))
    fraction = value / 100 if percent else value
    return 0 < fraction <= Fraction(98, 100) and (fraction * 10**18).denominator == 1


@fuzz(200)
@given(
    st.one_of(
        numbers,
        numbers.map(lambda n: n + "%"),
        st.decimals(0, 1, places=20).map(str),
        st.sampled_from(["0.8", "80%", "0.98", "98%", "0.981", "98.0000000000000001%", "0.80000000000000000001"]),
    )
)
def test_lltv_is_exact_or_refused_before_connecting(scratch, value):
    code, text = invoke(["market", "create", "1", f"--lltv={value}", "--rpc", CLOSED], scratch)
    if _lltv_ok(value):
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, "--lltv")


# ------------------------------------------------------------------------------ --rpc

bad_hosts = st.sampled_from(["", "[", "[::1", "\u2603", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:x", ":80", "@"])
KNOWN_NETWORKS = set(load_networks())


@fuzz(150)
@given(
    st.one_of(
        st.text(max_size=20).filter(lambda t: "://" not in t and t.strip() not in KNOWN_NETWORKS),
        bad_hosts.map(lambda h: "http://" + h),
        # never a number: no request may reach whatever listens on a local port
        st.text(min_size=1, max_size=8)
        .filter(lambda port: not any(c.isdigit() for c in port))
        .map(lambda port: f"http://127.0.0.1:{port}"),
        st.text(max_size=20).map(lambda path: f"{CLOSED}/{path}"),
        st.sampled_from(["ftp://x", "ws://127.0.0.1:1", "http//127.0.0.1", "https://"]),
    )
)
def test_endpoints_are_refused_as_bad_input_or_found_unavailable(scratch, rpc):
    code, text = invoke(["asset", "list", f"--rpc={rpc}"], scratch)
    assert code in (2, 3), (code, text)
    if code == 2:
        assert "error:" in text or "Error:" in text, text


# ------------------------------------------------------------------------------ files

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
gpu_ids = st.uuids().map(lambda u: f"GPU-{u}")
gpu_list_files = st.one_of(
    st.binary(max_size=100),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(gpu_ids, max_size=5).map(lambda ids: "\n".join(ids).encode()),
    st.lists(gpu_ids, max_size=4).map(
        lambda ids: "".join(f"GPU {i}: NVIDIA H100 80GB HBM3 (UUID: {u})\n" for i, u in enumerate(ids)).encode()
    ),
    st.lists(st.one_of(gpu_ids, json_values), max_size=4).map(lambda v: json.dumps({"gpu_uuids": v}).encode()),
    st.lists(
        st.fixed_dictionaries({"asset_id": json_values, "gpu_uuids": st.lists(gpu_ids, max_size=3)}), max_size=3
    ).map(lambda v: json.dumps(v).encode()),
    st.just(b"[" * 50_000),
    st.just(b"\xff\xfe" + "GPU-1\n".encode("utf-16-le")),
)


@fuzz(150)
@given(gpu_list_files)
def test_gpu_list_files_for_asset_register_are_checked_before_connecting(scratch, data):
    path = scratch / "gpus.txt"
    path.write_bytes(data)
    args = ["asset", "register", "--model", "H100", "--region", "us-east-1", "--inventory-file", str(path)]
    code, text = invoke([*args, "--rpc", CLOSED], scratch)
    if code == 3:
        _reached_the_chain(code, text)
        ids = read_gpu_ids(path)
        assert ids and all(i.strip() == i and i for i in ids)
    else:
        _bad_input(code, text, "--inventory-file")


def _smi_mutations() -> st.SearchStrategy[bytes]:
    captures = [p.read_bytes() for p in sorted((FIXTURES / "nvidia_smi").glob("*.csv"))]
    captures += [p.read_bytes() for p in sorted((FIXTURES / "dcgm").glob("*.prom"))]

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = draw(st.sampled_from(captures))
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(data)))
            kind = draw(st.sampled_from(["cut", "insert", "replace"]))
            junk = draw(st.one_of(st.binary(max_size=6), st.sampled_from([b"NaN", b"-1", b"1e400", b",", b"\n", b"}"])))
            if kind == "cut":
                data = data[:at]
            elif kind == "insert":
                data = data[:at] + junk + data[at:]
            else:
                data = data[:at] + junk + data[at + len(junk) :]
        return data

    return mutate()


@fuzz(150)
@given(st.sampled_from(["nvidia-smi", "dcgm"]), st.one_of(_smi_mutations(), st.binary(max_size=80)))
def test_telemetry_read_of_mutated_files_shows_samples_or_names_the_field(scratch, fmt, data):
    path = scratch / "capture.txt"
    path.write_bytes(data)
    code, text = invoke(["telemetry", "read", str(path), "--format", fmt, "--json"], scratch)
    if code == 0:
        for sample in json.loads(text):
            assert sample["utilization_bps"] is None or 0 <= sample["utilization_bps"] <= 10_000
            assert sample["power_mw"] is None or 0 <= sample["power_mw"] <= 10_000_000
    else:
        _bad_input(code, text, str(path))
        assert re.search(r"field '[^']+'", text), text


inventory_files = st.one_of(
    st.binary(max_size=60),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(
        st.fixed_dictionaries({"asset_id": st.one_of(st.integers(), json_values), "gpu_uuids": st.lists(gpu_ids)})
    ).map(lambda v: json.dumps(v).encode()),
)


@fuzz(100)
@given(inventory_files)
def test_feeder_inventory_files_are_checked_before_connecting(scratch, data):
    path = scratch / "inventory.json"
    path.write_bytes(data)
    args = ["oracle", "run", "--once", "--inventory", str(path), "--outbox", str(scratch / "outbox.sqlite")]
    code, text = invoke([*args, "--source", "simulator", "--rpc", CLOSED], scratch)
    if code == 3:
        _reached_the_chain(code, text)
        assert parse_inventory_file(path)  # only a well-formed inventory gets as far as the chain
    else:
        _bad_input(code, text, str(path))


@fuzz(100)
@given(
    st.one_of(
        st.binary(max_size=80), st.text(max_size=80).map(lambda t: ("value,timestamp_anon,container_ip\n" + t).encode())
    )
)
def test_replayed_trace_files_are_checked_before_connecting(scratch, data):
    trace, inventory = scratch / "trace.csv", scratch / "replay-inventory.json"
    trace.write_bytes(data)
    inventory.write_text(json.dumps([{"asset_id": 1, "gpu_uuids": ["GPU-1"]}]))
    args = ["oracle", "replay", str(trace), "--inventory", str(inventory), "--outbox", str(scratch / "replay.sqlite")]
    code, text = invoke([*args, "--rpc", CLOSED], scratch)
    if code == 3:
        _reached_the_chain(code, text)
        assert read_duty_cycle_trace(trace)  # only a well-formed trace gets as far as the chain
    else:
        _bad_input(code, text, str(trace))


@fuzz(100)
@given(st.sampled_from(["--rpc-timeout", "--confirm-timeout"]), st.one_of(numbers, st.floats().map(str)))
def test_feeder_timeouts_are_a_finite_positive_number_of_seconds(scratch, option, value):
    inventory = scratch / "timeout-inventory.json"
    inventory.write_text(json.dumps([{"asset_id": 1, "gpu_uuids": ["GPU-1"]}]))
    args = ["oracle", "run", "--once", "--inventory", str(inventory), "--outbox", str(scratch / "timeouts.sqlite")]
    code, text = invoke([*args, "--source", "simulator", f"{option}={value}", "--rpc", CLOSED], scratch)
    try:
        ok = 0 < float(value) <= (MAX_RPC_TIMEOUT if option == "--rpc-timeout" else MAX_CONFIRM_TIMEOUT)
    except ValueError:
        ok = False
    if ok:
        _reached_the_chain(code, text)
    else:
        _bad_input(code, text, option)


# ------------------------------------------------------------------------------ keystores

GOOD_KEYSTORE = Account.encrypt(KEY, PASSWORD, kdf="pbkdf2", iterations=2)


@st.composite
def keystores(draw: st.DrawFn) -> bytes:
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(st.binary(max_size=60))
    if choice == 1:
        return json.dumps(draw(json_values)).encode()
    store = json.loads(json.dumps(GOOD_KEYSTORE))
    crypto = store["crypto"]
    # Small numbers only: a keystore asking for 10^9 key-derivation rounds is slow, not malformed.
    junk = st.one_of(st.none(), st.booleans(), st.integers(-5, 64), st.text(max_size=10), st.sampled_from(["zz", "00"]))
    for _ in range(draw(st.integers(1, 3))):  # break or drop a field somewhere
        parts = [store, crypto, crypto.get("cipherparams"), crypto.get("kdfparams")]
        where = draw(st.sampled_from([p for p in parts if isinstance(p, dict) and p]))
        key = draw(st.sampled_from(sorted(where)))
        if draw(st.booleans()):
            del where[key]
        else:
            where[key] = draw(st.one_of(junk, st.lists(junk, max_size=2), st.dictionaries(st.text(max_size=4), junk)))
    return json.dumps(store).encode()


@fuzz(150)
@given(keystores())
def test_keystores_are_loaded_or_refused_naming_the_file(scratch, data):
    path = scratch / "keystore.json"
    path.write_bytes(data)
    try:
        with mock.patch.dict(os.environ, {PASSWORD_ENV: PASSWORD}):
            account = load_signer(path)
    except InvalidInputError as exc:
        assert exc.source == str(path) and exc.field in ("keystore", "password"), exc
        assert PASSWORD not in str(exc)  # never the password
        return
    assert account.address == Account.from_key(KEY).address  # a mutation the format tolerates


@fuzz(60)
@given(keystores())
def test_deploy_with_a_broken_keystore_is_bad_input(scratch, data):
    path = scratch / "deployer.json"
    path.write_bytes(data)
    code, text = invoke(["deploy", "--keystore", str(path), "--rpc", CLOSED], scratch)
    if code == 3:  # the mutation left a working keystore
        _reached_the_chain(code, text)
        with mock.patch.dict(os.environ, {PASSWORD_ENV: PASSWORD}):
            assert load_signer(path).address == Account.from_key(KEY).address
    else:
        _bad_input(code, text, str(path))
    assert KEY[2:] not in text


# ------------------------------------------------------------------------------ network configuration

yaml_networks = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.just("x"), json_values),
        "host": st.one_of(st.just("http://127.0.0.1"), st.just("http://[::1"), st.just("$NOPE_VAR"), json_values),
        "chainid": st.one_of(st.integers(), st.just("0x1"), st.just("1"), json_values),
        "cmd_settings": st.one_of(
            st.fixed_dictionaries({}, optional={"port": st.one_of(st.integers(), json_values), "fork": json_values}),
            json_values,
        ),
    },
)
yaml_configs = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "development": st.one_of(st.lists(yaml_networks, max_size=3), json_values),
            "live": st.one_of(
                st.lists(st.fixed_dictionaries({"networks": st.lists(yaml_networks, max_size=2)}), max_size=2),
                json_values,
            ),
            "networks": st.one_of(
                st.dictionaries(st.sampled_from(["x", "development", "default"]), yaml_networks), json_values
            ),
        },
    ),
    json_values,
)


@fuzz(200)
@given(yaml_configs, yaml_configs, st.one_of(st.none(), st.binary(max_size=30)))
def test_network_configuration_files_resolve_or_raise_network_error(scratch, user, project, raw):
    user_path, project_path = scratch / "network-config.yaml", scratch / "brownie-config.yaml"
    user_path.write_text(yaml.safe_dump(user))
    if raw is None:
        project_path.write_text(yaml.safe_dump(project))
    else:
        project_path.write_bytes(raw)
    try:
        endpoint = resolve("x", user_config=user_path, project=project_path)
    except NetworkError as exc:
        assert str(exc)
        return
    assert endpoint.url.startswith(("http://", "https://"))
    assert endpoint.chain_id is None or 0 < endpoint.chain_id < 2**256
    assert endpoint.describe()
