"""The SQL editor page: the CodeMirror bundle ships in the package and is served and
referenced; the plain textarea stays the posted field; errors land at their field."""

from __future__ import annotations

import re
from typing import Any

import pytest

from millstream.domain.errors import EnginePermanentError, InvalidSql
from millstream.web.guards import CONTENT_SECURITY_POLICY
from millstream.web.rendering import STATIC_FILES, static_dir

from .conftest import World, sign_in

HX = {"hx-request": "true"}
BUNDLE = "sql-editor.min.js"


def test_editor_bundle_and_its_notices_ship_in_the_package() -> None:
    bundle = static_dir() / BUNDLE
    assert bundle.stat().st_size > 100_000  # CodeMirror itself, not a stub
    assert STATIC_FILES[BUNDLE] == "text/javascript"
    notices = (static_dir() / "sql-editor.LICENSE").read_text()
    for package in ("@codemirror/view", "@codemirror/lang-sql", "@codemirror/lint"):
        assert f"\n{package}@" in notices
    assert "Permission is hereby granted" in notices  # the MIT text itself


async def test_editor_page_loads_the_bundle_over_a_plain_textarea(world: World) -> None:
    await sign_in(world.client)
    page = await world.client.get("/console/sql/new")
    assert f'<script src="/console/static/{BUNDLE}" defer></script>' in page.text
    area = re.search(r"<textarea name=\"sql_script\"[^>]*>", page.text)
    assert area is not None  # the form still posts the textarea
    assert "data-sql-editor" in area.group(0)
    assert 'data-validate-url="/console/sql/validate"' in area.group(0)
    assert "<script>" not in page.text  # nothing inline: the CSP allows none
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    served = await world.client.get(f"/console/static/{BUNDLE}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    assert served.content == (static_dir() / BUNDLE).read_bytes()


async def test_unparsable_configuration_marks_its_field_not_the_sql(world: World) -> None:
    csrf = await sign_in(world.client)
    fields = {
        "csrf": csrf,
        "name": "conf",
        "sql_script": "SELECT 1;",
        "flink_conf": "parallelism.default: 1\nthis line has no separator",
    }
    saved = await world.client.post("/console/sql/save", data=fields)
    assert saved.status_code == 400
    conf = re.search(r'<textarea name="flink_conf"[^>]*>', saved.text)
    assert conf is not None
    assert 'aria-invalid="true"' in conf.group(0)
    assert 'data-error-line="2"' in conf.group(0)
    note = re.search(r'<p class="field-error" id="flink-conf-error"[^>]*>([^<]*)</p>', saved.text)
    assert note is not None
    assert note.group(1).startswith("Line 2: ")
    assert 'data-error-field="flink_conf"' in saved.text
    assert "sql-line" not in saved.text  # no copy of the SQL
    sql = re.search(r'<textarea name="sql_script"[^>]*>', saved.text)
    assert sql is not None
    assert "aria-invalid" not in sql.group(0)
    validated = await world.client.post("/console/sql/validate", data=fields, headers=HX)
    assert 'data-error-field="flink_conf"' in validated.text
    assert 'data-error-line="2"' in validated.text


async def test_value_flink_refuses_is_marked_at_its_key(world: World) -> None:
    csrf = await sign_in(world.client)
    world.engine.flink.bad_sql = InvalidSql(
        "Could not parse value 'soon' for key 'execution.checkpointing.interval'."
    )
    fields = {
        "csrf": csrf,
        "sql_script": "SELECT 1;",
        "flink_conf": "parallelism.default: 1\nexecution.checkpointing.interval: soon",
    }
    validated = await world.client.post("/console/sql/validate", data=fields, headers=HX)
    assert 'data-error-field="flink_conf"' in validated.text
    assert 'data-conf-key="execution.checkpointing.interval"' in validated.text
    assert 'data-error-line="2"' in validated.text


async def test_refusal_only_with_the_configuration_marks_the_configuration(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flink answers 500 naming neither key nor value: planned again without the
    configuration, the script passes, so the configuration field is marked."""
    planned: list[dict[str, Any]] = []

    def validate_sql(script: str, *, execution_mode: Any, flink_conf: dict[str, Any]) -> None:
        del script, execution_mode
        planned.append(flink_conf)
        if flink_conf:
            raise EnginePermanentError(
                "Flink POST /jars/r.jar/plan answered 500: java.lang.IllegalArgumentException: "
                "The maximum parallelism must be greater than 0."
            )

    monkeypatch.setattr(world.engine.flink, "validate_sql", validate_sql)
    csrf = await sign_in(world.client)
    fields = {
        "csrf": csrf,
        "name": "maxp",
        "sql_script": "SELECT 1;",
        "flink_conf": "pipeline.max-parallelism: -5",
    }
    validated = await world.client.post("/console/sql/validate", data=fields, headers=HX)
    assert 'data-error-field="flink_conf"' in validated.text
    assert 'data-message="IllegalArgumentException: The maximum parallelism' in validated.text
    assert planned == [{"pipeline.max-parallelism": "-5"}, {}]
    saved = await world.client.post("/console/sql/save", data=fields)
    assert saved.status_code == 400  # the input's fault, not the server's
    conf = re.search(r'<textarea name="flink_conf"[^>]*>', saved.text)
    assert conf is not None
    assert 'aria-invalid="true"' in conf.group(0)


async def test_sql_error_says_its_position_once(world: World) -> None:
    csrf = await sign_in(world.client)
    world.engine.flink.bad_sql = InvalidSql(
        "From line 2, column 8 to line 2, column 10: Column 'nme' not found in any table",
        line=2,
        column=8,
    )
    fields = {"csrf": csrf, "sql_script": "SELECT 1;\nSELECT nme FROM t;"}
    validated = await world.client.post("/console/sql/validate", data=fields, headers=HX)
    assert 'data-error-end-line="2" data-error-end-column="10"' in validated.text
    assert validated.text.count("column 8") == 1
    assert "Column &#39;nme&#39; not found in any table" in validated.text
