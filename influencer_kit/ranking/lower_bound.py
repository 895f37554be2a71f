"""`ranking.method=lower_bound`: ci_low, the lower end of the bootstrap interval of the mean; for one
video the interval collapses to a point, so mean -/+ z x pooled std stands in for it (the core
fills that stand-in in before scoring)."""
from __future__ import annotations

import pandas as pd

from influencer_kit.plugin import RankingMethod, RankingParams, hookimpl


def score(table: pd.DataFrame, params: RankingParams) -> pd.Series:
    return table["ci_low"].copy()


def describe(params: RankingParams) -> str:
    return (f"lower_bound: score = lower end of the {params.ci_level:.0%} bootstrap CI of the mean "
            f"({params.bootstrap_resamples} resamples, seed {params.seed}; "
            f"one-video influencers use mean - {params.z:.2f} x {params.pooled})")


@hookimpl
def ik_ranking_methods() -> list[RankingMethod]:
    return [RankingMethod("lower_bound", score, describe)]
