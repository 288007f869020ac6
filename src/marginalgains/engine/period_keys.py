"""Period keys and labels as Ibis expressions, so the backend does the date arithmetic.

Records are grouped by a small integer key (cheap to group on); the key is turned into the
`marginalgains.periods` label (`2018-04`, `2018/19 Q1`, `2018/19`, `2018`) after aggregation,
still inside the backend, on the few aggregate rows.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from marginalgains.periods import Grain


def period_key(dates: ir.Value, grain: Grain) -> ir.IntegerValue:
    """An integer that orders and identifies the period of `grain` holding each date."""
    year, month = dates.year().cast("int32"), dates.month().cast("int32")
    if grain is Grain.MONTH:
        return year * 100 + month
    if grain is Grain.YEAR:
        return year
    financial_year = year - ibis.ifelse(month < 4, 1, 0)
    if grain is Grain.FINANCIAL_YEAR:
        return financial_year
    return financial_year * 10 + (month + 8) % 12 // 3 + 1


def period_label(key: ir.IntegerValue, grain: Grain) -> ir.StringValue:
    """The period label of a key made by `period_key`."""
    if grain is Grain.MONTH:
        return (key // 100).cast("string") + "-" + _two_digits(key % 100)
    if grain is Grain.YEAR:
        return key.cast("string")
    if grain is Grain.FINANCIAL_YEAR:
        return _financial_year(key)
    return _financial_year(key // 10) + " Q" + (key % 10).cast("string")


def _financial_year(start: ir.IntegerValue) -> ir.StringValue:
    return start.cast("string") + "/" + _two_digits((start + 1) % 100)


def _two_digits(number: ir.IntegerValue) -> ir.StringValue:
    return number.cast("string").lpad(2, "0")
