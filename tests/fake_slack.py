"""A local fake of the Slack Web API on loopback that records every call.

Responses are shaped as Slack documents them (`ok`, `ts`, `channel`, `error`). Failures can
be queued per method to test retries (HTTP 500, 429 with Retry-After, `ok: false`).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

UPLOAD_PATH = "/upload/v1/"  # where files.getUploadURLExternal's upload URLs point on the fake


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)  # when it arrived (epoch seconds)


@dataclass
class Failure:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": False, "error": "internal_error"})
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; point SLACK_API_URL at `slack.url`."""

    def __init__(self, usergroups: dict[str, list[str]] | None = None,
                 start_ts: float = 1_700_000_000) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.usergroups = usergroups or {}
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> posted messages
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> its getUploadURLExternal, bytes
        self.files: list[dict[str, Any]] = []  # files shared by files.completeUploadExternal
        self._ts = int(start_ts)  # message timestamps count up from here, one second apart
        self._lock = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                data_in = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                uploading = self.path.startswith(UPLOAD_PATH)  # a file's bytes, not a Web API call
                raw = "" if uploading else data_in.decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                    for key in ("blocks", "view", "attachments"):
                        if isinstance(params.get(key), str):
                            params[key] = json.loads(params[key])
                status, body, headers = (fake._receive(method, data_in, dict(self.headers)) if uploading
                                         else fake._answer(method, params, dict(self.headers)))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/"

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, method: str, failure: Failure) -> None:
        self.failures.setdefault(method, []).append(failure)

    def _answer(self, method: str, params: dict[str, Any],
                headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.calls.append(Call(method, params, headers))
            self._lock.notify_all()
            queued = self.failures.get(method)
            if queued:
                failure = queued.pop(0)
                return failure.status, failure.body, failure.headers
            self._ts += 1
            ts = f"{self._ts}.000100"
            channel = str(params.get("channel", "C0FAKE"))
            if channel.startswith("#"):
                channel = "C" + channel[1:].upper().replace("-", "")[:9]
        if method == "chat.postMessage":
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            stored = {"type": "message", "text": params.get("text", ""), "ts": ts,
                      "thread_ts": params.get("thread_ts"), "metadata": metadata}
            with self._lock:
                self.messages.setdefault(channel, []).append(stored)
            return 200, {"ok": True, "channel": channel, "ts": ts,
                         "message": {"text": params.get("text", ""), "ts": ts}}, {}
        if method in ("conversations.history", "conversations.replies"):
            return 200, self._history(method, channel, params), {}
        if method == "chat.update":
            return 200, {"ok": True, "channel": channel, "ts": params.get("ts"),
                         "text": params.get("text", "")}, {}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": ts}, {}
        if method == "views.open":
            return 200, {"ok": True, "view": {"id": "V0FAKE", "type": "modal"}}, {}
        if method == "usergroups.users.list":
            return 200, {"ok": True, "users": self.usergroups.get(str(params.get("usergroup")), [])}, {}
        if method == "auth.test":
            return 200, {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "bot",
                         "team_id": "T0FAKE", "user_id": "U0BOT", "bot_id": "B0BOT"}, {}
        if method == "files.getUploadURLExternal":
            return 200, self._upload_url(params), {}
        if method == "files.completeUploadExternal":
            return 200, self._complete_upload(params), {}
        return 200, {"ok": True}, {}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """Hand out an upload URL on this server, as Slack hands out one on files.slack.com."""
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            file_id = f"F{len(self.uploads) + 1:08d}"
            self.uploads[file_id] = {"filename": params["filename"], "length": int(params["length"]),
                                     "alt_txt": params.get("alt_txt"), "data": None}
        return {"ok": True, "file_id": file_id,
                "upload_url": f"http://127.0.0.1:{self.server.server_port}{UPLOAD_PATH}{file_id}"}

    def _receive(self, file_id: str, data: bytes,
                 headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Take a file's bytes at its upload URL (recorded as the call "upload")."""
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, headers))
            self._lock.notify_all()
            queued = self.failures.get("upload")
            if queued:
                failure = queued.pop(0)
                return failure.status, failure.body, failure.headers
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404, {"ok": False, "error": "unknown upload URL"}, {}
            upload["data"] = data
        return 200, {"ok": True}, {}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """Share the uploaded files in `channel_id`; a file never uploaded fails the call."""
        files = json.loads(params.get("files") or "[]")
        with self._lock:
            if not files or any((self.uploads.get(f.get("id")) or {}).get("data") is None for f in files):
                return {"ok": False, "error": "file_not_found"}
            shared = [{"id": f["id"], "title": f.get("title") or self.uploads[f["id"]]["filename"],
                       "name": self.uploads[f["id"]]["filename"], "channel": params.get("channel_id"),
                       "thread_ts": params.get("thread_ts"), "alt_txt": self.uploads[f["id"]]["alt_txt"],
                       "initial_comment": params.get("initial_comment"),
                       "data": self.uploads[f["id"]]["data"]} for f in files]
            self.files.extend(shared)
            # Slack shares the files as one message (in the thread, if given) with the comment.
            self._ts += 1
            self.messages.setdefault(str(params.get("channel_id")), []).append(
                {"type": "message", "text": params.get("initial_comment") or "", "ts": f"{self._ts}.000100",
                 "thread_ts": params.get("thread_ts"), "metadata": None,
                 "files": [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in shared]})
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"], "name": f["name"]}
                                      for f in shared]}

    def files_in(self, channel: str) -> list[dict[str, Any]]:
        """The files shared in `channel`, each with its bytes under "data"."""
        with self._lock:
            return [f for f in self.files if f["channel"] == channel]

    def _history(self, method: str, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """Messages newest first, as Slack documents; metadata only with include_all_metadata."""
        oldest = float(params.get("oldest") or 0)
        thread = params.get("ts") if method == "conversations.replies" else None
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [dict(m) for m in self.messages.get(channel, [])
                     if float(m["ts"]) >= oldest and (thread is None or m["thread_ts"] == thread
                                                      or m["ts"] == thread)]
        for message in found:
            if not with_metadata or not message.get("metadata"):
                message.pop("metadata", None)
            if message.get("thread_ts") is None:
                message.pop("thread_ts", None)
        return {"ok": True, "messages": sorted(found, key=lambda m: float(m["ts"]), reverse=True),
                "has_more": False}

    def posts_with_key(self, key: str) -> list[dict[str, Any]]:
        """Every message posted with this idempotency key in its metadata, in any channel."""
        with self._lock:
            return [m for msgs in self.messages.values() for m in msgs
                    if ((m.get("metadata") or {}).get("event_payload") or {}).get("key") == key]

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls of `method` arrived (bounded by `timeout`)."""
        with self._lock:
            self._lock.wait_for(lambda: len([c for c in self.calls if c.method == method]) >= count,
                                timeout=timeout)
        return self.of(method)
