"""App Store: customer reviews of the brand's iOS apps, through the App Store Connect API.

Credentials: an App Store Connect API key (key_id, issuer_id and the .p8 private_key, as
content or path), signed into a 20-minute ES256 token. Reviews are read newest first
(sort=-createdDate) following links.next; the cursor is the newest createdDate seen with the ids
at that time. Apple reports no time of change, so edits are not seen (see blind_spot).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field

from connectors import _http
from connectors._cursor import ChangeCursor
from connectors.base import Connector
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget, SourceSpec
from monitor.errors import (
    AuthError,
    PlatformError,
    RateLimited,
    ReplyRejected,
    TemporaryPlatformError,
)

log = logging.getLogger(__name__)

#: Every URL this connector reaches.
API_URL = {
    "reviews": "https://api.appstoreconnect.apple.com/v1/apps/{app_id}/customerReviews",
    "responses": "https://api.appstoreconnect.apple.com/v1/customerReviewResponses",
    "app_page": "https://apps.apple.com/app/id{app_id}?see-all=reviews",
}
TOKEN_SECONDS = 20 * 60  # the longest lifetime Apple accepts
AUDIENCE = "appstoreconnect-v1"
PAGE_SIZE = 200


class AppStoreOptions(BaseModel):
    """The `options:` of an App Store source."""

    model_config = ConfigDict(extra="forbid")

    app_ids: list[str] = Field(min_length=1, description="Apple IDs, like 1234567890")
    max_pages: int = Field(default=5, ge=1, le=100, description="pages of 200 per app and poll")


class AppStoreConnector(Connector):
    """Written reviews of the brand's iOS apps; a reply is the developer response under it."""

    platform: ClassVar[str] = "app_store"
    title: ClassVar[str] = "App Store"
    Options: ClassVar[type[BaseModel]] = AppStoreOptions
    credentials: ClassVar[tuple[str, ...]] = ("key_id", "issuer_id", "private_key")
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 5970
    blind_spot: ClassVar[str | None] = (
        "App Store Connect gives no time of a review's last change, so a review edited after we "
        "replied is not seen again; star ratings without a written review are not in the API."
    )

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Use `client` (an httpx.Client), or build one when first used."""
        super().__init__(spec, client)
        self._clock = clock
        self._token: tuple[str, float] | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = _http.new_client()
        return self._client

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return reviews written since `cursor`, oldest first."""
        position = ChangeCursor.parse(cursor)
        found: list[Mention] = []
        skipped = 0
        notes = []
        for app_id in self.options.app_ids:
            mentions, bad, truncated = self._fetch_app(app_id, position)
            found += mentions
            skipped += bad
            if truncated:
                notes.append(f"app {app_id}: more new reviews than {self.options.max_pages} "
                             "pages; the older ones were not read (raise options.max_pages)")
        found.sort(key=lambda m: m.published_at)
        return FetchResult(found, position.advance(found, lambda m: m.published_at), skipped,
                           "; ".join(notes) or None)

    def _fetch_app(self, app_id: str, position: ChangeCursor) -> tuple[list[Mention], int, bool]:
        """Read one app's pages, newest first, until they reach reviews already read."""
        found: list[Mention] = []
        skipped = 0
        url = API_URL["reviews"].format(app_id=app_id)
        params: dict[str, Any] | None = {"sort": "-createdDate", "limit": PAGE_SIZE}
        # Without a cursor, the newest page is the starting point; history is not replayed.
        for _ in range(self.options.max_pages if position.since else 1):
            page = _page(self._send("GET", url, "read reviews", params=params))
            reached_old = False
            for item in page.get("data") or []:
                try:
                    mention = self._to_mention(item, app_id)
                except (KeyError, TypeError, ValueError) as exc:
                    skipped += 1
                    log.warning("%r: skipped a malformed review of app %s: %r", self, app_id, exc)
                    continue
                if position.is_new(mention.published_at, mention.id):
                    found.append(mention)
                else:
                    reached_old = True  # newest first: the rest is what we have already
            next_url = (page.get("links") or {}).get("next")
            if reached_old or not next_url:
                return found, skipped, False
            url, params = next_url, None  # the link carries the query
        return found, skipped, position.since is not None

    def _to_mention(self, item: Mapping[str, Any], app_id: str) -> Mention:
        """Translate a customerReviews resource into a Mention."""
        if item["type"] != "customerReviews":
            raise ValueError(f"unexpected resource type {item['type']!r}")
        attrs = item["attributes"]
        nickname = str(attrs.get("reviewerNickname") or "")
        review_id = str(item["id"])
        created = datetime.fromisoformat(attrs["createdDate"])
        return Mention(
            platform=self.platform,
            id=review_id,
            text=str(attrs.get("body") or ""),
            title=str(attrs.get("title") or ""),
            url=API_URL["app_page"].format(app_id=app_id),
            author_id="",  # Apple gives no reviewer id, only a nickname
            author_handle=nickname,
            author_name=nickname,
            published_at=created if created.tzinfo else created.replace(tzinfo=UTC),
            kind="review",
            rating=int(attrs["rating"]),
            extra={"app_id": app_id, "review_id": review_id, "territory": attrs.get("territory")},
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Publish the developer response.

        Apple keeps one response per review and this endpoint overwrites an existing one, so
        nothing is deleted first and a repeat is harmless. Apple shows it after a short review.
        """
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; the App "
                                f"Store takes at most {self.reply_limit}")
        review_id = target.extra.get("review_id", target.mention_id)
        body = {"data": {
            "type": "customerReviewResponses",
            "attributes": {"responseBody": text},
            "relationships": {"review": {"data": {"type": "customerReviews", "id": review_id}}},
        }}
        response = self._send("POST", API_URL["responses"], "reply", json=body)
        app_id = target.extra.get("app_id")
        return ReplyResult(str(response.json()["data"]["id"]),
                           API_URL["app_page"].format(app_id=app_id) if app_id else None)

    def _bearer(self) -> str:
        """Sign a new ES256 token when the one we hold has less than a minute left."""
        now = self._clock()
        if self._token is not None and now < self._token[1] - 60:
            return self._token[0]
        creds = self.spec.credentials
        expires = int(now) + TOKEN_SECONDS
        claims = {"iss": creds["issuer_id"], "iat": int(now), "exp": expires, "aud": AUDIENCE}
        try:
            token = jwt.encode(claims, _private_key(creds["private_key"]), algorithm="ES256",
                               headers={"kid": creds["key_id"], "typ": "JWT"})
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthError(self.platform, f"private_key is not a usable .p8 key ({exc}); "
                            "download a new key in App Store Connect > Users and Access > "
                            "Integrations") from None
        self._token = (token, expires)
        return token

    def _send(self, method: str, url: str, action: str, **kwargs: Any) -> httpx.Response:
        """Send one signed request; raise ours for every failure."""
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        try:
            response = self.client.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise TemporaryPlatformError(self.platform, "could not reach App Store Connect "
                                         f"({type(exc).__name__}); will try again") from exc
        if response.is_success:
            return response
        raise self._error(response, action)

    def _error(self, response: httpx.Response, action: str) -> PlatformError:
        """Explain an HTTP error from App Store Connect."""
        status = response.status_code
        detail = _apple_error(response)
        if status == 429:
            return RateLimited(self.platform, _http.retry_after(response.headers, self._clock()))
        if status == 401:
            self._token = None
            return AuthError(self.platform, f"App Store Connect refused the API key (401: "
                             f"{detail}); check key_id and issuer_id, and renew private_key if "
                             "the key was revoked")
        if status == 403:
            return AuthError(self.platform, f"the API key may not {action} (403: {detail}); "
                             "give it the Customer Support, App Manager or Admin role")
        if status >= 500:
            return TemporaryPlatformError(self.platform, f"App Store Connect failed ({status}: "
                                          f"{detail}); will try again")
        if action == "reply":
            if status == 404:
                return ReplyRejected(self.platform, "the review no longer exists on the App Store")
            return ReplyRejected(self.platform, f"the App Store refused the reply: {detail}")
        return PlatformError(self.platform, f"App Store Connect refused the request ({status}: "
                             f"{detail}); check options.app_ids")


def _private_key(value: str) -> str:
    """Accept the .p8 key itself (newlines may be written as \\n) or the path to it."""
    if "-----BEGIN" in value:
        return value.replace("\\n", "\n")
    try:
        return Path(value).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError("app_store", f"private_key: cannot read the key file ({exc.strerror}); "
                        "give the .p8 key's content or its path") from None


def _apple_error(response: httpx.Response) -> str:
    """The first error's detail from Apple's JSON:API error body."""
    try:
        error = response.json()["errors"][0]
        return str(error.get("detail") or error.get("title") or error.get("code"))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return response.reason_phrase


def _page(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a page; a proxy's HTML page or a truncated body is a passing fault."""
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict):
        raise TemporaryPlatformError("app_store", "App Store Connect answered something that is not a JSON "
                                     "page; will try again")
    return page
