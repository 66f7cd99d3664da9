"""``millstream runtimes``: output formats, errors and exit codes (no package index needed).

Installs through the real pip: ``tests/integration/engine/test_runtime_index.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from millstream.cli.main import app
from millstream.cli.state import CliState
from millstream.engine.runtime_archives import unpack_libraries, unpack_scripts
from tests.unit.engine.flink_packages import flink_wheel, libraries_wheel


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    home = tmp_path / "bundled"
    unpack_scripts(flink_wheel(tmp_path, "2.3.0"), home)
    unpack_libraries(libraries_wheel(tmp_path, "2.3.0"), home)
    return home


def _run(tmp_path: Path, bundled: Path, *args: str) -> Result:
    env = {
        "MILLSTREAM_FLINK__FLINK_HOME": str(bundled),
        "MILLSTREAM_CONFIG": str(tmp_path / "absent.toml"),
        "COLUMNS": "250",
    }
    command = ["runtimes", *args, "--data-dir", str(tmp_path / "data")]
    return CliRunner().invoke(app, command, obj=CliState(), env=env)


def _install_fake(tmp_path: Path, version: str) -> None:
    home = tmp_path / "data" / "runtimes" / version
    unpack_scripts(flink_wheel(tmp_path, version), home)
    unpack_libraries(libraries_wheel(tmp_path, version), home)


def test_list_as_json_shows_bundled_and_installed_runtimes(tmp_path: Path, bundled: Path) -> None:
    _install_fake(tmp_path, "1.20.4")
    result = _run(tmp_path, bundled, "list", "-o", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["version"], r["source"]) for r in rows] == [
        ("2.3.0", "bundled"),
        ("1.20.4", "installed"),
    ]
    assert rows[1]["home"] == str((tmp_path / "data" / "runtimes" / "1.20.4").resolve())


def test_list_as_a_table_marks_the_bundled_runtime(tmp_path: Path, bundled: Path) -> None:
    result = _run(tmp_path, bundled, "list")
    assert result.exit_code == 0, result.output
    assert "VERSION" in result.stdout
    assert "2.3.0" in result.stdout
    assert "bundled" in result.stdout


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (("install", "1.17"), 1, "need Flink 1.18 or newer"),
        (("install", "newest"), 1, "not a Flink version"),
        (("remove", "2.3"), 4, "bundled runtime"),
        (("remove", "1.19"), 3, "no Flink 1.19 runtime is installed"),
    ],
)
def test_errors_have_a_message_and_an_exit_code(
    tmp_path: Path, bundled: Path, args: tuple[str, ...], exit_code: int, message: str
) -> None:
    result = _run(tmp_path, bundled, *args)
    assert result.exit_code == exit_code
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_remove_prints_what_it_removed(tmp_path: Path, bundled: Path) -> None:
    _install_fake(tmp_path, "1.19.3")
    result = _run(tmp_path, bundled, "remove", "1.19", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == "1.19.3"
    assert not (tmp_path / "data" / "runtimes" / "1.19.3").exists()


def test_install_of_the_bundled_version_is_a_no_op(tmp_path: Path, bundled: Path) -> None:
    result = _run(tmp_path, bundled, "install", "2.3.0", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["installed"] is False
    assert "already present" in result.stderr
