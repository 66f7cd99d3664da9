"""The job page's insides in a real browser on the session's server and Flink: the job
graph, vertex metrics, checkpoints, exceptions, TaskManagers, configuration and metric
charts, refreshed live (values change between polls), laid out at 1400x900 and at 820 px
wide without overflow, and the ended-job state that keeps the history.

The job fails every 12 s on purpose (a division by zero in one second of twelve,
restarted after half a second) so that its exception history grows while the test watches.
Screenshots go to ``test-output/console/``.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, sql_deployment

from .conftest import ConsoleServer, Shot
from .test_console_flow import sign_in

pytestmark = pytest.mark.flink

# Every row read in a second whose number is a multiple of 12 divides by zero: a burst of
# failures every 12 s (restarted after half a second), healthy in between.
FLAKY_SQL = """CREATE TEMPORARY TABLE src (
  id INT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10',
  'fields.id.min' = '1',
  'fields.id.max' = '50'
);
CREATE TEMPORARY TABLE snk (
  id INT,
  n BIGINT
) WITH (
  'connector' = 'blackhole'
);
INSERT INTO snk SELECT id, COUNT(*) FROM src
WHERE 100 / (SECOND(LOCALTIMESTAMP) % 12) > 0 GROUP BY id;
"""
FLINK_CONF = {
    "execution.checkpointing.interval": "1 s",
    "restart-strategy.type": "fixed-delay",
    "restart-strategy.fixed-delay.attempts": "100000",
    "restart-strategy.fixed-delay.delay": "500 ms",
}
WAIT = 30_000  # ms
START_WAIT = 120_000  # ms: submission on a loaded machine


def _started_job(api: Api) -> str:
    """A started job (not waited for: the page shows it come alive)."""
    name = f"insights-{uuid.uuid4().hex[:6]}"
    deployment = api.ok(
        "POST", "deployments", body=sql_deployment(name, FLAKY_SQL, flinkConf=FLINK_CONF)
    )
    job = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment["deploymentId"], "restoreStrategy": {"kind": "NONE"}},
    )
    return str(job["jobId"])


def test_job_page_shows_the_jobs_insides_live(
    page: Page, console_server: ConsoleServer, api: Api, shot: Shot
) -> None:
    job_id = _started_job(api)
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, console_server)
    page.goto(f"{console_server.url}/console/jobs/{job_id}")

    # the graph appears once Flink runs the job (the panel polls, no reload): a source
    # vertex feeding the aggregation by a HASH edge
    expect(page.locator("#job-graph .graph-vertex")).to_have_count(2, timeout=START_WAIT)
    expect(page.locator("#job-graph .graph-edge text")).to_have_text("HASH")
    expect(page.locator("#job-graph")).to_contain_text("Source: src")
    expect(page.locator("#job-vertices tbody tr")).to_have_count(2)
    expect(page.locator("#job-taskmanagers tbody tr").first).to_be_visible()
    expect(page.locator("#job-configuration")).to_contain_text("execution.checkpointing.interval")
    expect(page.locator("#insights-state")).to_contain_text("Live from Flink")
    # checkpoints every second, and the failures the job is built to have
    completed = page.locator("#checkpoints-completed")
    expect(completed).not_to_have_text("0", timeout=WAIT)
    failures = page.locator("#job-exceptions li")
    expect(failures.first).to_contain_text("ArithmeticException", timeout=WAIT)

    # a stack trace the reader opens stays open across the panel's refreshes
    failures.first.locator("summary").click()
    opened = failures.first.locator("details").get_attribute("id")
    expect(page.locator(f"#{opened}")).to_have_attribute("open", "")

    # live: the polled panel changes without a reload
    seen_checkpoints = completed.inner_text()
    seen_failures = failures.count()
    expect(completed).not_to_have_text(seen_checkpoints, timeout=WAIT)
    expect(failures.nth(seen_failures)).to_be_attached(timeout=WAIT)  # one more failure
    expect(page.locator(f"#{opened}")).to_have_attribute("open", "")
    # the metric charts draw the samples Millstream keeps
    records_chart = page.locator('#job-charts [data-chart="records"] polyline').first
    expect(records_chart).to_be_attached(timeout=WAIT)
    # vertex metrics: the source's records out per second and the aggregation's busy
    # time become numbers (between two of the job's failures)
    source, aggregation = page.locator("#job-vertices tbody tr").all()
    # (Flink's per-second meter restarts at zero with each of the job's restarts and
    # averages over a minute: any positive rate, a fraction on a loaded machine)
    expect(source.locator('[data-metric="records-out"]')).to_have_text(
        re.compile(r"^([1-9]|0\.\d*[1-9])"), timeout=2 * WAIT
    )
    # Flink reports busy time as NaN for a while after each of the job's restarts: any of
    # busy, idle or backpressured becoming a share is the time split being shown
    shares = aggregation.locator(
        '[data-metric="busy"], [data-metric="idle"], [data-metric="backpressured"]'
    ).filter(has_text=re.compile(r"^\d+%$"))
    expect(shares).not_to_have_count(0, timeout=2 * WAIT)
    shot(page, "30-job-insights-1400x900")

    page.set_viewport_size({"width": 820, "height": 900})
    expect(page.locator("#job-graph")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 820, "the page overflows"
    for card in ("#job-graph-card", "#job-vertices-card", "#job-charts"):
        inside = page.locator(card).evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        assert inside, f"{card} overflows its card at 820 px"
    graph = page.locator("#job-graph").bounding_box()
    holder = page.locator("#job-graph-card").bounding_box()
    assert graph is not None
    assert holder is not None
    assert graph["x"] + graph["width"] <= holder["x"] + holder["width"] + 1
    shot(page, "31-job-insights-820")

    # ended: the panel says Flink has no live data and stops polling; history stays
    api.ok("POST", f"jobs/{job_id}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job_id, "CANCELLED", "FAILED", timeout=60)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.reload()
    expect(page.locator("#insights-state")).to_contain_text(
        "Flink no longer has live data for this job"
    )
    assert page.locator("#job-insights").get_attribute("hx-trigger") is None
    assert page.locator("#job-charts").get_attribute("hx-trigger") is None
    expect(page.locator('#job-charts [data-chart="records"] polyline').first).to_be_attached()
    expect(page.locator("#job-exceptions li").first).to_be_visible()
    shot(page, "32-job-insights-ended")
