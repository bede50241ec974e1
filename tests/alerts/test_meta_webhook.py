"""The Meta webhook app: the subscription check, signed notifications, refusals."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from alerts.meta_webhook import MAX_BODY, meta_webhook_app, signature

SECRET = "PLACEHOLDER_APP_SECRET"
VERIFY = "PLACEHOLDER_VERIFY_TOKEN"
PAGE_CHANGE = {"object": "page", "entry": [{"id": "104000000000001", "time": 1795300000,
               "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add",
                                                      "comment_id": "500_900",
                                                      "post_id": "104_500"}}]}]}


def call(app: Any, method: str, query: str = "", body: bytes = b"",
         headers: dict[str, str] | None = None, path: str = "/webhooks/meta"
         ) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path,
                               "QUERY_STRING": query, "CONTENT_LENGTH": str(len(body)),
                               "wsgi.input": io.BytesIO(body)}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []
    out = b"".join(app(environ, lambda s, h, exc=None: status.append(s)))
    return status[0], out


@pytest.fixture
def seen() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def app(seen: list[tuple[str, dict[str, Any]]]) -> Any:
    return meta_webhook_app(SECRET, VERIFY, lambda obj, change: seen.append((obj, change)))


def test_challenge__right_token_echoes_it(app: Any) -> None:
    status, body = call(app, "GET", f"hub.mode=subscribe&hub.verify_token={VERIFY}"
                                    "&hub.challenge=1158201444")
    assert status.startswith("200") and body == b"1158201444"


def test_challenge__wrong_token_or_mode_is_403(app: Any) -> None:
    assert call(app, "GET", "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")[0] \
        .startswith("403")
    assert call(app, "GET", f"hub.mode=other&hub.verify_token={VERIFY}&hub.challenge=1")[0] \
        .startswith("403")


def test_post__valid_signature_hands_on_each_change(app: Any, seen: list[Any]) -> None:
    body = json.dumps(PAGE_CHANGE).encode()

    status, _ = call(app, "POST", body=body,
                     headers={"X-Hub-Signature-256": signature(body, SECRET)})

    assert status.startswith("200")
    assert seen == [("page", {"field": "feed", "entry_id": "104000000000001",
                              "value": PAGE_CHANGE["entry"][0]["changes"][0]["value"]})]


def test_post__threads_shape_is_object_threads(app: Any, seen: list[Any]) -> None:
    payload = {"app_id": "1", "topic": "moderate", "target_id": "18060000000000001",
               "time": 1795300000, "values": {"field": "replies", "value": {"id": "1807"}}}
    body = json.dumps(payload).encode()

    call(app, "POST", body=body, headers={"X-Hub-Signature-256": signature(body, SECRET)})

    assert seen == [("threads", {"field": "replies", "value": {"id": "1807"},
                                 "entry_id": "18060000000000001"})]


@pytest.mark.parametrize("header", [None, "sha256=" + "0" * 64, "sha1=abc"])
def test_post__bad_or_missing_signature_is_401_and_not_handed_on(
        app: Any, seen: list[Any], header: str | None) -> None:
    body = json.dumps(PAGE_CHANGE).encode()

    status, _ = call(app, "POST", body=body,
                     headers={"X-Hub-Signature-256": header} if header else {})

    assert status.startswith("401") and seen == []


def test_post__oversized_body_is_413(app: Any, seen: list[Any]) -> None:
    body = b"x" * (MAX_BODY + 1)

    status, _ = call(app, "POST", body=body,
                     headers={"X-Hub-Signature-256": signature(body, SECRET)})

    assert status.startswith("413") and seen == []


def test_post__a_failing_handler_still_answers_200_and_logs_no_body(caplog: Any) -> None:
    def broken(obj: str, change: dict[str, Any]) -> None:
        raise RuntimeError("boom")
    app = meta_webhook_app(SECRET, VERIFY, broken)
    body = json.dumps(PAGE_CHANGE).encode()

    status, _ = call(app, "POST", body=body,
                     headers={"X-Hub-Signature-256": signature(body, SECRET)})

    assert status.startswith("200")
    assert "500_900" not in caplog.text


def test_other_path_is_404(app: Any) -> None:
    assert call(app, "GET", path="/elsewhere")[0].startswith("404")
