"""Ranking by creative (`ranking.unit`): one footage cut five ways is one piece of evidence, with no
spread of its own; five creatives are five."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from influencer_kit.errors import ConfigError
from influencer_kit.ranking.ranking import RankingConfig, performance_metrics, rank

RECUT, VARIED = "influencer_001", "influencer_002"
Z90 = 1.6448536269514722  # normal 95th percentile: two-sided 90% interval


def videos() -> pd.DataFrame:
    """RECUT: one creative cut five ways (1.0, 1.2, 0.8, 1.1, 0.9); VARIED: five creatives (2.0, 1.0,
    1.5, 0.5, 1.0), one video each."""
    recut = [(RECUT, "creative_0001", p) for p in (1.0, 1.2, 0.8, 1.1, 0.9)]
    varied = [(VARIED, f"creative_000{k + 2}", p) for k, p in enumerate((2.0, 1.0, 1.5, 0.5, 1.0))]
    table = pd.DataFrame(recut + varied, columns=["influencer", "creative", "performance"])
    return table.assign(counted=True, faces=1)


# Hand arithmetic. By creative: RECUT is one value, 1.0 (the mean of its cuts); VARIED's std is
# sqrt((0.8^2 + 0.2^2 + 0.3^2 + 0.7^2 + 0.2^2) / 4) = sqrt(0.325), and the only one pooled.
STD_VARIED = math.sqrt(0.325)
# By video: RECUT's std is sqrt((0 + 0.2^2 + 0.2^2 + 0.1^2 + 0.1^2) / 4) = sqrt(0.025).
STD_RECUT_VIDEOS = math.sqrt(0.025)


def test_one_creative_cut_five_ways_counts_once_with_the_pooled_spread() -> None:
    metrics = performance_metrics(videos(), {"bootstrap_resamples": 200}).set_index("influencer")
    assert metrics.loc[RECUT, "creative_count"] == 1
    assert metrics.loc[RECUT, "video_count"] == 5
    assert metrics.loc[RECUT, "mean_performance"] == pytest.approx(1.0)
    assert math.isnan(metrics.loc[RECUT, "std_performance"])  # no spread of its own
    assert metrics.loc[VARIED, "creative_count"] == 5
    assert metrics.loc[VARIED, "video_count"] == 5
    assert metrics.loc[VARIED, "std_performance"] == pytest.approx(STD_VARIED)

    ranked, unranked = rank(metrics.reset_index(), {"bootstrap_resamples": 200})
    assert unranked.empty
    by_id = ranked.set_index("influencer")
    # RECUT is charged the pooled std (VARIED's), as an influencer with one video is.
    assert by_id.loc[RECUT, "score"] == pytest.approx(1.0 - 0.5 * STD_VARIED)
    assert by_id.loc[VARIED, "score"] == pytest.approx(1.2 - 0.5 * STD_VARIED)
    assert by_id.loc[RECUT, "ci_low"] == pytest.approx(1.0 - Z90 * STD_VARIED)
    assert by_id.loc[RECUT, "ci_high"] == pytest.approx(1.0 + Z90 * STD_VARIED)
    assert list(ranked["influencer"]) == [VARIED, RECUT]
    assert list(ranked["creative_count"]) == [5, 1]
    assert list(ranked["video_count"]) == [5, 5]


def test_ranking_by_video_keeps_the_old_behaviour() -> None:
    cfg = {"unit": "video", "bootstrap_resamples": 200}
    metrics = performance_metrics(videos(), cfg)
    by_id = metrics.set_index("influencer")
    assert by_id.loc[RECUT, "std_performance"] == pytest.approx(STD_RECUT_VIDEOS)
    assert by_id.loc[RECUT, "creative_count"] == 1
    ranked, _ = rank(metrics, cfg)
    scores = ranked.set_index("influencer")["score"]
    assert scores[RECUT] == pytest.approx(1.0 - 0.5 * STD_RECUT_VIDEOS)  # re-cutting looks consistent
    assert scores[VARIED] == pytest.approx(1.2 - 0.5 * STD_VARIED)
    assert list(ranked["influencer"]) == [RECUT, VARIED]


def test_min_videos_counts_creatives() -> None:
    cfg = {"min_videos": 2, "bootstrap_resamples": 200}
    ranked, unranked = rank(performance_metrics(videos(), cfg), cfg)
    assert list(ranked["influencer"]) == [VARIED]
    assert list(unranked["reason"]) == ["1 counted creative(s), fewer than ranking.min_videos=2"]


def test_an_unknown_unit_is_refused() -> None:
    with pytest.raises(ConfigError, match="ranking.unit: one of creative, video, got 'clip'"):
        RankingConfig.from_cfg({"unit": "clip"})
