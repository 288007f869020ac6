"""`gains atlas --disclosure`: every file carries only protected figures; without it nothing changes."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.cli import app
from marginalgains.disclosure import Dimension, Structure, audit
from marginalgains.report.html import read_page_data

runner = CliRunner()
CATALOGUE = ("indicators:\n"
             "  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion, multiplier: 100, "
             "unit: '%', source: Test, licence: OGL}\n"
             "  - {id: review, title: Reviewed, polarity: high_is_good, measure: proportion, multiplier: 100, "
             "unit: '%', source: Test, licence: OGL}\n")


@pytest.fixture(scope="module")
def practices(tmp_path_factory):
    """800 practices x 2 indicators, many registers small (a practice-scale fixture), and one bad row."""
    folder = tmp_path_factory.mktemp("practices")
    rng = np.random.default_rng(12)
    n = 800
    rows = []
    for indicator in ("screen", "review"):
        denominator = rng.poisson(rng.gamma(1.5, 25, n)) + 1
        numerator = rng.binomial(denominator, 0.7)
        rows += [f"{indicator},P{i:04d},2023/24,{numerator[i]},{denominator[i]}" for i in range(n)]
    rows.append("screen,P9999,2023/24,-1,10")
    (folder / "values.csv").write_text("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n")
    (folder / "catalogue.yaml").write_text(CATALOGUE)
    runs = {}
    for name, extra in {"plain": [], "protected": ["--disclosure", "nhs-hes-2018"]}.items():
        out = folder / name
        result = runner.invoke(app, ["atlas", "--values", str(folder / "values.csv"), "--catalogue",
                                     str(folder / "catalogue.yaml"), "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        runs[name] = out
    return runs


def test_no_published_count_is_one_to_seven_and_hidden_counts_take_their_values(practices):
    areas = pd.read_csv(practices["protected"] / "areas.csv")
    for column in ("numerator", "denominator"):
        shown = areas[column].dropna()
        assert not shown.between(1, 7).any()
        assert (shown % 5 == 0).all()              # every sub-national count rounded to the nearest 5
    hidden = areas["numerator"].isna() | areas["denominator"].isna()
    assert hidden.sum() > 50
    assert areas.loc[hidden, ["value", "lower95", "upper95", "funnel_band"]].isna().all().all()
    plain = pd.read_csv(practices["plain"] / "areas.csv")
    truth = plain.set_index(["indicator_id", "area_code"])
    small = truth["numerator"].between(1, 7) | (truth["denominator"] - truth["numerator"]).between(1, 7)
    protected = areas.set_index(["indicator_id", "area_code"])
    assert protected.loc[small[small].index, "value"].isna().all()


def test_without_the_flag_nothing_changes(practices):
    plain = pd.read_csv(practices["plain"] / "areas.csv")
    assert plain["numerator"].between(1, 7).any()
    assert "disclosure" not in json.loads((practices["plain"] / "atlas.json").read_text())


def test_page_json_and_summary_agree_with_the_areas(practices):
    out = practices["protected"]
    provenance = json.loads((out / "atlas.json").read_text())
    cells = provenance["disclosure"]["cells"]
    assert provenance["disclosure"]["rule"] == "nhs-hes-2018" and cells["primary"] > 0 and cells["secondary"] > 0
    assert provenance["rows_read"] == provenance["rows_accepted"] + provenance["rows_rejected"] == 1601
    assert provenance["rows_rejected"] == 1
    sentence = provenance["methods"]["disclosure"]
    assert f"{cells['primary']:,} cells suppressed as small counts" in sentence
    assert sentence in (out / "index.html").read_text(encoding="utf-8")
    areas = pd.read_csv(out / "areas.csv")
    summary = pd.read_csv(out / "summary.csv").set_index("indicator_id")
    published = areas.dropna(subset=["value"]).groupby("indicator_id")["value"]
    assert np.allclose(summary["min"], published.min().reindex(summary.index))
    assert np.allclose(summary["max"], published.max().reindex(summary.index))


@pytest.mark.parametrize(("rule", "message"), [
    ("nhs-2020", "--disclosure: unknown disclosure rule 'nhs-2020'"),
    ("threshold: -1", "field 'threshold' must be at least 0, got -1"),
    ("threshold: 5\nrounding: 0", "field 'rounding' must be at least 1, got 0"),
])
def test_bad_rules_exit_2_with_the_reason(tmp_path, rule, message):
    if ":" in rule:
        path = tmp_path / "rule.yaml"
        path.write_text(f"name: local\n{rule}\n")
        rule = str(path)
    result = runner.invoke(app, ["atlas", "--out", str(tmp_path / "out"), "--disclosure", rule])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


MONTHS = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    """60 practices x 12 months of one proportion (a few practices tiny, so their years are hidden too),
    the atlas written under nhs-hes-2018, and the true counts."""
    folder = tmp_path_factory.mktemp("monthly")
    rng = np.random.default_rng(2023)
    sizes = np.r_[rng.integers(1, 3, 6), rng.integers(8, 60, 54)]
    truth = pd.DataFrame([(f"P{i:03d}", month) for i in range(len(sizes)) for month in MONTHS],
                         columns=["area_code", "period"])
    truth["denominator"] = rng.poisson(np.repeat(sizes, len(MONTHS))) + 1
    truth["numerator"] = rng.binomial(truth["denominator"], 0.3)
    truth.insert(0, "indicator_id", "screen")
    truth.to_csv(folder / "values.csv", index=False)
    (folder / "catalogue.yaml").write_text(CATALOGUE)
    out = folder / "out"
    result = runner.invoke(app, ["atlas", "--values", str(folder / "values.csv"), "--catalogue",
                                 str(folder / "catalogue.yaml"), "--out", str(out), "--disclosure", "nhs-hes-2018"])
    assert result.exit_code == 0, result.output
    return out, truth.assign(remainder=truth["denominator"] - truth["numerator"])


def _shown_points(out) -> pd.DataFrame:
    """The monthly points the page's data holds: area, period, value, mean."""
    page = (out / "index.html").read_text(encoding="utf-8")
    data = read_page_data(page)
    return _xmr_points(data, "screen")


