"""Which kind of area each code is, so that only areas of one type are compared.

An `area_type` column, where a values file has one, says it; otherwise the code does: ONS
GSS codes by their prefix (E92 country, E12 region, E54 ICB, E38 sub-ICB, E06-E10 local
authorities, ...) and NHS ODS codes by their form (practices, trusts). England and its regions
are comparators, never areas compared with the areas inside them.
"""

from __future__ import annotations

import pandas as pd

from marginalgains.errors import DataError

GSS_PREFIXES = {
    "E92": "Country", "W92": "Country", "S92": "Country", "N92": "Country", "K02": "Country",
    "E12": "Region",
    "E40": "NHS England region",
    "E54": "Integrated care board",
    "E38": "Sub-ICB location",
    "E06": "Local authority", "E07": "Local authority", "E08": "Local authority", "E09": "Local authority",
    "E10": "Local authority", "E11": "Local authority", "E13": "Local authority",
    "E05": "Ward", "E02": "MSOA", "E01": "LSOA",
}
"""ONS GSS entity codes (the first three characters of a nine-character code)."""

ODS_FORMS = [
    (r"^[A-HJ-NP-Y]\d{5}$", "GP practice"),  # a letter then five digits (Y for other prescribing settings)
    (r"^R[A-Z0-9]{2}$", "NHS trust"),  # three characters beginning R
    (r"^R[A-Z0-9]{4}$", "NHS trust site"),
    (r"^\d{2}[A-Z0-9]$", "Sub-ICB location (ODS)"),  # former CCGs, e.g. 00L, 15F
    (r"^Q[A-Z0-9]{2}$", "Integrated care board (ODS)"),
    (r"^U\d{5}$", "Primary care network"),
]
"""NHS ODS organisation codes, recognised by their form."""

COMPARATOR_TYPES = {"Country", "Region", "NHS England region"}
"""Types that contain the others: shown as comparators, never compared as areas among smaller ones."""

UNRECOGNISED = "Other"


def infer_area_types(codes: pd.Series) -> pd.Series:
    """The area type of each code from its form (GSS prefix or ODS pattern); "Other" when neither fits."""
    text = codes.astype(str).str.strip().str.upper()
    types = pd.Series(UNRECOGNISED, index=codes.index, dtype=object)
    gss = text.str.fullmatch(r"[EWSNK]\d{8}")
    types[gss] = text[gss].str[:3].map(GSS_PREFIXES).fillna("GSS " + text[gss].str[:3])
    for pattern, name in ODS_FORMS:
        types[~gss & (types == UNRECOGNISED) & text.str.fullmatch(pattern)] = name
    return types


def area_types(values: pd.DataFrame) -> pd.Series:
    """Each row's area type: its `area_type` column where given (blank cells inferred), else from its code."""
    inferred = infer_area_types(values["area_code"])
    if "area_type" not in values:
        return inferred
    given = values["area_type"].astype("string").str.strip()
    return given.where(given.notna() & (given != ""), inferred).astype(object)


def choose_area_type(types: pd.Series, wanted: str | None, where: str) -> str:
    """The type to compare: `wanted` (refused when no row has it), else the most numerous type that
    does not contain others (a country or region is only compared when nothing else is there)."""
    counts = types.value_counts()
    if wanted is not None:
        matches = [t for t in counts.index if str(t).lower() == wanted.strip().lower()]
        if not matches:
            raise DataError(f"--area-type {wanted!r}: no rows of that area type in {where}; "
                            f"found {', '.join(f'{t} ({n:,})' for t, n in counts.items())}")
        return matches[0]
    inner = counts[[t not in COMPARATOR_TYPES for t in counts.index]]
    return (inner if len(inner) else counts).index[0]


def split_by_area_type(values: pd.DataFrame, wanted: str | None, where: str) -> tuple[str, pd.Series, dict[str, int]]:
    """`(type compared, which rows are compared, rows of each other type)` for a values table.

    Codes of no recognised form are compared with the chosen type unless an `area_type` column
    says otherwise: an unknown form is not evidence of another geography (independent-sector
    providers have codes of their own), and leaving them out would drop them silently.
    """
    types = area_types(values)
    recognised = types != UNRECOGNISED
    chosen = choose_area_type(types[recognised] if wanted is None and recognised.any() else types, wanted, where)
    compared = types == chosen
    if "area_type" not in values:
        compared |= types == UNRECOGNISED
    others = {str(t): int(n) for t, n in types[~compared].value_counts().items()}
    return chosen, compared, others
