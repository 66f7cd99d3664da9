"""``FernetCipher``: the ``SecretCipher`` port with Fernet (AES-128-CBC + HMAC-SHA256).

The app factory calls ``load_cipher(configured_key, data_dir)``: a key from the
configuration wins (several comma-separated keys allow rotation: the first encrypts, all
decrypt); otherwise the key in ``<data_dir>/secret.key`` is used, generated on first start
with 0600 permissions. Losing that file makes every stored secret unreadable, so it is
never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from millstream.domain.errors import ErrorCode, InvalidInput, MillstreamError

__all__ = ["SECRET_KEY_FILE", "FernetCipher", "load_cipher"]

SECRET_KEY_FILE = "secret.key"


class FernetCipher:
    def __init__(self, *keys: bytes | str) -> None:
        if not keys:
            raise InvalidInput(
                "at least one Fernet key is needed", code=ErrorCode.INVALID_SECRET_KEY
            )
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError as error:
            raise InvalidInput(
                "the secret key must be a url-safe base64 Fernet key of 32 bytes "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')",
                code=ErrorCode.INVALID_SECRET_KEY,
            ) from error

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as error:
            raise MillstreamError(
                "a stored secret cannot be decrypted with the configured secret key; "
                "restore the original key (or add it after the new one)",
                code=ErrorCode.SECRET_KEY_MISMATCH,
            ) from error


def load_cipher(configured_key: str | None, data_dir: Path) -> FernetCipher:
    """The cipher for ``configured_key`` (comma-separated keys) or for the key file in
    ``data_dir``, created with 0600 permissions if missing."""
    if configured_key:
        return FernetCipher(*(part.strip() for part in configured_key.split(",") if part.strip()))
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
        try:
            # link() never replaces: of two processes starting at once, one key wins and
            # both read it; nobody ever sees a half-written file.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return FernetCipher(path.read_bytes().strip())
