"""Reading the input spreadsheet: one `InputRow` per posted video, in input order.

Problems that make the whole input unusable (no file, not a spreadsheet, no URL or performance
column, no rows) raise `InputError` with one message saying what was found; problems of one row
(a blank or text score) are kept on that row, which is never dropped.

A performance cell holding a formula is read by its saved result, as Excel shows it. A file
written by a program rather than saved by Excel holds no result for its formulas; such a cell
reads as blank, and its message names the formula so that the user knows why.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from influencer_kit.errors import InputError, require
from influencer_kit.model import InputRow, Sheet

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
FORMULA_SUFFIXES = (".xlsx", ".xlsm")  # read by openpyxl, which can show a cell's formula


@dataclass
class DataConfig:
    """`data`: the spreadsheet of posted videos and how to read it (`data=demo`: the built-in demo)."""

    path: str | None = None  # .xlsx or .csv, or a Google Sheets link; null: the demo set built in the cache folder
    sheet: Any = None  # xlsx sheet name or index (0: the first); null: the first
    url_column: str | None = None  # null: the column named like `video_url`
    performance_column: str | None = None  # null: the column named like `performance`
    label_column: str | None = None  # a ground-truth column (a person's name) turns on supervised metrics

    def __post_init__(self) -> None:
        require(self.sheet is None or isinstance(self.sheet, str | int) and not isinstance(self.sheet, bool),
                "data.sheet", "a sheet's name or its index (0 is the first)", self.sheet)


def normalise(name: str) -> str:
    """`Video URL`, `video_url` and `VideoURL` all become `videourl`."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


def find_column(columns: list[str], wanted: str, given: str | None, what: str,
                source: Path | str = "the sheet") -> str:
    """The column matching `given` (or `wanted`) case-, space- and underscore-insensitively;
    a column named exactly `given` wins over looser matches. `source` names the sheet in messages."""
    setting = {"URL": "data.url_column", "performance": "data.performance_column"}.get(what, "data.label_column")
    found = ", ".join(repr(str(c)) for c in columns)
    if given and given in columns:
        return given
    matches = [col for col in columns if normalise(col) == normalise(given or wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InputError(f"{source} has more than one {what} column: {', '.join(map(repr, matches))} all "
                         f"match {given or wanted!r}; choose one with {setting}=...")
    raise InputError(f"{source} has no {what} column: looked for {given or wanted!r} among its columns "
                     f"{found}; name the right one with {setting}=...")


def read_table(path: Path, sheet: str | int | None = None, formulas: bool = False) -> pd.DataFrame:
    """Every cell as pandas reads it, from .xlsx/.xls or .csv; text such as "n/a" stays text. With
    `formulas`, an .xlsx cell holding a formula reads as its formula text, not its saved result."""
    if not path.exists():
        raise InputError(f"spreadsheet not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder; data.path must name an .xlsx or .csv file")
    as_typed = {"keep_default_na": False, "na_values": [""]}  # only an empty cell is missing, not "NA"
    try:
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            return pd.read_csv(path, **as_typed)
        with pd.ExcelFile(path, engine_kwargs={"data_only": False} if formulas else None) as book:
            return book.parse(pick_sheet(path, book.sheet_names, sheet), dtype=object, **as_typed)
    except InputError:
        raise
    except pd.errors.EmptyDataError as err:
        raise InputError(f"spreadsheet {path} is empty: it has no header row and no rows") from err
    except Exception as err:  # pandas and its engines raise many types for a corrupt file
        kind = "an Excel workbook" if path.suffix.lower() in EXCEL_SUFFIXES else "a CSV file"
        raise InputError(f"{path} is damaged or not {kind}, so it cannot be read ({type(err).__name__}: "
                         f"{err}); save the sheet again as .xlsx or .csv") from err


def pick_sheet(path: Path, names: list[str], wanted: str | int | None) -> str:
    """The sheet `data.sheet` names (a name or a 0-based index); the first when unset."""
    if wanted in (None, ""):
        return names[0]
    if isinstance(wanted, int) and 0 <= wanted < len(names):
        return names[wanted]
    if str(wanted) in names:
        return str(wanted)
    raise InputError(f"{path} has no sheet {wanted!r}; its sheets are {', '.join(map(repr, names))}; "
                     f"choose one with data.sheet=...")


def is_blank(value: object) -> bool:
    """An empty cell as pandas reads it: None, NaN or only spaces."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # 1,234 or 12,345.6: commas group thousands


def number_from_text(text: str) -> float:
    """A number typed or exported as text: `0.5`, `1e3`, `1,234.5` (commas grouping thousands, as
    a Google Sheets export writes them) or `12%` (0.12, what the cell holds in a workbook).
    Raises ValueError for anything else, `1,5` included (a decimal comma is ambiguous)."""
    text = text.strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    return float(text) * scale


def parse_performance(value: object, column: str = "performance",
                      formula: object = None) -> tuple[float | None, str]:
    """A finite number, or None with a message saying what was found instead. `formula` is the
    cell's formula text, if any, for a cell whose saved result is blank."""
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
            number = number_from_text(str(value))
        except ValueError:
            return None, f"{column} {str(value)!r} is not a number"
    if not math.isfinite(number):
        return None, f"{column} {value!r} is not a finite number"
    return number, ""


def formula_texts(path: Path, sheet: str | int | None, column: str, n_rows: int) -> list[object]:
    """The formula (or value) of each cell of `column`, for telling formulas apart from blanks;
    all None where the file cannot show formulas. Reads the workbook a second time."""
    if path.suffix.lower() not in FORMULA_SUFFIXES:
        return [None] * n_rows
    table = read_table(path, sheet, formulas=True)
    table.columns = [str(c) for c in table.columns]
    if len(table) != n_rows or column not in table.columns:
        return [None] * n_rows
    return list(table[column])


def cell_text(value: object) -> str:
    return "" if is_blank(value) else str(value).strip()


def read_sheet(path: str | Path, sheet: str | int | None = None, url_column: str | None = None,
               performance_column: str | None = None, label_column: str | None = None) -> Sheet:
    """Read and check the spreadsheet; whole-input problems raise `InputError` before any work."""
    path = Path(path).expanduser()
    table = read_table(path, sheet)
    columns = [str(c) for c in table.columns]
    table.columns = columns
    if not columns:
        raise InputError(f"spreadsheet {path} is empty: it has no header row and no rows")
    url_col = find_column(columns, "video_url", url_column, "URL", path)
    perf_col = find_column(columns, "performance", performance_column, "performance", path)
    label_col = find_column(columns, label_column, label_column, "label", path) if label_column else None
    if table.empty:
        raise InputError(f"spreadsheet {path} has the columns {', '.join(map(repr, columns))} but no rows")
    blanks = table[perf_col].map(is_blank)
    formulas = formula_texts(path, sheet, perf_col, len(table)) if blanks.any() else [None] * len(table)
    rows = []
    for i, (record, formula) in enumerate(zip(table.to_dict("records"), formulas), start=1):
        performance, perf_error = parse_performance(record[perf_col], perf_col, formula)
        rows.append(InputRow(
            row=i,
            url=cell_text(record[url_col]),
            performance=performance,
            performance_error=perf_error,
            label=cell_text(record[label_col]) if label_col else "",
        ))
    return Sheet(path=path, table=table, rows=rows, url_column=url_col, performance_column=perf_col)
