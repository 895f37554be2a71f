"""Reading chosen frames from a video with PyAV (FFmpeg), never decoding the whole file: upright
(phone videos carry their rotation as metadata) and at the right time even when the frame rate
varies. A key frame decodes on its own, any other frame only after the frames from the key frame
before it, so a frame near a key frame may be read as that key frame (`VideoReader.read`'s
tolerance)."""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np

from influencer_kit.errors import DecodeError
from influencer_kit.threads import threads as worker_threads


def spread(frame_count: int, n: int) -> list[int]:
    """`n` frame numbers evenly spread over the video, each at the middle of its segment."""
    n = max(1, min(n, frame_count))
    return sorted({int((i + 0.5) * frame_count / n) for i in range(n)})


def tolerance_of(plan: list[int], frame_count: int) -> int:
    """How far (in frames) a frame read for a planned one may lie from it: less than half the
    smallest gap between planned frames, so that no two planned frames can be served by one and
    each stays in its own stretch of the video (for an evenly spread plan, its segment)."""
    gaps = [b - a for a, b in zip(plan, plan[1:])] or [frame_count]
    return max(0, (min(gaps) - 1) // 2)


LUMA_FIRST = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "gray"})
# pixel formats whose first plane is the 8-bit luma
TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
CODEC_NAMES = {"avc1": "H.264", "h264": "H.264", "hevc": "H.265/HEVC", "hvc1": "H.265/HEVC", "hev1": "H.265/HEVC",
               "av01": "AV1", "av1": "AV1", "vp90": "VP9", "vp09": "VP9", "vp9": "VP9", "vp80": "VP8", "vp8": "VP8",
               "mp4v": "MPEG-4 Part 2", "mpeg4": "MPEG-4 Part 2", "v_avs2": "AVS2", "avs2": "AVS2",
               "v_avs3": "AVS3", "avs3": "AVS3"}


