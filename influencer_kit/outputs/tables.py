"""Files for people: the three tables (xlsx and csv, written atomically), the face folders and
`report.html`. The workbooks are made to work in: header frozen, filters on, columns sized to their
content, numbers formatted, videos and faces as links, and a face thumbnail beside each ranked
influencer."""
from __future__ import annotations

import io
import numbers
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from influencer_kit.ranking import ranking
from influencer_kit.atomic import write_atomic
from influencer_kit.model import Result
from influencer_kit.outputs.folders import write_face_folders
from influencer_kit.outputs.report import thumbnail, video_links

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
HEADER_FONT = Font(bold=True)
HEADER_ALIGNMENT = Alignment(vertical="center")
LINK_FONT = Font(color="0563C1", underline="single")


def xlsx_bytes(table: pd.DataFrame, sheet_name: str, links: dict[str, list[str | None]] | None = None,
               pictures: dict[str, list[bytes | None]] | None = None, notes: dict[str, str] | None = None,
               more_sheets: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The table as an xlsx workbook (see `fill_sheet`): `notes` become comments on its header
    cells, and `more_sheets` (name -> table) follow it as sheets of their own. Written in
    openpyxl's write-only mode: rows stream out as they come, so time and memory grow linearly."""
    book = Workbook(write_only=True)
    fill_sheet(book.create_sheet(), table, sheet_name, links, pictures, notes)
    for name, extra in (more_sheets or {}).items():
        fill_sheet(book.create_sheet(), extra, name)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fill_sheet(sheet: WriteOnlyWorksheet, table: pd.DataFrame, sheet_name: str,
               links: dict[str, list[str | None]] | None = None,
               pictures: dict[str, list[bytes | None]] | None = None, notes: dict[str, str] | None = None) -> None:
    """Write the table into a new write-only sheet: a bold frozen header with filters (`notes`
    as comments on it), number formats, widths that fit the content; formula-like text is stored
    as text, never as a formula. `links` maps a column to a link target per row; `pictures` a
    column to an image per row, shown as a thumbnail over its cell."""
    sheet.title = sheet_name[:31]
    columns = [str(c) for c in table.columns]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{len(table) + 1}"
    cells = table.astype(object).where(table.notna() & (table != ""), None)  # missing and "" as blank cells
    formats = [_number_format(cells[c].dropna().tolist()) for c in cells.columns]
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(str(column), cells[column])
    targets = [(links or {}).get(c) for c in columns]
    images = [(pictures or {}).get(c) for c in columns]
    for index, column_images in enumerate(images, start=1):
        if column_images is not None:
            add_pictures(sheet, index, column_images)
    sheet.append([_header_cell(sheet, c, (notes or {}).get(c)) for c in columns])
    for row, values in enumerate(cells.itertuples(index=False, name=None)):
        sheet.append([_cell(sheet, v, formats[k], targets[k] and targets[k][row], images[k] is not None)
                      for k, v in enumerate(values)])


def _header_cell(sheet: WriteOnlyWorksheet, name: str, note: str | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, name)
    cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    if note:
        cell.comment = Comment(note, "influencer-kit", width=360, height=150)
    return cell


def _cell(sheet: WriteOnlyWorksheet, value: object, number_format: str | None, target: str | None,
          hidden: bool) -> object:
    """What one data cell holds: the plain value where it needs no style (openpyxl's fast path),
    else a styled cell (a number format, a link, text kept from being a formula, or hidden text)."""
    number = number_format is not None and _is_number(value)
    formula_like = is_formula_like(value)
    if not (target or hidden or number or formula_like):
        return value
    cell = WriteOnlyCell(sheet, value)
    if formula_like:
        cell.data_type = "s"
    if hidden:
        cell.number_format = ";;;"  # the path stays in the cell, under its thumbnail
    elif number:
        cell.number_format = number_format
    if target:
        cell.hyperlink = target
        cell.font = LINK_FONT
    return cell


def _width(name: str, values: pd.Series) -> float:
    """A column width (in characters) that fits the header and the first `WIDTH_SAMPLE` values."""
    shown = [len(_shown(v)) for v in values.iloc[:WIDTH_SAMPLE].dropna()]
    return min(max([len(name) + 3, *shown]) + 2, MAX_WIDTH)


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


def add_pictures(sheet: WriteOnlyWorksheet, column: int, images: list[bytes | None]) -> None:
    """Anchor a `FACE_PX` thumbnail in each cell of `column` (data rows) and make its row tall
    enough; call before the rows are written. The cells' text (a path) stays, hidden under it."""
    letter = get_column_letter(column)
    sheet.column_dimensions[letter].width = FACE_PX / 7 + 2  # about 7 px per character
    for row, image in enumerate(images, start=2):
        if image:
            sheet.add_image(SheetImage(io.BytesIO(thumbnail(image, FACE_PX, "PNG"))), f"{letter}{row}")
            sheet.row_dimensions[row].height = FACE_PX * 0.75 + 4  # points


def write_table(table: pd.DataFrame, out: Path, name: str, links: dict[str, list[str | None]] | None = None,
                pictures: dict[str, list[bytes | None]] | None = None, notes: dict[str, str] | None = None,
                more_sheets: dict[str, pd.DataFrame] | None = None) -> None:
    """`<name>.xlsx` (with `links`, `pictures`, header `notes` and `more_sheets`) and `<name>.csv`
    (the table alone), each replaced in one step."""
    write_atomic(out / f"{name}.xlsx", xlsx_bytes(table, name, links, pictures, notes, more_sheets))
    write_atomic(out / f"{name}.csv", csv_safe(table).to_csv(index=False).encode())


def write_outputs(result: Result, cfg) -> None:
    """The tables and face folders the contract promises in `output.dir` (the report is
    `report.write_report`)."""
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


def with_face_column(ranked: pd.DataFrame, faces: pd.Series) -> pd.DataFrame:
    """The ranked table with `face` (the representative face's path, under a thumbnail in the
    workbook) right after the contract's columns."""
    table = ranked.copy()
    table.insert(table.columns.get_loc("video_count") + 1, FACE_COLUMN, faces.to_numpy())
    return table
