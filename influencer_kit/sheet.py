"""Reading the input spreadsheet: one `InputRow` per posted video, in input order."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


class InputError(RuntimeError):
    """The spreadsheet as a whole cannot be used; the message says why and what was found."""


@dataclass
class InputRow:
    row: int  # 1-based data row
    url: str
    performance: float | None  # None when blank or not a number
    performance_error: str
    label: str  # ground truth from data.label_column, else ""


@dataclass
class Sheet:
    path: Path
    table: pd.DataFrame  # the input exactly as read, every column kept
    rows: list[InputRow]
    url_column: str
    performance_column: str


def normalise(name: str) -> str:
    """`Video URL`, `video_url` and `VideoURL` all become `videourl`."""
    return re.sub(r"[\s_]+", "", str(name)).lower()


def find_column(columns: list[str], wanted: str, given: str | None, what: str) -> str:
    """The column matching `given` (or `wanted`) case-, space- and underscore-insensitively."""
    target = normalise(given or wanted)
    for col in columns:
        if normalise(col) == target:
            return col
    setting = {"URL": "data.url_column", "performance": "data.performance_column"}.get(what, "data.label_column")
    raise InputError(
        f"no {what} column: looked for {given or wanted!r} but the sheet has columns "
        f"{', '.join(repr(str(c)) for c in columns)}; name the right one with {setting}=..."
    )


def read_table(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Every cell as pandas reads it, from .xlsx/.xls or .csv."""
    if not path.exists():
        raise InputError(f"spreadsheet not found: {path}")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, sheet_name=sheet if sheet not in (None, "") else 0, dtype=object)
        return pd.read_csv(path)
    except Exception as err:  # pandas raises many types for a corrupt file
        raise InputError(f"could not read spreadsheet {path}: {type(err).__name__}: {err}") from err


def parse_performance(value: object) -> tuple[float | None, str]:
    """A finite number, or None with a message saying what was found instead."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return None, "performance is blank"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None, f"performance {str(value)!r} is not a number"
    if not math.isfinite(number):
        return None, f"performance {value!r} is not a finite number"
    return number, ""


def read_sheet(path: str | Path, sheet: str | int | None = None, url_column: str | None = None,
               performance_column: str | None = None, label_column: str | None = None) -> Sheet:
    """Read and check the spreadsheet; whole-input problems raise `InputError` before any work."""
    path = Path(path).expanduser()
    table = read_table(path, sheet)
    columns = [str(c) for c in table.columns]
    table.columns = columns
    url_col = find_column(columns, "video_url", url_column, "URL")
    perf_col = find_column(columns, "performance", performance_column, "performance")
    label_col = find_column(columns, label_column, label_column, "label") if label_column else None
    if table.empty:
        raise InputError(f"spreadsheet {path} has columns {columns} but no rows")
    rows = []
    for i, record in enumerate(table.to_dict("records"), start=1):
        performance, perf_error = parse_performance(record[perf_col])
        url = record[url_col]
        label = record[label_col] if label_col else ""
        rows.append(InputRow(
            row=i,
            url="" if url is None or (isinstance(url, float) and math.isnan(url)) else str(url).strip(),
            performance=performance,
            performance_error=perf_error,
            label="" if label is None or (isinstance(label, float) and math.isnan(label)) else str(label),
        ))
    return Sheet(path=path, table=table, rows=rows, url_column=url_col, performance_column=perf_col)
