"""SYNTHETIC national record-level data for the seed indicators (heart attacks, diabetes care,
eye screening), deterministic by seed at any scale."""

from marginalgains.synth.generate import Generated, generate

__all__ = ["Generated", "generate"]
