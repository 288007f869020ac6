"""`gains atlas --fingertips`: what atlas.json and the terminal say about an export, and bad input."""

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.cli import app
from marginalgains.report.html import read_page_data

FIXTURES = Path(__file__).parents[1] / "io" / "fixtures"
runner = CliRunner()


def atlas(tmp_path, *arguments):
    out = tmp_path / "atlas"
    result = runner.invoke(app, ["atlas", *map(str, arguments), "--out", str(out), "--json"])
    provenance = json.loads((out / "atlas.json").read_text()) if result.exit_code == 0 else None
    return result, provenance, out


def test_stacked_regions_record_comparators_duplicates_and_inference(tmp_path):
    result, provenance, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_stacked_regions.csv")
    assert result.exit_code == 0, result.output
    falls = "93000 (Persons, All ages)"
    assert provenance["fingertips"]["collapsed_duplicate_rows"] == 1
    assert provenance["rows_set_aside"] == {"repeated header rows (files stacked one after another)": 1,
                                            "byte-identical duplicate rows (kept once)": 1}
    comparators = {(c["area_code"], c["value"]) for c in provenance["comparators"][falls]}
    assert comparators == {("E92000001", 200.0), ("E12000004", 190.0), ("E12000005", 211.818182)}  # as published
    inferred = provenance["indicators"][falls]
    assert {k: inferred[k]["value"] for k in ("measure", "multiplier", "unit", "polarity")} == {
        "measure": "rate", "multiplier": 10000.0, "unit": "per 10,000", "polarity": "low_is_good"}
    assert json.loads(result.output)["indicators"][falls]["measure"]["from"] == (
        "Value = Count / Denominator x 10,000 in 10 of 10 rows with counts: a crude rate")


def test_modelled_estimates_get_no_funnel_and_no_sized_gain_and_say_why(tmp_path):
    result, provenance, out = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_modelled.csv")
    assert result.exit_code == 0, result.output
    smoking, diabetes = "92443 (Persons, All ages)", "241 (Persons, 16+ yrs)"
    reason = provenance["modelled_estimates"][smoking]
    assert reason.startswith("modelled estimates (the name says 'model-based'; the Value note of 5 rows says")
    assert provenance["opportunity_not_sized"][smoking] == reason
    summary = pd.read_csv(out / "summary.csv").set_index("indicator_id")
    assert summary.loc[smoking, ["n_high_998", "n_low_998", "pooled"]].isna().all()
    assert summary.loc[smoking, "max"] == pytest.approx(42000.4 / 260500.9 * 100)  # the published value
    assert summary.loc[diabetes, ["fold", "fold_trimmed5"]].isna().all()
    headline = next(h for h in json.loads(result.output)["headlines"] if h.startswith(diabetes))
    assert headline == f"{diabetes} 2023: 4 areas, counts from 2,400 to 25,400 (a count, not a rate: no fold range)"


def test_the_inequality_view_is_in_atlas_json(tmp_path):
    result, provenance, out = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_deciles.csv")
    assert result.exit_code == 0, result.output
    (view,) = provenance["fingertips"]["inequality"]
    assert view["category_type"] == "County & UA deprivation deciles in England (IMD2019, 4/21 geog.)"
    assert len(view["quantiles"]) == 10 and view["sii"] > 0 and view["note"] == ""
    # The page is drawn from its JSON by atlas.js, so the heading is not in the HTML source: the view
    # of the indicator x period carries the entry, and tests/report/test_report_browser.py
    # (test_the_inequality_card_is_drawn) checks the card drawn from it.
    page = (out / "index.html").read_text()
    data = read_page_data(page)
    assert data["views"][f"{view['indicator_id']}|{view['period']}"]["inequality"] == [view]


def test_a_catalogue_overrides_what_was_inferred(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("indicators:\n  - {id: '93000', polarity: high_is_good, title: Falls}\n")
    result, provenance, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_stacked_regions.csv",
                                  "--catalogue", overrides)
    assert result.exit_code == 0, result.output
    assert provenance["indicators"]["93000 (Persons, All ages)"]["polarity"] == {
        "value": "high_is_good", "from": f"catalogue {overrides}"}


