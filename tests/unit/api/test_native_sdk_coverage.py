"""Issue 17: the native dialect serves every operation of the official
``alibabacloud-ververica20220718`` SDK. The operations are read from the installed SDK's
client (one ``<operation>_with_options`` method each), so a new SDK release with an
operation Millstream lacks fails here; ``test_dialect_operations`` checks that every
operation of the table has a route of that name.
"""

from __future__ import annotations

from alibabacloud_ververica20220718.client import Client

from millstream.api.native.operation_table import OPERATIONS

_SUFFIX = "_with_options"


def _sdk_operations() -> set[str]:
    return {
        "".join(part.capitalize() for part in name.removesuffix(_SUFFIX).split("_"))
        for name in dir(Client)
        if name.endswith(_SUFFIX) and not name.startswith("_")
    }


def test_the_sdk_lists_its_operations() -> None:
    operations = _sdk_operations()
    assert len(operations) >= 107  # the 2022-07-18 API as the spec lists it
    assert {"CreateDeployment", "GetLineageInfo", "ChatAiAgent"} <= operations


def test_every_sdk_operation_has_a_native_operation() -> None:
    assert sorted(_sdk_operations() - set(OPERATIONS)) == []
