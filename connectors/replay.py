"""Replay: read mentions from JSONL files in order; append every reply to a JSONL log.

It powers the demo and the black-box tests, and lets a team rehearse on last month's posts.
Each input line is one JSON object:

    {"id": "1", "text": "...", "author": "jan", "author_name": "Jan", "platform": "x",
     "published_at": "2026-11-02T10:00:00Z" | "minutes_ago": 12, "followers": 230,
     "lang": "pl", "url": "https://...", "rating": 2, "conversation_id": "..."}

A bad line is one bad post: a line that is not UTF-8, not a JSON object, nested deeper
than 32 levels, longer than 2 MB, or whose fields have the wrong types (`text` not a
string, `followers` negative, `rating` outside 1-5, a timestamp that does not parse) is
logged with its line number and skipped, and the rest of the batch goes on. Blank lines
are not posts and are passed over silently. Kept posts are cleaned as every connector's
are (`connectors.base.at_edge`): a 1 MB text is kept, cut to 40,000 characters, and
`extra["truncated"]` says so. The cursor is the number of lines read so far.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, BinaryIO, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from connectors.base import Connector, at_edge
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import PlatformError, ReplyRejected
from monitor.sanitize import INT4_MAX, clean_text

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 2 * 1024 * 1024  # a longer line is skipped unread
MAX_JSON_DEPTH = 32  # a post is flat; deeper nesting is skipped before parsing
MAX_MINUTES_AGO = 100 * 366 * 24 * 60
PREVIEW_CHARS = 80  # what a warning shows of a skipped line
_BOM = b"\xef\xbb\xbf"
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_DECODER = json.JSONDecoder(strict=False)  # raw control characters in strings: cleaned later


class ReplayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="JSONL file of posts, relative to the brands file")
    reply_log: str = "replies.jsonl"
    batch: int = Field(default=100, ge=1, le=10_000)
    reply_limit: int = Field(default=280, ge=1)


def _timestamp(value: Any) -> datetime:
    """An ISO 8601 timestamp ("Z" for UTC; none means UTC), as an aware datetime in UTC."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    try:
        published = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        return published.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("not an ISO 8601 timestamp") from None


Id = Annotated[StrictStr, Field(min_length=1)] | StrictInt


class ReplayPost(BaseModel):
    """One line of a replay file, its types checked; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    id: Id
    text: StrictStr
    author: StrictStr
    author_name: StrictStr | None = None
    author_id: Id | None = None
    platform: StrictStr | None = None
    published_at: Annotated[datetime, BeforeValidator(_timestamp)] | None = None
    minutes_ago: Annotated[StrictInt | StrictFloat,
                           Field(ge=-MAX_MINUTES_AGO, le=MAX_MINUTES_AGO)] = 0
    followers: Annotated[StrictInt, Field(ge=0, le=INT4_MAX)] | None = None
    lang: StrictStr | None = None
    url: StrictStr | None = None
    kind: StrictStr | None = None
    title: StrictStr | None = None
    conversation_id: Id | None = None
    in_reply_to_id: Id | None = None
    rating: Annotated[StrictInt, Field(ge=1, le=5)] | None = None
    deleted: StrictBool | None = None


class _BadLine(Exception):
    """A line that is not a post; the message says why, without quoting it."""


class ReplayConnector(Connector):
    """Mentions from a JSONL file, replies to a JSONL log; no network, no account."""

    platform: ClassVar[str] = "replay"
    title: ClassVar[str] = "Replay"
    Options: ClassVar[type[BaseModel]] = ReplayOptions
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 280

    def _path(self, name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else Path(self.spec.config_dir) / path

    @property
    def posts_path(self) -> Path:
        return self._path(self.options.path)

    @property
    def reply_log_path(self) -> Path:
        return self._path(self.options.reply_log)

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return the posts on the lines after `cursor` (a line count), reading at most `batch`
        lines; a line that is not a post is logged, counted in `skipped` and passed."""
        start = int(cursor or 0)
        try:
            fh = self.posts_path.open("rb")
        except FileNotFoundError:
            raise PlatformError(self.platform, f"replay file {self.posts_path} does not exist; "
                                "check options.path in the brands file") from None
        mentions: list[Mention] = []
        skipped = read = 0
        own = set(self.spec.own_handles)
        now = datetime.now(UTC)
        with fh:
            lines = _lines(fh)
            for _ in range(start):
                if next(lines, None) is None:
                    break
            for number, (line, whole) in enumerate(lines, start=start + 1):
                read += 1
                try:
                    mention = _parse(line, whole, now)
                except (_BadLine, ValueError, TypeError, KeyError, OverflowError, RecursionError) as exc:
                    reason = str(exc) if isinstance(exc, _BadLine) else f"unexpected {type(exc).__name__}"
                    log.warning("%s line %d skipped: %s; it starts %r", self.posts_path, number,
                                reason, _preview(line))
                    skipped += 1
                    mention = None
                if mention is not None and mention.author_handle.lower() not in own:
                    mentions.append(mention)
                if read == self.options.batch:
                    break
        return FetchResult(mentions, str(start + read), skipped=skipped)

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Append the reply to the log once per idempotency key."""
        if self.count_length(text) > (self.options.reply_limit or 280):
            raise ReplyRejected(self.platform,
                                f"the reply is longer than {self.options.reply_limit} characters")
        if target.extra.get("deleted"):
            raise ReplyRejected(self.platform, "the post was deleted, so there is nothing to reply to")
        path = self.reply_log_path
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("idempotency_key") == idempotency_key:
                    return ReplyResult(record["reply_id"], record.get("url"))
        reply_id = f"r-{target.mention_id}"
        record = {"reply_id": reply_id, "in_reply_to": target.mention_id, "text": text,
                  "idempotency_key": idempotency_key, "at": datetime.now(UTC).isoformat()}
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return ReplyResult(reply_id, None)


def _lines(fh: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Each line of `fh` without its line end, and whether it is whole: of a line longer
    than `MAX_LINE_BYTES` only the start is kept, the rest is read past in chunks."""
    while line := fh.readline(MAX_LINE_BYTES + 1):
        whole = True
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            whole = False
            while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line.removesuffix(b"\n").removesuffix(b"\r"), whole


