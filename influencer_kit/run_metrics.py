"""The numbers a run reports (and logs to MLflow): rows by status, work done, cluster quality."""
from __future__ import annotations

import logging

import numpy as np
from omegaconf import DictConfig

from influencer_kit.evaluation import external_scores, internal_scores
from influencer_kit.sheet import normalise

log = logging.getLogger(__name__)
STATUSES = ("ok", "no_face", "download_error", "decode_error", "invalid_url", "invalid_performance")


def run_metrics(result, cfg: DictConfig) -> dict[str, float]:
    videos = result.videos
    counts = videos["status"].value_counts()
    people = [a.person for a in result.appearances]
    per_person = {p: people.count(p) for p in set(people)}
    metrics: dict[str, float] = {
        "rows": len(videos),
        **{f"rows_{s}": int(counts.get(s, 0)) for s in STATUSES},
        "rows_failed": int(videos["status"].isin(["download_error", "decode_error", "invalid_url"]).sum()),
        "videos_unique": len(result.faces),
        "frames": int(sum(len(v.frame_indices) for v in result.faces.values())),
        "faces": int(sum(len(v.faces) for v in result.faces.values())),
        "appearances": len(result.appearances),
        "influencers": len(result.metrics),
        "singleton_share": (sum(1 for n in per_person.values() if n == 1) / len(per_person)) if per_person else 0.0,
        **{f"time_{stage.replace(' ', '_')}_s": t for stage, t in result.timings.items()},
    }
    if result.appearances:
        X = np.stack([a.embedding for a in result.appearances])
        scores = internal_scores(X, np.asarray(people))
        if not scores:
            log.info("silhouette, Davies-Bouldin, Calinski-Harabasz skipped: need 2..n-1 groups")
        metrics.update(scores)
    if cfg.data.label_column:
        metrics.update(label_scores(result, cfg.data.label_column))
    return metrics


def label_scores(result, label_column: str) -> dict[str, float]:
    """Agreement of each row's influencer with its ground-truth label (rows that have both)."""
    column = next(c for c in result.videos.columns if normalise(c) == normalise(label_column))
    pairs = [
        (str(t), p) for t, p in zip(result.videos[column], result.videos["influencer"])
        if isinstance(p, str) and p and isinstance(t, str) and t.strip()
    ]
    return external_scores([t for t, _ in pairs], [p for _, p in pairs])
