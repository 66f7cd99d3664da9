"""Ports of the UDF and custom connector use cases: where artifacts, functions and
connectors are kept (``UdfStore``) and how a jar is scanned (``JarScanner``).

``store.udfs.SqlUdfStore`` and ``engine.jar_scanner.FlinkJarScanner`` implement them;
``control.services.udfs.UdfService`` is their caller. Separate from ``ports.py`` so the
feature can be wired (and faked) on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from millstream.domain.udfs import (
    ConnectorOption,
    CustomConnector,
    UdfArtifact,
    UdfClass,
    UdfFunction,
)

__all__ = ["ConnectorFactory", "JarScanner", "UdfRepositories", "UdfStore"]


@dataclass(frozen=True, slots=True)
class ConnectorFactory:
    """A table factory a connector jar declares (``META-INF/services``)."""

    identifier: str
    factory_class: str
    source: bool
    sink: bool
    options: tuple[ConnectorOption, ...] = ()
    formats: tuple[str, ...] = ()
    builtin: bool = False  # Flink itself has a factory of this identifier


class JarScanner(Protocol):
    """Looks into jars with Flink on the class path; URIs resolve in the namespace (a
    namespace reads only its own artifacts). Unusable jars raise ``InvalidArtifact``."""

    def scan_functions(
        self, jar_uri: str, dependency_uris: Sequence[str], *, workspace: str, namespace: str
    ) -> list[UdfClass]:
        """The public concrete function classes of the jar (inherited kinds count)."""
        ...

    def scan_connectors(
        self, jar_uri: str, dependency_uris: Sequence[str], *, workspace: str, namespace: str
    ) -> list[ConnectorFactory]:
        """The dynamic table source/sink factories the jar declares."""
        ...


class UdfRepositories(Protocol):
    def read_udf_artifact(
        self, *, workspace: str, namespace: str, name: str
    ) -> UdfArtifact | None: ...

    def read_udf_artifacts(self, *, workspace: str, namespace: str) -> list[UdfArtifact]: ...
    def create_udf_artifact(self, *, artifact: UdfArtifact) -> None:
        """``Conflict`` if the namespace has an artifact of that name."""
        ...

    def update_udf_artifact(self, *, artifact: UdfArtifact) -> None: ...
    def delete_udf_artifact(self, *, workspace: str, namespace: str, name: str) -> None:
        """Also deletes the artifact's functions."""
        ...

    def read_udf_functions(self, *, workspace: str, namespace: str) -> list[UdfFunction]: ...
    def create_udf_function(self, *, function: UdfFunction) -> None:
        """``Conflict`` if the namespace has a function of that name."""
        ...

    def delete_udf_function(self, *, workspace: str, namespace: str, name: str) -> None: ...
    def read_custom_connectors(
        self, *, workspace: str, namespace: str
    ) -> list[CustomConnector]: ...

    def save_custom_connector(self, *, connector: CustomConnector) -> None:
        """Create, or replace the connector of that name."""
        ...

    def delete_custom_connector(self, *, workspace: str, namespace: str, name: str) -> None: ...


class UdfStore(Protocol):
    def transaction(self) -> AbstractContextManager[UdfRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...

    def reading(self) -> AbstractContextManager[UdfRepositories]:
        """A unit of work that only reads (no transaction around it where the store
        can do without one)."""
        ...
