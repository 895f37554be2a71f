"""The matching rule: which known person, if any, a new appearance is.

An appearance's distance to a known person is the Euclidean distance from its mean embedding to
the nearest of that person's reference embeddings. The appearance is that person when

- the distance is at most `match_distance` (by default the embedder's same-person distance,
  `Distance.threshold`: 0.6 for dlib), and
- every other person is at least `margin` farther away.

Otherwise it is left for clustering with the other unmatched appearances: an ambiguous match is
never forced onto one of two look-alikes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influencer_kit.people.neighbours import BLOCK, EXACT_MAX, nearest


@dataclass(frozen=True)
class MatchRule:
    """The two thresholds of the rule (`registry.match_distance`, `registry.margin`), and above
    how many appearances and reference faces the nearest faces are found approximately
    (`registry.exact_max`)."""

    match_distance: float = 0.6
    margin: float = 0.05
    exact_max: int = EXACT_MAX


@dataclass(frozen=True)
class Match:
    """The decision for one appearance: `person` is "" when it is left for clustering."""

    person: str
    distance: float  # to the nearest person (inf when nobody is known)
    runner_up: float  # to the nearest other person (inf when there is none)
    ambiguous: bool  # close enough to someone, but not `margin` closer than to the next person
    nearest: str = ""  # the nearest known person within `match_distance`, matched or not ("" for none)


CANDIDATES = 32  # nearest reference faces looked at per appearance
PROBES = 32  # cells searched per appearance when approximate: a missed match costs more than in clustering


def match(X: np.ndarray, refs: np.ndarray, owners: list[str], rule: MatchRule) -> list[Match]:
    """The decision for each row of X (appearance embeddings), given reference embeddings `refs`
    whose row i belongs to the person `owners[i]`.

    Each appearance's `CANDIDATES` nearest reference faces are found (`neighbours.nearest`: exact
    up to `rule.exact_max` appearances or faces, approximate above): the nearest is the nearest
    person, the first of another person the runner-up. Where they are all one person's, the
    runner-up is found exactly when it can change the decision."""
    if not len(X):
        return []
    people = list(dict.fromkeys(owners))
    if not people:
        return [Match("", np.inf, np.inf, False) for _ in range(len(X))]
    column = {p: i for i, p in enumerate(people)}
    owner = np.asarray([column[o] for o in owners])
    dist, idx = nearest(X, refs, CANDIDATES, rule.exact_max, probes=PROBES)
    found = idx >= 0
    hit_owner = np.where(found, owner[np.maximum(idx, 0)], -1)
    best_owner, best = hit_owner[:, 0], dist[:, 0]
    other = found & (hit_owner != best_owner[:, None])
    second = np.where(other.any(axis=1), dist[np.arange(len(X)), other.argmax(axis=1)], np.inf)
    last = np.where(found, dist, -np.inf).max(axis=1)  # the farthest candidate found
    every = found.sum(axis=1) == len(refs)
    unsure = ~other.any(axis=1) & ~every & (best <= rule.match_distance) \
        & ((found.sum(axis=1) < idx.shape[1]) | (last - best < rule.margin))  # another may lie past them
    second[unsure] = runner_up(X[unsure], refs, owner, best_owner[unsure])
    near = best <= rule.match_distance
    clear = second - best >= rule.margin
    return [Match(people[o] if n and c else "", float(b), float(r), bool(n and not c), people[o] if n else "")
            for o, b, r, n, c in zip(best_owner, best, second, near, clear)]


def runner_up(X: np.ndarray, refs: np.ndarray, owner: np.ndarray, best_owner: np.ndarray) -> np.ndarray:
    """Each row's exact distance to the nearest reference face of anyone but `best_owner`."""
    out = np.full(len(X), np.inf)
    squared = (refs * refs).sum(axis=1)
    for start in range(0, len(X), BLOCK):
        block = np.asarray(X[start:start + BLOCK], dtype=np.float64)
        d2 = (block * block).sum(axis=1)[:, None] + squared[None, :] - 2.0 * block @ refs.T
        d2[owner[None, :] == best_owner[start:start + BLOCK, None]] = np.inf
        if d2.shape[1]:
            out[start:start + len(block)] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out
