"""Google Business Profile: reviews of the brand's locations on Google Search and Maps.

The reviews still live only in the My Business v4 API (no maintained Python client covers them),
so this talks HTTP with httpx. Credentials, one of: an OAuth refresh_token with client_id and
client_secret (renewed here), a service account's JSON key (invited as a manager of the
profile; needs google-auth), or a short-lived access_token. Reviews come newest change first
(updateTime desc); the cursor is the newest updateTime seen with the ids at that time.
"""

from __future__ import annotations

import json
import logging
import math
import time
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from connectors import _google, _http
from connectors._cursor import ChangeCursor, gather, last_change
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import (
    AuthError,
    PlatformError,
    ReplyRejected,
)

log = logging.getLogger(__name__)

#: Every URL this connector reaches.
API_URL = {
    "reviews": "https://mybusiness.googleapis.com/v4/{location}/reviews",
    "reply": "https://mybusiness.googleapis.com/v4/{review}/reply",
    "token": "https://oauth2.googleapis.com/token",
    "inbox": "https://business.google.com/reviews",
}
SCOPE = "https://www.googleapis.com/auth/business.manage"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
PAGE_SIZE = 50  # the most the API gives


LocationName = Annotated[str, StringConstraints(pattern=r"^accounts/[^/]+/locations/[^/]+$")]


class GoogleBusinessOptions(BaseModel):
    """The `options:` of a Google Business Profile source."""

    model_config = ConfigDict(extra="forbid")

    locations: list[LocationName] = Field(min_length=1,
                                          description="like accounts/123/locations/456")
    max_pages: int = Field(default=5, ge=1, le=100, description="pages of 50 per location and poll")


