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
    assert ("13 areas with a denominator of at least 10 (1 smaller area left out of the spread; with them the lowest "
            "would be zero), ") in built.headline("p")
    assert row["n_high_998"] + row["n_low_998"] + (built.areas["funnel_band"] == 0).sum() <= 14  # the funnel counts all


def test_a_fold_set_by_areas_below_the_minimum_denominator_is_not_quoted_as_the_variation():
    """Ten areas of 100 from 30% to 48% (1.6-fold), and one of 20 at 5%: with a minimum denominator of 50
    the spread is over the ten, and the 9.6-fold range the small area would give is named as such."""
    values = pd.DataFrame({"indicator_id": "p", "area_code": [f"B{a}" for a in range(10)] + ["T"], "period": "2018/19",
                           "grain": "financial_year", "numerator": [30.0 + 2 * a for a in range(10)] + [1.0],
                           "denominator": [100.0] * 10 + [20.0]})
    built = build_atlas(values, small_catalogue(min_denominator=50))
    row = built.summary.iloc[0]
    assert (row["n_areas"], row["n_below_min_denominator"], row["min_denominator"]) == (10, 1, 50)
    assert (row["min"], row["max"]) == (30, 48) and row["fold"] == 48 / 30
    assert built.headline("p").startswith("p 2018/19: 10 areas with a denominator of at least 50 (1 smaller area left "
                                          "out of the spread; with them the range would be 9.6-fold), 1.6-fold range")
    no_minimum = build_atlas(values, small_catalogue())
    assert no_minimum.headline("p").startswith("p 2018/19: 11 areas, 9.6-fold range")  # no threshold: every area counts
    near = values.assign(numerator=lambda v: v["numerator"].where(v["area_code"] != "T", 5.0))  # T at 25%: 1.9-fold
    assert "left out of the spread), 1.6-fold" in build_atlas(near, small_catalogue(min_denominator=50)).headline("p")


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


def breakdown_catalogue():
    """One indicator in three breakdowns (Persons, Male, Female), a second real one measured in events,
    and a SYNTHETIC one: what a total may and may not add."""
    from dataclasses import replace

    from marginalgains.io.catalogue import Catalogue
    from marginalgains.model import Measure

    base = small_catalogue()["p"]
    indicators = {
        "p": replace(base, sex="Persons", age="All ages", family="p"),
        "p-m": replace(base, id="p-m", sex="Male", age="All ages", family="p"),
        "p-f": replace(base, id="p-f", sex="Female", age="All ages", family="p"),
        "r": replace(base, id="r", measure=Measure.RATE, multiplier=1000),
        "s": replace(base, id="s", synthetic=True),
    }
    return Catalogue(indicators, {i: {} for i in indicators})


def spread_values(indicator_id, period="2018/19", areas=20, scale=1.0):
    rows = [{"indicator_id": indicator_id, "area_code": f"A{a:02d}", "period": period, "grain": "financial_year",
             "numerator": round((200 + 15 * a) * scale), "denominator": 1000} for a in range(areas)]
    return pd.DataFrame(rows)


