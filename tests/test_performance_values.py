"""Performance cells as users and exports write them: plain numbers, thousands separators, percents."""
from __future__ import annotations

import pytest

from influencer_kit.inputs.sheet import parse_performance, read_sheet


@pytest.mark.parametrize("text, expected", [
    ("0.5", 0.5), (" 3 ", 3.0), ("-2.25", -2.25), ("1e3", 1000.0),
    ("1,234", 1234.0), ("12,345.5", 12345.5), ("-1,000,000", -1e6),
    ("12%", 0.12), ("12.5 %", 0.125), ("1,250%", 12.5),
])
def test_numbers_written_as_text_are_read(text, expected):
    assert parse_performance(text, "Performance") == (pytest.approx(expected), "")


@pytest.mark.parametrize("text", ["1,5", "12,34", "1,2345", "%", "12%%", "n/a", "1.2.3", "nan%"])
def test_ambiguous_or_non_numbers_are_refused_with_the_cell_quoted(text):
    number, error = parse_performance(text, "Performance")
    assert number is None
    assert error.startswith("Performance ") and repr(text) in error


def test_a_google_sheets_style_export_is_read_as_the_numbers_it_shows(tmp_path):
    sheet = tmp_path / "export.csv"
    sheet.write_text('Video URL,Performance\nhttps://example.com/a.mp4,"1,250"\nhttps://example.com/b.mp4,7.5%\n')
    rows = read_sheet(sheet).rows
    assert [r.performance for r in rows] == [pytest.approx(1250.0), pytest.approx(0.075)]
    assert [r.performance_error for r in rows] == ["", ""]
