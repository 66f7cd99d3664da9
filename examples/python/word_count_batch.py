"""Millstream example: the batch variant of ``word_count.py`` (runs to FINISHED).

A bounded ``datagen`` source (``number-of-rows``), the same Python UDF and GROUP BY, in
batch mode. Arguments: ``--rows N`` (default 1000).
"""

from __future__ import annotations

import argparse

from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
from pyflink.table.udf import udf


def clean_word(word: str) -> str:
    return word.strip().lower()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    options, _ = parser.parse_known_args()

    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.create_temporary_function("clean_word", udf(clean_word, result_type=DataTypes.STRING()))
    t_env.execute_sql(
        f"""
        CREATE TEMPORARY TABLE words (word STRING) WITH (
          'connector' = 'datagen',
          'number-of-rows' = '{options.rows}',
          'fields.word.length' = '1'
        )"""
    )
    t_env.execute_sql(
        "CREATE TEMPORARY TABLE counts (word STRING, n BIGINT) WITH ('connector' = 'blackhole')"
    )
    t_env.execute_sql(
        "INSERT INTO counts SELECT clean_word(word), COUNT(*) FROM words GROUP BY clean_word(word)"
    )


if __name__ == "__main__":
    main()
