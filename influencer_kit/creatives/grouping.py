"""From fingerprints to creatives: videos that share footage, and whose people agree, are variants
of one creative.

Two videos are variants when, in one orientation (as shown, or one of them mirrored), at one
playback speed (`SPEEDS`: a variant sped up or slowed down) and one shift in time (a trim, an
intro), their sampled frames match in time order (hashes at most `frame_distance` bits apart)
over at least `min_coverage` of the shorter video's frames, and their people agree: both show
nobody, or they share a person (`influencers` of the people stage). Frames alone are not enough:
two talking heads of different people on plain backgrounds can hash closer than two variants.

Pairs are never compared all against all: each frame's hash is cut into `BANDS` bands, videos that
share a band value (in either orientation) in `MIN_SHARED` frames or more are the candidates, and
only those are matched (`candidate_pairs`); a band value held by more than `MAX_BUCKET` videos (a
plain background) says nothing and is skipped. Variant pairs are then joined into creatives
(connected components), after a reviewer's corrections: pairs said to be different creatives are
cut, pairs said to be one creative are joined.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from influencer_kit.creatives.fingerprint import FingerprintSettings
from influencer_kit.errors import require
from influencer_kit.model import Fingerprint

SPEEDS = (1 / 1.25, 1 / 1.1, 1.0, 1.1, 1.25)  # playback speeds of one video against the other
BANDS = 4  # a frame's 64-bit hash is cut into this many 16-bit bands for bucketing
MIN_SHARED = 2  # band values two videos must share to be compared
MAX_BUCKET = 64  # a band value held by more videos than this is skipped (a plain background)
MIN_MATCHED = 3  # frames that must match, however short the videos


@dataclass
class CreativesConfig:
    """`creatives`: how videos are fingerprinted and grouped into creatives (variants of one
    footage). The thresholds were chosen on the real clips' tune half (benchmarks/creatives.py)."""

    enabled: bool = True  # false: every video is a creative of its own (no fingerprints are made)
    fingerprint: FingerprintSettings = field(default_factory=FingerprintSettings)
    frame_distance: int = 8  # two frames match when their 64-bit hashes differ in at most this many bits
    min_coverage: float = 0.5  # share of the shorter video's sampled frames that must match, in time order

    def __post_init__(self) -> None:
        require(0 <= self.frame_distance < 64, "creatives.frame_distance", "a number of bits from 0 to 63",
                self.frame_distance)
        require(0 < self.min_coverage <= 1, "creatives.min_coverage", "a share above 0, at most 1",
                self.min_coverage)


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances (bits) between every 64-bit hash of `a` (n,) and of `b` (m,): (n, m)."""
    return np.bitwise_count(np.bitwise_xor(a[:, None], b[None, :]))


def _matched(times: np.ndarray, other: np.ndarray, near: np.ndarray, speed: float, shift: float,
             tolerance: float) -> np.ndarray:
    """Which frames at `times` land, at `speed` and `shift`, on a frame of `other` (times) they are
    `near` (a boolean matrix of theirs), within `tolerance` seconds."""
    mapped = times * speed + shift
    after = np.clip(np.searchsorted(other, mapped), 0, len(other) - 1)
    before = np.clip(after - 1, 0, len(other) - 1)
    rows = np.arange(len(times))
    hit = np.zeros(len(times), bool)
    for j in (before, after):
        hit |= (np.abs(other[j] - mapped) <= tolerance) & near[rows, j]
    return hit


def coverage(a: Fingerprint, b: Fingerprint, frame_distance: int) -> float:
    """The largest share of either video's sampled frames that match the other's in time order, over
    orientations, `SPEEDS` and shifts in time (the best shift of each found by votes)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    step = max(float(np.median(np.diff(a.times))) if len(a) > 1 else 0.25,
               float(np.median(np.diff(b.times))) if len(b) > 1 else 0.25)
    best = 0.0
    for orientation in (0, 1):
        near = distances(a.hashes[:, 0], b.hashes[:, orientation]) <= frame_distance
        ii, jj = np.nonzero(near)
        if len(ii) < MIN_MATCHED:
            continue
        for speed in SPEEDS:
            shifts = np.round((b.times[jj] - speed * a.times[ii]) / (step / 2))
            values, votes = np.unique(shifts, return_counts=True)
            if votes.max() < MIN_MATCHED:
                continue
            shift = float(values[votes.argmax()]) * step / 2
            in_a = _matched(a.times, b.times, near, speed, shift, step)
            in_b = _matched(b.times, a.times, near.T, 1 / speed, -shift / speed, step)
            if min(in_a.sum(), in_b.sum()) >= MIN_MATCHED:
                best = max(best, in_a.mean(), in_b.mean())
    return float(best)


