"""Client operations of UDF artifacts, UDF functions and custom connectors at the
official SDK's paths (CreateUdfArtifact, GetUdfArtifacts, DeleteUdfArtifact,
RegisterUdfFunction, DeleteUdfFunction, RegisterCustomConnector, ListCustomConnectors,
DeleteCustomConnector). Values like those of ``client.operations``; ``MillstreamClient``
sends them. Answers are the wire dicts (``api.native.udfs`` documents them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from millstream.client.envelopes import data_of as _data
from millstream.client.envelopes import items_of as _items
from millstream.client.envelopes import namespace_base as _base
from millstream.client.operations import Operation

__all__ = [
    "create_udf_artifact",
    "delete_custom_connector",
    "delete_udf_artifact",
    "delete_udf_function",
    "get_udf_artifacts",
    "list_custom_connectors",
    "register_custom_connector",
    "register_udf_function",
]


def create_udf_artifact(
    namespace: str, name: str, jar_url: str, dependencies: Sequence[str] = ()
) -> Operation[dict[str, Any]]:
    body = {"name": name, "jarUrl": jar_url, "dependencyJarUris": list(dependencies)}
    return Operation(
        "CreateUdfArtifact", "POST", _base(namespace) + "/udfartifacts", _data, body=body
    )


def get_udf_artifacts(namespace: str, name: str | None = None) -> Operation[list[dict[str, Any]]]:
    path = _base(namespace) + "/udfartifacts"
    return Operation("GetUdfArtifacts", "GET", path, _items, query={"udfArtifactName": name})


def delete_udf_artifact(namespace: str, name: str) -> Operation[dict[str, Any]]:
    path = _base(namespace) + f"/udfartifacts/{quote(name, safe='')}"
    return Operation("DeleteUdfArtifact", "DELETE", path, _data)


def register_udf_function(
    namespace: str, artifact: str, class_name: str, function_name: str | None = None
) -> Operation[dict[str, Any]]:
    path = _base(namespace) + "/udfartifacts/function%3AregisterUdfFunction"
    query = {"udfArtifactName": artifact, "className": class_name, "functionName": function_name}
    return Operation("RegisterUdfFunction", "POST", path, _data, query=query)


def delete_udf_function(namespace: str, name: str) -> Operation[dict[str, Any]]:
    path = _base(namespace) + f"/udfartifacts/function/{quote(name, safe='')}"
    return Operation("DeleteUdfFunction", "DELETE", path, _data)


def register_custom_connector(namespace: str, jar_url: str) -> Operation[list[dict[str, Any]]]:
    path = _base(namespace) + "/connectors%3Aregister"
    return Operation("RegisterCustomConnector", "POST", path, _items, query={"jarUrl": jar_url})


def list_custom_connectors(namespace: str) -> Operation[list[dict[str, Any]]]:
    return Operation("ListCustomConnectors", "GET", _base(namespace) + "/connectors", _items)


def delete_custom_connector(namespace: str, name: str) -> Operation[list[dict[str, Any]]]:
    path = _base(namespace) + f"/connectors/{quote(name, safe='')}"
    return Operation("DeleteCustomConnector", "DELETE", path, _items)
