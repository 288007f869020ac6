"""Fingertips (OHID) exports, read as analysts download them: files, or API CSV addresses.

`read_fingertips` infers a catalogue (measure, multiplier, unit, polarity, modelled estimates,
each with where it came from), checks every row, keeps published England and regional values as
comparators and reads deprivation quantiles into an inequality view. See docs/fingertips.md.
"""

from marginalgains.io.fingertips.columns import is_england, is_region
from marginalgains.io.fingertips.download import fetch, is_address
from marginalgains.io.fingertips.reader import LICENCE, SOURCE, FingertipsExport, read_fingertips

__all__ = ["LICENCE", "SOURCE", "FingertipsExport", "fetch", "is_address", "is_england", "is_region", "read_fingertips"]
