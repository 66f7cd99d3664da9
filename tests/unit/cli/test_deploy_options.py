"""``deploy sql``: invalid SQL reported as ``validate`` does (``file:line:col`` and a
caret), and the deployment's Flink configuration from ``--conf`` and ``--conf-file``."""

from __future__ import annotations

from pathlib import Path

import pytest

from millstream.cli.exit_codes import ExitCode
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


def _script(tmp_path: Path, text: str = "INSERT INTO s SELECT 1;\n") -> str:
    path = tmp_path / "job.sql"
    path.write_text(text)
    return str(path)


def test_invalid_sql_is_reported_with_line_column_and_caret(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    script = _script(tmp_path, "CREATE TABLE t (a INT);\n  SELEC a FROM t;\n")

    result = invoke("deploy", "sql", script, "--name", "bad")

    assert result.exit_code == ExitCode.ERROR
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{script}:2:3: error: SQL parse failed")
    assert lines[1:3] == ["   2 |   SELEC a FROM t;", "     |   ^"]
    assert server.deployments == {}


def test_conf_and_conf_file_set_the_flink_configuration(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    conf_file = tmp_path / "config.yaml"
    conf_file.write_text(
        "execution:\n  checkpointing:\n    interval: 30s\n"
        "pipeline.object-reuse: true\nparallelism.default: 2\n"
    )

    result = invoke(
        "deploy", "sql", _script(tmp_path), "--name", "a", "--conf-file", str(conf_file),
        "--conf", "parallelism.default=4", "-c", "state.backend.type=rocksdb",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (deployment,) = server.deployments.values()
    assert deployment["flinkConf"] == {
        "execution.checkpointing.interval": "30s",
        "pipeline.object-reuse": "true",
        "parallelism.default": "4",  # --conf wins over the file
        "state.backend.type": "rocksdb",
    }


def test_a_properties_file_and_a_redeploy(
    invoke: Invoke, server: FakeServer, tmp_path: Path
) -> None:
    props = tmp_path / "flink.properties"
    props.write_text("# comment\ntaskmanager.numberOfTaskSlots = 2\nrest.port: 8082\n\n")
    script = _script(tmp_path)

    assert invoke("deploy", "sql", script, "-n", "a", "--conf-file", str(props)).exit_code == 0
    (deployment,) = server.deployments.values()
    assert deployment["flinkConf"] == {"taskmanager.numberOfTaskSlots": "2", "rest.port": "8082"}
    # a redeploy without --conf keeps the configuration; with it, replaces it
    assert invoke("deploy", "sql", script, "-n", "a").exit_code == 0
    assert deployment["flinkConf"] == {"taskmanager.numberOfTaskSlots": "2", "rest.port": "8082"}
    assert invoke("deploy", "sql", script, "-n", "a", "--conf", "a.b=c").exit_code == 0
    assert deployment["flinkConf"] == {"a.b": "c"}


@pytest.mark.parametrize(
    ("args", "file_text", "message"),
    [
        (["--conf", "no-equals-sign"], None, "expected key=value"),
        (["--conf", "bad key=1"], None, "is not a Flink configuration key"),
        (["--conf", "=1"], None, "is not a Flink configuration key"),
        ([], "- a\n- b\n", "expected a mapping"),
        ([], "a: [1, {b: 2}]\n", "must be text, a number or a list"),
        ([], "a: : :\n  - x", "not valid YAML"),
    ],
)
def test_bad_configuration_is_a_usage_error_and_nothing_is_sent(
    invoke: Invoke,
    server: FakeServer,
    tmp_path: Path,
    args: list[str],
    file_text: str | None,
    message: str,
) -> None:
    extra = list(args)
    if file_text is not None:
        conf = tmp_path / "conf.yaml"
        conf.write_text(file_text)
        extra += ["--conf-file", str(conf)]

    result = invoke("deploy", "sql", _script(tmp_path), "--name", "a", *extra)

    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in " ".join(result.stderr.split())
    assert server.deployments == {}


def test_a_bad_properties_line_names_its_line(invoke: Invoke, tmp_path: Path) -> None:
    props = tmp_path / "flink.properties"
    props.write_text("a.b=1\njust words here\n")

    result = invoke("deploy", "sql", _script(tmp_path), "-n", "a", "--conf-file", str(props))

    assert result.exit_code == ExitCode.USAGE
    assert f"{props}:2: expected key=value" in " ".join(result.stderr.split())
