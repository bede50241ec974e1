"""Where alerts end up: Slack through slack_sdk, or the terminal when no token is set.

Both take the same calls; only this file touches slack_sdk's objects. A report's charts go to
Slack with the Web API's external upload (`upload_files`), or into a folder when printed.
"""

from __future__ import annotations

import sys
import tempfile
import urllib.error
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from alerts import blocks, console
from alerts import messages as msg
from monitor.domain import CaseView
from monitor.errors import AuthError, PlatformError, RateLimited, TemporaryPlatformError
from monitor.report_model import Chart

SLACK_HINTS = {
    "channel_not_found": "the channel does not exist or the bot cannot see it; check slack.channel "
                         "in the brands file and invite the bot to the channel",
    "not_in_channel": "invite the bot to the channel (/invite @brand-monitor)",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid; copy the Bot User OAuth Token again",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "the Slack app was uninstalled or the token revoked; reinstall the app",
    "missing_scope": "the Slack app lacks a scope; reinstall it from config/slack-app-manifest.yaml",
    "msg_too_long": "the message is too long for Slack (this is a bug: please report it)",
}


class Delivery(Protocol):
    """What the sender asks of an output. Posts carry their idempotency key; `find` looks a
    key up among the channel's (or thread's) messages since `oldest`."""

    def alert(self, channel: str, view: CaseView, now: datetime, responders: Sequence[str],
              thread_ts: str | None = None, key: str | None = None) -> tuple[str, str]: ...
    def update(self, channel: str, ts: str, view: CaseView, now: datetime,
               responders: Sequence[str]) -> None: ...
    def post(self, channel: str, text: str, extra_blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, key: str | None = None) -> tuple[str, str]: ...
    def edit(self, channel: str, ts: str, text: str, extra_blocks: list[dict[str, Any]] | None) -> None: ...
    def ephemeral(self, channel: str, user: str, text: str) -> None: ...
    def find(self, channel: str, key: str, oldest: datetime, thread_ts: str | None = None) -> str | None: ...
    def upload_files(self, channel: str, files: Sequence[Chart], comment: str,
                     thread_ts: str | None = None) -> list[str]: ...
    def thread_has_files(self, channel: str, thread_ts: str) -> bool: ...


METADATA_EVENT = "brand_monitor_message"
FIND_PAGES = 5  # 1,000 messages back at most: a busier channel is searched no further


def _metadata(key: str | None) -> dict[str, Any] | None:
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None


def slack_error(exc: SlackApiError) -> PlatformError:
    """Turn a Slack API error into ours, with the wait Slack asked for or the fix."""
    response = exc.response
    status = getattr(response, "status_code", 0)
    if status == 429:
        retry = (response.headers or {}).get("Retry-After") or (response.headers or {}).get("retry-after")
        return RateLimited("slack", float(retry) if retry else None)
    if status >= 500:
        return TemporaryPlatformError("slack", f"Slack answered {status}; will retry")
    code = response.get("error", "unknown_error") if hasattr(response, "get") else "unknown_error"
    hint = SLACK_HINTS.get(str(code), "see https://api.slack.com/methods for the error code")
    cls = AuthError if code in ("invalid_auth", "not_authed", "account_inactive") else PlatformError
    return cls("slack", f"{code}: {hint}")


def _upload_error(exc: urllib.error.HTTPError) -> PlatformError:
    """Turn a refused POST to an upload URL into ours: a 429 pauses like the Web API's."""
    if exc.code == 429:
        retry = exc.headers.get("Retry-After") if exc.headers else None
        return RateLimited("slack", float(retry) if retry else None)
    return TemporaryPlatformError("slack", f"the file upload answered {exc.code}; will retry")