def _xmr_points(data: dict, indicator_id: str, area: str | None = None) -> pd.DataFrame:
    xmr = data["xmr"][indicator_id]
    points = pd.DataFrame(xmr["points"])
    points["area_code"] = None
    for code, (start, end, *_) in xmr["areas"].items():
        points.loc[start:end - 1, "area_code"] = code
    return points if area is None else points[points["area_code"] == area]


def _published_cells(out, truth, shown: pd.DataFrame) -> pd.DataFrame:
    """Everything an attacker has, as cells: each year's counts as areas.csv publishes them (true counts where
    shown), England's (exempt), and every part of each month the page shows (its value taken as its counts)."""
    areas = pd.read_csv(out / "areas.csv").set_index("area_code")
    years = truth.groupby("area_code")[["numerator", "remainder", "denominator"]].sum()
    visible = areas["numerator"].notna() & areas["denominator"].notna()
    year = years.where(pd.DataFrame({"numerator": areas["numerator"].notna(), "remainder": visible,
                                     "denominator": areas["denominator"].notna()}).reindex(years.index))
    year.loc["ENG"] = years.sum()
    is_shown = pd.MultiIndex.from_frame(truth[["area_code", "period"]]).isin(
        pd.MultiIndex.from_frame(shown[["area_code", "period"]]))
    month = truth.set_index(["area_code", "period"])[["numerator", "remainder", "denominator"]].where(
        pd.Series(is_shown, index=pd.MultiIndex.from_frame(truth[["area_code", "period"]])), axis=0)
    cells = pd.concat([year.assign(period="2023/24").reset_index(names="area_code"), month.reset_index()])
    return cells.melt(id_vars=["area_code", "period"], var_name="part", value_name="count").assign(indicator_id="screen")


MONTHLY_STRUCTURE = Structure((Dimension("indicator_id"), Dimension("period", dict.fromkeys(MONTHS, "2023/24")),
                               Dimension("part", {"numerator": "denominator", "remainder": "denominator"}),
                               Dimension("area_code", {f"P{i:03d}": "ENG" for i in range(60)})))


def _narrow_small_cells(cells: pd.DataFrame, truth_cells: pd.DataFrame) -> pd.DataFrame:
    """Hidden cells whose true count is 1 to 7 and whose interval, from both tables, is narrower than 7."""
    intervals = audit(cells, MONTHLY_STRUCTURE)
    true = truth_cells.set_index(["area_code", "period", "part"])["count"]
    intervals["true"] = true.reindex(pd.MultiIndex.from_frame(intervals[["area_code", "period", "part"]])).to_numpy()
    return intervals[intervals["true"].between(1, 7) & (intervals["width"] < 7)]


