"""False faces out, real small faces in: landmarks no face can have, a face-like pattern seen in one
sampled frame only, and a second, smaller person beside the influencer."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from conftest import make_config

from influencer_kit import pipeline
from influencer_kit.faces.analyse import SURE, AnalysisRules, analyse_video, detect, people_only, plausible, sightings
from influencer_kit.faces.cache import FaceCache
from influencer_kit.faces.frames import VideoReader
from influencer_kit.model import Face, VideoFaces
from influencer_kit.plugin import manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_samples.photos import astronaut, grace_hopper
from influencer_kit_samples.videos import blank_clip, face_clip, write_video

BOX = (100, 100, 100, 120)  # x, y, width, height
# eye on the image's left, eye on its right, nose, mouth corner left, mouth corner right
UPRIGHT = ((130, 150), (170, 150), (150, 175), (135, 200), (165, 200))
TILTED = ((138, 141), (172, 161), (142, 173), (117, 187), (143, 202))  # UPRIGHT turned 30 degrees about (150, 160)


@pytest.fixture(scope="module")
def models():
    """The default detector and embedder, loaded."""
    return tuple(build_default(manager.get_component(kind, name)).fit()
                 for kind, name in (("detector", "mtcnn"), ("embedder", "dlib")))


@pytest.mark.parametrize("points", [
    pytest.param(UPRIGHT, id="upright"),
    pytest.param(TILTED, id="head_tilted_30_degrees"),
    pytest.param(None, id="detector_gives_no_landmarks"),
])
def test_a_face_with_a_faces_landmarks_is_kept(points):
    assert plausible(Face(BOX, 0.95, points))


@pytest.mark.parametrize("points", [
    pytest.param(((130, 190), (170, 190), (150, 165), (135, 140), (165, 140)), id="mouth_above_the_eyes"),
    pytest.param(((170, 170), (130, 170), (150, 145), (165, 120), (135, 120)), id="turned_upside_down"),
    pytest.param(((150, 160),) * 5, id="collapsed_to_one_point"),
    pytest.param(((230, 150), (270, 150), (250, 175), (235, 200), (265, 200)), id="outside_the_box"),
    pytest.param(((130, 150), (170, 150), (150, 210), (135, 200), (165, 200)), id="nose_below_the_mouth"),
    pytest.param(((130, 150), (170, 150), (150, 140), (135, 200), (165, 200)), id="nose_above_the_eyes"),
    pytest.param(((102, 150), (198, 150), (150, 175), (135, 200), (165, 200)), id="eyes_wider_than_a_face"),
    pytest.param(((145, 150), (155, 150), (150, 175), (135, 200), (165, 200)), id="eyes_almost_together"),
])
def test_a_face_with_landmarks_no_face_has_is_dropped(points):
    assert not plausible(Face(BOX, 0.95, points))


def test_the_default_detector_gives_plausible_landmarks_on_real_photos(models):
    for photo in (grace_hopper(), astronaut()):
        faces = detect(models[0], [photo], 480, 0, 0.9)[0]
        assert faces and all(f.landmarks is not None and plausible(f) for f in faces)


def lone_face_in_a_video(frames_read: int, confidence: float) -> tuple[int, list[int]]:
    """`frames_read` frames, each with one face at the left; the first also holds a second face far
    to the right with `confidence`. How many faces `people_only` drops, and how many it keeps per frame."""
    frames = blank_clip(frames_read, (120, 320), seed=4)
    per_frame = [[Face((20, 30, 50, 60), 0.999)] for _ in frames]
    per_frame[0].append(Face((240, 30, 50, 60), confidence))
    kept, _, dropped = people_only(sightings(frames, per_frame))
    return dropped, [len(faces) for faces in kept]


def test_a_face_alone_in_its_track_is_dropped_unless_the_detector_is_sure():
    assert lone_face_in_a_video(3, 0.95) == (1, [1, 1, 1])
    assert lone_face_in_a_video(3, SURE) == (0, [2, 1, 1])


def test_in_a_video_of_two_frames_a_face_in_one_of_them_is_kept():
    assert lone_face_in_a_video(2, 0.95) == (0, [2, 1])


ARTEFACT_FRAME = 2  # read in the first half of the plan, so the early stop does not skip it
RIGHT_PANEL = 320  # x where the panel of backdrop only begins


def artefact_video(path: Path) -> Path:
    """8 frames: Grace Hopper in the left panel of each; in one frame only, a blurred face (the
    astronaut's) in the right panel: a face-like pattern the detector is not sure of."""
    left = face_clip([grace_hopper()], 8, size=(270, RIGHT_PANEL), seed=2)
    right = blank_clip(8, (270, 480 - RIGHT_PANEL), seed=102)
    frames = [np.hstack([a, b]) for a, b in zip(left, right)]
    blurred = cv2.GaussianBlur(cv2.resize(astronaut(), (110, 110), interpolation=cv2.INTER_AREA), (0, 0), 3.4)
    frames[ARTEFACT_FRAME][80:190, 345:455] = blurred
    return write_video(path, frames)


def small_person_video(path: Path) -> Path:
    """Grace Hopper large, and the astronaut beside her, small (a face about 28 px wide)."""
    return write_video(path, face_clip([grace_hopper(), astronaut()], 10, size=(270, 480), seed=7, scales=[0.6, 0.3]))


def test_a_face_like_pattern_in_one_frame_only_is_no_person(tmp_path, models):
    path = artefact_video(tmp_path / "artefact.mp4")
    with VideoReader(str(path)) as reader:
        [(_, frame)] = reader.read([ARTEFACT_FRAME])
    pattern = [f for f in detect(models[0], [frame], 480, 20, 0.9)[0] if f.box[0] >= RIGHT_PANEL]
    assert len(pattern) == 1 and pattern[0].confidence < SURE  # the detector does see it
    found = analyse_video(str(path), *models, AnalysisRules())
    assert found.frame_indices == list(range(8)) and found.false_faces == 1
    assert [f.frame_index for f in found.faces] == list(range(8))  # Grace, in every frame
    assert all(f.box[0] < RIGHT_PANEL for f in found.faces) and {f.track for f in found.faces} == {0}


def test_the_false_face_count_survives_the_cache(tmp_path):
    cache = FaceCache(tmp_path, {"detector": "test"})
    cache.put("ab" * 32, VideoFaces([0], [b"jpeg"], false_faces=3))
    assert cache.get("ab" * 32).false_faces == 3


def test_no_false_face_becomes_an_influencer_and_a_small_second_person_is_found(tmp_path):
    artefact_video(tmp_path / "artefact.mp4")
    small_person_video(tmp_path / "small.mp4")
    sheet = tmp_path / "videos.csv"
    pd.DataFrame({"video_url": ["artefact.mp4", "small.mp4"], "performance": [1.0, 2.0]}).to_csv(sheet, index=False)
    result = pipeline.run(make_config(tmp_path, [f"data.path={sheet}", "tracking=none"]))
    artefact, small = result.videos.iloc[0], result.videos.iloc[1]
    assert artefact["status"] == "ok" and artefact["influencers"] == artefact["influencer"] != ""
    assert artefact["false_faces"] == 1 and small["false_faces"] == 0  # the row says what was left out
    faces = result.faces[small["video_sha256"]].faces
    widest = {a.person: max(faces[i].box[2] for i in a.face_ids)
              for a in result.appearances if a.video == small["video_sha256"]}
    assert len(widest) == 2
    large, little = sorted(widest, key=widest.get, reverse=True)
    assert widest[little] < 40 <= widest[large]  # under the old 40 px floor
    assert small["influencer"] == large and small["influencers"].split(";") == [large, little]
