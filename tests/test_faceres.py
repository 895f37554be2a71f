"""embedder=faceres: the shipped ONNX model, its separation of the people of ../shared/faces, batches,
the conformance check, a missing model, and a run of the demo."""
from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from influencer_kit.errors import MissingWeightsError
from influencer_kit.plugin import check_component, manager
from influencer_kit.plugin.testing import build_default
from influencer_kit_plugins import faceres
from influencer_kit_plugins.faceres import FaceresConfig, FaceresEmbedder
from influencer_kit_samples.photos import grace_hopper

FACERES_SHA256 = "3268c9486cbf0a1adfe12a61258bf51c906aac5aa3a73e146576b1a0173103c9"


@pytest.fixture(scope="module")
def mtcnn():
    return build_default(manager.get_component("detector", "mtcnn")).fit()


@pytest.fixture(scope="module")
def embedder():
    return FaceresEmbedder(FaceresConfig()).fit()


def photo(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_the_shipped_model_is_the_converted_one():
    assert hashlib.sha256(faceres.MODEL.read_bytes()).hexdigest() == FACERES_SHA256
    sums = (faceres.MODEL.parent / "SHA256SUMS").read_text().splitlines()
    assert f"{FACERES_SHA256}  faceres.onnx" in sums


def test_same_person_photos_are_closer_than_different_people(shared_faces, mtcnn, embedder):
    """The largest face of each labelled photo: every same-person pair is closer than every
    different-person pair, with room on both sides (Euclidean between unit vectors)."""
    people, vectors = [], []
    for path in sorted((shared_faces / "people").glob("*/*")):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
            image = photo(path)
            face = max(mtcnn.detect([image])[0], key=lambda f: f.box[2] * f.box[3])
            people.append(path.parent.name)
            vectors.append(embedder.distance.prepare(embedder.embed(image, [face]))[0])
    assert len(people) == 17 and len(set(people)) == 6
    same, different = [], []
    for (p, u), (q, v) in itertools.combinations(zip(people, vectors), 2):
        (same if p == q else different).append(float(np.linalg.norm(u - v)))
    assert len(same) == 23 and len(different) == 113
    assert max(same) < 0.85 < 0.88 < min(different)
    assert np.median(same) < 0.75 and np.median(different) > 1.05


def test_a_batch_embeds_as_one_face_at_a_time(shared_faces, mtcnn, embedder):
    image = photo(shared_faces / "groups" / "two_people.jpg")
    faces = mtcnn.detect([image])[0]
    assert len(faces) == 2
    together = embedder.embed(image, faces)
    apart = np.concatenate([embedder.embed(image, [face]) for face in faces])
    assert together.shape == (2, 1024)
    np.testing.assert_allclose(together, apart, atol=1e-4)


def test_faceres_passes_the_conformance_check(mtcnn):
    image = grace_hopper()
    face = max(mtcnn.detect([image])[0], key=lambda f: f.confidence)
    check_component(manager.get_component("embedder", "faceres"), image, face)


@pytest.mark.parametrize("content", [None, b"not an onnx model"], ids=["missing", "corrupt"])
def test_a_missing_or_corrupt_model_is_one_line_naming_it(tmp_path, monkeypatch, content):
    model = tmp_path / "faceres.onnx"
    if content is not None:
        model.write_bytes(content)
    monkeypatch.setattr(faceres, "MODEL", model)
    with pytest.raises(MissingWeightsError) as raised:
        FaceresEmbedder(FaceresConfig()).fit()
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"embedder=faceres: cannot load {model} (")
    assert manager.get_component("embedder", "faceres").weights_present(FaceresConfig()) is (content is not None)


def test_the_demo_with_faceres_finds_its_two_people(tmp_path):
    done = run_cli([f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}",
                    f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}", "output.progress=false", "embedder=faceres"],
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "influencers: 2" in done.stdout


def test_relu6_merged_into_one_clip_gives_the_files_own_numbers(mtcnn, embedder):
    """The session runs the shipped graph with each Relu-Min-Max as one Clip; the file run as it is
    gives the same embedding of a real face."""
    import onnx

    from influencer_kit_plugins._onnx_models import relu6_as_clip, session

    rewritten = relu6_as_clip(onnx.load(str(faceres.MODEL)))
    kinds = [node.op_type for node in rewritten.graph.node]
    assert kinds.count("Clip") == 27 and "Min" not in kinds and "Max" not in kinds
    image = grace_hopper()
    face = mtcnn.detect([image])[0][0]
    as_shipped = FaceresEmbedder(FaceresConfig())
    as_shipped.session_, as_shipped.input_ = session(faceres.MODEL, 1, "test"), embedder.input_
    np.testing.assert_allclose(embedder.embed(image, [face]), as_shipped.embed(image, [face]), atol=1e-5, rtol=0)
