"""Numbers typed or exported as text, and which decimal mark a performance column uses.

A European Excel writes `1,5` where an English one writes `1.5`, and `1.234,5` for `1,234.5`.
`decimal_mark` reads the mark off a column's text cells: a column whose numbers read only with a
decimal comma (`1,5`, `0,75`, `-2,0`) and never as a thousands grouping (`1,250`) or with a
decimal point (`2.5`) uses the comma; one that holds both kinds is refused, since either reading
would misread some cells; anything else keeps the decimal point (the reading before this module).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable

from influencer_kit.errors import InputError

POINT, COMMA = ".", ","
DECIMALS = (POINT, COMMA)  # the values of data.decimal (null: read off the column)
GROUPED = {  # a number whose other mark groups thousands: 1,234.5 (decimal point), 1.234,5 (decimal comma)
    POINT: re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"),
    COMMA: re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?"),
}


def number_from_text(text: str, decimal: str = POINT) -> float:
    """A number typed or exported as text, with `decimal` as its decimal mark: `0.5`, `1e3`,
    `1,234.5` (the other mark grouping thousands, as a Google Sheets export writes them) or `12%`
    (0.12, what the cell holds in a workbook). Raises ValueError for anything else; with the decimal
    point that includes `1,5`, with the decimal comma `2.5`."""
    text = text.strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    grouping = COMMA if decimal == POINT else POINT
    if GROUPED[decimal].fullmatch(text):
        text = text.replace(grouping, "")
    if decimal == COMMA:
        if POINT in text:
            raise ValueError(f"{text!r} has a point, but the decimal mark is a comma")
        text = text.replace(COMMA, POINT)
    return float(text) * scale


def _reading(text: str, decimal: str) -> float | None:
    """The finite number `text` reads as with `decimal`, or None."""
    try:
        number = number_from_text(text, decimal)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def decimal_mark(values: Iterable[object], column: str, source: object) -> str:
    """The decimal mark of a column, read off its text cells (numbers stored as numbers say
    nothing): the comma when some read only with it and none reads otherwise with the point, else
    the point. A column holding both kinds raises `InputError` naming data.decimal's two values."""
    comma_only: str | None = None
    point_read: str | None = None  # a cell the point reads, the comma not or differently: 2.5, 1,250
    for value in values:
        if not isinstance(value, str):
            continue
        by_point, by_comma = _reading(value, POINT), _reading(value, COMMA)
        if by_comma is not None and by_point is None:
            comma_only = comma_only or value.strip()
        elif by_point is not None and by_point != by_comma:
            point_read = point_read or value.strip()
        if comma_only and point_read:
            raise InputError(
                f"{source}: the {column} column mixes decimal commas ({comma_only!r}) with numbers read "
                f"with a decimal point or a thousands comma ({point_read!r}); say which mark it uses with "
                f"data.decimal=, or data.decimal=.")
    return COMMA if comma_only else POINT
