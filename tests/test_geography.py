"""Area types from an area_type column or the codes' forms; one type compared, the others comparators."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.cli import app
from marginalgains.errors import DataError
from marginalgains.geography import area_types, infer_area_types, split_by_area_type

runner = CliRunner()


@pytest.mark.parametrize(("code", "kind"), [
    ("E92000001", "Country"), ("E12000007", "Region"), ("E54000027", "Integrated care board"),
    ("E38000006", "Sub-ICB location"), ("E06000001", "Local authority"), ("E07000008", "Local authority"),
    ("E08000025", "Local authority"), ("E09000001", "Local authority"), ("E10000002", "Local authority"),
    ("A81001", "GP practice"), ("Y02345", "GP practice"), ("RXH", "NHS trust"), ("RXH01", "NHS trust site"),
    ("00L", "Sub-ICB location (ODS)"), ("QHM", "Integrated care board (ODS)"), ("NLO12X", "Other"),
])
def test_codes_tell_their_type(code, kind):
    assert infer_area_types(pd.Series([code])).iloc[0] == kind


def mixed():
    """England, its nine regions and 30 local authorities, as one tidy file would hold them."""
    codes = ["E92000001"] + [f"E1200000{r}" for r in range(1, 10)] + [f"E060000{a:02d}" for a in range(1, 31)]
    return pd.DataFrame({"indicator_id": "screen", "area_code": codes, "period": "2023/24",
                         "numerator": [3000 + 7 * i for i in range(40)], "denominator": [5000 + 3 * i for i in range(40)]})


def test_the_most_numerous_type_is_compared_and_england_is_never_ranked_with_its_regions():
    chosen, compared, others = split_by_area_type(mixed(), None, "values.csv")
    assert chosen == "Local authority" and compared.sum() == 30
    assert others == {"Region": 9, "Country": 1}


def test_an_area_type_column_wins_and_an_unknown_type_is_refused_naming_the_flag():
    values = mixed().assign(area_type=["England"] + ["Region"] * 9 + ["UTLA"] * 30)
    assert area_types(values).iloc[-1] == "UTLA"
    assert split_by_area_type(values, "region", "values.csv")[0] == "Region"
    with pytest.raises(DataError, match=r"--area-type 'ICB': no rows of that area type in values.csv; found UTLA \(30\)"):
        split_by_area_type(values, "ICB", "values.csv")


def test_codes_of_no_known_form_stay_with_the_areas_compared():
    values = pd.DataFrame({"area_code": ["RXH", "RYR", "NLO12", "E92000001"]})
    chosen, compared, others = split_by_area_type(values, None, "values.csv")
    assert chosen == "NHS trust" and compared.tolist() == [True, True, True, False] and others == {"Country": 1}


def write(tmp_path, frame):
    values, catalogue = tmp_path / "values.csv", tmp_path / "catalogue.yaml"
    frame.to_csv(values, index=False)
    catalogue.write_text("indicators:\n  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion, "
                         "multiplier: 100, unit: '%', source: Test, licence: OGL}\n")
    return values, catalogue


def test_atlas_compares_local_authorities_and_keeps_england_and_regions_as_comparators(tmp_path):
    values, catalogue = write(tmp_path, mixed())
    out = tmp_path / "out"
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "screen 2023/24: 30 areas" in result.output
    provenance = json.loads((out / "atlas.json").read_text())
    assert provenance["area_type"] == "Local authority"
    assert provenance["accepted_rows_not_compared_by_area_type"] == {"Region": 9, "Country": 1}
    assert (provenance["rows_read"], provenance["rows_accepted"]) == (40, 40)  # read and counted, not dropped


def test_an_unknown_area_type_is_exit_code_2(tmp_path):
    values, catalogue = write(tmp_path, mixed())
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue),
                                 "--area-type", "Ward", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--area-type 'Ward': no rows of that area type" in result.output
    assert not (tmp_path / "out").exists()
