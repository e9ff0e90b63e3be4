"""Signing keys for real networks: an encrypted keystore (eth-account / geth / brownie format)
or an environment variable. Keys are never printed, logged or written by the project."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount

from compute_rwa.errors import InvalidInputError

KEY_ENV = "COMPUTE_RWA_PRIVATE_KEY"
PASSWORD_ENV = "COMPUTE_RWA_KEYSTORE_PASSWORD"


def load_signer(keystore: Path | None) -> LocalAccount:
    """From `keystore` (password from $COMPUTE_RWA_KEYSTORE_PASSWORD or a hidden prompt), else
    from $COMPUTE_RWA_PRIVATE_KEY."""
    if keystore is not None:
        try:
            encrypted = json.loads(keystore.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                str(keystore), "keystore", f"not a readable JSON keystore ({exc.__class__.__name__})"
            ) from None
        password = os.environ.get(PASSWORD_ENV) or click.prompt("Keystore password", hide_input=True)
        try:
            key = Account.decrypt(encrypted, password)
        except ValueError:
            raise InvalidInputError(str(keystore), "password", "does not decrypt this keystore") from None
        account: LocalAccount = Account.from_key(key)
        return account
    return load_key_from_env(KEY_ENV)


def load_key_from_env(variable: str) -> LocalAccount:
    """The private key in environment variable `variable` (hex)."""
    raw = os.environ.get(variable)
    if not raw:
        raise InvalidInputError("environment", variable, "not set; pass a keystore or set it")
    try:
        signer: LocalAccount = Account.from_key(raw.strip())
    except (ValueError, TypeError):
        # The message must not echo the key.
        raise InvalidInputError("environment", variable, "is not a 32-byte hex private key") from None
    return signer
