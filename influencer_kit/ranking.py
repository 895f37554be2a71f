"""Per-influencer performance statistics, their uncertainty, and the ranking built on them.

`performance_metrics` turns the per-video table into one row per influencer: plain statistics,
a seeded bootstrap interval for the mean, and an empirical-Bayes shrunk mean. `rank` scores and
orders those rows with one of `METHODS`, each of which keeps an influencer with a single video
from winning just because nothing is known about their spread.
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

METHODS = ("penalized", "shrunk", "lower_bound")

STAT_COLUMNS = [
    "video_count",
    "mean_performance",
    "std_performance",
    "median_performance",
    "min_performance",
    "max_performance",
]
METRIC_COLUMNS = [
    "influencer",
    *STAT_COLUMNS,
    "face_count",
    "ci_low",
    "ci_high",
    "shrunk_mean",
    "shrunk_sd",
]
RANKED_COLUMNS = [
    "rank",
    "influencer",
    "score",
    "mean_performance",
    "std_performance",
    "video_count",
    "ci_low",
    "ci_high",
    "shrunk_mean",
    "method",
    "distinguishable_from_top",
]


@dataclass(frozen=True)
class RankingSettings:
    """The `ranking` config node, with its defaults filled in and checked."""

    method: str = "penalized"
    std_penalty: float = 0.5
    min_videos: int = 1
    bootstrap_resamples: int = 2000
    ci_level: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown ranking method {self.method!r}; choose one of {METHODS}")
        if not 0 < self.ci_level < 1:
            raise ValueError(f"ci_level must lie strictly between 0 and 1, got {self.ci_level}")
        if self.bootstrap_resamples < 1:
            raise ValueError("bootstrap_resamples must be at least 1")

    @classmethod
    def from_cfg(cls, cfg: Any = None) -> RankingSettings:
        """Read a DictConfig, a mapping or any object with attributes; missing keys keep defaults."""
        if cfg is None:
            return cls()
        if isinstance(cfg, Mapping):
            values = {f.name: cfg.get(f.name) for f in fields(cls)}
        else:
            values = {f.name: getattr(cfg, f.name, None) for f in fields(cls)}
        return cls(**{name: value for name, value in values.items() if value is not None})

    @property
    def z(self) -> float:
        """Two-sided normal quantile for `ci_level` (1.645 at 0.9)."""
        return float(norm.ppf(0.5 + self.ci_level / 2))


def performance_metrics(videos: pd.DataFrame, cfg: Any = None) -> pd.DataFrame:
    """One row per influencer (sorted by id) with statistics over their counted videos.

    Rows without an influencer are ignored. Rows with `counted` False (or a NaN performance) add
    to `face_count` only; an influencer with no counted row keeps video_count 0 and NaN stats.
    `ci_low`/`ci_high` are a percentile bootstrap interval of the mean, seeded per influencer from
    `cfg.seed` and the id, so an influencer's interval does not depend on who else is in the table.
    `shrunk_mean`/`shrunk_sd` come from `_shrinkage`.
    """
    settings = RankingSettings.from_cfg(cfg)
    rows = _attributed_rows(videos)
    groups = rows.groupby("influencer", sort=True)
    records = []
    for name, group in groups:
        values = group.loc[group["counted"], "performance"].to_numpy(float)
        records.append({"influencer": name, **_summary(values), **_bootstrap_ci(values, name, settings)})
    table = pd.DataFrame.from_records(
        records, columns=["influencer", *STAT_COLUMNS, "ci_low", "ci_high"]
    ).astype({"video_count": int})
    table["face_count"] = groups["faces"].sum().to_numpy(dtype=int)
    table["shrunk_mean"], table["shrunk_sd"] = _shrinkage(table)
    return table[METRIC_COLUMNS]


def pooled_std(metrics: pd.DataFrame) -> float:
    """Within-influencer std pooled over influencers with >= 2 videos.

    Falls back to the std of all counted videos when nobody has two, and to 0 when there are
    fewer than two videos in all.
    """
    return float(np.sqrt(_pooled_variance(metrics)))


def rank(metrics: pd.DataFrame, cfg: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score and order influencers, best first; return (ranked, unranked).

    Methods (lambda = `std_penalty`, z the normal quantile for `ci_level`, p = `pooled_std`):
      - penalized:   mean - lambda * std. An influencer with one video has no std of their own and
                     is charged the pooled std p instead, so a missing spread is never an
                     advantage over influencers who pay for their measured one.
      - shrunk:      shrunk_mean - lambda * shrunk_sd (empirical-Bayes posterior mean and sd).
      - lower_bound: ci_low, the lower end of the bootstrap interval; for one video the bootstrap
                     interval collapses to a point, so mean -/+ z * p stands in for it.
    The `ci_low`/`ci_high` columns show the interval actually used (the stand-in for one-video
    influencers). `distinguishable_from_top` is True when that interval does not overlap #1's.
    Ties are broken by influencer id. Influencers with fewer than `min_videos` counted videos (and
    always those with none) go to the unranked table, which keeps the metrics columns.
    """
    settings = RankingSettings.from_cfg(cfg)
    eligible = metrics["video_count"] >= max(settings.min_videos, 1)
    unranked = metrics.loc[~eligible].sort_values("influencer").reset_index(drop=True)
    pooled = pooled_std(metrics)
    table = _with_stand_in_interval(metrics.loc[eligible], settings.z * pooled)
    table["score"] = _score(table, settings, pooled)
    table = table.sort_values(["score", "influencer"], ascending=[False, True], kind="mergesort")
    table = table.reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    table["method"] = settings.method
    table["distinguishable_from_top"] = _distinguishable_from_top(table)
    return table[RANKED_COLUMNS], unranked


