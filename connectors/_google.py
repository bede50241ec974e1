"""What the Google API connectors (Play, YouTube) share: running a request, reading errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from monitor.errors import AuthError, PlatformError, TemporaryPlatformError


def execute(request: Any, platform: str, title: str, explain: Callable[[HttpError], PlatformError],
            refused: str) -> dict[str, Any]:
    """Run one google-api-python-client request, turning Google's failures into ours.

    `refused` is the sentence for credentials Google will not renew; `explain` reads an
    HTTP error.
    """
    try:
        result = request.execute()
    except HttpError as exc:
        # Not chained: the HttpError's text holds the request URL, and with it any API key.
        raise explain(exc) from None
    except RefreshError as exc:
        raise AuthError(platform, f"{refused} ({exc})") from exc
    except (OSError, httplib2.HttpLib2Error) as exc:
        raise TemporaryPlatformError(platform, f"could not reach {title} ({type(exc).__name__}); "
                                     "will try again") from exc
    if not isinstance(result, dict):  # the client hands back a body that is not JSON as is
        raise TemporaryPlatformError(platform, f"{title} answered something that is not JSON; "
                                     "will try again")
    return result


def error_parts(exc: HttpError) -> tuple[str, str]:
    """The message and the first reason of Google's JSON error body."""
    try:
        error = json.loads(exc.content)["error"]
        reasons = error.get("errors") or [{}]
        return str(error.get("message", "")), str(reasons[0].get("reason", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return str(exc.resp.reason or ""), ""
