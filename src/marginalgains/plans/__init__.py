"""Improvement plans with targets and trajectories, tracked month by month (see docs/plans.md)."""

from marginalgains.plans.fileformat import dump_plans, load_plans, plans_from_text, read_plans
from marginalgains.plans.model import (Areas, Baseline, Change, Intervention, Owner, Plan, PlanError, Target,
                                       Trajectory, parse_target)
from marginalgains.plans.status import STATUSES
from marginalgains.plans.tracking import Resolution, Tracking, resolve, track

__all__ = [
    "Areas", "Baseline", "Change", "Intervention", "Owner", "Plan", "PlanError", "Resolution", "STATUSES", "Target",
    "Tracking", "Trajectory", "dump_plans", "load_plans", "parse_target", "plans_from_text", "read_plans", "resolve", "track",
]
