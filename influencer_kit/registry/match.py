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
from scipy.spatial.distance import cdist

CHUNK = 1024  # rows compared with every reference at a time (memory: CHUNK x references)


@dataclass(frozen=True)
class MatchRule:
    """The two thresholds of the rule (`registry.match_distance`, `registry.margin`)."""

    match_distance: float = 0.6
    margin: float = 0.05


@dataclass(frozen=True)
class Match:
    """The decision for one appearance: `person` is "" when it is left for clustering."""

    person: str
    distance: float  # to the nearest person (inf when nobody is known)
    runner_up: float  # to the nearest other person (inf when there is none)
    ambiguous: bool  # close enough to someone, but not `margin` closer than to the next person
    nearest: str = ""  # the nearest known person within `match_distance`, matched or not ("" for none)


def person_distances(X: np.ndarray, refs: np.ndarray, owners: list[str]) -> tuple[list[str], np.ndarray]:
    """The known people (in first-seen order of `owners`) and each row of X's distance to each:
    the distance to that person's nearest reference. Computed `CHUNK` rows at a time."""
    people = list(dict.fromkeys(owners))
    if not len(X) or not people:
        return people, np.full((len(X), len(people)), np.inf)
    column = {p: i for i, p in enumerate(people)}
    owner_index = np.asarray([column[o] for o in owners])
    order = np.argsort(owner_index, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(owner_index[order]) != 0])  # each person's first column
    by_owner = refs[order]
    return people, np.vstack([np.minimum.reduceat(cdist(X[i:i + CHUNK], by_owner), starts, axis=1)
                              for i in range(0, len(X), CHUNK)])


def match(X: np.ndarray, refs: np.ndarray, owners: list[str], rule: MatchRule) -> list[Match]:
    """The decision for each row of X (appearance embeddings), given reference embeddings `refs`
    whose row i belongs to the person `owners[i]`."""
    people, dist = person_distances(X, refs, owners)
    decisions = []
    for row in dist:
        order = np.argsort(row, kind="stable")
        best = float(row[order[0]]) if len(order) else np.inf
        second = float(row[order[1]]) if len(order) > 1 else np.inf
        near = best <= rule.match_distance
        clear = second - best >= rule.margin
        nearest = people[order[0]] if near else ""
        decisions.append(Match(nearest if clear else "", best, second, near and not clear, nearest))
    return decisions
