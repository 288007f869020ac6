"""Fingertips exports, as analysts download them (hand-written samples in fixtures/, one per shape)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marginalgains.errors import CatalogueError, DataError, GainsError
from marginalgains.io.fingertips import read_fingertips
from marginalgains.io.fingertips.reader import COLLAPSED, HEADERS, INEQUALITY
from marginalgains.io.selection import Selection
from marginalgains.model import Measure, Polarity

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "fingertips_sample.csv"
SCREENING, MORTALITY = "22001 (Female, 53-70 yrs)", "93721 (Persons, <75 yrs)"
FALLS = "93000 (Persons, All ages)"


@pytest.fixture(scope="module")
def sample():
    return read_fingertips(SAMPLE)


def edited(tmp_path, source: Path, edit) -> Path:
    """A fixture with its lines (header first) changed by `edit`."""
    path = tmp_path / source.name
    path.write_text("".join(edit(source.read_text(encoding="utf-8").splitlines(keepends=True))), encoding="utf-8")
    return path


def reasons(export):
    return [(r.row, r.column, r.reason) for r in export.read.rejections]


def test_rows_read_equal_accepted_plus_rejected_plus_set_aside(sample):
    read = sample.read
    assert (read.rows_read, read.rows_accepted, read.rows_rejected) == (26, 24, 1)
    assert read.set_aside == {INEQUALITY: 1}


def test_suppressed_rows_are_reported_with_their_reason(sample):
    assert reasons(sample) == [(17, "Value", "no value published (Value suppressed for disclosure control)")]


def test_a_percentage_is_inferred_with_polarity_from_the_england_comparison(sample):
    screening = sample.catalogue[SCREENING]
    assert screening.measure is Measure.PROPORTION and screening.multiplier == 100 and screening.unit == "%"
    assert screening.polarity is Polarity.HIGH_IS_GOOD
    assert screening.title == "Cancer screening coverage: breast cancer (Female, 53-70 yrs)"
    inferred = sample.inference[SCREENING]
    assert inferred["measure"] == {"value": "proportion",
                                   "from": "Value = Count / Denominator x 100 in 17 of 17 rows with counts"}
    assert inferred["polarity"]["from"].startswith("14 of 14 rows rated Better or Worse agree")


def test_a_rate_named_without_standardised_keeps_its_published_value_and_limits(sample):
    mortality = sample.catalogue[MORTALITY]
    assert (mortality.measure, mortality.multiplier, mortality.polarity) == (Measure.DSR, 100000, Polarity.LOW_IS_GOOD)
    derby = sample.read.values.query("indicator_id == @MORTALITY and area_code == 'E06000015'").iloc[0]
    assert (derby["value"], derby["lower95"], derby["upper95"], derby["period"]) == (39.8, 35.1, 45.0, "2020 - 22")


def test_proportions_keep_counts_and_drop_published_values_to_recompute(sample):
    rutland = sample.read.values.query("indicator_id == @SCREENING and area_code == 'E06000017' and period == '2021'")
    assert (rutland["numerator"].item(), rutland["denominator"].item(), rutland["value"].isna().item()) == (3112, 3890, True)
    assert rutland["area_name"].item() == "Rutland" and rutland["area_type"].item() == "Counties & UAs (from Apr 2023)"


def test_england_and_regional_published_values_are_kept_as_comparators(sample):
    england = sample.published.query("indicator_id == @SCREENING and area_code == 'E92000001' and period == '2021'")
    assert (england["value"].item(), england["lower95"].item()) == (69.288085, 69.252164)


def test_missing_fingertips_columns(write_csv):
    path = write_csv("Indicator ID,Area Code,Value\n1,E1,2\n", "export.csv")
    with pytest.raises(DataError, match=r"missing column\(s\) Indicator Name, Area Name, Area Type, Time period"):
        read_fingertips(path)


def test_fingertipsr_and_api_column_names_are_aliases(tmp_path, sample):
    aliases = {"Indicator ID": "IndicatorID", "Indicator Name": "IndicatorName", "Area Code": "AreaCode",
               "Area Name": "Area_Name", "Area Type": "AreaType", "Time period": "Timeperiod",
               "Lower CI 95.0 limit": "LowerCI95.0limit", "Upper CI 95.0 limit": "Upper_CI_95.0_limit",
               "Value note": "Valuenote", "Compared to England value or percentiles": "ComparedtoEnglandvalueorpercentiles"}

    def rename(lines):
        header = ",".join(aliases.get(c, c) for c in lines[0].rstrip("\n").split(","))
        return [header + "\n"] + lines[1:]

    renamed = read_fingertips(edited(tmp_path, SAMPLE, rename))
    assert renamed.inference == sample.inference
    pd.testing.assert_frame_equal(renamed.read.values, sample.read.values)
    stacked = read_fingertips(edited(tmp_path, SAMPLE, lambda lines: rename(lines) + rename(lines)[:1]))
    assert stacked.read.set_aside[HEADERS] == 1  # a repeated header in fingertipsR's names


def test_two_columns_naming_one_are_refused(tmp_path):
    path = edited(tmp_path, SAMPLE, lambda lines: [lines[0].replace("Recent Trend", "Time_period")] + lines[1:])
    with pytest.raises(DataError, match="columns 'Time period' and 'Time_period' are both 'Time period'"):
        read_fingertips(path)


def test_a_byte_identical_england_row_is_kept_once(tmp_path, sample):
    export = read_fingertips(edited(tmp_path, SAMPLE, lambda lines: lines[:2] + lines[1:]))
    assert export.read.rows_read == 27 and export.read.set_aside[COLLAPSED] == 1
    assert export.read.rows_accepted == sample.read.rows_accepted and export.provenance()["collapsed_duplicate_rows"] == 1


def test_conflicting_duplicates_are_rejected_every_copy(tmp_path):
    export = read_fingertips(edited(tmp_path, SAMPLE, lambda lines: lines[:2] + [lines[1].replace("69.288085", "69.3")]
                                    + lines[2:]))
    assert reasons(export)[:2] == [
        (row, "Time period", "duplicate key (indicator_id, Area Type, area_code, Category Type, Category, period) "
                             "in rows 1, 2") for row in (1, 2)]


def test_a_malformed_confidence_limit_is_rejected_with_the_reason(tmp_path):
    export = read_fingertips(edited(tmp_path, SAMPLE,
                                    lambda lines: [ln.replace(",39.8,35.1,45.0,", ",39.8,35.1x,45.0,") for ln in lines]))
    assert (21, "Lower CI 95.0 limit", "not a number: '35.1x'") in reasons(export)
    assert (export.read.rows_read, export.read.rows_accepted, export.read.rows_rejected) == (26, 23, 2)


@pytest.fixture(scope="module")
def stacked():
    return read_fingertips(FIXTURES / "fingertips_stacked_regions.csv")


def test_stacked_regional_downloads_with_england_as_country(stacked):
    """Two regional files one after the other: the second header is set aside, England (Area Type
    Country) repeated byte for byte is kept once, and the rest is a crude rate per 10,000."""
    read = stacked.read
    assert (read.rows_read, read.rows_accepted, read.rows_rejected) == (12, 10, 0)
    assert read.set_aside == {HEADERS: 1, COLLAPSED: 1}
    falls = stacked.catalogue[FALLS]
    assert (falls.measure, falls.multiplier, falls.unit) == (Measure.RATE, 10000, "per 10,000")
    # Derby 1,012 / 41,200 x 10,000 = 245.6 rated Worse than England's 200: low is good, as every rating agrees
    assert falls.polarity is Polarity.LOW_IS_GOOD
    assert stacked.inference[FALLS]["polarity"]["from"].startswith("13 of 13 rows rated Better or Worse agree")
    assert sorted(read.values["area_type"].value_counts().items()) == [
        ("Counties & UAs (from Apr 2023)", 7), ("Country", 1), ("Regions (statistical)", 2)]


def test_one_row_inconsistent_with_its_counts_is_rejected_not_a_new_measure(tmp_path):
    """Issue 14: one bad row used to turn the indicator into a published mean; now the majority rules."""
    def spoil(lines):
        return [ln.replace("245.631068", "24.5631068") for ln in lines]

    export = read_fingertips(edited(tmp_path, FIXTURES / "fingertips_stacked_regions.csv", spoil))
    assert export.catalogue[FALLS].measure is Measure.RATE and export.catalogue[FALLS].multiplier == 10000
    assert reasons(export) == [(3, "Value", "Value 24.5631 is not Count / Denominator x 10,000 (245.631), as the "
                                            "indicator's other rows are; which figure is right cannot be known")]


def test_without_an_england_row_polarity_comes_from_the_region_comparison():
    export = read_fingertips(FIXTURES / "fingertips_no_england.csv")
    active = export.catalogue["93014"]  # Persons, All ages only: the plain id and title
    assert (active.title, active.measure, active.multiplier) == ("Percentage of physically active adults",
                                                                 Measure.PROPORTION, 100)
    assert active.polarity is Polarity.HIGH_IS_GOOD  # Rutland 76% Better, Derby 65% Worse than the region's 67.75%


def test_without_any_benchmark_row_better_areas_are_compared_with_worse_ones(tmp_path):
    path = edited(tmp_path, FIXTURES / "fingertips_no_england.csv", lambda lines: lines[:1] + lines[2:])
    export = read_fingertips(path)
    assert export.catalogue["93014"].polarity is Polarity.HIGH_IS_GOOD
    assert export.inference["93014"]["polarity"]["from"].startswith("4 of 4 rows")


@pytest.fixture(scope="module")
def modelled():
    return read_fingertips(FIXTURES / "fingertips_modelled.csv")


def test_modelled_estimates_keep_their_published_figures(modelled):
    smoking = modelled.catalogue["92443 (Persons, All ages)"]
    assert smoking.measure is Measure.PROPORTION  # a percentage even though model-based
    assert smoking.modelled.startswith("modelled estimates (the name says 'model-based'; the Value note of 5 rows "
                                       "says 'Value is modelled or synthetic estimate'; 5 rows have counts that are "
                                       "not whole numbers")
    assert not smoking.synthetic  # modelled from real surveys, not invented data
    derby = modelled.read.values.query("area_code == 'E06000015' and indicator_id.str.startswith('92443')").iloc[0]
    value = 28120.6 / 197000.2 * 100
    assert derby["value"] == pytest.approx(value, abs=1e-6)
    assert (derby["lower95"], derby["upper95"]) == pytest.approx((value - 1.9, value + 2.1), abs=1e-6)


def test_a_model_based_percentage_with_whole_counts_keeps_its_published_limits(tmp_path):
    """Named model-based, with whole counts and no Value note: still a modelled estimate, so the
    published interval is kept, not replaced by a Wilson interval of counts the model did not observe."""
    path = edited(tmp_path, FIXTURES / "fingertips_modelled.csv", lambda lines: [
        ln.replace("Value is modelled or synthetic estimate", "").replace("28120.6,197000.2", "28121,197000")
        for ln in lines if not ln.startswith("241,")])
    export = read_fingertips(path)
    smoking = export.catalogue["92443"]
    assert smoking.measure is Measure.PROPORTION
    assert smoking.modelled.startswith("modelled estimates (the name says 'model-based'; 4 rows have counts")
    derby = export.read.values.set_index("area_code").loc["E06000015"]
    assert (derby["value"], derby["lower95"], derby["upper95"]) == (14.274402, 12.374402, 16.374402)


def test_a_percentage_published_without_counts_is_a_percentage_with_its_published_limits(tmp_path):
    """No Count or Denominator in any row (as some Fingertips percentages come): the name says
    percentage, so it is a percentage (not a mean), its published values and limits kept."""
    path = edited(tmp_path, FIXTURES / "fingertips_no_england.csv", lambda lines: [lines[0]] + [
        ln.replace(",,,,,", ",60.1,70.2,,,", 1).replace(f",{count},{size},", ",,,")
        for ln, (count, size) in zip(lines[1:], [(2710, 4000), (520, 800), (470, 760), (190, 250), (560, 820),
                                                 (700, 980)])])
    export = read_fingertips(path)
    active = export.catalogue["93014"]
    assert (active.measure, active.multiplier, active.unit) == (Measure.PROPORTION, 100, "%")
    assert export.inference["93014"]["measure"]["from"] == ("the name says 'Percentage' and no counts are given: a "
                                                            "percentage, published value and limits kept")
    assert export.read.rejections == []
    derby = export.read.values.set_index("area_code").loc["E06000015"]
    assert (derby["value"], derby["lower95"], derby["upper95"]) == (65.0, 60.1, 70.2)
    with pytest.raises(CatalogueError, match="'benefit_weight' cannot be set for indicator '93014': no gain in people "
                                             "is sized for it, so there is nothing to weight: the export gives no counts"):
        read_fingertips(path, write_overrides(tmp_path, "indicators:\n  - {id: '93014', benefit_weight: 2}\n"))


def test_an_estimated_head_count_is_a_count(modelled):
    diabetes = modelled.catalogue["241 (Persons, 16+ yrs)"]
    assert diabetes.measure is Measure.COUNT and diabetes.title == "Estimated number of people with diabetes (Persons, 16+ yrs)"
    assert modelled.inference["241 (Persons, 16+ yrs)"]["measure"]["from"].startswith("Value = Count in 5 of 5 rows")


def test_two_sexes_and_two_age_bands_are_four_indicators_with_distinct_titles():
    export = read_fingertips(FIXTURES / "fingertips_breakdowns.csv")
    titles = {i.id: i.title for i in export.catalogue}
    assert titles == {f"93088 ({b})": f"Proportion of adults who are overweight or obese ({b})"
                      for b in ("Male, 18-64 yrs", "Male, 65+ yrs", "Female, 18-64 yrs", "Female, 65+ yrs")}
    assert export.read.rows_accepted == 20 and set(export.read.values.groupby("indicator_id").size()) == {5}


def test_identical_titles_of_different_indicators_are_told_apart(tmp_path):
    path = edited(tmp_path, FIXTURES / "fingertips_no_england.csv",
                  lambda lines: lines + [ln.replace("93014,", "93015,", 1) for ln in lines[1:]])
    titles = sorted(i.title for i in read_fingertips(path).catalogue)
    assert titles == ["Percentage of physically active adults [93014]", "Percentage of physically active adults [93015]"]


def test_a_dsr_named_without_rate_is_recognised_from_value_and_counts():
    export = read_fingertips(FIXTURES / "fingertips_dsr_unnamed.csv")
    cancer = export.catalogue["40501 (Persons, <75 yrs)"]
    assert (cancer.measure, cancer.multiplier, cancer.unit) == (Measure.DSR, 100000, "per 100,000")
    assert export.inference[cancer.id]["measure"]["from"].startswith(
        "Value is near Count / Denominator x 100,000 but not equal to it in 5 of 5 rows")
    rutland = export.read.values.query("area_code == 'E06000017'").iloc[0]
    assert rutland["value"] == pytest.approx(40 / 33000 * 1e5 * 0.81, abs=1e-4)


def test_dsr_wording_wins_whatever_else_the_name_says(tmp_path):
    path = edited(tmp_path, FIXTURES / "fingertips_stacked_regions.csv",
                  lambda lines: [ln.replace("crude rate per 10,000", "age-standardised percentage") for ln in lines])
    export = read_fingertips(path)
    assert export.catalogue[FALLS].measure is Measure.DSR
    assert export.inference[FALLS]["measure"]["from"].startswith("the name says 'age-standardised'")


@pytest.fixture(scope="module")
def deciles():
    return read_fingertips(FIXTURES / "fingertips_deciles.csv")


def test_deprivation_deciles_are_read_into_the_inequality_view(deciles):
    read = deciles.read
    assert (read.rows_read, read.rows_accepted, read.rows_rejected) == (16, 5, 0)
    assert read.set_aside == {INEQUALITY: 10, "rows of category type 'Ethnic groups' (only deprivation deciles "
                                              "and quintiles are analysed)": 1}
    (view,) = deciles.inequality
    assert (view["indicator_id"], view["area_code"], view["period"]) == ("91720 (Persons, 60-74 yrs)", "E92000001", "2023")
    assert [q["rank"] for q in view["quantiles"]] == list(range(1, 11))
    assert view["quantiles"][0]["category"] == "Most deprived decile (IMD2019, 4/21 geog.)"


def test_the_slope_index_is_the_population_weighted_line_through_the_deciles(deciles):
    """An independent check: weighted least squares of value on each decile's mid-point of the
    cumulative population (numpy's polyfit with weights sqrt(population share))."""
    (view,) = deciles.inequality
    table = pd.DataFrame(view["quantiles"])
    share = table["population"] / table["population"].sum()
    position = share.cumsum() - share / 2
    slope, intercept = np.polyfit(position, table["value"], 1, w=np.sqrt(share))
    assert view["sii"] == pytest.approx(slope, rel=1e-9)
    assert view["rii"] == pytest.approx((intercept + slope) / intercept, rel=1e-9)
    assert view["sii_lower95"] < view["sii"] < view["sii_upper95"]
    assert view["rii_lower95"] < view["rii"] < view["rii_upper95"]


def test_a_decile_name_fingertips_does_not_use_is_rejected(tmp_path):
    path = edited(tmp_path, FIXTURES / "fingertips_deciles.csv",
                  lambda lines: [ln.replace("Third more deprived decile", "Decile three") for ln in lines])
    export = read_fingertips(path)
    assert reasons(export) == [(4, "Category", "not a deprivation decile or quintile name: "
                                               "'Decile three (IMD2019, 4/21 geog.)'")]
    assert export.inequality[0]["note"] == "9 of 10 quantiles" and export.inequality[0]["sii"] is None


def write_overrides(tmp_path, text: str) -> Path:
    path = tmp_path / "overrides.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_catalogue_overlays_the_inferred_one(tmp_path):
    overrides = write_overrides(tmp_path, """
indicators:
  - id: "93088"
    min_denominator: 1100
    tags: [obesity]
  - id: "93088 (Male, 65+ yrs)"
    title: "Older men overweight or obese"
    polarity: low_is_good
""")
    export = read_fingertips(FIXTURES / "fingertips_breakdowns.csv", overrides)
    men = export.catalogue["93088 (Male, 65+ yrs)"]
    assert (men.title, men.polarity, men.min_denominator, men.tags) == ("Older men overweight or obese",
                                                                       Polarity.LOW_IS_GOOD, 1100, ("obesity",))
    women = export.catalogue["93088 (Female, 18-64 yrs)"]
    assert (women.polarity, women.min_denominator) == (Polarity.NO_JUDGEMENT, 1100)
    assert export.inference[men.id]["polarity"] == {"value": "low_is_good", "from": f"catalogue {overrides}"}
    assert export.inference[women.id]["polarity"]["from"] == "no rows are rated Better or Worse"


def test_an_override_chooses_breakdowns_by_sex_and_age_and_keeps_them(tmp_path):
    """`sex` and `age` address breakdowns (in any case and spacing); settings keep each indicator's
    breakdown, so an overridden breakdown is still not added to totals beside its family."""
    from marginalgains.atlas import total_breakdowns

    overrides = write_overrides(tmp_path, """
indicators:
  - {id: "93088", sex: female, benefit_weight: 2, polarity: high_is_good}
  - {id: "93088", sex: Male, age: "65+  yrs", title: "Older men overweight or obese", family: older-men}
  - {id: "93088 (Female, 65+ yrs)", age: 65+ yrs, min_denominator: 200}
""")
    export = read_fingertips(FIXTURES / "fingertips_breakdowns.csv", overrides)
    by_id = export.catalogue.indicators
    assert [i for i in by_id if by_id[i].benefit_weight == 2] == ["93088 (Female, 18-64 yrs)", "93088 (Female, 65+ yrs)"]
    older_men = by_id["93088 (Male, 65+ yrs)"]
    assert (older_men.title, older_men.family, older_men.sex, older_men.age) == (
        "Older men overweight or obese", "older-men", "Male", "65+ yrs")
    assert by_id["93088 (Male, 18-64 yrs)"].title == "Proportion of adults who are overweight or obese (Male, 18-64 yrs)"
    assert by_id["93088 (Female, 65+ yrs)"].min_denominator == 200 and by_id["93088 (Female, 65+ yrs)"].family == "93088"
    assert {(i.sex, i.age) for i in export.catalogue} == {(s, a) for s in ("Male", "Female") for a in ("18-64 yrs", "65+ yrs")}
    # its own family now, older men are added to totals; the other three (no Persons, All ages) are shown beside
    assert total_breakdowns(list(export.catalogue)) == ({older_men.id}, set(by_id) - {older_men.id})
    assert export.inference[older_men.id]["family"] == {"value": "older-men", "from": f"catalogue {overrides}"}
    assert "sex" not in export.inference[older_men.id]  # sex and age choose; they are not set


def test_an_overridden_measure_is_applied_to_the_rows(tmp_path):
    overrides = write_overrides(tmp_path, "indicators:\n  - {id: '93000', measure: rate, multiplier: 1000}\n")
    export = read_fingertips(FIXTURES / "fingertips_stacked_regions.csv", overrides)
    assert export.read.rows_accepted == 0 and len(export.read.rejections) == 10
    assert export.read.rejections[0].reason == ("Value 200 is not Count / Denominator x 1,000 (20), as the "
                                                "catalogue's measure and multiplier say it is")
    # the unit follows the overridden multiplier; it is not left saying "per 10,000"
    assert export.catalogue[FALLS].unit == "per 1,000"
    assert export.inference[FALLS]["unit"] == {
        "value": "per 1,000", "from": f"the measure and multiplier, as set by catalogue {overrides}"}


def test_a_measure_overridden_to_a_dsr_keeps_the_published_values_and_its_unit(tmp_path):
    overrides = write_overrides(tmp_path, "indicators:\n  - {id: '93000', measure: dsr}\n")
    export = read_fingertips(FIXTURES / "fingertips_stacked_regions.csv", overrides)
    falls = export.catalogue[FALLS]
    assert (falls.measure, falls.multiplier, falls.unit) == (Measure.DSR, 10000, "per 10,000")
    derby = export.read.values.set_index("area_code").loc["E06000015"]
    assert derby["value"] == 245.631068 and np.isnan(derby["lower95"])  # as published: a DSR is not recomputed


@pytest.mark.parametrize("fixture, entry, key, indicator, reason", [
    ("fingertips_sample.csv", "{id: '93721', multiplier: 1000}", "multiplier", "93721 (Persons, <75 yrs)",
     "its values are published directly standardised rates, kept as published, so a multiplier would change "
     "nothing; set 'unit'"),
    ("fingertips_dsr_unnamed.csv", "{id: '40501', benefit_weight: 2}", "benefit_weight", "40501 (Persons, <75 yrs)",
     "no gain in people is sized for it, so there is nothing to weight: its values are published directly "
     "standardised rates"),
    ("fingertips_modelled.csv", "{id: '241', multiplier: 100}", "multiplier", "241 (Persons, 16+ yrs)",
     "its values are published counts (Value = Count)"),
    ("fingertips_modelled.csv", "{id: '241', min_denominator: 50}", "min_denominator", "241 (Persons, 16+ yrs)",
     "the export gives no Denominator for it, so no area could fall below a minimum"),
    ("fingertips_modelled.csv", "{id: '92443', benefit_weight: 3}", "benefit_weight", "92443 (Persons, All ages)",
     "nothing to weight: its values are published modelled estimates"),
    ("fingertips_no_england.csv", "{id: '93014', measure: mean, multiplier: 10}", "multiplier", "93014",
     "its values are published means (not a rate of its counts)"),
    ("fingertips_quarterly_dsr.csv", "{id: '90000', min_denominator: 5}", "min_denominator", "90000",
     "the export gives no Denominator for it"),
    ("fingertips_breakdowns.csv", "{id: '93088', benefit_weight: 2}", "benefit_weight", "93088 (Male, 18-64 yrs)",
     "neither a high nor a low value is better (set 'polarity' too)"),
])
def test_an_override_the_indicator_would_not_use_is_refused(tmp_path, fixture, entry, key, indicator, reason):
    """Every overridable key against every kind of indicator it makes no sense for: an error naming
    the entry, the indicator, the key and why, never a setting silently without effect."""
    overrides = write_overrides(tmp_path, f"indicators:\n  - {entry}\n")
    with pytest.raises(CatalogueError) as caught:
        read_fingertips(FIXTURES / fixture, overrides)
    assert str(caught.value).startswith(f"{overrides}, indicator 1: {key!r} cannot be set for indicator {indicator!r}: ")
    assert reason in str(caught.value)


def test_settings_are_judged_against_the_indicator_as_finally_set(tmp_path):
    """A benefit weight given before the polarity that makes a gain sizable is used; a modelled
    percentage's multiplier still scales it for the inequality indices, so it may be set."""
    overrides = write_overrides(tmp_path, """
indicators:
  - {id: "93088", benefit_weight: 2}
  - {id: "93088", polarity: high_is_good}
""")
    export = read_fingertips(FIXTURES / "fingertips_breakdowns.csv", overrides)
    assert {i.benefit_weight for i in export.catalogue} == {2.0}
    modelled = read_fingertips(FIXTURES / "fingertips_modelled.csv",
                               write_overrides(tmp_path, "indicators:\n  - {id: '92443', multiplier: 100}\n"))
    assert modelled.catalogue["92443 (Persons, All ages)"].unit == "%"


@pytest.mark.parametrize("text, message", [
    ("indicators:\n  - {id: '99999', polarity: low_is_good}\n",
     r"indicator 1: id '99999' is not an indicator of the Fingertips export \(its indicators: 93000 \(Persons"),
    ("indicators:\n  - {id: '93000', polarty: low_is_good}\n", r"'polarty' cannot be set .* \(did you mean 'polarity'\?\)"),
    ("indicators:\n  - {id: '93000', polarity: up}\n", "polarity 'up' is not one of"),
    ("indicators:\n  - {id: '93000', multiplier: -5}\n", "multiplier must be positive"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 4)}]\n"
                                                     for i in range(20)) + "indicators:\n  - {id: '93000'}\n",
     r"line \d+: YAML aliases expand the catalogue to more than 200,000 values"),
    ("indicators: []\n", "expected a mapping with an 'indicators' list"),
])
def test_bad_overrides_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(CatalogueError, match=message):
        read_fingertips(FIXTURES / "fingertips_stacked_regions.csv", write_overrides(tmp_path, text))