def test_no_shown_month_is_a_small_count_or_in_a_hidden_year(monthly):
    out, truth = monthly
    shown = _shown_points(out)
    months = truth.merge(shown[["area_code", "period"]], on=["area_code", "period"])
    assert 200 < len(months) < len(truth)
    assert not months[["numerator", "remainder", "denominator"]].stack().between(1, 7).any()
    areas = pd.read_csv(out / "areas.csv").set_index("area_code")
    hidden_years = areas.index[areas["numerator"].isna() | areas["denominator"].isna()]
    assert len(hidden_years) and not months["area_code"].isin(hidden_years).any()
    record = json.loads((out / "atlas.json").read_text())["disclosure"]["subperiods"]
    assert record["shown"] + record["withheld"] == len(truth) == 720
    assert record["primary"] > 0 and record["secondary"] > 0


def test_no_hidden_small_count_can_be_narrowed_across_the_years_and_their_months(monthly):
    out, truth = monthly
    shown = _shown_points(out)
    everything = _published_cells(out, truth, truth[["area_code", "period"]])
    published = _published_cells(out, truth, shown)
    assert published["count"].isna().sum() > 100
    assert _narrow_small_cells(published, everything).empty
    # the attack the protection stops: the months shown but the small ones, and a year minus its other months
    small = truth[truth[["numerator", "remainder", "denominator"]].isin(range(1, 8)).any(axis=1)]
    naive = _published_cells(out, truth, truth.drop(index=small.index))
    recovered = _narrow_small_cells(naive, everything)
    assert len(recovered) >= 5 and (recovered["lower"] == recovered["true"]).all()
    assert ((recovered["width"] == 0) & (recovered["upper"] == recovered["true"])).any()   # worked out exactly


def test_a_series_that_lost_months_is_charted_from_its_published_months(monthly):
    out, truth = monthly
    shown = _shown_points(out)
    per_area = shown.groupby("area_code")
    partial = per_area.size()[lambda n: n < len(MONTHS)].index
    assert len(partial) > 5
    for code in partial:
        points = shown[shown["area_code"] == code]
        assert points["mean"].iloc[0] == pytest.approx(points["value"].mean(), abs=1e-3)
        assert points["mean"].nunique() == 1


