"""The built-in offline demo data set: short videos made from face photos that installed packages ship."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import skimage.data
from matplotlib import cbook

from influencer_kit.atomic import atomic_path
from influencer_kit.inputs.synthetic_videos import blank_clip, face_clip, load_rgb, write_video

N_FRAMES = 36
BROKEN_BYTES = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>gone</body></html>\n"


def grace_hopper() -> np.ndarray:
    """Grace Hopper's portrait from matplotlib's sample data, cropped to head and shoulders (RGB)."""
    return load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[20:430, 90:430]


def astronaut() -> np.ndarray:
    """Eileen Collins' head and shoulders from scikit-image's astronaut image (RGB)."""
    return skimage.data.astronaut()[0:250, 120:330]


def _vary(photo: np.ndarray, flip: bool = False, gain: float = 1.0) -> np.ndarray:
    """The photo, optionally mirrored left-right and brightened or darkened by `gain`."""
    photo = photo[:, ::-1] if flip else photo
    return np.clip(photo.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _clips() -> list[tuple[str, str, float, Callable[[], list[np.ndarray]]]]:
    """(file name, person, performance, frame maker) of every demo video that gets written."""
    grace, astro = grace_hopper(), astronaut()
    return [
        ("grace_1.mp4", "grace_hopper", 2.5, lambda: face_clip([grace], N_FRAMES, seed=1)),
        ("grace_2.mp4", "grace_hopper", 3.1, lambda: face_clip([_vary(grace, flip=True)], N_FRAMES, seed=2)),
        ("grace_3.mp4", "grace_hopper", 1.8, lambda: face_clip([_vary(grace, gain=1.15)], N_FRAMES, seed=3)),
        ("astronaut_1.mp4", "astronaut", 1.2, lambda: face_clip([astro], N_FRAMES, seed=4)),
        ("astronaut_2.mp4", "astronaut", 0.9, lambda: face_clip([_vary(astro, flip=True)], N_FRAMES, seed=5)),
        ("astronaut_3.mp4", "astronaut", 1.6, lambda: face_clip([_vary(astro, gain=0.85)], N_FRAMES, seed=6)),
        ("grace_and_astronaut.mp4", "grace_hopper", 4.2, lambda: face_clip([grace, astro], N_FRAMES, seed=7)),
        ("no_face.mp4", "", 0.7, lambda: blank_clip(N_FRAMES, seed=8)),
    ]


def build_demo(folder: Path, force: bool = False) -> Path:
    """Write the demo videos to `folder/videos` and their sheet to `folder/demo.csv`; returns the csv path.

    The sheet also lists a broken video (HTML bytes) and a missing file. An existing sheet is
    reused unless `force`; it is written last, so its presence means the set is complete.
    """
    folder = Path(folder)
    csv = folder / "demo.csv"
    if csv.exists() and not force:
        return csv
    videos = folder / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, person, performance, make in _clips():
        write_video(videos / name, make())
        rows.append((f"videos/{name}", performance, person))
    with atomic_path(videos / "broken.mp4") as tmp:
        tmp.write_bytes(BROKEN_BYTES)
    (videos / "missing.mp4").unlink(missing_ok=True)
    rows += [("videos/broken.mp4", 2.0, ""), ("videos/missing.mp4", 1.4, "")]
    sheet = pd.DataFrame(rows, columns=["Video URL", "Performance", "Person"])
    with atomic_path(csv) as tmp:
        sheet.to_csv(tmp, index=False)
    return csv