@pytest.mark.parametrize("text, message", [
    ("indicators:\n  - {id: '93088', sex: Persons, title: t}\n",
     r"indicator 1: indicator '93088' has no breakdown with sex 'Persons' \(its breakdowns: Female, 18-64 yrs; "
     r"Female, 65\+ yrs; Male, 18-64 yrs; Male, 65\+ yrs\)"),
    ("indicators:\n  - {id: '93088 (Male, 65+ yrs)', age: 18-64 yrs, title: t}\n",
     r"indicator '93088 \(Male, 65\+ yrs\)' has no breakdown with age '18-64 yrs' \(its breakdowns: Male, 65\+ yrs\)"),
    ("indicators:\n  - {id: '93088', sex: 1, title: t}\n", r"indicator 1: 'sex' must be the sex as the export writes it"),
    ("indicators:\n  - {id: '93088', family: [a]}\n", r"'family' must be text, got \['a'\]"),
])
def test_an_override_naming_a_breakdown_the_export_does_not_hold_is_refused(tmp_path, text, message):
    with pytest.raises(CatalogueError, match=message):
        read_fingertips(FIXTURES / "fingertips_breakdowns.csv", write_overrides(tmp_path, text))


def test_indicators_selects_breakdowns_by_glob():
    export = read_fingertips(FIXTURES / "fingertips_breakdowns.csv", select=Selection.parse(["93088 (Male, *)"]))
    assert sorted(export.catalogue.indicators) == ["93088 (Male, 18-64 yrs)", "93088 (Male, 65+ yrs)"]
    assert export.read.rejections == [] and export.read.set_aside == {Selection.not_selected: 10}


