"""Tests for influencer_kit.ranking.ranking: statistics, uncertainty and the three ranking methods."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from omegaconf import OmegaConf

from influencer_kit.errors import ConfigError, InputError
from influencer_kit.inputs.sheet import read_sheet
from influencer_kit.model import Sheet
from influencer_kit.ranking.ranking import (
    METRIC_COLUMNS,
    RANKED_COLUMNS,
    RankingConfig,
    about_table,
    column_notes,
    describe_method,
    normalised_performance,
    performance_groups,
    performance_metrics,
    pooled_std,
    rank,
)

METHODS = ("penalized", "shrunk", "lower_bound")  # the built-in ranking methods
Z90 = 1.6448536269514722  # normal 95th percentile: two-sided 90% interval

A, B, C, D, E = (f"influencer_00{i}" for i in range(1, 6))


def hand_videos() -> pd.DataFrame:
    """A: 2, 4, 6 (+ an uncounted duplicate of 100); B: 1, 3 (+ an invalid NaN); C: one video of 5;
    D: only an uncounted row; E: 0, 0; plus two rows without a main person."""
    rows = [
        (A, 2.0, True, 1),
        (A, 4.0, True, 2),
        (A, 6.0, True, 3),
        (A, 100.0, False, 4),
        (B, 1.0, True, 5),
        (B, 3.0, True, 6),
        (B, np.nan, False, 7),
        (C, 5.0, True, 8),
        (E, 0.0, True, 9),
        (E, 0.0, True, 10),
        (D, 9.0, False, 11),
        ("", 7.0, True, 12),
        (np.nan, 8.0, True, 13),
    ]
    return pd.DataFrame(rows, columns=["influencer", "performance", "counted", "faces"])


# Hand arithmetic for hand_videos().
STD_A = math.sqrt(((2 - 4) ** 2 + (4 - 4) ** 2 + (6 - 4) ** 2) / 2)  # = 2
STD_B = math.sqrt(((1 - 2) ** 2 + (3 - 2) ** 2) / 1)  # = sqrt(2)
POOLED_VAR = (2 * STD_A**2 + 1 * STD_B**2 + 1 * 0.0) / (2 + 1 + 1)  # = 2.5, C has no dof
GRAND = (2 + 4 + 6 + 1 + 3 + 5 + 0 + 0) / 8
N = {A: 3, B: 2, C: 1, E: 2}
MEAN = {A: 4.0, B: 2.0, C: 5.0, E: 0.0}
MEAN_OF_MEANS = (4 + 2 + 5 + 0) / 4
TAU2 = ((4 - MEAN_OF_MEANS) ** 2 + (2 - MEAN_OF_MEANS) ** 2 + (5 - MEAN_OF_MEANS) ** 2
        + (0 - MEAN_OF_MEANS) ** 2) / 3 - (POOLED_VAR / 3 + POOLED_VAR / 2 + POOLED_VAR / 1
                                           + POOLED_VAR / 2) / 4


def hand_shrunk(who: str) -> tuple[float, float]:
    """Posterior mean and sd from the normal-normal formulas."""
    w = TAU2 / (TAU2 + POOLED_VAR / N[who])
    return w * MEAN[who] + (1 - w) * GRAND, math.sqrt(1 / (1 / TAU2 + N[who] / POOLED_VAR))


def synthetic_videos(rng: np.random.Generator, true_means: np.ndarray, counts: np.ndarray,
                     noise_sd: float) -> pd.DataFrame:
    """Videos drawn from N(true mean, noise_sd^2), `counts[i]` of them for influencer i."""
    names = np.repeat([f"influencer_{i:03d}" for i in range(len(true_means))], counts)
    performance = rng.normal(np.repeat(true_means, counts), noise_sd)
    return pd.DataFrame({"influencer": names, "performance": performance, "counted": True, "faces": 1})


def test_metrics_match_hand_computation() -> None:
    metrics = performance_metrics(hand_videos(), {"seed": 0})
    assert list(metrics.columns) == METRIC_COLUMNS
    assert list(metrics["influencer"]) == [A, B, C, D, E]
    row = metrics.set_index("influencer")
    assert list(row["video_count"]) == [3, 2, 1, 0, 2]
    assert list(row["face_count"]) == [1 + 2 + 3 + 4, 5 + 6 + 7, 8, 11, 9 + 10]
    assert row.loc[A, ["mean_performance", "std_performance", "median_performance",
                       "min_performance", "max_performance"]].tolist() == pytest.approx(
        [(2 + 4 + 6) / 3, STD_A, 4, 2, 6])
    assert row.loc[B, ["mean_performance", "std_performance", "median_performance",
                       "min_performance", "max_performance"]].tolist() == pytest.approx(
        [(1 + 3) / 2, STD_B, (1 + 3) / 2, 1, 3])
    assert math.isnan(row.loc[C, "std_performance"])
    assert row.loc[C, ["mean_performance", "median_performance", "ci_low", "ci_high"]].tolist() == [5] * 4
    assert row.loc[D].drop(["video_count", "creative_count", "face_count"]).isna().all()
    # Bootstrap quantiles land on atoms of the resampled-mean distribution: for A, P(mean = 2) = 1/27
    # < 5% < P(mean <= 8/3) = 4/27; for B, P(mean = 1) = 1/4.
    assert row.loc[A, ["ci_low", "ci_high"]].tolist() == pytest.approx([8 / 3, 16 / 3])
    assert row.loc[B, ["ci_low", "ci_high"]].tolist() == pytest.approx([1, 3])
    assert row.loc[E, ["ci_low", "ci_high"]].tolist() == [0, 0]
    assert pooled_std(metrics) == pytest.approx(math.sqrt(POOLED_VAR))
    for who in (A, B, C, E):
        assert row.loc[who, ["shrunk_mean", "shrunk_sd"]].tolist() == pytest.approx(hand_shrunk(who))


HALF_C = Z90 * math.sqrt(POOLED_VAR)  # stand-in half-width for C's single video


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("penalized", {C: 5 - 0.5 * math.sqrt(POOLED_VAR), A: 4 - 0.5 * STD_A,
                       B: 2 - 0.5 * STD_B, E: 0 - 0.5 * 0}),
        ("shrunk", {who: hand_shrunk(who)[0] - 0.5 * hand_shrunk(who)[1] for who in (C, A, B, E)}),
        ("lower_bound", {A: 8 / 3, C: 5 - HALF_C, B: 1.0, E: 0.0}),
    ],
)
def test_rank_scores_match_hand_computation(method: str, expected: dict[str, float]) -> None:
    ranked, unranked = rank(performance_metrics(hand_videos()), {"method": method})
    assert list(ranked.columns) == RANKED_COLUMNS
    assert list(ranked["influencer"]) == list(expected)  # dict order is the expected ranking
    assert list(ranked["rank"]) == [1, 2, 3, 4]
    assert ranked["score"].tolist() == pytest.approx(list(expected.values()))
    assert set(ranked["method"]) == {method}
    assert list(unranked["influencer"]) == [D]
    by_name = ranked.set_index("influencer")
    assert by_name.loc[C, ["ci_low", "ci_high"]].tolist() == pytest.approx([5 - HALF_C, 5 + HALF_C])
    # Only E's interval [0, 0] is clear of #1's (C's [2.40, 7.60] or A's [2.67, 5.33]).
    assert by_name["top_group"].to_dict() == {A: True, B: True, C: True, E: False}


def test_uncounted_rows_do_not_change_statistics() -> None:
    videos = hand_videos()
    counted_only = videos[videos["counted"] & (videos["influencer"] != D)]
    stats = ["video_count", "mean_performance", "std_performance", "median_performance",
             "min_performance", "max_performance", "ci_low", "ci_high", "shrunk_mean", "shrunk_sd"]
    full = performance_metrics(videos).set_index("influencer").drop(index=D)[stats]
    pd.testing.assert_frame_equal(full, performance_metrics(counted_only).set_index("influencer")[stats])


@pytest.mark.parametrize("method", METHODS)
def test_one_lucky_video_does_not_rank_first(method: str) -> None:
    """The lucky 0.88 beats every single video of the others. Under `penalized` this holds only
    while 0.88 < mean_A + 0.5 * (pooled std - std_A) = 0.895: the stand-in std removes the edge a
    missing spread would give, it does not penalize one video beyond that."""
    videos = pd.DataFrame(
        [(A, p) for p in (0.80, 0.81, 0.79, 0.80, 0.80)]
        + [(B, p) for p in (0.85, 0.25, 0.45, 0.65, 0.30)]
        + [(C, p) for p in (0.20, 0.80, 0.35, 0.60, 0.55)]
        + [("influencer_000", 0.88)],
        columns=["influencer", "performance"],
    ).assign(counted=True, faces=1)
    ranked, _ = rank(performance_metrics(videos), {"method": method})
    assert ranked["influencer"].iloc[0] == A


def test_seeded_reruns_match_and_seed_matters() -> None:
    rng = np.random.default_rng(1)
    videos = synthetic_videos(rng, rng.normal(0, 1, 8), rng.integers(1, 6, 8), 1.0)
    cfg = {"method": "lower_bound", "seed": 3}
    first, second = performance_metrics(videos, cfg), performance_metrics(videos, cfg)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(rank(first, cfg)[0], rank(second, cfg)[0])
    reseeded = performance_metrics(videos, {**cfg, "seed": 4})
    assert not np.allclose(first["ci_low"], reseeded["ci_low"])
    # Each influencer's interval is seeded by its own id, so dropping others leaves it unchanged.
    alone = performance_metrics(videos[videos["influencer"] == "influencer_000"], cfg)
    assert alone["ci_low"].iloc[0] == first["ci_low"].iloc[0]


def test_bootstrap_intervals_cover_true_means_near_nominal_rate() -> None:
    """n = 20 videos each: the percentile bootstrap ignores the t correction and uses the ddof=0
    spread, so it undercovers at small n (about 0.85 expected at n = 10, about 0.875 at n = 20)."""
    rng = np.random.default_rng(7)
    hits = []
    for _ in range(40):
        true_means = rng.normal(0, 1, 25)
        videos = synthetic_videos(rng, true_means, np.full(25, 20), 1.0)
        metrics = performance_metrics(videos, {"ci_level": 0.9, "seed": int(rng.integers(1000))})
        hits.extend((metrics["ci_low"] <= true_means) & (true_means <= metrics["ci_high"]))
    assert abs(np.mean(hits) - 0.9) <= 0.08


def test_shrinkage_beats_raw_means_on_mean_squared_error() -> None:
    rng = np.random.default_rng(11)
    for _ in range(5):
        true_means = rng.normal(0.5, 0.1, 100)
        videos = synthetic_videos(rng, true_means, rng.integers(1, 7, 100), 0.3)
        metrics = performance_metrics(videos, {"bootstrap_resamples": 50})
        raw_mse = np.mean((metrics["mean_performance"] - true_means) ** 2)
        shrunk_mse = np.mean((metrics["shrunk_mean"] - true_means) ** 2)
        assert shrunk_mse < raw_mse


def test_min_videos_moves_influencers_to_unranked() -> None:
    metrics = performance_metrics(hand_videos())
    ranked, unranked = rank(metrics, {"method": "penalized", "min_videos": 2})
    assert list(ranked["influencer"]) == [A, B, E]
    assert list(ranked["rank"]) == [1, 2, 3]
    assert list(unranked["influencer"]) == [C, D]
    assert list(unranked.columns) == [*METRIC_COLUMNS, "reason"]
    assert list(unranked["reason"]) == [
        "1 counted creative(s), fewer than ranking.min_videos=2",
        "no video with a valid performance counts toward their statistics",
    ]
    # Not ranked, yet still part of the pooled std and the shrinkage prior: scores are unchanged.
    everyone, _ = rank(metrics, {"method": "penalized"})
    assert ranked["score"].tolist() == everyone.set_index("influencer").loc[[A, B, E], "score"].tolist()


def test_ties_are_broken_by_influencer_id() -> None:
    videos = pd.DataFrame(
        {"influencer": [B, B, A, A], "performance": [1.0, 2.0, 1.0, 2.0], "counted": True, "faces": 1}
    )
    for method in METHODS:
        ranked, _ = rank(performance_metrics(videos), {"method": method})
        assert list(ranked["influencer"]) == [A, B]


@pytest.mark.parametrize("method", METHODS)
def test_each_method_option_sets_every_key(method: str, tmp_path: Path) -> None:
    cfg = make_config(tmp_path, [f"ranking={method}"]).ranking
    assert OmegaConf.to_container(cfg) == {
        "method": method, "unit": "creative", "std_penalty": 0.5, "min_videos": 1,
        "bootstrap_resamples": 2000, "ci_level": 0.9, "seed": 0,
        "normalize_by": None, "normalize": "ratio", "date_period": "month",
    }
    ranked, _ = rank(performance_metrics(hand_videos(), cfg), cfg)
    assert set(ranked["method"]) == {method}


def test_describe_method() -> None:
    metrics = performance_metrics(hand_videos())
    assert describe_method({"method": "penalized"}, metrics) == (
        "penalized: score = mean - 0.5 x std (one-video influencers use the pooled std 1.58)")
    assert describe_method({"method": "shrunk", "std_penalty": 1}).startswith(
        "shrunk: score = shrunk mean - 1 x posterior sd")
    assert "90% bootstrap CI" in describe_method({"method": "lower_bound", "min_videos": 3})
    assert describe_method({"min_videos": 3}).endswith("; at least 3 videos")


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ConfigError, match="ranking.method=best is not a ranking method; installed: lower_bound, penalized, shrunk"):
        rank(performance_metrics(hand_videos()), {"method": "best"})


# Two months: January is a good month (everything about doubled). A posts only in January, B only in
# February; C and D post in both and set the months' medians.
MONTHS = [
    ("2024-01-03", A, 10.0), ("2024-01-17", A, 12.0), ("2024-01-09", C, 8.0), ("2024-01-25", D, 10.0),
    ("2024-02-02", B, 7.5), ("2024-02-20", B, 6.0), ("2024-02-11", C, 4.0), ("2024-02-14", D, 5.0),
]
JAN, FEB = 10.0, 5.5  # medians of (10, 12, 8, 10) and (7.5, 6, 4, 5)


def month_sheet(tmp_path: Path, rows=MONTHS, suffix: str = ".csv") -> Sheet:
    """The rows as a real spreadsheet file (Date, Person, Performance, Video URL), read back."""
    table = pd.DataFrame(rows, columns=["Date", "Person", "Performance"])
    table["Video URL"] = [f"videos/{i}.mp4" for i in range(len(table))]
    path = tmp_path / f"sheet{suffix}"
    if suffix == ".xlsx":
        table.assign(Date=pd.to_datetime(table["Date"])).to_excel(path, index=False)  # real date cells
    else:
        table.to_csv(path, index=False)
    return read_sheet(path)


def person_rows(sheet: Sheet, performance: list[float | None] | None) -> pd.DataFrame:
    """The ranking input of the sheet's rows, `Person` as the influencer, on `performance` (the
    sheet's own when None)."""
    values = [r.performance for r in sheet.rows] if performance is None else performance
    return pd.DataFrame({"influencer": sheet.table["Person"], "performance": values, "counted": True, "faces": 1})


