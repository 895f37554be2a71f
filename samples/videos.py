"""Videos from still photos (tests, benchmarks, the demo set): moving faces over synthetic backgrounds."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path

import cv2
import numpy as np

from influencer_kit.atomic import atomic_path

MAIN_SCALE = 0.6  # height of the first (main) photo, as a fraction of the frame height
SIDE_SCALE = 0.3  # height of every further photo
ZOOM = 0.06  # largest extra zoom over a clip
TRAVEL = 0.4  # fraction of the free room a photo crosses over a clip


def load_rgb(path: str | Path) -> np.ndarray:
    """Read any image file (colour, grey, with alpha, 16-bit) as uint8 RGB, HxWx3."""
    img = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"not a readable image: {path}")
    if img.dtype != np.uint8:
        img = (img.astype(np.float64) * 255.0 / np.iinfo(img.dtype).max).round().astype(np.uint8)
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        over_white = img[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return cv2.cvtColor(over_white.round().astype(np.uint8), cv2.COLOR_BGR2RGB)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def write_video(path: Path, frames: Iterable[np.ndarray], fps: float = 10.0) -> Path:
    """Write uint8 RGB frames to an .mp4 (fourcc 'mp4v'), atomically; returns `path`."""
    path = Path(path)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ValueError("no frames to write")
    height, width = first.shape[:2]
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        try:
            if not writer.isOpened():
                raise RuntimeError(f"OpenCV cannot write video {path}")
            for frame in chain([first], it):
                if frame.shape != (height, width, 3):
                    raise ValueError(f"frame of shape {frame.shape}, expected {(height, width, 3)}")
                writer.write(cv2.cvtColor(np.ascontiguousarray(frame, dtype=np.uint8), cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
    return path


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A seeded backdrop: a colour gradient, a few soft blobs and faint grain (float32 RGB)."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    ramp = np.cos(angle) * xx / w + np.sin(angle) * yy / h
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    start, end = rng.uniform(25.0, 230.0, size=(2, 3)).astype(np.float32)
    img = start + ramp[..., None] * (end - start)
    for _ in range(int(rng.integers(4, 9))):
        mask = np.zeros((h, w), np.float32)
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(w // 12, w // 3)), int(rng.integers(h // 12, h // 3)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), sigmaX=max(h, w) / 25)[..., None]
        colour = rng.uniform(0.0, 255.0, size=3).astype(np.float32)
        img += float(rng.uniform(0.25, 0.6)) * mask * (colour - img)
    img += rng.normal(0.0, 3.0, size=img.shape).astype(np.float32)
    return np.clip(img, 0, 255)


def _zoomed(img: np.ndarray, zoom: float) -> np.ndarray:
    """`img` magnified by `zoom` about its centre, same size."""
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, zoom)
    return cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _photo_sizes(
    faces: Sequence[np.ndarray], size: tuple[int, int], scales: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Base photo heights and widths at full zoom, shrunk together if they would not fit side by side."""
    h, w = size
    heights = [s * h for s in scales[: len(faces)]]
    widths = [(1 + ZOOM) * hh * f.shape[1] / f.shape[0] for hh, f in zip(heights, faces)]
    shrink = min(1.0, w / (sum(widths) or 1.0), h / ((1 + ZOOM) * max(heights, default=1.0)))
    return [hh * shrink for hh in heights], [ww * shrink for ww in widths]


def _lanes(widths: Sequence[float], width: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Disjoint pixel column ranges [start, end), one per photo in a random order, sharing the spare room."""
    spare = (width - sum(widths)) / max(len(widths), 1)
    lanes: list[tuple[int, int]] = [(0, 0)] * len(widths)
    left = 0.0
    for i in rng.permutation(len(widths)):
        right = left + widths[i] + spare
        lanes[i] = (int(np.ceil(left)), int(right))
        left = right
    return lanes


def _path(rng: np.random.Generator) -> tuple[float, float]:
    """Start and end fractions of a slow drift across the free room."""
    start = float(rng.uniform(0.0, 1.0 - TRAVEL))
    return (start, start + TRAVEL) if rng.random() < 0.5 else (start + TRAVEL, start)


def _paste(
    frame: np.ndarray,
    photo: np.ndarray,
    height: int,
    lane: tuple[int, int],
    drift: tuple[tuple[float, float], tuple[float, float]],
    t: float,
) -> None:
    """Paste the whole `photo`, `height` px tall, inside `lane`, at progress `t` along `drift`."""
    (left, right), ((fx0, fx1), (fy0, fy1)) = lane, drift
    height = max(1, height)
    width = max(1, min(round(height * photo.shape[1] / photo.shape[0]), right - left))
    x = left + round((fx0 + (fx1 - fx0) * t) * (right - left - width))
    y = round((fy0 + (fy1 - fy0) * t) * (frame.shape[0] - height))
    frame[y : y + height, x : x + width] = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)


def face_clip(
    faces: Sequence[np.ndarray],
    n_frames: int = 40,
    size: tuple[int, int] = (540, 960),
    seed: int = 0,
    scales: Sequence[float] | None = None,
) -> list[np.ndarray]:
    """Frames of size (H, W) where the whole photos drift, never overlapping, over a seeded backdrop.

    The first photo is the main person (``MAIN_SCALE`` of the frame height by default), the
    others are smaller; the view zooms in or out slightly over the clip.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    scales = scales if scales is not None else [MAIN_SCALE] + [SIDE_SCALE] * (len(faces) - 1)
    if len(scales) < len(faces):
        raise ValueError(f"{len(faces)} photos but only {len(scales)} scales")
    background = _background(size, rng)
    heights, widths = _photo_sizes(faces, size, scales)
    lanes = _lanes(widths, w, rng)
    drifts = [(_path(rng), _path(rng)) for _ in faces]
    zoom_in = rng.random() < 0.5
    frames = []
    for t in np.linspace(0.0, 1.0, n_frames):
        zoom = 1.0 + ZOOM * (t if zoom_in else 1.0 - t)
        frame = _zoomed(background, zoom).astype(np.uint8)
        for face, base, lane, drift in zip(faces, heights, lanes, drifts):
            _paste(frame, face, round(base * zoom), lane, drift, t)
        frames.append(frame)
    return frames


def blank_clip(n_frames: int = 30, size: tuple[int, int] = (540, 960), seed: int = 0) -> list[np.ndarray]:
    """A clip of the seeded backdrop alone, with no face in it."""
    return face_clip((), n_frames=n_frames, size=size, seed=seed)
