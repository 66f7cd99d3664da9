"""Where the client finds its server and credentials: flags > environment > profile file.

The profile file works like other cloud CLIs' (``~/.aws/credentials``): INI, one section
per profile, keys ``url``, ``access_key_id``, ``access_key_secret``, ``workspace``,
``namespace``. It lives at ``~/.millstream/credentials`` unless
``MILLSTREAM_CREDENTIALS_FILE`` says otherwise. The server calls ``write_profile`` on its
first start to save the admin key there; the CLI calls it for ``keys create --save-profile``.
"""

from __future__ import annotations

import configparser
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from millstream.client.errors import ConfigError

__all__ = [
    "DEFAULT_NAMESPACE",
    "DEFAULT_PROFILE",
    "DEFAULT_URL",
    "DEFAULT_WORKSPACE",
    "ClientConfig",
    "credentials_path",
    "read_profile",
    "write_profile",
]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_WORKSPACE = "default"
DEFAULT_NAMESPACE = "default-namespace"
DEFAULT_PROFILE = "default"

_KEYS = ("url", "access_key_id", "access_key_secret", "workspace", "namespace")
_ENV = {
    "url": "MILLSTREAM_URL",
    "access_key_id": "MILLSTREAM_ACCESS_KEY_ID",
    "access_key_secret": "MILLSTREAM_ACCESS_KEY_SECRET",
    "workspace": "MILLSTREAM_WORKSPACE",
    "namespace": "MILLSTREAM_NAMESPACE",
}


def credentials_path(env: Mapping[str, str] | None = None) -> Path:
    """``MILLSTREAM_CREDENTIALS_FILE`` or ``~/.millstream/credentials``."""
    env = os.environ if env is None else env
    override = env.get("MILLSTREAM_CREDENTIALS_FILE")
    return Path(override).expanduser() if override else Path.home() / ".millstream" / "credentials"


def _parser(path: Path) -> configparser.ConfigParser:
    # interpolation off: a secret may contain '%'.
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"cannot read credentials file {path}: {exc}") from exc
    return parser


def read_profile(path: Path, profile: str) -> dict[str, str] | None:
    """The profile's settings, or None when the file or the section does not exist."""
    if not path.is_file():
        return None
    parser = _parser(path)
    if not parser.has_section(profile):
        return None
    return {key: value for key, value in parser.items(profile) if key in _KEYS and value}


def write_profile(
    path: Path,
    profile: str,
    *,
    url: str | None = None,
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    workspace: str | None = None,
    namespace: str | None = None,
) -> None:
    """Create or update one profile, keeping the others; the file is mode 0600.

    The file is written to a temporary file created 0600 and renamed over the old one,
    so the secret is never readable by others, not even for a moment.
    """
    path = path.expanduser()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    parser = _parser(path) if path.is_file() else configparser.ConfigParser(interpolation=None)
    if not parser.has_section(profile):
        parser.add_section(profile)
    values = {
        "url": url,
        "access_key_id": access_key_id,
        "access_key_secret": access_key_secret,
        "workspace": workspace,
        "namespace": namespace,
    }
    for key, value in values.items():
        if value is not None:
            parser.set(profile, key, value)
    fd, tmp = tempfile.mkstemp(prefix=".credentials-", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            parser.write(handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything a client needs to reach and sign for one Millstream server."""

    url: str = DEFAULT_URL
    access_key_id: str | None = None
    access_key_secret: str | None = None
    workspace: str = DEFAULT_WORKSPACE
    namespace: str = DEFAULT_NAMESPACE
    profile: str | None = None
    timeout: float = 30.0

    @classmethod
    def load(
        cls,
        profile: str | None = None,
        *,
        url: str | None = None,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        workspace: str | None = None,
        namespace: str | None = None,
        env: Mapping[str, str] | None = None,
        credentials_file: Path | None = None,
    ) -> ClientConfig:
        """Settings from arguments, then ``MILLSTREAM_*`` variables, then the profile file.

        A profile named explicitly (argument or ``MILLSTREAM_PROFILE``) must exist; the
        implicit ``default`` profile may be missing.
        """
        env = os.environ if env is None else env
        explicit = profile or env.get("MILLSTREAM_PROFILE")
        name = explicit or DEFAULT_PROFILE
        path = credentials_file or credentials_path(env)
        from_file = read_profile(path, name)
        if from_file is None and explicit:
            raise ConfigError(f"profile {name!r} not found in {path}")
        from_file = from_file or {}
        flags = {
            "url": url,
            "access_key_id": access_key_id,
            "access_key_secret": access_key_secret,
            "workspace": workspace,
            "namespace": namespace,
        }
        merged: dict[str, str] = {}
        for key in _KEYS:
            value = flags[key] or env.get(_ENV[key]) or from_file.get(key)
            if value:
                merged[key] = value
        config = cls(profile=name if from_file or explicit else None)
        return replace(
            config,
            url=merged.get("url", DEFAULT_URL).rstrip("/"),
            access_key_id=merged.get("access_key_id"),
            access_key_secret=merged.get("access_key_secret"),
            workspace=merged.get("workspace", DEFAULT_WORKSPACE),
            namespace=merged.get("namespace", DEFAULT_NAMESPACE),
        )
