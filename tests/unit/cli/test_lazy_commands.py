"""The app loads a command module only when one of its commands is used: ``millstream
--help`` answers from a table in ``main.py`` without the client, httpx or the server's
libraries; the table must match what the modules register. And help looks conventional:
flags without a type, arguments in capitals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from millstream.cli import main
from millstream.cli.main import app, load_commands

_HEAVY = ("fastapi", "sqlalchemy", "httpx", "httpcore", "pydantic", "millstream.client")

_PROBE = """
import json, runpy, sys
sys.argv = ["millstream", "--help"]
try:
    runpy.run_module("millstream.cli", run_name="__main__")
except SystemExit:
    pass
with open(OUT, "w") as out:
    json.dump(sorted(sys.modules), out)
"""


def test_help_imports_neither_the_client_nor_the_server_libraries(tmp_path: Path) -> None:
    out = tmp_path / "modules.json"
    probe = _PROBE.replace("OUT", repr(str(out)))
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    loaded = set(json.loads(out.read_text()))
    assert "deploy" in result.stdout
    assert "apply" in result.stdout
    assert sorted(m for m in loaded if m.split(".")[0] in _HEAVY or m in _HEAVY) == []
    assert not any(m.startswith("millstream.cli.commands.") for m in loaded)


def _modules() -> list[str]:
    return sorted({module for module, _ in main._COMMANDS.values()})


@pytest.mark.parametrize("module", _modules())
def test_the_command_table_matches_what_each_module_registers(module: str) -> None:
    registered = load_commands(module)
    listed = {name for name, (owner, _) in main._COMMANDS.items() if owner == module}

    assert set(registered) == listed
    for name, command in registered.items():
        # the table's line is the start of the command's own help
        first = " ".join((command.help or "").split())
        assert first.startswith(main._COMMANDS[name][1].rstrip(".")), name


def test_every_command_module_is_in_the_table() -> None:
    here = Path(main.__file__).parent / "commands"
    modules = {p.stem for p in here.glob("*.py")} - {"__init__"}
    assert modules == set(_modules())


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_top_level_help_lists_every_command() -> None:
    text = _help()
    for name in main._COMMANDS:
        assert f" {name} " in text, name


def test_flags_show_no_type_and_arguments_are_capitalised() -> None:
    deploy_help = _help("deploy", "sql")
    assert "Usage: millstream deploy sql [OPTIONS] FILE" in deploy_help
    assert "{file}" not in deploy_help
    assert "<bool>" not in deploy_help
    start_line = next(line for line in deploy_help.splitlines() if "--start" in line)
    assert "Start a job once deployed." in start_line
    assert "<bool>" not in _help()
    assert "Usage: millstream deployments get [OPTIONS] REF" in _help("deployments", "get")


def test_a_flag_takes_no_value() -> None:
    # what users typed after reading ``--start <bool>``: still refused, now not suggested
    result = CliRunner().invoke(app, ["deploy", "sql", "x.sql", "-n", "a", "--start", "true"])
    assert result.exit_code == 2
