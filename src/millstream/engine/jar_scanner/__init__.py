"""``FlinkJarScanner``: the ``JarScanner`` port — what a user jar offers Flink SQL.

``JarScanner.java`` (beside this file) is compiled once against the runtime's ``lib/``
(``engine.javac``, cached by content) and run as a short-lived JVM with Flink on its
class path and the user's jar and dependency jars in a class loader of their own: it
loads every class without initialising it and asks Flink's own types whether it is a
function (so a class inheriting ``ScalarFunction`` through a base class of another jar
counts), and instantiates each table factory the jar declares to list its identifier and
options. Parsing class files here instead would have to follow superclasses into other
jars by hand; the JVM does it right. The UDF service calls it when an artifact or a
connector is registered or updated, never on a job's path.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from millstream.control.udf_ports import ConnectorFactory
from millstream.domain.errors import EngineUnavailable, InvalidArtifact
from millstream.domain.udfs import ConnectorOption, UdfClass, UdfKind
from millstream.engine.flink_user import OsUser
from millstream.engine.javac import compile_jar
from millstream.engine.runtime import FlinkRuntime
from millstream.engine.uris import ArtifactResolver

__all__ = ["FlinkJarScanner", "parse_connectors", "parse_functions"]

_ENTRY_CLASS = "millstream.engine.JarScanner"
_SOURCE = Path(__file__).with_name("JarScanner.java")
_NOT_A_JAR = 2


class FlinkJarScanner:
    """Runs ``JarScanner.java`` on jars named by artifact URIs of a namespace."""

    def __init__(
        self,
        runtime: FlinkRuntime,
        resolver: ArtifactResolver,
        *,
        cache_dir: Path,
        timeout: float = 120.0,
        os_user: OsUser | None = None,
    ) -> None:
        # The scan runs the jar's code (a factory's constructor), so it runs as the
        # Flink user when there is one, like the jobs themselves (``flink_user``).
        self._os_user = os_user
        self._runtime = runtime
        self._resolver = resolver
        self._cache_dir = cache_dir
        self._timeout = timeout

    def scan_functions(
        self, jar_uri: str, dependency_uris: Sequence[str], *, workspace: str, namespace: str
    ) -> list[UdfClass]:
        jars = self._resolve(jar_uri, dependency_uris, workspace, namespace)
        return parse_functions(self._run("udfs", jars, jar_uri))

    def scan_connectors(
        self, jar_uri: str, dependency_uris: Sequence[str], *, workspace: str, namespace: str
    ) -> list[ConnectorFactory]:
        jars = self._resolve(jar_uri, dependency_uris, workspace, namespace)
        return parse_connectors(self._run("connectors", jars, jar_uri))

    def _resolve(
        self, jar_uri: str, dependency_uris: Sequence[str], workspace: str, namespace: str
    ) -> list[Path]:
        return [
            self._resolver.resolve(uri, workspace=workspace, namespace=namespace)
            for uri in (jar_uri, *dependency_uris)
        ]

    def _run(self, mode: str, jars: list[Path], jar_uri: str) -> list[str]:
        helper = compile_jar(
            self._runtime, [_SOURCE], cache_dir=self._cache_dir, name="millstream-jar-scanner"
        )
        # Real paths: the Flink user may not pass through the data directory, only reach
        # what ``flink_user.prepare_data_dir`` made visible to it (behind symbolic links).
        classpath = f"{self._runtime.lib_dir / '*'}:{helper.resolve()}"
        files = [str(jar.resolve()) for jar in jars]
        command = [self._java(), "-cp", classpath, _ENTRY_CLASS, mode, *files]
        try:
            identity: dict[str, Any] = (
                {"user": self._os_user.uid, "group": self._os_user.gid, "extra_groups": []}
                if self._os_user is not None
                else {}
            )
            done: subprocess.CompletedProcess[str] = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                timeout=self._timeout,
                **identity,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineUnavailable(
                f"scanning {jar_uri!r} took longer than {self._timeout:.0f}s"
            ) from exc
        lines = done.stdout.splitlines()
        if done.returncode == _NOT_A_JAR:
            reason = next((_fields(x)[1] for x in lines if x.startswith("error\t")), "")
            raise InvalidArtifact(f"{jar_uri!r} is not a jar: {reason}".rstrip(": "))
        if done.returncode != 0:
            raise EngineUnavailable(
                f"scanning {jar_uri!r} failed (exit {done.returncode}): {done.stderr[-2000:]}"
            )
        return lines

    def _java(self) -> str:
        if self._runtime.java_home is not None:
            return str(self._runtime.java_home / "bin" / "java")
        return shutil.which("java") or "java"


def parse_functions(lines: Sequence[str]) -> list[UdfClass]:
    """The ``class`` records of a ``udfs`` scan, sorted by class name."""
    found: dict[str, UdfClass] = {}
    for line in lines:
        fields = _fields(line)
        if fields[0] == "class" and len(fields) >= 3:
            try:
                kind = UdfKind(fields[1])
            except ValueError:
                continue
            found[fields[2]] = UdfClass(class_name=fields[2], kind=kind)
    return [found[name] for name in sorted(found)]


def parse_connectors(lines: Sequence[str]) -> list[ConnectorFactory]:
    """The ``connector`` records (each with its ``option`` records) of a ``connectors``
    scan; the ``format`` records are the formats every connector with a format option
    can use, the ``builtin`` records the identifiers Flink has itself."""
    heads: list[list[str]] = []
    options: list[list[ConnectorOption]] = []
    formats: list[str] = []
    builtin: set[str] = set()
    for line in lines:
        fields = _fields(line)
        if fields[0] == "connector" and len(fields) >= 5:
            heads.append(fields)
            options.append([])
        elif fields[0] == "option" and len(fields) >= 6 and heads:
            default = fields[4][1:] if fields[4].startswith("1") else None
            options[-1].append(
                ConnectorOption(
                    key=fields[1],
                    required=fields[2] == "true",
                    sensitive=fields[3] == "true",
                    default=default,
                    description=fields[5],
                )
            )
        elif fields[0] == "format" and len(fields) >= 2:
            formats.append(fields[1])
        elif fields[0] == "builtin" and len(fields) >= 2:
            builtin.add(fields[1])
    factories = []
    for head, own in zip(heads, options, strict=True):
        own.sort(key=lambda o: (not o.required, o.key))
        factories.append(
            ConnectorFactory(
                identifier=head[1],
                factory_class=head[2],
                source=head[3] == "true",
                sink=head[4] == "true",
                options=tuple(own),
                formats=tuple(formats) if any(o.defines_format for o in own) else (),
                builtin=head[1] in builtin,
            )
        )
    return factories


def _fields(line: str) -> list[str]:
    """One tab-separated record, each field unescaped (``\\\\``, ``\\t``, ``\\n``)."""
    return [_unescape(field) for field in line.split("\t")]


def _unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        following = next(chars, "")
        out.append({"t": "\t", "n": "\n"}.get(following, following))
    return "".join(out)