def test_an_override_naming_an_unknown_indicator_is_exit_code_2(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("indicators:\n  - {id: '12345', polarity: high_is_good}\n")
    result, _, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_stacked_regions.csv", "--catalogue", overrides)
    assert result.exit_code == 2
    assert f"{overrides}, indicator 1: id '12345' is not an indicator of the Fingertips export" in result.output


def test_an_override_the_indicator_would_not_use_is_exit_code_2(tmp_path):
    """A multiplier on a published DSR would change nothing: refused, naming the file, entry, indicator and key."""
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("indicators:\n  - {id: '93721', polarity: low_is_good}\n  - {id: '93721', multiplier: 1000}\n")
    result, _, out = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_sample.csv", "--catalogue", overrides)
    assert result.exit_code == 2 and not (out / "atlas.json").exists()
    assert (f"{overrides}, indicator 2: 'multiplier' cannot be set for indicator '93721 (Persons, <75 yrs)': its "
            "values are published directly standardised rates") in " ".join(result.output.split())


def test_an_override_naming_a_breakdown_the_export_does_not_hold_is_exit_code_2(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("indicators:\n  - {id: '93088', sex: Persons, polarity: high_is_good}\n")
    result, _, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_breakdowns.csv", "--catalogue", overrides)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert re.search(r"indicator '93088' has no breakdown with sex 'Persons' \(its breakdowns: Female, 18-64 yrs;",
                     " ".join(result.output.split()))


def test_indicators_select_from_a_values_file_without_unknown_id_rejections(tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\n"
                      + "".join(f"{i},A{a},2023/24,{10 + a},100\n" for i in ("screen", "other", "more") for a in range(3)))
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion,"
                         " multiplier: 100, unit: '%'}\n")
    result, provenance, _ = atlas(tmp_path, "--values", values, "--catalogue", catalogue, "--indicators", "scr*")
    assert result.exit_code == 0, result.output
    assert (provenance["rows_read"], provenance["rows_accepted"], provenance["rows_rejected"]) == (9, 3, 0)
    assert provenance["rows_set_aside"] == {"rows of indicators not selected by --indicators": 6}
    assert provenance["indicators"]["screen"]["measure"] == {"value": "proportion", "from": f"catalogue {catalogue}"}


@pytest.mark.parametrize("arguments, message", [
    (["--fingertips", FIXTURES / "fingertips_sample.csv", "--backend", "spark"],
     "--backend applies only with --data, not --fingertips"),
    (["--indicators", "ae-*"], "--indicators applies only with --values or --fingertips"),
    (["--area-type", "Region"], "--area-type applies only with --values or --fingertips"),
    (["--fingertips", FIXTURES / "fingertips_breakdowns.csv", "--indicators", "4*"],
     "--indicators: '4\\*' matches no indicator id"),
])
def test_a_flag_the_combination_would_ignore_is_an_error(tmp_path, arguments, message):
    result, _, _ = atlas(tmp_path, *arguments)
    assert result.exit_code == 2
    assert re.search(message, result.output), result.output


class _Export(BaseHTTPRequestHandler):
    """Serves a recorded export at any path."""

    def do_GET(self):  # noqa: N802 (the http.server API)
        body = (FIXTURES / "fingertips_deciles.csv").read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_api_address_is_downloaded_and_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("MARGINALGAINS_CACHE", str(tmp_path / "cache"))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Export)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{httpd.server_address[1]}/api/all_data/csv/by_indicator_id?indicator_ids=91720"
        result, provenance, _ = atlas(tmp_path, "--fingertips", address)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.exit_code == 0, result.output
    download = provenance["fingertips"]["download"]
    assert (download["address"], download["from_cache"]) == (address, False) and download["downloaded_at"]
    assert provenance["inputs"] == [address]