def rank_rows(sheet: Sheet, performance: list[float | None] | None, cfg: dict) -> pd.DataFrame:
    """The ranked table of `person_rows`."""
    return rank(performance_metrics(person_rows(sheet, performance), cfg), cfg)[0]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_normalising_by_month_removes_the_good_months_advantage(tmp_path: Path, suffix: str) -> None:
    sheet = month_sheet(tmp_path, suffix=suffix)
    assert rank_rows(sheet, None, {})["influencer"].iloc[0] == A  # raw: January's A wins
    cfg = {"normalize_by": "date", "normalize": "ratio"}  # matched like the sheet's own columns
    values = normalised_performance(sheet, cfg)
    assert values == pytest.approx([10 / JAN, 12 / JAN, 8 / JAN, 10 / JAN,
                                    7.5 / FEB, 6 / FEB, 4 / FEB, 5 / FEB])
    ranked = rank_rows(sheet, values, cfg).set_index("influencer")
    assert ranked.loc[B, "rank"] == 1 and ranked.loc[A, "rank"] == 2
    assert ranked.loc[B, "score"] == pytest.approx(1.130849, abs=1e-6)  # mean 1.227273 - 0.5 x std 0.192847
    groups = performance_groups(sheet, cfg)
    assert (groups.column, groups.dates, groups.medians) == ("Date", True, {"2024-01": JAN, "2024-02": FEB})
    assert describe_method(cfg).endswith("; performance / the median of its date group (ratio; a date column by month)")


