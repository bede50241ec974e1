"""How the bot's log lines look: plain text for a terminal, or one JSON object per line
(`--log-format json` or `BRAND_MONITOR_LOG_FORMAT=json`) for a log collector."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
ENV = "BRAND_MONITOR_LOG_FORMAT"
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("apscheduler", "slack_bolt", "slack_sdk", "urllib3", "httpx", "alembic", "googleapiclient",
         "prawcore", "tweepy")


def configure_logging(level: int, log_format: str = "text") -> None:
    """Log to stderr at `level`; JSON lines carry time, level, logger and message (and the
    traceback as `exc_info`)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level",
                                                          "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
