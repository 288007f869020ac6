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


def plotthedots() -> dict:
    """NHSRplotthedots 0.2.2 expected outputs (its test snapshots) and their input."""
    return json.loads((FIXTURES / "nhsrplotthedots_0_2_2.json").read_text())


def qicharts2() -> dict:
    """qicharts2 expected outputs (Montgomery examples) and vignette data sets with their stated figures."""
    return json.loads((FIXTURES / "qicharts2.json").read_text())


def with_missing(values: list) -> list[float]:
    """JSON nulls as NaN."""
    return [float("nan") if value is None else float(value) for value in values]
