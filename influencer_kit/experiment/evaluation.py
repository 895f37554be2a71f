"""How good the people are: cluster-quality metrics, and agreement with ground-truth labels."""
from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn import metrics as skm


def internal_scores(X: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz; empty where undefined (fewer than 2
    groups, or every point its own group)."""
    n_groups = len(set(labels.tolist()))
    if len(X) < 3 or not 2 <= n_groups <= len(X) - 1:
        return {}
    return {
        "silhouette": float(skm.silhouette_score(X, labels)),
        "davies_bouldin": float(skm.davies_bouldin_score(X, labels)),
        "calinski_harabasz": float(skm.calinski_harabasz_score(X, labels)),
    }


def bcubed(truth: list, predicted: list) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Amigó et al. 2009) over items with both labels."""
    n = len(truth)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    pairs = Counter(zip(truth, predicted))
    by_truth, by_pred = Counter(truth), Counter(predicted)
    precision = sum(c * c / by_pred[p] for (_, p), c in pairs.items()) / n
    recall = sum(c * c / by_truth[t] for (t, _), c in pairs.items()) / n
    return precision, recall, 2 * precision * recall / (precision + recall)


def pairwise_f(truth: list, predicted: list) -> float:
    """F1 over pairs of items: a pair is positive when both are in one group."""
    def pairs(counter: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    together = pairs(Counter(zip(truth, predicted)))
    in_pred, in_truth = pairs(Counter(predicted)), pairs(Counter(truth))
    if in_pred == 0 or in_truth == 0:
        return 1.0 if in_pred == in_truth else 0.0
    precision, recall = together / in_pred, together / in_truth
    return 0.0 if together == 0 else 2 * precision * recall / (precision + recall)


def external_scores(truth: list, predicted: list) -> dict[str, float]:
    """ARI, NMI, BCubed P/R/F and pairwise F of predicted groups against true ones."""
    if not truth:
        return {}
    precision, recall, f = bcubed(truth, predicted)
    return {
        "ari": float(skm.adjusted_rand_score(truth, predicted)),
        "nmi": float(skm.normalized_mutual_info_score(truth, predicted)),
        "bcubed_precision": precision,
        "bcubed_recall": recall,
        "bcubed_f": f,
        "pairwise_f": pairwise_f(truth, predicted),
    }