def test_difference_normalisation_by_platform(tmp_path: Path) -> None:
    """A text column groups by its text; `difference` subtracts the median."""
    sheet = month_sheet(tmp_path, [(("TikTok" if i < 4 else "YouTube"), who, p)
                                   for i, (_, who, p) in enumerate(MONTHS)])
    cfg = {"normalize_by": "Date", "normalize": "difference"}
    values = normalised_performance(sheet, cfg)
    assert values == pytest.approx([0, 2, -2, 0, 2, 0.5, -1.5, -0.5])
    assert performance_groups(sheet, cfg).dates is False
    ranked = rank_rows(sheet, values, cfg)
    assert list(ranked["influencer"][:2]) == [B, A]
    assert ranked["score"].iloc[0] == pytest.approx(1.25 - 0.5 * np.std([2, 0.5], ddof=1))


def test_rows_without_a_date_are_compared_with_every_rows_median(tmp_path: Path) -> None:
    rows = [*MONTHS, ("", E, 9.0), ("not a date", E, 3.0), ("2024-02-28", E, None)]
    sheet = month_sheet(tmp_path, rows)
    groups = performance_groups(sheet, {"normalize_by": "Date"})
    overall = float(np.median([p for *_, p in rows if p is not None]))  # 7.75
    assert groups.labels[8:] == [None, None, "2024-02"] and groups.overall_median == overall
    assert groups.medians == {"2024-01": JAN, "2024-02": FEB}  # a blank performance adds nothing
    cfg = {"normalize_by": "Date"}
    values = normalised_performance(sheet, cfg)
    assert values[8:10] == pytest.approx([9 / overall, 3 / overall]) and values[10] is None
    metrics = performance_metrics(person_rows(sheet, values), cfg)
    about = about_table(cfg, metrics, *rank(metrics, cfg), sheet).set_index("item")["value"]
    assert about["rows without a date in Date"] == "2, compared with the median of every row (7.75): rows 9, 10"
    assert about["median of Date 2024-01"] == "10 (4 row(s))"


