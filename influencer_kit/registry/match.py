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
    the distance to that person's nearest reference."""
    people = list(dict.fromkeys(owners))
    if not len(X) or not people:
        return people, np.full((len(X), len(people)), np.inf)
    pairwise = np.linalg.norm(X[:, None, :] - refs[None, :, :], axis=-1)
    column = {p: i for i, p in enumerate(people)}
    owner_index = np.asarray([column[o] for o in owners])
    out = np.full((len(X), len(people)), np.inf)
    for j in range(len(people)):
        out[:, j] = pairwise[:, owner_index == j].min(axis=1)
    return people, out


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
