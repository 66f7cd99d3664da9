"""Build the shipped examples: ``python examples/build.py [--data-dir DIR]``.

Compiles ``examples/java`` with ``javac`` against the apache-flink wheel's jars (no Maven
Central needed) into ``<data_dir>/examples/`` — cached by a hash of the sources, so a
second run is instant — and prints each example's path, ready to upload as an artifact.
The demo and the tests call ``build_examples`` the same way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from millstream.engine.javac import compile_jar
from millstream.engine.runtime import FlinkRuntime

EXAMPLES = Path(__file__).resolve().parent
STREAMING_JOB_CLASS = "millstream.examples.StreamingJob"


def build_examples(data_dir: Path, *, flink_home: str | None = None) -> dict[str, Path]:
    """Name -> file of every example: the compiled Java job and the Python programs."""
    runtime = FlinkRuntime.detect(flink_home)
    jar = compile_jar(
        runtime,
        [EXAMPLES / "java" / "src" / "main" / "java"],
        cache_dir=data_dir / "examples",
        name="millstream-examples",
        main_class=STREAMING_JOB_CLASS,
    )
    udfs = compile_jar(
        runtime,
        [EXAMPLES / "java" / "udf"],
        cache_dir=data_dir / "examples",
        name="millstream-udfs",
    )
    connector = compile_jar(
        runtime,
        [EXAMPLES / "java" / "connector" / "millstream"],
        cache_dir=data_dir / "examples",
        name="millstream-sequence-connector",
        resources=EXAMPLES / "java" / "connector" / "resources",
    )
    return {
        "streaming-job.jar": jar,
        # UDF artifact: PrefixUpper (scalar), SplitWords (table), LongSum (aggregate)
        "udfs.jar": udfs,
        # custom connector 'ms-sequence': a bounded sequence source with options
        "sequence-connector.jar": connector,
        "word_count.py": EXAMPLES / "python" / "word_count.py",
        "word_count_batch.py": EXAMPLES / "python" / "word_count_batch.py",
    }


LEGACY_JOB_CLASS = "millstream.examples.LegacySourceJob"


def build_legacy_example(data_dir: Path, *, flink_home: str | Path) -> Path:
    """The Flink 1.x example (``SourceFunction``, removed in Flink 2.0), compiled against
    the jars of a 1.x runtime (``millstream runtimes install 1.20``; its home here)."""
    return compile_jar(
        FlinkRuntime.detect(flink_home),
        [EXAMPLES / "java" / "legacy"],
        cache_dir=data_dir / "examples",
        name="millstream-legacy-source",
        main_class=LEGACY_JOB_CLASS,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".millstream"))
    options = parser.parse_args()
    for name, path in build_examples(options.data_dir).items():
        sys.stdout.write(f"{name}\t{path}\n")


if __name__ == "__main__":
    main()