def test_unknown_normalize_by_column_is_a_clear_input_error(tmp_path: Path) -> None:
    sheet = month_sheet(tmp_path)
    with pytest.raises(InputError, match=r"ranking.normalize_by='Platform': .* has no such column "
                                         r"\(its columns: 'Date', 'Person', 'Performance', 'Video URL'\)"):
        normalised_performance(sheet, {"normalize_by": "Platform"})
    assert normalised_performance(sheet, {"normalize_by": None}) is None


def test_ratio_refuses_a_median_at_or_below_zero(tmp_path: Path) -> None:
    rows = [(day, who, p - 5.5 if day.startswith("2024-02") else p) for day, who, p in MONTHS]  # Feb median 0
    sheet = month_sheet(tmp_path, rows)
    with pytest.raises(InputError, match=r"some medians are not above zero \(2024-02: 0\); "
                                         r"use ranking.normalize=difference"):
        normalised_performance(sheet, {"normalize_by": "Date"})
    difference = normalised_performance(sheet, {"normalize_by": "Date", "normalize": "difference"})
    assert difference[4] == pytest.approx(7.5 - FEB)


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("normalize", "percent", "one of ratio, difference"),
    ("date_period", "fortnight", "one of day, week, month, quarter, year"),
])
def test_bad_normalisation_settings_are_rejected(key: str, value: str, allowed: str) -> None:
    with pytest.raises(ConfigError, match=f"ranking.{key}: {allowed}, got '{value}'"):
        RankingConfig.from_cfg({key: value})


