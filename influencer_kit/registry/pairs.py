"""Pairs of known people who might be one person: their nearest reference faces are close, yet
they were kept apart. Closest first; pairs said to be different are left out."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from influencer_kit.registry.store import Registry

CHUNK = 1024  # reference faces compared with all the others at a time (memory: CHUNK x faces)


@dataclass(frozen=True)
class Pair:
    """Two people, their closest two reference faces and how far apart those are."""

    a: str
    b: str
    distance: float
    face_a: int
    face_b: int


def nearest_between(vectors: np.ndarray, owner: np.ndarray, people: int) -> np.ndarray:
    """For people numbered 0..people-1 owning the rows of `vectors`: the smallest distance between a
    face of one and a face of the other, as a (people x people) matrix (inf on the diagonal)."""
    order = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(owner[order]) != 0])
    present = owner[order][starts]
    nearest = np.full((people, people), np.inf)
    for first in range(0, len(vectors), CHUNK):
        rows = slice(first, first + CHUNK)
        by_person = np.minimum.reduceat(cdist(vectors[rows], vectors[order]), starts, axis=1)
        block = np.full((by_person.shape[0], people), np.inf)
        block[:, present] = by_person
        np.minimum.at(nearest, owner[rows], block)
    np.fill_diagonal(nearest, np.inf)
    return nearest


def close_pairs(registry: Registry, embedder_key: str, within: float, limit: int = 200) -> list[Pair]:
    """Pairs of distinct people (not said to be different) whose nearest faces are at most `within`
    apart, closest first, at most `limit`."""
    owners, vectors = registry.references(embedder_key)
    if not owners:
        return []
    ids = registry.reference_ids(embedder_key)
    people = sorted(set(owners))
    owner = np.searchsorted(people, owners)
    nearest = nearest_between(vectors, owner, len(people))
    different = registry.different()
    found = []
    for i, j in zip(*np.nonzero(np.triu(nearest <= within, k=1))):
        a, b = people[i], people[j]
        if frozenset((a, b)) in different:
            continue
        rows_a, rows_b = np.flatnonzero(owner == i), np.flatnonzero(owner == j)
        d = cdist(vectors[rows_a], vectors[rows_b])
        k, m = np.unravel_index(int(np.argmin(d)), d.shape)
        found.append(Pair(a, b, float(d[k, m]), ids[rows_a[k]], ids[rows_b[m]]))
    return sorted(found, key=lambda p: (p.distance, p.a, p.b))[:limit]
