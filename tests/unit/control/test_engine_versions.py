"""Engine versions: installed runtimes, the version map, aliases, metadata, upgrades."""

from __future__ import annotations

import pytest

from millstream.control.engine_versions import (
    EngineVersions,
    check_engine_change,
    runtime_cluster_name,
)
from millstream.domain.errors import ErrorCode, InvalidInput

BOTH = ["flink-2.3.0", "flink-1.20.5"]
VERSIONS = EngineVersions(installed=BOTH, aliases={})


@pytest.mark.parametrize(
    ("requested", "runtime"),
    [
        (None, "flink-2.3.0"),
        ("", "flink-2.3.0"),
        ("flink-1.20.5", "flink-1.20.5"),
        ("flink-1.20.1", "flink-1.20.5"),  # a patch not installed: the newest of its line
        ("vvr-4.0.14-flink-1.13", "flink-1.20.5"),
        ("vvr-8.0.11-flink-1.17", "flink-1.20.5"),
        ("vvr-11.1-jdk11-flink-1.20", "flink-1.20.5"),
        ("FLINK_VERSION_1_16", "flink-1.20.5"),
        ("FLINK_VERSION_1_17", "flink-1.20.5"),  # Volcengine
        ("flink-1.15", "flink-1.20.5"),  # DLI "1.15" (api/dli/mappers.engine_version)
        ("1.12", "flink-1.20.5"),
        ("flink-1.10", "flink-1.20.5"),
        ("flink-2.0", "flink-2.3.0"),
        ("vvr-12.0-flink-2.2", "flink-2.3.0"),
        ("flink-2.3.0", "flink-2.3.0"),
    ],
)
def test_the_default_table_lands_1x_on_1_20_and_2x_on_2_3(
    requested: str | None, runtime: str
) -> None:
    assert VERSIONS.resolve(requested) == runtime


def test_without_1_20_old_versions_run_on_2_3_and_say_so() -> None:
    only_2 = EngineVersions(installed=["flink-2.3.0"], aliases={})
    choice = only_2.choose("vvr-8.0.9-flink-1.17")
    assert choice.name == "flink-2.3.0"
    assert choice.describe() == (
        "runs on Flink 2.3.0 (requested vvr-8.0.9-flink-1.17; mapped by flink.version_map)"
    )


def test_a_choice_describes_the_runtime_and_the_request() -> None:
    assert VERSIONS.choose("FLINK_VERSION_1_17").describe() == (
        "runs on Flink 1.20.5 (requested FLINK_VERSION_1_17; mapped by flink.version_map)"
    )
    assert VERSIONS.choose("flink-1.20.5").describe() == "runs on Flink 1.20.5"
    assert VERSIONS.choose(None).describe() == "runs on Flink 2.3.0"


@pytest.mark.parametrize("requested", ["spark-3.5", "blink-3.4.4", "FLINK_VERSION_"])
def test_a_name_without_a_flink_version_is_rejected_with_the_valid_list(requested: str) -> None:
    with pytest.raises(InvalidInput, match=r"valid: flink-2\.3\.0, flink-1\.20\.5") as caught:
        VERSIONS.resolve(requested)
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION


@pytest.mark.parametrize("requested", ["FLINK_VERSION_1_9", "flink-1.8", "flink-3.0", "2.4"])
def test_a_version_that_maps_nowhere_is_an_error_never_a_substitute(requested: str) -> None:
    with pytest.raises(InvalidInput, match="version_map does not map it") as caught:
        VERSIONS.resolve(requested)
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION


def test_a_map_to_a_runtime_not_installed_is_an_error() -> None:
    strict = EngineVersions(installed=["flink-2.3.0"], aliases={}, version_map={"1.17": "1.20"})
    with pytest.raises(InvalidInput, match=r"no Flink 1\.20 runtime is installed.*install 1\.20"):
        strict.resolve("FLINK_VERSION_1_17")


def test_the_map_is_changeable() -> None:
    versions = EngineVersions(installed=BOTH, aliases={}, version_map={"1.17": "2.3"})
    assert versions.resolve("vvr-8.0.9-flink-1.17") == "flink-2.3.0"
    with pytest.raises(InvalidInput, match="does not map it"):
        versions.resolve("FLINK_VERSION_1_16")


