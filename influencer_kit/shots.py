"""Which frames of a video to sample. A short video (most social posts) gets frames evenly spread
over time. A long one (`SCAN_FROM_SECONDS` or more) may be cut into many shots, and evenly spread
frames can miss a short one that holds the main person; so it is first looked at, small, about
once a second (`MAX_LOOKS` at most), cut into shots where the colours of two consecutive looks
differ, and the frames are spread over the shots: one in each shot, the longest shots first when
there are more shots than frames, then the rest to the shots with the most looks per frame taken.
Every frame is one of the looks, so it is known to lie inside its shot."""
from __future__ import annotations

import math

import cv2
import numpy as np

from influencer_kit.frames import VideoReader, spread

SCAN_FROM_SECONDS = 30.0  # shorter videos are sampled evenly, with no scan
SCAN_EVERY_SECONDS = 1.0  # a look at the video this often
MAX_LOOKS = 48  # but never more looks than this: a 5-minute video is looked at every 6 s
LOOK_WIDTH = 64  # px: a look is the frame shrunk to this width
SAME_SHOT = 0.7  # consecutive looks whose colour histograms correlate less than this lie across a cut


def sample_plan(reader: VideoReader, n: int) -> list[int]:
    """The frame numbers to sample from `reader`'s video, at most `n`, in time order."""
    if reader.duration < SCAN_FROM_SECONDS:
        return spread(reader.frame_count, n)
    looks = spread(reader.frame_count, min(MAX_LOOKS, math.ceil(reader.duration / SCAN_EVERY_SECONDS)))
    seen = [(index, colours(frame)) for index in looks for index, frame in reader.read([index])]
    if not seen:  # nothing decodes: the plan's own reads will say so
        return spread(reader.frame_count, n)
    return spread_over_shots(split_shots([i for i, _ in seen], [c for _, c in seen]), n)


def colours(frame: np.ndarray) -> np.ndarray:
    """A hue-saturation-value histogram of the frame shrunk to `LOOK_WIDTH` (RGB), summing to 1."""
    height = max(1, round(frame.shape[0] * LOOK_WIDTH / frame.shape[1]))
    small = cv2.resize(frame, (LOOK_WIDTH, height), interpolation=cv2.INTER_AREA)
    hist = cv2.calcHist([cv2.cvtColor(small, cv2.COLOR_RGB2HSV)], [0, 1, 2], None, [8, 4, 4],
                        [0, 180, 0, 256, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32)


def split_shots(indices: list[int], looks: list[np.ndarray]) -> list[list[int]]:
    """The frame numbers `indices` (in time order) cut into shots: a new shot starts where a look's
    colours correlate less than `SAME_SHOT` with the look before it."""
    shots = [[indices[0]]]
    for index, before, look in zip(indices[1:], looks, looks[1:]):
        if cv2.compareHist(before, look, cv2.HISTCMP_CORREL) < SAME_SHOT:
            shots.append([])
        shots[-1].append(index)
    return shots


def spread_over_shots(shots: list[list[int]], n: int) -> list[int]:
    """At most `n` of the shots' frame numbers: one per shot (the longest shots, then the earliest,
    when there are more shots than `n`), then each further one to the shot with the most frames per
    frame taken; within a shot, its share is spread evenly over its frames."""
    taken = [0] * len(shots)
    for shot in sorted(range(len(shots)), key=lambda s: (-len(shots[s]), s))[:n]:
        taken[shot] = 1
    for _ in range(n - sum(taken)):
        open_shots = [s for s in range(len(shots)) if taken[s] < len(shots[s])]
        if not open_shots:
            break
        best = max(open_shots, key=lambda s: (len(shots[s]) / (taken[s] + 1), -s))
        taken[best] += 1
    return sorted(shot[i] for shot, k in zip(shots, taken) if k for i in spread(len(shot), k))
