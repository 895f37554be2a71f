"""Reading the input spreadsheet: one `InputRow` per posted video, in input order.

A sheet is taken the way analysts make it: the sheet holding the videos (`data.sheet` unset: the
first with a URL and a performance column), its header row below any title (header.py), its
columns by name or by content (columns.py), a CSV's separator (dialect.py) and the performance
column's decimal mark (decimals.py). Each choice is kept in the sheet's `Reading`.

Problems that make the whole input unusable (no file, not a spreadsheet, no URL or performance
column, no rows) raise `InputError` with one message saying what was found; problems of one row
(a blank or text score) are kept on that row, which is never dropped.

A performance cell holding a formula is read by its saved result, as Excel shows it. A file
written by a program rather than saved by Excel holds no result for its formulas; such a cell
reads as blank, and its message names the formula so that the user knows why.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from influencer_kit.errors import InputError, require
from influencer_kit.inputs.cells import cell_text, is_blank
from influencer_kit.inputs.columns import (PERFORMANCE_NAME, URL_NAME, Found, find_column,
                                           find_performance_column, find_url_column, missing_column)
from influencer_kit.inputs.decimals import COMMA, DECIMALS, POINT, decimal_mark, number_from_text
from influencer_kit.inputs.dialect import ENCODING, CsvDialect, sniff
from influencer_kit.inputs.header import SEARCH_ROWS, Header, find_header
from influencer_kit.model import InputRow, Reading, Sheet

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
FORMULA_SUFFIXES = (".xlsx", ".xlsm")  # read by openpyxl, which can show a cell's formula
AS_TYPED = {"keep_default_na": False, "na_values": [""]}  # only an empty cell is missing, not "NA"


@dataclass
class DataConfig:
    """`data`: the spreadsheet of posted videos and how to read it (`data=demo`: the built-in demo)."""

    path: str | None = None  # .xlsx or .csv, or a Google Sheets link; null: the demo set built in the cache folder
    sheet: Any = None  # xlsx sheet name or index (0: the first); null: the first sheet with a URL column
    url_column: str | None = None  # null: the column named like `video_url`, else the column of links
    performance_column: str | None = None  # null: the column named like `performance`, else the column of numbers
    label_column: str | None = None  # a ground-truth column (a person's name) turns on supervised metrics
    decimal: str | None = None  # the performance column's decimal mark, `,` or `.`; null: read off the column

    def __post_init__(self) -> None:
        require(self.sheet is None or isinstance(self.sheet, str | int) and not isinstance(self.sheet, bool),
                "data.sheet", "a sheet's name or its index (0 is the first)", self.sheet)
        require(self.decimal in (None, *DECIMALS), "data.decimal", "`,` or `.` or null", self.decimal)


@dataclass
class Candidate:
    """One sheet of the file: its header found, its table read from the header down."""

    sheet: str  # "" for a CSV
    header: Header
    table: pd.DataFrame
    dialect: CsvDialect | None = None  # a CSV's


def pick_sheet(path: Path, names: list[str], wanted: str | int | None) -> str:
    """The sheet `data.sheet` names (a name or a 0-based index)."""
    if isinstance(wanted, int) and 0 <= wanted < len(names):
        return names[wanted]
    if str(wanted) in names:
        return str(wanted)
    raise InputError(f"{path} has no sheet {wanted!r}; its sheets are {', '.join(map(repr, names))}; "
                     f"choose one with data.sheet=...")


def _with_text_names(table: pd.DataFrame) -> pd.DataFrame:
    table.columns = [str(c) for c in table.columns]
    return table


def _excel_table(book: pd.ExcelFile, sheet: str, header: int, rows: int | None = None) -> pd.DataFrame:
    """A workbook's sheet as typed, with `header` (a row index, or None) naming the columns."""
    return pd.read_excel(book, sheet_name=sheet, header=header, nrows=rows, dtype=object, **AS_TYPED)


def candidates(path: Path, wanted: str | int | None, names: tuple[str, str]) -> Iterator[Candidate]:
    """The sheets that may hold the videos, in order: a CSV's one, the sheet `data.sheet` names, or
    every sheet of the workbook (read one at a time, as asked for)."""
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        dialect = sniff(path, SEARCH_ROWS)
        header = find_header(dialect.rows(path, SEARCH_ROWS), names, path.parent)
        table = pd.read_csv(path, sep=dialect.separator, quotechar=dialect.quotechar, encoding=ENCODING,
                            skiprows=header.index, **AS_TYPED)
        yield Candidate("", header, _with_text_names(table), dialect)
        return
    with pd.ExcelFile(path) as book:
        sheets = book.sheet_names if wanted in (None, "") else [pick_sheet(path, book.sheet_names, wanted)]
        for sheet in sheets:
            header = find_header(_excel_table(book, sheet, None, SEARCH_ROWS).values.tolist(), names, path.parent)
            yield Candidate(sheet, header, _with_text_names(_excel_table(book, sheet, header.index)))


@contextmanager
def damaged_as_input_error(path: Path) -> Iterator[None]:
    """Turn what pandas and its engines raise for an empty or corrupt file into one `InputError`."""
    try:
        yield
    except InputError:
        raise
    except pd.errors.EmptyDataError as err:
        raise InputError(f"spreadsheet {path} is empty: it has no header row and no rows") from err
    except Exception as err:  # pandas and its engines raise many types for a corrupt file
        kind = "an Excel workbook" if path.suffix.lower() in EXCEL_SUFFIXES else "a CSV file"
        raise InputError(f"{path} is damaged or not {kind}, so it cannot be read ({type(err).__name__}: "
                         f"{err}); save the sheet again as .xlsx or .csv") from err


