"""Native UDF artifact, UDF function and custom connector operations at the paths the
official SDK sends (``spec/ops/ververica-2022-07-18.tsv``):

    POST   /api/v2/namespaces/{ns}/udfartifacts                     CreateUdfArtifact
    GET    /api/v2/namespaces/{ns}/udfartifacts?udfArtifactName=    GetUdfArtifacts
    PUT    /api/v2/namespaces/{ns}/udfartifacts/{name}              UpdateUdfArtifact
    DELETE /api/v2/namespaces/{ns}/udfartifacts/{name}              DeleteUdfArtifact
    POST   .../udfartifacts/function:registerUdfFunction?udfArtifactName=&className=&functionName=
    DELETE .../udfartifacts/function/{functionName}?udfArtifactName=&className=
    POST   /api/v2/namespaces/{ns}/connectors:register?jarUrl=      RegisterCustomConnector
    GET    /api/v2/namespaces/{ns}/connectors                       ListCustomConnectors
    DELETE /api/v2/namespaces/{ns}/connectors/{name}                DeleteCustomConnector

Wire models: ``UdfArtifact {name, namespace, jarUrl, dependencyJarUris, artifactType,
udfClasses, creator, createdAt, modifiedAt}``, ``UdfClass {className, classType,
functionNames, udfArtifactName}`` (``classType``: UDF, UDTF, UDAF, UDTAF, ASYNC_UDF,
ASYNC_UDTF), ``UdfFunction {functionName, className, udfArtifactName}``, ``Connector
{name, type, source, sink, lookup, properties, supportedFormats, dependencies, creator,
modifier}`` with ``Property {key, required, defaultValue, description, sensitive,
definesFormat}``. Colliding or missing classes answer ``createSuccess``/``updateSuccess``
``false`` with the classes (the SDK's result models); everything else that cannot be done
is an error in the native envelope.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.json_shape import StringList
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.services.udfs import ArtifactChange, UdfService
from millstream.domain.udfs import CustomConnector, UdfArtifact, UdfClass, UdfFunction, UdfKind

__all__ = ["UdfArtifactBody", "connector_to_wire", "router", "udf_artifact_to_wire"]

router = native_router()

_ARTIFACTS = NAMESPACE + "/udfartifacts"
_CONNECTORS = NAMESPACE + "/connectors"
Name = Annotated[str, Path(min_length=1, max_length=128)]

CLASS_TYPES: dict[UdfKind, str] = {
    UdfKind.SCALAR: "UDF",
    UdfKind.TABLE: "UDTF",
    UdfKind.AGGREGATE: "UDAF",
    UdfKind.TABLE_AGGREGATE: "UDTAF",
    UdfKind.ASYNC_SCALAR: "ASYNC_UDF",
    UdfKind.ASYNC_TABLE: "ASYNC_UDTF",
}


class UdfArtifactBody(WireModel):
    """SDK ``UdfArtifact``: the body of CreateUdfArtifact and UpdateUdfArtifact."""

    name: str | None = None
    jar_url: str | None = None
    dependency_jar_uris: StringList | None = None


def _ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def _class_to_wire(
    artifact_name: str, udf_class: UdfClass, functions: Iterable[UdfFunction]
) -> dict[str, Any]:
    return {
        "className": udf_class.class_name,
        "classType": CLASS_TYPES[udf_class.kind],
        "functionNames": sorted(
            f.name
            for f in functions
            if f.artifact_name == artifact_name and f.class_name == udf_class.class_name
        ),
        "udfArtifactName": artifact_name,
    }


def udf_artifact_to_wire(
    artifact: UdfArtifact, functions: Iterable[UdfFunction] = ()
) -> dict[str, Any]:
    """SDK ``UdfArtifact`` with each class's registered function names."""
    functions = list(functions)
    return {
        "name": artifact.name,
        "namespace": artifact.namespace,
        "jarUrl": artifact.jar_uri,
        "dependencyJarUris": list(artifact.dependency_uris),
        "artifactType": "JAVA",
        "udfClasses": [_class_to_wire(artifact.name, c, functions) for c in artifact.classes],
        "creator": artifact.creator,
        "createdAt": _ms(artifact.created_at),
        "modifiedAt": _ms(artifact.modified_at),
    }


def _function_to_wire(function: UdfFunction) -> dict[str, Any]:
    return {
        "functionName": function.name,
        "className": function.class_name,
        "udfArtifactName": function.artifact_name,
    }


def connector_to_wire(connector: CustomConnector) -> dict[str, Any]:
    """SDK ``Connector``: ``dependencies`` are the jars jobs using it get."""
    return {
        "name": connector.name,
        "type": "CUSTOM",
        "source": connector.source,
        "sink": connector.sink,
        "lookup": False,
        "supportedFormats": list(connector.formats),
        "dependencies": list(connector.jars),
        "properties": [
            {
                "key": o.key,
                "required": o.required,
                "defaultValue": o.default,
                "description": o.description,
                "sensitive": o.sensitive,
                "definesFormat": o.defines_format,
            }
            for o in connector.options
        ],
        "creator": connector.creator,
        "creatorName": connector.creator,
        "modifier": connector.modifier,
        "modifierName": connector.modifier,
    }


def _udfs(ctx: RequestContext) -> UdfService:
    if ctx.services.udfs is None:
        raise not_enabled("UDFs and custom connectors")
    return ctx.services.udfs


def _change_classes(change: ArtifactChange, classes: Iterable[UdfClass]) -> list[dict[str, Any]]:
    return [_class_to_wire(change.artifact.name, c, change.functions) for c in classes]


