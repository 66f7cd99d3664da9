"""Server-side SQL syntax highlighting for the console (pygments' SQL lexer, our own HTML).

``highlight_sql`` returns one ``SqlLine`` per source line so templates can number lines
and mark the one Flink rejected (``InvalidSql.line`` / ``.column``); token classes are
pygments' short names (``k`` keyword, ``s`` string …) prefixed ``t-`` and styled in
``static/console.css``.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape
from pygments.lexers.sql import SqlLexer
from pygments.token import STANDARD_TYPES, _TokenType

__all__ = ["SqlLine", "highlight_sql"]

_LEXER = SqlLexer(stripnl=False, ensurenl=False)


@dataclass(frozen=True, slots=True)
class SqlLine:
    number: int
    html: Markup
    error: bool = False
    error_column: int | None = None  # 1-based, only on the error line


def _css_class(token: _TokenType) -> str:
    while token not in STANDARD_TYPES and token.parent is not None:
        token = token.parent
    return STANDARD_TYPES.get(token, "")


def highlight_sql(
    script: str, *, error_line: int | None = None, error_column: int | None = None
) -> list[SqlLine]:
    """Highlighted lines of ``script``; the line ``error_line`` (1-based) is flagged and,
    carries ``error_column`` for the caret a template draws under it."""
    lines: list[list[str]] = [[]]
    for token, value in _LEXER.get_tokens(script):
        css = _css_class(token)
        css = "" if css == "w" else css
        for index, part in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if part:
                text = str(escape(part))
                lines[-1].append(f'<span class="t-{css}">{text}</span>' if css else text)
    if script.endswith("\n") and len(lines) > 1:
        lines.pop()  # a final newline ends the last line, it does not start a new one
    result: list[SqlLine] = []
    for number, parts in enumerate(lines, start=1):
        html = "".join(parts)
        is_error = number == error_line
        result.append(
            SqlLine(
                number=number,
                html=Markup(html),  # every part was escaped above
                error=is_error,
                error_column=error_column if is_error else None,
            )
        )
    return result
