"""Record-level engine: count a catalogue of indicators from records on DuckDB, Spark or any Ibis backend."""

from marginalgains.engine.interrupt import Interrupted, Interrupter
from marginalgains.engine.run import ComputeResult, compute

__all__ = ["ComputeResult", "Interrupted", "Interrupter", "compute"]
