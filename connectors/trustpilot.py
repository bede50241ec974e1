"""Trustpilot: service reviews of the brand's business unit, through Trustpilot's API.

Reading needs only the public API key (sent as the `apikey` header). Replying needs a
business-user token: with username and password the OAuth password grant, otherwise the
client-credentials grant, both signed with api_key:api_secret. Trustpilot lists reviews by
creation date only, so each poll reads back `edit_lookback_days` to catch edits; the cursor is
the newest change seen (updatedAt, else createdAt) with the ids at that time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors import _http
from connectors._cursor import ChangeCursor, last_change, translate
from monitor.domain import FetchResult, Mention, ReplyResult, ReplyTarget
from monitor.errors import (
    AuthError,
    PlatformError,
    ReplyRejected,
)

log = logging.getLogger(__name__)

#: Every URL this connector reaches.
API_URL = {
    "reviews": "https://api.trustpilot.com/v1/business-units/{unit}/reviews",
    "reply": "https://api.trustpilot.com/v1/private/reviews/{review_id}/reply",
    "token": "https://api.trustpilot.com/v1/oauth/oauth-business-users-for-applications/"
             "accesstoken",
    "review_page": "https://www.trustpilot.com/reviews/{review_id}",
}
PAGE_SIZE = 100


class TrustpilotOptions(BaseModel):
    """The `options:` of a Trustpilot source."""

    model_config = ConfigDict(extra="forbid")

    business_unit_id: str = Field(min_length=1, description="find it with /v1/business-units/find")
    business_user_id: str | None = Field(default=None, description="who signs replies")
    edit_lookback_days: int = Field(default=14, ge=0, le=365,
                                    description="how far back edits to reviews are looked for")
    max_pages: int = Field(default=5, ge=1, le=100, description="pages of 100 per poll")


class TrustpilotConnector(_http.HttpConnector):
    """Reviews of the brand's Trustpilot business unit; a reply is the company reply."""

    platform: ClassVar[str] = "trustpilot"
    title: ClassVar[str] = "Trustpilot"
    Options: ClassVar[type[BaseModel]] = TrustpilotOptions
    credentials: ClassVar[tuple[str, ...]] = ("api_key",)
    optional_credentials: ClassVar[tuple[str, ...]] = ("api_secret", "username", "password")
    can_reply: ClassVar[bool] = True
    # Trustpilot documents no limit on a reply; we keep replies to a length people read.
    reply_limit: ClassVar[int | None] = 2000
    private_channel: ClassVar[str | None] = None  # no private messages to move to
    blind_spot: ClassVar[str | None] = (
        "Trustpilot lists reviews by the date they were written, so an edit is seen only on "
        "reviews written within options.edit_lookback_days (14 days unless set)."
    )

    def fetch(self, cursor: str | None) -> FetchResult:
        """Return reviews written or edited since `cursor`, oldest change first."""
        position = ChangeCursor.parse(cursor)
        since = position.since
        horizon = since - timedelta(days=self.options.edit_lookback_days) if since else None
        found: dict[str, Mention] = {}
        skipped = 0
        url = API_URL["reviews"].format(unit=self.options.business_unit_id)
        params: dict[str, Any] | None = {"perPage": PAGE_SIZE, "orderBy": "createdat.desc"}
        truncated = since is not None
        # Without a cursor, the newest page is the starting point; history is not replayed.
        for _ in range(self.options.max_pages if since else 1):
            page = _http.json_page(self._send("GET", url, "read reviews", params=params),
                                   self.platform, "Trustpilot")
            mentions, bad = translate(
                page.get("reviews") or [], self._to_mention,
                lambda exc: log.warning("%r: skipped a malformed review: %r", self, exc))
            skipped += bad
            # Pages may overlap when reviews arrive.
            found.update((m.id, m) for m in mentions if position.is_new(last_change(m), m.id))
            reached_horizon = horizon is not None and any(m.published_at < horizon
                                                          for m in mentions)
            next_url = _link(page, "next-page")
            if reached_horizon or not next_url:
                truncated = False
                break
            url, params = next_url, None  # the link carries the query
        mentions = sorted(found.values(), key=last_change)
        cursor = position.advance(mentions, last_change)
        blind_spot = None
        if truncated:
            blind_spot = (f"read {self.options.max_pages} pages without reaching reviews older "
                          "than the edit look-back; older new or edited reviews were not read "
                          "(raise options.max_pages)")
        return FetchResult(mentions, cursor, skipped, blind_spot)

    def _to_mention(self, review: Mapping[str, Any]) -> Mention:
        """Translate a Trustpilot review into a Mention."""
        review_id = str(review["id"])
        consumer = review.get("consumer") or {}
        updated = review.get("updatedAt")
        return Mention(
            platform=self.platform,
            id=review_id,
            text=str(review.get("text") or ""),
            title=str(review.get("title") or ""),
            url=API_URL["review_page"].format(review_id=review_id),
            author_id=str(consumer.get("id") or ""),
            author_handle=str(consumer.get("displayName") or ""),
            author_name=str(consumer.get("displayName") or ""),
            published_at=_parse_time(review["createdAt"]),
            edited_at=_parse_time(updated) if updated else None,
            lang_hint=review.get("language") or None,
            kind="review",
            rating=int(review["stars"]),
            extra={"business_unit_id": self.options.business_unit_id, "review_id": review_id},
        )

    def reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> ReplyResult:
        """Publish the company reply; Trustpilot keeps one per review, so a repeat replaces it."""
        length = self.count_length(text)
        if length > (self.reply_limit or 0):
            raise ReplyRejected(self.platform, f"the reply has {length} characters; keep "
                                f"Trustpilot replies to {self.reply_limit}")
        if not self.options.business_user_id:
            raise ReplyRejected(self.platform, "Trustpilot needs to know which business user "
                                "signs the reply: set options.business_user_id in the brands "
                                "file (Trustpilot Business > Settings > Users)")
        review_id = target.extra.get("review_id", target.mention_id)
        body = {"authorBusinessUserId": self.options.business_user_id, "message": text}
        self._send("POST", API_URL["reply"].format(review_id=review_id), "reply", json=body)
        return ReplyResult(review_id, API_URL["review_page"].format(review_id=review_id))

    def _business_token(self) -> str:
        """Get a business-user token, kept until a minute before it lapses."""
        return self._token.get(self._clock(), self._sign_in)

    def _sign_in(self, now: float) -> tuple[str, float]:
        """Sign in as the business user: the password grant, else client credentials."""
        creds = self.spec.credentials
        if not creds.get("api_secret"):
            raise AuthError(self.platform, "replying needs a business-user login: map "
                            "credentials.api_secret (and username and password, for the "
                            "password grant) to environment variables")
        if creds.get("username") and creds.get("password"):
            form = {"grant_type": "password", "username": creds["username"],
                    "password": creds["password"]}
        else:
            form = {"grant_type": "client_credentials"}
        response = self._request("POST", API_URL["token"], data=form,
                                 auth=(creds["api_key"], creds["api_secret"]))
        if response.status_code in (400, 401, 403):
            raise AuthError(self.platform, f"Trustpilot refused the business-user login "
                            f"({response.status_code}: {_message(response)}); check api_key, "
                            "api_secret, username and password")
        self._raise_for_status(response, "sign in")
        grant = response.json()
        return str(grant["access_token"]), now + float(grant.get("expires_in") or 3600)

    def _send(self, method: str, url: str, action: str, **kwargs: Any) -> httpx.Response:
        """Send one request: the API key to read, a business-user token to reply."""
        if action == "reply":
            headers = {"Authorization": f"Bearer {self._business_token()}"}
        else:
            headers = {"apikey": self.spec.credentials["api_key"]}
        response = self._request(method, url, headers=headers, **kwargs)
        self._raise_for_status(response, action)
        return response

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return _http.send(self.client, self.platform, "Trustpilot", method, url, **kwargs)

    def _raise_for_status(self, response: httpx.Response, action: str) -> None:
        """Explain an HTTP error from Trustpilot."""
        if not response.is_success:
            raise self._refusal(response, _message(response), action, api="Trustpilot",
                                store="Trustpilot", check="options.business_unit_id")

    def _auth_error(self, status: int, message: str, action: str) -> PlatformError | None:
        """Explain Trustpilot's refusal of the API key or token; None for other statuses."""
        if status not in (401, 403):
            return None
        if action == "reply":
            self._token.drop()
            return AuthError(self.platform, f"Trustpilot refused the business-user token "
                             f"({status}: {message}); check that the user behind "
                             "username/password may reply for this business unit")
        return AuthError(self.platform, f"Trustpilot refused the API key ({status}: "
                         f"{message}); renew api_key")


def _parse_time(value: str) -> datetime:
    stamp = datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _link(page: Mapping[str, Any], rel: str) -> str | None:
    """The href of the link with this `rel`, as Trustpilot lists them."""
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == rel and link.get("href"):
            return str(link["href"])
    return None


def _message(response: httpx.Response) -> str:
    """Trustpilot's error text, from its API or from the gateway in front of it."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        fault = body.get("fault")
        if isinstance(fault, dict) and fault.get("faultstring"):
            return str(fault["faultstring"])
        for key in ("message", "details", "error_description", "error"):
            if body.get(key):
                return str(body[key])
    return response.reason_phrase