def people_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both videos show nobody, or they share a person."""
    return (not a and not b) or bool(a & b)


def candidate_pairs(fingerprints: Sequence[Fingerprint]) -> np.ndarray:
    """Pairs (i < j) of videos sharing a hash band value in `MIN_SHARED` frames or more, in either
    orientation; shape (k, 2). Near-linear in videos: a sort of every band value, never all pairs."""
    videos, keys = [], []
    bits = 64 // BANDS
    shifts = np.arange(BANDS, dtype=np.uint64) * np.uint64(bits)
    for i, fp in enumerate(fingerprints):
        if len(fp) == 0:
            continue
        values = (fp.hashes.reshape(-1, 1) >> shifts) & np.uint64((1 << bits) - 1)  # (frames x 2, bands)
        unique = np.unique((values.astype(np.int64) << 3) | np.arange(BANDS))  # a band's index is in its key
        keys.append(unique)
        videos.append(np.full(len(unique), i, np.int64))
    if not keys:
        return np.zeros((0, 2), np.int64)
    key, video = np.concatenate(keys), np.concatenate(videos)
    order = np.argsort(key, kind="stable")
    key, video = key[order], video[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    found = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= MAX_BUCKET)]):
        members = video[starts[sizes == size][:, None] + np.arange(size)]  # (buckets, size)
        first, second = np.triu_indices(size, 1)
        found.append(members[:, first] * len(fingerprints) + members[:, second])
    if not found:
        return np.zeros((0, 2), np.int64)
    codes, shared = np.unique(np.concatenate([f.ravel() for f in found]), return_counts=True)
    codes = codes[shared >= MIN_SHARED]
    return np.stack([codes // len(fingerprints), codes % len(fingerprints)], axis=1)


@dataclass(frozen=True)
class Links:
    """A reviewer's corrections, as pairs of videos (indices): `same` are one creative, `apart`
    are different creatives."""

    same: frozenset[tuple[int, int]] = frozenset()
    apart: frozenset[tuple[int, int]] = frozenset()


def variant_pairs(fingerprints: Sequence[Fingerprint], people: Sequence[frozenset[str]],
                  config: CreativesConfig) -> list[tuple[int, int]]:
    """Pairs (i < j) of videos that are variants of one another."""
    return [(int(i), int(j)) for i, j in candidate_pairs(fingerprints)
            if people_agree(people[i], people[j])
            and coverage(fingerprints[i], fingerprints[j], config.frame_distance) >= config.min_coverage]


def creatives(count: int, pairs: Iterable[tuple[int, int]], links: Links = Links()) -> np.ndarray:
    """A creative number per video (0..), numbered by each creative's first video: variant pairs
    joined, after cutting the pairs said to be apart and adding those said to be the same."""
    edges = [p for p in pairs if tuple(sorted(p)) not in links.apart] + list(links.same)
    if not edges:
        return np.arange(count)
    rows, cols = np.array(edges, np.int64).T
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    return np.argsort(np.argsort(first))[labels]  # each label's rank by its first video
