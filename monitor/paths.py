"""Find the files shipped with brand-monitor, installed from a wheel or run from a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def config_dir() -> Path:
    """Return the folder holding demo.yaml, the example brands file and reply templates."""
    bundled = Path(str(resources.files("monitor"))) / "bundled_config"
    if (bundled / "demo.yaml").exists():
        return bundled
    return Path(__file__).resolve().parent.parent / "config"
