"""Spreadsheets as analysts make them (issue 28): a title above the header, the videos on a second
sheet, a European Excel's semicolons and decimal commas, other column names. Each is read to the
same four rows, each refusal is one line naming what to set, and each case runs end to end over
four of the shipped demo videos: 4/4 rows ok, and each person's mean as the sheet's numbers give it.

The sheets are written here with openpyxl or as plain text, never by the code under test."""
from __future__ import annotations

import html
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import SHARED, run_cli

from influencer_kit.errors import InputError
from influencer_kit.inputs.decimals import decimal_mark
from influencer_kit.inputs.dialect import CsvDialect, sniff
from influencer_kit.inputs.sheet import read_sheet

DEMO_VIDEOS = Path(__file__).resolve().parents[1] / "influencer_kit" / "inputs" / "demo_set" / "videos"
VIDEOS = ["videos/grace_1.mp4", "videos/grace_2.mp4", "videos/astronaut_1.mp4", "videos/astronaut_2.mp4"]
COMMAS = ["1,5", "2,25", "0,75", "1,25"]  # as a European Excel writes them
NUMBERS = [1.5, 2.25, 0.75, 1.25]
ROWS = list(zip(VIDEOS, NUMBERS))  # what every case reads to
MEANS = [1.0, 1.875]  # astronaut (0.75, 1.25) and Grace Hopper (1.5, 2.25), lowest first


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def text_file(path: Path, lines: list[str], newline: str = "\n", bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + "".join(line + newline for line in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the cases, each a sheet maker

def title_rows(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx", {"Videos": [
        ["Campaign Q3 creatives"], [], ["Video URL", "Performance"], *map(list, ROWS)]})


def second_sheet(folder: Path) -> Path:
    """Behind a summary sheet that links the best video but holds no scores."""
    return workbook(folder / "campaign.xlsx", {
        "Summary": [["Campaign", "Best video"], ["Q3", "https://example.com/best.mp4"]],
        "Videos": [["Video URL", "Performance"], *map(list, ROWS)]})


def european_csv(folder: Path) -> Path:
    return text_file(folder / "campaign.csv", ["Video URL;Performance", *(f"{v};{p}" for v, p in zip(VIDEOS, COMMAS))],
                     newline="\r\n", bom=True)


def xlsx_decimal_commas(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx",
                    {"Sheet1": [["Video URL", "Performance"], *map(list, zip(VIDEOS, COMMAS))]})


def csv_decimal_commas(folder: Path) -> Path:
    return text_file(folder / "campaign.csv",
                     ["Video URL,Performance", *(f'{v},"{p}"' for v, p in zip(VIDEOS, COMMAS))])


def other_names(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx", {"Sheet1": [["video link", "Perf"], *map(list, ROWS)]})


def all_at_once(folder: Path) -> Path:
    """A title, tabs, other names and decimal commas together."""
    return text_file(folder / "campaign.csv", ["Campaign Q3 creatives", "", "Posted\tvideo link\tPerf",
                                               *(f"Mon\t{v}\t{p}" for v, p in zip(VIDEOS, COMMAS))])


NAMED = ("Video URL", "by its name", "Performance", "by its name")
SEEN = ("video link", "its cells are links", "Perf", "its cells are numbers")
TITLE = "; rows 1-2 above it skipped"
CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, str, str], int, str, tuple[str, ...], str]] = {
    # maker, (sheet or separator, its value, how), header row and how, the columns and how, decimal mark
    "title rows": (title_rows, ("sheet", "Videos", "the first sheet"), 3, "it names both columns" + TITLE, NAMED, "."),
    "second sheet": (second_sheet, ("sheet", "Videos", "the first with both columns; 'Summary' has not"), 1,
                     "it names both columns", NAMED, "."),
    "semicolon csv": (european_csv, ("separator", ";", "sniffed"), 1, "it names both columns", NAMED, ","),
    "decimal commas in xlsx": (xlsx_decimal_commas, ("sheet", "Sheet1", "the first sheet"), 1, "it names both columns",
                               NAMED, ","),
    "decimal commas in csv": (csv_decimal_commas, ("separator", ",", "sniffed"), 1, "it names both columns",
                              NAMED, ","),
    "other names": (other_names, ("sheet", "Sheet1", "the first sheet"), 1, "the row above the links", SEEN, "."),
    "all at once": (all_at_once, ("separator", "tab", "sniffed"), 3, "the row above the links" + TITLE, SEEN, ","),
}


