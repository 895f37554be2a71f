"""Which frames of a video to sample. A short video (most social posts) gets frames evenly spread
over time. A long one (`SCAN_FROM_SECONDS` or more) may be cut into many shots, and evenly spread
frames can miss a short one that holds the main person. So it is first looked at, small, at its
key frames (each decodes on its own, and encoders put one at a cut), `MAX_LOOKS` at most; a shot
starts at a key frame whose look differs from the look before it. Then every shot gets a frame
(the longest shots, when there are more shots than frames), and each further frame goes to the
shot with the most length per frame taken. Within a shot, its frames are looks, evenly chosen,
when it has enough of them (a key frame costs one frame's decoding, where another frame may cost a
whole group of pictures), else evenly spread over it."""
from __future__ import annotations

import cv2
import numpy as np

from influencer_kit.faces.frames import VideoReader, spread, tolerance_of

Plan = tuple[list[int], int]  # frame numbers to sample, in time order, and how far a frame read may lie from each

SCAN_FROM_SECONDS = 30.0  # shorter videos are sampled evenly, with no scan
MAX_LOOKS = 48  # looks at most (evenly chosen among the key frames): a 5-minute video every 6 s or more often
LOOK_WIDTH = 16  # px: a look is the frame in grey, shrunk to this width
CUT = 18.0  # grey levels: consecutive looks whose mean absolute difference is more lie across a cut
# (3 min of 24 real clips: 3-15 within a shot, 20-90 across a cut)


def sample_plan(reader: VideoReader, n: int) -> Plan:
    """The frame numbers to sample from `reader`'s video, at most `n`, in time order, and how far
    the frame read for each may lie from it: for evenly spread frames, `tolerance_of` the plan (a
    key frame in that reach serves); for frames over shots, 0 (they are key frames already, or
    must stay inside their shot)."""
    if reader.duration < SCAN_FROM_SECONDS:
        plan = spread(reader.frame_count, n)
        return plan, tolerance_of(plan, reader.frame_count)
    keys = reader.key_frames()
    seen = [(index, look(frame)) for index, frame in reader.read([keys[i] for i in spread(len(keys), MAX_LOOKS)])]
    starts = shot_starts(seen)
    return spread_over_shots(starts, [index for index, _ in seen], reader.frame_count, n), 0


def look(frame: np.ndarray) -> np.ndarray:
    """The RGB frame in grey, shrunk to `LOOK_WIDTH` wide."""
    height = max(1, round(frame.shape[0] * LOOK_WIDTH / frame.shape[1]))
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (LOOK_WIDTH, height), interpolation=cv2.INTER_AREA).astype(np.float32)


def shot_starts(seen: list[tuple[int, np.ndarray]]) -> list[int]:
    """Where shots start, given (key frame, look just after it) in time order: at 0, and at each key
    frame whose look differs from the one before by more than `CUT`."""
    return [0] + [key for (_, before), (key, after) in zip(seen, seen[1:])
                  if float(np.abs(after - before).mean()) > CUT]


def spread_over_shots(starts: list[int], looks: list[int], frame_count: int, n: int) -> list[int]:
    """`n` frame numbers (fewer if the video has fewer frames) over the shots that begin at `starts`:
    one in each shot (the longest, then the earliest, when there are more shots than `n`), then
    each further one to the shot with the most frames per frame taken. A shot's frames are evenly
    chosen among the `looks` inside it when there are enough, else evenly spread over the shot."""
    starts = [s for s in starts if s < frame_count]  # a key frame past a miscounted end
    bounds = list(zip(starts, starts[1:] + [frame_count]))
    length = [end - start for start, end in bounds]
    taken = [0] * len(bounds)
    for shot in sorted(range(len(bounds)), key=lambda s: (-length[s], s))[:n]:
        taken[shot] = 1
    for _ in range(min(n, frame_count) - sum(taken)):
        best = max((s for s in range(len(bounds)) if taken[s] < length[s]),
                   key=lambda s: (length[s] / (taken[s] + 1), -s))
        taken[best] += 1
    plan = []
    for (start, end), k in zip(bounds, taken):
        inside = [i for i in looks if start <= i < end]
        if k and len(inside) >= k:
            plan += [inside[i] for i in spread(len(inside), k)]
        elif k:
            plan += [start + i for i in spread(end - start, k)]
    return sorted(plan)
