"""The engine versions index: installed runtimes (``flink-<version>``), then the
managed-service names they run, each with the real Flink version that runs it."""

from __future__ import annotations

from millstream.api.native import schemas
from millstream.control.engine_versions import EngineVersions

__all__ = ["engine_versions_to_wire"]


def engine_versions_to_wire(versions: EngineVersions) -> schemas.EngineVersionMetadataIndex:
    """Installed runtimes, then the exact managed-service names aliased to them."""
    return schemas.EngineVersionMetadataIndex(
        default_engine_version=versions.default,
        engine_version_metadata=[
            schemas.EngineVersionMetadata(
                engine_version=info.name,
                status=info.status,
                features=schemas.EngineVersionSupportedFeatures(
                    use_for_sql_deployments=info.use_for_sql_deployments,
                    support_native_savepoint=info.support_native_savepoint,
                ),
                flink_version=info.flink_version,
            )
            for info in versions.metadata()
        ],
    )
