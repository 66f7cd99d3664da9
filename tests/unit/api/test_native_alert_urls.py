"""Alert rules are readable by every viewer of a namespace: the webhook URL they show is
masked, because Slack, DingTalk and Feishu put the hook's token in its path or query."""

from __future__ import annotations

import pytest

from millstream.api.native.alerts import masked_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://hooks.slack.com/services/T000/B000/XXXXXXXXsecretWXYZ",
            "https://hooks.slack.com/…WXYZ",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789",
            "https://oapi.dingtalk.com/…6789",
        ),
        ("https://example.com?token=abcdefghijkl", "https://example.com/…ijkl"),
        ("http://127.0.0.1:9/hook", "http://127.0.0.1:9/…"),
        ("https://example.com", "https://example.com"),
    ],
)
def test_the_token_part_of_a_webhook_url_is_not_shown(url: str, shown: str) -> None:
    assert masked_url(url) == shown
