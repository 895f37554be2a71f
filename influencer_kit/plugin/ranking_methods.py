"""What a ranking-method plugin hands the core: a name, a score and a one-line description."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RankingParams:
    """The `ranking` settings a method may read, and the pooled within-influencer std."""

    std_penalty: float  # lambda: how much spread costs
    ci_level: float  # level of the bootstrap interval (ci_low, ci_high)
    z: float  # the two-sided normal quantile for ci_level (1.645 at 0.9)
    bootstrap_resamples: int
    seed: int
    pooled_std: float | None = None  # None where no metrics are at hand (a description before the run)

    @property
    def pooled(self) -> str:
        """The pooled std as a description names it: "the pooled std 0.12", or "the pooled std"."""
        return "the pooled std" if self.pooled_std is None else f"the pooled std {self.pooled_std:.2f}"


@dataclass(frozen=True)
class RankingMethod:
    """A way to score influencers (`ranking.method=<name>`); higher scores rank first.

    `score(table, params)` gets one row per ranked influencer with the columns `video_count` (the
    number of units the statistics are over: creatives under `ranking.unit=creative`, the default,
    else videos), `mean_performance`, `std_performance` (NaN for one unit), `ci_low`, `ci_high` (for one video
    the stand-in mean -/+ z x pooled std), `shrunk_mean` and `shrunk_sd`, and returns one finite
    number per row, on the table's index. A method must not let an influencer win because one video
    says nothing about their spread. `describe(params)` is one line starting with the name."""

    name: str
    score: Callable[[pd.DataFrame, RankingParams], pd.Series]
    describe: Callable[[RankingParams], str]
