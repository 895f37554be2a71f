"""`ranking.method=penalized` (the default): mean - lambda x std. An influencer with one video has no
std of their own and is charged the pooled std instead, so a missing spread is never an advantage
over influencers who pay for their measured one."""
from __future__ import annotations

import pandas as pd

from influencer_kit.plugin import RankingMethod, RankingParams, hookimpl


def score(table: pd.DataFrame, params: RankingParams) -> pd.Series:
    spread = table["std_performance"].where(table["video_count"] > 1, params.pooled_std)
    return table["mean_performance"] - params.std_penalty * spread


def describe(params: RankingParams) -> str:
    return f"penalized: score = mean - {params.std_penalty:g} x std (one-video influencers use {params.pooled})"


@hookimpl
def ik_ranking_methods() -> list[RankingMethod]:
    return [RankingMethod("penalized", score, describe)]
