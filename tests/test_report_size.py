"""report.html stays readable and small at any size: failed rows summarised by kind (counts and a
few examples each), the ranking paged and the cards limited past a few hundred influencers. The
page is parsed as HTML; expected counts are literal."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import make_config
from influencer_kit import pipeline
from influencer_kit.inputs.sheet import read_sheet
from influencer_kit.model import Result
from influencer_kit.outputs.report import render
from influencer_kit.people.close_calls import PERSON_COLUMNS
from influencer_kit.people.videos_table import ranking_input, with_faces_and_closeness
from influencer_kit.ranking import ranking


class Page(HTMLParser):
    """What the tests count: elements by tag and class, and the text of headings and summaries."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, list[str]] = {"h2": [], "h3": [], "summary": []}
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.texts:
            self._open.append(tag)
            self.texts[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[self._open[-1]][-1] += data

    def count(self, tag: str, **attrs: str) -> int:
        return sum(t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items()) for t, a in self.elements)

    def with_attribute(self, tag: str, name: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and name in a]


def failing_sheet(path: Path) -> Path:
    """23 rows that fail fast: 12 missing files, 7 `ftp:` links, 4 empty video cells."""
    urls = ([f"missing/clip_{i}.mp4" for i in range(12)] + [f"ftp://example.invalid/{i}.mp4" for i in range(7)]
            + [""] * 4)
    pd.DataFrame({"Video URL": urls, "Performance": np.arange(len(urls), dtype=float)}).to_csv(path, index=False)
    return path


def test_failed_rows_are_summarised_by_kind_with_a_few_examples(tmp_path):
    cfg = make_config(tmp_path, ["tracking.enabled=false", f"data.path={failing_sheet(tmp_path / 'fail.csv')}"])
    result = pipeline.run(cfg)
    assert len(result.videos) == 23
    page = Page((result.output_dir / "report.html").read_text())
    kinds = {a["data-status"]: a["data-count"] for a in page.with_attribute("h3", "data-status")}
    assert kinds == {"download_error": "12", "invalid_url": "11"}
    assert "Rows that failed (23)" in page.texts["h2"]
    assert [t.strip() for t in page.texts["h3"]] == ["download_error: 12 row(s) (the first 5 of 12)",
                                                      "invalid_url: 11 row(s) (the first 5 of 11)"]
    assert page.count("td", class_="status") == 10  # 5 examples of each kind, not 23 rows


def ranked_result(tmp_path: Path, people: int) -> Result:
    """A run's result with `people` influencers, one ranked video row each, built by the real
    ranking code from a sheet of that many rows (no faces: the report shows placeholders)."""
    sheet_path = tmp_path / "rows.csv"
    pd.DataFrame({"Video URL": [f"v{i}.mp4" for i in range(people)],
                  "Performance": np.linspace(1.0, 2.0, people)}).to_csv(sheet_path, index=False)
    sheet = read_sheet(sheet_path)
    videos = sheet.table.assign(
        row=np.arange(1, people + 1), status="ok", error="", video_sha256=[f"{i:064x}" for i in range(people)],
        duplicate_of="", influencer=[f"influencer_{i + 1:03d}" for i in range(people)],
        influencers=[f"influencer_{i + 1:03d}" for i in range(people)], source="local", counted=True,
        influencer_faces=1, creative=[f"creative_{i + 1:04d}" for i in range(people)], variant_of="",
        close_call=False, close_call_reason="")
    settings = {"bootstrap_resamples": 50}
    metrics = ranking.performance_metrics(ranking_input(sheet, videos), settings)
    ranked, unranked = ranking.rank(metrics, settings)
    metrics = with_faces_and_closeness(metrics, {}, pd.DataFrame(columns=PERSON_COLUMNS))
    return Result(sheet, videos, metrics, ranked, unranked, [], {}, None, tmp_path / "out")


@pytest.mark.parametrize("people, cards, pages", [(30, 30, []), (450, 200, ["Ranks 201–400", "Ranks 401–450"])])
def test_ranking_is_paged_and_cards_limited_past_a_few_hundred(tmp_path, people, cards, pages):
    page = Page(render(ranked_result(tmp_path, people), tmp_path))
    assert page.count("article", class_="card") == cards
    summaries = [s for s in page.texts["summary"] if s.startswith(("Ranks", "Influencers"))]
    more = ["Influencers 201–400", "Influencers 401–450"] if people > 200 else []
    assert summaries == pages + more
    assert page.count("td", class_="face") == people  # every ranked influencer has a ranking row
    assert page.count("div", class_="no-face") == min(people, 200) * 2  # a placeholder in the table and the card
    assert "Influencers (%d)" % people in page.texts["h2"]
