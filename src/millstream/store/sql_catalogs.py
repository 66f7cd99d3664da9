"""``NamespaceCatalogStore``: the ``NamespaceCatalogStore`` port of ``control.services.sql_catalog``
over the ``sql_catalogs`` table (``models.SqlCatalogRow``, migration 0022): one row per
namespace. The app factory builds it on the main store's engine. Writes are
compare-and-set on ``revision``, so two concurrent DDL statements never lose one.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError

from millstream.domain.errors import Conflict
from millstream.domain.sql_catalog import SqlCatalog, catalog_from_json, catalog_to_json
from millstream.store.models import SqlCatalogRow
from millstream.store.store import SessionStore

__all__ = ["NamespaceCatalogStore"]


class _Session:
    def __init__(self, session: Any) -> None:
        self.session = session


class NamespaceCatalogStore(SessionStore[_Session]):
    """Reads and compare-and-set writes of namespace catalogs."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, _Session, **engine_options)

    def read_catalog(self, *, workspace: str, namespace: str) -> SqlCatalog:
        with self.reading() as tx:
            row = tx.session.get(SqlCatalogRow, (workspace, namespace))
            if row is None:
                return SqlCatalog(workspace=workspace, namespace=namespace)
            catalog = catalog_from_json(
                row.objects, workspace=workspace, namespace=namespace, revision=row.revision
            )
            return dataclasses.replace(catalog, modified_at=row.modified_at, modifier=row.modifier)

    def write_catalog(self, *, catalog: SqlCatalog, expected_revision: int) -> SqlCatalog:
        now = datetime.now(UTC)
        values = {
            "revision": expected_revision + 1,
            "objects": catalog_to_json(catalog),
            "modifier": catalog.modifier,
            "modified_at": now,
        }
        key = (SqlCatalogRow.workspace == catalog.workspace) & (
            SqlCatalogRow.namespace == catalog.namespace
        )
        with self.transaction() as tx:
            if expected_revision == 0:
                try:
                    with tx.session.begin_nested():
                        tx.session.execute(
                            insert(SqlCatalogRow).values(
                                workspace=catalog.workspace, namespace=catalog.namespace, **values
                            )
                        )
                except IntegrityError:
                    raise _changed(catalog) from None
            else:
                done = tx.session.execute(
                    update(SqlCatalogRow)
                    .where(key, SqlCatalogRow.revision == expected_revision)
                    .values(**values)
                )
                if getattr(done, "rowcount", 0) != 1:
                    raise _changed(catalog)
        return dataclasses.replace(catalog, revision=expected_revision + 1, modified_at=now)

    def delete_catalog(self, *, workspace: str, namespace: str) -> None:
        with self.transaction() as tx:
            tx.session.execute(
                delete(SqlCatalogRow).where(
                    SqlCatalogRow.workspace == workspace, SqlCatalogRow.namespace == namespace
                )
            )


def _changed(catalog: SqlCatalog) -> Conflict:
    return Conflict(
        f"the catalog of namespace {catalog.namespace!r} changed while this statement ran: "
        "run it again"
    )
