"""Keys: encrypted keystores written by `compute-rwa keys new` (never a plaintext key), found by
path or by account name, and clean errors for a wrong password or a missing key."""

from __future__ import annotations

import json
import re
import stat

import pytest
from click.testing import CliRunner
from eth_account import Account

from compute_rwa.cli import main
from compute_rwa.errors import InvalidInputError
from compute_rwa.keys import (
    KEY_ENV,
    KEYSTORE_DIR_ENV,
    PASSWORD_ENV,
    list_keystores,
    load_signer,
    new_keystore,
    resolve_keystore,
)

PASSWORD = "correct horse battery staple"
KEY = "0x" + "5a" * 32


@pytest.fixture(autouse=True)
def isolation():
    """No chain needed here."""
    yield


@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    folder = tmp_path / "accounts"
    monkeypatch.setenv(KEYSTORE_DIR_ENV, str(folder))
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    return folder


def test_new_keystore_is_encrypted_owner_only_and_never_holds_the_key(key_dir):
    path, address = new_keystore("deployer", PASSWORD, private_key=KEY)
    assert path == key_dir / "deployer.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert KEY[2:] not in text and "crypto" in json.loads(text)
    assert address == Account.from_key(KEY).address
    assert Account.decrypt(json.loads(text), PASSWORD).hex().removeprefix("0x") == KEY[2:]


def test_new_keystore_refuses_to_overwrite_and_odd_names(key_dir):
    new_keystore("ops", PASSWORD)
    with pytest.raises(InvalidInputError, match="a keystore of that name exists"):
        new_keystore("ops", PASSWORD)
    with pytest.raises(InvalidInputError, match="use letters"):
        new_keystore("../escape", PASSWORD)
    with pytest.raises(InvalidInputError, match="must not be empty"):
        new_keystore("blank", "")


def test_keystore_is_found_by_path_or_by_account_name(key_dir, monkeypatch):
    path, address = new_keystore("keeper", PASSWORD)
    assert resolve_keystore("keeper") == path == resolve_keystore(str(path))
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert load_signer("keeper").address == address
    assert [(k.name, k.address) for k in list_keystores()] == [("keeper", address)]


def test_wrong_password_and_missing_keys_are_clean_errors(key_dir, monkeypatch):
    new_keystore("keeper", PASSWORD)
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(InvalidInputError, match="'password': does not decrypt this keystore"):
        load_signer("keeper")
    with pytest.raises(InvalidInputError, match="no such file, and no account of that name"):
        load_signer("nobody")
    with pytest.raises(InvalidInputError, match="COMPUTE_RWA_PRIVATE_KEY.*not set: no signing key"):
        load_signer(None)


def test_keys_new_and_list_commands(key_dir):
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "new", "deployer"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    address = re.search(r"0x[0-9a-fA-F]{40}", created.output)
    assert address is not None
    listed = runner.invoke(main, ["keys", "list", "--json"])
    assert json.loads(listed.output) == [
        {"name": "deployer", "address": address.group(0), "path": str(key_dir / "deployer.json")}
    ]
    mismatch = runner.invoke(
        main, ["keys", "new", "other"], input=f"{PASSWORD}\nnot the same\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert "do not match" in mismatch.output and mismatch.exit_code == 0


def test_keys_new_from_env_encrypts_that_key_without_printing_it(key_dir):
    result = CliRunner().invoke(
        main, ["keys", "new", "imported", "--from-env"], env={KEY_ENV: KEY, PASSWORD_ENV: PASSWORD}
    )
    assert result.exit_code == 0, result.output
    assert KEY[2:] not in result.output and Account.from_key(KEY).address in result.output
    assert Account.decrypt(json.loads((key_dir / "imported.json").read_text()), PASSWORD).hex().endswith(KEY[2:])


def _damaged(path, where, value):
    """The keystore at `path` with crypto[where...] set to `value` (found by the CLI fuzzing)."""
    store = json.loads(path.read_text())
    node = store["crypto"]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path.write_text(json.dumps(store))


def test_a_damaged_iv_is_refused_instead_of_signing_with_another_key(key_dir, monkeypatch):
    # The MAC covers the ciphertext only: with the "iv" emptied, eth-keyfile decrypts without
    # complaint to a different key. The keystore states its address, and that must match.
    path, address = new_keystore("ops", PASSWORD, private_key=KEY)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert load_signer(path).address == address
    _damaged(path, ("cipherparams", "iv"), "")
    with pytest.raises(InvalidInputError) as info:
        load_signer(path)
    assert info.value.source == str(path) and info.value.field == "keystore"
    assert "address" in str(info.value) and PASSWORD not in str(info.value)


def test_an_unknown_pbkdf2_prf_is_a_malformed_keystore_not_a_crash(key_dir, monkeypatch):
    # eth-keyfile checks the PBKDF2 "prf" with an assert; it must surface as our own error.
    store = Account.encrypt(KEY, PASSWORD, kdf="pbkdf2", iterations=2)
    path = key_dir / "pbkdf2.json"
    key_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store))
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert load_signer(path).address == Account.from_key(KEY).address
    _damaged(path, ("kdfparams", "prf"), "")
    with pytest.raises(InvalidInputError) as info:
        load_signer(path)
    assert info.value.field == "keystore" and "malformed keystore" in str(info.value)
