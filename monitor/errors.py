"""One root exception, two branches: a mistake on our side, or the platform's refusal.

Each class writes a message that says what happened and what to do next.
"""

from __future__ import annotations


class BrandMonitorError(Exception):
    """Root of every error brand-monitor raises on purpose."""


class ConfigError(BrandMonitorError):
    """The configuration is wrong; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class PlatformError(BrandMonitorError):
    """A platform refused or failed a request."""

    def __init__(self, platform: str, message: str) -> None:
        self.platform = platform
        self.message = message
        super().__init__(f"{platform}: {message}")


class TemporaryPlatformError(PlatformError):
    """The platform failed in a way that may pass: a timeout, a 5xx, a dropped connection."""


class RateLimited(TemporaryPlatformError):
    """The platform asked us to slow down; `retry_after` is in seconds when it said."""

    def __init__(self, platform: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        wait = f" for {retry_after:.0f} s" if retry_after is not None else ""
        super().__init__(platform, f"rate limited; backing off{wait}")


class AuthError(PlatformError):
    """The credentials are missing, wrong or expired: a person must fix them."""


class ReplyRejected(PlatformError):
    """The platform would not publish a reply (deleted post, blocked account, too long...)."""


class ReplyNotSupported(PlatformError):
    """The platform offers no way to reply from an API."""


class DraftingError(BrandMonitorError):
    """The chat model behind `drafting:` failed: timed out, refused, or answered nonsense.

    `reason` is short and fit for the alert ("timed out after 15 s"); the template drafts stay.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
