"""Console forms: what the SQL editor and the action forms post, parsed into domain values.

``console.py`` hands the raw form fields to these parsers; bad input raises ``InvalidInput``
with a message the page shows next to the form. Pure, so ``tests/unit/web`` covers it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from millstream.control.services import DeploymentPatch
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import RestoreKind, RestoreStrategy, StopStrategy
from millstream.domain.resources import ResourceSetting, ResourceSpec

__all__ = [
    "EditorForm",
    "InvalidFlinkConf",
    "flink_conf_lines",
    "format_flink_conf",
    "parse_flink_conf",
    "parse_restore",
    "parse_stop",
]


class InvalidFlinkConf(InvalidInput):
    """A line of the editor's Flink configuration field that is not ``key: value``. The
    console's own refinement of ``InvalidInput`` (raised and caught in ``web/``): it
    carries the line so the page marks it at the field, not under the SQL."""

    def __init__(self, problem: str, *, line: int, key: str | None = None) -> None:
        super().__init__(f"Flink configuration line {line}: {problem}")
        self.problem = problem  # the message without its position
        self.line = line
        self.key = key


def _conf_lines(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(line number, stripped line, None) per entry, or (number, line, why) when bad."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cuts = [i for i in (line.find(":"), line.find("=")) if i >= 0]
        if not cuts:
            yield number, line, f"{line!r} is not 'key: value'"
        elif not line[: min(cuts)].strip():
            yield number, line, "this line has no key"
        else:
            yield number, line, None


def _split(line: str) -> tuple[str, str]:
    cut = min(i for i in (line.find(":"), line.find("=")) if i >= 0)
    return line[:cut].strip(), line[cut + 1 :].strip()


def parse_flink_conf(text: str) -> dict[str, str]:
    """``key: value`` (or ``key=value``) per line; blank lines and ``#`` comments skipped."""
    conf: dict[str, str] = {}
    for number, line, problem in _conf_lines(text):
        if problem is not None:
            raise InvalidFlinkConf(problem, line=number)
        key, value = _split(line)
        conf[key] = value
    return conf


def flink_conf_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, key, value) of every well-formed entry of the configuration text."""
    return [(n, *_split(line)) for n, line, problem in _conf_lines(text) if problem is None]


def format_flink_conf(conf: Mapping[str, Any]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in sorted(conf.items()))


def _number(text: str, what: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} must be a number, got {text!r}") from None


@dataclass(frozen=True, slots=True)
class EditorForm:
    """The SQL editor's fields, exactly as typed (so a failed save re-renders them)."""

    name: str = ""
    sql_script: str = ""
    execution_mode: str = ExecutionMode.STREAMING.value
    engine_version: str = ""
    parallelism: str = "1"
    jobmanager_cpu: str = "1"
    jobmanager_memory: str = "1 GiB"
    taskmanager_cpu: str = "1"
    taskmanager_memory: str = "2 GiB"
    flink_conf: str = ""
    description: str = ""
    expected_version: str = ""

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> EditorForm:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: str(v) for k, v in fields.items() if k in known and v is not None}
        if "sql_script" in values:  # browsers post CRLF line ends from a textarea
            values["sql_script"] = values["sql_script"].replace("\r\n", "\n")
        return cls(**values)

    @classmethod
    def from_deployment(cls, deployment: Deployment) -> EditorForm:
        resources = deployment.resources
        return cls(
            name=deployment.name,
            sql_script=deployment.artifact.sql_script or "",
            execution_mode=deployment.execution_mode.value,
            engine_version=deployment.engine_version or "",
            parallelism=str(resources.parallelism),
            jobmanager_cpu=f"{resources.jobmanager.cpu:g}",
            jobmanager_memory=resources.jobmanager.memory,
            taskmanager_cpu=f"{resources.taskmanager.cpu:g}",
            taskmanager_memory=resources.taskmanager.memory,
            flink_conf=format_flink_conf(deployment.flink_conf),
            description=deployment.description or "",
            expected_version=str(deployment.version),
        )

    @property
    def mode(self) -> ExecutionMode:
        try:
            return ExecutionMode(self.execution_mode.upper())
        except ValueError:
            raise InvalidInput(
                f"execution mode must be STREAMING or BATCH, got {self.execution_mode!r}"
            ) from None

    def resources(self, current: ResourceSetting | None = None) -> ResourceSetting:
        """The BASIC resource setting typed in, keeping other fields of ``current``."""
        return dataclasses.replace(
            current or ResourceSetting(),
            parallelism=_number(self.parallelism, "parallelism", int),
            jobmanager=ResourceSpec(
                _number(self.jobmanager_cpu, "JobManager CPU", float),
                self.jobmanager_memory.strip(),
            ),
            taskmanager=ResourceSpec(
                _number(self.taskmanager_cpu, "TaskManager CPU", float),
                self.taskmanager_memory.strip(),
            ),
        )

    def to_patch(self, current: Deployment | None = None) -> DeploymentPatch:
        """A create patch (``current`` None) or an update of ``current``."""
        mode = self.mode
        resources = self.resources(current.resources if current is not None else None)
        artifact = Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=self.sql_script)
        if current is not None and current.artifact.kind is ArtifactKind.SQLSCRIPT:
            artifact = dataclasses.replace(current.artifact, sql_script=self.sql_script)
        expected = self.expected_version.strip()
        return DeploymentPatch(
            name=self.name.strip(),
            artifact=artifact,
            execution_mode=mode,
            engine_version=self.engine_version.strip() or None,
            description=self.description.strip() or None,
            flink_conf=parse_flink_conf(self.flink_conf),
            streaming_resource=resources if mode is ExecutionMode.STREAMING else None,
            batch_resource=resources if mode is ExecutionMode.BATCH else None,
            expected_version=_number(expected, "version", int) if expected else None,
        )


def parse_restore(
    kind: str, savepoint_id: str = "", allow_non_restored: str = ""
) -> RestoreStrategy:
    """The start form's restore choice; FROM_SAVEPOINT needs a savepoint picked."""
    restore = RestoreStrategy(
        kind=RestoreKind.parse(kind or RestoreKind.NONE.value),
        savepoint_id=savepoint_id.strip() or None,
        allow_non_restored_state=allow_non_restored.lower() in ("on", "true", "1", "yes"),
    )
    if restore.kind is not RestoreKind.FROM_SAVEPOINT:
        restore = dataclasses.replace(restore, savepoint_id=None)
    elif not restore.savepoint_id:
        raise InvalidInput("pick the savepoint to restore from")
    return restore


def parse_stop(strategy: str) -> StopStrategy:
    return StopStrategy.parse(strategy or StopStrategy.STOP_WITH_SAVEPOINT.value)
