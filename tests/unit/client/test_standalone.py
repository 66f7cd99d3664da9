"""The client works with only its extra installed: importing it pulls in no server module."""

from __future__ import annotations

import subprocess
import sys

# Not "rich": httpx itself imports it, optionally, for its own command line.
SERVER_ONLY = [
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "typer",
    "yaml",
    "fsspec",
]


def test_importing_the_client_loads_no_server_dependency() -> None:
    # A fresh interpreter: this test process has long since imported everything.
    code = (
        "import sys, millstream.client\n"
        f"third = {SERVER_ONLY!r}\n"
        "ours = [m for m in sys.modules if m.startswith('millstream.')]\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in third]\n"
        "bad += [m for m in ours if not m.startswith('millstream.client')]\n"
        "print(','.join(sorted(bad)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
