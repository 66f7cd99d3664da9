"""Client operations of health checks, a Millstream extension of the native API
(``GetDeploymentHealth``, ``GetHealthPolicy``, ``PutHealthPolicy``,
``DeleteHealthPolicy``).

Values like those of ``client.operations``; ``MillstreamClient`` sends them. A policy and
a health are the plain wire dicts (``maxRestarts``, ``restartWindowSeconds``, ...;
``state``, ``reason``, ``message``, ``since``, ...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from millstream.client.envelopes import data_of as _data
from millstream.client.envelopes import nothing as _nothing
from millstream.client.operations import Operation

__all__ = [
    "delete_health_policy",
    "get_deployment_health",
    "get_health_policy",
    "put_health_policy",
]


def _path(namespace: str, deployment_id: str, tail: str) -> str:
    return (
        f"/api/v2/namespaces/{quote(namespace, safe='')}/deployments/"
        f"{quote(deployment_id, safe='')}/{tail}"
    )


def get_deployment_health(namespace: str, deployment_id: str) -> Operation[dict[str, Any]]:
    path = _path(namespace, deployment_id, "health")
    return Operation("GetDeploymentHealth", "GET", path, _data)


def get_health_policy(namespace: str, deployment_id: str) -> Operation[dict[str, Any]]:
    path = _path(namespace, deployment_id, "health-policy")
    return Operation("GetHealthPolicy", "GET", path, _data)


def put_health_policy(
    namespace: str, deployment_id: str, policy: dict[str, Any]
) -> Operation[dict[str, Any]]:
    path = _path(namespace, deployment_id, "health-policy")
    return Operation("PutHealthPolicy", "PUT", path, _data, body=policy)


def delete_health_policy(namespace: str, deployment_id: str) -> Operation[None]:
    path = _path(namespace, deployment_id, "health-policy")
    return Operation("DeleteHealthPolicy", "DELETE", path, _nothing)
