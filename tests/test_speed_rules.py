"""The rules that keep the per-video work small: early stop, face tracks, best faces per track, and
the readers and batch paths that must give the same answer as the slow way."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import make_config

from influencer_kit import pipeline
from influencer_kit.faces.analyse import (
    AnalysisRules,
    Sighting,
    analyse_video,
    best_faces,
    colour_of,
    disagreeing_tracks,
    downscale,
    link_tracks,
    settled,
    split_plan,
    track_filled,
)
from influencer_kit.faces.frames import VideoReader, spread
from influencer_kit.model import Face
from influencer_kit.plugin import manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_samples.photos import grace_hopper
from influencer_kit_samples.videos import blank_clip, face_clip, load_rgb, write_video


def face(x: int, y: int, w: int = 50, person: int = 0) -> Sighting:
    """A face sighting whose colours are those of `person` (each person has their own)."""
    colour = np.random.default_rng(person).random((16, 8)).astype(np.float32)
    return Sighting(0, Face((x, y, w, w), 0.99), colour / colour.sum(), 1.0)


def test_early_stop_reads_every_other_frame_first_when_that_is_at_least_four():
    plan = spread(300, 8)
    first, rest = split_plan(plan, early_stop=True)
    assert first == plan[::2] and rest == plan[1::2] and len(first) == 4
    assert split_plan(plan, early_stop=False) == (plan, [])
    six = spread(300, 6)
    assert split_plan(six, early_stop=True) == (six, [])  # 3 frames first would be fewer than 4


def test_faces_link_to_the_nearest_similar_face_of_the_previous_frame():
    frames = [
        [face(100, 100), face(400, 100)],
        [face(540, 110), face(130, 95)],  # both moved (one by almost 3 widths), listed in the other order
        [face(560, 120), face(900, 400)],  # the left one is gone; a new face far from both
        [face(560, 120, w=120), face(900, 400, person=1)],  # more than 1.5x wider; other colours
    ]
    tracks = link_tracks(frames)
    assert tracks[0] == [0, 1]
    assert tracks[1] == [1, 0]
    assert tracks[2] == [1, 2]
    assert tracks[3] == [3, 4]
    assert link_tracks(frames) == tracks  # deterministic


def test_colour_of_a_face_box_is_a_histogram_that_tells_people_apart(shared_faces):
    photos = [load_rgb(shared_faces / "people" / name) for name in ("biden/biden.jpg", "obama/obama.jpg")]
    colours = [colour_of(p, (0, 0, p.shape[1], p.shape[0])) for p in photos]
    assert all(c.shape == (16, 8) and c.sum() == pytest.approx(1.0) for c in colours)
    same = Sighting(0, Face((0, 0, 50, 50), 1.0), colours[0], 1.0)
    assert link_tracks([[same], [same]]) == [[0], [0]]
    assert link_tracks([[same], [Sighting(1, same.face, colours[1], 1.0)]]) == [[0], [1]]


def test_settled_means_same_number_of_faces_in_unbroken_tracks():
    steady = [[face(100 + 20 * i, 100), face(600, 100 + 10 * i)] for i in range(4)]
    assert settled(steady)
    assert not settled(steady[:3] + [steady[3][:1]])  # a face went missing
    assert not settled([[] for _ in range(4)])  # nobody yet: keep looking
    jumped = steady[:2] + [[face(140, 100, person=2), face(600, 120)], [face(160, 100, person=2), face(600, 130)]]
    assert not settled(jumped)  # one track broke (other colours): maybe another person


def test_best_faces_takes_the_largest_most_confident_face_of_each_track_run():
    tracks = [0, 1, 0, 1, 0, 1, 0]
    quality = [5.0, 1.0, 9.0, 3.0, 9.0, 2.0, 4.0]
    assert best_faces(tracks, quality, 1) == [2, 3]  # a tie (faces 2 and 4) goes to the earlier face
    assert best_faces(tracks, quality, 2) == [2, 3, 4, 5]  # runs [0, 2] [4, 6] and [1, 3] [5]
    assert best_faces(tracks, quality, 0) == list(range(7))
    assert best_faces([0], [1.0], 3) == [0]


def test_tracks_whose_embedded_faces_disagree_are_found():
    a, b = np.zeros(4, np.float32), np.ones(4, np.float32)  # 2.0 apart
    tracks = [0, 0, 1, 1]
    assert disagreeing_tracks(tracks, {0: a, 1: a + 0.1, 2: a, 3: b}, distance=0.5) == {1}
    assert disagreeing_tracks(tracks, {0: a, 2: b}, distance=0.5) == set()  # one face each: nothing to compare


def test_a_face_not_embedded_carries_the_nearest_embedded_face_of_its_track():
    a, b, c = (np.full(3, v, np.float32) for v in (1.0, 2.0, 3.0))
    tracks, frames = [0, 1, 0, 0, 1, 0], [0, 0, 1, 2, 2, 4]
    rows = track_filled(tracks, frames, {0: a, 5: b, 4: c})
    assert np.array_equal(rows, np.stack([a, c, a, a, c, b]))  # face 3 (frame 2) is 2 frames from both: the earlier
    assert track_filled([], [], {}).shape == (0, 0)


def test_reading_in_rounds_gives_the_same_frames_as_decoding_everything(tmp_path):
    path = write_video(tmp_path / "clip.mp4", blank_clip(90, size=(64, 96), seed=4))
    with VideoReader(str(path)) as reader:
        every = dict(reader.read(list(range(reader.frame_count))))
    with VideoReader(str(path)) as reader:
        plan = spread(reader.frame_count, 8)
        first, rest = split_plan(plan, early_stop=True)
        rounds = reader.read(first) + reader.read(rest)
    assert sorted(i for i, _ in rounds) == plan
    for index, frame in rounds:
        assert np.array_equal(frame, every[index])


@pytest.fixture(scope="module")
def models():
    detector = build_default(manager.get_component("detector", "mtcnn")).fit()
    embedder = build_default(manager.get_component("embedder", "dlib")).fit()
    return detector, embedder


def test_mtcnn_batch_path_finds_what_detect_faces_finds(shared_faces):
    """The TensorFlow runtime's one-tensor batch path against the mtcnn package's own detect_faces."""
    from influencer_kit_plugins.mtcnn import MTCNNConfig, MTCNNDetector

    detector = MTCNNDetector(MTCNNConfig(runtime="tensorflow")).fit()
    with VideoReader(str(shared_faces / "video" / "short_hamilton_clip.mp4")) as reader:
        frames = [downscale(f, 480)[0] for _, f in reader.read(spread(reader.frame_count, 8))]
    fast = detector.detect(frames)
    slow = [[(tuple(int(v) for v in r["box"]), r["confidence"]) for r in res]
            for res in detector.model_.detect_faces(frames)]
    assert sum(map(len, fast)) >= 4
    assert [[f.box for f in faces] for faces in fast] == [[box for box, _ in faces] for faces in slow]
    for faces, expected in zip(fast, slow):
        assert [f.confidence for f in faces] == pytest.approx([c for _, c in expected], abs=1e-4)


def test_a_steady_face_is_read_in_four_frames_and_embedded_twice(models, shared_faces, tmp_path):
    photo = load_rgb(shared_faces / "people" / "biden" / "biden.jpg")
    path = write_video(tmp_path / "steady.mp4", face_clip([photo], 40, seed=3))
    found = analyse_video(str(path), *models, AnalysisRules()).found
    assert len(found.frame_indices) == 4 and len(found.faces) == 4
    assert len(np.unique(found.embeddings, axis=0)) == 2  # the best face of each half of the track
    every = analyse_video(str(path), *models, AnalysisRules(early_stop=False, faces_per_track=0)).found
    assert len(every.frame_indices) == 8 and len(np.unique(every.embeddings, axis=0)) == 8
    same_person = np.linalg.norm(every.embeddings - found.embeddings[0], axis=1)
    assert same_person.max() < 0.4  # the two embeddings stand for every face of the track


def test_a_video_with_nobody_reads_the_whole_plan(models, tmp_path):
    path = write_video(tmp_path / "nobody.mp4", blank_clip(40, seed=5))
    found = analyse_video(str(path), *models, AnalysisRules()).found
    assert len(found.frame_indices) == 8 and not found.faces and found.embeddings.shape == (0, 0)


def test_per_video_rules_are_settings_and_part_of_the_face_cache_key(tmp_path):
    """`per_video.*` reaches the analysis, and a run with other rules does not reuse cached faces."""
    write_video(tmp_path / "steady.mp4", face_clip([grace_hopper()], 40, seed=3))
    sheet = tmp_path / "videos.csv"
    sheet.write_text("Video URL,Performance\nsteady.mp4,0.5\n")
    base = [f"data.path={sheet}", "executor.workers=1", "tracking.enabled=false", "registry.enabled=false"]
    default = pipeline.run(make_config(tmp_path, base))
    every = pipeline.run(make_config(tmp_path, [*base, "per_video.early_stop=false", "per_video.faces_per_track=0"]))
    assert list(default.videos["frames_sampled"]) == [4] and list(every.videos["frames_sampled"]) == [8]
    (vf_default,), (vf_every,) = default.faces.values(), every.faces.values()
    assert len(np.unique(vf_default.embeddings, axis=0)) == 2
    assert len(np.unique(vf_every.embeddings, axis=0)) == len(vf_every.faces) == 8
