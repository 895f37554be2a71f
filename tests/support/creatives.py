"""Ad variants of videos, made at test time: a 9:16 crop, and the demo sheet with two variant rows."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from influencer_kit.inputs.demo import build_demo
from influencer_kit_samples.videos import write_video


def read_frames(path: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of a video (RGB) and its frame rate."""
    cap = cv2.VideoCapture(str(path))
    fps, frames = cap.get(cv2.CAP_PROP_FPS), []
    while (got := cap.read())[0]:
        frames.append(cv2.cvtColor(got[1], cv2.COLOR_BGR2RGB))
    cap.release()
    return frames, fps


def vertical(frame: np.ndarray) -> np.ndarray:
    """The 9:16 centre crop of a frame."""
    height, width = frame.shape[:2]
    keep = int(height * 9 / 16) // 2 * 2
    return np.ascontiguousarray(frame[:, (width - keep) // 2: (width - keep) // 2 + keep])


def demo_with_variants(folder: Path) -> Path:
    """The demo sheet with two more rows: 11, grace_1 mirrored and trimmed; 12, astronaut_1 cropped
    to 9:16. Returns the sheet's path."""
    csv = build_demo(folder)
    grace, fps = read_frames(folder / "videos" / "grace_1.mp4")
    write_video(folder / "videos" / "grace_1_variant.mp4", [np.ascontiguousarray(f[:, ::-1]) for f in grace[2:]], fps)
    astronaut, fps = read_frames(folder / "videos" / "astronaut_1.mp4")
    write_video(folder / "videos" / "astronaut_1_vertical.mp4", [vertical(f) for f in astronaut], fps)
    sheet = pd.read_csv(csv)
    extra = pd.DataFrame({"Video URL": ["videos/grace_1_variant.mp4", "videos/astronaut_1_vertical.mp4"],
                          "Performance": [2.9, 1.0], "Person": ["grace_hopper", "astronaut"]})
    pd.concat([sheet, extra]).to_csv(folder / "variants.csv", index=False)
    return folder / "variants.csv"