def test_aliases_name_a_runtime_by_name_version_or_default() -> None:
    versions = EngineVersions(
        installed=BOTH,
        aliases={"lts": "1.20", "newest": "default", "pinned": "flink-2.3.0", "gone": "1.19"},
    )
    assert versions.resolve("lts") == "flink-1.20.5"
    assert versions.resolve("newest") == "flink-2.3.0"
    assert versions.resolve("pinned") == "flink-2.3.0"
    with pytest.raises(InvalidInput, match=r"alias 'gone' points at '1\.19'"):
        versions.resolve("gone")


def test_the_installed_list_may_change_while_running() -> None:
    installed = ["flink-2.3.0"]
    versions = EngineVersions(installed=lambda: installed, aliases={})
    assert versions.resolve("FLINK_VERSION_1_17") == "flink-2.3.0"
    installed.append("flink-1.20.5")
    assert versions.resolve("FLINK_VERSION_1_17") == "flink-1.20.5"
    assert versions.default == "flink-2.3.0"


def test_metadata_lists_runtimes_newest_first_then_the_names_they_run() -> None:
    metadata = EngineVersions(installed=["flink-1.20.5", "flink-2.3.0"], aliases={}).metadata()
    names = [m.name for m in metadata]
    assert names[:2] == ["flink-2.3.0", "flink-1.20.5"]
    assert [m.is_default for m in metadata][:3] == [True, False, False]
    by_name = {m.name: m for m in metadata}
    assert by_name["vvr-8.0.9-flink-1.17"].flink_version == "1.20.5"
    assert by_name["FLINK_VERSION_1_17"].runtime == "flink-1.20.5"
    assert by_name["flink-2.3.0"].support_native_savepoint is True


def test_metadata_skips_names_that_resolve_nowhere() -> None:
    versions = EngineVersions(
        installed=["flink-2.3.0"], aliases={}, version_map={}, offered=("vvr-8.0.9-flink-1.17",)
    )
    assert [m.name for m in versions.metadata()] == ["flink-2.3.0"]


def test_state_moves_from_1_x_to_2_x_but_never_back() -> None:
    old, new = VERSIONS.choose("flink-1.20.5"), VERSIONS.choose("flink-2.3.0")
    check_engine_change(old, new, has_state=True)  # Flink's documented migration path
    with pytest.raises(InvalidInput, match=r"from Flink 2\.3\.0 to Flink 1\.20\.5") as caught:
        check_engine_change(new, old, has_state=True)
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION
    check_engine_change(new, old, has_state=False)  # nothing to carry: any version


def test_runtime_clusters_have_valid_stable_names() -> None:
    assert runtime_cluster_name("1.20.5") == "runtime-1-20-5"


def test_volcengine_and_dli_requests_land_on_1_20_by_the_settings_default_table() -> None:
    from millstream.api.dli.mappers import engine_version
    from millstream.config import FlinkSettings

    settings = FlinkSettings()
    versions = EngineVersions(
        installed=BOTH, aliases=settings.version_aliases, version_map=settings.version_map
    )
    assert versions.resolve("FLINK_VERSION_1_17") == "flink-1.20.5"  # Volcengine
    assert versions.resolve(engine_version("1.15")) == "flink-1.20.5"  # DLI flink_version


def test_python_programs_go_to_the_runtime_with_pyflink_or_are_refused() -> None:
    versions = EngineVersions(installed=BOTH, aliases={"lts": "1.20"}, python_runtime="2.3.0")
    # a name carrying a version: the version map's next runtime with PyFlink
    choice = versions.choose("FLINK_VERSION_1_17", python=True)
    assert (choice.name, choice.mapped) == ("flink-2.3.0", True)
    assert versions.choose("vvr-11.1-jdk11-flink-1.20", python=True).name == "flink-2.3.0"
    assert versions.choose(None, python=True).name == "flink-2.3.0"
    # a runtime named exactly, or by an alias: refused, saying why
    for named in ("flink-1.20.5", "lts"):
        with pytest.raises(InvalidInput, match=r"no PyFlink here.*choose flink-2\.3\.0") as e:
            versions.choose(named, python=True)
        assert e.value.code == ErrorCode.INVALID_ENGINE_VERSION
    assert versions.choose("FLINK_VERSION_1_17").name == "flink-1.20.5"  # SQL and JARs
