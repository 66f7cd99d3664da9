"""The SQL file rules of ``domain.sql_files``: names, script size, description and
session cluster names."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidInput, PayloadTooLarge
from millstream.domain.sql_files import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_SCRIPT_BYTES,
    check_description,
    check_script,
    check_session_cluster,
    check_sql_file_name,
)


@pytest.mark.parametrize("name", ["report.sql", "a", "日报 v2", "x" * MAX_NAME])
def test_good_sql_file_names_are_kept(name: str) -> None:
    assert check_sql_file_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * (MAX_NAME + 1), "at most 128"),
        (" padded", "blanks"),
        ("a/b", "slash"),
        ("a\\b", "slash"),
        ("line\nbreak", "control"),
        ("zero\u200bwidth", "control"),
        ("nul\x00", "control"),
    ],
)
def test_bad_sql_file_names_are_refused(name: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        check_sql_file_name(name)


def test_a_script_up_to_the_bound_is_kept() -> None:
    script = "-" * MAX_SCRIPT_BYTES
    assert check_script(script) is script
    assert check_script("") == ""


def test_a_script_over_the_bound_is_too_large_counted_in_utf8_bytes() -> None:
    # 2 bytes per character: half as many characters already exceed the bound.
    script = "é" * (MAX_SCRIPT_BYTES // 2 + 1)
    with pytest.raises(PayloadTooLarge, match=f"at most {MAX_SCRIPT_BYTES} bytes"):
        check_script(script)


@pytest.mark.parametrize("script", ["SELECT '\x00';", "SELECT '\ud800';"])
def test_a_script_with_nul_or_lone_surrogates_is_refused(script: str) -> None:
    with pytest.raises(InvalidInput):
        check_script(script)


def test_descriptions_are_bounded() -> None:
    assert check_description(None) is None
    assert check_description("d" * MAX_DESCRIPTION) == "d" * MAX_DESCRIPTION
    with pytest.raises(InvalidInput, match="description"):
        check_description("d" * (MAX_DESCRIPTION + 1))
    assert check_description("two\nlines") == "two\nlines"
    with pytest.raises(InvalidInput, match="surrogates"):
        check_description("half \ud800 a character")


def test_session_cluster_names_empty_means_none_and_bad_ones_are_refused() -> None:
    assert check_session_cluster("") is None
    assert check_session_cluster(None) is None
    assert check_session_cluster("sc-1") == "sc-1"
    with pytest.raises(InvalidInput, match="session cluster"):
        check_session_cluster("bad\tname")
