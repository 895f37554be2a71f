"""The numbers a run reports (and logs to MLflow): rows by status, work done, cluster quality, and
notes that say why a score is missing."""
from __future__ import annotations

from collections import Counter

import numpy as np
from omegaconf import DictConfig

from influencer_kit.experiment.evaluation import external_scores, internal_scores
from influencer_kit.inputs.columns import normalise
from influencer_kit.model import UNANALYSED, Status
from influencer_kit.ranking import ranking

STATUSES = tuple(Status)


def run_metrics(result, cfg: DictConfig) -> tuple[dict[str, float], dict[str, str]]:
    """The run's metrics, and a note per topic whose scores are undefined for this run (and one
    listing the registry corrections this run was the first to apply)."""
    videos = result.videos
    counts = videos["status"].value_counts()
    people = [a.person for a in result.appearances]
    per_person = Counter(people)
    metrics: dict[str, float] = {
        "rows": len(videos),
        **{f"rows_{s}": int(counts.get(s, 0)) for s in STATUSES},
        "rows_failed": int(videos["status"].isin(UNANALYSED).sum()),
        "videos_unique": len(result.faces),
        "frames": int(sum(len(v.frame_indices) for v in result.faces.values())),
        "faces": int(sum(len(v.faces) for v in result.faces.values())),
        "appearances": len(result.appearances),
        "close_call_rows": int(videos["close_call"].sum()),
        "creatives": int(videos["creative"].replace("", np.nan).nunique()),  # variants of one footage count once
        "variant_rows": int((videos["variant_of"] != "").sum()),  # rows that are a later variant of a creative
        "influencers": len(result.metrics),
        "singleton_share": (sum(1 for n in per_person.values() if n == 1) / len(per_person)) if per_person else 0.0,
        **{f"time_{stage.replace(' ', '_')}_s": t for stage, t in result.timings.items()},
    }
    notes: dict[str, str] = {}
    scores: dict[str, float] = {}
    if people:
        scores = internal_scores(np.stack([a.embedding for a in result.appearances]), np.asarray(people))
    if not scores:
        notes["cluster_scores"] = (
            f"silhouette, Davies-Bouldin and Calinski-Harabasz skipped: undefined for {len(per_person)} "
            f"group(s) of {len(people)} appearance(s) (they need at least 3 appearances in 2 to n-1 groups)"
        )
    metrics.update(scores)
    if cfg.data.label_column:
        supervised = label_scores(result, cfg.data.label_column)
        if not supervised:
            notes["label_scores"] = f"no row has both a {cfg.data.label_column!r} label and an influencer"
        metrics.update(supervised)
    if result.registry is not None:
        metrics.update(result.registry.metrics())
        notes["registry_corrections"] = result.registry.note()
    metrics.update(ranking_metrics(result, cfg.ranking.unit))
    notes["ranking"] = ranking.describe_method(cfg.ranking, result.metrics)  # tag ik.note.ranking
    return metrics, notes


def ranking_metrics(result, unit: str) -> dict[str, float]:
    """How many influencers are ranked, not ranked (below ranking.min_videos) and in the top group
    (not distinguishable from #1), and the pooled std the scores use (over `unit`, `ranking.unit`)."""
    return {
        "ranking_ranked": len(result.ranked),
        "ranking_not_ranked": len(result.unranked),
        "ranking_top_group_size": int(result.ranked["top_group"].sum()),
        "ranking_pooled_std": ranking.pooled_std(result.metrics, unit),
    }


def label_scores(result, label_column: str) -> dict[str, float]:
    """Agreement of each row's influencer with its ground-truth label (rows that have both)."""
    column = next(c for c in result.videos.columns if normalise(c) == normalise(label_column))
    pairs = [
        (str(t), p) for t, p in zip(result.videos[column], result.videos["influencer"])
        if isinstance(p, str) and p and isinstance(t, str) and t.strip()
    ]
    return external_scores([t for t, _ in pairs], [p for _, p in pairs])
