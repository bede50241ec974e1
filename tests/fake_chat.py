"""A local fake OpenAI-compatible chat endpoint: POST /v1/chat/completions on loopback.

It answers with the documented response shape (id, object "chat.completion", created, model,
choices[{index, message{role, content}, finish_reason}], usage), records every request, and
can be told what to answer: some content, an HTTP status, or a wait longer than a timeout.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the fake answers next: `content` as the message, or `status` with an error body,
    after waiting `delay` seconds (interrupted when the fake closes)."""

    content: str = "{}"
    status: int = 200
    delay: float = 0.0
    finish_reason: str = "stop"
    hold: threading.Event | None = None  # answer only once the test sets it


@dataclass
class FakeChat:
    reply: Reply = field(default_factory=Reply)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers.items()))
                reply = fake.reply
                if reply.delay:
                    fake._closing.wait(reply.delay)
                if reply.hold is not None:
                    reply.hold.wait(30)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                elif reply.status != 200:
                    self._send(reply.status, {"error": {"message": "the model crashed",
                                                        "type": "server_error", "code": None}})
                else:
                    self._send(200, completion(body.get("model", ""), reply.content,
                                               reply.finish_reason))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def answer(self, content: str | dict[str, Any], **kw: Any) -> None:
        """Answer the next requests with `content` (a dict is sent as JSON text)."""
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        self.reply = Reply(content=text, **kw)

    def prompt(self, index: int = -1) -> str:
        """Everything the request at `index` told the model, joined."""
        return "\n".join(m["content"] for m in self.requests[index]["messages"])

    def __enter__(self) -> FakeChat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        if self.reply.hold is not None:
            self.reply.hold.set()
        self._server.shutdown()
        self._server.server_close()


def completion(model: str, content: str, finish_reason: str = "stop") -> dict[str, Any]:
    """A chat completion as the API documents it."""
    return {
        "id": "chatcmpl-fake0001",
        "object": "chat.completion",
        "created": 1764700000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "logprobs": None, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 321, "completion_tokens": 123, "total_tokens": 444},
    }
