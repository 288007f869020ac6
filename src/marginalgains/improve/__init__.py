"""Raise every area towards the best: peers, benchmarks, opportunity, priorities and funding."""

from marginalgains.improve.errors import ImproveError
from marginalgains.improve.opportunity import opportunity
from marginalgains.improve.peers import peers

__all__ = ["ImproveError", "opportunity", "peers"]
