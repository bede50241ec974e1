"""Google Play: reviews of the brand's Android apps, through the Android Publisher API v3.

Credential: a service account's JSON key (the file's content or its path), invited in Play
Console with the "Reply to reviews" permission. The API lists only reviews written or changed
in the last seven days, newest change first, and only reviews with text. The cursor is the
newest change seen (JSON: time, the ids at that time, when we polled), so an edited review
comes back and a gap of more than a week is reported.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httplib2
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from pydantic import BaseModel, ConfigDict, Field

from connectors import _google, _http
from connectors._cursor import MALFORMED, ChangeCursor, gather, last_change
from connectors.base import Connector
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    PlatformError,
    ReplyRejected,
)

log = logging.getLogger(__name__)

#: Every URL this connector builds itself; the API's own come from its discovery document.
API_URL = {
    "scope": "https://www.googleapis.com/auth/androidpublisher",
    "review_page": "https://play.google.com/store/apps/details?id={package}&reviewId={review_id}",
}
WINDOW = timedelta(days=7)
PAGE_SIZE = 100
RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded")


class GooglePlayOptions(BaseModel):
    """The `options:` of a Google Play source."""

    model_config = ConfigDict(extra="forbid")

    package_names: list[str] = Field(min_length=1, description="like com.example.shop")
    max_pages: int = Field(default=10, ge=1, le=100, description="pages of 100 per app and poll")


class GooglePlayConnector(Connector):
    """Reviews of the brand's Android apps; a reply is the developer answer under the review."""

    platform: ClassVar[str] = "google_play"
    title: ClassVar[str] = "Google Play"
    Options: ClassVar[type[BaseModel]] = GooglePlayOptions
    credentials: ClassVar[tuple[str, ...]] = ("service_account_json",)
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 350
    private_channel: ClassVar[str | None] = None  # no private messages to move to
    blind_spot: ClassVar[str | None] = (
        "Google Play's API returns only reviews written or changed in the last seven days, and "
        "only reviews with text: poll at least daily, or the reviews of a longer gap are lost."
    )

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Use `client` (an androidpublisher v3 Resource), or build one when first used."""
        super().__init__(spec, client)
        self._clock = clock

    @property
    def client(self) -> Any:
        if self._client is None:
            info = _service_account_info(self.spec.credentials.get("service_account_json", ""))
            try:
                creds = service_account.Credentials.from_service_account_info(
                    info, scopes=[API_URL["scope"]])
            except (ValueError, GoogleAuthError) as exc:
                raise AuthError(self.platform, f"service_account_json is not a usable key ({exc});"
                                " download a new JSON key") from None
            http = AuthorizedHttp(creds, http=httplib2.Http(timeout=30))
            self._client = build("androidpublisher", "v3", http=http, cache_discovery=False)
        return self._client

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return reviews written or changed since `cursor`, oldest change first."""
        position = ChangeCursor.parse(cursor)
        polled = position.state.get("polled")
        now = datetime.fromtimestamp(self._clock(), UTC)
        notes = []
        if polled and now - datetime.fromisoformat(polled) > WINDOW:
            notes.append(f"no successful poll since {polled[:16]} UTC and Google Play "
                         "lists only the last seven days, so the reviews written or changed "
                         f"before {now - WINDOW:%Y-%m-%dT%H:%M} UTC were missed")
        found, skipped, more = gather(
            self.options.package_names, lambda package: self._fetch_app(package, position),
            str, "changed reviews", self.options.max_pages, last_change)
        return FetchResult(found, position.advance(found, last_change, polled=now.isoformat()),
                           skipped, "; ".join(notes + more) or None)

    def _fetch_app(self, package: str, position: ChangeCursor) -> tuple[list[Mention], int, bool]:
        """Read one app's pages until they reach reviews already read."""
        def page(token: str | None) -> tuple[list[Any], str | None]:
            body = self._execute(self.client.reviews().list(
                packageName=package, maxResults=PAGE_SIZE, token=token), "read reviews")
            return body.get("reviews") or [], (body.get("tokenPagination") or {}).get(
                "nextPageToken")

        return position.newest_first(
            self.options.max_pages, page, lambda item: self._to_mention(item, package),
            lambda exc: log.warning("%r: skipped a malformed review of %s: %r", self, package,
                                    exc),
            last_change, (*MALFORMED, IndexError))

    def _to_mention(self, review: Mapping[str, Any], package: str) -> Mention:
        """Translate a Play review; the user's own comment always comes first."""
        comment = review["comments"][0]["userComment"]
        changed = _timestamp(comment["lastModified"])
        # A review with a separate title arrives as "title<TAB>body".
        title, tab, body = str(comment.get("text") or "").partition("\t")
        if not tab:
            title, body = "", title
        review_id = str(review["reviewId"])
        author = str(review.get("authorName") or "")
        # reviewerLanguage is the locale of the reviewer's device (like "en_ID" on a review
        # written in Indonesian), not the language of the review: it is kept for the record,
        # never handed on as the language to classify in.
        locale = comment.get("reviewerLanguage")
        return Mention(
            platform=self.platform,
            id=review_id,
            text=body.strip(),
            title=title.strip(),
            url=API_URL["review_page"].format(package=package, review_id=review_id),
            author_id="",  # Play gives no reviewer id, only a display name
            author_handle=author,
            author_name=author,
            # Play tells only when the review last changed: that is both dates we know.
            published_at=changed,
            edited_at=changed,
            kind="review",
            rating=int(comment["starRating"]),
            extra={"package_name": package, "review_id": review_id,
                   "app_version": comment.get("appVersionName"),
                   "device_locale": str(locale) if locale else None},
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Publish the developer reply; Play keeps one per review, so a repeat replaces it."""
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; Google Play "
                                f"takes at most {self.reply_limit}")
        package = target.extra["package_name"]
        review_id = target.extra.get("review_id", target.mention_id)
        request = self.client.reviews().reply(packageName=package, reviewId=review_id,
                                              body={"replyText": text})
        self._execute(request, "reply")
        return ReplyResult(review_id,
                           API_URL["review_page"].format(package=package, review_id=review_id))

    def _execute(self, request: Any, action: str) -> dict[str, Any]:
        """Run one API request, turning Google's failures into ours."""
        return _google.execute(request, self.platform, "Google Play", lambda exc: self._error(exc, action),
                               "Google refused the service account; renew service_account_json")

    def _error(self, exc: HttpError, action: str) -> PlatformError:
        """Explain an HTTP error from the Android Publisher API."""
        status = exc.resp.status
        message, reason = _google.error_parts(exc)
        return _http.refusal(
            self.platform, status, message, action, api="Google Play", store="Google Play",
            check="options.package_names", limited=reason in RATE_REASONS,
            retry=lambda: _http.retry_after(exc.resp, self._clock()),
            auth=lambda: self._auth_error(status, message, action))

    def _auth_error(self, status: int, message: str, action: str) -> PlatformError | None:
        """Explain Google's refusal of the service account; None for other statuses."""
        if status == 401:
            return AuthError(self.platform, f"Google rejected the service account (401: "
                             f"{message}); renew service_account_json")
        if status == 403:
            return AuthError(self.platform, f"the service account may not {action} (403: "
                             f"{message}); in Play Console > Users and permissions, give it "
                             "'Reply to reviews' for this app, or renew service_account_json")
        return None


def _timestamp(value: Mapping[str, Any]) -> datetime:
    """Read a protobuf Timestamp as the API renders it: seconds (a string), then nanos."""
    seconds = datetime.fromtimestamp(int(value["seconds"]), UTC)
    return seconds + timedelta(microseconds=int(value.get("nanos") or 0) // 1000)


def _service_account_info(value: str) -> dict[str, Any]:
    """Accept the key file's JSON itself or the path to it."""
    try:
        info: dict[str, Any] = json.loads(_google.key_text(value, "google_play"))
    except json.JSONDecodeError:
        raise AuthError("google_play", "service_account_json is not valid JSON; download the "
                        "key again (Google Cloud > IAM > Service accounts > Keys)") from None
    return info


