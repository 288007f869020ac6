"""The SYNTHETIC generator: labelled, deterministic by seed, and spread like the Atlas figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from marginalgains.engine import compute
from marginalgains.synth import generate
from marginalgains.synth.areas import ccg_boundaries

TABLES = ["mi_admissions", "diabetes_care", "eye_screening"]


@pytest.fixture(scope="module")
def moderate(tmp_path_factory):
    """Four million rows, counted once (a few seconds)."""
    folder = tmp_path_factory.mktemp("moderate")
    return compute(generate(folder, 4_000_000, seed=5).catalogue, folder)


def fold(values: pd.DataFrame, indicator_id: str) -> float:
    """Raw fold variation: highest over lowest area rate, all years pooled."""
    chosen = values[values["indicator_id"] == indicator_id].groupby("area_code")[["numerator", "denominator"]].sum()
    rates = chosen["numerator"] / chosen["denominator"]
    return rates.max() / rates.min()


def test_same_seed_same_data_and_another_seed_differs(tmp_path):
    first, again, other = (generate(tmp_path / name, 30_000, seed=seed) for name, seed in [("a", 9), ("b", 9), ("c", 10)])
    for table in TABLES:
        a = pq.read_table(tmp_path / "a" / f"{table}.parquet")
        assert a.equals(pq.read_table(tmp_path / "b" / f"{table}.parquet"))
        assert not a.equals(pq.read_table(tmp_path / "c" / f"{table}.parquet"))
    assert (tmp_path / "a" / "areas.csv").read_text() == (tmp_path / "b" / "areas.csv").read_text()
    assert first.rows == {"mi_admissions": 6000, "diabetes_care": 15000, "eye_screening": 9000}


def test_tables_carry_synthetic_metadata_and_expected_columns(tmp_path):
    generate(tmp_path, 20_000, seed=1)
    schema = pq.read_schema(tmp_path / "diabetes_care.parquet")
    assert schema.metadata[b"synthetic"] == b"true"
    assert b"not real patients" in schema.metadata[b"notice"]
    assert schema.names[:3] == ["ccg_code", "practice_code", "audit_year_start"]
    assert "retinal_screening" in schema.names and len(schema.names) == 15
    assert "SYNTHETIC" in (tmp_path / "SYNTHETIC.txt").read_text()
    assert "practice_code" in (tmp_path / "catalogue-practice.yaml").read_text()


def test_areas_are_the_106_ccgs_with_nested_practices_and_covariates(tmp_path):
    generate(tmp_path, 600_000, seed=2)
    areas = pd.read_csv(tmp_path / "areas.csv", keep_default_na=False)
    ccgs = areas[areas["area_type"] == "ccg"]
    practices = areas[areas["area_type"] == "practice"]
    assert list(ccgs["area_code"]) == list(ccg_boundaries()["area_code"]) and len(ccgs) == 106
    assert len(practices) == 400  # 600,000 rows / 1,500 rows per practice
    assert set(practices["parent_code"]) <= set(ccgs["area_code"]) and practices["parent_code"].nunique() == 106
    assert areas["synthetic"].all()
    assert ccgs["population"].between(90_000, 1_800_000).all()
    assert ccgs["deprivation_score"].between(7, 48).all() and ccgs["rurality"].between(0, 1).all()
    assert ccgs["pct_over_65"].between(10, 30).all()


def test_full_scale_has_about_6500_practices():
    from marginalgains.synth.areas import build_geography

    geography = build_geography(100_000_000, np.random.default_rng(0))
    assert len(geography.practices) == 6500
    assert (geography.practices.groupby("ccg_index").size() >= 1).sum() == 106


def test_fold_spreads_near_the_atlas_figures(moderate):
    values = moderate.values
    assert 25 <= fold(values, "syn-mi-ppci") <= 48  # Atlas of Variation: about 34-fold
    assert 9 <= fold(values, "syn-eye-screening") <= 16  # about 12-fold
    assert 7.5 <= fold(values, "syn-diabetes-t2-nine") <= 13  # about 10-fold


def test_five_financial_years_with_improving_flat_and_worsening_areas(moderate):
    values = moderate.values
    screening = values[values["indicator_id"] == "syn-eye-screening"].assign(year=lambda v: v["period"].str[:7])
    assert sorted(screening["year"].unique()) == ["2014/15", "2015/16", "2016/17", "2017/18", "2018/19"]
    yearly = screening.groupby(["area_code", "year"])[["numerator", "denominator"]].sum()
    log_rates = np.log((yearly["numerator"] / yearly["denominator"]).unstack()).to_numpy()
    slopes = np.polyfit(np.arange(5), log_rates.T, 1)[0]
    assert (slopes > 0.08).sum() >= 15 and (slopes < -0.08).sum() >= 15 and (np.abs(slopes) < 0.04).sum() >= 15


def test_weakest_link_is_mostly_urine_albumin(moderate):
    links = moderate.weakest_links[moderate.weakest_links["indicator_id"] == "syn-diabetes-t2-nine"]
    totals = links.groupby("component")["n_only_missing"].sum()
    assert totals.idxmax() == "urine_albumin"
    assert totals["urine_albumin"] > 2 * totals["hba1c"]
