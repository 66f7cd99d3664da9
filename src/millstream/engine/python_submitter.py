"""``PythonSubmitter``: Python deployments (seed 000 ``pythonArtifact``) as a ``JarRun``.

The measured path (FLINK-NOTES.md): ``opt/flink-python-<version>.jar`` runs with entry
class ``PythonDriver``, which starts the Python program inside the JobManager — no client
JVM in our process. Its arguments:

    -py <file.py> | -pym <module>     the program (a .py, or a module in a .zip)
    -pyfs a,b                         additionalPythonLibraries + non-jar dependencies
    -pyarch x.zip                     additionalPythonArchives
    -pyexec / -pyclientexec <python>  an interpreter with pyflink, for workers and main()
    <mainArgs…>

The JobManager must be able to read those paths: they are local files of the store or
the download cache. Jar dependencies are merged into a derived flink-python jar.
A syntax error in the program is found with ``compile()`` before anything is submitted.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact
from millstream.domain.errors import InvalidArtifact
from millstream.engine.jar_submitter import program_args, submission_scope
from millstream.engine.jars import JarCache
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.submitters import JarRun
from millstream.engine.uris import ArtifactResolver

__all__ = ["PYTHON_DRIVER", "PythonSubmitter", "check_python_syntax"]

PYTHON_DRIVER = "org.apache.flink.client.python.PythonDriver"
_MODULE_ARCHIVES = (".zip", ".whl", ".egg")


def check_python_syntax(path: Path) -> None:
    """Raise ``InvalidArtifact`` with Python's message when ``path`` does not compile."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise InvalidArtifact(f"cannot read Python program {path.name!r}: {exc}") from exc
    try:
        compile(source, path.name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        raise InvalidArtifact(
            f"Python program {path.name!r} has a syntax error at {where}: SyntaxError: {exc.msg}"
        ) from exc
    except ValueError as exc:  # e.g. null bytes
        raise InvalidArtifact(f"Python program {path.name!r} cannot be compiled: {exc}") from exc


class PythonSubmitter:
    """PYTHON artifacts through flink-python's ``PythonDriver``."""

    def __init__(
        self,
        resolver: ArtifactResolver,
        jars: JarCache,
        runtime: FlinkRuntime,
        *,
        python_executable: str | None = None,
    ) -> None:
        self._resolver = resolver
        self._jars = jars
        self._runtime = runtime
        # The server's own interpreter has pyflink (it is installed with it).
        self._python = python_executable or sys.executable

    def prepare(self, submission: Submission) -> JarRun:
        workspace, namespace = submission_scope(submission)
        args, jar_dependencies = self._arguments(
            submission.artifact, workspace=workspace, namespace=namespace
        )
        return JarRun(
            jar=self._jars.merged(self._driver_jar(), jar_dependencies),
            entry_class=PYTHON_DRIVER,
            program_args=tuple(args),
            # -pyexec reaches only the client process PythonDriver starts; the Python
            # workers of the TaskManagers read python.executable from the job's
            # configuration (default "python", which may lack pyflink).
            flink_conf={"python.executable": self._python},
        )

    def check(self, artifact: Artifact, *, workspace: str | None, namespace: str | None) -> None:
        """Everything ``prepare`` checks, without building the derived jar."""
        self._arguments(artifact, workspace=workspace, namespace=namespace)

    def _driver_jar(self) -> Path:
        jar = self._runtime.home / "opt" / f"flink-python-{self._runtime.version}.jar"
        if not jar.is_file():
            raise InvalidArtifact(
                f"Python deployments need {jar.name} in {jar.parent}; this Flink has none"
            )
        return jar

    def _arguments(
        self, artifact: Artifact, *, workspace: str | None, namespace: str | None
    ) -> tuple[list[str], list[Path]]:
        if not (artifact.python_artifact_uri or "").strip():
            raise InvalidArtifact("a PYTHON artifact needs pythonArtifactUri")

        def resolve(uri: str) -> Path:
            return self._resolver.resolve(uri, workspace=workspace, namespace=namespace)

        program = resolve(artifact.python_artifact_uri or "")
        files: list[Path] = []
        if program.suffix == ".py":
            check_python_syntax(program)
            args = ["-py", str(program)]
        elif program.suffix in _MODULE_ARCHIVES:
            files.append(program)
            args = ["-pym", _module_name(artifact.entry_module, program)]
        else:
            raise InvalidArtifact(
                f"pythonArtifactUri {artifact.python_artifact_uri!r} must be a .py file or a "
                ".zip with entryModule"
            )
        files += [resolve(uri) for uri in artifact.additional_python_libraries]
        jars: list[Path] = []
        for uri in artifact.additional_dependencies:
            path = resolve(uri)
            (jars if path.suffix == ".jar" else files).append(path)
        if files:
            args += ["-pyfs", ",".join(str(f) for f in files)]
        archives = [resolve(uri) for uri in artifact.additional_python_archives]
        if archives:
            args += ["-pyarch", ",".join(str(a) for a in archives)]
        args += ["-pyexec", self._python, "-pyclientexec", self._python]
        return [*args, *program_args(artifact.main_args)], jars


def _module_name(entry_module: str | None, archive: Path) -> str:
    entry = (entry_module or "").strip()
    if not entry:
        raise InvalidArtifact(
            f"pythonArtifactUri {archive.name!r} is an archive: set entryModule "
            "(e.g. main.py or package/main.py)"
        )
    path = PurePosixPath(entry.removesuffix(".py"))
    if path.is_absolute() or ".." in path.parts:
        raise InvalidArtifact(f"entryModule {entry!r} must be a relative module path")
    return ".".join(path.parts)