def with_columns(path: Path, wanted: str | int | None, given_url: str | None,
                 given_performance: str | None) -> tuple[Candidate, Found, Found, str]:
    """The first candidate sheet with a URL and a performance column, those columns, and how the
    sheet was chosen (a summary sheet in front may hold a link, but not the videos' scores). Where
    a sheet has a URL column but no performance column, and no later sheet has both, its error is
    raised; where none has a URL column, an error naming every sheet and its columns."""
    names = (given_url or URL_NAME, given_performance or PERFORMANCE_NAME)
    passed: list[Candidate] = []
    first_error: InputError | None = None
    with damaged_as_input_error(path):
        for candidate in candidates(path, wanted, names):
            url = find_url_column(candidate.table, given_url, given_performance, path.parent, path)
            try:
                if url is not None:
                    perf = find_performance_column(candidate.table, url, given_performance, path)
                    return candidate, url, perf, sheet_how(wanted, [c.sheet for c in passed])
            except InputError as err:
                first_error = first_error or err
            passed.append(candidate)
    raise first_error or no_url_column(path, passed, names[0])


def sheet_how(wanted: str | int | None, passed: list[str]) -> str:
    """How the sheet was chosen: set, the first, or the first with both columns after `passed`."""
    if wanted not in (None, ""):
        return "set by data.sheet"
    if not passed:
        return "the first sheet"
    return f"the first with both columns; {', '.join(map(repr, passed))} {'has' if len(passed) == 1 else 'have'} not"


def no_url_column(path: Path, passed: list[Candidate], wanted: str) -> InputError:
    """The error for a file where no sheet has a URL column."""
    if len(passed) == 1:
        columns = list(passed[0].table.columns)
        if not columns:
            return InputError(f"spreadsheet {path} is empty: it has no header row and no rows")
        return missing_column(columns, wanted, "URL", path)
    sheets = "; ".join(f"sheet {c.sheet!r} has " + (", ".join(map(repr, c.table.columns)) or "no columns")
                       for c in passed)
    return InputError(f"{path} has no sheet with a URL column (looked for {wanted!r}, or a column of links): "
                      f"{sheets}; choose the sheet with data.sheet=... and the column with data.url_column=...")


def parse_performance(value: object, column: str = "performance", formula: object = None,
                      decimal: str = POINT) -> tuple[float | None, str]:
    """A finite number, or None with a message saying what was found instead. `formula` is the
    cell's formula text, if any, for a cell whose saved result is blank; `decimal` the column's mark."""
    if is_blank(value):
        if isinstance(formula, str) and formula.startswith("="):
            return None, (f"{column} is the formula {formula!r} with no saved result (the file was not "
                          f"saved by Excel); open and save it in Excel, or type the number")
        return None, f"{column} is blank; expected a number"
    if isinstance(value, bool):
        return None, f"{column} {value!r} is not a number"
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = number_from_text(str(value), decimal)
        except ValueError:
            mark = " with a decimal comma (data.decimal=,)" if decimal == COMMA else ""
            return None, f"{column} {str(value)!r} is not a number{mark}"
    if not math.isfinite(number):
        return None, f"{column} {value!r} is not a finite number"
    return number, ""


def formula_texts(path: Path, candidate: Candidate, column: str) -> list[object]:
    """The formula (or value) of each cell of `column`, for telling formulas apart from blanks;
    all None where the file cannot show formulas. Reads the workbook a second time."""
    n_rows = len(candidate.table)
    if path.suffix.lower() not in FORMULA_SUFFIXES:
        return [None] * n_rows
    with damaged_as_input_error(path), pd.ExcelFile(path, engine_kwargs={"data_only": False}) as book:
        table = _with_text_names(_excel_table(book, candidate.sheet, candidate.header.index))
    if len(table) != n_rows or column not in table.columns:
        return [None] * n_rows
    return list(table[column])


def read_sheet(path: str | Path, sheet: str | int | None = None, url_column: str | None = None,
               performance_column: str | None = None, label_column: str | None = None,
               decimal: str | None = None) -> Sheet:
    """Read and check the spreadsheet; whole-input problems raise `InputError` before any work."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"spreadsheet not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder; data.path must name an .xlsx or .csv file")
    taken, url, perf, sheet_chosen = with_columns(path, sheet, url_column, performance_column)
    table = taken.table
    label_col = find_column(list(table.columns), label_column, label_column, "label", path) if label_column else None
    if table.empty:
        raise InputError(f"spreadsheet {path} has the columns {', '.join(map(repr, table.columns))} but no rows")
    mark = decimal or decimal_mark(table[perf.name], perf.name, path)
    blanks = table[perf.name].map(is_blank)
    formulas = formula_texts(path, taken, perf.name) if blanks.any() else [None] * len(table)
    rows = []
    for i, (record, formula) in enumerate(zip(table.to_dict("records"), formulas), start=1):
        performance, perf_error = parse_performance(record[perf.name], perf.name, formula, mark)
        rows.append(InputRow(
            row=i,
            url=cell_text(record[url.name]),
            performance=performance,
            performance_error=perf_error,
            label=cell_text(record[label_col]) if label_col else "",
        ))
    reading = Reading(
        sheet=taken.sheet, sheet_how=sheet_chosen,
        header_row=taken.header.index + 1, header_how=taken.header.how,
        url_column=url.name, url_how=url.how, performance_column=perf.name, performance_how=perf.how,
        decimal=mark, decimal_how="set by data.decimal" if decimal else "read off the column",
        separator=taken.dialect.name() if taken.dialect else "",
        separator_how=taken.dialect.how if taken.dialect else "",
    )
    return Sheet(path=path, table=table, rows=rows, reading=reading)
