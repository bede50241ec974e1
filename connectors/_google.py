"""What the Google connectors share: running a client request, reading errors and keys.

The client libraries are imported where a request runs, so that Google Business Profile,
which talks HTTP itself, can read a service account key without them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import AuthError, PlatformError, TemporaryPlatformError

if TYPE_CHECKING:
    from googleapiclient.errors import HttpError


def execute(request: Any, platform: str, title: str, explain: Callable[[HttpError], PlatformError],
            refused: str) -> dict[str, Any]:
    """Run one google-api-python-client request, turning Google's failures into ours.

    `refused` is the sentence for credentials Google will not renew; `explain` reads an
    HTTP error.
    """
    import httplib2
    from google.auth.exceptions import RefreshError
    from googleapiclient.errors import HttpError

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


def key_text(value: str, platform: str) -> str:
    """Return a service account's JSON key, given as the key itself or the path to its file."""
    if value.lstrip().startswith("{"):
        return value
    try:
        return Path(value).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthError(platform, f"service_account_json: cannot read the key file "
                        f"({exc.strerror}); give the JSON key or its path") from None
