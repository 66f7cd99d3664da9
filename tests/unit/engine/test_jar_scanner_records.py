"""The jar scanner's records (``JarScanner.java`` output) become typed results."""

from __future__ import annotations

from millstream.domain.udfs import UdfKind
from millstream.engine.jar_scanner import parse_connectors, parse_functions


def test_function_records_become_classes_sorted_and_unknown_kinds_skipped() -> None:
    lines = [
        "warning\tb.Broken: java.lang.NoClassDefFoundError: x",
        "class\tTABLE\tb.Split",
        "class\tSCALAR\ta.Upper",
        "class\tMYSTERY\tc.Odd",
    ]
    classes = parse_functions(lines)
    assert [(c.class_name, c.kind) for c in classes] == [
        ("a.Upper", UdfKind.SCALAR),
        ("b.Split", UdfKind.TABLE),
    ]


def test_connector_records_carry_options_formats_and_builtin_clashes() -> None:
    lines = [
        "builtin\tdatagen",
        "builtin\tjson",
        "connector\tseq\tc.SeqFactory\ttrue\tfalse",
        "option\tstart\tfalse\tfalse\t11\tThe first\\tnumber.",
        "option\tend\ttrue\tfalse\t0\t",
        "option\tformat\tfalse\tfalse\t0\tWhich format",
        "option\tpassword\tfalse\ttrue\t0\t",
        "connector\tdatagen\tc.Other\tfalse\ttrue",
        "format\tcsv",
        "format\tjson",
    ]
    seq, datagen = parse_connectors(lines)
    assert (seq.identifier, seq.factory_class, seq.source, seq.sink) == (
        "seq",
        "c.SeqFactory",
        True,
        False,
    )
    assert [o.key for o in seq.options] == ["end", "format", "password", "start"]
    start = next(o for o in seq.options if o.key == "start")
    assert (start.default, start.description, start.required) == ("1", "The first\tnumber.", False)
    end = next(o for o in seq.options if o.key == "end")
    assert (end.default, end.required) == (None, True)
    assert next(o for o in seq.options if o.key == "password").sensitive
    assert seq.formats == ("csv", "json")
    assert not seq.builtin
    assert datagen.builtin
    assert datagen.formats == ()  # no format option: no formats
