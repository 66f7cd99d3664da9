"""The runtime catalog against a fake package index: a directory of tiny apache-flink
packages and ``FakePip``, which answers ``pip download`` from it the way pip does. The real
pip against such a directory: ``tests/integration/engine/test_runtime_index.py``."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from millstream.domain.errors import Conflict, EnginePermanentError, InvalidInput, NotFound
from millstream.engine.runtime_archives import unpack_libraries
from millstream.engine.runtime_index import PackageIndex
from millstream.engine.runtimes import RuntimeCatalog
from tests.unit.engine.flink_packages import flink_wheel, libraries_wheel

_FILE = re.compile(r"(?P<name>[a-z_]+)-(?P<version>\d+\.\d+\.\d+)-(?P<tags>.+)\.whl")


class FakePip:
    """``pip download <name>==<version or X.Y.*> --dest D [--abi cpXY]`` served from a
    directory of wheels; records what was asked for."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.specs: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        assert timeout > 0
        spec = command[4]
        with self._lock:
            self.specs.append(spec)
        name, _, wanted = spec.partition("==")
        abi = command[command.index("--abi") + 1] if "--abi" in command else None
        found = sorted(
            (tuple(int(n) for n in m["version"].split(".")), path)
            for path in self.index.iterdir()
            if (m := _FILE.fullmatch(path.name))
            and m["name"] == name.replace("-", "_")
            and re.fullmatch(re.escape(wanted).replace(r"\*", r"\d+"), m["version"])
            and (m["tags"] == "py3-none-any" or (abi is not None and abi in m["tags"]))
        )
        if not found:
            error = (
                f"ERROR: Could not find a version that satisfies the requirement {spec} "
                f"(from versions: none)\nERROR: No matching distribution found for {spec}\n"
            )
            return subprocess.CompletedProcess(command, 1, "", error)
        dest = Path(command[command.index("--dest") + 1])
        shutil.copy(found[-1][1], dest / found[-1][1].name)
        return subprocess.CompletedProcess(command, 0, "Saved\n", "")


@pytest.fixture
def index(tmp_path: Path) -> Path:
    packages = tmp_path / "index"
    packages.mkdir()
    for version in ("1.20.3", "1.20.4"):
        flink_wheel(packages, version)
        libraries_wheel(packages, version)
    flink_wheel(packages, "1.19.2")  # its libraries are missing
    return packages


@pytest.fixture
def pip(index: Path) -> FakePip:
    return FakePip(index)


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    home = tmp_path / "bundled"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "jobmanager.sh").write_text("#!/bin/sh\n")
    unpack_libraries(libraries_wheel(tmp_path, "2.3.0"), home)
    return home


def _catalog(root: Path, index: Path, pip: FakePip, bundled: Path) -> RuntimeCatalog:
    pip.index = index
    return RuntimeCatalog(root, bundled_home=bundled, index=PackageIndex(runner=pip))


