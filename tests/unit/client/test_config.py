"""Settings precedence (flags > env > profile file > defaults) and the profile file itself."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from millstream.client import (
    ClientConfig,
    ConfigError,
    credentials_path,
    read_profile,
    write_profile,
)

FILE_PROFILE = {
    "url": "http://from-file:1",
    "access_key_id": "AK-file",
    "access_key_secret": "SK-file",
    "workspace": "ws-file",
    "namespace": "ns-file",
}


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    path = tmp_path / "credentials"
    write_profile(path, "default", **FILE_PROFILE)
    write_profile(
        path, "prod", url="http://prod:8080", access_key_id="AK-prod", access_key_secret="S%prod"
    )
    return path


def test_defaults_without_anything(tmp_path: Path) -> None:
    config = ClientConfig.load(env={}, credentials_file=tmp_path / "missing")
    assert (config.url, config.workspace, config.namespace) == (
        "http://127.0.0.1:8080",
        "default",
        "default-namespace",
    )
    assert config.access_key_id is None
    assert config.profile is None


def test_profile_file_fills_everything(creds: Path) -> None:
    config = ClientConfig.load(env={}, credentials_file=creds)
    assert (
        config.url,
        config.access_key_id,
        config.access_key_secret,
        config.workspace,
        config.namespace,
    ) == tuple(FILE_PROFILE.values())
    assert config.profile == "default"


def test_env_beats_file_and_flags_beat_env(creds: Path) -> None:
    env = {
        "MILLSTREAM_URL": "http://from-env:2/",
        "MILLSTREAM_NAMESPACE": "ns-env",
        "MILLSTREAM_ACCESS_KEY_ID": "AK-env",
    }
    config = ClientConfig.load(env=env, credentials_file=creds, namespace="ns-flag")
    assert config.url == "http://from-env:2"  # trailing slash dropped
    assert config.namespace == "ns-flag"
    assert config.access_key_id == "AK-env"
    assert config.access_key_secret == "SK-file"
    assert config.workspace == "ws-file"


def test_profile_chosen_by_env_or_argument(creds: Path) -> None:
    by_env = ClientConfig.load(env={"MILLSTREAM_PROFILE": "prod"}, credentials_file=creds)
    assert (by_env.url, by_env.access_key_secret, by_env.profile) == (
        "http://prod:8080",
        "S%prod",
        "prod",
    )
    by_arg = ClientConfig.load(
        "prod", env={"MILLSTREAM_PROFILE": "default"}, credentials_file=creds
    )
    assert by_arg.access_key_id == "AK-prod"
    assert by_arg.namespace == "default-namespace"  # not in that profile: the default


def test_explicit_missing_profile_is_an_error(creds: Path) -> None:
    with pytest.raises(ConfigError, match="profile 'nope' not found"):
        ClientConfig.load("nope", env={}, credentials_file=creds)


def test_credentials_file_location_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert credentials_path({"MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "c")}) == tmp_path / "c"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert credentials_path({}) == tmp_path / ".millstream" / "credentials"
    write_profile(tmp_path / "c", "default", url="http://via-env:3")
    config = ClientConfig.load(env={"MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "c")})
    assert config.url == "http://via-env:3"


def test_written_file_is_private_and_keeps_other_profiles(tmp_path: Path) -> None:
    path = tmp_path / "new-dir" / "credentials"
    write_profile(path, "a", access_key_id="AK-a", access_key_secret="SK-a")
    write_profile(path, "b", access_key_id="AK-b")
    write_profile(path, "a", url="http://a:1")  # updates, keeps a's key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_profile(path, "a") == {
        "access_key_id": "AK-a",
        "access_key_secret": "SK-a",
        "url": "http://a:1",
    }
    assert read_profile(path, "b") == {"access_key_id": "AK-b"}
    assert read_profile(path, "c") is None
    assert [p.name for p in path.parent.iterdir()] == ["credentials"]  # no temp file left


def test_rewriting_a_world_readable_file_makes_it_private(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[default]\nurl = http://x:1\n")
    path.chmod(0o644)
    write_profile(path, "default", access_key_secret="s")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("not an ini file\n")
    with pytest.raises(ConfigError, match="cannot read credentials file"):
        ClientConfig.load(env={}, credentials_file=path)