def test_an_unreachable_api_address_is_exit_code_2_with_the_address(tmp_path, monkeypatch):
    monkeypatch.setenv("MARGINALGAINS_CACHE", str(tmp_path / "cache"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"http://127.0.0.1:{port}/api/all_data/csv/by_profile_id?profile_id=19"
    result, _, _ = atlas(tmp_path, "--fingertips", address)
    assert result.exit_code == 2
    assert f"{address}: the download failed" in result.output


def test_one_row_inconsistent_with_its_counts_is_rejected_and_the_rest_compared(tmp_path):
    """Issue 14: the majority of rows decides the measure; the odd row is rejected with its reason."""
    export = tmp_path / "export.csv"
    export.write_text((FIXTURES / "fingertips_stacked_regions.csv").read_text().replace("245.631068", "24.5631068"))
    result, provenance, out = atlas(tmp_path, "--fingertips", export)
    assert result.exit_code == 0, result.output
    assert provenance["rows_rejected"] == 1
    assert provenance["indicators"]["93000 (Persons, All ages)"]["measure"]["value"] == "rate"
    rejected = pd.read_csv(out / "rejections.csv")
    assert rejected[["row", "column"]].values.tolist() == [[3, "Value"]]
    assert rejected["reason"].iloc[0].startswith("Value 24.5631 is not Count / Denominator x 10,000 (245.631)")
    # the six remaining counties and UAs: 980/40,000 (245.0) over 140/8,900 (157.3), recomputed from counts
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["n_areas"] == 6 and summary["fold"] == pytest.approx((980 / 40000) / (140 / 8900))


def test_persons_and_both_sexes_total_only_persons_and_name_each_breakdown_once(tmp_path):
    """A hand-written export of one indicator for Persons, Male and Female (Female = Persons - Male in
    every area): the total adds Persons only, the sexes are shown beside it, and no sentence repeats
    a breakdown the title or id already names."""
    result, provenance, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_sexes.csv")
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    persons, men, women = (f"93014 ({sex}, 19+ yrs)" for sex in ("Persons", "Male", "Female"))
    persons_values = [300 / 1000, 420 / 1200, 700 / 1000, 650 / 1000, 500 / 1000]
    assert output["headlines"][0].startswith(f"{persons} 2022/23: 5 areas, "
                                             f"{max(persons_values) / min(persons_values):.1f}-fold range")
    assert provenance["indicators"][women]["polarity"]["value"] == "high_is_good"
    gains = {figures["indicator_id"]: figures["significant_gain"] for figures in output["opportunity_figures"]}
    (total,) = provenance["opportunity_totals"]
    assert (total["indicators"], total["beside"]) == ([persons], [women, men])
    assert total["total"] == round(gains[persons]) and total["total"] < gains[persons] + gains[men] + gains[women] - 1
    assert total["sentence"].endswith(f"not added, shown beside: {women} {gains[women]:,.0f}; {men} {gains[men]:,.0f}")
    assert all(sentence.count("19+ yrs") == 1 for sentence in output["opportunity"])


def test_a_modelled_estimate_says_so_in_its_headline(tmp_path):
    result, _, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_modelled.csv")
    assert result.exit_code == 0, result.output
    headline = next(h for h in json.loads(result.output)["headlines"] if h.startswith("92443"))
    assert headline.endswith("; modelled estimates, as published: no funnel, outlier count or gain in people")


def test_the_terminal_says_which_area_type_is_compared_and_what_is_not(tmp_path):
    result = runner.invoke(app, ["atlas", "--fingertips", str(FIXTURES / "fingertips_stacked_regions.csv"),
                                 "--out", str(tmp_path / "atlas")])
    assert result.exit_code == 0, result.output
    assert ("Comparing areas of type 'Counties & UAs (from Apr 2023)'; 3 accepted rows of other types are shown "
            "beside them as comparators, not compared (Regions (statistical) 2, Country 1)") in " ".join(result.output.split())
    assert "93000 (Persons, All ages) 2022/23: 7 areas" in result.output  # 10 accepted = 7 compared + 3 comparators


def test_an_indicator_that_loses_every_row_is_named_in_the_terminal_with_the_reason(tmp_path):
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("indicators:\n  - {id: '22001', measure: rate, multiplier: 1000}\n")
    result = runner.invoke(app, ["atlas", "--fingertips", str(FIXTURES / "fingertips_sample.csv"),
                                 "--catalogue", str(overrides), "--out", str(tmp_path / "atlas")])
    assert result.exit_code == 0, result.output
    assert ("Not analysed: 22001 (Female, 53-70 yrs): no rows were accepted for it (any refused are in "
            "rejections.csv)") in " ".join(result.output.split())
    assert "93721 (Persons, <75 yrs) 2020 - 22: 6 areas" in result.output
    as_json, provenance, _ = atlas(tmp_path, "--fingertips", FIXTURES / "fingertips_sample.csv", "--catalogue", overrides)
    output = json.loads(as_json.output)
    assert output["indicators_left_out"] == provenance["indicators_left_out"] == {
        "22001 (Female, 53-70 yrs)": "no rows were accepted for it (any refused are in rejections.csv)"}
    assert output["opportunity_not_sized"]["93721 (Persons, <75 yrs)"].startswith("its directly standardised rates")
    assert (output["area_type"], output["accepted_rows_not_compared_by_area_type"]) == (
        "Counties & UAs (from Apr 2023)", {"England": 1, "Region": 1})