def expected(case: str) -> tuple[dict[str, str], str]:
    """The case's MLflow params and the line printed at the start, from its literal parts."""
    _, (where, value, how), row, row_how, (url, url_how, perf, perf_how), mark = CASES[case]
    params = {f"input.{where}": value, "input.header_row": str(row), "input.url_column": url,
              "input.performance_column": perf, "input.decimal": mark}
    line = (f"{where} {value!r} ({how}), header row {row} ({row_how}), URL column {url!r} ({url_how}), "
            f"performance column {perf!r} ({perf_how}), decimal mark {mark!r} (read off the column)")
    return params, line


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding four demo videos with faces, as `videos/...`."""
    (tmp_path / "videos").mkdir()
    for video in VIDEOS:
        shutil.copyfile(DEMO_VIDEOS / Path(video).name, tmp_path / video)
    return tmp_path


@pytest.mark.parametrize("case", CASES)
def test_each_case_reads_to_the_same_four_rows(case: str, folder: Path) -> None:
    params, line = expected(case)
    sheet = read_sheet(CASES[case][0](folder))
    assert [(r.url, r.performance, r.performance_error) for r in sheet.rows] == [(*row, "") for row in ROWS]
    assert sheet.reading.params() == params
    assert sheet.reading.describe() == line


def test_the_table_keeps_the_cells_as_the_file_holds_them(folder: Path) -> None:
    sheet = read_sheet(european_csv(folder))
    assert sheet.table.to_dict("list") == {"Video URL": VIDEOS, "Performance": COMMAS}


def test_a_set_decimal_mark_is_taken_as_set(folder: Path) -> None:
    sheet = read_sheet(csv_decimal_commas(folder), decimal=".")
    assert [r.performance for r in sheet.rows] == [None] * 4
    assert sheet.rows[0].performance_error == "Performance '1,5' is not a number"
    mixed = text_file(folder / "mixed.csv",
                      ["Video URL;Performance", "videos/grace_1.mp4;2.5", "videos/grace_2.mp4;1,5"])
    assert [(r.performance, r.performance_error) for r in read_sheet(mixed, decimal=",").rows] == [
        (None, "Performance '2.5' is not a number with a decimal comma (data.decimal=,)"), (1.5, "")]


# ---------------------------------------------------------------- refusals: one line naming what to set

def mixed_decimals(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx", {"Sheet1": [
        ["Video URL", "Performance"], *map(list, zip(VIDEOS, ["1,5", "1,250", "0,75", "2"]))]})


def two_link_columns(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx", {"Sheet1": [
        ["Video", "Backup link", "Perf"], *([v, f"https://backup.example/{v}", n] for v, n in ROWS)]})


def two_number_columns(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx", {"Sheet1": [
        ["video link", "Views", "Perf"], *([v, 1000 + i, n] for i, (v, n) in enumerate(ROWS))]})


def no_sheet_with_links(folder: Path) -> Path:
    return workbook(folder / "campaign.xlsx", {
        "Summary": [["Campaign", "Videos"], ["Q3", 4]], "Notes": [["Who", "What"], ["Ana", "check Q4"]], "Empty": []})


REFUSALS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "mixed decimals": (mixed_decimals,
                       "campaign.xlsx: the Performance column mixes decimal commas ('1,5') with numbers read with a "
                       "decimal point or a thousands comma ('1,250'); say which mark it uses with data.decimal=, "
                       "or data.decimal=."),
    "two URL-like columns": (two_link_columns,
                             "campaign.xlsx has 2 columns of links: 'Video', 'Backup link'; name the URL column with "
                             "data.url_column=..."),
    "two numeric columns": (two_number_columns,
                            "campaign.xlsx has 2 columns of numbers that could be the performance: 'Views', 'Perf'; "
                            "name it with data.performance_column=..."),
    "no sheet with a URL column": (no_sheet_with_links,
                                   "campaign.xlsx has no sheet with a URL column (looked for 'video_url', or a column "
                                   "of links): sheet 'Summary' has 'Campaign', 'Videos'; sheet 'Notes' has 'Who', "
                                   "'What'; sheet 'Empty' has no columns; choose the sheet with data.sheet=... and "
                                   "the column with data.url_column=..."),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_what_the_reader_cannot_decide_is_refused_in_one_line(case: str, folder: Path) -> None:
    make, message = REFUSALS[case]
    with pytest.raises(InputError) as refused:
        read_sheet(make(folder))
    assert str(refused.value) == f"{folder}/{message}"


def test_a_sheet_with_links_but_no_scores_says_so_when_no_later_sheet_has_both(folder: Path) -> None:
    book = workbook(folder / "campaign.xlsx", {"Videos": [["Video URL", "Score"], ["videos/grace_1.mp4", 1.5]],
                                               "Notes": [["Who"], ["Ana"]]})
    with pytest.raises(InputError) as refused:
        read_sheet(book)
    assert str(refused.value) == (f"{book} has no performance column: looked for 'performance' among its columns "
                                  "'Video URL', 'Score'; name the right one with data.performance_column=...")


def test_a_set_column_is_never_replaced_by_one_found_by_content(folder: Path) -> None:
    with pytest.raises(InputError) as refused:
        read_sheet(other_names(folder), url_column="Videos")
    assert str(refused.value) == (f"{folder}/campaign.xlsx has no URL column: looked for 'Videos' among its columns "
                                  "'video link', 'Perf'; name the right one with data.url_column=...")


def test_a_refusal_is_undone_by_the_setting_it_names(folder: Path) -> None:
    assert [r.performance for r in read_sheet(mixed_decimals(folder), decimal=",").rows] == [1.5, 1.25, 0.75, 2.0]
    assert [r.url for r in read_sheet(two_link_columns(folder), url_column="Video").rows] == VIDEOS


@pytest.mark.parametrize("case", REFUSALS)
def test_the_cli_stops_with_that_line(case: str, folder: Path) -> None:
    make, message = REFUSALS[case]
    done = run_cli([f"data.path={make(folder)}", f"output.dir={folder / 'out'}", f"cache.dir={folder / 'cache'}",
                    "tracking.enabled=false", "output.progress=false"], cwd=folder, timeout=300)
    assert done.returncode == 2, done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("error:")] == [f"error: {folder}/{message}"]


# ---------------------------------------------------------------- the pieces: dialect and decimal mark

@pytest.mark.parametrize("lines, bom, dialect", [
    (["Video URL,Performance", "https://a.example/1,1.5", "https://a.example/2,2"], False,
     CsvDialect(",", '"', "sniffed")),
    (["Video URL;Performance", "https://a.example/1;1,5", "https://a.example/2;2,25"], True,
     CsvDialect(";", '"', "sniffed")),
    (["Video URL\tPerformance", "https://a.example/1\t1.5", "https://a.example/2\t2"], False,
     CsvDialect("\t", '"', "sniffed")),
    (["Video URL,Performance", "https://a.example/1,'1,5'", "https://a.example/2,'2,25'"], False,
     CsvDialect(",", "'", "sniffed")),
    (["Campaign Q3 creatives", "", "Video URL;Performance", "a.mp4;1,5", "b.mp4;2,25"], False,
     CsvDialect(";", '"', "sniffed")),
    (["Video URL", "https://a.example/1"], False,  # one column: nothing to sniff
     CsvDialect(",", '"', "the sniffer could not tell; a comma")),
])
def test_the_csv_dialect_is_sniffed(lines: list[str], bom: bool, dialect: CsvDialect, tmp_path: Path) -> None:
    assert sniff(text_file(tmp_path / "sheet.csv", lines, bom=bom), title_lines=50) == dialect


@pytest.mark.parametrize("values, mark", [
    (["1,5", "0,75", "-2,0", 3.0, "n/a"], ","),
    (["1.234,5", "2"], ","),
    (["1,250", "2.5", "12%"], "."),
    ([1.5, 2.0, None], "."),
    (["3", "4"], "."),
])
def test_the_decimal_mark_is_read_off_the_column(values: list[object], mark: str) -> None:
    assert decimal_mark(values, "Perf", "sheet.xlsx") == mark


def test_a_column_of_both_marks_is_refused() -> None:
    with pytest.raises(InputError, match=r"^sheet.xlsx: the Perf column mixes decimal commas \('0,5'\) with "
                                         r"numbers read with a decimal point or a thousands comma \('2.5'\); "
                                         r"say which mark it uses with data.decimal=, or data.decimal=.$"):
        decimal_mark(["0,5", "2.5"], "Perf", "sheet.xlsx")


# ---------------------------------------------------------------- end to end, as a user runs it

@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for every run here: the same four videos are analysed once."""
    return tmp_path_factory.mktemp("cache")


