"""Synthetic face embeddings for the scaling benchmarks: people as clusters of 128-d points that
sit like dlib's per-video embeddings.

How they are made: every person has a centre drawn around one shared mean (all faces share much of
their embedding, so dlib vectors have a norm near 1 and lie in a narrow cone); centres are drawn
with a spread that puts two people's centres about 0.9 apart. A person's appearances are their
centre plus Gaussian noise about 0.25 from it, so two appearances of one person are about 0.35
apart (dlib: same person under 0.55, different people mostly 0.8-1.1). How many appearances a
person has follows a heavy tail (most people a few, a few people hundreds), and `noise` of the
points are people seen once.
"""
from __future__ import annotations

import numpy as np

DIM = 128
BETWEEN = 0.9  # typical distance between two people's centres
WITHIN = 0.25  # typical distance of an appearance from its person's centre


def face_like(n: int, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` float32 points of dimension `DIM` and each one's true person (0, 1, ...)."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    clustered = n - int(noise * n)
    while sum(sizes) < clustered:
        sizes.append(int(min(rng.zipf(1.8), 500)) + 1)
    sizes[-1] -= sum(sizes) - clustered
    sizes = [s for s in sizes if s > 0] + [1] * (n - clustered)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    mean = rng.normal(size=DIM)
    mean /= np.linalg.norm(mean)
    centres = mean + rng.normal(scale=BETWEEN / np.sqrt(2 * DIM), size=(len(sizes), DIM))
    points = centres[labels] + rng.normal(scale=WITHIN / np.sqrt(DIM), size=(n, DIM))
    order = rng.permutation(n)
    return points[order].astype(np.float32), labels[order]
