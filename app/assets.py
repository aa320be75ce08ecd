"""Where the packaged resources are: demo data now; icons, fonts, translations later.

``resources/`` is packaged as ``app.resources``; a source checkout that is not installed
(running from the folder) reads the folder directly.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def resource_root() -> Traversable:
    try:
        return resources.files("app.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "resources"
