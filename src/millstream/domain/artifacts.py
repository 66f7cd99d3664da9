"""What a deployment runs: a SQL script, a JAR or a Python program (seed 000 ``artifact``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from millstream.domain.errors import InvalidInput

__all__ = ["Artifact", "ArtifactKind", "ExecutionMode"]


class ArtifactKind(enum.StrEnum):
    SQLSCRIPT = "SQLSCRIPT"
    JAR = "JAR"
    PYTHON = "PYTHON"


class ExecutionMode(enum.StrEnum):
    STREAMING = "STREAMING"
    BATCH = "BATCH"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One artifact; only the fields of its ``kind`` are meaningful."""

    kind: ArtifactKind
    sql_script: str | None = None
    jar_uri: str | None = None
    entry_class: str | None = None
    python_artifact_uri: str | None = None
    entry_module: str | None = None
    main_args: str | None = None
    additional_dependencies: tuple[str, ...] = ()
    additional_python_libraries: tuple[str, ...] = ()
    additional_python_archives: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise InvalidInput when a field the kind requires is missing."""
        if self.kind is ArtifactKind.SQLSCRIPT and not (self.sql_script or "").strip():
            raise InvalidInput("a SQLSCRIPT artifact needs its SQL script")
        if self.kind is ArtifactKind.JAR and not (self.jar_uri or "").strip():
            raise InvalidInput("a JAR artifact needs the URI of its jar file")
        if self.kind is ArtifactKind.PYTHON and not (self.python_artifact_uri or "").strip():
            raise InvalidInput("a PYTHON artifact needs the URI of its Python file")
