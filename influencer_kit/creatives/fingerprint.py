"""A video's content fingerprint: perceptual hashes of frames sampled every `step_s` seconds, in
time order, each hashed twice (as shown and mirrored), so that two videos that share footage can be
found again however each was re-encoded, resized, cropped to 9:16, captioned, mirrored or trimmed.

Each frame is first cut to what such edits keep (`canonical`): the centre strip a 9:16 crop keeps
(as wide as 9/16 of the frame's height, the whole frame when it is narrower) and the band between
`TOP` and `BOTTOM` of its height, above where captions and lower thirds go. That region is hashed
with OpenCV contrib's `img_hash.PHash` (a 64-bit DCT hash of it scaled to 32x32, robust to scaling,
compression and small overlays), and so is its mirror image. Matching hashes in time order is
`grouping.py`'s.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from influencer_kit.errors import require
from influencer_kit.faces.frames import VideoReader
from influencer_kit.model import Fingerprint

FORMAT = 2  # bump when the same settings give other hashes: old cache entries are then never read
TOP, BOTTOM = 0.08, 0.72  # the band of the frame's height that is hashed (captions sit below it)
NARROWEST = 9 / 16  # the centre strip is at most this wide for its height: what a 9:16 crop keeps


@dataclass
class FingerprintSettings:
    """How a video's frames are sampled for its fingerprint (part of the fingerprint cache's key)."""

    step_s: float = 0.1  # seconds between sampled frames (0.25 s lost a fifth of trimmed or sped-up
    # variants' frames to motion between samples: benchmarks/results/creatives.md)
    max_frames: int = 300  # at most this many frames: a video over 30 s is sampled more sparsely

    def __post_init__(self) -> None:
        require(self.step_s > 0, "creatives.fingerprint.step_s", "a number of seconds above 0", self.step_s)
        require(self.max_frames >= 2, "creatives.fingerprint.max_frames", "a whole number, 2 or more", self.max_frames)

    def key(self) -> str:
        """A short key that changes whenever a setting or the hashing changes."""
        blob = json.dumps({"format": FORMAT, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def canonical(grey: np.ndarray) -> np.ndarray:
    """The part of a frame (its luma) that survives a 9:16 crop and captions."""
    height, width = grey.shape[:2]
    strip = min(width, max(1, round(height * NARROWEST)))
    left = (width - strip) // 2
    return np.ascontiguousarray(grey[int(height * TOP): max(int(height * TOP) + 1, int(height * BOTTOM)),
                                     left: left + strip])


_HASHER = cv2.img_hash.PHash_create()


def frame_hashes(luma: np.ndarray) -> np.ndarray:
    """The frame's 64-bit hash and its mirror image's, shape (2,), uint64, from its luma."""
    grey = canonical(luma)
    return np.concatenate([_HASHER.compute(grey)[0], _HASHER.compute(cv2.flip(grey, 1))[0]]).view(np.uint64)


def sample_times(duration_s: float, settings: FingerprintSettings) -> np.ndarray:
    """Seconds at which frames are sampled: every `step_s` from the start, at most `max_frames`."""
    step = max(settings.step_s, duration_s / settings.max_frames)
    return np.arange(0.0, max(duration_s, step) - 1e-9, step)[: settings.max_frames]


def fingerprint(reader: VideoReader, settings: FingerprintSettings, keep: list[int] = ()) -> Fingerprint:
    """The fingerprint of the video open in `reader`. The frames it samples are read as decoded
    (luma only) and hashed one by one, and the frames `keep` that decoding passes are kept for the
    reader's next read (the faces' frames: one decoding of the video serves both)."""
    fps = reader.fps if reader.fps > 0 else 25.0
    times = sample_times(reader.duration or reader.frame_count / fps, settings)
    wanted = sorted({min(reader.frame_count - 1, int(round(t * fps))) for t in times})
    hashed = sorted(((index, frame_hashes(luma)) for index, luma in reader.each(wanted, later=keep, grey=True)),
                    key=lambda pair: pair[0])
    if not hashed:
        return Fingerprint(np.zeros(0, np.float32), np.zeros((0, 2), np.uint64))
    return Fingerprint(np.array([index / fps for index, _ in hashed], np.float32),
                       np.stack([hashes for _, hashes in hashed]))


def fingerprint_file(path: str, settings: FingerprintSettings) -> Fingerprint:
    """The fingerprint of the video at `path`. Raises `DecodeError` when it cannot be opened."""
    with VideoReader(path) as reader:
        return fingerprint(reader, settings)
