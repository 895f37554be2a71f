"""Tests for building videos from photos and for the built-in demo data set."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from influencer_kit.inputs.demo import SHIPPED, build_demo
from influencer_kit_samples.demo import write_demo
from influencer_kit_samples.videos import blank_clip, face_clip, load_rgb, write_video

SIZE = (120, 160)


def _photo(height: int = 60, width: int = 40) -> np.ndarray:
    """A smooth synthetic 'photo' with distinct colours per channel."""
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([yy * 255 // height, xx * 255 // width, np.full_like(yy, 200)], axis=-1).astype(np.uint8)


def _read_frames(path: Path) -> list[np.ndarray]:
    """All frames of a video, as RGB."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    ok, frame = cap.read()
    while ok:
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        ok, frame = cap.read()
    cap.release()
    return frames


def test_write_video_round_trip(tmp_path: Path) -> None:
    frames = face_clip([_photo()], n_frames=12, size=SIZE, seed=3)
    path = write_video(tmp_path / "clip.mp4", iter(frames))
    assert path == tmp_path / "clip.mp4"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temp file left behind
    decoded = _read_frames(path)
    assert len(decoded) == len(frames)
    assert decoded[0].shape == (*SIZE, 3)
    for got, want in zip(decoded, frames):
        assert np.abs(got.astype(int) - want.astype(int)).mean() < 8


def test_write_video_rejects_no_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_video(tmp_path / "empty.mp4", [])
    assert not list(tmp_path.iterdir())


def test_load_rgb_handles_grey_and_alpha(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "grey.png"), np.full((5, 7), 90, np.uint8))
    cv2.imwrite(str(tmp_path / "rgba.png"), np.zeros((5, 7, 4), np.uint8))  # fully transparent
    grey, rgba = load_rgb(tmp_path / "grey.png"), load_rgb(tmp_path / "rgba.png")
    assert grey.shape == rgba.shape == (5, 7, 3) and grey.dtype == rgba.dtype == np.uint8
    assert (grey == 90).all() and (rgba == 255).all()


def test_face_clip_shape_and_seed() -> None:
    faces = [_photo(), _photo(30, 30)]
    clip = face_clip(faces, n_frames=7, size=SIZE, seed=1)
    assert len(clip) == 7
    assert all(f.shape == (*SIZE, 3) and f.dtype == np.uint8 for f in clip)
    assert np.array_equal(clip[0], face_clip(faces, n_frames=7, size=SIZE, seed=1)[0])
    assert not np.array_equal(clip[0], face_clip(faces, n_frames=7, size=SIZE, seed=2)[0])
    assert not np.array_equal(clip[0], clip[-1])  # things move


def test_face_clip_pastes_whole_photos_apart() -> None:
    red, blue = np.zeros((40, 30, 3), np.uint8), np.zeros((40, 30, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    for frame in face_clip([red, blue], n_frames=5, size=SIZE, seed=4, scales=(0.5, 0.4)):
        for channel, height in ((0, round(0.5 * SIZE[0])), (2, round(0.4 * SIZE[0]))):
            pure = (frame[..., channel] == 255) & (frame.sum(axis=-1) == 255)
            rows, cols = np.nonzero(pure)
            assert rows.max() - rows.min() + 1 >= height  # the whole photo, at least its base size
            assert pure[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()  # not covered


def test_blank_clip() -> None:
    clip = blank_clip(n_frames=4, size=SIZE, seed=5)
    assert len(clip) == 4 and clip[0].shape == (*SIZE, 3)


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"))


def test_build_demo_sheet_and_files(demo_csv: Path) -> None:
    sheet = pd.read_csv(demo_csv, keep_default_na=False)
    assert list(sheet.columns) == ["Video URL", "Performance", "Person"]
    assert len(sheet) == 10
    assert sheet["Person"].value_counts().to_dict() == {"grace_hopper": 4, "astronaut": 3, "": 3}
    assert sheet["Performance"].nunique() == len(sheet)
    for url in sheet["Video URL"]:
        path = demo_csv.parent / url
        assert path.exists() == (path.name != "missing.mp4"), url
    assert not _read_frames(demo_csv.parent / "videos" / "broken.mp4")
    frames = _read_frames(demo_csv.parent / "videos" / "grace_and_astronaut.mp4")
    assert 30 <= len(frames) <= 40 and frames[0].shape == (540, 960, 3)
    assert all(p.stat().st_size < 1_000_000 for p in (demo_csv.parent / "videos").iterdir())


def test_build_demo_is_cached(demo_csv: Path) -> None:
    files = [demo_csv, *(demo_csv.parent / "videos").iterdir()]
    before = [p.stat().st_mtime_ns for p in files]
    assert build_demo(demo_csv.parent) == demo_csv
    assert [p.stat().st_mtime_ns for p in files] == before


def test_build_demo_restores_a_changed_file(tmp_path: Path) -> None:
    csv = build_demo(tmp_path)
    video = tmp_path / "videos" / "grace_1.mp4"
    video.write_bytes(b"not a video")
    assert build_demo(tmp_path) == csv
    assert video.read_bytes() == (SHIPPED / "videos" / "grace_1.mp4").read_bytes()


SHIPPED_SHEET = """Video URL,Performance,Person
videos/grace_1.mp4,2.5,grace_hopper
videos/grace_2.mp4,3.1,grace_hopper
videos/grace_3.mp4,1.8,grace_hopper
videos/astronaut_1.mp4,1.2,astronaut
videos/astronaut_2.mp4,0.9,astronaut
videos/astronaut_3.mp4,1.6,astronaut
videos/grace_and_astronaut.mp4,4.2,grace_hopper
videos/no_face.mp4,0.7,
videos/broken.mp4,2.0,
videos/missing.mp4,1.4,
"""


def test_the_shipped_demo_set_is_what_the_samples_build(tmp_path: Path) -> None:
    """The prebuilt set in the package is the one `python -m influencer_kit_samples.demo` writes:
    the same sheet, the same files, the same 36 frames per video (within encoder rounding)."""
    csv = write_demo(tmp_path)
    assert csv.read_text() == SHIPPED_SHEET == (SHIPPED / "demo.csv").read_text()
    names = sorted(p.name for p in (SHIPPED / "videos").iterdir())
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == names
    assert (SHIPPED / "videos" / "broken.mp4").read_bytes() == (tmp_path / "videos" / "broken.mp4").read_bytes()
    for name in (n for n in names if n != "broken.mp4"):
        shipped, built = _read_frames(SHIPPED / "videos" / name), _read_frames(tmp_path / "videos" / name)
        assert len(shipped) == len(built) == 36, name
        assert np.abs(np.stack(shipped).astype(np.int16) - np.stack(built)).mean() < 1.0, name
