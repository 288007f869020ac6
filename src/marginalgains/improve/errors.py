"""The error improve raises for bad input: a GainsError and a ValueError, so either catch works."""

from __future__ import annotations

from marginalgains.errors import GainsError


class ImproveError(GainsError, ValueError):
    """Input to peers, opportunity, prioritisation or allocation cannot give a sound answer."""
