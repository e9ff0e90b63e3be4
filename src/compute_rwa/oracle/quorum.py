"""Where a batch's signatures come from: a `Quorum` turns packed reports into the concatenated
signatures `submitReports` verifies. `LocalQuorum` holds the signer keys in-process (one operator
running every signer, tests, demos); `RemoteQuorum` (network.py) asks signer services over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from eth_account.signers.local import LocalAccount

from compute_rwa.errors import InvalidInputError, QuorumError
from compute_rwa.oracle.client import SignerConfig
from compute_rwa.oracle.reports import OracleDomain, join_signatures, sign_batch


class Quorum(Protocol):
    """Anything that can obtain at least a threshold of signatures over a batch."""

    def signatures(self, domain: OracleDomain, packed: bytes) -> bytes:
        """Concatenated 65-byte signatures over `packed` under `domain`, at least the threshold.

        Raises QuorumError when not enough signers agree."""
        ...


class LocalQuorum:
    """Signs with every key it holds.

    Without a signer configuration it signs with all keys and leaves the check to the contract.
    With one (a `SignerConfig`, or a callable returning the current one, e.g.
    `OracleClient.signer_config`) it signs only with keys in the configured set - a signature from
    an outsider would make the whole batch revert with OracleUnknownSigner - and refuses early,
    naming how many signers are missing, when fewer than the threshold remain, so that no gas is
    spent on a transaction bound to revert with OracleQuorumNotMet.
    """

    def __init__(
        self,
        keys: Sequence[LocalAccount],
        config: SignerConfig | Callable[[], SignerConfig] | None = None,
    ) -> None:
        if not keys:
            raise InvalidInputError("LocalQuorum", "keys", "no signer keys given")
        addresses = [k.address for k in keys]
        if len(set(addresses)) != len(addresses):
            # The contract reverts with OracleDuplicateSigner on a repeated signer.
            raise InvalidInputError("LocalQuorum", "keys", "the same key is given twice")
        self._keys = tuple(keys)
        self._config = config

    @property
    def addresses(self) -> tuple[str, ...]:
        """The signers' addresses (never the keys)."""
        return tuple(k.address for k in self._keys)

    def signatures(self, domain: OracleDomain, packed: bytes) -> bytes:
        keys = self._signing_keys(domain)
        return join_signatures([sign_batch(domain, packed, key) for key in keys])

    def _signing_keys(self, domain: OracleDomain) -> tuple[LocalAccount, ...]:
        """The keys whose signatures will count, checked against the configuration if known."""
        if self._config is None:
            return self._keys
        config = self._config() if callable(self._config) else self._config
        if config.version != domain.config_version:
            raise QuorumError(
                f"signer configuration is version {config.version} but the batch is signed for version "
                f"{domain.config_version}; reload the configuration"
            )
        members = set(config.signers)
        keys = tuple(k for k in self._keys if k.address in members)
        if len(keys) < config.threshold:
            missing = config.threshold - len(keys)
            raise QuorumError(
                f"{len(keys)} of the {len(self._keys)} local keys are signers of configuration {config.version}; "
                f"the threshold is {config.threshold}: {missing} more signer(s) needed"
            )
        return keys
