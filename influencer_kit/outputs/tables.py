"""Files for people: the three tables (xlsx and csv, written atomically), the face folders and
`report.html`. The workbooks are made to work in: header frozen, filters on, columns sized to their
content, numbers formatted, videos and faces as links, and a face thumbnail beside each ranked
influencer."""
from __future__ import annotations

import io
import numbers
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from influencer_kit.ranking import ranking
from influencer_kit.atomic import write_atomic
from influencer_kit.model import Result
from influencer_kit.outputs.folders import write_face_folders
from influencer_kit.outputs.report import thumbnail, video_links, write_report

FORMULA_START = ("=", "+", "-", "@")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe in the CSV."""
    return table.map(lambda v: "'" + v if is_formula_like(v) else v)


FACE_COLUMN = "face"  # Ranked_Influencers: the representative face, a thumbnail in the workbook
FACE_PX = 64
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00##"  # two to four decimals
MAX_WIDTH = 60  # characters
WIDTH_SAMPLE = 500  # rows read to size a column
HEADER_FILL = PatternFill("solid", start_color="DCE6F1")


def xlsx_bytes(table: pd.DataFrame, sheet_name: str, links: dict[str, list[str | None]] | None = None,
               pictures: dict[str, list[bytes | None]] | None = None, notes: dict[str, str] | None = None,
               more_sheets: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The table as an xlsx workbook (see `fill_sheet`): `notes` become comments on its header
    cells, and `more_sheets` (name -> table) follow it as sheets of their own."""
    book = Workbook()
    fill_sheet(book.active, table, sheet_name, links, pictures)
    add_header_notes(book.active, notes or {})
    for name, extra in (more_sheets or {}).items():
        fill_sheet(book.create_sheet(), extra, name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fill_sheet(sheet: Worksheet, table: pd.DataFrame, sheet_name: str,
               links: dict[str, list[str | None]] | None = None,
               pictures: dict[str, list[bytes | None]] | None = None) -> None:
    """Write the table into an empty sheet; formula-like text is stored as text, never as a formula.
    `links` maps a column to a link target per row; `pictures` a column to an image per row,
    shown as a thumbnail over its cell."""
    sheet.title = sheet_name[:31]
    sheet.append([str(c) for c in table.columns])
    for values in table.itertuples(index=False):
        sheet.append([None if _is_missing(v) else v for v in values])
        for cell in sheet[sheet.max_row]:
            if is_formula_like(cell.value):
                cell.data_type = "s"
    style_sheet(sheet, table)
    columns = list(map(str, table.columns))
    for column, targets in (links or {}).items():
        add_links(sheet, columns.index(column) + 1, targets)
    for column, images in (pictures or {}).items():
        add_pictures(sheet, columns.index(column) + 1, images)


def style_sheet(sheet: Worksheet, table: pd.DataFrame) -> None:
    """Bold frozen header with filters, number formats, and widths that fit the content."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    for index, column in enumerate(table.columns, start=1):
        values = [v for v in table[column] if not _is_missing(v)]
        number_format = _number_format(values)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if _is_number(cell.value):
                    cell.number_format = number_format
        longest = max([len(str(column)) + 3] + [len(_shown(v)) for v in values[:WIDTH_SAMPLE]])
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, MAX_WIDTH)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number_format(values: list) -> str | None:
    """Whole numbers as integers, anything with a fraction as decimals, None for no numbers."""
    numeric = [float(v) for v in values if _is_number(v)]
    if not numeric:
        return None
    return INTEGER_FORMAT if all(v.is_integer() for v in numeric) else DECIMAL_FORMAT


def _shown(value: object) -> str:
    """About what a cell shows, for sizing its column."""
    return f"{value:,.4f}" if isinstance(value, float) else str(value)


def add_links(sheet: Worksheet, column: int, targets: list[str | None]) -> None:
    """Make each cell of `column` (data rows) a link to its target, where it has one."""
    for row, target in enumerate(targets, start=2):
        if target:
            cell = sheet.cell(row=row, column=column)
            cell.hyperlink = target
            cell.font = Font(color="0563C1", underline="single")


def add_header_notes(sheet: Worksheet, notes: dict[str, str]) -> None:
    """A comment (shown on hover) on each header cell whose column `notes` explains."""
    for cell in sheet[1]:
        if cell.value in notes:
            cell.comment = Comment(notes[cell.value], "influencer-kit", width=360, height=150)


def add_pictures(sheet: Worksheet, column: int, images: list[bytes | None]) -> None:
    """Anchor a `FACE_PX` thumbnail in each cell of `column` (data rows), hiding the cell's text
    under it (the text, a path, stays in the cell and its link)."""
    letter = get_column_letter(column)
    sheet.column_dimensions[letter].width = FACE_PX / 7 + 2  # about 7 px per character
    for row, image in enumerate(images, start=2):
        sheet.cell(row=row, column=column).number_format = ";;;"
        if image:
            picture = SheetImage(io.BytesIO(thumbnail(image, FACE_PX, "PNG")))
            sheet.add_image(picture, f"{letter}{row}")
            sheet.row_dimensions[row].height = FACE_PX * 0.75 + 4  # points


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def write_table(table: pd.DataFrame, out: Path, name: str, links: dict[str, list[str | None]] | None = None,
                pictures: dict[str, list[bytes | None]] | None = None, notes: dict[str, str] | None = None,
                more_sheets: dict[str, pd.DataFrame] | None = None) -> None:
    """`<name>.xlsx` (with `links`, `pictures`, header `notes` and `more_sheets`) and `<name>.csv`
    (the table alone), each replaced in one step."""
    write_atomic(out / f"{name}.xlsx", xlsx_bytes(table, name, links, pictures, notes, more_sheets))
    write_atomic(out / f"{name}.csv", csv_safe(table).to_csv(index=False).encode())


def write_outputs(result: Result, cfg) -> None:
    """Everything the contract promises in `output.dir`."""
    out = result.output_dir
    out.mkdir(parents=True, exist_ok=True)
    write_face_folders(result, out)
    videos, metrics, ranked = result.videos, result.metrics, result.ranked
    representative = metrics.set_index("influencer")["representative_face"]
    url_column = result.sheet.url_column
    write_table(videos, out, "ProcessedVideos_videos",
                links={url_column: video_links(videos, url_column, result.sheet.path.parent)})
    ranking_cfg = getattr(cfg, "ranking", None)
    notes = ranking.column_notes(ranking_cfg, metrics)  # what score, ci_low, shrunk_mean... mean
    write_table(metrics, out, "PerformanceMetrics_videos",
                links={"representative_face": [face or None for face in metrics["representative_face"]]},
                notes=notes)
    faces = ranked["influencer"].map(representative).fillna("")
    about = ranking.about_table(ranking_cfg, metrics, ranked, result.unranked, result.sheet)
    write_table(with_face_column(ranked, faces), out, "Ranked_Influencers",
                links={FACE_COLUMN: [face or None for face in faces]},
                pictures={FACE_COLUMN: [(out / face).read_bytes() if face else None for face in faces]},
                notes=notes, more_sheets={"About": about, "Not ranked": result.unranked})
    write_report(result, out, cfg)


def with_face_column(ranked: pd.DataFrame, faces: pd.Series) -> pd.DataFrame:
    """The ranked table with `face` (the representative face's path, under a thumbnail in the
    workbook) right after the contract's columns."""
    table = ranked.copy()
    table.insert(table.columns.get_loc("video_count") + 1, FACE_COLUMN, faces.to_numpy())
    return table
