"""The HTTP edge shared by connectors that talk to a platform with httpx."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import stamina

from connectors._tokens import CachedToken
from connectors.base import Connector
from monitor.domain import SourceSpec
from monitor.errors import PlatformError, RateLimited, ReplyRejected, TemporaryPlatformError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "brand-monitor/0.1 (social listening bot)"
#: A reset header above this is a Unix time; below it, seconds from now.
_EPOCH_FLOOR = 1_000_000_000


@dataclass(frozen=True)
class RetryPolicy:
    """How often one request is tried again, inside one poll, after a passing fault.

    A passing fault is a dropped connection, a timeout or a 5xx answer; a 4xx (429 included:
    it is a rate limit, with the platform's own reset) is never tried again. Waits grow from
    `wait_initial` (doubling, capped at `wait_max`, plus up to `wait_jitter` at random), and
    no new try starts once `timeout` seconds have passed since the first, so a request that
    hung for the whole client timeout is not repeated: the next poll comes soon enough.
    """

    attempts: int = 3  # tries in all, the first one included; 1 turns retrying off
    timeout: float | None = 15.0
    wait_initial: float = 0.2
    wait_max: float = 1.0
    wait_jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a request is tried at least once: attempts must be 1 or more")


#: The policy `get` uses unless given another; replace it to retry more, less or never.
#: Tests switch the waits off with `stamina.set_testing(True, attempts=..., cap=True)`.
RETRY = RetryPolicy()
SAFE_METHODS = ("GET", "HEAD")  # safe to repeat: `send` retries these by default


class _ServerFailed(Exception):
    """A 5xx answer, raised inside a try so that stamina tries again."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


#: Faults worth another try: a timeout, a connection that failed or dropped, a cut answer.
_PASSING = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, _ServerFailed)


def _tried(call: Callable[[], httpx.Response], policy: RetryPolicy) -> httpx.Response:
    """Run `call` under `policy`; the last answer, or the last error, comes back."""
    try:
        for attempt in stamina.retry_context(
                on=_PASSING, attempts=policy.attempts, timeout=policy.timeout,
                wait_initial=policy.wait_initial, wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter):
            with attempt:
                response = call()
                if response.status_code >= 500:
                    raise _ServerFailed(response)
                return response
    except _ServerFailed as failed:
        return failed.response
    raise AssertionError("stamina ended the tries without an answer or an error")  # pragma: no cover


def new_client() -> httpx.Client:
    """Build the client a connector uses when none was given."""
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": USER_AGENT})


class HttpConnector(Connector):
    """A connector that talks to its platform with an httpx client and reads a clock.

    `_token` holds the bearer token of the platforms that sign requests with one.
    """

    def __init__(self, spec: SourceSpec, client: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Use `client` (an httpx.Client), or build one when first used."""
        super().__init__(spec, client)
        self._clock = clock
        self._token = CachedToken()

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = new_client()
        return self._client

    def _refusal(self, response: httpx.Response, message: str, action: str, *, api: str,
                 store: str, check: str) -> PlatformError:
        """Explain an HTTP error of the platform's API; see `refusal`."""
        status = response.status_code
        return refusal(self.platform, status, message, action, api=api, store=store, check=check,
                       retry=lambda: retry_after(response.headers, self._clock()),
                       auth=lambda: self._auth_error(status, message, action))

    def _auth_error(self, status: int, message: str, action: str) -> PlatformError | None:
        """Explain the platform's refusal of the credentials; None for other statuses."""
        return None


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Read how long to wait from Retry-After, X-RateLimit-Reset or RateLimit-Reset."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after", "x-ratelimit-reset", "ratelimit-reset"):
        value = (lowered.get(name) or "").strip()
        if not value:
            continue
        at = _instant(value, now)
        if at is not None:
            return max(0.0, at - now)
    return None


def _instant(value: str, now: float) -> float | None:
    """Read a header as a Unix time: seconds from now, a Unix time, an HTTP or ISO date."""
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number if number > _EPOCH_FLOOR else now + number
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            moment = parse(value)
        except (TypeError, ValueError):
            continue
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return None


def get(client: httpx.Client, platform: str, url: str, *, now: float,
        retry: RetryPolicy | None = None, **kwargs: Any) -> httpx.Response:
    """GET `url`; raise ours for a timeout, a dropped connection, a 429 or a 5xx.

    A timeout, a dropped connection or a 5xx is first tried again under `retry` (`RETRY`
    when None), so one hiccup does not cost the source a whole backed-off poll interval.
    """
    try:
        response = _tried(lambda: client.get(url, **kwargs), retry or RETRY)
    except httpx.TimeoutException as exc:
        raise TemporaryPlatformError(platform, f"{_host(url)} did not answer in time; "
                                     "will try again") from exc
    except httpx.TransportError as exc:
        raise TemporaryPlatformError(platform, f"could not reach {_host(url)} "
                                     f"({type(exc).__name__}); will try again") from exc
    if response.status_code == 429:
        raise RateLimited(platform, retry_after(response.headers, now))
    if response.status_code >= 500:
        raise TemporaryPlatformError(platform, f"{_host(url)} failed (HTTP {response.status_code}); "
                                     "will try again")
    return response


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def send(client: httpx.Client, platform: str, title: str, method: str, url: str, *,
         retry: RetryPolicy | None = None, **kwargs: Any) -> httpx.Response:
    """Send one request; a dropped connection is a passing fault, any status comes back.

    A read (GET, HEAD) is tried again under `retry` (`RETRY` by default); anything else is
    tried once, since a reply a 5xx answered may already be published.
    """
    policy = retry if retry is not None else RETRY if method.upper() in SAFE_METHODS else None
    try:
        if policy is None:
            return client.request(method, url, **kwargs)
        return _tried(lambda: client.request(method, url, **kwargs), policy)
    except httpx.TransportError as exc:
        raise TemporaryPlatformError(platform, f"could not reach {title} "
                                     f"({type(exc).__name__}); will try again") from exc


def json_page(response: httpx.Response, platform: str, title: str) -> dict[str, Any]:
    """The JSON object of a page; a proxy's HTML page or a truncated body is a passing fault."""
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict):
        raise TemporaryPlatformError(platform, f"{title} answered something that is not a JSON "
                                     "page; will try again")
    return page


def refusal(platform: str, status: int, message: str, action: str, *, api: str, store: str,
            check: str, retry: Callable[[], float | None],
            auth: Callable[[], PlatformError | None], limited: bool = False) -> PlatformError:
    """Explain an HTTP error status of a review platform's API.

    `api` names the API and `store` the place the review lives; `auth` explains the refusals
    of credentials (None for the other statuses); `check` names the options to check when
    the request was refused; `limited` marks a rate limit the status alone does not show.
    """
    if status == 429 or limited:
        return RateLimited(platform, retry())
    if status >= 500:
        return TemporaryPlatformError(platform, f"{api} failed ({status}: {message}); "
                                      "will try again")
    refused = auth()
    if refused is not None:
        return refused
    if action == "reply":
        if status == 404:
            return ReplyRejected(platform, f"the review no longer exists on {store}")
        return ReplyRejected(platform, f"{store} refused the reply: {message}")
    return PlatformError(platform, f"{api} refused the request ({status}: {message}); "
                         f"check {check}")
