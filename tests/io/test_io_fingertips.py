"""A Fingertips export, as analysts download it (a hand-written sample in fixtures/)."""

from pathlib import Path

import pytest

from marginalgains.errors import DataError
from marginalgains.io.fingertips import read_fingertips
from marginalgains.model import Measure, Polarity

SAMPLE = Path(__file__).parent / "fixtures" / "fingertips_sample.csv"


@pytest.fixture(scope="module")
def sample():
    return read_fingertips(SAMPLE)


def test_rows_read_equal_accepted_plus_rejected(sample):
    _, result = sample
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (26, 24, 2)


def test_suppressed_and_breakdown_rows_are_reported_with_their_reason(sample):
    _, result = sample
    assert [(r.row, r.column, r.reason) for r in result.rejections] == [
        (17, "Value", "no value published (Value suppressed for disclosure control)"),
        (18, "Category Type", "inequality breakdown row (County & UA deprivation deciles in England "
                              "(IMD2019, 4/21 geography)): a group, not an area; not analysed"),
    ]


def test_a_percentage_is_inferred_with_polarity_from_the_england_comparison(sample):
    catalogue, _ = sample
    screening = catalogue["22001"]
    assert screening.measure is Measure.PROPORTION and screening.multiplier == 100
    assert screening.polarity is Polarity.HIGH_IS_GOOD
    assert screening.title == "Cancer screening coverage: breast cancer"


def test_a_standardised_rate_keeps_its_published_value_and_limits(sample):
    catalogue, result = sample
    mortality = catalogue["93721"]
    assert mortality.measure is Measure.DSR and mortality.polarity is Polarity.LOW_IS_GOOD
    derby = result.values.query("indicator_id == '93721' and area_code == 'E06000015'").iloc[0]
    assert (derby["value"], derby["lower95"], derby["upper95"], derby["period"]) == (39.8, 35.1, 45.0, "2020 - 22")


def test_proportions_keep_counts_and_drop_published_values_to_recompute(sample):
    _, result = sample
    rutland = result.values.query("indicator_id == '22001' and area_code == 'E06000017' and period == '2021'").iloc[0]
    assert (rutland["numerator"], rutland["denominator"]) == (3112, 3890)
    assert rutland["area_name"] == "Rutland" and rutland["area_type"] == "Counties & UAs (from Apr 2023)"


def test_missing_fingertips_columns(write_csv):
    path = write_csv("Indicator ID,Area Code,Value\n1,E1,2\n", "export.csv")
    with pytest.raises(DataError, match=r"missing column\(s\) Indicator Name, Area Name, Area Type, Time period"):
        read_fingertips(path)


def sample_with(tmp_path, edit) -> Path:
    """The sample export with its lines (header first) changed by `edit`."""
    path = tmp_path / "export.csv"
    path.write_text("".join(edit(SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True))), encoding="utf-8")
    return path


def test_a_repeated_england_row_is_rejected_not_a_crash(tmp_path):
    catalogue, result = read_fingertips(sample_with(tmp_path, lambda lines: lines[:2] + lines[1:]))
    assert result.rows_read == 27 and result.rows_read == result.rows_accepted + result.rows_rejected
    assert [(r.row, r.column, r.reason) for r in result.rejections[:2]] == [
        (row, "Time period", "duplicate key (indicator_id, Area Type, area_code, period) in rows 1, 2") for row in (1, 2)]
    assert "22001" in catalogue


def test_a_malformed_confidence_limit_is_rejected_with_the_reason(tmp_path):
    def malformed(lines):
        return [line.replace(",39.8,35.1,45.0,", ",39.8,35.1x,45.0,") for line in lines]

    _, result = read_fingertips(sample_with(tmp_path, malformed))
    assert (21, "Lower CI 95.0 limit", "not a number: '35.1x'") in [(r.row, r.column, r.reason) for r in result.rejections]
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (26, 23, 3)
    assert "E06000015" not in set(result.values.query("indicator_id == '93721'")["area_code"])
