"""Engine versions: installed runtimes, exact and pattern aliases, metadata."""

from __future__ import annotations

import pytest

from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.domain.errors import ErrorCode, InvalidInput

VERSIONS = EngineVersions(installed=["flink-2.3.0", "flink-1.20.1"], aliases=DEFAULT_ALIASES)


@pytest.mark.parametrize(
    ("requested", "runtime"),
    [
        (None, "flink-2.3.0"),
        ("", "flink-2.3.0"),
        ("flink-1.20.1", "flink-1.20.1"),
        ("vvr-4.0.14-flink-1.13", "flink-2.3.0"),
        ("vvr-8.0.11-flink-1.17", "flink-2.3.0"),
        ("FLINK_VERSION_1_16", "flink-2.3.0"),
        ("FLINK_VERSION_1_11", "flink-2.3.0"),
        ("FLINK_VERSION_1_17", "flink-2.3.0"),
        ("blink-3.4.4", "flink-2.3.0"),
    ],
)
def test_names_resolve_to_installed_runtimes(requested: str | None, runtime: str) -> None:
    assert VERSIONS.resolve(requested) == runtime


def test_unknown_version_is_rejected_with_the_valid_list() -> None:
    with pytest.raises(InvalidInput, match=r"valid: flink-2\.3\.0, flink-1\.20\.1") as caught:
        VERSIONS.resolve("spark-3.5")
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION


@pytest.mark.parametrize(
    "requested", ["FLINK_VERSION_9_99", "FLINK_VERSION_1_18", "FLINK_VERSION_"]
)
def test_only_the_volcengine_sdks_engine_versions_are_aliased(requested: str) -> None:
    # The SDK enumerates FLINK_VERSION_1_11/1_16/1_17; anything else must not start a job.
    with pytest.raises(InvalidInput, match="is not available here") as caught:
        VERSIONS.resolve(requested)
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION


def test_alias_to_an_uninstalled_runtime_is_rejected() -> None:
    versions = EngineVersions(installed=["flink-2.3.0"], aliases={"vvr-*": "flink-1.17"})
    with pytest.raises(InvalidInput, match="not installed"):
        versions.resolve("vvr-8.0.9-flink-1.17")


def test_configured_aliases_replace_the_defaults() -> None:
    versions = EngineVersions(installed=["flink-2.3.0"], aliases={"my-flink": "flink-2.3.0"})
    assert versions.resolve("my-flink") == "flink-2.3.0"
    with pytest.raises(InvalidInput):
        versions.resolve("vvr-8.0.9-flink-1.17")


def test_metadata_lists_runtimes_then_exact_aliases() -> None:
    metadata = VERSIONS.metadata()
    names = [m.name for m in metadata]
    assert names == [
        "flink-2.3.0",
        "flink-1.20.1",
        "vvr-8.0.9-flink-1.17",
        "vvr-4.0.14-flink-1.13",
        "FLINK_VERSION_1_16",
    ]
    assert [m.is_default for m in metadata] == [True, False, False, False, False]
    assert {m.status for m in metadata} == {"STABLE"}
    assert all(m.use_for_sql_deployments for m in metadata)
    assert metadata[0].support_native_savepoint is True


def test_metadata_skips_aliases_of_uninstalled_runtimes() -> None:
    versions = EngineVersions(
        installed=["flink-1.13.6"], aliases={"old": "flink-1.13.6", "gone": "flink-1.12"}
    )
    metadata = versions.metadata()
    assert [m.name for m in metadata] == ["flink-1.13.6", "old"]
    assert metadata[1].runtime == "flink-1.13.6"
    assert metadata[1].support_native_savepoint is False
