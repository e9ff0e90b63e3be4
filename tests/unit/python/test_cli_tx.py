"""The transaction options every sending command shares (`cli_tx`): parsed, checked, and handed
to the TxSender the command's client uses."""

from __future__ import annotations

import click
from click.testing import CliRunner
from web3 import Web3

from compute_rwa.cli_tx import cli_sender, tx_options

W3 = Web3()  # never connects: the sender is only built


@click.command()
@tx_options
def show() -> None:
    sender = cli_sender(W3)
    click.echo(f"{sender.confirmations} {sender.timeout} {sender.fees.max_fee} {sender.fees.max_priority_fee}")


def test_defaults_outside_and_inside_a_command():
    outside = cli_sender(W3)
    assert (outside.confirmations, outside.timeout, outside.fees.max_fee) == (1, 300.0, None)
    assert CliRunner().invoke(show, []).output.split() == ["1", "300.0", "None", "None"]


def test_the_options_reach_the_sender():
    result = CliRunner().invoke(
        show, ["--confirmations", "3", "--max-fee-gwei", "30", "--max-priority-fee-gwei", "1.5", "--timeout", "60"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["3", "60.0", str(30 * 10**9), str(15 * 10**8)]


def test_bad_values_are_refused_naming_the_option():
    for args, name in (
        (["--max-fee-gwei", "lots"], "--max-fee-gwei"),
        (["--max-priority-fee-gwei", "-1"], "--max-priority-fee-gwei"),
        (["--confirmations", "0"], "--confirmations"),
    ):
        result = CliRunner().invoke(show, args)
        assert result.exit_code == 2 and name in result.output, result.output


def test_every_sending_command_of_the_groups_has_them():
    from compute_rwa.cli import main

    groups = {name: main.commands[name] for name in ("lease", "market", "valuation", "oracle")}
    # The feeder (oracle run / replay) sends through its Submitter, which manages nonces, fee
    # bumps of stuck batches and confirmation itself (docs/feeder-design.md).
    own_sender = {"oracle run", "oracle replay"}
    missing = []
    for group_name, group in groups.items():
        assert isinstance(group, click.Group)
        for name, command in group.commands.items():
            options = {opt for param in command.params for opt in getattr(param, "opts", [])}
            sends = "--keystore" in options
            if f"{group_name} {name}" in own_sender:
                continue
            if sends and not {"--confirmations", "--max-fee-gwei", "--timeout"} <= options:
                missing.append(f"{group_name} {name}")
    assert not missing, missing
