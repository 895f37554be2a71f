"""`ranking.method=shrunk`: shrunk_mean - lambda x shrunk_sd, the empirical-Bayes posterior mean and
sd (`ranking.ranking._shrinkage`): few or noisy videos pull an influencer toward the grand mean."""
from __future__ import annotations

import pandas as pd

from influencer_kit.plugin import RankingMethod, RankingParams, hookimpl


def score(table: pd.DataFrame, params: RankingParams) -> pd.Series:
    return table["shrunk_mean"] - params.std_penalty * table["shrunk_sd"]


def describe(params: RankingParams) -> str:
    return (f"shrunk: score = shrunk mean - {params.std_penalty:g} x posterior sd "
            "(empirical-Bayes shrinkage toward the grand mean)")


@hookimpl
def ik_ranking_methods() -> list[RankingMethod]:
    return [RankingMethod("shrunk", score, describe)]
