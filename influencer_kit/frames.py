"""Reading a few evenly spread frames from a video, by seeking, never decoding the whole file."""
from __future__ import annotations

from types import TracebackType

import cv2
import numpy as np


class DecodeError(RuntimeError):
    """The file is not a video OpenCV can decode (an HTML page, a truncated download...)."""


def spread(frame_count: int, n: int) -> list[int]:
    """`n` frame numbers evenly spread over the video, each at the middle of its segment."""
    n = max(1, min(n, frame_count))
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


SEEK_GAP = 30  # frames: closer than this, grabbing forward is cheaper than a seek (measured on
# mp4v and H.264 clips: a seek costs about as much as grabbing 30 to 50 frames)


class VideoReader:
    """An open video that hands out chosen frames (RGB), in as many rounds as the caller needs.
    Frames far ahead are reached by seeking; frames close ahead by grabbing, which skips
    converting the frames in between into images."""

    def __init__(self, path: str) -> None:
        self.capture = cv2.VideoCapture(str(path))
        self.position = 0
        if not self.capture.isOpened():
            self.capture.release()
            raise DecodeError("the file is not a video OpenCV can open")
        self.frame_count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if self.frame_count <= 0:
            self.capture.release()
            raise DecodeError("the video reports no frames")

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.capture.release()

    def read(self, wanted: list[int]) -> list[tuple[int, np.ndarray]]:
        """(frame number, RGB frame) for each wanted frame, in the given order, skipping any
        frame that fails to decode."""
        out: list[tuple[int, np.ndarray]] = []
        for index in wanted:
            if index - self.position > SEEK_GAP or index < self.position:
                self.capture.set(cv2.CAP_PROP_POS_FRAMES, index)
                self.position = index
            while self.position < index and self.capture.grab():
                self.position += 1
            ok, frame = self.capture.read()
            self.position += 1
            if ok and frame is not None:
                out.append((index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
        return out
