"""``--conf key=value`` and ``--conf-file``: a deployment's Flink configuration from the
command line (``deploy sql|jar|python``).

A file ending in ``.properties`` is read as Java properties (``key=value`` or
``key: value`` per line, ``#``/``!`` comments); anything else as YAML — Flink's own
``config.yaml`` (nested keys are joined with dots) or a legacy ``flink-conf.yaml``.
``--conf`` entries override the file's. Values are sent as text, as Flink reads them
(``true``, not ``True``). Syntax is checked here with a message naming the bad entry;
whether Flink knows a key is the server's call.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

__all__ = ["flink_conf", "parse_conf_file", "parse_conf_option"]

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-\[\]]*")


def _key(key: str, where: str) -> str:
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise typer.BadParameter(
            f"{where}: {key!r} is not a Flink configuration key "
            "(letters, digits, '.', '-', '_', e.g. taskmanager.numberOfTaskSlots)"
        )
    return key


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ";".join(str(v) for v in value)  # Flink's list separator
    raise typer.BadParameter(f"{where}: the value must be text, a number or a list of them")


def parse_conf_option(entries: list[str]) -> dict[str, str]:
    """``["k=v", …]`` as a dict; an entry without ``=`` or with a bad key is an error."""
    conf: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep:
            raise typer.BadParameter(f"--conf {entry!r}: expected key=value")
        conf[_key(key, f"--conf {entry!r}")] = value.strip()
    return conf


def _flatten(data: dict[Any, Any], prefix: str, where: str) -> dict[str, str]:
    conf: dict[str, str] = {}
    for raw_key, value in data.items():
        key = _key(f"{prefix}{raw_key}", where)
        if isinstance(value, dict):
            conf.update(_flatten(value, f"{key}.", where))
        elif value is not None:
            conf[key] = _text(value, f"{where}: {key}")
    return conf


def _properties(text: str, where: str) -> dict[str, str]:
    conf: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)", line)
        if match is None:
            raise typer.BadParameter(f"{where}:{number}: expected key=value, got {line!r}")
        conf[_key(match[1], f"{where}:{number}")] = match[2]
    return conf


def parse_conf_file(path: Path) -> dict[str, str]:
    """The file's entries; a file that is not a mapping or has bad keys is an error."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"{where}: cannot read it ({exc.strerror})") from exc
    if path.suffix == ".properties":
        return _properties(text, where)
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"{where}: not valid YAML ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{where}: expected a mapping of Flink keys to values")
    return _flatten(data, "", where)


def flink_conf(entries: list[str] | None, file: Path | None) -> dict[str, str] | None:
    """The configuration the options give (the file, then ``--conf`` over it), or None
    when neither was given (a redeploy then keeps the deployment's configuration)."""
    if not entries and file is None:
        return None
    conf = parse_conf_file(file) if file is not None else {}
    return conf | parse_conf_option(entries or [])
