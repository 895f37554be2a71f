"""Build the offline demo set: short videos of two people made from sample photos, and its sheet.

The set ships prebuilt in `influencer_kit/inputs/demo_set/` (the runtime copies it, needing none of
the libraries used here); `python -m influencer_kit_samples.demo [FOLDER]` rebuilds it there."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from influencer_kit.atomic import atomic_path
from influencer_kit.inputs.demo import SHIPPED
from influencer_kit_samples.photos import astronaut, grace_hopper
from influencer_kit_samples.videos import blank_clip, face_clip, write_video

N_FRAMES = 36
BROKEN_BYTES = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>gone</body></html>\n"


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


def write_demo(folder: Path) -> Path:
    """Write the demo videos to `folder/videos` and their sheet to `folder/demo.csv`; returns the csv.

    The sheet also lists a broken video (HTML bytes) and a missing file; the csv is written last.
    """
    folder = Path(folder)
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
    csv = folder / "demo.csv"
    with atomic_path(csv) as tmp:
        sheet.to_csv(tmp, index=False)
    return csv


if __name__ == "__main__":
    print(write_demo(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(str(SHIPPED))))
