"""The report's trade-off chart (influencer_kit/outputs/tradeoff_chart.py): well-formed SVG with one point per
influencer that has videos, placed by the data, with intervals, equal-score lines and escaped text.
Inputs come from `ranking.performance_metrics` and `ranking.rank`, as in a run."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from conftest import HOSTILE

from influencer_kit.outputs.tradeoff_chart import HEIGHT, WIDTH, tradeoff_svg
from influencer_kit.ranking import ranking

METHODS = ("penalized", "shrunk", "lower_bound")  # the built-in ranking methods
SVG = "{http://www.w3.org/2000/svg}"
COORDINATES = {"x", "y", "cx", "cy", "r", "x1", "y1", "x2", "y2", "width", "height"}


def videos_table(counts: list[int], seed: int = 0, names: list[str] | None = None) -> pd.DataFrame:
    """Videos of influencers with different true means, `counts[i]` counted videos for influencer i,
    plus one influencer whose only row is not counted (no valid performance: video_count 0)."""
    rng = np.random.default_rng(seed)
    names = names or [f"influencer_{i:03d}" for i in range(len(counts))]
    people = np.repeat(names, counts)
    performance = rng.normal(np.repeat(rng.normal(50, 15, len(counts)), counts), 6)
    table = pd.DataFrame({"influencer": people, "performance": performance, "counted": True, "faces": 1})
    no_video = pd.DataFrame({"influencer": ["influencer_999"], "performance": [np.nan], "counted": [False],
                             "faces": [1]})
    return pd.concat([table, no_video], ignore_index=True)


def chart(videos: pd.DataFrame, cfg: dict) -> tuple[str, ET.Element, pd.DataFrame, pd.DataFrame]:
    """The SVG text, its parsed tree, and the ranked and unranked tables it shows."""
    cfg = {"bootstrap_resamples": 200, **cfg}
    metrics = ranking.performance_metrics(videos, cfg)
    ranked, unranked = ranking.rank(metrics, cfg)
    svg = tradeoff_svg(ranked, unranked, metrics, cfg)
    return svg, ET.fromstring(svg), ranked, unranked


def points(tree: ET.Element) -> list[ET.Element]:
    return [c for c in tree.iter(f"{SVG}circle") if "point" in c.get("class", "").split()]


def test_one_point_per_influencer_with_videos() -> None:
    svg, tree, ranked, unranked = chart(videos_table([1, 2, 3, 5, 8, 1, 4, 6, 2, 10]), {"min_videos": 2})
    seen = unranked[unranked["video_count"] > 0]
    assert len(seen) == 2 and (unranked["video_count"] == 0).sum() == 1  # two one-video ones and the empty one
    drawn = points(tree)
    assert len(drawn) == len(ranked) + len(seen)
    assert {c.get("data-influencer") for c in drawn} == set(ranked["influencer"]) | set(seen["influencer"])
    grey = [c for c in drawn if "not-ranked" in c.get("class")]
    assert sorted(c.get("data-influencer") for c in grey) == sorted(seen["influencer"])
    assert "not ranked" in "".join(tree.itertext())  # its legend entry
    assert tree.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}" and tree.get("role") == "img"
    assert tree.find(f"{SVG}title").text
    labels = [t.text for t in tree.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == [f"#{r.rank} {r.influencer}" for r in ranked.itertuples()]


def test_one_video_influencers_are_hollow() -> None:
    _, tree, ranked, _ = chart(videos_table([1, 3, 4, 1, 2]), {"method": "shrunk"})
    hollow = {c.get("data-influencer") for c in points(tree) if "one-video" in c.get("class")}
    assert hollow == set(ranked.loc[ranked["video_count"] == 1, "influencer"]) and len(hollow) == 2
    assert all(c.get("fill") == "#fff" for c in points(tree) if "one-video" in c.get("class"))


def test_hostile_name_appears_only_escaped() -> None:
    names = ["influencer_000", HOSTILE, "influencer_002"]
    svg, tree, ranked, _ = chart(videos_table([3, 4, 2], names=names), {})
    assert HOSTILE not in svg and html.escape(HOSTILE) in svg
    assert not list(tree.iter("img")) and not list(tree.iter(f"{SVG}img"))
    assert f"#{int(ranked.set_index('influencer').loc[HOSTILE, 'rank'])} {HOSTILE}" in set(tree.itertext())


def test_interval_bars_when_the_table_has_ci_columns() -> None:
    videos = videos_table([2, 3, 5, 1])
    metrics = ranking.performance_metrics(videos, {"bootstrap_resamples": 200})
    ranked, unranked = ranking.rank(metrics)
    with_ci = ET.fromstring(tradeoff_svg(ranked, unranked, metrics))
    assert len([p for p in with_ci.iter(f"{SVG}path") if p.get("class") == "interval"]) == len(ranked)
    without = ET.fromstring(tradeoff_svg(ranked.drop(columns=["ci_low", "ci_high"]), unranked, metrics))
    assert not [p for p in without.iter(f"{SVG}path") if p.get("class") == "interval"]


@pytest.mark.parametrize("method", METHODS)
def test_equal_score_lines_only_for_penalized(method: str) -> None:
    svg, tree, _, _ = chart(videos_table([2, 3, 5, 4, 6]), {"method": method})
    lines = [line for line in tree.iter(f"{SVG}line") if line.get("class") == "equal-score"]
    if method == "penalized":
        assert 1 <= len(lines) <= 4 and "equal score (mean - 0.5 x std)" in svg
        for line in lines:  # clipped to the plot area
            x1, y1, x2, y2 = (float(line.get(k)) for k in ("x1", "y1", "x2", "y2"))
            assert 0 <= min(x1, x2) < max(x1, x2) <= WIDTH and 0 <= min(y1, y2) <= max(y1, y2) <= HEIGHT
            assert y2 < y1  # mean = score + 0.5 x std rises to the right (up is a smaller y)
    else:
        assert not lines and "equal score" not in svg


@pytest.mark.parametrize("videos", [
    pd.DataFrame({"influencer": ["solo"], "performance": [3.0], "counted": True, "faces": 1}),
    pd.DataFrame({"influencer": ["a", "a", "b", "b", "c"], "performance": 7.0, "counted": True, "faces": 1}),
    pd.DataFrame({"influencer": ["a", "b"], "performance": 0.0, "counted": True, "faces": 1}),
], ids=["one influencer with one video", "all equal", "all zero, one video each"])
def test_degenerate_tables_draw_finite_charts(videos: pd.DataFrame) -> None:
    for method in METHODS:
        svg, tree, ranked, _ = chart(videos, {"method": method})
        assert not re.search(r"\b(nan|inf)\b", svg, re.IGNORECASE)
        for element in tree.iter():
            for key in COORDINATES & set(element.keys()):
                assert np.isfinite(float(element.get(key))), (element.tag, key)
        assert len(points(tree)) == len(ranked) == videos["influencer"].nunique()
        for c in points(tree):
            assert 0 < float(c.get("cx")) < WIDTH and 0 < float(c.get("cy")) < HEIGHT


def test_positions_follow_the_data() -> None:
    _, tree, ranked, _ = chart(videos_table([2, 3, 5, 4, 6, 8, 3, 2, 7, 4], seed=5), {})
    where = {c.get("data-influencer"): (float(c.get("cx")), float(c.get("cy"))) for c in points(tree)}
    by_mean = ranked.sort_values("mean_performance")
    ys = [where[p][1] for p in by_mean["influencer"]]
    assert all(a > b for a, b in zip(ys, ys[1:]))  # a higher mean is drawn higher up
    by_std = ranked.sort_values("std_performance")  # every one has >= 2 videos: their own std
    xs = [where[p][0] for p in by_std["influencer"]]
    assert all(a < b for a, b in zip(xs, xs[1:]))