def mlflow_params(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT key, value FROM params WHERE key LIKE 'input.%'").fetchall())


@pytest.mark.parametrize("case", CASES)
def test_each_case_runs_end_to_end(case: str, folder: Path, cache: Path) -> None:
    params, line = expected(case)
    sheet = CASES[case][0](folder)
    out = folder / "out"
    done = run_cli([f"data.path={sheet}", f"output.dir={out}", f"cache.dir={cache}",
                    f"tracking.uri=sqlite:///{folder / 'mlflow.db'}", "output.progress=false"], cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [text.split("] - ", 1)[1] for text in done.stdout.splitlines() if "] - input " in text] == [
        f"input {sheet.name}: {line}"]  # printed once, at the start
    assert "rows: 4  ok: 4" in done.stdout
    videos = pd.read_csv(out / "ProcessedVideos_videos.csv")
    assert list(videos["status"]) == ["ok"] * 4
    metrics = pd.read_csv(out / "PerformanceMetrics_videos.csv").sort_values("mean_performance")
    assert list(metrics["mean_performance"]) == pytest.approx(MEANS)
    assert list(metrics["video_count"]) == [2, 2]
    assert mlflow_params(folder / "mlflow.db") == params
    assert f"Read with {html.escape(line, quote=True)}." in (out / "report.html").read_text()
    checker = SHARED / "check_contract.py"
    if checker.exists():  # its own reader takes a sheet's first row as the header, so the sheet is not passed
        checked = subprocess.run([sys.executable, str(checker), str(out)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout


def test_data_decimal_comma_works_as_typed(folder: Path, cache: Path) -> None:
    """`data.decimal=,`, the setting the refusal names, typed as is (Hydra alone would read a sweep)."""
    out = folder / "out"
    done = run_cli([f"data.path={mixed_decimals(folder)}", "data.decimal=,", f"output.dir={out}",
                    f"cache.dir={cache}", "tracking.enabled=false", "output.progress=false"], cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "decimal mark ',' (set by data.decimal)" in done.stdout
    assert list(pd.read_csv(out / "ProcessedVideos_videos.csv")["status"]) == ["ok"] * 4
    metrics = pd.read_csv(out / "PerformanceMetrics_videos.csv")
    assert list(metrics["mean_performance"]) == pytest.approx([1.375, 1.375])  # (1.5 + 1.25) / 2, (0.75 + 2) / 2
