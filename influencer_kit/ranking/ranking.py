"""Per-influencer performance statistics, their uncertainty, and the ranking built on them.

`performance_metrics` turns the per-video table into one row per influencer: plain statistics,
a seeded bootstrap interval for the mean, and an empirical-Bayes shrunk mean. Their unit is
`ranking.unit`: a creative (the default: the variants of one creative are averaged first, so one
footage cut five ways is one piece of evidence) or a video. `rank` scores and
orders those rows with the ranking method `ranking.method` names (one module each, registered as
plugins: `penalized.py`, `shrunk.py`, `lower_bound.py`), each of which keeps an influencer with a
single video from winning just because nothing is known about their spread.
"""
from __future__ import annotations

import datetime
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from scipy.stats import norm

from influencer_kit.errors import InputError, require
from influencer_kit.inputs.cells import cell_text, is_blank
from influencer_kit.inputs.columns import normalise
from influencer_kit.model import Sheet
from influencer_kit.plugin import RankingParams
from influencer_kit.plugin.manager import ranking_method

NORMALIZE_MODES = ("ratio", "difference")
UNITS = ("creative", "video")  # what the statistics count (`ranking.unit`)
DATE_PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}  # pandas period codes

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
    "creative_count",
]
RANKED_COLUMNS = [
    "rank",
    "influencer",
    "score",
    "mean_performance",
    "std_performance",
    "video_count",
    "creative_count",
    "ci_low",
    "ci_high",
    "shrunk_mean",
    "shrunk_sd",
    "method",
    "top_group",
]


@dataclass
class RankingConfig:
    """`ranking`: how influencers are scored and ordered; `ranking=<method>` picks the method."""

    method: str = "penalized"  # an installed ranking method (a plugin: ranking/penalized.py...)
    unit: str = "creative"  # what the statistics count: creative (variants averaged first) or video
    std_penalty: float = 0.5  # lambda: how much spread (std, or posterior sd for shrunk) costs
    min_videos: int = 1  # fewer counted units (videos, or creatives: `unit`): listed as not ranked, never ranked
    bootstrap_resamples: int = 2000
    ci_level: float = 0.9
    seed: int = 0
    normalize_by: str | None = None  # an input column (e.g. Date or Platform): performance relative to its
    # group's median
    normalize: str = "ratio"  # ratio (performance / median) or difference (performance - median)
    date_period: str = "month"  # a date column is grouped by day, week, month, quarter or year

    def __post_init__(self) -> None:
        ranking_method(self.method)  # an unknown name lists the installed methods
        require(self.std_penalty >= 0, "ranking.std_penalty", "a number, 0 or more", self.std_penalty)
        require(self.min_videos >= 1, "ranking.min_videos", "a whole number, 1 or more", self.min_videos)
        require(self.bootstrap_resamples >= 1, "ranking.bootstrap_resamples", "a whole number, 1 or more",
                self.bootstrap_resamples)
        require(0 < self.ci_level < 1, "ranking.ci_level", "a number strictly between 0 and 1", self.ci_level)
        require(self.unit in UNITS, "ranking.unit", f"one of {', '.join(UNITS)}", self.unit)
        require(self.normalize in NORMALIZE_MODES, "ranking.normalize", f"one of {', '.join(NORMALIZE_MODES)}",
                self.normalize)
        require(self.date_period in DATE_PERIODS, "ranking.date_period", f"one of {', '.join(DATE_PERIODS)}",
                self.date_period)

    @classmethod
    def from_cfg(cls, cfg: Any = None) -> RankingConfig:
        """The settings of a `ranking` node, a mapping of some of its keys (the rest keep their
        defaults), or None (every default); typed and checked as the CLI checks them."""
        if isinstance(cfg, cls):
            return cfg
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(cls), cfg or {}))

    @property
    def z(self) -> float:
        """Two-sided normal quantile for `ci_level` (1.645 at 0.9)."""
        return float(norm.ppf(0.5 + self.ci_level / 2))

    def params(self, pooled: float | None) -> RankingParams:
        """What a ranking method reads, with the pooled std (None where there are no metrics)."""
        return RankingParams(self.std_penalty, self.ci_level, self.z, self.bootstrap_resamples, self.seed, pooled)


