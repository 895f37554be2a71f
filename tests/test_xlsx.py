"""The workbooks as Excel opens them: read back with openpyxl after a real run on the demo videos,
with a few extra rows and a column whose text a spreadsheet would take for formulas."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_config
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from influencer_kit import pipeline
from influencer_kit.inputs.demo import build_demo

FORMULA_LIKE = ["=1+1", "@SUM(A1)", "+1", "-2", '=HYPERLINK("http://127.0.0.1/","x")']


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[pipeline.Result, Path]:
    """The demo's videos by absolute path and by file:// URL, plus a URL that is no video
    reference, with a `Note` column of formula-like text; returns the result and the input."""
    cache = tmp_path_factory.getbasetemp() / "ik-cache"  # shared with test_report: faces come cached
    base = tmp_path_factory.mktemp("xlsx")
    demo_csv = build_demo(cache / "demo")
    sheet = pd.read_csv(demo_csv)
    sheet["Video URL"] = [str(demo_csv.parent / url) for url in sheet["Video URL"]]
    sheet.loc[1, "Video URL"] = Path(sheet.loc[1, "Video URL"]).as_uri()
    extra = pd.DataFrame({"Video URL": ["javascript:alert(1)"], "Performance": [1.0], "Person": [""]})
    sheet = pd.concat([sheet, extra], ignore_index=True)
    sheet["Note"] = (FORMULA_LIKE * len(sheet))[: len(sheet)]
    sheet.to_csv(base / "input.csv", index=False)
    cfg = make_config(base, [f"cache.dir={cache}", "tracking.enabled=false", f"data.path={base / 'input.csv'}"])
    return pipeline.run(cfg), base / "input.csv"


def open_sheet(result: pipeline.Result, name: str) -> Worksheet:
    return load_workbook(result.output_dir / f"{name}.xlsx").active


def column(sheet: Worksheet, name: str) -> int:
    """1-based index of the header cell `name`."""
    return [c.value for c in sheet[1]].index(name) + 1


@pytest.mark.parametrize("name", ["ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"])
def test_header_frozen_with_filters(run, name):
    sheet = open_sheet(run[0], name)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    assert all(cell.font.b for cell in sheet[1])
    widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
    assert all(8 <= w <= 62 for w in widths), widths


def test_one_face_thumbnail_per_ranked_influencer(run):
    result, _ = run
    sheet = open_sheet(result, "Ranked_Influencers")
    face = column(sheet, "face")
    assert face == column(sheet, "video_count") + 1  # after the contract's columns
    anchors = sorted((image.anchor._from.row + 1, image.anchor._from.col + 1) for image in sheet._images)
    assert anchors == [(row, face) for row in range(2, len(result.ranked) + 2)]
    assert all(max(image.width, image.height) == 64 for image in sheet._images)
    faces = dict(zip(result.metrics["influencer"], result.metrics["representative_face"]))
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row, face)
        person = sheet.cell(row, column(sheet, "influencer")).value
        assert cell.value == faces[person] and cell.hyperlink.target == faces[person]
        assert (result.output_dir / cell.hyperlink.target).is_file()  # relative to the workbook


def test_numbers_formatted(run):
    sheet = open_sheet(run[0], "Ranked_Influencers")
    assert sheet.cell(2, column(sheet, "mean_performance")).number_format == "#,##0.00##"
    assert sheet.cell(2, column(sheet, "video_count")).number_format == "#,##0"


def test_video_urls_are_links(run):
    result, source = run
    sheet = open_sheet(result, "ProcessedVideos_videos")
    url = column(sheet, "Video URL")
    given = pd.read_csv(source)["Video URL"]
    for row, text in enumerate(given, start=2):
        cell = sheet.cell(row, url)
        assert cell.value == text
        if text.startswith("javascript:"):
            assert cell.hyperlink is None  # refused by fetch (invalid_url): no link
        else:
            assert cell.hyperlink.target == Path(text.removeprefix("file://")).as_uri()
    assert sheet.cell(len(given) + 1, column(sheet, "status")).value == "invalid_url"


def test_formula_like_text_stays_text(run):
    result, _ = run
    sheet = open_sheet(result, "ProcessedVideos_videos")
    note = column(sheet, "Note")
    cells = [sheet.cell(row, note) for row in range(2, sheet.max_row + 1)]
    assert {c.value for c in cells} == set(FORMULA_LIKE)
    assert all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]
    with zipfile.ZipFile(result.output_dir / "ProcessedVideos_videos.xlsx") as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()  # no formula anywhere
