"""Small test videos made from sample photos."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from influencer_kit_samples.videos import blank_clip, face_clip, write_video

FRAMES = 8  # frames per small video
SIZE = (270, 480)  # frame height, width: small videos, faces still well above min_face_size


def small_video(folder: Path, name: str, photos: list[np.ndarray], seed: int) -> bytes:
    """The bytes of a short mp4 of the photos drifting over a seeded backdrop (none: no face)."""
    frames = face_clip(photos, FRAMES, size=SIZE, seed=seed) if photos else blank_clip(FRAMES, SIZE, seed)
    return write_video(folder / name, frames).read_bytes()


def mirrored(photo: np.ndarray) -> np.ndarray:
    """The photo flipped left to right."""
    return np.ascontiguousarray(photo[:, ::-1])
