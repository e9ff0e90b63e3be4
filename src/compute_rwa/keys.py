"""Signing keys for real networks: an encrypted keystore (eth-account / geth / brownie format),
given by path or by the name of a brownie account, or an environment variable. Keys are never
printed or logged; the project writes them only encrypted (`compute-rwa keys new`)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from compute_rwa.errors import InvalidInputError

KEY_ENV = "COMPUTE_RWA_PRIVATE_KEY"
PASSWORD_ENV = "COMPUTE_RWA_KEYSTORE_PASSWORD"
KEYSTORE_DIR_ENV = "COMPUTE_RWA_KEYSTORE_DIR"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def keystore_dir() -> Path:
    """Where named keystores live: $COMPUTE_RWA_KEYSTORE_DIR, else brownie's accounts folder
    (~/.brownie/accounts), so that brownie's `accounts.load(name)` finds them as well."""
    override = os.environ.get(KEYSTORE_DIR_ENV)
    return Path(override).expanduser() if override else Path.home() / ".brownie" / "accounts"


def resolve_keystore(value: str | Path) -> Path:
    """The keystore file `value` names: a path, or the name of an account in keystore_dir()."""
    path = Path(value).expanduser()
    if path.is_file():
        return path
    name = str(value)
    if _NAME.fullmatch(name):
        candidate = keystore_dir() / (name if name.endswith(".json") else f"{name}.json")
        if candidate.is_file():
            return candidate
    raise InvalidInputError(name, "keystore", f"no such file, and no account of that name in {keystore_dir()}")


class KeystoreParam(click.ParamType):
    """A click parameter: a keystore path or account name, converted to the keystore's path."""

    name = "PATH|NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        if isinstance(value, Path):
            return value
        try:
            return resolve_keystore(str(value))
        except InvalidInputError as exc:
            self.fail(f"{value!r}: {exc.problem}", param, ctx)


KEYSTORE = KeystoreParam()


def load_signer(keystore: Path | str | None) -> LocalAccount:
    """From `keystore`, a path or an account name (password from $COMPUTE_RWA_KEYSTORE_PASSWORD
    or a hidden prompt), else from $COMPUTE_RWA_PRIVATE_KEY."""
    if keystore is not None:
        keystore = resolve_keystore(keystore)
        try:
            encrypted = json.loads(keystore.read_text())
        except (OSError, ValueError, RecursionError) as exc:
            raise InvalidInputError(
                str(keystore), "keystore", f"not a readable JSON keystore ({exc.__class__.__name__})"
            ) from None
        if not isinstance(encrypted, dict) or not isinstance(encrypted.get("crypto", encrypted.get("Crypto")), dict):
            raise InvalidInputError(str(keystore), "keystore", "not a keystore (a JSON object with a 'crypto' object)")
        password = os.environ.get(PASSWORD_ENV) or click.prompt("Keystore password", hide_input=True)
        try:
            key = Account.decrypt(encrypted, password)
        except ValueError as exc:
            if str(exc) in ("MAC mismatch", "Checksum mismatch"):
                raise InvalidInputError(str(keystore), "password", "does not decrypt this keystore") from None
            raise InvalidInputError(str(keystore), "keystore", f"malformed keystore ({str(exc)[:80]})") from None
        except (KeyError, TypeError, AttributeError, IndexError, NotImplementedError, AssertionError) as exc:
            # eth-keyfile reads the keystore's fields without checking them: a missing or
            # mistyped field surfaces as one of these (an unknown PBKDF2 "prf" as a failed
            # assert). Never echo the password.
            raise InvalidInputError(
                str(keystore), "keystore", f"malformed keystore ({exc.__class__.__name__}: {str(exc)[:80]})"
            ) from None
        try:
            account: LocalAccount = Account.from_key(key)
        except ValueError:  # decrypted, but not to a 32-byte secp256k1 key; never echo it
            raise InvalidInputError(str(keystore), "keystore", "does not hold a private key") from None
        _check_stated_address(keystore, encrypted, account)
        return account
    if not os.environ.get(KEY_ENV):
        raise InvalidInputError("environment", KEY_ENV, "not set: no signing key; pass --keystore PATH|NAME or set it")
    return load_key_from_env(KEY_ENV)


def _check_stated_address(keystore: Path, encrypted: dict[str, Any], account: LocalAccount) -> None:
    """The MAC covers the ciphertext only: a damaged "iv" (or cipher parameters) still decrypts,
    to another key. A keystore that states its address must decrypt to that address, or the
    wrong account would sign."""
    stated = encrypted.get("address")
    if stated is None:
        return
    if not isinstance(stated, str) or stated.lower().removeprefix("0x") != account.address.lower()[2:]:
        raise InvalidInputError(
            str(keystore), "keystore", "decrypts to a key whose address is not the keystore's 'address' (damaged)"
        )


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


@dataclass(frozen=True)
class StoredKey:
    """A keystore in keystore_dir(): its account name, address and file."""

    name: str
    address: ChecksumAddress | None
    path: Path


def new_keystore(
    name: str, password: str, directory: Path | None = None, private_key: bytes | str | None = None
) -> tuple[Path, ChecksumAddress]:
    """Writes a new encrypted keystore `name`.json (a fresh key, or `private_key`) readable by its
    owner only, and returns its path and address. Refuses to overwrite; the key is written
    nowhere else."""
    if not _NAME.fullmatch(name) or name.endswith(".json"):
        raise InvalidInputError(name, "name", "use letters, digits, '.', '_' and '-' (no .json)")
    if not password:
        raise InvalidInputError(name, "password", "must not be empty")
    directory = directory or keystore_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    account: LocalAccount = Account.from_key(private_key) if private_key else Account.create()
    encrypted = Account.encrypt(account.key, password)
    path = directory / f"{name}.json"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInputError(str(path), "name", "a keystore of that name exists; choose another name") from None
    with os.fdopen(fd, "w") as out:
        json.dump(encrypted, out)
    return path, account.address


def list_keystores(directory: Path | None = None) -> list[StoredKey]:
    """The keystores in `directory` (default keystore_dir()), by name."""
    directory = directory or keystore_dir()
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            raw = json.loads(path.read_text()).get("address")
        except (OSError, ValueError, AttributeError):
            raw = None
        address = None
        if isinstance(raw, str) and Web3.is_address(raw if raw.startswith("0x") else "0x" + raw):
            address = Web3.to_checksum_address(raw if raw.startswith("0x") else "0x" + raw)
        found.append(StoredKey(path.stem, address, path))
    return found
