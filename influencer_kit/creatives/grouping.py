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
plain background) says nothing and is skipped. Variant pairs are joined into creatives (`join`:
connected components, so a pair already joined through others is never compared), after a
reviewer's corrections: pairs said to be one creative are joined, pairs said to be different
creatives are never joined directly.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from influencer_kit.creatives.fingerprint import FingerprintSettings
from influencer_kit.errors import require
from influencer_kit.model import Fingerprint

SPEEDS = (1.0, 1 / 1.1, 1.1, 1 / 1.25, 1.25)  # playback speeds of one video against the other, likeliest first
BANDS = 2  # a frame's 64-bit hash is cut into this many 32-bit bands for bucketing
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
    min_coverage: float = 0.6  # share of the shorter video's sampled frames that must match, in time order

    def __post_init__(self) -> None:
        require(0 <= self.frame_distance < 64, "creatives.frame_distance", "a number of bits from 0 to 63",
                self.frame_distance)
        require(0 < self.min_coverage <= 1, "creatives.min_coverage", "a share above 0, at most 1",
                self.min_coverage)


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances (bits) between every 64-bit hash of `a` (n,) and of `b` (m,): (n, m)."""
    return np.bitwise_count(np.bitwise_xor(a[:, None], b[None, :]))


def _share(times: np.ndarray, other: np.ndarray, near: np.ndarray, speed: float, shift: float,
           tolerance: float) -> float:
    """The share of the frames at `times` that land, at `speed` and `shift`, within `tolerance`
    seconds of a frame of `other` (times) they are `near` (a boolean matrix of theirs); 0 when
    fewer than `MIN_MATCHED` do."""
    mapped = times * speed + shift
    after = np.clip(np.searchsorted(other, mapped), 0, len(other) - 1)
    before = np.clip(after - 1, 0, len(other) - 1)
    rows = np.arange(len(times))
    hit = np.zeros(len(times), bool)
    for j in (before, after):
        hit |= (np.abs(other[j] - mapped) <= tolerance) & near[rows, j]
    matched = int(hit.sum())
    return matched / len(times) if matched >= MIN_MATCHED else 0.0


def coverage(a: Fingerprint, b: Fingerprint, frame_distance: int, enough: float = 1.0) -> float:
    """The largest share of either video's sampled frames that match the other's in time order, over
    orientations (as shown first), `SPEEDS` (1.0 first) and shifts in time (the best shift of
    each found by votes); the first share of at least `enough` is returned without trying the rest."""
    if len(a) < MIN_MATCHED or len(b) < MIN_MATCHED:
        return 0.0
    step = max(float(a.times[-1] - a.times[0]) / (len(a) - 1), float(b.times[-1] - b.times[0]) / (len(b) - 1))
    best = 0.0
    for orientation in (0, 1):
        near = distances(a.hashes[:, 0], b.hashes[:, orientation]) <= frame_distance
        ii, jj = np.nonzero(near)
        if len(ii) < MIN_MATCHED:
            continue
        for speed in SPEEDS:
            bins = np.round((b.times[jj] - speed * a.times[ii]) / (step / 2)).astype(np.int64)
            votes = np.bincount(bins - bins.min())
            if votes.max() < MIN_MATCHED:
                continue
            shift = float(votes.argmax() + bins.min()) * step / 2
            best = max(best, _share(a.times, b.times, near, speed, shift, step))
            if best < enough:
                best = max(best, _share(b.times, a.times, near.T, 1 / speed, -shift / speed, step))
            if best >= enough:
                return best
    return best


def people_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both videos show nobody, or they share a person."""
    return (not a and not b) or bool(a & b)


def candidate_pairs(fingerprints: Sequence[Fingerprint]) -> np.ndarray:
    """Pairs (i < j) of videos sharing a hash band value in `MIN_SHARED` frames or more, in either
    orientation, those sharing most first; shape (k, 2). Near-linear in videos: a sort of every band
    value, never all pairs."""
    count = len(fingerprints)
    if not any(len(fp) for fp in fingerprints):
        return np.zeros((0, 2), np.int64)
    bits = 64 // BANDS
    hashes = np.concatenate([fp.hashes for fp in fingerprints]).reshape(-1, 1)  # every frame, both orientations
    owners = np.repeat(np.arange(count, dtype=np.int64), [2 * len(fp) for fp in fingerprints])
    bands = (hashes >> (np.arange(BANDS, dtype=np.uint64) * np.uint64(bits))) & np.uint64((1 << bits) - 1)
    keys = (bands.astype(np.int64) << 3) | np.arange(BANDS)  # a band's index is part of its key
    codes = _sorted_counts(((keys << 32) | owners[:, None]).ravel())[0]  # each (key, video) once, by key
    key, video = codes >> 32, codes & 0xFFFFFFFF
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    found = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= MAX_BUCKET)]):
        members = video[starts[sizes == size][:, None] + np.arange(size)]  # (buckets, size)
        first, second = np.triu_indices(size, 1)
        found.append(members[:, first] * count + members[:, second])
    if not found:
        return np.zeros((0, 2), np.int64)
    pairs, shared = _sorted_counts(np.concatenate([f.ravel() for f in found]))
    order = np.argsort(-shared[shared >= MIN_SHARED], kind="stable")  # the pairs sharing most first
    pairs = pairs[shared >= MIN_SHARED][order]
    return np.stack([pairs // count, pairs % count], axis=1)


def _sorted_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, ascending, and how often each occurs (a sort: faster here than
    `np.unique`'s hashing)."""
    values = np.sort(values)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    return values[starts], np.diff(np.r_[starts, len(values)])


@dataclass(frozen=True)
class Links:
    """A reviewer's corrections, as pairs of videos (indices): `same` are one creative, `apart`
    are different creatives."""

    same: frozenset[tuple[int, int]] = frozenset()
    apart: frozenset[tuple[int, int]] = frozenset()


def join(count: int, candidates: Iterable[tuple[int, int]], matches: Callable[[int, int], bool],
         links: Links = Links()) -> np.ndarray:
    """A creative number per video (0..), numbered by each creative's first video: the pairs said
    to be the same joined, then each candidate pair that `matches` (a reviewer's `apart` pairs
    never, and a pair joined already through others is not compared again)."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in [*links.same, *candidates]:
        a, b = root(int(i)), root(int(j))
        if a != b and ((i, j) in links.same or ((i, j) not in links.apart and matches(int(i), int(j)))):
            parent[max(a, b)] = min(a, b)  # a creative's root is its first video
    roots = [root(i) for i in range(count)]
    number = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return np.array([number[r] for r in roots], np.int64)


def group_videos(fingerprints: Sequence[Fingerprint], people: Sequence[frozenset[str]], config: CreativesConfig,
                 links: Links = Links()) -> np.ndarray:
    """A creative number per video (`join`): variants whose people agree are one creative."""
    def matches(i: int, j: int) -> bool:
        return people_agree(people[i], people[j]) and coverage(
            fingerprints[i], fingerprints[j], config.frame_distance, config.min_coverage) >= config.min_coverage

    return join(len(fingerprints), candidate_pairs(fingerprints).tolist(), matches, links)