class GoogleBusinessConnector(_http.HttpConnector):
    """Reviews of the brand's Business Profile locations; a reply is the owner's response."""

    platform: ClassVar[str] = "google_business"
    title: ClassVar[str] = "Google reviews"
    Options: ClassVar[type[BaseModel]] = GoogleBusinessOptions
    optional_credentials: ClassVar[tuple[str, ...]] = (
        "refresh_token", "client_id", "client_secret", "service_account_json", "access_token")
    can_reply: ClassVar[bool] = True
    reply_limit: ClassVar[int | None] = 4096
    private_channel: ClassVar[str | None] = None  # no private messages to move to

    def count_length(self, text: str) -> int:
        """Count UTF-8 bytes: Google caps a reply at 4096 bytes, not characters."""
        return len(unicodedata.normalize("NFC", text).encode("utf-8"))

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return reviews written or changed since `cursor`, oldest change first."""
        position = ChangeCursor.parse(cursor)
        found, skipped, notes = gather(
            self.options.locations, lambda location: self._fetch_location(location, position),
            str, "changed reviews", self.options.max_pages, last_change)
        cursor = position.advance(found, last_change)
        return FetchResult(found, cursor, skipped, "; ".join(notes) or None)

    def _fetch_location(self, location: str,
                        position: ChangeCursor) -> tuple[list[Mention], int, bool]:
        """Read one location's pages until they reach reviews unchanged since `since`."""
        def page(token: str | None) -> tuple[list[Any], str | None]:
            params = {"pageSize": PAGE_SIZE, "orderBy": "updateTime desc",
                      **({"pageToken": token} if token else {})}
            body = _http.json_page(self._send("GET", API_URL["reviews"].format(location=location),
                                              "read reviews", params=params),
                                   self.platform, "Google")
            return body.get("reviews") or [], body.get("nextPageToken")

        return position.newest_first(
            self.options.max_pages, page, lambda item: self._to_mention(item, location),
            lambda exc: log.warning("%r: skipped a malformed review of %s: %r", self, location,
                                    exc),
            last_change)

    def _to_mention(self, review: Mapping[str, Any], location: str) -> Mention:
        """Translate a v4 Review; a rating without words arrives with no comment."""
        reviewer = review.get("reviewer") or {}
        name = "" if reviewer.get("isAnonymous") else str(reviewer.get("displayName") or "")
        rating = STARS.get(str(review.get("starRating")))
        if rating is None:
            raise ValueError(f"unknown starRating {review.get('starRating')!r}")
        return Mention(
            platform=self.platform,
            id=str(review["reviewId"]),
            text=str(review.get("comment") or ""),
            url=API_URL["inbox"],  # the API gives no link to one review
            author_id="",  # Google gives no reviewer id, only a display name
            author_handle=name,
            author_name=name,
            published_at=datetime.fromisoformat(review["createTime"]),
            edited_at=datetime.fromisoformat(review["updateTime"]),
            kind="review",
            rating=rating,
            extra={"location": location, "review_name": str(review["name"])},
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Publish the owner's response; a review has one, and a repeat replaces it."""
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply takes {length} bytes; Google takes at "
                                f"most {self.reply_limit} (letters outside English take 2 bytes "
                                "or more)")
        review = target.extra["review_name"]
        self._send("PUT", API_URL["reply"].format(review=review), "reply", json={"comment": text})
        return ReplyResult(target.mention_id, API_URL["inbox"])

    def _bearer(self) -> str:
        """Return an access token, renewing it a minute before it lapses where we can."""
        return self._token.get(self._clock(), self._new_token)

    def _new_token(self, now: float) -> tuple[str, float]:
        """Get an access token from whichever credential the source gives."""
        creds = self.spec.credentials
        if creds.get("refresh_token"):
            return self._refresh(creds, now)
        if creds.get("service_account_json"):
            return _service_account_token(creds["service_account_json"])
        if creds.get("access_token"):
            return creds["access_token"], math.inf
        raise AuthError(self.platform, "no credentials: map credentials.refresh_token, "
                        "client_id and client_secret (or service_account_json, or "
                        "access_token) to environment variables")

    def _refresh(self, creds: Mapping[str, str], now: float) -> tuple[str, float]:
        """Trade the refresh token for an access token at Google's OAuth endpoint."""
        missing = [n for n in ("client_id", "client_secret") if not creds.get(n)]
        if missing:
            raise AuthError(self.platform, f"refresh_token needs {' and '.join(missing)} of the "
                            "OAuth client it was issued to")
        form = {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
                "client_id": creds["client_id"], "client_secret": creds["client_secret"]}
        response = self._request("POST", API_URL["token"], data=form)
        if response.status_code in (400, 401):
            raise AuthError(self.platform, f"Google would not renew the access token "
                            f"({_message(response)}); the refresh_token was revoked or has "
                            "expired: authorise the app again and renew refresh_token")
        self._raise_for_status(response, "renew the token")
        grant = response.json()
        return str(grant["access_token"]), now + float(grant.get("expires_in") or 3600)

    def _send(self, method: str, url: str, action: str, **kwargs: Any) -> httpx.Response:
        """Send one request with the bearer token; renew it once if Google says it lapsed."""
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        response = self._request(method, url, headers=headers, **kwargs)
        if response.status_code == 401 and self._renewable():
            self._token.drop()
            headers = {"Authorization": f"Bearer {self._bearer()}"}
            response = self._request(method, url, headers=headers, **kwargs)
        self._raise_for_status(response, action)
        return response

    def _renewable(self) -> str | None:
        """The credential that renews the token, if any."""
        creds = self.spec.credentials
        return next((n for n in ("refresh_token", "service_account_json") if creds.get(n)), None)

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return _http.send(self.client, self.platform, "Google", method, url, **kwargs)

    def _raise_for_status(self, response: httpx.Response, action: str) -> None:
        """Explain an HTTP error from the Business Profile API."""
        if not response.is_success:
            raise self._refusal(response, _message(response), action, api="Google",
                                store="Google", check="options.locations")

    def _auth_error(self, status: int, message: str, action: str) -> PlatformError | None:
        """Explain Google's refusal of the token or account; None for other statuses."""
        if status == 401:
            self._token.drop()
            which = self._renewable() or ("access_token (it lasts an hour; map refresh_token, "
                                          "client_id and client_secret so it renews itself)")
            return AuthError(self.platform, f"Google rejected the token (401: {message}); "
                             f"renew {which}")
        if status == 403:
            return AuthError(self.platform, f"the Google account may not {action} (403: "
                             f"{message}); make it an owner or manager of the profile and check "
                             "that the project was granted Business Profile API access")
        return None


def _service_account_token(value: str) -> tuple[str, float]:
    """Sign in as the service account with google-auth (imported only on this path)."""
    try:
        from google.auth.exceptions import GoogleAuthError
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account
    except ImportError:
        raise AuthError("google_business", "service_account_json needs google-auth: pip "
                        "install google-auth requests, or use a refresh_token") from None
    text = _google.key_text(value, "google_business")
    try:
        creds = service_account.Credentials.from_service_account_info(json.loads(text),
                                                                      scopes=[SCOPE])
        creds.refresh(Request())
    except (ValueError, GoogleAuthError) as exc:
        raise AuthError("google_business", f"Google refused the service account ({exc}); renew "
                        "service_account_json") from None
    # google-auth keeps expiry as a naive UTC datetime.
    expiry = creds.expiry.replace(tzinfo=UTC).timestamp() if creds.expiry else time.time() + 3600
    return str(creds.token), expiry


def _message(response: httpx.Response) -> str:
    """Google's error text: error.message, or the OAuth error_description."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if body.get("error_description"):
            return str(body["error_description"])
        if isinstance(error, str):
            return error
    return response.reason_phrase

