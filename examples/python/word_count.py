"""Millstream example: a streaming PyFlink Table API job for PYTHON deployments.

Random words from the ``datagen`` connector, normalised by a Python UDF (so the job runs
a Python worker next to the TaskManager), counted per word in a continuous GROUP BY
(keyed state: savepoints carry the counts) and written to a ``blackhole`` sink.

Arguments: ``--rows-per-second N`` (default 10).
"""

from __future__ import annotations

import argparse

from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf


def clean_word(word: str) -> str:
    return word.strip().lower()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-per-second", type=int, default=10)
    options, _ = parser.parse_known_args()

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.create_temporary_function("clean_word", udf(clean_word, result_type=DataTypes.STRING()))
    t_env.execute_sql(
        f"""
        CREATE TEMPORARY TABLE words (word STRING) WITH (
          'connector' = 'datagen',
          'rows-per-second' = '{options.rows_per_second}',
          'fields.word.length' = '1'
        )"""
    )
    t_env.execute_sql(
        "CREATE TEMPORARY TABLE counts (word STRING, n BIGINT) WITH ('connector' = 'blackhole')"
    )
    # Submitted and left running: the JobManager runs this main() and returns.
    t_env.execute_sql(
        "INSERT INTO counts SELECT clean_word(word), COUNT(*) FROM words GROUP BY clean_word(word)"
    )


if __name__ == "__main__":
    main()