def describe_method(cfg: Any = None, metrics: pd.DataFrame | None = None) -> str:
    """One line saying how scores are computed; gives the pooled std's value when `metrics` is passed."""
    settings = RankingSettings.from_cfg(cfg)
    pooled = "the pooled std" if metrics is None else f"the pooled std {pooled_std(metrics):.2f}"
    lam = f"{settings.std_penalty:g}"
    if settings.method == "penalized":
        text = f"penalized: score = mean - {lam} x std (one-video influencers use {pooled})"
    elif settings.method == "shrunk":
        text = (
            f"shrunk: score = shrunk mean - {lam} x posterior sd "
            "(empirical-Bayes shrinkage toward the grand mean)"
        )
    else:
        text = (
            f"lower_bound: score = lower end of the {settings.ci_level:.0%} bootstrap CI of the mean "
            f"({settings.bootstrap_resamples} resamples, seed {settings.seed}; "
            f"one-video influencers use mean - {settings.z:.2f} x {pooled})"
        )
    return text if settings.min_videos <= 1 else f"{text}; at least {settings.min_videos} videos"


def _attributed_rows(videos: pd.DataFrame) -> pd.DataFrame:
    """Rows that have an influencer, with clean dtypes; a NaN performance is never counted."""
    names = videos["influencer"]
    has_name = names.notna() & (names.astype(str).str.strip() != "")
    rows = pd.DataFrame(
        {
            "influencer": names[has_name].astype(str).to_numpy(),
            "performance": pd.to_numeric(videos.loc[has_name, "performance"]).to_numpy(float),
            "counted": videos.loc[has_name, "counted"].fillna(False).astype(bool).to_numpy(),
            "faces": pd.to_numeric(videos.loc[has_name, "faces"]).fillna(0).to_numpy(),
        }
    )
    rows["counted"] &= rows["performance"].notna()
    return rows


def _summary(values: np.ndarray) -> dict[str, float]:
    """Count, mean, sample std (NaN below two values), median, min and max of `values`."""
    if len(values) == 0:
        return {"video_count": 0} | {column: np.nan for column in STAT_COLUMNS[1:]}
    return {
        "video_count": len(values),
        "mean_performance": float(values.mean()),
        "std_performance": float(values.std(ddof=1)) if len(values) > 1 else np.nan,
        "median_performance": float(np.median(values)),
        "min_performance": float(values.min()),
        "max_performance": float(values.max()),
    }


