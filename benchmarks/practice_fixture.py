"""A practice-scale values file and catalogue, shaped like QOF prevalence (generated, not real data).

Run: .venv/bin/python benchmarks/practice_fixture.py --shape practice --out /tmp/practice
Shapes (indicators x areas x periods):
  practice     21 proportions x 6,500 practices x 1 financial year   (136,500 rows; QOF 2020/21 is 137,991)
  practice5y   21 proportions x 6,500 practices x 5 financial years  (682,500 rows)
  1m           10 indicators x 10,000 areas x 10 financial years     (1,000,000 rows)
  5m           10 indicators x 50,000 areas x 10 financial years     (5,000,000 rows)
List sizes are log-normal (median about 7,000) with a tail of tiny and special practices (a few
dozen patients, where zeros and 100% are common); each practice has its own prevalence around
the register's national one (beta-distributed: overdispersed, as real practices are).
Writes values.parquet and catalogue.yaml; the values are SYNTHETIC and the catalogue says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SHAPES = {
    "practice": (21, 6_500, 1),
    "practice5y": (21, 6_500, 5),
    "1m": (10, 10_000, 10),
    "5m": (10, 50_000, 10),
}
SEED = 2021
TINY_SHARE = 0.02  # practices with a few dozen patients (new, closing or special)


def practice_codes(n: int) -> np.ndarray:
    """ODS-style practice codes: a letter (not I, O or Z) and five digits."""
    letters = np.array(list("ABCDEFGHJKLMNPY"))
    index = np.arange(n)
    return np.char.add(letters[index // 100_000 % len(letters)], np.char.zfill((index % 100_000).astype(str), 5))


def financial_years(count: int, last: int = 2020) -> list[str]:
    return [f"{year}/{(year + 1) % 100:02d}" for year in range(last - count + 1, last + 1)]


def generate(indicators: int, areas: int, periods: int, seed: int = SEED) -> pd.DataFrame:
    """Tidy values: every indicator x area x period, vectorised (no per-row Python)."""
    rng = np.random.default_rng(seed)
    list_size = np.round(rng.lognormal(np.log(7_000), 0.6, areas))
    tiny = rng.random(areas) < TINY_SHARE
    list_size[tiny] = rng.integers(5, 80, tiny.sum())
    national = rng.uniform(0.005, 0.25, indicators)  # each register's prevalence
    concentration = 60.0
    prevalence = rng.beta(national[:, None] * concentration, (1 - national[:, None]) * concentration,
                          (indicators, areas))
    years = financial_years(periods)
    shape = (indicators, areas, periods)
    drift = 1 + 0.01 * np.arange(periods)  # a gentle national trend
    denominator = np.broadcast_to(list_size[None, :, None], shape)
    rate = np.clip(prevalence[:, :, None] * drift[None, None, :], 0, 1)
    numerator = rng.binomial(denominator.astype(np.int64), rate)
    return pd.DataFrame({
        "indicator_id": pd.Categorical(np.repeat([f"reg{i:02d}" for i in range(indicators)], areas * periods)),
        "area_code": np.tile(np.repeat(practice_codes(areas), periods), indicators),
        "period": np.tile(years, indicators * areas),
        "numerator": numerator.ravel().astype(np.int64),
        "denominator": denominator.ravel().astype(np.int64),
    })


def catalogue_yaml(indicators: int) -> str:
    lines = ["source: \"benchmarks/practice_fixture.py (generated)\"", "licence: \"none (SYNTHETIC)\"", "indicators:"]
    for i in range(indicators):
        lines.append(f"  - {{id: reg{i:02d}, title: \"Register {i:02d} prevalence\", polarity: no_judgement, "
                     "measure: proportion, multiplier: 100, unit: \"%\", synthetic: true}")
    return "\n".join(lines) + "\n"


def write(shape: str, out: Path, seed: int = SEED) -> tuple[Path, Path]:
    """Generate one shape into `out`; returns (values.parquet, catalogue.yaml)."""
    indicators, areas, periods = SHAPES[shape]
    out.mkdir(parents=True, exist_ok=True)
    values, catalogue = out / "values.parquet", out / "catalogue.yaml"
    generate(indicators, areas, periods, seed).to_parquet(values, index=False)
    catalogue.write_text(catalogue_yaml(indicators), encoding="utf-8")
    return values, catalogue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="practice")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    values, catalogue = write(args.shape, args.out, args.seed)
    print(f"wrote {values} and {catalogue}")


if __name__ == "__main__":
    main()
