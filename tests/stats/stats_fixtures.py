"""Loaders for the reference figures embedded in tests/stats/fixtures (each file names its source)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name: str) -> pd.DataFrame:
    """A CSV fixture; its first line is a '# Source: ...' comment."""
    return pd.read_csv(FIXTURES / name, comment="#")


def xmr_cases() -> list[dict]:
    """The nhspy-plotthedots XmR limit cases."""
    return json.loads((FIXTURES / "nhspy_xmr_cases.json").read_text())["cases"]
