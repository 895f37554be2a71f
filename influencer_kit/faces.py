"""From frames to faces: detection on downscaled frames, boxes mapped back, filtering, embedding."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from influencer_kit.components import Detector, Embedder, Face
from influencer_kit.frames import sample_frames


@dataclass
class FaceRecord:
    """One detected face: where it is and a JPEG of it (with a margin)."""

    frame_index: int
    box: tuple[int, int, int, int]
    confidence: float
    crop_jpeg: bytes

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]


@dataclass
class VideoFaces:
    """Everything the per-video stage learns about one video; what the face cache stores."""

    frame_indices: list[int]
    frames_jpeg: list[bytes]
    faces: list[FaceRecord] = field(default_factory=list)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def downscale(frame: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """The frame resized to `width` (never enlarged) and the factor back to full size."""
    if width <= 0 or frame.shape[1] <= width:
        return frame, 1.0
    factor = frame.shape[1] / width
    small = cv2.resize(frame, (width, round(frame.shape[0] / factor)), interpolation=cv2.INTER_AREA)
    return small, factor


def clip_box(box: tuple[float, float, float, float], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A box inside the frame, in whole pixels."""
    x, y, w, h = box
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(shape[1], int(round(x + w))), min(shape[0], int(round(y + h)))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def detect(detector: Detector, frames: list[np.ndarray], detect_width: int, min_face_size: int,
           min_confidence: float) -> list[list[Face]]:
    """Faces per frame in full-frame pixels, detected on frames downscaled to `detect_width`,
    keeping those at least `min_face_size` pixels (shorter side) and `min_confidence` sure."""
    scaled = [downscale(f, detect_width) for f in frames]
    found = detector.detect([s for s, _ in scaled])
    kept: list[list[Face]] = []
    for frame, (_, factor), faces in zip(frames, scaled, found):
        boxes = [
            Face(clip_box(tuple(v * factor for v in f.box), frame.shape), f.confidence)
            for f in faces
            if f.confidence >= min_confidence
        ]
        kept.append([f for f in boxes if min(f.box[2], f.box[3]) >= min_face_size])
    return kept


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode JPEG")
    return buf.tobytes()


def crop(frame: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.25) -> np.ndarray:
    """The face with a margin around it, for people to look at."""
    x, y, w, h = box
    mx, my = int(w * margin), int(h * margin)
    x0, y0 = max(0, x - mx), max(0, y - my)
    return frame[y0 : min(frame.shape[0], y + h + my), x0 : min(frame.shape[1], x + w + mx)]


def analyse_video(path: str, detector: Detector, embedder: Embedder, frames_per_video: int,
                  detect_width: int, min_face_size: int, min_confidence: float) -> VideoFaces:
    """Sample frames, detect faces, embed every kept face. Raises `frames.DecodeError`."""
    sample = sample_frames(path, frames_per_video)
    per_frame = detect(detector, sample.frames, detect_width, min_face_size, min_confidence)
    records: list[FaceRecord] = []
    vectors: list[np.ndarray] = []
    for index, frame, faces in zip(sample.indices, sample.frames, per_frame):
        if not faces:
            continue
        vectors.append(embedder.embed(frame, faces))
        records += [FaceRecord(index, f.box, f.confidence, encode_jpeg(crop(frame, f.box))) for f in faces]
    return VideoFaces(
        frame_indices=sample.indices,
        frames_jpeg=[encode_jpeg(f, 85) for f in sample.frames],
        faces=records,
        embeddings=np.concatenate(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32),
    )
