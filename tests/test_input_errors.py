"""A spreadsheet that cannot be used at all stops the run before any work, through the real CLI:
a non-zero exit code, one `error: ...` line on stderr that says what was found, no traceback, and
no output table written."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli


def workbook(path: Path, *rows: list[object]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def missing(folder: Path) -> Path:
    return folder / "no such sheet.xlsx"


def corrupt(folder: Path) -> Path:
    path = folder / "posted videos.xlsx"
    path.write_bytes(os.urandom(4096))
    return path


def no_url_column(folder: Path) -> Path:
    return workbook(folder / "posted videos.xlsx", ["Link", "Performance", "Notes"], ["a.mp4", 1.0, "x"])


def no_performance_column(folder: Path) -> Path:
    return workbook(folder / "posted videos.xlsx", ["Video URL", "Score"], ["a.mp4", 1.0])


def header_only(folder: Path) -> Path:
    return workbook(folder / "posted videos.xlsx", ["Video URL", "Performance"])


def blank_workbook(folder: Path) -> Path:
    return workbook(folder / "posted videos.xlsx")


def empty_csv(folder: Path) -> Path:
    path = folder / "posted videos.csv"
    path.write_bytes(b"")
    return path


CASES: dict[str, tuple[Callable[[Path], Path], list[str]]] = {  # sheet maker, words the message must hold
    "file missing": (missing, ["not found", "no such sheet.xlsx"]),
    "corrupt file": (corrupt, ["posted videos.xlsx", "not an Excel workbook", ".xlsx or .csv"]),
    "no URL column": (no_url_column, ["no URL column", "'Link', 'Performance', 'Notes'", "data.url_column="]),
    "no performance column": (no_performance_column,
                              ["no performance column", "'Video URL', 'Score'", "data.performance_column="]),
    "header only": (header_only, ["'Video URL', 'Performance'", "no rows"]),
    "blank workbook": (blank_workbook, ["empty", "no header row"]),
    "empty csv": (empty_csv, ["posted videos.csv", "empty", "no header row"]),
    "no such sheet": (no_url_column, ["no sheet 'Videos'", "'Sheet'", "data.sheet="]),
}
OVERRIDES = {"no such sheet": ["data.sheet=Videos"]}


@pytest.mark.parametrize("case", CASES)
def test_unusable_spreadsheet_stops_with_one_clear_message(case: str, tmp_path: Path) -> None:
    make, words = CASES[case]
    sheet = make(tmp_path)
    out = tmp_path / "out"
    done = run_cli([f"data.path={sheet}", f"output.dir={out}", f"cache.dir={tmp_path / 'cache'}",
                    f"hydra.run.dir={tmp_path / 'hydra'}", "tracking.enabled=false", "output.progress=false",
                    *OVERRIDES.get(case, [])],
                   cwd=tmp_path, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    written = [p.name for p in out.rglob("*")] if out.exists() else []
    assert not [name for name in written if name.endswith((".xlsx", ".csv"))], written
    assert not (tmp_path / "cache" / "videos").exists()  # stopped before any download
