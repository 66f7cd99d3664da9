"""``SqlUdfStore``: the ``UdfStore`` port of ``control.services.udfs`` over the
``udf_artifacts``, ``udf_functions`` and ``custom_connectors`` tables (migration 0023).

The rows live here, not in ``models.py``, with the feature (``migrate.target_metadata``
registers them). What has no column of its own (dependency URIs, scanned classes,
connector options) is one JSON document per row, written and read whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Index,
    Row,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from millstream.domain.errors import Conflict, NotFound
from millstream.domain.udfs import (
    ConnectorOption,
    CustomConnector,
    UdfArtifact,
    UdfClass,
    UdfFunction,
    UdfKind,
)
from millstream.store.errors import integrity_violation
from millstream.store.models import Base
from millstream.store.store import SessionStore

__all__ = [
    "CustomConnectorRow",
    "SqlUdfRepositories",
    "SqlUdfStore",
    "UdfArtifactRow",
    "UdfFunctionRow",
]

_ID = String(64)
_NAME = String(128)
_CLASS = String(1024)


class UdfArtifactRow(Base):
    __tablename__ = "udf_artifacts"
    __table_args__ = (UniqueConstraint("workspace", "namespace", "name"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    name: Mapped[str] = mapped_column(_NAME)
    jar_uri: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]]  # {"dependencies": [...], "classes": [{className, kind}]}
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class UdfFunctionRow(Base):
    __tablename__ = "udf_functions"
    __table_args__ = (Index(None, "workspace", "namespace", "artifact_name"),)

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    name: Mapped[str] = mapped_column(_NAME, primary_key=True)
    artifact_name: Mapped[str] = mapped_column(_NAME)
    class_name: Mapped[str] = mapped_column(_CLASS)
    creator: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]


class CustomConnectorRow(Base):
    __tablename__ = "custom_connectors"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    name: Mapped[str] = mapped_column(_NAME, primary_key=True)
    factory_class: Mapped[str] = mapped_column(_CLASS)
    jar_uri: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]]  # dependencies, source, sink, options, formats
    creator: Mapped[str | None] = mapped_column(_NAME)
    modifier: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


def _of_namespace(model: type[UdfFunctionRow] | type[CustomConnectorRow]) -> Select[Any]:
    """A namespace's rows by name, as a prepared Core statement: read with every SQL
    deployment created or updated (``UdfService.libraries_for``), no ORM loading."""
    return (
        select(model.__table__)
        .where(model.workspace == bindparam("workspace"), model.namespace == bindparam("namespace"))
        .order_by(model.name)
    )


_FUNCTIONS = _of_namespace(UdfFunctionRow)
_CONNECTORS = _of_namespace(CustomConnectorRow)


class SqlUdfRepositories:
    """The ``UdfRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # ------------------------------------------------------------------ artifacts

    def read_udf_artifact(self, *, workspace: str, namespace: str, name: str) -> UdfArtifact | None:
        row = self._artifact_row(workspace, namespace, name)
        return _artifact(row) if row is not None else None

    def read_udf_artifacts(self, *, workspace: str, namespace: str) -> list[UdfArtifact]:
        rows = self._session.scalars(
            select(UdfArtifactRow)
            .where(UdfArtifactRow.workspace == workspace, UdfArtifactRow.namespace == namespace)
            .order_by(UdfArtifactRow.name)
        )
        return [_artifact(row) for row in rows]

    def create_udf_artifact(self, *, artifact: UdfArtifact) -> None:
        self._session.add(UdfArtifactRow(**_artifact_values(artifact)))
        self._flush(f"the namespace already has a UDF artifact named {artifact.name!r}")

    def update_udf_artifact(self, *, artifact: UdfArtifact) -> None:
        row = self._artifact_row(artifact.workspace, artifact.namespace, artifact.name)
        if row is None:
            raise NotFound(f"UDF artifact {artifact.name!r} does not exist")
        for key, value in _artifact_values(artifact).items():
            if key not in {"id", "workspace", "namespace", "name", "creator", "created_at"}:
                setattr(row, key, value)
        self._session.flush()

    def delete_udf_artifact(self, *, workspace: str, namespace: str, name: str) -> None:
        self._session.execute(
            delete(UdfFunctionRow).where(
                UdfFunctionRow.workspace == workspace,
                UdfFunctionRow.namespace == namespace,
                UdfFunctionRow.artifact_name == name,
            )
        )
        self._session.execute(
            delete(UdfArtifactRow).where(
                UdfArtifactRow.workspace == workspace,
                UdfArtifactRow.namespace == namespace,
                UdfArtifactRow.name == name,
            )
        )

    # ------------------------------------------------------------------ functions

    def read_udf_functions(self, *, workspace: str, namespace: str) -> list[UdfFunction]:
        where = {"workspace": workspace, "namespace": namespace}
        rows = self._session.connection().execute(_FUNCTIONS, where)
        return [
            UdfFunction(
                workspace=row.workspace,
                namespace=row.namespace,
                name=row.name,
                artifact_name=row.artifact_name,
                class_name=row.class_name,
                creator=row.creator,
                created_at=row.created_at,
            )
            for row in rows
        ]

    def create_udf_function(self, *, function: UdfFunction) -> None:
        self._session.add(
            UdfFunctionRow(
                workspace=function.workspace,
                namespace=function.namespace,
                name=function.name,
                artifact_name=function.artifact_name,
                class_name=function.class_name,
                creator=function.creator,
                created_at=function.created_at,
            )
        )
        self._flush(f"the namespace already has a function named {function.name!r}")

    def delete_udf_function(self, *, workspace: str, namespace: str, name: str) -> None:
        self._session.execute(
            delete(UdfFunctionRow).where(
                UdfFunctionRow.workspace == workspace,
                UdfFunctionRow.namespace == namespace,
                UdfFunctionRow.name == name,
            )
        )

    # ------------------------------------------------------------------ connectors

    def read_custom_connectors(self, *, workspace: str, namespace: str) -> list[CustomConnector]:
        where = {"workspace": workspace, "namespace": namespace}
        rows = self._session.connection().execute(_CONNECTORS, where)
        return [_connector(row) for row in rows]

    def save_custom_connector(self, *, connector: CustomConnector) -> None:
        row = self._session.get(
            CustomConnectorRow, (connector.workspace, connector.namespace, connector.name)
        )
        values = _connector_values(connector)
        if row is None:
            self._session.add(CustomConnectorRow(**values))
        else:
            for key, value in values.items():
                if key not in {"creator", "created_at"}:
                    setattr(row, key, value)
        self._flush(f"the namespace already has a connector named {connector.name!r}")

    def delete_custom_connector(self, *, workspace: str, namespace: str, name: str) -> None:
        self._session.execute(
            delete(CustomConnectorRow).where(
                CustomConnectorRow.workspace == workspace,
                CustomConnectorRow.namespace == namespace,
                CustomConnectorRow.name == name,
            )
        )

    # ------------------------------------------------------------------ helpers

    def _artifact_row(self, workspace: str, namespace: str, name: str) -> UdfArtifactRow | None:
        return self._session.scalars(
            select(UdfArtifactRow).where(
                UdfArtifactRow.workspace == workspace,
                UdfArtifactRow.namespace == namespace,
                UdfArtifactRow.name == name,
            )
        ).first()

    def _flush(self, taken: str) -> None:
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(taken) from None
            raise


