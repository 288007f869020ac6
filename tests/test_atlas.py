"""The atlas on the bundled A&E data, checked against figures computed independently here."""

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from marginalgains.atlas import build_atlas
from marginalgains.io.bundled import ae_values


def wilson(x, n, z):
    """Wilson score interval, written out from the formula (not the library's code)."""
    p = x / n
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


@pytest.fixture(scope="module")
def atlas():
    catalogue, read = ae_values()
    return build_atlas(read.values, catalogue, {"rows_read": read.rows_read})


@pytest.fixture(scope="module")
def year_2018():
    """ae-4hr per provider for 2018/19 straight from the raw CSV."""
    raw = pd.read_csv(resources.files("marginalgains") / "data" / "ae_attendances.csv", dtype={"type": str})
    raw = raw[(raw["type"] == "1") & (raw["period"] >= "2018-04-01") & (raw["period"] <= "2019-03-01")]
    sums = raw.groupby("org_code")[["attendances", "breaches"]].sum()
    sums["seen"] = sums["attendances"] - sums["breaches"]
    return sums


def test_periods_are_financial_years_latest_first(atlas):
    assert atlas.periods("ae-4hr") == ["2018/19", "2017/18", "2016/17"]


def test_area_values_and_wilson_limits(atlas, year_2018):
    areas = atlas.areas.query("indicator_id == 'ae-4hr' and period == '2018/19'").set_index("area_code")
    expected = year_2018["seen"] / year_2018["attendances"] * 100
    assert len(areas) == len(year_2018) == 137
    assert np.allclose(areas["value"].sort_index(), expected.sort_index(), rtol=1e-12)
    low, high = wilson(year_2018["seen"], year_2018["attendances"], norm.ppf(0.999))
    assert np.allclose(areas["lower998"].sort_index(), (low * 100).sort_index(), rtol=1e-10)
    assert np.allclose(areas["upper998"].sort_index(), (high * 100).sort_index(), rtol=1e-10)


def test_variation_summary(atlas, year_2018):
    row = atlas.summary.query("indicator_id == 'ae-4hr' and period == '2018/19'").iloc[0]
    values = np.sort((year_2018["seen"] / year_2018["attendances"] * 100).to_numpy())
    pooled = year_2018["seen"].sum() / year_2018["attendances"].sum()
    assert row["n_areas"] == 137
    assert row["fold"] == pytest.approx(values[-1] / values[0])
    assert row["fold_trimmed5"] == pytest.approx(values[-6] / values[5])
    assert row["p95_p5"] == pytest.approx(np.percentile(values, 95) / np.percentile(values, 5))
    assert row["iqr_ratio"] == pytest.approx(np.percentile(values, 75) / np.percentile(values, 25))
    assert row["cv"] == pytest.approx(values.std(ddof=1) / values.mean())
    assert row["pooled"] == pytest.approx(pooled * 100)
    expected = year_2018["attendances"] * pooled
    scv = 100 * np.mean(((year_2018["seen"] - expected) / expected) ** 2 - 1 / expected)
    assert row["scv"] == pytest.approx(scv)


def test_funnel_counts_match_wilson_intervals_against_the_pooled_value(atlas, year_2018):
    """Beyond the PHE funnel limit at n exactly when the area's own Wilson interval excludes the pooled value."""
    row = atlas.summary.query("indicator_id == 'ae-4hr' and period == '2018/19'").iloc[0]
    pooled = year_2018["seen"].sum() / year_2018["attendances"].sum()
    low95, high95 = wilson(year_2018["seen"], year_2018["attendances"], norm.ppf(0.975))
    low998, high998 = wilson(year_2018["seen"], year_2018["attendances"], norm.ppf(0.999))
    assert row["n_high_998"] == (low998 > pooled).sum()
    assert row["n_high_95"] == (low95 > pooled).sum()
    assert row["n_low_95"] == (high95 < pooled).sum()
    assert row["n_low_998"] == (high998 < pooled).sum()
    assert row["n_high_998"] + row["n_low_998"] > 100  # most providers are outside the plain limits


def test_overdispersion_adjustment_leaves_fewer_outliers(atlas):
    row = atlas.summary.query("indicator_id == 'ae-4hr' and period == '2018/19'").iloc[0]
    assert row["phi"] > 100 and row["tau2"] > 0
    assert row["n_outside_998_adjusted"] < row["n_high_998"] + row["n_low_998"]


def test_headline(atlas, year_2018):
    values = np.sort((year_2018["seen"] / year_2018["attendances"] * 100).to_numpy())
    assert atlas.headline("ae-4hr").startswith(
        f"ae-4hr 2018/19: 137 areas, {values[-1] / values[0]:.1f}-fold range "
        f"({values[-6] / values[5]:.1f}-fold without the 5 highest and lowest);")


def test_spc_series_are_monthly_with_xmr_limits(atlas):
    series = atlas.spc.query("indicator_id == 'ae-4hr' and area_code == 'RCU'").sort_values("period_start")
    assert len(series) == 36 and series["period"].iloc[0] == "2016-04"
    values = series["value"].to_numpy()
    moving_range = np.abs(np.diff(values))
    mean_mr = moving_range.mean()
    kept = moving_range[moving_range < 3.267 * mean_mr]  # NHSRplotthedots screening
    assert series["mean"].iloc[0] == pytest.approx(values.mean())
    assert series["upl"].iloc[0] == pytest.approx(values.mean() + 2.66 * kept.mean())
    beyond = (values > series["upl"].to_numpy()) | (values < series["lpl"].to_numpy())
    assert (series.loc[beyond, "point_type"] != "common_cause").all()


