"""brand-monitor: public complaints about your brand, in Slack, answered within the hour."""

from __future__ import annotations

__version__ = "0.1.0"
