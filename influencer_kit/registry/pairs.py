"""Pairs of known people who might be one person: their nearest reference faces are close, yet
they were kept apart. Closest first; pairs said to be different are left out."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from influencer_kit.registry.store import Registry


CHUNK = 1024  # faces compared with every other face at a time (memory: CHUNK x faces)


def person_distances(X: np.ndarray, refs: np.ndarray, owners: list[str]) -> tuple[list[str], np.ndarray]:
    """The people (in first-seen order of `owners`) and each row of X's distance to each: the
    distance to that person's nearest reference. Computed `CHUNK` rows at a time."""
    people = list(dict.fromkeys(owners))
    column = {p: i for i, p in enumerate(people)}
    owner_index = np.asarray([column[o] for o in owners])
    order = np.argsort(owner_index, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(owner_index[order]) != 0])  # each person's first column
    by_owner = refs[order]
    return people, np.vstack([np.minimum.reduceat(cdist(X[i:i + CHUNK], by_owner), starts, axis=1)
                              for i in range(0, len(X), CHUNK)])


@dataclass(frozen=True)
class Pair:
    """Two people, their closest two reference faces and how far apart those are."""

    a: str
    b: str
    distance: float
    face_a: int
    face_b: int


def nearest_between(vectors: np.ndarray, owners: list[str]) -> tuple[list[str], np.ndarray]:
    """The people owning the rows of `vectors` (first-seen order) and, between each two, the
    smallest distance from a face of one to a face of the other (inf on the diagonal)."""
    people, to_person = person_distances(vectors, vectors, owners)
    number = {p: i for i, p in enumerate(people)}
    row_owner = np.asarray([number[o] for o in owners])
    nearest = np.full((len(people), len(people)), np.inf)
    np.minimum.at(nearest, row_owner, to_person)
    np.fill_diagonal(nearest, np.inf)
    return people, nearest


def close_pairs(registry: Registry, embedder_key: str, within: float, limit: int = 200) -> list[Pair]:
    """Pairs of distinct people (not said to be different) whose nearest faces are at most `within`
    apart, closest first, at most `limit`."""
    owners, vectors = registry.references(embedder_key)
    if not owners:
        return []
    ids = registry.reference_ids(embedder_key)
    people, nearest = nearest_between(vectors, owners)
    number = {p: i for i, p in enumerate(people)}
    owner = np.asarray([number[o] for o in owners])
    different = registry.different()
    found = []
    for i, j in zip(*np.nonzero(np.triu(nearest <= within, k=1))):
        a, b = sorted((people[i], people[j]))
        i, j = number[a], number[b]
        if frozenset((a, b)) in different:
            continue
        rows_a, rows_b = np.flatnonzero(owner == i), np.flatnonzero(owner == j)
        d = cdist(vectors[rows_a], vectors[rows_b])
        k, m = np.unravel_index(int(np.argmin(d)), d.shape)
        found.append(Pair(a, b, float(d[k, m]), ids[rows_a[k]], ids[rows_b[m]]))
    return sorted(found, key=lambda p: (p.distance, p.a, p.b))[:limit]