def _too_deep(line: bytes) -> bool:
    """Whether the JSON on `line` nests arrays and objects deeper than `MAX_JSON_DEPTH`."""
    if line.count(b"[") + line.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub(b'""', line)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def _parse(line: bytes, whole: bool, now: datetime) -> Mention | None:
    """The mention on one line (None for a blank line); raises `_BadLine` saying why not."""
    if not whole:
        raise _BadLine(f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MB")
    line = line.removeprefix(_BOM)
    if not line.strip():
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadLine(f"not UTF-8 (byte {exc.start + 1})") from None
    if _too_deep(line):
        raise _BadLine(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        record = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise _BadLine(f"not JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        raise _BadLine("JSON nested too deep") from None
    if not isinstance(record, dict):
        raise _BadLine(f"a JSON {_json_type(record)}, not an object")
    try:
        post = ReplayPost.model_validate(record)
    except ValidationError as exc:
        raise _BadLine(_reasons(exc)) from None
    mention = at_edge(_to_mention(post, now))
    if not mention.text.strip():
        raise _BadLine("empty text")
    return mention


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "number"


def _reasons(exc: ValidationError) -> str:
    """What was wrong with a line's fields, without the values themselves: one clause per
    field, the alternatives of a union joined ("id: should be a valid string or ...")."""
    said: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = str(error["loc"][0]) if error["loc"] else "line"
        message = error["msg"].removeprefix("Value error, ").removeprefix("Input ")
        if message not in said.setdefault(field, []):
            said[field].append(message)
    clauses = []
    for field, (first, *others) in list(said.items())[:3]:
        alternatives = [first, *(m.removeprefix("should be ") for m in others)]
        clauses.append(f"{field}: {' or '.join(alternatives)}")
    more = f" and {len(said) - 3} more" if len(said) > 3 else ""
    return "; ".join(clauses) + more


def _preview(line: bytes) -> str:
    """The start of a line, safe to log: cleaned and at most `PREVIEW_CHARS` characters."""
    return clean_text(line[:PREVIEW_CHARS * 4].decode("utf-8", "replace"), PREVIEW_CHARS)[0]


def _to_mention(post: ReplayPost, now: datetime) -> Mention:
    published = post.published_at or now - timedelta(minutes=post.minutes_ago)
    handle = post.author.lstrip("@")
    platform = post.platform or "replay"
    pid = str(post.id)
    return Mention(
        platform=platform, id=pid, text=post.text,
        url=post.url or f"https://replay.invalid/{platform}/{pid}",
        author_id=handle if post.author_id is None else str(post.author_id),
        author_handle=handle,
        author_name=handle if post.author_name is None else post.author_name,
        author_followers=post.followers, published_at=published, lang_hint=post.lang or None,
        kind=post.kind or "post", title=post.title or "",
        conversation_id=None if post.conversation_id is None else str(post.conversation_id),
        in_reply_to_id=None if post.in_reply_to_id is None else str(post.in_reply_to_id),
        rating=post.rating,
        extra={} if post.deleted is None else {"deleted": post.deleted},
    )