def test_an_override_of_an_indicator_not_selected_says_so(tmp_path):
    overrides = write_overrides(tmp_path, "indicators:\n  - {id: '93088 (Female, 65+ yrs)', polarity: low_is_good}\n")
    with pytest.raises(CatalogueError, match=r"indicator 1: id '93088 \(Female, 65\+ yrs\)' is in the Fingertips export "
                                             r"but none of its rows is analysed \(not selected by --indicators"):
        read_fingertips(FIXTURES / "fingertips_breakdowns.csv", overrides, select=Selection.parse(["93088 (Male, *)"]))


def test_indicators_naming_nothing_is_an_error():
    with pytest.raises(DataError, match=r"--indicators: '12345' matches no indicator id in .*fingertips_breakdowns.csv"):
        read_fingertips(FIXTURES / "fingertips_breakdowns.csv", select=Selection.parse(["93088,12345"]))


CELLS = st.one_of(st.sampled_from(["", "E92000001", "E06000015", "England", "Country", "UA", "Persons", "Male",
                                   "All ages", "2021", "2020 - 22", "2022/23", "1", "0", "-1", "2.5", "100", "1e400",
                                   "inf", "nan", "Better 95%", "Worse 95%", "Similar", "Most deprived decile",
                                   "County & UA deprivation deciles in England", "Ethnic groups",
                                   "Value is modelled or synthetic estimate", "Indicator ID", "a\nb"]),
                  st.text(max_size=6))
