"""brownie run scripts/demo.py: the same demo as `make demo` (it starts its own anvil)."""

from rich.console import Console

from compute_rwa.demo import run


def main():
    return run(Console())
