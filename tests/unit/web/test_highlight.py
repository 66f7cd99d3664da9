"""SQL highlighting of the deployment page: escaped HTML per line, keywords classed."""

from __future__ import annotations

from millstream.web.highlight import highlight_sql


def test_one_entry_per_source_line_and_no_phantom_last_line() -> None:
    assert [line.number for line in highlight_sql("SELECT 1;\nSELECT 2;\n")] == [1, 2]
    assert [line.number for line in highlight_sql("SELECT 1;\n\nSELECT 2;")] == [1, 2, 3]


def test_keywords_and_strings_get_token_classes() -> None:
    (line,) = highlight_sql("SELECT 'x' FROM t")
    assert '<span class="t-k">SELECT</span>' in line.html
    assert 't-s1">&#39;x&#39;</span>' in line.html


def test_markup_in_sql_is_escaped() -> None:
    (line,) = highlight_sql("SELECT '<script>alert(1)</script>'")
    assert "<script>" not in line.html
    assert "&lt;script&gt;" in line.html


def test_multiline_comments_keep_their_lines() -> None:
    lines = highlight_sql("/* a\nb */ SELECT 1")
    assert len(lines) == 2
    assert "t-cm" in lines[0].html
    assert "t-cm" in lines[1].html
