"""What every user-chosen name must not contain, whatever else its own rule allows.

Control characters (NUL, newlines, escape sequences, DEL and the C1 range), invisible
format characters (zero-width spaces, bidirectional overrides that make a name read
differently than it sorts) and line separators have no place in a name: they break
PostgreSQL (NUL), log lines and terminals, and let two different names look the same.
The name validators of ``domain`` (deployments, users...) call ``has_control_characters``;
names restricted to a plain alphabet by a pattern (namespaces, clusters, queues,
variables) exclude them already.
"""

from __future__ import annotations

import unicodedata

__all__ = ["has_control_characters"]

_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control, format, surrogate, private-use, unassigned or
    line/paragraph-separator character."""
    return any(unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in text)