def test_totals_never_add_breakdowns_sources_units_or_periods():
    values = pd.concat([spread_values("p"), spread_values("p-m", scale=0.5), spread_values("p-f", scale=0.5),
                        spread_values("r"), spread_values("s"), spread_values("s", period="2017/18")],
                       ignore_index=True)
    built = build_atlas(values, breakdown_catalogue())
    totals = built.totals.set_index("group")
    assert set(totals.index) == {"2018/19, more events", "2018/19, more people", "2018/19, more people (SYNTHETIC data)"}
    assert totals.index[-1] == "2018/19, more people (SYNTHETIC data)"  # real totals first
    people = totals.loc["2018/19, more people"]
    # only the Persons breakdown is added; Male and Female are beside it, not in it
    assert people["indicators"] == ["p"] and people["beside"] == ["p-f", "p-m"]
    assert people["total"] == pytest.approx(built.improvement["p"].summary.significant_gain)
    assert people["breakdown"] == "Persons, All ages" and people["n_areas"] == 20
    female, male = (built.improvement[i].summary.significant_gain for i in ("p-f", "p-m"))
    assert people["sentence"] == (f"2018/19: {people['total']:,.0f} more people beyond chance across 20 areas and "
                                  f"1 indicator (Persons, All ages); not added, shown beside: p-f (Female, All ages) "
                                  f"{female:,.0f}; p-m (Male, All ages) {male:,.0f}")
    assert totals.loc["2018/19, more events", "indicators"] == ["r"]
    assert totals.loc["2018/19, more people (SYNTHETIC data)", "source"] == "SYNTHETIC"
    # within each total, shares are of that total alone
    for _, pairs in built.pareto.groupby("group"):
        assert pairs["share"].sum() == pytest.approx(1.0) and pairs["rank"].tolist() == list(range(1, len(pairs) + 1))
    assert list(built.pareto["group"].unique()) == list(totals.index)  # real totals first
    assert not built.pareto["indicator_id"].isin(["p-m", "p-f"]).any()
    assert built.provenance["opportunity_totals"][0]["period"] == "2018/19"


def test_no_total_adds_one_sex_to_the_other_when_there_is_no_persons_breakdown():
    from marginalgains.atlas import total_breakdowns

    catalogue = breakdown_catalogue()
    added, beside = total_breakdowns([catalogue["p-m"], catalogue["p-f"], catalogue["r"]])
    assert added == {"r"} and beside == {"p-m", "p-f"}


def test_gain_sentences_name_their_period_areas_and_breakdown():
    values = pd.concat([spread_values("p"), spread_values("p-m", scale=0.5)], ignore_index=True)
    built = build_atlas(values, breakdown_catalogue())
    summary = built.improvement["p-m"].summary
    assert summary.sentence.startswith("In 2018/19, if each of the 20 areas matched")
    assert "\u201cScreened\u201d (Male, All ages)" in summary.sentence and summary.population == "20 areas; Male, All ages"


def test_indicators_without_values_are_listed_with_the_reason_and_do_not_crash():
    import warnings

    from marginalgains.io.catalogue import Catalogue
    from marginalgains.model import Measure

    from dataclasses import replace

    base = small_catalogue()["p"]
    indicators = {"p": base, "empty": replace(base, id="empty"), "blank": replace(base, id="blank"),
                  "mean": replace(base, id="mean", measure=Measure.MEAN),
                  "england-only": replace(base, id="england-only")}
    blank = spread_values("blank").assign(numerator=np.nan, denominator=np.nan, value=np.nan)
    values = pd.concat([spread_values("p"), blank, spread_values("mean")], ignore_index=True)
    comparators = spread_values("england-only", areas=1).assign(area_code="E92000001")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        built = build_atlas(values, Catalogue(indicators, {i: {} for i in indicators}), comparators=comparators)
    assert set(built.left_out) == {"empty", "blank", "mean", "england-only"}
    assert built.left_out["empty"].startswith("no rows were accepted")
    assert built.left_out["blank"] == "none of its 20 rows gives a value (no counts or published values)"
    assert "a sum and a count do not give the spread" in built.left_out["mean"]
    assert "area types not compared" in built.left_out["england-only"]
    assert built.provenance["indicators_left_out"] == built.left_out
    assert set(built.summary["indicator_id"]) == {"p"} and len(built.comparators) == 1
    assert built.spc.empty  # one period: no SPC series


def test_a_fold_trimmed_of_most_of_its_areas_is_not_quoted():
    """Of 12 areas, the fold without the 5 highest and lowest is the fold between two: the sentence
    quotes the 5th to 95th percentile fold instead, and judges "driven by extremes" without it."""
    from marginalgains.atlas import spread_phrase

    values = np.array([56.82, 60.0, 62.1, 64.0, 66.66, 70.0, 71.5, 75.0, 88.1, 95.0, 110.0, 117.58])
    row = {"n_areas": 12, "fold": values[-1] / values[0], "fold_trimmed5": values[6] / values[5],
           "p95_p5": np.quantile(values, 0.95) / np.quantile(values, 0.05), "min": values[0], "max": values[-1]}
    assert spread_phrase(row) == f"2.1-fold range ({row['p95_p5']:.1f}-fold from the 5th to the 95th percentile)"
    assert f"{row['p95_p5']:.1f}" == "1.9"
    row["n_areas"] = 20
    assert spread_phrase(row) == ("2.1-fold range (1.0-fold without the 5 highest and lowest, 1.9-fold from the 5th to "
                                  "the 95th percentile)")  # with 20 areas it is quoted, and the extremes set the range


