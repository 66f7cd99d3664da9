"""Runtimes downloaded by the real pip: from a local directory of fake apache-flink packages
(``--no-index --find-links``), and, marked ``flink``, a real Flink 1.20 from the package index."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from millstream.cli.main import app
from millstream.cli.state import CliState
from millstream.domain.errors import NotFound, Unavailable
from millstream.engine.runtime_archives import dist_version
from millstream.engine.runtime_index import PackageIndex
from millstream.engine.runtimes import RuntimeCatalog
from tests.unit.engine.flink_packages import flink_wheel, libraries_wheel


def _local(index: Path, root: Path) -> RuntimeCatalog:
    pip = PackageIndex(pip_args=["--no-index", "--find-links", str(index)], timeout=120)
    return RuntimeCatalog(root, bundled_home=None, index=pip)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    packages = tmp_path / "index"
    packages.mkdir()
    for version in ("1.20.3", "1.20.4"):
        flink_wheel(packages, version)
        libraries_wheel(packages, version)
    flink_wheel(packages, "1.18.1", tag="cp310-cp310-manylinux2014_x86_64")
    libraries_wheel(packages, "1.18.1")
    return packages


def test_pip_brings_the_newest_patch_of_a_line_once(tmp_path: Path, index: Path) -> None:
    catalog = _local(index, tmp_path / "runtimes")
    first = catalog.install("1.20")
    assert (first.installed, first.runtime.version) == (True, "1.20.4")
    assert (tmp_path / "runtimes" / "1.20.4" / "bin" / "jobmanager.sh").is_file()
    again = catalog.install("1.20")
    assert (again.installed, again.runtime.version) == (False, "1.20.4")


def test_pip_takes_a_wheel_built_for_another_python_when_ours_has_none(
    tmp_path: Path, index: Path
) -> None:
    result = _local(index, tmp_path / "runtimes").install("1.18")
    assert result.runtime.version == "1.18.1"
    assert dist_version(result.runtime.home) == "1.18.1"


def test_a_release_missing_from_the_index_is_not_found_with_what_it_has(
    tmp_path: Path, index: Path
) -> None:
    with pytest.raises(NotFound, match=r"apache-flink==1\.19\.\* is not on the package index"):
        _local(index, tmp_path / "runtimes").install("1.19")


def test_an_unreachable_index_is_reported_as_such(tmp_path: Path) -> None:
    nowhere = ["--index-url", "http://127.0.0.1:9/simple", "--retries", "0", "--timeout", "2"]
    catalog = RuntimeCatalog(
        tmp_path / "runtimes", bundled_home=None, index=PackageIndex(pip_args=nowhere)
    )
    with pytest.raises(Unavailable, match="the package index cannot be reached"):
        catalog.install("1.20.4")
    assert [p.name for p in (tmp_path / "runtimes").iterdir() if p.is_dir()] == []


def _cli(tmp_path: Path, pip_env: dict[str, str], *args: str) -> Result:
    env = {"MILLSTREAM_CONFIG": str(tmp_path / "absent.toml"), **pip_env}
    command = ["runtimes", *args, "--data-dir", str(tmp_path / "data")]
    return CliRunner().invoke(app, command, obj=CliState(), env=env)


def test_cli_install_reports_the_installed_runtime_as_json(tmp_path: Path, index: Path) -> None:
    pip_env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index)}
    result = _cli(tmp_path, pip_env, "install", "1.20", "-o", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["version"], shown["installed"]) == ("1.20.4", True)
    assert "downloading apache-flink-libraries 1.20.4" in result.stderr
    listed = json.loads(_cli(tmp_path, pip_env, "list", "-o", "json").stdout)
    assert ("1.20.4", "installed") in [(r["version"], r["source"]) for r in listed]


def test_cli_install_exits_6_when_the_index_cannot_be_reached(tmp_path: Path) -> None:
    pip_env = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
    result = _cli(tmp_path, pip_env, "install", "1.20")
    assert result.exit_code == 6
    assert "the package index cannot be reached" in " ".join(result.stderr.split())


@pytest.mark.flink
def test_a_real_flink_1_20_installs_from_the_package_index(tmp_path: Path) -> None:
    catalog = RuntimeCatalog(tmp_path / "runtimes", bundled_home=None)
    started = time.monotonic()
    try:
        result = catalog.install("1.20")
    except Unavailable as exc:
        pytest.skip(f"the package index cannot be reached: {exc}")
    elapsed = time.monotonic() - started
    home = result.runtime.home
    assert result.installed
    assert result.runtime.version.startswith("1.20.")
    assert (home / "bin" / "jobmanager.sh").is_file()
    assert dist_version(home) == result.runtime.version
    assert sorted(p.name for p in home.iterdir()) == [
        "bin", "conf", "lib", "opt", "plugins", "runtime.json",
    ]  # fmt: skip
    assert result.runtime.size_bytes is not None
    assert 100 * 2**20 < result.runtime.size_bytes < 600 * 2**20
    assert elapsed < 900
    catalog.remove(result.runtime.version)  # 240 MB: do not leave it in pytest's tmp dirs
    assert not home.exists()
