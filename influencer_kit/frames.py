"""Reading a few evenly spread frames from a video, by seeking, never decoding the whole file."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


class DecodeError(RuntimeError):
    """The file is not a video OpenCV can decode (an HTML page, a truncated download...)."""


@dataclass
class FrameSample:
    indices: list[int]  # frame numbers read
    frames: list[np.ndarray]  # RGB uint8
    frame_count: int
    fps: float


def spread(frame_count: int, n: int) -> list[int]:
    """`n` frame numbers evenly spread over the video, each at the middle of its segment."""
    n = max(1, min(n, frame_count))
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


def sample_frames(path: str, n: int) -> FrameSample:
    """Read `n` evenly spread frames. Frames far apart are reached by seeking; frames close together
    by grabbing (which skips decoding into an image) and retrieving only the wanted ones."""
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise DecodeError("the file is not a video OpenCV can open")
        frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if frame_count <= 0:
            raise DecodeError("the video reports no frames")
        wanted = spread(frame_count, n)
        frames = read_frames(cap, wanted)
    finally:
        cap.release()
    if not frames:
        raise DecodeError(f"none of the {len(wanted)} sampled frames could be decoded")
    indices, images = zip(*frames)
    return FrameSample(list(indices), [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in images], frame_count, fps)


SEEK_GAP = 30  # frames: closer than this, grabbing forward is cheaper than a seek


def read_frames(cap: cv2.VideoCapture, wanted: list[int]) -> list[tuple[int, np.ndarray]]:
    """The wanted frames (BGR) that decode; a frame that fails to decode is skipped."""
    out: list[tuple[int, np.ndarray]] = []
    position = 0
    for index in wanted:
        if index - position > SEEK_GAP or index < position:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            position = index
        while position < index and cap.grab():
            position += 1
        ok, frame = cap.read()
        position += 1
        if ok and frame is not None:
            out.append((index, frame))
    return out