def _bootstrap_ci(values: np.ndarray, influencer: str, settings: RankingSettings) -> dict[str, float]:
    """Percentile bootstrap interval of the mean of `values` (NaN when empty)."""
    if len(values) == 0:
        return {"ci_low": np.nan, "ci_high": np.nan}
    rng = np.random.default_rng([settings.seed, zlib.crc32(influencer.encode())])
    picks = rng.integers(0, len(values), size=(settings.bootstrap_resamples, len(values)))
    tail = (1 - settings.ci_level) / 2 * 100
    low, high = np.percentile(values[picks].mean(axis=1), [tail, 100 - tail])
    return {"ci_low": float(low), "ci_high": float(high)}


def _pooled_variance(metrics: pd.DataFrame) -> float:
    """Square of `pooled_std`, computed from each influencer's count, mean and std."""
    seen = metrics[metrics["video_count"] > 0]
    n = seen["video_count"].to_numpy(float)
    dof = n - 1
    if dof.sum() > 0:
        within = np.nan_to_num(seen["std_performance"].to_numpy(float)) ** 2
        return float((dof * within).sum() / dof.sum())
    if n.sum() >= 2:  # everyone has one video: the means are the videos
        return float(seen["mean_performance"].var(ddof=1))
    return 0.0


def _shrinkage(metrics: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Normal-normal empirical-Bayes posterior mean and sd of each influencer's true mean.

    Model: video ~ N(theta_i, sigma^2), theta_i ~ N(grand mean, tau^2), with sigma^2 the pooled
    within-influencer variance, the grand mean that of all counted videos, and tau^2 fitted by
    method of moments: max(0, var of influencer means - mean of sigma^2 / n_i). With
    v_i = sigma^2 / n_i the weight is w_i = tau^2 / (tau^2 + v_i) (0 when tau^2 = 0), the posterior
    mean w_i * mean_i + (1 - w_i) * grand mean and the posterior sd sqrt(1 / (1/tau^2 + 1/v_i)),
    i.e. sqrt(w_i * v_i). The grand mean and tau^2 are treated as known.
    """
    n = metrics["video_count"].to_numpy(float)
    means = metrics["mean_performance"].to_numpy(float)
    seen = n > 0
    if not seen.any():
        return pd.Series(np.nan, index=metrics.index), pd.Series(np.nan, index=metrics.index)
    sigma2 = _pooled_variance(metrics)
    grand = float((n[seen] * means[seen]).sum() / n[seen].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        noise = np.where(seen, sigma2 / n, np.nan)
    spread = float(np.var(means[seen], ddof=1)) if seen.sum() > 1 else 0.0
    tau2 = max(0.0, spread - float(np.nanmean(noise)))
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(tau2 + noise > 0, tau2 / (tau2 + noise), 0.0)
    shrunk_mean = weight * means + (1 - weight) * grand
    shrunk_sd = np.sqrt(weight * noise)
    return pd.Series(shrunk_mean, index=metrics.index), pd.Series(shrunk_sd, index=metrics.index)


def _with_stand_in_interval(metrics: pd.DataFrame, half_width: float) -> pd.DataFrame:
    """Copy of `metrics` where one-video influencers get the interval mean -/+ `half_width`."""
    table = metrics.copy()
    single = table["video_count"] == 1
    table.loc[single, "ci_low"] = table.loc[single, "mean_performance"] - half_width
    table.loc[single, "ci_high"] = table.loc[single, "mean_performance"] + half_width
    return table


def _score(table: pd.DataFrame, settings: RankingSettings, pooled: float) -> pd.Series:
    """The score of each row under `settings.method` (higher is better)."""
    if settings.method == "penalized":
        spread = table["std_performance"].where(table["video_count"] > 1, pooled)
        return table["mean_performance"] - settings.std_penalty * spread
    if settings.method == "shrunk":
        return table["shrunk_mean"] - settings.std_penalty * table["shrunk_sd"]
    return table["ci_low"].copy()


def _distinguishable_from_top(ranked: pd.DataFrame) -> pd.Series:
    """True where a row's interval lies entirely apart from the #1 row's interval."""
    if ranked.empty:
        return pd.Series(False, index=ranked.index, dtype=bool)
    top = ranked.iloc[0]
    overlaps = (ranked["ci_low"] <= top["ci_high"]) & (ranked["ci_high"] >= top["ci_low"])
    return ~overlaps
