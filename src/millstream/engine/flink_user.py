"""Keeping jobs away from the control plane's files: the OS user Flink runs as, and what
of the data directory that user may see.

A Flink job runs arbitrary code (a JAR, a Python program, or SQL's ``filesystem``
connector reading ``file:///...``) with the rights of the Flink processes. If those are
the control plane's rights, a job reads ``millstream.db``, ``secret.key`` and the admin
credentials. So when the server runs as root, every Flink process Millstream starts
(``LocalCluster``, also for the ``ClusterManager``'s clusters) runs as a dedicated user
(``flink.os_user``, default ``millstream-flink``, created with ``useradd --system`` if
missing), and ``prepare_data_dir`` lays the data directory out for it:

- the control plane's files (``millstream.db`` and its journals, ``secret.key``,
  ``artifacts-signing.key``, ``credentials``) are 0600 and its directories (``logs``)
  0700, owned by the server's user;
- the data directory itself is 0711 (the Flink user may pass through it by name, never
  list it) or 0700 when Flink runs as the server's own user;
- what Flink must use lives in ``FLINK_VISIBLE`` sub-directories: its working trees
  (``flink``, ``clusters``) and ``state`` (checkpoints, savepoints) belong to the Flink
  user; ``artifacts``, ``artifact-cache`` and ``jars`` stay the server's, readable by all.

When the Flink user cannot reach the data directory (an ancestor such as ``/root`` or a
0700 temporary directory is closed to it), those sub-directories move to
``<flink.visible_root>/<digest of the data dir>`` (``<tmp>/millstream-flink/<digest>``
for a data directory inside the temporary directory) and the data directory keeps
symbolic links to them: Millstream follows the links, Flink is only ever given the real
paths.

When the server does not run as root it cannot switch users: Flink runs as the server's
user and a job can read what the server can. ``flink_os_user`` logs that once; the
README's security model says to run Flink as a separate user in production.

Callers: ``server.build_runtime`` (``flink_os_user``, ``prepare_data_dir``) and
``LocalCluster`` (``hand_over``, ``require_reachable``).
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import logging
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from millstream.domain.errors import EngineUnavailable

__all__ = [
    "CONTROL_DIRS",
    "CONTROL_FILES",
    "DEFAULT_VISIBLE_ROOT",
    "FLINK_OWNED",
    "FLINK_READABLE",
    "FLINK_VISIBLE",
    "OsUser",
    "can_reach",
    "flink_os_user",
    "hand_over",
    "prepare_data_dir",
    "require_reachable",
]

_log = logging.getLogger(__name__)

DEFAULT_VISIBLE_ROOT = Path("/var/lib/millstream-flink")
CONTROL_FILES = (
    "millstream.db",
    "millstream.db-wal",
    "millstream.db-shm",
    "millstream.db-journal",
    "secret.key",
    "artifacts-signing.key",
    "credentials",
)
CONTROL_DIRS = ("logs",)
FLINK_OWNED = ("flink", "clusters", "state")  # Flink writes here
FLINK_READABLE = ("artifacts", "artifact-cache", "jars")  # Flink reads, the server writes
FLINK_VISIBLE = FLINK_OWNED + FLINK_READABLE

_lock = threading.Lock()
_warned_same_user = False


@dataclass(frozen=True, slots=True)
class OsUser:
    name: str
    uid: int
    gid: int
    groups: frozenset[int]


def flink_os_user(name: str | None) -> OsUser | None:
    """The user Flink processes run as, created if missing; ``None`` when they run as
    the server's own user (not root, or ``name`` empty)."""
    global _warned_same_user
    if not name or os.geteuid() != 0:
        with _lock:
            if not _warned_same_user:
                _warned_same_user = True
                _log.warning(
                    "Flink runs as the same OS user as Millstream (%s): a job can read the "
                    "control plane's files (database, secret key, credentials). Run the "
                    "server as root with flink.os_user set, so Flink runs as its own user "
                    "(see the README's security model).",
                    "flink.os_user is empty" if os.geteuid() == 0 else "the server is not root",
                )
        return None
    with _lock:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            _create_user(name)
            entry = pwd.getpwnam(name)
    groups = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if name in g.gr_mem}
    return OsUser(name, entry.pw_uid, entry.pw_gid, frozenset(groups))


