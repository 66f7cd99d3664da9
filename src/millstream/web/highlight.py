"""Server-side SQL syntax highlighting for the console (pygments' SQL lexer, our own HTML).

``highlight_sql`` returns one ``SqlLine`` per source line so the deployment page can number
the lines of its (read-only) script; token classes are pygments' short names (``k``
keyword, ``s`` string …) prefixed ``t-`` and styled in ``static/console.css``. The SQL
editor highlights in the browser (CodeMirror, ``static/sql-editor.min.js``).
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


def _css_class(token: _TokenType) -> str:
    while token not in STANDARD_TYPES and token.parent is not None:
        token = token.parent
    return STANDARD_TYPES.get(token, "")


def highlight_sql(script: str) -> list[SqlLine]:
    """Highlighted lines of ``script``, numbered from 1."""
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
    # every part was escaped above
    return [SqlLine(number, Markup("".join(parts))) for number, parts in enumerate(lines, start=1)]
