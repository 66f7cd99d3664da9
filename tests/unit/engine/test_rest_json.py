"""``/jobs/overview`` answers are decoded whatever Jackson writes there (Java longs
exactly, a bare NaN), and a body that is not JSON is refused as such."""

from __future__ import annotations

import math

import pytest

from millstream.engine.rest import _loads


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"jobs": [{"jid": "a"}]}', {"jobs": [{"jid": "a"}]}),
        (b'{"value": NaN}', "nan"),
        (b'{"t": 9223372036854775807, "m": -1}', {"t": 2**63 - 1, "m": -1}),
    ],
)
def test_overview_json_is_decoded_whatever_jackson_writes(body: bytes, expected: object) -> None:
    decoded = _loads(body)
    if expected == "nan":
        assert math.isnan(decoded["value"])
    else:
        assert decoded == expected


def test_an_answer_that_is_not_json_is_refused() -> None:
    with pytest.raises(ValueError, match="Expecting value"):
        _loads(b"<html>proxy error</html>")