def performance_metrics(videos: pd.DataFrame, cfg: Any = None) -> pd.DataFrame:
    """One row per influencer (sorted by id) with statistics over their counted videos.

    Rows without an influencer are ignored. Rows with `counted` False (or a NaN performance) add
    to `face_count` only; an influencer with no counted row keeps video_count 0 and NaN stats.
    `video_count` counts their counted rows, `creative_count` the creatives among them (a row's
    `creative`; without that column each row is a creative of its own). The statistics are over
    `ranking.unit`: each creative's mean performance (its variants averaged), or each video's.
    `ci_low`/`ci_high` are a percentile bootstrap interval of the mean, seeded per influencer from
    `cfg.seed` and the id, so an influencer's interval does not depend on who else is in the table.
    `shrunk_mean`/`shrunk_sd` come from `_shrinkage`.
    """
    settings = RankingConfig.from_cfg(cfg)
    rows = _attributed_rows(videos)
    groups = rows.groupby("influencer", sort=True)
    records = []
    for name, group in groups:
        counted = group.loc[group["counted"]]
        values = _unit_values(counted, settings.unit)
        records.append({"influencer": name, **_summary(values), "video_count": len(counted),
                        "creative_count": counted["creative"].nunique(), **_bootstrap_ci(values, name, settings)})
    table = pd.DataFrame.from_records(
        records, columns=["influencer", *STAT_COLUMNS, "ci_low", "ci_high", "creative_count"]
    ).astype({"video_count": int, "creative_count": int})
    table["face_count"] = groups["faces"].sum().to_numpy(dtype=int)
    table["shrunk_mean"], table["shrunk_sd"] = _shrinkage(table, settings.unit)
    return table[METRIC_COLUMNS]


def unit_counts(metrics: pd.DataFrame, unit: str = "creative") -> pd.Series:
    """How many units (`ranking.unit`) each influencer's statistics are over: `creative_count`, or
    `video_count` (also where a table has no `creative_count`)."""
    column = "creative_count" if unit == "creative" and "creative_count" in metrics else "video_count"
    return metrics[column]


def pooled_std(metrics: pd.DataFrame, unit: str = "creative") -> float:
    """Within-influencer std pooled over influencers with >= 2 units (`unit_counts`).

    Falls back to the std of all counted units when nobody has two, and to 0 when there are
    fewer than two units in all.
    """
    return float(np.sqrt(_pooled_variance(metrics, unit)))


def shrinkage_prior(metrics: pd.DataFrame, unit: str = "creative") -> tuple[float, float]:
    """The prior `_shrinkage` fits: (grand mean, tau^2), NaN and 0 when no video counts."""
    n = unit_counts(metrics, unit).to_numpy(float)
    means = metrics["mean_performance"].to_numpy(float)
    seen = n > 0
    if not seen.any():
        return float("nan"), 0.0
    grand = float((n[seen] * means[seen]).sum() / n[seen].sum())
    spread = float(np.var(means[seen], ddof=1)) if seen.sum() > 1 else 0.0
    return grand, max(0.0, spread - float(np.nanmean(_noise_variance(metrics, unit))))