COLUMNS = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age", "Category Type",
           "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator",
           "Value note", "Compared to England value or percentiles", "Parent Code"]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELLS, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=12))
def test_any_table_of_strings_is_accounted_for_or_refused(tmp_path, rows):
    """Property: the reader raises the project's own error, or every row is accepted, rejected or set aside,
    and no accepted count or value is non-finite."""
    path = tmp_path / "export.csv"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    try:
        export = read_fingertips(path)
    except GainsError:
        return
    read = export.read
    assert read.rows_accepted + read.rows_rejected + sum(read.set_aside.values()) == read.rows_read
    numbers = read.values[["numerator", "denominator", "value"]].to_numpy(float)
    assert not np.isinf(numbers).any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["Better 95%", " worse 95%", "Similar", "", "Country"])),
                min_size=0, max_size=40))
def test_per_distinct_is_a_map_called_once_per_distinct_value(cells):
    """The reader's speed-up keeps the law: per_distinct(s, f) is s.map(f), with `missing` for blanks."""
    from marginalgains.io.fingertips.columns import per_distinct

    series = pd.Series(cells, dtype=object, index=range(100, 100 + len(cells)))
    calls = []
    tidied = per_distinct(series, lambda text: calls.append(text) or text.strip().lower(), "")
    assert tidied.index.equals(series.index)
    assert tidied.tolist() == [("" if cell is None else cell.strip().lower()) for cell in cells]
    assert sorted(calls) == sorted({c for c in cells if c is not None})


def test_cells_trimmed_of_spaces_are_counted_per_column_as_the_file_names_them(tmp_path, sample):
    def pad(lines):  # ' E12000004 ' and ' 69.797283' in the second data row
        cells = lines[2].split(",")
        cells[4], cells[12] = f" {cells[4]} ", f" {cells[12]}"
        return lines[:2] + [",".join(cells)] + lines[3:]

    path = edited(tmp_path, SAMPLE, pad)
    padded = read_fingertips(path)
    assert padded.read.trimmed == {str(path): {"Area Code": 1, "Value": 1}}
    assert sample.read.trimmed == {}
    pd.testing.assert_frame_equal(padded.read.values, sample.read.values)
