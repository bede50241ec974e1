"""App Store: customer reviews of the brand's iOS apps, through the App Store Connect API.

Credentials: an App Store Connect API key (key_id, issuer_id and the .p8 private_key, as
content or path), signed into a 20-minute ES256 token. Reviews are read newest first
(sort=-createdDate) following links.next; the cursor is the newest createdDate seen with the ids
at that time. Apple reports no time of change, so edits are not seen (see blind_spot).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field

from connectors import _http
from connectors._cursor import ChangeCursor, gather
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import (
    AuthError,
    PlatformError,
    ReplyRejected,
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


class AppStoreConnector(_http.HttpConnector):
    """Written reviews of the brand's iOS apps; a reply is the developer response under it."""

    platform: ClassVar[str] = "app_store"
    title: ClassVar[str] = "App Store"
    Options: ClassVar[type[BaseModel]] = AppStoreOptions
    credentials: ClassVar[tuple[str, ...]] = ("key_id", "issuer_id", "private_key")
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 5970
    private_channel: ClassVar[str | None] = None  # no private messages to move to
    blind_spot: ClassVar[str | None] = (
        "App Store Connect gives no time of a review's last change, so a review edited after we "
        "replied is not seen again; star ratings without a written review are not in the API."
    )

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return reviews written since `cursor`, oldest first."""
        position = ChangeCursor.parse(cursor)
        found, skipped, notes = gather(
            self.options.app_ids, lambda app_id: self._fetch_app(app_id, position),
            lambda app_id: f"app {app_id}", "new reviews", self.options.max_pages, _created)
        return FetchResult(found, position.advance(found, _created), skipped,
                           "; ".join(notes) or None)

    def _fetch_app(self, app_id: str, position: ChangeCursor) -> tuple[list[Mention], int, bool]:
        """Read one app's pages, newest first, until they reach reviews already read."""
        def page(next_url: str | None) -> tuple[list[Any], str | None]:
            # The next link carries the query.
            url, params = ((next_url, None) if next_url else
                           (API_URL["reviews"].format(app_id=app_id),
                            {"sort": "-createdDate", "limit": PAGE_SIZE}))
            body = _http.json_page(self._send("GET", url, "read reviews", params=params),
                                   self.platform, "App Store Connect")
            return body.get("data") or [], (body.get("links") or {}).get("next")

        return position.newest_first(
            self.options.max_pages, page, lambda item: self._to_mention(item, app_id),
            lambda exc: log.warning("%r: skipped a malformed review of app %s: %r", self,
                                    app_id, exc),
            _created)

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
        return self._token.get(self._clock(), self._sign)

    def _sign(self, now: float) -> tuple[str, float]:
        """Sign an ES256 token for App Store Connect, valid for TOKEN_SECONDS."""
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
        return token, expires

    def _send(self, method: str, url: str, action: str, **kwargs: Any) -> httpx.Response:
        """Send one signed request; raise ours for every failure."""
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        response = _http.send(self.client, self.platform, "App Store Connect", method, url,
                              headers=headers, **kwargs)
        if response.is_success:
            return response
        raise self._error(response, action)

    def _error(self, response: httpx.Response, action: str) -> PlatformError:
        """Explain an HTTP error from App Store Connect."""
        return self._refusal(response, _apple_error(response), action, api="App Store Connect",
                             store="the App Store", check="options.app_ids")

    def _auth_error(self, status: int, message: str, action: str) -> PlatformError | None:
        """Explain App Store Connect's refusal of the API key; None for other statuses."""
        if status == 401:
            self._token.drop()
            return AuthError(self.platform, f"App Store Connect refused the API key (401: "
                             f"{message}); check key_id and issuer_id, and renew private_key if "
                             "the key was revoked")
        if status == 403:
            return AuthError(self.platform, f"the API key may not {action} (403: {message}); "
                             "give it the Customer Support, App Manager or Admin role")
        return None


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



def _created(mention: Mention) -> datetime:
    """Apple gives no time of change: a review is as new as its writing."""
    return mention.published_at
