"""Which columns hold the video and its performance: by their names, or, when the header does not
name them as expected, by what their cells hold.

By name: `video_url` and `performance` (or `data.url_column` / `data.performance_column`), case-,
space- and underscore-insensitively. By content, for a column neither set nor named when the other
one does not have its usual name either: the one column whose cells are mostly links or paths of
files is the URL column, and the one column of numbers the performance. Two columns that fit
equally are refused, naming both.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from influencer_kit.errors import InputError
from influencer_kit.inputs.cells import is_link, is_number, mostly

URL_NAME, PERFORMANCE_NAME = "video_url", "performance"
SETTINGS = {"URL": "data.url_column", "performance": "data.performance_column", "label": "data.label_column"}
SAMPLE_CELLS = 1000  # cells of each column looked at to tell what it holds

BY_SETTING = "set by {setting}"
BY_NAME = "by its name"
BY_LINKS = "its cells are links"
BY_NUMBERS = "its cells are numbers"


@dataclass(frozen=True)
class Found:
    """A column and how it was found (`BY_NAME`, `BY_LINKS`...)."""

    name: str
    how: str


def normalise(name: str) -> str:
    """`Video URL`, `video_url` and `VideoURL` all become `videourl`."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


def named_column(columns: list[str], wanted: str, given: str | None, what: str,
                 source: Path | str = "the sheet") -> Found | None:
    """The column named `given` (or `wanted`) case-, space- and underscore-insensitively, a column
    named exactly `given` winning over looser matches; None when none is. Two matches raise."""
    how = BY_SETTING.format(setting=SETTINGS[what]) if given else BY_NAME
    if given and given in columns:
        return Found(given, how)
    matches = [col for col in columns if normalise(col) == normalise(given or wanted)]
    if len(matches) > 1:
        raise InputError(f"{source} has more than one {what} column: {', '.join(map(repr, matches))} all "
                         f"match {given or wanted!r}; choose one with {SETTINGS[what]}=...")
    return Found(matches[0], how) if matches else None


def missing_column(columns: list[str], wanted: str, what: str, source: Path | str,
                   searched: str = "") -> InputError:
    """The error for a column found neither by name nor (`searched` says how it was looked for) by
    content."""
    found = ", ".join(repr(str(c)) for c in columns)
    return InputError(f"{source} has no {what} column: looked for {wanted!r} among its columns {found}{searched}; "
                      f"name the right one with {SETTINGS[what]}=...")


def find_column(columns: list[str], wanted: str, given: str | None, what: str,
                source: Path | str = "the sheet") -> str:
    """The column named `given` (or `wanted`) as `named_column` finds it; `InputError` when none is.
    `source` names the sheet in messages."""
    column = named_column(columns, wanted, given, what, source)
    if column is None:
        raise missing_column(columns, given or wanted, what, source)
    return column.name


def sample(table: pd.DataFrame, column: str) -> list[object]:
    return table[column].iloc[:SAMPLE_CELLS].tolist()


def find_url_column(table: pd.DataFrame, given_url: str | None, given_performance: str | None, base: Path,
                    source: Path | str) -> Found | None:
    """The URL column: by name; or, unless it is set (`given_url`) or the performance column has
    its usual name (so the header names columns as expected), the one column of links (paths taken
    from `base`, the sheet's folder). None when there is none; two columns of links raise."""
    columns = list(table.columns)
    by_name = named_column(columns, URL_NAME, given_url, "URL", source)
    performance = named_column(columns, PERFORMANCE_NAME, given_performance, "performance", source)
    if by_name is not None or given_url or (performance is not None and performance.how == BY_NAME):
        return by_name
    links = [c for c in columns if mostly(partial(is_link, base=base), sample(table, c))]
    if len(links) > 1:
        raise InputError(f"{source} has {len(links)} columns of links: {', '.join(map(repr, links))}; "
                         f"name the URL column with data.url_column=...")
    return Found(links[0], BY_LINKS) if links else None


def find_performance_column(table: pd.DataFrame, url: Found, given: str | None, source: Path | str) -> Found:
    """The performance column: by name; or, unless it is set (`given`) or the URL column has its
    usual name, the one column of numbers beside it. `InputError` otherwise, naming the columns of
    numbers when there are several (a count of views next to the score must not be taken for it)."""
    columns = list(table.columns)
    by_name = named_column(columns, PERFORMANCE_NAME, given, "performance", source)
    if by_name is not None:
        return by_name
    if given or url.how == BY_NAME:
        raise missing_column(columns, given or PERFORMANCE_NAME, "performance", source)
    numbers = [c for c in columns if c != url.name and mostly(is_number, sample(table, c))]
    if len(numbers) == 1:
        return Found(numbers[0], BY_NUMBERS)
    if numbers:
        raise InputError(f"{source} has {len(numbers)} columns of numbers that could be the performance: "
                         f"{', '.join(map(repr, numbers))}; name it with data.performance_column=...")
    raise missing_column(columns, PERFORMANCE_NAME, "performance", source, searched=", nor a column of numbers")
