"""Shared fixtures: the bundled catalogue and small files written per test."""

from pathlib import Path

import pytest

from marginalgains.io.bundled import ae_catalogue

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def catalogue():
    return ae_catalogue()


@pytest.fixture
def write_csv(tmp_path):
    """Write text to a CSV file in a fresh folder and return its path."""
    def write(text: str, name: str = "values.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write