def _artifact_values(artifact: UdfArtifact) -> dict[str, Any]:
    return {
        "id": artifact.id,
        "workspace": artifact.workspace,
        "namespace": artifact.namespace,
        "name": artifact.name,
        "jar_uri": artifact.jar_uri,
        "content": {
            "dependencies": list(artifact.dependency_uris),
            "classes": [
                {"className": c.class_name, "kind": c.kind.value} for c in artifact.classes
            ],
        },
        "creator": artifact.creator,
        "modifier": artifact.modifier,
        "created_at": artifact.created_at,
        "modified_at": artifact.modified_at,
    }


def _artifact(row: UdfArtifactRow) -> UdfArtifact:
    content = row.content or {}
    return UdfArtifact(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        jar_uri=row.jar_uri,
        dependency_uris=tuple(content.get("dependencies", ())),
        classes=tuple(
            UdfClass(class_name=c["className"], kind=UdfKind(c["kind"]))
            for c in content.get("classes", ())
        ),
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _connector_values(connector: CustomConnector) -> dict[str, Any]:
    return {
        "workspace": connector.workspace,
        "namespace": connector.namespace,
        "name": connector.name,
        "factory_class": connector.factory_class,
        "jar_uri": connector.jar_uri,
        "content": {
            "dependencies": list(connector.dependency_uris),
            "source": connector.source,
            "sink": connector.sink,
            "formats": list(connector.formats),
            "options": [
                {
                    "key": o.key,
                    "required": o.required,
                    "sensitive": o.sensitive,
                    "default": o.default,
                    "description": o.description,
                }
                for o in connector.options
            ],
        },
        "creator": connector.creator,
        "modifier": connector.modifier,
        "created_at": connector.created_at,
        "modified_at": connector.modified_at,
    }


def _connector(row: CustomConnectorRow | Row[Any]) -> CustomConnector:
    content = row.content or {}
    return CustomConnector(
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        factory_class=row.factory_class,
        jar_uri=row.jar_uri,
        dependency_uris=tuple(content.get("dependencies", ())),
        source=bool(content.get("source")),
        sink=bool(content.get("sink")),
        formats=tuple(content.get("formats", ())),
        options=tuple(
            ConnectorOption(
                key=o["key"],
                required=bool(o.get("required")),
                sensitive=bool(o.get("sensitive")),
                default=o.get("default"),
                description=o.get("description") or "",
            )
            for o in content.get("options", ())
        ),
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


class SqlUdfStore(SessionStore[SqlUdfRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlUdfRepositories, **engine_options)