def test_a_plan_whose_series_has_a_hidden_month_shows_no_figures(tmp_path):
    from marginalgains.plans import Plan, dump_plans

    months = pd.period_range("2022-04", periods=18, freq="M").strftime("%Y-%m")
    series = {"A": [59, 61] * 6 + [64, 66, 67, 68, 69, 70], "B": [50, 50, 5] + [50] * 15}   # B: 5 screened in June
    pd.DataFrame([("up", area, month, n, 100) for area, numerators in series.items()
                  for month, n in zip(months, numerators)],
                 columns=["indicator_id", "area_code", "period", "numerator", "denominator"]).to_csv(
        tmp_path / "values.csv", index=False)
    (tmp_path / "catalogue.yaml").write_text("indicators:\n  - {id: up, title: Screened, polarity: high_is_good, "
                                             "measure: proportion, multiplier: 100, unit: '%'}\n")
    plans = [Plan.from_dict({"id": f"screen-{area.lower()}", "title": f"Screen more in {area}", "indicator_id": "up",
                             "areas": area, "owner": {"organisation": "ORG"}, "baseline": {"period": "2022/23"},
                             "target": "+12pp", "by": "2024-03"}) for area in series]
    (tmp_path / "plans.yaml").write_text(dump_plans(plans))
    result = runner.invoke(app, ["atlas", "--values", str(tmp_path / "values.csv"), "--catalogue",
                                 str(tmp_path / "catalogue.yaml"), "--plans", str(tmp_path / "plans.yaml"),
                                 "--out", str(tmp_path / "out"), "--disclosure", "nhs-hes-2018", "--quiet"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    data = read_page_data(page)
    (b,) = data["plans"]["B"]
    assert b["status"] == b["assurance"] == "withheld" and b["gap"] is None
    (a,) = data["plans"]["A"]   # A's months are all published: its gap as without the rule (tests/cli: -4 points)
    assert a["status"] != "withheld" and a["gap"] == pytest.approx(-4.0)
    points = _xmr_points(data, "up", "B")
    assert "2022-06" not in points["period"].tolist() and len(points) >= 12


def test_bundle_single_fixes_drop_small_counts_and_withheld_areas_and_round_the_rest():
    from marginalgains.disclosure import load_rule
    from marginalgains.disclosure.atlas import protected_fixes
    from marginalgains.improve.bundles import single_fix_gains

    links = pd.DataFrame({"indicator_id": "care", "period": "2023/24", "area_code": ["A", "A", "B", "C"],
                          "component": ["scan", "drug", "scan", "scan"], "n_only_missing": [3, 12, 20, 40],
                          "numerator": [50, 50, 60, 70], "denominator": [100, 100, 100, 200]})
    fixes = protected_fixes(single_fix_gains(links), {("care", "C", "2023/24")}, load_rule("nhs-hes-2018"))
    # A's 3 people missing only the scan: (50 + 3) / 100 would give them back; C's bundle value is withheld
    assert fixes[["area_code", "process", "extra_people"]].values.tolist() == [["A", "drug", 10.0], ["B", "scan", 20.0]]
    assert fixes["rate_if_fixed"].tolist() == pytest.approx([60.0, 80.0])   # (50 + 10) / 100, (60 + 20) / 100


def _regional_atlas(tmp_path, with_parents: bool = True):
    """Six areas in two regions (A's 3 screened is small under under-10) and the input's England and regional
    rows, which also count areas outside the data (England 1,000 more screened of 2,000, each region 100 of 200)."""
    from marginalgains.atlas import build_atlas
    from marginalgains.io.catalogue import read_catalogue
    from marginalgains.io.values import check_values
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE)
    catalogue = read_catalogue(tmp_path / "catalogue.yaml")
    counts = {"A": (3, 60, "R1"), "B": (40, 80, "R1"), "C": (55, 90, "R1"),
              "D": (20, 50, "R2"), "E": (70, 100, "R2"), "F": (66, 120, "R2")}
    values = pd.DataFrame([("screen", a, "2023/24", n, d) for a, (n, d, _) in counts.items()],
                          columns=["indicator_id", "area_code", "period", "numerator", "denominator"])
    read = check_values(values, catalogue, "values.csv").values
    if with_parents:
        read = read.assign(parent_code=read["area_code"].map({a: r for a, (_, _, r) in counts.items()}))
    region = {r: (sum(n for n, _, g in counts.values() if g == r) + 100,
                  sum(d for _, d, g in counts.values() if g == r) + 200) for r in ("R1", "R2")}
    england = (sum(n for n, _ in region.values()) + 1000, sum(d for _, d in region.values()) + 2000)
    comparators = pd.DataFrame([("screen", code, "2023/24", n, d)
                                for code, (n, d) in [("ENG", england), ("R1", region["R1"]), ("R2", region["R2"])]],
                               columns=["indicator_id", "area_code", "period", "numerator", "denominator"])
    comparators = check_values(comparators, catalogue, "values.csv").values.assign(
        area_type=["England", "Region", "Region"], parent_code=[None, "ENG", "ENG"],
        value=lambda c: 100 * c["numerator"] / c["denominator"])
    comparators["lower95"], comparators["upper95"] = comparators["value"] - 1, comparators["value"] + 1
    return build_atlas(read, catalogue, {}, comparators=comparators), counts, region, england


def _attack_with_regions(areas: pd.DataFrame, comparators: pd.DataFrame, counts, region, england) -> pd.DataFrame:
    """The attacker's LP: published areas, and each published comparator less what it counts outside the data
    (assumed known), as the total of its areas, numerator + remainder = denominator throughout."""
    outside = {"R1": (100, 200), "R2": (100, 200), "ENG": (1300, 2400)}
    rows = [(r.area_code, r.numerator, r.denominator) for r in areas.itertuples()]
    rows += [(c.area_code, c.numerator - outside[c.area_code][0], c.denominator - outside[c.area_code][1])
             for c in comparators.itertuples()]
    cells = pd.DataFrame(rows, columns=["area", "numerator", "denominator"])
    cells["remainder"] = cells["denominator"] - cells["numerator"]
    cells = cells.melt(id_vars="area", var_name="part", value_name="count")
    parents = {a: g for a, (_, _, g) in counts.items()} | {"R1": "ENG", "R2": "ENG"}
    structure = Structure((Dimension("area", parents),
                           Dimension("part", {"numerator": "denominator", "remainder": "denominator"})), "area")
    return audit(cells, structure).set_index(["area", "part"])


def test_regional_rows_of_the_input_are_protected_as_totals_of_their_areas(tmp_path):
    from marginalgains.disclosure import load_rule, protect_values
    from marginalgains.disclosure.atlas import protect_atlas
    atlas, counts, region, england = _regional_atlas(tmp_path)
    rule = load_rule("under-10")
    # as before: the areas protected as one national column, the regions published as read. A's 3 is R1's
    # 198 screened, less the 100 outside the data, less B's 40 and C's 55 (its complement is in R2)
    alone = protect_values(atlas.areas, rule).table
    leak = _attack_with_regions(alone, atlas.comparators, counts, region, england)
    assert leak.loc[("A", "numerator"), ["lower", "upper"]].tolist() == [3.0, 3.0]
    protected = protect_atlas(atlas, rule)
    areas, comparators = protected.areas, protected.comparators
    assert np.isnan(areas.set_index("area_code").loc["A", "numerator"])
    attack = _attack_with_regions(areas, comparators.dropna(subset=["numerator", "denominator"]), counts, region,
                                  england)
    assert attack.loc[("A", "numerator"), "width"] >= rule.protection_interval
    shown = comparators.dropna(subset=["numerator"])
    assert set(shown["area_code"]) >= {"ENG"}   # England: the total of all six, with complements in it
    assert comparators["value"].isna().tolist() == comparators["numerator"].isna().tolist()


def test_regional_rows_whose_areas_are_not_known_are_withheld_where_an_area_is(tmp_path):
    from marginalgains.disclosure import load_rule
    from marginalgains.disclosure.atlas import protect_atlas
    atlas, *_ = _regional_atlas(tmp_path, with_parents=False)
    comparators = protect_atlas(atlas, load_rule("under-10")).comparators.set_index("area_code")
    # no parent codes: R1 and R2 could hold any areas, and A's count is hidden, so both are withheld;
    # England is every area's total, protected with them
    assert comparators.loc[["R1", "R2"], ["numerator", "denominator", "value", "lower95"]].isna().all().all()
    assert comparators.loc["ENG", ["numerator", "denominator"]].tolist() == [1454.0, 2900.0]


FINGERTIPS = Path(__file__).parents[1] / "io" / "fixtures" / "fingertips_sexes.csv"
SEX_IDS = {s: f"93014 ({s}, 19+ yrs)" for s in ("Persons", "Male", "Female")}


def _small_male_export(tmp_path) -> Path:
    """fingertips_sexes.csv (Persons, Male and Female of five areas and England) with Hartlepool's Male count 3
    of 500 and its Female 297 (Persons still 300 of 1,000), England's counts moved to match."""
    export = pd.read_csv(FINGERTIPS, dtype=str, keep_default_na=False)
    for sex, area, count in [("Male", "E06000001", 3), ("Female", "E06000001", 297), ("Male", "E92000001", 1083),
                             ("Female", "E92000001", 1487)]:
        row = (export["Sex"] == sex) & (export["Area Code"] == area)
        export.loc[row, "Count"] = str(count)
        export.loc[row, "Value"] = str(100 * count / float(export.loc[row, "Denominator"].iloc[0]))
    path = tmp_path / "sexes.csv"
    export.to_csv(path, index=False)
    return path


def _sex_attack(areas: pd.DataFrame, comparators: pd.DataFrame) -> pd.DataFrame:
    """The attacker's LP over the published areas and England of the three breakdowns as one table: each sex's
    parts (Male, Female, and the rest, never published) add up to Persons, areas to England, and numerator +
    remainder = denominator."""
    rows = pd.concat([areas, comparators], ignore_index=True)
    sex = {i: s for s, i in SEX_IDS.items()}
    cells = rows.assign(sex=rows["indicator_id"].map(sex).replace({"Persons": "P", "Male": "M", "Female": "F"}))
    cells = cells.assign(remainder=cells["denominator"] - cells["numerator"])
    cells = cells.melt(id_vars=["area_code", "sex"], value_vars=["numerator", "remainder", "denominator"],
                       var_name="part", value_name="count")
    codes = sorted(set(areas["area_code"]))
    rest = pd.MultiIndex.from_product([[*codes, "E92000001"], ["rest"], ["numerator", "remainder", "denominator"]],
                                      names=["area_code", "sex", "part"]).to_frame(index=False).assign(count=np.nan)
    structure = Structure((Dimension("area_code", dict.fromkeys(codes, "E92000001")),
                           Dimension.breakdown("sex", "P", ["M", "F", "rest"]),
                           Dimension("part", {"numerator": "denominator", "remainder": "denominator"})), "area_code")
    return audit(pd.concat([cells, rest], ignore_index=True), structure).set_index(["area_code", "sex", "part"])


def test_a_fingertips_export_of_sexes_is_protected_as_one_table_and_persons_less_female_gives_nothing(
        tmp_path, monkeypatch):
    from marginalgains.disclosure import atlas as disclosure_atlas
    from marginalgains.atlas import build_atlas
    from marginalgains.disclosure import load_rule
    from marginalgains.sources import from_fingertips
    inputs = from_fingertips(_small_male_export(tmp_path))
    atlas = build_atlas(inputs.values, inputs.catalogue, areas=inputs.areas, comparators=inputs.comparators)
    rule = load_rule("under-10")
    with monkeypatch.context() as patch:   # each breakdown its own table, as before
        patch.setattr(disclosure_atlas, "catalogue_breakdowns", lambda catalogue: {})
        apart = disclosure_atlas.protect_atlas(atlas, rule)
    hartlepool = apart.areas.set_index(["indicator_id", "area_code"])["numerator"]
    assert np.isnan(hartlepool[SEX_IDS["Male"], "E06000001"])
    assert hartlepool[SEX_IDS["Persons"], "E06000001"] - hartlepool[SEX_IDS["Female"], "E06000001"] == 3
    leak = _sex_attack(apart.areas, apart.comparators)
    assert leak.loc[("E06000001", "M", "numerator"), ["lower", "upper"]].tolist() == [3.0, 3.0]
    linked = disclosure_atlas.protect_atlas(atlas, rule)
    shown = linked.areas.set_index(["indicator_id", "area_code"])["numerator"]
    assert np.isnan(shown[SEX_IDS["Male"], "E06000001"])
    assert np.isnan(shown[SEX_IDS["Persons"], "E06000001"]) or np.isnan(shown[SEX_IDS["Female"], "E06000001"])
    attack = _sex_attack(linked.areas, linked.comparators.dropna(subset=["numerator", "denominator"]))
    assert attack.loc[("E06000001", "M", "numerator"), "width"] >= rule.protection_interval
    # the files written by `gains atlas --disclosure` carry exactly these figures, and the page says so
    out = tmp_path / "out"
    result = runner.invoke(app, ["atlas", "--fingertips", str(tmp_path / "sexes.csv"), "--disclosure", "under-10",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out / "areas.csv").set_index(["indicator_id", "area_code"])
    expected = linked.areas.set_index(["indicator_id", "area_code"])
    for column in ("numerator", "denominator", "value"):
        pd.testing.assert_series_equal(written[column].sort_index(), expected[column].sort_index(), check_dtype=False)
    page = json.loads((out / "atlas.json").read_text())
    assert page["methods"]["disclosure"] == linked.provenance["methods"]["disclosure"]
    assert page["disclosure"]["cells"]["primary"] == 1 and page["disclosure"]["cells"]["secondary"] >= 3


def test_breakdowns_that_do_not_add_up_exit_2_naming_indicator_area_period_and_breakdowns(tmp_path):
    export = pd.read_csv(_small_male_export(tmp_path), dtype=str, keep_default_na=False)
    persons = (export["Sex"] == "Persons") & (export["Area Code"] == "E06000002")
    export.loc[persons, ["Count", "Value"]] = ["400", "33.333333"]   # 200 men and 220 women: 420
    export.to_csv(tmp_path / "short.csv", index=False)
    result = runner.invoke(app, ["atlas", "--fingertips", str(tmp_path / "short.csv"), "--disclosure", "under-10",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert ("indicator '93014 (Persons, 19+ yrs)', area E06000002, period 2022/23: the breakdowns do not add up: "
            "93014 (Persons, 19+ yrs) 400 is less than its parts 93014 (Male, 19+ yrs) 200, 93014 (Female, 19+ yrs) 220 "
            "(sum 420)") in message
