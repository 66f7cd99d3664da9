"""How parameters look in ``--help``: flags without a type, arguments in capitals.

Typer 0.29 shows every boolean flag as ``--start <bool>`` (so users type ``--start true``,
which fails: a flag takes no value) and a required argument as ``{file}`` in usage lines.
``tidy`` gives the parameters of a command tree the conventional look instead —
``--start``, ``deploy sql [OPTIONS] FILE`` — by switching them to the two subclasses
below; parsing is untouched. ``main.py`` calls it on each command it loads.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

__all__ = ["tidy", "tidy_one"]


class _Option(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag:
            return None  # a flag takes no value: show none
        return super().display_type_rich(ctx)


class _Argument(TyperArgument):
    def _usage_display_name(self) -> str:
        name = self.display_name_raw.upper()
        if not self.required:
            name = f"[{name}]"
        return f"{name}..." if self.nargs != 1 else name


def tidy_one(command: Any, ctx: Any) -> None:
    """Restyle the parameters of ``command`` itself, its ``--help`` option too."""
    for param in [*command.params, command.get_help_option(ctx)]:
        if type(param) is TyperOption:
            param.__class__ = _Option
        elif type(param) is TyperArgument:
            param.__class__ = _Argument


def tidy(command: Any, ctx: Any) -> None:
    """Restyle the parameters of ``command`` and of all its subcommands."""
    tidy_one(command, ctx)
    for sub in getattr(command, "commands", {}).values():
        tidy(sub, ctx)
