"""Reading chosen frames from a video, by seeking, never decoding the whole file: upright (phone
videos carry their rotation as metadata) and at the right time even when the frame rate varies."""
from __future__ import annotations

from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from influencer_kit.errors import DecodeError


def spread(frame_count: int, n: int) -> list[int]:
    """`n` frame numbers evenly spread over the video, each at the middle of its segment."""
    n = max(1, min(n, frame_count))
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


SEEK_GAP = 30  # frames: closer than this, grabbing forward is cheaper than a seek (measured on
# mp4v and H.264 clips: a seek costs about as much as grabbing 30 to 50 frames)
MAX_SEEKS = 5  # tries to land at or before a frame's time (variable frame rate: see `VideoReader`)
SEEK_BACK = 16  # OpenCV's seek to frame n decodes from the key frame at or before n - 16: frame k + 16
# costs 17 frames' decoding when k is a key frame, where another frame may cost a whole group of pictures
TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
CODEC_NAMES = {"avc1": "H.264", "h264": "H.264", "hevc": "H.265/HEVC", "hvc1": "H.265/HEVC", "hev1": "H.265/HEVC",
               "av01": "AV1", "vp90": "VP9", "vp09": "VP9", "vp80": "VP8", "mp4v": "MPEG-4 Part 2"}


class VideoReader:
    """An open video that hands out chosen frames (RGB, upright), in as many rounds as the caller
    needs. Frame `n` means the frame shown at `n / fps` seconds. Frames far ahead are reached by
    seeking, frames close ahead by grabbing, which skips converting the frames in between into
    images. OpenCV seeks to a key frame by time and then counts frames, which on a video whose
    frame rate varies (phones) lands elsewhere in time or past the end; so where the frame comes
    with a timestamp, the reader checks it, seeks earlier when it overshot and grabs forward when it
    fell short."""

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self.capture = cv2.VideoCapture(self.path)
        self.position = 0  # the frame number the next grab gives
        if not self.capture.isOpened():
            self.capture.release()
            raise DecodeError("the file is not a video OpenCV can open")
        self.frame_count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if self.frame_count <= 0:
            self.capture.release()
            raise DecodeError("the video reports no frames")
        self.fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.tolerance = max(1, round(self.fps / 2))  # frames: half a second either way is the same moment
        self.capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)  # turned in `_upright`, the same on every build
        self.turn = TURNS.get(round(self.capture.get(cv2.CAP_PROP_ORIENTATION_META)) % 360)
        self.grabbed_any = False

    @property
    def duration(self) -> float:
        """Seconds, from the frame count and rate the file declares; 0 when it declares no rate."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0

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
            if self._grab_at(index):
                ok, frame = self.capture.retrieve()
                if ok and frame is not None:
                    out.append((index, self._upright(frame)))
        return out

    def key_frames(self) -> list[int]:
        """The numbers of the video's key frames, read from its packets without decoding them (a
        3-minute 720p video in 0.04 s); empty where OpenCV's FFmpeg cannot hand out packets."""
        packets = cv2.VideoCapture(self.path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_FORMAT, -1])
        keys: list[int] = []
        try:
            count = 0
            while packets.grab():
                if packets.get(cv2.CAP_PROP_LRF_HAS_KEY_FRAME):
                    milliseconds = packets.get(cv2.CAP_PROP_POS_MSEC)
                    keys.append(round(milliseconds * self.fps / 1000) if milliseconds > 0 else count)
                count += 1
        finally:
            packets.release()
        return sorted(set(keys))

    def _upright(self, bgr: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return rgb if self.turn is None else cv2.rotate(rgb, self.turn)

    def _grab_at(self, index: int) -> bool:
        """Grab the frame shown at frame `index`'s time, within `tolerance`; False when none can be."""
        request, step = index, SEEK_GAP
        for _ in range(MAX_SEEKS):
            self._move_to(request)
            if self._grab():
                if self.position - 1 <= index + self.tolerance:
                    while self.position - 1 < index - self.tolerance:
                        if not self._grab():
                            return False
                    return True
                request -= self.position - 1 - index  # overshot: ask that much earlier
            elif not self.grabbed_any or request == 0:
                return False  # nothing decodes at all, or not even the first frame
            request, step = max(0, request - step), step * 2
        return False

    def _move_to(self, index: int) -> None:
        """Seek to `index`, or grab forward to it when it is close ahead."""
        if index - self.position > SEEK_GAP or index < self.position:
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            self.position = index
        while self.position < index and self._grab():
            pass

    def _grab(self) -> bool:
        """Grab the next frame; `position` follows its timestamp where it has one."""
        if not self.capture.grab():
            return False
        self.grabbed_any = True
        milliseconds = self.capture.get(cv2.CAP_PROP_POS_MSEC)
        self.position = round(milliseconds * self.fps / 1000) + 1 if milliseconds > 0 else self.position + 1
        return True


def codec_of(capture: cv2.VideoCapture) -> str:
    """The video codec of an open capture in words, with its fourcc: "AV1 (fourcc av01)"."""
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    code = fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\0 ")
    name = CODEC_NAMES.get(code.lower())
    return f"{name} (fourcc {code.lower()})" if name else f"fourcc {code!r}"


def codec_not_decoded(path: Path) -> str | None:
    """The codec of a video OpenCV opens but cannot decode even the first frame of (an AV1 video
    on a build without an AV1 decoder), as `codec_of` words it; None for any other file."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened() or capture.grab():
            return None
        return codec_of(capture)
    finally:
        capture.release()
