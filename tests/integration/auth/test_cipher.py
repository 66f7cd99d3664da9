"""The Fernet secret cipher and its key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from millstream.domain.errors import ErrorCode, InvalidInput, MillstreamError
from millstream.store.cipher import SECRET_KEY_FILE, FernetCipher, load_cipher


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    first = load_cipher(None, tmp_path / "data")
    path = tmp_path / "data" / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ciphertext = first.encrypt("s3cret")
    assert load_cipher(None, tmp_path / "data").decrypt(ciphertext) == "s3cret"
    assert [p.name for p in path.parent.iterdir()] == [SECRET_KEY_FILE]


def test_configured_keys_win_and_rotate(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    ciphertext = load_cipher(old, tmp_path).encrypt("s3cret")
    rotated = load_cipher(f"{new},{old}", tmp_path)
    assert rotated.decrypt(ciphertext) == "s3cret"
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    with pytest.raises(MillstreamError) as caught:
        load_cipher(new, tmp_path).decrypt(ciphertext)
    assert caught.value.code == ErrorCode.SECRET_KEY_MISMATCH


def test_bad_key_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput):
        FernetCipher("not-a-key")
