"""A shared cluster's log keeps only the records naming the job (``own_records``)."""

from __future__ import annotations

from millstream.control.services.logs import own_records

LOG = """\
2026-01-01 10:00:00,000 INFO  Submitting job 'mine' (aaaa).
2026-01-01 10:00:01,000 INFO  Submitting job 'theirs' (bbbb).
2026-01-01 10:00:02,000 WARN  Job theirs (bbbb) switched to FAILED.
java.lang.RuntimeException: their secret table
\tat Their.code(Their.java:1)
2026-01-01 10:00:03,000 WARN  Job mine (aaaa) switched to FAILED.
java.lang.RuntimeException: my own failure
"""


def test_only_records_naming_the_job_are_kept_with_their_stack_traces() -> None:
    text, dropped = own_records(LOG, ["aaaa", "job-1"])
    assert dropped
    assert "bbbb" not in text
    assert "their secret table" not in text
    assert "my own failure" in text
    assert text.count("aaaa") == 2


def test_nothing_dropped_when_every_record_names_the_job() -> None:
    own = "2026-01-01 10:00:00,000 INFO  job-1 started\n"
    assert own_records(own, ["job-1"]) == (own, False)


def test_stdout_lines_are_records_of_their_own() -> None:
    text, dropped = own_records("+I[aaaa, 1]\n+I[bbbb, 2]\n", ["aaaa"], stamped=False)
    assert (text, dropped) == ("+I[aaaa, 1]\n", True)