def rank(metrics: pd.DataFrame, cfg: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score and order influencers, best first; return (ranked, unranked).

    The score is the `ranking.method`'s (`penalized.py`, `shrunk.py`, `lower_bound.py`, or a
    plugin's; it sees `video_count` as the number of units, `ranking.unit`). For one unit the
    bootstrap interval collapses to a point, so mean -/+ z x pooled std
    stands in for it (z the normal quantile for `ci_level`). The `ci_low`/`ci_high` columns show the interval actually used (the stand-in for one-video
    influencers). `top_group` is True for #1 and everyone whose interval overlaps #1's: the
    influencers not distinguishable from #1. Ties are broken by influencer id. Influencers with
    fewer than `min_videos` counted videos (and always those with none) go to the unranked table,
    which keeps the metrics columns and adds `reason`; they still count toward the pooled std and
    the shrinkage prior.
    """
    settings = RankingConfig.from_cfg(cfg)
    units = unit_counts(metrics, settings.unit)
    eligible = units >= max(settings.min_videos, 1)
    unranked = metrics.loc[~eligible].sort_values("influencer").reset_index(drop=True)
    unranked["reason"] = [_why_not_ranked(n, settings.min_videos, settings.unit)
                          for n in unit_counts(unranked, settings.unit)]
    pooled = pooled_std(metrics, settings.unit)
    table = _with_stand_in_interval(metrics.loc[eligible], settings.z * pooled, units[eligible])
    table["score"] = ranking_method(settings.method).score(table.assign(video_count=units[eligible]),
                                                           settings.params(pooled))
    table = table.sort_values(["score", "influencer"], ascending=[False, True], kind="mergesort")
    table = table.reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    table["method"] = settings.method
    table["top_group"] = _in_top_group(table)
    return table[RANKED_COLUMNS], unranked


def describe_method(cfg: Any = None, metrics: pd.DataFrame | None = None) -> str:
    """One line saying how scores are computed; gives the pooled std's value when `metrics` is passed."""
    settings = RankingConfig.from_cfg(cfg)
    pooled = None if metrics is None else pooled_std(metrics, settings.unit)
    text = ranking_method(settings.method).describe(settings.params(pooled))
    if settings.normalize_by:
        operator = "/" if settings.normalize == "ratio" else "-"
        text += (f"; performance {operator} the median of its {settings.normalize_by} group "
                 f"({settings.normalize}; a date column by {settings.date_period})")
    return text if settings.min_videos <= 1 else f"{text}; at least {settings.min_videos} videos"


@dataclass(frozen=True)
class PerformanceGroups:
    """Each input row's group under `ranking.normalize_by` and the medians rows are compared with."""

    column: str  # the input column, as the sheet spells it
    dates: bool  # the column holds dates, grouped by `date_period`
    labels: list[str | None]  # per input row: its group, None where blank or not a date
    medians: dict[str, float]  # per group: the median of its rows' valid performance
    sizes: dict[str, int]  # per group: how many rows with a valid performance it has
    overall_median: float  # of every valid performance: the baseline of rows without a group

    def baseline(self, label: str | None) -> float:
        """The median a row of group `label` is compared with."""
        return self.medians.get(label, self.overall_median) if label else self.overall_median


def performance_groups(sheet: Sheet, cfg: Any = None) -> PerformanceGroups | None:
    """The groups of `ranking.normalize_by` (None when unset), checked against the sheet.

    The column is matched like the sheet's own (`columns.normalise`). It is a date column when most
    of its non-blank cells are dates (Excel dates or text such as 2024-03-15); those are grouped by
    `date_period`, anything else by its text. Medians are over every input row with a valid
    performance, whether or not a face is found in its video. Raises `InputError` for a missing
    column, and for `normalize: ratio` with a median at or below zero (the ratio would flip order).
    """
    settings = RankingConfig.from_cfg(cfg)
    if not settings.normalize_by:
        return None
    column = _group_column(sheet, settings.normalize_by)
    labels, dates = _group_labels(sheet.table[column], settings.date_period)
    valid = pd.DataFrame({"label": labels, "performance": [r.performance for r in sheet.rows]}).dropna(
        subset=["performance"])
    grouped = valid.dropna(subset=["label"]).groupby("label")["performance"]
    groups = PerformanceGroups(
        column=column, dates=dates, labels=labels,
        medians={k: float(v) for k, v in grouped.median().items()},
        sizes={k: int(v) for k, v in grouped.size().items()},
        overall_median=float(valid["performance"].median()) if len(valid) else float("nan"),
    )
    if settings.normalize == "ratio":
        _check_positive_medians(groups, valid["label"].isna().any(), sheet.path)
    return groups


def normalised_performance(sheet: Sheet, cfg: Any = None) -> list[float | None] | None:
    """Each input row's performance relative to its group's median (`ranking.normalize`: ratio is
    performance / median, difference performance - median); None where the row has no valid
    performance. A row whose group value is blank (or, in a date column, not a date) is compared
    with the median of every row. Returns None when `ranking.normalize_by` is unset."""
    groups = performance_groups(sheet, cfg)
    if groups is None:
        return None
    ratio = RankingConfig.from_cfg(cfg).normalize == "ratio"
    values: list[float | None] = []
    for row, label in zip(sheet.rows, groups.labels):
        base = groups.baseline(label)
        values.append(None if row.performance is None else
                      row.performance / base if ratio else row.performance - base)
    return values


def column_notes(cfg: Any = None, metrics: pd.DataFrame | None = None) -> dict[str, str]:
    """What the ranking columns mean, for comments on the workbooks' header cells."""
    settings = RankingConfig.from_cfg(cfg)
    interval = (f"{settings.ci_level:.0%} percentile-bootstrap interval of the mean "
                f"({settings.bootstrap_resamples} resamples, seed {settings.seed}). With one video there is "
                f"nothing to resample: PerformanceMetrics shows the video's value, Ranked_Influencers the "
                f"stand-in mean -/+ {settings.z:.2f} x pooled std.")
    notes = {
        "score": f"{describe_method(cfg, metrics)}. Higher is better; the About sheet has the details.",
        "ci_low": interval,
        "ci_high": interval,
        "shrunk_mean": ("Empirical-Bayes estimate of the true mean: the raw mean pulled toward the overall "
                        "mean, the more so the fewer and noisier the videos (prior fitted from all "
                        "influencers)."),
        "shrunk_sd": "Posterior standard deviation of shrunk_mean.",
        "top_group": ("TRUE for #1 and everyone whose interval (ci_low to ci_high) overlaps #1's: "
                      "not distinguishable from #1 with this data."),
        "creative_count": ("Creatives among the counted videos: variants of one footage (re-cut, re-encoded, "
                           "cropped, captioned) are one creative. "
                           + ("The statistics count creatives, each its variants' mean (ranking.unit=creative)."
                              if settings.unit == "creative" else "The statistics count videos (ranking.unit=video).")),
    }
    if settings.normalize_by:
        operator = "divided by" if settings.normalize == "ratio" else "minus"
        notes["mean_performance"] = (f"Performance statistics are relative: each video's performance "
                                     f"{operator} the median of its {settings.normalize_by} group.")
    return notes


def about_table(cfg: Any, metrics: pd.DataFrame, ranked: pd.DataFrame, unranked: pd.DataFrame,
                sheet: Sheet | None = None) -> pd.DataFrame:
    """The ranking's settings and rules as `item`/`value` rows, for the workbook's About sheet;
    with `sheet`, also the normalisation's groups and their medians."""
    settings = RankingConfig.from_cfg(cfg)
    grand, tau2 = shrinkage_prior(metrics, settings.unit)
    rows: list[tuple[str, object]] = [
        ("score", describe_method(cfg, metrics)),
        ("ranking.method", settings.method),
        ("ranking.unit", f"{settings.unit}: " + ("each creative's variants are averaged first, so the statistics "
                                                 "count creatives" if settings.unit == "creative" else
                                                 "every counted video counts, variants of one creative included")),
        ("ranking.std_penalty (lambda)", settings.std_penalty),
        ("ranking.ci_level", settings.ci_level),
        ("ranking.bootstrap_resamples", settings.bootstrap_resamples),
        ("ranking.seed", settings.seed),
        ("pooled std (sigma)", pooled_std(metrics, settings.unit)),
        ("shrinkage prior", f"true means ~ N({grand:.4g}, {tau2:.4g}): the mean of every counted video "
                            f"and the spread of the influencers' means beyond their noise"),
        ("ranking.min_videos", f"{settings.min_videos}: influencers with fewer counted videos are not ranked; "
                               f"they are on the 'Not ranked' sheet ({len(unranked)} influencer(s))"),
        ("ranked influencers", len(ranked)),
        ("top_group", f"{int(ranked['top_group'].sum())} influencer(s), #1 included, "
                      f"whose {settings.ci_level:.0%} interval overlaps #1's: not distinguishable from #1"),
        ("ranking.normalize_by", settings.normalize_by or "none: raw performance"),
    ]
    groups = performance_groups(sheet, cfg) if sheet is not None else None
    if groups is not None:
        rows += _normalisation_rows(groups, settings)
    return pd.DataFrame(rows, columns=["item", "value"])


def _attributed_rows(videos: pd.DataFrame) -> pd.DataFrame:
    """Rows that have an influencer, with clean dtypes; a NaN performance is never counted."""
    names = videos["influencer"]
    has_name = names.notna() & (names.astype(str).str.strip() != "")
    own = pd.Series([f"row {i}" for i in range(len(videos))], index=videos.index)  # no creative: its own
    creative = videos["creative"].where(videos["creative"].astype(str) != "", own) if "creative" in videos else own
    rows = pd.DataFrame(
        {
            "influencer": names[has_name].astype(str).to_numpy(),
            "creative": creative[has_name].astype(str).to_numpy(),
            "performance": pd.to_numeric(videos.loc[has_name, "performance"]).to_numpy(float),
            "counted": videos.loc[has_name, "counted"].fillna(False).astype(bool).to_numpy(),
            "faces": pd.to_numeric(videos.loc[has_name, "faces"]).fillna(0).to_numpy(),
        }
    )
    rows["counted"] &= rows["performance"].notna()
    return rows


def _unit_values(counted: pd.DataFrame, unit: str) -> np.ndarray:
    """The values the statistics are over: each video's performance, or each creative's mean."""
    if unit == "video":
        return counted["performance"].to_numpy(float)
    return counted.groupby("creative", sort=False)["performance"].mean().to_numpy(float)


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


def _bootstrap_ci(values: np.ndarray, influencer: str, settings: RankingConfig) -> dict[str, float]:
    """Percentile bootstrap interval of the mean of `values` (NaN when empty)."""
    if len(values) == 0:
        return {"ci_low": np.nan, "ci_high": np.nan}
    rng = np.random.default_rng([settings.seed, zlib.crc32(influencer.encode())])
    picks = rng.integers(0, len(values), size=(settings.bootstrap_resamples, len(values)))
    tail = (1 - settings.ci_level) / 2 * 100
    low, high = np.percentile(values[picks].mean(axis=1), [tail, 100 - tail])
    return {"ci_low": float(low), "ci_high": float(high)}


def _pooled_variance(metrics: pd.DataFrame, unit: str) -> float:
    """Square of `pooled_std`, computed from each influencer's count, mean and std."""
    counts = unit_counts(metrics, unit)
    seen = metrics[counts > 0]
    n = counts[counts > 0].to_numpy(float)
    dof = n - 1
    if dof.sum() > 0:
        within = np.nan_to_num(seen["std_performance"].to_numpy(float)) ** 2
        return float((dof * within).sum() / dof.sum())
    if n.sum() >= 2:  # everyone has one video: the means are the videos
        return float(seen["mean_performance"].var(ddof=1))
    return 0.0


def _shrinkage(metrics: pd.DataFrame, unit: str) -> tuple[pd.Series, pd.Series]:
    """Normal-normal empirical-Bayes posterior mean and sd of each influencer's true mean.

    Model: video ~ N(theta_i, sigma^2), theta_i ~ N(grand mean, tau^2), with sigma^2 the pooled
    within-influencer variance, the grand mean that of all counted videos, and tau^2 fitted by
    method of moments: max(0, var of influencer means - mean of sigma^2 / n_i). With
    v_i = sigma^2 / n_i the weight is w_i = tau^2 / (tau^2 + v_i) (0 when tau^2 = 0), the posterior
    mean w_i * mean_i + (1 - w_i) * grand mean and the posterior sd sqrt(1 / (1/tau^2 + 1/v_i)),
    i.e. sqrt(w_i * v_i). The grand mean and tau^2 are treated as known.
    """
    means = metrics["mean_performance"].to_numpy(float)
    if not (metrics["video_count"] > 0).any():
        return pd.Series(np.nan, index=metrics.index), pd.Series(np.nan, index=metrics.index)
    grand, tau2 = shrinkage_prior(metrics, unit)
    noise = _noise_variance(metrics, unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(tau2 + noise > 0, tau2 / (tau2 + noise), 0.0)
    shrunk_mean = weight * means + (1 - weight) * grand
    shrunk_sd = np.sqrt(weight * noise)
    return pd.Series(shrunk_mean, index=metrics.index), pd.Series(shrunk_sd, index=metrics.index)


def _noise_variance(metrics: pd.DataFrame, unit: str) -> np.ndarray:
    """sigma^2 / n_i per influencer (NaN for those with no counted video)."""
    n = unit_counts(metrics, unit).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, _pooled_variance(metrics, unit) / n, np.nan)


def _group_column(sheet: Sheet, wanted: str) -> str:
    """The sheet's column named `wanted` (exactly, else ignoring case, spaces and underscores)."""
    columns = [str(c) for c in sheet.table.columns]
    if wanted in columns:
        return wanted
    matches = [c for c in columns if normalise(c) == normalise(wanted)]
    if len(matches) == 1:
        return matches[0]
    problem = (f"several columns match it ({', '.join(map(repr, matches))}); write one exactly" if matches else
               f"it has no such column (its columns: {', '.join(map(repr, columns))})")
    raise InputError(f"ranking.normalize_by={wanted!r}: {sheet.path} cannot be grouped by it: {problem}; "
                     "or set ranking.normalize_by=null to rank raw performance")


def _group_labels(values: pd.Series, period: str) -> tuple[list[str | None], bool]:
    """Each cell's group (None when blank or, in a date column, not a date) and whether the column
    holds dates: more than half of its non-blank cells are dates."""
    present = ~values.map(is_blank)
    candidates = values.map(lambda v: v if isinstance(v, (str, datetime.date)) else None)
    stamps = pd.to_datetime(candidates, errors="coerce", format="mixed", utc=True)
    if present.any() and stamps[present].notna().mean() > 0.5:
        periods = stamps.dt.tz_localize(None).dt.to_period(DATE_PERIODS[period])
        return [None if pd.isna(p) else str(p) for p in periods], True
    return [cell_text(v) or None for v in values], False


def _check_positive_medians(groups: PerformanceGroups, any_without_group: bool, path: object) -> None:
    """`normalize: ratio` divides by the medians, so each one used must be above zero."""
    used = dict(groups.medians)
    if any_without_group:
        used["rows without a group"] = groups.overall_median
    bad = {label: median for label, median in used.items() if not median > 0}
    if bad:
        listed = ", ".join(f"{label}: {median:g}" for label, median in sorted(bad.items()))
        raise InputError(f"ranking.normalize=ratio divides each performance by its {groups.column} group's "
                         f"median, but in {path} some medians are not above zero ({listed}); "
                         "use ranking.normalize=difference")


def _normalisation_rows(groups: PerformanceGroups, settings: RankingConfig) -> list[tuple[str, object]]:
    """About-sheet rows: how performance was normalised, each group's median, the rows without one."""
    how = "performance / median" if settings.normalize == "ratio" else "performance - median"
    kind = f"dates grouped by {settings.date_period}" if groups.dates else "grouped by text"
    rows: list[tuple[str, object]] = [
        ("normalisation", f"{how} of the row's {groups.column} group ({kind}); the medians are over every "
                          "input row with a valid performance"),
    ]
    rows += [(f"median of {groups.column} {label}", f"{median:.6g} ({groups.sizes[label]} row(s))")
             for label, median in sorted(groups.medians.items())]
    missing = [i for i, label in enumerate(groups.labels, start=1) if label is None]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        what = "a date" if groups.dates else "a value"
        rows.append((f"rows without {what} in {groups.column}",
                     f"{len(missing)}, compared with the median of every row ({groups.overall_median:.6g}): "
                     f"rows {shown}"))
    return rows


def _with_stand_in_interval(metrics: pd.DataFrame, half_width: float, units: pd.Series) -> pd.DataFrame:
    """Copy of `metrics` where influencers of one unit (`units`) get the interval mean -/+ `half_width`."""
    table = metrics.copy()
    single = units == 1
    table.loc[single, "ci_low"] = table.loc[single, "mean_performance"] - half_width
    table.loc[single, "ci_high"] = table.loc[single, "mean_performance"] + half_width
    return table


def _in_top_group(ranked: pd.DataFrame) -> pd.Series:
    """True where a row's interval overlaps the #1 row's interval (always for #1 itself)."""
    if ranked.empty:
        return pd.Series(False, index=ranked.index, dtype=bool)
    top = ranked.iloc[0]
    return (ranked["ci_low"] <= top["ci_high"]) & (ranked["ci_high"] >= top["ci_low"])


def _why_not_ranked(count: int, min_videos: int, unit: str) -> str:
    """The unranked table's `reason` for an influencer with `count` counted units (`ranking.unit`)."""
    if count == 0:
        return "no video with a valid performance counts toward their statistics"
    return f"{count} counted {unit}(s), fewer than ranking.min_videos={min_videos}"
