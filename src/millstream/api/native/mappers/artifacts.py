"""Artifacts (SQL script, JAR, Python) and the execution mode, wire <-> domain; a partial
``artifact`` on update keeps the current sub-artifact of the same kind."""

from __future__ import annotations

from millstream.api.native import schemas
from millstream.api.native.mappers.common import parse_enum
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.errors import InvalidInput

__all__ = [
    "artifact_from_wire",
    "artifact_to_wire",
    "execution_mode_from_wire",
    "require_artifact_file",
]


def execution_mode_from_wire(value: str) -> ExecutionMode:
    return parse_enum(ExecutionMode, value, "executionMode")


# The field each artifact kind cannot do without, by its wire path: the native message
# names it (the domain's own message says the same in domain words).
_REQUIRED_ARTIFACT_FIELDS: dict[ArtifactKind, tuple[str, str]] = {
    ArtifactKind.SQLSCRIPT: ("sql_script", "artifact.sqlArtifact.sqlScript"),
    ArtifactKind.JAR: ("jar_uri", "artifact.jarArtifact.jarUri"),
    ArtifactKind.PYTHON: ("python_artifact_uri", "artifact.pythonArtifact.pythonArtifactUri"),
}


def require_artifact_file(artifact: Artifact) -> None:
    """``InvalidInput`` naming the wire field when the artifact lacks what its kind runs
    (routes call it before the service, whose own check says it in domain words)."""
    attribute, field = _REQUIRED_ARTIFACT_FIELDS[artifact.kind]
    if not str(getattr(artifact, attribute) or "").strip():
        raise InvalidInput(f"{field} is required for kind {artifact.kind.value}")


def artifact_from_wire(wire: schemas.Artifact, base: Artifact | None = None) -> Artifact:
    """The artifact of ``wire.kind`` (default: the base's kind) from its sub-artifact."""
    if wire.kind:
        kind = parse_enum(ArtifactKind, wire.kind, "artifact.kind")
    elif base is not None:
        kind = base.kind
    else:
        raise InvalidInput("artifact.kind is required; use one of SQLSCRIPT, JAR, PYTHON")
    keep = base if base is not None and base.kind is kind else Artifact(kind=kind)
    if kind is ArtifactKind.SQLSCRIPT:
        if wire.sql_artifact is None:
            return keep
        sql = wire.sql_artifact
        return Artifact(
            kind=kind,
            sql_script=sql.sql_script,
            additional_dependencies=tuple(sql.additional_dependencies or ()),
        )
    if kind is ArtifactKind.JAR:
        if wire.jar_artifact is None:
            return keep
        jar = wire.jar_artifact
        return Artifact(
            kind=kind,
            jar_uri=jar.jar_uri,
            entry_class=jar.entry_class,
            main_args=jar.main_args,
            additional_dependencies=tuple(jar.additional_dependencies or ()),
        )
    if wire.python_artifact is None:
        return keep
    py = wire.python_artifact
    return Artifact(
        kind=kind,
        python_artifact_uri=py.python_artifact_uri,
        entry_module=py.entry_module,
        main_args=py.main_args,
        additional_dependencies=tuple(py.additional_dependencies or ()),
        additional_python_libraries=tuple(py.additional_python_libraries or ()),
        additional_python_archives=tuple(py.additional_python_archives or ()),
    )


def artifact_to_wire(artifact: Artifact) -> schemas.Artifact:
    """Only the sub-artifact of the artifact's kind is filled."""
    wire = schemas.Artifact(kind=artifact.kind.value)
    dependencies = list(artifact.additional_dependencies)
    if artifact.kind is ArtifactKind.SQLSCRIPT:
        wire.sql_artifact = schemas.SqlArtifact(
            sql_script=artifact.sql_script, additional_dependencies=dependencies
        )
    elif artifact.kind is ArtifactKind.JAR:
        wire.jar_artifact = schemas.JarArtifact(
            jar_uri=artifact.jar_uri,
            entry_class=artifact.entry_class,
            main_args=artifact.main_args,
            additional_dependencies=dependencies,
        )
    else:
        wire.python_artifact = schemas.PythonArtifact(
            python_artifact_uri=artifact.python_artifact_uri,
            entry_module=artifact.entry_module,
            main_args=artifact.main_args,
            additional_dependencies=dependencies,
            additional_python_libraries=list(artifact.additional_python_libraries),
            additional_python_archives=list(artifact.additional_python_archives),
        )
    return wire
