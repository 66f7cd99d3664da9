"""Unpacking a Flink distribution from the apache-flink packages, and its version."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from millstream.domain.errors import EnginePermanentError
from millstream.engine.runtime_archives import (
    dist_version,
    unpack_libraries,
    unpack_scripts,
    verify_distribution,
)
from tests.unit.engine.flink_packages import (
    dist_jar_bytes,
    flink_wheel,
    libraries_sdist,
    libraries_wheel,
)


def test_scripts_and_configuration_come_from_the_flink_wheel_without_python(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    unpack_scripts(flink_wheel(tmp_path, "1.20.4"), home)
    assert sorted(p.name for p in home.iterdir()) == ["bin", "conf"]
    script = home / "bin" / "jobmanager.sh"
    assert script.stat().st_mode & stat.S_IXUSR
    assert not (home / "conf" / "config.yaml").stat().st_mode & stat.S_IXUSR


def test_jars_come_from_a_libraries_source_archive_without_licenses_or_setup(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    unpack_libraries(libraries_sdist(tmp_path / "libs.tar.gz", "1.20.4"), home)
    assert sorted(p.name for p in home.iterdir()) == ["bin", "lib", "opt", "plugins"]
    assert (home / "lib" / "flink-dist-1.20.4.jar").is_file()
    assert dist_version(home) == "1.20.4"


def test_jars_come_from_a_libraries_wheel(tmp_path: Path) -> None:
    home = tmp_path / "home"
    unpack_libraries(libraries_wheel(tmp_path, "2.2.1"), home)
    assert sorted(p.name for p in home.iterdir()) == ["bin", "lib", "opt", "plugins"]
    assert dist_version(home) == "2.2.1"


def test_a_member_climbing_out_of_the_home_is_refused(tmp_path: Path) -> None:
    evil = {"apache_flink_libraries-1.20.4/deps/lib/../../../../escaped.jar": b"x"}
    archive = libraries_sdist(tmp_path / "libs.tar.gz", "1.20.4", extra=evil)
    with pytest.raises(EnginePermanentError, match="unsafe path"):
        unpack_libraries(archive, tmp_path / "home")
    assert not (tmp_path / "escaped.jar").exists()


def test_links_in_a_source_archive_are_not_unpacked(tmp_path: Path) -> None:
    link = "apache_flink_libraries-1.20.4/deps/lib/passwd"
    archive = libraries_sdist(tmp_path / "libs.tar.gz", "1.20.4", link=link)
    unpack_libraries(archive, tmp_path / "home")
    assert not (tmp_path / "home" / "lib" / "passwd").exists()


def test_version_is_read_from_the_dist_jar_manifest_not_its_name(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "flink-dist-1.20.4.jar").write_bytes(dist_jar_bytes("1.20.3"))
    assert dist_version(tmp_path) == "1.20.3"


def test_version_falls_back_to_the_dist_jar_name(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "flink-dist-1.19.2.jar").write_bytes(dist_jar_bytes(None))
    assert dist_version(tmp_path) == "1.19.2"


def test_verification_refuses_a_home_without_jobmanager_script(tmp_path: Path) -> None:
    unpack_libraries(libraries_wheel(tmp_path, "2.2.1"), tmp_path / "home")
    with pytest.raises(EnginePermanentError, match=r"bin/jobmanager\.sh"):
        verify_distribution(tmp_path / "home", "2.2.1")


def test_verification_refuses_a_dist_jar_of_another_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    unpack_scripts(flink_wheel(tmp_path, "2.2.1"), home)
    unpack_libraries(libraries_wheel(tmp_path, "2.2.1", manifest_version="2.2.0"), home)
    with pytest.raises(EnginePermanentError, match=r"dist jar says 2\.2\.0"):
        verify_distribution(home, "2.2.1")


def test_verification_refuses_a_home_without_dist_jar(tmp_path: Path) -> None:
    unpack_scripts(flink_wheel(tmp_path, "2.2.1"), tmp_path / "home")
    with pytest.raises(EnginePermanentError, match="no flink-dist jar"):
        verify_distribution(tmp_path / "home", "2.2.1")
