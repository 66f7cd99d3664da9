"""Reading the deployments of an apply file: YAML in the native API's shape, validated.

Called by ``commands/apply.py`` (``millstream apply|diff -f``). A file holds one or more
YAML documents (``---``); each is a deployment mapping or a list of them, with the wire
names ``millstream deployments get NAME -o yaml`` prints (camelCase). Server-set fields
(``deploymentId``, ``createdAt``, ``resourceVersion`` …) are ignored, so such output can
be applied back. Two shorthands, as ``millstream deploy`` offers: ``parallelism: N`` and
``artifact.sqlArtifact.sqlScriptFile`` (a path relative to the YAML file). Every problem
is an ``ApplyFileError`` naming the file and the 1-based document (and list item).
Pure except for the ``read_text`` callback that reads script files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from millstream.client import Deployment

__all__ = [
    "MANAGED_BY",
    "MANAGED_BY_VALUE",
    "ApplyFileError",
    "DesiredDeployment",
    "parse_documents",
]

MANAGED_BY = "millstream.io/managed-by"
MANAGED_BY_VALUE = "apply"

# Set by the server; present in ``deployments get -o yaml`` output, never compared.
_READ_ONLY = frozenset(
    {
        "deploymentId",
        "workspace",
        "creator",
        "modifier",
        "createdAt",
        "modifiedAt",
        "jobSummary",
        "resourceVersion",
    }
)
_KINDS = {
    "SQLSCRIPT": ("sqlArtifact", "sqlScript"),
    "JAR": ("jarArtifact", "jarUri"),
    "PYTHON": ("pythonArtifact", "pythonArtifactUri"),
}
_MODES = frozenset({"STREAMING", "BATCH"})
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]{0,62}[a-z0-9])?$", re.IGNORECASE)


class ApplyFileError(ValueError):
    """A problem in an apply file; the message names the file and document."""


@dataclass(frozen=True)
class DesiredDeployment:
    """One deployment as the file wants it: ``spec`` holds wire names, only fields given."""

    name: str
    spec: dict[str, Any]
    source: str  # "deployments.yaml, document 2"


def _where(file: str, doc: int, item: int | None) -> str:
    return f"{file}, document {doc}" + ("" if item is None else f", item {item}")


def _unknown_paths(given: Any, known: Any, prefix: str = "") -> list[str]:
    """Paths set in ``given`` that the model dropped (typos, fields it does not have)."""
    if not isinstance(given, Mapping):
        return []
    found: list[str] = []
    for key, value in given.items():
        path = f"{prefix}{key}"
        if value is None:
            continue
        if not isinstance(known, Mapping) or key not in known:
            found.append(path)
        elif key not in ("flinkConf", "labels"):
            found.extend(_unknown_paths(value, known[key], path + "."))
    return found


def _string_map(value: Any, field: str, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ApplyFileError(f"{where}: {field} must be a mapping of keys to values")
    bad = [key for key, item in value.items() if isinstance(item, Mapping | list)]
    if bad:
        raise ApplyFileError(f"{where}: {field}.{bad[0]} must be a scalar value")
    # Flink configuration and labels are strings on the server; YAML may read 4 or true.
    return {
        str(key): ("true" if item is True else "false" if item is False else str(item))
        for key, item in value.items()
        if item is not None
    }


def _expand_shorthands(
    raw: dict[str, Any], where: str, read_text: Callable[[str], str]
) -> dict[str, Any]:
    doc = dict(raw)
    parallelism = doc.pop("parallelism", None)
    if parallelism is not None:
        if not isinstance(parallelism, int) or isinstance(parallelism, bool) or parallelism < 1:
            raise ApplyFileError(f"{where}: parallelism must be a whole number >= 1")
        setting = dict(doc.get("streamingResourceSetting") or {})
        basic = dict(setting.get("basicResourceSetting") or {})
        if basic.get("parallelism") not in (None, parallelism):
            raise ApplyFileError(
                f"{where}: parallelism and streamingResourceSetting.basicResourceSetting."
                "parallelism differ; give one"
            )
        basic["parallelism"] = parallelism
        setting.setdefault("resourceSettingMode", "BASIC")
        setting["basicResourceSetting"] = basic
        doc["streamingResourceSetting"] = setting
    artifact = doc.get("artifact")
    if isinstance(artifact, Mapping) and isinstance(artifact.get("sqlArtifact"), Mapping):
        sql = dict(artifact["sqlArtifact"])
        script_file = sql.pop("sqlScriptFile", None)
        if script_file is not None:
            if "sqlScript" in sql:
                raise ApplyFileError(f"{where}: give sqlScript or sqlScriptFile, not both")
            try:
                sql["sqlScript"] = read_text(str(script_file))
            except OSError as exc:
                raise ApplyFileError(
                    f"{where}: cannot read sqlScriptFile {script_file!r}: {exc.strerror}"
                ) from exc
        doc["artifact"] = {**artifact, "sqlArtifact": sql}
    return doc


def _check_artifact(spec: Mapping[str, Any], where: str) -> None:
    artifact = spec.get("artifact")
    if not isinstance(artifact, Mapping):
        raise ApplyFileError(f"{where}: artifact is required (kind SQLSCRIPT, JAR or PYTHON)")
    kind = artifact.get("kind")
    if kind not in _KINDS:
        raise ApplyFileError(
            f"{where}: artifact.kind must be SQLSCRIPT, JAR or PYTHON (got {kind!r})"
        )
    sub, main = _KINDS[kind]
    value = (artifact.get(sub) or {}).get(main)
    if not value:
        raise ApplyFileError(f"{where}: artifact.{sub}.{main} is required for kind {kind}")
    if kind != "SQLSCRIPT" and "://" not in str(value):
        raise ApplyFileError(
            f"{where}: artifact.{sub}.{main} must be a URI; upload a local file first "
            "with `millstream artifacts upload` and use the URI it prints"
        )


def _one_deployment(
    raw: Any, where: str, namespace: str, read_text: Callable[[str], str]
) -> DesiredDeployment:
    if not isinstance(raw, Mapping):
        raise ApplyFileError(f"{where}: expected a deployment mapping, got {type(raw).__name__}")
    doc = {key: value for key, value in raw.items() if key not in _READ_ONLY}
    doc = _expand_shorthands(doc, where, read_text)
    name = doc.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ApplyFileError(
            f"{where}: name is required: letters, digits, '-', '_' or '.', at most 64 "
            f"(got {name!r})"
        )
    where = f"{where} ({name})"
    if doc.get("namespace") not in (None, namespace):
        raise ApplyFileError(
            f"{where}: namespace {doc['namespace']!r} is not the target namespace "
            f"{namespace!r}; apply each namespace's file with --namespace"
        )
    doc.pop("namespace", None)
    for field in ("flinkConf", "labels"):
        if doc.get(field) is not None:
            doc[field] = _string_map(doc[field], field, where)
    try:
        model = Deployment.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(part) for part in first["loc"])
        raise ApplyFileError(f"{where}: {path}: {first['msg']}") from exc
    spec = model.to_wire()
    unknown = _unknown_paths(doc, spec)
    if unknown:
        raise ApplyFileError(f"{where}: unknown field {unknown[0]!r}")
    if spec.get("executionMode", "STREAMING") not in _MODES:
        raise ApplyFileError(f"{where}: executionMode must be STREAMING or BATCH")
    _check_artifact(spec, where)
    return DesiredDeployment(name=name, spec=spec, source=where)


def parse_documents(
    text: str, *, file: str, namespace: str, read_text: Callable[[str], str]
) -> list[DesiredDeployment]:
    """The deployments of one file's text, checked (``ApplyFileError`` on the first problem)."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise ApplyFileError(f"{file}: not valid YAML: {exc}") from exc
    found: list[DesiredDeployment] = []
    for index, document in enumerate(documents, start=1):
        if document is None:
            continue  # an empty document, e.g. a trailing ---
        if isinstance(document, list):
            for item, raw in enumerate(document, start=1):
                where = _where(file, index, item)
                found.append(_one_deployment(raw, where, namespace, read_text))
        else:
            found.append(_one_deployment(document, _where(file, index, None), namespace, read_text))
    return found
