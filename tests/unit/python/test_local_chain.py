"""LocalChain leaves nothing behind: stopping it ends the node's whole process group and removes
the folder where anvil persists historical states (left behind, those folders filled the disk)."""

from __future__ import annotations

import os

from compute_rwa.chain import LocalChain


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers signal 0; its state in /proc says it has exited.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_stop_ends_the_node_and_removes_its_state_cache():
    chain = LocalChain("anvil").start()
    process = chain._process
    cache = chain._cache_dir
    assert process is not None and cache is not None and cache.is_dir()
    assert f"--cache-path {cache}" in " ".join(chain.command())
    assert chain.web3().eth.block_number == 0
    # The native binary runs directly: the process we started is the node itself.
    assert os.path.basename(process.args[0]) == "anvil"  # type: ignore[index]
    chain.stop()
    assert not _alive(process.pid)
    assert not cache.exists()
    chain.stop()  # idempotent


def test_a_chain_used_as_a_context_manager_cleans_up_on_error():
    try:
        with LocalChain("anvil") as chain:
            cache = chain._cache_dir
            pid = chain._process.pid  # type: ignore[union-attr]
            raise RuntimeError("a test failed")
    except RuntimeError:
        pass
    assert not _alive(pid)
    assert cache is not None and not cache.exists()