def test_install_of_a_release_line_takes_its_newest_patch(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    catalog = _catalog(tmp_path / "runtimes", index, pip, bundled)
    result = catalog.install("1.20")
    assert result.installed
    assert result.runtime.version == "1.20.4"
    home = tmp_path / "runtimes" / "1.20.4"
    assert result.runtime.home == home.resolve()
    assert sorted(p.name for p in home.iterdir()) == [
        "bin", "conf", "lib", "opt", "plugins", "runtime.json",
    ]  # fmt: skip
    record = json.loads((home / "runtime.json").read_text())
    assert [p["file"] for p in record["packages"]] == [
        "apache_flink-1.20.4-py3-none-any.whl",
        "apache_flink_libraries-1.20.4-py3-none-any.whl",
    ]
    assert all(len(p["sha256"]) == 64 for p in record["packages"])
    assert [entry.name for entry in (tmp_path / "runtimes").iterdir() if entry.is_dir()] == [
        "1.20.4"
    ]  # no staging left behind


def test_list_shows_the_bundled_runtime_then_installed_ones_newest_first(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    catalog = _catalog(tmp_path / "runtimes", index, pip, bundled)
    assert [(r.version, r.bundled) for r in catalog.runtimes()] == [("2.3.0", True)]
    catalog.install("1.20.3")
    catalog.install("1.20.4")
    listed = catalog.runtimes()
    assert [(r.version, r.bundled) for r in listed] == [
        ("2.3.0", True), ("1.20.4", False), ("1.20.3", False),
    ]  # fmt: skip
    assert all(r.problem is None for r in listed)
    assert listed[1].size_bytes is not None
    assert listed[1].installed_at is not None


def test_a_second_install_is_a_no_op(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    catalog = _catalog(tmp_path / "runtimes", index, pip, bundled)
    catalog.install("1.20.4")
    asked = len(pip.specs)
    again = catalog.install("1.20.4")
    assert not again.installed
    assert len(pip.specs) == asked  # an exact version already there asks the index nothing
    line = catalog.install("1.20")
    assert not line.installed
    assert line.runtime.version == "1.20.4"
    assert "apache-flink-libraries==1.20.4" not in pip.specs[asked:]


def test_installing_the_bundled_version_is_a_no_op(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    result = _catalog(tmp_path / "runtimes", index, pip, bundled).install("2.3.0")
    assert not result.installed
    assert result.runtime.bundled
    assert pip.specs == []


def test_concurrent_installs_of_one_version_download_it_once(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    results = []

    def install() -> None:
        results.append(_catalog(tmp_path / "runtimes", index, pip, bundled).install("1.20.4"))

    threads = [threading.Thread(target=install) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.installed for r in results) == [False, True]
    assert pip.specs.count("apache-flink-libraries==1.20.4") == 1


@pytest.mark.parametrize("version", ["1.17", "1.10.0", "0.9"])
def test_versions_before_1_18_are_refused_without_asking_the_index(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path, version: str
) -> None:
    with pytest.raises(InvalidInput, match=r"need Flink 1\.18 or newer \(Java 17\)"):
        _catalog(tmp_path / "runtimes", index, pip, bundled).install(version)
    assert pip.specs == []


@pytest.mark.parametrize("version", ["latest", "1", "1.20.x", "1.20.4.1", ""])
def test_malformed_versions_are_refused(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path, version: str
) -> None:
    with pytest.raises(InvalidInput, match="not a Flink version"):
        _catalog(tmp_path / "runtimes", index, pip, bundled).install(version)


def test_a_version_missing_from_the_index_is_not_found(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    with pytest.raises(NotFound, match=r"apache-flink-libraries==1\.19\.2 is not on the"):
        _catalog(tmp_path / "runtimes", index, pip, bundled).install("1.19")
    assert not (tmp_path / "runtimes" / "1.19.2").exists()


def test_a_package_whose_dist_jar_states_another_version_is_refused_and_left_out(
    tmp_path: Path, pip: FakePip, bundled: Path
) -> None:
    packages = tmp_path / "bad-index"
    packages.mkdir()
    flink_wheel(packages, "1.20.4")
    libraries_wheel(packages, "1.20.4", manifest_version="1.20.1")
    catalog = _catalog(tmp_path / "runtimes", packages, pip, bundled)
    with pytest.raises(EnginePermanentError, match=r"dist jar says 1\.20\.1"):
        catalog.install("1.20.4")
    assert [p.name for p in (tmp_path / "runtimes").iterdir() if p.is_dir()] == []
    assert [r.version for r in catalog.runtimes()] == ["2.3.0"]


def test_remove_deletes_an_installed_runtime(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    catalog = _catalog(tmp_path / "runtimes", index, pip, bundled)
    catalog.install("1.20.4")
    removed = catalog.remove("1.20")
    assert removed.version == "1.20.4"
    assert not (tmp_path / "runtimes" / "1.20.4").exists()
    assert [r.version for r in catalog.runtimes()] == ["2.3.0"]
    assert [p.name for p in (tmp_path / "runtimes").iterdir() if p.is_dir()] == []


def test_remove_refuses_the_bundled_runtime(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    with pytest.raises(Conflict, match="bundled runtime"):
        _catalog(tmp_path / "runtimes", index, pip, bundled).remove("2.3")
    assert (bundled / "bin" / "jobmanager.sh").is_file()


def test_remove_of_a_version_not_installed_is_not_found(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    with pytest.raises(NotFound, match=r"no Flink 1\.19 runtime is installed"):
        _catalog(tmp_path / "runtimes", index, pip, bundled).remove("1.19")


def test_remove_of_an_ambiguous_release_line_names_the_candidates(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    catalog = _catalog(tmp_path / "runtimes", index, pip, bundled)
    catalog.install("1.20.3")
    catalog.install("1.20.4")
    with pytest.raises(InvalidInput, match=r"1\.20\.(3|4), 1\.20\.(3|4)"):
        catalog.remove("1.20")


def test_an_install_sweeps_staging_left_by_a_crash_but_not_a_live_one(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    root = tmp_path / "runtimes"
    crashed, live = root / ".staging-crashed", root / ".staging-live"
    for staging in (crashed, live):
        staging.mkdir(parents=True)
        (staging / ".owner").touch()
    (root / ".removing-1.20.1-abcd").mkdir()
    with (live / ".owner").open("a") as owner:
        fcntl.flock(owner.fileno(), fcntl.LOCK_EX)
        _catalog(root, index, pip, bundled).install("1.20.4")
        assert live.exists()
    assert not crashed.exists()
    assert not (root / ".removing-1.20.1-abcd").exists()


def test_a_broken_runtime_directory_is_listed_with_its_problem(
    tmp_path: Path, index: Path, pip: FakePip, bundled: Path
) -> None:
    (tmp_path / "runtimes" / "1.20.4" / "bin").mkdir(parents=True)
    catalog = _catalog(tmp_path / "runtimes", index, pip, bundled)
    broken = catalog.runtimes()[1]
    assert broken.problem is not None
    assert "no flink-dist jar" in broken.problem
    with pytest.raises(Conflict, match=r"remove it with `millstream runtimes remove 1\.20\.4`"):
        catalog.install("1.20.4")
