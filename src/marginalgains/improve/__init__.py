"""Raise every area towards the best: peers, benchmarks, opportunity, priorities and funding."""

from marginalgains.improve.bundles import best_single_fix, single_fix_gains
from marginalgains.improve.errors import ImproveError
from marginalgains.improve.fund import Allocation, allocate, benefit_curve, read_interventions
from marginalgains.improve.opportunity import opportunity
from marginalgains.improve.peers import peers
from marginalgains.improve.plan import ImprovementTable, OpportunitySummary, improvement_table, opportunities, pareto
from marginalgains.improve.prioritise import Priorities, prioritise

__all__ = [
    "Allocation", "ImproveError", "ImprovementTable", "OpportunitySummary", "Priorities", "allocate",
    "benefit_curve", "best_single_fix", "improvement_table", "opportunities", "opportunity", "pareto",
    "peers", "prioritise", "read_interventions", "single_fix_gains",
]
