"""Identity beyond one model: mirror averaging, fused embedders and their members' cache, a
video's faces embedded in one batch, quality-weighted templates, and missing weights stopping a run
before its first download."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import influencer_kit.inputs

from conftest import RouteHandler, CountingServer, run_cli
from influencer_kit.faces.analyse import AnalysisRules, analyse_video, split_at_changes
from influencer_kit.faces.embedding import (MemberMemo, build_embedder, embed_many_prepared, embed_prepared,
                                            mirror_face)
from influencer_kit.faces.quality import FLOOR, frontal, sharpness
from influencer_kit.model import Face, FaceRecord
from influencer_kit.people.grouping import template
from influencer_kit.plugin import manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_samples.photos import astronaut, grace_hopper


@pytest.fixture(scope="module")
def grace_and_face() -> tuple[np.ndarray, Face]:
    photo = grace_hopper()
    detector = build_default(manager.get_component("detector", "mtcnn")).fit()
    return photo, max(detector.detect([photo])[0], key=lambda f: f.confidence)


def test_a_mirrored_face_keeps_its_landmarks_in_order():
    face = Face((10, 20, 30, 40), 0.9, ((15, 30), (30, 30), (22, 40), (16, 50), (29, 50)))
    mirrored = mirror_face(face, 100)
    assert mirrored.box == (60, 20, 30, 40)
    assert mirrored.landmarks == ((69.0, 30), (84.0, 30), (77.0, 40), (70.0, 50), (83.0, 50))
    assert mirror_face(mirrored, 100) == face


@pytest.mark.slow
def test_mirror_averaging_makes_a_face_and_its_mirror_embed_the_same(grace_and_face):
    photo, face = grace_and_face
    flipped = np.ascontiguousarray(photo[:, ::-1])
    distances = {}
    for mirror in (False, True):
        embedder = build_embedder({"name": "dlib", "mirror": mirror}).fit()
        a = embed_prepared(embedder, photo, [face])[0]
        b = embed_prepared(embedder, flipped, [mirror_face(face, photo.shape[1])])[0]
        distances[mirror] = float(np.linalg.norm(a - b))
    assert distances[False] > 0.05  # dlib alone is not mirror-invariant
    assert distances[True] < 1e-5


def test_frontal_pose_and_sharpness_order_faces():
    straight = Face((0, 0, 100, 100), 1.0, ((30, 40), (70, 40), (50, 60), (35, 80), (65, 80)))
    turned = Face((0, 0, 100, 100), 1.0, ((30, 40), (70, 40), (62, 60), (47, 80), (77, 80)))
    profile = Face((0, 0, 100, 100), 1.0, ((30, 40), (70, 40), (72, 60), (57, 80), (87, 80)))
    assert frontal(straight) == 1.0
    assert frontal(turned) == pytest.approx(0.4)
    assert frontal(profile) == FLOOR
    assert frontal(Face((0, 0, 100, 100), 1.0)) == 1.0
    rng = np.random.default_rng(0)
    sharp = rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)
    flat = np.full((100, 100, 3), 128, dtype=np.uint8)
    assert sharpness(sharp, (0, 0, 100, 100)) > 0.9
    assert sharpness(flat, (0, 0, 100, 100)) == FLOOR


def test_a_template_weighs_embedded_faces_by_quality_and_ignores_carried_copies():
    faces = [FaceRecord(box=(0, 0, 50, 50), confidence=1.0, frame_index=0, quality=3.0, embedded=True),
             FaceRecord(box=(0, 0, 50, 50), confidence=1.0, frame_index=1, quality=1.0, embedded=True),
             FaceRecord(box=(0, 0, 50, 50), confidence=1.0, frame_index=2, quality=9.0, embedded=False)]
    embeddings = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 0.0]])
    assert template(faces, embeddings).tolist() == [1.0, 0.0]


class VideoRoute(RouteHandler):
    def route(self, path: str, hits: int) -> None:
        self.reply(200, b"not really a video")


@pytest.mark.slow
def test_missing_weights_stop_a_run_before_its_first_download(tmp_path, serve_routes, monkeypatch):
    component = manager.get_component("detector", "retinaface")
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path / "home"))
    if component.weights_present(component.config()):
        pytest.skip("retinaface weights are present here; nothing is missing")
    server = serve_routes(CountingServer(VideoRoute))
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"video_url,performance\n{server.url('/a.mp4')},1.0\n{server.url('/b.mp4')},2.0\n")
    done = run_cli([f"data.path={sheet}", "detector=retinaface", f"cache.dir={tmp_path / 'cache'}",
                    f"output.dir={tmp_path / 'out'}", f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}"],
                   cwd=tmp_path, env={"DEEPFACE_HOME": str(tmp_path / "home")})
    if done.returncode == 0:
        pytest.skip("retinaface downloaded its weights: this machine is online")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: retinaface could not load its weights")
    assert "retinaface.h5" in errors[0]
    assert "Downloading" not in done.stdout + done.stderr  # the download attempts' chatter is held back
    assert sum(server.hits.values()) == 0


DEMO_VIDEO = Path(influencer_kit.inputs.__file__).parent / "demo_set" / "videos" / "grace_1.mp4"


@pytest.mark.slow
def test_a_fusion_reuses_a_members_cached_embeddings_when_a_member_is_added(tmp_path):
    detector = build_default(manager.get_component("detector", "mtcnn")).fit()
    sha = "ab" * 32
    alone = build_embedder({"name": "fused", "members": ["dlib"]}).fit()
    first = analyse_video(str(DEMO_VIDEO), detector, alone, AnalysisRules(), memo=MemberMemo(tmp_path, sha)).found
    dlib_key = alone.members[0][0]
    stored = np.load(MemberMemo(tmp_path, sha).file(dlib_key))
    assert len(stored["places"]) == sum(f.embedded for f in first.faces) > 0
    planted = np.full_like(stored["vectors"], 0.25)  # what dlib never gives: proof the cache was read
    np.savez(MemberMemo(tmp_path, sha).file(dlib_key), places=stored["places"], vectors=planted)

    both = build_embedder({"name": "fused", "members": ["dlib", "faceres"]}).fit()
    assert both.members[0][0] == dlib_key
    second = analyse_video(str(DEMO_VIDEO), detector, both, AnalysisRules(), memo=MemberMemo(tmp_path, sha)).found
    dlib_part = second.embeddings[:, :128] / both.scales[0]
    assert np.allclose(dlib_part, 0.25, atol=1e-6)
    assert MemberMemo(tmp_path, sha).file(both.members[1][0]).exists()


@pytest.mark.slow
def test_fused_distance_is_the_root_mean_square_of_member_distances_in_their_units(grace_and_face):
    photo, face = grace_and_face
    other = np.ascontiguousarray(np.clip(photo.astype(int) * 0.6 + 40, 0, 255).astype(np.uint8))  # darker copy
    fused = build_embedder({"name": "fused", "members": ["dlib", "faceres"], "mirror": False}).fit()
    dlib = build_embedder({"name": "dlib"}).fit()
    faceres = build_embedder({"name": "faceres"}).fit()
    member_units = []
    for member, unit in ((dlib, dlib.typical_different), (faceres, faceres.typical_different)):
        a, b = (embed_prepared(member, image, [face])[0] for image in (photo, other))
        member_units.append(float(np.linalg.norm(a - b)) / unit)
    a, b = (embed_prepared(fused, image, [face])[0] for image in (photo, other))
    assert member_units[0] > 0 and member_units[1] > 0
    assert float(np.linalg.norm(a - b)) == pytest.approx(np.sqrt(np.mean(np.square(member_units))), rel=1e-4)


def test_a_track_whose_faces_disagree_is_cut_where_the_person_changes():
    tracks = [0, 1, 0, 0, 1, 0]  # faces in time order; track 0 holds two people filmed alike
    vectors = {0: [0.0, 0.0], 2: [0.1, 0.0], 3: [2.0, 0.0], 5: [2.1, 0.0], 1: [5.0, 5.0], 4: [5.0, 5.0]}
    embedded = {i: np.asarray(v) for i, v in vectors.items()}
    assert split_at_changes(tracks, {0}, embedded, 0.5) == [0, 1, 0, 2, 1, 2]
    assert split_at_changes(tracks, set(), embedded, 0.5) == tracks


@pytest.mark.slow
@pytest.mark.parametrize("config", [{"name": "dlib"}, {"name": "faceres"}, {"name": "dlib", "mirror": True},
                                    {"name": "fused"}])
def test_a_videos_faces_embed_in_one_batch_as_each_face_alone(config):
    """Every frame's faces in one batch (`embed_many`, as analysis does) against each face embedded
    on its own: frames of two sizes, a frame with two people and a frame with nobody."""
    detector = build_default(manager.get_component("detector", "mtcnn")).fit()
    embedder = build_embedder(config).fit()
    grace, eileen = grace_hopper(), astronaut()
    eileen_small = cv2.resize(eileen, (eileen.shape[1] // 2, eileen.shape[0] // 2))
    both = np.hstack([grace, cv2.resize(eileen, (round(eileen.shape[1] * grace.shape[0] / eileen.shape[0]),
                                                 grace.shape[0]))])
    frames = [grace, both, np.zeros_like(grace), eileen_small]
    items = [(frame, sorted(detector.detect([frame])[0], key=lambda f: f.box[0])) for frame in frames]
    assert [len(faces) for _, faces in items] == [1, 2, 0, 1]
    together = embed_many_prepared(embedder, items)
    for (frame, faces), vectors in zip(items, together):
        assert vectors.shape[0] == len(faces)
        for face, vector in zip(faces, vectors):
            np.testing.assert_allclose(vector, embed_prepared(embedder, frame, [face])[0], atol=1e-5, rtol=0)
    grace_vector, (grace_too, eileen_vector) = together[0][0], together[1]  # Grace on the left of `both`
    threshold = embedder.distance.threshold
    assert np.linalg.norm(grace_vector - grace_too) < threshold < np.linalg.norm(grace_too - eileen_vector)
