"""Which row of a sheet holds the column names: rows above it (a title, a date, a blank line) are
not data.

The header is the first row naming both the URL and the performance column; failing names, the
row above the first column of links (its cell there is the column's name); failing both, the first row.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from influencer_kit.inputs.cells import is_blank, is_link, mostly
from influencer_kit.inputs.columns import normalise

SEARCH_ROWS = 50  # rows looked at for the header: a title is a few lines, never a page

BY_NAMES = "it names both columns"
ABOVE_LINKS = "the row above the links"
FIRST_ROW = "the first row"


@dataclass(frozen=True)
class Header:
    """The header's place: `index` counts the file's rows from 0, blank ones included."""

    index: int
    how: str  # BY_NAMES, ABOVE_LINKS or FIRST_ROW


def find_header(rows: list[list[object]], names: tuple[str, str], base: Path) -> Header:
    """The header among the sheet's first rows (`rows`, each a list of cells); `names` are the URL
    and performance columns' names as wanted, `base` the folder that relative paths start from."""
    wanted = {normalise(name) for name in names}
    for index, row in enumerate(rows):
        if wanted <= {normalise(cell) for cell in row if not is_blank(cell)}:
            return Header(index, BY_NAMES)
    above = [index for index in map(partial(_header_of_links, rows, base=base), range(_width(rows)))
             if index is not None]
    return Header(min(above), ABOVE_LINKS) if above else Header(0, FIRST_ROW)


def _width(rows: list[list[object]]) -> int:
    return max(map(len, rows), default=0)


def _header_of_links(rows: list[list[object]], column: int, base: Path) -> int | None:
    """The row holding the name of `column` when it is a column of links: the last filled cell
    above its first link, where the cells from that link down are mostly links; else None."""
    cells = [row[column] if column < len(row) else None for row in rows]
    link = partial(is_link, base=base)
    first = next((i for i, cell in enumerate(cells) if link(cell)), None)
    if first is None or not mostly(link, cells[first:]):
        return None
    return next((i for i in range(first - 1, -1, -1) if not is_blank(cells[i])), None)
