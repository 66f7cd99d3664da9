"""Dependency files as ``userData/<name>`` next to the Flink processes that run a job.

A JAR deployment's dependency files (``control.user_files``; DLI ``dependency_files``)
reach its job three ways:

1. **Class path resources** (everywhere): ``jar_submitter`` puts each file into the job's
   derived jar as ``userData/<name>``, so ``getClassLoader().getResource("userData/<name>")``
   (seed 002's documented access) works in ``main()`` on the JobManager and in the tasks on
   the TaskManagers, on any cluster, local or remote. The jar is the job's own, so jobs
   never see each other's files this way.
2. **Files relative to the working directory** (clusters Millstream runs on this machine:
   the embedded cluster and managed session and per-job clusters, whose processes all run
   in the cluster's ``flink`` directory): ``new File("userData/<name>")`` opens
   ``<flink dir>/userData/<name>``. ``UserDataDirectory.staged`` puts it there.
3. **Flink's distributed cache**: ``pipeline.cached-files`` registers each file under its
   name (``getRuntimeContext().getDistributedCache().getFile("<name>")``), pointing at the
   job's own copy (below), where 2 applies.

One working directory serves every job of a session cluster, so ``userData/`` is shared
by name. The design that keeps jobs apart:

- each job's files are copied to ``<flink dir>/user-files/<flink job id>/<name>``: its own
  copy, which nothing else writes, and what its distributed cache entries name;
- ``userData/<name>`` is a hard link to (or a copy of) that copy, replaced atomically;
- a job whose file differs from the ``userData/<name>`` of a job still live on the
  cluster is refused (``InvalidArtifact`` naming the file and the other job; the job
  fails with that reason instead of silently changing another job's input): rename the
  file or run the job elsewhere (a per-job cluster). Identical content is shared;
- copies of jobs no longer live on the cluster are deleted at the next staging, and so
  are ``userData/`` entries no live job has;
- one lock per directory covers staging and the submission, so a job being submitted
  counts as live for the next one (the reconciler is the only submitter).

Jobs on one session cluster share its JVMs, so this keeps jobs from overwriting each
other's inputs by accident; it is no isolation between projects (a per-job cluster is).
On an external cluster Millstream does not run only route 1 applies. ``RestFlinkCluster``
calls ``staged``; ``FlinkEngine`` knows which directory belongs to which cluster.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from millstream.domain.errors import InvalidArtifact
from millstream.engine.flink_user import OsUser, hand_over
from millstream.engine.jars import content_hash

__all__ = ["CACHED_FILES_KEY", "USER_DATA", "UserDataDirectory", "cached_files", "user_file_name"]

USER_DATA = "userData"
JOB_FILES = "user-files"
CACHED_FILES_KEY = "pipeline.cached-files"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+=~@-]{0,254}")
_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def user_file_name(uri: str) -> str:
    """The ``<name>`` of ``userData/<name>``: the URI's last path segment."""
    try:
        path = urlsplit(uri.strip()).path if "://" in uri else uri.strip()
    except ValueError:  # a bad [IPv6] host
        path = ""
    # A trailing "/" names a directory, not a file.
    name = "" if path.endswith("/") else PurePosixPath(unquote(path)).name
    if not _NAME.fullmatch(name):
        raise InvalidArtifact(
            f"dependency file {uri!r} has no usable file name ({name!r}): the job reads it "
            f"as {USER_DATA}/<name>, so the URI must end in a name of letters, digits and "
            ". _ - + = ~ @ (not starting with '.')"
        )
    return name


def cached_files(files: Sequence[tuple[str, Path]], existing: str | None = None) -> str:
    """The ``pipeline.cached-files`` value registering ``files`` by name (after
    ``existing`` entries the deployment configured itself)."""
    entries = [f"name:{name},path:'{path.as_uri()}'" for name, path in files]
    return ";".join([existing, *entries] if existing else entries)


class UserDataDirectory:
    """``userData/`` and the per-job copies in one cluster's working directory."""

    def __init__(self, directory: Path, *, os_user: OsUser | None = None) -> None:
        self.directory = directory
        self._os_user = os_user
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """The cluster's processes run here (it has been laid out)."""
        return (self.directory / "conf").is_dir()

    @contextlib.contextmanager
    def staged(
        self,
        flink_job_id: str,
        files: Sequence[tuple[str, Path]],
        live_jobs: Callable[[], Collection[str]],
    ) -> Iterator[list[tuple[str, Path]]]:
        """Place ``files`` for the job; yields its own copies (name, path). Hold it while
        the job is submitted. ``live_jobs``: Flink job ids not yet ended on the cluster."""
        if not _JOB_ID.fullmatch(flink_job_id):
            raise InvalidArtifact(f"Flink job id {flink_job_id!r} cannot name a directory")
        with self._lock:
            others = set(live_jobs()) - {flink_job_id}
            self._sweep(keep={*others, flink_job_id})
            self._check_conflicts(files, others)
            yield self._place(flink_job_id, files)

    # ------------------------------------------------------------------ helpers

    def _check_conflicts(self, files: Sequence[tuple[str, Path]], others: set[str]) -> None:
        for name, path in files:
            digest = content_hash(path)
            for other in sorted(others):
                theirs = self.directory / JOB_FILES / other / name
                if theirs.is_file() and content_hash(theirs) != digest:
                    raise InvalidArtifact(
                        f"dependency file {name!r} differs from the {USER_DATA}/{name} that "
                        f"Flink job {other}, still running on this cluster, reads: jobs of "
                        "one session cluster share its userData directory. Give the file "
                        "another name, stop that job, or run this one on its own cluster"
                    )

    def _place(
        self, flink_job_id: str, files: Sequence[tuple[str, Path]]
    ) -> list[tuple[str, Path]]:
        own = self.directory / JOB_FILES / flink_job_id
        shared = self.directory / USER_DATA
        for directory in (own, shared):
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o755)
        placed = []
        for name, source in files:
            copy = own / name
            _publish(source, copy, link=False)
            _publish(copy, shared / name, link=True)
            placed.append((name, copy))
        if self._os_user is not None:
            hand_over(own, self._os_user)
        return placed

    def _sweep(self, keep: set[str]) -> None:
        """Delete copies of jobs not in ``keep`` and ``userData/`` entries none has."""
        jobs_dir = self.directory / JOB_FILES
        in_use: set[str] = set()
        for job_dir in jobs_dir.iterdir() if jobs_dir.is_dir() else ():
            if job_dir.name in keep:
                in_use.update(child.name for child in job_dir.iterdir())
            else:
                shutil.rmtree(job_dir, ignore_errors=True)
        shared = self.directory / USER_DATA
        for entry in shared.iterdir() if shared.is_dir() else ():
            if entry.name not in in_use and entry.is_file():
                entry.unlink(missing_ok=True)


def _publish(source: Path, target: Path, *, link: bool) -> None:
    """``target`` with ``source``'s content, replaced atomically (a hard link if asked
    and possible, else a copy), readable by every user (Flink may run as another)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    partial.unlink(missing_ok=True)
    try:
        if link:
            try:
                os.link(source, partial)
            except OSError:  # another file system, or links not allowed: copy
                shutil.copyfile(source, partial)
        else:
            shutil.copyfile(source, partial)
        os.chmod(partial, 0o644)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