def test_about_table_and_column_notes_say_what_was_done() -> None:
    metrics = performance_metrics(hand_videos())
    cfg = {"method": "shrunk", "min_videos": 2}
    ranked, unranked = rank(metrics, cfg)
    about = about_table(cfg, metrics, ranked, unranked).set_index("item")["value"]
    assert about["score"] == ("shrunk: score = shrunk mean - 0.5 x posterior sd (empirical-Bayes shrinkage toward "
                              "the grand mean); at least 2 videos")
    assert about["ranking.method"] == "shrunk" and about["ranking.std_penalty (lambda)"] == 0.5
    assert about["pooled std (sigma)"] == pytest.approx(math.sqrt(POOLED_VAR))
    assert about["shrinkage prior"].startswith(f"true means ~ N({GRAND:.4g}, {TAU2:.4g})")
    assert about["ranking.min_videos"].startswith("2: influencers with fewer counted videos are not ranked")
    assert about["top_group"].startswith(f"{int(ranked['top_group'].sum())} influencer(s)")
    assert about["ranking.normalize_by"] == "none: raw performance"
    notes = column_notes(cfg, metrics)
    assert notes["score"].startswith(describe_method(cfg, metrics))
    assert {"ci_low", "ci_high", "shrunk_mean", "shrunk_sd", "top_group"} <= set(notes)
    assert "mean_performance" not in notes
    normalised_notes = column_notes({"normalize_by": "Date"})
    assert "divided by the median of its Date group" in normalised_notes["mean_performance"]