def _create_user(name: str) -> None:
    command = [
        "useradd",
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        name,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise EngineUnavailable(
            f"cannot create the OS user {name!r} Flink runs as ({exc}); create it "
            "(useradd --system) or set flink.os_user"
        ) from exc
    if done.returncode not in (0, 9):  # 9: created meanwhile by another process
        raise EngineUnavailable(
            f"cannot create the OS user {name!r} Flink runs as: {done.stderr.strip()}; "
            "create it (useradd --system) or set flink.os_user"
        )
    _log.info("created the OS user %r for the Flink processes", name)


def can_reach(path: Path, user: OsUser) -> bool:
    """Whether ``user`` may search every directory on the way to ``path`` (itself too)."""
    real = path.resolve()
    for directory in [*reversed(real.parents), real]:
        try:
            info = directory.stat()
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            continue
        if info.st_uid == user.uid:
            bit = stat.S_IXUSR
        elif info.st_gid in user.groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def require_reachable(path: Path, user: OsUser) -> None:
    if not can_reach(path, user):
        raise EngineUnavailable(
            f"the Flink user {user.name!r} cannot reach {path.resolve()}: give it search "
            "permission on every directory above it, or use a data directory such as "
            "/var/lib/millstream"
        )


def hand_over(path: Path, user: OsUser) -> None:
    """Make ``path`` (recursively) the Flink user's; links are not followed."""
    real = path.resolve()
    _chown(real, user)
    for root, dirs, files in os.walk(real):
        for name in [*dirs, *files]:
            _chown(Path(root) / name, user)


def _chown(path: Path, user: OsUser) -> None:
    with contextlib.suppress(FileNotFoundError):
        info = path.lstat()
        if (info.st_uid, info.st_gid) != (user.uid, user.gid):
            os.lchown(path, user.uid, user.gid)


def prepare_data_dir(
    data_dir: Path, user: OsUser | None, *, visible_root: Path = DEFAULT_VISIBLE_ROOT
) -> None:
    """Lay ``data_dir`` out as the module docstring says (idempotent, at every start)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(data_dir, 0o711 if user is not None else 0o700)
    except PermissionError:  # not ours to change: say so, the files below still are
        _log.warning("cannot restrict the permissions of the data directory %s", data_dir)
    for name in CONTROL_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(data_dir / name, 0o600)
    for name in CONTROL_DIRS:
        (data_dir / name).mkdir(exist_ok=True)
        os.chmod(data_dir / name, 0o700)
    if user is None:
        return
    target_root = data_dir
    if not can_reach(data_dir, user):
        visible_root = _temporary_root(data_dir, visible_root)
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
        target_root = visible_root / digest
        visible_root.mkdir(mode=0o711, parents=True, exist_ok=True)
        _require_own_directory(visible_root)
        target_root.mkdir(mode=0o755, exist_ok=True)
        _require_own_directory(target_root)
        require_reachable(target_root, user)
        _log.info(
            "the Flink user %r cannot reach %s: its directories live in %s",
            user.name,
            data_dir,
            target_root,
        )
    for name in FLINK_VISIBLE:
        place = _place(data_dir / name, target_root / name)
        if name in FLINK_OWNED:
            hand_over(place, user)
        else:
            _readable(place)


def _temporary_root(data_dir: Path, visible_root: Path) -> Path:
    """A data directory in the temporary directory (tests, trials) keeps what Flink sees
    there too, so it goes away with it instead of piling up in ``/var/lib``."""
    temporary = Path(tempfile.gettempdir()).resolve()
    if visible_root == DEFAULT_VISIBLE_ROOT and data_dir.resolve().is_relative_to(temporary):
        return temporary / "millstream-flink"
    return visible_root


def _require_own_directory(path: Path) -> None:
    """``path`` is a real directory of ours: in a shared place such as ``/tmp`` another
    user could have put a link or a directory of theirs there first."""
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise EngineUnavailable(
            f"{path} is not a directory owned by Millstream's user; remove it or set "
            "flink.visible_root"
        )


def _place(link: Path, target: Path) -> Path:
    """The real directory behind ``link``: ``link`` itself when ``target`` is the same
    path, else ``target``, with ``link`` pointing at it (an existing directory moves)."""
    if link == target:
        link.mkdir(exist_ok=True)
        return link
    target.mkdir(exist_ok=True)
    if link.is_symlink():
        if link.resolve() == target.resolve():
            return target
        link.unlink()
    elif link.is_dir():
        for item in link.iterdir():
            shutil.move(str(item), str(target / item.name))
        link.rmdir()
    link.symlink_to(target, target_is_directory=True)
    return target


def _readable(path: Path) -> None:
    """Directories 0755 and files at least 0644, so the Flink user can read them."""
    os.chmod(path, 0o755)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(Path(root) / name, 0o755)
        for name in files:
            file = Path(root) / name
            with contextlib.suppress(OSError):
                mode = file.lstat().st_mode
                if stat.S_ISREG(mode) and (mode & 0o044) != 0o044:
                    os.chmod(file, stat.S_IMODE(mode) | 0o044)