def _default_name(jar_url: str | None) -> str | None:
    """The artifact name when the body has none: the jar's file name without ``.jar``."""
    if not jar_url or not jar_url.strip():
        return None
    file_name = jar_url.strip().rstrip("/").rsplit("/", 1)[-1]
    return file_name.removesuffix(".jar") or None


# --------------------------------------------------------------------------- artifacts


@router.post(_ARTIFACTS, name="CreateUdfArtifact")
def create_udf_artifact(ctx: Ctx, body: UdfArtifactBody) -> JSONResponse:
    udfs = _udfs(ctx)
    change = udfs.create_artifact(
        ctx.scope,
        ctx.actor,
        body.name or _default_name(body.jar_url),
        body.jar_url,
        body.dependency_jar_uris or (),
    )
    return ok(
        ctx,
        {
            "createSuccess": change.ok,
            "message": change.message,
            "collidingClasses": _change_classes(change, change.colliding),
            "udfArtifact": udf_artifact_to_wire(change.artifact),
        },
    )


@router.get(_ARTIFACTS, name="GetUdfArtifacts")
def get_udf_artifacts(
    ctx: Ctx,
    udf_artifact_name: Annotated[str | None, Query(alias="udfArtifactName", max_length=128)] = None,
) -> JSONResponse:
    udfs = _udfs(ctx)
    artifacts = udfs.artifacts(ctx.scope, udf_artifact_name or None)
    functions = udfs.functions(ctx.scope)
    return ok(ctx, [udf_artifact_to_wire(a, functions) for a in artifacts])


@router.put(_ARTIFACTS + "/{udf_artifact_name}", name="UpdateUdfArtifact")
def update_udf_artifact(ctx: Ctx, udf_artifact_name: Name, body: UdfArtifactBody) -> JSONResponse:
    udfs = _udfs(ctx)
    change = udfs.update_artifact(
        ctx.scope,
        ctx.actor,
        udf_artifact_name,
        body.jar_url,
        body.dependency_jar_uris,
    )
    functions = udfs.functions(ctx.scope)
    return ok(
        ctx,
        {
            "updateSuccess": change.ok,
            "message": change.message,
            "collidingClasses": _change_classes(change, change.colliding),
            "missingClasses": [
                _class_to_wire(change.artifact.name, c, functions) for c in change.missing
            ],
            "udfArtifact": udf_artifact_to_wire(change.artifact, functions),
        },
    )


@router.delete(_ARTIFACTS + "/{udf_artifact_name}", name="DeleteUdfArtifact")
def delete_udf_artifact(ctx: Ctx, udf_artifact_name: Name) -> JSONResponse:
    udfs = _udfs(ctx)
    [artifact] = udfs.artifacts(ctx.scope, udf_artifact_name)
    deleted = udfs.delete_artifact(ctx.scope, ctx.actor, udf_artifact_name)
    with_functions = {f.class_name for f in deleted}
    return ok(
        ctx,
        {
            "deleteSuccess": True,
            "message": f"deleted with {len(deleted)} registered function(s)",
            # the classes whose functions were deleted with the artifact
            "referencedClasses": [
                _class_to_wire(artifact.name, c, deleted)
                for c in artifact.classes
                if c.class_name in with_functions
            ],
        },
    )


# --------------------------------------------------------------------------- functions


@router.post(_ARTIFACTS + "/function:registerUdfFunction", name="RegisterUdfFunction")
def register_udf_function(
    ctx: Ctx,
    udf_artifact_name: Annotated[str | None, Query(alias="udfArtifactName", max_length=128)] = None,
    class_name: Annotated[str | None, Query(alias="className", max_length=1024)] = None,
    function_name: Annotated[str | None, Query(alias="functionName", max_length=128)] = None,
) -> JSONResponse:
    function = _udfs(ctx).register_function(
        ctx.scope,
        ctx.actor,
        artifact_name=udf_artifact_name,
        class_name=class_name,
        function_name=function_name,
    )
    return ok(ctx, _function_to_wire(function))


@router.delete(_ARTIFACTS + "/function/{function_name}", name="DeleteUdfFunction")
def delete_udf_function(
    ctx: Ctx,
    function_name: Name,
    udf_artifact_name: Annotated[str | None, Query(alias="udfArtifactName", max_length=128)] = None,
    class_name: Annotated[str | None, Query(alias="className", max_length=1024)] = None,
) -> JSONResponse:
    _udfs(ctx).delete_function(
        ctx.scope,
        ctx.actor,
        function_name,
        artifact_name=udf_artifact_name,
        class_name=class_name,
    )
    return ok(ctx)


# --------------------------------------------------------------------------- connectors


@router.post(_CONNECTORS + ":register", name="RegisterCustomConnector")
def register_custom_connector(
    ctx: Ctx, jar_url: Annotated[str | None, Query(alias="jarUrl", max_length=2048)] = None
) -> JSONResponse:
    connectors = _udfs(ctx).register_connectors(ctx.scope, ctx.actor, jar_url)
    return ok(ctx, [connector_to_wire(c) for c in connectors])


@router.get(_CONNECTORS, name="ListCustomConnectors")
def list_custom_connectors(ctx: Ctx) -> JSONResponse:
    return ok(ctx, [connector_to_wire(c) for c in _udfs(ctx).connectors(ctx.scope)])


@router.delete(_CONNECTORS + "/{connector_name}", name="DeleteCustomConnector")
def delete_custom_connector(ctx: Ctx, connector_name: Name) -> JSONResponse:
    _udfs(ctx).delete_connector(ctx.scope, ctx.actor, connector_name)
    # SDK: a list of TableMeta (tables of a catalog built on the connector); none here.
    return ok(ctx, [])
