"""The plans page and files: plans.html (self-contained, offline), plans.csv, plans-scorecard.csv, plans.json.

The page has the atlas page's safety: one inline script per asset named by hash in its
Content-Security-Policy, data as JSON in a script element (`script_json`), every text from data
rendered by Jinja's autoescape or set with `textContent`, never as markup. It shows the
scorecard first, then each plan: its SPC chart with trajectory, target and changes, a table of
the same points beside it, status, forecast and people benefited.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.io.catalogue import Catalogue
from marginalgains.io.outputs import write_csv
from marginalgains.plans import STATUSES, Plan, Tracking
from marginalgains.report import charts
from marginalgains.report.html import render_self_contained

RENDERER = "plans.js"
STATUS_ORDER = {status: n for n, status in enumerate(reversed(STATUSES))}  # deteriorating first
CHART_COLUMNS = ["period", "value", "lower", "upper", "mean", "lpl", "upl", "trajectory", "point_type", "assurance"]
TABLE_COLUMNS = ["period", "phase", "value", "lower", "upper", "trajectory", "gap", "gap_people", "mean", "lpl", "upl",
                 "point_type", "assurance", "change"]


def render_plans_page(tracking: Tracking, catalogue: Catalogue, provenance: dict | None = None,
                      home: tuple[str, str] | None = None) -> str:
    """plans.html as one string; `home`, the (address, name) of the site a served page belongs to, linked at its top."""
    provenance = provenance or {}
    templates = {i: charts.plan_template(catalogue[i]) for i in tracking.scorecard["indicator_id"].unique()}
    plans = [_plan_view(plan, tracking, catalogue) for plan in tracking.plans]
    data = {"templates": templates, "charts": {a["key"]: a["chart"] for p in plans for a in p["areas"]}}
    synthetic = any(catalogue[i].synthetic for i in templates) or bool(provenance.get("synthetic_data"))
    return render_self_contained(
        "plans.html.j2", RENDERER, data, title="Improvement plans", synthetic=synthetic,
        scorecard=_scorecard_rows(tracking, catalogue), plans=plans,
        errors=[{"plan_id": e.plan_id, "field": e.field, "reason": e.reason} for e in tracking.errors],
        provenance=provenance, statuses=STATUSES, home=home)


def write_plans(tracking: Tracking, catalogue: Catalogue, out: str | Path, provenance: dict | None = None) -> dict[str, Path]:
    """Write plans.html, plans.csv (every point), plans-scorecard.csv and plans.json into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("plans.html", "plans.csv", "plans-scorecard.csv", "plans.json")}
    write_csv(tracking.points, paths["plans.csv"])
    write_csv(tracking.scorecard, paths["plans-scorecard.csv"])
    paths["plans.json"].write_text(json.dumps(plans_json(tracking, provenance), indent=2, default=str), encoding="utf-8")
    paths["plans.html"].write_text(render_plans_page(tracking, catalogue, provenance), encoding="utf-8")
    return paths


def plans_json(tracking: Tracking, provenance: dict | None = None) -> dict:
    """The tracking as JSON-ready data: scorecard, people benefited, errors, and the resolved plans."""
    return {"provenance": provenance or {}, "scorecard": _records(tracking.scorecard),
            "benefit": _records(tracking.benefit),
            "errors": [{"plan_id": e.plan_id, "field": e.field, "reason": e.reason} for e in tracking.errors],
            "plans": [p.to_dict() for p in tracking.plans]}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts, missing values as null."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def status_lines(tracking: Tracking) -> list[str]:
    """One line per plan x area for a terminal: status, latest value against trajectory, forecast."""
    lines = []
    for row in tracking.scorecard.itertuples(index=False):
        lines.append(f"{row.plan_id} {row.area_code}: {row.status}; {row.period} {_number(row.value)} against a "
                     f"trajectory of {_number(row.trajectory)} (target {_number(row.target)} by {row.by}); "
                     f"{row.forecast}")
    return lines


def _number(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _scorecard_rows(tracking: Tracking, catalogue: Catalogue) -> list[dict]:
    card = tracking.scorecard.assign(order=tracking.scorecard["status"].map(STATUS_ORDER))
    card = card.sort_values(["order", "plan_id", "area_code"], kind="stable")
    rows = []
    for row in card.to_dict(orient="records"):
        indicator = catalogue[row["indicator_id"]]
        rows.append({**row, "indicator_title": indicator.title, "synthetic": indicator.synthetic,
                     "anchor": _anchor(row["plan_id"], row["area_code"]),
                     "shown": {c: _number(row[c]) for c in ("value", "trajectory", "target", "gap", "gap_people")}})
    return rows


def _anchor(plan_id: str, area_code: str) -> str:
    """A safe element id for a plan x area (ids come from data, so they are encoded)."""
    return "plan-" + "".join(ch if ch.isalnum() else f"_{ord(ch):x}_" for ch in f"{plan_id}|{area_code}")


def _plan_view(plan: Plan, tracking: Tracking, catalogue: Catalogue) -> dict:
    indicator = catalogue[plan.indicator_id]
    card = tracking.scorecard[tracking.scorecard["plan_id"] == plan.id]
    points = tracking.points[tracking.points["plan_id"] == plan.id]
    benefit = tracking.benefit[tracking.benefit["plan_id"] == plan.id].iloc[0].to_dict()
    return {
        "plan": plan, "indicator": indicator, "target_words": _target_words(plan),
        "benefit": {k: _number(v, 0) for k, v in benefit.items() if k != "plan_id"},
        "areas": [_area_view(plan, indicator, row, points[points["area_code"] == row["area_code"]])
                  for row in card.to_dict(orient="records")],
    }


def _area_view(plan: Plan, indicator, row: dict, points: pd.DataFrame) -> dict:
    changes = points[points["change"].notna()]
    chart = {"template": plan.indicator_id, "datasets": {
        "series": _records(points[CHART_COLUMNS]),
        "target": [{"target": row["target"], "label": f"Target {_number(row['target'])} by {row['by']}"}],
        "changes": [{"period": p, "label": text, "short": text.split(":", 1)[-1].split(" (")[0].strip()[:40]}
                    for p, text in zip(changes["period"], changes["change"])]}}
    table = _records(points[TABLE_COLUMNS])
    for line in table:
        line["shown"] = {c: _number(line[c], 2) for c in ("value", "lower", "upper", "trajectory", "gap", "mean", "lpl",
                                                          "upl")}
        line["shown"]["gap_people"] = _number(line["gap_people"], 0)
    return {"row": row, "key": _anchor(plan.id, row["area_code"]), "chart": chart, "table": table,
            "shown": {c: _number(row[c]) for c in ("value", "trajectory", "target", "baseline", "gap", "gap_people",
                                                   "cumulative_achieved", "cumulative_planned")},
            "subtitle": f"{row['area_code']} · {indicator.title}"}


def _target_words(plan: Plan) -> str:
    target = plan.target
    if target.form == "benchmark":
        return f"the {target.benchmark.replace('_', ' ')} benchmark at the baseline"
    if target.form == "change_points":
        return f"{target.amount:+g} points on the baseline"
    if target.form == "change_relative":
        return f"{target.amount:+g}% of the baseline"
    return f"{target.amount:g}"
