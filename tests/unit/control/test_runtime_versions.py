"""Flink versions and the explicit table that maps versions without a runtime to one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from millstream.config import FlinkSettings
from millstream.control.runtime_versions import (
    DEFAULT_VERSION_MAP,
    FlinkVersion,
    check_version_map,
    choose_runtime,
    flink_version_of,
)
from millstream.domain.errors import ErrorCode, InvalidInput

INSTALLED = ["2.3.0", "1.20.5", "1.20.4", "1.19.3"]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1.20", FlinkVersion(1, 20)),
        ("1.20.5", FlinkVersion(1, 20, 5)),
        (" 2.3.0 ", FlinkVersion(2, 3, 0)),
    ],
)
def test_versions_parse(text: str, parsed: FlinkVersion) -> None:
    assert FlinkVersion.parse(text) == parsed
    assert str(parsed) == text.strip()


@pytest.mark.parametrize("text", ["", "1", "1.20.x", "v1.20", "1.20.5.1", "1.20-SNAPSHOT"])
def test_malformed_versions_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a Flink version") as caught:
        FlinkVersion.parse(text)
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION


@pytest.mark.parametrize(
    ("requested", "runtime", "mapped"),
    [
        ("2.3", "2.3.0", False),
        ("1.20", "1.20.5", False),  # a line: its newest installed patch
        ("1.20.4", "1.20.4", False),  # an exact version: that one
        ("1.19.3", "1.19.3", False),
        ("1.17", "1.20.5", True),  # Volcengine FLINK_VERSION_1_17
        ("1.15", "1.20.5", True),  # DLI "1.15"
        ("1.13.6", "1.20.5", True),
        ("1.10", "1.20.5", True),
    ],
)
def test_the_default_table_runs_old_versions_on_the_newest_1_20(
    requested: str, runtime: str, mapped: bool
) -> None:
    choice = choose_runtime(requested, installed=INSTALLED, table=DEFAULT_VERSION_MAP)
    assert (choice.runtime, choice.mapped) == (runtime, mapped)
    assert choice.requested == FlinkVersion.parse(requested)


def test_a_choice_says_which_runtime_runs_it_and_why() -> None:
    mapped = choose_runtime("1.17", installed=INSTALLED, table=DEFAULT_VERSION_MAP)
    assert mapped.describe() == ("Flink 1.17 runs on runtime 1.20.5 (mapped by flink.version_map)")
    own = choose_runtime("2.3", installed=INSTALLED, table=DEFAULT_VERSION_MAP)
    assert own.describe() == "Flink 2.3 runs on runtime 2.3.0"


@pytest.mark.parametrize("requested", ["1.9", "1.8.3", "0.10"])
def test_a_version_the_table_does_not_map_is_an_error(requested: str) -> None:
    with pytest.raises(InvalidInput, match=r"flink\.version_map does not map it") as caught:
        choose_runtime(requested, installed=INSTALLED, table=DEFAULT_VERSION_MAP)
    assert caught.value.code == ErrorCode.INVALID_ENGINE_VERSION


def test_a_supported_version_not_installed_is_an_error_never_a_substitute() -> None:
    with pytest.raises(InvalidInput, match=r"no Flink 2\.5 runtime is installed.*install 2\.5"):
        choose_runtime("2.5", installed=INSTALLED, table=DEFAULT_VERSION_MAP)
    with pytest.raises(InvalidInput, match=r"no Flink 1\.18 runtime is installed"):
        choose_runtime("1.18", installed=INSTALLED, table={})


def test_a_mapped_target_not_installed_names_the_table() -> None:
    with pytest.raises(InvalidInput, match=r"flink\.version_map maps Flink 1\.17 to it"):
        choose_runtime("1.17", installed=["2.3.0"], table={"1.17": "1.20"})


def test_the_table_is_changeable_by_exact_version_or_line() -> None:
    table = {"1.17": "2.3", "1.16.3": "1.19", "1.19": "1.20"}
    assert choose_runtime("1.17.2", installed=INSTALLED, table=table).runtime == "2.3.0"
    assert choose_runtime("1.16.3", installed=INSTALLED, table=table).runtime == "1.19.3"
    with pytest.raises(InvalidInput, match="does not map it"):
        choose_runtime("1.16.2", installed=INSTALLED, table=table)
    # A line with a runtime of its own runs there: the table is for lines without one.
    assert choose_runtime("1.19", installed=INSTALLED, table=table).runtime == "1.19.3"


def test_a_table_entry_lists_runtimes_in_order_of_preference() -> None:
    table = {"1.17": "1.20,2.3"}
    assert choose_runtime("1.17", installed=INSTALLED, table=table).runtime == "1.20.5"
    assert choose_runtime("1.17", installed=["2.3.0"], table=table).runtime == "2.3.0"


def test_a_table_pointing_below_1_18_is_refused_at_use() -> None:
    with pytest.raises(InvalidInput, match="which can have no runtime here"):
        choose_runtime("1.15", installed=INSTALLED, table={"1.15": "1.16"})


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("vvr-8.0.9-flink-1.17", FlinkVersion(1, 17)),
        ("vvr-4.0.14-flink-1.13", FlinkVersion(1, 13)),
        ("FLINK_VERSION_1_17", FlinkVersion(1, 17)),
        ("1.15", FlinkVersion(1, 15)),
        ("flink-1.20.5", FlinkVersion(1, 20, 5)),
        ("vvr-8.0.9", None),
        ("blink-3.4.4", None),
        ("spark-3.5", None),
        ("FLINK_VERSION_", None),
    ],
)
def test_engine_version_names_carry_a_flink_version(
    name: str, version: FlinkVersion | None
) -> None:
    assert flink_version_of(name) == version


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"1.15": "1.16"}, r"targets must be Flink 1\.18 or newer"),
        ({"latest": "1.20"}, "not a Flink version"),
        ({"1.15": "newest"}, "not a Flink version"),
    ],
)
def test_bad_tables_are_refused_in_the_settings(table: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_version_map(table)
    with pytest.raises(ValidationError, match=message):
        FlinkSettings(version_map=table)


def test_the_settings_default_table_is_the_documented_one() -> None:
    assert FlinkSettings().version_map == {
        **{f"1.{m}": "1.20,2.3" for m in range(10, 20)},
        "1.20": "2.3",
        "2.0": "2.3",
        "2.1": "2.3",
        "2.2": "2.3",
    }
