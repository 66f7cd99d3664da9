"""The web console (server-rendered Jinja2 + htmx) over control/ services.

The app factory mounts ``build_console(...)`` (an ``APIRouter`` serving ``/console`` and
its static files); ``derive_session_key`` turns a server secret into the cookie key.
"""

from millstream.web.console import build_console
from millstream.web.ports import ConsoleAccess
from millstream.web.rendering import static_dir
from millstream.web.sessions import derive_session_key

__all__ = ["ConsoleAccess", "build_console", "derive_session_key", "static_dir"]
