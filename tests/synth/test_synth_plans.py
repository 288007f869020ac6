"""The SYNTHETIC plans demo: deterministic by seed, and each story true of the data it writes."""

import pandas as pd

from marginalgains.periods import financial_years
from marginalgains.plans import load_plans
from marginalgains.synth.plans import RECORD, generate_plans_demo


def test_same_seed_same_files(tmp_path):
    first, second = generate_plans_demo(tmp_path / "a", seed=5), generate_plans_demo(tmp_path / "b", seed=5)
    assert first.values.read_bytes() == second.values.read_bytes()
    assert generate_plans_demo(tmp_path / "c", seed=6).values.read_bytes() != first.values.read_bytes()


def test_files_are_labelled_synthetic_and_plans_load(tmp_path):
    demo = generate_plans_demo(tmp_path)
    assert demo.catalogue.read_text().startswith("# SYNTHETIC") and demo.plans.read_text().startswith("# SYNTHETIC")
    plans = load_plans(demo.plans)
    assert [p.id for p in plans] == ["ppci-pathway", "readmissions-d2a", "eye-screening-best", "ppci-network"]
    values = pd.read_csv(demo.values)
    assert len(values) == 3 * 106 * 60 and values["period"].min() == "2019-04" and values["period"].max() == "2024-03"


def test_the_record_holder_had_the_best_year_of_all(tmp_path):
    values = pd.read_csv(generate_plans_demo(tmp_path).values)
    eye = values[values["indicator_id"] == "syn-plan-eye-screening"].assign(grain="month")
    years = financial_years(eye)
    first = years[years["period"] == "2019/20"].assign(rate=lambda t: t["numerator"] / t["denominator"])
    record = first.sort_values("area_code")["area_code"].iloc[RECORD]
    assert first.loc[first["rate"].idxmax(), "area_code"] == record


def test_the_plan_file_writes_every_value_out(tmp_path):
    text = generate_plans_demo(tmp_path).plans.read_text()
    assert "&id" not in text and "*id" not in text