class SlackDelivery:
    """Post and update Block Kit messages with slack_sdk's WebClient."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise slack_error(exc) from None
        except urllib.error.HTTPError as exc:  # a file's upload URL, which slack_sdk calls with urllib
            raise _upload_error(exc) from None
        except (OSError, TimeoutError) as exc:
            raise TemporaryPlatformError("slack", f"cannot reach Slack ({exc}); will retry") from None

    def alert(self, channel: str, view: CaseView, now: datetime, responders: Sequence[str],
              thread_ts: str | None = None, key: str | None = None) -> tuple[str, str]:
        response = self._call("chat_postMessage", channel=channel, text=blocks.alert_fallback_text(view),
                              blocks=blocks.build_alert(view, now, responders), unfurl_links=False,
                              unfurl_media=False, thread_ts=thread_ts, metadata=_metadata(key))
        return str(response["ts"]), str(response.get("channel") or channel)

    def update(self, channel: str, ts: str, view: CaseView, now: datetime,
               responders: Sequence[str]) -> None:
        self._call("chat_update", channel=channel, ts=ts, text=blocks.alert_fallback_text(view),
                   blocks=blocks.build_alert(view, now, responders))

    def post(self, channel: str, text: str, extra_blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, key: str | None = None) -> tuple[str, str]:
        response = self._call("chat_postMessage", channel=channel, text=text, blocks=extra_blocks,
                              thread_ts=thread_ts, unfurl_links=False, metadata=_metadata(key))
        return str(response["ts"]), str(response.get("channel") or channel)

    def edit(self, channel: str, ts: str, text: str, extra_blocks: list[dict[str, Any]] | None) -> None:
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=extra_blocks)

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self._call("chat_postEphemeral", channel=channel, user=user, text=text)

    def find(self, channel: str, key: str, oldest: datetime, thread_ts: str | None = None) -> str | None:
        """Our message carrying `key`, posted since `oldest`: its ts, or None (a few pages read)."""
        method = "conversations_replies" if thread_ts else "conversations_history"
        params: dict[str, Any] = {"channel": channel, "oldest": f"{oldest.timestamp():.6f}",
                                  "limit": 200, "include_all_metadata": True}
        if thread_ts:
            params["ts"] = thread_ts
        for _ in range(FIND_PAGES):
            response = self._call(method, **params)
            for message in response.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == key:
                    return str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
            params["cursor"] = cursor
        return None

    def thread_has_files(self, channel: str, thread_ts: str) -> bool:
        """Whether files were shared in the thread of `thread_ts` already: a sender taking over
        after a crash between the upload and its record uploads nothing again (an upload
        carries no metadata key to be found by)."""
        params: dict[str, Any] = {"channel": channel, "ts": thread_ts, "limit": 200}
        for _ in range(FIND_PAGES):
            response = self._call("conversations_replies", **params)
            if any(m.get("files") for m in response.get("messages") or []
                   if str(m.get("ts")) != thread_ts):
                return True
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
            params["cursor"] = cursor
        return False

    def upload_files(self, channel: str, files: Sequence[Chart], comment: str,
                     thread_ts: str | None = None) -> list[str]:
        """Share `files` in `channel` (a channel id, e.g. the one `post` returns), with `comment`,
        in the thread of `thread_ts` if given; return Slack's file ids.

        files_upload_v2 asks files.getUploadURLExternal for each file, POSTs the bytes to the
        URL Slack returned (files.slack.com, not the API base URL), then shares them all with
        one files.completeUploadExternal. A 429 at any step raises RateLimited, as `post` does.
        Upload again after a failure: the files of an upload never completed are not shared.
        """
        if not files:
            return []
        uploads = [{"file": f.png, "filename": f.filename, "title": f.title, "alt_txt": f.title}
                   for f in files]
        try:
            response = self._call("files_upload_v2", channel=channel, file_uploads=uploads,
                                  initial_comment=comment or None, thread_ts=thread_ts)
        except SlackRequestError as exc:  # the upload URL answered, but not with 200
            raise TemporaryPlatformError("slack", f"the file upload failed ({exc}); will retry") from None
        return [str(f["id"]) for f in response.get("files") or []]


class ConsoleDelivery:
    """Print alerts readably when no Slack token is configured."""

    def __init__(self, stream: TextIO | None = None, files_dir: Path | None = None) -> None:
        """`files_dir` receives the charts of `upload_files`; by default a new folder in the
        system's temporary directory, made at the first upload."""
        self.stream = stream or sys.stdout
        self.files_dir = files_dir
        self._count = 0

    def _write(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def alert(self, channel: str, view: CaseView, now: datetime, responders: Sequence[str],
              thread_ts: str | None = None, key: str | None = None) -> tuple[str, str]:
        self._count += 1
        self._write(console.render_alert(view, now))
        return f"console-{self._count}", channel

    def update(self, channel: str, ts: str, view: CaseView, now: datetime,
               responders: Sequence[str]) -> None:
        self._write(console.render_alert(view, now))

    def post(self, channel: str, text: str, extra_blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, key: str | None = None) -> tuple[str, str]:
        self._count += 1
        self._write(console.render_event(text if thread_ts else f"[{channel}] {text}"))
        return f"console-{self._count}", channel

    def edit(self, channel: str, ts: str, text: str, extra_blocks: list[dict[str, Any]] | None) -> None:
        self._write(console.render_event(text))

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        self._write(console.render_event(f"(only {user} sees this) {text}"))

    def thread_has_files(self, channel: str, thread_ts: str) -> bool:
        return False  # the terminal keeps no history: charts saved twice are harmless

    def find(self, channel: str, key: str, oldest: datetime, thread_ts: str | None = None) -> str | None:
        return None  # the terminal keeps no history: a message printed twice is harmless

    def upload_files(self, channel: str, files: Sequence[Chart], comment: str,
                     thread_ts: str | None = None) -> list[str]:
        """Write `files` into `files_dir` and print the comment and where each one went."""
        if not files:
            return []
        if self.files_dir is None:
            self.files_dir = Path(tempfile.mkdtemp(prefix="brand-monitor-charts-"))
        self.files_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for chart in files:
            path = self.files_dir / (Path(chart.filename).name or "chart.png")
            path.write_bytes(chart.png)
            paths.append(str(path))
        if comment:
            self._write(console.render_event(comment if thread_ts else f"[{channel}] {comment}"))
        # The paths go out whole, never wrapped, so they can be copied from the terminal.
        self._write("\n".join([msg.report_files_saved(str(self.files_dir)), *(f"  {p}" for p in paths)]))
        return paths
