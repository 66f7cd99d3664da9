"""JsonResponse writes what Starlette's JSONResponse wrote, faster."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from millstream.api.json_response import JsonResponse

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_json_values)
def test_the_bytes_are_starlettes(content: Any) -> None:
    assert JsonResponse(content).body == JSONResponse(content).body


@pytest.mark.parametrize("content", [{"big": 2**70}, {1: "int key"}])
def test_what_orjson_refuses_is_written_by_the_standard_library(content: Any) -> None:
    assert JsonResponse(content).body == JSONResponse(content).body


def test_ready_json_fragments_are_embedded_as_they_are() -> None:
    body = JsonResponse({"data": [orjson.Fragment(b'{"a":1}')]}).body
    assert json.loads(bytes(body)) == {"data": [{"a": 1}]}
