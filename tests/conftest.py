"""Shared fixtures. Nothing here may reach the network: downloads must fail loudly."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.pop("SLACK_BOT_TOKEN", None)
os.environ.pop("SLACK_API_URL", None)