def test_an_indicator_whose_gain_cannot_be_sized_is_reported_not_fatal():
    from dataclasses import replace

    from marginalgains.io.catalogue import Catalogue

    catalogue, read = ae_values()
    strict = replace(catalogue["ae-4hr"], min_denominator=10**9)  # no provider is big enough to set a benchmark
    built = build_atlas(read.values, Catalogue({"ae-4hr": strict}, {"ae-4hr": {}}))
    assert "ae-4hr" not in built.improvement
    assert "min_denominator" in built.provenance["opportunity_not_sized"]["ae-4hr"]
    assert len(built.summary) == 3  # the rest of the atlas is still built


def small_catalogue(**changes):
    from dataclasses import replace

    from marginalgains.io.catalogue import Catalogue
    from marginalgains.model import Indicator, Measure, Polarity

    indicator = replace(Indicator("p", "Screened", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, multiplier=100), **changes)
    return Catalogue({"p": indicator}, {"p": {}})


def quarterly_values(quarters: list[str], areas: int = 12) -> pd.DataFrame:
    rows = [{"indicator_id": "p", "area_code": f"A{a:02d}", "period": q, "grain": "quarter",
             "numerator": 20 + a + 3 * i, "denominator": 100 + 5 * a} for a in range(areas) for i, q in enumerate(quarters)]
    return pd.DataFrame(rows)


def test_a_year_in_progress_is_flagged_and_the_headline_uses_the_last_whole_year():
    quarters = [f"2017/18 Q{q}" for q in range(1, 5)] + [f"2018/19 Q{q}" for q in range(1, 5)] + ["2019/20 Q1"]
    built = build_atlas(quarterly_values(quarters), small_catalogue())
    summary = built.summary.set_index("period")
    assert summary.loc["2019/20", "complete_year"] == False  # noqa: E712
    assert summary.loc["2018/19", "complete_year"] == True  # noqa: E712
    assert built.headline("p").startswith("p 2018/19: 12 areas")
    assert built.improvement["p"].period == "2018/19"
    areas = built.areas.set_index(["period", "area_code"])
    assert areas.loc[("2019/20", "A00"), "subperiods"] == 1 and areas.loc[("2018/19", "A00"), "subperiods"] == 4


def test_areas_below_the_minimum_denominator_are_left_out_of_the_spread_and_said_to_be():
    values = quarterly_values(["2018/19"], areas=14).assign(grain="financial_year")
    values.loc[values["area_code"] == "A00", ["numerator", "denominator"]] = [0, 3]
    built = build_atlas(values, small_catalogue(min_denominator=10))
    row = built.summary.iloc[0]
    assert (row["n_areas"], row["n_below_min_denominator"]) == (13, 1)
    assert row["min"] > 0 and np.isfinite(row["fold"])
    assert "13 areas (1 more below the minimum denominator left out)" in built.headline("p")
    assert row["n_high_998"] + row["n_low_998"] + (built.areas["funnel_band"] == 0).sum() <= 14  # the funnel counts all


def test_one_area_has_nothing_to_compare():
    built = build_atlas(quarterly_values(["2018/19"], areas=1).assign(grain="financial_year"), small_catalogue())
    row = built.summary.iloc[0]
    assert row["n_areas"] == 1 and np.isnan(row["fold"]) and np.isnan(row["p95_p5"]) and np.isnan(row["scv"])
    assert built.headline("p").startswith("p 2018/19: 1 area, too few areas to compare")


def test_no_events_anywhere_gives_no_funnel_and_no_warnings():
    import warnings

    values = quarterly_values(["2018/19"], areas=5).assign(grain="financial_year", numerator=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = build_atlas(values, small_catalogue())
    assert built.areas["funnel_band"].isna().all() and built.funnels.empty
    assert pd.isna(built.summary.iloc[0]["n_high_998"])


def test_code_columns_are_not_covariates_so_the_top_quartile_is_used():
    """An areas table whose only numeric column is a code has no covariates: no peers, but a gain all the same."""
    values = quarterly_values(["2018/19"]).assign(grain="financial_year")
    areas = pd.DataFrame({"area_code": [f"A{a:02d}" for a in range(12)], "area_name": "x", "stp_code": range(12)})
    built = build_atlas(values, small_catalogue(), areas=areas)
    assert built.improvement["p"].benchmark == "top_quartile"
    assert "p" not in built.provenance["opportunity_not_sized"]


def test_every_indicator_not_sized_is_recorded_with_the_reason():
    from dataclasses import replace

    from marginalgains.io.catalogue import Catalogue
    from marginalgains.model import Measure, Polarity

    base = small_catalogue()["p"]
    indicators = {"p": base, "q": replace(base, id="q", polarity=Polarity.NO_JUDGEMENT),
                  "dsr": replace(base, id="dsr", measure=Measure.DSR, polarity=Polarity.LOW_IS_GOOD, multiplier=100000),
                  "published": replace(base, id="published", measure=Measure.DSR, multiplier=100000)}
    counted = quarterly_values(["2018/19"]).assign(grain="financial_year")
    published = counted.assign(indicator_id="published", value=40.0, lower95=35.0, upper95=45.0, lower998=33.0,
                               upper998=47.0)
    values = pd.concat([counted.assign(indicator_id=i) for i in ("p", "q", "dsr")] + [published], ignore_index=True)
    built = build_atlas(values, Catalogue(indicators, {i: {} for i in indicators}))
    assert set(built.improvement) == {"p", "dsr"}  # a DSR from counts is sized as a crude rate
    not_sized = built.provenance["opportunity_not_sized"]
    assert set(not_sized) == {"q", "published"}
    assert "no direction" in not_sized["q"] and "published" in not_sized["published"]