def test_headline_gives_the_true_reason_for_no_fold():
    from marginalgains.atlas import spread_phrase

    row = {"n_areas": 30, "fold": np.inf, "fold_trimmed5": 1.5, "p95_p5": 1.8, "min": 4.5, "max": np.inf}
    assert spread_phrase(row).startswith("range 4.5 to inf (no fold: a value is not finite)")
    row.update(fold=np.nan, min=-2.0, max=9.0)
    assert "(no fold: the lowest is negative)" in spread_phrase(row)
    row.update(min=0.0)
    assert spread_phrase(row) == ("range 0 to 9 (no fold: the lowest is zero); 1.5-fold without the 5 highest and "
                                  "lowest, 1.8-fold from the 5th to the 95th percentile")
    row.update(fold=3.4, min=2.0, max=6.8)  # more than twice the trimmed fold: the extremes set it
    assert spread_phrase(row) == ("3.4-fold range (1.5-fold without the 5 highest and lowest, 1.8-fold from the 5th "
                                  "to the 95th percentile)")


def test_overdispersed_headline_counts_areas_beyond_the_adjusted_limits():
    rng = np.random.default_rng(3)
    rows = pd.DataFrame({"indicator_id": "p", "area_code": [f"A{a:03d}" for a in range(300)], "period": "2018/19",
                         "grain": "financial_year", "denominator": rng.integers(500, 5000, 300)})
    rows["numerator"] = np.round(rows["denominator"] * np.clip(rng.normal(0.6, 0.1, 300), 0, 1))
    built = build_atlas(rows, small_catalogue())
    row = built.summary.iloc[0]
    from scipy.stats import chi2

    assert row["overdispersed"] and 300 * row["phi"] > chi2.ppf(0.998, 299)
    high, low = int(row["n_high_998_adjusted"]), int(row["n_low_998_adjusted"])
    assert high + low < int(row["n_high_998"]) + int(row["n_low_998"])
    adjusted = built.areas["funnel_band_adjusted"]
    assert (high, low) == ((adjusted == 2).sum(), (adjusted == -2).sum())
    assert (f"; {high + low} beyond the overdispersion-adjusted 99.8% limits ({high} above, {low} below); "
            f"{int(row['n_high_998'])} above and {int(row['n_low_998'])} below the plain limits") in built.headline("p")


def test_running_out_of_memory_is_a_clear_error_before_anything_is_written(monkeypatch):
    import marginalgains.atlas as atlas_module
    from marginalgains.errors import DataError

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(atlas_module, "funnel_analysis", exhausted)
    with pytest.raises(DataError, match=r"not enough memory to build the atlas from 20 rows \(1 indicators, 20 areas, "
                                        r"1 periods\); nothing was written"):
        build_atlas(spread_values("p"), small_catalogue())


def test_fingertips_breakdowns_are_one_family_so_no_total_adds_them():
    from pathlib import Path

    from marginalgains.atlas import total_breakdowns
    from marginalgains.io.fingertips import read_fingertips

    export = read_fingertips(Path(__file__).parent / "io" / "fixtures" / "fingertips_breakdowns.csv")
    indicators = list(export.catalogue)
    assert {i.family for i in indicators} == {"93088"}
    assert {(i.sex, i.age) for i in indicators} == {(sex, age) for sex in ("Male", "Female")
                                                     for age in ("18-64 yrs", "65+ yrs")}
    # two sexes and two age bands, no Persons or All ages: none is added to a total, all are shown beside
    assert total_breakdowns(indicators) == (set(), {i.id for i in indicators})