class VideoReader:
    """An open video that hands out chosen frames (RGB, upright), in as many rounds as the caller
    needs. Frame `n` means the frame shown at `n / fps` seconds (`fps` the average rate). The
    frames' times and the key frames come from the file's packets, read once without decoding (a
    15 s 720p video in 3-20 ms), so a frame is found by its time even when the frame rate varies.
    A wanted frame is reached by decoding forward from here, or by seeking to the key frame before
    it when that key frame lies ahead (which decodes fewer frames). FFmpeg decodes on `threads`
    threads (None: this process's share, `influencer_kit.threads`)."""

    def __init__(self, path: str, threads: int | None = None) -> None:
        self.path = str(path)
        try:
            self.container = av.open(self.path)
        except (av.FFmpegError, OSError, UnicodeDecodeError) as err:
            raise DecodeError("the file is not a video FFmpeg can open") from err
        try:
            self._open_stream(threads or worker_threads())
        except BaseException:
            self.container.close()
            raise
        self._decoding: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._last = -1  # ordinal of the last frame `_decoding` gave
        self._served: set[int] = set()  # ordinals handed out: a key frame serves one wanted frame
        self._later: set[int] = set()  # ordinals a later round wants (`read`)
        self._kept: dict[int, av.VideoFrame] = {}  # those of them decoded on the way

    def _open_stream(self, threads: int) -> None:
        if not self.container.streams.video:
            raise DecodeError("the file has no video stream")
        self.stream = self.container.streams.video[0]
        if self.stream.codec_context is None:
            raise DecodeError("its video codec has no decoder in this FFmpeg")
        self.stream.codec_context.thread_count = threads
        self.stream.codec_context.thread_type = "AUTO" if threads != 1 else "SLICE"
        stamps, keys = self._scan_packets()
        if not stamps:
            raise DecodeError("the video reports no frames")
        self.stamps = sorted(stamps)  # presentation time stamps, one per frame: the frames' ordinals
        seconds = float((self.stamps[-1] - self.stamps[0]) * self.stream.time_base) if self.stream.time_base else 0.0
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.fps = (len(stamps) - 1) / seconds if seconds > 0 else float(rate or 0) or 1.0
        self.frame_count = len(stamps)
        self.key_ordinals = sorted({bisect.bisect_left(self.stamps, key) for key in keys})

    def _scan_packets(self) -> tuple[list[int], list[int]]:
        """Each frame's time stamp and the key frames' (packets without one count one step after the
        one before), from the packets, without decoding."""
        stamps, keys, last = [], [], -1
        for packet in self.container.demux(self.stream):
            if packet.size == 0 or packet.is_discard:
                continue
            stamp = packet.pts if packet.pts is not None else last + 1
            stamps.append(stamp)
            if packet.is_keyframe:
                keys.append(stamp)
            last = stamp
        return stamps, keys

    @property
    def duration(self) -> float:
        """Seconds from the first frame's time to one frame past the last frame's."""
        return self.frame_count / self.fps

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.container.close()

    def key_frames(self) -> list[int]:
        """The numbers of the video's key frames."""
        return [self._number(k) for k in self.key_ordinals]

    def read(self, wanted: list[int], tolerance: int = 0, later: list[int] = (),
             grey: bool = False) -> list[tuple[int, np.ndarray]]:
        """(frame number, RGB frame) for the wanted frames, in time order, skipping any frame that
        fails to decode; with `grey`, the frames' luma (brightness) instead, taken as decoded with
        no conversion. With a `tolerance`, a wanted frame is served by the nearest key frame at
        most that many frames away (the earlier on a tie) that has served no other, numbered as
        that key frame; else by the wanted frame itself (the fallback: decoding from the key frame
        before it). Frames of `later` (a later read's) that decoding passes on the way, wanted now
        or not, are kept, undecoded into images, and serve that read without decoding again."""
        return sorted(self.each(wanted, tolerance, later, grey), key=lambda pair: pair[0])

    def each(self, wanted: list[int], tolerance: int = 0, later: list[int] = (),
             grey: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """`read`'s frames one at a time, as they are decoded, so that only one is held at once: the
        frames ahead of the decoder's position first, in time order, then those behind it."""
        self._later = {self._ordinal(number) for number in later}
        ahead = sorted(number for number in wanted if self._ordinal(number) > self._last)
        order = ahead + sorted(number for number in wanted if number not in ahead)
        for number, following in zip(order, [*order[1:], None]):
            key = None if self._ordinal(number) in self._kept else self._key_near(number, tolerance)
            ordinal = self._ordinal(number) if key is None else key
            alone = following is None or not self._same_group(ordinal, self._ordinal(following))
            frame = self._frame(ordinal, grey, alone)
            if frame is not None:
                self._served.add(ordinal)
                yield number if key is None else self._number(key), frame

    def _number(self, ordinal: int) -> int:
        return round(float((self.stamps[ordinal] - self.stamps[0]) * self.stream.time_base) * self.fps)

    def _ordinal(self, number: int) -> int:
        """The frame shown at frame `number`'s time (half a frame late, so a frame's own number finds it)."""
        stamp = self.stamps[0] + (number + 0.5) / self.fps / self.stream.time_base
        return min(max(bisect.bisect_right(self.stamps, stamp) - 1, 0), self.frame_count - 1)

    def _key_near(self, number: int, tolerance: int) -> int | None:
        if tolerance <= 0:
            return None
        near = [k for k in self.key_ordinals
                if abs(self._number(k) - number) <= tolerance and k not in self._served]
        return min(near, key=lambda k: (abs(self._number(k) - number), k), default=None)

    def _same_group(self, ordinal: int, other: int) -> bool:
        """Whether frame `other` comes after `ordinal` with no key frame after `ordinal` up to it."""
        return ordinal < other and bisect.bisect_right(self.key_ordinals, ordinal) == bisect.bisect_right(
            self.key_ordinals, other)

    def _frame(self, ordinal: int, grey: bool = False, alone: bool = True) -> np.ndarray | None:
        """The frame of `ordinal`, upright RGB (or luma); None when it cannot be decoded. A key frame
        is decoded on its own (`alone`) unless the next frame wanted follows it in its group."""
        if ordinal in self._kept:
            return self._upright(self._kept.pop(ordinal), grey)
        at = bisect.bisect_right(self.key_ordinals, ordinal) - 1
        key = self.key_ordinals[at] if at >= 0 else 0
        try:
            if self._decoding is None or ordinal <= self._last or key > self._last:
                if key == ordinal and alone:
                    single = self._key_alone(key, grey)
                    if single is not None:
                        return single
                self._decoding, self._last = self._decoded_from(key), -1
            for self._last, frame in self._decoding:
                if self._last in self._later:
                    self._kept[self._last] = frame
                if self._last >= ordinal:
                    return self._upright(frame, grey)
        except av.FFmpegError:
            pass
        self._decoding = None
        return None

    def _key_alone(self, key: int, grey: bool) -> np.ndarray | None:
        """A key frame, decoded on its own: its packet, then the decoder drained. None when the seek
        lands elsewhere. The decoder cannot go on from there: the next frame seeks again."""
        self._decoding, self._last = None, key
        self.container.seek(self.stamps[key], stream=self.stream)
        packet = next(iter(self.container.demux(self.stream)), None)
        if packet is None:
            return None
        frames = [*self.stream.codec_context.decode(packet), *self.stream.codec_context.decode(None)]
        for frame in frames:
            if self._frame_ordinal(frame) == key:
                if key in self._later:
                    self._kept[key] = frame
                return self._upright(frame, grey)
        return None

    def _decoded_from(self, key: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """(ordinal, frame) for every frame from the key frame `key` on."""
        self.container.seek(self.stamps[key], stream=self.stream)
        for packet in self.container.demux(self.stream):
            for frame in self.stream.codec_context.decode(packet):
                yield self._frame_ordinal(frame), frame

    def _frame_ordinal(self, frame: av.VideoFrame) -> int:
        if frame.pts is None:
            return self._last + 1
        return max(bisect.bisect_right(self.stamps, frame.pts) - 1, 0)

    @staticmethod
    def _upright(frame: av.VideoFrame, grey: bool = False) -> np.ndarray:
        image = luma(frame) if grey else frame.to_ndarray(format="rgb24")
        turn = TURNS.get(round(-frame.rotation) % 360)
        return image if turn is None else cv2.rotate(image, turn)


def luma(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame's brightness, one byte a pixel: its luma plane as decoded (a copy, no
    conversion) when it has one of 8 bits, else converted to grey."""
    if frame.format.name not in LUMA_FIRST:
        return frame.to_ndarray(format="gray")
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    return rows[: frame.height, : frame.width].copy()


def declared_codec(path: Path) -> str:
    """The video codec a file declares, in words: from the MP4 sample entry's fourcc or the
    Matroska CodecID when FFmpeg here has no decoder (and so no name) for it."""
    head = Path(path).read_bytes()[: 1 << 20]
    mp4 = head.find(b"stsd")
    code = (head[mp4 + 16: mp4 + 20].decode("ascii", "replace") if mp4 >= 0 else
            next(iter(re.findall(rb"V_[A-Z0-9_/]+", head)), b"").decode("ascii"))
    name = CODEC_NAMES.get(code.lower())
    return f"{name} ({code})" if name else f"an unknown codec ({code or 'not declared'})"


def codec_not_decoded(path: Path) -> str | None:
    """The codec of a video FFmpeg opens but cannot decode even the first frame of (one it has no
    decoder for), in words; None for any other file."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if stream.codec_context is None:
                return declared_codec(path)
            try:
                next(container.decode(stream))
                return None
            except (av.FFmpegError, StopIteration):
                name = stream.codec_context.name
                return f"{CODEC_NAMES.get(name, stream.codec_context.codec.long_name)} ({name})"
    except (av.FFmpegError, OSError):
        return None
